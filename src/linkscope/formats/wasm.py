"""WebAssembly binary modules (core spec, version 1).

The section table is read eagerly: every section's id, size and, for custom sections, name, with
each LEB128 size checked against the bytes that remain. Imports, exports, the ``producers``
section and the data segments are decoded when first asked for.

Section ids and their required order (custom sections, id 0, may appear anywhere):
type 1, import 2, function 3, table 4, memory 5, tag 13, global 6, export 7, start 8, element 9,
datacount 12, code 10, data 11. A known section repeated or out of order, or an unknown id, is
malformed. References: the WebAssembly core specification (binary format), the tool-conventions
documents ``ProducersSection.md`` and ``Linking.md``, and Go's ``cmd/link/internal/wasm/asm.go``.
"""
from __future__ import annotations

from ..record import record
from ..lazy import cached_property

from ..byteview import LEB_OK, ByteView, decode_leb128
from ..errors import LinkscopeError, Malformed, Truncated, UnsupportedFormat
from ..go import buildid
from ..model import Section
from .base import P_HEADER, P_SECTION, Image

MAGIC = b"\0asm"
VERSION = 1
# A component (component-model binary) shares the magic; its version field is 0x0d, layer 1.
COMPONENT_VERSION = b"\x0d\x00\x01\x00"

SEC_CUSTOM, SEC_TYPE, SEC_IMPORT, SEC_FUNCTION, SEC_TABLE, SEC_MEMORY, SEC_GLOBAL = 0, 1, 2, 3, 4, 5, 6
SEC_EXPORT, SEC_START, SEC_ELEMENT, SEC_CODE, SEC_DATA, SEC_DATACOUNT, SEC_TAG = 7, 8, 9, 10, 11, 12, 13
SECTION_NAMES = {
    SEC_CUSTOM: "custom", SEC_TYPE: "type", SEC_IMPORT: "import", SEC_FUNCTION: "function",
    SEC_TABLE: "table", SEC_MEMORY: "memory", SEC_GLOBAL: "global", SEC_EXPORT: "export",
    SEC_START: "start", SEC_ELEMENT: "element", SEC_CODE: "code", SEC_DATA: "data",
    SEC_DATACOUNT: "datacount", SEC_TAG: "tag",
}
_ORDER = {sid: rank for rank, sid in enumerate(
    (SEC_TYPE, SEC_IMPORT, SEC_FUNCTION, SEC_TABLE, SEC_MEMORY, SEC_TAG, SEC_GLOBAL, SEC_EXPORT,
     SEC_START, SEC_ELEMENT, SEC_DATACOUNT, SEC_CODE, SEC_DATA))}

# External kinds (import and export descriptors).
KIND_FUNC, KIND_TABLE, KIND_MEMORY, KIND_GLOBAL, KIND_TAG = 0, 1, 2, 3, 4
KIND_NAMES = {KIND_FUNC: "func", KIND_TABLE: "table", KIND_MEMORY: "memory", KIND_GLOBAL: "global", KIND_TAG: "tag"}

MAX_SECTIONS = 1 << 16
MAX_ENTRIES = 1 << 15         # imports, exports read at most (more is a warning; a module has dozens to thousands)
MAX_NAME = 1 << 16            # a longer import/export/custom-section name is refused


@record
class WasmSection:
    id: int
    name: str          # the custom section's name, or the standard name of the id
    offset: int        # start of the section's contents (after id and size), in the view
    size: int          # bytes of contents
    payload: int       # start of the payload: after the name for custom sections, else == offset


@record
class Import:
    module: str
    name: str
    kind: int


@record
class Export:
    name: str
    kind: int
    index: int


@record
class DataSegment:
    index: int
    active: bool
    memory: int
    addr: int | None   # the initial address when the offset expression is a constant
    offset: int        # file offset (in the view) of the segment's bytes
    size: int


class _Cursor:
    """A position in a section's contents; every read is bounded by the section."""

    __slots__ = ("v", "pos")

    def __init__(self, view: ByteView, pos: int = 0):
        self.v = view
        self.pos = pos

    @property
    def remaining(self) -> int:
        return self.v.size - self.pos

    def at_end(self) -> bool:
        return self.pos >= self.v.size

    def u8(self) -> int:
        b = self.v.u8(self.pos)
        self.pos += 1
        return b

    def uleb(self, bits: int = 32, what: str = "LEB128") -> int:
        v, self.pos = self.v.uleb128(self.pos, bits, what)
        return v

    def sleb(self, bits: int, what: str = "signed LEB128") -> int:
        v, self.pos = self.v.sleb128(self.pos, bits, what)
        return v

    def count(self, what: str, min_entry: int = 1) -> int:
        """A vector length, refused when the remaining bytes cannot hold that many entries."""
        at = self.pos
        n = self.uleb(32, what)
        if n * min_entry > self.remaining:
            raise Malformed(f"{what}: {n} entries cannot fit in the {self.remaining} bytes left",
                            offset=self.v.base + at)
        return n

    def raw(self, n: int, what: str) -> tuple[int, int]:
        """(offset, size) of the next ``n`` bytes, which must lie inside the section."""
        self.v.check(self.pos, n, what)
        off = self.pos
        self.pos += n
        return off, n

    def name(self, what: str = "name") -> str:
        at = self.pos
        n = self.uleb(32, f"{what} length")
        if n > MAX_NAME:
            raise Malformed(f"{what} of {n} bytes", offset=self.v.base + at)
        off, _ = self.raw(n, what)
        return self.v.bytes(off, n, what).decode("utf-8", "surrogateescape")

    # -- types the import descriptors and segment headers contain --------------------------------
    def ref_or_val_type(self) -> None:
        b = self.u8()
        if b in (0x63, 0x64):  # (ref null ht) / (ref ht): a heap type follows, as an s33
            self.sleb(33, "heap type")

    def limits(self) -> int:
        """Skip a limits record; returns its flags (bit 2: 64-bit addresses)."""
        at = self.pos
        flags = self.u8()
        if flags > 0x0F:
            raise Malformed(f"limits flags {flags:#x}", offset=self.v.base + at)
        bits = 64 if flags & 0x04 else 32
        self.uleb(bits, "limits minimum")
        if flags & 0x01:
            self.uleb(bits, "limits maximum")
        if flags & 0x08:  # custom-page-sizes proposal: log2 of the page size
            self.uleb(32, "page size")
        return flags

    def const_expr(self) -> int | None:
        """A constant expression up to its ``end``; its value when it is made of integer constants
        and integer arithmetic only (what an active segment's offset needs), else None."""
        stack: list[int | None] = []
        for _ in range(self.remaining):
            at = self.pos
            op = self.u8()
            if op == 0x0B:  # end
                return stack[-1] if len(stack) == 1 else None
            if op == 0x41:
                stack.append(self.sleb(32, "i32.const") & 0xFFFFFFFF)
            elif op == 0x42:
                stack.append(self.sleb(64, "i64.const") & 0xFFFFFFFFFFFFFFFF)
            elif op == 0x23:  # global.get: value known only at instantiation
                self.uleb(32, "global index")
                stack.append(None)
            elif op in (0x6A, 0x6B, 0x6C, 0x7C, 0x7D, 0x7E):  # extended-const i32/i64 add, sub, mul
                if len(stack) < 2:
                    raise Malformed("constant expression stack underflow", offset=self.v.base + at)
                b, a = stack.pop(), stack.pop()
                mask = 0xFFFFFFFF if op < 0x70 else 0xFFFFFFFFFFFFFFFF
                if a is None or b is None:
                    stack.append(None)
                else:
                    k = op if op < 0x70 else op - 0x12
                    stack.append((a + b if k == 0x6A else a - b if k == 0x6B else a * b) & mask)
            elif op == 0xD2:  # ref.func
                self.uleb(32, "function index")
                stack.append(None)
            elif op == 0xD0:  # ref.null
                self.sleb(33, "heap type")
                stack.append(None)
            elif op in (0x43, 0x44):  # f32/f64.const
                self.raw(4 if op == 0x43 else 8, "float constant")
                stack.append(None)
            else:
                raise Malformed(f"opcode {op:#04x} in a constant expression", offset=self.v.base + at)
        raise Truncated("constant expression has no end", offset=self.v.base + self.pos)


def _common_segment(buf, pos: int, end: int) -> tuple[int, int, int] | None:
    """An active segment for memory 0 at ``i32.const N; end`` (what Go, LLVM and binaryen write):
    (address, absolute position of its bytes, size), or None for any other shape or any byte out
    of bounds, which the checked path then decodes (and reports)."""
    if pos + 3 > end or buf[pos] != 0 or buf[pos + 1] != 0x41:
        return None
    val, p, status = decode_leb128(buf, pos + 2, end, 5, True)        # sleb128 i32
    if status or p >= end or buf[p] != 0x0B:
        return None
    size, p, status = decode_leb128(buf, p + 1, end, 5, False)        # uleb128 u32
    if status or size >> 32 or p + size > end:
        return None
    return val & 0xFFFFFFFF, p, size


class WasmImage(Image):
    format = "wasm"

    def __init__(self, view: ByteView):
        super().__init__(view)
        v = view
        if v.size < 8:
            raise Truncated("wasm header is 8 bytes", offset=v.base)
        if v.bytes(0, 4) != MAGIC:
            raise Malformed("not a wasm module (bad magic)", offset=v.base)
        ver = v.bytes(4, 4)
        if ver == COMPONENT_VERSION:
            raise UnsupportedFormat("wasm component (component model); only core modules are supported")
        if int.from_bytes(ver, "little") != VERSION:
            raise Malformed(f"wasm binary version {int.from_bytes(ver, 'little')} (want 1)", offset=v.base + 4)
        # Best-effort: the sections before a damaged one are kept, with a warning; what a later
        # section could have said (names, debug info, exports) is then unknown.
        self.sections_complete = True
        out: list[WasmSection] = []
        try:
            self._read_sections(out)
        except LinkscopeError as e:
            self.sections_complete = False
            self.warn("sections", e)
        self.wasm_sections = tuple(out)

    def _read_sections(self, out: list[WasmSection]) -> None:
        cur = _Cursor(self.view, 8)
        last_rank = -1
        seen: set[int] = set()
        while not cur.at_end():
            at = cur.pos
            if len(out) >= MAX_SECTIONS:
                raise Malformed(f"more than {MAX_SECTIONS} sections", offset=self.view.base + at)
            sid = cur.u8()
            size = cur.uleb(32, "section size")
            start = cur.pos
            self.view.check(start, size, f"section {SECTION_NAMES.get(sid, sid)}")
            if sid == SEC_CUSTOM:
                # Its name straight from the buffer (a module may hold 65536 of them), decoded as
                # the cursor decodes a name; one that is not well-formed is read again by the
                # cursor, which says what is wrong, and where.
                base = self.view.base
                n, p, status = decode_leb128(self.view.buf, base + start, base + start + size, 5, False)
                if not (status == LEB_OK and n <= MAX_NAME and p + n <= base + start + size):
                    _Cursor(self.view.sub(start, size, "custom section")).name("custom section name")
                    raise Malformed("custom section name is not well-formed", offset=base + start)  # not reached
                name = bytes(self.view.buf[p:p + n]).decode("utf-8", "surrogateescape")
                out.append(WasmSection(sid, name, start, size, p + n - base))
            elif sid in _ORDER:
                if sid in seen:
                    raise Malformed(f"duplicate {SECTION_NAMES[sid]} section", offset=self.view.base + at)
                if _ORDER[sid] < last_rank:
                    raise Malformed(f"{SECTION_NAMES[sid]} section out of order", offset=self.view.base + at)
                seen.add(sid)
                last_rank = _ORDER[sid]
                out.append(WasmSection(sid, SECTION_NAMES[sid], start, size, start))
            else:
                raise Malformed(f"unknown section id {sid}", offset=self.view.base + at)
            cur.pos = start + size

    # -- sections --------------------------------------------------------------------------------
    def section(self, sid: int) -> WasmSection | None:
        for s in self.wasm_sections:
            if s.id == sid:
                return s
        return None

    def custom_section(self, name: str) -> WasmSection | None:
        for s in self.wasm_sections:
            if s.id == SEC_CUSTOM and s.name == name:
                return s
        return None

    def _payload(self, s: WasmSection) -> _Cursor:
        return _Cursor(self.view.sub(s.payload, s.offset + s.size - s.payload, f"{s.name} section"))

    def sections(self) -> list[Section]:
        return [Section(s.name, 0, s.offset, s.size, "custom" if s.id == SEC_CUSTOM else s.name)
                for s in self.wasm_sections]

    # -- imports and exports ---------------------------------------------------------------------
    @cached_property
    def _import_table(self) -> tuple[tuple[Import, ...], tuple[int, ...]]:
        """(imports, the limits flags of each imported memory)."""
        s = self.section(SEC_IMPORT)
        if s is None:
            return (), ()
        cur = self._payload(s)
        out, memories = [], []
        for _ in range(self.budget(cur.count("import vector", 4), MAX_ENTRIES, "imports", "imports",
                                           self.view.base + s.offset)):
            module = cur.name("import module name")
            name = cur.name("import name")
            at = cur.pos
            kind = cur.u8()
            if kind == KIND_FUNC:
                cur.uleb(32, "type index")
            elif kind == KIND_TABLE:
                cur.ref_or_val_type()
                cur.limits()
            elif kind == KIND_MEMORY:
                memories.append(cur.limits())
            elif kind == KIND_GLOBAL:
                cur.ref_or_val_type()
                cur.u8()  # mutability
            elif kind == KIND_TAG:
                cur.u8()  # attribute
                cur.uleb(32, "type index")
            else:
                raise Malformed(f"import kind {kind:#x}", offset=cur.v.base + at)
            out.append(Import(module, name, kind))
        return tuple(out), tuple(memories)

    @property
    def imports(self) -> tuple[Import, ...]:
        return self._import_table[0]

    @cached_property
    def exports(self) -> tuple[Export, ...]:
        s = self.section(SEC_EXPORT)
        if s is None:
            return ()
        cur = self._payload(s)
        out = []
        for _ in range(self.budget(cur.count("export vector", 3), MAX_ENTRIES, "exports", "exports",
                                           self.view.base + s.offset)):
            name = cur.name("export name")
            at = cur.pos
            kind = cur.u8()
            if kind not in KIND_NAMES:
                raise Malformed(f"export kind {kind:#x}", offset=cur.v.base + at)
            out.append(Export(name, kind, cur.uleb(32, "export index")))
        return tuple(out)

    @cached_property
    def memory64(self) -> bool:
        """Whether memory 0 (imported or defined) uses 64-bit addresses (memory64 proposal)."""
        imported = self._import_table[1]
        if imported:
            return bool(imported[0] & 0x04)
        s = self.section(SEC_MEMORY)
        if s is None:
            return False
        cur = self._payload(s)
        if cur.count("memory vector", 2) == 0:
            return False
        return bool(cur.limits() & 0x04)

    # -- producers (tool-conventions ProducersSection.md) ----------------------------------------
    @cached_property
    def producers(self) -> dict[str, tuple[tuple[str, str], ...]]:
        """Field name ("language", "processed-by", "sdk") -> ((name, version), ...)."""
        s = self.custom_section("producers")
        if s is None:
            return {}
        cur = self._payload(s)
        out: dict[str, tuple[tuple[str, str], ...]] = {}
        for _ in range(cur.count("producers fields", 2)):
            field = cur.name("producers field name")
            values = tuple((cur.name("producer name"), cur.name("producer version"))
                           for _ in range(cur.count("producers values", 2)))
            out[field] = out.get(field, ()) + values
        return out

    # -- data segments and linear memory ---------------------------------------------------------
    @cached_property
    def data_segments(self) -> tuple[DataSegment, ...]:
        s = self.section(SEC_DATA)
        if s is None:
            return ()
        cur = self._payload(s)
        out = []
        buf, base, rel = cur.v.buf, cur.v.base, cur.v.base - self.view.base
        for i in range(cur.count("data segments", 2)):
            fast = _common_segment(buf, base + cur.pos, base + cur.v.size)
            if fast is not None:  # the usual shape, decoded in one step; anything else is checked below
                addr, data_at, size = fast
                out.append(DataSegment(i, True, 0, addr, data_at - base + rel, size))
                cur.pos = data_at - base + size
                continue
            at = cur.pos
            flags = cur.uleb(32, "data segment flags")
            memory, addr, active = 0, None, True
            if flags == 0:
                addr = cur.const_expr()
            elif flags == 1:
                active = False
            elif flags == 2:
                memory = cur.uleb(32, "memory index")
                addr = cur.const_expr()
            else:
                raise Malformed(f"data segment flags {flags}", offset=cur.v.base + at)
            size = cur.uleb(32, "data segment size")
            off, _ = cur.raw(size, "data segment")
            out.append(DataSegment(i, active, memory, addr, cur.v.base - self.view.base + off, size))
        return tuple(out)

    def data_section_view(self) -> ByteView | None:
        """The contents of the data section: every segment's bytes with their small headers in
        between, for C-speed searches that need no segment boundaries."""
        s = self.section(SEC_DATA)
        return None if s is None else self.view.sub(s.offset, s.size, "data section")

    def segment_view(self, seg: DataSegment) -> ByteView:
        return self.view.sub(seg.offset, seg.size, "data segment")

    def read_vaddr(self, addr: int, size: int) -> bytes | None:
        """Bytes of linear memory 0 as the active data segments initialise it. Segments are
        written in order at instantiation, so the last one covering ``addr`` is read, and the read
        stops where that segment ends or a later segment starts to overwrite it; the zero-filled
        gaps between segments are not file-backed (None)."""
        segs = [s for s in self.data_segments if s.active and s.memory == 0 and s.addr is not None]
        for k in range(len(segs) - 1, -1, -1):
            seg = segs[k]
            if seg.addr <= addr < seg.addr + seg.size:
                end = min(addr + max(size, 0), seg.addr + seg.size)
                for later in segs[k + 1:]:
                    if addr < later.addr < end and later.size:   # an empty segment overwrites nothing
                        end = later.addr
                return self.view.bytes(seg.offset + (addr - seg.addr), end - addr, "data segment")
        return None

    def go_data_start(self) -> tuple[int, int] | None:
        # Go's wasm linker writes no "\xff Go buildinf:" blob; go.buildinfo reads wasm its own way.
        return None

    # -- facts -----------------------------------------------------------------------------------
    @cached_property
    def go_build_id(self) -> str | None:
        """The custom section "go:buildid" holds the build ID as cmd/internal/buildid writes it:
        ``\\xff Go build ID: "<id>"\\n \\xff`` (read back the way ``go tool buildid`` reads it)."""
        s = self.custom_section("go:buildid")
        if s is None:
            return None
        data = self.view.bytes(s.payload, s.offset + s.size - s.payload, "go:buildid section")
        try:
            return buildid.find_raw(data)
        except Malformed as e:
            raise Malformed(f"go:buildid section: {e.message}", offset=self.view.base + s.payload + e.offset) from None

    @property
    def module_type(self) -> str:
        """The rule: a relocatable object has the ``linking`` custom section (tool-conventions
        Linking.md) -> "object"; a module with an entry point -> "executable": a start section,
        an exported ``_start`` function (the WASI command ABI), or Go js/wasm's exported ``run``
        (what wasm_exec.js calls); any other module is instantiated for its exports, like a
        library (a WASI reactor with ``_initialize``, a wasm-bindgen module) -> "shared-library"."""
        if self.custom_section("linking") is not None:
            return "object"
        if self.section(SEC_START) is not None:
            return "executable"
        if any(e.kind == KIND_FUNC and e.name in ("_start", "run") for e in self.exports):
            return "executable"
        return "shared-library"

    @property
    def needed(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(i.module for i in self.imports))

    @property
    def stripped(self) -> bool:
        return self.custom_section("name") is None

    @property
    def debug_info(self) -> bool:
        return any(s.id == SEC_CUSTOM and s.name.startswith(".debug_info") for s in self.wasm_sections)

    # -- where the bytes go (the verb of formats.base) --------------------------------------------
    def size_regions(self, functab=None) -> list[tuple[int, int, int, str]]:
        """The 8-byte preamble and each section's id and size bytes are headers; a standard section
        is categorised by its id, a custom one by its name (so a custom section named "code" is not
        code)."""
        regions = [(0, 8, P_HEADER, "headers")]
        end = 8
        for s in self.wasm_sections:
            regions.append((end, s.offset, P_HEADER, "headers"))   # the section's id and its LEB128 size
            name = s.name
            if s.id != SEC_CUSTOM:
                # the other standard sections say how the module links with its host and within itself
                cat = {"code": "code", "data": "data"}.get(name, "dynamic")
            elif name.startswith((".debug_", "external_debug_info")):
                cat = "dwarf"
            elif name == "name":
                cat = "symtab"
            else:
                cat = "other"
            regions.append((s.offset, s.offset + s.size, P_SECTION, cat))
            end = s.offset + s.size
        return regions

    def facts(self, summary: bool = False) -> dict:
        a, complete = self.attempt, self.sections_complete
        return dict(
            format="wasm", arch="wasm", bits=a("memory section", lambda: 64 if self.memory64 else 32), endian="little",
            os=None, type=a("export section", lambda: self.module_type) if complete else None, linkage=None,
            interpreter=None, needed=a("import section", lambda: self.needed, ()), rpath=(), runpath=(), soname=None,
            stripped=self.stripped if complete else None, debug_info=self.debug_info if complete else None,
            gnu_build_id=None, go_build_id=a("go:buildid section", lambda: self.go_build_id),
        )


def parse(view: ByteView) -> WasmImage:
    return WasmImage(view)
