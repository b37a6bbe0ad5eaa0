"""Rules of linkscope.go.buildinfo and go.modinfo (gobuild.py when mutation-tested) that mutation testing (scripts/mutation.py) showed no test pinned down.

The damaged blobs of test_gobuild.py are checked there by error type; here each one is checked by
its whole error (type, message, byte offset in the file), since the message and the offset are what
a user reads (``truncated: Go version: 100 bytes declared, the mapped data ends first at offset
0x1020``). Then: the search runs once per image, the interface is the two methods the module
names (no ``format`` attribute needed), Go's ``encoding/binary.Uvarint`` edge cases, the bounded
pieces a long string is read in, the aligned search (in place and through read_vaddr), the wasm
module-info frame, and strconv's Quote/Unquote at the edge of each UTF-8 length and escape, each
refusal being ErrSyntax's own message ("invalid syntax"), as Go returns.

Expected values are written here from the blob layout (``cmd/link``'s buildinfo, see the module
notes) and from Go's sources; the strconv and ParseBuildInfo tables are what Go 1.27 returns for the
same input (checked once with the oracle of test_gobuild.py), never linkscope's output. The image is a stand-in: ``data`` is
loaded at virtual address BASE from file offset FOFF, so an address and a file offset differ.
"""
from __future__ import annotations

import pytest

from linkscope.go import buildinfo, modinfo
from linkscope.byteview import ByteView
from linkscope.errors import Malformed, Truncated
from linkscope.go import strconv
from linkscope.go.buildinfo import BUILDINFO_MAGIC, MODINFO_END, MODINFO_START, read_buildinfo
from linkscope.model import GoInfo, Module

BASE, FOFF = 0x402000, 0x1000


class Image:
    """go_data_start and read_vaddr (the interface), vaddr_to_offset (what ELF, Mach-O and PE add for
    error messages); no ``format``. Records every read."""

    def __init__(self, data: bytes, size: int | None = None):
        self.data = bytes(data)
        self.size = len(self.data) if size is None else size
        self.reads: list[tuple[int, int]] = []

    def go_data_start(self):
        return BASE, self.size

    def read_vaddr(self, addr: int, n: int):
        self.reads.append((addr, n))
        off = addr - BASE
        if off < 0 or off >= len(self.data):
            return None
        return self.data[off:off + n]

    def vaddr_to_offset(self, addr: int) -> int:
        return addr - BASE + FOFF


class NoOffsets(Image):
    vaddr_to_offset = None


class BadOffsets(Image):
    def vaddr_to_offset(self, addr: int) -> int:
        raise ValueError("address not in any segment")


def varint(n: int) -> bytes:
    out = bytearray()
    while n >= 0x80:
        out.append(n & 0x7F | 0x80)
        n >>= 7
    return bytes(out + bytes([n]))


HEAD_INLINE = BUILDINFO_MAGIC + bytes([8, 2]) + bytes(16)          # 32 bytes: magic, ptrsize, flags
MODTEXT = b"path\tex.com/m\nmod\tex.com/m\t(devel)\t\n"
FRAMED = MODINFO_START + MODTEXT + MODINFO_END


def inline(version: bytes, mod: bytes) -> bytes:
    return HEAD_INLINE + varint(len(version)) + version + varint(len(mod)) + mod


def whole_error(image):
    with pytest.raises(Malformed) as e:
        read_buildinfo(image)
    return type(e.value), e.value.message, e.value.offset


# -- every error, whole -------------------------------------------------------------------------------
V = 32 + FOFF            # file offset of the version's length varint
ERRORS = {
    # 16 bytes mapped of a region said to be 64: the magic fits the region, the header is not there
    "header_not_mapped": ((HEAD_INLINE[:16], 64),
                          (Truncated, "Go build info header needs 32 bytes", FOFF)),
    "magic_too_close_to_region_end": ((HEAD_INLINE[:24], None),
                                      (Truncated, "Go build info magic too close to the end of its region", FOFF)),
    "pointer_size_3": ((BUILDINFO_MAGIC + bytes([3, 0]) + bytes(16), None),
                       (Malformed, "Go build info pointer size 3 (want 4 or 8)", FOFF + 14)),
    "pointer_size_0": ((BUILDINFO_MAGIC + bytes([0, 0]) + bytes(16), None),
                       (Malformed, "Go build info pointer size 0 (want 4 or 8)", FOFF + 14)),
    "empty_version": ((inline(b"", FRAMED), None),
                      (Malformed, "Go build info has an empty toolchain version", FOFF)),
    "version_length_not_mapped": ((HEAD_INLINE, 64),
                                  (Truncated, "Go version: length is outside the mapped data", V)),
    "version_varint_cut": ((HEAD_INLINE + b"\x80\x80", None),
                           (Truncated, "Go version: length varint runs off the mapped data", V)),
    # encoding/binary.Uvarint: a 10th byte above 1 overflows a uint64
    "version_varint_10th_byte_2": ((HEAD_INLINE + b"\xff" * 9 + b"\x02" + bytes(32), None),
                                   (Malformed, "Go version: length varint overflows 64 bits", V)),
    # Regression: ten bytes that all have the continuation bit overflow whatever follows them; they
    # were reported as a varint running off the mapped data, on a file that goes on.
    "version_varint_11_bytes": ((HEAD_INLINE + b"\xff" * 10 + b"\x01" + bytes(32), None),
                                (Malformed, "Go version: length varint overflows 64 bits", V)),
    "version_varint_10_continuations_at_end": ((HEAD_INLINE + b"\x80" * 10, None),
                                               (Malformed, "Go version: length varint overflows 64 bits", V)),
    "version_varint_9_continuations_at_end": ((HEAD_INLINE + b"\x80" * 9, None),
                                              (Truncated, "Go version: length varint runs off the mapped data", V)),
    "version_over_limit": ((HEAD_INLINE + varint((16 << 20) + 1) + bytes(64), None),
                           (Malformed, "Go version: length 16777217 exceeds the 16777216 bytes accepted", V)),
    # exactly the limit is accepted, and then the data ends first
    "version_at_limit": ((HEAD_INLINE + varint(16 << 20) + bytes(64), None),
                         (Truncated, "Go version: 16777216 bytes declared, the mapped data ends first", V)),
    "version_past_end": ((HEAD_INLINE + varint(100) + b"go1", None),
                         (Truncated, "Go version: 100 bytes declared, the mapped data ends first", V)),
    "modinfo_past_end": ((HEAD_INLINE + b"\x08go1.22.0" + varint(500) + bytes(32), None),
                         (Truncated, "Go module info: 500 bytes declared, the mapped data ends first", V + 9)),
    "modinfo_length_not_mapped": ((HEAD_INLINE + b"\x08go1.22.0", 128),
                                  (Truncated, "Go module info: length is outside the mapped data", V + 9)),
    # a parse error points at the module info (its length varint, in the inline form)
    "modinfo_bad_line": ((inline(b"go1.22.0", MODINFO_START + b"mod\ta\n" + MODINFO_END), None),
                         (Malformed, "could not parse Go build info: line 1: expected 2 or 3 columns; got 1", V + 9)),
}


@pytest.mark.parametrize("name", ERRORS)
def test_damaged_blob_whole_error(name):
    (data, size), want = ERRORS[name]
    assert whole_error(Image(data, size)) == want


def test_pointer_form_parse_error_points_at_the_module_string_header():
    # Go 1.17 layout: header with two pointers to Go string headers (data pointer, length).
    version, mod = b"go1.17", MODINFO_START + b"dep\tx\n" + MODINFO_END
    data = bytearray(256)
    data[:16] = BUILDINFO_MAGIC + bytes([8, 0])
    data[16:32] = (BASE + 64).to_bytes(8, "little") + (BASE + 96).to_bytes(8, "little")
    data[64:80] = (BASE + 128).to_bytes(8, "little") + len(version).to_bytes(8, "little")
    data[96:112] = (BASE + 144).to_bytes(8, "little") + len(mod).to_bytes(8, "little")
    data[128:128 + len(version)] = version
    data[144:144 + len(mod)] = mod
    assert whole_error(Image(bytes(data))) == (
        Malformed, "could not parse Go build info: line 1: expected 2 or 3 columns; got 1", FOFF + 96)


def test_offsets_are_none_when_the_image_cannot_map_addresses_back():
    data = HEAD_INLINE + varint(100) + b"go1"
    for cls in (NoOffsets, BadOffsets):
        assert whole_error(cls(data)) == (Truncated, "Go version: 100 bytes declared, the mapped data ends first", None)


def test_error_message_a_user_reads():
    with pytest.raises(Malformed) as e:
        read_buildinfo(Image(HEAD_INLINE + varint(100) + b"go1"))
    assert str(e.value) == "truncated: Go version: 100 bytes declared, the mapped data ends first at offset 0x1020"


# -- the interface and the memo -------------------------------------------------------------------
def test_two_methods_are_enough():
    """An image with only the interface (no ``format``, no vaddr_span) is read like any other."""
    got = read_buildinfo(Image(bytes(16) + inline(b"go1.22.0", FRAMED) + bytes(16)))
    assert got == GoInfo("go1.22.0", "ex.com/m", Module("ex.com/m", "(devel)", ""))


def test_searched_once_per_image():
    img = Image(inline(b"go1.22.0", FRAMED))
    first = read_buildinfo(img)
    reads = len(img.reads)
    assert reads > 0
    assert read_buildinfo(img) == first == GoInfo("go1.22.0", "ex.com/m", Module("ex.com/m", "(devel)", ""))
    assert len(img.reads) == reads                 # the second ask reads nothing


def test_a_damaged_blob_is_read_once_and_raises_each_time():
    img = Image(HEAD_INLINE + varint(100) + b"go1")
    for _ in range(2):
        with pytest.raises(Truncated):
            read_buildinfo(img)
        if _ == 0:
            reads = len(img.reads)
    assert len(img.reads) == reads


def test_empty_region_is_not_go():
    img = Image(inline(b"go1.22.0", FRAMED), size=0)
    assert read_buildinfo(img) is None


# -- bounded reads -------------------------------------------------------------------------------------
def test_long_string_is_read_in_one_mib_pieces():
    """A 2.5 MiB module info string: read in pieces of at most 1 MiB, and returned whole."""
    body = b"path\tp\n" + b"build\tk=" + b"v" * (5 << 19) + b"\n"
    mod = MODINFO_START + body + MODINFO_END
    img = Image(inline(b"go1.22.0", mod))
    info = read_buildinfo(img)
    assert info.path == "p" and info.settings == (("k", "v" * (5 << 19)),)
    big = [n for _, n in img.reads if n > 64]
    assert max(big) == 1 << 20
    # the string's pieces start where the previous one ended and ask for what remains
    start = 32 + 1 + 8 + len(varint(len(mod))) + BASE
    pieces = [(a, n) for a, n in img.reads if a >= start and n > 64]
    assert pieces == [(start, 1 << 20), (start + (1 << 20), 1 << 20), (start + (2 << 20), len(mod) - (2 << 20))]


def test_zero_length_modinfo_reads_nothing_and_is_empty():
    img = Image(HEAD_INLINE + b"\x08go1.22.0" + b"\x00")
    assert read_buildinfo(img) == GoInfo("go1.22.0")


def test_one_byte_version():
    assert read_buildinfo(Image(HEAD_INLINE + b"\x01x\x00")) == GoInfo("x")


# -- the pointer form (before Go 1.18): limits on the string headers ---------------------------------
def pointer_blob(vers_len: int, data_len: int | None = None, hdr_len: int = 16) -> Image:
    """A Go 1.17 blob whose version string header says ``vers_len`` bytes; ``data_len`` bytes of 'g'
    are mapped at the address it points to; ``hdr_len`` bytes of the version's header are mapped."""
    head = BUILDINFO_MAGIC + bytes([8, 0]) + (BASE + 64).to_bytes(8, "little") + (BASE + 32).to_bytes(8, "little")
    body = bytearray(head + bytes(32))                   # the module info header at 32: zero, read as ""
    body += ((BASE + 80).to_bytes(8, "little") + vers_len.to_bytes(8, "little"))[:hdr_len]
    if hdr_len == 16:
        body += b"g" * (vers_len if data_len is None else data_len)
    return Image(bytes(body))


def test_pointer_form_string_at_the_limit_is_read():
    img = pointer_blob(16 << 20)
    assert read_buildinfo(img) == GoInfo("g" * (16 << 20))


def test_pointer_form_string_over_the_limit_is_refused_unread():
    img = pointer_blob((16 << 20) + 1, data_len=64)
    with pytest.raises(Malformed) as e:                  # "" for the version: Go's "not a Go executable"
        read_buildinfo(img)
    assert (type(e.value), e.value.message) == (Malformed, "Go build info has an empty toolchain version")
    assert not [a for a, _ in img.reads if a >= BASE + 80]     # nothing read at the string's data


def test_pointer_form_short_string_header_reads_as_empty():
    img = pointer_blob(6, hdr_len=15)                   # the header's last byte is not mapped
    with pytest.raises(Malformed) as e:
        read_buildinfo(img)
    assert e.value.message == "Go build info has an empty toolchain version"
    assert read_buildinfo(pointer_blob(6)) == GoInfo("gggggg")


# -- the search ---------------------------------------------------------------------------------------
def magic_at(size: int, *at: int) -> bytes:
    b = bytearray(size)
    for a in at:
        b[a:a + len(BUILDINFO_MAGIC)] = BUILDINFO_MAGIC
    return bytes(b)


class Region(Image):
    def __init__(self, data: bytes, start: int, size: int):
        super().__init__(data, size)
        self.start = start

    def go_data_start(self):
        return self.start, self.size


class Mapped(Image):
    """Located through vaddr_span (in place in the file's view), as ELF, Mach-O and PE images are;
    ``lie`` makes the span claim more bytes than the file holds (a segment past the end of a file)."""

    def __init__(self, data: bytes, lie: int = 0):
        super().__init__(data)
        self.view = ByteView(b"\0" * FOFF + self.data)
        self.lie = lie

    def vaddr_span(self, addr: int, n: int):
        off = addr - BASE
        if off < 0 or off >= len(self.data):
            return None
        return FOFF + off, min(n, len(self.data) - off) + self.lie


class MappedRegion(Mapped):
    def __init__(self, data: bytes, start: int, size: int):
        super().__init__(data)
        self.start, self.size = start, size

    def go_data_start(self):
        return self.start, self.size


KINDS = {"read_vaddr": Region, "in_place": MappedRegion}


@pytest.mark.parametrize("kind", KINDS)
def test_search_starts_at_the_first_aligned_address_of_the_region(kind):
    # a magic before the region's start is outside it, even when the rounded-down start would reach it
    img = KINDS[kind]
    assert buildinfo.search_magic(img(magic_at(256, 0), BASE + 1, 255), BASE + 1, 255) is None
    assert buildinfo.search_magic(img(magic_at(256, 16), BASE + 1, 255), BASE + 1, 255) == BASE + 16
    assert buildinfo.search_magic(img(magic_at(256, 0), BASE, 256), BASE, 256) == BASE
    assert buildinfo.search_magic(img(magic_at(256, 16), BASE + 16, 240), BASE + 16, 240) == BASE + 16


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("misaligned,aligned", [(1, 64), (2, 16), (3, 32), (7, 32), (15, 64), (17, 64), (33, 64), (50, 64)])
def test_search_skips_a_misaligned_magic_to_the_next_boundary(kind, misaligned, aligned):
    data = magic_at(256, misaligned, aligned)
    assert buildinfo.search_magic(KINDS[kind](data, BASE, 256), BASE, 256) == BASE + aligned


@pytest.mark.parametrize("kind", KINDS)
def test_search_returns_the_first_of_two_aligned_magics(kind):
    data = magic_at(256, 48, 128)
    assert buildinfo.search_magic(KINDS[kind](data, BASE, 256), BASE, 256) == BASE + 48
    data = magic_at(256, 0, 48)
    assert buildinfo.search_magic(KINDS[kind](data, BASE, 256), BASE, 256) == BASE


@pytest.mark.parametrize("kind", KINDS)
def test_search_without_a_magic(kind):
    assert buildinfo.search_magic(KINDS[kind](bytes(256), BASE, 256), BASE, 256) is None
    assert buildinfo.search_magic(KINDS[kind](magic_at(256, 7), BASE, 256), BASE, 256) is None


@pytest.mark.parametrize("kind", KINDS)
def test_magic_exactly_32_bytes_before_the_region_end_fits(kind):
    assert buildinfo.search_magic(KINDS[kind](magic_at(64, 32), BASE, 64), BASE, 64) == BASE + 32
    with pytest.raises(Truncated) as e:
        buildinfo.search_magic(KINDS[kind](magic_at(64, 32), BASE, 63), BASE, 63)
    assert (e.value.message, e.value.offset) == ("Go build info magic too close to the end of its region", FOFF + 32)


def test_search_in_place_copies_nothing():
    """Where the image maps addresses to the file, the search reads the file in place (no copy of a
    large data segment through read_vaddr)."""
    img = MappedRegion(magic_at(4096, 1024), BASE, 4096)
    assert buildinfo.search_magic(img, BASE, 4096) == BASE + 1024
    assert img.reads == []


def test_search_in_place_finds_the_blob():
    img = Mapped(bytes(32) + inline(b"go1.22.0", FRAMED))
    assert buildinfo.search_magic(img, BASE, len(img.data)) == BASE + 32
    assert read_buildinfo(Mapped(bytes(32) + inline(b"go1.22.0", FRAMED))) == \
        GoInfo("go1.22.0", "ex.com/m", Module("ex.com/m", "(devel)", ""))


def test_search_in_place_of_a_span_past_the_end_of_the_file():
    img = Mapped(bytes(64), lie=16)
    with pytest.raises(Truncated) as e:
        buildinfo.search_magic(img, BASE, 80)
    assert (e.value.message, e.value.offset) == ("mapped data needs 80 bytes, 64 available", FOFF)


def test_search_stops_where_the_mapping_ends():
    """A region larger than its mapping: what lies past the first short read is not searched (the
    region is one section or segment; past its file-backed part there is nothing of it)."""

    class Hole(Image):
        def read_vaddr(self, addr, n):
            self.reads.append((addr, n))
            if addr < BASE + (1 << 20):
                return bytes(min(n, BASE + 100 - addr)) if addr < BASE + 100 else None
            return magic_at(64, 0)[:n]            # something else mapped further up

    img = Hole(b"", size=4 << 20)
    assert buildinfo.search_magic(img, BASE, 4 << 20) is None
    assert img.reads == [(BASE, 1 << 20)]


# -- wasm: the module info frame ------------------------------------------------------------------------
def test_wasm_errors_whole():
    from test_wasm import GO_PRODUCERS, active, data, module, parse
    b = module(data(active(0, b"ab" + MODINFO_START + b"path\tp\n")), GO_PRODUCERS)
    with pytest.raises(Malformed) as e:
        read_buildinfo(parse(b))
    assert (type(e.value), e.value.message, e.value.offset) == (
        Malformed, "Go module info start sentinel without its end sentinel", b.find(MODINFO_START))
    b = module(data(active(0, MODINFO_START + b"mod\tx\n" + MODINFO_END)), GO_PRODUCERS)
    with pytest.raises(Malformed) as e:
        read_buildinfo(parse(b))
    assert (type(e.value), e.value.message, e.value.offset) == (
        Malformed, "could not parse Go build info: line 1: expected 2 or 3 columns; got 1", b.find(b"mod\tx\n"))


def test_wasm_version_is_the_go_language_entry():
    from test_wasm import active, data, module, parse, producers
    text = MODINFO_START + b"path\tp\n" + MODINFO_END
    for fields, want in [
        ({"language": [("C11", ""), ("Go", "go1.23.1")]}, GoInfo("go1.23.1", "p")),
        ({"language": [("Go", "go1.23.1"), ("Go", "go1.9")]}, GoInfo("go1.23.1", "p")),   # the first
        ({"language": [("Go", "")]}, None),                                              # no version
        ({"processed-by": [("Go cmd/compile", "go1.23.1")]}, None),                     # no language
    ]:
        assert read_buildinfo(parse(module(data(active(0, text)), producers(fields)))) == want, fields


def test_wasm_frame_search_rules():
    """The first sentinel-framed text of the data section, searched in its bytes (segments are not
    decoded); a frame whose text does not end in a newline is skipped; a stray start sentinel
    before the real one does not open the frame."""
    from test_wasm import GO_PRODUCERS, active, data, module, parse, section
    a = MODINFO_START + b"path\ta\n" + MODINFO_END
    b_ = MODINFO_START + b"path\tb\n" + MODINFO_END
    bad = MODINFO_START + b"path\tq" + MODINFO_END
    cases = {
        "two_frames_first_wins": (data(active(0x100, a + b_)), "a"),
        "invalid_then_two_frames": (data(active(0x100, bad + a + b_)), "a"),
        "end_sentinel_right_before_the_start": (data(active(0x100, bad + a)), "a"),
        "frames_in_two_segments": (data(active(0x100, a), active(0x1000, b_)), "a"),
        # a stray start sentinel, then two frames: the last start before the first end opens the frame
        "stray_start_then_two_frames": (data(active(0x100, MODINFO_START + b"junk" + a + b_)), "a"),
        # the section's bytes begin with a start sentinel: no segment can be decoded, the frame is found
        "frame_at_section_start": (section(11, a), "a"),
    }
    for name, (sec, path) in cases.items():
        got = read_buildinfo(parse(module(sec, GO_PRODUCERS)))
        assert got == GoInfo("go1.27.3", path), name


def test_wasm_frame_text_of_the_maximum_length():
    from test_wasm import GO_PRODUCERS, active, data, module, parse
    for extra, ok in ((0, True), (1, False)):
        text = b"path\tp\n" + b"x" * ((16 << 20) - 8 + extra) + b"\n"      # MAX_STRING (+1) bytes
        b = module(data(active(0x100, MODINFO_START + text + MODINFO_END)), GO_PRODUCERS)
        if ok:
            assert read_buildinfo(parse(b)) == GoInfo("go1.27.3", "p")
        else:
            with pytest.raises(Malformed) as e:
                read_buildinfo(parse(b))
            assert e.value.message == "Go module info start sentinel without its end sentinel"


# -- read_raw_buildinfo: the text between the sentinels, as debug/buildinfo strips it ------------------
@pytest.mark.parametrize("mod,text", [
    (MODINFO_START + b"\n" + MODINFO_END, b"\n"),                    # 33 bytes: the shortest framed text
    (MODINFO_START + MODINFO_END, b""),                              # 32 bytes: too short
    (MODINFO_START + MODTEXT + MODINFO_END, MODTEXT),
    (b"A" * 16 + b"path\tx\nfoo" + b"B" * 16, b""),                  # 17th byte from the end not a newline
    (b"A" * 16 + b"path\tx\n" + b"B" * 16, b"path\tx\n"),            # the sentinels themselves are not compared
    (b"path\tx\n", b""),
])
def test_raw_modinfo_text(mod, text):
    raw = buildinfo.read_raw_buildinfo(Image(inline(b"go1.22.0", mod)))
    assert raw == ("go1.22.0", text, BASE + 32 + 9)


def test_modinfo_text_is_the_text_between_the_sentinels_read_once():
    img = Image(inline(b"go1.22.0", FRAMED))
    assert buildinfo.modinfo_text(img) == MODTEXT
    reads = len(img.reads)
    assert buildinfo.modinfo_text(img) == MODTEXT and read_buildinfo(img) is not None
    assert len(img.reads) == reads                 # the build info and the size share one read


@pytest.mark.parametrize("data", [b"", bytes(64), inline(b"", FRAMED), HEAD_INLINE[:24]],
                         ids=["empty", "no-magic", "malformed", "truncated"])
def test_modinfo_text_without_a_readable_text_is_empty(data):
    assert buildinfo.modinfo_text(Image(data)) == b""


def test_raw_pointer_form_returns_the_module_string_header_address():
    assert buildinfo.read_raw_buildinfo(pointer_blob(6)) == ("gggggg", b"", BASE + 32)


def test_version_bytes_that_are_not_utf8_are_kept():
    """Decoded with surrogateescape: the bytes round-trip to what `go version -m` prints."""
    info = read_buildinfo(Image(HEAD_INLINE + b"\x05go1\xff\xfe\x00"))
    assert info.version == "go1\udcff\udcfe"
    assert info.version.encode("utf-8", "surrogateescape") == b"go1\xff\xfe"


def test_pointer_form_version_data_not_mapped_is_empty():
    img = pointer_blob(6, data_len=0)
    with pytest.raises(Malformed) as e:
        read_buildinfo(img)
    assert e.value.message == "Go build info has an empty toolchain version"


# -- the build line's messages: fmt's %q of the byte after a quoted key --------------------------------
# Each expected message is what Go 1.27's runtime/debug.ParseBuildInfo returns for the same line
# (checked with the oracle of test_gobuild.py).
@pytest.mark.parametrize("after,shown", [
    (b"'", r"'\''"), (b"\\", r"'\\'"), (b'"', "'\"'"), (b"\t", r"'\t'"), (b"\x7f", r"'\x7f'"),
    (b" ", "' '"), (b"x", "'x'"), (b"\xff", "'\u00ff'"), (b"\xe2", "'\u00e2'"),
])
def test_unexpected_character_after_quoted_key(after, shown):
    with pytest.raises(Malformed) as e:
        modinfo.parse_modinfo(b'path\tp\nbuild\t"a"' + after + b"=1\n")
    assert e.value.message == f"could not parse Go build info: line 2: unexpected character after quoted key: {shown}"


# -- strconv.Quote at the edges of each UTF-8 sequence length (expected: Go 1.27's strconv.Quote) ------
@pytest.mark.parametrize("raw,quoted", [
    (b"\xc2\x80", r'"\u0080"'), (b"\xc2\x9f", r'"\u009f"'), (b"\xc2\xa0", r'"\u00a0"'), (b"\xc1\xbf", r'"\xc1\xbf"'),
    (b"\xdf\xbf", '"\u07ff"'), (b"\xe0\xa0\x80", '"\u0800"'), (b"\xe0\x80\x80", r'"\xe0\x80\x80"'),
    (b"\xed\x9f\xbf", r'"\ud7ff"'), (b"\xed\xa0\x80", r'"\xed\xa0\x80"'), (b"\xee\x80\x80", r'"\ue000"'),
    (b"\xef\xbf\xbd", '"\ufffd"'), (b"\xef\xbf\xbf", r'"\uffff"'), (b"\xe2\x80\xa8", r'"\u2028"'),
    (b"\xf0\x90\x80\x80", '"\U00010000"'), (b"\xf0\x80\x80\x80", r'"\xf0\x80\x80\x80"'),
    (b"\xf0\x9f\x98\x80", '"\U0001f600"'), (b"\xf3\xa0\x80\x81", r'"\U000e0001"'),
    (b"\xf4\x8f\xbf\xbf", r'"\U0010ffff"'), (b"\xf4\x90\x80\x80", r'"\xf4\x90\x80\x80"'),
    (b"\xf5\x80\x80\x80", r'"\xf5\x80\x80\x80"'),
    (b"\xc2", r'"\xc2"'), (b"\xe0\xa0", r'"\xe0\xa0"'), (b"a\xc2", r'"a\xc2"'), (b"\x80", r'"\x80"'),
    (b"\x1f", r'"\x1f"'), (b" ", '" "'), (b"~", '"~"'), (b"\x7f", r'"\x7f"'),
])
def test_go_quote_utf8_edges(raw, quoted):
    assert strconv.go_quote(raw) == quoted


def test_parse_modinfo_of_text():
    """A str is read as the bytes it stands for (surrogate escapes are the undecodable bytes)."""
    assert modinfo.parse_modinfo("path\tex\udcffample\n", "go1") == GoInfo("go1", "ex\udcffample")


def test_string_of_an_empty_main_module_prints_no_mod_line():
    assert modinfo.modinfo_string(GoInfo("go1", "p", Module(""))) == "go\tgo1\npath\tp\n"
    assert modinfo.modinfo_string(GoInfo("go1", "p", Module("m"))) == "go\tgo1\npath\tp\nmod\tm\t\t\n"


@pytest.mark.parametrize("kind", KINDS)
def test_search_reads_no_further_than_the_region(kind):
    """A magic in mapped bytes after the region's end is not the region's: not found, and the reads
    stop at the region's end."""
    img = KINDS[kind](magic_at(256, 128), BASE, 64)
    assert buildinfo.search_magic(img, BASE, 64) is None
    assert all(a + n <= BASE + 64 for a, n in img.reads)


# -- strconv.Unquote: the str form, and the error ---------------------------------------------------
@pytest.mark.parametrize("quoted,want", [
    ('"a\\xffb"', "a\udcffb"),                 # a byte that is not UTF-8 comes back as its surrogate escape
    ('"caf\\u00e9"', "caf\u00e9"),
    ('"\udcff"', "\ufffd"),                    # an undecodable byte of a double-quoted string becomes U+FFFD, as in Go
    (b'"a\\x41"', "aA"),
    ("`x\udcfey`", "x\udcfey"),
])
def test_unquote_text(quoted, want):
    assert strconv.unquote(quoted) == want


@pytest.mark.parametrize("bad", [b'"a', b'"a"x', b"'ab'", b'"\\q"', b"x"])
def test_unquote_error_is_strconvs_err_syntax(bad):
    with pytest.raises(ValueError) as e:
        strconv.unquote_bytes(bad)
    assert str(e.value) == "invalid syntax"


def test_parse_modinfo_without_a_version_has_an_empty_one():
    assert modinfo.parse_modinfo(b"path\tp\n") == GoInfo("", "p")


# -- strconv.Unquote at the edges of each escape (expected: Go 1.27's strconv.Unquote; None = ErrSyntax)
@pytest.mark.parametrize("quoted,want", [
    (rb'"\ud7ff"', b"\xed\x9f\xbf"), (rb'"\ue000"', b"\xee\x80\x80"), (rb'"\udfff"', None), (rb'"\ud800"', None),
    (rb'"\U0010ffff"', b"\xf4\x8f\xbf\xbf"), (rb'"\U00110000"', None), (rb'"\U0000D7FF"', b"\xed\x9f\xbf"),
    (rb'"\U0000E000"', b"\xee\x80\x80"), (rb'"\U0000DFFF"', None), (rb'"\U0001F600"', b"\xf0\x9f\x98\x80"),
    (rb'"\u00E9"', b"\xc3\xa9"), (rb'"\u12"', None),
    (rb'"\377"', b"\xff"), (rb'"\400"', None), (rb'"\000"', b"\x00"), (rb'"\8"', None), (rb'"\777"', None),
    (rb'"\078"', None), (rb'"\07"', None), (rb'"\1"', None), (rb'"\12"', None),
    (rb'"\xAf"', b"\xaf"), (rb'"\xg0"', None), (rb'"\xF"', None), (rb'"\x"', None), (rb'"\xff\xfe"', b"\xff\xfe"),
    (rb'"\x41\x42"', b"AB"), (rb'"a\x41b"', b"aAb"),
    (rb'"\a\b\f\n\r\t\v"', b"\x07\x08\x0c\n\r\t\x0b"), (rb'"\\"', b"\\"), (rb'"\"', None),
    (b"'\\\"'", None), (rb"'\''", b"'"), (b'"\\\'"', None), (rb"'\x41'", b"A"), (rb"'\u00e9'", b"\xc3\xa9"),
    (rb"'\377'", b"\xff"), (b"''", b""), (b"'\xc3\xa9'", b"\xc3\xa9"), (b"'\xff'", b"\xef\xbf\xbd"),
    (b'"\xc3\xa9\\n"', b"\xc3\xa9\n"), (b'"\xff\\n"', b"\xef\xbf\xbd\n"), (b"`a\rb\r`", b"ab"), (b'"a\\\nb"', None),
])
def test_unquote_escape_edges(quoted, want):
    """A refused escape is strconv.ErrSyntax ("invalid syntax"), not another ValueError (Python's own
    from int(), chr(), bytearray.append or str.encode would pass a bare pytest.raises(ValueError))."""
    if want is None:
        with pytest.raises(ValueError) as e:
            strconv.unquote_bytes(quoted)
        assert str(e.value) == "invalid syntax"
    else:
        assert strconv.unquote_bytes(quoted) == want


# Each place Unquote and QuotedPrefix refuse their input (Go 1.27: ErrSyntax for Unquote and QuotedPrefix).
@pytest.mark.parametrize("bad", [
    b'"',         # shorter than two quotes
    b'"a',        # no closing quote
    b"aba",       # a closing "quote" that is not a quote character
    b'"\\n\n"',   # a newline after an escape (the loop, not the fast path)
    b'"\\"\\',    # a backslash as the last byte, after an escaped quote
    b'"\\"\\x4',  # an escape cut short by the end of the input
])
def test_unquote_and_quoted_prefix_refuse_with_err_syntax(bad):
    for f in (strconv.unquote_bytes, strconv.quoted_prefix):
        with pytest.raises(ValueError) as e:
            f(bad)
        assert str(e.value) == "invalid syntax"


def test_pointer_form_string_header_one_byte_short_is_empty_even_when_its_data_is_mapped():
    """debug/buildinfo.readString needs the whole header (2 pointer sizes); one byte short, the string
    is "" though the data it would point to is mapped (here: the blob's own first bytes)."""
    head = BUILDINFO_MAGIC + bytes([8, 0]) + (BASE + 64).to_bytes(8, "little") + (BASE + 32).to_bytes(8, "little")
    data = head + bytes(32) + (BASE + 0).to_bytes(8, "little") + (6).to_bytes(8, "little")[:7]
    with pytest.raises(Malformed) as e:
        read_buildinfo(Image(data))
    assert e.value.message == "Go build info has an empty toolchain version"


def test_main_module_with_only_a_sum_is_kept():
    """runtime/debug keeps a mod line whose path and version are empty (Main is not the zero Module)."""
    info = modinfo.parse_modinfo(b"mod\t\t\th1:x=\n", "go1")
    assert info == GoInfo("go1", main=Module("", "", "h1:x="))
    assert modinfo.modinfo_string(info) == "go\tgo1\nmod\t\t\th1:x=\n"


# -- the module text's budgets and the line numbers of its errors -------------------------------------------
@pytest.mark.parametrize("text,prefix,n,want", [
    (b"dep\ta\ndep\tb\nx\ndep\tc\n", b"dep\t", 0, 0), (b"dep\ta\ndep\tb\nx\ndep\tc\n", b"dep\t", 1, 6),
    (b"dep\ta\ndep\tb\nx\ndep\tc\n", b"dep\t", 2, 14), (b"dep\ta\ndep\tb\nx\ndep\tc\n", b"dep\t", 3, -1),
    (b"x\ndep\ta\n", b"dep\t", 0, 2), (b"\ndep\ta\n", b"dep\t", 0, 1), (b"abc", b"dep\t", 0, -1),
    (b"a\nb\nc\n", b"", 2, 4), (b"a\nb\n", b"", 2, 4), (b"a\nb\n", b"", 3, -1), (b"a\nb\n", b"", 4, -1),
    (b"dep\ta\ndep\tb\nx\ndep\tc\n", b"dep\t", 5, -1),
])
def test_nth_line(text, prefix, n, want):
    """The offset of the n-th line (from 0) starting with the prefix, counted by hand."""
    assert modinfo._nth_line(text, prefix, n) == want


DEPS_TEXT = (b"path\tp\nmod\tm\tv1\t\ndep\ta\tv1\t\ndep\tb\tv1\t\n=>\tb2\tv2\t\ndep\tc\tv1\t\n=>\tc2\tv2\t\n"
             b"dep\td\tv1\t\nbuild\tk=v\nbuild\tk2=v2\n")


def test_past_the_dependency_budget_the_rest_of_the_dependencies_are_cut(monkeypatch):
    monkeypatch.setattr(modinfo, "MAX_DEPS", 2)
    said = []
    info = modinfo.parse_modinfo(DEPS_TEXT, "go1.22", warn=said.append)
    assert [(d.path, d.replace.path if d.replace else None) for d in info.deps] == [("a", None), ("b", "b2")]
    assert info.settings == (("k", "v"), ("k2", "v2"))
    assert said == ["4 module dependencies, more than the 2 read; the others not read"]
    monkeypatch.setattr(modinfo, "MAX_DEPS", 4)
    said.clear()
    assert len(modinfo.parse_modinfo(DEPS_TEXT, "go1.22", warn=said.append).deps) == 4 and said == []


def test_an_error_after_the_cut_is_numbered_as_the_text_was_written(monkeypatch):
    """Lines 6 to 8 (dep c, its =>, dep d) are cut; the bad build line is line 9 of the text as
    written, and is said so. A bad line before the cut keeps its number too."""
    monkeypatch.setattr(modinfo, "MAX_DEPS", 2)
    bad = DEPS_TEXT.replace(b"build\tk=v\n", b"build\t\n")
    with pytest.raises(Malformed) as e:
        modinfo.parse_modinfo(bad, offset=77)
    assert (e.value.message, e.value.offset) == ("could not parse Go build info: line 9: build line missing '='", 77)
    early = DEPS_TEXT.replace(b"dep\ta\tv1\t\n", b"dep\ta\n")
    with pytest.raises(Malformed) as e:
        modinfo.parse_modinfo(early)
    assert e.value.message == "could not parse Go build info: line 3: expected 2 or 3 columns; got 1"
    monkeypatch.setattr(modinfo, "MAX_DEPS", 100)                       # no cut: the same numbers
    with pytest.raises(Malformed) as e:
        modinfo.parse_modinfo(bad)
    assert e.value.message == "could not parse Go build info: line 9: build line missing '='"


def test_past_the_settings_budget_and_the_line_budget(monkeypatch):
    monkeypatch.setattr(modinfo, "MAX_SETTINGS", 1)
    said = []
    info = modinfo.parse_modinfo(DEPS_TEXT, warn=said.append)
    assert info.settings == (("k", "v"),) and len(info.deps) == 4
    assert said == ["2 build settings, more than the 1 read; the others not read"]
    monkeypatch.setattr(modinfo, "MAX_SETTINGS", 4096)
    monkeypatch.setattr(modinfo, "MAX_LINES", 4)
    said.clear()
    info = modinfo.parse_modinfo(DEPS_TEXT, warn=said.append)
    assert [d.path for d in info.deps] == ["a", "b"] and info.settings == ()        # lines 1 to 4 read
    assert said == ["10 lines of module information, more than the 4 read; the others not read"]


def test_the_budget_warning_goes_on_the_image_with_the_blob_offset(monkeypatch):
    """From an image that takes warnings: one on table "Go build info", at the module text's offset;
    an image that takes none gets none (and nothing fails)."""
    class Warned(Image):
        def __init__(self, data):
            super().__init__(data)
            self.said = []

        def warn(self, table, err):
            self.said.append((table, type(err), err.message, err.offset))
    monkeypatch.setattr(modinfo, "MAX_SETTINGS", 1)
    blob = inline(b"go1.22.1", MODINFO_START + DEPS_TEXT + MODINFO_END)
    img = Warned(blob)
    info = read_buildinfo(img)
    assert info.settings == (("k", "v"),)
    mod_at = FOFF + len(HEAD_INLINE) + len(varint(8)) + 8
    assert img.said == [("Go build info", Malformed, "2 build settings, more than the 1 read; the others not read", mod_at)]
    assert read_buildinfo(Image(blob)).settings == (("k", "v"),)
    assert buildinfo._budget_warning(Image(blob), 5) is None


def test_the_budget_warning_of_a_wasm_module(monkeypatch):
    from test_wasm import GO_PRODUCERS, active, data, module, parse
    monkeypatch.setattr(modinfo, "MAX_SETTINGS", 1)
    b = module(data(active(0, MODINFO_START + DEPS_TEXT + MODINFO_END)), GO_PRODUCERS)
    img = parse(b)
    assert read_buildinfo(img).settings == (("k", "v"),)
    assert [(w.kind, w.table, w.offset, w.message) for w in img.warnings] == [
        ("malformed", "Go build info", b.find(DEPS_TEXT), "2 build settings, more than the 1 read; the others not read")]


def test_budget_cuts_in_texts_of_any_order(monkeypatch):
    """Go's parser takes the lines in any order: a build line before the dependencies does not end
    the dependencies' cut, a dependency after the build lines is not counted in it, and a text
    that starts with an empty line keeps the numbers of the lines before the cut."""
    monkeypatch.setattr(modinfo, "MAX_DEPS", 1)
    said = []
    info = modinfo.parse_modinfo(b"path\tp\nbuild\tk=v\ndep\ta\tv1\t\ndep\tb\tv1\t\ndep\tc\tv1\t\n", warn=said.append)
    assert [d.path for d in info.deps] == ["a"] and info.settings == (("k", "v"),)
    assert said == ["3 module dependencies, more than the 1 read; the others not read"]
    said.clear()
    info = modinfo.parse_modinfo(b"dep\ta\tv1\t\ndep\tb\tv1\t\nbuild\tk=v\ndep\tz\tv1\t\n", warn=said.append)
    assert [d.path for d in info.deps] == ["a", "z"]
    assert said == ["2 module dependencies, more than the 1 read; the others not read"]
    monkeypatch.setattr(modinfo, "MAX_DEPS", 2)
    bad = b"\n" + DEPS_TEXT.replace(b"=>\tb2\tv2\t\n", b"=>\tb2\n")
    with pytest.raises(Malformed) as e:
        modinfo.parse_modinfo(bad)
    assert e.value.message == "could not parse Go build info: line 6: expected 3 columns for replacement; got 1"


def test_the_line_budget_counts_the_lines_the_dependency_cut_removed(monkeypatch):
    monkeypatch.setattr(modinfo, "MAX_DEPS", 2)
    monkeypatch.setattr(modinfo, "MAX_LINES", 3)
    said = []
    modinfo.parse_modinfo(DEPS_TEXT, warn=said.append)
    assert said == ["10 lines of module information, more than the 3 read; the others not read",
                    "4 module dependencies, more than the 2 read; the others not read"]


def test_no_search_past_the_top_of_the_address_space():
    """A data region that runs past 2**64 ends there: its first aligned address, 2**64, is no address."""
    class Top(Image):
        def go_data_start(self):
            return (1 << 64) - 8, 64

        def read_vaddr(self, addr, n):
            return inline(b"go1.22", FRAMED)[:n]
    assert read_buildinfo(Top(b"")) is None
