"""Go build information: the toolchain version and module list a Go binary carries.

A port of Go's ``debug/buildinfo`` (finding and reading the blob; its module text is parsed by
linkscope.go.modinfo, Go's ``runtime/debug``), written once over the two-method interface every
format image offers:
``go_data_start() -> (vaddr, size) | None`` and ``read_vaddr(addr, n) -> bytes | None``.

The blob the linker leaves (``cmd/link/internal/ld.(*Link).buildinfo``) is 16-byte aligned::

    magic "\\xff Go buildinf:" (14) | pointer size (1) | flags (1) | 16 bytes
    flags bit 0: big-endian pointers; bit 1: inline strings (Go 1.18+)
    inline:  uvarint len, version bytes, uvarint len, modinfo bytes
    pointer: at 16 and 16+ptrsize, the addresses of two Go string headers (data pointer, length)

The modinfo string is framed by two 16-byte sentinels (``cmd/go/internal/modload.infoStart`` and
``infoEnd``), stripped the way Go strips them: only if the string is at least 33 bytes long and
its 17th byte from the end is a newline; the sentinels themselves are not compared.

Go's js/wasm and wasip1/wasm linker writes no blob at all: the version is in the ``producers``
custom section and the framed modinfo text sits in a data segment (see :func:`_read_wasm`).

Outcomes: ``None`` when there is no build information (not a Go binary); :class:`Malformed`
(or :class:`Truncated`) when the blob is found but cannot be decoded. Where Go reports a found
but undecodable blob as "not a Go executable", linkscope reports it as malformed.

Tolerated differences from Go, all on hostile input only:
- Go (1.27) returns a wrong address when a misaligned magic precedes the aligned one in the same
  1 MiB chunk (``searchMagic`` reslices ``data`` but keeps using the index into it as an offset
  from the chunk start); linkscope tracks the absolute position.
- The module text's own (linkscope.go.modinfo) and Go string literals' (linkscope.go.strconv).
"""
from __future__ import annotations

from ..byteview import uvarint
from ..errors import Malformed, Truncated
from ..lazy import memoised
from ..model import GoInfo
from .modinfo import parse_modinfo

BUILDINFO_MAGIC = b"\xff Go buildinf:"
BUILDINFO_ALIGN = 16
BUILDINFO_HEADER_SIZE = 32
# cmd/go/internal/modload: the sentinels around the modinfo text.
MODINFO_START = bytes.fromhex("3077af0c9274080241e1c107e6d618e6")
MODINFO_END = bytes.fromhex("f932433186182072008242104116d8f2")

SEARCH_CHUNK = 1 << 20        # Go's searchChunkSize; a multiple of the alignment
MAX_SEARCH = 64 << 20         # never scan more than this for the magic
MAX_STRING = 16 << 20         # a version or modinfo string longer than this is refused unread
_READ_CHUNK = 1 << 20         # strings are read in pieces, so a lying length fails at the end of data

_FLAG_BIG_ENDIAN = 0x1
_FLAG_INLINE = 0x2


# -- reading the blob -----------------------------------------------------------------------------
def read_buildinfo(image) -> GoInfo | None:
    """The Go build information of a parsed image, or None when it has none (searched for once
    per image: the record, the C-library facts and the analyses all ask)."""
    return memoised(image, "_go_buildinfo", lambda: _read_buildinfo(image))


def _read_buildinfo(image) -> GoInfo | None:
    if getattr(image, "format", None) == "wasm":
        return _read_wasm(image)
    raw = read_raw_buildinfo(image)
    if raw is None:
        return None
    vers, mod, mod_addr = raw
    offset = _file_offset(image, mod_addr)
    return parse_modinfo(mod, vers, offset=offset, warn=_budget_warning(image, offset))


def read_raw_buildinfo(image) -> tuple[str, bytes, int | None] | None:
    """(Go version, modinfo text without its sentinels, address of the modinfo string), or None
    when the image holds no build info blob. Raises Malformed for a blob that cannot be decoded.
    Read once per image: the build info and the -s -w prediction both ask."""
    return memoised(image, "_go_raw_buildinfo", lambda: _read_raw_buildinfo(image))


def modinfo_text(image) -> bytes:
    """The module-info text between its sentinels; b"" when there is none or it cannot be read."""
    try:
        raw = read_raw_buildinfo(image)
    except (Malformed, Truncated):
        return b""
    return raw[1] if raw is not None else b""


def _read_raw_buildinfo(image) -> tuple[str, bytes, int | None] | None:
    region = image.go_data_start()
    if region is None:
        return None
    start, size = region
    if size <= 0:
        return None
    addr = search_magic(image, start, size)
    if addr is None:
        return None
    header = image.read_vaddr(addr, BUILDINFO_HEADER_SIZE)
    if header is None or len(header) < BUILDINFO_HEADER_SIZE:
        raise Truncated("Go build info header needs 32 bytes", offset=_file_offset(image, addr))
    flags = header[15]
    if flags & _FLAG_INLINE:
        vers, nxt = _decode_string(image, addr + BUILDINFO_HEADER_SIZE, "Go version")
        mod_addr = nxt
        mod, _ = _decode_string(image, nxt, "Go module info")
    else:
        ptr_size = header[14]
        if ptr_size not in (4, 8):
            raise Malformed(f"Go build info pointer size {ptr_size} (want 4 or 8)", offset=_file_offset(image, addr + 14))
        order = "big" if flags & _FLAG_BIG_ENDIAN else "little"
        vers_ptr = int.from_bytes(header[16:16 + ptr_size], order)
        mod_ptr = int.from_bytes(header[16 + ptr_size:16 + 2 * ptr_size], order)
        vers = _read_go_string(image, vers_ptr, ptr_size, order)
        mod = _read_go_string(image, mod_ptr, ptr_size, order)
        mod_addr = mod_ptr
    if not vers:
        raise Malformed("Go build info has an empty toolchain version", offset=_file_offset(image, addr))
    return vers.decode("utf-8", "surrogateescape"), strip_modinfo_sentinels(mod), mod_addr


def strip_modinfo_sentinels(mod: bytes) -> bytes:
    """The modinfo text between the sentinels, tested the way debug/buildinfo tests it."""
    if len(mod) >= 33 and mod[-17] == 0x0A:
        return mod[16:-16]
    return b""


def search_magic(image, start: int, size: int) -> int | None:
    """Address of the first 16-byte-aligned build info magic in [start, start+size), or None.

    Reads at most MAX_SEARCH bytes in chunks of SEARCH_CHUNK; the aligned magic cannot straddle
    two chunks because every chunk starts aligned. Raises Truncated when the magic is found too
    close to the end of the region to hold the 32-byte header."""
    # Addresses are 64-bit: a region running past 2**64 (a segment at 0xffff...ff) ends there.
    region_end = min(start + size, 1 << 64)
    start = (start + BUILDINFO_ALIGN - 1) & ~(BUILDINFO_ALIGN - 1)
    end = min(region_end, start + MAX_SEARCH)
    pos = start
    while pos < end:
        want = min(SEARCH_CHUNK, end - pos)
        find, n = _chunk_finder(image, pos, want)
        if not n:
            return None
        i = find(0)
        while i >= 0:
            if i % BUILDINFO_ALIGN == 0:
                if region_end - (pos + i) < BUILDINFO_HEADER_SIZE:
                    raise Truncated("Go build info magic too close to the end of its region",
                                    offset=_file_offset(image, pos + i))
                return pos + i
            i = find((i + BUILDINFO_ALIGN - 1) & ~(BUILDINFO_ALIGN - 1))
        if n < want:
            return None  # the mapping ended inside the region: nothing further is file-backed
        pos += want
    return None


def _chunk_finder(image, addr: int, size: int):
    """(find(start) -> index of the magic in the chunk at ``addr`` or -1, the chunk's length). Searched
    in place in the mapped file where the format maps addresses to file offsets (no copy of the
    data segment of a large binary); wasm's linear memory is assembled by read_vaddr."""
    span = image.vaddr_span(addr, size) if hasattr(image, "vaddr_span") else None
    if span is not None:
        off, n = span
        view = image.view
        view.check(off, n, "mapped data")

        def find(start: int) -> int:
            hit = view.find(BUILDINFO_MAGIC, off + start, off + n)
            return hit - off if hit >= 0 else -1
        return find, n
    data = image.read_vaddr(addr, size)
    return (lambda start: data.find(BUILDINFO_MAGIC, start)), len(data or b"")


def _decode_string(image, addr: int, what: str) -> tuple[bytes, int]:
    """A uvarint-length-prefixed string at ``addr``: (bytes, address after it)."""
    head = image.read_vaddr(addr, 10)
    if not head:
        raise Truncated(f"{what}: length is outside the mapped data", offset=_file_offset(image, addr))
    length, n = uvarint(head)
    if n < 0 or len(head) == 10 and n == 0:   # ten bytes that all continue: too long, whatever follows
        raise Malformed(f"{what}: length varint overflows 64 bits", offset=_file_offset(image, addr))
    if n == 0:
        raise Truncated(f"{what}: length varint runs off the mapped data", offset=_file_offset(image, addr))
    if length > MAX_STRING:
        raise Malformed(f"{what}: length {length} exceeds the {MAX_STRING} bytes accepted", offset=_file_offset(image, addr))
    data = _read_exact(image, addr + n, length)
    if data is None:
        raise Truncated(f"{what}: {length} bytes declared, the mapped data ends first", offset=_file_offset(image, addr))
    return data, addr + n + length


def _read_go_string(image, addr: int, ptr_size: int, order: str) -> bytes:
    """debug/buildinfo.readString: the Go string whose header is at ``addr``; b"" when any part
    is unreadable (a zero-valued string variable lives in .bss, which no file bytes back)."""
    hdr = image.read_vaddr(addr, 2 * ptr_size)
    if hdr is None or len(hdr) < 2 * ptr_size:
        return b""
    data_addr = int.from_bytes(hdr[:ptr_size], order)
    length = int.from_bytes(hdr[ptr_size:], order)
    if length > MAX_STRING:
        return b""
    return _read_exact(image, data_addr, length) or b""


def _read_exact(image, addr: int, n: int) -> bytes | None:
    """Exactly ``n`` bytes at ``addr``, read in bounded pieces, or None if the mapping ends first."""
    if n == 0:
        return b""
    parts = []
    got = 0
    while got < n:
        piece = image.read_vaddr(addr + got, min(_READ_CHUNK, n - got))
        if not piece:
            return None
        parts.append(piece)
        got += len(piece)
    data = b"".join(parts)
    return data[:n]


def _file_offset(image, addr: int | None) -> int | None:
    """The file offset of ``addr`` for error messages, when the image can map it back."""
    to_off = getattr(image, "vaddr_to_offset", None)
    if addr is None or to_off is None:
        return None
    try:
        return to_off(addr)
    except Exception:  # noqa: BLE001 - only used to decorate an error that is being raised
        return None


# -- wasm -------------------------------------------------------------------------------------------
def _read_wasm(image) -> GoInfo | None:
    """Go's wasm modules: the version from the ``producers`` section (``language: Go <version>``),
    the module info from the sentinel-framed text in the data segments.

    Without a Go producer the module is not reported as Go (as debug/buildinfo needs a version);
    stripping ``producers`` (``wasm-opt --strip-producers``) therefore loses the build info too.
    The producers version is ``buildcfg.Version``; native blobs carry ``runtime.buildVersion``,
    which adds `` X:<experiments>`` when GOEXPERIMENT differs from the default."""
    version = None
    for name, value in image.producers.get("language", ()):
        if name == "Go":
            version = value
            break
    if not version:
        return None
    found = find_wasm_modinfo(image)
    if found is None:
        return GoInfo(version=version)
    text, offset = found
    return parse_modinfo(text, version, offset=offset, warn=_budget_warning(image, offset))


def _budget_warning(image, offset: int | None):
    """What parse_modinfo calls past a budget: a warning on the image, if it takes them."""
    warn = getattr(image, "warn", None)
    if warn is None:
        return None
    return lambda message: warn("Go build info", Malformed(message, offset=offset))


def find_wasm_modinfo(image) -> tuple[bytes, int] | None:
    """(modinfo text, file offset) of the first sentinel-framed string in the data section.

    The framed string has no run of 8 zero bytes (the text is NUL-free, the end sentinel holds a
    single NUL) and Go's linker splits data segments only at such runs, so the frame lies inside
    one segment and a search over the section's bytes finds it without decoding the segments."""
    view = image.data_section_view()
    if view is None:
        return None
    i = view.find(MODINFO_START)
    while i >= 0:
        body = i + len(MODINFO_START)
        j = view.find(MODINFO_END, body, body + MAX_STRING + len(MODINFO_END))
        if j < 0:
            raise Malformed("Go module info start sentinel without its end sentinel", offset=view.base + i)
        # A stray start sentinel before the real one: the frame starts at the last start before the end.
        k = view.find(MODINFO_START, body, j)
        while k >= 0:
            i, body = k, k + len(MODINFO_START)
            k = view.find(MODINFO_START, body, j)
        text = strip_modinfo_sentinels(view.bytes(i, j + len(MODINFO_END) - i, "Go module info"))
        if text:
            return text, view.base + body
        i = view.find(MODINFO_START, i + 1)
    return None
