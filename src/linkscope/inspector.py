"""bytes -> format image -> a frozen Binary record. Nothing here prints."""
from __future__ import annotations

import mmap
import os
import stat

from . import sniff as sn
from .byteview import ByteView
from .errors import InputError, LinkscopeError, Malformed, Truncated
from .model import Binary, ErrorInfo, VersionFloor
from .record import replace


def _parse(view: ByteView):
    head = bytes(view.buf[view.base:view.base + 64])
    kind = sn.sniff(head)
    if kind == sn.ELF:
        from .formats import elf
        return elf.parse(view)
    if kind == sn.MACHO:
        from .formats import macho
        return macho.parse(view)
    if kind == sn.UNIVERSAL:
        from .formats import universal
        return universal.parse(view)
    if kind in (sn.PE, sn.COFF):
        from .formats import pe
        return pe.parse(view)
    if kind == sn.WASM:
        from .formats import wasm
        return wasm.parse(view)
    if kind == sn.SCRIPT:
        from .formats import script
        return script.parse(view)
    if kind == sn.ARCHIVE:
        from .formats import archive
        return archive.parse(view)
    from .formats import text  # issue 8: anything else is a linker script, text or data, not an error
    return text.parse(view)


# Files up to this size are read with one pread instead of being mapped: mapping, the page faults and
# unmapping cost more than the copy (here a map costs 15-30 us, a 256 KiB pread 10 us). Larger files
# are mapped: their headers are all that is read of most of them.
READ_WHOLE = 256 << 10


def open_image(path: str, st: os.stat_result | None = None) -> "_Opened":
    """``with open_image(path) as (image, st):`` the parsed image of ``path`` and its stat (``st``
    when the caller has it), valid inside the block (the file stays mapped until then). Raises a
    LinkscopeError for anything that is not a readable binary."""
    return _Opened(path, st)


class _Opened:
    # A class, not contextlib.contextmanager: contextlib (with collections and functools) costs
    # more to import than a binary costs to read.
    __slots__ = ("path", "st", "_fd", "_mm")

    def __init__(self, path: str, st: os.stat_result | None):
        self.path, self.st, self._fd, self._mm = path, st, None, None

    def __enter__(self):
        path = self.path
        st = self.st = self.st if self.st is not None else _stat(path)
        if stat.S_ISDIR(st.st_mode):
            raise InputError("is a directory")
        if not stat.S_ISREG(st.st_mode):
            raise InputError(not_regular_message(st.st_mode))
        if st.st_size == 0:
            return _parse(ByteView(b"", path=path)), st   # "empty", as file(1) says: nothing to map
        try:
            self._fd = os.open(path, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
        except OSError as e:
            raise InputError(e.strerror or str(e)) from None
        try:
            # Most files of a tree are not binaries: decide from the first bytes before mapping
            # anything. A small file (scripts, most programs) is read whole by that one read.
            small = st.st_size <= READ_WHOLE
            try:
                head = os.pread(self._fd, st.st_size if small else 64, 0)
            except OSError as e:
                raise InputError(e.strerror or str(e)) from None
            kind = sn.sniff(head)
            short = kind and sn.too_short(kind, head, st.st_size)
            if short:
                raise Truncated(short)
            if small and len(head) == st.st_size:
                return _parse(ByteView(head, path=path)), st
            try:
                self._mm = mmap.mmap(self._fd, 0, access=mmap.ACCESS_READ)
            except (OSError, ValueError) as e:
                raise InputError(f"cannot map file: {e}") from None
            return _parse(ByteView(self._mm, path=path)), st
        except BaseException:
            self.__exit__(None, None, None)
            raise

    def __exit__(self, *exc) -> None:
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


def _stat(path: str) -> os.stat_result:
    try:
        return os.stat(path)
    except FileNotFoundError:
        raise InputError(missing_message(path)) from None
    except OSError as e:
        raise InputError(e.strerror or str(e)) from None


def not_regular_message(mode: int) -> str:
    """Why a file that is not a regular one is not read (opening a fifo could block forever)."""
    for test, name in ((stat.S_ISFIFO, "a fifo"), (stat.S_ISSOCK, "a socket"), (stat.S_ISCHR, "a character device"),
                       (stat.S_ISBLK, "a block device")):
        if test(mode):
            return f"not a regular file ({name}): not read"
    return "not a regular file: not read"


def missing_message(path: str) -> str:
    """Why a path that does not stat is missing: "no such file", or the target of a dangling link."""
    try:
        target = os.readlink(path)
    except (OSError, ValueError):
        return "no such file"
    return f"broken symbolic link to {target}"


def error_record(path: str, err: LinkscopeError, st: os.stat_result | None = None) -> Binary:
    if st is None or not stat.S_ISREG(st.st_mode):
        return Binary(path=path, error=ErrorInfo(err.kind, err.message, err.offset))
    return Binary(path=path, error=ErrorInfo(err.kind, err.message, err.offset), size=st.st_size,
                  setuid=bool(st.st_mode & stat.S_ISUID), setgid=bool(st.st_mode & stat.S_ISGID))


def describe(image, path: str, st: os.stat_result | None = None, *, summary: bool = False) -> Binary:
    """The Binary record of a parsed image (a universal image yields one record per slice).
    ``summary``: only what the format's headers and the Go build info say (the one-line output):
    the libc facts and the analyses (cgo, linker, hardening, findings, sizes) are left at their
    defaults, which then mean "not computed", not "none"."""
    from . import gobuild

    if getattr(image, "format", None) == "macho-universal":
        slices = []
        for sl in image.slices:
            if isinstance(sl, LinkscopeError):
                slices.append(error_record(path, sl))
            else:
                slices.append(_guard(path, lambda sl=sl: describe(sl, path, summary=summary)))
        facts = image.facts()
        rec = Binary(path=path, slices=tuple(slices), **facts)
    else:
        facts = image.facts(summary=summary)
        # A damaged build-info blob spoils only the Go part: keep every other fact, say what broke.
        go = image.attempt("Go build info", lambda: gobuild.read_buildinfo(image))
        if go is not None and facts.get("os") is None:
            facts["os"] = go.setting("GOOS")
        if st is not None:
            facts.update(setuid=bool(st.st_mode & stat.S_ISUID), setgid=bool(st.st_mode & stat.S_ISGID), size=st.st_size)
            st = None
        if not summary and image.format == "elf":
            facts.update(_libc_fields(image))
        rec = Binary(path=path, go=go, **facts)
    if st is not None:
        rec = replace(rec, setuid=bool(st.st_mode & stat.S_ISUID), setgid=bool(st.st_mode & stat.S_ISGID), size=st.st_size)
    later: dict = {}
    if not summary and getattr(image, "format", None) != "macho-universal":
        from .analysis import analyze  # issue 4: cgo, linker, hardening, findings, size (each slice its own)
        later = analyze(image, rec, path)
    if image.warnings:
        later["warnings"] = tuple(image.warnings)
    return replace(rec, **later) if later else rec


def _other_record(image, path: str, st: os.stat_result) -> Binary:
    """The one-line identification of a file that is not a binary (script, archive, linker script,
    text, data): what its format module decides, with the file's size and mode bits."""
    return Binary(path=path, **image.facts(), size=st.st_size, setuid=bool(st.st_mode & stat.S_ISUID),
                  setgid=bool(st.st_mode & stat.S_ISGID))


def _libc_fields(image) -> dict:
    """Issue 3's cheap fields: libc flavour and the symbol-version floors, from the file alone.
    Damaged version tables spoil only these fields (a warning), not the rest of the record."""
    from . import glibc

    floors = image.attempt("symbol versions", lambda: glibc.version_floors(image) or {})
    libc = image.attempt("symbol versions", lambda: glibc.libc_flavour(image))
    if floors is None:
        return {"libc": libc}
    return dict(libc=libc, glibc_min=floors["GLIBC"]["version"] if "GLIBC" in floors else None,
                version_floors=tuple(VersionFloor(fam, f["version"], tuple(f["symbols"])) for fam, f in floors.items()))


def _guard(path: str, fn, st: os.stat_result | None = None):
    try:
        return fn()
    except LinkscopeError as e:
        return error_record(path, e, st)
    except (IndexError, ValueError, OverflowError, UnicodeError, MemoryError, RecursionError) as e:
        # A format module missed a check: report it as malformed input, never a traceback.
        return error_record(path, Malformed(f"malformed data ({type(e).__name__}: {e})"), st)


def inspect(path: str | os.PathLike, *, summary: bool = False) -> Binary:
    """Everything linkscope can tell about one file, without executing it. Never raises for bad
    input: the record's ``error`` says what was wrong. ``summary``: the header facts only (see
    :func:`describe`), several times cheaper."""
    path = os.fspath(path)
    try:
        st = _stat(path)
    except LinkscopeError as e:
        return error_record(path, e)
    if stat.S_ISDIR(st.st_mode):   # identified, as file(1) does; the CLI's -r reads the files below it
        return Binary(path=path, format="directory", description="directory")

    def run():
        with open_image(path, st) as (image, st_):
            if getattr(image, "binary", True) is False:
                return _other_record(image, path, st_)
            return describe(image, path, st_, summary=summary)

    return _guard(path, run, st)
