"""A read-only view of a filesystem confined to a root directory.

Paths are given as the target system sees them ("inner" paths: "/lib/libc.so.6"). Resolution walks
them one component at a time, as the kernel does under chroot(2): each component is lstat'ed below
an already resolved real directory, a symbolic link is replaced by its target (an absolute target
restarts at the root, a relative one continues from the link's directory), ``..`` goes to the parent
of the directory resolved so far and stops at the root. At most MAX_SYMLINKS links are followed per
path, so a loop ends with a diagnostic, never a hang. Nothing outside the root is ever opened: the
host path of an inner path is only used once every component of it is known to be a real directory
inside the root.

Every lookup is cached for the life of the view (one linkscope call): the files are read as they are
when the call starts, and later changes are not seen.
"""
from __future__ import annotations

import errno
import os
import stat
from ..record import record

MAX_SYMLINKS = 40          # Linux's MAXSYMLINKS
MAX_READ = 64 << 20        # configuration and cache files larger than this are refused

OK, MISSING, LOOP, DENIED, NOT_DIR, ERROR = "ok", "missing", "loop", "denied", "not-dir", "error"


@record
class Resolved:
    """The outcome of resolving an inner path: ``real`` is the canonical inner path when it exists."""

    path: str                  # the path as asked (absolute, inner)
    real: str | None           # canonical inner path (every component a real file or directory)
    status: str                # OK, MISSING, LOOP, DENIED, NOT_DIR, ERROR
    message: str | None = None  # why it failed, worth a diagnostic (None for a plain "does not exist")
    st: os.stat_result | None = None

    @property
    def ok(self) -> bool:
        return self.status == OK


def join(a: str, b: str) -> str:
    if not a:
        return b
    return a + b if a.endswith("/") else a + "/" + b


def dirname(p: str) -> str:
    i = p.rfind("/")
    if i < 0:
        return ""
    return p[:i] or "/"


class FsView:
    def __init__(self, root: str = "/"):
        root = os.path.realpath(root) if root not in ("", "/") else "/"
        self.root = root
        self._prefix = "" if root == "/" else root
        self._lstat: dict[str, os.stat_result | int] = {}
        self._links: dict[str, str | int] = {}
        self._resolved: dict[str, Resolved] = {}
        self._lists: dict[str, tuple[str, ...] | str] = {}

    # -- host paths ------------------------------------------------------------------------------
    def host(self, real: str) -> str:
        """The host path of a canonical inner path (only ever call it with ``Resolved.real``)."""
        return self._prefix + real if self._prefix else real

    def inner_of_host(self, host_path: str) -> str | None:
        """The inner path of an absolute host path below the root, else None."""
        if self.root == "/":
            return host_path
        if host_path == self.root:
            return "/"
        if host_path.startswith(self.root + "/"):
            return host_path[len(self.root):]
        return None

    # -- primitive cached lookups ----------------------------------------------------------------
    def _lstat_inner(self, real: str):
        r = self._lstat.get(real)
        if r is None:
            try:
                r = os.lstat(self.host(real))
            except OSError as e:
                r = e.errno or errno.EIO
            self._lstat[real] = r
        return r

    def _readlink(self, real: str):
        r = self._links.get(real)
        if r is None:
            try:
                r = os.readlink(self.host(real))
            except OSError as e:
                r = e.errno or errno.EIO
            self._links[real] = r
        return r

    # -- resolution ------------------------------------------------------------------------------
    def resolve(self, path: str, cwd: str = "/") -> Resolved:
        """Resolve ``path`` (absolute, or relative to ``cwd``) inside the root, following every
        symbolic link, the last one included."""
        if not path.startswith("/"):
            path = join(cwd if cwd.startswith("/") else "/" + cwd, path)
        if "\0" in path:
            return Resolved(path, None, MISSING, f"{path!r}: a path with a NUL byte names no file")
        r = self._resolved.get(path)
        if r is None:
            r = self._resolve(path)
            self._resolved[path] = r
        return r

    def _resolve(self, path: str) -> Resolved:
        todo = [c for c in reversed(path.split("/")) if c]
        cur = ""                   # the real directory resolved so far ("" for the root)
        hops = 0
        clamped = False
        rerooted: list[tuple[str, str]] = []
        while todo:
            c = todo.pop()
            if c == ".":
                continue
            if c == "..":
                if cur:
                    cur = cur[:cur.rfind("/")]
                elif hops:
                    clamped = True
                continue
            real = cur + "/" + c
            st = self._lstat_inner(real)
            if isinstance(st, int):
                if st in (errno.ENOENT, errno.ENOTDIR, errno.ENAMETOOLONG):
                    return Resolved(path, None, MISSING, self._escape_note(path, clamped, rerooted))
                if st == errno.EACCES:
                    return Resolved(path, None, DENIED, f"{path}: permission denied reading directory {cur or '/'}")
                return Resolved(path, None, ERROR, f"{path}: {os.strerror(st)}")
            if stat.S_ISLNK(st.st_mode):
                hops += 1
                if hops > MAX_SYMLINKS:
                    return Resolved(path, None, LOOP, f"{path}: too many levels of symbolic links "
                                    f"(more than {MAX_SYMLINKS}, a symlink loop at {real}?)")
                target = self._readlink(real)
                if isinstance(target, int):
                    return Resolved(path, None, ERROR, f"{real}: cannot read symlink: {os.strerror(target)}")
                if target.startswith("/"):
                    cur = ""
                    if self.root != "/":
                        rerooted.append((real, target))
                todo.extend(c2 for c2 in reversed(target.split("/")) if c2)
                continue
            if todo and not stat.S_ISDIR(st.st_mode):
                return Resolved(path, None, NOT_DIR, None)
            cur = real
        st = self._lstat_inner(cur) if cur else self._lstat_root()
        if isinstance(st, int):
            return Resolved(path, None, ERROR, f"{path}: {os.strerror(st)}")
        return Resolved(path, cur or "/", OK, None, st)

    def _lstat_root(self):
        try:
            return os.stat(self.root)
        except OSError as e:
            return e.errno or errno.EIO

    def _escape_note(self, path: str, clamped: bool, rerooted: list[tuple[str, str]]) -> str | None:
        if rerooted:
            link, target = rerooted[-1]
            return (f"{path}: symlink {link} -> {target} points outside the root; taken inside the root "
                    f"({self.root}), where it does not exist")
        if clamped:
            return f"{path}: a symlink climbs above the root ({self.root}); stopped at the root, not found there"
        return None

    # -- conveniences ----------------------------------------------------------------------------
    def isdir(self, path: str, cwd: str = "/") -> bool:
        r = self.resolve(path, cwd)
        return r.ok and stat.S_ISDIR(r.st.st_mode)

    def listdir(self, path: str, cwd: str = "/") -> tuple[tuple[str, ...], str | None]:
        """(sorted names, None) or ((), diagnostic) for a directory inside the root."""
        r = self.resolve(path, cwd)
        if not r.ok:
            return (), r.message or f"{path}: no such directory"
        if not stat.S_ISDIR(r.st.st_mode):
            return (), f"{path}: not a directory"
        cached = self._lists.get(r.real)
        if cached is None:
            try:
                cached = tuple(sorted(os.listdir(self.host(r.real))))
            except OSError as e:
                cached = f"{path}: cannot read directory: {e.strerror or e}"
            self._lists[r.real] = cached
        if isinstance(cached, str):
            return (), cached
        return cached, None

    def read(self, path: str, limit: int = MAX_READ, cwd: str = "/") -> tuple[bytes | None, str | None]:
        """(contents, None), or (None, None) when absent, or (None, diagnostic) when unreadable."""
        r = self.resolve(path, cwd)
        if not r.ok:
            return None, r.message
        if not stat.S_ISREG(r.st.st_mode):
            return None, f"{path}: not a regular file"
        if r.st.st_size > limit:
            return None, f"{path}: {r.st.st_size} bytes, more than the {limit} read"
        try:
            fd = os.open(self.host(r.real), os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0))
        except OSError as e:
            return None, f"{path}: {e.strerror or e}"
        try:
            chunks, total = [], 0
            while total < limit:
                b = os.read(fd, min(1 << 20, limit - total))
                if not b:
                    break
                chunks.append(b)
                total += len(b)
            return b"".join(chunks), None
        except OSError as e:
            return None, f"{path}: {e.strerror or e}"
        finally:
            os.close(fd)

    def pread_head(self, real: str, size: int = 64) -> tuple[bytes | None, str | None]:
        """The first ``size`` bytes of a resolved regular file."""
        try:
            fd = os.open(self.host(real), os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0))
        except OSError as e:
            return None, f"{real}: {e.strerror or e}"
        try:
            return os.pread(fd, size, 0), None
        except OSError as e:
            return None, f"{real}: {e.strerror or e}"
        finally:
            os.close(fd)
