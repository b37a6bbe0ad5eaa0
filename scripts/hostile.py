#!/usr/bin/env python3
"""Write a catalogue of hostile inputs: one crafted file (or directory tree) per case, and a manifest.

    python3 scripts/hostile.py OUTDIR

Each case is built with struct alone (the builders of tests/crafted.py), never with linkscope's own
code. OUTDIR/manifest.json lists, per case: ``name``, ``what`` (the trap), ``file`` (the input, relative
to OUTDIR), ``root`` (for a directory setup: the --root the file is resolved in, else null) and
``expect``, what linkscope must say about it:

- ``{"outcome": "error", "kind": K, "message": FRAGMENT}``: an error record of that kind;
- ``{"outcome": "partial", "table": T, "kind": K}``: a partial record with a warning of that table and kind;
- ``{"outcome": "slice-error", "slice": I, "kind": K, "message": FRAGMENT}``: a universal file whose
  slice I is an error of that kind (the others read);
- ``{"outcome": "fine"}`` (optionally ``"format"``): the file reads without an error or a warning;
- ``{"outcome": "deps-warning", "warning": FRAGMENT, "libraries": [[NAME, PATH], ...] or null}``: the
  file reads fine, and ``deps`` (in ``root``, when given) says FRAGMENT on stderr, finishes, and lists
  those libraries.
- ``{"outcome": "image", "warnings": [FRAGMENT, ...], "binaries": [PATH, ...], "binary": PATH or null,
  "libraries": [[NAME, PATH(, REALPATH)], ...] or null}``: the file is a container image (an OCI layout
  or a docker save tarball, as a tar); ``scan`` of it says each FRAGMENT on stderr and finds exactly
  those binaries (paths inside the image), each read without an error, nothing is written outside its
  temporary directory, which is gone when it ends; ``inspect --root`` reads PATH inside it without a
  complaint, and ``deps --root`` lists those libraries for it (PATH null for a library not found).

The images are written with tarfile and json (the builders of tests/imagekit.py).

tests/test_hostile.py runs every case through the CLI and holds it to its expectation and to the
invariants of bounded time and memory.
"""
from __future__ import annotations

import json
import os
import struct
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from imagekit import D, F, H, L, docker_legacy, layer, oci_dir, tar_dir  # noqa: E402
from crafted import (DT_NEEDED, DT_NULL, DT_STRSZ, DT_STRTAB, PT_DYNAMIC, PT_INTERP, PT_LOAD, PT_NOTE,  # noqa: E402
                     SECT_RVA, SHT_DYNAMIC, SHT_DYNSYM, SHT_NOTE, SHT_PROGBITS, SHT_STRTAB, Blob, build_fat,
                     elf64_file, elf64_header, elf64_phdr, elf64_shdr, go_buildinfo_inline, import_directory, leb,
                     macho64, macho_segment64, make_pe, wasm_module, wasm_section)

U32, U64 = (1 << 32) - 1, (1 << 64) - 1
INTERP = b"/lib64/ld-linux-x86-64.so.2\0"
CASES: list[dict] = []


def case(name: str, what: str, expect: dict, data: bytes | None = None, *, file: str | None = None,
         root: str | None = None) -> None:
    CASES.append(dict(name=name, what=what, file=file or name, root=root, expect=expect, data=data))


def error(kind: str, message: str) -> dict:
    return dict(outcome="error", kind=kind, message=message)


def partial(table: str, kind: str) -> dict:
    return dict(outcome="partial", table=table, kind=kind)


FINE = dict(outcome="fine")


def deps_warning(fragment: str, libraries: list | None = None) -> dict:
    """``deps`` says ``fragment`` on stderr; ``libraries``: [(name, path or None)] it then lists."""
    return dict(outcome="deps-warning", warning=fragment, libraries=libraries)


# -- ELF -------------------------------------------------------------------------------------------
def dynamic_elf(needed=("libc.so.6",), *, interp: bytes = INTERP, strtab_addr: int | None = None,
                terminate: bool = True, extra_entries: int = 0, tags=()) -> bytearray:
    """A small dynamic executable: PT_LOAD over the whole file, PT_INTERP, PT_DYNAMIC (DT_NEEDED..., DT_NULL)."""
    base = 0x400000
    strs = b"\0" + b"".join(n.encode() + b"\0" for n in needed)
    interp_off, str_off, dyn_off = 0x200, 0x300, 0x400
    offs, pos = [], 1
    for n in needed:
        offs.append(pos)
        pos += len(n) + 1
    dyn = struct.pack("<qQ", DT_STRTAB, base + str_off if strtab_addr is None else strtab_addr)
    dyn += struct.pack("<qQ", DT_STRSZ, len(strs))
    dyn += b"".join(struct.pack("<qQ", DT_NEEDED, o) for o in offs)
    dyn += struct.pack("<qQ", DT_NEEDED, offs[0]) * extra_entries
    dyn += b"".join(struct.pack("<qQ", t, v) for t, v in tags)
    if terminate:
        dyn += struct.pack("<qQ", DT_NULL, 0)
    end = dyn_off + len(dyn)
    ph = [elf64_phdr(PT_INTERP, 4, interp_off, base + interp_off, len(interp), align=1),
          elf64_phdr(PT_LOAD, 5, 0, base, end),
          elf64_phdr(PT_DYNAMIC, 6, dyn_off, base + dyn_off, len(dyn), align=8)]
    return elf64_file(ph, parts={interp_off: interp, str_off: strs, dyn_off: dyn}, entry=base + 0x100, type=2)


def section0(size=0, link=0, info=0) -> bytes:
    """Section 0 of a file using extended numbering: sh_size = e_shnum, sh_link = e_shstrndx,
    sh_info = e_phnum."""
    return elf64_shdr(size=size, link=link, info=info)


def elf_cases() -> None:
    case("elf-shnum-extended-4g", "e_shnum 0: the real count in section 0's sh_size, 2^32-1",
         partial("section headers", "malformed"),
         elf64_file(shdrs=[section0(size=U32)], shnum=0))
    case("elf-phnum-extended-4g", "e_phnum PN_XNUM: the real count in section 0's sh_info, 2^32-1",
         partial("program headers", "truncated"),
         elf64_file(shdrs=[section0(info=U32)], phnum=0xFFFF, phoff=64, shoff=64, shnum=1))
    case("elf-phentsize-0", "e_phentsize 0 with one program header", partial("program headers", "malformed"),
         elf64_file([elf64_phdr(PT_LOAD, filesz=0x78)], phentsize=0))
    case("elf-phentsize-ffff", "e_phentsize 0xffff (the largest a u16 holds) and e_phnum 0xfffe",
         partial("program headers", "truncated"),
         elf64_file([elf64_phdr(PT_LOAD, filesz=0x78)], phentsize=0xFFFF, phnum=0xFFFE))
    case("elf-shentsize-ffff", "e_shentsize 0xffff and e_shnum 0xfffe", partial("section headers", "truncated"),
         elf64_file(shdrs=[elf64_shdr(), elf64_shdr(type=SHT_PROGBITS)], shentsize=0xFFFF, shnum=0xFFFE))
    case("elf-shentsize-0", "e_shentsize 0 with sections", partial("section headers", "malformed"),
         elf64_file(shdrs=[elf64_shdr(), elf64_shdr(type=SHT_PROGBITS)], shentsize=0))
    dyn = dynamic_elf()
    shs = [elf64_shdr(), elf64_shdr(type=SHT_DYNSYM, offset=0x300, size=0x100, entsize=U64, link=2),
           elf64_shdr(type=SHT_STRTAB, offset=0x300, size=0x20)]
    case("elf-sh-entsize-max", "a dynamic symbol table of sh_entsize 2^64-1", FINE,
         _with_sections(dyn, shs))
    shs0 = [elf64_shdr(), elf64_shdr(type=SHT_DYNSYM, offset=0x300, size=0x100, entsize=0, link=2),
            elf64_shdr(type=SHT_STRTAB, offset=0x300, size=0x20)]
    case("elf-sh-entsize-0", "a dynamic symbol table of sh_entsize 0", FINE, _with_sections(dyn, shs0))
    case("elf-phoff-past-end", "e_phoff far past the end of the file", partial("program headers", "malformed"),
         elf64_header(phoff=1 << 62, phnum=4))
    case("elf-phoff-wraps", "e_phoff + the table's size wraps around 2^64", partial("program headers", "malformed"),
         elf64_header(phoff=U64 - 55, phnum=2))
    case("elf-shoff-wraps", "e_shoff + the table's size wraps around 2^64", partial("section headers", "malformed"),
         elf64_header(shoff=U64 - 63, shnum=2))
    case("elf-segment-wraps", "a PT_INTERP whose p_offset + p_filesz wraps around 2^64",
         partial("interpreter", "malformed"),
         elf64_file([elf64_phdr(PT_INTERP, 4, U64 - 7, 0, 16)]))
    case("elf-section-wraps", "a section whose sh_offset + sh_size wraps around 2^64", FINE,
         elf64_file(shdrs=[elf64_shdr(), elf64_shdr(type=SHT_PROGBITS, offset=U64 - 15, size=32)]))
    case("elf-overlapping-tables", "section headers at the program headers' offset: each table read from the other's bytes",
         FINE, elf64_file([elf64_phdr(PT_LOAD, filesz=0x200)] * 4, shoff=64, shnum=3, size=0x200))
    case("elf-dynamic-no-null", "a dynamic section of 100000 DT_NEEDED entries and no DT_NULL",
         partial("dynamic table", "malformed"), dynamic_elf(terminate=False, extra_entries=100_000))
    case("elf-dynamic-no-null-short", "a dynamic section of two entries and no DT_NULL: read to its end", FINE,
         dynamic_elf(terminate=False))
    case("elf-verneednum-4g", "DT_VERNEEDNUM 2^32-1 version needs", partial("symbol versions", "malformed"),
         dynamic_elf(tags=[(0x6FFFFFFE, 0x400300), (0x6FFFFFFF, U32)]))
    case("elf-verneed-self-chain", "a version need whose vn_aux and vn_next are 0: each record is itself, read once",
         FINE, _self_verneed())
    case("elf-dynstr-anywhere", "DT_STRTAB at an address outside every segment",
         partial("dynamic strings", "malformed"), dynamic_elf(strtab_addr=0xDEADBEEF000))
    note = struct.pack("<III", U32, U32, 1) + b"GNU\0" + bytes(16)
    case("elf-note-bogus-sizes", "a PT_NOTE whose namesz and descsz are 2^32-1", partial("notes", "malformed"),
         elf64_file([elf64_phdr(PT_NOTE, 4, 0x100, 0, len(note), align=4),
                     elf64_phdr(PT_LOAD, 4, 0, 0x400000, 0x100 + len(note))], parts={0x100: note}))
    note_sh = elf64_shdr(type=SHT_NOTE, offset=0x100, size=len(note), align=4)
    case("elf-note-section-bogus-sizes", "a SHT_NOTE section whose namesz and descsz are 2^32-1",
         partial("notes", "malformed"),
         elf64_file(shdrs=[elf64_shdr(), note_sh], parts={0x100: note}, shoff=0x200))
    case("elf-shstrndx-self", "e_shstrndx SHN_XINDEX and section 0's sh_link SHN_XINDEX again: the escape names itself",
         partial("section names", "malformed"),
         elf64_file(shdrs=[section0(link=0xFFFF), elf64_shdr(name=1, type=SHT_PROGBITS, offset=0, size=16)],
                    shstrndx=0xFFFF))
    case("elf-shstrndx-not-strtab", "e_shstrndx names a SHT_DYNAMIC section, not a string table",
         partial("section names", "malformed"),
         elf64_file(shdrs=[elf64_shdr(), elf64_shdr(name=1, type=SHT_DYNAMIC, offset=0, size=64, entsize=16)],
                    shstrndx=1))
    n = (1 << 16) + 1    # one past the budget: the reader does its full budget's work
    case("elf-65537-sections", "65537 sections (extended numbering), the table in the file: 65536 read",
         partial("section headers", "malformed"),
         elf64_file(shdrs=[section0(size=n)] + [elf64_shdr(name=0, type=SHT_PROGBITS, offset=64, size=8)] * (n - 1),
                    shnum=0))
    case("elf-go-65537-dynamic-symbols", "a Go binary (its imports are read one by one) with 65537 dynamic symbols",
         partial("dynamic symbols", "malformed"), _go_with_dynsyms(n))
    many = tuple(f"lib{i:05d}.so" for i in range(20_000))
    case("elf-20000-needed", "20000 distinct DT_NEEDED libraries, none of them anywhere: the walk's budget",
         deps_warning("more than 4096 objects: lib04096.so and the rest not resolved"),
         _many_needed(many))
    dirs = ":".join(f"/r{i}" for i in range(1000))[:4000]
    case("elf-runpath-1000-dirs", "a DT_RUNPATH of 1000 directories and 2000 DT_NEEDED names: 2 million paths to try",
         deps_warning("more than 20000 candidate paths tried"), _many_needed(many[:2000], dirs))


def _many_needed(names, runpath: str | None = None) -> bytearray:
    """dynamic_elf for a long list (and a DT_RUNPATH): its string and dynamic tables after the header area."""
    base = 0x400000
    lead = b"\0" if runpath is None else b"\0" + runpath.encode() + b"\0"
    strs = lead + b"".join(n.encode() + b"\0" for n in names)
    offs, pos = [], len(lead)
    for n in names:
        offs.append(pos)
        pos += len(n) + 1
    interp_off, str_off = 0x200, 0x300
    dyn_off = (str_off + len(strs) + 15) & ~15
    dyn = struct.pack("<qQ", DT_STRTAB, base + str_off) + struct.pack("<qQ", DT_STRSZ, len(strs))
    if runpath is not None:
        dyn += struct.pack("<qQ", 29, 1)     # DT_RUNPATH
    dyn += b"".join(struct.pack("<qQ", DT_NEEDED, o) for o in offs) + struct.pack("<qQ", DT_NULL, 0)
    end = dyn_off + len(dyn)
    ph = [elf64_phdr(PT_INTERP, 4, interp_off, base + interp_off, len(INTERP), align=1),
          elf64_phdr(PT_LOAD, 5, 0, base, end),
          elf64_phdr(PT_DYNAMIC, 6, dyn_off, base + dyn_off, len(dyn), align=8)]
    return elf64_file(ph, parts={interp_off: INTERP, str_off: strs, dyn_off: dyn}, entry=base + 0x100)


def _go_with_dynsyms(count: int) -> bytearray:
    """A Go executable (a .go.buildinfo section) whose .dynsym holds ``count`` undefined symbols."""
    strtab = b"\0getaddrinfo\0"
    symoff = 0x1000
    syms = bytes(24) + struct.pack("<IBBHQQ", 1, 0x12, 0, 0, 0, 0) * (count - 1)
    stroff = symoff + len(syms)
    bi = go_buildinfo_inline(b"go1.22.5", b"0" * 16 + b"path\texample.com/x\nmod\texample.com/x\t(devel)\t\n"
                             b"build\tCGO_ENABLED=1\n" + b"1" * 16)
    bioff = (stroff + len(strtab) + 15) & ~15
    names = b"\0.dynsym\0.dynstr\0.go.buildinfo\0.shstrtab\0"
    names_off = bioff + len(bi)
    shdrs = [elf64_shdr(), elf64_shdr(name=1, type=SHT_DYNSYM, offset=symoff, size=len(syms), link=2, entsize=24),
             elf64_shdr(name=9, type=SHT_STRTAB, offset=stroff, size=len(strtab)),
             elf64_shdr(name=17, type=SHT_PROGBITS, flags=3, addr=0x500000, offset=bioff, size=len(bi)),
             elf64_shdr(name=31, type=SHT_STRTAB, offset=names_off, size=len(names))]
    return elf64_file([elf64_phdr(PT_LOAD, 6, offset=bioff, vaddr=0x500000, filesz=len(bi))], shdrs,
                      parts={symoff: syms, stroff: strtab, bioff: bi, names_off: names}, type=2, shstrndx=4)


def _self_verneed() -> bytearray:
    # Verneed at 0x380: version 1, one entry, file "libc.so.6", vn_aux 0 (its Vernaux is the Verneed's
    # own bytes), vn_next 0.
    data = dynamic_elf(tags=[(0x6FFFFFFE, 0x400380), (0x6FFFFFFF, 1)])
    struct.pack_into("<HHIII", data, 0x380, 1, 1, 1, 0, 0)
    return data


def _with_sections(elf: bytearray, shdrs: list[bytes]) -> bytearray:
    out = bytearray(elf) + bytes(-len(elf) % 8)
    shoff = len(out)
    out += b"".join(shdrs)
    struct.pack_into("<Q", out, 0x28, shoff)
    struct.pack_into("<HHH", out, 0x3A, 64, len(shdrs), 0)
    return out


# -- Mach-O and universal --------------------------------------------------------------------------
def dylib_cmd(name: bytes) -> bytes:
    s = name + b"\0"
    s += bytes(-(24 + len(s)) % 8)
    return struct.pack("<IIIIII", 0xC, 24 + len(s), 24, 0, 0, 0) + s


def macho_cases() -> None:
    case("macho-cmdsize-0", "a load command of cmdsize 0 (the loop would never advance)",
         partial("load commands", "malformed"),
         macho64(struct.pack("<II", 0x1B, 0) + bytes(16), ncmds=1))
    case("macho-cmdsize-past-end", "a load command of cmdsize 0x10000000, longer than the file",
         partial("load commands", "malformed"),
         macho64(struct.pack("<II", 0x1B, 0x10000000) + bytes(16), ncmds=1))
    case("macho-ncmds-4g", "ncmds 2^32-1 in 56 bytes of commands", partial("load commands", "malformed"),
         macho64(dylib_cmd(b"/usr/lib/libSystem.B.dylib"), ncmds=U32))
    seg = struct.pack("<II16sQQQQiiII", 0x19, 72, b"__TEXT", 0, 0x1000, 0, 0, 5, 5, U32, 0)
    case("macho-nsects-4g", "a segment declaring 2^32-1 sections in a 72-byte command",
         partial("LC_SEGMENT_64", "malformed"), macho64(seg))
    bad = struct.pack("<IIIIII", 0xC, 32, 0xFFFF, 0, 0, 0) + b"/usr/lib"
    case("macho-dylib-name-outside", "an LC_LOAD_DYLIB whose name offset lies past its command",
         partial("LC_LOAD_DYLIB", "malformed"), macho64(bad))
    unterminated = struct.pack("<IIIIII", 0xC, 32, 24, 0, 0, 0) + b"/usr/lib"
    case("macho-dylib-name-unterminated", "an LC_LOAD_DYLIB whose name has no NUL inside the command",
         partial("LC_LOAD_DYLIB", "malformed"), macho64(unterminated))
    many = b"".join(dylib_cmd(f"/usr/lib/lib{i}.dylib".encode()) for i in range(20_000))
    case("macho-20000-dylibs", "20000 LC_LOAD_DYLIB commands", FINE, macho64(many))
    n = (1 << 16) + 1
    case("macho-65537-load-commands", "65537 load commands of 8 bytes: 65536 read",
         partial("load commands", "malformed"), macho64(*[struct.pack("<II", 0x7FFF, 8)] * n))
    seg = (struct.pack("<II16sQQQQIIII", 0x19, 72 + 80 * n, b"__DATA", 0, 0x1000, 0, 0, 3, 3, n, 0)
           + struct.pack("<16s16sQQIIIIIIII", b"__data", b"__DATA", 0, 0, 0, 0, 0, 0, 0, 0, 0, 0) * n)
    case("macho-65537-sections", "a segment of 65537 sections: 65536 read", partial("load commands", "malformed"),
         macho64(seg))
    slice_ = macho64(dylib_cmd(b"/usr/lib/libSystem.B.dylib"))
    case("fat-4g-slices", "0xcafebabe and 2^32-1 slices: a Java class's magic and no fat count, read as data",
         dict(outcome="fine", format="data"),
         struct.pack(">II", 0xCAFEBABE, U32) + struct.pack(">IIIII", 0x0100000C, 0, 0x1000, len(slice_), 12)
         + bytes(0x1000 - 28) + slice_)
    case("fat64-4g-slices", "a 64-bit fat header declaring 2^32-1 slices", error("malformed", "slices declared, more than"),
         struct.pack(">II", 0xCAFEBABF, U32) + struct.pack(">IIQQII", 0x0100000C, 0, 0x1000, len(slice_), 12, 0)
         + bytes(0x1000 - 40) + slice_)
    inner = build_fat([(slice_, 0x0100000C, 0)])
    case("fat-nested", "a fat slice that is itself a fat file: that slice an error, the other read",
         dict(outcome="slice-error", slice=0, kind="malformed", message="bad Mach-O magic cafebabe"),
         build_fat([(inner, 0x0100000C, 0), (slice_, 0x01000007, 3)]))


# -- PE --------------------------------------------------------------------------------------------
def pe_cases() -> None:
    blob = Blob()
    at = import_directory(blob, [("KERNEL32.dll", ["ExitProcess"])], 64)
    # OriginalFirstThunk (the lookup table) and FirstThunk both point back at the descriptor table.
    struct.pack_into("<I", blob.data, at - SECT_RVA, at)
    struct.pack_into("<I", blob.data, at - SECT_RVA + 16, at)
    case("pe-import-loop", "an import descriptor whose OriginalFirstThunk points back at the descriptor table",
         FINE, make_pe(blob, dirs={1: (at, 40)}))
    blob = Blob()
    at = import_directory(blob, [("KERNEL32.dll", ["ExitProcess"])], 64)
    struct.pack_into("<I", blob.data, at - SECT_RVA + 12, 0x7FFF0000)   # the DLL name: outside the image
    struct.pack_into("<I", blob.data, at - SECT_RVA, 0x7FFF1000)        # the lookup table: outside too
    case("pe-import-outside", "an import descriptor whose name and lookup table lie outside the image",
         partial("import directory", "malformed"), make_pe(blob, dirs={1: (at, 40)}))
    case("pe-import-dir-outside", "the import directory itself outside every section",
         partial("import directory", "malformed"), make_pe(Blob(), dirs={1: (0x7FFF0000, 40)}))
    pe = make_pe()
    struct.pack_into("<I", pe, 0x3C, U32)            # e_lfanew
    case("pe-lfanew-4g", "e_lfanew 2^32-1", error("malformed", "e_lfanew"), pe)
    pe = make_pe(nrva=U32)
    case("pe-nrva-4g", "NumberOfRvaAndSizes 2^32-1", FINE, pe)
    pe = make_pe()
    struct.pack_into("<H", pe, 0x40 + 20, 0xFFFF)    # SizeOfOptionalHeader
    case("pe-optsize-ffff", "SizeOfOptionalHeader 0xffff: the section table past the end",
         error("truncated", "optional header needs 65535 bytes"), pe)
    blob = Blob()
    desc = struct.pack("<IIIII", 0, 0, 0, SECT_RVA, SECT_RVA)
    at = blob.add(b"K.dll\0\0\0" + desc * 10_000 + bytes(20), 4)
    case("pe-10000-import-descriptors", "10000 import descriptors (past the 4096 read)",
         partial("import directory", "malformed"), make_pe(blob, dirs={1: (at + 8, 20 * 10_001)}))
    pe = make_pe()
    struct.pack_into("<H", pe, 0x40 + 6, 0xFFFF)     # NumberOfSections
    case("pe-nsections-ffff", "NumberOfSections 0xffff (the table runs past the end of the file)",
         partial("section table", "truncated"), pe)


# -- Go build info in each container ---------------------------------------------------------------
MOD = b"0w\xaf\x0c\x92t\x08\x02A\xe1\xc1\x07\xe6\xd6\x18\xe6path\texample.com/x\n\xf92C1\x86\x18 r\x00\x82B\x10A\x16\xd8\xf2"


def _go_elf(modinfo: bytes) -> bytearray:
    """A Go executable whose .go.buildinfo holds ``modinfo`` (framed by the 16-byte sentinels)."""
    blob = go_buildinfo_inline(b"go1.22.5", b"0" * 16 + modinfo + b"1" * 16)
    names = b"\0.go.buildinfo\0.shstrtab\0"
    at, names_at = 0x1000, 0x1000 + len(blob)
    shs = [elf64_shdr(), elf64_shdr(name=1, type=SHT_PROGBITS, flags=3, addr=0x500000, offset=at, size=len(blob)),
           elf64_shdr(name=15, type=SHT_STRTAB, offset=names_at, size=len(names))]
    return elf64_file([elf64_phdr(PT_LOAD, 6, offset=at, vaddr=0x500000, filesz=len(blob))], shs,
                      parts={at: blob, names_at: names}, type=2, shstrndx=2)


def go_cases() -> None:
    head = b"path\texample.com/x\nmod\texample.com/x\t(devel)\t\n"
    deps = b"".join(b"dep\texample.com/d%d\tv1.0.0\th1:x=\n" % i for i in range((1 << 14) + 1))
    case("go-elf-16385-deps", "Go build info listing 16385 module dependencies: 16384 read, the settings after them too",
         partial("Go build info", "malformed"), _go_elf(head + deps + b"build\tGOOS=linux\n"))
    case("go-elf-modinfo-empty-lines", "Go build info of a million empty lines (Go skips them; they were read one by one)",
         partial("Go build info", "malformed"), _go_elf(head + b"\n" * 1_000_000 + b"build\tGOOS=linux\n"))
    blob = go_buildinfo_inline(b"go1.22.0", MOD, version_len=1 << 20)
    base = 0x400000
    ph = [elf64_phdr(PT_LOAD, 6, 0x1000, base + 0x1000, len(blob))]
    shs = [elf64_shdr(), elf64_shdr(name=1, type=SHT_PROGBITS, flags=3, addr=base + 0x1000, offset=0x1000,
                                    size=len(blob), align=16),
           elf64_shdr(name=15, type=SHT_STRTAB, offset=0x1800, size=32)]
    case("go-elf-varint-past-end", "ELF .go.buildinfo: the version's length (a varint) runs past the end",
         partial("Go build info", "truncated"),
         elf64_file(ph, shs, {0x1000: blob, 0x1800: b"\0.go.buildinfo\0.shstrtab\0"}, shoff=0x2000, shstrndx=2))
    seg = macho_segment64("__DATA", 0x100004000, 0x1000, 0x1000, len(blob),
                          [("__go_buildinfo", 0x100004000, len(blob), 0x1000)])
    m = macho64(seg)
    case("go-macho-varint-past-end", "Mach-O __go_buildinfo: the version's length runs past the end",
         partial("Go build info", "truncated"), m + bytes(0x1000 - len(m)) + blob)
    b = Blob()
    b.add(blob, 16)
    case("go-pe-varint-past-end", "PE data section: the version's length runs past the end",
         partial("Go build info", "truncated"), make_pe(b))
    # The pointer form (before Go 1.18): two addresses of string headers, here one pointing nowhere and
    # one at a header whose length is 2^63.
    addr = base + 0x1000
    ptrs = b"\xff Go buildinf:" + bytes([8, 0]) + struct.pack("<QQ", 0xDEADBEEF000, addr + 32) + struct.pack("<QQ", addr, 1 << 63)
    ph = [elf64_phdr(PT_LOAD, 6, 0x1000, addr, len(ptrs))]
    shs = [elf64_shdr(), elf64_shdr(name=1, type=SHT_PROGBITS, flags=3, addr=addr, offset=0x1000, size=len(ptrs), align=16),
           elf64_shdr(name=15, type=SHT_STRTAB, offset=0x1800, size=32)]
    case("go-elf-pointer-form-wild", "pre-1.18 build info: a version pointer outside every segment, a module length of 2^63",
         partial("Go build info", "malformed"),
         elf64_file(ph, shs, {0x1000: ptrs, 0x1800: b"\0.go.buildinfo\0.shstrtab\0"}, shoff=0x2000, shstrndx=2))
    huge = go_buildinfo_inline(b"go1.22.0", MOD, version_len=1 << 62)
    b = Blob()
    b.add(huge, 16)
    case("go-pe-varint-2-62", "PE data section: a version length of 2^62", partial("Go build info", "malformed"),
         make_pe(b))


# -- wasm ------------------------------------------------------------------------------------------
def wasm_cases() -> None:
    case("wasm-section-size-2-32", "a section whose LEB128 size is 2^32 (more than u32)",
         partial("sections", "malformed"), wasm_module(bytes([1]) + leb(1 << 32) + bytes(8)))
    case("wasm-import-count-4g", "an import section declaring 2^32-1 imports in 5 bytes",
         partial("import section", "malformed"), wasm_module(bytes([2]) + leb(6) + leb(U32) + b"\0"))
    case("wasm-100000-sections", "100000 custom sections: 65536 read", partial("sections", "malformed"),
         wasm_module(*[b"\0\x02\x01x"] * 100_000))
    n = (1 << 15) + 1
    case("wasm-32769-imports", "32769 function imports of empty names: 32768 read", partial("imports", "malformed"),
         wasm_module(wasm_section(2, leb(n) + b"\0\0\0\0" * n)))
    case("wasm-32769-exports", "32769 function exports of empty names: 32768 read", partial("exports", "malformed"),
         wasm_module(wasm_section(7, leb(n) + b"\0\0\0" * n)))
    case("wasm-section-size-4g", "a section whose LEB128 size is 2^32-1, past the end",
         partial("sections", "truncated"), wasm_module(bytes([1]) + leb(U32) + bytes(8)))


# -- directory setups (resolved with --root) -------------------------------------------------------
def tree_cases(out: Path) -> None:
    def tree(name: str, files: dict, links: dict = {}) -> None:
        root = out / name
        for rel, data in files.items():
            p = root / rel
            p.parent.mkdir(parents=True, exist_ok=True)
            p.write_bytes(data)
            if rel.startswith("bin/") or rel.startswith("lib64/ld"):
                p.chmod(0o755)
        for rel, target in links.items():
            p = root / rel
            p.parent.mkdir(parents=True, exist_ok=True)
            os.symlink(target, p)

    loader = bytes(dynamic_elf(needed=("ld-linux-x86-64.so.2",), interp=b"\0"))
    libc = bytes(dynamic_elf(needed=("ld-linux-x86-64.so.2",), interp=b"\0"))
    base = {"lib64/ld-linux-x86-64.so.2": loader, "usr/lib64/libc.so.6": libc}
    main = bytes(dynamic_elf(needed=("libc.so.6", "libconf.so")))
    conf_lib = bytes(dynamic_elf(needed=("libc.so.6",), interp=b"\0"))

    tree("ldconf-self-include", {**base, "bin/main": main, "opt/conf/libconf.so": conf_lib,
                                 "etc/ld.so.conf": b"include /etc/ld.so.conf\n/opt/conf\n"})
    case("ldconf-self-include", "an ld.so.conf that includes itself", deps_warning("include loop (/etc/ld.so.conf -> /etc/ld.so.conf)",
                      [("libc.so.6", "/usr/lib64/libc.so.6"), ("libconf.so", "/opt/conf/libconf.so"), ("/lib64/ld-linux-x86-64.so.2", "/lib64/ld-linux-x86-64.so.2")]),
         file="ldconf-self-include/bin/main", root="ldconf-self-include")
    tree("ldconf-include-pair", {**base, "bin/main": main, "opt/conf/libconf.so": conf_lib,
                                 "etc/ld.so.conf": b"include /etc/a.conf\n",
                                 "etc/a.conf": b"include /etc/b.conf\n/opt/conf\n",
                                 "etc/b.conf": b"include /etc/a.conf\n"})
    case("ldconf-include-pair", "two ld.so.conf files that include each other", deps_warning("include loop (/etc/ld.so.conf -> /etc/a.conf -> /etc/b.conf -> /etc/a.conf)",
                      [("libc.so.6", "/usr/lib64/libc.so.6"), ("libconf.so", "/opt/conf/libconf.so"), ("/lib64/ld-linux-x86-64.so.2", "/lib64/ld-linux-x86-64.so.2")]),
         file="ldconf-include-pair/bin/main", root="ldconf-include-pair")
    tree("symlink-loop", {**base, "bin/main": bytes(dynamic_elf(needed=("libc.so.6", "libloop.so")))},
         {"usr/lib64/libloop.so": "libloop2.so", "usr/lib64/libloop2.so": "./libloop.so"})
    case("symlink-loop", "a library that is a symbolic link loop", deps_warning("libloop.so: too many levels of symbolic links",
                      [("libc.so.6", "/usr/lib64/libc.so.6"), ("/lib64/ld-linux-x86-64.so.2", "/lib64/ld-linux-x86-64.so.2"), ("libloop.so", None)]),
         file="symlink-loop/bin/main", root="symlink-loop")
    tree("symlink-climb", {**base, "bin/main": bytes(dynamic_elf(needed=("libc.so.6", "libclimb.so")))},
         {"usr/lib64/libclimb.so": "../../../../../../../../../etc/passwd"})
    case("symlink-climb", "a library that is a symbolic link climbing out of the root",
         deps_warning("libclimb.so: a symlink climbs above the root",
                      [("libc.so.6", "/usr/lib64/libc.so.6"), ("/lib64/ld-linux-x86-64.so.2", "/lib64/ld-linux-x86-64.so.2"), ("libclimb.so", None)]), file="symlink-climb/bin/main", root="symlink-climb")
    tree("interp-script", {"lib64/ld-linux-x86-64.so.2": b"#!/bin/sh\necho hello\n",
                           "usr/lib64/libc.so.6": libc, "bin/main": bytes(dynamic_elf())})
    case("interp-script", "a binary whose PT_INTERP names a shell script", deps_warning("interpreter /lib64/ld-linux-x86-64.so.2: not an ELF file (script)"),
         file="interp-script/bin/main", root="interp-script")


# -- container images --------------------------------------------------------------------------------
def image(expect_warnings: list[str], binaries: list[str], binary: str, libraries: list | None = None) -> dict:
    return dict(outcome="image", warnings=expect_warnings, binaries=binaries, binary=binary, libraries=libraries)


def image_cases(out: Path) -> None:
    """Images whose layers try to write outside, link outside, hold devices, or expand without end.
    Each holds a small dynamic executable /usr/bin/good with its loader and C library, so that what
    the image should still yield is checked beside what it must not do."""
    import gzip
    import tempfile

    loader = bytes(dynamic_elf(needed=("ld-linux-x86-64.so.2",), interp=b"\0"))
    libc = bytes(dynamic_elf(needed=("ld-linux-x86-64.so.2",), interp=b"\0"))
    good = bytes(dynamic_elf())
    base = (D("lib64"), F("lib64/ld-linux-x86-64.so.2", loader, 0o755), D("usr"), D("usr/lib64"),
            F("usr/lib64/libc.so.6", libc, 0o755), D("usr/bin"), F("usr/bin/good", good, 0o755))
    base_bins = ["/lib64/ld-linux-x86-64.so.2", "/usr/bin/good", "/usr/lib64/libc.so.6"]
    good_libs = [("libc.so.6", "/usr/lib64/libc.so.6"), ("/lib64/ld-linux-x86-64.so.2", "/lib64/ld-linux-x86-64.so.2")]

    def oci_tar(name: str, *layers: bytes) -> None:
        with tempfile.TemporaryDirectory() as td:
            oci_dir(Path(td) / "img", list(layers))
            tar_dir(Path(td) / "img", out / name)

    evil = bytes(dynamic_elf(needed=("libevil.so",)))
    oci_tar("image-path-traversal.tar", layer(*base, F("../../sentinel/evil", evil, 0o755),
                                              F("usr/../../../sentinel/evil2", evil, 0o755)))
    case("image-path-traversal", "layer entries named ../../sentinel/evil and usr/../../../sentinel/evil2",
         image(["../../sentinel/evil: a path that climbs out of the image; skipped",
                "usr/../../../sentinel/evil2: a path that climbs out of the image; skipped"],
               base_bins, "/usr/bin/good", good_libs), file="image-path-traversal.tar")
    oci_tar("image-absolute-names.tar", layer(*base, F("/usr/bin/evil", evil, 0o755), F("/etc/passwd", b"root::0:0::/:\n")))
    case("image-absolute-names", "layer entries with absolute names (/usr/bin/evil, /etc/passwd)",
         image(["/usr/bin/evil: an absolute path; skipped", "/etc/passwd: an absolute path; skipped"],
               base_bins, "/usr/bin/good", good_libs), file="image-absolute-names.tar")
    oci_tar("image-symlink-climb.tar", layer(*base, L("usr/lib64/libevil.so", "../../../../../../../etc/passwd"),
                                             F("usr/bin/evil", evil, 0o755)))
    case("image-symlink-climb", "a library that is a symbolic link climbing out of the image",
         image(["usr/lib64/libevil.so: a symlink to ../../../../../../../etc/passwd, which climbs out of the image; "
                "skipped"], base_bins + ["/usr/bin/evil"], "/usr/bin/evil",
               [("libevil.so", None), ("/lib64/ld-linux-x86-64.so.2", "/lib64/ld-linux-x86-64.so.2")]),
         file="image-symlink-climb.tar")
    vendor = bytes(dynamic_elf(needed=("libc.so.6",), interp=b"\0"))
    oci_tar("image-absolute-symlink.tar", layer(*base, D("opt"), D("opt/linkscope-hostile-vendor"),
                                                F("opt/linkscope-hostile-vendor/libvendor.so.1", vendor, 0o755),
                                                L("usr/lib64/libvendor.so", "/opt/linkscope-hostile-vendor/libvendor.so.1"),
                                                F("usr/bin/app", bytes(dynamic_elf(needed=("libc.so.6", "libvendor.so"))), 0o755)))
    case("image-absolute-symlink", "an absolute symbolic link (usr/lib64/libvendor.so -> /opt/...): resolved inside "
         "the image, never on the host", image([], base_bins + ["/opt/linkscope-hostile-vendor/libvendor.so.1", "/usr/bin/app"],
                                                "/usr/bin/app",
                                                [("libc.so.6", "/usr/lib64/libc.so.6"),
                                                 ("libvendor.so", "/usr/lib64/libvendor.so",
                                                  "/opt/linkscope-hostile-vendor/libvendor.so.1"),
                                                 ("/lib64/ld-linux-x86-64.so.2", "/lib64/ld-linux-x86-64.so.2")]),
         file="image-absolute-symlink.tar")
    oci_tar("image-hardlink-out.tar", layer(*base, H("usr/bin/passwd", "../../../etc/passwd"), H("usr/bin/shadow", "/etc/shadow")))
    case("image-hardlink-out", "hard links to ../../../etc/passwd and /etc/shadow",
         image(["usr/bin/passwd: a hard link to ../../../etc/passwd, outside the image; skipped",
                "usr/bin/shadow: a hard link to /etc/shadow, outside the image; skipped"], base_bins, "/usr/bin/good", good_libs),
         file="image-hardlink-out.tar")
    oci_tar("image-device-nodes.tar", layer(*base, ("p", "usr/bin/fifo", None, 0o755, {}),
                                            ("c", "usr/bin/null", None, 0o755, {}), D("dev"), ("c", "dev/zero", None, 0o666, {})))
    case("image-device-nodes", "a fifo and character devices among the executables: listed, never opened",
         image([], base_bins, "/usr/bin/good", good_libs), file="image-device-nodes.tar")
    zeros = layer(F("usr/share/zeros", b"\0" * (64 << 20)), F("usr/bin/after", good, 0o755))
    oci_tar("image-gzip-bomb.tar", layer(*base), gzip.compress(zeros, compresslevel=9))
    case("image-gzip-bomb", "a gzip layer of 64 KiB that expands to 64 MiB: streamed, not held or written",
         image([], base_bins + ["/usr/bin/after"], "/usr/bin/after", good_libs), file="image-gzip-bomb.tar")
    with tempfile.TemporaryDirectory() as td:
        lay = layer(*base)
        docker_legacy(Path(td) / "x.tar", [lay], layer_names=["../../../../etc/passwd"])
        (out / "image-manifest-climb.tar").write_bytes((Path(td) / "x.tar").read_bytes())
    case("image-manifest-climb", "a docker save manifest whose layer is ../../../../etc/passwd",
         image(["not in the image (../../../../etc/passwd); skipped"], [], None), file="image-manifest-climb.tar")


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: hostile.py OUTDIR | --list", file=sys.stderr)
        return 2
    listing = argv[0] == "--list"      # the manifest on stdout, nothing written
    if listing:
        import tempfile
        out = Path(tempfile.mkdtemp(prefix="hostile-list-"))
    else:
        out = Path(argv[0])
        out.mkdir(parents=True, exist_ok=True)
    elf_cases()
    macho_cases()
    pe_cases()
    go_cases()
    wasm_cases()
    tree_cases(out)
    image_cases(out)
    manifest = []
    for c in CASES:
        data = c.pop("data")
        if data is not None and not listing:
            (out / c["file"]).write_bytes(bytes(data))
        manifest.append(c)
    names = [c["name"] for c in manifest]
    assert len(names) == len(set(names)), "case names must be unique"
    if listing:
        import shutil
        shutil.rmtree(out)
        print(json.dumps(manifest))
        return 0
    (out / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n")
    print(f"{len(manifest)} cases in {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
