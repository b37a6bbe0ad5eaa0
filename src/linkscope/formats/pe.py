"""PE/COFF: Windows and UEFI images (PE32, PE32+) and bare COFF object files.

Read the way the Windows loader reads it: the MZ stub's ``e_lfanew`` leads to ``"PE\\0\\0"``, the
COFF file header, the optional header and the section table; every RVA is mapped to a file offset
through the section table (and the headers), with a section's virtual tail beyond its raw data
reading as zeros, as it does in memory. A file that does not start with ``"MZ"`` is a bare COFF
object (what sniff.py calls "coff"): the file header is at offset 0 and there is usually no optional
header. Headers and the section table are read eagerly; imports, exports, the debug directory and
the Go build ID only when asked.

The rules behind the facts (each pinned by tests/test_pe.py):

* ``type``: the DLL bit of the file characteristics makes a "shared-library"; any other image is an
  "executable", as file(1) says ("PE32+ executable (console) x86-64"). ASLR (``DYNAMIC_BASE`` in
  the DLL characteristics) does *not* make a "pie-executable": relocatable images are the Windows
  norm, not a distinct kind of file, and the hardening checks read ``dll_characteristics``
  directly. A file without ``"MZ"`` and without an optional header is an "object".
* ``linkage``: "dynamic" when the image imports any DLL (import or delay-load directory), else
  "static"; None for objects, which are not linked yet.
* ``os``: "efi" for the EFI subsystems (10-13), else "windows" (objects included).
* ``stripped``: the COFF symbol table is absent (``PointerToSymbolTable`` or ``NumberOfSymbols``
  zero), the same question ELF's SHT_SYMTAB answers: mingw and Go images keep one unless linked with
  ``-s``; MSVC images never have one. ``IMAGE_FILE_DEBUG_STRIPPED`` (file(1)'s "stripped to
  external PDB") is not used: it says where debug info lives, and toolchains set it inconsistently
  (the vmlinuz EFI stub sets it); it stays visible in ``characteristics``.
* ``debug_info``: debug info *in the file*, as ELF's means it: a ``.debug_info`` or ``.zdebug_info``
  section (mingw's and Go's DWARF, found under its long name through the COFF string table), or a
  debug-directory entry whose data is the debug info itself: COFF debug info
  (IMAGE_DEBUG_TYPE_COFF), an embedded portable PDB (type 17), or embedded CodeView (NB09/NB11).
  A CodeView record of the RSDS/NB10 kind only points at a separate PDB file (``codeview``
  names it): no debug info in the file, whether or not the path is empty (GNU ld's ``--build-id``
  writes an empty one).
* ``soname``: the export directory's DLL name, for DLLs only.
* ``go_build_id``: what ``go tool buildid`` prints (cmd/internal/buildid readRaw): the first
  ``"\\xff Go build ID: \\"`` in the first 32 KiB of the file, up to ``"\\"\\n \\xff"``, Go-unquoted.
* ``needed``: the import descriptors in file order (duplicates kept, as objdump -p lists them), up
  to the first descriptor whose ``Name`` or ``FirstThunk`` is zero (the loader's rule, as in Wine's
  import_dlls and ReactOS). The directory's Size field is ignored, as the loader ignores it.
  ``delay_needed`` does the same for the delay-load directory (data directory 13), up to the first
  descriptor whose DLL name RVA is zero.

Errors: a damaged header fails parse(); a damaged lazily read table (imports, exports, debug
directory, Go build ID) raises Malformed/Truncated from the property that reads it, facts()
included; long section names the string table cannot resolve keep their raw "/123" form. An
"MZ" file whose e_lfanew leads to "NE"/"LE"/"LX", or with no PE signature and a DOS relocation
offset (e_lfarlc) below 0x40, is a 16-bit or DOS program: UnsupportedFormat, not Malformed.

Limits for hostile input: ``NumberOfRvaAndSizes`` is capped at 16 and at what the optional header
holds; ``NumberOfSections`` is refused when the file cannot hold the table; at most
``MAX_IMPORT_DESCRIPTORS`` import descriptors and ``MAX_IMPORTED_FUNCTIONS`` functions a DLL;
names at most 4096 bytes (DLL names 256); at most ``MAX_DEBUG_ENTRIES`` debug-directory entries.
"""
from __future__ import annotations

import struct
from ..record import record
from ..lazy import cached_property

from ..byteview import ByteView
from ..errors import Malformed, Truncated, UnsupportedFormat
from ..go import buildid
from ..go.buildinfo import search_magic
from ..model import LoadSegment, OsFloor, Section
from .base import DEBUG_SECTION_PREFIXES, P_HEADER, P_INNER, P_SECTION, Image, Relink, align_up

# -- IMAGE_FILE_MACHINE_* ----------------------------------------------------------------------
IMAGE_FILE_MACHINE_UNKNOWN = 0x0
IMAGE_FILE_MACHINE_I386 = 0x14C
IMAGE_FILE_MACHINE_AMD64 = 0x8664
IMAGE_FILE_MACHINE_ARM64 = 0xAA64
IMAGE_FILE_MACHINE_ARM = 0x1C0
IMAGE_FILE_MACHINE_ARMNT = 0x1C4

# Go's GOARCH names where Go has one; otherwise the Windows SDK's name.
_GOARCH = {0x14C: "386", 0x8664: "amd64", 0xAA64: "arm64", 0x1C4: "arm", 0x1C0: "arm",
           0x5064: "riscv64", 0x6264: "loong64"}
_MACHINE_NAMES = {
    0x0: "UNKNOWN", 0x162: "R3000", 0x166: "R4000", 0x168: "R10000", 0x169: "WCEMIPSV2",
    0x184: "ALPHA", 0x1A2: "SH3", 0x1A3: "SH3DSP", 0x1A6: "SH4", 0x1A8: "SH5", 0x1C2: "THUMB",
    0x1D3: "AM33", 0x1F0: "POWERPC", 0x1F1: "POWERPCFP", 0x200: "IA64", 0x266: "MIPS16",
    0x284: "ALPHA64", 0x366: "MIPSFPU", 0x466: "MIPSFPU16", 0x520: "TRICORE", 0xCEF: "CEF",
    0xEBC: "EBC", 0x5032: "RISCV32", 0x5128: "RISCV128", 0x6232: "LOONGARCH32", 0x9041: "M32R",
    0xA641: "ARM64EC", 0xA64E: "ARM64X", 0xC0EE: "CEE",
}
_MACHINE_BITS = {0x14C: 32, 0x1C0: 32, 0x1C2: 32, 0x1C4: 32, 0x5032: 32, 0x6232: 32, 0x1A2: 32,
                 0x1A6: 32, 0x166: 32, 0x1F0: 32, 0x9041: 32,
                 0x8664: 64, 0xAA64: 64, 0xA641: 64, 0xA64E: 64, 0x200: 64, 0x5064: 64, 0x6264: 64,
                 0x284: 64}


def machine_name(machine: int) -> str:
    """The GOARCH name of a machine Go knows; else ``IMAGE_FILE_MACHINE_<NAME>`` from the Windows
    SDK; else ``IMAGE_FILE_MACHINE_0x<hex>`` so that unknown values still print."""
    if machine in _GOARCH:
        return _GOARCH[machine]
    name = _MACHINE_NAMES.get(machine)
    return f"IMAGE_FILE_MACHINE_{name}" if name else f"IMAGE_FILE_MACHINE_{machine:#06x}"


# -- file header characteristics (IMAGE_FILE_*) -------------------------------------------------
IMAGE_FILE_RELOCS_STRIPPED = 0x0001
IMAGE_FILE_EXECUTABLE_IMAGE = 0x0002
IMAGE_FILE_LINE_NUMS_STRIPPED = 0x0004
IMAGE_FILE_LOCAL_SYMS_STRIPPED = 0x0008
IMAGE_FILE_LARGE_ADDRESS_AWARE = 0x0020
IMAGE_FILE_32BIT_MACHINE = 0x0100
IMAGE_FILE_DEBUG_STRIPPED = 0x0200
IMAGE_FILE_SYSTEM = 0x1000
IMAGE_FILE_DLL = 0x2000

# -- optional header DllCharacteristics (IMAGE_DLLCHARACTERISTICS_*) ----------------------------
IMAGE_DLLCHARACTERISTICS_HIGH_ENTROPY_VA = 0x0020
IMAGE_DLLCHARACTERISTICS_DYNAMIC_BASE = 0x0040
IMAGE_DLLCHARACTERISTICS_FORCE_INTEGRITY = 0x0080
IMAGE_DLLCHARACTERISTICS_NX_COMPAT = 0x0100
IMAGE_DLLCHARACTERISTICS_NO_ISOLATION = 0x0200
IMAGE_DLLCHARACTERISTICS_NO_SEH = 0x0400
IMAGE_DLLCHARACTERISTICS_NO_BIND = 0x0800
IMAGE_DLLCHARACTERISTICS_APPCONTAINER = 0x1000
IMAGE_DLLCHARACTERISTICS_WDM_DRIVER = 0x2000
IMAGE_DLLCHARACTERISTICS_GUARD_CF = 0x4000
IMAGE_DLLCHARACTERISTICS_TERMINAL_SERVER_AWARE = 0x8000

# -- subsystems ---------------------------------------------------------------------------------
_SUBSYSTEMS = {
    0: "UNKNOWN", 1: "NATIVE", 2: "WINDOWS_GUI", 3: "WINDOWS_CUI", 5: "OS2_CUI", 7: "POSIX_CUI",
    8: "NATIVE_WINDOWS", 9: "WINDOWS_CE_GUI", 10: "EFI_APPLICATION", 11: "EFI_BOOT_SERVICE_DRIVER",
    12: "EFI_RUNTIME_DRIVER", 13: "EFI_ROM", 14: "XBOX", 16: "WINDOWS_BOOT_APPLICATION",
}
EFI_SUBSYSTEMS = frozenset((10, 11, 12, 13))


def subsystem_name(subsystem: int | None) -> str | None:
    """``IMAGE_SUBSYSTEM_WINDOWS_CUI`` and so on; unknown values print as ``IMAGE_SUBSYSTEM_<n>``."""
    if subsystem is None:
        return None
    return f"IMAGE_SUBSYSTEM_{_SUBSYSTEMS.get(subsystem, subsystem)}"


# -- data directory indexes ---------------------------------------------------------------------
DIR_EXPORT, DIR_IMPORT, DIR_RESOURCE, DIR_EXCEPTION, DIR_SECURITY, DIR_BASERELOC = 0, 1, 2, 3, 4, 5
DIR_DEBUG, DIR_ARCHITECTURE, DIR_GLOBALPTR, DIR_TLS, DIR_LOAD_CONFIG, DIR_BOUND_IMPORT = 6, 7, 8, 9, 10, 11
DIR_IAT, DIR_DELAY_IMPORT, DIR_COM_DESCRIPTOR = 12, 13, 14
MAX_DATA_DIRECTORIES = 16

# -- section characteristics (IMAGE_SCN_*) -------------------------------------------------------
IMAGE_SCN_CNT_CODE = 0x00000020
IMAGE_SCN_CNT_INITIALIZED_DATA = 0x00000040
IMAGE_SCN_CNT_UNINITIALIZED_DATA = 0x00000080
IMAGE_SCN_ALIGN_32BYTES = 0x00600000
IMAGE_SCN_MEM_DISCARDABLE = 0x02000000
IMAGE_SCN_MEM_EXECUTE = 0x20000000
IMAGE_SCN_MEM_READ = 0x40000000
IMAGE_SCN_MEM_WRITE = 0x80000000

IMAGE_DEBUG_TYPE_COFF, IMAGE_DEBUG_TYPE_CODEVIEW, IMAGE_DEBUG_TYPE_EMBEDDED_PORTABLE_PDB = 1, 2, 17
PE32_MAGIC, PE32PLUS_MAGIC = 0x10B, 0x20B
# The headers binutils (ld, strip, objcopy) writes: the PE signature at 0x80, after its MZ stub
# (bfd/peXXigen.c), and an optional header with all 16 data directories.
BFD_E_LFANEW = 0x80

MAX_IMPORT_DESCRIPTORS = 4096
MAX_IMPORTED_FUNCTIONS = 1 << 14     # from one DLL (kernel32.dll exports about 1,600)
# Functions read over all DLLs for the analyses' import evidence (a large program imports a few
# thousand); a DLL is read whole before it is counted, so the cost is bounded by this plus one DLL's.
MAX_IMPORTED_TOTAL = 1 << 14
MAX_DEBUG_ENTRIES = 1024
NAME_LIMIT = 4096
DLL_NAME_LIMIT = 256
COFF_SYMBOL_SIZE = 18

_FILE_HEADER = struct.Struct("<HHIIIHH")
_SECTION = struct.Struct("<8sIIIIIIHHI")
# Optional header up to and including NumberOfRvaAndSizes (96 and 112 bytes).
_OPT32 = struct.Struct("<HBBIIIIIIIIIHHHHHHIIIIHHIIIIII")
_OPT64 = struct.Struct("<HBBIIIIIQIIHHHHHHIIIIHHQQQQII")
_IMPORT_DESC = struct.Struct("<IIIII")
_DELAY_DESC = struct.Struct("<IIIIIIII")
_DEBUG_DIR = struct.Struct("<IIHHIIII")
_B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"


@record
class DataDirectory:
    rva: int
    size: int


@record
class PeSection:
    name: str                # the full name, long names resolved through the COFF string table
    virtual_size: int
    virtual_address: int     # an RVA
    raw_size: int            # SizeOfRawData
    raw_offset: int          # PointerToRawData (0: no file data)
    relocs_offset: int
    relocs_count: int
    characteristics: int

    @property
    def file_size(self) -> int:
        return self.raw_size if self.raw_offset else 0

    @property
    def span(self) -> int:
        """Bytes the section occupies in memory (VirtualSize, or SizeOfRawData when that is 0)."""
        return self.virtual_size or self.raw_size

    @property
    def kind(self) -> str:
        c = self.characteristics
        if c & IMAGE_SCN_CNT_CODE:
            return "code"
        if c & IMAGE_SCN_CNT_UNINITIALIZED_DATA:
            return "bss"
        if c & IMAGE_SCN_CNT_INITIALIZED_DATA:
            return "data"
        return ""


@record
class ImportedFunction:
    """One imported function: by ``name`` (with its ``hint``) or by ``ordinal`` (name None)."""

    name: str | None
    ordinal: int | None = None
    hint: int = 0


@record
class CodeView:
    """A CodeView debug-directory record: where the PDB is and which one it is."""

    signature: str           # "RSDS" or "NB10"
    guid: str                # RSDS: the GUID in registry form; NB10: the 32-bit signature in hex
    age: int
    pdb_path: str


@record
class _Descriptor:
    dll: str
    names_rva: int           # the lookup table (OriginalFirstThunk, or FirstThunk when that is 0)
    va_based: bool = False   # old (VC6) delay-load descriptors hold VAs, not RVAs


class PEImage(Image):
    format = "pe"
    GO_RELINKERS = frozenset(("bfd",))    # mingw's GNU ld: strip_saving's binutils rule

    def __init__(self, view: ByteView):
        super().__init__(view.with_endian(True))
        v = self.view
        self.has_mz = v.size >= 2 and v.bytes(0, 2) == b"MZ"
        if self.has_mz:
            if v.size < 0x40:
                raise Truncated(f"MZ header needs 64 bytes, file has {v.size}", offset=v.base)
            self.e_lfanew = v.u32(0x3C)
            self._check_signature()
            hdr = self.e_lfanew + 4
        else:
            self.e_lfanew = None
            hdr = 0
        v.check(hdr, _FILE_HEADER.size, "COFF file header")
        (self.machine, nsec, self.timestamp, self.symtab_offset, self.symbol_count,
         self.optional_header_size, self.characteristics) = v.unpack(_FILE_HEADER, hdr)
        self.arch = machine_name(self.machine)
        self._read_optional_header(hdr + _FILE_HEADER.size)
        self.is_object = not self.has_mz and self.magic is None
        if self.magic is not None:
            self.bits: int | None = 32 if self.magic == PE32_MAGIC else 64
        else:
            self.bits = _MACHINE_BITS.get(self.machine)
        # Best-effort from here on: a section table the file cannot hold is a warning, and what it
        # maps (imports, exports, debug data) is then unknown.
        sections = self.attempt("section table", lambda: self._read_sections(hdr + _FILE_HEADER.size + self.optional_header_size, nsec))
        self.section_table_ok = sections is not None
        self.pe_sections = sections or ()

    # -- headers ---------------------------------------------------------------------------------
    def _check_signature(self) -> None:
        v, off = self.view, self.e_lfanew
        sig = v.buf[v.base + off: v.base + off + 4] if off < v.size else b""
        if bytes(sig[:2]) in (b"NE", b"LE", b"LX"):
            raise UnsupportedFormat(f"{bytes(sig[:2]).decode()} executable (16-bit Windows, OS/2 or VxD), not PE",
                                    offset=v.base + off)
        if sig != b"PE\0\0" and v.u16(0x18) < 0x40:
            # e_lfarlc below 0x40: a plain MS-DOS program, whose e_lfanew is not a header offset.
            raise UnsupportedFormat("MS-DOS executable without a PE header", offset=v.base)
        v.check(off, 4 + _FILE_HEADER.size, "PE signature and COFF header (e_lfanew)")
        if sig != b"PE\0\0":
            raise Malformed(f"bad PE signature {bytes(sig)!r} at e_lfanew", offset=v.base + off)

    def _read_optional_header(self, off: int) -> None:
        v, size = self.view, self.optional_header_size
        self.magic: int | None = None
        self.image_base = 0
        self.entry = 0
        self.linker_version = self.os_version = self.subsystem_version = (0, 0)
        self.section_alignment = self.file_alignment = 0
        self.size_of_image = self.size_of_headers = self.checksum = 0
        self.subsystem: int | None = None
        self.dll_characteristics = 0
        self.number_of_rva_and_sizes = 0
        self.data_directories: tuple[DataDirectory, ...] = ()
        if size == 0:
            return
        if size < 2:
            raise Malformed(f"optional header of {size} bytes has no magic", offset=v.base + off)
        v.check(off, size, "optional header")
        magic = v.u16(off)
        if magic == PE32_MAGIC:
            st = _OPT32
        elif magic == PE32PLUS_MAGIC:
            st = _OPT64
        else:
            raise Malformed(f"optional header magic {magic:#x} is neither PE32 (0x10b) nor PE32+ (0x20b)", offset=v.base + off)
        if size < st.size:
            raise Malformed(f"optional header of {size} bytes, {'PE32' if st is _OPT32 else 'PE32+'} needs {st.size}", offset=v.base + off)
        f = v.unpack(st, off)
        if st is _OPT32:
            (_m, lmaj, lmin, _code, _idata, _udata, self.entry, _boc, _bod, self.image_base,
             self.section_alignment, self.file_alignment, osmaj, osmin, _imaj, _imin, smaj, smin,
             _w32, self.size_of_image, self.size_of_headers, self.checksum, self.subsystem,
             self.dll_characteristics, _sr, _sc, _hr, _hc, _lf, nrva) = f
        else:
            (_m, lmaj, lmin, _code, _idata, _udata, self.entry, _boc, self.image_base,
             self.section_alignment, self.file_alignment, osmaj, osmin, _imaj, _imin, smaj, smin,
             _w32, self.size_of_image, self.size_of_headers, self.checksum, self.subsystem,
             self.dll_characteristics, _sr, _sc, _hr, _hc, _lf, nrva) = f
        self.magic = magic
        self.linker_version, self.os_version, self.subsystem_version = (lmaj, lmin), (osmaj, osmin), (smaj, smin)
        self.number_of_rva_and_sizes = nrva
        # The loader caps the count at 16; a count the header cannot hold is cut to what it holds.
        n = min(nrva, MAX_DATA_DIRECTORIES, (size - st.size) // 8)
        base = off + st.size
        self.data_directories = tuple(DataDirectory(v.u32(base + 8 * i), v.u32(base + 8 * i + 4)) for i in range(n))

    def _read_sections(self, off: int, count: int) -> tuple[PeSection, ...]:
        if count == 0:
            return ()
        self.view.check_array(off, count, _SECTION.size, "section table")
        raw = [self.view.unpack(_SECTION, off + i * _SECTION.size) for i in range(count)]
        return tuple(PeSection(self._section_name(name), vs, va, rs, ro, rlo, rlc, ch)
                     for name, vs, va, rs, ro, rlo, _lno, rlc, _lnc, ch in raw)

    def _section_name(self, raw: bytes) -> str:
        short = raw.split(b"\0", 1)[0].decode("utf-8", "surrogateescape")
        if not short.startswith("/") or self._strtab is None:
            return short
        # "/123": decimal offset into the string table; "//AAAAAA": base64 (LLVM, offsets > 9999999).
        try:
            if short.startswith("//"):
                off = 0
                for ch in short[2:]:
                    off = off * 64 + _B64.index(ch)
            elif short[1:].isascii() and short[1:].isdigit():
                off = int(short[1:], 10)
            else:
                return short
            if off < 4:
                return short
            return self._strtab.cstring(off, NAME_LIMIT, "section name")
        except (ValueError, Malformed):
            return short  # a name the string table cannot resolve keeps its raw form

    @cached_property
    def _strtab(self) -> ByteView | None:
        """The COFF string table, right after the symbol table (offsets count its 4-byte size)."""
        if not self.symtab_offset:
            return None
        off = self.symtab_offset + COFF_SYMBOL_SIZE * self.symbol_count
        if off + 4 > self.view.size:
            return None
        length = self.view.u32(off)
        if length < 4:
            return None
        return self.view.sub(off, min(length, self.view.size - off), "COFF string table")

    def data_directory(self, index: int) -> DataDirectory | None:
        """Data directory ``index`` when the header has it and its RVA is not zero."""
        if index < len(self.data_directories) and self.data_directories[index].rva:
            return self.data_directories[index]
        return None

    # -- address mapping -------------------------------------------------------------------------
    def _locate(self, rva: int) -> tuple[int, int, int] | None:
        """(file offset, bytes backed by the file, bytes mapped in memory) from ``rva`` onwards."""
        for s in self.pe_sections:
            span = s.span
            if s.virtual_address <= rva < s.virtual_address + span:
                d = rva - s.virtual_address
                backed = min(s.raw_size, span) if s.raw_offset else 0
                return s.raw_offset + d, max(0, backed - d), span - d
        if not self.is_object and rva < self.size_of_headers:
            return rva, self.size_of_headers - rva, self.size_of_headers - rva  # the mapped headers
        return None

    def rva_to_offset(self, rva: int) -> int | None:
        """The file offset holding the byte at ``rva``, or None when no file data backs it."""
        loc = self._locate(rva)
        if loc is None or loc[1] == 0:
            return None
        return loc[0]

    def read_rva(self, rva: int, size: int, what: str = "data") -> bytes:
        """Exactly ``size`` bytes at ``rva`` as the loader maps them: the virtual tail of a section
        beyond its raw data reads as zeros. Malformed when ``rva`` is outside every section."""
        loc = self._locate(rva)
        if loc is None:
            raise Malformed(f"{what} at RVA {rva:#x} is not in any section", offset=self.view.base)
        off, backed, mapped = loc
        if size > mapped:
            raise Malformed(f"{what} at RVA {rva:#x} runs past the end of its section", offset=self.view.base + off)
        n = min(size, backed)
        data = self.view.bytes(off, n, what) if n else b""
        return data + bytes(size - n)

    def _u32_rva(self, rva: int, what: str) -> int:
        return int.from_bytes(self.read_rva(rva, 4, what), "little")

    def cstring_rva(self, rva: int, limit: int = NAME_LIMIT, what: str = "string") -> str:
        """The NUL-terminated string at ``rva``, at most ``limit`` bytes, from the file's data."""
        loc = self._locate(rva)
        if loc is None:
            raise Malformed(f"{what} at RVA {rva:#x} is not in any section", offset=self.view.base)
        off, backed, mapped = loc
        if backed == 0:
            if mapped:
                return ""  # zero-filled memory: an empty string
            raise Malformed(f"{what} at RVA {rva:#x} has no data", offset=self.view.base + off)
        if off >= self.view.size:
            raise Truncated(f"{what} at RVA {rva:#x} lies beyond the end of the file", offset=self.view.base + off)
        region = min(backed, self.view.size - off)
        end = self.view.find(b"\0", off, off + min(region, limit))
        if end < 0:
            if region < backed and region < limit:
                raise Truncated(f"{what} at RVA {rva:#x} is cut off by the end of the file", offset=self.view.base + off)
            if region == backed < limit and mapped > backed:
                end = off + region  # the section's zero-filled tail terminates it, as in memory
            else:
                raise Malformed(f"{what} at RVA {rva:#x} not terminated within {min(region, limit)} bytes", offset=self.view.base + off)
        return self.view.bytes(off, end - off, what).decode("utf-8", "surrogateescape")

    # -- the two-method interface Go build info is read through ---------------------------------
    def vaddr_span(self, addr: int, size: int) -> tuple[int, int] | None:
        # debug/buildinfo peExe.DataReader: addr - ImageBase inside [VirtualAddress, +SizeOfRawData).
        rva = addr - self.image_base
        if rva < 0:
            return None
        for s in self.pe_sections:
            if s.raw_size and s.virtual_address <= rva < s.virtual_address + s.raw_size:
                if not s.raw_offset:
                    return None
                off = s.raw_offset + (rva - s.virtual_address)
                return off, max(0, min(size, s.virtual_address + s.raw_size - rva, self.view.size - off))
        return None

    def go_data_start(self) -> tuple[int, int] | None:
        s = self._go_data_section()
        return (self.image_base + s.virtual_address, s.virtual_size) if s is not None else None

    def _go_data_section(self) -> PeSection | None:
        # debug/buildinfo peExe.DataStart: the first initialized, read-write, non-executable section.
        want = IMAGE_SCN_CNT_INITIALIZED_DATA | IMAGE_SCN_MEM_READ | IMAGE_SCN_MEM_WRITE
        for s in self.pe_sections:
            if s.virtual_address and s.raw_size and s.characteristics & ~IMAGE_SCN_ALIGN_32BYTES == want:
                return s
        return None

    def section(self, name: str) -> PeSection | None:
        for s in self.pe_sections:
            if s.name == name:
                return s
        return None

    def imported_symbols(self):
        """(name, "name (dll)") of the functions imported by name, at most MAX_IMPORTED_TOTAL of them
        over all DLLs (a warning says when there are more: descriptors may share one lookup table)."""
        left = MAX_IMPORTED_TOTAL
        for dll in self.needed:
            funcs = self.imported_functions(dll)
            if len(funcs) > left:
                self.warn("import directory", Malformed(f"more than {MAX_IMPORTED_TOTAL} imported functions; "
                                                        f"those of {dll} and the DLLs after it not read", offset=None))
                return
            left -= len(funcs)
            for f in funcs:
                if f.name:
                    yield f.name, f"{f.name} ({dll})"

    def os_floor(self) -> OsFloor | None:
        """The optional header's subsystem version: the oldest Windows NT the image loads on."""
        major, minor = self.subsystem_version
        if self.is_object or not major:
            return None
        return OsFloor("Windows NT", f"{major}.{minor}", f"subsystem version {major}.{minor}")

    def file_section(self, name: str) -> Section | None:
        s = self.section(name)
        return None if s is None else Section(s.name, self.image_base + s.virtual_address, s.raw_offset, s.file_size,
                                              s.kind)

    def load_segments(self) -> tuple[LoadSegment, ...]:
        """Every section is mapped, at ImageBase + its RVA."""
        return tuple(LoadSegment(s.name, self.image_base + s.virtual_address, s.raw_offset, s.file_size, s.span,
                                 bool(s.characteristics & IMAGE_SCN_MEM_READ), bool(s.characteristics & IMAGE_SCN_MEM_WRITE),
                                 bool(s.characteristics & IMAGE_SCN_MEM_EXECUTE))
                     for s in self.pe_sections)

    def sections(self) -> list[Section]:
        """Every section; ``addr`` is a virtual address (ImageBase + RVA), as read_vaddr takes."""
        return [Section(s.name, self.image_base + s.virtual_address, s.raw_offset, s.file_size, s.kind)
                for s in self.pe_sections]

    # -- imports -----------------------------------------------------------------------------------
    @cached_property
    def _imports(self) -> tuple[_Descriptor, ...]:
        d = self.data_directory(DIR_IMPORT)
        if d is None:
            return ()
        out: list[_Descriptor] = []
        for i in range(MAX_IMPORT_DESCRIPTORS + 1):
            if i == MAX_IMPORT_DESCRIPTORS:
                raise Malformed(f"more than {MAX_IMPORT_DESCRIPTORS} import descriptors", offset=self.view.base)
            oft, _ts, _fwd, name, ft = _IMPORT_DESC.unpack(self._descriptor(d.rva, i, _IMPORT_DESC.size, "import"))
            if name == 0 or ft == 0:
                break
            out.append(_Descriptor(self.cstring_rva(name, DLL_NAME_LIMIT, "import DLL name"), oft or ft))
        return tuple(out)

    @cached_property
    def _delay_imports(self) -> tuple[_Descriptor, ...]:
        d = self.data_directory(DIR_DELAY_IMPORT)
        if d is None:
            return ()
        out: list[_Descriptor] = []
        for i in range(MAX_IMPORT_DESCRIPTORS + 1):
            if i == MAX_IMPORT_DESCRIPTORS:
                raise Malformed(f"more than {MAX_IMPORT_DESCRIPTORS} delay-load descriptors", offset=self.view.base)
            attrs, name, _mod, _iat, int_, _biat, _uiat, _ts = _DELAY_DESC.unpack(
                self._descriptor(d.rva, i, _DELAY_DESC.size, "delay-load"))
            if name == 0:
                break
            va_based = not attrs & 1   # dlattrRva clear: the VC6 layout with virtual addresses
            out.append(_Descriptor(self.cstring_rva(self._delay_rva(name, va_based), DLL_NAME_LIMIT, "delay-load DLL name"),
                                   self._delay_rva(int_, va_based), va_based))
        return tuple(out)

    def _descriptor(self, table: int, i: int, size: int, kind: str) -> bytes:
        rva = table + i * size
        loc = self._locate(rva)
        if loc is None or loc[2] < size:
            if i == 0:
                raise Malformed(f"{kind} directory at RVA {table:#x} is not in any section", offset=self.view.base)
            raise Malformed(f"{kind} descriptors run past the end of their section without a null descriptor",
                            offset=self.view.base + (loc[0] if loc else 0))
        return self.read_rva(rva, size, f"{kind} descriptor")

    def _delay_rva(self, value: int, va_based: bool) -> int:
        if va_based and value >= self.image_base:
            return value - self.image_base
        return value

    @cached_property
    def needed(self) -> tuple[str, ...]:
        """The DLLs of the import directory, in file order."""
        return tuple(d.dll for d in self._imports)

    @cached_property
    def delay_needed(self) -> tuple[str, ...]:
        """The DLLs of the delay-load import directory, in file order."""
        return tuple(d.dll for d in self._delay_imports)

    def imported_functions(self, dll: str, *, delayed: bool = False) -> tuple[ImportedFunction, ...]:
        """The functions imported from ``dll`` (matched case-insensitively, as Windows does), in
        lookup-table order, from the import directory or (``delayed``) the delay-load directory.
        KeyError when the image does not import ``dll`` that way."""
        key = (dll.lower(), delayed)
        cache = self.__dict__.setdefault("_functions", {})
        if key not in cache:
            descs = [d for d in (self._delay_imports if delayed else self._imports) if d.dll.lower() == key[0]]
            if not descs:
                raise KeyError(dll)
            cache[key] = tuple(f for d in descs for f in self._thunks(d))
        return cache[key]

    def _thunks(self, d: _Descriptor) -> list[ImportedFunction]:
        if not d.names_rva:
            return []
        width = 8 if self.bits == 64 else 4
        flag = 1 << (width * 8 - 1)
        out: list[ImportedFunction] = []
        for i in range(MAX_IMPORTED_FUNCTIONS + 1):
            if i == MAX_IMPORTED_FUNCTIONS:
                raise Malformed(f"more than {MAX_IMPORTED_FUNCTIONS} functions imported from {d.dll}", offset=self.view.base)
            val = int.from_bytes(self.read_rva(d.names_rva + i * width, width, f"import lookup table of {d.dll}"), "little")
            if val == 0:
                break
            if val & flag:
                out.append(ImportedFunction(None, val & 0xFFFF))
                continue
            rva = self._delay_rva(val, d.va_based) & 0x7FFFFFFF
            hint = int.from_bytes(self.read_rva(rva, 2, f"import hint of {d.dll}"), "little")
            out.append(ImportedFunction(self.cstring_rva(rva + 2, NAME_LIMIT, f"function name imported from {d.dll}"), None, hint))
        return out

    # -- exports ------------------------------------------------------------------------------------
    @cached_property
    def export_name(self) -> str | None:
        """The DLL name recorded in the export directory, if there is one."""
        d = self.data_directory(DIR_EXPORT)
        if d is None:
            return None
        name_rva = self._u32_rva(d.rva + 12, "export directory")
        if not name_rva:
            return None
        return self.cstring_rva(name_rva, DLL_NAME_LIMIT, "export DLL name")

    # -- debug directory -----------------------------------------------------------------------------
    @cached_property
    def debug_entries(self) -> tuple[tuple[int, int, int, int], ...]:
        """(type, size of data, RVA of data, file offset of data) of each debug-directory entry."""
        d = self.data_directory(DIR_DEBUG)
        if d is None:
            return ()
        count = d.size // _DEBUG_DIR.size
        if count > MAX_DEBUG_ENTRIES:
            raise Malformed(f"debug directory of {count} entries, more than the {MAX_DEBUG_ENTRIES} accepted", offset=self.view.base)
        raw = self.read_rva(d.rva, count * _DEBUG_DIR.size, "debug directory")
        out = []
        for i in range(count):
            _ch, _ts, _maj, _min, typ, size, rva, ptr = _DEBUG_DIR.unpack_from(raw, i * _DEBUG_DIR.size)
            out.append((typ, size, rva, ptr))
        return tuple(out)

    @cached_property
    def codeview(self) -> CodeView | None:
        """The first CodeView record (read at its file offset, as debuggers do), if any."""
        for typ, size, _rva, ptr in self.debug_entries:
            if typ != IMAGE_DEBUG_TYPE_CODEVIEW or size < 4 or not ptr:
                continue
            v = self.view
            sig = v.bytes(ptr, 4, "CodeView record")
            if sig == b"RSDS" and size >= 24:
                g = v.bytes(ptr + 4, 16, "CodeView GUID")
                d1, d2, d3 = struct.unpack_from("<IHH", g)
                guid = f"{d1:08x}-{d2:04x}-{d3:04x}-{g[8:10].hex()}-{g[10:16].hex()}"
                age, path_off = v.u32(ptr + 20), ptr + 24
            elif sig == b"NB10" and size >= 16:
                guid, age, path_off = f"{v.u32(ptr + 8):08x}", v.u32(ptr + 12), ptr + 16
            else:
                continue
            limit = min(NAME_LIMIT, ptr + size - path_off)
            path = v.sub(path_off, limit, "PDB path").cstring(0, limit, "PDB path") if limit > 0 else ""
            return CodeView(sig.decode(), guid, age, path)
        return None

    # -- Go ---------------------------------------------------------------------------------------------
    @cached_property
    def go_build_id(self) -> str | None:
        v = self.view
        try:
            return buildid.find_raw(v.bytes(0, min(v.size, buildid.READ_SIZE), "Go build ID"))
        except Malformed as e:
            raise Malformed(e.message, offset=v.base + e.offset) from None

    # -- facts -----------------------------------------------------------------------------------------
    @property
    def pe_type(self) -> str:
        if self.is_object:
            return "object"
        return "shared-library" if self.characteristics & IMAGE_FILE_DLL else "executable"

    @property
    def linkage(self) -> str | None:
        if self.is_object or not self.section_table_ok:
            return None
        return "dynamic" if self.needed or self.delay_needed else "static"

    @property
    def os_name(self) -> str:
        return "efi" if self.subsystem in EFI_SUBSYSTEMS else "windows"

    @property
    def stripped(self) -> bool:
        return not (self.symtab_offset and self.symbol_count)

    @property
    def debug_info(self) -> bool:
        if any(s.name in (".debug_info", ".zdebug_info") for s in self.pe_sections):
            return True
        for typ, size, _rva, ptr in self.debug_entries:
            if not size or not ptr:
                continue
            if typ in (IMAGE_DEBUG_TYPE_COFF, IMAGE_DEBUG_TYPE_EMBEDDED_PORTABLE_PDB):
                return True
            if typ == IMAGE_DEBUG_TYPE_CODEVIEW and size >= 4 and self.view.bytes(ptr, 4, "CodeView record") in (
                    b"NB09", b"NB11"):
                return True
        return False

    @property
    def soname(self) -> str | None:
        return self.export_name if self.pe_type == "shared-library" else None

    # -- where the bytes go, what stripping saves (the verbs of formats.base) --------------------
    def size_regions(self, functab=None) -> list[tuple[int, int, int, str]]:
        regions = [(0, self.size_of_headers or 0, P_HEADER, "headers")]
        if self.e_lfanew is not None:
            end = self.e_lfanew + 24 + self.optional_header_size + 40 * len(self.pe_sections)
            regions.append((0, end, P_HEADER, "headers"))
        for s in self.pe_sections:
            if s.raw_offset and s.raw_size:
                regions.append((s.raw_offset, s.raw_offset + s.raw_size, P_SECTION, _section_category(s)))
        # No section names Go's table: it is found by its header inside the read-only data.
        ft = functab() if functab is not None else None
        if ft is not None:
            regions.append((ft[0], ft[0] + ft[1], P_INNER, "pclntab"))
        coff = self._coff_symbols_extent()
        if coff is not None:
            regions.append((*coff, P_SECTION, "symtab"))
        dirs = self.data_directories
        if len(dirs) > DIR_SECURITY and dirs[DIR_SECURITY].size:   # a file offset, not an RVA
            cert = dirs[DIR_SECURITY]
            regions.append((cert.rva, cert.rva + cert.size, P_INNER, "signature"))
        return regions

    def _coff_symbols_extent(self) -> tuple[int, int] | None:
        """(start, end) of the COFF symbol table and the string table after it (its first u32 is
        its size), or None when the header names none."""
        if not (self.symtab_offset and self.symbol_count):
            return None
        start = self.symtab_offset
        end = start + 18 * self.symbol_count
        if end + 4 <= self.view.size:
            end += max(4, self.view.u32(end))
        return start, end

    def strip_saving(self, relink: Relink) -> int | None:
        """Go's internal linker and mingw ld relinking without symbols and DWARF: the DWARF sections
        go (each occupies its file-aligned raw size); the COFF symbol table section keeps only its
        4-byte string-table size (one file-aligned block). Go's linker always reserves room for 16
        section headers (its PEFILEHEADR), so its SizeOfHeaders stays; binutils (mingw ld, GNU
        strip) writes the headers again in its own layout, sized for the sections that remain."""
        falign = self.file_alignment or 512
        removed = [s for s in self.pe_sections if s.name.startswith(DEBUG_SECTION_PREFIXES)]
        symtab = self.section(".symtab")
        saving = sum(s.raw_size for s in removed if s.raw_offset)
        if symtab is not None and symtab.raw_offset:
            saving += max(0, symtab.raw_size - align_up(4, falign))
        else:
            # A COFF symbol table outside any section (mingw): it and its string table go.
            coff = self._coff_symbols_extent()
            if coff is not None:
                saving += max(0, min(coff[1], self.view.size) - coff[0])
        if not saving:
            return None
        if relink.go and relink.buildinfo_growth and (self._go_rdata_may_grow_a_block(relink.buildinfo_growth, falign)
                                                      or self._go_data_may_grow_a_block(relink.buildinfo_growth, falign)):
            return None
        if not relink.go_internal and self.e_lfanew is not None and self.size_of_headers:
            # binutils rewrites the headers to fit the sections that remain, in its own layout: its
            # 128-byte MZ stub (e_lfanew 0x80, whatever the input's), then a full optional header.
            table = BFD_E_LFANEW + 24 + (_OPT64 if self.bits == 64 else _OPT32).size + 8 * 16
            new_hdr = align_up(table + 40 * (len(self.pe_sections) - len(removed)), falign)
            # Negative when the input's headers were packed tighter than that (an MZ stub under 128
            # bytes, fewer data directories) and need one more block; what the removed parts save
            # pays for it, and a file that only grows saves nothing.
            saving += self.size_of_headers - max(new_hdr, falign)
        return max(0, saving)

    def _go_rdata_may_grow_a_block(self, growth: int, falign: int) -> bool:
        """Whether a Go relink may add a file-alignment block to .rdata's raw data (its virtual size
        rounded up), where runtime.modinfo.str (the module text between its sentinels, and a NUL)
        grows with the text. cmd/link orders the read-only symbols by size, those over 32 bytes
        aligned to Maxalign (32): when a larger symbol follows the string, what follows moves by
        the string's growth rounded to 32 bytes (0 or 32); when the string is the largest, by its
        growth and then the realignment of the tables after it (go 1.27.3's windows/386 hello,
        padded past 2 KiB of text: .rdata's end moves by 8). The symbols are not read, so .rdata's
        end moves by 0 to the growth rounded to 32 bytes (32: a setting grows by 23 bytes at most): a
        block is added when the end is within that of one, or on one, and then the prediction is
        unknown; else never."""
        rdata = self.section(".rdata")
        most = align_up(growth, 32)
        return rdata is not None and align_up(rdata.virtual_size + most, falign) != align_up(rdata.virtual_size, falign)

    def _go_data_may_grow_a_block(self, growth: int, falign: int) -> bool:
        """Whether a Go relink may add a file-alignment block to the raw data of the section that holds
        the build-info blob (.data, where Go's linker puts it first), whose inline module text grows
        by ``growth``: what follows the blob moves by 0 to the growth rounded to 32 bytes (Maxalign),
        and so does the end of the initialized data: the section's virtual size where that holds no
        zero-fill (mingw), else runtime.edata in the COFF symbol table (Go's linker counts .bss in
        .data's virtual size). True when that end is within the move of a block, or not known."""
        sec = self._go_data_section()
        if sec is None or search_magic(self, self.image_base + sec.virtual_address, sec.virtual_size) is None:
            return False                                # no blob there: nothing in it grows
        if sec.virtual_size <= sec.raw_size:
            end = sec.virtual_size
        else:
            sym = self._coff_symbol(b"runtime.edata")
            if sym is None or sym[0] != self.pe_sections.index(sec) + 1:   # COFF section numbers count from 1
                return True
            end = sym[1]
        return align_up(end + align_up(growth, 32), falign) != align_up(end, falign)

    def _coff_symbol(self, name: bytes) -> tuple[int, int] | None:
        """(section number, value) of the first COFF symbol whose long name (in the string table) is
        ``name``, or None."""
        strtab = self._strtab           # None unless the symbol table before it is in the file
        if strtab is None:
            return None
        k = strtab.find(name + b"\0", 4)
        while k > 4 and strtab.u8(k - 1):                # the tail of a longer name
            k = strtab.find(name + b"\0", k + 1)
        if k < 0:
            return None
        table = self.view.bytes(self.symtab_offset, COFF_SYMBOL_SIZE * self.symbol_count)
        key = b"\0\0\0\0" + struct.pack("<I", k)      # a long name: four zero bytes, its string's offset
        i = table.find(key)
        while i >= 0 and i % COFF_SYMBOL_SIZE:           # not at an entry's start
            i = table.find(key, i + 1)
        if i < 0:
            return None
        value, num = struct.unpack_from("<Ih", table, i + 8)
        return num, value

    def facts(self, summary: bool = False) -> dict:
        a = self.attempt
        needed = a("import directory", lambda: self.needed)
        linkage = a("delay-load import directory", lambda: self.linkage) if needed is not None else None
        return dict(
            format="pe", arch=self.arch, bits=self.bits, endian="little", os=self.os_name,
            type=self.pe_type, linkage=linkage, interpreter=None, needed=needed or (),
            rpath=(), runpath=(), soname=a("export directory", lambda: self.soname), stripped=self.stripped,
            debug_info=a("debug directory", lambda: self.debug_info) if self.section_table_ok else None,
            gnu_build_id=None, go_build_id=a("Go build ID", lambda: self.go_build_id),
        )


def _section_category(s: PeSection) -> str:
    """The size category (formats.base.SIZE_CATEGORIES) of a section with raw data."""
    name, c = s.name, s.characteristics
    if name.startswith(DEBUG_SECTION_PREFIXES):
        return "dwarf"
    if name == ".symtab":
        return "symtab"
    if name == ".reloc":
        return "relocations"
    if name in (".idata", ".didat", ".edata"):
        return "dynamic"
    if name in (".pdata", ".xdata", ".rsrc", ".tls"):
        return "other"
    if c & (IMAGE_SCN_CNT_CODE | IMAGE_SCN_MEM_EXECUTE):
        return "code"
    if c & IMAGE_SCN_MEM_WRITE:
        return "data"
    if c & IMAGE_SCN_CNT_INITIALIZED_DATA:
        return "rodata"
    return "other"

def parse(view: ByteView) -> PEImage:
    return PEImage(view)
