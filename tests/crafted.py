"""Hand-built binaries: what no toolchain here makes, written with struct alone (never with the code
under test), for the tests of every format.

- :func:`elf64_header`: a minimal ELF64 executable header, any field overridden by name;
- :func:`build_fat`: a universal Mach-O file of given slices (32- or 64-bit fat table);
- :class:`Blob` and :func:`make_pe`: a PE image with one section holding import, delay-import,
  export and debug directories as the test lays them out;
- :func:`leb` and :func:`sleb`: LEB128 numbers (wasm, DWARF), as the wasm spec encodes them;
- :func:`wasm_module` and its parts (:func:`wasm_name`, :func:`wasm_vec`, :func:`wasm_section`,
  :func:`wasm_custom`): a WebAssembly module written byte by byte.
"""
from __future__ import annotations

import struct


# -- ELF -------------------------------------------------------------------------------------------
def elf64_header(**over) -> bytearray:
    """A minimal little-endian ELF64 executable header; fields by name can be overridden."""
    f = dict(type=2, machine=62, version=1, entry=0, phoff=0, shoff=0, flags=0, ehsize=64, phentsize=56,
             phnum=0, shentsize=64, shnum=0, shstrndx=0)
    f.update(over)
    ident = b"\x7fELF" + bytes([2, 1, 1, 0]) + bytes(8)
    return bytearray(ident + struct.pack("<HHIQQQIHHHHHH", f["type"], f["machine"], f["version"], f["entry"],
                                         f["phoff"], f["shoff"], f["flags"], f["ehsize"], f["phentsize"],
                                         f["phnum"], f["shentsize"], f["shnum"], f["shstrndx"]))


# -- universal Mach-O ------------------------------------------------------------------------------
def build_fat(slices: list[tuple[bytes, int, int]], magic64: bool = False, align: int = 12) -> bytes:
    """A universal file of ``(image, cputype, cpusubtype)`` slices, each aligned to 2**align."""
    n = len(slices)
    ent = 32 if magic64 else 20
    off = 8 + n * ent
    table, body = b"", b""
    for image, cpu, sub in slices:
        pad = -(off + len(body)) % (1 << align)
        body += b"\0" * pad
        start = off + len(body)
        if magic64:
            table += struct.pack(">IIQQII", cpu, sub, start, len(image), align, 0)
        else:
            table += struct.pack(">IIIII", cpu, sub, start, len(image), align)
        body += image
    return struct.pack(">II", 0xCAFEBABF if magic64 else 0xCAFEBABE, n) + table + body


# -- PE --------------------------------------------------------------------------------------------
SECT_RVA, SECT_OFF = 0x1000, 0x400


class Blob:
    """The contents of one section at SECT_RVA: append data, get its RVA."""

    def __init__(self):
        self.data = bytearray()

    def add(self, data: bytes, align: int = 8) -> int:
        self.data += bytes(-len(self.data) % align)
        rva = SECT_RVA + len(self.data)
        self.data += data
        return rva

    def put(self, rva: int, data: bytes) -> None:
        self.data[rva - SECT_RVA: rva - SECT_RVA + len(data)] = data


def thunks(blob: Blob, funcs, bits: int, va_base: int = 0) -> int:
    fmt = "<Q" if bits == 64 else "<I"
    entries = []
    for f in funcs:
        if isinstance(f, int):
            entries.append((1 << (bits - 1)) | f)
        else:
            entries.append(va_base + blob.add(struct.pack("<H", 7) + f.encode() + b"\0", 2))
    return blob.add(b"".join(struct.pack(fmt, e) for e in entries + [0]))


def import_directory(blob: Blob, dlls, bits: int, terminate: bool = True) -> int:
    descs = []
    for dll, funcs in dlls:
        ilt = thunks(blob, funcs, bits)
        iat = thunks(blob, funcs, bits)
        descs.append(struct.pack("<IIIII", ilt, 0, 0, blob.add(dll.encode() + b"\0", 2), iat))
    return blob.add(b"".join(descs) + (bytes(20) if terminate else b""), 4)


def delay_directory(blob: Blob, dlls, bits: int, image_base: int, va_based: bool = False) -> int:
    base = image_base if va_based else 0
    descs = []
    for dll, funcs in dlls:
        name = blob.add(dll.encode() + b"\0", 2)
        int_ = thunks(blob, funcs, bits, base)
        iat = thunks(blob, funcs, bits, base)
        descs.append(struct.pack("<IIIIIIII", 0 if va_based else 1, base + name, 0, base + iat, base + int_, 0, 0, 0))
    return blob.add(b"".join(descs) + bytes(32), 4)


def make_pe(blob: Blob | None = None, *, bits: int = 64, dirs: dict | None = None, dll: bool = False,
            subsystem: int = 3, image_base: int | None = None, vsize: int | None = None, nrva: int = 16,
            long_name: bytes | None = None, strtab: bytes = b"", nsyms: int = 0) -> bytearray:
    """A PE image: MZ stub, headers, one section holding ``blob`` (and an optional COFF string table)."""
    blob = blob or Blob()
    if image_base is None:
        image_base = 0x140000000 if bits == 64 else 0x400000
    raw = bytes(blob.data) + bytes(-len(blob.data) % 0x200)
    opt_fixed = 112 if bits == 64 else 96
    opt_size = opt_fixed + 8 * min(nrva, 16)
    dd = bytearray(8 * min(nrva, 16))
    for i, (rva, size) in (dirs or {}).items():
        struct.pack_into("<II", dd, 8 * i, rva, size)
    common = (0x20B if bits == 64 else 0x10B, 14, 0, 0x200, 0x200, 0, SECT_RVA, SECT_RVA)
    if bits == 64:
        opt = struct.pack("<HBBIIIIIQIIHHHHHHIIIIHHQQQQII", *common, image_base, 0x1000, 0x200, 6, 0, 0, 0, 6, 0,
                          0, 0x3000, SECT_OFF, 0, subsystem, 0x8160, 0x100000, 0x1000, 0x100000, 0x1000, 0, nrva)
    else:
        opt = struct.pack("<HBBIIIIIIIIIHHHHHHIIIIHHIIIIII", *common, SECT_RVA, image_base, 0x1000, 0x200, 6, 0, 0, 0, 6, 0,
                          0, 0x3000, SECT_OFF, 0, subsystem, 0x8140, 0x100000, 0x1000, 0x100000, 0x1000, 0, nrva)
    opt += dd
    symtab = SECT_OFF + len(raw) if (strtab or nsyms) else 0
    chars = 0x2022 if dll else 0x22
    fh = struct.pack("<HHIIIHH", 0x8664 if bits == 64 else 0x14C, 1, 0, symtab, nsyms, opt_size, chars)
    name = long_name or b".idata"
    sh = struct.pack("<8sIIIIIIHHI", name, len(blob.data) if vsize is None else vsize, SECT_RVA, len(raw),
                     SECT_OFF if raw else 0, 0, 0, 0, 0, 0xC0000040)
    out = bytearray(SECT_OFF)
    out[0:2] = b"MZ"
    struct.pack_into("<H", out, 0x18, 0x40)   # e_lfarlc: a PE stub, not a plain DOS program
    struct.pack_into("<I", out, 0x3C, 0x40)   # e_lfanew
    hdr = b"PE\0\0" + fh + opt + sh
    out[0x40:0x40 + len(hdr)] = hdr
    out += raw
    if symtab:
        out += bytes(18 * nsyms) + struct.pack("<I", 4 + len(strtab)) + strtab
    return out


def off_of(rva: int) -> int:
    return rva - SECT_RVA + SECT_OFF


# -- LEB128 -----------------------------------------------------------------------------------------
def leb(n: int) -> bytes:
    """An unsigned LEB128 number, in as few bytes as it takes."""
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        out.append(b | (0x80 if n else 0))
        if not n:
            return bytes(out)


def sleb(n: int) -> bytes:
    """A signed LEB128 number, in as few bytes as it takes."""
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        done = (n == 0 and not b & 0x40) or (n == -1 and b & 0x40)
        out.append(b if done else b | 0x80)
        if done:
            return bytes(out)


# -- WebAssembly ------------------------------------------------------------------------------------
WASM_HEADER = b"\0asm\x01\0\0\0"


def wasm_name(s: str | bytes) -> bytes:
    b = s.encode() if isinstance(s, str) else s
    return leb(len(b)) + b


def wasm_vec(items: list[bytes]) -> bytes:
    return leb(len(items)) + b"".join(items)


def wasm_section(sid: int, payload: bytes) -> bytes:
    return bytes([sid]) + leb(len(payload)) + payload


def wasm_custom(nm: str, payload: bytes = b"") -> bytes:
    return wasm_section(0, wasm_name(nm) + payload)


def wasm_module(*sections: bytes) -> bytes:
    return WASM_HEADER + b"".join(sections)


# -- ELF64 files with tables ------------------------------------------------------------------------
PT_LOAD, PT_DYNAMIC, PT_INTERP, PT_NOTE = 1, 2, 3, 4
SHT_PROGBITS, SHT_STRTAB, SHT_DYNAMIC, SHT_NOTE, SHT_DYNSYM = 1, 3, 6, 7, 11
DT_NULL, DT_NEEDED, DT_STRTAB, DT_STRSZ = 0, 1, 5, 10


def elf64_phdr(type, flags=4, offset=0, vaddr=0, filesz=0, memsz=None, align=0x1000) -> bytes:
    """One ELF64 program header (p_paddr = p_vaddr; p_memsz = p_filesz unless given)."""
    return struct.pack("<IIQQQQQQ", type, flags, offset, vaddr, vaddr, filesz, filesz if memsz is None else memsz, align)


def elf64_shdr(name=0, type=0, flags=0, addr=0, offset=0, size=0, link=0, info=0, align=1, entsize=0) -> bytes:
    """One ELF64 section header."""
    return struct.pack("<IIQQQQIIQQ", name, type, flags, addr, offset, size, link, info, align, entsize)


def elf64_file(phdrs=(), shdrs=(), parts: dict | None = None, *, phoff=None, shoff=None, size=0, **hdr) -> bytearray:
    """An ELF64 executable: the header, ``phdrs`` right after it (or at ``phoff``), ``shdrs`` after
    those (or at ``shoff``), and each of ``parts`` ({offset: bytes}) written at its offset; the file
    is at least ``size`` bytes. Header fields by name as :func:`elf64_header`."""
    ph = b"".join(phdrs)
    sh = b"".join(shdrs)
    if phoff is None:
        phoff = 64 if phdrs else 0
    if shoff is None:
        shoff = (phoff or 64) + len(ph) if shdrs else 0
    hdr.setdefault("phnum", len(phdrs))
    hdr.setdefault("shnum", len(shdrs))
    out = elf64_header(phoff=phoff, shoff=shoff, **hdr)
    writes = dict(parts or {})
    if ph:
        writes[phoff] = ph
    if sh:
        writes[shoff] = sh
    for off, data in writes.items():
        if len(out) < off + len(data):
            out += bytes(off + len(data) - len(out))
        out[off:off + len(data)] = data
    if len(out) < size:
        out += bytes(size - len(out))
    return out


# -- Mach-O ----------------------------------------------------------------------------------------
def macho64(*cmds: bytes, ncmds=None, sizeofcmds=None, filetype=2, tail: bytes = b"") -> bytes:
    """A little-endian 64-bit arm64 Mach-O file of the given load commands (then ``tail``)."""
    body = b"".join(cmds)
    return struct.pack("<IiiIIIII", 0xFEEDFACF, 0x0100000C, 0, filetype, len(cmds) if ncmds is None else ncmds,
                       len(body) if sizeofcmds is None else sizeofcmds, 0, 0) + body + tail


def macho_segment64(name: str, vmaddr: int, vmsize: int, fileoff: int, filesize: int,
                    sections=()) -> bytes:
    """An LC_SEGMENT_64 with ``sections`` of (sectname, addr, size, offset)."""
    secs = b"".join(struct.pack("<16s16sQQIIIIIIII", s.encode(), name.encode(), addr, size, off, 0, 0, 0, 0, 0, 0, 0)
                    for s, addr, size, off in sections)
    return struct.pack("<II16sQQQQiiII", 0x19, 72 + len(secs), name.encode(), vmaddr, vmsize, fileoff, filesize,
                       3, 3, len(sections), 0) + secs


# -- Go build info ---------------------------------------------------------------------------------
def go_buildinfo_inline(version: bytes, modinfo: bytes, *, version_len: int | None = None) -> bytes:
    """A Go 1.18+ build info blob (inline strings, 8-byte pointers); ``version_len`` lies about the
    version's length."""
    n = len(version) if version_len is None else version_len
    return (b"\xff Go buildinf:" + bytes([8, 2]) + bytes(16) + leb(n) + version + leb(len(modinfo)) + modinfo)
