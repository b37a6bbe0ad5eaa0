"""The Go build ID as ``cmd/internal/buildid`` writes it into a binary's text and reads it back
(``readRaw``): ``\\xff Go build ID: "<id>"\\n \\xff``, the ID a Go string literal. Mach-O, PE and wasm
binaries carry it that way; ELF ones also in a note (read by the ELF module).
"""
from __future__ import annotations

from ..errors import Malformed
from .strconv import unquote

PREFIX = b'\xff Go build ID: "'
END = b'"\n \xff'
READ_SIZE = 32 * 1024     # cmd/internal/buildid readSize: how much of the file (or __text) is searched


def find_raw(data: bytes) -> str | None:
    """readRaw over ``data``: the ID; None when there is none. Malformed (its offset: the prefix's,
    within ``data``) when the ID has no end or is not a valid Go string literal, as Go fails then."""
    i = data.find(PREFIX)
    if i < 0:
        return None
    start = i + len(PREFIX)
    j = data.find(END, start)
    if j < 0:
        raise Malformed("Go build ID not terminated", offset=i)
    try:
        return unquote(data[start - 1:j + 1])
    except ValueError:
        raise Malformed("Go build ID is not a valid quoted string", offset=i) from None
