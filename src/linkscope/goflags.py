"""Go build-flag strings (-ldflags, -tags, ...) read and written as cmd/go does, and go build command
lines quoted for a POSIX shell; no regular expressions (see rx.py for why that matters)."""
from __future__ import annotations

__all__ = ["split", "join", "words", "external_linkmode", "extldflags", "tags", "shell_quote"]

_SPACE = " \t\n\r"
_SHELL_SAFE = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_@%+=:,./-")


def split(s: str) -> list[str]:
    """cmd/internal/quoted.Split, which cmd/go applies to -ldflags and the like: fields split at
    space, tab, newline and CR; a field that starts with ' or " runs to the next same quote, with no
    unescaping. ValueError for an unterminated quote (go build refuses it too)."""
    out: list[str] = []
    i, n = 0, len(s)
    while True:
        while i < n and s[i] in _SPACE:
            i += 1
        if i >= n:
            return out
        if s[i] in "'\"":
            j = s.find(s[i], i + 1)
            if j < 0:
                raise ValueError(f"unterminated {s[i]} string")
            out.append(s[i + 1:j])
            i = j + 1
        else:
            j = i
            while j < n and s[j] not in _SPACE:
                j += 1
            out.append(s[i:j])
            i = j


def join(args) -> str:
    """cmd/internal/quoted.Join: the inverse of :func:`split`, quoting only where needed."""
    out = []
    for a in args:
        ascii_ = [c for c in a if c < "\x80"]
        space = any(c in _SPACE for c in ascii_)
        single, double = "'" in ascii_, '"' in ascii_
        if not (space or single or double):
            out.append(a)
        elif not single:
            out.append(f"'{a}'")
        elif not double:
            out.append(f'"{a}"')
        else:
            raise ValueError(f"argument {a!r} contains both single and double quotes and cannot be quoted")
    return " ".join(out)


def words(flags: str | None) -> list[str]:
    """:func:`split`, or plain whitespace fields when the string is not one go build would accept."""
    try:
        return split(flags or "")
    except ValueError:
        return (flags or "").split()


def external_linkmode(ldflags: str | None) -> bool:
    """Whether -ldflags asks for the external linker (-linkmode external, -linkmode=external; Go's
    flag package also takes the double-dash spellings)."""
    w = words(ldflags)
    for i, x in enumerate(w):
        if x in ("-linkmode=external", "--linkmode=external"):
            return True
        if x in ("-linkmode", "--linkmode") and i + 1 < len(w) and w[i + 1] == "external":
            return True
    return False


def extldflags(ldflags: str | None) -> list[str]:
    """The flags -ldflags passes to the external linker (-extldflags), split as the Go linker does."""
    w = words(ldflags)
    out: list[str] = []
    for i, x in enumerate(w):
        if x in ("-extldflags", "--extldflags") and i + 1 < len(w):
            out += words(w[i + 1])
        elif x.startswith(("-extldflags=", "--extldflags=")):
            out += words(x.partition("=")[2])
    return out


def tags(value: str | None) -> list[str]:
    """The build tags of a -tags setting (comma-separated; older Go also took spaces)."""
    return (value or "").replace(",", " ").split()


def shell_quote(s: str) -> str:
    """What shlex.quote returns (same safe characters), without importing shlex (which imports re)."""
    if not s:
        return "''"
    if all(c in _SHELL_SAFE for c in s):
        return s
    return "'" + s.replace("'", "'\"'\"'") + "'"
