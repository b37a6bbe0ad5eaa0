"""ByteView's LEB128 readers and the one decoder under them, against the tests' own encoder
(tests/crafted.py: the wasm spec's and DWARF's encoding), on every value width the formats read."""
from __future__ import annotations

import pytest
from hypothesis import given, strategies as st

from crafted import leb as uleb, sleb
from linkscope.byteview import LEB_LONG, LEB_OK, LEB_SHORT, ByteView, decode_leb128
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
