"""ELF: 32/64-bit, either endianness, every machine.

Read the way the loader reads it: interpreter, dynamic table and its strings through the program
headers; section headers only for what only they hold (symbol tables, debug info, section names)
and as a fallback for files without segments (objects).
"""
from __future__ import annotations

import struct
from ..record import record
from ..lazy import cached_property

from ..byteview import ByteView
from ..errors import Malformed, Truncated
from ..model import LoadSegment, OsFloor, Section
from .names import SHT
from . import golink
from .base import DEBUG_SECTION_PREFIXES, P_HEADER, P_INNER, P_SECTION, P_SEGMENT, Image, Relink, align_up

# e_type
ET_REL, ET_EXEC, ET_DYN, ET_CORE = 1, 2, 3, 4
# p_type
PT_LOAD, PT_DYNAMIC, PT_INTERP, PT_NOTE, PT_PHDR, PT_TLS = 1, 2, 3, 4, 6, 7
PT_GNU_EH_FRAME, PT_GNU_STACK, PT_GNU_RELRO, PT_GNU_PROPERTY = 0x6474E550, 0x6474E551, 0x6474E552, 0x6474E553
PF_X, PF_W, PF_R = 1, 2, 4
# sh_type
SHT_NULL, SHT_PROGBITS, SHT_SYMTAB, SHT_STRTAB, SHT_NOTE, SHT_NOBITS, SHT_DYNSYM = 0, 1, 2, 3, 7, 8, 11
SHT_RELA, SHT_HASH, SHT_DYNAMIC, SHT_REL, SHT_SYMTAB_SHNDX, SHT_RELR = 4, 5, 6, 9, 18, 19
SHT_GNU_HASH, SHT_GNU_VERDEF, SHT_GNU_VERNEED, SHT_GNU_VERSYM = 0x6FFFFFF6, 0x6FFFFFFD, 0x6FFFFFFE, 0x6FFFFFFF
SHF_WRITE, SHF_ALLOC, SHF_EXECINSTR, SHF_COMPRESSED = 0x1, 0x2, 0x4, 0x800
SHN_UNDEF, SHN_XINDEX = 0, 0xFFFF
PN_XNUM = 0xFFFF
# d_tag
DT_NULL, DT_NEEDED, DT_HASH, DT_STRTAB, DT_SYMTAB, DT_STRSZ, DT_SYMENT = 0, 1, 4, 5, 6, 10, 11
DT_SONAME, DT_RPATH, DT_SYMBOLIC, DT_TEXTREL, DT_BIND_NOW = 14, 15, 16, 22, 24
DT_RUNPATH, DT_FLAGS = 29, 30
DT_GNU_HASH = 0x6FFFFEF5
DT_VERSYM, DT_FLAGS_1, DT_VERDEF, DT_VERDEFNUM, DT_VERNEED, DT_VERNEEDNUM = (
    0x6FFFFFF0, 0x6FFFFFFB, 0x6FFFFFFC, 0x6FFFFFFD, 0x6FFFFFFE, 0x6FFFFFFF)
DF_ORIGIN, DF_SYMBOLIC, DF_TEXTREL, DF_BIND_NOW, DF_STATIC_TLS = 0x1, 0x2, 0x4, 0x8, 0x10
DF_1_NOW, DF_1_NODEFLIB, DF_1_PIE = 0x1, 0x800, 0x08000000
# notes
NT_GNU_ABI_TAG, NT_GNU_BUILD_ID, NT_GNU_PROPERTY_TYPE_0 = 1, 3, 5
ELF_NOTE_OS_LINUX = 0             # the first word of an NT_GNU_ABI_TAG descriptor (1 Hurd, 2 Solaris, 3 FreeBSD)
NT_GO_BUILD_ID = 4
# symbols and versions
STB_LOCAL, STB_GLOBAL, STB_WEAK = 0, 1, 2
STT_NOTYPE, STT_OBJECT, STT_FUNC, STT_SECTION, STT_FILE, STT_COMMON, STT_TLS, STT_GNU_IFUNC = 0, 1, 2, 3, 4, 5, 6, 10
VER_NDX_LOCAL, VER_NDX_GLOBAL = 0, 1
VER_FLG_BASE, VER_FLG_WEAK = 0x1, 0x2
VERSYM_HIDDEN = 0x8000

# Every Go architecture by its GOARCH name; the rest by the machine's name.
_MACHINES = {
    2: "sparc", 3: "386", 4: "m68k", 8: "mips", 10: "mips-rs3le", 15: "parisc", 18: "sparc32plus",
    20: "ppc", 21: "ppc64", 22: "s390", 40: "arm", 42: "sh", 43: "sparc64", 50: "ia64",
    62: "amd64", 183: "arm64", 243: "riscv", 247: "bpf", 258: "loong64", 164: "hexagon",
    106: "blackfin", 92: "openrisc", 94: "xtensa", 83: "avr", 113: "altera-nios2", 105: "msp430",
    6: "486", 7: "860", 9: "s370", 36: "v800", 46: "h8-300", 53: "68hc12", 75: "vax",
    87: "v850", 88: "m32r", 89: "mn10300", 93: "arc-compact", 195: "arc-compact2", 252: "csky",
    220: "z80",
}
_OSABI = {0: None, 1: "hpux", 2: "netbsd", 3: "linux", 4: "hurd", 6: "solaris", 7: "aix", 8: "irix",
          9: "freebsd", 10: "tru64", 11: "modesto", 12: "openbsd", 13: "openvms", 14: "nsk",
          15: "aros", 16: "fenixos", 17: "cloudabi", 97: "arm", 255: "standalone"}
_ABI_TAG_OS = {0: "linux", 1: "hurd", 2: "solaris", 3: "freebsd", 4: "netbsd", 5: "syllable", 6: "nacl"}
_NOTE_OS = {b"NetBSD\0": "netbsd", b"OpenBSD\0": "openbsd", b"FreeBSD\0": "freebsd",
            b"DragonFly\0": "dragonfly", b"Android\0": "android", b"SuSE\0": "linux"}

# Sections read at most (the rest of a larger table is a warning): Go's own tests use 65,298, linked
# programs a few dozen; the extended-numbering maximum is 2**32. Each costs some microseconds and a
# few hundred bytes in every pass over the sections, so this keeps a file to its second.
MAX_SECTIONS = 1 << 16
# machines the analyses tell apart (the others are named by arch_name)
EM_386, EM_X86_64, EM_AARCH64 = 3, 62, 183
PAGE = 4096   # the smallest page any Linux port maps; the bytes after the file's end in its last page read as zeros
MAX_DYNAMIC = 1 << 16
MAX_NOTES = 4096
# Dynamic symbols and version records read at most; real files stay far below (a large C++ library
# has some 10**5 dynamic symbols, libc.so.6 about 3,000).
MAX_SYMBOLS = 1 << 20
# Dynamic symbols read one by one for the imports (Go binaries only: they import dozens); the other
# readers of the table find what they want in it at C speed.
MAX_IMPORT_WALK = 1 << 16
MAX_VERSION_RECORDS = 1 << 16


def arch_name(machine: int, bits: int, little: bool) -> str:
    if machine == 21:
        return "ppc64le" if little else "ppc64"
    if machine == 20:
        return "ppc" if not little else "ppcle"
    if machine == 8:
        base = "mips64" if bits == 64 else "mips"
        return base + ("le" if little else "")
    if machine == 22:
        return "s390x" if bits == 64 else "s390"
    if machine == 243:
        return "riscv64" if bits == 64 else "riscv32"
    if machine == 40 and bits == 32:
        return "arm"
    if machine == 62 and bits == 32:
        return "amd64p32"
    return _MACHINES.get(machine, f"EM_{machine}")


class _Layout:
    """The packed forms of one ELF class and byte order, made once at import (each reader unpacks a
    whole table with one call where entries are of their usual size)."""

    __slots__ = ("ehdr", "phdr", "shdr", "dyn", "sym", "verneed", "vernaux", "verdef", "verdaux", "note", "u32")

    def __init__(self, bits: int, little: bool):
        e = "<" if little else ">"
        w32 = bits == 32
        self.ehdr = struct.Struct(e + ("HHIIIIIHHHHHH" if w32 else "HHIQQQIHHHHHH"))
        self.phdr = struct.Struct(e + ("IIIIIIII" if w32 else "IIQQQQQQ"))
        self.shdr = struct.Struct(e + ("IIIIIIIIII" if w32 else "IIQQQQIIQQ"))
        self.dyn = struct.Struct(e + ("iI" if w32 else "qQ"))
        self.sym = struct.Struct(e + ("IIIBBH" if w32 else "IBBHQQ"))
        self.verneed = struct.Struct(e + "HHIII")   # Elf_Verneed
        self.vernaux = struct.Struct(e + "IHHII")   # Elf_Vernaux
        self.verdef = struct.Struct(e + "HHHHIII")  # Elf_Verdef
        self.verdaux = struct.Struct(e + "II")      # Elf_Verdaux
        self.note = struct.Struct(e + "III")        # namesz, descsz, type
        self.u32 = struct.Struct(e + "I")


_LAYOUTS = {(bits, little): _Layout(bits, little) for bits in (32, 64) for little in (True, False)}


def read_header(v: ByteView) -> tuple[int, bool, int, int, tuple]:
    """The ELF header, the one place it is decoded: (bits, little-endian, EI_OSABI, EI_ABIVERSION,
    the fields after the identification: e_type, e_machine, e_version, e_entry, e_phoff, e_shoff,
    e_flags, e_ehsize, e_phentsize, e_phnum, e_shentsize, e_shnum, e_shstrndx). Truncated or
    Malformed when the bytes are not one."""
    if v.size < 16:
        raise Truncated(f"too short to be ELF ({v.size} bytes; the identification alone is 16)", offset=None)
    cls, data = v.buf[v.base + 4], v.buf[v.base + 5]
    if cls not in (1, 2):
        raise Malformed(f"bad ELF class {cls}", offset=v.base + 4)
    if data not in (1, 2):
        raise Malformed(f"bad ELF data encoding {data}", offset=v.base + 5)
    bits, little = (32 if cls == 1 else 64), data == 1
    hdr = _LAYOUTS[bits, little].ehdr
    if v.size < 16 + hdr.size:
        raise Truncated(f"too short to be ELF: the header needs {16 + hdr.size} bytes, the file has {v.size}",
                        offset=None)
    return bits, little, v.buf[v.base + 7], v.buf[v.base + 8], hdr.unpack_from(v.buf, v.base + 16)


def linkage_of(e_type: int, has_dynamic: bool, has_interp: bool, flags_1: int, has_needed: bool) -> str | None:
    """The one linkage rule, in the terms of what the kernel does when it runs the file (inspect and
    deps both ask it). A ``PT_INTERP`` makes the kernel load that interpreter first, so the file is
    dynamic whatever else it holds (Go's internal-link PIE has ``DF_1_PIE`` and no ``DT_NEEDED``, yet
    does not start where its interpreter is missing); no ``PT_DYNAMIC`` means nothing is relocated or
    loaded: static; ``DF_1_PIE`` with neither an interpreter nor a needed library is a program that
    relocates itself: static-pie. file(1) 5.44 decides the same, except that it also says static-pie
    of a shared object with any DT_FLAGS_1 and no DT_NEEDED (tests/reference.TOLERATED)."""
    if e_type not in (ET_EXEC, ET_DYN):
        return None
    if has_interp:
        return "dynamic"
    if not has_dynamic:
        return "static"
    if flags_1 & DF_1_PIE and not has_needed:
        return "static-pie"
    return "dynamic"


@record
class Segment:
    type: int
    flags: int
    offset: int
    vaddr: int
    filesz: int
    memsz: int
    align: int


@record
class ElfSection:
    name: str
    type: int
    flags: int
    addr: int
    offset: int
    size: int
    link: int
    info: int
    entsize: int

    @property
    def file_size(self) -> int:
        return 0 if self.type == SHT_NOBITS else self.size


@record
class Note:
    name: bytes
    type: int
    desc: bytes
    offset: int


@record
class DynSymbol:
    name: str
    version: str | None    # from the version needs (imports) or definitions
    defined: bool
    bind: int
    type: int
    hidden_version: bool = False


@record
class VersionRequirement:
    """One Elf_Vernaux entry: a version this object requires of the library named ``file``.

    ``index`` is vna_other without the hidden bit: the value DT_VERSYM entries use to name it."""

    file: str
    name: str
    index: int
    flags: int = 0
    hidden: bool = False

    @property
    def weak(self) -> bool:
        # glibc's loader (elf/dl-version.c, match_symbol) does not fail when a weak version is missing.
        return bool(self.flags & VER_FLG_WEAK)


@record
class VersionDefinition:
    """One Elf_Verdef entry: a version this object defines (``parents`` from the further Verdaux)."""

    index: int
    name: str
    flags: int = 0
    parents: tuple[str, ...] = ()

    @property
    def base(self) -> bool:
        return bool(self.flags & VER_FLG_BASE)


class ElfImage(Image):
    format = "elf"
    # GNU ld (BFD), as gcc and clang drive it by default: strip_saving's external rule. lld (zig cc),
    # gold and mold lay the relinked file out their own way (zig cc also ignores the -s Go passes it).
    GO_RELINKERS = frozenset(("gcc", "clang", "external"))

    def __init__(self, view: ByteView):
        super().__init__(view)
        self.bits, self.little, self.osabi, self.abiversion, fields = read_header(view)
        self.view = v = view.with_endian(self.little)
        self._layout = _LAYOUTS[self.bits, self.little]
        (self.e_type, self.machine, _ver, self.entry, self.phoff, self.shoff, self.eflags, _ehsize,
         phentsize, phnum, shentsize, shnum, shstrndx) = fields
        self.arch = arch_name(self.machine, self.bits, self.little)
        self._phentsize, self._shentsize = phentsize, shentsize
        self._shnum, self._shstrndx = shnum, shstrndx
        # Everything below the ELF header is read best-effort: a damaged table is a warning and
        # costs the fields it holds (None where that means "unknown"), not the record.
        self.program_headers_ok = True
        self.segments = self.attempt("program headers", lambda: self._read_segments(phnum))
        if self.segments is None:
            self.segments, self.program_headers_ok = [], False
        for p in self.segments:
            # A loadable segment the file cannot supply: the file was cut short (a download, a copy).
            if p.type == PT_LOAD and p.filesz and p.offset + p.filesz > v.size:
                self.truncated = True
                self.warn("loadable segments", Truncated(
                    f"truncated: a loadable segment needs bytes up to {p.offset + p.filesz:#x}, the file ends at "
                    f"{v.size:#x}"))
                break
        self.section_headers_ok = True
        self.dynamic_ok = True
        self._dynstrs: dict[int, str] = {}   # dynamic strings read so far, by offset

    @cached_property
    def _section_table(self) -> tuple[list[tuple], bytes | None, ByteView | None]:
        """The section header table as unpacked rows (name offset, type, flags, addr, offset, size,
        link, info, align, entsize) and the name table (bytes when of a sane size, else a view),
        read on first use: the loader's view (segments) needs none of it. A table that cannot be
        read has no rows, a warning, and ``section_headers_ok`` False (what only sections tell,
        stripped and debug info, is then unknown). The one-line summary asks only for a few facts
        of it, answered from the rows without making a record per section."""
        out = self.attempt("section headers", lambda: self._read_section_table(self._shnum, self._shstrndx))
        if out is None:
            self.section_headers_ok = False
            return [], None, None
        return out

    @cached_property
    def section_names(self) -> tuple[str, ...]:
        """The name of every section, in table order ("" where it has none), decoded once: what
        asks only for names (which sections there are) needs no records."""
        rows, table, names = self._section_table
        by_start: dict[int, str] = {}
        if table is not None and table.isascii():
            # The usual table: ASCII names, so one decode and one split name every string start
            # (but those too long to be a name).
            pos = 0
            for part in table.decode("ascii").split("\0"):
                n = len(part)
                if n < 256:
                    by_start[pos] = part
                pos += n + 1
        get = by_start.get
        out = [get(row[0]) for row in rows]
        if None in out:   # a shared tail, a name too long, a table not ASCII: looked up one by one
            name_of = self._section_name
            out = [name_of(row[0], table, names) if name is None else name for name, row in zip(out, rows)]
        return tuple(out)

    @cached_property
    def section_rows(self) -> tuple[tuple[str, int, int, int, int, int], ...]:
        """(name, type, flags, offset, size, link) of every section, in table order: what a pass
        over all sections (the size breakdown) reads of each, without a record per section."""
        return tuple([(name, r[1], r[2], r[4], r[5], r[6]) for name, r in zip(self.section_names, self._section_table[0])])

    @cached_property
    def elf_sections(self) -> list[ElfSection]:
        """Section headers as records (see :attr:`_section_table`)."""
        return [ElfSection(name, t, fl, addr, off, size, link, info, ent)
                for name, (_n, t, fl, addr, off, size, link, info, _al, ent) in zip(self.section_names, self._section_table[0])]

    @staticmethod
    def _section_name(name_off: int, table: bytes | None, names: ByteView | None) -> str:
        # A name not terminated within 256 bytes is no name.
        if table is not None:
            if name_off < len(table):
                end = table.find(b"\0", name_off, name_off + 256)
                if end >= 0:
                    return table[name_off:end].decode("utf-8", "surrogateescape")
        elif names is not None and name_off < names.size:
            try:
                return names.cstring(name_off, 256, "section name")
            except Malformed:
                pass
        return ""

    def section_at(self, index: int) -> ElfSection | None:
        """The record of section ``index`` (None outside the table), made from its row alone."""
        rows, table, names = self._section_table
        if not 0 <= index < len(rows):
            return None
        name_off, t, fl, addr, off, size, link, info, _al, ent = rows[index]
        return ElfSection(self._section_name(name_off, table, names), t, fl, addr, off, size, link, info, ent)

    def _first_section_of_type(self, sh_type: int) -> ElfSection | None:
        for i, r in enumerate(self._section_table[0]):
            if r[1] == sh_type:
                return self.section_at(i)
        return None

    def has_section(self, *names: str) -> bool:
        """Whether a section of one of these names exists (no section records are made)."""
        return bool(self._section_rows_named(names))

    def _section_rows_named(self, wanted: tuple[str, ...]) -> list[tuple]:
        """The rows whose name is one of ``wanted``, compared in place in the name table."""
        rows, table, names = self._section_table
        if table is None:
            return [r for r in rows if self._section_name(r[0], table, names) in wanted]
        # Every offset in the table where a wanted name starts (a name may be the tail of a longer
        # one, ".debug_info" of ".rela.debug_info"): found at C speed, then matched by offset.
        starts = set()
        for w in wanted:
            key = w.encode() + b"\0"
            i = table.find(key)
            while i >= 0:
                starts.add(i)
                i = table.find(key, i + 1)
        return [r for r in rows if r[0] in starts] if starts else []

    # -- tables ----------------------------------------------------------------------------------
    def _section0(self):
        """The first section header holds the real counts when they overflow the ELF header."""
        if not self.shoff:
            return None
        want = 40 if self.bits == 32 else 64
        if self._shentsize < want:
            raise Malformed(f"section header entry size {self._shentsize} < {want}", offset=self.view.base + (46 if self.bits == 32 else 58))
        v = self.view
        v.check(self.shoff, want, "section header 0")
        if self.bits == 32:
            return v.u32(self.shoff + 20), v.u32(self.shoff + 24), v.u32(self.shoff + 28)  # size, link, info
        return v.u64(self.shoff + 32), v.u32(self.shoff + 40), v.u32(self.shoff + 44)

    def _read_segments(self, phnum: int) -> list[Segment]:
        if not self.phoff or not phnum:
            return []
        if phnum == PN_XNUM:
            s0 = self._section0()
            phnum = s0[2] if s0 else phnum
        want = 32 if self.bits == 32 else 56
        if self._phentsize < want:
            raise Malformed(f"program header entry size {self._phentsize} < {want}", offset=self.view.base + (42 if self.bits == 32 else 54))
        self.view.check_array(self.phoff, phnum, self._phentsize, "program header table")
        st = self._layout.phdr
        if self._phentsize == st.size:   # the usual case: the table in one read, unpacked at C speed
            rows = st.iter_unpack(self.view.bytes(self.phoff, phnum * st.size, "program header table"))
        else:
            rows = (self.view.unpack(st, self.phoff + i * self._phentsize) for i in range(phnum))
        if self.bits == 32:
            return [Segment(t, fl, off, va, fs, ms, al) for t, off, va, _pa, fs, ms, fl, al in rows]
        return [Segment(t, fl, off, va, fs, ms, al) for t, fl, off, va, _pa, fs, ms, al in rows]

    def _read_section_table(self, shnum: int, shstrndx: int) -> tuple[list[tuple], bytes | None, ByteView | None]:
        if not self.shoff:
            return [], None, None
        s0 = self._section0()
        if shnum == 0:
            shnum = s0[0]
        if shstrndx == SHN_XINDEX:
            shstrndx = s0[1]
        if shnum == 0:
            return [], None, None
        if shnum > MAX_SECTIONS:
            # A count the file cannot hold is no count: refused. One it holds is read up to the budget.
            try:
                self.view.check_array(self.shoff, shnum, self._shentsize, "section header table")
            except Malformed:
                raise Malformed(f"{shnum} sections declared, more than the {MAX_SECTIONS} accepted",
                                offset=self.view.base + self.shoff) from None
            shnum = self.budget(shnum, MAX_SECTIONS, "section headers", "sections", self.view.base + self.shoff)
        self.view.check_array(self.shoff, shnum, self._shentsize, "section header table")
        st = self._layout.shdr
        if self._shentsize == st.size:  # the usual case: the table in one read, unpacked at C speed
            raw = list(st.iter_unpack(self.view.bytes(self.shoff, shnum * st.size, "section header table")))
        else:
            raw = [self.view.unpack(st, self.shoff + i * self._shentsize) for i in range(shnum)]
        names = None
        if shstrndx >= shnum:
            self.warn("section names", Malformed(f"section name table index {shstrndx} is not a section "
                                                 f"(there are {shnum})", offset=self.view.base + self.shoff))
        elif shstrndx and raw[shstrndx][1] != SHT_STRTAB:
            self.warn("section names", Malformed(f"section name table {shstrndx} is of type {raw[shstrndx][1]}, "
                                                 f"not a string table", offset=self.view.base + self.shoff
                                                 + shstrndx * self._shentsize))
        elif shstrndx:
            _n, t, _f, _a, off, size, *_ = raw[shstrndx]
            if t != SHT_NOBITS:
                try:
                    names = self.view.sub(off, size, "section name table")
                except Malformed:
                    names = None
        # Names are looked up in one copy of the name table when it is of a sane size.
        table = names.bytes(0, names.size, "section name table") if names is not None and names.size <= 1 << 20 else None
        return raw, table, names

    # -- address mapping -------------------------------------------------------------------------
    def vaddr_to_offset(self, addr: int, size: int = 1) -> int | None:
        for vaddr, end, offset in self._loads:
            if vaddr <= addr and addr + size <= end and offset + (addr - vaddr) < 1 << 64:
                return offset + (addr - vaddr)     # past 2**64 is no file position (vaddr_span)
        return None

    @cached_property
    def _loads(self) -> tuple[tuple[int, int, int], ...]:
        """(vaddr, vaddr + filesz, offset) of each PT_LOAD, in table order: every address the dynamic
        table names is mapped through them."""
        return tuple((p.vaddr, p.vaddr + p.filesz, p.offset) for p in self.segments if p.type == PT_LOAD)

    def vaddr_span(self, addr: int, size: int) -> tuple[int, int] | None:
        # A 64-bit offset plus the distance into its segment can pass 2**64: no file position, unmapped.
        for s in self.segments:
            if s.type == PT_LOAD and s.vaddr <= addr < s.vaddr + s.filesz and s.offset + (addr - s.vaddr) < 1 << 64:
                off = s.offset + (addr - s.vaddr)
                return off, max(0, min(size, s.vaddr + s.filesz - addr, self.view.size - off))
        for s in self.elf_sections:  # objects: sections carry the addresses
            if s.flags & SHF_ALLOC and s.type != SHT_NOBITS and s.addr <= addr < s.addr + s.size \
                    and s.offset + (addr - s.addr) < 1 << 64:
                return s.offset + (addr - s.addr), min(size, s.addr + s.size - addr)
        return None

    def go_data_start(self) -> tuple[int, int] | None:
        # debug/buildinfo: the .go.buildinfo section, else the first writable, non-executable PT_LOAD.
        for r in self._section_rows_named((".go.buildinfo",)):
            return r[3], r[5]
        for p in self.segments:
            if p.type == PT_LOAD and p.flags & (PF_X | PF_W) == PF_W:
                return p.vaddr, p.memsz
        return None

    def section(self, name: str) -> ElfSection | None:
        """The first section of that name (made from its row: the others are not built)."""
        rows = self._section_table[0]
        for r in self._section_rows_named((name,)):
            return self.section_at(rows.index(r))
        return None

    def imported_symbols(self):
        """(name, name@version) of each undefined dynamic symbol, from the first MAX_IMPORT_WALK
        symbols (a warning says when there are more)."""
        count = self.dynamic_symbol_count
        if count > MAX_IMPORT_WALK:
            self.warn("dynamic symbols", Malformed(f"{count} dynamic symbols, more than the {MAX_IMPORT_WALK} read "
                                                   "for the imports; the others not read", offset=None))
            syms = self._dynamic_symbols(MAX_IMPORT_WALK)
        else:
            syms = self.dynamic_symbols
        for s in syms:
            if s.name and not s.defined:
                yield s.name, f"{s.name}@{s.version}" if s.version else s.name

    def dynamic_strings(self) -> tuple[int, int] | None:
        v = self._dynstr
        return None if v is None or not v.size else (v.base - self.view.base, v.size)

    def _symtab_section(self) -> ElfSection | None:
        return self._first_section_of_type(SHT_SYMTAB)

    def symbol_strings(self) -> tuple[int, int] | None:
        s = self._symtab_section()
        if s is None or not 0 < s.link < len(self._section_table[0]):
            return None
        st = self.section_at(s.link)
        if st.type == SHT_NOBITS or st.offset >= self.view.size:
            return None
        return st.offset, min(st.size, self.view.size - st.offset)

    def symbol_name_offsets(self, limit: int) -> frozenset[int]:
        """st_name of every .symtab entry (one array slice, not entry by entry)."""
        s = self._symtab_section()
        if s is None or not s.entsize or s.entsize % 4:
            return frozenset()
        count = min(s.size, self.view.size - s.offset, limit) // s.entsize * s.entsize // 4
        return frozenset(self.view.words(s.offset, count, "I", self.little, ".symtab")[0::s.entsize // 4])

    def os_floor(self) -> OsFloor | None:
        """The GNU ABI-tag note (NT_GNU_ABI_TAG: the kernel the C library was built for), Linux only."""
        n = self.note(b"GNU\0", NT_GNU_ABI_TAG)
        if n is None or len(n.desc) < 16:
            return None
        os_, a, b, c = struct.unpack_from("<IIII" if self.little else ">IIII", n.desc)
        if os_ != ELF_NOTE_OS_LINUX:
            return None
        return OsFloor("Linux", f"{a}.{b}.{c}", f"GNU ABI-tag note: for GNU/Linux {a}.{b}.{c}")

    def file_section(self, name: str) -> Section | None:
        s = self.section(name)
        return None if s is None else Section(s.name, s.addr, s.offset, s.file_size, SHT(s.type))

    def load_segments(self) -> tuple[LoadSegment, ...]:
        return tuple(LoadSegment("", p.vaddr, p.offset, p.filesz, p.memsz, bool(p.flags & PF_R),
                                 bool(p.flags & PF_W), bool(p.flags & PF_X))
                     for p in self.segments or () if p.type == PT_LOAD)

    def section_data(self, s: ElfSection) -> ByteView:
        if s.type == SHT_NOBITS:
            return self.view.sub(0, 0)
        return self.view.sub(s.offset, s.size, f"section {s.name or '#'}")

    def sections(self) -> list[Section]:
        return [Section(s.name, s.addr, s.offset, s.file_size, SHT(s.type)) for s in self.elf_sections if s.type != SHT_NULL]

    # -- dynamic table ---------------------------------------------------------------------------
    @cached_property
    def dynamic(self) -> list[tuple[int, int]]:
        """(tag, value) pairs up to DT_NULL, read through PT_DYNAMIC (section as fallback); empty with
        a warning and ``dynamic_ok`` False when the table cannot be read."""
        out = self.attempt("dynamic table", self._read_dynamic)
        if out is None:
            self.dynamic_ok = False
            return []
        return out

    @property
    def dynamic_readable(self) -> bool:
        """Whether the dynamic table (if any) could be read; reads it."""
        self.dynamic
        return self.dynamic_ok

    def _read_dynamic(self) -> list[tuple[int, int]]:
        region = None
        for p in self.segments:
            if p.type == PT_DYNAMIC:
                region = (p.offset, p.filesz)
                break
        if region is None:
            for r in self._section_table[0]:
                if r[1] == SHT_DYNAMIC:
                    region = (r[4], r[5])
                    break
        if region is None:
            return []
        ent = 8 if self.bits == 32 else 16
        off, size = region
        count = min(size // ent, MAX_DYNAMIC)
        end = self.view.size
        if off < end < off + count * ent and off + (end - off) // ent * ent < -(-end // PAGE) * PAGE:
            # Cut by the end of the file: the loader maps the last page whole, so the missing entry
            # reads as zeros, DT_NULL, and the table ends there (further pages would not be mapped).
            count = (end - off) // ent
            self.warn("dynamic table", Truncated(
                f"the dynamic table is cut by the end of the file after {count} entries; read as the loader "
                f"reads it (the zeros after the end end it)", offset=self.view.base + off + count * ent))
        self.view.check_array(off, count, ent, "dynamic table")
        rows = list(self._layout.dyn.iter_unpack(self.view.bytes(off, count * ent, "dynamic table")))
        if not rows:
            return rows
        tags = next(zip(*rows))
        if DT_NULL in tags:   # the table ends at the first DT_NULL
            rows = rows[:tags.index(DT_NULL)]
            tags = tags[:len(rows)]
        elif count == MAX_DYNAMIC:
            self.warn("dynamic table", Malformed(f"no DT_NULL in the first {MAX_DYNAMIC} entries: the rest "
                                                 f"not read", offset=self.view.base + off))
        if rows and min(tags) < 0:   # d_tag is signed: read as the unsigned value tags are named by
            mask = (1 << self.bits) - 1   # of the file's class: a 32-bit tag 0x80000001 is that, as readelf prints it
            rows = [(t & mask if t < 0 else t, v) for t, v in rows]
        return rows

    def dyn(self, tag: int) -> list[int]:
        return [v for t, v in self.dynamic if t == tag]

    def dyn1(self, tag: int) -> int | None:
        """The value of ``tag`` the loader keeps: the last of a repeated tag (glibc's
        elf_get_dynamic_info and musl's decode_vec each overwrite the slot of a tag they meet again)."""
        return self._dyn_last.get(tag)

    @cached_property
    def _dyn_last(self) -> dict[int, int]:
        return dict(self.dynamic)   # later pairs win in a dict, as in the loader's table

    @cached_property
    def _dynstr(self) -> ByteView | None:
        addr = self.dyn1(DT_STRTAB)
        if addr is None:
            return None
        size = self.dyn1(DT_STRSZ)
        off = self.vaddr_to_offset(addr)
        if off is None:
            # Objects whose dynamic table is not mapped (rare): fall back to the linked section.
            dyn = self._first_section_of_type(SHT_DYNAMIC)
            if dyn is not None and 0 < dyn.link < len(self._section_table[0]):
                return self.section_data(self.section_at(dyn.link))
            raise Malformed(f"DT_STRTAB address {addr:#x} is not in any loaded segment", offset=None)
        if size is None or off + size > self.view.size:
            size = self.view.size - off
        return self.view.sub(off, size, "dynamic string table")

    def dynstr(self, off: int) -> str:
        got = self._dynstrs.get(off)
        if got is None:
            table = self._dynstr
            if table is None:
                raise Malformed("dynamic table has strings but no DT_STRTAB", offset=None)
            text = self._dynstr_text
            end = text.find("\0", off, off + 4096) if text is not None and 0 <= off < len(text) else -1
            # Kept: the version needs name the same library file once per version they require.
            got = self._dynstrs[off] = text[off:end] if end >= 0 else table.cstring(off, 4096, "dynamic string")
        return got

    @cached_property
    def _dynstr_text(self) -> str | None:
        """The dynamic string table decoded once, when it is ASCII and of a program's size (16 KiB at
        most): a file looks up dozens of its strings (needed libraries, version names), each then a
        find and a slice. None otherwise: each string is read on its own (ByteView.cstring)."""
        table = self._dynstr
        if table is None or table.size > 1 << 14:
            return None
        raw = table.bytes(0, table.size, "dynamic string table")
        return raw.decode("ascii") if raw.isascii() else None

    @cached_property
    def needed(self) -> tuple[str, ...]:
        return tuple(self.dynstr(v) for v in self.dyn(DT_NEEDED))

    def _paths(self, tag: int) -> tuple[str, ...]:
        """The entries of the DT_RPATH or DT_RUNPATH string the loader keeps (the last of a repeated tag)."""
        v = self.dyn1(tag)
        return () if v is None else tuple(self.dynstr(v).split(":"))

    @cached_property
    def rpath(self) -> tuple[str, ...]:
        return self._paths(DT_RPATH)

    @cached_property
    def runpath(self) -> tuple[str, ...]:
        return self._paths(DT_RUNPATH)

    @cached_property
    def soname(self) -> str | None:
        v = self.dyn1(DT_SONAME)
        return None if v is None else self.dynstr(v)

    @property
    def flags(self) -> int:
        return self.dyn1(DT_FLAGS) or 0

    @property
    def flags_1(self) -> int:
        return self.dyn1(DT_FLAGS_1) or 0

    @cached_property
    def interpreter(self) -> str | None:
        for p in self.segments:
            if p.type == PT_INTERP:
                raw = self.view.bytes(p.offset, min(p.filesz, 4096), "PT_INTERP")
                return raw.split(b"\0", 1)[0].decode("utf-8", "surrogateescape")
        return None

    # -- notes -----------------------------------------------------------------------------------
    @cached_property
    def notes(self) -> list[Note]:
        # Segments first (they survive section stripping), then note sections outside them: Go's
        # internal linker maps only its own note, leaving .note.gnu.build-id to the section table.
        regions = [(p.offset, p.filesz) for p in self.segments if p.type == PT_NOTE]
        for r in self._section_table[0]:
            if r[1] == SHT_NOTE and not any(o <= r[4] < o + n for o, n in regions):
                regions.append((r[4], r[5]))
        out: list[Note] = []
        for off, size in regions:
            try:
                region = self.view.sub(off, size, "note segment")
            except Malformed:
                continue  # a note region past the end: the rest of the file is still reported
            pos, buf, base, unpack = 0, region.buf, region.base, self._layout.note.unpack_from
            while pos + 12 <= region.size and len(out) < MAX_NOTES:
                namesz, descsz, ntype = unpack(buf, base + pos)
                name_off = pos + 12
                desc_off = name_off + ((namesz + 3) & ~3)
                nxt = desc_off + ((descsz + 3) & ~3)
                if nxt > region.size or desc_off + descsz > region.size:
                    if desc_off + descsz > region.size:   # not merely the last note's padding cut
                        self.warn("notes", Malformed(f"note of name size {namesz} and descriptor size {descsz} runs "
                                                     f"past its region of {region.size} bytes", offset=base + pos))
                    break
                # Both inside the region (checked just above): sliced straight from the buffer.
                out.append(Note(bytes(buf[base + name_off:base + name_off + namesz]), ntype,
                                bytes(buf[base + desc_off:base + desc_off + descsz]), base + pos))
                pos = nxt
            if len(out) >= MAX_NOTES and pos + 12 <= region.size:
                self.warn("notes", Malformed(f"more than {MAX_NOTES} notes: the rest not read", offset=base + pos))
                break
        return out

    def note(self, name: bytes, ntype: int) -> Note | None:
        for n in self.notes:
            if n.type == ntype and n.name == name:
                return n
        return None

    @property
    def gnu_build_id(self) -> str | None:
        n = self.note(b"GNU\0", NT_GNU_BUILD_ID)
        return n.desc.hex() if n else None

    @property
    def go_build_id(self) -> str | None:
        n = self.note(b"Go\0\0", NT_GO_BUILD_ID)
        if n is None:
            return None
        return n.desc.rstrip(b"\0").decode("utf-8", "replace")

    # -- symbol versions (what glibc floor the binary needs) -------------------------------------
    @property
    def elf_type(self) -> str | None:
        t = self.e_type
        if t == ET_EXEC:
            return "executable"
        if t == ET_DYN:
            if not self.dynamic_readable:
                return None   # executable or library: DF_1_PIE is in the unreadable dynamic table
            # file(1): DF_1_PIE marks a PIE executable; any other ET_DYN is a shared object.
            return "pie-executable" if self.flags_1 & DF_1_PIE else "shared-library"
        if t == ET_REL:
            return "object"
        if t == ET_CORE:
            return "core"
        return None

    @property
    def linkage(self) -> str | None:
        """None (unknown) when the tables it depends on could not be read."""
        segs = self.segments
        if not self.program_headers_ok:
            return None
        has_interp = any(p.type == PT_INTERP for p in segs)
        has_dynamic = any(p.type == PT_DYNAMIC for p in segs)
        if has_dynamic and not has_interp and not self.dynamic_readable:
            return None   # static-pie or dynamic: only the unreadable dynamic table tells
        return linkage_of(self.e_type, has_dynamic, has_interp, self.flags_1, DT_NEEDED in self._dyn_last)

    @property
    def os_name(self) -> str | None:
        os_ = _OSABI.get(self.osabi)
        if os_ and os_ not in ("arm", "standalone"):
            return os_
        interp = self.interpreter or ""
        if "ld-linux" in interp or "ld-musl" in interp:
            return "linux"  # decided without reading notes (which may need the section headers)
        for n in self.notes:
            if n.name == b"GNU\0" and n.type == NT_GNU_ABI_TAG and len(n.desc) >= 4:
                code = self._layout.u32.unpack_from(n.desc)[0]
                return _ABI_TAG_OS.get(code, f"abi-tag-{code}")
            if n.name in _NOTE_OS:
                return _NOTE_OS[n.name]
        interp = self.interpreter or ""
        if interp.startswith("/system/bin/linker"):
            return "android"
        if "ld-linux" in interp or "ld-musl" in interp or interp.startswith("/lib/ld64.so") or interp.startswith("/lib/ld.so"):
            return "linux"
        if os_ is None and self.e_type in (ET_EXEC, ET_DYN):
            # OSABI 0 and no OS note: Linux is the one major OS that marks nothing (static Go, musl);
            # the BSDs and Solaris all leave an OSABI value or an ident note.
            return "linux"
        return os_

    @property
    def stripped(self) -> bool | None:
        rows = self._section_table[0]
        if not self.section_headers_ok:
            return None
        return not any(r[1] == SHT_SYMTAB for r in rows)

    @property
    def debug_info(self) -> bool | None:
        rows = self._section_rows_named((".debug_info", ".zdebug_info"))
        if not self.section_headers_ok:
            return None
        return bool(rows)

    def facts(self, summary: bool = False) -> dict:
        """The record's fields; ``summary``: only those the one-line output shows (no build IDs,
        RPATH/RUNPATH or SONAME, which are then left unread)."""
        a = self.attempt
        out = dict(
            format="elf", arch=self.arch, bits=self.bits, endian="little" if self.little else "big",
            os=a("notes", lambda: self.os_name), type=self.elf_type, linkage=self.linkage,
            interpreter=a("interpreter", lambda: self.interpreter),
            needed=a("dynamic strings", lambda: self.needed, ()), stripped=self.stripped, debug_info=self.debug_info)
        if not summary:
            out.update(rpath=a("dynamic strings", lambda: self.rpath, ()), runpath=a("dynamic strings", lambda: self.runpath, ()),
                       soname=a("dynamic strings", lambda: self.soname), gnu_build_id=a("notes", lambda: self.gnu_build_id),
                       go_build_id=a("notes", lambda: self.go_build_id))
        return out

    # -- dynamic symbols and symbol versions, read through the loader's view -----------------------
    def _mapped(self, addr: int, what: str) -> int:
        """File offset of a virtual address the dynamic table names (it must be in a PT_LOAD)."""
        off = self.vaddr_to_offset(addr)
        if off is None:
            raise Malformed(f"{what} address {addr:#x} is not in any loaded segment", offset=None)
        return off

    def _dynamic_offset(self, tag: int, what: str) -> int | None:
        addr = self.dyn1(tag)
        return None if addr is None else self._mapped(addr, what)

    def _chain_budget(self, off: int, count: int, entsize: int, what: str) -> None:
        """A declared record count must fit in the bytes after ``off`` (records are at least ``entsize``)."""
        if count > MAX_VERSION_RECORDS:
            raise Malformed(f"{what}: {count} records declared, more than the {MAX_VERSION_RECORDS} accepted",
                            offset=self.view.base + off)
        self.view.check_array(off, count, entsize, what)

    @cached_property
    def version_requirements(self) -> tuple[VersionRequirement, ...]:
        """Every Elf_Vernaux of DT_VERNEED, walked as glibc's loader walks it (elf/dl-version.c,
        _dl_check_map_versions): vn_next / vna_next until zero, the first record's vn_version 1."""
        off = self._dynamic_offset(DT_VERNEED, "DT_VERNEED")
        if off is None:
            return ()
        num = self.dyn1(DT_VERNEEDNUM)
        v = self.view
        if num is not None:
            self._chain_budget(off, num, 16, "version needs (DT_VERNEEDNUM)")
        if v.u16(off) != 1:
            raise Malformed(f"unsupported version {v.u16(off)} of Verneed record", offset=v.base + off)
        out: list[VersionRequirement] = []
        # Both records are 16 bytes, each bounds-checked where the chain puts it (ByteView.unpack's
        # check, written out: a binary has dozens of these, a library hundreds).
        unpack_need, unpack_aux = self._layout.verneed.unpack_from, self._layout.vernaux.unpack_from
        buf, base, size, dynstr = v.buf, v.base, v.size, self.dynstr
        for _ in range(MAX_VERSION_RECORDS):
            if off < 0 or off + 16 > size:
                v.check(off, 16, "record")
            _ver, cnt, file_off, aux, nxt = unpack_need(buf, base + off)
            file = dynstr(file_off)
            a = off + aux
            if cnt:
                self._chain_budget(a, cnt, 16, f"version need entries of {file}")
            for _ in range(MAX_VERSION_RECORDS):
                if a < 0 or a + 16 > size:
                    v.check(a, 16, "record")
                _hash, flags, other, name_off, anext = unpack_aux(buf, base + a)
                out.append(VersionRequirement(file, dynstr(name_off), other & 0x7FFF, flags, other >= VERSYM_HIDDEN))
                if len(out) > MAX_VERSION_RECORDS:
                    raise Malformed(f"more than {MAX_VERSION_RECORDS} version need entries", offset=v.base + a)
                if not anext:
                    break
                a += anext
            else:
                raise Malformed("version need entry chain does not end", offset=v.base + a)
            if not nxt:
                return tuple(out)
            off += nxt
        raise Malformed("version need chain does not end", offset=v.base + off)

    @cached_property
    def version_definitions(self) -> tuple[VersionDefinition, ...]:
        """Every Elf_Verdef of DT_VERDEF (the base entry, VER_FLG_BASE, names the object itself)."""
        off = self._dynamic_offset(DT_VERDEF, "DT_VERDEF")
        if off is None:
            return ()
        num = self.dyn1(DT_VERDEFNUM)
        v = self.view
        if num is not None:
            self._chain_budget(off, num, 20, "version definitions (DT_VERDEFNUM)")
        out: list[VersionDefinition] = []
        for _ in range(MAX_VERSION_RECORDS):
            ver, flags, ndx, cnt = v.u16(off), v.u16(off + 2), v.u16(off + 4), v.u16(off + 6)
            aux, nxt = v.u32(off + 12), v.u32(off + 16)
            if ver != 1:
                raise Malformed(f"unsupported version {ver} of Verdef record", offset=v.base + off)
            names: list[str] = []
            if cnt:
                a = off + aux
                self._chain_budget(a, cnt, 8, "version definition names")
                for _ in range(cnt):
                    name_off, anext = v.u32(a), v.u32(a + 4)
                    names.append(self.dynstr(name_off))
                    if not anext:
                        break
                    a += anext
            if not names:
                raise Malformed(f"version definition {ndx} has no name", offset=v.base + off)
            out.append(VersionDefinition(ndx & 0x7FFF, names[0], flags, tuple(names[1:])))
            if not nxt:
                return tuple(out)
            off += nxt
        raise Malformed("version definition chain does not end", offset=v.base + off)

    def _hash_entry_size(self, addr: int, off: int) -> int:
        # The SysV hash table has 8-byte entries on 64-bit s390 and on Alpha (glibc's Elf_Symndx, readelf),
        # 4 bytes everywhere else. A SHT_HASH section at that address says which its linker wrote (lld
        # writes 4-byte entries for s390x too); without one, 8-byte words holding a count no table can
        # have are two 4-byte words (nbucket and nchain side by side make a number above 2**32).
        for r in self._section_table[0]:
            if r[1] == SHT_HASH and r[3] == addr and r[9] in (4, 8):
                return r[9]
        if (self.machine == 22 and self.bits == 64) or self.machine == 0x9026:
            if self.view.u64(off) <= MAX_SYMBOLS and self.view.u64(off + 8) <= MAX_SYMBOLS:
                return 8
        return 4

    def _count_from_hash(self) -> int | None:
        """Symbol count from DT_HASH's nchain."""
        off = self._dynamic_offset(DT_HASH, "DT_HASH")
        if off is None:
            return None
        ent = self._hash_entry_size(self.dyn1(DT_HASH), off)
        nchain = self.view.u64(off + ent) if ent == 8 else self.view.u32(off + 4)
        if nchain > MAX_SYMBOLS:
            raise Malformed(f"DT_HASH declares {nchain} symbols, more than the {MAX_SYMBOLS} accepted",
                            offset=self.view.base + off + ent)
        return nchain

    def _count_from_gnu_hash(self) -> int | None:
        """Symbol count from DT_GNU_HASH: one past the last symbol of the chain the highest bucket starts."""
        off = self._dynamic_offset(DT_GNU_HASH, "DT_GNU_HASH")
        if off is None:
            return None
        v = self.view
        nbuckets, symoffset, bloom_size = v.u32(off), v.u32(off + 4), v.u32(off + 8)
        word = self.bits // 8
        if nbuckets > MAX_SYMBOLS or symoffset > MAX_SYMBOLS:
            raise Malformed(f"DT_GNU_HASH declares {nbuckets} buckets from symbol {symoffset}", offset=v.base + off)
        v.check_array(off + 16, bloom_size, word, "DT_GNU_HASH bloom filter")
        buckets_off = off + 16 + bloom_size * word
        v.check_array(buckets_off, nbuckets, 4, "DT_GNU_HASH buckets")
        buckets = v.words(buckets_off, nbuckets, "I", self.little, "DT_GNU_HASH buckets")
        last = max(buckets, default=0)
        if last == 0:
            # No hashed symbols, so nothing bounds the table: linkers leave symoffset at 1 or at the
            # count. The caller sizes it from the section or the layout, at least symoffset.
            return -symoffset
        if last < symoffset:
            raise Malformed(f"DT_GNU_HASH bucket names symbol {last}, below symoffset {symoffset}", offset=v.base + buckets_off)
        chains_off = buckets_off + 4 * nbuckets
        i = last
        while True:
            if i >= MAX_SYMBOLS:
                raise Malformed(f"DT_GNU_HASH chain runs past {MAX_SYMBOLS} symbols", offset=v.base + chains_off)
            h = v.u32(chains_off + 4 * (i - symoffset))
            i += 1
            if h & 1:
                return i

    def _dynsym_section(self) -> ElfSection | None:
        return self._first_section_of_type(SHT_DYNSYM)

    @cached_property
    def _dynsym_layout(self) -> tuple[int, int, int, ByteView] | None:
        """(file offset, count, entry size, string table) of the dynamic symbol table, or None."""
        minent = 16 if self.bits == 32 else 24
        addr = self.dyn1(DT_SYMTAB)
        if addr is not None:
            off = self._mapped(addr, "DT_SYMTAB")
            ent = self.dyn1(DT_SYMENT) or minent
            if ent < minent or ent > 1024:
                raise Malformed(f"DT_SYMENT {ent} is not a symbol entry size", offset=self.view.base + off)
            # Sized by the hash table the loader uses (DT_GNU_HASH before DT_HASH, as glibc does); the
            # section and the layout only as fallbacks.
            count = self._count_from_gnu_hash()
            at_least = 0
            if count is not None and count <= 0:  # a GNU hash table without hashed symbols
                count, at_least = None, -count
            if count is None:
                count = self._count_from_hash()
                if count is not None:
                    count = max(count, at_least)
            if count is None:
                sec = self._dynsym_section()
                if sec is not None and sec.addr == addr and sec.entsize:
                    count = sec.size // sec.entsize
            if count is None:
                # No usable hash table and no section: GNU ld places .dynstr right after .dynsym.
                strtab = self.dyn1(DT_STRTAB)
                if strtab is not None and strtab > addr:
                    count = (strtab - addr) // ent
            if count is None and at_least:
                count = at_least
            if count is None:
                raise Malformed("DT_SYMTAB without DT_HASH, DT_GNU_HASH or a .dynsym section to size it",
                                offset=self.view.base + off)
            if self._dynstr is None:
                raise Malformed("DT_SYMTAB without DT_STRTAB", offset=self.view.base + off)
            strings = self._dynstr
        elif (sec := self._dynsym_section()) is not None:
            off, ent = sec.offset, sec.entsize or minent
            if ent < minent:
                raise Malformed(f".dynsym entry size {ent} is too small", offset=self.view.base + off)
            count = sec.size // ent
            if not 0 < sec.link < len(self._section_table[0]):
                raise Malformed(f".dynsym links to section {sec.link}, not a string table", offset=self.view.base + off)
            strings = self.section_data(self.section_at(sec.link))
        else:
            return None
        if count > MAX_SYMBOLS:
            raise Malformed(f"{count} dynamic symbols, more than the {MAX_SYMBOLS} accepted", offset=self.view.base + off)
        self.view.check_array(off, count, ent, "dynamic symbol table")
        return off, count, ent, strings

    @property
    def dynamic_symbol_count(self) -> int:
        layout = self._dynsym_layout
        return 0 if layout is None else layout[1]

    @cached_property
    def _version_names(self) -> tuple[dict[int, str], dict[int, str]]:
        """versym index -> name, for definitions (base entry left out) and for requirements."""
        defs = {d.index: d.name for d in self.version_definitions if not d.base}
        reqs = {r.index: r.name for r in self.version_requirements}
        return defs, reqs

    @cached_property
    def dynamic_symbols(self) -> tuple[DynSymbol, ...]:
        """The dynamic symbols (entry 0 included, as in the table), each with its version name: from
        DT_VERNEED (vna_other == versym index) or DT_VERDEF, the way readelf and the loader pair them."""
        return self._dynamic_symbols(None)

    def _dynamic_symbols(self, limit: int | None) -> tuple[DynSymbol, ...]:
        """The first ``limit`` dynamic symbols (all when None), as :attr:`dynamic_symbols` reads them."""
        layout = self._dynsym_layout
        if layout is None:
            return ()
        off, count, ent, strings = layout
        if limit is not None:
            count = min(count, limit)
        v = self.view
        versyms = None
        vs_off = self._dynamic_offset(DT_VERSYM, "DT_VERSYM") if self.dyn1(DT_SYMTAB) is not None else None
        if vs_off is None:
            for r in self._section_table[0]:
                if r[1] == SHT_GNU_VERSYM:
                    vs_off = r[4]
                    break
        if vs_off is not None and count:
            v.check_array(vs_off, count, 2, "symbol version table (DT_VERSYM)")
            versyms = v.words(vs_off, count, "H", self.little, "symbol version table")
        defs, reqs = self._version_names if versyms is not None else ({}, {})
        st = self._layout.sym
        limit = strings.size
        out = []
        for i in range(count):
            rec = v.unpack(st, off + i * ent)
            if self.bits == 32:
                name_off, _value, _size, info, _other, shndx = rec
            else:
                name_off, info, _other, shndx, _value, _size = rec
            name = strings.cstring(name_off, limit, "dynamic symbol name") if name_off else ""
            defined = shndx != SHN_UNDEF
            version, hidden = None, False
            if versyms is not None:
                raw = versyms[i]
                idx, hidden = raw & 0x7FFF, bool(raw & VERSYM_HIDDEN)
                if idx > VER_NDX_GLOBAL:
                    first, second = (defs, reqs) if defined else (reqs, defs)
                    version = first.get(idx) or second.get(idx)
                    if version is None:
                        raise Malformed(f"symbol {name or i} has version index {idx}, which no version record names",
                                        offset=v.base + vs_off + 2 * i)
            out.append(DynSymbol(name, version, defined, info >> 4, info & 0xF, hidden))
        return tuple(out)

    def symbols_bound_to(self, version_names) -> dict[str, set[str]]:
        """Names of the imported symbols bound to each required version in ``version_names`` (as
        dynamic_symbols pairs them, a defined symbol counting only when no definition of ours names
        its index: a copy relocation). Reads just the symbols whose version index matches, found in
        the version table at C speed, so it costs little even for libraries with 10,000 symbols."""
        layout = self._dynsym_layout
        if layout is None or not version_names:
            return {}
        off, count, ent, strings = layout
        vs_off = self._dynamic_offset(DT_VERSYM, "DT_VERSYM") if self.dyn1(DT_SYMTAB) is not None else None
        if vs_off is None:
            vs_off = next((r[4] for r in self._section_table[0] if r[1] == 0x6FFFFFFF), None)
        if vs_off is None or not count:
            return {}
        v = self.view
        v.check_array(vs_off, count, 2, "symbol version table (DT_VERSYM)")
        table = v.bytes(vs_off, 2 * count, "symbol version table")
        defs, reqs = self._version_names
        order = "little" if self.little else "big"
        st = self._layout.sym
        out: dict[str, set[str]] = {}
        for idx, name in reqs.items():
            if name not in version_names:
                continue
            for raw in (idx, idx | VERSYM_HIDDEN):
                needle = raw.to_bytes(2, order)
                pos = table.find(needle)
                while pos >= 0:
                    if pos % 2 == 0:
                        i = pos // 2
                        rec = v.unpack(st, off + i * ent)
                        name_off, shndx = (rec[0], rec[5]) if self.bits == 32 else (rec[0], rec[3])
                        if shndx == SHN_UNDEF or idx not in defs:
                            sym = strings.cstring(name_off, strings.size, "dynamic symbol name") if name_off else ""
                            out.setdefault(name, set()).add(sym)
                    pos = table.find(needle, pos + 1)
        return out

    @cached_property
    def self_relocating(self) -> bool:
        """An executable with PT_DYNAMIC and no PT_INTERP (a static-pie): the kernel starts it
        directly and its start-up code applies its own relocations, all at once."""
        if self.e_type not in (ET_EXEC, ET_DYN):
            return False
        types = {p.type for p in self.segments}
        if PT_DYNAMIC not in types or PT_INTERP in types:
            return False
        return self.e_type == ET_EXEC or bool(self.flags_1 & DF_1_PIE)

    # -- where the bytes go, what stripping saves (the verbs of formats.base) --------------------
    def size_regions(self, functab=None) -> list[tuple[int, int, int, str]]:
        hdr = 64 if self.bits == 64 else 52
        regions = [(0, hdr, P_HEADER, "headers")]
        if self.phoff and self.segments:
            regions.append((self.phoff, self.phoff + len(self.segments) * self._phentsize, P_HEADER, "headers"))
        rows = self.section_rows
        if self.shoff and rows:
            regions.append((self.shoff, self.shoff + len(rows) * self._shentsize, P_HEADER, "headers"))
        strtabs, shstrndx = self._symtab_strtabs, self._names_index
        kinds = _KINDS   # section_category's memo, looked up here first: a file has dozens of sections
        regions += [(off, off + size, P_SECTION, (kinds.get((name, t, fl)) if i != shstrndx and i not in strtabs else None)
                     or section_category(name, t, fl, strtabs, i, shstrndx))
                    for i, (name, t, fl, off, size, _link) in enumerate(rows) if size and t != 0 and t != SHT_NOBITS]
        if not rows:
            # No section headers: what the segments say, with Go's table carved out when it is found.
            ft = functab() if functab is not None else None
            if ft is not None:
                regions.append((ft[0], ft[0] + ft[1], P_INNER, "pclntab"))
            for p in self.segments:
                if p.type in (PT_INTERP, PT_DYNAMIC):
                    regions.append((p.offset, p.offset + p.filesz, P_INNER, "dynamic"))
                elif p.type == PT_NOTE:
                    regions.append((p.offset, p.offset + p.filesz, P_INNER, "other"))
            for p in self.segments:
                if p.type == PT_LOAD and p.filesz:
                    cat = "code" if p.flags & PF_X else "data" if p.flags & PF_W else "rodata"
                    regions.append((p.offset, p.offset + p.filesz, P_SEGMENT, cat))
        return regions

    @cached_property
    def _names_index(self) -> int | None:
        """The index of the section-name table (e_shstrndx, or section 0's sh_link when escaped)."""
        rows = self.section_rows
        idx = self._shstrndx
        if idx == SHN_XINDEX and rows:
            idx = rows[0][5]
        return idx if 0 < idx < len(rows) else None

    @cached_property
    def _symtab_strtabs(self) -> frozenset[int]:
        if SHT_SYMTAB not in self._section_types:   # a stripped file: no loop over its sections
            return frozenset()
        n = len(self.section_rows)
        return frozenset(link for _name, t, _fl, _off, _size, link in self.section_rows if t == SHT_SYMTAB and 0 < link < n)

    @cached_property
    def _section_types(self) -> tuple[int, ...]:
        """sh_type of every section, in table order (a column made at C speed: what only asks
        whether a type is there needs no loop)."""
        columns = zip(*self._section_table[0])   # the rows' fields, one tuple per field, in order
        next(columns, None)                       # sh_name
        return next(columns, ())

    @cached_property
    def _has_debug_names(self) -> bool:
        """Whether a section's name is a debug section's (is_debug_section), from the names joined."""
        names = "\0" + "\0".join(self.section_names) + "\0"
        return any("\0" + p in names for p in _DEBUG_PREFIXES) or f"\0{_DEBUG_INDEX}\0" in names

    def _section_align(self, idx: int) -> int:
        a = self._section_table[0][idx][8]
        return a if 0 < a <= 1 << 16 else 1

    def strip_saving(self, relink: Relink) -> int | None:
        """What ``-ldflags="-s -w"`` (a Go relink) or GNU ``strip`` saves: ``.symtab``, its strings and
        every debug section go; the loaded part stays where it is; the kept non-loaded sections
        (``.comment``, ``.shstrtab`` without the removed names) follow at their alignment. BFD (GNU
        strip; GNU ld relinking externally) writes them right after the last loaded section, and the
        section header table last, wherever the input had them. Go's internal linker keeps its
        headers in the first page, leaves a non-loaded section it put inside a loaded segment there
        (.gnu.attributes on mips), and starts the non-loaded part at the data's end rounded to -R
        (the PT_LOADs' alignment: 4 KiB on x86, 64 KiB elsewhere). A rebuilt Go binary's
        ``.go.buildinfo`` grows by ``relink.buildinfo_growth`` (rounded to the next section's
        alignment) and shifts what follows it in the file; None when that would move a segment."""
        if self.e_type not in (ET_EXEC, ET_DYN):          # objects and cores are not what strip is for
            return None
        rows = self.section_rows
        if not rows:
            return None
        types = self._section_types
        if SHT_SYMTAB not in types and SHT_SYMTAB_SHNDX not in types and not self._has_debug_names:
            return None    # nothing strip removes (no symbol table, hence no strings of one; no debug section)
        strtabs, shstrndx = self._symtab_strtabs, self._names_index
        # What strip removes is never loaded: the loaded sections are ruled out first, from the rows
        # (a stripped file makes no section records here).
        removed = [i for i, (name, t, fl, *_rest) in enumerate(rows)
                   if i and not fl & SHF_ALLOC and i != shstrndx
                   and (t in (SHT_SYMTAB, SHT_SYMTAB_SHNDX) or i in strtabs or is_debug_section(name))]
        if not removed:
            return None
        secs = self.elf_sections
        size = self.view.size
        nonalloc = [(s.offset, i) for i, s in enumerate(secs)
                    if i and not s.flags & SHF_ALLOC and s.type != SHT_NOBITS and s.size]
        sections_end = max((s.offset + s.size for s in secs if s.flags & SHF_ALLOC and s.type != SHT_NOBITS), default=0)
        alloc_end = max([sections_end] + [p.offset + p.filesz for p in self.segments if p.type == PT_LOAD])
        # A rebuilt Go binary records -ldflags="-s -w": .go.buildinfo grows, and what follows it moves.
        shift = 0
        growth = relink.buildinfo_growth if relink.go else 0
        bi = self.section(".go.buildinfo")
        if growth and bi is not None:
            nxt = min(((s.offset, i) for i, s in enumerate(secs) if s.flags & SHF_ALLOC
                       and s.offset >= bi.offset + bi.size and s.type != SHT_NOBITS), default=None)
            content = self._buildinfo_content(bi)
            if content is not None:
                # What follows .go.buildinfo in the file moves: the next loaded section, at its
                # alignment; or, when .go.buildinfo is the last, the non-loaded part after it.
                if nxt is not None:
                    nxt_off, align = nxt[0], self._section_align(nxt[1])
                else:
                    nxt_off, align = bi.offset + bi.size, 1
                shift = max(0, align_up(bi.offset + golink.buildinfo_size(content + growth), align) - nxt_off)
                # A segment that would move too is placed again by the linker (its file offset and
                # address agree modulo the page size) in a way no rule here follows: unknown.
                if shift and any(p.type == PT_LOAD and p.offset >= nxt_off for p in self.segments):
                    return None
        # The module text in .rodata grows too, and may push the segments after its own by a page.
        rnd = max((p.align for p in self.segments if p.type == PT_LOAD), default=0)
        if not relink.go_internal and not self._ld_absorbs_rodata_growth(growth, relink.modinfo):
            return None
        keep_names = [s.name for i, s in enumerate(secs) if i and i not in removed]
        if relink.go_internal:
            move = self._go_rodata_move(growth, relink.modinfo, rnd)
            if move is None:
                return None
            # Where the non-loaded part starts (Go on mips leaves .gnu.attributes inside a loaded
            # segment). Go's linker starts it at the data's end rounded to -R, which it also
            # writes as every PT_LOAD's alignment (4 KiB on x86, 64 KiB elsewhere); a file where
            # they disagree it did not lay out: no rule to replay.
            start = min((off for off, _ in nonalloc if off >= alloc_end), default=alloc_end)
            if not rnd or start != align_up(alloc_end, rnd):
                return None
            cursor = align_up(alloc_end + shift, rnd) + move
        else:
            # BFD (GNU strip, and ld relinking a Go binary externally) writes a segment's bytes from
            # its sections, and the non-loaded sections right after the last of them, wherever they
            # were (a segment no section covers keeps its bytes here).
            cursor = (sections_end or alloc_end) + shift
        old_shstr = secs[shstrndx].size if shstrndx is not None else 0
        all_names = [s.name for s in secs[1:]]
        # The linker that relinks a Go binary writes its names as it did before; GNU strip (BFD's
        # string table) always shares name tails.
        merged = not relink.go or (shstrndx is not None and old_shstr < shstrtab_size(all_names, False))
        for off, i in sorted(nonalloc):
            if i in removed or relink.go_internal and off < alloc_end:   # gone, or left where it is
                continue
            s = secs[i]
            n = s.size
            if i == shstrndx:
                # Never more than the table when not merged: the old one held every name literally.
                n = shstrtab_size(keep_names, merged)
            cursor = align_up(cursor, self._section_align(i)) + n
        if not relink.go_internal:
            # BFD puts the section headers last; Go's linker in the first page, before the code.
            cursor = align_up(cursor, 8 if self.bits == 64 else 4) + (len(secs) - len(removed)) * self._shentsize
        return max(0, size - cursor)

    def _go_rodata_move(self, growth: int, text: bytes, rnd: int) -> int | None:
        """Bytes by which Go's internal linker, relinking, moves the segments after the one that holds
        .rodata, where runtime.modinfo.str (``text``) grows by ``growth`` with the module text
        (formats.golink): a page (its -R, ``rnd``: the PT_LOADs' alignment) when the segment's end
        then crosses one. 0 when nothing moves; None when the text is not in .rodata, the segments
        are not laid out that way (another segment after it, at its end rounded to -R), or the
        bounds disagree."""
        ro = self.section(".rodata")
        if not growth or not text or ro is None or ro.type == SHT_NOBITS:
            return 0
        grown = golink.modinfo_string_growth(self.view, ro.offset, ro.size, text, growth)
        loads = sorted((p.offset, p.offset + p.filesz) for p in self.segments if p.type == PT_LOAD and p.filesz)
        seg = next(((a, b) for a, b in loads if a <= ro.offset < b), None)
        if grown is None or seg is None or rnd <= 1:
            return None
        later = [a for a, _ in loads if a >= seg[1]]
        if not later or min(later) != align_up(seg[1], rnd):
            return None
        secs = self.elf_sections
        after = sorted((s.offset, s.size, self._section_align(i)) for i, s in enumerate(secs)
                       if s.type != SHT_NOBITS and ro.offset < s.offset < seg[1])
        if max([ro.offset + ro.size] + [off + size for off, size, _ in after]) != seg[1]:
            return None                                       # bytes no section covers: not this layout
        return golink.segments_moved(after, ro.offset + ro.size, (grown, grown), seg[1], rnd)

    def _ld_absorbs_rodata_growth(self, growth: int, text: bytes) -> bool:
        """Whether GNU ld, relinking, leaves every later segment where it is although
        runtime.modinfo.str (``text``), in .rodata, grows by ``growth`` with the module text. The text is in Go's part of ld's
        .rodata, which the C objects' read-only data may follow, so .rodata's end moves by 0 to the
        growth rounded to 32 bytes (Maxalign), and each later section of its segment at its
        alignment. ld starts the writable segment where the end of its RELRO part falls on a page
        (DATA_SEGMENT_RELRO_END), so the padding before it (the file gap after this segment) takes
        up a smaller move and leaves the segment where it was; a larger one, or a layout without
        PT_GNU_RELRO there, moves it by rules not followed here: False."""
        ro = self.section(".rodata")
        if not growth or not text or ro is None or ro.type == SHT_NOBITS:
            return True
        grown = golink.modinfo_string_growth(self.view, ro.offset, ro.size, text, growth)
        if grown is None:
            return False                     # the text is not in .rodata: where it is, it may move things
        most = max(grown, align_up(growth, 32))
        loads = sorted((p.offset, p.offset + p.filesz) for p in self.segments if p.type == PT_LOAD and p.filesz)
        seg = next(((a, b) for a, b in loads if a <= ro.offset < b), None)
        if seg is None:
            return False
        after = sorted((s.offset, s.size, self._section_align(i)) for i, s in enumerate(self.elf_sections)
                       if s.type != SHT_NOBITS and ro.offset < s.offset < seg[1])
        if max([ro.offset + ro.size] + [off + size for off, size, _ in after]) != seg[1]:
            return False                     # bytes no section covers: not this layout
        moved = golink.pushed_end(after, ro.offset + ro.size, most, False, 0) - seg[1]
        if moved <= 0:
            return True
        nxt = min((a for a, _ in loads if a >= seg[1]), default=None)
        if nxt is None:
            return False
        relro = any(p.type == PT_GNU_RELRO and p.offset == nxt for p in self.segments)
        return relro and nxt - seg[1] >= moved

    def _buildinfo_content(self, bi: ElfSection) -> int | None:
        """Bytes of .go.buildinfo in use (golink.buildinfo_used), None unless all of it is in the file."""
        v = self.view
        if bi.offset + bi.size > v.size:
            return None
        return golink.buildinfo_used(v.bytes(bi.offset, bi.size))

# -- size categories of sections ------------------------------------------------------------------
_GO_METADATA = {".go.type", ".go.func", ".typelink", ".itablink", ".gosymtab", ".go.buildinfo", ".go.fipsinfo",
                ".go.module", ".gofunc"}


# What strip removes as debug information, by name (ElfImage._has_debug_names asks the same of all names).
_DEBUG_PREFIXES, _DEBUG_INDEX = (*DEBUG_SECTION_PREFIXES, ".stab"), ".gdb_index"


def is_debug_section(name: str) -> bool:
    return name.startswith(_DEBUG_PREFIXES) or name == _DEBUG_INDEX


def section_category(name: str, t: int, fl: int, symtab_strtabs: set[int], index: int, shstrndx: int | None) -> str:
    """The size category (formats.base.SIZE_CATEGORIES) of section ``index``: its name, type and flags."""
    if index == shstrndx:
        return "headers"
    if index in symtab_strtabs:
        return "symtab"
    key = (name, t, fl)
    kind = _KINDS.get(key)
    if kind is None:
        # A pure function of the three, memoised: a tree of binaries has the same few sections.
        kind = _KINDS[key] = _section_kind(name, t, fl)
        if len(_KINDS) > 4096:
            _KINDS.clear()
    return kind


_KINDS: dict = {}


def _section_kind(name: str, t: int, fl: int) -> str:
    if t in (SHT_SYMTAB, SHT_SYMTAB_SHNDX):
        return "symtab"
    if is_debug_section(name):
        return "dwarf"
    if name in (".gopclntab", ".data.rel.ro.gopclntab"):
        return "pclntab"
    base = name[len(".data.rel.ro"):] if name.startswith(".data.rel.ro.") else name
    if base in _GO_METADATA:
        return "go-metadata"
    if t in (SHT_RELA, SHT_REL, SHT_RELR) or name.startswith((".rela.", ".rel.")) or name in (".rela", ".rel", ".relr.dyn"):
        return "relocations"
    if t in (SHT_DYNSYM, SHT_DYNAMIC, SHT_HASH, SHT_GNU_HASH, SHT_GNU_VERDEF, SHT_GNU_VERNEED, SHT_GNU_VERSYM) \
            or name in (".interp", ".dynstr", ".got", ".got.plt"):
        return "dynamic"
    if t == SHT_NOTE:
        return "other"
    if fl & SHF_ALLOC:
        if fl & SHF_EXECINSTR:
            return "code"
        if fl & SHF_WRITE:
            return "data"
        return "rodata"
    return "other"


def shstrtab_size(names: list[str], merged: bool) -> int:
    """Bytes of a section-name table holding ``names``: a leading NUL, each name and its NUL; with
    ``merged`` a name that is the tail of another (".plt" of ".rela.plt") shares its bytes."""
    uniq = {n.encode("utf-8", "surrogateescape") for n in names if n}
    if merged:
        # In reversed-string order a tail sorts right before the names that end with it.
        rev = sorted(n[::-1] for n in uniq)
        uniq = {r for r, nxt in zip(rev, rev[1:] + [b""]) if not nxt.startswith(r)}
    return 1 + sum(len(n) + 1 for n in uniq)

def parse(view: ByteView) -> ElfImage:
    return ElfImage(view)
