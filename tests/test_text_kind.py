"""The text/data decision, made at C speed, against the rule written out byte by byte (file(1)'s:
printable ASCII and \\a\\b\\t\\n\\v\\f\\r ESC are text; else valid UTF-8 without those controls)."""
from __future__ import annotations

from hypothesis import given, settings, strategies as st

from linkscope.formats import text

_CONTROLS = set(b"\a\b\t\n\v\f\r\x1b")


def rule(b: bytes) -> str | None:
    if all(0x20 <= c < 0x7F or c in _CONTROLS for c in b):
        return "ASCII text"
    try:
        s = b.decode("utf-8")
    except UnicodeDecodeError:
        return None
    if any((ord(ch) < 0x20 and ord(ch) not in _CONTROLS) or ord(ch) == 0x7F for ch in s):
        return None
    return "Unicode text, UTF-8 text"


CASES = [b"", b"plain\n", "héllo\n".encode(), b"nul\x00", b"del\x7f", b"\x1b[1mbold", "c1 \u0085".encode(),
         b"\xff\xfe", "日本\x01".encode(), b"\xc3", "ok é".encode() + b"\xc3"]


def test_literal_cases():
    assert [text._text_kind(b) for b in CASES] == [
        "ASCII text", "ASCII text", "Unicode text, UTF-8 text", None, None, "ASCII text",
        "Unicode text, UTF-8 text", None, None, None, None]


@settings(max_examples=3000, deadline=None)
@given(st.one_of(st.binary(max_size=64),
                 st.text(max_size=32).map(lambda s: s.encode("utf-8", "surrogatepass")),
                 st.lists(st.sampled_from([0x09, 0x0A, 0x41, 0x7F, 0x00, 0xC3, 0xA9, 0xE6, 0x97, 0xA5, 0x1B]),
                          max_size=24).map(bytes)))
def test_fast_rule_equals_the_byte_by_byte_rule(b):
    assert text._text_kind(b) == rule(b)
