"""The error taxonomy: every failure linkscope reports is one of these.

Callers branch on the type; ``kind`` is the stable name used in JSON output.
"""
from __future__ import annotations

import struct

# What reading raises when a format module missed a check (a read past a table, a bad field used as
# a count or a divisor, undecodable text): reported as malformed data, never as a traceback.
DATA_ERRORS = (IndexError, ValueError, OverflowError, ZeroDivisionError, UnicodeError, struct.error)
# ... and what reading one whole file may also run into on hostile input.
RECORD_ERRORS = (*DATA_ERRORS, MemoryError, RecursionError)


class LinkscopeError(Exception):
    """Base of every error linkscope raises on purpose."""

    kind = "error"

    def __init__(self, message: str, *, offset: int | None = None, path: str | None = None):
        super().__init__(message)
        self.message = message
        self.offset = offset
        self.path = path

    def __str__(self) -> str:
        return error_message(self)


def unreadable(rec) -> bool:
    """Whether a record (Binary) is an error record: nothing of the file could be identified. A record
    with an error but a known format is partial: its facts are results, its error a diagnostic."""
    return rec.error is not None and rec.format == "unknown"


def error_message(err, size: int | None = None) -> str:
    """The one wording of an error (a LinkscopeError or the ErrorInfo of a record: ``kind``,
    ``message``, ``offset``) for every command: "truncated" said when the file ends early, and a byte
    offset only when it points at something (inside the file, when its ``size`` is known)."""
    msg = err.message
    if err.kind == "truncated" and "truncated" not in msg and "too short" not in msg:
        msg = f"truncated: {msg}"
    off = err.offset
    if off is not None and (size is None or off < size) and "offset" not in msg:
        msg += f" at offset {off:#x}"
    return msg


class InputError(LinkscopeError):
    """The path cannot be read as a file: missing, a directory, unreadable."""

    kind = "input"


class UnsupportedFormat(LinkscopeError):
    """The bytes are not any executable format linkscope knows (text, empty, ...)."""

    kind = "unsupported-format"


class Malformed(LinkscopeError):
    """A field of a known format is inconsistent (bad count, offset out of range, ...)."""

    kind = "malformed"


class Truncated(Malformed):
    """The file ends before a structure it declares."""

    kind = "truncated"


class NotGoBinary(LinkscopeError):
    """No Go build information in the file (linkscope.go_buildinfo): "not a Go executable", as Go says."""

    kind = "not-go"
