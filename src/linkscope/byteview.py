"""One bounded view over untrusted bytes; every read of a binary goes through it.

A view is a window ``[base, base+size)`` of an immutable buffer (an mmap or bytes), with its
endianness fixed when it is made. Each read is checked against the window before it happens,
and counts or sizes that the remaining bytes cannot hold are refused before anything is
allocated (the lesson of Go's internal/saferio). Offsets in errors are absolute file offsets.
"""
from __future__ import annotations

import struct
import sys

from .errors import Malformed, Truncated

_LE = {n: struct.Struct("<" + c) for n, c in (("u8", "B"), ("u16", "H"), ("u32", "I"), ("u64", "Q"), ("i32", "i"), ("i64", "q"))}
_BE = {n: struct.Struct(">" + c) for n, c in (("u8", "B"), ("u16", "H"), ("u32", "I"), ("u64", "Q"), ("i32", "i"), ("i64", "q"))}


class ByteView:
    __slots__ = ("buf", "base", "size", "little", "_s", "path")

    def __init__(self, buf, base: int = 0, size: int | None = None, little: bool = True, path: str | None = None):
        total = len(buf)
        if size is None:
            size = total - base
        if base < 0 or size < 0 or base + size > total:
            raise Truncated("window beyond end of file", offset=base)
        self.buf = buf
        self.base = base
        self.size = size
        self.little = little
        self._s = _LE if little else _BE
        self.path = path

    def __len__(self) -> int:
        return self.size

    # -- derived views -------------------------------------------------------------------------
    def with_endian(self, little: bool) -> "ByteView":
        return ByteView(self.buf, self.base, self.size, little, self.path)

    def sub(self, off: int, size: int, what: str = "structure") -> "ByteView":
        self.check(off, size, what)
        return ByteView(self.buf, self.base + off, size, self.little, self.path)

    # -- checks --------------------------------------------------------------------------------
    def _at(self, off: int) -> int | None:
        """The file offset of ``off`` in an error, or None past 2**64 (a u64 field of a slice at a
        nonzero base, such as a universal file's, added to it): no position of any file."""
        at = self.base + off
        return at if at < 1 << 64 else None

    def check(self, off: int, size: int, what: str = "structure") -> None:
        if off < 0 or size < 0:
            raise Malformed(f"{what}: negative offset or size", offset=self.base + max(off, 0))
        if off + size > self.size:
            if off > self.size:
                raise Malformed(f"{what} starts beyond end of data ({off:#x} > {self.size:#x})", offset=self._at(off))
            raise Truncated(f"{what} needs {size} bytes, {self.size - off} available", offset=self.base + off)

    def check_array(self, off: int, count: int, entsize: int, what: str = "table") -> None:
        """Refuse a table whose declared count cannot fit, before anything iterates or allocates."""
        if count < 0 or entsize <= 0:
            raise Malformed(f"{what}: bad count {count} or entry size {entsize}", offset=self._at(off))
        self.check(off, count * entsize, f"{what} of {count} entries of {entsize} bytes")

    # -- scalar reads --------------------------------------------------------------------------
    def _unpack(self, name: str, off: int, size: int):
        if off < 0 or off + size > self.size:
            self.check(off, size, name)
        return self._s[name].unpack_from(self.buf, self.base + off)[0]

    def u8(self, off: int) -> int:
        return self._unpack("u8", off, 1)

    def u16(self, off: int) -> int:
        return self._unpack("u16", off, 2)

    def u32(self, off: int) -> int:
        return self._unpack("u32", off, 4)

    def u64(self, off: int) -> int:
        return self._unpack("u64", off, 8)

    def i32(self, off: int) -> int:
        return self._unpack("i32", off, 4)

    def i64(self, off: int) -> int:
        return self._unpack("i64", off, 8)

    def uword(self, off: int, bits: int) -> int:
        return self.u64(off) if bits == 64 else self.u32(off)

    def unpack(self, st: struct.Struct, off: int) -> tuple:
        """Unpack a precompiled struct (its own endianness) at ``off``, bounds-checked."""
        if off < 0 or off + st.size > self.size:
            self.check(off, st.size, "record")
        return st.unpack_from(self.buf, self.base + off)

    def bytes(self, off: int, size: int, what: str = "bytes") -> bytes:
        self.check(off, size, what)
        return bytes(self.buf[self.base + off: self.base + off + size])

    def words(self, off: int, count: int, code: str, little: bool, what: str = "table"):
        """``count`` unsigned integers of struct code ``code`` ("H", "I" or "Q") at ``off``, stored
        ``little``- or big-endian: a memoryview over one copy when that is this machine's order, an
        array.array otherwise (importing array imports collections: only pay for it when needed)."""
        data = self.bytes(off, count * struct.calcsize(code), what)
        if little == (sys.byteorder == "little"):
            return memoryview(data).cast(code)
        from array import array

        out = array(code, data)
        out.byteswap()
        return out

    def cstring(self, off: int, limit: int = 4096, what: str = "string") -> str:
        """A NUL-terminated string starting at ``off``, at most ``limit`` bytes long."""
        if off < 0 or off >= self.size:
            raise Malformed(f"{what} offset {off:#x} outside its table of {self.size:#x} bytes", offset=self._at(max(off, 0)))
        start = self.base + off
        stop = start + limit
        if stop > self.base + self.size:
            stop = self.base + self.size
        end = self.buf.find(b"\0", start, stop)
        if end < 0:
            raise Malformed(f"{what} not terminated within {stop - start} bytes", offset=start)
        return str(self.buf[start:end], "utf-8", "surrogateescape")

    def find(self, needle: bytes, start: int = 0, end: int | None = None) -> int:
        """Offset of ``needle`` within the view, or -1 (C-speed search, no copy)."""
        stop = self.base + (self.size if end is None else min(end, self.size))
        pos = self.buf.find(needle, self.base + max(start, 0), stop)
        return -1 if pos < 0 else pos - self.base

    def uleb128(self, off: int, bits: int = 64, what: str = "LEB128") -> tuple[int, int]:
        """(value, offset after it): an unsigned LEB128 of at most ceil(bits/7) bytes whose value
        fits in ``bits`` bits (the wasm spec's rule)."""
        n = (bits + 6) // 7
        v, nxt, status = decode_leb128(self.buf, self.base + off, self.base + self.size, n, False)
        if status == LEB_OK and off >= 0:
            if v >> bits:
                raise Malformed(f"{what} {v} does not fit in u{bits}", offset=self.base + off)
            return v, nxt - self.base
        return self._leb_error(off, nxt, status, n, what)

    def sleb128(self, off: int, bits: int = 64, what: str = "signed LEB128") -> tuple[int, int]:
        """(value, offset after it): a signed LEB128 of at most ceil(bits/7) bytes."""
        n = (bits + 6) // 7
        v, nxt, status = decode_leb128(self.buf, self.base + off, self.base + self.size, n, True)
        if status == LEB_OK and off >= 0:
            return v, nxt - self.base
        return self._leb_error(off, nxt, status, n, what)

    def _leb_error(self, off: int, nxt: int, status: int, n: int, what: str):
        if off < 0 or status == LEB_SHORT:   # the byte that is not there, refused as a byte read is
            self.check(nxt - self.base if off >= 0 else off, 1, "u8")
        raise Malformed(f"{what} longer than {n} bytes", offset=self.base + off)


# LEB128 (wasm; DWARF; Go's uvarint is the same code): the one decoder, over a raw buffer so that
# hot loops can call it without a view. A status, not an exception, says what went wrong.
LEB_OK, LEB_SHORT, LEB_LONG = 0, 1, 2


def decode_leb128(buf, pos: int, end: int, max_bytes: int, signed: bool) -> tuple[int, int, int]:
    """(value, position after it, LEB_OK); or (0, position of the first byte missing, LEB_SHORT)
    when ``end`` comes first; or (0, position, LEB_LONG) when ``max_bytes`` bytes all continue.
    Reads no byte at or past ``end``."""
    result = shift = 0
    p = pos
    stop = min(end, pos + max_bytes)
    while p < stop:
        b = buf[p]
        p += 1
        result |= (b & 0x7F) << shift
        shift += 7
        if not b & 0x80:
            if signed and b & 0x40:
                result -= 1 << shift
            return result, p, LEB_OK
    return 0, p, (LEB_LONG if p - pos >= max_bytes else LEB_SHORT)


def uvarint(buf) -> tuple[int, int]:
    """Go's encoding/binary.Uvarint on the same decoder: (value, bytes read); (0, 0) when ``buf``
    ends first; (0, -n) on overflow of a uint64 at the n-th byte (an 11th byte, when ten all
    continue)."""
    v, p, status = decode_leb128(buf, 0, len(buf), 10, False)
    if status == LEB_OK:
        return (v, p) if not v >> 64 else (0, -p)
    if status == LEB_LONG and len(buf) > 10:
        return 0, -11
    return 0, 0
