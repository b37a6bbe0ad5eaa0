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
