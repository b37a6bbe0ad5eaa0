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
    body = _uncomment(head.decode("utf-8", "replace"))
    words = _words(body)
    if words and words[0] in _LD_COMMANDS and len(words) > 1 and words[1] == "(":
        names = tuple(_inputs(words))
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
    if all(c in _ASCII for c in b):
        return "ASCII text"
    try:
        s = b.decode("utf-8")
    except UnicodeDecodeError:
        return None
    if any(ord(ch) < 0x20 and ord(ch) not in _TEXT_CONTROLS or ord(ch) == 0x7F for ch in s):
        return None
    return "Unicode text, UTF-8 text"


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
