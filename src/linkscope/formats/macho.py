"""Mach-O: 32/64-bit, either endianness, every CPU (one slice; universal files: ``universal.py``).

Read the way dyld and the kernel read it: the header, then every load command, each one's size
checked before it is used (at least 8 bytes, a multiple of 4 (32-bit) or 8 (64-bit), inside
``sizeofcmds`` and the file), with ``ncmds`` refused when ``sizeofcmds`` cannot hold that many.
Libraries, rpaths, the dynamic linker, the UUID and the platform all come from load commands;
segments and sections give addresses and names. Symbols are read only when ``stripped`` is asked.

Rules chosen here (each one also said where it is applied):

- **Section names** in :meth:`MachOImage.sections` are ``"segname,sectname"`` (``"__TEXT,__text"``),
  the spelling of ld's ``-sectcreate``, otool and LLVM, because a bare section name is ambiguous
  (``__const`` lives in ``__TEXT``, ``__DATA`` and ``__DATA_CONST``). :meth:`MachOImage.section`
  looks a section up by its bare name, optionally with its segment.
- **type** (the schema's vocabulary): MH_EXECUTE is ``"executable"``, or ``"pie-executable"`` with
  the MH_PIE flag (nearly every macOS executable; what ``file`` prints as ``PIE``); MH_DYLIB,
  MH_BUNDLE, MH_KEXT_BUNDLE, MH_DYLIB_STUB, MH_FVMLIB and MH_DYLINKER (dyld itself, like ELF's ld.so)
  are ``"shared-library"``; MH_OBJECT ``"object"``; MH_CORE ``"core"``; MH_PRELOAD ``"executable"``;
  anything else, MH_DSYM (a dSYM companion: DWARF only, nothing to run or load) included, ``None``
  with :attr:`MachOImage.filetype_name` naming it (``MH_DSYM``, ``MH_0x13``).
- **linkage** (linked images only; ``None`` for objects, cores and dSYM companions): ``"dynamic"``
  when there is an LC_LOAD_DYLINKER or any dylib load command, else ``"static"``.
- **os**: from the first LC_BUILD_VERSION / LC_VERSION_MIN_* command (macOS is ``"darwin"``, as
  GOOS spells it; ``"ios"``, ``"tvos"``, ...); ``"darwin"`` when there is none (Mach-O's home; every
  toolchain since the iOS SDKs writes one for other platforms). All are in :attr:`platforms`.
- **stripped**: the state strip(1) leaves. True when there is no LC_SYMTAB, or its table holds none
  of: a debugging (stab) entry; a defined local (non-external) symbol; a defined external symbol of
  an executable or object other than those dyld needs (``REFERENCED_DYNAMICALLY``, e.g.
  ``__mh_execute_header``). A dylib's or bundle's defined external symbols are its interface (what
  ``strip -x`` keeps, as ELF keeps ``.dynsym``) and do not count. Go's ``-s`` keeps only the
  imported symbols dyld binds, so it reads as stripped.
- **debug_info**: a ``__DWARF`` segment, or a section named ``__debug_info`` or ``__zdebug_info``.
- **go_build_id**: as ``go tool buildid`` reads it (cmd/internal/buildid, readMacho): the quoted
  string after ``"\\xff Go build ID: "`` in the first 32 KiB of the image, else in the first 32 KiB
  of the first ``__text`` section. A marker without a well-formed quoted ID reads as no ID (where
  ``go tool buildid`` would fail) so the rest of the record still reports.
- **go_data_start**: as Go's debug/buildinfo ``machoExe.DataStart`` (Go 1.27): the first section
  named ``__go_buildinfo`` (any segment), else nothing (Go >= 1.13 always writes that section);
  :meth:`read_vaddr` skips ``__PAGEZERO`` as ``machoExe.DataReader`` does.
- **LC_SYMTAB / LC_DYSYMTAB** are checked the way Go's debug/macho checks them: tables inside the
  file, the dynamic symbol ranges inside the symbol table (the bad-dysym sample is Malformed).
"""
from __future__ import annotations

import struct
from ..record import record
from ..lazy import cached_property

from ..byteview import ByteView
from ..errors import LinkscopeError, Malformed, Truncated
from ..go import buildid
from ..model import LoadSegment, OsFloor, Section
from . import golink
from .base import DATA_ERRORS, P_HEADER, P_SECTION, P_SEGMENT, Image, Relink, align_up
from .names import Names

MH_MAGIC, MH_MAGIC_64 = 0xFEEDFACE, 0xFEEDFACF

# filetype
MH_OBJECT, MH_EXECUTE, MH_FVMLIB, MH_CORE, MH_PRELOAD, MH_DYLIB = 0x1, 0x2, 0x3, 0x4, 0x5, 0x6
MH_DYLINKER, MH_BUNDLE, MH_DYLIB_STUB, MH_DSYM, MH_KEXT_BUNDLE, MH_FILESET = 0x7, 0x8, 0x9, 0xA, 0xB, 0xC
_FILETYPE_NAMES = {
    MH_OBJECT: "MH_OBJECT", MH_EXECUTE: "MH_EXECUTE", MH_FVMLIB: "MH_FVMLIB", MH_CORE: "MH_CORE",
    MH_PRELOAD: "MH_PRELOAD", MH_DYLIB: "MH_DYLIB", MH_DYLINKER: "MH_DYLINKER", MH_BUNDLE: "MH_BUNDLE",
    MH_DYLIB_STUB: "MH_DYLIB_STUB", MH_DSYM: "MH_DSYM", MH_KEXT_BUNDLE: "MH_KEXT_BUNDLE",
    MH_FILESET: "MH_FILESET",
}
_FILETYPE_KIND = {
    MH_OBJECT: "object", MH_EXECUTE: "executable", MH_FVMLIB: "shared-library", MH_CORE: "core",
    MH_PRELOAD: "executable", MH_DYLIB: "shared-library", MH_DYLINKER: "shared-library",
    MH_BUNDLE: "shared-library", MH_DYLIB_STUB: "shared-library", MH_KEXT_BUNDLE: "shared-library",
}
# header flags
MH_NOUNDEFS, MH_DYLDLINK, MH_TWOLEVEL, MH_PIE = 0x1, 0x4, 0x80, 0x200000
MH_ALLOW_STACK_EXECUTION = 0x20000

# load commands
LC_REQ_DYLD = 0x80000000
LC_SEGMENT, LC_SYMTAB, LC_THREAD, LC_UNIXTHREAD, LC_DYSYMTAB = 0x1, 0x2, 0x4, 0x5, 0xB
LC_LOAD_DYLIB, LC_ID_DYLIB, LC_LOAD_DYLINKER, LC_ID_DYLINKER = 0xC, 0xD, 0xE, 0xF
LC_LOAD_WEAK_DYLIB, LC_SEGMENT_64, LC_UUID, LC_RPATH = 0x80000018, 0x19, 0x1B, 0x8000001C
LC_CODE_SIGNATURE, LC_REEXPORT_DYLIB, LC_LAZY_LOAD_DYLIB = 0x1D, 0x8000001F, 0x20
LC_SEGMENT_SPLIT_INFO, LC_FUNCTION_STARTS, LC_DATA_IN_CODE, LC_DYLIB_CODE_SIGN_DRS = 0x1E, 0x26, 0x29, 0x2B
LC_LINKER_OPTIMIZATION_HINT, LC_DYLD_EXPORTS_TRIE, LC_DYLD_CHAINED_FIXUPS = 0x2E, 0x80000033, 0x80000034
LC_FUNCTION_VARIANT_FIXUPS = 0x38
LC_DYLD_INFO, LC_DYLD_INFO_ONLY, LC_LOAD_UPWARD_DYLIB = 0x22, 0x80000022, 0x80000023
LC_VERSION_MIN_MACOSX, LC_VERSION_MIN_IPHONEOS, LC_DYLD_ENVIRONMENT, LC_MAIN = 0x24, 0x25, 0x27, 0x80000028
LC_VERSION_MIN_TVOS, LC_VERSION_MIN_WATCHOS, LC_BUILD_VERSION = 0x2F, 0x30, 0x32
# LC_BUILD_VERSION build tools (TOOL_*): Apple's ld64, LLVM's lld, zig's own linker
TOOL_LD, TOOL_LLD, TOOL_ZIG = 3, 4, 5
_LC_NAMES = {
    0x1: "LC_SEGMENT", 0x2: "LC_SYMTAB", 0x3: "LC_SYMSEG", 0x4: "LC_THREAD", 0x5: "LC_UNIXTHREAD",
    0x6: "LC_LOADFVMLIB", 0x7: "LC_IDFVMLIB", 0x8: "LC_IDENT", 0x9: "LC_FVMFILE", 0xA: "LC_PREPAGE",
    0xB: "LC_DYSYMTAB", 0xC: "LC_LOAD_DYLIB", 0xD: "LC_ID_DYLIB", 0xE: "LC_LOAD_DYLINKER",
    0xF: "LC_ID_DYLINKER", 0x10: "LC_PREBOUND_DYLIB", 0x11: "LC_ROUTINES", 0x12: "LC_SUB_FRAMEWORK",
    0x13: "LC_SUB_UMBRELLA", 0x14: "LC_SUB_CLIENT", 0x15: "LC_SUB_LIBRARY", 0x16: "LC_TWOLEVEL_HINTS",
    0x17: "LC_PREBIND_CKSUM", 0x80000018: "LC_LOAD_WEAK_DYLIB", 0x19: "LC_SEGMENT_64",
    0x1A: "LC_ROUTINES_64", 0x1B: "LC_UUID", 0x8000001C: "LC_RPATH", 0x1D: "LC_CODE_SIGNATURE",
    0x1E: "LC_SEGMENT_SPLIT_INFO", 0x8000001F: "LC_REEXPORT_DYLIB", 0x20: "LC_LAZY_LOAD_DYLIB",
    0x21: "LC_ENCRYPTION_INFO", 0x22: "LC_DYLD_INFO", 0x80000022: "LC_DYLD_INFO_ONLY",
    0x80000023: "LC_LOAD_UPWARD_DYLIB", 0x24: "LC_VERSION_MIN_MACOSX", 0x25: "LC_VERSION_MIN_IPHONEOS",
    0x26: "LC_FUNCTION_STARTS", 0x27: "LC_DYLD_ENVIRONMENT", 0x80000028: "LC_MAIN",
    0x29: "LC_DATA_IN_CODE", 0x2A: "LC_SOURCE_VERSION", 0x2B: "LC_DYLIB_CODE_SIGN_DRS",
    0x2C: "LC_ENCRYPTION_INFO_64", 0x2D: "LC_LINKER_OPTION", 0x2E: "LC_LINKER_OPTIMIZATION_HINT",
    0x2F: "LC_VERSION_MIN_TVOS", 0x30: "LC_VERSION_MIN_WATCHOS", 0x31: "LC_NOTE", 0x32: "LC_BUILD_VERSION",
    0x80000033: "LC_DYLD_EXPORTS_TRIE", 0x80000034: "LC_DYLD_CHAINED_FIXUPS", 0x80000035: "LC_FILESET_ENTRY",
    0x36: "LC_ATOM_INFO", 0x37: "LC_FUNCTION_VARIANTS", 0x38: "LC_FUNCTION_VARIANT_FIXUPS",
    0x39: "LC_TARGET_TRIPLE",
}
# The dylib load commands, by the kind of dependency each one makes.
DYLIB_KINDS = {
    LC_LOAD_DYLIB: "load", LC_LOAD_WEAK_DYLIB: "weak", LC_REEXPORT_DYLIB: "reexport",
    LC_LAZY_LOAD_DYLIB: "lazy", LC_LOAD_UPWARD_DYLIB: "upward",
}

# Platforms (LC_BUILD_VERSION), named as GOOS does where Go has a name.
PLATFORM_MACOS, PLATFORM_IOS, PLATFORM_TVOS, PLATFORM_WATCHOS = 1, 2, 3, 4
_PLATFORMS = {
    1: "darwin", 2: "ios", 3: "tvos", 4: "watchos", 5: "bridgeos", 6: "maccatalyst",
    7: "ios-simulator", 8: "tvos-simulator", 9: "watchos-simulator", 10: "driverkit",
    11: "visionos", 12: "visionos-simulator",
}
_VERSION_MIN_PLATFORM = {
    LC_VERSION_MIN_MACOSX: PLATFORM_MACOS, LC_VERSION_MIN_IPHONEOS: PLATFORM_IOS,
    LC_VERSION_MIN_TVOS: PLATFORM_TVOS, LC_VERSION_MIN_WATCHOS: PLATFORM_WATCHOS,
}

# cputype
CPU_ARCH_ABI64, CPU_ARCH_ABI64_32 = 0x01000000, 0x02000000
CPU_TYPE_X86, CPU_TYPE_ARM, CPU_TYPE_POWERPC = 7, 12, 18
CPU_SUBTYPE_ARM64E = 2
CPU_SUBTYPE_MASK = 0xFF000000
_CPUS = {
    7: "386", 0x01000007: "amd64", 12: "arm", 0x0100000C: "arm64", 0x0200000C: "arm64_32",
    18: "ppc", 0x01000012: "ppc64", 6: "m68k", 8: "mips", 10: "mc98000", 11: "hppa", 13: "m88k",
    14: "sparc", 15: "i860", 16: "alpha", 1: "vax",
}

# section types (flags & SECTION_TYPE)
SECTION_TYPE = 0xFF
S_ZEROFILL, S_GB_ZEROFILL, S_THREAD_LOCAL_ZEROFILL = 0x1, 0xC, 0x12
S_ATTR_PURE_INSTRUCTIONS, S_ATTR_SOME_INSTRUCTIONS = 0x80000000, 0x400
# segment protections (initprot, maxprot)
VM_PROT_READ, VM_PROT_WRITE, VM_PROT_EXECUTE = 0x1, 0x2, 0x4
_SECTION_TYPES = {
    0x0: "S_REGULAR", 0x1: "S_ZEROFILL", 0x2: "S_CSTRING_LITERALS", 0x3: "S_4BYTE_LITERALS",
    0x4: "S_8BYTE_LITERALS", 0x5: "S_LITERAL_POINTERS", 0x6: "S_NON_LAZY_SYMBOL_POINTERS",
    0x7: "S_LAZY_SYMBOL_POINTERS", 0x8: "S_SYMBOL_STUBS", 0x9: "S_MOD_INIT_FUNC_POINTERS",
    0xA: "S_MOD_TERM_FUNC_POINTERS", 0xB: "S_COALESCED", 0xC: "S_GB_ZEROFILL", 0xD: "S_INTERPOSING",
    0xE: "S_16BYTE_LITERALS", 0xF: "S_DTRACE_DOF", 0x10: "S_LAZY_DYLIB_SYMBOL_POINTERS",
    0x11: "S_THREAD_LOCAL_REGULAR", 0x12: "S_THREAD_LOCAL_ZEROFILL", 0x13: "S_THREAD_LOCAL_VARIABLES",
    0x14: "S_THREAD_LOCAL_VARIABLE_POINTERS", 0x15: "S_THREAD_LOCAL_INIT_FUNCTION_POINTERS",
    0x16: "S_INIT_FUNC_OFFSETS",
}

# nlist
N_STAB, N_PEXT, N_TYPE, N_EXT = 0xE0, 0x10, 0x0E, 0x01
N_UNDF, N_ABS, N_INDR, N_PBUD, N_SECT = 0x0, 0x2, 0xA, 0xC, 0xE
REFERENCED_DYNAMICALLY = 0x0010

# How much of the image and of __text `go tool buildid` reads (cmd/internal/buildid readSize).
GO_BUILD_ID_WINDOW = buildid.READ_SIZE

# An LC_DYSYMTAB naming more undefined symbols than this is not read for imports (a large program
# imports a few thousand).
MAX_UNDEFINED_SYMBOLS = 65536

# Load commands and sections read at most (more is a warning, and the rest is not read): a program has
# a few dozen of each; each costs microseconds in Python, and these keep a file to its second.
MAX_LOAD_COMMANDS = 1 << 16
MAX_SECTIONS = 1 << 16

# Load-command string fields longer than this are refused (paths are at most PATH_MAX = 1024 on
# Darwin; the limit leaves room for odd but valid files).
MAX_LC_STRING = 4096

# __go_buildinfo read at most for its used bytes: the header, the Go version and the module text, a few
# KiB even for a program of many modules.
MAX_BUILDINFO_READ = 1 << 20


_LC, _FILETYPE, _SECTION_TYPE = Names("LC_", _LC_NAMES), Names("MH_", _FILETYPE_NAMES), Names("S_", _SECTION_TYPES)


def _mapped(s: "Segment") -> int:
    """File bytes of a segment that dyld maps: at most its memory size (a segment of vmsize 0, as Go's
    __DWARF, is not loaded at all)."""
    return min(s.filesize, s.vmsize)


def arch_name(cputype: int, cpusubtype: int) -> str:
    """The GOARCH name of a Mach-O cputype ("amd64", "arm64", ...), else a descriptive name."""
    if cputype == 0x0100000C and cpusubtype & ~CPU_SUBTYPE_MASK == CPU_SUBTYPE_ARM64E:
        return "arm64e"
    return _CPUS.get(cputype, f"cpu-{cputype:#x}")


def lc_name(cmd: int) -> str:
    return _LC(cmd)


def _version(v: int, always_patch: bool = False) -> str:
    """A packed xxxx.yy.zz version as text: "10.13", "11.0", "10.15.4" (``always_patch``: "951.9.0")."""
    major, minor, patch = v >> 16, (v >> 8) & 0xFF, v & 0xFF
    return f"{major}.{minor}.{patch}" if patch or always_patch else f"{major}.{minor}"


def _fixed_name(raw: bytes) -> str:
    """A fixed 16-byte name field: up to the first NUL, or all 16 bytes."""
    return raw.split(b"\0", 1)[0].decode("utf-8", "surrogateescape")


@record
class LoadCommand:
    cmd: int
    offset: int   # within the image
    size: int

    @property
    def name(self) -> str:
        return lc_name(self.cmd)


@record
class Segment:
    name: str
    vmaddr: int
    vmsize: int
    fileoff: int
    filesize: int
    maxprot: int
    initprot: int
    nsects: int
    flags: int


@record
class MachOSection:
    sectname: str
    segname: str
    addr: int
    size: int
    offset: int
    align: int
    reloff: int
    nreloc: int
    flags: int

    @property
    def name(self) -> str:
        return f"{self.segname},{self.sectname}"

    @property
    def type(self) -> int:
        return self.flags & SECTION_TYPE

    @property
    def type_name(self) -> str:
        return _SECTION_TYPE(self.type)

    @property
    def zerofill(self) -> bool:
        return self.type in (S_ZEROFILL, S_GB_ZEROFILL, S_THREAD_LOCAL_ZEROFILL)

    @property
    def file_size(self) -> int:
        return 0 if self.zerofill else self.size


@record
class DylibLoad:
    """One dylib load command, in file order: ``kind`` is load, weak, reexport, lazy or upward."""

    name: str
    kind: str
    cmd: int
    timestamp: int
    current_version: str
    compatibility_version: str


@record
class Platform:
    """One LC_BUILD_VERSION or LC_VERSION_MIN_* command."""

    platform: int
    os: str
    minos: str
    sdk: str
    cmd: int
    tools: tuple[tuple[int, str], ...] = ()   # LC_BUILD_VERSION's build tools: (TOOL_*, version)


@record
class Symtab:
    symoff: int
    nsyms: int
    stroff: int
    strsize: int


@record
class Dysymtab:
    ilocalsym: int
    nlocalsym: int
    iextdefsym: int
    nextdefsym: int
    iundefsym: int
    nundefsym: int
    indirectsymoff: int
    nindirectsyms: int


class MachOImage(Image):
    format = "macho"

    def __init__(self, view: ByteView):
        super().__init__(view)
        v = view
        if v.size < 4:
            raise Truncated("Mach-O magic needs 4 bytes", offset=v.base)
        raw = v.bytes(0, 4, "Mach-O magic")
        le = int.from_bytes(raw, "little")
        be = int.from_bytes(raw, "big")
        if le in (MH_MAGIC, MH_MAGIC_64):
            self.little, magic = True, le
        elif be in (MH_MAGIC, MH_MAGIC_64):
            self.little, magic = False, be
        else:
            raise Malformed(f"bad Mach-O magic {raw.hex()}", offset=v.base)
        self.magic = magic
        self.bits = 64 if magic == MH_MAGIC_64 else 32
        self.view = v = v.with_endian(self.little)
        self._end = "<" if self.little else ">"
        hdrsize = 32 if self.bits == 64 else 28
        if v.size < hdrsize:
            raise Truncated(f"Mach-O header needs {hdrsize} bytes, file has {v.size}", offset=v.base)
        (_m, cputype, cpusubtype, self.filetype, self.ncmds, self.sizeofcmds,
         self.flags) = v.unpack(struct.Struct(self._end + "7I"), 0)
        self.cputype, self.cpusubtype = cputype, cpusubtype
        self.header_size = hdrsize
        self.arch = arch_name(cputype, cpusubtype)

        self.load_commands: tuple[LoadCommand, ...] = ()
        self.segments: tuple[Segment, ...] = ()
        self.macho_sections: tuple[MachOSection, ...] = ()
        self.dylibs: tuple[DylibLoad, ...] = ()
        self.rpath: tuple[str, ...] = ()
        self.dyld_environment: tuple[str, ...] = ()
        self.interpreter: str | None = None
        self.dylinker_id: str | None = None
        self.soname: str | None = None
        self.id_dylib: DylibLoad | None = None
        self.uuid: str | None = None
        self.platforms: tuple[Platform, ...] = ()
        self.symtab: Symtab | None = None
        self.dysymtab: Dysymtab | None = None
        self.code_signature: tuple[int, int] | None = None
        self._walk()

    # -- load commands ---------------------------------------------------------------------------
    def _walk(self) -> None:
        """The load commands, best-effort: a command that cannot be read is a warning naming it and
        the walk goes on to the next (its size is known); a command whose size cannot be trusted
        ends the walk, keeping what came before. The header's claims that cannot hold are warnings
        too, and the commands are read as far as the bytes go."""
        v, hdr = self.view, self.header_size
        align = 8 if self.bits == 64 else 4
        end = hdr + self.sizeofcmds
        if end > v.size:
            self.truncated = True
            self.warn("load commands", Truncated(f"load commands need {self.sizeofcmds} bytes after the header, "
                                                 f"the file has {max(0, v.size - hdr)}", offset=v.base + hdr))
            end = v.size
        if self.ncmds * 8 > self.sizeofcmds:
            self.warn("load commands", Malformed(f"{self.ncmds} load commands cannot fit in sizeofcmds "
                                                 f"{self.sizeofcmds}", offset=v.base + 16))
        cmds: list[LoadCommand] = []
        segments: list[Segment] = []
        sections: list[MachOSection] = []
        dylibs: list[DylibLoad] = []
        rpath: list[str] = []
        env: list[str] = []
        platforms: list[Platform] = []
        off = hdr
        for i in range(self.budget(self.ncmds, MAX_LOAD_COMMANDS, "load commands", "load commands", v.base + 16)):
            problem = None
            if off + 8 > end:
                problem = Malformed(f"load command {i} starts past sizeofcmds", offset=v.base + off)
            else:
                cmd, size = v.u32(off), v.u32(off + 4)
                if size < 8:
                    problem = Malformed(f"load command {i} ({lc_name(cmd)}) has cmdsize {size} < 8", offset=v.base + off)
                elif size % align:
                    problem = Malformed(f"load command {i} ({lc_name(cmd)}) cmdsize {size} is not a multiple of {align}",
                                        offset=v.base + off)
                elif off + size > end:
                    problem = Malformed(f"load command {i} ({lc_name(cmd)}) of {size} bytes runs past sizeofcmds",
                                        offset=v.base + off)
            if problem is not None:
                self.warn("load commands", problem)
                break
            lc = LoadCommand(cmd, off, size)
            cmds.append(lc)
            try:
                self._command(lc, segments, sections, dylibs, rpath, env, platforms)
            except (LinkscopeError, *DATA_ERRORS) as e:
                self.warn(lc_name(cmd), e if isinstance(e, LinkscopeError) else Malformed(f"malformed data ({e})", offset=v.base + off))
            off += size
        self.load_commands = tuple(cmds)
        self.segments = tuple(segments)
        self.macho_sections = tuple(sections)
        self.dylibs = tuple(dylibs)
        self.rpath = tuple(rpath)
        self.dyld_environment = tuple(env)
        self.platforms = tuple(platforms)

    def _command(self, lc: LoadCommand, segments, sections, dylibs, rpath, env, platforms) -> None:
        """Read one load command into the lists of the walk (and the image's single-valued fields)."""
        v, cmd, off, size = self.view, lc.cmd, lc.offset, lc.size
        if cmd in (LC_SEGMENT, LC_SEGMENT_64):
            seg, secs = self._segment(lc, MAX_SECTIONS - len(sections))
            segments.append(seg)
            sections.extend(secs)
        elif cmd in DYLIB_KINDS:
            dylibs.append(self._dylib(lc, DYLIB_KINDS[cmd]))
        elif cmd == LC_ID_DYLIB:
            if self.id_dylib is None:
                self.id_dylib = self._dylib(lc, "id")
                self.soname = self.id_dylib.name
        elif cmd == LC_RPATH:
            rpath.append(self._lc_str(lc, 12))
        elif cmd == LC_LOAD_DYLINKER:
            name = self._lc_str(lc, 12)
            if self.interpreter is None:
                self.interpreter = name
        elif cmd == LC_ID_DYLINKER:
            self.dylinker_id = self._lc_str(lc, 12)
        elif cmd == LC_DYLD_ENVIRONMENT:
            env.append(self._lc_str(lc, 12))
        elif cmd == LC_UUID:
            self._need(lc, 24)
            h = v.bytes(off + 8, 16, "LC_UUID").hex().upper()
            self.uuid = f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"
        elif cmd == LC_BUILD_VERSION:
            self._need(lc, 24)
            platform, minos, sdk, ntools = v.u32(off + 8), v.u32(off + 12), v.u32(off + 16), v.u32(off + 20)
            if 24 + ntools * 8 > size:
                raise Malformed(f"LC_BUILD_VERSION lists {ntools} tools, cmdsize {size} holds fewer", offset=v.base + off)
            tools = tuple((v.u32(off + 24 + 8 * i), _version(v.u32(off + 28 + 8 * i), always_patch=True))
                          for i in range(ntools))
            platforms.append(Platform(platform, _PLATFORMS.get(platform, f"platform-{platform}"),
                                      _version(minos), _version(sdk), cmd, tools))
        elif cmd in _VERSION_MIN_PLATFORM:
            self._need(lc, 16)
            p = _VERSION_MIN_PLATFORM[cmd]
            platforms.append(Platform(p, _PLATFORMS[p], _version(v.u32(off + 8)), _version(v.u32(off + 12)), cmd))
        elif cmd == LC_SYMTAB:
            self._need(lc, 24)
            self.symtab = self._symtab(lc)
        elif cmd == LC_DYSYMTAB:
            self._need(lc, 80)
            self.dysymtab = self._dysymtab(lc)
        elif cmd == LC_CODE_SIGNATURE:
            self._need(lc, 16)
            self.code_signature = (v.u32(off + 8), v.u32(off + 12))

    def _need(self, lc: LoadCommand, size: int) -> None:
        if lc.size < size:
            raise Malformed(f"{lc.name} cmdsize {lc.size} < {size}", offset=self.view.base + lc.offset)

    def _lc_str(self, lc: LoadCommand, fixed: int) -> str:
        """The lc_str whose offset is the first field after cmd/cmdsize, NUL-terminated inside the
        command (dyld refuses a string that runs past its command)."""
        self._need(lc, fixed)
        rel = self.view.u32(lc.offset + 8)
        if rel < fixed or rel >= lc.size:
            raise Malformed(f"{lc.name} string offset {rel} outside the command's {fixed}..{lc.size}",
                            offset=self.view.base + lc.offset)
        cmdview = self.view.sub(lc.offset, lc.size, lc.name)
        return cmdview.cstring(rel, min(MAX_LC_STRING, lc.size - rel), f"{lc.name} string")

    def _dylib(self, lc: LoadCommand, kind: str) -> DylibLoad:
        self._need(lc, 24)
        v, off = self.view, lc.offset
        name = self._lc_str(lc, 24)
        return DylibLoad(name, kind, lc.cmd, v.u32(off + 12), _version(v.u32(off + 16)), _version(v.u32(off + 20)))

    def _segment(self, lc: LoadCommand, room: int) -> tuple[Segment, list[MachOSection]]:
        """The segment of ``lc`` and at most ``room`` of its sections (the file's section budget left)."""
        v, off = self.view, lc.offset
        if lc.cmd == LC_SEGMENT_64:
            head, sect, fields, sfields = 72, 80, "16sQQQQIIII", "16s16sQQIIIIIIII"
        else:
            head, sect, fields, sfields = 56, 68, "16sIIIIIIII", "16s16sIIIIIIIII"
        self._need(lc, head)
        name, vmaddr, vmsize, fileoff, filesize, maxprot, initprot, nsects, flags = v.unpack(
            struct.Struct(self._end + fields), off + 8)
        name = _fixed_name(name)
        if head + nsects * sect > lc.size:
            raise Malformed(f"segment {name!r} declares {nsects} sections, cmdsize {lc.size} holds fewer",
                            offset=v.base + off)
        # The kernel and dyld refuse a segment whose file range runs past the end of the file.
        if filesize:
            v.check(fileoff, filesize, f"segment {name!r} file range")
        seg = Segment(name, vmaddr, vmsize, fileoff, filesize, maxprot, initprot, nsects, flags)
        st = struct.Struct(self._end + sfields)
        secs = []
        if nsects > room:
            self.warn("load commands", Malformed(f"segment {name!r}: {nsects} sections, more than the {max(room, 0)} "
                                                 f"of the file's {MAX_SECTIONS} left; the others not read",
                                                 offset=v.base + off))
        for k in range(min(nsects, max(room, 0))):
            sectname, segname, addr, size, offset, align, reloff, nreloc, sflags, *_ = v.unpack(st, off + head + k * sect)
            secs.append(MachOSection(_fixed_name(sectname), _fixed_name(segname), addr, size, offset, align,
                                     reloff, nreloc, sflags))
        return seg, secs

    def _symtab(self, lc: LoadCommand) -> Symtab:
        v, off = self.view, lc.offset
        st = Symtab(v.u32(off + 8), v.u32(off + 12), v.u32(off + 16), v.u32(off + 20))
        v.check_array(st.symoff, st.nsyms, self._nlist_size, "LC_SYMTAB symbol table")
        v.check(st.stroff, st.strsize, "LC_SYMTAB string table")
        return st

    def _dysymtab(self, lc: LoadCommand) -> Dysymtab:
        v, off = self.view, lc.offset
        f = [v.u32(off + 8 + 4 * k) for k in range(18)]
        d = Dysymtab(f[0], f[1], f[2], f[3], f[4], f[5], f[12], f[13])
        # debug/macho's checks: a dynamic symbol table needs a symbol table, and its ranges lie in it.
        if self.symtab is None:
            raise Malformed("LC_DYSYMTAB before any LC_SYMTAB", offset=v.base + off)
        n = self.symtab.nsyms
        for what, first, count in (("local", d.ilocalsym, d.nlocalsym), ("defined external", d.iextdefsym, d.nextdefsym),
                                   ("undefined", d.iundefsym, d.nundefsym)):
            if first > n or first + count > n:
                raise Malformed(f"LC_DYSYMTAB {what} symbols {first}+{count} outside the {n} symbols of LC_SYMTAB",
                                offset=v.base + off)
        v.check_array(d.indirectsymoff, d.nindirectsyms, 4, "LC_DYSYMTAB indirect symbol table")
        return d

    @property
    def _nlist_size(self) -> int:
        return 16 if self.bits == 64 else 12

    # -- header-derived names --------------------------------------------------------------------
    @property
    def filetype_name(self) -> str:
        return _FILETYPE(self.filetype)

    @property
    def pie(self) -> bool:
        return bool(self.flags & MH_PIE)

    @property
    def needed(self) -> tuple[str, ...]:
        """Every dylib load command's name, in file order, whatever its kind."""
        return tuple(d.name for d in self.dylibs)

    @property
    def platform(self) -> Platform | None:
        return self.platforms[0] if self.platforms else None

    @property
    def minos(self) -> str | None:
        return self.platforms[0].minos if self.platforms else None

    @property
    def sdk(self) -> str | None:
        return self.platforms[0].sdk if self.platforms else None

    @property
    def os_name(self) -> str:
        return self.platforms[0].os if self.platforms else "darwin"

    @property
    def macho_type(self) -> str | None:
        if self.filetype == MH_EXECUTE and self.flags & MH_PIE:
            return "pie-executable"
        return _FILETYPE_KIND.get(self.filetype)

    @property
    def linkage(self) -> str | None:
        if self.filetype in (MH_OBJECT, MH_CORE, MH_DSYM):
            return None
        return "dynamic" if self.interpreter is not None or self.dylibs else "static"

    # -- sections and addresses ------------------------------------------------------------------
    def section(self, sectname: str, segname: str | None = None) -> MachOSection | None:
        """The first section named ``sectname`` (in segment ``segname`` when given)."""
        for s in self.macho_sections:
            if s.sectname == sectname and (segname is None or s.segname == segname):
                return s
        return None

    def imported_symbols(self):
        st, ds = self.symtab, self.dysymtab
        if st is None or ds is None or not ds.nundefsym or ds.nundefsym > MAX_UNDEFINED_SYMBOLS:
            return
        v = self.view
        nl = 16 if self.bits == 64 else 12
        strtab = v.bytes(st.stroff, st.strsize, "string table")
        for i in range(ds.iundefsym, ds.iundefsym + ds.nundefsym):
            name_off = v.u32(st.symoff + i * nl)
            end = strtab.find(b"\0", name_off)
            if end > name_off:
                name = strtab[name_off:end].decode("utf-8", "replace")
                yield (name[1:] if name.startswith("_") else name), name

    def symbol_strings(self) -> tuple[int, int] | None:
        st = self.symtab
        return (st.stroff, st.strsize) if st is not None and st.strsize else None

    def os_floor(self) -> OsFloor | None:
        """LC_BUILD_VERSION's (or LC_VERSION_MIN_*'s) minimum OS."""
        minos = self.minos
        if not minos:
            return None
        return OsFloor({"darwin": "macOS"}.get(self.os_name, self.os_name), minos, f"LC_BUILD_VERSION minos {minos}")

    def file_section(self, name: str) -> Section | None:
        s = self.section(name)
        return None if s is None else Section(s.name, s.addr, s.offset, s.file_size, s.type_name)

    def load_segments(self) -> tuple[LoadSegment, ...]:
        """The segments dyld maps: not one of no memory size (Go's __DWARF: file bytes, never loaded,
        its address shared with __LINKEDIT); of each, the file bytes that fit its memory size."""
        return tuple(LoadSegment(s.name, s.vmaddr, s.fileoff, _mapped(s), s.vmsize, bool(s.initprot & VM_PROT_READ),
                                 bool(s.initprot & VM_PROT_WRITE), bool(s.initprot & VM_PROT_EXECUTE))
                     for s in self.segments if s.vmsize)

    def segment(self, name: str) -> Segment | None:
        for s in self.segments:
            if s.name == name:
                return s
        return None

    def sections(self) -> list[Section]:
        """Every section as ``"segname,sectname"``; zerofill sections have no bytes in the file."""
        return [Section(s.name, s.addr, s.offset, s.file_size, s.type_name) for s in self.macho_sections]

    def section_data(self, s: MachOSection, limit: int | None = None) -> bytes:
        """The file bytes of ``s`` (at most ``limit``); refuses a section that runs past the file."""
        n = s.file_size if limit is None else min(s.file_size, limit)
        return self.view.bytes(s.offset, n, f"section {s.name}") if n else b""

    def vaddr_to_offset(self, addr: int, size: int = 1) -> int | None:
        for s in self.segments:
            if s.name != "__PAGEZERO" and s.vmaddr <= addr and addr + size <= s.vmaddr + _mapped(s):
                return s.fileoff + (addr - s.vmaddr)
        return None

    def vaddr_span(self, addr: int, size: int) -> tuple[int, int] | None:
        for s in self.segments:
            n = _mapped(s)
            if s.name == "__PAGEZERO":
                continue
            # A 64-bit fileoff plus the distance into the segment can pass 2**64: no file position, unmapped.
            if s.vmaddr <= addr < s.vmaddr + n and s.fileoff + (addr - s.vmaddr) < 1 << 64:
                off = s.fileoff + (addr - s.vmaddr)
                return off, max(0, min(size, s.vmaddr + n - addr, self.view.size - off))
        return None

    def go_data_start(self) -> tuple[int, int] | None:
        s = self.section("__go_buildinfo")
        if s is None or not s.size:
            return None
        return s.addr, s.size

    # -- symbols, debug info, build ID -----------------------------------------------------------
    @cached_property
    def stripped(self) -> bool:
        st = self.symtab
        if st is None or not st.nsyms:
            return True
        interface_exports = self.filetype in (MH_DYLIB, MH_BUNDLE, MH_DYLIB_STUB, MH_KEXT_BUNDLE)
        ent = self._nlist_size
        buf, base = self.view.buf, self.view.base + st.symoff
        # The table was checked against the file when LC_SYMTAB was read; one pass, early exit.
        desc_st = struct.Struct(self._end + "H")
        for i in range(st.nsyms):
            p = base + i * ent
            ntype = buf[p + 4]
            if ntype & N_STAB:
                return False
            kind = ntype & N_TYPE
            if kind in (N_UNDF, N_PBUD):
                continue
            if not ntype & N_EXT:
                return False
            if interface_exports:
                continue
            if self.filetype == MH_OBJECT:
                return False
            if not desc_st.unpack_from(buf, p + 6)[0] & REFERENCED_DYNAMICALLY:
                return False
        return True

    @property
    def debug_info(self) -> bool:
        if any(s.name == "__DWARF" for s in self.segments):
            return True
        return any(s.sectname in ("__debug_info", "__zdebug_info") for s in self.macho_sections)

    @cached_property
    def go_build_id(self) -> str | None:
        """cmd/internal/buildid readMacho: the image's first 32 KiB, else the first 32 KiB of __text."""
        found = self._go_build_id_in(0, min(self.view.size, GO_BUILD_ID_WINDOW), "image head")
        if found:
            return found
        text = self.section("__text")
        if text is None or text.zerofill or not text.size:
            return None
        n = min(text.size, GO_BUILD_ID_WINDOW, max(0, self.view.size - text.offset))
        if text.offset >= self.view.size or not n:
            return None
        return self._go_build_id_in(text.offset, n, "__text") or None

    def _go_build_id_in(self, off: int, n: int, what: str) -> str | None:
        try:
            return buildid.find_raw(self.view.bytes(off, n, what))
        except Malformed as e:
            raise Malformed(e.message, offset=self.view.base + off + e.offset) from None

    # -- where the bytes go, what stripping saves (the verbs of formats.base) --------------------
    def size_regions(self, functab=None) -> list[tuple[int, int, int, str]]:
        v = self.view
        regions = [(0, self.header_size + self.sizeofcmds, P_HEADER, "headers")]
        for s in self.macho_sections:
            if s.zerofill or not s.size or not s.offset:
                continue
            regions.append((s.offset, s.offset + s.size, P_SECTION, _section_category(s)))
        st = self.symtab
        if st is not None:
            regions.append((st.symoff, st.symoff + st.nsyms * (16 if self.bits == 64 else 12), P_SECTION, "symtab"))
            regions.append((st.stroff, st.stroff + st.strsize, P_SECTION, "symtab"))
        ds = self.dysymtab
        if ds is not None and ds.nindirectsyms:
            regions.append((ds.indirectsymoff, ds.indirectsymoff + 4 * ds.nindirectsyms, P_SECTION, "dynamic"))
        for lc in self.load_commands:
            if lc.cmd in (LC_DYLD_INFO, LC_DYLD_INFO_ONLY) and lc.size >= 48:
                f = [v.u32(lc.offset + 8 + 4 * k) for k in range(10)]
                for (off, size), cat in zip(zip(f[0::2], f[1::2]), ("relocations", "relocations", "relocations",
                                                                      "relocations", "dynamic")):
                    if size:
                        regions.append((off, off + size, P_SECTION, cat))
            elif lc.cmd in _LINKEDIT_DATA and lc.size >= 16:
                off, size = v.u32(lc.offset + 8), v.u32(lc.offset + 12)
                if size:
                    regions.append((off, off + size, P_SECTION, _LINKEDIT_DATA[lc.cmd]))
        for seg in self.segments:
            if seg.name == "__DWARF" and seg.filesize:
                regions.append((seg.fileoff, seg.fileoff + seg.filesize, P_SEGMENT, "dwarf"))
            elif seg.name == "__LINKEDIT" and seg.filesize:
                regions.append((seg.fileoff, seg.fileoff + seg.filesize, P_SEGMENT, "other"))
        return regions

    def strip_saving(self, relink: Relink) -> int | None:
        """Go's internal linker relinking with ``-s -w`` (the rules for other Mach-O linkers are not
        known: None): the ``__DWARF`` segment goes; ``__LINKEDIT`` moves down by its page-rounded
        size; the symbol table keeps only the undefined (imported) and dynamically exported
        symbols, with their names; the table of strings keeps its 2-byte start and is padded so the
        link-edit data ends on 16 bytes; the ad-hoc code signature (arm64) shrinks with the number
        of 4 KiB pages it hashes (Go's cmd/internal/codesign: 108 bytes + identifier + 32 per page)."""
        if not relink.go:
            return None
        st = self.symtab
        dwarf = self.segment("__DWARF")
        linkedit = self.segment("__LINKEDIT")
        if st is None or linkedit is None:
            return None
        v = self.view
        nl = 16 if self.bits == 64 else 12
        kept, kept_str = 0, 2
        strtab = v.bytes(st.stroff, st.strsize, "string table") if st.strsize else b""
        for i in range(st.nsyms):
            p = st.symoff + i * nl
            name_off, ntype = v.u32(p), v.u8(p + 4)
            if ntype & N_STAB:
                continue
            if ntype & N_TYPE == N_UNDF and ntype & N_EXT or ntype == N_SECT | N_EXT:   # imported, or exported
                kept += 1
                end = strtab.find(b"\0", name_off)
                kept_str += (end - name_off if end >= 0 else 0) + 1
        if kept == st.nsyms and dwarf is None:
            return None
        head = st.symoff - linkedit.fileoff                 # rebase + bind
        indirect = st.stroff - (st.symoff + st.nsyms * nl)  # indirect symbol tables
        linkedit_size = align_up(head + kept * nl + indirect + kept_str, 16)
        move = self._go_relink_move(relink.buildinfo_growth, relink.modinfo)
        if move is None:
            return None
        new_linkoff = (dwarf.fileoff if dwarf is not None else linkedit.fileoff) + move
        end = new_linkoff + linkedit_size
        sig = self.code_signature
        if sig is not None:
            sigoff, sigsize = sig
            pages_old = -(-sigoff // 4096)
            ident = sigsize - 108 - 32 * pages_old        # identifier and its NUL
            if ident <= 0:
                return None
            end += 108 + ident + 32 * -(-end // 4096)
        return max(0, v.size - end)

    def _go_relink_move(self, growth: int, text: bytes) -> int | None:
        """How far a Go relink moves __DWARF and __LINKEDIT when its module text grows by ``growth``:
        the build-info blob in __DATA,__go_buildinfo grows by 0 to the growth rounded to 16 bytes,
        runtime.modinfo.str in a __rodata as formats.golink says; each segment that then ends past
        a page (16 KiB on arm64, else 4 KiB; cmd/link starts each segment at the previous one's end
        rounded up to it) moves every later one by a page. None when the string is not found, the
        segments are not laid out that way, or the bounds disagree."""
        if not growth:
            return 0
        rnd = 0x4000 if self.arch == "arm64" else 0x1000
        found, total = not text, 0
        for g in self.segments:
            if not g.filesize or g.name in ("__DWARF", "__LINKEDIT"):
                continue
            secs = sorted((s.offset, s.file_size, 1 << min(s.align, 16), s.sectname) for s in self.macho_sections
                          if s.segname == g.name and s.file_size)
            if not secs:
                continue
            grows = []
            for j, (off, size, _a, name) in enumerate(secs):
                if name == "__go_buildinfo":
                    grows.append((j, self._go_buildinfo_growth(off, size, growth)))
                elif name == "__rodata" and text:
                    grown = golink.modinfo_string_growth(self.view, off, size, text, growth)
                    if grown is not None:
                        found = True
                        grows.append((j, (grown, grown)))
            if not grows:
                continue
            end = max(off + size for off, size, _a, _n in secs)
            nxt = min((h.fileoff for h in self.segments if h.filesize and h.fileoff > g.fileoff), default=None)
            if len(grows) > 1 or nxt is None or nxt != align_up(end, rnd):
                return None
            j, shifts = grows[0]
            off, size = secs[j][:2]
            moved = golink.segments_moved([r[:3] for r in secs[j + 1:]], off + size, shifts, end, rnd)
            if moved is None:
                return None
            total += moved
        return total if found else None

    def _go_buildinfo_growth(self, off: int, size: int, growth: int) -> tuple[int, int]:
        """(at least, at most) how much __go_buildinfo (``size`` bytes at ``off``) grows when its module
        text does by ``growth``: exactly, when it holds cmd/link's blob (its used bytes padded to 16, the
        section's size); else bounded, by 0 (its padding takes it) and the growth rounded to 16."""
        used = None
        if off + size <= self.view.size:     # in the file: the read below cannot fail
            used = golink.buildinfo_used(self.view.bytes(off, min(size, MAX_BUILDINFO_READ)))
        if used is not None and golink.buildinfo_size(used) == size:
            grown = golink.buildinfo_size(used + growth) - size
            return grown, grown
        return 0, golink.buildinfo_size(size + growth) - size

    # -- facts -----------------------------------------------------------------------------------
    def facts(self, summary: bool = False) -> dict:
        return dict(
            format="macho", arch=self.arch, bits=self.bits, endian="little" if self.little else "big",
            os=self.os_name, type=self.macho_type, linkage=self.linkage, interpreter=self.interpreter,
            needed=self.needed, rpath=self.rpath, runpath=(), soname=self.soname,
            stripped=self.stripped, debug_info=self.debug_info,
            gnu_build_id=None, go_build_id=self.attempt("Go build ID", lambda: self.go_build_id),
        )


# -- size categories ------------------------------------------------------------------------------
_GO_METADATA = {"__go_type", "__go_func", "__typelink", "__itablink", "__gosymtab", "__go_buildinfo",
                "__go_fipsinfo", "__go_module", "__gofunc"}
# the __LINKEDIT data each load command points at (LC_*_DATA: a linkedit_data_command)
_LINKEDIT_DATA = {LC_CODE_SIGNATURE: "signature", LC_SEGMENT_SPLIT_INFO: "other", LC_FUNCTION_STARTS: "other",
                  LC_DATA_IN_CODE: "other", LC_DYLIB_CODE_SIGN_DRS: "signature", LC_LINKER_OPTIMIZATION_HINT: "other",
                  LC_DYLD_EXPORTS_TRIE: "dynamic", LC_DYLD_CHAINED_FIXUPS: "dynamic",
                  LC_FUNCTION_VARIANT_FIXUPS: "dynamic"}


def _section_category(s: MachOSection) -> str:
    """The size category (formats.base.SIZE_CATEGORIES) of a section with bytes in the file."""
    sect, seg = s.sectname, s.segname
    if seg == "__DWARF" or sect.startswith(("__debug_", "__zdebug_")):
        return "dwarf"
    if sect == "__gopclntab":
        return "pclntab"
    if sect in _GO_METADATA:
        return "go-metadata"
    # the GOT wherever it is; the other pointer tables and stubs outside __TEXT (ld64's __TEXT stubs are code)
    if sect == "__got" or sect in ("__la_symbol_ptr", "__nl_symbol_ptr", "__stubs", "__stub_helper", "__auth_got") \
            and seg != "__TEXT":
        return "dynamic"
    if s.flags & (S_ATTR_PURE_INSTRUCTIONS | S_ATTR_SOME_INSTRUCTIONS) or sect in ("__text", "__stubs", "__symbol_stub1", "__stub_helper"):
        return "code"
    if seg == "__TEXT" or seg == "__DATA_CONST" and sect in ("__rodata", "__const", "__cstring"):
        return "rodata"
    return "data"

def parse(view: ByteView) -> MachOImage:
    return MachOImage(view)
