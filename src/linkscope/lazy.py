"""Things made on first use: regular expressions and cached attributes.

Start-up is most of the cost of inspecting one binary. Importing ``re`` (with ``enum`` and
``functools``) costs more than reading the binary does, and most runs need none of the patterns a
module defines; ``functools`` alone brings ``collections``. :class:`Rx` stands in for a compiled
pattern and compiles it on first use; :class:`cached_property` is functools' without the import (and
without its per-instance lock, which 3.11 still takes)."""
from __future__ import annotations

__all__ = ["Rx", "cached_property", "memoised"]


class Rx:
    __slots__ = ("pattern", "flags", "_compiled")

    def __init__(self, pattern: str | bytes, flags: int = 0):
        self.pattern, self.flags, self._compiled = pattern, flags, None

    def __getattr__(self, name: str):  # search, match, fullmatch, finditer, split, sub...
        rx = self._compiled
        if rx is None:
            import re

            rx = self._compiled = re.compile(self.pattern, self.flags)
        return getattr(rx, name)


class cached_property:
    """A method computed once per instance, then stored in the instance's ``__dict__``."""

    def __init__(self, fn):
        self.fn, self.name, self.__doc__ = fn, fn.__name__, fn.__doc__

    def __set_name__(self, owner, name):
        self.name = name

    def __get__(self, obj, cls=None):
        if obj is None:
            return self
        value = obj.__dict__[self.name] = self.fn(obj)
        return value


def memoised(obj, key: str, compute):
    """``compute()`` once per object, kept in the object's ``__dict__`` under ``key`` (objects without
    one compute every time). An exception it raised is raised again, not recomputed: several analyses
    ask the same question of one parsed image."""
    store = getattr(obj, "__dict__", None)
    if store is None:
        return compute()
    if key in store:
        got = store[key]
        if isinstance(got, _Raised):
            raise got.error
        return got
    try:
        got = store[key] = compute()
    except Exception as e:
        store[key] = _Raised(e)
        raise
    return got


class _Raised:
    __slots__ = ("error",)

    def __init__(self, error: BaseException):
        self.error = error
