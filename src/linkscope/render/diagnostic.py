"""The stderr line of an error record, for every command.

The rule (issue 8, item 5): results go to stdout, diagnostics to stderr, each error once. In human
mode an input that could not be read gets no line on stdout and one line on stderr,
``linkscope: PATH: message``; in JSON mode its error record is in the document and stderr gets the
same one line. The message is :func:`linkscope.errors.error_message`'s."""
from __future__ import annotations

from ..errors import error_message

__all__ = ["error_line", "record_error_line", "error_message"]


def error_line(path: str, err, size: int | None = None) -> str:
    """The stderr line of an input whose record carries ``err``."""
    return f"linkscope: {path}: {error_message(err, size)}"


def record_error_line(rec) -> str | None:
    """The stderr line of a record (a Binary or a deps Result), or None when it has no error."""
    if rec.error is None:
        return None
    return error_line(rec.path, rec.error, getattr(rec, "size", None) or None)
