"""What Go's internal linker does to a file's layout when a relink with ``-ldflags="-s -w"`` makes
its module text longer (the setting is recorded in it): the rules each format's strip prediction
shares (ELF, Mach-O). PE states its own bound (formats.pe, ``_go_rdata_may_grow_a_block``).

The text is stored twice: inline in the build-info blob (each format's ``.go.buildinfo``), and as
``runtime.modinfo.str`` in the read-only data: the text between its two 16-byte sentinels, then the
NUL cmd/link's ``Addstring`` ends every -X string with. cmd/link orders the read-only symbols by
size and aligns those over 32 bytes to Maxalign (32), so the string's growth moves what follows it
by the growth itself when it is the largest (only the 1-byte FIPS markers after it), else by the
growth rounded to 32. Each later section then starts at the next multiple of its alignment, never
before where it was; cmd/link may align a section beyond the alignment it writes in the header, so
the true one is only bounded: at least the written one, at most the largest power of two the
section's offset is a multiple of.
"""
from __future__ import annotations

from ..byteview import ByteView, uvarint
from ..go.buildinfo import BUILDINFO_MAGIC
from .base import align_up


def buildinfo_used(data: bytes) -> int | None:
    """Bytes of a build-info blob in use (cmd/link's buildinfo: the 32-byte header, then, in the inline
    form, the Go version and the module text, each uvarint-prefixed; then zeros to a multiple of 16,
    which is the section's size); None when ``data`` is not such a blob or is cut short."""
    if len(data) < 32 or data[:14] != BUILDINFO_MAGIC or not data[15] & 2:
        return None
    pos = 32
    for _ in range(2):
        n, k = uvarint(data[pos:pos + 10])
        if k <= 0:                      # cut short, or more than 64 bits
            return None
        pos += k + n
        if pos > len(data):
            return None
    return pos


def buildinfo_size(used: int) -> int:
    """The bytes cmd/link gives a build-info blob of ``used`` bytes: zeros to a multiple of 16 (for
    Apple's tools, and on every format)."""
    return align_up(used, 16)


def modinfo_string_growth(view: ByteView, off: int, size: int, text: bytes, growth: int) -> int | None:
    """Bytes by which what follows runtime.modinfo.str in the section at ``off`` (``size`` bytes) moves
    when its ``text`` grows by ``growth``; None when the string is not in the section."""
    at = view.find(text, off, off + size)
    if at < off + 16:
        return None
    end = at + len(text) + 16 + 1
    tail = off + size - end                   # after the string: less than 32 bytes only when it is the largest
    if tail < 0:
        return None
    return growth if tail < 32 else align_up(end + growth, 32) - align_up(end, 32)


def pushed_end(after: list[tuple[int, int, int]], start: int, shift: int, upper: bool, cap: int) -> int:
    """Where the last of the sections ``after`` (file offset, size, written alignment; in file order)
    ends once what precedes them, ending at ``start``, ends ``shift`` bytes later: each at the next
    multiple of its alignment, taken at the lower bound (the written one) or the ``upper`` (the
    largest power of two its offset is a multiple of, at most ``cap``)."""
    cursor = start + shift
    for off, size, align in after:
        a = min(off & -off, cap) if upper and off else align
        cursor = max(off, align_up(cursor, a)) + size
    return cursor


def segments_moved(after: list[tuple[int, int, int]], start: int, shifts: tuple[int, int], seg_end: int,
                   rnd: int) -> int | None:
    """How far the segments after one move (a multiple of ``rnd``, each starting at the previous one's
    end rounded up to it) when the part of it ending at ``start`` ends later by ``shifts`` (at least,
    at most) and the sections ``after`` follow (the segment's bytes end at ``seg_end``); None when the
    two bounds disagree."""
    low, high = (align_up(pushed_end(after, start, shift, upper, rnd), rnd) - align_up(seg_end, rnd)
                 for shift, upper in ((shifts[0], False), (shifts[1], True)))
    return low if low == high else None
