"""bytes -> format image -> a frozen Binary record. Nothing here prints."""
from __future__ import annotations

import os
import stat

from . import sniff as sn
from .byteview import ByteView
from .errors import RECORD_ERRORS, InputError, LinkscopeError, Malformed, Truncated
from .files import Files, host_capabilities, open_host
from .model import Binary, ErrorInfo, VersionFloor
from .record import replace


def _parse(view: ByteView):
    head = bytes(view.buf[view.base:view.base + 64])
    kind = sn.sniff(head)
    if kind == sn.ELF:
        return _module("formats.elf").parse(view)
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
    from .formats import text  # anything else is a linker script, text or data, not an error
    return text.parse(view)


def _module(name: str):
    """The module linkscope.NAME, imported on first use and kept: a batch describes hundreds of
    files, and an import statement costs microseconds on every call; what a file does not need
    (another format's reader, the analyses for the one-line output) is never imported."""
    mod = _LOADED.get(name)
    if mod is None:
        mod = _LOADED[name] = __import__(f"{__package__}.{name}", fromlist=["_"])
    return mod


_LOADED: dict = {}


def open_image(path: str, st: os.stat_result | None = None, *, files: Files | None = None) -> "_Opened":
    """``with open_image(path) as (image, st):`` the parsed image of ``path`` and its stat (``st``
    when the caller has it), valid inside the block (the file stays mapped until then). ``path`` is
    a path of this machine, or with ``files`` a canonical path inside that tree (``Resolved.real``).
    Raises a LinkscopeError for anything that is not a readable binary."""
    return _Opened(path, st, files)


class _Opened:
    # A class, not contextlib.contextmanager: contextlib (with collections and functools) costs
    # more to import than a binary costs to read.
    __slots__ = ("path", "st", "files", "_file")

    def __init__(self, path: str, st: os.stat_result | None, files: Files | None):
        self.path, self.st, self.files, self._file = path, st, files, None

    def __enter__(self):
        path = self.path
        st = self.st
        if st is None:
            st = self.st = _stat(path) if self.files is None else _resolved_stat(self.files, path)
        if stat.S_ISDIR(st.st_mode):
            raise InputError("is a directory")
        if not stat.S_ISREG(st.st_mode):
            raise InputError(not_regular_message(st.st_mode))
        if st.st_size == 0:
            return _parse(ByteView(b"", path=path)), st   # "empty", as file(1) says: nothing to read
        f = self._file = open_host(path) if self.files is None else self.files.open(path)
        try:
            # Most files of a tree are not binaries: decide from the first bytes before mapping
            # anything. A small file (scripts, most programs) is read whole by that one read.
            head = f.head(64)
            kind = sn.sniff(head)
            short = kind and sn.too_short(kind, head, f.size)
            if short:
                raise Truncated(short)
            return _parse(f.view()), st
        except BaseException:
            self.__exit__(None, None, None)
            raise

    def __exit__(self, *exc) -> None:
        f, self._file = self._file, None
        if f is not None:
            f.close()


def _resolved_stat(files: Files, real: str) -> os.stat_result:
    r = files.resolve(real)
    if not r.ok:
        raise InputError(r.message or "no such file")
    return r.st


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


def describe(image, path: str, st: os.stat_result | None = None, *, summary: bool = False, capabilities=None) -> Binary:
    """The Binary record of a parsed image (a universal image yields one record per slice).
    ``summary``: only what the format's headers and the Go build info say (the one-line output):
    the libc facts and the analyses (cgo, linker, hardening, findings, sizes) are left at their
    defaults, which then mean "not computed", not "none". ``capabilities`` reads the file's
    ``security.capability`` attribute when called (see :func:`analysis.analyze`)."""
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
        go = image.attempt("Go build info", lambda: _module("go.buildinfo").read_buildinfo(image))
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
        # cgo, linker, hardening, findings, size (each slice its own)
        later = _module("analysis").analyze(image, rec, capabilities=capabilities)
    if image.warnings:
        later["warnings"] = tuple(image.warnings)
    return replace(rec, **later) if later else rec


def _other_record(image, path: str, st: os.stat_result) -> Binary:
    """The one-line identification of a file that is not a binary (script, archive, linker script,
    text, data): what its format module decides, with the file's size and mode bits."""
    return Binary(path=path, **image.facts(), size=st.st_size, setuid=bool(st.st_mode & stat.S_ISUID),
                  setgid=bool(st.st_mode & stat.S_ISGID))


def _libc_fields(image) -> dict:
    """The cheap C-library fields: libc flavour and the symbol-version floors, from the file alone.
    Damaged version tables spoil only these fields (a warning), not the rest of the record."""
    libc = _module("libc")
    floors = image.attempt("symbol versions", lambda: libc.version_floors(image) or {})
    flavour = image.attempt("symbol versions", lambda: libc.libc_flavour(image))
    if floors is None:
        return {"libc": flavour}
    return dict(libc=flavour, glibc_min=floors["GLIBC"]["version"] if "GLIBC" in floors else None,
                version_floors=tuple(VersionFloor(fam, f["version"], tuple(f["symbols"])) for fam, f in floors.items()))


def _guard(path: str, fn, st: os.stat_result | None = None):
    try:
        return fn()
    except LinkscopeError as e:
        return error_record(path, e, st)
    except RECORD_ERRORS as e:
        # A format module missed a check: report it as malformed input, never a traceback.
        return error_record(path, Malformed(f"malformed data ({type(e).__name__}: {e})"), st)


def inspect(path: str | os.PathLike, *, summary: bool = False, files: Files | None = None) -> Binary:
    """Everything linkscope can tell about one file, without executing it. Never raises for bad
    input: the record's ``error`` says what was wrong. ``summary``: the header facts only (see
    :func:`describe`), several times cheaper. ``files``: ``path`` is a path inside that tree,
    resolved there (symbolic links never lead out of it); else a path of this machine."""
    path = os.fspath(path)
    real = path
    try:
        if files is None:
            st = _stat(path)
        else:
            r = files.resolve(path)
            if not r.ok:
                raise InputError(r.message or "no such file")
            real, st = r.real, r.st
    except LinkscopeError as e:
        return error_record(path, e)
    if stat.S_ISDIR(st.st_mode):   # identified, as file(1) does; the CLI's -r reads the files below it
        return Binary(path=path, format="directory", description="directory")

    def run():
        with open_image(real, st, files=files) as (image, st_):
            if getattr(image, "binary", True) is False:
                return _other_record(image, path, st_)
            caps = (lambda: host_capabilities(path)) if files is None else (lambda: files.capabilities(real))
            return describe(image, path, st_, summary=summary, capabilities=caps)

    return _guard(path, run, st)
