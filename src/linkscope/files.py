"""The file system as linkscope reads it: a tree seen from inside, confined to it, read-only.

Every file linkscope reads by name is opened here: through a ``Files`` tree, everything ``deps`` opens
(libraries, ld.so.conf, ld.so.cache), what ``explain --root`` judges, and ``inspect(path, files=)``'s
input, so they run unchanged on this machine, a sysroot, or (later) an image's layers or a build's
output tree; through :func:`open_host`, a path the user typed on this machine.

Paths are given as the tree sees them ("inner" paths: "/lib/libc.so.6"). ``Files`` holds the kernel's
rules over a few primitive lookups an implementation supplies (``_lstat_raw``, ``_readlink_raw``,
``_listdir_raw``, ``_open_raw``, ``_xattr_raw``, each given a canonical inner path). Resolution walks
a path one component at a time, as the kernel does under chroot(2): each component is looked up in
an already resolved real directory, a symbolic link is replaced by its target (an absolute target
restarts at the root, a relative one continues from the link's directory), ``..`` goes to the parent
of the directory resolved so far and stops at the root. At most MAX_SYMLINKS links are followed per
path, so a loop ends with a diagnostic, never a hang. A primitive is only ever called with a path
whose every directory is known to be a real directory inside the tree, so nothing outside it is read.

``HostFiles`` is a directory of this machine. ``open_host`` opens a path the user typed, as open(2)
resolves it, for ``inspect`` without a root. Every open is of a regular file, non-blocking (a file
swapped for a FIFO after its stat cannot hang the call) and checked again with fstat.

Every lookup is cached for the life of the ``Files`` (one linkscope call): the files are read as they
are when the call starts, and later changes are not seen.
"""
from __future__ import annotations

import errno
import mmap
import os
import stat

from .byteview import ByteView
from .errors import InputError
from .record import record

MAX_SYMLINKS = 40          # Linux's MAXSYMLINKS
MAX_READ = 64 << 20        # configuration and cache files larger than this are refused
MAX_XATTR = 64             # security.capability is 20 bytes (vfs_cap_data revision 2) or 24 (revision 3)

OK, MISSING, LOOP, DENIED, NOT_DIR, ERROR = "ok", "missing", "loop", "denied", "not-dir", "error"

_O_READ = os.O_RDONLY | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_NONBLOCK", 0)
_O_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)


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


# Files up to this size are read whole, by the first read, instead of being mapped: mapping, the page
# faults and unmapping cost more than the copy (here a map costs 15-30 us, a 256 KiB pread 10 us).
# Larger files are mapped: their headers are all that is read of most of them.
READ_WHOLE = 256 << 10


class OpenFile:
    """An open regular file: ``head(n)`` reads its first bytes (a small file, all of it, by that one
    read), ``view()`` is the whole file read-only (those bytes, or a map made once), ``read(limit)``
    reads it into memory; ``close()``, or leaving a ``with`` block, releases it all. ``name`` is
    what error messages and views call it."""

    __slots__ = ("name", "size", "_fd", "_mm", "_whole")

    def __init__(self, fd: int, name: str):
        self.name, self._fd, self._mm, self._whole = name, fd, None, None
        try:
            st = os.fstat(fd)
        except OSError as e:
            os.close(fd)
            raise InputError(e.strerror or str(e)) from None
        if not stat.S_ISREG(st.st_mode):
            os.close(fd)
            raise InputError("not a regular file: not read")
        self.size = st.st_size

    def head(self, n: int, whole: bool = True) -> bytes:
        """The first ``n`` bytes; with ``whole`` (a view is to follow), a small file is read whole by
        this one read."""
        if self._whole is not None:
            return self._whole[:n]
        small = whole and self.size <= READ_WHOLE
        try:
            data = os.pread(self._fd, self.size if small else n, 0)
        except OSError as e:
            raise InputError(e.strerror or str(e)) from None
        if small and len(data) == self.size:
            self._whole = data
        return data[:n]

    def view(self) -> ByteView:
        if self._whole is not None:
            return ByteView(self._whole, path=self.name)
        if self.size == 0:
            return ByteView(b"", path=self.name)   # nothing to map (mmap refuses an empty file)
        if self._mm is None:
            try:
                self._mm = mmap.mmap(self._fd, 0, access=mmap.ACCESS_READ)
            except (OSError, ValueError) as e:
                raise InputError(f"cannot map file: {e}") from None
        return ByteView(self._mm, path=self.name)

    def read(self, limit: int) -> bytes:
        try:
            chunks, total = [], 0
            while total < limit:
                b = os.read(self._fd, min(1 << 20, limit - total))
                if not b:
                    break
                chunks.append(b)
                total += len(b)
            return b"".join(chunks)
        except OSError as e:
            raise InputError(e.strerror or str(e)) from None

    def close(self) -> None:
        mm, fd, self._mm, self._fd = self._mm, self._fd, None, None
        try:
            if mm is not None:
                try:
                    mm.close()
                except BufferError:  # a view still exported: the map goes when it does
                    pass
        finally:
            if fd is not None:
                os.close(fd)

    def __enter__(self) -> "OpenFile":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def open_host(path: str) -> OpenFile:
    """Open a path of this machine as open(2) resolves it (symbolic links followed): an input
    named on the command line."""
    try:
        return OpenFile(os.open(path, _O_READ), path)
    except OSError as e:
        raise InputError(e.strerror or str(e)) from None


def host_capabilities(path: str) -> bytes | None:
    """The raw ``security.capability`` attribute of a file of this machine (its first MAX_XATTR
    bytes), or None: no attribute, or no extended attributes here."""
    getx = getattr(os, "getxattr", None)
    if getx is None:
        return None
    try:
        raw = getx(path, "security.capability")
    except OSError:
        return None
    return bytes(raw[:MAX_XATTR]) if raw else None


class Files:
    """A read-only tree. Subclasses supply the primitives; everything else is the kernel's rules.
    ``root`` names the tree in diagnostics ("/" for this machine's own root)."""

    root = "/"

    def __init__(self):
        self._lstat: dict[str, os.stat_result | int] = {}
        self._links: dict[str, str | int] = {}
        self._resolved: dict[str, Resolved] = {}
        self._lists: dict[str, tuple[str, ...] | str] = {}

    # -- the primitives: ``real`` is a canonical inner path; failures raise OSError --------------
    def _lstat_raw(self, real: str) -> os.stat_result:
        raise NotImplementedError

    def _readlink_raw(self, real: str) -> str:
        raise NotImplementedError

    def _listdir_raw(self, real: str) -> list[str]:
        raise NotImplementedError

    def _open_raw(self, real: str) -> OpenFile:
        raise NotImplementedError

    def _xattr_raw(self, real: str, name: str) -> bytes | None:
        raise NotImplementedError

    # -- cached lookups ----------------------------------------------------------------------------
    def _lstat_inner(self, real: str):
        r = self._lstat.get(real)
        if r is None:
            try:
                r = self._lstat_raw(real)
            except OSError as e:
                r = e.errno or errno.EIO
            self._lstat[real] = r
        return r

    def _readlink(self, real: str):
        r = self._links.get(real)
        if r is None:
            try:
                r = self._readlink_raw(real)
            except OSError as e:
                r = e.errno or errno.EIO
            self._links[real] = r
        return r

    # -- resolution --------------------------------------------------------------------------------
    def resolve(self, path: str, cwd: str = "/") -> Resolved:
        """Resolve ``path`` (absolute, or relative to ``cwd``) inside the tree, following every
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
            return self._lstat_raw("/")
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

    def forget(self) -> None:
        """Drop the cached lookups (between the batches of a long scan: memory stays flat). Later
        lookups read the tree again."""
        self._lstat.clear()
        self._links.clear()
        self._resolved.clear()
        self._lists.clear()

    def inner_of_host(self, host_path: str) -> str | None:
        """The inner path of a path of this machine below the tree, else None (always, for a tree
        that is not a directory of this machine: an image's files have no host path)."""
        return None

    # -- what the commands read ----------------------------------------------------------------------
    def lstat(self, path: str, cwd: str = "/") -> os.stat_result | None:
        """The status of ``path`` itself (a symbolic link is not followed), or None when it does not
        resolve: its directory is resolved, its last component is not."""
        real = self._real_parent(path, cwd)
        if real is None:
            return None
        st = self._lstat_inner(real) if real != "/" else self._lstat_root()
        return None if isinstance(st, int) else st

    def readlink(self, path: str, cwd: str = "/") -> str | None:
        """The target of the symbolic link ``path``, or None when it is not one."""
        real = self._real_parent(path, cwd)
        st = self._lstat_inner(real) if real not in (None, "/") else None
        if st is None or isinstance(st, int) or not stat.S_ISLNK(st.st_mode):
            return None
        target = self._readlink(real)
        return None if isinstance(target, int) else target

    def _real_parent(self, path: str, cwd: str) -> str | None:
        if not path.startswith("/"):
            path = join(cwd if cwd.startswith("/") else "/" + cwd, path)
        path = path.rstrip("/") or "/"
        if path == "/":
            return "/"
        parent, base = dirname(path), path[path.rfind("/") + 1:]
        if base in (".", ".."):
            r = self.resolve(path)
            return r.real if r.ok else None
        r = self.resolve(parent)
        if not r.ok or not stat.S_ISDIR(r.st.st_mode):
            return None
        return join(r.real, base) if r.real != "/" else "/" + base

    def isdir(self, path: str, cwd: str = "/") -> bool:
        r = self.resolve(path, cwd)
        return r.ok and stat.S_ISDIR(r.st.st_mode)

    def listdir(self, path: str, cwd: str = "/") -> tuple[tuple[str, ...], str | None]:
        """(sorted names, None) or ((), diagnostic) for a directory inside the tree."""
        r = self.resolve(path, cwd)
        if not r.ok:
            return (), r.message or f"{path}: no such directory"
        if not stat.S_ISDIR(r.st.st_mode):
            return (), f"{path}: not a directory"
        cached = self._lists.get(r.real)
        if cached is None:
            try:
                cached = tuple(sorted(self._listdir_raw(r.real)))
            except OSError as e:
                cached = f"{path}: cannot read directory: {e.strerror or e}"
            self._lists[r.real] = cached
        if isinstance(cached, str):
            return (), cached
        return cached, None

    def open(self, real: str) -> OpenFile:
        """The regular file at a canonical inner path (``Resolved.real``), opened; raises InputError."""
        try:
            return self._open_raw(real)
        except OSError as e:
            raise InputError(e.strerror or str(e)) from None

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
            with self.open(r.real) as f:
                return f.read(limit), None
        except InputError as e:
            return None, f"{path}: {e.message}"

    def head(self, real: str, size: int = 64) -> tuple[bytes | None, str | None]:
        """The first ``size`` bytes of a resolved regular file, or (None, diagnostic)."""
        try:
            with self.open(real) as f:
                return f.head(size, whole=False), None
        except InputError as e:
            return None, f"{real}: {e.message}"

    def capabilities(self, real: str) -> bytes | None:
        """The raw ``security.capability`` attribute of a resolved file (its first MAX_XATTR bytes),
        or None: the kernel sets AT_SECURE for a file that has one, as for set-uid."""
        try:
            raw = self._xattr_raw(real, "security.capability")
        except OSError:
            return None
        return bytes(raw[:MAX_XATTR]) if raw else None


class HostFiles(Files):
    """A directory of this machine (``/`` by default) as a tree."""

    def __init__(self, root: str = "/"):
        super().__init__()
        root = os.path.realpath(root) if root not in ("", "/") else "/"
        self.root = root
        self._prefix = "" if root == "/" else root

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

    def _lstat_raw(self, real: str) -> os.stat_result:
        return os.lstat(self.host(real)) if real != "/" else os.stat(self.root)

    def _readlink_raw(self, real: str) -> str:
        return os.readlink(self.host(real))

    def _listdir_raw(self, real: str) -> list[str]:
        return os.listdir(self.host(real))

    def _open_raw(self, real: str) -> OpenFile:
        host = self.host(real)
        return OpenFile(os.open(host, _O_READ | _O_NOFOLLOW), host)

    def _xattr_raw(self, real: str, name: str) -> bytes | None:
        getx = getattr(os, "getxattr", None)     # not on every platform
        return None if getx is None else getx(self.host(real), name, follow_symlinks=False)
