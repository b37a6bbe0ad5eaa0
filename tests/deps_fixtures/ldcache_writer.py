"""Writes ld.so.cache files in glibc's three layouts, for tests of the reader and of fake roots.

The layouts are glibc's (sysdeps/generic/dl-cache.h): "new" (glibc-ld.so.cache1.1, 48-byte header,
24-byte entries, strings counted from the header, optional extension directory with glibc-hwcaps
names), "old" (ld.so-1.7.0, 16-byte header, 12-byte entries, strings counted from the end of the
entries) and "compat" (old, then new aligned to 8 bytes). Entries are written in the order given.
"""
from __future__ import annotations

import struct

FLAG_X8664 = 0x303
HWCAP_EXTENSION = 1 << 62


class _Strings:
    def __init__(self, base: int):
        self.base = base
        self.data = bytearray()
        self.index: dict[str, int] = {}

    def add(self, s: str) -> int:
        if s not in self.index:
            self.index[s] = self.base + len(self.data)
            self.data += s.encode() + b"\0"
        return self.index[s]


def new_format(entries, hwcaps: tuple[str, ...] = (), little: bool = True, endian_flag: int | None = None) -> bytes:
    """``entries``: (name, path, flags, hwcaps_subdir or None or an int hwcap value)."""
    e = "<" if little else ">"
    n = len(entries)
    strings_at = 48 + 24 * n
    st = _Strings(strings_at)
    hw_index = {h: i for i, h in enumerate(hwcaps)}
    rows = []
    for name, path, flags, hw in entries:
        k, v = st.add(name), st.add(path)
        if isinstance(hw, str):
            hwcap = HWCAP_EXTENSION | hw_index[hw]
        else:
            hwcap = hw or 0
        rows.append(struct.pack(e + "iIIIQ", flags, k, v, 0, hwcap))
    hw_offsets = [st.add(h) for h in hwcaps]
    body = b"".join(rows) + bytes(st.data)
    ext = b""
    ext_off = 0
    if hwcaps:
        end = 48 + len(body)
        pad = (-end) % 4
        ext_off = end + pad
        data_off = ext_off + 8 + 16
        ext = b"\0" * pad + struct.pack(e + "II", 0xEAA42174, 1) + struct.pack(e + "IIII", 1, 0, data_off, 4 * len(hwcaps))
        ext += b"".join(struct.pack(e + "I", o) for o in hw_offsets)
    flag = endian_flag if endian_flag is not None else (2 if little else 3)
    header = b"glibc-ld.so.cache1.1" + struct.pack(e + "IIB3xI12x", n, len(st.data), flag, ext_off)
    assert len(header) == 48
    return header + body + ext


def old_format(entries, little: bool = True) -> bytes:
    """``entries``: (name, path, flags)."""
    e = "<" if little else ">"
    st = _Strings(0)
    rows = []
    for name, path, flags in entries:
        rows.append(struct.pack(e + "iII", flags, st.add(name), st.add(path)))
    return b"ld.so-1.7.0\0" + struct.pack(e + "I", len(entries)) + b"".join(rows) + bytes(st.data)


def compat_format(old_entries, new_entries, little: bool = True) -> bytes:
    e = "<" if little else ">"
    n = len(old_entries)
    head = b"ld.so-1.7.0\0" + struct.pack(e + "I", n)
    # The old entries' strings live after the new cache (counted from the end of the old entries);
    # write the new cache first at its aligned place, then the old strings.
    entries_end = 16 + 12 * n
    new_at = (entries_end + 7) & ~7
    new = new_format(new_entries, little=little)
    strings_base = new_at - entries_end + len(new)
    st = _Strings(strings_base)
    rows = [struct.pack(e + "iII", fl, st.add(k), st.add(v)) for k, v, fl in old_entries]
    return head + b"".join(rows) + b"\0" * (new_at - entries_end) + new + bytes(st.data)
