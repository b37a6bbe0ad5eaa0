"""ByteView's LEB128 readers and the one decoder under them, against the tests' own encoder
(tests/crafted.py: the wasm spec's and DWARF's encoding), on every value width the formats read."""
from __future__ import annotations

import pytest
from hypothesis import given, strategies as st

from crafted import leb as uleb, sleb
from linkscope.byteview import LEB_LONG, LEB_OK, LEB_SHORT, ByteView, decode_leb128, uvarint
from linkscope.errors import Malformed, Truncated


@given(st.integers(0, 2**64 - 1), st.binary(max_size=4), st.binary(max_size=4))
def test_unsigned_round_trip(v, before, after):
    data = before + uleb(v) + after
    view = ByteView(data)
    assert view.uleb128(len(before)) == (v, len(data) - len(after))
    if v < 2**32:
        assert view.uleb128(len(before), 32) == (v, len(data) - len(after))


@given(st.integers(-2**63, 2**63 - 1), st.binary(max_size=4))
def test_signed_round_trip(v, before):
    data = before + sleb(v)
    assert ByteView(data).sleb128(len(before)) == (v, len(data))
    if -2**31 <= v < 2**31:
        assert ByteView(data).sleb128(len(before), 32) == (v, len(data))


def test_a_value_wider_than_its_type_is_refused():
    with pytest.raises(Malformed) as e:
        ByteView(b"\x00" + uleb(2**32)).uleb128(1, 32, "count")
    assert (e.value.message, e.value.offset) == ("count 4294967296 does not fit in u32", 1)


def test_too_many_bytes_is_refused_at_the_start():
    data = b"\xff" * 5 + b"\x00"            # 6 bytes: one more than a u32 may take
    with pytest.raises(Malformed) as e:
        ByteView(b"ab" + data).uleb128(2, 32, "size")
    assert (e.value.message, e.value.offset) == ("size longer than 5 bytes", 2)
    with pytest.raises(Malformed) as e:
        ByteView(b"\x80" * 11).sleb128(0, 64, "i64")
    assert e.value.message == "i64 longer than 10 bytes"


def test_a_number_cut_by_the_end_of_the_view_is_truncated():
    base = b"\x01\x02\x03" + b"\x80\x80" + b"\x01"   # the view stops before the last byte
    sub = ByteView(base).sub(3, 2)
    with pytest.raises(Truncated) as e:
        sub.uleb128(0, 32)
    assert e.value.offset == 5                       # the byte that is not in the view
    with pytest.raises(Truncated):
        sub.sleb128(2, 32)                           # at the end: nothing to read
    with pytest.raises(Malformed, match="beyond end"):
        sub.uleb128(3, 32)


def test_the_decoder_reads_nothing_past_end_and_says_why():
    buf = b"\x80\x80\x01"
    assert decode_leb128(buf, 0, 3, 5, False) == (0x4000, 3, LEB_OK)
    assert decode_leb128(buf, 0, 2, 5, False)[1:] == (2, LEB_SHORT)   # end before the last byte
    assert decode_leb128(buf, 0, 3, 2, False)[2] == LEB_LONG          # two bytes allowed, both continue
    assert decode_leb128(b"\x7f", 0, 1, 5, True)[0] == -1
    assert decode_leb128(b"\x7f", 0, 1, 5, False)[0] == 127


def test_cstring_over_every_kind_of_buffer(tmp_path):
    """A NUL-terminated string read the same from bytes and from a mapped file: within the
    view (its end bounds the search as much as the limit does), bytes that are not UTF-8 held as
    surrogates, and one not terminated within the window refused."""
    import mmap

    from linkscope.errors import Malformed

    data = b"xx\0abc\0caf\xc3\xa9\0\xff\xfe\0tail"
    path = tmp_path / "f"
    path.write_bytes(data)
    with open(path, "rb") as fh, mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as mm:
        for buf in (data, mm):
            v = ByteView(buf, base=3, size=len(data) - 3 - 4)   # "abc\0café\0\xff\xfe\0"
            assert [v.cstring(0), v.cstring(4), v.cstring(10)] == ["abc", "caf\xe9", "\udcff\udcfe"]
            assert v.cstring(1, limit=3) == "bc"
            with pytest.raises(Malformed, match="not terminated within 2 bytes"):
                v.cstring(0, limit=2)
            with pytest.raises(Malformed, match="outside its table"):
                v.cstring(v.size)
            cut = ByteView(buf, base=3, size=2)                   # the view ends before the NUL
            with pytest.raises(Malformed, match="not terminated within 2 bytes"):
                cut.cstring(0)


# -- Go's encoding/binary.Uvarint, on the same decoder ---------------------------------------------
@pytest.mark.parametrize("buf,want", [
    (b"", (0, 0)),
    (b"\x00", (0, 1)),
    (b"\x01", (1, 1)),
    (b"\x7f", (127, 1)),
    (b"\x80\x01", (128, 2)),
    (b"\xff\x01", (255, 2)),
    (b"\x80\x80\x01", (1 << 14, 3)),
    (b"\x80", (0, 0)),                                   # too short
    (b"\x80" * 9 + b"\x01", (1 << 63, 10)),              # the largest 10th byte
    (b"\xff" * 9 + b"\x01", ((1 << 64) - 1, 10)),        # MaxUint64
    (b"\xff" * 9 + b"\x02", (0, -10)),                   # overflow at the 10th byte
    (b"\x80" * 9 + b"\x7f", (0, -10)),
    (b"\x80" * 10 + b"\x00", (0, -11)),                  # an 11th byte is never read
    (b"\x05\x80", (5, 1)),                               # stops at the first byte below 0x80
])
def test_uvarint(buf, want):
    assert uvarint(buf) == want


@given(st.integers(0, (1 << 77) - 1), st.binary(max_size=3))
def test_uvarint_is_go_on_every_value(n, after):
    """Every value decodes as Go does: in full below 2**64, as an overflow at its last byte above (up
    to ten bytes), or at the 11th; what follows the varint is never read."""
    enc = uleb(n)
    if n < 1 << 64:
        assert uvarint(enc + after) == (n, len(enc))
    elif len(enc) <= 10:
        assert uvarint(enc + after) == (0, -len(enc))
    else:
        assert uvarint(enc + after) == (0, -11)
