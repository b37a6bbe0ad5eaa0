"""Go's string literals, as ``strconv`` writes and reads them: Quote (what ``go version -m`` prints
for a build setting that needs quoting) and Unquote (the build ID, quoted build settings, Go's fuzz
corpus files). Checked against Go's own test tables in tests/test_gobuild.py.

Tolerated difference, on hostile input only: Quote decides printability from Python's Unicode tables
(``str.isprintable``, the same categories as Go's IsPrint) rather than Go's (17.0).
"""
from __future__ import annotations

__all__ = ["go_quote", "unquote", "unquote_bytes", "quoted_prefix"]

_SIMPLE_ESC = {0x07: "\\a", 0x08: "\\b", 0x0C: "\\f", 0x0A: "\\n", 0x0D: "\\r", 0x09: "\\t", 0x0B: "\\v"}


def _decode_rune(b: bytes, i: int) -> tuple[int, int]:
    """utf8.DecodeRune: (rune, width); (-1, 1) for an invalid or incomplete sequence."""
    c = b[i]
    if c < 0x80:
        return c, 1
    if 0xC2 <= c <= 0xDF:
        n = 2
    elif 0xE0 <= c <= 0xEF:
        n = 3
    elif 0xF0 <= c <= 0xF4:
        n = 4
    else:
        return -1, 1
    try:
        ch = b[i:i + n].decode("utf-8")  # strict: rejects overlong forms, surrogates, > U+10FFFF
    except UnicodeDecodeError:
        return -1, 1
    return (ord(ch), n) if len(ch) == 1 else (-1, 1)


def go_quote(s: str | bytes) -> str:
    """strconv.Quote: a double-quoted Go string literal; invalid UTF-8 bytes become \\xNN."""
    b = s if isinstance(s, bytes) else s.encode("utf-8", "surrogateescape")
    out = ['"']
    i = 0
    while i < len(b):
        r, w = _decode_rune(b, i)
        if r < 0:
            out.append(f"\\x{b[i]:02x}")
        elif r in (0x22, 0x5C):
            out.append("\\" + chr(r))
        elif chr(r).isprintable():  # Go's IsPrint: letters, marks, numbers, punctuation, symbols, U+0020
            out.append(chr(r))
        elif r in _SIMPLE_ESC:
            out.append(_SIMPLE_ESC[r])
        elif r < 0x20 or r == 0x7F:
            out.append(f"\\x{r:02x}")
        elif r < 0x10000:
            out.append(f"\\u{r:04x}")
        else:
            out.append(f"\\U{r:08x}")
        i += w
    out.append('"')
    return "".join(out)


def unquote(s: str | bytes) -> str:
    """strconv.Unquote for double-quoted and back-quoted strings; ValueError on a syntax error."""
    b = s if isinstance(s, bytes) else s.encode("utf-8", "surrogateescape")
    return unquote_bytes(b).decode("utf-8", "surrogateescape")


def unquote_bytes(b: bytes) -> bytes:
    out, rem = _unquote(b, unescape=True)
    if rem:
        raise ValueError("invalid syntax")
    return out


def quoted_prefix(b: bytes) -> tuple[bytes, bytes]:
    """strconv.QuotedPrefix: (the quoted string at the start of ``b``, the rest); ValueError when
    ``b`` does not start with a valid one."""
    return _unquote(b, unescape=False)


_HEX = b"0123456789abcdefABCDEF"
_ESCAPES = {0x61: 0x07, 0x62: 0x08, 0x66: 0x0C, 0x6E: 0x0A, 0x72: 0x0D, 0x74: 0x09, 0x76: 0x0B, 0x5C: 0x5C}


def _unquote(b: bytes, unescape: bool) -> tuple[bytes, bytes]:
    """strconv's unquote: (value, or the quoted prefix when not unescaping; remainder)."""
    if len(b) < 2:
        raise ValueError("invalid syntax")
    quote = b[0]
    end = b.find(bytes([quote]), 1)
    if end < 0:
        raise ValueError("invalid syntax")
    end += 1  # position after the terminating quote, if there are no escapes
    if quote == 0x60:  # raw string: no escapes; carriage returns are discarded
        if not unescape:
            return b[:end], b[end:]
        return b[1:end - 1].replace(b"\r", b""), b[end:]
    if quote not in (0x22, 0x27):
        raise ValueError("invalid syntax")
    body = b[1:end - 1]
    if b"\\" not in b[:end] and b"\n" not in b[:end]:
        valid = False
        if quote == 0x22:
            try:
                body.decode("utf-8")
                valid = True
            except UnicodeDecodeError:
                valid = False
        else:  # Go accepts '' here (DecodeRune of "" is width 0), and so does this port
            r, n = _decode_rune(body, 0) if body else (0, 0)
            valid = n == len(body) and r >= 0
        if valid:
            return (body if unescape else b[:end]), b[end:]
    buf = bytearray()
    i = 1
    n = len(b)
    while i < n and b[i] != quote:
        if b[i] == 0x0A:
            raise ValueError("invalid syntax")
        i = _unquote_char(b, i, quote, buf)
        if quote == 0x27:
            break
    if not (i < n and b[i] == quote):
        raise ValueError("invalid syntax")
    i += 1
    return (bytes(buf) if unescape else b[:i]), b[i:]


def _unquote_char(b: bytes, i: int, quote: int, buf: bytearray) -> int:
    """strconv.UnquoteChar at b[i]: append the decoded character to buf, return the next index."""
    c = b[i]
    if c >= 0x80:
        r, w = _decode_rune(b, i)
        buf += chr(r).encode("utf-8") if r >= 0 else b"\xef\xbf\xbd"
        return i + w
    if c != 0x5C:
        buf.append(c)
        return i + 1
    if i + 1 >= len(b):
        raise ValueError("invalid syntax")
    c = b[i + 1]
    i += 2
    if c in _ESCAPES:
        buf.append(_ESCAPES[c])
        return i
    if c in (0x78, 0x75, 0x55):  # x u U
        width = {0x78: 2, 0x75: 4, 0x55: 8}[c]
        digits = b[i:i + width]
        if len(digits) < width or any(d not in _HEX for d in digits):
            raise ValueError("invalid syntax")
        v = int(digits, 16)
        if c == 0x78:
            buf.append(v)
        else:
            if v > 0x10FFFF or 0xD800 <= v <= 0xDFFF:
                raise ValueError("invalid syntax")
            buf += chr(v).encode("utf-8")
        return i + width
    if 0x30 <= c <= 0x37:
        digits = b[i:i + 2]
        if len(digits) < 2 or any(not 0x30 <= d <= 0x37 for d in digits):
            raise ValueError("invalid syntax")
        v = (c - 0x30) << 6 | (digits[0] - 0x30) << 3 | (digits[1] - 0x30)
        if v > 255:
            raise ValueError("invalid syntax")
        buf.append(v)
        return i + 2
    if c in (0x27, 0x22):
        if c != quote:
            raise ValueError("invalid syntax")
        buf.append(c)
        return i
    raise ValueError("invalid syntax")
