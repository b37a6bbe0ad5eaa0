"""Go's function table (the pclntab): which functions a Go binary holds, even when stripped.

The runtime needs the table to unwind stacks and print tracebacks, so `-ldflags=-s -w` keeps it;
it names every Go function (and the cgo stubs, ``net._C2func_getaddrinfo``) linked into the file.

**Where it is** (first that answers): the section Go's linker names ``.gopclntab`` (ELF; PIE files
built by an external linker may call it ``.data.rel.ro.gopclntab``), ``__gopclntab`` (Mach-O);
else, as for PE files (which never had a named section) or files whose section headers are gone,
a search for the table's header in the loaded data that is not code (read-only first): the magic number (its byte order
gives the file's), two zero bytes, the instruction-size quantum (1, 2 or 4) and the pointer size (4
or 8). At most :data:`MAX_CANDIDATES` matches are tried and each must parse as a whole table (the
offsets in order, the function table inside the data, the names terminated) before it counts;
the search itself is a C-speed regular expression over the mapped file, bounded by
:data:`SEARCH_LIMIT` bytes.

**Layouts** (Go's debug/gosym, runtime/symtab.go ``pcHeader`` and ``_func``):

=========  ==========  ===============================================================================
magic      Go          header after the 8 fixed bytes (words of the pointer size)
=========  ==========  ===============================================================================
0xfffffffb 1.2 - 1.15  nfunc, then the function table itself: (pc, offset) pairs of pointer size;
                       names at offsets from the table start
0xfffffffa 1.16, 1.17  nfunc, nfiles, funcname, cu, filetab, pctab, pcln offsets; pairs of pointer size
0xfffffff0 1.18, 1.19  nfunc, nfiles, textStart, funcname, cu, filetab, pctab, pcln; pairs of uint32
0xfffffff1 1.20 -      as 1.18 (the textStart word is unused)
=========  ==========  ===============================================================================

Each function record (``_func``) starts with its entry (a pointer before 1.18, a uint32 offset from
1.18 on) followed by ``nameOff`` (int32), an offset into the name table.
"""
from __future__ import annotations


from ..byteview import ByteView
from ..errors import Malformed
from ..lazy import Rx

MAGICS = {0xFFFFFFFB: "1.2", 0xFFFFFFFA: "1.16", 0xFFFFFFF0: "1.18", 0xFFFFFFF1: "1.20"}
MAX_FUNCS = 1 << 22          # a very large Go binary (kubelet, ~50 MB) has about 10**5 functions
# Function records read one by one for the names of a table before Go 1.16 (whose names are not
# one region): about 2 us each, so a table of more names leaves the name-based evidence unknown.
MAX_NAMES_WALKED = 1 << 18
MAX_CANDIDATES = 16          # header-magic matches tried when the table has to be searched for
SEARCH_LIMIT = 512 << 20     # bytes searched for the header, at most
MAX_NAME = 4096

_HEADER_RE = Rx(
    rb"(?:[\xfb\xfa\xf0\xf1]\xff\xff\xff|\xff\xff\xff[\xfb\xfa\xf0\xf1])\x00\x00[\x01\x02\x04][\x04\x08]")


class FuncTable:
    """A parsed pclntab: its layout version, where it is, and its function names.

    Parsing checks the header, the order of the function table and the first and last records;
    the names are read on demand: :meth:`has`, :meth:`with_prefix` and :meth:`containing` search
    the name table at C speed (it holds every function name, and the names of functions that
    were only inlined); :attr:`names` walks every record (in table order) when asked. Like the
    image it comes from, it reads the mapped file: use it while the image is open."""

    __slots__ = ("version", "offset", "ptrsize", "quantum", "nfunc", "found_by", "size", "_view", "_funcdata",
                 "_name_field", "_names_base", "_names_end", "_funcoffs", "_blob", "_names", "__weakref__")

    def __init__(self, version, offset, ptrsize, quantum, nfunc, found_by, size, view, funcdata, name_field,
                 names_base, names_end, funcoffs):
        self.version: str = version          # "1.2", "1.16", "1.18" or "1.20" (the layout, not the Go release)
        self.offset: int = offset            # file offset of the header
        self.ptrsize: int = ptrsize
        self.quantum: int = quantum
        self.nfunc: int = nfunc
        self.found_by: str = found_by        # "section .gopclntab", "search", ...
        self.size: int | None = size         # bytes up to the end of the last function record (1.18+)
        self._view, self._funcdata, self._name_field = view, funcdata, name_field
        self._names_base, self._names_end, self._funcoffs = names_base, names_end, funcoffs
        self._blob: bytes | None = None
        self._names: tuple[str, ...] | None = None

    def __repr__(self) -> str:
        return f"FuncTable(version={self.version!r}, offset={self.offset:#x}, nfunc={self.nfunc}, found_by={self.found_by!r})"

    def _name_at(self, name_off: int, rec: int) -> str:
        v = self._view
        if name_off < 0:
            raise Malformed("negative function name offset", offset=v.base + rec)
        start = v.base + self._names_base + name_off
        stop = v.buf.find(b"\0", start, min(v.base + v.size, start + MAX_NAME))
        if stop < 0:
            raise Malformed("function name not terminated", offset=start)
        return bytes(v.buf[start:stop]).decode("utf-8", "surrogateescape")

    def _record_name(self, funcoff: int) -> str:
        v = self._view
        rec = self._funcdata + funcoff + self._name_field
        if rec + 4 > v.size or rec < 0:
            raise Malformed("pclntab function record outside the table", offset=v.base + self._funcdata)
        return self._name_at(v.i32(rec), rec)

    @property
    def names(self) -> tuple[str, ...]:
        """Every function's name, in table (address) order."""
        if self._names is None:
            if len(self._funcoffs) > MAX_NAMES_WALKED:
                raise Malformed(f"pclntab of {len(self._funcoffs)} functions before Go 1.16: more than the "
                                f"{MAX_NAMES_WALKED} whose names are read one by one", offset=self._view.base)
            cache: dict[int, str] = {}
            out = []
            for funcoff in self._funcoffs:
                name = cache.get(funcoff)
                if name is None:
                    name = cache[funcoff] = self._record_name(funcoff)
                out.append(name)
            self._names = tuple(out)
        return self._names

    @property
    def blob(self) -> bytes:
        """The names, NUL-separated, with a NUL in front: the name table itself (1.16+)."""
        if self._blob is None:
            if self._names_end is not None:
                v = self._view
                self._blob = b"\0" + v.bytes(self._names_base, self._names_end - self._names_base, "pclntab names")
            else:
                self._blob = b"\0" + "\0".join(self.names).encode("utf-8", "surrogateescape") + b"\0"
        return self._blob

    def has(self, name: str) -> bool:
        return b"\0" + name.encode("utf-8", "surrogateescape") + b"\0" in self.blob

    def containing(self, part: str, limit: int = 64) -> list[str]:
        """Names that contain ``part`` (at most ``limit``), sorted."""
        blob, needle = self.blob, part.encode("utf-8", "surrogateescape")
        out: set[str] = set()
        pos = blob.find(needle)
        while pos >= 0 and len(out) < limit:
            start = blob.rfind(b"\0", 0, pos) + 1
            end = blob.find(b"\0", pos)
            end = len(blob) if end < 0 else end
            if start <= pos:
                out.add(blob[start:end].decode("utf-8", "surrogateescape"))
            pos = blob.find(needle, end)
        return sorted(out)

    def with_prefix(self, prefix: str, limit: int = 64) -> list[str]:
        """Names that start with ``prefix`` (at most ``limit``), sorted."""
        blob, needle = self.blob, b"\0" + prefix.encode("utf-8", "surrogateescape")
        out: set[str] = set()
        pos = blob.find(needle)
        while pos >= 0 and len(out) < limit:
            end = blob.find(b"\0", pos + 1)
            end = len(blob) if end < 0 else end
            out.add(blob[pos + 1:end].decode("utf-8", "surrogateescape"))
            pos = blob.find(needle, end)
        return sorted(out)


def parse(view: ByteView, found_by: str = "") -> FuncTable:
    """Parse the table whose header starts at the beginning of ``view`` (which may run past the
    table's end). Raises Malformed for anything that is not a consistent table: header, offsets,
    the function table sorted by address, and the names of its first and last records."""
    if view.size < 16:
        raise Malformed("pclntab header needs 16 bytes", offset=view.base)
    raw = view.bytes(0, 4, "pclntab magic")
    le, be = int.from_bytes(raw, "little"), int.from_bytes(raw, "big")
    if le in MAGICS:
        little, magic = True, le
    elif be in MAGICS:
        little, magic = False, be
    else:
        raise Malformed(f"no pclntab magic ({raw.hex()})", offset=view.base)
    v = view.with_endian(little)
    quantum, ptrsize = v.u8(6), v.u8(7)
    if v.u8(4) or v.u8(5) or quantum not in (1, 2, 4) or ptrsize not in (4, 8):
        raise Malformed("pclntab header: bad padding, quantum or pointer size", offset=view.base)
    version = MAGICS[magic]

    def word(i: int) -> int:
        return v.uword(8 + i * ptrsize, ptrsize * 8)

    nfunc = word(0)
    if nfunc > MAX_FUNCS:
        raise Malformed(f"pclntab declares {nfunc} functions", offset=view.base + 8)
    names_end = None
    if version == "1.2":
        names_base, funcdata = 0, 0
        functab, field = 8 + ptrsize, ptrsize
        name_field = ptrsize
    else:
        first = 2 if version == "1.16" else 3     # index of the funcname offset word
        offs = [word(i) for i in range(first, first + 5)]   # funcname, cu, filetab, pctab, pcln
        if any(a > b for a, b in zip(offs, offs[1:])) or offs[0] < 8 + (first + 5) * ptrsize:
            raise Malformed("pclntab header offsets out of order", offset=view.base + 8)
        names_base, names_end, funcdata = offs[0], offs[1], offs[4]
        functab = funcdata
        field = ptrsize if version == "1.16" else 4
        name_field = ptrsize if version == "1.16" else 4
        v.check(names_base, names_end - names_base, "pclntab function names")
    v.check_array(functab, 2 * nfunc + 1, field, "pclntab function table")
    entries = v.words(functab, 2 * nfunc + 1, "I" if field == 4 else "Q", little, "pclntab function table")
    if entries.itemsize != field:
        raise Malformed("unsupported word size", offset=view.base)
    pcs = entries[0::2]
    if pcs.tolist() != sorted(pcs):
        raise Malformed("pclntab function table is not sorted by address", offset=view.base + functab)
    funcoffs = entries[1:2 * nfunc:2]
    ft = FuncTable(version, view.base, ptrsize, quantum, nfunc, found_by, None, v, funcdata, name_field,
                   names_base, names_end, funcoffs)
    if nfunc:
        ft._record_name(funcoffs[0])
        ft._record_name(funcoffs[-1])
    if nfunc and version in ("1.18", "1.20"):
        # The records follow the function table in order; the last one ends the table proper: its
        # fixed part (40 bytes, 44 from 1.20 with startLine), then npcdata and nfuncdata uint32s.
        last = funcdata + max(funcoffs)
        fixed = 44 if version == "1.20" else 40
        if last + fixed <= v.size:
            npcdata, nfuncdata = v.u32(last + 28), v.u8(last + fixed - 1)
            ft.size = last + fixed + 4 * (npcdata + nfuncdata)
    return ft


# The sections Go's linker names for the table: ELF (PIE files an external linker made may call it
# .data.rel.ro.gopclntab) and Mach-O. PE files never had one.
SECTION_NAMES = (".gopclntab", ".data.rel.ro.gopclntab", "__gopclntab")


def _section_region(image) -> tuple[int, int, str] | None:
    for name in SECTION_NAMES:
        s = image.file_section(name)
        if s is not None and s.size:
            return s.offset, s.size, f"section {name}"
    return None


def _search_regions(image) -> list[tuple[int, int]]:
    """(file offset, size) of the loaded data, not code, where the table may be when no section names
    it: read-only segments first (Go's own layout), then writable ones (RELRO in PIE files)."""
    segs = [s for s in image.load_segments() if s.filesz and not s.executable]
    segs.sort(key=lambda s: s.writable)
    return [(s.offset, s.filesz) for s in segs]


def find(image) -> FuncTable | None:
    """The function table of a Go binary, or None when there is none (not Go, or not found).
    Raises Malformed when a section named as the table does not parse."""
    v = image.view
    named = _section_region(image)
    if named is not None:
        off, size, how = named
        size = min(size, max(0, v.size - off))
        return parse(v.sub(off, size, "pclntab"), how)
    budget = SEARCH_LIMIT
    tried = 0
    for off, size in _search_regions(image):
        start = min(off, v.size)
        stop = min(off + size, v.size, start + budget)
        budget -= stop - start
        for m in _HEADER_RE.finditer(v.buf, v.base + start, v.base + stop):
            tried += 1
            if tried > MAX_CANDIDATES:
                return None
            pos = m.start() - v.base
            try:
                return parse(v.sub(pos, stop - pos, "pclntab"), "search")
            except Malformed:
                continue
        if budget <= 0:
            break
    return None


# -- moduledata: where the table ends when no section says ----------------------------------------
def extent(image, ft: FuncTable) -> int | None:
    """Bytes from the table's header to the end of ``runtime.findfunctab`` (what Go's linker puts
    after the function records, before ``runtime.epclntab``), read through the runtime's
    ``moduledata``: the record whose first word points at the header and whose second (the name
    table's address) agrees with the header. Its ``findfunctab`` pointer (word 19) and
    ``minpc``/``maxpc`` (words 20, 21) give the end: one 20-byte bucket per 4 KiB of text. None
    when the record is not found (layouts before 1.18 included)."""
    if ft.version not in ("1.18", "1.20"):
        return None
    v = image.view
    addr = image.offset_to_vaddr(ft.offset)
    if addr is None:
        return None
    little = int.from_bytes(v.bytes(ft.offset, 4), "little") in MAGICS
    order = "little" if little else "big"
    ps = ft.ptrsize
    hv = v.with_endian(little)
    names_off = hv.uword(ft.offset + 8 + 3 * ps, ps * 8)
    needle = addr.to_bytes(ps, order) + (addr + names_off).to_bytes(ps, order)
    budget = SEARCH_LIMIT
    for off, size in [(s.offset, s.filesz) for s in image.load_segments() if s.writable and s.filesz]:
        start = min(off, v.size)
        stop = min(off + size, v.size, start + budget)
        budget -= stop - start
        pos = v.find(needle, start, stop)
        while pos >= 0:
            if pos % ps == 0 and pos + 22 * ps <= v.size:
                words = [hv.uword(pos + i * ps, ps * 8) for i in range(22)]
                findfunctab, minpc, maxpc = words[19], words[20], words[21]
                if findfunctab > addr and maxpc >= minpc:
                    nbuckets = (maxpc - minpc + 4095) // 4096
                    return findfunctab - addr + 20 * nbuckets
            pos = v.find(needle, pos + 1, stop)
    return None
