"""What resolution needs to know of each file, read once per linkscope call and shared by every input.

A candidate library is first judged by its ELF header alone (64 bytes): class, byte order, machine,
type, as the loader's open_verify judges it. Only an accepted candidate is parsed further, by the ELF
reader (formats.elf), for the loader's view of it: interpreter, DT_NEEDED, DT_SONAME, DT_RPATH,
DT_RUNPATH, DT_FLAGS_1 (read through the program headers, as ld.so reads them; of a repeated tag, the
last, as ld.so keeps it). The records are
frozen and cached by (root, canonical path, device, inode, size, mtime), so ``linkscope deps a b c``
reads each shared library once.
"""
from __future__ import annotations

import os
import stat

from ..record import record

from ..byteview import ByteView
from ..errors import RECORD_ERRORS, LinkscopeError, Malformed, Truncated, UnsupportedFormat
from ..files import Files, Resolved
from ..inspector import open_image
from ..formats.elf import DF_1_NODEFLIB, DT_FLAGS_1, DT_RPATH, DT_RUNPATH, PT_DYNAMIC, linkage_of, read_header


@record
class ElfIdent:
    bits: int
    little: bool
    machine: int
    e_type: int
    eflags: int
    osabi: int


def read_ident(head: bytes) -> ElfIdent | str:
    """The header fields the loader checks (read by the ELF reader from the first 64 bytes), or why
    the bytes are not an ELF header it could use, in ld.so's words."""
    if len(head) < 4 or head[:4] != b"\x7fELF":
        return "invalid ELF header" if len(head) >= 4 else "file too short"
    try:
        bits, little, osabi, _abiversion, f = read_header(ByteView(head))
    except Truncated:
        return "file too short"
    except LinkscopeError:
        return "invalid ELF header"
    return ElfIdent(bits, little, f[1], f[0], f[6], osabi)


@record
class ElfObject:
    """The loader's view of one ELF file."""

    ident: ElfIdent
    interpreter: str | None = None
    needed: tuple[str, ...] = ()
    soname: str | None = None
    rpath: str | None = None        # the DT_RPATH string (the last one, as ld.so keeps it), as written
    runpath: str | None = None      # the DT_RUNPATH string
    flags_1: int = 0
    dynamic: bool = False           # has PT_DYNAMIC
    error: str | None = None        # the dynamic section could not be read: needs unknown

    @property
    def nodeflib(self) -> bool:
        return bool(self.flags_1 & DF_1_NODEFLIB)

    @property
    def linkage(self) -> str | None:
        """The verdict inspect gives (formats.elf.linkage_of), from the loader's view."""
        return linkage_of(self.ident.e_type, self.dynamic, self.interpreter is not None, self.flags_1, bool(self.needed))


def elf_object(image) -> ElfObject:
    """The record of a parsed ElfImage (raises LinkscopeError for a damaged dynamic section)."""
    if getattr(image, "format", None) != "elf":
        raise UnsupportedFormat(f"not an ELF file ({getattr(image, 'format', 'unknown')})")
    ident = ElfIdent(image.bits, image.little, image.machine, image.e_type, image.eflags, image.osabi)
    if not image.program_headers_ok or not image.dynamic_readable:
        # The loader reads these and nothing else: what the file needs is unknown, which is an error
        # here (an empty list would read as "needs nothing").
        w = next(w for w in image.warnings if w.table in ("program headers", "dynamic table"))
        raise (Truncated if w.kind == "truncated" else Malformed)(w.message, offset=w.offset)
    interp = image.interpreter
    dynamic = any(p.type == PT_DYNAMIC for p in image.segments)
    if not dynamic:
        return ElfObject(ident, interp)
    rp, rn = image.dyn1(DT_RPATH), image.dyn1(DT_RUNPATH)
    return ElfObject(
        ident, interp, tuple(image.needed), image.soname,
        None if rp is None else image.dynstr(rp),
        None if rn is None else image.dynstr(rn),
        image.dyn1(DT_FLAGS_1) or 0, True)


def load_elf_object(fs: Files, real: str) -> ElfObject:
    """The ElfObject of a resolved file, read by the ELF reader (formats.elf); raises LinkscopeError."""
    with open_image(real, files=fs) as (image, _st):
        return elf_object(image)


def file_key(real: str, st: os.stat_result) -> tuple:
    return (real, st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)


class Objects:
    """Parsed records of the files one Files holds, shared by all inputs of one call."""

    def __init__(self, fs: Files):
        self.fs = fs
        self._idents: dict[tuple, ElfIdent | str] = {}
        self._parsed: dict[tuple, object] = {}

    def ident(self, r: Resolved) -> ElfIdent | str:
        """The ELF header of a resolved file, or why it is unusable ("not a regular file", ...)."""
        if not stat.S_ISREG(r.st.st_mode):
            return "not a regular file"
        key = file_key(r.real, r.st)
        v = self._idents.get(key)
        if v is None:
            head, err = self.fs.head(r.real, 64)
            v = err if head is None else read_ident(head)
            self._idents[key] = v
        return v

    def parse(self, r: Resolved, convert):
        """``convert(image)`` of the file, cached; a LinkscopeError becomes its message (a str)."""
        key = (file_key(r.real, r.st), convert)
        v = self._parsed.get(key)
        if v is None:
            v = load(self.fs, r, convert)
            self._parsed[key] = v
        return v

    def elf(self, r: Resolved) -> ElfObject | str:
        """The ElfObject of a resolved file, read once per call."""
        key = (file_key(r.real, r.st), "elf")
        v = self._parsed.get(key)
        if v is None:
            try:
                v = load_elf_object(self.fs, r.real)
            except LinkscopeError as e:
                v = str(e)
            except RECORD_ERRORS as e:
                v = f"malformed data ({type(e).__name__}: {e})"
            self._parsed[key] = v
        return v


def load(fs: Files, r: Resolved, convert):
    """Open a resolved file with the format parsers and return ``convert(image)``, or an error message."""
    try:
        with open_image(r.real, r.st, files=fs) as (image, _st):
            return convert(image)
    except LinkscopeError as e:
        return str(e)
    except RECORD_ERRORS as e:
        return f"malformed data ({type(e).__name__}: {e})"
