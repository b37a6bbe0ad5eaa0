"""`linkscope deps --root` as the deps tests call it, with the checks every such call shares."""
from __future__ import annotations

from pathlib import Path

from linkscope.deps import Env, Session, resolve


def resolve_in_root(root: Path, main: str = "/bin/main", **env):
    """The resolution of ``main`` (a path inside ``root``) with ``root`` as the file system's root:
    ``([(name, path, via)] of every library in load order, the whole result)``. It must have no
    error, and every library it found must be a file inside the root."""
    r = resolve(str(root / main.lstrip("/")), Env(root=str(root), cwd="/", **env), Session())
    assert r.error is None, r.error
    for lib in r.libraries:
        if lib.realpath is not None:
            assert (root / lib.realpath.lstrip("/")).is_file(), lib
    return [(lib.name, lib.path, lib.via) for lib in r.libraries], r
