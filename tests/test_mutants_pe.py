"""Rules of linkscope.formats.pe that mutation testing (scripts/mutation.py) showed no test pinned down.

test_pe.py checks the records of real files and damaged input by error type and message; here:
the verbs the layers above use and no PE test called (load_segments, file_section, section,
os_floor, imported_symbols), every header field of a sample as Go's debug/pe reads it (and the
defaults when there is no optional header), the edges of the headers (the MZ stub's 64 bytes,
e_lfanew at the end of the view, NE/LE/LX, an optional header exactly as long as its fixed part,
the data-directory count capped three ways), long section names (base64 digits, non-ASCII digits,
names that are not UTF-8), and the byte-exact edges of RVA reads and C strings: the mapped
headers, the end of a section's raw data, its zero-filled tail, the end of the file.

Expected values: debug/pe's file_test.go (the section and header tables of its testdata samples,
written here as Go's test has them), ``objdump -p`` for the imports, and the PE/COFF specification
for the layout of tests/crafted.make_pe images (headers at 0..0x400, one section at RVA 0x1000 and
file offset 0x400, IMAGE_SCN_MEM_* bits); never linkscope's output.
"""
from __future__ import annotations

import struct

import pytest

import buildkit
import reference
from crafted import SECT_OFF, SECT_RVA, Blob, delay_directory, import_directory, make_pe, off_of

from linkscope.byteview import ByteView
from linkscope.errors import Malformed, Truncated, UnsupportedFormat
from linkscope.formats import pe
from linkscope.model import LoadSegment, OsFloor, Section

TESTDATA = buildkit.go_root() / "src" / "debug" / "pe" / "testdata"
FILE_HDR = 0x44                # make_pe: e_lfanew 0x40, then "PE\0\0"
OPT_HDR = FILE_HDR + 20
SECT_HDR = OPT_HDR + 240       # PE32+ with 16 data directories
R, W, X = 0x40000000, 0x80000000, 0x20000000   # IMAGE_SCN_MEM_READ, _WRITE, _EXECUTE


def load(data: bytes, **kw) -> pe.PEImage:
    return pe.parse(ByteView(bytes(data), **kw))


def error_of(fn, *args):
    with pytest.raises((Malformed, Truncated, UnsupportedFormat)) as e:
        fn(*args)
    return type(e.value), e.value.message, e.value.offset


def patched(data: bytearray, off: int, fmt: str, *vals) -> bytearray:
    out = bytearray(data)
    struct.pack_into(fmt, out, off, *vals)
    return out


# -- debug/pe's own tables for its samples ------------------------------------------------------------
# file_test.go, gcc-amd64-mingw-exec: SectionHeader{Name, VirtualSize, VirtualAddress, Size,
# Offset, PointerToRelocations, PointerToLineNumbers, NumberOfRelocations, NumberOfLineNumbers,
# Characteristics}; ImageBase 0x400000.
AMD64_EXEC_SECTIONS = [
    (".text", 0x6860, 0x1000, 0x6a00, 0x600, 0x0, 0x0, 0x0, 0x0, 0x60500020),
    (".data", 0xe0, 0x8000, 0x200, 0x7000, 0x0, 0x0, 0x0, 0x0, 0xc0500040),
    (".rdata", 0x6b0, 0x9000, 0x800, 0x7200, 0x0, 0x0, 0x0, 0x0, 0x40600040),
    (".pdata", 0x498, 0xa000, 0x600, 0x7a00, 0x0, 0x0, 0x0, 0x0, 0x40300040),
    (".xdata", 0x488, 0xb000, 0x600, 0x8000, 0x0, 0x0, 0x0, 0x0, 0x40300040),
    (".bss", 0x1410, 0xc000, 0x0, 0x0, 0x0, 0x0, 0x0, 0x0, 0xc0600080),
    (".idata", 0x990, 0xe000, 0xa00, 0x8600, 0x0, 0x0, 0x0, 0x0, 0xc0300040),
    (".CRT", 0x68, 0xf000, 0x200, 0x9000, 0x0, 0x0, 0x0, 0x0, 0xc0400040),
    (".tls", 0x48, 0x10000, 0x200, 0x9200, 0x0, 0x0, 0x0, 0x0, 0xc0600040),
    (".debug_aranges", 0x600, 0x11000, 0x600, 0x9400, 0x0, 0x0, 0x0, 0x0, 0x42500040),
    (".debug_info", 0x1316e, 0x12000, 0x13200, 0x9a00, 0x0, 0x0, 0x0, 0x0, 0x42100040),
    (".debug_abbrev", 0x2ccb, 0x26000, 0x2e00, 0x1cc00, 0x0, 0x0, 0x0, 0x0, 0x42100040),
    (".debug_line", 0x3c4d, 0x29000, 0x3e00, 0x1fa00, 0x0, 0x0, 0x0, 0x0, 0x42100040),
    (".debug_frame", 0x18b8, 0x2d000, 0x1a00, 0x23800, 0x0, 0x0, 0x0, 0x0, 0x42400040),
    (".debug_str", 0x396, 0x2f000, 0x400, 0x25200, 0x0, 0x0, 0x0, 0x0, 0x42100040),
    (".debug_loc", 0x13240, 0x30000, 0x13400, 0x25600, 0x0, 0x0, 0x0, 0x0, 0x42100040),
    (".debug_ranges", 0xa70, 0x44000, 0xc00, 0x38a00, 0x0, 0x0, 0x0, 0x0, 0x42100040),
]
# gcc-amd64-mingw-obj (no optional header): its two sections with relocations, .text and .pdata
AMD64_OBJ_TEXT = (".text", 0x0, 0x0, 0x30, 0x104, 0x15c, 0x0, 0x3, 0x0, 0x60500020)
AMD64_OBJ_PDATA = (".pdata", 0x0, 0x0, 0xc, 0x150, 0x17a, 0x0, 0x3, 0x0, 0x40300040)


def _pe_section(name, vsize, va, size, off, relocs, _lines, nrelocs, _nlines, chars) -> pe.PeSection:
    return pe.PeSection(name, vsize, va, size, off, relocs, nrelocs, chars)


@pytest.fixture(scope="module")
def amd64_exec() -> pe.PEImage:
    return load((TESTDATA / "gcc-amd64-mingw-exec").read_bytes())


def test_section_table_as_debug_pe_reads_it(amd64_exec):
    assert amd64_exec.pe_sections == tuple(_pe_section(*s) for s in AMD64_EXEC_SECTIONS)
    obj = load((TESTDATA / "gcc-amd64-mingw-obj").read_bytes())
    assert (obj.pe_sections[0], obj.pe_sections[5]) == (_pe_section(*AMD64_OBJ_TEXT), _pe_section(*AMD64_OBJ_PDATA))


def test_load_segments_map_each_section_at_image_base_plus_its_rva(amd64_exec):
    """The loader maps VirtualSize bytes (SizeOfRawData when that is 0) at ImageBase + RVA, of which
    SizeOfRawData come from the file (none without PointerToRawData); the MEM_* bits give the access."""
    want = tuple(LoadSegment(name, 0x400000 + va, off, size if off else 0, vsize or size,
                             bool(ch & R), bool(ch & W), bool(ch & X))
                 for name, vsize, va, size, off, *_, ch in AMD64_EXEC_SECTIONS)
    assert amd64_exec.load_segments() == want
    assert want[0] == LoadSegment(".text", 0x401000, 0x600, 0x6a00, 0x6860, True, False, True)
    assert want[5] == LoadSegment(".bss", 0x40c000, 0, 0, 0x1410, True, True, False)


def test_file_section_and_section_by_name(amd64_exec):
    assert amd64_exec.file_section(".text") == Section(".text", 0x401000, 0x600, 0x6a00, "code")
    assert amd64_exec.file_section(".rdata") == Section(".rdata", 0x409000, 0x7200, 0x800, "data")
    assert amd64_exec.file_section(".bss") == Section(".bss", 0x40c000, 0, 0, "bss")
    assert amd64_exec.file_section(".debug_info") == Section(".debug_info", 0x412000, 0x9a00, 0x13200, "data")
    assert amd64_exec.file_section(".nothing") is None
    assert amd64_exec.section(".idata") == _pe_section(*AMD64_EXEC_SECTIONS[6])
    assert amd64_exec.section(".nothing") is None


def test_optional_header_fields_as_debug_pe_reads_them(amd64_exec):
    # OptionalHeader64{0x20b, 0x2, 0x16, 0x6a00, 0x2400, 0x1600, 0x14e0, 0x1000, 0x400000, 0x1000, 0x200,
    # 0x4, 0x0, 0x0, 0x0, 0x5, 0x2, 0x0, 0x45000, 0x600, 0x46f19, 0x3, 0x0, ..., 0x10}
    img = amd64_exec
    assert (img.magic, img.linker_version, img.entry, img.image_base, img.section_alignment, img.file_alignment,
            img.os_version, img.subsystem_version, img.size_of_image, img.size_of_headers, img.checksum,
            img.subsystem, img.dll_characteristics, img.number_of_rva_and_sizes) == (
        0x20b, (2, 0x16), 0x14e0, 0x400000, 0x1000, 0x200, (4, 0), (5, 2), 0x45000, 0x600, 0x46f19, 3, 0, 0x10)
    assert img.os_floor() == OsFloor("Windows NT", "5.2", "subsystem version 5.2")


def test_an_object_has_no_optional_header_fields():
    """debug/pe: OptionalHeader is nil for gcc-amd64-mingw-obj; every field then reads as zero."""
    data = (TESTDATA / "gcc-amd64-mingw-obj").read_bytes()
    img = load(data)
    assert (img.is_object, img.e_lfanew, img.magic, img.subsystem, img.entry, img.image_base, img.linker_version,
            img.os_version, img.subsystem_version, img.section_alignment, img.file_alignment, img.size_of_image,
            img.size_of_headers, img.checksum, img.number_of_rva_and_sizes, img.data_directories) == (
        True, None, None, None, 0, 0, (0, 0), (0, 0), (0, 0), 0, 0, 0, 0, 0, 0, ())
    assert img.os_floor() is None
    # An object's .text is at RVA 0 (ImageBase 0): address 0 is its first byte (debug/buildinfo's rule).
    assert img.read_vaddr(0, 16) == data[0x104:0x114]


def test_subsystem_version_zero_gives_no_os_floor():
    data = make_pe()
    assert load(data).os_floor() == OsFloor("Windows NT", "6.0", "subsystem version 6.0")   # make_pe writes 6.0
    assert load(patched(data, OPT_HDR + 48, "<HH", 0, 3)).os_floor() is None      # MajorSubsystemVersion 0


def test_imported_symbols_are_objdumps_names_with_their_dll():
    path = TESTDATA / "gcc-386-mingw-exec"
    want = [(name, f"{name} ({dll})") for dll, funcs in reference.objdump_pe_imports(path).items() for _hint, name in funcs]
    assert list(load(path.read_bytes()).imported_symbols()) == want
    b = Blob()
    imp = import_directory(b, [("a.dll", [5, "f"])], 64)   # an import by ordinal has no name to give
    assert list(load(make_pe(b, dirs={1: (imp, 40)})).imported_symbols()) == [("f", "f (a.dll)")]


def test_not_imported_names_the_dll():
    with pytest.raises(KeyError) as e:
        load((TESTDATA / "gcc-386-mingw-exec").read_bytes()).imported_functions("user32.dll")
    assert e.value.args == ("user32.dll",)


# -- the headers' edges ---------------------------------------------------------------------------------
def _mz64(lfarlc: int = 0x40) -> bytearray:
    """A 64-byte MZ stub whose e_lfanew (0x40) points at the end of the file."""
    out = bytearray(64)
    out[0:2] = b"MZ"
    struct.pack_into("<H", out, 0x18, lfarlc)
    struct.pack_into("<I", out, 0x3C, 0x40)
    return out


@pytest.mark.parametrize("data,want", [
    (b"MZ", (Truncated, "MZ header needs 64 bytes, file has 2", 0)),
    (_mz64(), (Truncated, "PE signature and COFF header (e_lfanew) needs 24 bytes, 0 available", 0x40)),
    (_mz64(0x1C), (UnsupportedFormat, "MS-DOS executable without a PE header", 0)),
    (b"\x64\x86" + bytes(8), (Truncated, "COFF file header needs 20 bytes, 10 available", 0)),
    (patched(make_pe(), 0x40, "4s", b"NE\x05\x0a"), (UnsupportedFormat, "NE executable (16-bit Windows, OS/2 or VxD), not PE", 0x40)),
    (patched(make_pe(), 0x40, "4s", b"LE\x00\x00"), (UnsupportedFormat, "LE executable (16-bit Windows, OS/2 or VxD), not PE", 0x40)),
    (patched(make_pe(), 0x40, "4s", b"LX\x00\x00"), (UnsupportedFormat, "LX executable (16-bit Windows, OS/2 or VxD), not PE", 0x40)),
    (patched(make_pe(), FILE_HDR + 16, "<H", 1), (Malformed, "optional header of 1 bytes has no magic", OPT_HDR)),
    (patched(make_pe(), FILE_HDR + 16, "<H", 2), (Malformed, "optional header of 2 bytes, PE32+ needs 112", OPT_HDR)),
    (patched(make_pe(bits=32), FILE_HDR + 16, "<H", 40), (Malformed, "optional header of 40 bytes, PE32 needs 96", OPT_HDR)),
], ids=["mz-only", "mz-64-bytes", "dos", "coff-cut", "ne", "le", "lx", "opt-1", "opt-2", "opt32-40"])
def test_header_errors_whole(data, want):
    assert error_of(load, data) == want


def test_e_lfanew_at_the_end_of_the_view_reads_nothing_after_it():
    """The signature is read inside the file's view only: bytes after it (here "NE", in the same
    buffer) are not the file's, so a DOS stub whose e_lfanew points at its end is plain MS-DOS."""
    buf = bytes(16) + bytes(_mz64(0x1C)) + b"NE\x05\x0a" + bytes(60)
    assert error_of(lambda: pe.parse(ByteView(buf, base=16, size=64))) == (
        UnsupportedFormat, "MS-DOS executable without a PE header", 16)


def test_e_lfarlc_does_not_matter_once_the_pe_signature_is_there():
    """Only a file without "PE\\0\\0" at e_lfanew is judged by e_lfarlc (Windows loads a PE whatever it holds)."""
    img = load(patched(make_pe(), 0x18, "<H", 0))
    assert img.facts()["format"] == "pe" and img.pe_type == "executable"


def test_an_image_with_or_without_the_mz_stub_is_not_an_object():
    assert load(patched(make_pe(), FILE_HDR + 16, "<H", 0)).pe_type == "executable"   # MZ, no optional header
    coff = bytes(make_pe()[FILE_HDR:])                                               # optional header, no MZ
    assert load(coff).pe_type == "executable"


def test_optional_header_of_exactly_its_fixed_size_has_no_data_directories():
    img = load(make_pe(nrva=0))           # SizeOfOptionalHeader 112: PE32+'s fields up to NumberOfRvaAndSizes
    assert (img.magic, img.number_of_rva_and_sizes, img.data_directories) == (0x20b, 0, ())


def test_data_directory_count_is_capped_by_the_count_the_16_and_the_header_size():
    dirs = {i: (0x1000 + i, i) for i in range(16)}
    more = patched(patched(make_pe(dirs=dirs), FILE_HDR + 16, "<H", 112 + 8 * 20), OPT_HDR + 108, "<I", 20)
    img = load(more)                      # room for 20 entries, 20 declared: the loader reads 16
    assert img.number_of_rva_and_sizes == 20 and len(img.data_directories) == 16
    fewer = load(patched(make_pe(dirs=dirs), OPT_HDR + 108, "<I", 3))     # room for 16, 3 declared
    assert [(d.rva, d.size) for d in fewer.data_directories] == [(0x1000, 0), (0x1001, 1), (0x1002, 2)]
    cut = load(patched(make_pe(dirs=dirs), FILE_HDR + 16, "<H", 112 + 36))   # 16 declared, room for 4.5
    assert [(d.rva, d.size) for d in cut.data_directories] == [(0x1000, 0), (0x1001, 1), (0x1002, 2), (0x1003, 3)]


# -- long and odd section names ---------------------------------------------------------------------------
@pytest.mark.parametrize("raw,strtab,want", [
    (b"//AAAABA", bytes(60) + b".debug_info\0", ".debug_info"),   # base64 64: two digits
    (b"//BAAAAE", b".debug_info\0", "//BAAAAE"),                  # 64**5 + 4: past the table, kept raw
    ("/\u0664".encode(), b".debug_info\0", "/\u0664"),             # not ASCII digits (int() would take them)
    (b".t\xffx", b"", ".t\udcffx"),                                # not UTF-8: kept as its bytes
])
def test_section_names(raw, strtab, want):
    assert load(make_pe(long_name=raw, strtab=strtab)).pe_sections[0].name == want


# -- RVA reads and C strings at their edges -----------------------------------------------------------------
def _image(fill: bytes = b"A" * 0x200, vsize: int | None = None) -> bytearray:
    """make_pe with one section of ``fill`` (raw data at 0x400..0x600, RVA 0x1000), VirtualSize ``vsize``."""
    b = Blob()
    b.add(fill)
    return make_pe(b, vsize=vsize)


def test_read_rva_edges():
    img = load(_image(bytes(range(256)) * 2, vsize=0x2000))
    assert error_of(img.read_rva, 0x50000, 4) == (Malformed, "data at RVA 0x50000 is not in any section", 0)
    assert img.read_rva(SECT_RVA + 0x1FE, 4) == b"\xfe\xff\0\0"        # raw data, then the zero-filled tail
    assert img.read_rva(SECT_RVA + 0x300, 4) == bytes(4)                # the tail: no file bytes behind it
    assert error_of(img.read_rva, SECT_RVA + 0x1FF0, 32) == (
        Malformed, "data at RVA 0x2ff0 runs past the end of its section", SECT_OFF + 0x1FF0)
    assert error_of(img.read_rva, SECT_RVA + 0x2000, 1) == (Malformed, "data at RVA 0x3000 is not in any section", 0)
    assert img.rva_to_offset(SECT_RVA + 0x1FF) == SECT_OFF + 0x1FF
    assert img.rva_to_offset(SECT_RVA + 0x200) is None                 # the tail is not in the file
    # The headers are mapped too: RVA 0 up to SizeOfHeaders (0x400).
    assert img.read_rva(0, 2) == b"MZ" and img.rva_to_offset(0x10) == 0x10
    assert error_of(img.read_rva, 0x3F0, 32) == (Malformed, "data at RVA 0x3f0 runs past the end of its section", 0x3F0)
    assert error_of(img.read_rva, 0x400, 1) == (Malformed, "data at RVA 0x400 is not in any section", 0)


def test_read_rva_of_a_section_cut_by_the_end_of_the_file():
    img = load(_image()[:SECT_OFF + 0x80])
    assert error_of(img.read_rva, SECT_RVA, 0x100) == (Truncated, "data needs 256 bytes, 128 available", SECT_OFF)


def test_a_section_without_file_data_is_not_in_the_file():
    data = patched(_image(), SECT_HDR + 20, "<I", 0)          # PointerToRawData 0, SizeOfRawData still 0x200
    img = load(data)
    assert img.rva_to_offset(SECT_RVA) is None
    assert img.read_rva(SECT_RVA, 4) == bytes(4)


def test_cstring_rva_edges():
    tail = load(_image(b"\xff\xfeab\0" + b"A" * 0x1FB, vsize=0x2000))
    assert tail.cstring_rva(SECT_RVA) == "\udcff\udcfeab"
    assert tail.cstring_rva(SECT_RVA + 0x1F0) == "A" * 16                # ended by the zero-filled tail
    assert tail.cstring_rva(SECT_RVA + 0x300) == ""                     # inside the tail
    assert error_of(tail.cstring_rva, SECT_RVA + 0x1F0, 16) == (
        Malformed, "string at RVA 0x11f0 not terminated within 16 bytes", SECT_OFF + 0x1F0)
    assert error_of(tail.cstring_rva, 0x50000) == (Malformed, "string at RVA 0x50000 is not in any section", 0)
    no_tail = load(_image())
    assert error_of(no_tail.cstring_rva, SECT_RVA + 0x1F0) == (
        Malformed, "string at RVA 0x11f0 not terminated within 16 bytes", SECT_OFF + 0x1F0)
    cut = load(_image()[:SECT_OFF + 0x80])
    assert error_of(cut.cstring_rva, SECT_RVA + 0x80) == (
        Truncated, "string at RVA 0x1080 lies beyond the end of the file", SECT_OFF + 0x80)
    assert error_of(cut.cstring_rva, SECT_RVA + 0x70, 16) == (
        Malformed, "string at RVA 0x1070 not terminated within 16 bytes", SECT_OFF + 0x70)
    assert error_of(cut.cstring_rva, SECT_RVA + 0x70) == (
        Truncated, "string at RVA 0x1070 is cut off by the end of the file", SECT_OFF + 0x70)


def test_cstring_in_the_headers_ends_with_them():
    data = patched(_image(b"\0" * 0x200), 0x3F0, "16s", b"A" * 16)    # up to SizeOfHeaders, then a NUL
    assert error_of(load(data).cstring_rva, 0x3F0) == (Malformed, "string at RVA 0x3f0 not terminated within 16 bytes", 0x3F0)


def test_vaddr_span_edges(amd64_exec):
    # .text: RVA 0x1000, 0x6a00 bytes of raw data; the next section (.data) is at 0x8000.
    assert amd64_exec.read_vaddr(0x401000 + 0x6a00 - 1, 16) is not None
    assert amd64_exec.vaddr_span(0x401000 + 0x6a00 - 1, 16) == (0x600 + 0x6a00 - 1, 1)
    assert amd64_exec.vaddr_span(0x401000 + 0x6a00, 16) is None
    # vmlinuz: .setup's raw data (0x200, 0x41e0 bytes) starts past the 474 bytes the file holds.
    vmlinuz = load((TESTDATA / "vmlinuz-4.15.0-47-generic").read_bytes())
    assert vmlinuz.vaddr_span(0x200, 16) == (0x200, 0) and vmlinuz.read_vaddr(0x200, 16) == b""
    cut = load(_image()[:SECT_OFF + 0x100])
    assert cut.vaddr_span(0x140000000 + SECT_RVA, 0x200) == (SECT_OFF, 0x100)


# -- imports: what each failed read is called, and where the lists end ---------------------------------------
def _warnings(img) -> list[tuple]:
    img.facts()
    return [(w.table, w.kind, w.message, w.offset) for w in img.warnings]


def test_import_descriptor_cut_by_the_end_of_the_file():
    b = Blob()
    imp = import_directory(b, [("KERNEL32.dll", ["ExitProcess"])], 64)
    img = load(make_pe(b, dirs={1: (imp, 40)})[:off_of(imp) + 10])
    assert _warnings(img) == [("import directory", "truncated", "import descriptor needs 20 bytes, 10 available", off_of(imp))]
    assert img.facts()["linkage"] is None


def test_failed_imports_are_one_warning_and_no_linkage():
    b = Blob()
    import_directory(b, [("KERNEL32.dll", ["ExitProcess"])], 64)
    img = load(make_pe(b, dirs={1: (0x50000, 40)}))   # the directory's RVA is in no section
    assert _warnings(img) == [("import directory", "malformed", "import directory at RVA 0x50000 is not in any section", 0)]


def test_failed_delay_imports_and_exports_are_named_in_facts():
    b = Blob()
    img = load(make_pe(b, dll=True, dirs={0: (0x50000, 40), 13: (0x60000, 32)}))
    f = img.facts()
    assert (f["linkage"], f["soname"]) == (None, None)
    assert _warnings(img) == [
        ("delay-load import directory", "malformed", "delay-load directory at RVA 0x60000 is not in any section", 0),
        ("export directory", "malformed", "export directory at RVA 0x5000c is not in any section", 0)]


def test_unreadable_section_table_leaves_debug_info_unknown():
    img = load(patched(make_pe(), FILE_HDR + 2, "<H", 0xFFFF))
    f = img.facts()
    assert (f["linkage"], f["debug_info"]) == (None, None)


def test_failed_reads_of_a_functions_list_are_named():
    b = Blob()
    imp = import_directory(b, [("x.dll", ["f"])], 64)
    data = make_pe(b, dirs={1: (imp, 40)})
    ilt = struct.unpack_from("<I", data, off_of(imp))[0]
    no_table = load(patched(data, off_of(imp), "<I", 0x7FFF0000))
    assert error_of(no_table.imported_functions, "x.dll") == (
        Malformed, "import lookup table of x.dll at RVA 0x7fff0000 is not in any section", 0)
    no_hint = load(patched(data, off_of(ilt), "<Q", 0x7FFF0000))
    assert error_of(no_hint.imported_functions, "x.dll") == (
        Malformed, "import hint of x.dll at RVA 0x7fff0000 is not in any section", 0)
    # the hint is the last 2 bytes of the section (VirtualSize = its data): the name after it is nowhere
    end = SECT_RVA + len(b.data)
    no_name = patched(patched(data, off_of(ilt), "<Q", end - 2), SECT_HDR + 8, "<I", len(b.data))
    assert error_of(load(no_name).imported_functions, "x.dll") == (
        Malformed, f"function name imported from x.dll at RVA {end:#x} is not in any section", 0)


def test_too_many_functions_points_at_the_image(monkeypatch):
    monkeypatch.setattr(pe, "MAX_IMPORTED_FUNCTIONS", 8)
    b = Blob()
    imp = import_directory(b, [("x.dll", [1] * 20)], 64)
    assert error_of(load(make_pe(b, dirs={1: (imp, 40)})).imported_functions, "x.dll") == (
        Malformed, "more than 8 functions imported from x.dll", 0)


def test_delay_descriptors_are_rebased_only_in_the_va_form():
    """dlattrRva set: the fields are RVAs even when they are not below ImageBase (here ImageBase 0x1000,
    the section at RVA 0x1000); clear (VC6): VAs, ImageBase subtracted, so a VA equal to ImageBase is RVA 0."""
    b = Blob()
    dly = delay_directory(b, [("USER32.dll", ["MessageBoxA"])], 32, 0x1000)
    img = load(make_pe(b, bits=32, image_base=0x1000, dirs={13: (dly, 64)}))
    assert img.delay_needed == ("USER32.dll",)
    b = Blob()
    dly = b.add(struct.pack("<IIIIIIII", 0, 0x400000, 0, 0, 0, 0, 0, 0) + bytes(32))
    img = load(make_pe(b, bits=32, dirs={13: (dly, 64)}))
    assert img.delay_needed == ("MZ",)            # the name at RVA 0: the mapped headers' first bytes


def test_an_empty_string_at_file_offset_0():
    """A bare COFF image (no MZ stub, an optional header) maps its headers from file offset 0 too; with
    IMAGE_FILE_MACHINE_UNKNOWN (0) its first byte is a NUL: the string at RVA 0 is empty."""
    coff = patched(make_pe()[FILE_HDR:], 0, "<H", 0)
    assert load(coff).cstring_rva(0) == ""


def test_a_section_without_mem_read_is_not_readable():
    data = patched(_image(), SECT_HDR + 36, "<I", 0x00000040)    # Characteristics: initialized data, no MEM_* bits
    assert load(data).load_segments() == (LoadSegment(".idata", 0x140000000 + SECT_RVA, SECT_OFF, 0x200, 0x200,
                                                       False, False, False),)


# -- the size category of each section (written from the PE format's section names and flags) ---------------
_CODE, _IDATA, _EXEC, _READ, _WRITE = 0x20, 0x40, 0x20000000, 0x40000000, 0x80000000


@pytest.mark.parametrize("name,flags,want", [
    (".debug_info", _IDATA | _READ, "dwarf"), (".zdebug_line", _IDATA, "dwarf"), (".debug", _IDATA | _READ, "rodata"),
    (".symtab", _IDATA | _READ, "symtab"), (".symtab2", _IDATA | _READ, "rodata"),
    (".reloc", _IDATA | _READ, "relocations"), (".idata", _IDATA | _READ | _WRITE, "dynamic"),
    (".didat", _IDATA | _READ | _WRITE, "dynamic"), (".edata", _IDATA | _READ, "dynamic"),
    (".pdata", _IDATA | _READ, "other"), (".xdata", _IDATA | _READ, "other"), (".rsrc", _IDATA | _READ, "other"),
    (".tls", _IDATA | _READ | _WRITE, "other"),
    (".text", _CODE | _EXEC | _READ, "code"), (".textx", _CODE, "code"), (".x", _EXEC, "code"),
    (".data", _IDATA | _READ | _WRITE, "data"), (".bss2", _WRITE, "data"),
    (".rdata", _IDATA | _READ, "rodata"), (".rodata", _IDATA, "rodata"),
    (".odd", _READ, "other"), (".none", 0, "other"),
])
def test_section_categories(name, flags, want):
    s = pe.PeSection(name, 0x100, 0x1000, 0x200, 0x400, 0, 0, flags)
    assert pe._section_category(s) == want


# -- where the bytes go: the regions of a PE file, counted from the layout make_pe writes ---------------------
@pytest.mark.parametrize("bits", [64, 32])
def test_size_regions_of_every_part(bits):
    """SizeOfHeaders; the headers as written (MZ stub to the end of the section table: e_lfanew, the
    4-byte signature and 20-byte file header, the optional header, 40 bytes per section); each
    section's raw data by its category; Go's table inside them when given; the COFF symbols (18 bytes
    each) with the string table after them (its first u32 is its size, at least 4); the certificate
    table, whose directory entry holds a file offset."""
    from linkscope.formats.base import P_HEADER, P_INNER, P_SECTION
    blob = Blob()
    blob.add(b"x" * 0x30)
    data = make_pe(blob, bits=bits, strtab=b"abc\0", nsyms=2)
    opt_size = (112 if bits == 64 else 96) + 8 * 16
    symtab = SECT_OFF + 0x200
    cert = len(data) + 8
    data = make_pe(blob, bits=bits, strtab=b"abc\0", nsyms=2, dirs={4: (cert, 0x30)})
    img = load(data)
    want = [(0, SECT_OFF, P_HEADER, "headers"), (0, 0x40 + 24 + opt_size + 40, P_HEADER, "headers"),
            (SECT_OFF, SECT_OFF + 0x200, P_SECTION, "dynamic"),                 # make_pe's one section: .idata
            (symtab, symtab + 2 * 18 + 8, P_SECTION, "symtab"),
            (cert, cert + 0x30, P_INNER, "signature")]
    assert img.size_regions() == want
    assert img.size_regions(lambda: (SECT_OFF + 0x10, 0x20)) == want[:3] + [
        (SECT_OFF + 0x10, SECT_OFF + 0x30, P_INNER, "pclntab")] + want[3:]
    assert img.size_regions(lambda: None) == want


def test_coff_symbols_extent_edges():
    """A string table size under 4 counts as 4 (its own size field); a table cut before its size
    field ends at the symbols; no symbols or no offset: no table."""
    blob = Blob()
    blob.add(b"x" * 0x30)
    symtab = SECT_OFF + 0x200
    data = make_pe(blob, strtab=b"", nsyms=3)
    struct.pack_into("<I", data, symtab + 3 * 18, 1)
    assert load(data)._coff_symbols_extent() == (symtab, symtab + 3 * 18 + 4)
    assert load(bytes(data[:symtab + 3 * 18 + 3]))._coff_symbols_extent() == (symtab, symtab + 3 * 18)
    assert load(bytes(data[:symtab + 3 * 18 + 4]))._coff_symbols_extent() == (symtab, symtab + 3 * 18 + 4)
    struct.pack_into("<I", data, FILE_HDR + 12, 0)                 # NumberOfSymbols 0
    assert load(data)._coff_symbols_extent() is None
    data = make_pe(blob)
    assert load(data)._coff_symbols_extent() is None               # PointerToSymbolTable 0
    struct.pack_into("<I", data, FILE_HDR + 12, 5)
    assert load(data)._coff_symbols_extent() is None


def test_size_regions_without_a_certificate_directory():
    """Four data directories (export, import, resource, exception): there is no certificate entry to read."""
    blob = Blob()
    blob.add(b"x" * 0x30)
    img = load(make_pe(blob, nrva=4))
    assert len(img.data_directories) == 4
    assert [r[3] for r in img.size_regions()] == ["headers", "headers", "dynamic"]


@pytest.mark.parametrize("bits,nsyms,strtab", [(64, 3, b"abcdefgh\0"), (32, 1, b""), (64, 40, b"x" * 600),
                                               (32, 7, b"long_section_name\0y\0")])
def test_strip_saving_matches_gnu_strip_on_a_mingw_layout(tmp_path, bits, nsyms, strtab):
    """A COFF symbol table and its strings after the last section (as mingw ld writes them): GNU strip
    (which reads pei-x86-64 and pei-i386 here) drops them and shrinks SizeOfHeaders to the file
    alignment the remaining section headers need; the prediction is its saving to the byte."""
    import os
    import shutil
    import subprocess

    from linkscope.formats.base import Relink
    if not shutil.which("strip"):
        reference.tool_missing("GNU strip (binutils)")
    blob = Blob()
    blob.add(b"x" * 0x30)
    data = make_pe(blob, bits=bits, strtab=strtab, nsyms=nsyms)
    path = tmp_path / "t.exe"
    path.write_bytes(bytes(data))
    subprocess.run(["strip", str(path)], check=True)
    assert load(data).strip_saving(Relink()) == len(data) - os.path.getsize(path)


# -- binutils' header rewrite, with GNU strip as the reference: images of several sections ------------------
TEXT_SCN, DATA_SCN, DEBUG_SCN = 0x60000020, 0xC0000040, 0x42100040   # mingw's .text, .data, .debug_* flags
DEBUG_NAMES = (".debug_info", ".debug_abbrev", ".debug_line", ".debug_frame", ".debug_str", ".debug_aranges",
               ".debug_loc", ".debug_ranges", ".debug_a", ".debug_b", ".debug_c", ".debug_d")


def pe_layout(sections, *, bits: int = 64, e_lfanew: int = 0x80, nrva: int = 16, falign: int = 0x200,
              headers: int | None = None, nsyms: int = 0) -> bytearray:
    """A linked PE image of several sections, each ``(name, size, characteristics)``, laid out as a
    linker does: the MZ stub up to ``e_lfanew``, the headers in ``headers`` bytes (default: file-aligned
    to fit), each section's raw data file-aligned after them, at RVAs 0x1000 apart; names over 8
    bytes as ``/n`` into the COFF string table, which follows ``nsyms`` (zeroed) symbols after the
    last section, as mingw ld writes them."""
    opt_size = (112 if bits == 64 else 96) + 8 * nrva
    table = e_lfanew + 24 + opt_size
    hdr_size = headers if headers is not None else -(-(table + 40 * len(sections)) // falign) * falign
    strtab, shdrs, raw = bytearray(), [], bytearray()
    off, rva = hdr_size, SECT_RVA
    for name, size, chars in sections:
        nb = name.encode()
        if len(nb) > 8:
            nb = b"/%d" % (4 + len(strtab))
            strtab += name.encode() + b"\0"
        rsz = -(-size // falign) * falign
        shdrs.append(struct.pack("<8sIIIIIIHHI", nb, size, rva, rsz, off if rsz else 0, 0, 0, 0, 0, chars))
        raw += b"A" * size + bytes(rsz - size)
        off += rsz
        rva += -(-max(size, 1) // 0x1000) * 0x1000
    symptr = hdr_size + len(raw) if nsyms or strtab else 0
    common = (0x20B if bits == 64 else 0x10B, 2, 30, 0x200, 0x200, 0, SECT_RVA, SECT_RVA)
    tail = (0, rva, hdr_size, 0, 3, 0x160 if bits == 64 else 0x140, 0x200000, 0x1000, 0x100000, 0x1000, 0, nrva)
    if bits == 64:
        opt = struct.pack("<HBBIIIIIQIIHHHHHHIIIIHHQQQQII", *common, 0x140000000, 0x1000, falign, 4, 0, 0, 0, 5, 2, *tail)
    else:
        opt = struct.pack("<HBBIIIIIIIIIHHHHHHIIIIHHIIIIII", *common, SECT_RVA, 0x400000, 0x1000, falign, 4, 0, 0, 0, 5, 2,
                          *tail)
    fh = struct.pack("<HHIIIHH", 0x8664 if bits == 64 else 0x14C, len(sections), 0, symptr, nsyms, opt_size,
                     0x22 if bits == 64 else 0x102)
    out = bytearray(e_lfanew)
    out[0:2] = b"MZ"
    struct.pack_into("<H", out, 0x18, 0x40)
    struct.pack_into("<I", out, 0x3C, e_lfanew)
    out += b"PE\0\0" + fh + opt + bytes(8 * nrva) + b"".join(shdrs)
    out = out[:hdr_size] if len(out) > hdr_size else out + bytes(hdr_size - len(out))
    out += raw
    if symptr:
        out += bytes(18 * nsyms) + struct.pack("<I", 4 + len(strtab)) + strtab
    return out


def gnu_strip_saving(tmp_path, data: bytes) -> int:
    """What GNU strip takes off ``data``: the reference for the prediction (binutils reads
    pei-x86-64 and pei-i386 on any host)."""
    import os
    import shutil
    import subprocess

    if not shutil.which("strip"):
        reference.tool_missing("GNU strip (binutils)")
    path = tmp_path / "t.exe"
    path.write_bytes(bytes(data))
    subprocess.run(["strip", str(path)], check=True, capture_output=True)
    return len(data) - os.path.getsize(path)


def layouts():
    """The grid the header rewrite is checked on: the MZ stub of GNU ld (0x80), of make_pe (0x40)
    and of MSVC with its Rich header (0xE8); 1 to 9 kept sections and 0 to 12 debug ones, so the
    section table ends on both sides of a file-alignment block (32-bit, 5 kept sections after a
    0x40 stub end exactly at 512); file alignments 0x200 and 0x1000; 16 or 6 data directories."""
    for bits in (64, 32):
        for e_lfanew in (0x40, 0x80, 0xE8):
            for kept in (1, 3, 5, 9):
                for ndebug in (0, 1, 4, 12):
                    for falign, nrva in ((0x200, 16), (0x1000, 16), (0x200, 6)):
                        yield bits, e_lfanew, kept, ndebug, falign, nrva


def test_strip_saving_matches_gnu_strip_on_every_layout_of_the_grid(tmp_path):
    """binutils writes the headers again in its own layout (bfd/peXXigen.c: e_lfanew 0x80, an
    optional header with 16 directories, SizeOfHeaders file-aligned for the sections that remain),
    whatever the input's layout: the prediction is GNU strip's saving to the byte on every layout
    of the grid, and 0 where strip makes the file larger than it was."""
    from linkscope.formats.base import Relink
    grew = set()
    for bits, e_lfanew, kept, ndebug, falign, nrva in layouts():
        secs = [(".text", 0x300, TEXT_SCN)] + [(f".d{i}", 0x10, DATA_SCN) for i in range(kept - 1)]
        secs += [(name, 0x50 + i, DEBUG_SCN) for i, name in enumerate(DEBUG_NAMES[:ndebug])]
        data = pe_layout(secs, bits=bits, e_lfanew=e_lfanew, nrva=nrva, falign=falign, nsyms=7)
        want = gnu_strip_saving(tmp_path, data)
        if want < 0:
            grew.add((bits, e_lfanew, kept, ndebug, falign, nrva))
        got = load(data).strip_saving(Relink())
        assert got == max(0, want), (bits, hex(e_lfanew), kept, ndebug, hex(falign), nrva)
    # The stripped file grows where five section headers end within 512 bytes only because the
    # input's stub or optional header is shorter than binutils' (0x40 + 24 + 224 + 5 * 40 = 512;
    # 0x80 + 24 + 160 + 5 * 40 = 512 with 6 directories), which needs 1024.
    assert grew == {(32, 0x40, 5, 0, 0x200, 16), (32, 0x40, 5, 0, 0x200, 6), (32, 0x80, 5, 0, 0x200, 6),
                    (64, 0x40, 5, 0, 0x200, 6), (64, 0x80, 5, 0, 0x200, 6)}


@pytest.mark.parametrize("bits", [64, 32])
def test_strip_saving_header_table_ending_exactly_at_a_block(tmp_path, bits):
    """SizeOfHeaders 0x600 shrinks to the blocks binutils' table needs: for PE32+ three sections end
    exactly at 512 (0x80 + 24 + 240 + 3 * 40), so one byte or one section more is a block more;
    for PE32 four end at 536; sixteen end at 1032 for PE32+ (three blocks) and 1016 for PE32 (two),
    where the 16 bytes between the optional headers decide. GNU strip is the reference."""
    from linkscope.formats.base import Relink
    for kept, ndebug in ((3, 1), (3, 2), (4, 1), (2, 5), (16, 1)):
        secs = [(".text", 0x100, TEXT_SCN)] + [(f".d{i}", 0x10, DATA_SCN) for i in range(kept - 1)]
        secs += [(n, 0x40, DEBUG_SCN) for n in DEBUG_NAMES[:ndebug]]
        data = pe_layout(secs, bits=bits, headers=0x600, nsyms=1)
        assert load(data).strip_saving(Relink()) == gnu_strip_saving(tmp_path, data), (kept, ndebug)


def test_strip_saving_debug_sections_and_mingw_symbols_both_count():
    """Both parts go: the debug sections' raw data and the COFF symbols with their strings (here
    no header block is freed: binutils' table for 2 sections fits the 512 bytes there were)."""
    from linkscope.formats.base import Relink
    secs = [(".text", 0x300, TEXT_SCN), (".data", 0x10, DATA_SCN), (".debug_info", 0x250, DEBUG_SCN)]
    data = pe_layout(secs, nsyms=5)
    symbols = 5 * 18 + 4 + len(b".debug_info\0")
    assert load(data).strip_saving(Relink()) == 0x400 + symbols     # .debug_info's raw size is two blocks


def test_strip_saving_symbol_table_pointer_past_the_end_saves_nothing():
    """A symbol table pointer beyond the end of the file: nothing of it is in the file to remove."""
    from linkscope.formats.base import Relink
    data = pe_layout([(".text", 0x300, TEXT_SCN)])
    struct.pack_into("<II", data, 0x80 + 12, len(data) + 0x100, 3)      # PointerToSymbolTable, NumberOfSymbols
    assert load(data)._coff_symbols_extent() == (len(data) + 0x100, len(data) + 0x100 + 54)
    assert load(data).strip_saving(Relink()) is None


def test_strip_saving_go_symtab_keeps_one_file_aligned_block():
    """Go's relink keeps a .symtab section of 4 bytes (the string table's size), its raw size one
    file-alignment block; the alignment is the header's, 512 (the PE default) when it is 0, 4
    bytes when it is 4; Go's headers stay (room for 16 section headers)."""
    from linkscope.formats.base import Relink
    go = Relink(go=True, go_internal=True)
    secs = [(".text", 0x300, TEXT_SCN), (".symtab", 0x600, 0x42000040)]
    data = pe_layout(secs)
    assert load(data).strip_saving(go) == 0x600 - 0x200
    img = load(data)
    img.file_alignment = 0                              # as read from a header that says 0
    assert img.strip_saving(go) == 0x600 - 512
    img.file_alignment = 4
    assert img.strip_saving(go) == 0x600 - 4
    img.file_alignment = 0x1000
    assert img.strip_saving(go) is None                 # 0x600 bytes are less than one 4 KiB block


def test_strip_saving_module_text_growth_near_a_block_end_is_unknown():
    """A Go relink grows the module text in .rdata, moving its end by 0 to 32 bytes: within 32
    bytes of a block's end, or on one, the raw size may grow by a block (unknown: None); further
    from it, or with no growth, no .rdata, or GNU strip (which leaves the text), nothing changes."""
    from linkscope.formats.base import Relink
    go = Relink(go=True, go_internal=True)
    grows = Relink(go=True, go_internal=True, buildinfo_growth=6)
    secs = [(".text", 0x300, TEXT_SCN), (".symtab", 0x600, 0x42000040)]
    assert load(pe_layout(secs)).strip_saving(grows) == load(pe_layout(secs)).strip_saving(go) == 0x400
    for vsize, unknown in ((0x1df, False), (0x1e0, False), (0x1e1, True), (0x1ff, True), (0x200, True), (0x201, False)):
        img = load(pe_layout(secs + [(".rdata", vsize, DATA_SCN)]))
        assert img.section(".rdata").virtual_size == vsize
        assert (img.strip_saving(grows) is None) == unknown, hex(vsize)
        assert img.strip_saving(go) is not None
        assert img.strip_saving(Relink(buildinfo_growth=6)) == img.strip_saving(Relink())
        if not unknown:
            assert img.strip_saving(grows) == img.strip_saving(go)
    # a growth of 40 bytes (none the build settings make) moves the end by up to 64
    img = load(pe_layout(secs + [(".rdata", 0x1c1, DATA_SCN)]))
    assert img.strip_saving(grows) is not None and img.strip_saving(Relink(go=True, buildinfo_growth=40)) is None
    img = load(pe_layout(secs + [(".rdata", 0x1c0, DATA_SCN)]))
    assert img.strip_saving(Relink(go=True, buildinfo_growth=40)) is not None


def test_size_regions_of_several_sections():
    """The headers as written run to the end of the table of every section (40 bytes each), even
    when SizeOfHeaders says less; a section with no raw data pointer, or no raw size, has no bytes
    in the file."""
    from linkscope.formats.base import P_HEADER, P_SECTION
    secs = [(".text", 0x300, TEXT_SCN), (".data", 0x10, DATA_SCN), (".rdata", 0x20, 0x40000040)]
    data = pe_layout(secs, headers=0x200)
    table_end = 0x80 + 24 + 240 + 3 * 40
    struct.pack_into("<I", data, 0x80 + 24 + 60, 0x100)                  # SizeOfHeaders 0x100
    sh = 0x80 + 24 + 240
    struct.pack_into("<I", data, sh + 40 + 20, 0)                         # .data: PointerToRawData 0
    struct.pack_into("<I", data, sh + 80 + 16, 0)                         # .rdata: SizeOfRawData 0
    assert load(data).size_regions() == [(0, 0x100, P_HEADER, "headers"), (0, table_end, P_HEADER, "headers"),
                                         (0x200, 0x600, P_SECTION, "code")]       # 0x300 bytes, two blocks


def test_size_regions_of_a_bare_coff_image():
    """A COFF file without an MZ stub and optional header (an object): no SizeOfHeaders, no
    headers region beyond it, only its section's raw data."""
    from linkscope.formats.base import P_HEADER, P_SECTION
    sh = struct.pack("<8sIIIIIIHHI", b".text", 0, 0, 0x10, 60, 0, 0, 0, 0, TEXT_SCN)
    data = struct.pack("<HHIIIHH", 0x8664, 1, 0, 0, 0, 0, 0) + sh + b"\xc3" * 0x10
    assert load(data).size_regions() == [(0, 0, P_HEADER, "headers"), (60, 76, P_SECTION, "code")]


# -- the COFF symbol table by long name, and the build-info blob's .data ---------------------------------
def coff_image(symbols, strings=(), *, data: bytes = b"", vsize: int | None = None) -> bytearray:
    """The one-section image of make_pe with COFF symbols: each (name, value, section number), the name
    a short one (bytes) or the index of one of ``strings``, the string table's long names in order;
    an entry may also be raw 18 bytes."""
    strtab = b"".join(s + b"\0" for s in strings)
    at, pos = [], 4
    for s in strings:
        at.append(pos)
        pos += len(s) + 1
    blob = Blob()
    blob.data += data
    out = make_pe(blob, vsize=vsize, strtab=strtab, nsyms=len(symbols))
    symoff, = struct.unpack_from("<I", out, 0x40 + 4 + 8)
    for n, sym in enumerate(symbols):
        if isinstance(sym, bytes):
            entry = sym
        else:
            name, value, num = sym
            head = b"\0\0\0\0" + struct.pack("<I", at[name]) if isinstance(name, int) else name.ljust(8, b"\0")
            entry = head + struct.pack("<IhHBB", value, num, 0, 2, 0)
        out[symoff + 18 * n:symoff + 18 * n + 18] = entry
    return out


def test_coff_symbol_by_long_name_whole_names_only():
    # "xruntime.edata" holds "runtime.edata" as its tail, at the string table's offset 5: not it.
    img = load(coff_image([(0, 1, 1), (1, 0x1234, 2), (2, 7, 3)], [b"xruntime.edata", b"runtime.edata", b"first"]))
    assert img._coff_symbol(b"runtime.edata") == (2, 0x1234)
    assert img._coff_symbol(b"xruntime.edata") == (1, 1)          # the table's first string, at offset 4
    assert img._coff_symbol(b"irst") is None and img._coff_symbol(b"nothing") is None
    tail_only = load(coff_image([(0, 1, 1)], [b"xruntime.edata"]))
    assert tail_only._coff_symbol(b"runtime.edata") is None


def test_coff_symbol_first_entry_of_the_name_at_an_entrys_start():
    strings = [b"runtime.edata"]
    key = b"\0\0\0\0" + struct.pack("<I", 4)
    # entry 0's value and section number hold the key's bytes (a match 8 bytes in, not an entry's start)
    odd = b"sym0\0\0\0\0" + key + b"\2\0"
    img = load(coff_image([odd, (0, 0xfffffff0, -1), (0, 5, 2)], strings))
    assert img._coff_symbol(b"runtime.edata") == (-1, 0xfffffff0)   # unsigned value, signed section number
    only_odd = load(coff_image([odd, (b"other", 3, 1)], strings))
    assert only_odd._coff_symbol(b"runtime.edata") is None


def test_coff_symbol_of_a_table_the_file_cannot_hold_or_none_at_all():
    data = coff_image([(0, 9, 1)], [b"runtime.edata"])
    assert load(data)._coff_symbol(b"runtime.edata") == (1, 9)
    count_at = 0x40 + 4 + 12                                          # NumberOfSymbols
    assert load(patched(data, count_at, "<I", 1 << 20))._coff_symbol(b"runtime.edata") is None
    assert load(make_pe(Blob()))._coff_symbol(b"runtime.edata") is None


GO_BLOB = b"\xff Go buildinf:\x08\x02" + bytes(16)


@pytest.mark.parametrize("data,vsize,symbols,want", [
    (GO_BLOB + bytes(0x200 - 32 - len(GO_BLOB)), None, [], False),     # 32 bytes before the block: 32 more reach it
    (GO_BLOB + bytes(0x200 - 31 - len(GO_BLOB)), None, [], True),      # 31 before: the move may cross it
    (GO_BLOB + bytes(0x100), None, [], False),
    (b"\0" * 8 + GO_BLOB + bytes(0x1d0), None, [], False),             # no 16-byte-aligned blob: nothing grows
    (bytes(0x1e8), None, [], False),                                   # no blob
    # .bss inside the virtual size: the initialized data ends at runtime.edata, in section 1
    (GO_BLOB + bytes(0x100), 0x2000, [(0, 0x1e8, 1)], True),
    (GO_BLOB + bytes(0x100), 0x2000, [(0, 0x1e0, 1)], False),
    (GO_BLOB + bytes(0x100), 0x2000, [(0, 0x1e8, 2)], True),           # another section's symbol: not known
    (GO_BLOB + bytes(0x100), 0x2000, [], True),                        # no symbol: not known
    # a virtual size of exactly the raw size holds no zero-fill: it is the end (on the block), not the symbol
    (GO_BLOB + bytes(0x200 - len(GO_BLOB)), 0x200, [(0, 0x100, 1)], True),
], ids=["block-32", "block-31", "far", "unaligned", "none", "edata-near", "edata-far", "other-section",
        "no-symbol", "vsize-is-raw"])
def test_go_data_may_grow_a_block(data, vsize, symbols, want):
    img = load(coff_image(symbols, [b"runtime.edata"], data=data, vsize=vsize))
    assert img.file_alignment == 0x200
    assert img._go_data_may_grow_a_block(6, 0x200) is want


def test_go_data_growth_is_rounded_to_32_and_makes_the_saving_unknown():
    from linkscope.formats.base import Relink
    data = GO_BLOB + bytes(0x200 - 48 - len(GO_BLOB))                   # 48 bytes before the block
    img = load(coff_image([], [b"runtime.edata"], data=data))
    assert not img._go_data_may_grow_a_block(32, 0x200) and img._go_data_may_grow_a_block(33, 0x200)
    near = load(coff_image([], [b"runtime.edata"], data=GO_BLOB + bytes(0x1e8 - len(GO_BLOB))))
    assert near._go_data_may_grow_a_block(6, 0x200)
    assert near.strip_saving(Relink(go=True, go_internal=True, buildinfo_growth=6)) is None


def test_coff_symbol_names_start_after_the_string_tables_size():
    # The table's 4-byte size (here with a non-zero high byte, 'r': a table of 1.9 GB, as the field says)
    # is not a name: a symbol pointing 3 bytes in, at "r" + "untime.edata", has no name "runtime.edata";
    # the first string, at offset 4, follows the size whatever its bytes are.
    data = coff_image([(0, 1, 1)], [b"untime.edata"])
    symoff, = struct.unpack_from("<I", data, 0x40 + 4 + 8)
    struct.pack_into("<I", data, symoff + 18, 0x72000000 | 17)          # the size field, after the one symbol
    forged = bytearray(data)
    struct.pack_into("<I", forged, symoff + 4, 3)                         # the symbol's name offset: 3
    assert load(forged)._coff_symbol(b"runtime.edata") is None
    assert load(data)._coff_symbol(b"untime.edata") == (1, 1)
