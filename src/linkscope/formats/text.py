"""Files that are no executable: GNU ld scripts (the ``libc.so`` that names the real libraries),
other text, and data, told apart as file(1) does from the first TEXT_LIMIT bytes.

Text is what has no byte file(1) counts as binary: ASCII ("ASCII text") or valid UTF-8 ("Unicode
text, UTF-8 text"); anything else is "data", an empty file "empty". A linker script is text whose
commands (outside ``/* */`` comments) begin with one of the commands ld(1) takes in such a file
(GROUP, INPUT, OUTPUT_FORMAT, ...); the files it names are those in its GROUP and INPUT commands,
AS_NEEDED lists included, in order."""
from __future__ import annotations

from .base import Image

TEXT_LIMIT = 64 << 10
# Bytes file(1)'s ASCII test accepts besides printable ASCII: \a \b \t \n \v \f \r and ESC.
_TEXT_CONTROLS = frozenset(b"\a\b\t\n\v\f\r\x1b")
_ASCII = frozenset(range(0x20, 0x7F)) | _TEXT_CONTROLS
_LD_COMMANDS = ("GROUP", "INPUT", "OUTPUT_FORMAT", "OUTPUT_ARCH", "SEARCH_DIR", "ENTRY", "OUTPUT", "TARGET",
                "INCLUDE", "STARTUP", "SECTIONS", "MEMORY", "VERSION", "PROVIDE")
_LISTS = ("GROUP", "INPUT")


class TextImage(Image):
    binary = False

    def __init__(self, view, fmt: str, description: str, inputs: tuple[str, ...] = ()):
        super().__init__(view)
        self.format, self.description, self.inputs = fmt, description, inputs

    def facts(self, summary: bool = False) -> dict:
        out = dict(format=self.format, description=self.description)
        if self.format == "linker-script":
            out.update(type="linker-script", linker_inputs=self.inputs)
        return out


def parse(view) -> TextImage:
    if len(view) == 0:
        return TextImage(view, "data", "empty")
    head = view.bytes(0, min(len(view), TEXT_LIMIT), "file head")
    if len(view) > TEXT_LIMIT:
        head = _whole_chars(head)
    kind = _text_kind(head)
    if kind is None:
        return TextImage(view, "data", "data")
    text = head.decode("utf-8", "replace")
    first = _words(_lead(text))
    if first[:1] and first[0] in _LD_COMMANDS and first[1:2] == ["("]:
        names = tuple(_inputs(_words(_uncomment(text))))
        shown = ", ".join(names[:4]) + (f", +{len(names) - 4} more" if len(names) > 4 else "")
        return TextImage(view, "linker-script", "linker script" + (f", names {shown}" if names else ""), names)
    return TextImage(view, "text", kind)


def _whole_chars(b: bytes) -> bytes:
    """``b`` without a UTF-8 sequence cut at its end (the limit may fall inside one)."""
    for k in range(1, min(4, len(b)) + 1):
        c = b[-k]
        if c < 0x80:
            return b
        if c >= 0xC0:
            return b[:-k]
    return b


def _text_kind(b: bytes) -> str | None:
    # At C speed (a tree holds many large non-binaries): what is left once the text bytes file(1)
    # accepts are deleted decides. Nothing: ASCII. A byte below 0x80 left (a control file(1) counts
    # as binary, or DEL): data, since no such byte is part of a UTF-8 sequence. Else valid UTF-8 or not.
    if b"\0" in b:   # the usual data file, told at memchr speed
        return None
    rest = b.translate(None, _ASCII_BYTES)
    if not rest:
        return "ASCII text"
    if rest.translate(None, _HIGH_BYTES):
        return None
    try:
        b.decode("utf-8")
    except UnicodeDecodeError:
        return None
    return "Unicode text, UTF-8 text"


_ASCII_BYTES = bytes(sorted(_ASCII))
_HIGH_BYTES = bytes(range(0x80, 0x100))


def _lead(s: str, size: int = 64) -> str:
    """The first ``size`` characters after the leading blanks and ``/* */`` comments: enough for
    the first two words, which say whether a text is a linker script (the rest is not scanned)."""
    rest = s.lstrip()
    while rest.startswith("/*"):
        k = rest.find("*/", 2)
        if k < 0:
            return ""
        rest = rest[k + 2:].lstrip()
    return rest[:size]


def _uncomment(s: str) -> str:
    out, i = [], 0
    while True:
        j = s.find("/*", i)
        if j < 0:
            out.append(s[i:])
            return " ".join(out)
        out.append(s[i:j])
        k = s.find("*/", j + 2)
        if k < 0:
            return " ".join(out)
        i = k + 2


def _words(s: str) -> list[str]:
    """ld's script tokens that matter here: parentheses and commas alone, names between them."""
    for ch in "(),":
        s = s.replace(ch, f" {ch} ")
    return [w for w in s.split() if w != ","]


def _inputs(words: list[str]) -> list[str]:
    """The file names inside GROUP(...) and INPUT(...), AS_NEEDED(...) lists included."""
    out, depth, i = [], 0, 0
    while i < len(words):
        w = words[i]
        if depth == 0:
            if w in _LISTS and i + 1 < len(words) and words[i + 1] == "(":
                depth, i = 1, i + 2
                continue
        elif w == "(":
            depth += 1
        elif w == ")":
            depth -= 1
        elif w != "AS_NEEDED":
            out.append(w)
        i += 1
    return out
