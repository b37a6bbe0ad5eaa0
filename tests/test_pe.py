"""PE/COFF: the Go toolchain's samples, real Go and zig builds, synthetic edge cases, damaged input.

Differential checks run `file -b` (5.44) and `objdump -p` (binutils 2.40) on the same files. The
differences tolerated, all in one place:

* file(1) prints "(stripped to external PDB)" when IMAGE_FILE_DEBUG_STRIPPED is set; linkscope's
  ``stripped`` means "no COFF symbol table" (see formats/pe.py), so that phrase is not compared.
* objdump 2.40 sizes Go's ``.zdebug_*`` sections by their decompressed contents, so the import
  table RVA of a Go binary that carries DWARF falls inside ".zdebug_info" and objdump prints no
  "DLL Name:" lines ("The Import Tables (interpreted .zdebug_info section contents)"). For those
  builds the DLL list is compared with objdump's list for the same program linked with -s -w.
* objdump 2.40 does not know arm64 PE ("file format not recognized"); arm64 is checked against
  `file` and `go tool buildid` only.
"""
from __future__ import annotations

import random
import re
import shutil
import struct
import sys
import tracemalloc
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

import buildkit  # noqa: E402
import reference  # noqa: E402
from linkscope.byteview import ByteView  # noqa: E402
from linkscope.go.strconv import unquote_bytes  # noqa: E402
from linkscope.errors import LinkscopeError, Malformed, Truncated, UnsupportedFormat  # noqa: E402
from linkscope.formats import pe  # noqa: E402
from linkscope.model import Section  # noqa: E402

TESTDATA = buildkit.go_root() / "src" / "debug" / "pe" / "testdata"
FUZZ_CORPUS = TESTDATA / "fuzz" / "FuzzReader"
FACT_KEYS = ["format", "arch", "bits", "endian", "os", "type", "linkage", "interpreter", "needed", "rpath",
             "runpath", "soname", "stripped", "debug_info", "gnu_build_id", "go_build_id"]


def load(data: bytes) -> pe.PEImage:
    return pe.parse(ByteView(data))


def load_file(path: Path) -> pe.PEImage:
    return load(path.read_bytes())


def facts(**kw) -> dict:
    base = dict(format="pe", arch="amd64", bits=64, endian="little", os="windows", type="executable",
                linkage="dynamic", interpreter=None, needed=(), rpath=(), runpath=(), soname=None,
                stripped=True, debug_info=False, gnu_build_id=None, go_build_id=None)
    base.update(kw)
    return base


# -- the reference tools ---------------------------------------------------------------------------
def check_against_file(img: pe.PEImage, path: Path) -> None:
    want = reference.file_pe(path)
    have = {"sections": len(img.pe_sections), "type": img.pe_type, "arch": img.arch}
    if "bits" in want:
        have.update(bits=img.bits, os=img.os_name)
    if "stripped" in want:
        have["stripped"] = img.stripped
    assert have == want


def check_against_objdump(img: pe.PEImage, path: Path) -> None:
    want = reference.objdump_pe_imports(path)
    assert list(img.needed) == list(want)
    for dll, funcs in want.items():
        assert [(f.hint, f.name) for f in img.imported_functions(dll)] == funcs


# -- the Go toolchain's samples ------------------------------------------------------------------
# (file, facts, file header, optional header summary, section names); headers from debug/pe's
# file_test.go: (Machine, NumberOfSections, TimeDateStamp, PointerToSymbolTable, NumberOfSymbols,
# SizeOfOptionalHeader, Characteristics) and (Magic, ImageBase, Subsystem, DllCharacteristics,
# data directories that are not zero).
SAMPLES = [
    ("gcc-386-mingw-exec",
     facts(arch="386", bits=32, needed=("KERNEL32.dll", "msvcrt.dll"), stripped=False, debug_info=True),
     (0x14C, 15, 0x4C6A1B60, 0x3C00, 0x282, 0xE0, 0x107),
     (0x10B, 0x400000, 3, 0, {1: (0x5000, 0x3C8), 9: (0x7000, 0x18)}),
     [".text", ".data", ".rdata", ".bss", ".idata", ".CRT", ".tls", ".debug_aranges", ".debug_pubnames",
      ".debug_pubtypes", ".debug_info", ".debug_abbrev", ".debug_line", ".debug_frame", ".debug_loc"]),
    ("gcc-386-mingw-no-symbols-exec",
     facts(arch="386", bits=32, needed=("KERNEL32.dll", "msvcrt.dll")),
     (0x14C, 8, 0x69676572, 0, 0, 0xE0, 0x30F),
     (0x10B, 0x400000, 3, 0, {1: (0x6000, 0x378), 9: (0x8004, 0x18), 12: (0x60B8, 0x7C)}),
     [".text", ".data", ".rdata", ".eh_fram", ".bss", ".idata", ".CRT", ".tls"]),
    ("gcc-386-mingw-obj",
     facts(arch="386", bits=32, type="object", linkage=None, stripped=False, debug_info=True),
     (0x14C, 12, 0, 0x64A, 0x1E, 0, 0x104),
     (None, 0, None, 0, {}),
     [".text", ".data", ".bss", ".debug_abbrev", ".debug_info", ".debug_line", ".rdata", ".debug_frame",
      ".debug_loc", ".debug_pubnames", ".debug_pubtypes", ".debug_aranges"]),
    ("gcc-amd64-mingw-obj",
     facts(type="object", linkage=None, stripped=False),
     (0x8664, 6, 0, 0x198, 0x12, 0, 0x4),
     (None, 0, None, 0, {}),
     [".text", ".data", ".bss", ".rdata", ".xdata", ".pdata"]),
    ("gcc-amd64-mingw-exec",
     facts(needed=("KERNEL32.dll", "msvcrt.dll"), stripped=False, debug_info=True),
     (0x8664, 17, 0x53E4364F, 0x39600, 0x6FC, 0xF0, 0x27),
     (0x20B, 0x400000, 3, 0, {1: (0xE000, 0x990), 3: (0xA000, 0x498), 9: (0x10000, 0x28), 12: (0xE254, 0x218)}),
     [".text", ".data", ".rdata", ".pdata", ".xdata", ".bss", ".idata", ".CRT", ".tls", ".debug_aranges",
      ".debug_info", ".debug_abbrev", ".debug_line", ".debug_frame", ".debug_str", ".debug_loc", ".debug_ranges"]),
    ("llvm-mingw-20211002-msvcrt-x86_64-crt2",
     facts(type="object", linkage=None, stripped=False, debug_info=True),
     (0x8664, 33, 0, 0x4E01, 157, 0, 0),
     (None, 0, None, 0, {}),
     None),
    # A trimmed Linux kernel EFI stub: its sections point far beyond the 474 bytes that remain.
    ("vmlinuz-4.15.0-47-generic",
     facts(os="efi", linkage="static"),
     (0x8664, 4, 0, 0, 1, 0xA0, 0x206),
     (0x20B, 0, 10, 0, {4: (0x7C07A0, 0x778)}),
     [".setup", ".reloc", ".text", ".bss"]),
]


@pytest.mark.parametrize("name,want,hdr,opt,names", SAMPLES, ids=[s[0] for s in SAMPLES])
def test_go_testdata_records(name, want, hdr, opt, names):
    img = load_file(TESTDATA / name)
    got = img.facts()
    assert list(got) == FACT_KEYS
    assert got == want
    assert (img.machine, len(img.pe_sections), img.timestamp, img.symtab_offset, img.symbol_count,
            img.optional_header_size, img.characteristics) == hdr
    dirs = {i: (d.rva, d.size) for i, d in enumerate(img.data_directories) if d.rva or d.size}
    assert (img.magic, img.image_base, img.subsystem, img.dll_characteristics, dirs) == opt
    if names is not None:
        assert [s.name for s in img.pe_sections] == names
    assert img.delay_needed == ()
    assert img.codeview is None


@pytest.mark.parametrize("name", [s[0] for s in SAMPLES])
def test_go_testdata_against_file_and_objdump(name):
    path = TESTDATA / name
    img = load_file(path)
    check_against_file(img, path)
    check_against_objdump(img, path)


def test_llvm_crt2_long_section_names_from_string_table():
    # llvm-mingw writes names longer than 8 bytes as "/<offset>" into the COFF string table.
    img = load_file(TESTDATA / "llvm-mingw-20211002-msvcrt-x86_64-crt2")
    names = [s.name for s in img.pe_sections]
    assert ".rdata$.refptr._MINGW_INSTALL_DEBUG_MATHERR" in names
    assert names[-1] == ".llvm_addrsig"
    assert not any(n.startswith("/") for n in names)


def test_mingw_imported_functions_by_name():
    img = load_file(TESTDATA / "gcc-386-mingw-exec")
    funcs = img.imported_functions("kernel32.DLL")  # Windows matches DLL names case-insensitively
    assert funcs[:2] == (pe.ImportedFunction("DeleteCriticalSection", None, 107),
                         pe.ImportedFunction("EnterCriticalSection", None, 126))
    assert len(funcs) == 14
    with pytest.raises(KeyError):
        img.imported_functions("user32.dll")
    with pytest.raises(KeyError):
        img.imported_functions("kernel32.dll", delayed=True)


def test_sections_and_read_vaddr_follow_debug_buildinfo():
    path = TESTDATA / "gcc-amd64-mingw-exec"
    data = path.read_bytes()
    img = load(data)
    secs = img.sections()
    assert secs[0] == Section(".text", 0x401000, 0x600, 0x6A00, "code")
    assert secs[5] == Section(".bss", 0x40C000, 0, 0, "bss")
    assert img.read_vaddr(0x401000, 16) == data[0x600:0x610]
    # Reads stop at the end of the section's raw data (SizeOfRawData), as peExe.DataReader does.
    assert img.read_vaddr(0x401000 + 0x6A00 - 4, 64) == data[0x600 + 0x6A00 - 4:0x600 + 0x6A00]
    assert img.read_vaddr(0x1000, 16) is None            # below ImageBase
    assert img.read_vaddr(0x40C000, 16) is None           # .bss: no file data
    # peExe.DataStart: the first section whose characteristics, ALIGN_32BYTES bits masked off,
    # are exactly initialized data + read + write. .data (0xc0500040, ALIGN_16BYTES) is not; .CRT
    # (0xc0400040, ALIGN_8BYTES) is: Go's rule, quirk included.
    assert img.go_data_start() == (0x40F000, 0x68)
    assert img.rva_to_offset(0x1000) == 0x600
    assert img.rva_to_offset(0xC000) is None


# -- real Go builds ----------------------------------------------------------------------------------
def _go_win(name: str, goarch: str, *args: str) -> buildkit.Spec:
    return buildkit.go(name, "hello", *args, GOOS="windows", GOARCH=goarch, CGO_ENABLED="0", out="prog.exe")


GO_SPECS = {
    "amd64": _go_win("pe-go-windows-amd64", "amd64"),
    "amd64-sw": _go_win("pe-go-windows-amd64-sw", "amd64", "-ldflags=-s -w"),
    "386": _go_win("pe-go-windows-386", "386"),
    "386-sw": _go_win("pe-go-windows-386-sw", "386", "-ldflags=-s -w"),
    "arm64": _go_win("pe-go-windows-arm64", "arm64"),
}


@pytest.fixture(scope="session")
def go_pe() -> dict[str, Path]:
    return {k: buildkit.build(s) for k, s in GO_SPECS.items()}


@reference.needs_tool(shutil.which("objdump"), "objdump (binutils)")
@pytest.mark.parametrize("goarch", ["amd64", "386"])
def test_coff_symbols_by_long_name_agree_with_objdump(go_pe, goarch):
    """Go's runtime.edata and kin, read from the COFF symbol table, are objdump's; a name that is only
    another's tail, or absent, or a stripped file's, is None."""
    path = go_pe[goarch]
    want = {}
    for line in reference.run(["objdump", "-t", str(path)]).splitlines():
        m = re.match(r"\[\s*\d+\]\(sec\s+(-?\d+)\).*\) 0x([0-9a-f]+) (\S+)$", line)
        if m and m.group(3) not in want:
            want[m.group(3)] = (int(m.group(1)), int(m.group(2), 16))
    img = pe.parse(ByteView(path.read_bytes()))
    names = ["runtime.edata", "runtime.enoptrdata", "runtime.text", "go:buildinfo"]
    assert all(n in want for n in names)
    assert {n: img._coff_symbol(n.encode()) for n in names} == {n: want[n] for n in names}
    assert img._coff_symbol(b"time.edata") is None and img._coff_symbol(b"no.such.symbol") is None
    stripped = pe.parse(ByteView(go_pe[f"{goarch}-sw"].read_bytes()))
    assert stripped._coff_symbol(b"runtime.edata") is None


GO_RECORDS = {
    "amd64": facts(needed=("kernel32.dll",), stripped=False, debug_info=True),
    "amd64-sw": facts(needed=("kernel32.dll",)),
    "386": facts(arch="386", bits=32, needed=("kernel32.dll",), stripped=False, debug_info=True),
    "386-sw": facts(arch="386", bits=32, needed=("kernel32.dll",)),
    "arm64": facts(arch="arm64", needed=("kernel32.dll",), stripped=False, debug_info=True),
}


@pytest.mark.integration
@pytest.mark.parametrize("key", list(GO_SPECS))
def test_go_windows_builds(go_pe, key):
    path = go_pe[key]
    img = load_file(path)
    assert img.facts() == dict(GO_RECORDS[key], go_build_id=reference.go_tool_buildid(path))
    assert img.subsystem == 3 and img.pe_type == "executable"
    # Go links ASLR images (DYNAMIC_BASE) and still they are "executable", as file(1) says.
    assert img.dll_characteristics & pe.IMAGE_DLLCHARACTERISTICS_DYNAMIC_BASE
    assert img.dll_characteristics & pe.IMAGE_DLLCHARACTERISTICS_NX_COMPAT
    assert {"GetProcAddress", "LoadLibraryExW"} <= {f.name for f in img.imported_functions("kernel32.dll")}
    check_against_file(img, path)
    if key == "arm64":
        return  # objdump 2.40: "file format not recognized"
    if key.endswith("-sw"):
        check_against_objdump(img, path)
    else:
        # objdump mis-maps the import table of Go binaries with compressed DWARF (module doc).
        assert reference.objdump_pe_dlls(path) == []
        assert "interpreted .zdebug_info" in reference.objdump_private_headers(path)
        assert list(img.needed) == reference.objdump_pe_dlls(go_pe[key + "-sw"])


@pytest.mark.integration
def test_go_windows_build_info_through_the_adapter(go_pe):
    from linkscope.go import buildinfo

    for key in ("amd64", "386-sw", "arm64"):
        info = buildinfo.read_buildinfo(load_file(go_pe[key]))
        want = reference.go_version_of(go_pe[key]).split(": ", 1)[1].strip()
        assert (info.version, info.path, info.setting("GOOS"), info.setting("GOARCH")) == (
            want, "example.com/hello", "windows", key.split("-")[0])


# -- real zig builds (lld in mingw mode: CodeView + PDB, no COFF symbols) ---------------------------
@pytest.fixture(scope="session")
def zig_pe() -> dict[str, Path]:
    return {"exe": buildkit.get("zig-windows"), "dll": buildkit.get("zig-windows-dll")}


@pytest.mark.integration
def test_zig_windows_exe(zig_pe):
    path = zig_pe["exe"]
    img = load_file(path)
    dlls = reference.objdump_pe_dlls(path)
    assert "KERNEL32.dll" in dlls
    assert img.facts() == facts(needed=tuple(dlls), debug_info=False)
    assert img.codeview.signature == "RSDS" and img.codeview.pdb_path == "prog.pdb"
    check_against_file(img, path)
    check_against_objdump(img, path)


@pytest.mark.integration
def test_zig_windows_dll(zig_pe):
    path = zig_pe["dll"]
    img = load_file(path)
    assert img.facts() == facts(type="shared-library", needed=tuple(reference.objdump_pe_dlls(path)), soname="lib.dll",
                                debug_info=False)
    assert re.search(r"^Name \s+[0-9a-f]+ lib\.dll$", reference.objdump_private_headers(path), re.M)
    check_against_file(img, path)
    check_against_objdump(img, path)


# -- a synthetic PE (crafted.make_pe), for what no toolchain here makes -------------------------------
from mutate import mutate  # noqa: E402
from crafted import SECT_OFF, SECT_RVA, Blob, delay_directory, import_directory, make_pe, off_of, thunks  # noqa: E402

FILE_HDR = 0x44
OPT_HDR = FILE_HDR + 20
SECT_HDR = OPT_HDR + 240   # PE32+ with 16 data directories


def test_synthetic_imports_delay_imports_and_ordinals():
    b = Blob()
    imp = import_directory(b, [("KERNEL32.dll", ["ExitProcess", 17]), ("WS2_32.dll", [115, "WSAStartup"])], 64)
    dly = delay_directory(b, [("USER32.dll", ["MessageBoxA", 300]), ("dbghelp.dll", [])], 64, 0x140000000)
    img = load(make_pe(b, dirs={1: (imp, 40), 13: (dly, 96)}))
    assert img.facts() == facts(needed=("KERNEL32.dll", "WS2_32.dll"))
    assert img.delay_needed == ("USER32.dll", "dbghelp.dll")
    assert img.imported_functions("kernel32.dll") == (pe.ImportedFunction("ExitProcess", None, 7),
                                                      pe.ImportedFunction(None, 17, 0))
    assert img.imported_functions("ws2_32.dll") == (pe.ImportedFunction(None, 115), pe.ImportedFunction("WSAStartup", None, 7))
    assert img.imported_functions("USER32.dll", delayed=True) == (pe.ImportedFunction("MessageBoxA", None, 7),
                                                                  pe.ImportedFunction(None, 300))
    assert img.imported_functions("dbghelp.dll", delayed=True) == ()


def test_delay_imports_only_still_dynamic_and_old_va_layout():
    # Attributes bit 0 clear: the VC6 layout whose fields are virtual addresses, not RVAs.
    b = Blob()
    dly = delay_directory(b, [("OLDSTYLE.dll", ["Fn"])], 32, 0x400000, va_based=True)
    img = load(make_pe(b, bits=32, dirs={13: (dly, 64)}))
    assert img.facts() == facts(arch="386", bits=32, linkage="dynamic", needed=())
    assert img.delay_needed == ("OLDSTYLE.dll",)
    assert img.imported_functions("oldstyle.dll", delayed=True) == (pe.ImportedFunction("Fn", None, 7),)


def test_pe32_ordinal_flag_and_borland_style_lookup_table():
    b = Blob()
    imp = import_directory(b, [("a.dll", [5, "f"])], 32)
    d = bytearray(b.data)
    struct.pack_into("<I", d, imp - SECT_RVA, 0)   # OriginalFirstThunk 0: the loader uses FirstThunk
    b.data = d
    img = load(make_pe(b, bits=32, dirs={1: (imp, 40)}))
    assert img.needed == ("a.dll",)
    assert img.imported_functions("a.dll") == (pe.ImportedFunction(None, 5), pe.ImportedFunction("f", None, 7))


def test_import_list_ended_by_the_sections_zero_filled_tail():
    # No null descriptor in the file, but VirtualSize > SizeOfRawData: memory past the raw data is
    # zero, which the loader reads as the terminator. Same for a name that runs into that tail.
    b = Blob()
    imp = import_directory(b, [("x.dll", ["f"])], 64, terminate=False)
    data = make_pe(b, dirs={1: (imp, 20)}, vsize=0x2000)
    assert load(data).needed == ("x.dll",)


def test_dll_soname_from_export_directory_and_exe_exports_ignored():
    b = Blob()
    name = b.add(b"mylib.dll\0")
    exp = b.add(struct.pack("<IIHHIIIIIII", 0, 0, 0, 0, name, 1, 0, 0, 0, 0, 0))
    assert load(make_pe(b, dll=True, dirs={0: (exp, 40)})).facts() == facts(type="shared-library", soname="mylib.dll", linkage="static")
    assert load(make_pe(b, dirs={0: (exp, 40)})).soname is None
    assert load(make_pe(b, dirs={0: (exp, 40)})).export_name == "mylib.dll"


def _debug_dir(b: Blob, record: bytes) -> int:
    rva = b.add(record)
    return b.add(struct.pack("<IIHHIIII", 0, 0, 0, 0, pe.IMAGE_DEBUG_TYPE_CODEVIEW, len(record), rva, off_of(rva)))


def test_codeview_pdb_pointer_and_gnu_build_id_record_are_no_debug_info_in_the_file():
    guid = bytes(range(16))
    b = Blob()
    dd = _debug_dir(b, b"RSDS" + guid + struct.pack("<I", 3) + b"C:\\src\\app.pdb\0")
    img = load(make_pe(b, dirs={6: (dd, 28)}))
    assert img.codeview == pe.CodeView("RSDS", "03020100-0504-0706-0809-0a0b0c0d0e0f", 3, "C:\\src\\app.pdb")
    assert img.debug_info is False   # the debug info is in the PDB, not here
    # GNU ld --build-id: an RSDS record with an empty PDB name.
    b = Blob()
    dd = _debug_dir(b, b"RSDS" + guid + struct.pack("<I", 1) + b"\0")
    img = load(make_pe(b, dirs={6: (dd, 28)}))
    assert img.codeview.pdb_path == "" and img.debug_info is False


def test_long_section_names_decimal_and_base64():
    strtab = b".debug_info\0"
    assert load(make_pe(long_name=b"/4", strtab=strtab)).pe_sections[0].name == ".debug_info"
    assert load(make_pe(long_name=b"/4", strtab=strtab)).debug_info is True
    assert load(make_pe(long_name=b"//AAAAAE", strtab=strtab)).pe_sections[0].name == ".debug_info"
    # An offset the string table cannot resolve keeps the raw name instead of failing the file.
    assert load(make_pe(long_name=b"/999", strtab=strtab)).pe_sections[0].name == "/999"
    assert load(make_pe(long_name=b"/4")).pe_sections[0].name == "/4"


def test_efi_subsystems_and_data_directory_count_caps():
    assert load(make_pe(subsystem=10)).os_name == "efi"
    assert load(make_pe(subsystem=13)).facts()["os"] == "efi"
    assert load(make_pe(subsystem=14)).facts()["os"] == "windows"
    assert pe.subsystem_name(10) == "IMAGE_SUBSYSTEM_EFI_APPLICATION" and pe.subsystem_name(99) == "IMAGE_SUBSYSTEM_99"
    assert len(load(make_pe(nrva=3)).data_directories) == 3
    big = make_pe()
    struct.pack_into("<I", big, OPT_HDR + 108, 0x7FFFFFFF)   # NumberOfRvaAndSizes
    assert len(load(big).data_directories) == 16


def test_machine_names():
    assert [pe.machine_name(m) for m in (0x14C, 0x8664, 0xAA64, 0x1C4, 0x1C0, 0x200, 0x1234)] == [
        "386", "amd64", "arm64", "arm", "arm", "IMAGE_FILE_MACHINE_IA64", "IMAGE_FILE_MACHINE_0x1234"]


def test_go_build_id_is_unquoted_like_go():
    b = Blob()
    b.add(b'\xff Go build ID: "abc/d\\x41\\u00e9\\"q"\n \xff')
    assert load(make_pe(b)).go_build_id == 'abc/dA\u00e9"q'
    for bad in (b'\xff Go build ID: "a\\q"\n \xff', b'\xff Go build ID: "\\x4"\n \xff'):   # as strconv refuses them
        b = Blob()
        b.add(bad)
        img = load(make_pe(b))
        assert img.facts()["go_build_id"] is None
        assert [(w.table, w.message) for w in img.warnings] == [("Go build ID", "Go build ID is not a valid quoted string")]


def test_dos_and_ne_programs_are_unsupported_not_malformed():
    dos = bytearray(make_pe())
    struct.pack_into("<H", dos, 0x18, 0x1C)     # e_lfarlc of a plain DOS program
    struct.pack_into("<I", dos, 0x3C, 0x12345)  # and a meaningless e_lfanew
    with pytest.raises(UnsupportedFormat):
        load(bytes(dos))
    ne = bytearray(make_pe())
    ne[0x40:0x44] = b"NE\x05\x0a"
    with pytest.raises(UnsupportedFormat):
        load(bytes(ne))


# -- damaged input -------------------------------------------------------------------------------------
def _imports_pe(dlls=(("KERNEL32.dll", ["ExitProcess"]),), terminate=True):
    b = Blob()
    imp = import_directory(b, list(dlls), 64, terminate)
    return b, imp


def _patch(data: bytearray, off: int, fmt: str, *vals) -> bytes:
    struct.pack_into(fmt, data, off, *vals)
    return bytes(data)


def _desc_name_outside():
    b, imp = _imports_pe()
    return _patch(make_pe(b, dirs={1: (imp, 40)}), off_of(imp) + 12, "<I", 0x7FFF0000)


def _import_dir_outside():
    b, imp = _imports_pe()
    return bytes(make_pe(b, dirs={1: (0x50000, 40)}))


def _name_unterminated():
    # The DLL name runs on for more than the 256 bytes a DLL name may have.
    b = Blob()
    name = b.add(b"A" * 600)
    ilt = thunks(b, ["f"], 64)
    imp = b.add(struct.pack("<IIIII", ilt, 0, 0, name, ilt) + bytes(20))
    return bytes(make_pe(b, dirs={1: (imp, 40)}))


def _name_cut_by_eof():
    b = Blob()
    ilt = thunks(b, ["f"], 64)
    imp = b.add(struct.pack("<IIIII", ilt, 0, 0, 0, ilt) + bytes(20))
    name = b.add(b"KERNEL32.dll", 1)
    data = make_pe(b, dirs={1: (imp, 40)}, vsize=0x200)   # the section goes on; the file does not
    struct.pack_into("<I", data, off_of(imp) + 12, name)
    return bytes(data[:off_of(name) + 12])          # the file ends inside the name


def _descriptors_without_terminator():
    # Descriptors fill the section to the end of its span (VirtualSize = SizeOfRawData): no null one.
    b, imp = _imports_pe(terminate=False)
    data = make_pe(b, dirs={1: (imp, 20)})
    raw_size = struct.unpack_from("<I", data, SECT_HDR + 16)[0]
    desc = data[off_of(imp):off_of(imp) + 20]
    for off in range(off_of(imp), SECT_OFF + raw_size - 19, 20):
        data[off:off + 20] = desc
    return _patch(data, SECT_HDR + 8, "<I", raw_size)


def _too_many_descriptors():
    b = Blob()
    ilt = thunks(b, ["f"], 64)
    name = b.add(b"x.dll\0")
    imp = b.add(struct.pack("<IIIII", ilt, 0, 0, name, ilt) * (pe.MAX_IMPORT_DESCRIPTORS + 5) + bytes(20))
    return bytes(make_pe(b, dirs={1: (imp, 40)}))


def _delay_without_terminator():
    b = Blob()
    name = b.add(b"d.dll\0")
    dly = b.add(struct.pack("<IIIIIIII", 1, name, 0, 0, 0, 0, 0, 0) * 4)
    return _patch(make_pe(b, dirs={13: (dly, 32)}), SECT_HDR + 8, "<I", len(b.data))  # VirtualSize: just the data


def _big_debug_directory():
    return bytes(make_pe(Blob(), dirs={6: (SECT_RVA, 28 * (pe.MAX_DEBUG_ENTRIES + 1))}))


def _go_build_id_unterminated():
    b = Blob()
    b.add(b'\xff Go build ID: "abc/def')
    return bytes(make_pe(b))


DAMAGED = [
    # (name, bytes or a function making them, exact error type, which call raises, or which table's
    # warning facts() reports: a damaged table costs its fields, not the record; then the error's
    # message and byte offset: where the damage is in the file, or the image's start (0) for an RVA
    # that no section maps)
    ("truncated-mz", b"MZ\x90\x00" + bytes(30), Truncated, "parse",
     "MZ header needs 64 bytes, file has 34", 0x0),
    ("e_lfanew-past-end", lambda: _patch(make_pe(), 0x3C, "<I", 0x10000), Malformed, "parse",
     "PE signature and COFF header (e_lfanew) starts beyond end of data (0x10000 > 0x400)", 0x10000),
    ("e_lfanew-header-cut", lambda: bytes(make_pe()[:0x50]), Truncated, "parse",
     "PE signature and COFF header (e_lfanew) needs 24 bytes, 16 available", 0x40),
    ("bad-pe-signature", lambda: _patch(make_pe(), 0x40, "4s", b"PX\0\0"), Malformed, "parse",
     "bad PE signature b'PX\\x00\\x00' at e_lfanew", 0x40),
    ("number-of-sections-0xffff", lambda: _patch(make_pe(), FILE_HDR + 2, "<H", 0xFFFF), Truncated, "section table",
     "section table of 65535 entries of 40 bytes needs 2621400 bytes, 696 available", 0x148),
    ("optional-header-bad-magic", lambda: _patch(make_pe(), OPT_HDR, "<H", 0x107), Malformed, "parse",
     "optional header magic 0x107 is neither PE32 (0x10b) nor PE32+ (0x20b)", 0x58),
    ("optional-header-too-small", lambda: _patch(make_pe(), FILE_HDR + 16, "<H", 40), Malformed, "parse",
     "optional header of 40 bytes, PE32+ needs 112", 0x58),
    ("optional-header-past-eof", lambda: bytes(make_pe()[:OPT_HDR + 100]), Truncated, "parse",
     "optional header needs 240 bytes, 100 available", 0x58),
    ("section-table-past-eof", lambda: _patch(make_pe(), FILE_HDR + 16, "<H", 0xFFF0), Truncated, "parse",
     "optional header needs 65520 bytes, 936 available", 0x58),
    ("import-dll-name-rva-outside", _desc_name_outside, Malformed, "import directory",
     "import DLL name at RVA 0x7fff0000 is not in any section", 0x0),
    ("import-directory-rva-outside", _import_dir_outside, Malformed, "import directory",
     "import directory at RVA 0x50000 is not in any section", 0x0),
    ("import-name-unterminated", _name_unterminated, Malformed, "import directory",
     "import DLL name at RVA 0x1000 not terminated within 256 bytes", 0x400),
    ("import-name-cut-by-eof", _name_cut_by_eof, Truncated, "import directory",
     "import DLL name at RVA 0x1040 is cut off by the end of the file", 0x440),
    ("import-descriptors-without-terminator", _descriptors_without_terminator, Malformed, "import directory",
     "import descriptors run past the end of their section without a null descriptor", 0x5f4),
    ("import-descriptors-beyond-limit", _too_many_descriptors, Malformed, "import directory",
     "more than 4096 import descriptors", 0x0),
    ("delay-descriptors-without-terminator", _delay_without_terminator, Malformed, "delay_needed",
     "delay-load descriptors run past the end of their section without a null descriptor", 0x0),
    ("debug-directory-beyond-limit", _big_debug_directory, Malformed, "debug directory",
     "debug directory of 1025 entries, more than the 1024 accepted", 0x0),
    ("go-build-id-unterminated", _go_build_id_unterminated, Malformed, "Go build ID",
     "Go build ID not terminated", 0x400),
]


@pytest.mark.parametrize("name,make,error,where,message,offset", DAMAGED, ids=[d[0] for d in DAMAGED])
def test_damaged_input_raises_the_right_error(name, make, error, where, message, offset):
    data = make() if callable(make) else make
    if where not in ("parse", "delay_needed"):
        img = load(data)
        facts = img.facts()
        assert facts["format"] == "pe" and facts["arch"] == "amd64"
        got = [(w.table, w.kind, w.message, w.offset) for w in img.warnings]
        assert (where, error.kind, message, offset) in got, img.warnings
        assert all(w.offset is not None for w in img.warnings)
        if where in ("import directory", "section table"):
            assert facts["linkage"] is None  # imports unknown: neither static nor dynamic can be said
        return
    with pytest.raises(LinkscopeError) as exc:
        img = load(data)
        assert where != "parse", "parse() accepted the damage"
        if where == "delay_needed":
            img.delay_needed
        else:
            img.facts()
    assert type(exc.value) is error, exc.value
    assert (exc.value.message, exc.value.offset) == (message, offset)


def test_import_lookup_table_outside_fails_only_the_function_list():
    b, imp = _imports_pe()
    data = _patch(make_pe(b, dirs={1: (imp, 40)}), off_of(imp), "<I", 0x7FFF0000)
    img = load(data)
    assert img.facts()["needed"] == ("KERNEL32.dll",)
    with pytest.raises(Malformed):
        img.imported_functions("KERNEL32.dll")


def test_lookup_table_without_terminator_is_bounded(monkeypatch):
    monkeypatch.setattr(pe, "MAX_IMPORTED_FUNCTIONS", 8)
    b = Blob()
    imp = import_directory(b, [("x.dll", [1] * 20)], 64)
    with pytest.raises(Malformed, match="more than 8"):
        load(make_pe(b, dirs={1: (imp, 40)})).imported_functions("x.dll")


def test_imports_over_all_dlls_are_read_up_to_the_budget_with_a_warning(monkeypatch):
    """Descriptors may share one lookup table: 3 DLLs of 4 functions each, a budget of 5 over all of
    them. The first DLL's functions are given, then a warning names where the reading stopped."""
    monkeypatch.setattr(pe, "MAX_IMPORTED_TOTAL", 5)
    b = Blob()
    imp = import_directory(b, [("a.dll", ["f1", "f2", "f3", "f4"]), ("b.dll", ["g1", "g2", "g3", "g4"]),
                               ("c.dll", ["h1"])], 64)
    img = load(make_pe(b, dirs={1: (imp, 80)}))
    assert list(img.imported_symbols()) == [(f, f"{f} (a.dll)") for f in ("f1", "f2", "f3", "f4")]
    assert [(w.table, w.message) for w in img.warnings] == [
        ("import directory", "more than 5 imported functions; those of b.dll and the DLLs after it not read")]
    monkeypatch.setattr(pe, "MAX_IMPORTED_TOTAL", 9)
    img = load(make_pe(b, dirs={1: (imp, 80)}))
    assert len(list(img.imported_symbols())) == 9 and img.warnings == []


def test_hostile_counts_allocate_nothing():
    cases = [_patch(make_pe(), FILE_HDR + 2, "<H", 0xFFFF),
             _patch(make_pe(), FILE_HDR + 12, "<I", 0xFFFFFFFF),  # NumberOfSymbols
             _big_debug_directory(), _too_many_descriptors()]
    tracemalloc.start()
    try:
        for data in cases:
            try:
                load(data).facts()
            except LinkscopeError:
                pass
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 4 << 20


# -- fuzzing: only linkscope's errors escape, in bounded time ---------------------------------------
def corpus_seeds() -> list[bytes]:
    """Go's FuzzReader corpus: "go test fuzz v1" then []byte("...") with Go quoting."""
    out = []
    for p in sorted(FUZZ_CORPUS.iterdir()):
        lines = p.read_bytes().split(b"\n")
        assert lines[0] == b"go test fuzz v1"
        m = re.fullmatch(rb'\[\]byte\((".*")\)', lines[1])
        out.append(unquote_bytes(m.group(1)))
    return out


def test_go_fuzz_corpus_decodes_and_parses_or_fails_cleanly():
    seeds = corpus_seeds()
    assert len(seeds) == 3
    for data in seeds:
        try:
            exercise(load(data))
        except LinkscopeError:
            pass


def rich_sample() -> bytes:
    b = Blob()
    b.add(b'\xff Go build ID: "abc/def"\n \xff')
    imp = import_directory(b, [("KERNEL32.dll", ["ExitProcess", 17]), ("WS2_32.dll", [115])], 64)
    dly = delay_directory(b, [("USER32.dll", ["MessageBoxA"])], 64, 0x140000000)
    name = b.add(b"rich.dll\0")
    exp = b.add(struct.pack("<IIHHIIIIIII", 0, 0, 0, 0, name, 1, 0, 0, 0, 0, 0))
    dd = _debug_dir(b, b"RSDS" + bytes(16) + struct.pack("<I", 1) + b"x.pdb\0")
    return bytes(make_pe(b, dll=True, dirs={0: (exp, 40), 1: (imp, 60), 6: (dd, 28), 13: (dly, 64)},
                         long_name=b"/4", strtab=b".data\0"))


def exercise(img: pe.PEImage) -> None:
    img.facts()
    img.sections()
    img.delay_needed
    img.codeview
    img.export_name
    for dll in img.needed:
        img.imported_functions(dll)
    for dll in img.delay_needed:
        img.imported_functions(dll, delayed=True)
    start = img.go_data_start()
    if start:
        img.read_vaddr(start[0], 64)
    for s in img.pe_sections[:4]:
        img.read_vaddr(img.image_base + s.virtual_address, 32)
        img.rva_to_offset(s.virtual_address)


def mutate_pe(rng: random.Random, seed: bytes) -> bytes:
    """Up to six edits, most within the first 1 KiB (the headers and section table): bytes,
    interesting little-endian words and half-words; a third of the mutants cut."""
    return mutate(seed, rng, edits=(1, 6), regions=[(0, 0x400)], focus=0.7, words=0.35, halfwords=0.1,
                  truncate=0.3)


def test_random_mutations_raise_only_linkscope_errors():
    seeds = [(TESTDATA / n).read_bytes() for n in ("gcc-386-mingw-exec", "gcc-amd64-mingw-obj",
                                                   "vmlinuz-4.15.0-47-generic", "gcc-386-mingw-no-symbols-exec")]
    seeds += [rich_sample()] + corpus_seeds()
    rng = random.Random(0x5EED)
    outcomes = {"ok": 0, "error": 0}
    with reference.watchdog(600, "PE mutations"):
        for seed in seeds:
            for _ in range(1000):
                data = mutate_pe(rng, seed)
                try:
                    exercise(load(data))
                    outcomes["ok"] += 1
                except LinkscopeError:
                    outcomes["error"] += 1
                except Exception as e:  # pragma: no cover - the assertion is the point
                    raise AssertionError(f"{type(e).__name__} escaped for mutation of seed {seeds.index(seed)}: "
                                         f"{e}\ndata={data[:2048]!r}") from e
    assert outcomes["ok"] > 100 and outcomes["error"] > 100, outcomes


def test_rich_sample_record():
    img = load(rich_sample())
    assert img.facts() == facts(type="shared-library", needed=("KERNEL32.dll", "WS2_32.dll"), soname="rich.dll",
                                debug_info=False, go_build_id="abc/def")
    assert img.delay_needed == ("USER32.dll",)
    assert img.pe_sections[0].name == ".data"


def test_import_descriptor_with_a_name_and_no_first_thunk_ends_the_import_list():
    """The loader's rule (Wine's import walk, ReactOS): the list ends at the first descriptor whose
    Name *or* FirstThunk is zero, so a descriptor with a DLL name and FirstThunk 0 ends it, and the
    DLLs after it are never loaded; OriginalFirstThunk does not keep it alive."""
    b = Blob()
    imp = import_directory(b, [("KERNEL32.dll", ["ExitProcess"]), ("ADVAPI32.dll", ["RegOpenKeyA"]),
                               ("WS2_32.dll", ["WSAStartup"])], 64)
    d = bytearray(b.data)
    second = imp - SECT_RVA + 20
    oft, _ts, _fwd, name, ft = struct.unpack_from("<IIIII", d, second)
    assert oft and name and ft                   # a whole descriptor, before the patch
    struct.pack_into("<I", d, second + 16, 0)    # FirstThunk 0, Name still set
    b.data = d
    img = load(make_pe(b, dirs={1: (imp, 80)}))
    assert img.needed == ("KERNEL32.dll",)
    assert img.facts() == facts(needed=("KERNEL32.dll",))
    assert img.imported_functions("kernel32.dll") == (pe.ImportedFunction("ExitProcess", None, 7),)
    for after in ("advapi32.dll", "ws2_32.dll"):
        with pytest.raises(KeyError):            # not imported: the list ended before them
            img.imported_functions(after)
