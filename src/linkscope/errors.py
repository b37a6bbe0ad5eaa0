"""The error taxonomy: every failure linkscope reports is one of these.

Callers branch on the type; ``kind`` is the stable name used in JSON output.
"""
from __future__ import annotations


class LinkscopeError(Exception):
    """Base of every error linkscope raises on purpose."""

    kind = "error"

    def __init__(self, message: str, *, offset: int | None = None, path: str | None = None):
        super().__init__(message)
        self.message = message
        self.offset = offset
        self.path = path

    def __str__(self) -> str:
        where = f" at offset {self.offset:#x}" if self.offset is not None else ""
        return f"{self.message}{where}"


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
    """No Go build information in an otherwise valid binary."""

    kind = "not-go"
