"""Rules of linkscope.formats.elf that mutation testing (scripts/mutation.py) showed no test pinned down.

test_elf.py compares real files with readelf and checks that damaged input raises only linkscope's
errors; here: the edges of the reader, byte by byte, on ELF files written by hand.

Hand-made images are written here with struct from <elf.h> (Elf32/Elf64 Ehdr, Phdr, Shdr, Dyn, Sym,
Verneed/Vernaux, Verdef/Verdaux, Nhdr): the ELF header at 0, room for the program headers after it,
then the data the test adds (file offset == virtual address, one PT_LOAD over all of it unless the
test says otherwise), the section-name table and the section headers last. Expected values follow
from that layout and the numbers written in each test, never from linkscope's output.
"""
from __future__ import annotations

import os
import shutil
import struct
import subprocess

import pytest

import reference

from linkscope.byteview import ByteView
from linkscope.errors import Malformed, Truncated
from linkscope.formats import elf
from linkscope.model import LoadSegment, OsFloor, ReadWarning, Section

ET_REL, ET_EXEC, ET_DYN, ET_CORE = 1, 2, 3, 4
PT_LOAD, PT_DYNAMIC, PT_INTERP, PT_NOTE = 1, 2, 3, 4
PF_X, PF_W, PF_R = 1, 2, 4
SHT_PROGBITS, SHT_SYMTAB, SHT_STRTAB, SHT_HASH, SHT_DYNAMIC, SHT_NOTE, SHT_NOBITS, SHT_DYNSYM = 1, 2, 3, 5, 6, 7, 8, 11
SHT_GNU_VERSYM = 0x6FFFFFFF
SHT_SYMTAB_SHNDX = 18
SHF_WRITE, SHF_ALLOC, SHF_EXECINSTR = 1, 2, 4
DT_NEEDED, DT_HASH, DT_STRTAB, DT_SYMTAB, DT_STRSZ, DT_SYMENT, DT_SONAME, DT_RPATH = 1, 4, 5, 6, 10, 11, 14, 15
DT_RUNPATH, DT_FLAGS = 29, 30
DT_GNU_HASH, DT_VERSYM, DT_FLAGS_1 = 0x6FFFFEF5, 0x6FFFFFF0, 0x6FFFFFFB
DT_VERDEF, DT_VERDEFNUM, DT_VERNEED, DT_VERNEEDNUM = 0x6FFFFFFC, 0x6FFFFFFD, 0x6FFFFFFE, 0x6FFFFFFF
DF_1_PIE = 0x08000000


class Elf:
    """An ELF file laid out by hand (see the module docstring)."""

    def __init__(self, bits: int = 64, little: bool = True, e_type: int = ET_DYN, machine: int = 62,
                 osabi: int = 0, phslots: int = 8, phentsize: int | None = None, shentsize: int | None = None):
        self.bits, self.little, self.e = bits, little, "<" if little else ">"
        self.e_type, self.machine, self.osabi = e_type, machine, osabi
        self.ehsize = 52 if bits == 32 else 64
        self.phentsize = phentsize or (32 if bits == 32 else 56)     # a larger entry: padded with zeros
        self.shentsize = shentsize or (40 if bits == 32 else 64)
        self.data = bytearray(self.ehsize + phslots * self.phentsize)
        self.segs: list[tuple] = []
        self.secs: list[tuple] = []

    # -- contents
    def add(self, data: bytes, align: int = 8) -> int:
        while len(self.data) % align:
            self.data.append(0)
        off = len(self.data)
        self.data += data
        return off

    def seg(self, type: int, off: int, filesz: int, *, flags: int = PF_R, vaddr: int | None = None,
            memsz: int | None = None, align: int = 1) -> None:
        self.segs.append((type, flags, off, off if vaddr is None else vaddr, filesz,
                          filesz if memsz is None else memsz, align))

    def sec(self, name: str, type: int, *, flags: int = 0, addr: int = 0, off: int = 0, size: int = 0,
            link: int = 0, info: int = 0, align: int = 1, entsize: int = 0) -> int:
        """Section headers in order after the null one; returns the index the section gets."""
        self.secs.append((name, type, flags, addr, off, size, link, info, align, entsize))
        return len(self.secs)

    def dyn(self, *pairs: tuple[int, int]) -> bytes:
        fmt = self.e + ("iI" if self.bits == 32 else "qQ")
        return b"".join(struct.pack(fmt, t, v) for t, v in pairs) + struct.pack(fmt, 0, 0)

    def sym(self, name: int, info: int = 0x12, shndx: int = 0, value: int = 0, size: int = 0) -> bytes:
        if self.bits == 32:
            return struct.pack(self.e + "IIIBBH", name, value, size, info, 0, shndx)
        return struct.pack(self.e + "IBBHQQ", name, info, 0, shndx, value, size)

    def note(self, name: bytes, ntype: int, desc: bytes) -> bytes:
        pad = lambda b: b + bytes(-len(b) % 4)   # noqa: E731
        return struct.pack(self.e + "III", len(name), len(desc), ntype) + pad(name) + pad(desc)

    def dynamic(self, *pairs: tuple[int, int]) -> int:
        """A dynamic table in a PT_DYNAMIC; returns its offset."""
        raw = self.dyn(*pairs)
        off = self.add(raw)
        self.seg(PT_DYNAMIC, off, len(raw), flags=PF_R | PF_W)
        return off

    # -- the file
    def build(self, *, load: bool = True, sections: bool = True, shstrndx: int | None = None,
              phnum: int | None = None, shnum: int | None = None, entry: int = 0,
              sec0: tuple[int, int, int] = (0, 0, 0), load_end: int | None = None) -> bytearray:
        """``sec0``: section 0's sh_size, sh_link and sh_info (the escaped counts); ``load_end``: where the
        PT_LOAD over the start of the file ends (default: all the data, not the section headers)."""
        e, w32 = self.e, self.bits == 32
        segs = list(self.segs)
        shoff = 0
        if sections:
            names = b"\0"
            offs = []
            for s in self.secs + [(".shstrtab",)]:
                offs.append(len(names))
                names += s[0].encode() + b"\0"
            name_off = self.add(names, 1)
            table = [(0, 0, 0, 0, 0, sec0[0], sec0[1], sec0[2], 0, 0)]
            table += [(o, *s[1:]) for o, s in zip(offs, self.secs)]
            table.append((offs[-1], SHT_STRTAB, 0, 0, name_off, len(names), 0, 0, 1, 0))
        data_end = len(self.data)
        if load:
            end = data_end if load_end is None else load_end
            segs.insert(0, (PT_LOAD, PF_R | PF_W | PF_X, 0, 0, end, end, 0x1000))
        if sections:
            shoff = self.add(b"".join(
                struct.pack(e + ("IIIIIIIIII" if w32 else "IIQQQQIIQQ"), *r).ljust(self.shentsize, b"\0")
                for r in table), 8)
        out = self.data
        for i, (t, fl, off, va, fs, ms, al) in enumerate(segs):
            at = self.ehsize + i * self.phentsize
            if w32:
                struct.pack_into(e + "IIIIIIII", out, at, t, off, va, va, fs, ms, fl, al)
            else:
                struct.pack_into(e + "IIQQQQQQ", out, at, t, fl, off, va, va, fs, ms, al)
        n_sh = len(table) if sections else 0
        ident = b"\x7fELF" + bytes([1 if w32 else 2, 1 if self.little else 2, 1, self.osabi, 0]) + bytes(7)
        hdr = struct.pack(e + ("HHIIIIIHHHHHH" if w32 else "HHIQQQIHHHHHH"), self.e_type, self.machine, 1, entry,
                          self.ehsize if segs else 0, shoff, 0, self.ehsize, self.phentsize,
                          len(segs) if phnum is None else phnum, self.shentsize,
                          n_sh if shnum is None else shnum,
                          (n_sh - 1 if sections else 0) if shstrndx is None else shstrndx)
        out[:16 + len(hdr)] = ident + hdr
        return out


def load(data: bytes) -> elf.ElfImage:
    return elf.parse(ByteView(bytes(data)))


def error_of(fn, *args):
    with pytest.raises(Malformed) as e:
        fn(*args)
    return type(e.value), e.value.message, e.value.offset


# -- arch_name: Go's GOARCH names where Go has one (cmd/dist's list), else the machine's --------------
@pytest.mark.parametrize("machine,bits,little,name", [
    (21, 64, True, "ppc64le"), (21, 64, False, "ppc64"), (20, 32, False, "ppc"), (20, 32, True, "ppcle"),
    (8, 32, False, "mips"), (8, 32, True, "mipsle"), (8, 64, False, "mips64"), (8, 64, True, "mips64le"),
    (22, 64, False, "s390x"), (22, 32, False, "s390"), (243, 64, True, "riscv64"), (243, 32, True, "riscv32"),
    (40, 32, True, "arm"), (40, 64, True, "arm"), (62, 32, True, "amd64p32"), (62, 64, True, "amd64"),
    (183, 64, True, "arm64"), (3, 32, True, "386"), (258, 64, True, "loong64"), (2, 32, False, "sparc"),
    (0x9026, 64, True, "EM_36902"), (41, 32, True, "EM_41"), (63, 32, True, "EM_63"), (9, 32, False, "s370"),
    (23, 64, False, "EM_23"), (244, 64, True, "EM_244"), (21, 32, False, "ppc64"), (243, 32, False, "riscv32"),
])
def test_arch_names(machine, bits, little, name):
    assert elf.arch_name(machine, bits, little) == name


# -- read_header: the identification's checks, each message and offset --------------------------------
def test_header_shorter_than_the_identification():
    assert error_of(elf.read_header, ByteView(b"\x7fELF" + bytes(11))) == (
        Truncated, "too short to be ELF (15 bytes; the identification alone is 16)", None)
    assert error_of(elf.read_header, ByteView(b"\x7fELF\x02\x01\x01" + bytes(9))) == (
        Truncated, "too short to be ELF: the header needs 64 bytes, the file has 16", None)


@pytest.mark.parametrize("at,value,message", [(4, 0, "bad ELF class 0"), (4, 3, "bad ELF class 3"),
                                              (5, 0, "bad ELF data encoding 0"), (5, 3, "bad ELF data encoding 3")])
def test_header_bad_class_or_encoding(at, value, message):
    ident = bytearray(b"\x7fELF\x02\x01\x01" + bytes(57))
    ident[at] = value
    # at an offset into a larger buffer, the offset is the buffer's
    v = ByteView(bytes(3) + bytes(ident), 3, len(ident))
    assert error_of(elf.read_header, v) == (Malformed, message, 3 + at)


@pytest.mark.parametrize("cls,need", [(1, 52), (2, 64)])
def test_header_cut_after_the_identification(cls, need):
    data = b"\x7fELF" + bytes([cls, 2, 1]) + bytes(need - 8)   # one byte short
    assert error_of(elf.read_header, ByteView(data)) == (
        Truncated, f"too short to be ELF: the header needs {need} bytes, the file has {need - 1}", None)
    hdr = struct.pack(">HHIIIIIHHHHHH" if cls == 1 else ">HHIQQQIHHHHHH", 2, 8, 1, 0x400, 52, 0, 0x1234, 52,
                      32, 0, 40, 0, 0)
    got = elf.read_header(ByteView(b"\x7fELF" + bytes([cls, 2, 1, 9, 7]) + bytes(7) + hdr))
    assert got == (32 if cls == 1 else 64, False, 9, 7, (2, 8, 1, 0x400, 52, 0, 0x1234, 52, 32, 0, 40, 0, 0))


# -- linkage_of: the kernel's view ---------------------------------------------------------------------
@pytest.mark.parametrize("e_type,dynamic,interp,flags_1,needed,want", [
    (ET_REL, True, True, 0, True, None), (ET_CORE, False, False, 0, False, None), (0, False, False, 0, False, None),
    (ET_EXEC, False, False, 0, False, "static"), (ET_DYN, False, False, DF_1_PIE, False, "static"),
    (ET_EXEC, True, True, 0, True, "dynamic"), (ET_DYN, False, True, DF_1_PIE, False, "dynamic"),
    (ET_DYN, True, False, DF_1_PIE, False, "static-pie"), (ET_DYN, True, False, DF_1_PIE | 1, False, "static-pie"),
    (ET_DYN, True, False, DF_1_PIE, True, "dynamic"), (ET_DYN, True, False, 0, False, "dynamic"),
    (ET_DYN, True, False, DF_1_PIE >> 1, False, "dynamic"), (ET_DYN, True, False, 0xFFFFFFFF & ~DF_1_PIE, False, "dynamic"),
])
def test_linkage_rule(e_type, dynamic, interp, flags_1, needed, want):
    assert elf.linkage_of(e_type, dynamic, interp, flags_1, needed) == want


# -- section categories and the section-name table's size ----------------------------------------------
@pytest.mark.parametrize("name,t,fl,want", [
    (".symtab", SHT_SYMTAB, 0, "symtab"), (".x", 18, 0, "symtab"), (".debug_info", SHT_PROGBITS, 0, "dwarf"),
    (".zdebug_line", SHT_PROGBITS, 0, "dwarf"), (".stab", SHT_PROGBITS, 0, "dwarf"), (".stabstr", SHT_STRTAB, 0, "dwarf"),
    (".gdb_index", SHT_PROGBITS, 0, "dwarf"), (".gdb_index2", SHT_PROGBITS, 0, "other"),
    (".gopclntab", SHT_PROGBITS, SHF_ALLOC, "pclntab"), (".data.rel.ro.gopclntab", SHT_PROGBITS, SHF_ALLOC, "pclntab"),
    (".go.buildinfo", SHT_PROGBITS, SHF_ALLOC | SHF_WRITE, "go-metadata"), (".data.rel.ro.typelink", 1, 2, "go-metadata"),
    (".gofunc", SHT_PROGBITS, SHF_ALLOC, "go-metadata"), (".data.rel.rotypelink", 1, 2, "rodata"),
    (".go.type.x", 1, 2, "rodata"),
    (".x", 4, 0, "relocations"), (".x", 9, 0, "relocations"), (".x", 19, 0, "relocations"),
    (".rela.dyn", 1, 2, "relocations"), (".rel.plt", 1, 2, "relocations"), (".rela", 1, 2, "relocations"),
    (".rel", 1, 2, "relocations"), (".relr.dyn", 1, 2, "relocations"), (".relx", 1, 2, "rodata"),
    (".x", SHT_DYNSYM, 2, "dynamic"), (".x", SHT_DYNAMIC, 2, "dynamic"), (".x", SHT_HASH, 2, "dynamic"),
    (".x", 0x6FFFFFF6, 2, "dynamic"), (".x", 0x6FFFFFFD, 2, "dynamic"), (".x", 0x6FFFFFFE, 2, "dynamic"),
    (".x", 0x6FFFFFFF, 2, "dynamic"), (".interp", 1, 2, "dynamic"), (".dynstr", 3, 2, "dynamic"),
    (".got", 1, 3, "dynamic"), (".got.plt", 1, 3, "dynamic"), (".note.x", SHT_NOTE, 2, "other"),
    (".text", 1, SHF_ALLOC | SHF_EXECINSTR, "code"), (".text", 1, SHF_ALLOC | SHF_EXECINSTR | SHF_WRITE, "code"),
    (".data", 1, SHF_ALLOC | SHF_WRITE, "data"), (".rodata", 1, SHF_ALLOC, "rodata"),
    (".comment", 1, 0, "other"), (".x", 1, SHF_EXECINSTR | SHF_WRITE, "other"),
])
def test_section_categories(name, t, fl, want):
    assert elf.section_category(name, t, fl, {7}, 3, 5) == want
    assert elf._section_kind(name, t, fl) == want


def test_section_category_by_index():
    assert elf.section_category(".text", 1, 6, {7, 9}, 5, 5) == "headers"
    assert elf.section_category(".text", 1, 6, {7, 9}, 9, 5) == "symtab"
    assert elf.section_category(".symtab", SHT_SYMTAB, 0, set(), 4, None) == "symtab"


def test_section_kinds_memo_is_bounded():
    elf._KINDS.clear()
    for i in range(4096):
        elf.section_category(f".s{i}", 1, 2, set(), 1, None)
    assert len(elf._KINDS) == 4096
    elf.section_category(".last", 1, 6, set(), 1, None)
    assert len(elf._KINDS) == 0
    assert elf.section_category(".last", 1, 6, set(), 1, None) == "code" and len(elf._KINDS) == 1


@pytest.mark.parametrize("names,merged,size", [
    ([], False, 1), (["", ""], True, 1), ([".text"], False, 7), ([".plt", ".rela.plt"], False, 1 + 5 + 10),
    ([".plt", ".rela.plt"], True, 1 + 10), ([".rela.plt", ".plt", ".plt"], True, 11),
    ([".a", ".b"], True, 1 + 3 + 3), (["t", "at", "cat"], True, 1 + 4), (["\udcff"], False, 3),
])
def test_shstrtab_sizes(names, merged, size):
    assert elf.shstrtab_size(names, merged) == size


def test_debug_sections():
    assert [elf.is_debug_section(n) for n in (".debug_x", ".zdebug_x", ".stab", ".stab.excl", ".gdb_index",
                                              ".debug", "debug_info", ".gdb_index.x")] == \
        [True, True, True, True, True, False, False, False]


# -- the loadable segments the file cannot supply ------------------------------------------------------
def test_a_loadable_segment_past_the_end_is_one_truncation_warning():
    b = Elf()
    b.add(bytes(0x40))
    b.seg(PT_NOTE, 0x10, 0x100000)                  # not loadable: no warning
    b.seg(PT_LOAD, 0x10, 0, memsz=0x100000)         # loads nothing from the file
    b.seg(PT_LOAD, 0x100, 0x9000)
    b.seg(PT_LOAD, 0x200, 0x8000)                   # a second one: the warning is said once
    data = b.build(sections=False)
    img = load(data)
    assert img.truncated and img.program_headers_ok
    assert [(w.kind, w.table, w.offset, w.message) for w in img.warnings] == [
        ("truncated", "loadable segments", None,
         f"truncated: a loadable segment needs bytes up to 0x9100, the file ends at {len(data):#x}")]


def test_a_loadable_segment_ending_at_the_end_is_whole():
    b = Elf()
    b.add(bytes(0x40))
    data = b.build(sections=False)
    b2 = Elf()
    b2.add(bytes(0x40))
    b2.seg(PT_LOAD, 0x100, len(data) - 0x100)
    img = load(b2.build(sections=False))
    assert not img.truncated and img.warnings == []


def test_unreadable_program_headers_leave_no_segments():
    data = Elf().build(sections=False)
    struct.pack_into("<Q", data, 0x20, 1 << 40)          # e_phoff far away
    img = load(data)
    assert (img.segments, img.program_headers_ok, img.linkage) == ([], False, None)
    assert [(w.kind, w.table, w.offset, w.message) for w in img.warnings] == [
        ("malformed", "program headers", 1 << 40, "program header table of 1 entries of 56 bytes starts beyond end "
                                                  f"of data (0x10000000000 > {len(data):#x})")]


# -- program headers: counts, entry sizes ----------------------------------------------------------------
@pytest.mark.parametrize("bits,little", [(64, True), (32, False)])
def test_segments_field_by_field(bits, little):
    b = Elf(bits, little, e_type=ET_EXEC)
    off = b.add(b"/lib/ld.so\0")
    b.seg(PT_INTERP, off, 11, vaddr=0x4000 + off, memsz=11, align=1)
    b.seg(0x6474E551, 0, 0, flags=PF_R | PF_W, vaddr=0, memsz=0, align=16)
    img = load(b.build(sections=False))
    n = len(b.data)
    assert [(s.type, s.flags, s.offset, s.vaddr, s.filesz, s.memsz, s.align) for s in img.segments] == [
        (PT_LOAD, 7, 0, 0, n, n, 0x1000), (PT_INTERP, PF_R, off, 0x4000 + off, 11, 11, 1),
        (0x6474E551, PF_R | PF_W, 0, 0, 0, 0, 16)]
    assert img.interpreter == "/lib/ld.so"
    assert img.load_segments() == (LoadSegment("", 0, 0, n, n, True, True, True),)


def test_segments_with_a_larger_entry_size():
    b = Elf(phentsize=64)
    b.add(bytes(16))
    b.seg(PT_NOTE, 0x100, 8, flags=PF_R, vaddr=0x100)
    img = load(b.build(sections=False))
    assert [(s.type, s.offset, s.filesz) for s in img.segments] == [(PT_LOAD, 0, len(b.data)), (PT_NOTE, 0x100, 8)]


@pytest.mark.parametrize("bits,field,want", [(64, 54, 56), (32, 42, 32)])
def test_program_header_entry_size_too_small(bits, field, want):
    data = Elf(bits).build(sections=False)
    struct.pack_into("<H", data, field, want - 1)
    img = load(data)
    assert [(w.kind, w.table, w.offset, w.message) for w in img.warnings] == [
        ("malformed", "program headers", field, f"program header entry size {want - 1} < {want}")]


def test_no_program_headers_when_phoff_or_phnum_is_zero():
    data = Elf().build(sections=False)
    assert len(load(data).segments) == 1
    zero_num = bytearray(data)
    struct.pack_into("<H", zero_num, 56, 0)
    zero_off = bytearray(data)
    struct.pack_into("<Q", zero_off, 0x20, 0)
    assert load(zero_num).segments == [] and load(zero_off).segments == []
    assert load(zero_num).warnings == [] and load(zero_off).warnings == []


@pytest.mark.parametrize("bits", [64, 32])
def test_extended_program_header_count_in_section_0(bits):
    b = Elf(bits)
    b.add(b"x" * 8)
    b.seg(PT_NOTE, 0, 4)
    b.seg(PT_NOTE, 4, 4)
    data = b.build(phnum=0xFFFF, sec0=(0, 0, 3))
    assert [s.type for s in load(data).segments] == [PT_LOAD, PT_NOTE, PT_NOTE]
    # without section headers the count stays 0xFFFF: a table the file cannot hold
    nosec = b.build(phnum=0xFFFF, sections=False)
    img = load(nosec)
    assert img.segments == [] and [w.table for w in img.warnings] == ["program headers"]


@pytest.mark.parametrize("bits,field,want", [(64, 58, 64), (32, 46, 40)])
def test_section_header_entry_size_too_small(bits, field, want):
    data = Elf(bits).build()
    struct.pack_into("<H", data, field, want - 1)
    img = load(data)
    assert img.section_names == () and img.stripped is None and not img.section_headers_ok
    assert [(w.kind, w.table, w.offset, w.message) for w in img.warnings] == [
        ("malformed", "section headers", field, f"section header entry size {want - 1} < {want}")]


def test_section_0_cut_short():
    b = Elf()
    data = b.build(shnum=0)
    shoff = struct.unpack_from("<Q", data, 0x28)[0]
    cut = data[:shoff + 63]
    img = load(cut)
    assert img.section_names == ()
    assert [(w.kind, w.table, w.offset, w.message) for w in img.warnings] == [
        ("truncated", "section headers", shoff, "section header 0 needs 64 bytes, 63 available")]


@pytest.mark.parametrize("bits", [64, 32])
def test_extended_section_count_and_name_index(bits):
    b = Elf(bits)
    off = b.add(b"abcd")
    b.sec(".a", SHT_PROGBITS, off=off, size=4)
    b.sec(".b", SHT_PROGBITS, off=off, size=2)
    data = b.build(shnum=0, shstrndx=0xFFFF, sec0=(4, 3, 0))
    img = load(data)
    assert img.section_names == ("", ".a", ".b", ".shstrtab")
    assert img.section(".b").size == 2 and img.section_at(3).type == SHT_STRTAB
    assert img._names_index == 3


def test_no_sections_when_both_counts_are_zero():
    b = Elf()
    b.sec(".a", SHT_PROGBITS)
    img = load(b.build(shnum=0))
    assert img.section_names == () and img.section_headers_ok and img.stripped is True and img.warnings == []


def test_too_many_sections():
    """A section count past the budget that the file cannot hold is refused whole; one it holds is read
    up to the budget, with a warning; a count at the budget is read as any other."""
    b = Elf()
    data = b.build(shnum=0, sec0=((1 << 16) + 1, 0, 0))
    shoff = struct.unpack_from("<Q", data, 0x28)[0]
    img = load(data)
    assert img.stripped is None
    assert [(w.kind, w.table, w.offset, w.message) for w in img.warnings] == [
        ("malformed", "section headers", shoff, "65537 sections declared, more than the 65536 accepted")]
    at_limit = load(b.build(shnum=0, sec0=(1 << 16, 0, 0)))
    assert at_limit.stripped is None
    assert [w.message.split(" of ")[0] for w in at_limit.warnings] == ["section header table"]
    held = Elf().build(shnum=0, sec0=((1 << 16) + 1, 0, 0)) + bytes(64 * (1 << 16))   # every declared header held
    img = load(bytes(held))
    assert img.stripped is True                              # read: the 65536 sections hold no symbol table
    assert [(w.kind, w.table, w.offset, w.message) for w in img.warnings] == [
        ("malformed", "section headers", shoff, "65537 sections, more than the 65536 read; the others not read")]
    assert len(img.section_names) == 1 << 16


# -- section names: the name table, its edges ------------------------------------------------------------
def test_section_names_shared_tails_long_and_non_ascii():
    b = Elf()
    b.sec(".rela.plt", SHT_PROGBITS)
    b.sec(".text", SHT_PROGBITS)
    b.sec(".x", SHT_PROGBITS)
    data = b.build()
    shoff = struct.unpack_from("<Q", data, 0x28)[0]
    # .rela.plt's name starts at 1, .text's at 11, .x's at 17, .shstrtab's at 20: point .x at ".plt", the
    # tail of ".rela.plt"
    struct.pack_into("<I", data, shoff + 3 * 64, 6)
    img = load(data)
    assert img.section_names == ("", ".rela.plt", ".text", ".plt", ".shstrtab")
    assert img.section(".plt").name == ".plt" and img.section_at(3).name == ".plt"
    assert img.has_section(".plt") and img.has_section(".zzz", ".plt") and not img.has_section(".pl", "rela.plt")
    assert [r[0] for r in img._section_rows_named((".plt", ".rela.plt"))] == [1, 6]


def test_section_name_of_255_bytes_is_a_name_256_is_not():
    b = Elf()
    b.sec("a" * 255, SHT_PROGBITS)
    b.sec("b" * 256, SHT_PROGBITS)
    img = load(b.build())
    assert img.section_names == ("", "a" * 255, "", ".shstrtab")
    assert img.section_at(1).name == "a" * 255 and img.section_at(2).name == ""
    assert img.has_section("b" * 256)     # found in the table, though no name is made of it


def test_section_names_not_ascii():
    b = Elf()
    b.sec(".caf\u00e9", SHT_PROGBITS)
    data = b.build()
    i = data.index(".caf\u00e9".encode())
    data[i + 4] = 0xFF                        # not UTF-8: kept as a surrogate escape
    img = load(data)
    assert img.section_names == ("", ".caf\udcff\udca9", ".shstrtab")
    assert img.section_at(1).name == ".caf\udcff\udca9"


def test_section_name_offset_past_the_table():
    b = Elf()
    b.sec(".a", SHT_PROGBITS)
    data = b.build()
    shoff = struct.unpack_from("<Q", data, 0x28)[0]
    names_size = struct.unpack_from("<Q", data, shoff + 2 * 64 + 32)[0]
    assert names_size == 14                  # "\0.a\0.shstrtab\0"
    struct.pack_into("<I", data, shoff + 64, names_size)
    img = load(data)
    assert img.section_names == ("", "", ".shstrtab") and img.section_at(1).name == ""
    struct.pack_into("<I", data, shoff + 64, names_size - 1)      # the last NUL: an empty name
    assert load(data).section_names == ("", "", ".shstrtab")


def test_section_at_outside_the_table():
    b = Elf()
    b.sec(".a", SHT_PROGBITS, addr=0x10, off=0x20, size=0x30, link=1, info=2, align=4, entsize=8)
    img = load(b.build())
    assert img.section_at(-1) is None and img.section_at(3) is None
    a = img.section_at(1)
    assert (a.name, a.type, a.flags, a.addr, a.offset, a.size, a.link, a.info, a.entsize) == (
        ".a", SHT_PROGBITS, 0, 0x10, 0x20, 0x30, 1, 2, 8)
    assert img.section_at(0).name == "" and img.section_at(2).name == ".shstrtab"


@pytest.mark.parametrize("shstrndx", [0, 3, 0xFFFE])
def test_no_name_table_when_its_index_is_outside(shstrndx):
    b = Elf()
    b.sec(".a", SHT_PROGBITS)
    img = load(b.build(shstrndx=shstrndx))
    assert img.section_names == ("", "", "") and not img.has_section(".a") and img.section(".a") is None


def test_name_table_that_is_nobits_or_past_the_end():
    b = Elf()
    b.sec(".a", SHT_PROGBITS)
    data = b.build()
    shoff = struct.unpack_from("<Q", data, 0x28)[0]
    nobits = bytearray(data)
    struct.pack_into("<I", nobits, shoff + 2 * 64 + 4, SHT_NOBITS)
    assert load(nobits).section_names == ("", "", "")
    past = bytearray(data)
    struct.pack_into("<Q", past, shoff + 2 * 64 + 24, len(data) + 1)      # sh_offset beyond the end
    img = load(past)
    assert img.section_names == ("", "", "") and img.warnings == [] and img.section_headers_ok


def test_a_name_table_over_1_mib_is_read_through_the_view():
    b = Elf()
    b.sec(".a", SHT_PROGBITS)
    b.sec(".b", SHT_PROGBITS)
    b.sec(".c", SHT_PROGBITS)
    b.sec(".d", SHT_PROGBITS)
    data = b.build()
    shoff = struct.unpack_from("<Q", data, 0x28)[0]
    n255, n256 = b"x" * 255, b"y" * 256
    table = b"\0\0\0.big\0" + n255 + b"\0" + n256 + b"\0"
    big = data + table + bytes((1 << 20) - len(table)) + b".end"        # a table of 1 MiB + 4, unterminated
    start = len(data)
    struct.pack_into("<QQ", big, shoff + 5 * 64 + 24, start, len(big) - start)
    struct.pack_into("<I", big, shoff + 64, 3)                          # .a -> ".big" (sh_name 3, sh_type 1)
    struct.pack_into("<I", big, shoff + 2 * 64, len(big) - start - 4)   # .b -> ".end", cut by the table's end
    struct.pack_into("<I", big, shoff + 3 * 64, 8)                      # .c -> 255 bytes: a name
    struct.pack_into("<I", big, shoff + 4 * 64, 8 + 256)                # .d -> 256 bytes: none
    struct.pack_into("<I", big, shoff + 5 * 64, 0)                      # the table itself: ""
    img = load(big)
    assert img.section_names == ("", ".big", "", "x" * 255, "", "")
    assert img.has_section(".big") and not img.has_section(".end") and img.section(".big").name == ".big"
    assert img.has_section("x" * 255) and not img.has_section("y" * 256)
    assert img.section_at(3).name == "x" * 255 and img.section_at(4).name == ""
    at_limit = bytearray(big[:start + (1 << 20)])
    struct.pack_into("<QQ", at_limit, shoff + 5 * 64 + 24, start, 1 << 20)
    struct.pack_into("<I", at_limit, shoff + 2 * 64, 0)
    img = load(at_limit)
    assert img.section_names == ("", ".big", "", "x" * 255, "", "") and img._section_table[1] is not None


def names_patched(table10: bytes, name_offs: tuple[int, int, int, int]):
    """Sections 1-3 and the name table, the table's first 10 bytes replaced, sections 0-3 named at ``name_offs``."""
    b = Elf()
    for i in (1, 2, 3):
        b.sec(f".{'pqr'[i - 1]}", SHT_PROGBITS, addr=i)
    data = b.build()
    i = bytes(data).index(b"\0.p\0.q\0.r\0.shstrtab\0")
    data[i:i + 10] = table10
    shoff = struct.unpack_from("<Q", data, 0x28)[0]
    for row, name_off in enumerate(name_offs):
        struct.pack_into("<I", data, shoff + 64 * row, name_off)
    return load(data)


def test_a_name_found_at_each_of_its_places_in_the_table():
    # ".a" three times (a table that does not share names): the first section in table order named at any
    # of the three places is the one found
    img = names_patched(b"\0.a\0.a\0.a\0", (0, 4, 7, 1))
    assert img.section_names[:4] == ("", ".a", ".a", ".a")
    assert img.section(".a").addr == 1 and [r[3] for r in img._section_rows_named((".a",))] == [1, 2, 3]
    # the empty name at every NUL, two of them side by side
    img = names_patched(b"\0\0.a\0.a\0\0\0", (2, 1, 5, 8))
    assert img.section_names[:4] == (".a", "", ".a", "")
    assert img.section("").addr == 1 and [r[3] for r in img._section_rows_named(("",))] == [1, 3]


def test_a_name_at_the_start_of_the_name_table():
    # a table that does not start with its NUL (hostile): offset 0 is the name ".a" (of section 0 too)
    b = Elf()
    b.sec(".x", SHT_PROGBITS)
    data = b.build()
    i = bytes(data).index(b"\0.x\0.shstrtab\0")
    data[i] = ord("_")                                                 # "_.x\0.shstrtab\0": ".x" at 1 still
    img = load(data)
    assert img.section_names == ("_.x", ".x", ".shstrtab")
    assert img.has_section("_.x") and img.section("_.x").type == 0


# -- the header's fields reach the architecture name -----------------------------------------------------
@pytest.mark.parametrize("bits,little,machine,arch", [(64, True, 8, "mips64le"), (64, False, 21, "ppc64"),
                                                       (64, True, 21, "ppc64le"), (32, True, 8, "mipsle"),
                                                       (64, False, 22, "s390x")])
def test_image_arch(bits, little, machine, arch):
    img = load(Elf(bits, little, machine=machine).build())
    assert (img.arch, img.bits, img.little, img.machine) == (arch, bits, little, machine)


def test_a_truncated_image_still_reads_its_tables():
    b = Elf()
    s = b.add(STRINGS)
    b.dynamic((DT_NEEDED, LIBC), (DT_STRTAB, s))
    b.seg(PT_LOAD, 0x10, 0x100000)
    img = load(b.build())
    assert img.truncated and img.needed == ("libc.so.6",) and img.section_headers_ok and img.dynamic_ok
    assert img.section_names[-1] == ".shstrtab"


# -- address mapping -------------------------------------------------------------------------------------
def mapped_image() -> elf.ElfImage:
    """Two PT_LOADs: file 0x1000..0x1100 at 0x400000 (memsz 0x200), file 0x2000..0x2080 at 0x600000."""
    b = Elf()
    b.add(bytes(0x2080 - len(b.data)))
    b.seg(0x6474E550, 0x1000, 0x100, vaddr=0x500000)          # not loadable: never maps
    b.seg(PT_LOAD, 0x1000, 0x100, vaddr=0x400000, memsz=0x200, flags=PF_R | PF_X)
    b.seg(PT_LOAD, 0x2000, 0x80, vaddr=0x600000, flags=PF_R | PF_W)
    return load(b.build(load=False, sections=False))


def test_vaddr_to_offset_edges():
    img = mapped_image()
    assert img.vaddr_to_offset(0x400000) == 0x1000
    assert img.vaddr_to_offset(0x4000FF) == 0x10FF
    assert img.vaddr_to_offset(0x400100) is None            # past filesz (in memsz: zeros, not the file)
    assert img.vaddr_to_offset(0x3FFFFF) is None
    assert img.vaddr_to_offset(0x4000F0, 0x10) == 0x10F0 and img.vaddr_to_offset(0x4000F0, 0x11) is None
    assert img.vaddr_to_offset(0x600010, 4) == 0x2010 and img.vaddr_to_offset(0x500000) is None


def test_load_segments_flags():
    b = Elf()
    b.add(bytes(0x40))
    b.seg(PT_LOAD, 0, 0x10, flags=PF_R | PF_X, vaddr=0x1000, memsz=0x20)
    b.seg(PT_LOAD, 0x10, 0x10, flags=PF_W, vaddr=0x2000)
    b.seg(PT_LOAD, 0x20, 0x10, flags=0, vaddr=0x3000)
    b.seg(PT_NOTE, 0x20, 0x10)
    img = load(b.build(load=False, sections=False))
    assert img.load_segments() == (LoadSegment("", 0x1000, 0, 0x10, 0x20, True, False, True),
                                   LoadSegment("", 0x2000, 0x10, 0x10, 0x10, False, True, False),
                                   LoadSegment("", 0x3000, 0x20, 0x10, 0x10, False, False, False))


def test_vaddr_span_edges():
    img = mapped_image()
    assert img.vaddr_span(0x400000, 0x10) == (0x1000, 0x10)
    assert img.vaddr_span(0x4000F0, 0x40) == (0x10F0, 0x10)          # cut at the segment's filesz
    assert img.vaddr_span(0x6000F0, 1) is None and img.vaddr_span(0x400100, 1) is None
    assert img.vaddr_span(0x3FFFFF, 1) is None and img.vaddr_span(0x500000, 1) is None
    b = Elf()
    b.add(bytes(0x40))
    b.seg(PT_LOAD, 0x80, 0x1000, vaddr=0x10000)                       # past the file's end
    cut = load(b.build(sections=False))
    n = cut.view.size
    assert cut.vaddr_span(0x10000 + 8, 0x2000) == (0x88, n - 0x88)
    assert cut.vaddr_span(0x10000 + n - 0x80, 8) == (n, 0)              # in the segment, past the file's end
    assert cut.vaddr_span(0x10000 + n - 0x80 + 4, 8) == (n + 4, 0)


def test_vaddr_span_in_an_object_uses_the_sections():
    b = Elf(e_type=ET_REL)
    off = b.add(bytes(0x40))
    b.sec(".text", SHT_PROGBITS, flags=SHF_ALLOC | SHF_EXECINSTR, addr=0x100, off=off, size=0x20)
    b.sec(".bss", SHT_NOBITS, flags=SHF_ALLOC | SHF_WRITE, addr=0x200, off=off, size=0x20)
    b.sec(".comment", SHT_PROGBITS, flags=0, addr=0x300, off=off, size=0x20)
    img = load(b.build(load=False))
    assert img.segments == []
    assert img.vaddr_span(0x100, 8) == (off, 8) and img.vaddr_span(0x110, 0x40) == (off + 0x10, 0x10)
    assert img.vaddr_span(0x11F, 4) == (off + 0x1F, 1) and img.vaddr_span(0x120, 1) is None
    assert img.vaddr_span(0xFF, 1) is None
    assert img.vaddr_span(0x200, 1) is None and img.vaddr_span(0x300, 1) is None


def test_go_data_start():
    b = Elf()
    b.add(bytes(0x100))
    b.seg(PT_LOAD, 0, 0x10, flags=PF_R | PF_W | PF_X, vaddr=0x1000)
    b.seg(PT_LOAD, 0, 0x10, flags=PF_R | PF_X, vaddr=0x2000)
    b.seg(PT_LOAD, 0x10, 0x20, flags=PF_R | PF_W, vaddr=0x3000, memsz=0x40)
    b.seg(PT_LOAD, 0x10, 0x20, flags=PF_W, vaddr=0x4000)
    b.sec(".go.buildinfo.x", SHT_PROGBITS, addr=0x9000, size=0x20)
    img = load(b.build(load=False))
    assert img.go_data_start() == (0x3000, 0x40)
    b.sec(".go.buildinfo", SHT_PROGBITS, addr=0x8000, size=0x30)
    assert load(b.build(load=False)).go_data_start() == (0x8000, 0x30)
    b2 = Elf()
    b2.seg(PT_LOAD, 0, 0x10, flags=PF_R | PF_X)
    assert load(b2.build(load=False, sections=False)).go_data_start() is None


def test_section_record_verbs():
    b = Elf()
    off = b.add(b"0123456789abcdef")
    b.sec(".data", SHT_PROGBITS, flags=SHF_ALLOC | SHF_WRITE, addr=0x5000, off=off, size=16)
    b.sec(".bss", SHT_NOBITS, flags=SHF_ALLOC | SHF_WRITE, addr=0x6000, off=off + 8, size=0x100)
    b.sec(".data", SHT_PROGBITS, addr=0x7000, off=off + 4, size=4)           # the second of the name
    b.sec("", SHT_PROGBITS, off=off + 2, size=2)
    img = load(b.build())
    assert img.section(".data").addr == 0x5000 and img.section(".none") is None
    assert img.file_section(".data") == Section(".data", 0x5000, off, 16, "SHT_PROGBITS")
    assert img.file_section(".bss") == Section(".bss", 0x6000, off + 8, 0, "SHT_NOBITS")
    assert img.file_section(".none") is None
    assert [s.name for s in img.sections()] == [".data", ".bss", ".data", "", ".shstrtab"]
    assert img.sections()[1] == Section(".bss", 0x6000, off + 8, 0, "SHT_NOBITS")
    d = img.section_data(img.section_at(1))
    assert (d.base, d.size) == (off, 16)
    assert img.section_data(img.section_at(2)).size == 0
    unnamed = img.section_at(4)
    cut = elf.ElfSection("", SHT_PROGBITS, 0, 0, off, 1 << 20, 0, 0, 0)
    assert img.section_data(unnamed).size == 2
    with pytest.raises(Truncated) as e:
        img.section_data(cut)
    assert e.value.message.startswith("section # needs 1048576 bytes")
    with pytest.raises(Truncated) as e:
        img.section_data(elf.ElfSection(".big", SHT_PROGBITS, 0, 0, off, 1 << 20, 0, 0, 0))
    assert e.value.message.startswith("section .big needs")


# -- the dynamic table -----------------------------------------------------------------------------------
STRINGS = b"\0libc.so.6\0libm.so.6\0/a:/b\0/r\0libx.so.1\0"
LIBC, LIBM, RUNPATH, RPATH, SONAME = 1, 11, 21, 27, 30


def dynamic_image(*extra, bits: int = 64, little: bool = True, e_type: int = ET_DYN, strsz: int | None = None,
                  sections: bool = True) -> bytearray:
    b = Elf(bits, little, e_type)
    s = b.add(STRINGS)
    b.dynamic((DT_NEEDED, LIBC), (DT_NEEDED, LIBM), (DT_RUNPATH, RUNPATH), (DT_RPATH, RPATH), (DT_SONAME, SONAME),
              (DT_STRTAB, s), (DT_STRSZ, len(STRINGS) if strsz is None else strsz), *extra)
    return b.build(sections=sections)


@pytest.mark.parametrize("bits,little", [(64, True), (32, False)])
def test_dynamic_strings_and_tags(bits, little):
    img = load(dynamic_image((DT_FLAGS, 8), (DT_FLAGS_1, DF_1_PIE), (DT_RPATH, RUNPATH), bits=bits, little=little))
    assert img.needed == ("libc.so.6", "libm.so.6")
    assert img.rpath == ("/a", "/b")                # the last DT_RPATH, as the loader keeps it
    assert img.runpath == ("/a", "/b") and img.soname == "libx.so.1"
    assert img.dyn(DT_NEEDED) == [LIBC, LIBM] and img.dyn(DT_RPATH) == [RPATH, RUNPATH] and img.dyn(99) == []
    assert img.dyn1(DT_RPATH) == RUNPATH and img.dyn1(99) is None
    assert (img.flags, img.flags_1) == (8, DF_1_PIE)
    assert img.dynamic[0] == (DT_NEEDED, LIBC) and len(img.dynamic) == 10
    s = img.dyn1(DT_STRTAB)
    assert img.dynamic_strings() == (s, len(STRINGS))
    assert img._paths(DT_RUNPATH) == ("/a", "/b") and img._paths(99) == ()
    assert load(dynamic_image()).rpath == ("/r",)


def test_dynamic_string_table_sizes():
    img = load(dynamic_image(strsz=1 << 30))       # DT_STRSZ beyond the file: to the end of the file
    s = img.dyn1(DT_STRTAB)
    assert img.dynamic_strings() == (s, img.view.size - s)
    img = load(dynamic_image(strsz=0))
    assert img.dynamic_strings() is None
    with pytest.raises(Malformed):
        img.needed
    b = Elf()
    b.dynamic((DT_FLAGS, 1))
    img = load(b.build())
    assert img.dynamic_strings() is None and img.needed == ()


def test_dynstr_errors():
    b = Elf()
    b.dynamic((DT_NEEDED, 1))
    img = load(b.build())
    with pytest.raises(Malformed) as e:
        img.dynstr(1)
    assert (e.value.message, e.value.offset) == ("dynamic table has strings but no DT_STRTAB", None)
    b = Elf()
    b.dynamic((DT_NEEDED, 1), (DT_STRTAB, 0x123456))
    img = load(b.build())
    with pytest.raises(Malformed) as e:
        img.dynstr(1)
    assert (e.value.message, e.value.offset) == ("DT_STRTAB address 0x123456 is not in any loaded segment", None)
    img = load(dynamic_image())
    s = img.dyn1(DT_STRTAB)
    with pytest.raises(Malformed) as e:
        img.dynstr(len(STRINGS))
    assert e.value.offset == s + len(STRINGS) and "dynamic string offset" in e.value.message
    assert img.dynstr(LIBM) == "libm.so.6" and img.dynstr(LIBM + 3) == "m.so.6" and img.dynstr(0) == ""


def test_dynamic_strings_read_the_same_decoded_at_once_or_one_by_one():
    """ElfImage.dynstr answers from the table decoded once (ASCII, small) exactly as from
    ByteView.cstring: the same strings, and the same errors (an offset outside the table, a string
    not terminated within 4096 bytes or before the table's end)."""
    from linkscope.formats.elf import ElfImage

    def image(table: bytes, decoded: bool) -> ElfImage:
        im = ElfImage.__new__(ElfImage)
        im._dynstrs = {}
        im.__dict__["_dynstr"] = ByteView(b"junk" + table + b"tail\0", base=4, size=len(table))
        if not decoded:
            im.__dict__["_dynstr_text"] = None
        return im

    long_one = b"\0" + b"a" * 4100 + b"\0"
    for table in (b"\0libc.so.6\0GLIBC_2.34\0GLIBC_2.2.5\0", b"\0caf\xc3\xa9\0x\0", b"\0open", long_one,
                  b"\0libXX\0XXlib\0"):    # a string ends with what the next begins: only the NUL ends it
        fast, slow = image(table, True), image(table, False)
        assert fast._dynstr_text is not None or not table.isascii()
        for off in (0, 1, 4, 11, 16, len(table) - 1, len(table), len(table) + 3, 4096):
            got = []
            for im in (fast, slow):
                try:
                    got.append(im.dynstr(off))
                except Malformed as e:
                    got.append(("error", str(e), e.offset))
            assert got[0] == got[1], (table[:20], off, got)


def test_dynstr_of_an_object_through_the_linked_section():
    b = Elf(e_type=ET_REL)
    s = b.add(STRINGS)
    raw = b.dyn((DT_NEEDED, LIBM), (DT_STRTAB, 0x9000))
    d = b.add(raw)
    b.sec(".dynstr", SHT_STRTAB, off=s, size=len(STRINGS))
    b.sec(".dynamic", SHT_DYNAMIC, off=d, size=len(raw), link=1)
    img = load(b.build(load=False))
    assert img.needed == ("libm.so.6",)
    for link in (0, 4):      # no string table linked: the address is the error
        b.secs[1] = b.secs[1][:6] + (link,) + b.secs[1][7:]
        img = load(b.build(load=False))
        with pytest.raises(Malformed) as e:
            img.dynstr(LIBM)
        assert e.value.message == "DT_STRTAB address 0x9000 is not in any loaded segment"


def test_dynamic_table_from_the_section_when_no_segment():
    b = Elf()
    s = b.add(STRINGS)
    raw = b.dyn((DT_SONAME, SONAME), (DT_STRTAB, s))
    d = b.add(raw)
    b.sec(".x", SHT_PROGBITS, off=0, size=16)
    b.sec(".dynamic", SHT_DYNAMIC, off=d, size=len(raw))
    b.sec(".dynamic2", SHT_DYNAMIC, off=0, size=16)
    img = load(b.build())
    assert img.soname == "libx.so.1" and img.dynamic == [(DT_SONAME, SONAME), (DT_STRTAB, s)]


def test_dynamic_table_ends_at_the_first_null_and_its_size():
    b = Elf()
    raw = b.dyn((DT_FLAGS, 1), (0, 7), (DT_FLAGS, 2))
    off = b.add(raw)
    b.seg(PT_DYNAMIC, off, 16 + 15)                 # one entry and a part of the next: one entry read
    img = load(b.build(sections=False))
    assert img.dynamic == [(DT_FLAGS, 1)] and img.dynamic_readable
    b.segs[-1] = (PT_DYNAMIC, PF_R, off, off, 0, 0, 1)
    assert load(b.build(sections=False)).dynamic == []
    b.segs[-1] = (PT_DYNAMIC, PF_R, off, off, len(raw), len(raw), 1)
    assert load(b.build(sections=False)).dynamic == [(DT_FLAGS, 1)]


def test_dynamic_table_without_null():
    b = Elf(bits=32)
    raw = struct.pack("<iIiIiI", DT_FLAGS, 1, DT_FLAGS_1, 2, DT_SONAME, 3)     # three 8-byte entries
    off = b.add(raw)
    b.seg(PT_DYNAMIC, off, len(raw))
    assert load(b.build(sections=False)).dynamic == [(DT_FLAGS, 1), (DT_FLAGS_1, 2), (DT_SONAME, 3)]


def test_dynamic_tags_read_unsigned():
    b = Elf()
    raw = struct.pack("<qQqQqQ", -2, 5, DT_FLAGS, 3, 0, 0)
    off = b.add(raw)
    b.seg(PT_DYNAMIC, off, len(raw))
    img = load(b.build(sections=False))
    assert img.dynamic == [(0xFFFFFFFFFFFFFFFE, 5), (DT_FLAGS, 3)]
    assert img.dyn1(0xFFFFFFFFFFFFFFFE) == 5 and img.flags == 3


def test_dynamic_table_beyond_64k_entries_is_cut():
    b = Elf()
    n = 1 << 16
    raw = struct.pack("<qQ", DT_FLAGS, 1) * n + struct.pack("<qQ", DT_SONAME, 0) + bytes(16)
    off = b.add(raw)
    b.seg(PT_DYNAMIC, off, len(raw))
    img = load(b.build(sections=False))
    assert len(img.dynamic) == n and img.dyn1(DT_SONAME) is None
    # The cut is said (the hostile catalogue's case: a dynamic table without DT_NULL).
    assert [(w.table, w.offset, w.message) for w in img.warnings] == [
        ("dynamic table", off, "no DT_NULL in the first 65536 entries: the rest not read")]


def cut_dynamic(keep_entries: int, extra: int, pad_to: int):
    """A dynamic table at the end of the file, cut ``extra`` bytes into entry ``keep_entries``."""
    b = Elf()
    b.add(bytes(pad_to - len(b.data)))
    raw = b.dyn(*[(DT_FLAGS, i + 1) for i in range(keep_entries + 2)])
    off = len(b.data)
    b.data += raw[:keep_entries * 16 + extra]
    b.seg(PT_DYNAMIC, off, len(raw))
    return off, b.build(sections=False, load=False)


def test_dynamic_table_cut_by_the_end_of_the_file_reads_as_the_loader():
    off, data = cut_dynamic(3, 5, 0x1000 - 16 * 3 - 5 - 8)   # the file ends 8 bytes before a page boundary
    img = load(data)
    assert img.dynamic == [(DT_FLAGS, 1), (DT_FLAGS, 2), (DT_FLAGS, 3)]
    assert [(w.kind, w.table, w.offset, w.message) for w in img.warnings] == [
        ("truncated", "dynamic table", off + 48,
         "the dynamic table is cut by the end of the file after 3 entries; read as the loader reads it "
         "(the zeros after the end end it)")]


def test_dynamic_table_cut_at_a_page_boundary_is_truncated():
    off, data = cut_dynamic(3, 0, 0x1000 - 16 * 3)          # the file ends at the page end, after entry 3
    assert len(data) == 0x1000
    img = load(data)
    assert img.dynamic == [] and not img.dynamic_ok
    assert [(w.kind, w.table) for w in img.warnings] == [("truncated", "dynamic table")]
    off, data = cut_dynamic(3, 0, 0x1000 - 16 * 3 - 16)      # a whole entry before the page end
    img = load(data)
    assert len(img.dynamic) == 3 and img.dynamic_ok and [w.offset for w in img.warnings] == [off + 48]


def test_dynamic_table_starting_at_the_end():
    b = Elf()
    b.seg(PT_DYNAMIC, 0x200, 32)
    data = b.build(sections=False, load=False)
    b.data += bytes(0x200 - len(b.data))
    img = load(b.build(sections=False, load=False))
    assert len(img.view.buf) == 0x200 and img.dynamic == [] and not img.dynamic_ok
    assert [(w.kind, w.table, w.offset, w.message) for w in img.warnings] == [
        ("truncated", "dynamic table", 0x200, "dynamic table of 2 entries of 16 bytes needs 32 bytes, 0 available")]
    assert load(data).dynamic == []


# -- the packed forms (made at import, so checked here by making them again) ---------------------------
@pytest.mark.parametrize("bits,little", [(32, True), (32, False), (64, True), (64, False)])
def test_layouts_are_elf_h_structures(bits, little):
    e = "<" if little else ">"
    # <elf.h>: Elf32_Ehdr after e_ident: Half, Half, Word, Addr, Off, Off, Word, Half x 6 (Elf64: Addr, Off 8 bytes)
    want = dict(
        ehdr=("HHIIIIIHHHHHH", 36) if bits == 32 else ("HHIQQQIHHHHHH", 48),
        phdr=("IIIIIIII", 32) if bits == 32 else ("IIQQQQQQ", 56),
        shdr=("IIIIIIIIII", 40) if bits == 32 else ("IIQQQQIIQQ", 64),
        dyn=("iI", 8) if bits == 32 else ("qQ", 16),
        sym=("IIIBBH", 16) if bits == 32 else ("IBBHQQ", 24),
        verneed=("HHIII", 16), vernaux=("IHHII", 16), verdef=("HHHHIII", 20), verdaux=("II", 8),
        note=("III", 12), u32=("I", 4))
    lay = elf._Layout(bits, little)
    assert {k: (getattr(lay, k).format, getattr(lay, k).size) for k in want} == \
        {k: (e + f, n) for k, (f, n) in want.items()}
    assert {k: getattr(elf._LAYOUTS[bits, little], k).format for k in want} == {k: e + f for k, (f, _) in want.items()}


# -- dynamic symbols and their versions --------------------------------------------------------------------
SYM_STRINGS = b"\0libc.so.6\0GLIBC_2.2.5\0GLIBC_2.34\0puts\0sin\0my_func\0libx.so\0VERS_1\0stdout\0"


def so(name: bytes) -> int:
    return SYM_STRINGS.index(b"\0" + name + b"\0") + 1


def symbol_image(bits: int = 64, little: bool = True, *, hash: str = "sysv", versions: bool = True,
                 sections: bool = True, extra=(), dynsym_section: bool = False, hash_entry: int = 4, bloom: int = 1):
    """puts (undefined, GLIBC_2.2.5), sin (undefined, weak binding, GLIBC_2.34 hidden), my_func
    (defined, VERS_1), stdout (defined: a copy relocation of GLIBC_2.2.5) after the null symbol."""
    b = Elf(bits, little, machine=22 if hash_entry == 8 else 62)
    e = b.e
    s = b.add(SYM_STRINGS)
    syms = b.sym(0, 0) + b.sym(so(b"puts"), 0x12) + b.sym(so(b"sin"), 0x22) + b.sym(so(b"my_func"), 0x12, 5) \
        + b.sym(so(b"stdout"), 0x11, 6)
    symtab = b.add(syms)
    pairs = [(DT_STRTAB, s), (DT_STRSZ, len(SYM_STRINGS)), (DT_SYMTAB, symtab), (DT_NEEDED, so(b"libc.so.6"))]
    if hash == "sysv":
        h = b.add(struct.pack(e + ("QQQ" if hash_entry == 8 else "III"), 1, 5, 1) + bytes(5 * hash_entry))
        pairs.append((DT_HASH, h))
    elif hash == "gnu":
        word = bits // 8
        # nbuckets 2, symoffset 1, one bloom word; bucket 0 starts at symbol 1, bucket 1 at symbol 3;
        # chains of symbols 1..4: the chain of bucket 1 ends at symbol 4 (its low bit).
        h = b.add(struct.pack(e + "IIII", 2, 1, bloom, 6) + bytes(word * bloom) + struct.pack(e + "II", 1, 3)
                  + struct.pack(e + "IIII", 10, 21, 30, 41))
        pairs.append((DT_GNU_HASH, h))
    if versions:
        vs = b.add(struct.pack(e + "5H", 0, 2, 3 | 0x8000, 4, 2), 2)
        need = b.add(struct.pack(e + "HHIII", 1, 2, so(b"libc.so.6"), 16, 0)
                     + struct.pack(e + "IHHII", 0x1111, 0, 2, so(b"GLIBC_2.2.5"), 16)
                     + struct.pack(e + "IHHII", 0x2222, 2, 3 | 0x8000, so(b"GLIBC_2.34"), 0))
        vdef = b.add(struct.pack(e + "HHHHIII", 1, 1, 1, 1, 0x3333, 20, 28) + struct.pack(e + "II", so(b"libx.so"), 0)
                     + struct.pack(e + "HHHHIII", 1, 0, 4, 1, 0x4444, 20, 0) + struct.pack(e + "II", so(b"VERS_1"), 0))
        pairs += [(DT_VERSYM, vs), (DT_VERNEED, need), (DT_VERNEEDNUM, 1), (DT_VERDEF, vdef), (DT_VERDEFNUM, 2)]
    pairs += list(extra)
    d = b.dynamic(*pairs)
    if dynsym_section:
        b.sec(".dynstr", SHT_STRTAB, flags=SHF_ALLOC, addr=s, off=s, size=len(SYM_STRINGS))
        b.sec(".dynsym", SHT_DYNSYM, flags=SHF_ALLOC, addr=symtab, off=symtab, size=len(syms), link=1,
              entsize=24 if bits == 64 else 16)
        b.sec(".dynamic", SHT_DYNAMIC, flags=SHF_ALLOC, addr=d, off=d, size=16 * len(pairs), link=1)
    return b, b.build(sections=sections)


SYMBOLS = [("", None, False, 0, 0, False), ("puts", "GLIBC_2.2.5", False, 1, 2, False),
           ("sin", "GLIBC_2.34", False, 2, 2, True), ("my_func", "VERS_1", True, 1, 2, False),
           ("stdout", "GLIBC_2.2.5", True, 1, 1, False)]


def symbols_of(img):
    return [(s.name, s.version, s.defined, s.bind, s.type, s.hidden_version) for s in img.dynamic_symbols]


@pytest.mark.parametrize("bits,little,hash", [(64, True, "sysv"), (32, False, "sysv"), (64, False, "gnu"),
                                              (32, True, "gnu")])
def test_dynamic_symbols_and_versions(bits, little, hash):
    _, data = symbol_image(bits, little, hash=hash)
    img = load(data)
    assert symbols_of(img) == SYMBOLS and img.dynamic_symbol_count == 5
    assert list(img.imported_symbols()) == [("puts", "puts@GLIBC_2.2.5"), ("sin", "sin@GLIBC_2.34")]
    assert [(r.file, r.name, r.index, r.flags, r.hidden, r.weak) for r in img.version_requirements] == [
        ("libc.so.6", "GLIBC_2.2.5", 2, 0, False, False), ("libc.so.6", "GLIBC_2.34", 3, 2, True, True)]
    assert [(d.index, d.name, d.flags, d.parents, d.base) for d in img.version_definitions] == [
        (1, "libx.so", 1, (), True), (4, "VERS_1", 0, (), False)]
    assert img.symbols_bound_to({"GLIBC_2.2.5"}) == {"GLIBC_2.2.5": {"puts", "stdout"}}
    assert img.symbols_bound_to({"GLIBC_2.34", "GLIBC_2.2.5", "VERS_1"}) == {
        "GLIBC_2.2.5": {"puts", "stdout"}, "GLIBC_2.34": {"sin"}}
    assert img.symbols_bound_to(set()) == {} and img.symbols_bound_to({"GLIBC_9"}) == {}


def test_imported_symbols_without_versions():
    _, data = symbol_image(versions=False)
    img = load(data)
    assert list(img.imported_symbols()) == [("puts", "puts"), ("sin", "sin")]
    assert img.symbols_bound_to({"GLIBC_2.2.5"}) == {}


def test_symbols_bound_to_through_the_version_section():
    b, _ = symbol_image(sections=False)
    # the DT_VERSYM entry dropped (its tag made DT_NULL's neighbour 0x6ffffff1, unknown): the section names the table
    data = b.build()
    vs = next(v for t, v in load(data).dynamic if t == DT_VERSYM)
    i = bytes(data).index(struct.pack("<qQ", DT_VERSYM, vs))
    struct.pack_into("<q", data, i, 0x6FFFFFF1)
    assert load(data).symbols_bound_to({"GLIBC_2.2.5"}) == {}
    b.sec(".gnu.version", SHT_GNU_VERSYM, off=vs, size=10)
    data = b.build()
    struct.pack_into("<q", data, i, 0x6FFFFFF1)
    img = load(data)
    assert img.symbols_bound_to({"GLIBC_2.2.5"}) == {"GLIBC_2.2.5": {"puts", "stdout"}}
    assert symbols_of(img) == SYMBOLS


def test_symbols_bound_to_skips_odd_positions():
    # versym words [0, 2, 0x8003, 0x200, 0x400] little-endian: 00 00 02 00 03 80 00 02 00 04; GLIBC_2.2.5's
    # index 2 (02 00) occurs at offset 2 (entry 1) and at odd offset 7, across entries 3 and 4: no entry.
    b, data = symbol_image()
    vs = load(data).dyn1(DT_VERSYM)
    struct.pack_into("<5H", data, vs, 0, 2, 0x8003, 0x200, 0x400)
    img = load(data)
    assert img.symbols_bound_to({"GLIBC_2.2.5"}) == {"GLIBC_2.2.5": {"puts"}}


@pytest.mark.parametrize("bits", [64, 32])
def test_bound_symbol_defined_here_counts_only_as_a_copy(bits):
    b, data = symbol_image(bits)
    img = load(data)
    vs = img.dyn1(DT_VERSYM)
    vdef = img.dyn1(DT_VERDEF)
    struct.pack_into("<H", data, vdef + 28 + 4, 2)      # VERS_1's index is 2 now, as GLIBC_2.2.5's
    img = load(data)
    assert img.symbols_bound_to({"GLIBC_2.2.5"}) == {"GLIBC_2.2.5": {"puts"}}
    assert vs


# -- notes, the ABI-tag floor, the record's fields ------------------------------------------------------------
def note_image(*notes: tuple[bytes, int, bytes], little: bool = True, osabi: int = 0, e_type: int = ET_EXEC,
               interp: bytes | None = None):
    b = Elf(little=little, osabi=osabi, e_type=e_type)
    raw = b"".join(b.note(*n) for n in notes)
    off = b.add(raw, 4)
    if notes:
        b.seg(PT_NOTE, off, len(raw))
    if interp is not None:
        i = b.add(interp + b"\0")
        b.seg(PT_INTERP, i, len(interp) + 1)
    return load(b.build())


@pytest.mark.parametrize("little", [True, False])
def test_os_floor_from_the_abi_tag(little):
    e = "<" if little else ">"
    img = note_image((b"GNU\0", 3, b"\x01\x02"), (b"GNX\0", 1, bytes(16)), (b"GNU\0", 1, struct.pack(e + "4I", 0, 3, 2, 10)),
                     little=little)
    assert img.os_floor() == OsFloor("Linux", "3.2.10", "GNU ABI-tag note: for GNU/Linux 3.2.10")
    assert img.note(b"GNU\0", 3).desc == b"\x01\x02" and img.note(b"GNU\0", 2) is None and img.note(b"GNU", 3) is None
    assert img.note(b"GNX\0", 1).desc == bytes(16)
    assert img.gnu_build_id == "0102"


def test_os_floor_needs_16_bytes_of_linux():
    assert note_image((b"GNU\0", 1, struct.pack("<4I", 0, 3, 2, 0)[:15])).os_floor() is None
    assert note_image((b"GNU\0", 1, struct.pack("<4I", 1, 3, 2, 0))).os_floor() is None
    assert note_image((b"GNU\0", 1, struct.pack("<5I", 0, 4, 4, 0, 9))).os_floor() == OsFloor(
        "Linux", "4.4.0", "GNU ABI-tag note: for GNU/Linux 4.4.0")
    assert note_image().os_floor() is None


@pytest.mark.parametrize("summary", [True, False])
def test_facts(summary):
    b = Elf(bits=32, little=False, machine=8, e_type=ET_DYN)
    s = b.add(STRINGS)
    notes = b.note(b"GNU\0", 3, b"\xab\xcd") + b.note(b"Go\0\0", 4, b"go-id\0\0\0")
    n = b.add(notes, 4)
    b.seg(PT_NOTE, n, len(notes))
    i = b.add(b"/lib/ld.so.1\0")
    b.seg(PT_INTERP, i, 13)
    b.dynamic((DT_NEEDED, LIBC), (DT_RUNPATH, RUNPATH), (DT_RPATH, RPATH), (DT_SONAME, SONAME), (DT_STRTAB, s),
              (DT_FLAGS_1, DF_1_PIE))
    b.sec(".symtab", SHT_SYMTAB)
    b.sec(".debug_info", SHT_PROGBITS)
    img = load(b.build())
    want = dict(format="elf", arch="mips", bits=32, endian="big", os="linux", type="pie-executable",
                linkage="dynamic", interpreter="/lib/ld.so.1", needed=("libc.so.6",), stripped=False, debug_info=True)
    if not summary:
        want.update(rpath=("/r",), runpath=("/a", "/b"), soname="libx.so.1", gnu_build_id="abcd", go_build_id="go-id")
    assert img.facts(summary) == want


def test_facts_of_unreadable_tables():
    b = Elf()
    b.seg(PT_NOTE, 1 << 20, 16)                 # skipped: past the end
    b.seg(PT_INTERP, 1 << 20, 16)
    b.dynamic((DT_NEEDED, 1), (DT_RPATH, 1), (DT_RUNPATH, 1), (DT_SONAME, 1))
    img = load(b.build())
    f = img.facts()
    assert (f["interpreter"], f["needed"], f["rpath"], f["runpath"], f["soname"]) == (None, (), (), (), None)
    assert (f["os"], f["gnu_build_id"], f["go_build_id"]) == (None, None, None)
    beyond = "PT_INTERP starts beyond end of data (0x100000 > %#x)" % img.view.size
    assert [(w.table, w.message) for w in img.warnings] == [
        ("notes", beyond), ("interpreter", "PT_INTERP starts beyond end of data (0x100000 > %#x)" % img.view.size),
        ("dynamic strings", "dynamic table has strings but no DT_STRTAB")]
    assert load(b.build()).facts(True).keys() == {"format", "arch", "bits", "endian", "os", "type", "linkage",
                                                 "interpreter", "needed", "stripped", "debug_info"}


# -- the static symbol table: its strings, the names' offsets --------------------------------------------------
def symtab_image(entsize: int = 24, link: int = 2, strtab_type: int = SHT_STRTAB, strtab_off: int | None = None,
                 strtab_size: int = 9, syms: bytes | None = None):
    b = Elf()
    raw = syms if syms is not None else b.sym(0, 0) + b.sym(5, 0x12, 1) + b.sym(1, 0x11, 1)
    t = b.add(raw)
    st = b.add(b"\0abc\0def\0", 1)
    b.sec(".symtab", SHT_SYMTAB, off=t, size=len(raw), link=link, entsize=entsize)
    b.sec(".strtab", strtab_type, off=st if strtab_off is None else strtab_off, size=strtab_size)
    return load(b.build()), t, st


def test_symbol_strings():
    img, _, st = symtab_image()
    assert img.symbol_strings() == (st, 9)
    assert symtab_image(link=0)[0].symbol_strings() is None
    assert symtab_image(link=4)[0].symbol_strings() is None        # 4 sections: .symtab, .strtab, .shstrtab
    assert symtab_image(link=3)[0].symbol_strings() is not None
    assert symtab_image(strtab_type=SHT_NOBITS)[0].symbol_strings() is None
    img, _, st = symtab_image(strtab_size=1 << 20)
    assert img.symbol_strings() == (st, img.view.size - st)        # cut at the file's end
    img = symtab_image(strtab_off=1 << 20)[0]
    assert img.symbol_strings() is None
    img = symtab_image(strtab_off=0)[0]
    size = img.view.size
    assert img.symbol_strings() == (0, 9)
    edge = symtab_image(strtab_off=size - 1)[0]
    assert edge.symbol_strings() == (size - 1, 1)
    past = symtab_image(strtab_off=size)[0]
    assert past.symbol_strings() is None
    b = Elf()
    assert load(b.build()).symbol_strings() is None


def test_symbol_name_offsets():
    img, t, _ = symtab_image()
    assert img.symbol_name_offsets(1 << 20) == {0, 5, 1}
    assert img.symbol_name_offsets(48) == {0, 5} and img.symbol_name_offsets(47) == {0}
    assert img.symbol_name_offsets(0) == frozenset()
    assert symtab_image(entsize=0)[0].symbol_name_offsets(1 << 20) == frozenset()
    assert symtab_image(entsize=26)[0].symbol_name_offsets(1 << 20) == frozenset()
    # entries of 36 bytes (9 words): the names at words 0, 9, 18 (the rest of each entry is ignored)
    raw = b"".join(struct.pack("<I", n) + bytes(32) for n in (7, 8, 9))
    assert symtab_image(entsize=36, syms=raw)[0].symbol_name_offsets(1 << 20) == {7, 8, 9}
    assert load(Elf().build()).symbol_name_offsets(100) == frozenset()


# -- the version records' budgets and the addresses the dynamic table names --------------------------------------
def patched_dyn(data: bytearray, tag: int, value: int) -> bytearray:
    """The dynamic table's ``tag`` entry (64-bit little-endian) set to ``value``."""
    img = load(data)
    old = img.dyn1(tag)
    i = bytes(data).index(struct.pack("<qQ", tag, old))
    out = bytearray(data)
    struct.pack_into("<Q", out, i + 8, value)
    return out


def raised(fn):
    with pytest.raises(Malformed) as e:
        fn()
    return type(e.value), e.value.message, e.value.offset


def test_version_need_count_budget():
    _, data = symbol_image()
    need = load(data).dyn1(DT_VERNEED)
    img = load(patched_dyn(data, DT_VERNEEDNUM, 65537))
    assert raised(lambda: img.version_requirements) == (
        Malformed, "version needs (DT_VERNEEDNUM): 65537 records declared, more than the 65536 accepted", need)
    img = load(patched_dyn(data, DT_VERNEEDNUM, 65536))
    t, msg, off = raised(lambda: img.version_requirements)
    assert (t, off) == (Truncated, need)
    assert msg.startswith("version needs (DT_VERNEEDNUM) of 65536 entries of 16 bytes needs 1048576 bytes")


def test_version_need_entry_budget():
    _, data = symbol_image()
    need = load(data).dyn1(DT_VERNEED)
    struct.pack_into("<H", data, need + 2, 65535)      # vn_cnt is 16 bits: the records must fit the file
    t, msg, off = raised(lambda: load(data).version_requirements)
    assert (t, off) == (Truncated, need + 16)
    assert msg.startswith("version need entries of libc.so.6 of 65535 entries of 16 bytes needs 1048560 bytes")
    struct.pack_into("<H", data, need + 2, 0)          # no count: the chain alone says
    assert [r.name for r in load(data).version_requirements] == ["GLIBC_2.2.5", "GLIBC_2.34"]


def test_version_definition_budgets():
    _, data = symbol_image()
    vdef = load(data).dyn1(DT_VERDEF)
    img = load(patched_dyn(data, DT_VERDEFNUM, 65537))
    assert raised(lambda: img.version_definitions) == (
        Malformed, "version definitions (DT_VERDEFNUM): 65537 records declared, more than the 65536 accepted", vdef)
    img = load(patched_dyn(data, DT_VERDEFNUM, 65536))
    t, msg, off = raised(lambda: img.version_definitions)
    assert (t, off) == (Truncated, vdef) and msg.startswith("version definitions (DT_VERDEFNUM) of 65536 entries of 20 bytes")
    struct.pack_into("<H", data, vdef + 6, 65535)
    t, msg, off = raised(lambda: load(data).version_definitions)
    assert (t, off) == (Truncated, vdef + 20)
    assert msg.startswith("version definition names of 65535 entries of 8 bytes needs 524280 bytes")


@pytest.mark.parametrize("tag,name", [(DT_VERNEED, "DT_VERNEED"), (DT_VERDEF, "DT_VERDEF"), (DT_SYMTAB, "DT_SYMTAB"),
                                      (DT_HASH, "DT_HASH"), (DT_VERSYM, "DT_VERSYM")])
def test_unmapped_addresses_are_named(tag, name):
    _, data = symbol_image()
    img = load(patched_dyn(data, tag, 0x7777000))
    attr = {DT_VERNEED: "version_requirements", DT_VERDEF: "version_definitions"}.get(tag, "dynamic_symbols")
    assert raised(lambda: getattr(img, attr)) == (
        Malformed, f"{name} address 0x7777000 is not in any loaded segment", None)


# -- sizing the dynamic symbol table: DT_HASH, DT_GNU_HASH ---------------------------------------------------------
def test_sysv_hash_with_8_byte_entries_on_s390x():
    _, data = symbol_image(hash_entry=8)
    img = load(data)
    assert img.machine == 22 and img.dynamic_symbol_count == 5 and symbols_of(img) == SYMBOLS
    # the same table read by another machine: 4-byte words 1, 0 | 5, 0: nchain 0 (the second word)
    struct.pack_into("<H", data, 18, 62)
    assert load(data).dynamic_symbol_count == 0


def test_sysv_hash_entry_size_from_the_section():
    b, _ = symbol_image(hash_entry=8, sections=False)
    img = load(b.build())
    h = img.dyn1(DT_HASH)
    b.sec(".hash", SHT_HASH, addr=h, off=h, size=40, entsize=4)       # lld: 4-byte entries on s390x too
    assert load(b.build()).dynamic_symbol_count == 0                    # words 1, 0: nchain 0
    b.secs[-1] = (".hash", SHT_HASH, 0, h, h, 40, 0, 0, 8, 8)
    assert load(b.build()).dynamic_symbol_count == 5
    b.secs[-1] = (".hash", SHT_HASH, 0, h + 1, h, 40, 0, 0, 8, 4)      # at another address: not this table's
    assert load(b.build()).dynamic_symbol_count == 5
    b.secs[-1] = (".hash", SHT_HASH, 0, h, h, 40, 0, 0, 8, 2)          # an entry size no table has: ignored
    assert load(b.build()).dynamic_symbol_count == 5
    b.secs[-1] = (".hash", SHT_PROGBITS, 0, h, h, 40, 0, 0, 8, 4)
    assert load(b.build()).dynamic_symbol_count == 5


def test_sysv_hash_8_byte_guess_needs_sane_counts():
    b, data = symbol_image(hash_entry=8)
    h = load(data).dyn1(DT_HASH)
    # nbucket (1 << 20) + 1 as a u64: no table has it, so the words are 4 bytes: 0x100001, 0 -> nchain 0
    struct.pack_into("<Q", data, h, (1 << 20) + 1)
    assert load(data).dynamic_symbol_count == 0
    struct.pack_into("<Q", data, h, 1 << 20)
    assert load(data).dynamic_symbol_count == 5
    struct.pack_into("<Q", data, h + 8, (1 << 20) + 1)                # nchain too large read as 8 bytes: 4 bytes
    assert load(data).dynamic_symbol_count == 0
    struct.pack_into("<QQ", data, h, 1, 5)
    struct.pack_into("<H", data, 18, 0x9026)                            # Alpha: 8-byte entries too
    assert load(data).dynamic_symbol_count == 5
    with pytest.raises(Malformed):
        elf.ElfImage(ByteView(bytes(data)))._hash_entry_size(0, load(data).view.size - 8)


def test_sysv_hash_count_limit():
    _, data = symbol_image()
    h = load(data).dyn1(DT_HASH)
    struct.pack_into("<I", data, h + 4, (1 << 20) + 1)
    assert raised(lambda: load(data).dynamic_symbols) == (
        Malformed, "DT_HASH declares 1048577 symbols, more than the 1048576 accepted", h + 4)
    struct.pack_into("<I", data, h + 4, 1 << 20)
    t, msg, off = raised(lambda: load(data).dynamic_symbols)
    assert msg.startswith("dynamic symbol table of 1048576 entries")
    b, _ = symbol_image(hash_entry=8, sections=False)
    h = load(b.build()).dyn1(DT_HASH)
    b.sec(".hash", SHT_HASH, addr=h, off=h, size=40, entsize=8)
    data = b.build()
    struct.pack_into("<Q", data, h + 8, (1 << 20) + 1)
    assert raised(lambda: load(data).dynamic_symbols) == (
        Malformed, "DT_HASH declares 1048577 symbols, more than the 1048576 accepted", h + 8)


def gnu_hash_data(bits=64):
    _, data = symbol_image(bits, hash="gnu")
    img = load(data)
    return data, img.dyn1(DT_GNU_HASH), img


def test_gnu_hash_counts():
    data, h, img = gnu_hash_data()
    assert img.dynamic_symbol_count == 5
    # the chain of bucket 1 ends at symbol 3 instead: 4 symbols
    struct.pack_into("<I", data, h + 16 + 8 + 8 + 8, 31)
    assert load(data).dynamic_symbol_count == 4
    # a bloom filter of 3 words: the buckets are 16 bytes later
    _, d3 = symbol_image(hash="gnu", bloom=3)
    assert load(d3).dynamic_symbol_count == 5
    _, d3 = symbol_image(32, hash="gnu", bloom=3)
    assert load(d3).dynamic_symbol_count == 5
    data32, h32, img32 = gnu_hash_data(32)
    assert img32.dynamic_symbol_count == 5


def test_gnu_hash_limits():
    data, h, img = gnu_hash_data()
    for field, value, message in [(0, (1 << 20) + 1, f"DT_GNU_HASH declares {(1 << 20) + 1} buckets from symbol 1"),
                                  (4, (1 << 20) + 1, f"DT_GNU_HASH declares 2 buckets from symbol {(1 << 20) + 1}")]:
        d = bytearray(data)
        struct.pack_into("<I", d, h + field, value)
        assert raised(lambda: load(d).dynamic_symbols) == (Malformed, message, h)
    d = bytearray(data)
    struct.pack_into("<I", d, h, 1 << 20)          # at the limit: the buckets do not fit the file
    t, msg, off = raised(lambda: load(d).dynamic_symbols)
    assert msg.startswith("DT_GNU_HASH buckets of 1048576 entries") and off == h + 24
    d = bytearray(data)
    struct.pack_into("<I", d, h + 8, 1 << 20)
    t, msg, off = raised(lambda: load(d).dynamic_symbols)
    assert msg.startswith("DT_GNU_HASH bloom filter of 1048576 entries of 8 bytes") and off == h + 16
    d = bytearray(data)
    struct.pack_into("<I", d, h + 4, 2)             # symoffset 2
    struct.pack_into("<II", d, h + 24, 1, 1)        # both buckets start at symbol 1, below symoffset 2
    assert raised(lambda: load(d).dynamic_symbols) == (
        Malformed, "DT_GNU_HASH bucket names symbol 1, below symoffset 2", h + 24)
    struct.pack_into("<II", d, h + 24, 2, 2)        # at symoffset: the chain from symbol 2 (entries 10, 21)
    assert load(d).dynamic_symbol_count == 4


def test_gnu_hash_chain_that_does_not_end():
    b = Elf()
    e = b.e
    n = 1 << 20
    s = b.add(b"\0")
    h = b.add(struct.pack(e + "IIII", 1, 1, 1, 6) + bytes(8) + struct.pack(e + "I", n - 2) + bytes(4 * n))
    chains = h + 16 + 8 + 4
    struct.pack_into("<I", b.data, chains + 4 * (n - 1), 1)     # symbol 1 << 20 would end it: not read
    b.dynamic((DT_STRTAB, s), (DT_SYMTAB, s), (DT_GNU_HASH, h))
    img = load(b.build(sections=False))
    assert raised(lambda: img.dynamic_symbols) == (Malformed, "DT_GNU_HASH chain runs past 1048576 symbols", chains)
    # the chain ends at the last symbol below the limit: 1 << 20 symbols, more than the file holds
    struct.pack_into("<I", b.data, chains + 4 * (n - 2), 1)
    t, msg, off = raised(lambda: load(b.build(sections=False)).dynamic_symbols)
    assert msg.startswith("dynamic symbol table of 1048576 entries")


def test_gnu_hash_without_hashed_symbols():
    data, h, _ = gnu_hash_data()
    struct.pack_into("<II", data, h + 24, 0, 0)
    img = load(data)
    # no bucket names a symbol: sized from DT_STRTAB right after the table (GNU ld's layout):
    # (strtab - symtab) // 24 is negative here (the strings come first), so symoffset (1) stands
    assert img.dynamic_symbol_count == 1
    struct.pack_into("<I", data, h + 4, 4)
    assert load(data).dynamic_symbol_count == 4


# -- the dynamic symbols of an object: the .dynsym section -----------------------------------------------------
def test_dynamic_symbols_from_the_section_alone():
    b = Elf(e_type=ET_REL)
    s = b.add(SYM_STRINGS)
    syms = b.sym(0, 0) + b.sym(so(b"puts"), 0x12) + b.sym(so(b"sin"), 0x22, 3)
    t = b.add(syms)
    b.sec(".dynstr", SHT_STRTAB, off=s, size=len(SYM_STRINGS))
    b.sec(".dynsym", SHT_DYNSYM, off=t, size=len(syms), link=1, entsize=24)
    img = load(b.build(load=False))
    assert [(x.name, x.defined, x.bind) for x in img.dynamic_symbols] == [("", False, 0), ("puts", False, 1),
                                                                          ("sin", True, 2)]
    assert img.dynamic_symbol_count == 3 and list(img.imported_symbols()) == [("puts", "puts")]


# -- size regions ------------------------------------------------------------------------------------------------
def test_size_regions_from_the_sections():
    b = Elf(bits=32)
    text = b.add(b"\x90" * 16)
    symtab = b.add(bytes(32))
    strtab = b.add(b"\0a\0", 1)
    com = b.add(b"GCC\0", 1)
    b.sec(".text", SHT_PROGBITS, flags=SHF_ALLOC | SHF_EXECINSTR, off=text, size=16)
    b.sec(".bss", SHT_NOBITS, flags=SHF_ALLOC | SHF_WRITE, off=com, size=0x100)
    b.sec(".symtab", SHT_SYMTAB, off=symtab, size=32, link=4, entsize=16)
    b.sec(".strtab", SHT_STRTAB, off=strtab, size=3)
    b.sec(".comment", SHT_PROGBITS, off=com, size=4)
    b.sec(".empty", SHT_PROGBITS, off=com, size=0)
    data = b.build()
    shoff = struct.unpack_from("<I", data, 0x20)[0]
    names_off, names_size = struct.unpack_from("<II", data, shoff + 7 * 40 + 16)   # section 7's sh_offset, sh_size
    assert names_size == len(b"\0.text\0.bss\0.symtab\0.strtab\0.comment\0.empty\0.shstrtab\0")
    img = load(data)
    assert img.size_regions() == [
        (0, 52, 0, "headers"), (52, 52 + 32, 0, "headers"), (shoff, shoff + 8 * 40, 0, "headers"),
        (text, text + 16, 2, "code"), (symtab, symtab + 32, 2, "symtab"), (strtab, strtab + 3, 2, "symtab"),
        (com, com + 4, 2, "other"), (names_off, names_off + names_size, 2, "headers")]


def test_size_regions_of_the_name_and_symbol_string_tables_come_from_their_index():
    """.shstrtab is headers and a symbol table's strings are symtab because of which section they
    are, not of their name, type and flags: the kinds memoised for the same three elsewhere (a
    .strtab no symbol table links, a .shstrtab that is not the names table) never answer for them."""
    elf.section_category(".strtab", SHT_STRTAB, 0, set(), 3, 9)          # an unlinked .strtab: other
    elf.section_category(".shstrtab", SHT_STRTAB, 0, set(), 4, 9)        # not the names table: other
    assert elf._KINDS[(".strtab", SHT_STRTAB, 0)] == elf._KINDS[(".shstrtab", SHT_STRTAB, 0)] == "other"
    test_size_regions_from_the_sections()


def test_size_regions_from_the_segments():
    b = Elf()
    i = b.add(b"/lib/ld.so\0")
    d = b.add(bytes(32))
    n = b.add(bytes(12))
    b.seg(PT_INTERP, i, 11)
    b.seg(PT_DYNAMIC, d, 32)
    b.seg(PT_NOTE, n, 12)
    b.seg(6, 64, 56)                                        # PT_PHDR: nothing of its own
    b.seg(PT_LOAD, 0, 0x10, flags=PF_R | PF_X)
    b.seg(PT_LOAD, 0x10, 0x10, flags=PF_R | PF_W)
    b.seg(PT_LOAD, 0x20, 0x10, flags=PF_R)
    b.seg(PT_LOAD, 0x30, 0, flags=PF_R, memsz=0x100)        # loads nothing from the file
    img = load(b.build(sections=False))
    size = len(b.data)
    tail = [(0, size, 3, "code"), (0, 0x10, 3, "code"), (0x10, 0x20, 3, "data"), (0x20, 0x30, 3, "rodata")]
    head = [(0, 64, 0, "headers"), (64, 64 + 9 * 56, 0, "headers")]
    mid = [(i, i + 11, 1, "dynamic"), (d, d + 32, 1, "dynamic"), (n, n + 12, 1, "other")]
    assert img.size_regions() == head + mid + tail
    assert img.size_regions(lambda: (0x100, 0x40)) == head + [(0x100, 0x140, 1, "pclntab")] + mid + tail
    assert img.size_regions(lambda: None) == head + mid + tail
    # no program headers either: the ELF header alone
    bare = Elf()
    assert load(bare.build(sections=False, load=False)).size_regions() == [(0, 64, 0, "headers")]


def test_dynamic_tags_of_a_32_bit_file_are_32_bit_unsigned():
    """Elf32_Dyn's d_tag is a signed 32-bit word: a tag at or above 0x80000000 is that unsigned 32-bit value
    (readelf -d prints 0x80000001 for the table below), not the 64-bit sign extension 0xffffffff80000001."""
    b = Elf(bits=32)
    raw = struct.pack("<iIiIiI", -0x7FFFFFFF, 5, DT_FLAGS, 3, 0, 0)
    off = b.add(raw)
    b.seg(PT_DYNAMIC, off, len(raw))
    img = load(b.build(sections=False))
    assert img.dynamic == [(0x80000001, 5), (DT_FLAGS, 3)] and img.dyn1(0x80000001) == 5
    b = Elf(bits=32, little=False)
    raw = struct.pack(">iIiI", -1, 7, 0, 0)
    off = b.add(raw)
    b.seg(PT_DYNAMIC, off, len(raw))
    assert load(b.build(sections=False)).dynamic == [(0xFFFFFFFF, 7)]


# -- the strip prediction's helpers: .go.buildinfo's used bytes, section alignments ---------------------------
BUILDINFO_HEADER = b"\xff Go buildinf:" + bytes([8, 2]) + bytes(16)     # cmd/go: 14-byte magic, ptrsize, flags


def buildinfo_image(content: bytes, size: int | None = None):
    b = Elf()
    off = b.add(content, 16)
    b.sec(".go.buildinfo", SHT_PROGBITS, flags=SHF_ALLOC | SHF_WRITE, off=off, size=len(content) if size is None else size,
          align=16)
    img = load(b.build())
    return img, img.section(".go.buildinfo")


def test_buildinfo_content():
    inline = BUILDINFO_HEADER + bytes([5]) + b"go1.2" + bytes([3]) + b"mod" + bytes(7)
    img, bi = buildinfo_image(inline)
    assert img._buildinfo_content(bi) == 32 + 6 + 4
    img, bi = buildinfo_image(BUILDINFO_HEADER + bytes([0x80, 0x01]) + b"x" * 128 + bytes([0]))
    assert img._buildinfo_content(bi) == 32 + 2 + 128 + 1
    img, bi = buildinfo_image(BUILDINFO_HEADER + bytes([5]) + b"go1.2" + bytes([4]) + b"mod")   # one byte short
    assert img._buildinfo_content(bi) is None
    img, bi = buildinfo_image(BUILDINFO_HEADER + bytes([5]) + b"go1.2" + bytes([3]) + b"mod")   # to the last byte
    assert img._buildinfo_content(bi) == 32 + 6 + 4
    img, bi = buildinfo_image(BUILDINFO_HEADER + bytes([0x80] * 10) + bytes(8))                   # a varint over 64 bits
    assert img._buildinfo_content(bi) is None
    img, bi = buildinfo_image(BUILDINFO_HEADER + bytes([6]) + b"go1.2")                           # cut in the string
    assert img._buildinfo_content(bi) is None
    img, bi = buildinfo_image(BUILDINFO_HEADER[:15] + b"\x00" + bytes(16) + bytes([1, 0x41, 0]))  # pointer form
    assert img._buildinfo_content(bi) is None
    img, bi = buildinfo_image(BUILDINFO_HEADER[:15] + b"\x03" + bytes(16) + bytes([1, 0x41, 0]))
    assert img._buildinfo_content(bi) == 35
    img, bi = buildinfo_image(b"\xff Go buildinF:" + BUILDINFO_HEADER[14:] + bytes([0, 0]))
    assert img._buildinfo_content(bi) is None
    img, bi = buildinfo_image(BUILDINFO_HEADER[:31])
    assert img._buildinfo_content(bi) is None
    img, bi = buildinfo_image(BUILDINFO_HEADER + bytes([0, 0]), size=1 << 20)                    # past the file's end
    assert img._buildinfo_content(bi) is None
    img, bi = buildinfo_image(BUILDINFO_HEADER, size=32)
    assert img._buildinfo_content(bi) is None                                                     # no room for the varints
    assert img._buildinfo_content(elf.ElfSection(".go.buildinfo", 1, 3, 0, bi.offset, 34, 0, 0, 0)) is None
    edge = img.view.size - bi.offset
    # to the file's last byte: read (the name table after the header holds varints 0 and 46, ".")
    assert img._buildinfo_content(elf.ElfSection(".go.buildinfo", 1, 3, 0, bi.offset, edge, 0, 0, 0)) == 32 + 1 + 1 + 46
    assert img._buildinfo_content(elf.ElfSection(".go.buildinfo", 1, 3, 0, bi.offset, edge + 1, 0, 0, 0)) is None


def test_section_alignments():
    b = Elf()
    for a in (0, 1, 2, 4096, 1 << 16, (1 << 16) + 1, 3):
        b.sec(f".a{a}", SHT_PROGBITS, align=a)
    img = load(b.build())
    assert [img._section_align(i) for i in range(1, 8)] == [1, 1, 2, 4096, 1 << 16, 1, 3]


# -- the strip prediction against GNU strip, on files laid out by hand ---------------------------------------
def strip_case(bits: int, kept: list[tuple[str, int, int]], debug: list[str], symtab: bool = True,
               text_align: int = 16, text_section: bool = True, shndx: bool = False) -> bytearray:
    """An executable: .text in the PT_LOAD, then non-loaded sections: ``kept`` (name, size, alignment) kept by
    strip, ``debug`` sections and .symtab/.strtab removed by it. Without ``text_section`` the loaded
    bytes have no section header: no section is loaded, the PT_LOAD alone says where the loaded part ends.
    ``shndx`` adds an SHT_SYMTAB_SHNDX section (strip removes it too)."""
    b = Elf(bits, e_type=ET_EXEC)
    text = b.add(b"\x90" * 64, text_align)
    if text_section:
        b.sec(".text", SHT_PROGBITS, flags=SHF_ALLOC | SHF_EXECINSTR, addr=text, off=text, size=64, align=text_align)
    load_end = len(b.data)
    for i, name in enumerate(debug):
        off = b.add(bytes([i + 1]) * (17 + i), 1)
        b.sec(name, SHT_PROGBITS, off=off, size=17 + i, align=1)
    for name, size, align in kept:
        off = b.add(b"k" * size, align)
        b.sec(name, SHT_PROGBITS, off=off, size=size, align=align)
    if symtab:
        st = b.add(b"\0main\0", 1)
        sy = b.add(b.sym(0, 0) + b.sym(1, 0x12, 1, text), 8)
        strtab_index = len(b.secs) + 1
        b.sec(".strtab", SHT_STRTAB, off=st, size=6, align=1)
        b.sec(".symtab", SHT_SYMTAB, off=sy, size=2 * (24 if bits == 64 else 16), link=strtab_index, info=1,
              align=8 if bits == 64 else 4, entsize=24 if bits == 64 else 16)
    if shndx:
        b.sec(".symtab_shndx", SHT_SYMTAB_SHNDX, off=b.add(bytes(8), 4), size=8, align=4, entsize=4)
    return b.build(load_end=load_end)


STRIP_CASES = {
    "64-comment": (64, [(".comment", 7, 1)], [".debug_info", ".debug_abbrev"]),
    "32-comment": (32, [(".comment", 7, 1)], [".debug_info"]),
    "aligned-kept": (64, [(".comment", 5, 1), (".note.k", 12, 8), (".aligned", 3, 64)], [".debug_str"]),
    "shared-name-tails": (64, [(".foo", 3, 1), (".x.foo", 4, 1)], [".debug_line", ".zdebug_x", ".stab"]),
    "no-debug": (64, [(".comment", 9, 1)], []),
    "32-aligned": (32, [(".b", 3, 4), (".c", 1, 2)], [".gdb_index"]),
    "debug-without-symtab": (64, [(".comment", 7, 1)], [".debug_info"], False),   # the debug sections alone go
}


@reference.needs_tool(shutil.which("strip"), "GNU strip (binutils)")
@pytest.mark.parametrize("case", sorted(STRIP_CASES))
def test_strip_saving_matches_gnu_strip_on_hand_made_layouts(case, tmp_path):
    from linkscope.formats.base import Relink
    data = strip_case(*STRIP_CASES[case])
    path = tmp_path / case
    path.write_bytes(bytes(data))
    subprocess.run(["strip", str(path)], check=True)
    assert load(data).strip_saving(Relink()) == len(data) - os.path.getsize(path)


@reference.needs_tool(shutil.which("strip"), "GNU strip (binutils)")
def test_strip_saving_of_a_symtab_shndx_without_a_symtab_matches_gnu_strip(tmp_path):
    """An SHT_SYMTAB_SHNDX section is strip's to remove even with no .symtab beside it."""
    from linkscope.formats.base import Relink
    data = strip_case(64, [(".comment", 7, 1)], [], symtab=False, shndx=True)
    saving = load(data).strip_saving(Relink())
    assert saving is not None and saving == len(data) - gnu_stripped(data, tmp_path)[0]


@pytest.mark.parametrize("bits", [64, 32])
def test_strip_saving_without_a_loaded_section(bits):
    """Loaded bytes that no section header covers (only the PT_LOAD says where the loaded part ends):
    they stay, and what follows is laid out as usual. Counted by hand: the PT_LOAD's bytes (its
    p_offset + p_filesz, read here from the program header), .comment's 7, the new .shstrtab
    ("\\0.comment\\0.shstrtab\\0", 20 bytes), the three remaining section headers at the table's alignment. GNU strip is no reference here: BFD
    writes a segment's contents from its sections, so it drops the uncovered loaded bytes (the
    program with them)."""
    from linkscope.formats.base import Relink
    data = strip_case(bits, [(".comment", 7, 1)], [".debug_info"], text_section=False)
    img = load(data)
    if bits == 64:
        phoff = struct.unpack_from("<Q", data, 32)[0]
        p_offset, p_filesz = struct.unpack_from("<QQQQ", data, phoff + 8)[0], struct.unpack_from("<Q", data, phoff + 32)[0]
    else:
        phoff = struct.unpack_from("<I", data, 28)[0]
        p_offset, p_filesz = struct.unpack_from("<II", data, phoff + 4)[0], struct.unpack_from("<I", data, phoff + 16)[0]
    load_end = p_offset + p_filesz
    shent, align = (64, 8) if bits == 64 else (40, 4)
    kept_end = -(-(load_end + 7 + 20) // align) * align + 3 * shent
    assert img.strip_saving(Relink()) == len(data) - kept_end


def test_strip_saving_declines():
    from linkscope.formats.base import Relink
    assert load(strip_case(64, [(".comment", 7, 1)], [], symtab=False)).strip_saving(Relink()) is None
    rel = strip_case(64, [], [".debug_info"])
    struct.pack_into("<H", rel, 16, ET_REL)
    assert load(rel).strip_saving(Relink()) is None
    core = bytearray(rel)
    struct.pack_into("<H", core, 16, ET_CORE)
    assert load(core).strip_saving(Relink()) is None
    dyn = bytearray(rel)
    struct.pack_into("<H", dyn, 16, ET_DYN)
    assert load(dyn).strip_saving(Relink()) is not None
    assert load(Elf(e_type=ET_EXEC).build(sections=False)).strip_saving(Relink()) is None


@pytest.mark.parametrize("bits", [64, 32])
def test_section_headers_with_a_larger_entry_size(bits):
    b = Elf(bits, shentsize=(64 if bits == 64 else 40) + 8)
    off = b.add(b"abcd")
    b.sec(".a", SHT_PROGBITS, flags=SHF_ALLOC, addr=0x10, off=off, size=4, align=4)
    b.sec(".b", SHT_NOBITS, off=off, size=2)
    img = load(b.build())
    assert img.section_names == ("", ".a", ".b", ".shstrtab")
    assert [(s.name, s.type, s.flags, s.addr, s.offset, s.size) for s in img.elf_sections[1:3]] == [
        (".a", SHT_PROGBITS, SHF_ALLOC, 0x10, off, 4), (".b", SHT_NOBITS, 0, 0, off, 2)]


def test_a_table_of_the_null_section_alone():
    img = load(Elf().build(shnum=1, shstrndx=0))
    assert img.section_names == ("",) and img.stripped is True and img.section_at(0).type == 0


def test_section_0_is_never_the_name_table():
    b = Elf()
    b.sec(".a", SHT_PROGBITS)
    data = b.build(shstrndx=0)
    shoff = struct.unpack_from("<Q", data, 0x28)[0]
    names = struct.unpack_from("<IIQQQQ", data, shoff + 2 * 64)
    struct.pack_into("<IIQQQQ", data, shoff, 0, SHT_STRTAB, 0, 0, names[4], names[5])   # section 0 over the names
    img = load(data)
    assert img.section_names == ("", "", "") and not img.has_section(".a")


def test_an_elf_inside_a_larger_buffer():
    """An ELF at an offset in a larger buffer (an archive member, a fat slice): offsets stay the ELF's own."""
    data = dynamic_image()
    img = load(data)
    s = img.dyn1(DT_STRTAB)
    inner = elf.parse(ByteView(b"!" * 0x30 + bytes(data), 0x30, len(data)))
    assert inner.dynamic_strings() == (s, len(STRINGS)) and inner.needed == ("libc.so.6", "libm.so.6")


def test_os_floor_versions_are_unsigned():
    for little in (True, False):
        e = "<" if little else ">"
        img = note_image((b"GNU\0", 1, struct.pack(e + "4I", 0, 0x80000000, 0xFFFFFFFF, 2)), little=little)
        assert img.os_floor().version == "2147483648.4294967295.2"


def test_symbol_name_offsets_edges():
    b = Elf()
    names = [1, 5, 9, 13, 17, 0x80000000]                  # six entries (with // 5 for // 4 the last would be lost)
    raw = b"".join(b.sym(n, 0x12, 1) for n in names)
    t = b.add(raw)
    st = b.add(b"\0abc\0def\0", 1)
    b.sec(".strtab", SHT_STRTAB, off=st, size=9)           # the string table first: .symtab's link is 1
    b.sec(".symtab", SHT_SYMTAB, off=t, size=len(raw), link=1, entsize=24)
    img = load(b.build())
    assert img.symbol_name_offsets(1 << 20) == set(names)
    assert img.symbol_strings() == (st, 9)
    # a table declared past the file's end: the entries the file holds
    b.secs[1] = (".symtab", SHT_SYMTAB, 0, 0, t, 1 << 20, 1, 0, 8, 24)
    data = b.build()
    shoff = struct.unpack_from("<Q", data, 0x28)[0]
    struct.pack_into("<Q", data, shoff + 2 * 64 + 24, len(data) - 48)      # .symtab at the last 48 bytes
    img = load(data)
    last = set(struct.unpack_from("<I", data, len(data) - 48) + struct.unpack_from("<I", data, len(data) - 24))
    assert img.symbol_name_offsets(1 << 20) == last
    struct.pack_into("<Q", data, shoff + 2 * 64 + 24, len(data) + 1)       # starts past the end
    with pytest.raises(Malformed) as e:
        load(data).symbol_name_offsets(1 << 20)
    assert e.value.message == ".symtab: negative offset or size"


def test_dynamic_table_ending_at_the_end_of_the_file_is_whole():
    b = Elf()
    raw = b.dyn((DT_FLAGS, 1), (DT_FLAGS, 2))
    off = len(b.data)
    b.data += raw
    b.seg(PT_DYNAMIC, off, len(raw))
    img = load(b.build(sections=False, load=False))
    assert len(img.view.buf) == off + len(raw) and len(img.view.buf) % 0x1000
    assert img.dynamic == [(DT_FLAGS, 1), (DT_FLAGS, 2)] and img.warnings == []


def test_dynamic_table_cut_mid_entry_at_a_page_boundary_keeps_the_whole_entries():
    # the file ends at 0x1000, 5 bytes into entry 3: the three whole entries, with the warning (the rule
    # compares where the cut entry starts, not where the file ends, with the end of the last page)
    off, data = cut_dynamic(3, 5, 0x1000 - 16 * 3 - 5)
    assert len(data) == 0x1000
    img = load(data)
    assert len(img.dynamic) == 3 and [(w.table, w.offset) for w in img.warnings] == [("dynamic table", off + 48)]


# -- found by the fresh run of session 7 (mutation/REPORT.md): warnings, hash tables, 2**64 ----------
def test_section_name_table_warnings_name_their_table_offset_and_reason():
    b = Elf()
    b.sec(".a", SHT_PROGBITS, off=0x40, size=8)
    data = b.build(shstrndx=9)                       # 3 sections: index 9 is none of them
    shoff = struct.unpack_from("<Q", data, 0x28)[0]
    img = load(data)
    assert img.section_names == ("", "", "")
    assert [(w.kind, w.table, w.offset, w.message) for w in img.warnings] == [
        ("malformed", "section names", shoff, "section name table index 9 is not a section (there are 3)")]
    b = Elf()
    b.sec(".a", SHT_PROGBITS, off=0x40, size=8)
    data = b.build(shstrndx=1)                       # a PROGBITS section, not a string table
    shoff = struct.unpack_from("<Q", data, 0x28)[0]
    img = load(data)
    assert img.section_names == ("", "", "")
    assert [(w.kind, w.table, w.offset, w.message) for w in img.warnings] == [
        ("malformed", "section names", shoff + 64, "section name table 1 is of type 1, not a string table")]


def _gnu_hash_image(nbuckets: int, symoffset: int, buckets=(), chains=(), *, last: bool = False) -> elf.ElfImage:
    """A DT_GNU_HASH table (no bloom words) and a DT_SYMTAB/DT_STRTAB; ``last``: the hash table ends
    the file (no section headers after it)."""
    b = Elf()
    strtab = b.add(b"\0f\0")
    symtab = b.add(bytes(24) + b.sym(1, shndx=1) * 3)
    table = struct.pack("<IIII", nbuckets, symoffset, 0, 6) + b"".join(struct.pack("<I", x) for x in buckets) + \
        b"".join(struct.pack("<I", x) for x in chains)
    dyn = b.dynamic((DT_STRTAB, strtab), (DT_STRSZ, 3), (DT_SYMTAB, symtab), (DT_GNU_HASH, 0))
    at = b.add(table, 4)
    struct.pack_into("<Q", b.data, dyn + 3 * 16 + 8, at)      # DT_GNU_HASH's value: the table's offset
    return load(b.build(sections=not last))


def test_gnu_hash_edges():
    assert _gnu_hash_image(0, 5)._count_from_gnu_hash() == -5               # no buckets: no hashed symbols
    assert _gnu_hash_image(2, 1, (0, 0), last=True)._count_from_gnu_hash() == -1   # buckets end the file: read
    assert _gnu_hash_image(1, 1, (2,), (0, 1))._count_from_gnu_hash() == 3
    with pytest.raises(Malformed, match="DT_GNU_HASH chain runs past"):      # a bucket of 2**31, unsigned
        _gnu_hash_image(1, 1, (0x80000000,), (1,))._count_from_gnu_hash()
    at_limit = _gnu_hash_image(1, elf.MAX_SYMBOLS, (0,))
    assert at_limit._count_from_gnu_hash() == -elf.MAX_SYMBOLS                # symoffset at the budget: read
    with pytest.raises(Malformed, match="DT_GNU_HASH declares 1 buckets from symbol"):
        _gnu_hash_image(1, elf.MAX_SYMBOLS + 1, (0,))._count_from_gnu_hash()
    bad = patched_dyn(bytearray(_gnu_hash_image(1, 1, (0,)).view.buf), DT_GNU_HASH, 0x7654321)
    with pytest.raises(Malformed) as e:
        load(bad)._count_from_gnu_hash()
    assert e.value.message == "DT_GNU_HASH address 0x7654321 is not in any loaded segment"


def test_empty_dynamic_segment_has_no_entries():
    b = Elf()
    b.add(bytes(16))
    b.seg(PT_DYNAMIC, 0x100, 0)
    img = load(b.build())
    assert img.dynamic == [] and img.warnings == []


def test_a_dynamic_string_of_4096_bytes_has_no_end_within_the_limit():
    b = Elf()
    strtab = b.add(b"\0" + b"n" * 4095 + b"\0" + b"m" * 4096 + b"\0")
    b.dynamic((DT_STRTAB, strtab), (DT_STRSZ, 4096 * 2 + 2), (DT_NEEDED, 1), (DT_SONAME, 4097))
    img = load(b.build())
    assert img.dynstr(1) == "n" * 4095
    with pytest.raises(Malformed, match="dynamic string"):
        img.dynstr(4097)


def test_offsets_past_2_to_the_64_are_no_file_positions():
    """A PT_LOAD whose p_offset plus the distance into it reaches 2**64 maps nothing there (and nothing
    between 2**64 and 2**65 either)."""
    b = Elf()
    b.add(bytes(16))
    b.seg(PT_LOAD, (1 << 64) - 0x20, 0x1000, vaddr=0x10000)
    img = load(b.build(load=False, sections=False))
    assert img.vaddr_to_offset(0x10000 + 0x1F) == (1 << 64) - 1
    assert img.vaddr_span(0x10000 + 0x1F, 1) == ((1 << 64) - 1, 0)
    for delta in (0x20, 0x21, 0x800):
        assert img.vaddr_to_offset(0x10000 + delta) is None
        assert img.vaddr_span(0x10000 + delta, 1) is None
    o = Elf(e_type=ET_REL)
    o.add(bytes(16))
    o.sec(".data", SHT_PROGBITS, flags=SHF_ALLOC, addr=0x10000, off=(1 << 64) - 0x20, size=0x1000)
    obj = load(o.build(load=False))
    assert obj.vaddr_span(0x10000 + 0x1F, 1) == ((1 << 64) - 1, 1)
    for delta in (0x20, 0x21, 0x800):
        assert obj.vaddr_span(0x10000 + delta, 1) is None


def test_dynamic_table_that_starts_with_null_is_empty():
    b = Elf()
    b.dynamic()                                          # DT_NULL alone
    img = load(b.build())
    assert img.dynamic == [] and img.warnings == []


def test_symbols_bound_to_reads_entry_0_too():
    """The version table's first entry is a symbol's like any other (the null symbol's, normally 0)."""
    b, data = symbol_image()
    vs = load(data).dyn1(DT_VERSYM)
    struct.pack_into("<5H", data, vs, 2, 2, 0x8003, 4, 2)
    assert load(data).symbols_bound_to({"GLIBC_2.2.5"}) == {"GLIBC_2.2.5": {"", "puts", "stdout"}}
    data[load(data).dyn1(DT_STRTAB)] = ord("X")         # the string table's first byte: name 0 stays ""
    assert load(data).symbols_bound_to({"GLIBC_2.2.5"}) == {"GLIBC_2.2.5": {"", "puts", "stdout"}}


def test_symbols_bound_to_finds_an_aligned_index_right_after_an_odd_match():
    """An index whose two bytes are equal (0x0101) can match at an odd offset and again one byte on."""
    b, data = symbol_image()
    img = load(data)
    vs, need = img.dyn1(DT_VERSYM), img.dyn1(DT_VERNEED)
    struct.pack_into("<H", data, need + 16 + 6, 0x0101)                # GLIBC_2.2.5's vna_other
    struct.pack_into("<5H", data, vs, 0x0100, 0x0101, 0x8003, 4, 0)   # bytes 00 01 01 01 ...: puts's at 2
    assert load(data).symbols_bound_to({"GLIBC_2.2.5"}) == {"GLIBC_2.2.5": {"puts"}}


def test_without_dt_symtab_the_version_section_is_read_not_dt_versym():
    """Symbols from the .dynsym section (no DT_SYMTAB): their versions from .gnu.version, as the
    section's, whatever DT_VERSYM says."""
    b, _ = symbol_image(sections=False, dynsym_section=True)
    data = b.build()
    img = load(data)
    vs = img.dyn1(DT_VERSYM)
    b.sec(".gnu.version", SHT_GNU_VERSYM, off=vs, size=10)
    data = b.build()
    i = bytes(data).index(struct.pack("<qQ", DT_SYMTAB, load(data).dyn1(DT_SYMTAB)))
    struct.pack_into("<q", data, i, 0x6FFFFFF1)                        # DT_SYMTAB gone (an unknown tag)
    data = patched_dyn(data, DT_VERSYM, load(data).dyn1(DT_STRTAB))    # and DT_VERSYM at other bytes
    assert load(data).dyn1(DT_SYMTAB) is None
    assert load(data).symbols_bound_to({"GLIBC_2.2.5"}) == {"GLIBC_2.2.5": {"puts", "stdout"}}


def test_symbols_bound_to_errors_name_their_table():
    b, data = symbol_image()
    data = patched_dyn(data, DT_VERSYM, 0x7654321)
    with pytest.raises(Malformed) as e:
        load(data).symbols_bound_to({"GLIBC_2.2.5"})
    assert e.value.message == "DT_VERSYM address 0x7654321 is not in any loaded segment"
    b, _ = symbol_image(sections=False)
    data = b.build(sections=False)
    words = struct.pack("<5H", 0, 2, 0x8003, 4, 2)
    data += words                                        # the version table again, ending the file
    data = patched_dyn(data, DT_VERSYM, len(data) - 10)
    struct.pack_into("<QQ", data, 64 + 32, len(data), len(data))   # the PT_LOAD (header 0) over all of it
    assert load(data).symbols_bound_to({"GLIBC_2.2.5"}) == {"GLIBC_2.2.5": {"puts", "stdout"}}
    data = patched_dyn(data, DT_VERSYM, len(data) - 8)   # 5 entries from 8 bytes before the end
    with pytest.raises(Malformed) as e:
        load(data).symbols_bound_to({"GLIBC_2.2.5"})
    assert e.value.message.startswith("symbol version table (DT_VERSYM) of 5 entries of 2 bytes needs 10 bytes")
    b, data = symbol_image()
    img = load(data)
    symtab = img.dyn1(DT_SYMTAB)
    struct.pack_into("<I", data, symtab + 24, 0x7FFF)   # puts's name: past the string table
    with pytest.raises(Malformed) as e:
        load(data).symbols_bound_to({"GLIBC_2.2.5"})
    assert e.value.message.startswith("dynamic symbol name offset 0x7fff outside its table")


def test_eight_byte_hash_words_at_the_symbol_budget():
    """s390x: DT_HASH of 8-byte words holding counts no larger than MAX_SYMBOLS is read as such."""
    b, data = symbol_image(hash_entry=8)
    h = load(data).dyn1(DT_HASH)
    struct.pack_into("<QQ", data, h, 1, elf.MAX_SYMBOLS)
    with pytest.raises(Malformed, match="dynamic symbol table"):
        load(data).dynamic_symbol_count


# -- the import walk's budget, the version table's bounds, the section header table cut short -------------
@pytest.mark.parametrize("budget,imports", [(5, ["puts", "sin"]), (4, ["puts", "sin"]), (2, ["puts"]), (1, [])])
def test_the_import_walk_reads_the_first_symbols_of_its_budget(monkeypatch, budget, imports):
    """Past MAX_IMPORT_WALK dynamic symbols, the imports come from the first MAX_IMPORT_WALK (their
    versions paired as for the whole table), with one warning; at the budget, all, and no warning.
    The table: "", puts@GLIBC_2.2.5, sin@GLIBC_2.34 (imports), my_func, stdout (defined)."""
    monkeypatch.setattr(elf, "MAX_IMPORT_WALK", budget)
    img = load(symbol_image()[1])
    got = list(img.imported_symbols())
    assert got == [(n, f"{n}@{v}") for n, v in (("puts", "GLIBC_2.2.5"), ("sin", "GLIBC_2.34")) if n in imports]
    assert img.warnings == ([] if budget >= 5 else [ReadWarning(
        "malformed", "dynamic symbols", None,
        f"5 dynamic symbols, more than the {budget} read for the imports; the others not read")])
    assert symbols_of(img) == SYMBOLS          # the whole table is still there for whoever reads it


def test_a_version_table_cut_by_the_end_of_the_file():
    """DT_VERSYM 6 bytes before the end (its PT_LOAD stretched past the end so that the address maps):
    five entries need 10 bytes; the error says which table, how much, and where."""
    b, data = symbol_image()
    phoff = struct.unpack_from("<Q", data, 32)[0]
    struct.pack_into("<QQ", data, phoff + 32, len(data) + 4096, len(data) + 4096)   # p_filesz, p_memsz
    vs = load(data).dyn1(DT_VERSYM)
    i = bytes(data).index(struct.pack("<qQ", DT_VERSYM, vs))
    struct.pack_into("<qQ", data, i, DT_VERSYM, len(data) - 6)
    want = (Truncated, "symbol version table (DT_VERSYM) of 5 entries of 2 bytes needs 10 bytes, 6 available",
            len(data) - 6)
    assert raised(lambda: load(data).dynamic_symbols) == want
    assert raised(lambda: load(data)._dynamic_symbols(elf.MAX_IMPORT_WALK)) == want   # the import walk's read


@pytest.mark.parametrize("bits,little,entry", [(64, True, 64), (32, False, 40)])
def test_a_section_header_table_cut_short_is_one_warning(bits, little, entry):
    b, data = symbol_image(bits, little, sections=True)
    shoff = struct.unpack_from("<Q", data, 0x28)[0] if bits == 64 else struct.unpack_from(">I", data, 0x20)[0]
    shnum = struct.unpack_from("<H" if little else ">H", data, 60 if bits == 64 else 48)[0]
    img = load(bytes(data[:shoff + entry + 10]))
    assert img.section_names == ()
    assert img.warnings == [ReadWarning("truncated", "section headers", shoff,
                                        f"section header table of {shnum} entries of {entry} bytes needs "
                                        f"{shnum * entry} bytes, {entry + 10} available")]


# -- how dynamic symbols get their version names, and what stops the read --------------------------------
def versym_words(data, *words):
    vs = load(data).dyn1(DT_VERSYM)
    struct.pack_into("<5H", data, vs, *words)
    return vs


def test_a_defined_symbol_takes_its_version_from_the_definitions_first(tmp_path):
    """Version index 2 names both GLIBC_2.2.5 (a need) and, after the patch, VERS_1 (a definition): an
    undefined symbol (puts) takes the need, a defined one (my_func, stdout) the definition, as readelf
    pairs them."""
    b, data = symbol_image(dynsym_section=True)                      # (readelf wants the .dynamic section)
    i = bytes(data).index(struct.pack("<HHHHI", 1, 0, 4, 1, 0x4444))    # VERS_1's Elf64_Verdef: vd_ndx 4 -> 2
    struct.pack_into("<H", data, i + 4, 2)
    versym_words(data, 0, 2, 0x8003, 2, 2)
    got = [(s.name, s.version) for s in load(data).dynamic_symbols]
    assert got == [("", None), ("puts", "GLIBC_2.2.5"), ("sin", "GLIBC_2.34"), ("my_func", "VERS_1"), ("stdout", "VERS_1")]
    if not shutil.which("readelf"):
        reference.tool_missing("readelf (binutils)")
    path = tmp_path / "f"
    path.write_bytes(bytes(data))
    out = subprocess.run(["readelf", "-W", "--dyn-syms", str(path)], capture_output=True, text=True).stdout
    for name, version in (("puts", "@GLIBC_2.2.5 "), ("sin", "@GLIBC_2.34 "), ("my_func", "@@VERS_1"), ("stdout", "@@VERS_1")):
        assert f" {name}{version}" in out + "\n", out


def test_a_version_index_no_record_names_is_an_error_naming_the_symbol():
    _, data = symbol_image()
    vs = versym_words(data, 0, 2, 0x8003, 9, 2)
    assert raised(lambda: load(data).dynamic_symbols) == (
        Malformed, "symbol my_func has version index 9, which no version record names", vs + 2 * 3)
    vs = versym_words(data, 9, 2, 0x8003, 4, 2)                      # the null symbol: no name, its index said
    assert raised(lambda: load(data).dynamic_symbols) == (
        Malformed, "symbol 0 has version index 9, which no version record names", vs)


def test_without_a_version_table_the_version_records_are_not_read():
    """No DT_VERSYM (its tag patched to an unknown one) and no version section: no symbol has a
    version, so DT_VERNEED is not read for them, and its damage (vn_version 2) does not stop the read."""
    b, _ = symbol_image(sections=False)
    data = b.build(sections=False)
    vs = load(data).dyn1(DT_VERSYM)
    i = bytes(data).index(struct.pack("<qQ", DT_VERSYM, vs))
    struct.pack_into("<q", data, i, 0x6FFFFFF1)
    need = load(data).dyn1(DT_VERNEED)
    struct.pack_into("<H", data, need, 2)
    img = load(data)
    assert [(s.name, s.version) for s in img.dynamic_symbols] == [
        ("", None), ("puts", None), ("sin", None), ("my_func", None), ("stdout", None)]
    with pytest.raises(Malformed):
        img.version_requirements


def test_a_dynamic_symbol_name_outside_its_table_is_an_error_naming_it():
    _, data = symbol_image()
    symtab = load(data).dyn1(DT_SYMTAB)
    struct.pack_into("<I", data, symtab + 24, 0x7FFF)                 # puts's st_name
    with pytest.raises(Malformed) as e:
        load(data).dynamic_symbols
    assert e.value.message.startswith("dynamic symbol name offset 0x7fff outside its table")


def test_without_dt_symtab_the_symbols_take_their_versions_from_the_section():
    b, _ = symbol_image(sections=False, dynsym_section=True)
    vs = load(b.build()).dyn1(DT_VERSYM)
    b.sec(".gnu.version", SHT_GNU_VERSYM, off=vs, size=10)
    data = b.build()
    i = bytes(data).index(struct.pack("<qQ", DT_SYMTAB, load(data).dyn1(DT_SYMTAB)))
    struct.pack_into("<q", data, i, 0x6FFFFFF1)
    data = patched_dyn(data, DT_VERSYM, load(data).dyn1(DT_STRTAB))   # DT_VERSYM at other bytes: not read
    assert symbols_of(load(data)) == SYMBOLS


def test_a_one_name_table_and_a_big_endian_pointer_blob():
    assert elf.shstrtab_size(["X"], True) == 3 and elf.shstrtab_size(["X", ".text"], True) == 1 + 2 + 6
    img, bi = buildinfo_image(BUILDINFO_HEADER[:15] + b"\x01" + bytes(16) + bytes([1, 0x41, 0]))   # flags: big-endian only
    assert img._buildinfo_content(bi) is None


def test_a_name_offset_of_zero_is_no_name_whatever_the_table_starts_with():
    """st_name 0 means no name (the ELF gABI), even in a string table whose first byte is not NUL;
    symbols read without a version table have no version and no hidden bit."""
    _, data = symbol_image(versions=False)
    strtab = load(data).dyn1(DT_STRTAB)
    data[strtab] = ord("X")                                   # "Xlibc.so.6\0...": offset 0 is not an empty string
    img = load(data)
    assert [(s.name, s.version, s.hidden_version) for s in img.dynamic_symbols] == [
        ("", None, False), ("puts", None, False), ("sin", None, False), ("my_func", None, False), ("stdout", None, False)]


# -- the strip prediction for a Go relink, on files laid out by hand ------------------------------------------
# .go.buildinfo as cmd/link's buildinfo() writes it: the 32-byte header, two varint-prefixed strings (the Go
# version, the module text), zero-padded to a multiple of 16. A -s -w relink makes the module text longer.
def go_buildinfo(mod_len: int) -> bytes:
    assert mod_len < 128                   # a one-byte uvarint
    vers = b"go1.27.3"
    data = BUILDINFO_HEADER + bytes([len(vers)]) + vers + bytes([mod_len]) + b"m" * mod_len
    return data + bytes(-len(data) % 16)


def go_used(mod_len: int) -> int:
    """Bytes of go_buildinfo(mod_len) before its padding."""
    return 32 + 1 + 8 + 1 + mod_len


def up(x: int, a: int) -> int:
    return -(-x // a) * a


def go_internal_image(*, rnd: int = 0x1000, machine: int = 62, data_off: int = 0x3000, mod_len: int = 22,
                      after: tuple = ((".go.fipsinfo", 0x78, 32), (".noptrdata", 0x100, 32)),
                      bss_align: int = 32, tail: int = 0, names: tuple = (), extra_phdrs: tuple = (),
                      debug: tuple = ((".debug_abbrev", 0x170), (".debug_info", 0x2345))) -> tuple[bytearray, dict]:
    """A file laid out as Go's internal linker lays one out (cmd/link/internal/ld: address, layout, asmbElf):
    the ELF header, the program headers and the section headers at the start of the text segment; .text at
    ``rnd``; the data segment at ``data_off``: .go.buildinfo, the ``after`` sections (name, size, alignment)
    each at its alignment, then ``tail`` bytes no section covers, .bss (NOBITS) at ``bss_align``, the
    PT_LOAD's p_filesz running to .bss; then, at the data's end rounded up to ``rnd`` (Segdwarf), the DWARF
    sections, .symtab and .strtab (Segdwarf's end rounded to 8), and .shstrtab with every name written
    once, in section order (elfWriteShstrtab: no .rela names, so no shared bytes). ``names``: more loaded
    sections (name, size) in the text segment. Returns the file and where things are."""
    e = "<"
    secs = []                              # name, type, flags, offset, size, align, link, entsize
    text = rnd
    secs.append((".text", SHT_PROGBITS, SHF_ALLOC | SHF_EXECINSTR, text, 0x40, 64, 0, 0))
    end = text + 0x40
    for name, size in names:
        secs.append((name, SHT_PROGBITS, SHF_ALLOC, end, size, 1, 0, 0))
        end += size
    text_end = end
    bi = go_buildinfo(mod_len)
    secs.append((".go.buildinfo", SHT_PROGBITS, SHF_ALLOC | SHF_WRITE, data_off, len(bi), 16, 0, 0))
    at = data_off + len(bi)
    for name, size, align in after:
        at = up(at, align)
        secs.append((name, SHT_PROGBITS, SHF_ALLOC | SHF_WRITE, at, size, align, 0, 0))
        at += size
    last_end = at
    bss = up(at + tail, bss_align)
    secs.append((".bss", SHT_NOBITS, SHF_ALLOC | SHF_WRITE, bss, 0x1000, bss_align, 0, 0))
    load_end = bss
    start = up(load_end, rnd)
    at = start
    for name, size in debug:
        secs.append((name, SHT_PROGBITS, 0, at, size, 1, 0, 0))
        at += size
    at = up(at, 8)
    strtab_index = len(secs) + 2
    secs.append((".symtab", SHT_SYMTAB, 0, at, 48, 8, strtab_index, 24))
    at += 48
    secs.append((".strtab", SHT_STRTAB, 0, at, 6, 1, 0, 0))
    at += 6
    all_names = [s[0] for s in secs] + [".shstrtab"]
    shstr = b"\0" + b"".join(n.encode() + b"\0" for n in all_names)
    secs.append((".shstrtab", SHT_STRTAB, 0, at, len(shstr), 1, 0, 0))
    size = at + len(shstr)
    phdrs = [(PT_LOAD, PF_R | PF_X, 0, text_end, rnd), (PT_LOAD, PF_R | PF_W, data_off, load_end - data_off, rnd)]
    phdrs += list(extra_phdrs)
    shoff = 64 + 56 * len(phdrs)
    assert shoff + 64 * (len(secs) + 1) <= text
    out = bytearray(size)
    out[data_off:data_off + len(bi)] = bi
    out[at:at + len(shstr)] = shstr
    ident = b"\x7fELF" + bytes([2, 1, 1, 0]) + bytes(8)
    out[:64] = ident + struct.pack(e + "HHIQQQIHHHHHH", ET_EXEC, machine, 1, text, 64, shoff, 0, 64, 56,
                                   len(phdrs), 64, len(secs) + 1, len(secs))
    for i, (t, fl, off, fs, al) in enumerate(phdrs):
        struct.pack_into(e + "IIQQQQQQ", out, 64 + 56 * i, t, fl, off, 0x400000 + off, 0x400000 + off, fs,
                         fs + (0x1000 if t == PT_LOAD and fl & PF_W else 0), al)
    name_off = 1
    for i, (name, t, fl, off, sz, al, link, ent) in enumerate(secs):
        addr = 0x400000 + off if fl & SHF_ALLOC else 0
        struct.pack_into(e + "IIQQQQIIQQ", out, shoff + 64 * (i + 1), name_off, t, fl, addr, off, sz, link, 0, al, ent)
        name_off += len(name) + 1
    return out, dict(start=start, load_end=load_end, last_end=last_end, size=size, names=all_names, bi=data_off)


def go_relinked_size(*, rnd: int, data_off: int, growth: int, after, mod_len: int = 22, bss_align: int = 32, tail: int = 0,
                     kept_names) -> int:
    """The size of the -s -w relink of go_internal_image, by Go's rules: .go.buildinfo holds the longer module
    text (padded to 16), the sections after it are laid out again at their alignments, .bss after them, the
    data segment's file part to .bss (the uncovered ``tail`` moving with the rest); no DWARF (-w), no
    .symtab/.strtab (-s); .shstrtab (every kept name once) at the data's end rounded up to -R (Segdwarf is
    empty: Rnd(Segdwarf.Fileoff, 8) is that offset)."""
    at = data_off + len(go_buildinfo(mod_len + growth))
    for _name, size, align in after:
        at = up(at, align) + size
    data_end = up(at + tail, bss_align)
    return up(data_end, rnd) + 1 + sum(len(n) + 1 for n in kept_names)


GO_KEPT = (".text", ".go.buildinfo", ".go.fipsinfo", ".noptrdata", ".bss", ".shstrtab")


def go_internal_saving(data, growth):
    from linkscope.formats.base import Relink
    return load(data).strip_saving(Relink(go=True, go_internal=True, buildinfo_growth=growth))


@pytest.mark.parametrize("case", ["data-ends-on-a-page", "data-ends-inside-a-page"])
def test_go_internal_relink_rounds_the_grown_data_up_to_the_next_page(case):
    """Go internal: the grown data's end rounded up to -R starts .shstrtab (Go's layout rules, go_relinked_size)."""
    # cmd/link layout(): Segdwarf.Fileoff = Rnd(Segdata.Fileoff + Segdata.Filelen, FlagRound), also when the
    # data ended exactly on a page and the non-loaded part started right there.
    # .go.buildinfo: 64 used bytes at 0x3000; .go.fipsinfo at 0x3040 (0x78 bytes), .noptrdata at 0x30c0, sized
    # so that the data segment ends on 0x4000 exactly (case 1) or 0x20 before it (case 2: no page crossed).
    after = ((".go.fipsinfo", 0x78, 32), (".noptrdata", 0xF40 - (0 if case == "data-ends-on-a-page" else 0x20), 32))
    data, at = go_internal_image(after=after)
    if case == "data-ends-on-a-page":
        assert at["load_end"] == at["start"] == 0x4000
    assert go_used(22) == 64 and at["bi"] == 0x3000
    growth = 16                                            # 64 + 16 = 80 bytes: .go.fipsinfo moves from 0x3040 to 0x3060
    want = go_relinked_size(rnd=0x1000, data_off=0x3000, growth=growth, after=after, kept_names=GO_KEPT)
    if case == "data-ends-on-a-page":
        assert want == 0x5000 + 1 + len("\0".join(GO_KEPT)) + 1     # the data ends at 0x4020: the next page
    assert go_internal_saving(data, growth) == at["size"] - want


def test_go_internal_relink_rounds_to_the_segments_alignment_on_a_64k_boundary():
    """Go internal on amd64 (-R 4 KiB, the PT_LOADs' alignment): data that ended on 0x10000, a 64 KiB
    boundary, grown past it, end the file a 4 KiB page later, not 64 KiB (Go's layout rules, go_relinked_size)."""
    after = ((".go.fipsinfo", 0x78, 32), (".noptrdata", 0xF40, 32))
    data, at = go_internal_image(data_off=0xF000, after=after)
    assert at["load_end"] == at["start"] == 0x10000
    want = go_relinked_size(rnd=0x1000, data_off=0xF000, growth=16, after=after, kept_names=GO_KEPT)
    assert want == 0x11000 + 1 + len("\0".join(GO_KEPT)) + 1
    assert go_internal_saving(data, 16) == at["size"] - want

def test_go_internal_relink_rounds_to_64k_on_arm64():
    """Go internal on arm64: -R is 64 KiB, the grown data still ends before it (Go's layout rules, go_relinked_size)."""
    after = ((".go.fipsinfo", 0x78, 32), (".noptrdata", 0x1000, 32))
    data, at = go_internal_image(rnd=0x10000, machine=183, data_off=0x20000, after=after)
    assert at["start"] == 0x30000 and at["load_end"] % 0x1000 != 0
    want = go_relinked_size(rnd=0x10000, data_off=0x20000, growth=16, after=after, kept_names=GO_KEPT)
    assert want == 0x30000 + 1 + len("\0".join(GO_KEPT)) + 1
    assert go_internal_saving(data, 16) == at["size"] - want


def test_go_internal_relink_moves_the_data_bytes_no_section_covers():
    """Go internal: PT_LOAD bytes past the last data section move with the shift (Go's layout rules, go_relinked_size)."""
    # Segdata.Filelen (p_filesz) is what Go rounds up to -R: 0x100 bytes after .noptrdata end the data on 0x4000,
    # 32 bytes later past it, where the sections alone (0x3f00 + 32) would not cross the page.
    after = ((".go.fipsinfo", 0x78, 32), (".noptrdata", 0xE40, 32))
    data, at = go_internal_image(after=after, tail=0x100)
    assert at["last_end"] == 0x3F00 and at["load_end"] == at["start"] == 0x4000
    want = go_relinked_size(rnd=0x1000, data_off=0x3000, growth=16, after=after, tail=0x100,
                            kept_names=GO_KEPT)
    assert want == 0x5000 + 1 + len("\0".join(GO_KEPT)) + 1
    assert go_internal_saving(data, 16) == at["size"] - want


def test_go_internal_relink_that_grows_the_file_saves_nothing():
    """Go internal: a relink Go's layout rules make larger than the original saves 0 (go_relinked_size)."""
    after = ((".go.fipsinfo", 0x78, 32), (".noptrdata", 0xF40, 32))
    data, at = go_internal_image(after=after, debug=((".debug_info", 0x10),))
    want = go_relinked_size(rnd=0x1000, data_off=0x3000, growth=16, after=after, kept_names=GO_KEPT)
    assert want > at["size"]
    assert go_internal_saving(data, 16) == 0


def test_go_internal_relink_writes_each_name_whole():
    """Go internal: .shstrtab keeps .plt and .got.plt whole (cmd/link elfWriteShstrtab shares only .rela tails)."""
    after = ((".go.fipsinfo", 0x78, 32), (".noptrdata", 0x100, 32))
    extra = ((".got.plt", 0x18), (".plt", 0x10))
    data, at = go_internal_image(after=after, names=extra)
    kept = (".text", ".got.plt", ".plt") + GO_KEPT[1:]
    want = go_relinked_size(rnd=0x1000, data_off=0x3000, growth=0, after=after, kept_names=kept)
    assert go_internal_saving(data, 0) == at["size"] - want



@pytest.mark.parametrize("data_off,growth", [(0x3FC0, 16), (0x3FA0, 48)])
def test_go_internal_relink_with_go_buildinfo_last_moves_what_follows_it(data_off, growth):
    """Go internal: .go.buildinfo the last loaded section: its growth carries the data's end past the page,
    and the non-loaded part to the next one (Go's layout rules, go_relinked_size)."""
    # 64 used bytes; at 0x3fc0 they end on the page (80 end at 0x4010); at 0x3fa0 they end 0x20 before
    # it, .bss there, the DWARF on the page, and 112 bytes end at 0x4010: 0x30 past .go.buildinfo's end,
    # 0x10 past the DWARF's start.
    data, at = go_internal_image(data_off=data_off, after=())
    assert at["last_end"] == at["load_end"] == data_off + 64 and at["start"] == 0x4000
    kept = (".text", ".go.buildinfo", ".bss", ".shstrtab")
    want = go_relinked_size(rnd=0x1000, data_off=data_off, growth=growth, after=(), kept_names=kept)
    assert want == 0x5000 + 1 + len("\0".join(kept)) + 1
    assert go_internal_saving(data, growth) == at["size"] - want


@reference.needs_tool(shutil.which("strip"), "GNU strip (binutils)")
def test_go_external_relink_with_go_buildinfo_last_at_an_odd_offset(tmp_path):
    """Go relink by GNU ld, .go.buildinfo the last loaded section at an odd offset: the non-loaded part
    follows its 16 more bytes exactly (no alignment), then the section headers at 8 (GNU strip's output,
    moved by the growth worked out by hand)."""
    found = []
    for comment in range(8, 16):       # the .comment size that ends the kept sections on 8 bytes
        data, at = gnu_go_case(bi_at=33, bi_align=1, after=(), comment=comment)
        assert at[".go.buildinfo"] % 2 == 1
        size, end, shnum = gnu_stripped(data, tmp_path)
        assert up(end, 8) + 64 * shnum == size
        if end % 8 == 0:             # so one byte more would take 8 more
            found.append(comment)
            assert go_external_saving(data, 16) == len(data) - (up(end + 16, 8) + 64 * shnum)
    assert found


def test_go_internal_relink_keeps_a_section_at_the_start_of_the_non_loaded_part():
    """Go internal, the kept .shstrtab first in the non-loaded part (moved there by hand, .symtab and
    .strtab after it), which starts where the data ends, on a page: it is written there, like any other."""
    after = ((".go.fipsinfo", 0x78, 32), (".noptrdata", 0xF40, 32))
    data, at = go_internal_image(debug=(), after=after)
    assert at["load_end"] == at["start"] == 0x4000
    img = load(data)
    shoff, = struct.unpack_from("<Q", data, 40)
    idx = {s.name: i for i, s in enumerate(img.elf_sections)}
    sym, stt, shs = (img.elf_sections[idx[n]] for n in (".symtab", ".strtab", ".shstrtab"))
    assert sym.offset == at["start"] and shs.offset == sym.offset + sym.size + stt.size
    names, symbols, strings = (bytes(data[s.offset:s.offset + s.size]) for s in (shs, sym, stt))
    data[at["start"]:at["size"]] = names + symbols + strings
    for name, off in ((".shstrtab", at["start"]), (".symtab", at["start"] + len(names)),
                      (".strtab", at["start"] + len(names) + len(symbols))):
        struct.pack_into("<Q", data, shoff + 64 * idx[name] + 24, off)
    kept = (".text", ".go.buildinfo", ".go.fipsinfo", ".noptrdata", ".bss", ".shstrtab")
    want = go_relinked_size(rnd=0x1000, data_off=0x3000, growth=0, after=after, kept_names=kept)
    assert want == 0x4000 + 1 + len("\0".join(kept)) + 1
    assert go_internal_saving(data, 0) == at["size"] - want


def test_go_internal_relink_of_a_layout_go_does_not_write_is_unknown():
    """Go internal: a non-loaded part that does not start at the data's end rounded to 4 or 64 KiB is no
    layout of Go's linker (its -R rounds Segdwarf so): no rule to replay, None. With every non-loaded
    section empty (hostile) the data's end is where the non-loaded part would start: known when that is
    on a page (nothing after it, and Go's section headers are in the first page), None when not."""
    data, at = go_internal_image()
    assert at["start"] == 0x4000
    shoff, = struct.unpack_from("<Q", data, 40)
    img = load(data)
    first = min((s for s in img.elf_sections if s.offset >= at["start"] and s.size), key=lambda s: s.offset)
    k = img.elf_sections.index(first)
    struct.pack_into("<Q", data, shoff + 64 * k + 24, at["start"] + 0x800)   # its first section half a page on
    assert go_internal_saving(data, 0) is None
    for noptrdata, want in ((0x100, None), (0xF40, 0x4000)):
        data, at = go_internal_image(after=((".go.fipsinfo", 0x78, 32), (".noptrdata", noptrdata, 32)))
        for i, s in enumerate(load(data).elf_sections):
            if i and not s.flags & 2:                                          # every non-loaded section empty
                struct.pack_into("<Q", data, shoff + 64 * i + 32, 0)
        assert (at["load_end"] == 0x4000) == (want is not None)
        assert go_internal_saving(data, 0) == (None if want is None else at["size"] - want)


@pytest.mark.parametrize("growth,known", [(16, False), (4, True)])
def test_go_relink_whose_growth_moves_a_segment_is_unknown(growth, known):
    """A PT_LOAD that starts at the section after .go.buildinfo: a growth that moves it is re-placed by the
    linker (offset and address agree modulo the page) in a way the prediction does not follow, so it says
    nothing (None); a growth the 16-byte padding takes moves nothing, and the prediction stands."""
    # .go.buildinfo: 64 bytes, 52 used with mod_len 10; 52 + 4 = 56 still pads to 64, 52 + 16 = 68 to 80.
    after = ((".go.fipsinfo", 0x78, 32), (".noptrdata", 0x100, 32))
    seg = (PT_LOAD, PF_R | PF_W, 0x3040, 0x78, 0x1000)           # over .go.fipsinfo, which starts at 0x3040
    data, at = go_internal_image(after=after, mod_len=10, extra_phdrs=(seg,))
    assert go_used(10) == 52 and at["bi"] == 0x3000
    saving = go_internal_saving(data, growth)
    if known:
        want = go_relinked_size(rnd=0x1000, data_off=0x3000, growth=growth, after=after, mod_len=10, kept_names=GO_KEPT)
        assert saving == at["size"] - want
    else:
        assert saving is None
    data, at = go_internal_image(after=after, mod_len=10)      # the same without that segment: known
    want = go_relinked_size(rnd=0x1000, data_off=0x3000, growth=growth, after=after, mod_len=10, kept_names=GO_KEPT)
    assert go_internal_saving(data, growth) == at["size"] - want

# -- the strip prediction for a Go relink by an external linker (GNU ld), against GNU strip ------------------
def gnu_go_case(*, bi_at: int = 32, bi_align: int = 16, mod_len: int = 22, after=((".go.fipsinfo", 0x78, 32),
                (".noptrdata", 0x100, 32)), note: bool = False, load_end_at: int | None = None,
                comment: int = 8) -> tuple[bytearray, dict]:
    """An executable as GNU ld lays one out: .text, then .go.buildinfo (go_buildinfo(mod_len)) at the next
    multiple of ``bi_at`` (plus 1 when ``bi_at`` is odd), the ``after`` sections each at its alignment (the
    last one grown so that the loaded part ends at ``load_end_at``), one PT_LOAD over all of it, then the
    non-loaded .comment (``comment`` bytes), .debug_info, .strtab and .symtab, .shstrtab and the section headers last.
    ``note``: an allocated SHT_NOTE after them, with its PT_NOTE."""
    b = Elf(64, e_type=ET_EXEC)
    text = b.add(b"\x90" * 64, 16)
    b.sec(".text", SHT_PROGBITS, flags=SHF_ALLOC | SHF_EXECINSTR, addr=text, off=text, size=64, align=16)
    bi = go_buildinfo(mod_len)
    while len(b.data) % (bi_at & ~1) != (bi_at & 1):      # bi_at 32: offset 0 mod 32; 33: 1 mod 32
        b.data.append(0)
    bi_off = b.add(bi, 1)
    b.sec(".go.buildinfo", SHT_PROGBITS, flags=SHF_ALLOC | SHF_WRITE, addr=bi_off, off=bi_off, size=len(bi), align=bi_align)
    where = {".go.buildinfo": bi_off}
    for k, (name, size, align) in enumerate(after):
        if k == len(after) - 1 and load_end_at is not None:
            size = load_end_at - up(len(b.data), align)
        o = b.add(b"d" * size, align)
        b.sec(name, SHT_PROGBITS, flags=SHF_ALLOC | SHF_WRITE, addr=o, off=o, size=size, align=align)
        where[name] = o
    if note:
        raw = b.note(b"Go\0\0", 4, b"abcd")
        o = b.add(raw, 4)
        b.sec(".note.x", SHT_NOTE, flags=SHF_ALLOC, addr=o, off=o, size=len(raw), align=4)
        b.seg(PT_NOTE, o, len(raw), align=4)
        where[".note.x"] = o
    load_end = len(b.data)
    o = b.add(b"GCC: x".ljust(comment - 1, b"x") + b"\0", 1)
    b.sec(".comment", SHT_PROGBITS, off=o, size=comment, align=1)
    o = b.add(b"\1" * 17, 1)
    b.sec(".debug_info", SHT_PROGBITS, off=o, size=17, align=1)
    st = b.add(b"\0main\0", 1)
    sy = b.add(b.sym(0, 0) + b.sym(1, 0x12, 1, text), 8)
    b.sec(".strtab", SHT_STRTAB, off=st, size=6, align=1)
    b.sec(".symtab", SHT_SYMTAB, off=sy, size=48, link=len(b.secs), info=1, align=8, entsize=24)
    where["load_end"] = load_end
    return b.build(load_end=load_end), where


def gnu_stripped(data, tmp_path) -> tuple[int, int, int]:
    """GNU strip's copy of ``data``: (its size, where its last section ends, its section count)."""
    path = tmp_path / "prog"
    path.write_bytes(bytes(data))
    subprocess.run(["strip", str(path)], check=True)
    out = path.read_bytes()
    shoff, = struct.unpack_from("<Q", out, 40)
    shnum, = struct.unpack_from("<H", out, 60)
    ends = [struct.unpack_from("<QQ", out, shoff + 64 * i + 24) for i in range(shnum)
            if struct.unpack_from("<I", out, shoff + 64 * i + 4)[0] != SHT_NOBITS]
    return len(out), max(o + s for o, s in ends), shnum


def go_external_saving(data, growth):
    from linkscope.formats.base import Relink
    return load(data).strip_saving(Relink(go=True, go_internal=False, buildinfo_growth=growth))


# -- Go's relink: the module text grows in .rodata and may push the data segment by a page --------------
def rodata_image(text: bytes, tail: int, to_page: int, *, gap: int = 0, align: int = 8, rw_at: int | None = None,
                 rw: bool = True, seg_align: int = 0x1000, load_from: int | None = None, note: bool = False,
                 after: bool = True, text_load: bool = False):
    """A read-only PT_LOAD at 0x1000: .rodata holds runtime.modinfo.str (16 sentinel bytes, ``text``,
    16 more and a NUL) then ``tail`` bytes; ``gap`` bytes on, a section of sh_addralign ``align``
    runs to ``to_page`` bytes before 0x2000, where the data PT_LOAD starts (or at ``rw_at``). Without
    ``after`` .rodata ends the segment; ``load_from``: where the read-only PT_LOAD starts instead;
    ``note``: a PT_NOTE over .rodata's first bytes; ``seg_align``: the PT_LOADs' alignment;
    ``text_load``: a PT_LOAD before, ending where .rodata's starts."""
    b = Elf(e_type=ET_EXEC)
    string = b"S" * 16 + text + b"E" * 16 + b"\0"
    ro = b.add(string + b"t" * tail, 0x1000)
    rodata_end = len(b.data)
    seg_end = rodata_end
    if after:
        nxt = b.add(bytes(gap), 1) + gap
        assert nxt % align == 0, hex(nxt)
        rest = 0x2000 - to_page - nxt
        b.add(b"p" * rest, 1)
        b.sec(".gopclntab", SHT_PROGBITS, flags=SHF_ALLOC, addr=nxt, off=nxt, size=rest, align=align)
        seg_end = nxt + rest
    b.sec(".rodata", SHT_PROGBITS, flags=SHF_ALLOC, addr=ro, off=ro, size=rodata_end - ro, align=32)
    start = ro if load_from is None else load_from
    if text_load:
        b.seg(PT_LOAD, 0, ro, flags=PF_R | PF_X, align=seg_align)
    b.seg(PT_LOAD, start, seg_end - start, align=seg_align)
    if note:
        b.seg(PT_NOTE, ro, 16)
    if rw:
        rwo = b.add(b"d" * 16, 0x1000 if rw_at is None else rw_at)
        b.sec(".data", SHT_PROGBITS, flags=SHF_ALLOC | SHF_WRITE, addr=rwo, off=rwo, size=16, align=32)
        b.seg(PT_LOAD, rwo, 16, flags=PF_R | PF_W, align=seg_align)
    debug = b.add(b"D" * 0x2000, 0x1000)           # what -w removes, where Go's linker puts it
    b.sec(".debug_info", SHT_PROGBITS, off=debug, size=0x2000)
    return load(b.build(load=False))


def rodata_move(img, text: bytes, growth: int = 6):
    rnd = max((p.align for p in img.segments if p.type == PT_LOAD), default=0)
    return img._go_rodata_move(growth, text, rnd)


LARGEST = b"path\tlargest!"        # 16 + 13 + 16 + 1 = 46 bytes, ending .rodata but for 2 bytes (the FIPS markers)


def test_modinfo_string_growth_at_the_edges_of_its_section():
    from linkscope.formats import golink
    string = b"S" * 16 + LARGEST + b"E" * 16 + b"\0"
    view = ByteView(b"x" * 8 + string + b"t" * 40)
    assert golink.modinfo_string_growth(view, 8, len(string), LARGEST, 6) == 6        # it ends the section (no markers, go < 1.24)
    assert golink.modinfo_string_growth(view, 8, len(string) - 1, LARGEST, 6) is None  # past its end
    assert golink.modinfo_string_growth(view, 8, len(string) + 31, LARGEST, 6) == 6
    assert golink.modinfo_string_growth(view, 8, len(string) + 32, LARGEST, 6) == 0    # a larger symbol after it: 0x36 + 6 stays under 0x40
    assert golink.modinfo_string_growth(view, 9, len(string) + 8, LARGEST, 6) is None  # its sentinel starts before the section


def test_go_rodata_move_of_the_largest_string_is_its_growth_realigned():
    # .rodata ends at 0x1030; its growth of 6 puts the next section (sh_addralign 8, at 0x1030, a
    # multiple of 16) at 0x1038 or, aligned as its offset allows, 0x1040: 8 or 16 bytes on. 4 bytes
    # before the page both cross it: the data segment moves a page; 17 before, neither; 8 before,
    # one does: unknown.
    assert rodata_move(rodata_image(LARGEST, 2, 4), LARGEST) == 0x1000
    assert rodata_move(rodata_image(LARGEST, 2, 17), LARGEST) == 0
    assert rodata_move(rodata_image(LARGEST, 2, 8), LARGEST) is None
    # with 8 bytes between, the growth fits in them: nothing moves
    assert rodata_move(rodata_image(LARGEST, 2, 4, gap=8), LARGEST) == 0
    # a tail of 31 bytes is the markers' side of the rule (any larger symbol is over 32 bytes): the
    # growth itself moves what follows (align 1); of 32, the larger symbol's: 0x102e + 6 stays
    # within the 32 bytes to 0x1040, nothing moves
    assert rodata_move(rodata_image(LARGEST, 31, 4, align=1), LARGEST) == 0x1000
    assert rodata_move(rodata_image(LARGEST, 32, 4, align=1), LARGEST) == 0


def test_go_rodata_move_when_the_next_sections_alignment_is_not_known():
    # The next section sits at 0x1040, a multiple of 64, with sh_addralign 8: cmd/link may have
    # aligned it to anything up to 64. Growing by 6 from 0x1040 it moves by 8 (at least) or 64
    # (at most): 12 bytes before the page, 8 stays in it and 64 crosses: unknown.
    text = b"path\tx" + b"y" * 13                  # the string: 16 + 19 + 16 + 1 = 52 bytes, and 12 of tail
    assert rodata_move(rodata_image(text, 12, 12, align=8), text) is None
    assert rodata_move(rodata_image(text, 12, 100, align=8), text) == 0       # both stay in
    assert rodata_move(rodata_image(text, 12, 4, align=8), text) == 0x1000    # both cross


def test_go_rodata_move_with_a_larger_symbol_after_the_string():
    # A larger (32-aligned) symbol follows: what follows the string moves by its growth rounded to
    # 32. The string ends at 0x1000 + 16 + 27 + 17 = 0x103c: 6 more cross 0x1040, and the rest moves
    # 32 (4 bytes before the page: the data segment moves); ending at 0x102a (text of 9), 6 more
    # stay before 0x1040: nothing moves.
    grows, stays = b"path\t" + b"g" * 22, b"path\tabcd"
    assert rodata_move(rodata_image(grows, 36, 4, align=32), grows) == 0x1000
    assert rodata_move(rodata_image(grows, 36, 40, align=32), grows) == 0
    assert rodata_move(rodata_image(stays, 54, 4, align=32), stays) == 0


def test_go_rodata_move_needs_the_text_a_growth_and_gos_layout():
    img = rodata_image(LARGEST, 2, 4)
    assert rodata_move(img, LARGEST, growth=0) == 0 and rodata_move(img, b"") == 0
    assert rodata_move(img, b"path\tnot there") is None                      # not in .rodata
    assert rodata_move(rodata_image(LARGEST, 2, 4, rw_at=0x3000), LARGEST) is None   # not at the end rounded up
    # strip_saving: the data segment a page further is a page less saved; unknown stays unknown
    from linkscope.formats.base import Relink
    unaware = img.strip_saving(Relink(go=True, go_internal=True, buildinfo_growth=6))
    assert unaware is not None and unaware > 0x1000
    assert img.strip_saving(Relink(go=True, go_internal=True, buildinfo_growth=6, modinfo=LARGEST)) == unaware - 0x1000
    assert img.strip_saving(Relink(go=True, go_internal=True, buildinfo_growth=6, modinfo=b"path\tnot there")) is None
    assert img.strip_saving(Relink(buildinfo_growth=6, modinfo=LARGEST)) == img.strip_saving(Relink())   # GNU strip


def test_go_rodata_move_where_the_segment_ends_on_the_page_the_next_starts():
    # .gopclntab runs to 0x2000, where the data PT_LOAD starts: the growth pushes the segment's end past
    # it, and the data segment moves a page; .data, at that end, is the next segment's, not this one's.
    assert rodata_move(rodata_image(LARGEST, 2, 0), LARGEST) == 0x1000


def test_go_rodata_move_needs_a_segment_after_and_rodata_in_one():
    assert rodata_move(rodata_image(LARGEST, 2, 4, rw=False), LARGEST) is None            # nothing after it
    assert rodata_move(rodata_image(LARGEST, 2, 4, load_from=0x1030), LARGEST) is None     # .rodata in no PT_LOAD
    assert rodata_move(rodata_image(LARGEST, 2, 4, note=True), LARGEST) == 0x1000         # a PT_NOTE is no segment
    assert rodata_move(rodata_image(LARGEST, 2, 4, text_load=True), LARGEST) == 0x1000    # one ending at .rodata is not its


def test_go_rodata_move_when_rodata_ends_its_segment():
    # No section after .rodata: its end is the segment's, 0x1030; 6 more stay far from the page.
    assert rodata_move(rodata_image(LARGEST, 2, 0, after=False), LARGEST) == 0


def test_go_rodata_move_needs_a_rounding():
    # -R of 1 is no layout of Go's: unknown; of 2, the data segment moves by the growth, rounded to 2.
    assert rodata_move(rodata_image(LARGEST, 2, 0, align=1, seg_align=1), LARGEST) is None
    assert rodata_move(rodata_image(LARGEST, 2, 0, align=2, seg_align=2), LARGEST) == 6


@reference.needs_tool(shutil.which("strip"), "GNU strip (binutils)")
def test_gnu_strip_leaves_go_buildinfo_where_it_is(tmp_path):
    """GNU strip moves no section after .go.buildinfo, whatever growth the Relink carries (GNU strip's output)."""
    from linkscope.formats.base import Relink
    data, at = gnu_go_case()
    assert at[".go.fipsinfo"] == at[".go.buildinfo"] + 64
    size, _end, _n = gnu_stripped(data, tmp_path)
    img = load(data)
    assert img.strip_saving(Relink()) == img.strip_saving(Relink(buildinfo_growth=16)) == len(data) - size


GO_EXTERNAL_CASES = {
    # name: (gnu_go_case arguments, growth, the shift by Go's buildinfo() and the alignments, worked out)
    # 64 used bytes + 16 -> 80 written; .go.fipsinfo (align 32), right after .go.buildinfo, moves 32
    "next-section-at-the-end": (dict(), 16, 32),
    # 52 used bytes + 10 -> 62, still 64 written: nothing moves
    "growth-within-the-padding": (dict(mod_len=10), 10, 0),
    # .go.buildinfo at an odd offset, the next section (align 1) right after it: 80 written, 16 more
    "odd-offset-alignment-1": (dict(bi_at=33, bi_align=1, after=((".go.fipsinfo", 0x78, 1), (".noptrdata", 0x100, 32))), 16, 16),
    # a PT_NOTE after the moved sections is no segment the linker re-aligns: they still move 32
    "a-note-segment-after": (dict(note=True), 16, 32),
    # the loaded part ends on a page, the non-loaded part starts there: it follows the data 32 bytes later
    "loaded-part-ends-on-a-page": (dict(load_end_at=0x2000), 16, 32),
}


@reference.needs_tool(shutil.which("strip"), "GNU strip (binutils)")
@pytest.mark.parametrize("case", sorted(GO_EXTERNAL_CASES))
def test_go_external_relink_shifts_what_follows_go_buildinfo(case, tmp_path):
    """Go relink by GNU ld: GNU strip's layout with what follows .go.buildinfo moved by the shift (cmd/link buildinfo())."""
    # The shift of each case (the text padded to 16, the next section at its alignment) is worked out by hand in
    # GO_EXTERNAL_CASES; the kept non-loaded sections and the section headers (at 8) follow as GNU strip writes them.
    kw, growth, shift = GO_EXTERNAL_CASES[case]
    data, at = gnu_go_case(**kw)
    if case == "loaded-part-ends-on-a-page":
        assert at["load_end"] == 0x2000
    if case == "odd-offset-alignment-1":
        assert at[".go.buildinfo"] % 2 == 1 and at[".go.fipsinfo"] == at[".go.buildinfo"] + 64
    size, end, shnum = gnu_stripped(data, tmp_path)
    assert up(end, 8) + 64 * shnum == size
    if case in ("growth-within-the-padding", "odd-offset-alignment-1"):
        assert end % 8 == 0                 # a byte more before the section headers would show (no padding to take it)
    assert go_external_saving(data, growth) == len(data) - (up(end + shift, 8) + 64 * shnum)


# -- the strip prediction: the section headers where a non-loaded section starts, the name table's edges ---------
@reference.needs_tool(shutil.which("strip"), "GNU strip (binutils)")
@pytest.mark.parametrize("overlap", [True, False])
def test_strip_saving_section_headers_where_the_non_loaded_part_starts(tmp_path, overlap):
    """Section headers between the loaded and the non-loaded part (GNU strip's output): BFD writes the
    kept sections right after the loaded bytes and the headers last, wherever they were."""
    # The table moved right after the loaded part; with ``overlap`` the removed .debug_info starts at the
    # same offset, over the table's first bytes; without, everything non-loaded follows the table.
    data = strip_case(64, [(".comment", 7, 1)], [".debug_info"])
    shoff, = struct.unpack_from("<Q", data, 40)
    n, = struct.unpack_from("<H", data, 60)
    load_end, = struct.unpack_from("<Q", data, 64 + 32)              # the PT_LOAD's p_filesz (p_offset 0)
    assert load_end % 8 == 0
    rows = [list(struct.unpack_from("<IIQQQQIIQQ", data, shoff + 64 * i)) for i in range(n)]
    out = bytearray(data[:load_end]) + bytes(64 * n) + data[load_end:shoff]
    for r in rows[1:]:
        if r[4] >= load_end:
            r[4] += 64 * n
    assert rows[2][5] == 17                                        # .debug_info
    if overlap:
        rows[2][4] = load_end
    struct.pack_into("<Q", out, 40, load_end)
    for i, r in enumerate(rows):
        struct.pack_into("<IIQQQQIIQQ", out, load_end + 64 * i, *r)
    from linkscope.formats.base import Relink
    assert load(out).strip_saving(Relink()) == len(out) - gnu_stripped(out, tmp_path)[0]


def test_strip_saving_without_a_section_name_table():
    """e_shstrndx 0: only .symtab and its .strtab go, the rest stays in order (counted by hand; strip refuses it)."""
    # GNU strip: "corrupt string table index". By hand: the 17 + 7 bytes after the loaded part, the old name
    # table (54 bytes) kept whole, 5 section headers at 8.
    from linkscope.formats.base import Relink
    data = strip_case(64, [(".comment", 7, 1)], [".debug_info"])
    struct.pack_into("<H", data, 62, 0)
    img = load(data)
    assert img.section_names == ("",) * 7
    load_end, = struct.unpack_from("<Q", data, 64 + 32)
    shoff, = struct.unpack_from("<Q", data, 40)
    names_size, = struct.unpack_from("<Q", data, shoff + 6 * 64 + 32)
    assert names_size == len("\0.text\0.debug_info\0.comment\0.strtab\0.symtab\0.shstrtab\0") == 54
    assert img.strip_saving(Relink()) == len(data) - (up(load_end + 17 + 7 + 54, 8) + 5 * 64)


@reference.needs_tool(shutil.which("strip"), "GNU strip (binutils)")
def test_strip_saving_name_table_that_does_not_start_with_nul(tmp_path):
    """A name table without its leading NUL: strip's new one is a byte longer than the old (GNU strip's output)."""
    # ".shstrtab\0.text\0.comment\0" (25 bytes), .shstrtab, .strtab and .symtab all named from offset 0.
    b = Elf(64, e_type=ET_EXEC)
    text = b.add(b"\x90" * 64, 16)
    b.sec(".text", SHT_PROGBITS, flags=SHF_ALLOC | SHF_EXECINSTR, addr=text, off=text, size=64, align=16)
    load_end = len(b.data)
    o = b.add(b"k" * 7, 1)
    b.sec(".comment", SHT_PROGBITS, off=o, size=7, align=1)
    st = b.add(b"\0main\0", 1)
    sy = b.add(b.sym(0, 0) + b.sym(1, 0x12, 1, text), 8)
    b.sec(".strtab", SHT_STRTAB, off=st, size=6, align=1)
    b.sec(".symtab", SHT_SYMTAB, off=sy, size=48, link=3, info=1, align=8, entsize=24)
    data = b.build(load_end=load_end)
    shoff, = struct.unpack_from("<Q", data, 40)
    table = b".shstrtab\0.text\0.comment\0"
    names_at, = struct.unpack_from("<Q", data, shoff + 5 * 64 + 24)
    data[names_at:names_at + len(table)] = table
    for i, name_off in ((1, 10), (2, 16), (3, 0), (4, 0), (5, 0)):
        struct.pack_into("<I", data, shoff + 64 * i, name_off)
    struct.pack_into("<Q", data, shoff + 5 * 64 + 32, len(table))
    img = load(data)
    assert img.section_names[1:] == (".text", ".comment", ".shstrtab", ".shstrtab", ".shstrtab")
    path = tmp_path / "prog"
    path.write_bytes(bytes(data))
    subprocess.run(["strip", str(path)], check=True)
    from linkscope.formats.base import Relink
    assert img.strip_saving(Relink()) == len(data) - os.path.getsize(path)


def test_strip_saving_when_every_non_loaded_section_is_empty():
    """.strtab, .symtab and the name table all empty (hostile: GNU strip refuses the file): .strtab and
    .symtab go, the loaded part stays, then the 3 section headers left at 8 (counted by hand)."""
    from linkscope.formats.base import Relink
    data = strip_case(64, [], [])
    shoff, = struct.unpack_from("<Q", data, 40)
    n, = struct.unpack_from("<H", data, 60)
    assert n == 5                                               # null, .text, .strtab, .symtab, .shstrtab
    for i in range(2, n):
        struct.pack_into("<Q", data, shoff + 64 * i + 32, 0)   # sh_size 0
    text_off, text_size = struct.unpack_from("<QQ", data, shoff + 64 + 24)
    assert text_size == 64
    assert load(data).strip_saving(Relink()) == len(data) - (up(text_off + 64, 8) + 3 * 64)


def test_go_internal_relink_without_a_loaded_segment_is_unknown():
    """Go internal: no PT_LOAD, so no -R to read (Go writes it as their alignment): None, even where the
    non-loaded part starts right at the sections' end."""
    after = ((".go.fipsinfo", 0x78, 32), (".noptrdata", 0xF40, 32))
    data, at = go_internal_image(after=after)
    assert at["start"] == at["last_end"] == 0x4000
    assert go_internal_saving(data, 0) is not None
    phoff, = struct.unpack_from("<Q", data, 32)
    phnum, = struct.unpack_from("<H", data, 56)
    for i in range(phnum):
        struct.pack_into("<I", data, phoff + 56 * i, 0)           # PT_NULL
    assert go_internal_saving(data, 0) is None


# -- GNU ld relinking a Go binary: .rodata's growth and the writable segment -------------------------------
LD_TEXT = b"path example.com/x\nmod example.com/x (devel)\n"     # the module text between its sentinels


def ld_image(*, gap: int = 0x100, relro: int | None = 0, after=((0x40, 8), (0x30, 4)), ro_tail: int = 0x40,
             text_in_rodata: bool = True, uncovered: int = 0, nobits_inside: bool = False,
             empty_load_at_end: bool = False, rodata: bool = True, third: int | None = None,
             text_load: bool = False) -> bytes:
    """A file laid out as GNU ld lays out an external Go link, reduced to what the rule reads: a read-only
    PT_LOAD at 0x1000 holding .rodata (16 bytes, runtime.modinfo.str: a 16-byte sentinel, the text, a
    16-byte sentinel and a NUL, then ``ro_tail`` bytes) and the ``after`` sections (size, alignment) each at
    its alignment (and as many bytes past it as a third number says), ``uncovered`` bytes no section covers
    at its end; ``gap`` bytes on, the writable PT_LOAD
    (.data) and, at ``relro`` bytes into it (None: none), PT_GNU_RELRO; ``third``: a third PT_LOAD that
    many bytes after the writable one, with PT_GNU_RELRO at its start (in place of the other)."""
    secs = []                                  # name, type, flags, offset, size, align
    ro = 0x1000
    text = bytes(16) + b"\x30" * 16 + LD_TEXT + b"\xf9" * 16 + b"\0" if text_in_rodata else b"\x11" * 60
    body = text + b"\x22" * ro_tail
    if rodata:
        secs.append((".rodata", SHT_PROGBITS, SHF_ALLOC, ro, len(body), 32))
    at = ro + len(body)
    for i, (size, align, *skip) in enumerate(after):
        at = up(at, align) + sum(skip)
        secs.append((f".ro{i}", SHT_PROGBITS, SHF_ALLOC, at, size, align))
        at += size
    if nobits_inside:
        secs.append((".tbss", SHT_NOBITS, SHF_ALLOC | SHF_WRITE, ro + 8, 0x4000, 8))
    seg_end = at + uncovered
    rw = seg_end + gap
    secs.append((".data", SHT_PROGBITS, SHF_ALLOC | SHF_WRITE, rw, 0x100, 32))
    end = rw + 0x100
    names = b"\0" + b"".join(s[0].encode() + b"\0" for s in secs) + b".shstrtab\0"
    secs.append((".shstrtab", SHT_STRTAB, 0, end, len(names), 1))
    phdrs = [(PT_LOAD, 4, ro, seg_end - ro), (PT_LOAD, 6, rw, 0x100)]
    if text_load:                              # the code segment, ending where the read-only one starts
        phdrs.insert(0, (PT_LOAD, 5, 0, ro))
    if empty_load_at_end:
        phdrs.append((PT_LOAD, 6, seg_end, 0))
    if third is not None:
        phdrs += [(PT_LOAD, 6, rw + third, 0x10), (elf.PT_GNU_RELRO, 4, rw + third, 0x10)]
    elif relro is not None:
        phdrs.append((elf.PT_GNU_RELRO, 4, rw + relro, 0x40))
    shoff = up(end + len(names), 8)
    out = bytearray(shoff + 64 * (len(secs) + 1))
    out[ro:ro + len(body)] = body
    out[end:end + len(names)] = names
    out[:64] = b"\x7fELF" + bytes([2, 1, 1, 0]) + bytes(8) + struct.pack(
        "<HHIQQQIHHHHHH", ET_EXEC, 62, 1, 0x401000, 64, shoff, 0, 64, 56, len(phdrs), 64, len(secs) + 1, len(secs))
    for i, (t, fl, off, fs) in enumerate(phdrs):
        struct.pack_into("<IIQQQQQQ", out, 64 + 56 * i, t, fl, off, 0x400000 + off, 0x400000 + off, fs, fs, 0x1000)
    name_off = 1
    for i, (name, t, fl, off, sz, al) in enumerate(secs):
        struct.pack_into("<IIQQQQIIQQ", out, shoff + 64 * (i + 1), name_off, t, fl, 0x400000 + off if fl else 0, off, sz,
                         0, 0, al, 0)
        name_off += len(name) + 1
    return bytes(out)


def ld_absorbs(data: bytes, growth: int = 6, text: bytes = LD_TEXT) -> bool:
    return load(data)._ld_absorbs_rodata_growth(growth, text)


def test_ld_relro_padding_takes_the_rodata_move_up_to_its_size():
    # .rodata's end moves by up to 32 (6 rounded to Maxalign); the sections after it at alignments 8 and 4
    # pass that on whole: the writable segment stays while the padding before it is 32 bytes or more.
    assert ld_absorbs(ld_image(gap=0x100)) and ld_absorbs(ld_image(gap=0x100, text_load=True))
    assert ld_absorbs(ld_image(gap=32)) and not ld_absorbs(ld_image(gap=31))
    assert ld_absorbs(ld_image(gap=64), growth=33) and not ld_absorbs(ld_image(gap=63), growth=33)   # 33 rounds to 64
    assert not ld_absorbs(ld_image(relro=None)) and not ld_absorbs(ld_image(relro=8))   # RELRO not where it starts


def test_ld_rule_when_nothing_moves_or_nothing_grows():
    # A later section aligned to 256 takes the whole move before the segment's end: no RELRO needed.
    assert ld_absorbs(ld_image(after=((0x40, 256),), relro=None, gap=0))
    assert ld_absorbs(ld_image(gap=0, relro=None), growth=0) and ld_absorbs(ld_image(gap=0, relro=None), text=b"")
    assert ld_absorbs(ld_image(gap=0, relro=None, rodata=False))


def test_ld_rule_when_a_gap_the_alignment_does_not_explain_takes_all_but_a_byte():
    # .rodata's end moves by 32, the section aligned to 8 after it too; the last one (alignment 1) sits 31
    # bytes after that: it moves by one byte, which the padding before RELRO takes and nothing else does.
    one = ((0x40, 8), (0x30, 1, 31))
    assert not ld_absorbs(ld_image(after=one, relro=None)) and ld_absorbs(ld_image(after=one, gap=1))
    assert not ld_absorbs(ld_image(after=one, gap=0))
    assert ld_absorbs(ld_image(after=((0x40, 8), (0x30, 1, 32)), relro=None))   # 32 bytes take it all


def test_ld_rule_is_unknown_where_it_cannot_follow_the_layout():
    assert not ld_absorbs(ld_image(text_in_rodata=False))               # the text is not in .rodata
    assert not ld_absorbs(ld_image(uncovered=8))                        # bytes no section covers
    assert not ld_absorbs(ld_image(), text=b"mod other\n")               # another text: not found
    # an empty PT_LOAD at the segment's end is not the next segment; a NOBITS section holds no bytes
    assert ld_absorbs(ld_image(empty_load_at_end=True)) and ld_absorbs(ld_image(nobits_inside=True))


def test_ld_rule_where_rodata_ends_its_segment_or_the_next_segment_starts_at_its_end():
    assert ld_absorbs(ld_image(after=()))                                # .rodata's end is the segment's
    assert not ld_absorbs(ld_image(after=(), gap=0))
    # the writable segment right at the end (no padding), RELRO only on a third one further on: not absorbed
    assert not ld_absorbs(ld_image(gap=0, third=0x1000))


def test_ld_rule_without_a_later_segment_or_outside_any():
    data = bytearray(ld_image())
    struct.pack_into("<I", data, 64 + 56, 0)                             # the writable PT_LOAD made PT_NULL
    assert not ld_absorbs(bytes(data))
    data = bytearray(ld_image())
    struct.pack_into("<Q", data, 64 + 8, 0x2000)                         # the read-only PT_LOAD moved past .rodata
    assert not ld_absorbs(bytes(data))
