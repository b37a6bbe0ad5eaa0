"""Rules of linkscope.formats.wasm that mutation testing (scripts/mutation.py) showed no test pinned
down: the exact error or warning (kind, offset, message) for each damaged header, section table and
payload; the section order of the core spec (tag and datacount included); the smallest vectors that
fit (each entry's least size); limits flags, reference types and constant expressions (extended-const
arithmetic, wrap-around, global.get, ref.func, ref.null, float constants); the data segments' fields
and file offsets in a window that does not start at byte 0; which memory decides the bits.

Modules are written byte by byte here (crafted.leb / crafted.sleb); every expected value is written
from the WebAssembly core specification's binary format, as the module was built.
"""
from __future__ import annotations

import pytest

from crafted import WASM_HEADER, leb, sleb
from crafted import wasm_custom as custom, wasm_module as module, wasm_name as name, wasm_section as section, wasm_vec as vec
from linkscope.byteview import ByteView
from linkscope.errors import Malformed, Truncated, UnsupportedFormat
from linkscope.formats import wasm
from linkscope.model import ReadWarning, Section

HEADER = WASM_HEADER


def parse(b: bytes) -> wasm.WasmImage:
    return wasm.parse(ByteView(b))


def raised(fn):
    """(error class, offset, message) of what ``fn()`` raises."""
    try:
        fn()
    except (Malformed, Truncated, UnsupportedFormat) as e:
        return type(e), e.offset, e.message
    raise AssertionError("no error")


# -- the 8-byte header --------------------------------------------------------------------------------
@pytest.mark.parametrize("b,want", [
    (b"\0asm\x01\0\0", (Truncated, 0, "wasm header is 8 bytes")),
    (b"\0asn\x01\0\0\0", (Malformed, 0, "not a wasm module (bad magic)")),
    (b"\0asm\x02\0\0\0", (Malformed, 4, "wasm binary version 2 (want 1)")),
    (b"\0asm\x0d\0\0\0", (Malformed, 4, "wasm binary version 13 (want 1)")),   # 0x0d without layer 1: no component
    (b"\0asm\x0d\0\x01\0", (UnsupportedFormat, None,
                            "wasm component (component model); only core modules are supported")),
])
def test_header_errors(b, want):
    assert raised(lambda: parse(b)) == want


def test_header_errors_in_a_window_give_file_offsets():
    buf = b"xyz" + b"\0asm\x02\0\0\0"
    assert raised(lambda: wasm.parse(ByteView(buf, 3))) == (Malformed, 7, "wasm binary version 2 (want 1)")
    assert raised(lambda: wasm.parse(ByteView(b"xyz\0asm\x01\0\0", 3))) == (Truncated, 3, "wasm header is 8 bytes")
    assert raised(lambda: wasm.parse(ByteView(b"xyz\0asn\x01\0\0\0", 3))) == (Malformed, 3, "not a wasm module (bad magic)")


# -- the section walk ---------------------------------------------------------------------------------
FUNC_TYPE = section(1, vec([b"\x60\x00\x00"]))          # 6 bytes
FUNCS = section(3, vec([leb(0)]))                       # 4 bytes

SECTION_WARNINGS = {
    # sid 1 at 8, size 16 at 9, contents would start at 10
    "past_end": (module(b"\x01\x10\x00"), ("truncated", 10, "section type needs 16 bytes, 1 available")),
    "unknown_id_past_end": (module(b"\x0e\x05"), ("truncated", 10, "section 14 needs 5 bytes, 0 available")),
    "unknown_id": (module(section(14, b"")), ("malformed", 8, "unknown section id 14")),
    "size_over_u32": (module(b"\x01" + leb(1 << 32)), ("malformed", 9, "section size 4294967296 does not fit in u32")),
    "size_too_long": (module(b"\x01\x80\x80\x80\x80\x80\x00"), ("malformed", 9, "section size longer than 5 bytes")),
    "size_cut": (module(b"\x01\x80"), ("truncated", 10, "u8 needs 1 bytes, 0 available")),
    "duplicate": (module(FUNC_TYPE, FUNC_TYPE), ("malformed", 14, "duplicate type section")),
    "out_of_order": (module(FUNCS, FUNC_TYPE), ("malformed", 12, "type section out of order")),
    "custom_name_past_section": (module(section(0, b"\x05ab")),
                                 ("truncated", 11, "custom section name needs 5 bytes, 2 available")),
    "custom_name_over_limit": (module(section(0, leb(65537) + b"x")),
                               ("malformed", 10, "custom section name of 65537 bytes")),
    "tag_after_global": (module(section(6, b"\x00"), section(13, b"\x00")), ("malformed", 11, "tag section out of order")),
    "datacount_after_code": (module(section(10, b"\x00"), section(12, b"\x00")),
                             ("malformed", 11, "datacount section out of order")),
    "code_after_data": (module(section(11, b"\x00"), section(10, b"\x00")), ("malformed", 11, "code section out of order")),
    "memory_after_tag": (module(section(13, b"\x00"), section(5, b"\x00")), ("malformed", 11, "memory section out of order")),
}


@pytest.mark.parametrize("case", SECTION_WARNINGS)
def test_section_walk_warning(case):
    b, (kind, offset, message) = SECTION_WARNINGS[case]
    img = parse(b)
    assert img.warnings == [ReadWarning(kind, "sections", offset, message)]
    assert img.sections_complete is False


def test_section_walk_warning_offsets_in_a_window():
    b = b"pad" + module(FUNC_TYPE, FUNC_TYPE)
    img = wasm.parse(ByteView(b, 3))
    assert img.warnings == [ReadWarning("malformed", "sections", 17, "duplicate type section")]
    assert [(s.name, s.offset, s.size) for s in img.wasm_sections] == [("type", 10, 4)]


def test_every_section_in_the_spec_order():
    ids = [1, 2, 3, 4, 5, 13, 6, 7, 8, 9, 12, 10, 11]
    b = module(*(section(i, b"\x00") for i in ids), custom("c"))
    img = parse(b)
    assert img.warnings == [] and img.sections_complete is True
    names = ["type", "import", "function", "table", "memory", "tag", "global", "export", "start", "element",
             "datacount", "code", "data"]
    # each section: id, size 1, one byte of contents; the first contents at 10, then every 3 bytes
    assert img.sections() == [Section(n, 0, 10 + 3 * k, 1, n) for k, n in enumerate(names)] + \
        [Section("c", 0, 10 + 3 * 13, 2, "custom")]
    assert [(s.id, s.payload) for s in img.wasm_sections][-1] == (0, 10 + 3 * 13 + 2)
    assert img.section(12).offset == 10 + 3 * 10
    assert img.section(14) is None


def test_custom_sections_anywhere_do_not_change_the_order():
    img = parse(module(custom("a"), FUNC_TYPE, custom("b"), FUNCS, custom("a", b"zz")))
    assert [s.name for s in img.wasm_sections] == ["a", "type", "b", "function", "a"]
    assert img.warnings == []
    first_a = img.custom_section("a")
    assert (first_a.offset, first_a.size, first_a.payload) == (10, 2, 12)
    assert img.custom_section("type") is None          # a standard section is not a custom one
    assert img.custom_section("c") is None


def test_the_section_limit_is_65536():
    one = b"\x00\x01\x00"                                # a custom section with an empty name
    img = parse(module(one * 65536))
    assert img.warnings == [] and len(img.wasm_sections) == 65536
    img = parse(module(one * 65537))
    assert img.warnings == [ReadWarning("malformed", "sections", 8 + 3 * 65536, "more than 65536 sections")]
    assert len(img.wasm_sections) == 65536


def test_a_custom_name_of_65536_bytes_is_read():
    img = parse(module(custom("n" * 65536)))
    assert img.warnings == [] and img.wasm_sections[0].name == "n" * 65536


@pytest.mark.parametrize("n", [0, 1, 63, 64, 127, 128, 8191, 8192])
def test_custom_names_of_every_length_encoding(n):
    """Name lengths whose LEB128 has bit 6 set (64..127: a signed decoding would read them as
    negative) and those that take a second or third byte; the name may end the section exactly."""
    img = parse(module(custom("c" * n), custom("d" * n, b"pq")))
    head = len(leb(n))                              # the name's length
    first = 8 + 1 + len(leb(head + n))              # after the header, the id byte and the section size
    second = first + head + n + 1 + len(leb(head + n + 2))
    assert img.warnings == []
    assert [(s.name, s.offset, s.size, s.payload) for s in img.wasm_sections] == [
        ("c" * n, first, head + n, first + head + n), ("d" * n, second, head + n + 2, second + head + n)]


def test_a_custom_name_length_of_six_bytes_is_refused():
    """A u32 LEB128 is at most 5 bytes, padding included (the spec's ceil(32/7)): a sixth is refused,
    though the value (0) would fit."""
    img = parse(module(section(0, b"\x80\x80\x80\x80\x80\x00" + b"x")))
    assert img.warnings == [ReadWarning("malformed", "sections", 10, "custom section name length longer than 5 bytes")]
    assert img.wasm_sections == () and img.sections_complete is False
    img = parse(module(section(0, b"\x81\x80\x80\x80\x00" + b"x")))   # 1, padded to five bytes
    assert img.warnings == [] and [(s.name, s.payload) for s in img.wasm_sections] == [("x", 16)]


def test_custom_sections_in_a_window_have_offsets_in_the_module():
    img = wasm.parse(ByteView(b"pad" + module(custom("go:buildid", b"xyz"), custom("n" * 64, b"q")), 3))
    assert img.warnings == []
    assert [(s.name, s.offset, s.size, s.payload) for s in img.wasm_sections] == [
        ("go:buildid", 10, 14, 21), ("n" * 64, 26, 66, 91)]


def test_a_name_that_is_not_utf8_keeps_its_bytes():
    img = parse(module(section(0, name(b"\xffgo"))))
    assert img.wasm_sections[0].name == "\udcffgo"


# -- vectors: each entry's least size -------------------------------------------------------------------
def test_smallest_entries_fit_exactly():
    img = parse(module(
        section(2, vec([b"\x00\x00\x00\x00"])),                    # "" "" func type 0: 4 bytes
        section(5, vec([b"\x00\x01"])),                            # limits: flags 0, min 1: 2 bytes
        section(7, vec([b"\x00\x00\x00"])),                        # "" func 0: 3 bytes
        section(11, vec([b"\x01\x00"])),                           # passive, empty: 2 bytes
        custom("producers", vec([name("") + vec([b"\x00\x00"])])),  # field "", one ("", ""): 2 + 2 bytes
    ))
    assert [(i.module, i.name, i.kind) for i in img.imports] == [("", "", 0)]
    assert [(e.name, e.kind, e.index) for e in img.exports] == [("", 0, 0)]
    assert img.producers == {"": (("", ""),)}
    assert [(d.index, d.active, d.memory, d.addr, d.size) for d in img.data_segments] == [(0, False, 0, None, 0)]
    assert img.facts()["bits"] == 32 and img.warnings == []


def test_empty_producers_field_fits_in_two_bytes():
    img = parse(module(custom("producers", vec([b"\x00\x00"]))))
    assert img.producers == {"": ()}


def payload_start(b: bytes, sid: int) -> int:
    """Where section ``sid``'s contents start in ``b`` (the test's own module)."""
    return parse(b).section(sid).offset if sid else parse(b).custom_section("producers").payload


VECTOR_ERRORS = [
    # (module, section id, accessor, message); the offset is that of the count, the payload's start
    (module(section(2, leb(2) + b"\x00" * 7)), 2, "imports", "import vector: 2 entries cannot fit in the 7 bytes left"),
    (module(section(7, leb(2) + b"\x00" * 5)), 7, "exports", "export vector: 2 entries cannot fit in the 5 bytes left"),
    (module(section(11, leb(2) + b"\x01\x00\x01")), 11, "data_segments", "data segments: 2 entries cannot fit in the 3 bytes left"),
    (module(custom("producers", leb(2) + b"\x00\x00\x00")), 0, "producers",
     "producers fields: 2 entries cannot fit in the 3 bytes left"),
    (module(section(2, leb(1 << 32) + b"\x00" * 4)), 2, "imports", "import vector 4294967296 does not fit in u32"),
    (module(section(7, b"\x80\x80\x80\x80\x80\x00")), 7, "exports", "export vector longer than 5 bytes"),
]


@pytest.mark.parametrize("b,sid,accessor,message", VECTOR_ERRORS)
def test_vector_counts_are_checked(b, sid, accessor, message):
    assert raised(lambda: getattr(parse(b), accessor)) == (Malformed, payload_start(b, sid), message)


def test_producers_values_count_checked():
    b = module(custom("producers", vec([name("sdk") + leb(3) + b"\x00" * 5])))
    # count at payload + 1 (field count) + 4 (the name "sdk" with its length)
    assert raised(lambda: parse(b).producers) == (Malformed, payload_start(b, 0) + 5,
                                                  "producers values: 3 entries cannot fit in the 5 bytes left")


def test_memory_vector_count_checked_in_facts():
    b = module(section(5, leb(2) + b"\x00\x01\x00"))
    img = parse(b)
    assert img.facts()["bits"] is None
    assert img.warnings == [ReadWarning("malformed", "memory section", 10,
                                        "memory vector: 2 entries cannot fit in the 3 bytes left")]


def test_repeated_producers_fields_are_merged_in_order():
    img = parse(module(custom("producers", vec([
        name("language") + vec([name("C") + name("")]),
        name("sdk") + vec([name("wasi-sdk") + name("21")]),
        name("language") + vec([name("Rust") + name("1.80"), name("Go") + name("go1.22")]),
    ]))))
    assert img.producers == {"language": (("C", ""), ("Rust", "1.80"), ("Go", "go1.22")), "sdk": (("wasi-sdk", "21"),)}


# -- names --------------------------------------------------------------------------------------------
def test_name_errors():
    b = module(section(2, vec([leb(65537) + b"x"])))
    assert raised(lambda: parse(b).imports) == (Malformed, 11, "import module name of 65537 bytes")
    b = module(section(2, vec([name("m") + leb(5) + b"ab"])))
    # count at 10, module name at 11..12, name length at 13, its bytes at 14
    assert raised(lambda: parse(b).imports) == (Truncated, 14, "import name needs 5 bytes, 2 available")
    b = module(section(7, vec([leb(1 << 32)])))
    assert raised(lambda: parse(b).exports) == (Malformed, 11, "export name length 4294967296 does not fit in u32")
    b = module(section(2, vec([name("m" * 65536) + name("n") + b"\x00\x00"])))
    assert [i.module for i in parse(b).imports] == ["m" * 65536]


# -- import descriptors: reference types and limits -----------------------------------------------------
def test_import_descriptors_are_skipped_exactly():
    """Each import's descriptor is read to its end: the import after it is intact."""
    imports = [
        name("a") + name("g1") + b"\x03\x63" + sleb(-16) + b"\x00",        # (ref null func), immutable
        name("a") + name("g2") + b"\x03\x64" + sleb(300) + b"\x01",        # (ref 300): a two-byte heap type
        name("a") + name("g3") + b"\x03\x7f\x01",                           # i32, mutable
        name("a") + name("t1") + b"\x01\x63" + sleb(-17) + b"\x01" + leb(1) + leb(300),  # limits with a maximum
        name("a") + name("m1") + b"\x02\x04" + leb(1 << 40),                # memory64: a 64-bit minimum
        name("a") + name("m2") + b"\x02\x05" + leb(1) + leb(1 << 40),       # memory64 with a 64-bit maximum
        name("a") + name("m3") + b"\x02\x08" + leb(1) + leb(16),            # custom page size (log2)
        name("a") + name("m4") + b"\x02\x0f" + leb(1) + leb(2) + leb(0),    # every flag
        name("a") + name("x1") + b"\x04\x00" + leb(300),                    # tag: attribute, type index
        name("a") + name("f1") + b"\x00" + leb(300),                        # func: type index
        name("b") + name("last") + b"\x00\x00",
    ]
    img = parse(module(section(2, vec(imports))))
    assert [(i.module, i.name, i.kind) for i in img.imports] == [
        ("a", "g1", 3), ("a", "g2", 3), ("a", "g3", 3), ("a", "t1", 1), ("a", "m1", 2), ("a", "m2", 2),
        ("a", "m3", 2), ("a", "m4", 2), ("a", "x1", 4), ("a", "f1", 0), ("b", "last", 0)]
    assert img.needed == ("a", "b")
    assert img.facts()["bits"] == 64            # the first imported memory decides


def import_section(*descs: bytes) -> bytes:
    return module(section(2, vec([name("e") + name("n") + d for d in descs])))


# count at 10, "e" 11..12, "n" 13..14, the kind at 15, the descriptor from 16
IMPORT_ERRORS = [
    (import_section(b"\x02\x10\x01"), (Malformed, 16, "limits flags 0x10")),
    (import_section(b"\x05"), (Malformed, 15, "import kind 0x5")),
    (import_section(b"\x02\x00" + leb(1 << 32)), (Malformed, 17, "limits minimum 4294967296 does not fit in u32")),
    (import_section(b"\x02\x01\x00" + leb(1 << 32)), (Malformed, 18, "limits maximum 4294967296 does not fit in u32")),
    (import_section(b"\x02\x04" + leb(1 << 64)), (Malformed, 17, "limits minimum 18446744073709551616 does not fit in u64")),
    (import_section(b"\x02\x04" + b"\x80" * 10 + b"\x00"), (Malformed, 17, "limits minimum longer than 10 bytes")),
    (import_section(b"\x02\x08\x00" + leb(1 << 32)), (Malformed, 18, "page size 4294967296 does not fit in u32")),
    (import_section(b"\x00" + leb(1 << 32)), (Malformed, 16, "type index 4294967296 does not fit in u32")),
    (import_section(b"\x04\x00" + leb(1 << 32)), (Malformed, 17, "type index 4294967296 does not fit in u32")),
    (import_section(b"\x03\x63\x80\x80\x80\x80\x80\x00\x00"), (Malformed, 17, "heap type longer than 5 bytes")),
]


@pytest.mark.parametrize("b,want", IMPORT_ERRORS)
def test_import_errors(b, want):
    kind, off, msg = want
    assert raised(lambda: parse(b).imports) == (kind, off, msg)


def test_import_error_offsets_in_a_window():
    b = b"\xee" * 5 + import_section(b"\x02\x10\x01")
    assert raised(lambda: wasm.parse(ByteView(b, 5)).imports) == (Malformed, 21, "limits flags 0x10")
    b = b"\xee" * 5 + module(section(2, leb(2) + b"\x00" * 7))
    assert raised(lambda: wasm.parse(ByteView(b, 5)).imports) == (
        Malformed, 15, "import vector: 2 entries cannot fit in the 7 bytes left")


def test_export_kinds_and_indexes():
    img = parse(module(section(7, vec([name("f") + b"\x00" + leb(300), name("t") + b"\x01" + leb(1),
                                        name("m") + b"\x02" + leb(0), name("g") + b"\x03" + leb(2),
                                        name("x") + b"\x04" + leb(7)]))))
    assert [(e.name, e.kind, e.index) for e in img.exports] == [("f", 0, 300), ("t", 1, 1), ("m", 2, 0), ("g", 3, 2), ("x", 4, 7)]
    b = module(section(7, vec([name("e") + b"\x05\x00"])))
    assert raised(lambda: parse(b).exports) == (Malformed, 13, "export kind 0x5")
    b = module(section(7, vec([name("e") + b"\x00" + leb(1 << 32)])))
    assert raised(lambda: parse(b).exports) == (Malformed, 14, "export index 4294967296 does not fit in u32")


# -- which memory decides the bits ----------------------------------------------------------------------
@pytest.mark.parametrize("sections,bits", [
    ((section(5, vec([])),), 32),                                            # no memory defined
    ((section(5, vec([b"\x05" + leb(1) + leb(2)])),), 64),                   # memory64 with a maximum
    ((section(5, vec([b"\x00" + leb(1), b"\x04" + leb(1)])),), 32),          # memory 0 decides, not memory 1
    ((section(2, vec([name("e") + name("m") + b"\x02\x00" + leb(1)])), section(5, vec([b"\x04" + leb(1)]))), 32),
    ((section(2, vec([name("e") + name("m") + b"\x02\x04" + leb(1), name("e") + name("n") + b"\x02\x00" + leb(1)])),), 64),
    ((section(2, vec([name("e") + name("f") + b"\x00\x00"])), section(5, vec([b"\x04" + leb(1)]))), 64),
])
def test_memory_zero_decides_the_bits(sections, bits):
    img = parse(module(*sections))
    assert img.facts()["bits"] == bits and img.warnings == []


def test_memory_limits_error_warns_on_memory_section():
    img = parse(module(section(5, vec([b"\x10" + leb(1)]))))
    assert img.facts()["bits"] is None
    assert img.warnings == [ReadWarning("malformed", "memory section", 11, "limits flags 0x10")]


# -- constant expressions (data segment offsets) ----------------------------------------------------------
def seg0(expr: bytes, payload: bytes = b"p") -> bytes:
    return b"\x00" + expr + b"\x0b" + name(payload)


def addrs(*segments: bytes) -> list:
    img = parse(module(section(11, vec(list(segments)))))
    return [s.addr for s in img.data_segments]


I32, I64 = b"\x41", b"\x42"


@pytest.mark.parametrize("expr,want", [
    (I32 + sleb(0x10) + I32 + sleb(0x20) + b"\x6b", 0xFFFFFFF0),              # i32.sub wraps
    (I32 + sleb(0x10001) + I32 + sleb(0x10000) + b"\x6c", 0x10000),          # i32.mul wraps
    (I32 + sleb(-1) + I32 + sleb(2) + b"\x6a", 1),                           # i32.add wraps
    (I32 + sleb(7) + I32 + sleb(5) + b"\x6b", 2),
    (I32 + sleb(7) + I32 + sleb(5) + b"\x6c", 35),
    (I64 + sleb(1 << 40) + I64 + sleb(5) + b"\x7c", (1 << 40) + 5),           # i64.add
    (I64 + sleb(0) + I64 + sleb(1) + b"\x7d", 0xFFFFFFFFFFFFFFFF),           # i64.sub wraps at 64 bits
    (I64 + sleb(7) + I64 + sleb(5) + b"\x7d", 2),
    (I64 + sleb((1 << 40) + 1) + I64 + sleb(1 << 30) + b"\x7e", 1 << 30),     # i64.mul wraps at 64 bits
    (I64 + sleb(1 << 33) + I64 + sleb(3) + b"\x7e", 3 << 33),
    (I64 + sleb(-2), 0xFFFFFFFFFFFFFFFE),
    (I64 + sleb(-1), 0xFFFFFFFFFFFFFFFF),                                     # an i64 is not cut to 32 bits
    (I64 + sleb(5), 5),
    (I32 + sleb(-2147483648), 0x80000000),
    (b"\x23" + leb(300) + I32 + sleb(4) + b"\x6a", None),                    # global.get + const: unknown
    (I32 + sleb(4) + b"\x23" + leb(0) + b"\x6a", None),
    (I32 + sleb(4) + b"\x23" + leb(0) + b"\x7e", None),
    (b"", None),                                                             # nothing on the stack
    (I32 + sleb(1) + I32 + sleb(2), None),                                   # two values left
    (b"\xd2" + leb(300), None),                                               # ref.func
    (b"\xd0" + sleb(-16), None),                                              # ref.null func
    (b"\xd0" + sleb(300), None),
    (b"\x43" + b"\x0b\x0b\x0b\x0b", None),                                    # f32.const: 4 bytes, not an end
    (b"\x44" + b"\x0b" * 8, None),                                            # f64.const: 8 bytes
])
def test_constant_expression_values(expr, want):
    # a second, ordinary segment after it shows the expression was read to its end
    b = module(section(11, vec([seg0(expr, b"abc"), seg0(I32 + sleb(9), b"z")])))
    img = parse(b)
    assert [(s.addr, s.size) for s in img.data_segments] == [(want, 3), (9, 1)]
    assert [b[s.offset:s.offset + s.size] for s in img.data_segments] == [b"abc", b"z"]


def data_module(*segments: bytes) -> bytes:
    return module(section(11, vec(list(segments))))


# the first segment's flags at 10 (count at 10: one byte), so the expression starts at 12
CONST_ERRORS = [
    (data_module(b"\x00\x6a\x0b\x00"), (Malformed, 12, "constant expression stack underflow")),
    (data_module(b"\x00" + I32 + b"\x01\x7c\x0b\x00"), (Malformed, 14, "constant expression stack underflow")),
    (data_module(b"\x00" + I32 + b"\x01\x6b\x0b\x00"), (Malformed, 14, "constant expression stack underflow")),
    (data_module(b"\x00\x05\x0b\x00"), (Malformed, 12, "opcode 0x05 in a constant expression")),
    (data_module(b"\x00\xfc\x0b\x00"), (Malformed, 12, "opcode 0xfc in a constant expression")),
    # a passive segment of one byte, then flags 0 as the section's last byte: an expression with no byte
    (section(11, leb(2) + b"\x01\x01x" + b"\x00"), (Truncated, 15, "constant expression has no end")),
    # the expression runs into the section's end inside an instruction's operands or at its opcode
    (section(11, leb(1) + b"\x00\x41\x00"), (Truncated, 14, "u8 needs 1 bytes, 0 available")),
    (section(11, leb(1) + b"\x00\x23\x00\x23\x00"), (Truncated, 16, "u8 needs 1 bytes, 0 available")),
    (section(11, leb(1) + b"\x00\x41"), (Truncated, 13, "u8 needs 1 bytes, 0 available")),
    (data_module(b"\x00" + I32 + b"\x80\x80\x80\x80\x80\x00\x0b\x00"), (Malformed, 13, "i32.const longer than 5 bytes")),
    (data_module(b"\x00" + I64 + b"\x80" * 10 + b"\x00\x0b\x00"), (Malformed, 13, "i64.const longer than 10 bytes")),
    (data_module(b"\x00\x23" + leb(1 << 32) + b"\x0b\x00"), (Malformed, 13, "global index 4294967296 does not fit in u32")),
    (data_module(b"\x00\xd2" + leb(1 << 32) + b"\x0b\x00"), (Malformed, 13, "function index 4294967296 does not fit in u32")),
    (data_module(b"\x00\xd0\x80\x80\x80\x80\x80\x00\x0b\x00"), (Malformed, 13, "heap type longer than 5 bytes")),
    (section(11, leb(1) + b"\x00\x44\x00\x00\x00"), (Truncated, 13, "float constant needs 8 bytes, 3 available")),
    (section(11, leb(1) + b"\x00\x43\x00\x00"), (Truncated, 13, "float constant needs 4 bytes, 2 available")),
]


@pytest.mark.parametrize("b,want", CONST_ERRORS)
def test_constant_expression_errors(b, want):
    if not b.startswith(HEADER):
        b = module(b)
    assert raised(lambda: parse(b).data_segments) == want


# -- data segments: every field, in the checked path and the usual shape --------------------------------
def test_data_segments_fields_and_file_offsets_in_a_window():
    segments = [
        b"\x00\x41" + sleb(0x1000) + b"\x0b" + name(b"one"),                     # the usual shape
        b"\x01" + name(b"passive"),
        b"\x02" + leb(1) + b"\x41" + sleb(0x2000) + b"\x0b" + name(b"mem1"),     # memory 1
        b"\x02" + leb(0) + b"\x41" + sleb(0x3000) + b"\x0b" + name(b"mem0"),
        b"\x00\x42" + sleb(-1) + b"\x0b" + name(b"i64"),                          # not the usual shape
        b"\x00\x41" + b"\xff\xff\xff\xff\x0f" + b"\x0b" + name(b"five"),           # a 5-byte i32.const, -1
    ]
    inner = module(section(11, vec(segments)))
    b = b"\x99" * 7 + inner
    img = wasm.parse(ByteView(b, 7))
    got = [(s.index, s.active, s.memory, s.addr, s.size, inner[s.offset:s.offset + s.size]) for s in img.data_segments]
    assert got == [(0, True, 0, 0x1000, 3, b"one"), (1, False, 0, None, 7, b"passive"),
                   (2, True, 1, 0x2000, 4, b"mem1"), (3, True, 0, 0x3000, 4, b"mem0"),
                   (4, True, 0, 0xFFFFFFFFFFFFFFFF, 3, b"i64"), (5, True, 0, 0xFFFFFFFF, 4, b"five")]
    assert [bytes(img.segment_view(s).buf[img.segment_view(s).base:img.segment_view(s).base + s.size])
            for s in img.data_segments][:2] == [b"one", b"passive"]
    assert img.segment_view(img.data_segments[2]).bytes(0, 4) == b"mem1"
    assert img.data_section_view().bytes(0, 1) == b"\x06"          # the count: the section's first byte
    assert img.data_section_view().size == len(vec(segments))
    # memory 1 is not memory 0: its address reads nothing; memory 0 at 0x3000 does
    assert img.read_vaddr(0x2000, 4) is None
    assert img.read_vaddr(0x3000, 4) == b"mem0"
    assert img.read_vaddr(0x1001, 10) == b"ne"


def test_no_data_section():
    img = parse(module())
    assert img.data_segments == () and img.data_section_view() is None and img.read_vaddr(0, 1) is None


DATA_ERRORS = [
    (data_module(b"\x03\x00"), (Malformed, 11, "data segment flags 3")),
    (data_module(leb(1 << 32)), (Malformed, 11, "data segment flags 4294967296 does not fit in u32")),
    (data_module(b"\x02" + leb(1 << 32) + b"\x41\x00\x0b\x00"), (Malformed, 12, "memory index 4294967296 does not fit in u32")),
    (data_module(b"\x00\x41\x00\x0b" + leb(1 << 32)), (Malformed, 15, "data segment size 4294967296 does not fit in u32")),
    (data_module(b"\x00\x41\x00\x0b\x80\x80\x80\x80\x80\x00"), (Malformed, 15, "data segment size longer than 5 bytes")),
    (data_module(b"\x00\x41\x00\x0b\x10ab"), (Truncated, 16, "data segment needs 16 bytes, 2 available")),
    (data_module(b"\x01\x10ab"), (Truncated, 13, "data segment needs 16 bytes, 2 available")),
]


@pytest.mark.parametrize("b,want", DATA_ERRORS)
def test_data_segment_errors(b, want):
    assert raised(lambda: parse(b).data_segments) == want


def test_usual_segment_at_the_section_end():
    b = data_module(b"\x00\x41\x05\x0b\x02ab")
    assert [(s.addr, s.offset, s.size) for s in parse(b).data_segments] == [(5, len(b) - 2, 2)]
    # the usual shape cut short: the checked path reports it
    b = module(section(11, leb(1) + b"\x00\x41"))
    assert raised(lambda: parse(b).data_segments) == (Truncated, 13, "u8 needs 1 bytes, 0 available")
    b = module(section(11, leb(1) + b"\x00\x41\x05\x0b"))
    assert raised(lambda: parse(b).data_segments) == (Truncated, 15, "u8 needs 1 bytes, 0 available")


# -- linear memory --------------------------------------------------------------------------------------
def test_regression_an_empty_later_segment_does_not_cut_a_read():
    """An empty segment inside an earlier one writes no byte at instantiation: the read goes on
    (it used to stop at the empty segment's address, as if that segment overwrote what follows)."""
    img = parse(data_module(seg0(I32 + sleb(0x100), b"abcd"), seg0(I32 + sleb(0x102), b"")))
    assert img.read_vaddr(0x100, 4) == b"abcd"
    assert img.read_vaddr(0x102, 2) == b"cd"


def test_read_vaddr_edges():
    img = parse(data_module(seg0(I32 + sleb(0x100), b"abcd"), seg0(I32 + sleb(0x102), b""),
                            seg0(I32 + sleb(0x200), b"wxyz"), seg0(I32 + sleb(0x202), b"YZ")))
    assert img.read_vaddr(0x103, 4) == b"d"
    assert img.read_vaddr(0x104, 1) is None          # one past the end
    assert img.read_vaddr(0xFF, 1) is None
    assert img.read_vaddr(0x100, -3) == b""
    assert img.read_vaddr(0x100, 0) == b""
    assert img.read_vaddr(0x200, 4) == b"wx"         # stops where the later segment starts
    assert img.read_vaddr(0x201, 1) == b"x"
    assert img.read_vaddr(0x202, 4) == b"YZ"


def test_read_vaddr_unknown_addresses_are_skipped():
    img = parse(data_module(seg0(I32 + sleb(0x100), b"abcd"), seg0(b"\x23\x00", b"GG")))
    assert img.read_vaddr(0x100, 4) == b"abcd"


# -- facts ---------------------------------------------------------------------------------------------
def test_go_buildid_error_message_and_offset():
    b = module(custom("go:buildid", b'xx\xff Go build ID: "abc'))
    img = parse(b)
    payload = img.custom_section("go:buildid").payload
    assert raised(lambda: img.go_build_id) == (Malformed, payload + 2, "go:buildid section: Go build ID not terminated")
    assert img.facts()["go_build_id"] is None
    assert img.warnings == [ReadWarning("malformed", "go:buildid section", payload + 2,
                                        "go:buildid section: Go build ID not terminated")]


def test_module_type_details():
    start_mem = module(section(7, vec([name("_start") + b"\x02" + leb(0)])))
    assert parse(start_mem).module_type == "shared-library"         # only a function export is an entry
    run_table = module(section(7, vec([name("run") + b"\x01" + leb(0)])))
    assert parse(run_table).module_type == "shared-library"
    both = module(section(8, leb(0)), custom("linking", b"\x02"))
    assert parse(both).module_type == "object"                      # linking wins over a start section
    later = module(section(7, vec([name("x") + b"\x00" + leb(0), name("run") + b"\x00" + leb(1)])))
    assert parse(later).module_type == "executable"


def test_debug_info_and_stripped():
    assert parse(module(custom(".debug_info"))).facts()["debug_info"] is True
    assert parse(module(custom(".debug_line"), custom("name"))).facts()["debug_info"] is False
    assert parse(module(custom("debug_info"))).facts()["debug_info"] is False
    assert parse(module(custom("x"), custom("name"))).facts()["stripped"] is False
    assert parse(module(custom("names"))).facts()["stripped"] is True


def test_facts_of_a_damaged_section_table():
    img = parse(module(custom("name"), custom(".debug_info"), b"\x01\x10"))
    facts = img.facts()
    assert (facts["type"], facts["stripped"], facts["debug_info"], facts["bits"]) == (None, None, None, 32)


def test_facts_warn_on_the_section_they_need():
    img = parse(module(section(7, vec([name("e") + b"\x09\x00"]))))
    assert img.facts()["type"] is None
    assert img.warnings == [ReadWarning("malformed", "export section", 13, "export kind 0x9")]
    img = parse(module(section(2, vec([name("e") + name("n") + b"\x09"]))))
    facts = img.facts()
    assert facts["needed"] == () and facts["bits"] is None
    assert img.warnings == [ReadWarning("malformed", "memory section", 15, "import kind 0x9"),
                            ReadWarning("malformed", "import section", 15, "import kind 0x9")]


# -- the usual-shape fast path takes only what it can decode alike ----------------------------------------
def test_fast_path_takes_only_the_usual_shape():
    """Segments the one-step decoder (_common_segment) must leave to the checked path, each decoded as
    the spec says: a passive segment of 65 bytes (its size byte is i32.const's opcode), a flags-2
    segment for memory 0x41, offsets from global.get (no constant address) after a segment ending in
    0x41, a global.get 0x41, and a usual segment of 64 bytes (its size, unsigned, has bit 6 set)."""
    segments = [
        b"\x00\x41" + sleb(0x100) + b"\x0b" + name(b"A"),                   # ends with the byte 0x41
        b"\x00\x23\x00\x0b" + name(b"g0"),                                  # global.get 0
        b"\x01" + name(b"\x05\x0b\x02" + b"p" * 62),                       # passive, 65 = 0x41 bytes that
                                                                            # read on as i32.const 5; end; 2
        b"\x02" + leb(0x41) + b"\x41" + sleb(0x200) + b"\x0b" + name(b"m"),  # memory 0x41
        b"\x00\x23\x41\x0b" + name(b"g41"),                                 # global.get 0x41
        b"\x00\x41" + sleb(0x300) + b"\x0b" + name(b"x" * 64),             # the usual shape, 64 bytes
    ]
    inner = module(section(11, vec(segments)))
    img = parse(inner)
    got = [(s.index, s.active, s.memory, s.addr, s.size, inner[s.offset:s.offset + s.size][:3])
           for s in img.data_segments]
    assert got == [(0, True, 0, 0x100, 1, b"A"), (1, True, 0, None, 2, b"g0"), (2, False, 0, None, 65, b"\x05\x0b\x02"),
                   (3, True, 0x41, 0x200, 1, b"m"), (4, True, 0, None, 3, b"g41"), (5, True, 0, 0x300, 64, b"xxx")]


def test_a_constant_expression_with_another_opcode_after_the_constant_is_refused():
    """i32.const 5, then 0x0c (br): not a constant expression; the fast path must not take it for end."""
    b = module(section(11, vec([b"\x00\x41\x05\x0c" + name(b"zz")])))
    t, _off, msg = raised(lambda: parse(b).data_segments)
    assert (t, msg) == (Malformed, "opcode 0x0c in a constant expression")


# -- where the bytes go (size_regions) ---------------------------------------------------------------
def test_size_regions_give_each_section_its_category():
    """The 8-byte header is headers, and so is each section's id byte and size; each section's contents
    one region of section priority, a standard section by its id, a custom one by its name (a custom
    section named "code" or "import" is other): code and data their own, the name section symtab, DWARF custom sections
    (.debug_*, external_debug_info) dwarf, the sections of how the module links (type, import,
    function, table, memory, tag, global, export, start, element, datacount) dynamic, other custom
    sections other. Contents offsets are counted here from the bytes written."""
    from linkscope.formats.base import P_HEADER, P_SECTION
    pieces = [
        (section(1, b"\x00"), "dynamic"), (section(2, b"\x00"), "dynamic"), (section(3, b"\x00"), "dynamic"),
        (section(4, b"\x00"), "dynamic"), (section(5, b"\x00"), "dynamic"), (section(13, b"\x00"), "dynamic"),
        (section(6, b"\x00"), "dynamic"), (section(7, b"\x00"), "dynamic"), (section(8, b"\x00"), "dynamic"),
        (section(9, b"\x00"), "dynamic"), (section(12, b"\x00"), "dynamic"),
        (section(10, b"\x00" * 130), "code"),                              # a two-byte size
        (section(11, b"\x00\x00"), "data"),
        (custom("name", b"\x01"), "symtab"), (custom(".debug_info", b"ab"), "dwarf"),
        (custom(".debug_line"), "dwarf"), (custom("external_debug_info", b"u"), "dwarf"),
        (custom("producers", b"\x00"), "other"), (custom("go:buildid", b"x"), "other"),
        (custom(".debug"), "other"), (custom("names"), "other"),
        (custom("code", b"\x00"), "other"), (custom("import"), "other"), (custom("data", b"zz"), "other"),
    ]
    want, pos = [(0, 8, P_HEADER, "headers")], 8
    for raw, cat in pieces:
        head = 1 + (2 if len(raw) > 130 else 1)        # the id byte, then the size: two LEB128 bytes only for code (130)
        want.append((pos, pos + head, P_HEADER, "headers"))
        want.append((pos + head, pos + len(raw), P_SECTION, cat))
        pos += len(raw)
    img = parse(module(*(raw for raw, _ in pieces)))
    assert img.size_regions() == want
    assert img.size_regions("any functab") == want                       # wasm has no Go table region
    assert (P_HEADER, P_SECTION) == (0, 2)


def test_size_regions_of_a_module_without_sections():
    assert parse(HEADER).size_regions() == [(0, 8, 0, "headers")]


def test_read_vaddr_is_not_cut_by_an_earlier_segment():
    """Only a later segment overwrites the one read: an earlier segment starting inside the range
    (written first, then overwritten) does not end the read."""
    segs = [b"\x00\x41" + sleb(0x110) + b"\x0b" + name(b"E" * 16),      # earlier, inside the later one
            b"\x00\x41" + sleb(0x100) + b"\x0b" + name(b"L" * 64)]      # later, covers 0x100..0x140
    img = parse(module(section(11, vec(segs))))
    assert img.read_vaddr(0x100, 32) == b"L" * 32
    assert img.read_vaddr(0x110, 8) == b"L" * 8


def test_the_common_segment_shape_refuses_a_size_over_u32():
    """The fast path for ``i32.const N; end`` takes a segment size only when it fits in a u32, like
    the checked path; the end of the buffer given here is far off (as in a file over 4 GiB), so only
    the u32 rule can refuse it."""
    head = b"\x00\x41" + sleb(1024) + b"\x0b"
    far = 1 << 40
    assert wasm._common_segment(head + leb((1 << 32) - 1), 0, far) == (1024, len(head) + 5, (1 << 32) - 1)
    assert wasm._common_segment(head + leb(1 << 32), 0, far) is None
    assert wasm._common_segment(head + leb((1 << 33) + 5), 0, far) is None
    assert wasm._common_segment(head + leb(3) + b"abc", 0, len(head) + 1 + 2) is None   # one byte short
    assert wasm._common_segment(head + leb(3) + b"abc", 0, len(head) + 1 + 3) == (1024, len(head) + 1, 3)
