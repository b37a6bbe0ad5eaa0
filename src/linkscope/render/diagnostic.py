"""Every line linkscope writes on stderr, for every command.

The rule: results go to stdout, diagnostics to stderr, each error once. In human
mode an input that could not be read gets no line on stdout and one line on stderr,
``linkscope: PATH: message``; in JSON mode its error record is in the document and stderr gets the
same one line. The message is :func:`linkscope.errors.error_message`'s."""
from __future__ import annotations

from ..errors import error_message

__all__ = ["path_line", "error_line", "record_error_line", "error_message", "note_line", "command_error"]


def path_line(path: str, message: str) -> str:
    """A diagnostic about one input, from any command: ``linkscope: PATH: message``."""
    return f"linkscope: {path}: {message}"


def error_line(path: str, err, size: int | None = None) -> str:
    """The stderr line of an input whose record carries ``err``."""
    return path_line(path, error_message(err, size))


def record_error_line(rec) -> str | None:
    """The stderr line of a record (a Binary or a deps Result), or None when it has no error."""
    if rec.error is None:
        return None
    return error_line(rec.path, rec.error, getattr(rec, "size", None) or None)


def note_line(command: str, path: str, message: str) -> str:
    """A diagnostic about one input that is not an error of its record (a deps warning, a file
    check skipped): ``linkscope COMMAND: PATH: message``."""
    return f"linkscope {command}: {path}: {message}"


def command_note(command: str, message: str) -> str:
    """A diagnostic that names its own subject (an image's entry skipped as unsafe or damaged):
    ``linkscope COMMAND: message``."""
    return f"linkscope {command}: {message}"


def command_error(command: str, message: str) -> str:
    """A command that cannot run as asked (a bad policy, an unwritable output file, usage)."""
    return f"linkscope {command}: error: {message}"
