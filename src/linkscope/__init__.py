"""linkscope: know any executable without running it."""
from __future__ import annotations

__version__ = "0.1.0"

from .errors import InputError, LinkscopeError, Malformed, NotGoBinary, Truncated, UnsupportedFormat  # noqa: E402
from .model import Binary, Dep, GoInfo, Module  # noqa: E402


def inspect(path) -> Binary:
    """Inspect one file; see :func:`linkscope.inspector.inspect`."""
    from .inspector import inspect as _inspect

    return _inspect(path)


__all__ = ["inspect", "Binary", "GoInfo", "Module", "Dep", "LinkscopeError", "InputError", "Malformed",
           "Truncated", "UnsupportedFormat", "NotGoBinary", "__version__"]
