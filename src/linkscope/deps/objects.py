"""What resolution needs to know of each file, read once per linkscope call and shared by every input.

A candidate library is first judged by its ELF header alone (64 bytes): class, byte order, machine,
type, as the loader's open_verify judges it. Only an accepted candidate is parsed further, through
the format parsers, for the loader's view of it: interpreter, DT_NEEDED, DT_SONAME, DT_RPATH,
DT_RUNPATH, DT_FLAGS_1 (read through the program headers, as ld.so reads them). The records are
frozen and cached by (root, canonical path, device, inode, size, mtime), so ``linkscope deps a b c``
reads each shared library once.
"""
from __future__ import annotations

import os
import stat
import struct
from ..record import record

from ..errors import RECORD_ERRORS, LinkscopeError, Malformed, UnsupportedFormat
from ..files import Files, Resolved

from ..formats.elf import DF_1_NODEFLIB, DT_FLAGS_1, DT_RPATH, DT_RUNPATH, DT_SONAME, PT_DYNAMIC, linkage_of


@record
class ElfIdent:
    bits: int
    little: bool
    machine: int
    e_type: int
    eflags: int
    osabi: int


def read_ident(head: bytes) -> ElfIdent | str:
    """The header fields the loader checks, or why the bytes are not an ELF header it could use."""
    if len(head) < 4 or head[:4] != b"\x7fELF":
        return "invalid ELF header" if len(head) >= 4 else "file too short"
    if len(head) < 52:
        return "file too short"
    cls, data = head[4], head[5]
    if cls not in (1, 2) or data not in (1, 2):
        return "invalid ELF header"
    e = "<" if data == 1 else ">"
    e_type, machine = struct.unpack_from(e + "HH", head, 16)
    if cls == 1:
        eflags = struct.unpack_from(e + "I", head, 36)[0]
    else:
        if len(head) < 64:
            return "file too short"
        eflags = struct.unpack_from(e + "I", head, 48)[0]
    return ElfIdent(32 if cls == 1 else 64, data == 1, machine, e_type, eflags, head[7])


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
        raise Malformed(f"{w.table}: {w.message}", offset=w.offset)
    interp = image.interpreter
    dynamic = any(p.type == PT_DYNAMIC for p in image.segments)
    if not dynamic:
        return ElfObject(ident, interp)
    rp, rn, so = image.dyn(DT_RPATH), image.dyn(DT_RUNPATH), image.dyn(DT_SONAME)
    return ElfObject(
        ident, interp, tuple(image.needed),
        image.dynstr(so[-1]) if so else None,
        image.dynstr(rp[-1]) if rp else None,
        image.dynstr(rn[-1]) if rn else None,
        image.dyn1(DT_FLAGS_1) or 0, True)


class _FullParse(Exception):
    """The quick reader cannot answer (no program headers, extended numbering, strings outside the
    loaded segments): use the full ELF parser."""


_DYN_TAGS = (DT_RPATH, DT_RUNPATH, DT_SONAME, DT_FLAGS_1)
_PHDR = {(64, True): struct.Struct("<IIQQQQQQ"), (64, False): struct.Struct(">IIQQQQQQ"),
         (32, True): struct.Struct("<IIIIIIII"), (32, False): struct.Struct(">IIIIIIII")}
_DYN = {(64, True): struct.Struct("<qQ"), (64, False): struct.Struct(">qQ"),
        (32, True): struct.Struct("<iI"), (32, False): struct.Struct(">iI")}


def quick_elf_object(view) -> ElfObject:
    """The loader's view of an ELF file read as ld.so reads it: the ELF header, the program headers,
    PT_INTERP, PT_DYNAMIC and the dynamic string table, nothing else (no section headers). Raises
    Malformed/Truncated like the full parser, _FullParse when only the full parser can answer."""
    from ..errors import Malformed

    head = view.bytes(0, min(view.size, 64), "ELF header")
    ident = read_ident(head)
    if isinstance(ident, str):
        raise Malformed(ident, offset=view.base)
    v = view.with_endian(ident.little)
    bits = ident.bits
    if bits == 64:
        phoff, phentsize, phnum = v.u64(32), v.u16(54), v.u16(56)
    else:
        phoff, phentsize, phnum = v.u32(28), v.u16(42), v.u16(44)
    ph = _PHDR[bits, ident.little]
    if not phoff or not phnum or phnum == 0xFFFF:
        raise _FullParse()
    if phentsize < ph.size:
        raise Malformed(f"program header entry size {phentsize} < {ph.size}", offset=view.base)
    v.check_array(phoff, phnum, phentsize, "program header table")
    table = v.bytes(phoff, phnum * phentsize, "program header table")
    rows = ph.iter_unpack(table) if phentsize == ph.size else (ph.unpack_from(table, i * phentsize) for i in range(phnum))
    loads, interp_seg, dyn_seg = [], None, None
    for f in rows:
        if bits == 64:
            p_type, off, vaddr, filesz = f[0], f[2], f[3], f[5]
        else:
            p_type, off, vaddr, filesz = f[0], f[1], f[2], f[4]
        if p_type == 1:
            loads.append((vaddr, filesz, off))
        elif p_type == 3 and interp_seg is None:
            interp_seg = (off, filesz)
        elif p_type == PT_DYNAMIC and dyn_seg is None:
            dyn_seg = (off, filesz)
    interp = None
    if interp_seg is not None:
        raw = v.bytes(interp_seg[0], min(interp_seg[1], 4096), "PT_INTERP")
        interp = raw.split(b"\0", 1)[0].decode("utf-8", "surrogateescape")
    if dyn_seg is None:
        return ElfObject(ident, interp)
    dst = _DYN[bits, ident.little]
    count = min(dyn_seg[1] // dst.size, 1 << 16)
    v.check_array(dyn_seg[0], count, dst.size, "dynamic table")
    needed, last, strtab, strsz = [], {}, None, None
    for tag, val in dst.iter_unpack(v.bytes(dyn_seg[0], count * dst.size, "dynamic table")):
        if tag == 0:
            break
        if tag == 1:
            needed.append(val)
        elif tag == 5:
            strtab = val
        elif tag == 10:
            strsz = val
        elif tag in _DYN_TAGS:
            last[tag] = val
    strs = None
    if needed or any(t in last for t in (DT_RPATH, DT_RUNPATH, DT_SONAME)):
        if strtab is None:
            raise Malformed("dynamic table has strings but no DT_STRTAB", offset=view.base)
        off = next((o + (strtab - va) for va, fs, o in loads if va <= strtab < va + fs), None)
        if off is None:
            raise _FullParse()
        size = strsz if strsz is not None and off + strsz <= v.size else v.size - off
        strs = v.sub(off, size, "dynamic string table")

    def s(o):
        return strs.cstring(o, 4096, "dynamic string")

    return ElfObject(ident, interp, tuple(s(o) for o in needed),
                     s(last[DT_SONAME]) if DT_SONAME in last else None,
                     s(last[DT_RPATH]) if DT_RPATH in last else None,
                     s(last[DT_RUNPATH]) if DT_RUNPATH in last else None,
                     last.get(DT_FLAGS_1, 0), True)


def load_elf_object(fs: Files, real: str) -> ElfObject:
    """The ElfObject of a resolved file (quick reader, full parser when needed); raises LinkscopeError."""
    with fs.open(real) as f:
        try:
            return quick_elf_object(f.view())
        except _FullParse:
            pass
        except RECORD_ERRORS as e:
            raise Malformed(f"malformed data ({type(e).__name__}: {e})") from None
    from ..inspector import open_image

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
    from ..inspector import open_image

    try:
        with open_image(r.real, r.st, files=fs) as (image, _st):
            return convert(image)
    except LinkscopeError as e:
        return str(e)
    except RECORD_ERRORS as e:
        return f"malformed data ({type(e).__name__}: {e})"
