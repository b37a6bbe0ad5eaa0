"""Seeded byte mutation for the fuzz tests of every format: one function, each test choosing where the
damage goes (its hot regions), how much, and which kinds.

A test keeps its own seed and iteration count (``random.Random(seed)`` or :func:`mutants`), so a
failure names the seed and the iteration that reproduce it. What a mutant must not do (raise anything
but linkscope's errors, allocate or loop without bound) is the test's to check, through
``reference.check_*``.
"""
from __future__ import annotations

import random
import struct
from collections.abc import Iterator, Sequence

# 32-bit values that make counts, sizes and offsets wrong in the ways parsers get wrong: zero, one,
# sign boundaries, all ones, page sizes, just below a 4 GiB wrap.
INTERESTING_WORDS = (0, 1, 7, 8, 0x7F, 0x80, 0xFF, 0xFFFF, 0x10000, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF,
                     0xFFFFFFF8, 0x1000)
INTERESTING_HALFWORDS = (0, 1, 16, 17, 0xFFFF)

Region = tuple[int, int]


def mutate(data: bytes, rng: random.Random, *, edits: tuple[int, int] = (1, 8),
           regions: Sequence[Region] | None = None, focus: float = 1.0, rest: Sequence[Region] | None = None,
           values: Sequence[int | None] | None = None, words: float = 0.0, halfwords: float = 0.0,
           splice: float = 0.0, byteorders: str = "<", truncate: float = 0.0, keep: int = 0) -> bytes:
    """``data`` with between ``edits[0]`` and ``edits[1]`` edits, drawn from ``rng``.

    Where: each edit falls in one of ``regions`` (chosen uniformly; byte ranges [lo, hi), clipped to
    the data) with probability ``focus``, else in one of ``rest`` (default: the whole input); the
    first ``keep`` bytes are never touched. What: a byte set to one of ``values`` (None in the list,
    or no list: any byte); with probability ``words`` a 4-aligned 32-bit value from
    INTERESTING_WORDS or the input's size (or, one time in three, random; in one of ``byteorders``), with ``halfwords``
    a 16-bit value, with ``splice`` up to 64 bytes copied from elsewhere inserted. Then, with
    probability ``truncate``, the result is cut at a random point after ``keep``."""
    out = bytearray(data)
    for _ in range(rng.randint(*edits)):
        if len(out) <= keep:
            break
        if regions and rng.random() < focus:
            lo, hi = rng.choice(regions)
        elif rest:
            lo, hi = rng.choice(rest)
        else:
            lo, hi = 0, len(out)
        lo, hi = max(lo, keep), min(hi, len(out))
        if lo >= hi:
            lo, hi = keep, len(out)
        pos = rng.randrange(lo, hi)
        op = rng.random()
        if op < words:
            at = max(keep, pos & ~3)
            if at + 4 <= len(out):
                value = rng.choice(INTERESTING_WORDS + (len(out),)) if rng.random() < 0.67 else rng.getrandbits(32)
                struct.pack_into(rng.choice(byteorders) + "I", out, at, value)
                continue
        elif op < words + halfwords:
            if pos + 2 <= len(out):
                value = rng.choice(INTERESTING_HALFWORDS) if rng.random() < 0.8 else rng.getrandbits(16)
                struct.pack_into(rng.choice(byteorders) + "H", out, pos, value)
                continue
        elif op < words + halfwords + splice:
            src = rng.randrange(len(out))
            out[pos:pos] = out[src:src + rng.randint(1, 64)]
            continue
        value = rng.choice(values) if values else None
        out[pos] = rng.randrange(256) if value is None else value
    if truncate and len(out) > keep and rng.random() < truncate:
        del out[rng.randrange(keep, len(out)):]
    return bytes(out)


def mutants(data: bytes, n: int, seed, **how) -> Iterator[bytes]:
    """``n`` mutants of ``data`` from ``random.Random(seed)``, each made by :func:`mutate` with ``how``."""
    rng = random.Random(seed)
    for _ in range(n):
        yield mutate(data, rng, **how)
