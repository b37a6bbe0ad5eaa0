"""linkscope: know any executable without running it."""
from __future__ import annotations

__version__ = "0.1.0"

from .errors import InputError, LinkscopeError, Malformed, NotGoBinary, Truncated, UnsupportedFormat  # noqa: E402
from .model import Binary, Dep, GoInfo, Module  # noqa: E402


def inspect(path) -> Binary:
    """Inspect one file; see :func:`linkscope.inspector.inspect`."""
    from .inspector import inspect as _inspect

    return _inspect(path)


def go_buildinfo(path) -> GoInfo:
    """The Go build information of one file, as ``go version -m`` reads it (Go's
    ``debug/buildinfo.ReadFile``; for a universal Mach-O file, its first slice that has some).
    Raises NotGoBinary when the file carries none, and the other LinkscopeErrors when it cannot be
    read (InputError, Malformed, Truncated)."""
    import os

    from .go.buildinfo import read_buildinfo
    from .inspector import open_image

    with open_image(os.fspath(path)) as (image, _st):
        for img in getattr(image, "slices", None) or (image,):
            info = None if isinstance(img, LinkscopeError) else read_buildinfo(img)
            if info is not None:
                return info
    raise NotGoBinary("not a Go executable", path=os.fspath(path))


__all__ = ["inspect", "go_buildinfo", "Binary", "GoInfo", "Module", "Dep", "LinkscopeError", "InputError", "Malformed",
           "Truncated", "UnsupportedFormat", "NotGoBinary", "__version__"]
