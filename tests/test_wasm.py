"""WebAssembly modules: the section walk, the facts, and Go's build info in js/wasm and wasip1/wasm.

Go modules are built for real (GOOS=js and GOOS=wasip1, GOARCH=wasm) by the ``gob`` fixture
(conftest.py, buildkit.go_module_program); `go version -m` cannot read wasm, so their build info is compared with what it
prints for the same program built for linux/amd64 with CGO_ENABLED=0, the target-specific build
lines being the only tolerated difference (``native_equivalent``). Small modules with every
feature the parser handles are encoded by hand below (``module``, ``section``, ...).
"""
from __future__ import annotations

import random
import reference
from crafted import leb, sleb
from crafted import wasm_custom as custom, wasm_module as module, wasm_name as name, wasm_section as section, wasm_vec as vec
from mutate import mutate

import pytest
from hypothesis import given, settings, strategies as st

import linkscope
from linkscope.go import buildinfo
from linkscope.byteview import ByteView
from linkscope.errors import LinkscopeError, Malformed, Truncated, UnsupportedFormat
from linkscope.formats import wasm
from linkscope.go.buildinfo import MODINFO_END, MODINFO_START, read_buildinfo
from linkscope.go.modinfo import format_go_version_m
from linkscope.model import GoInfo, Module


def producers(fields: dict[str, list[tuple[str, str]]]) -> bytes:
    return custom("producers", vec([name(f) + vec([name(n) + name(v) for n, v in vals]) for f, vals in fields.items()]))


def data(*segments: bytes) -> bytes:
    return section(11, vec(list(segments)))


def active(addr: int, payload: bytes) -> bytes:
    return b"\x00\x41" + sleb(addr) + b"\x0b" + leb(len(payload)) + payload


def parse(b: bytes) -> wasm.WasmImage:
    return wasm.parse(ByteView(b))


FUNC_TYPE = section(1, vec([b"\x60\x00\x00"]))
IMPORTS = section(2, vec([
    name("env") + name("f") + b"\x00" + leb(0),
    name("wasi_snapshot_preview1") + name("fd_write") + b"\x00" + leb(0),
    name("env") + name("mem") + b"\x02\x01" + leb(1) + leb(2),
    name("env") + name("tbl") + b"\x01\x70\x00" + leb(1),
    name("gc") + name("g") + b"\x03\x64\x6f\x00",  # (ref extern), immutable
    name("env") + name("tag") + b"\x04\x00" + leb(0),
]))
FUNCS = section(3, vec([leb(0)]))
CODE = section(10, vec([name(b"\x00\x0b")]))
EVERYTHING = module(
    FUNC_TYPE, IMPORTS, FUNCS,
    section(7, vec([name("_start") + b"\x00" + leb(3), name("memory") + b"\x02" + leb(0)])),
    CODE,
    data(active(0x1000, b"hello"), b"\x01" + name(b"passive"), b"\x02" + leb(0) + b"\x41" + sleb(0x2000) + b"\x0b" + name(b"world"),
         active(0x1002, b"LL")),
    producers({"language": [("C99", "")], "processed-by": [("clang", "17.0.0")], "sdk": [("wasi-sdk", "21.0")]}),
    custom("name", b"\x00\x01x"), custom(".debug_info", b"\x00"),
)


# -- hand-made modules -----------------------------------------------------------------------------
def test_everything_whole_record():
    img = parse(EVERYTHING)
    assert img.facts() == dict(
        format="wasm", arch="wasm", bits=32, endian="little", os=None, type="executable", linkage=None,
        interpreter=None, needed=("env", "wasi_snapshot_preview1", "gc"), rpath=(), runpath=(), soname=None,
        stripped=False, debug_info=True, gnu_build_id=None, go_build_id=None)
    assert [(s.name, s.kind) for s in img.sections()] == [
        ("type", "type"), ("import", "import"), ("function", "function"), ("export", "export"), ("code", "code"),
        ("data", "data"), ("producers", "custom"), ("name", "custom"), (".debug_info", "custom")]
    assert img.producers == {"language": (("C99", ""),), "processed-by": (("clang", "17.0.0"),),
                             "sdk": (("wasi-sdk", "21.0"),)}
    assert [(i.module, i.name, i.kind) for i in img.imports] == [
        ("env", "f", 0), ("wasi_snapshot_preview1", "fd_write", 0), ("env", "mem", 2), ("env", "tbl", 1),
        ("gc", "g", 3), ("env", "tag", 4)]
    assert [(s.active, s.memory, s.addr, s.size) for s in img.data_segments] == [
        (True, 0, 0x1000, 5), (False, 0, None, 7), (True, 0, 0x2000, 5), (True, 0, 0x1002, 2)]
    assert read_buildinfo(img) is None


def test_sections_tile_the_file():
    img = parse(EVERYTHING)
    pos = 8
    for s in img.sections():
        header = 1 + len(leb(s.size))
        assert s.offset == pos + header
        pos = s.offset + s.size
    assert pos == len(EVERYTHING)


def test_read_vaddr_follows_the_active_segments():
    img = parse(EVERYTHING)
    # memory holds "heLLo": the later segment overwrites the earlier one where they overlap
    assert img.read_vaddr(0x1000, 5) == b"he"        # stops where a later segment takes over
    assert img.read_vaddr(0x1002, 10) == b"LL"
    assert img.read_vaddr(0x1004, 10) == b"o"        # stops at the end of its segment
    assert img.read_vaddr(0x2001, 3) == b"orl"       # flags 2: explicit memory index 0
    assert img.read_vaddr(0x1005, 1) is None         # a gap: not file-backed
    assert img.go_data_start() is None


MODULE_TYPES = {
    "empty": (module(), "shared-library"),
    "start_section": (module(FUNC_TYPE, FUNCS, section(8, leb(0)), CODE), "executable"),
    "wasi_command": (module(FUNC_TYPE, FUNCS, section(7, vec([name("_start") + b"\x00" + leb(0)])), CODE), "executable"),
    "go_js_run": (module(FUNC_TYPE, FUNCS, section(7, vec([name("run") + b"\x00" + leb(0)])), CODE), "executable"),
    "wasi_reactor": (module(FUNC_TYPE, FUNCS, section(7, vec([name("_initialize") + b"\x00" + leb(0)])), CODE), "shared-library"),
    "global_named_start": (module(section(6, vec([b"\x7f\x00\x41\x00\x0b"])), section(7, vec([name("_start") + b"\x03" + leb(0)]))), "shared-library"),
    "relocatable_object": (module(FUNC_TYPE, FUNCS, CODE, custom("linking", b"\x02")), "object"),
}


@pytest.mark.parametrize("case", MODULE_TYPES)
def test_module_type_rule(case):
    b, want = MODULE_TYPES[case]
    assert parse(b).facts()["type"] == want


def test_minimal_module_facts():
    assert parse(module()).facts() == dict(
        format="wasm", arch="wasm", bits=32, endian="little", os=None, type="shared-library", linkage=None,
        interpreter=None, needed=(), rpath=(), runpath=(), soname=None, stripped=True, debug_info=False,
        gnu_build_id=None, go_build_id=None)


def test_memory64_is_64_bits():
    assert parse(module(section(5, vec([b"\x04" + leb(1)])))).facts()["bits"] == 64
    assert parse(module(section(2, vec([name("e") + name("m") + b"\x02\x05" + leb(1) + leb(2)])))).facts()["bits"] == 64
    assert parse(module(section(5, vec([b"\x00" + leb(1)])))).facts()["bits"] == 32


def test_constant_expressions_of_segment_offsets():
    img = parse(module(data(
        b"\x00\x41" + sleb(-1) + b"\x0b" + name(b"a"),                              # wraps to u32
        b"\x00\x41" + sleb(0x100) + b"\x41" + sleb(0x20) + b"\x6a\x0b" + name(b"b"),  # extended const add
        b"\x00\x23" + leb(0) + b"\x0b" + name(b"c"),                                # global.get: unknown
        b"\x00\x42" + sleb(1 << 40) + b"\x0b" + name(b"d"))))                       # memory64
    assert [s.addr for s in img.data_segments] == [0xFFFFFFFF, 0x120, None, 1 << 40]


def test_go_buildid_section():
    quoted = b'\xff Go build ID: "abc/def"\n \xff'
    assert parse(module(custom("go:buildid", quoted))).go_build_id == "abc/def"
    assert parse(module(custom("go:buildid", b"junk"))).go_build_id is None
    img = parse(module(custom("go:buildid", b'\xff Go build ID: "abc')))
    with pytest.raises(Malformed):
        img.go_build_id
    # facts() keeps the rest of the module and says which section could not be read
    assert img.facts()["go_build_id"] is None and img.facts()["format"] == "wasm"
    assert [(w.table, w.kind) for w in img.warnings] == [("go:buildid section", "malformed")]


# -- Go's layout, by hand ------------------------------------------------------------------------
GO_PRODUCERS = producers({"language": [("Go", "go1.27.3")], "processed-by": [("Go cmd/compile", "go1.27.3")]})
MODTEXT = b"path\tp\nmod\tp\t(devel)\t\nbuild\tGOOS=js\n"


def test_go_module_synthetic():
    b = module(data(active(0x10000, b"xx" + MODINFO_START + MODTEXT + MODINFO_END + b"yy")), GO_PRODUCERS)
    assert read_buildinfo(parse(b)) == GoInfo("go1.27.3", "p", Module("p", "(devel)"), settings=(("GOOS", "js"),))


def test_go_module_without_module_info_has_only_its_version():
    assert read_buildinfo(parse(module(data(active(0, b"x")), GO_PRODUCERS))) == GoInfo("go1.27.3")
    assert read_buildinfo(parse(module(GO_PRODUCERS))) == GoInfo("go1.27.3")


def test_module_info_without_go_producer_is_not_go():
    b = module(data(active(0, MODINFO_START + MODTEXT + MODINFO_END)),
               producers({"language": [("Rust", "1.80")]}))
    assert read_buildinfo(parse(b)) is None


def test_go_module_info_damaged():
    with pytest.raises(Malformed):  # start sentinel, no end sentinel
        read_buildinfo(parse(module(data(active(0, MODINFO_START + MODTEXT)), GO_PRODUCERS)))
    with pytest.raises(Malformed):  # framed, but not parseable
        read_buildinfo(parse(module(data(active(0, MODINFO_START + b"mod\tx\n" + MODINFO_END)), GO_PRODUCERS)))
    # framed text that does not end in a newline is not module info (Go's sentinel test)
    assert read_buildinfo(parse(module(data(active(0, MODINFO_START + b"path\tp" + MODINFO_END)), GO_PRODUCERS))) \
        == GoInfo("go1.27.3")


# The header decides the format, so damage there is an error; damage in the section walk keeps the
# sections before it, with a warning on "sections" of the error's kind (one bad section costs its fields, not the record).
BAD_MODULES = {
    "short_header": (b"\0asm\x01\0", Truncated),
    "version_2": (b"\0asm\x02\0\0\0", Malformed),
    "component": (b"\0asm\x0d\0\x01\0", UnsupportedFormat),
    "section_past_end": (module(b"\x01\x10\x00"), Truncated),
    "size_leb_too_long": (module(b"\x01\x80\x80\x80\x80\x80\x00"), Malformed),
    "size_leb_over_u32": (module(b"\x01\xff\xff\xff\xff\x7f"), Malformed),
    "size_leb_cut": (module(b"\x01\x80"), Truncated),
    "unknown_section": (module(section(14, b"")), Malformed),
    "duplicate_section": (module(FUNC_TYPE, FUNC_TYPE), Malformed),
    "out_of_order": (module(FUNCS, FUNC_TYPE), Malformed),
    "custom_name_past_section": (module(section(0, b"\x05ab")), Truncated),
}


@pytest.mark.parametrize("case", BAD_MODULES)
def test_bad_modules_raise_their_error_type(case):
    b, err = BAD_MODULES[case]
    if case in ("short_header", "version_2", "component"):
        with pytest.raises(err):
            parse(b)
        return
    img = parse(b)
    assert [(w.table, w.kind) for w in img.warnings] == [("sections", err.kind)]
    facts = img.facts()
    assert facts["format"] == "wasm" and facts["stripped"] is None and facts["type"] is None


def test_sections_before_a_damaged_one_are_kept():
    img = parse(module(FUNC_TYPE, section(14, b"")))
    assert [s.name for s in img.wasm_sections] == ["type"]
    assert img.warnings[0].message.startswith("unknown section id 14")


BAD_PAYLOADS = {
    "import_count_too_big": module(section(2, leb(1000) + b"\x00")),
    "import_kind_9": module(section(2, vec([name("m") + name("n") + b"\x09\x00"]))),
    "export_kind_9": module(section(7, vec([name("e") + b"\x09\x00"]))),
    "producers_cut": module(custom("producers", leb(1) + name("language") + leb(5))),
    "data_flags_7": module(data(b"\x07\x00")),
    "data_segment_past_section": module(data(b"\x00\x41\x00\x0b\x10ab")),
    "data_bad_const_opcode": module(data(b"\x00\x99\x0b\x00")),
    "data_const_no_end": module(section(11, leb(1) + b"\x00\x41\x00")),
    "name_over_limit": module(section(2, leb(1) + leb(1 << 20) + b"x")),
}


@pytest.mark.parametrize("case", BAD_PAYLOADS)
def test_bad_payloads_raise_malformed_when_read(case):
    """The accessors raise; facts() keeps the rest and warns about the section it needed."""
    img = parse(BAD_PAYLOADS[case])
    with pytest.raises(Malformed):
        img.imports  # noqa: B018
        img.exports  # noqa: B018
        img.producers  # noqa: B018
        img.data_segments  # noqa: B018
    facts = img.facts()
    assert facts["format"] == "wasm"
    assert [w.table for w in img.warnings] == PAYLOAD_WARNINGS.get(case, [])


# The reads facts() makes (memories, imported ones included, for the bits; imports for `needed`;
# exports for the type); the other payloads only their accessors read.
_IMPORTS = ["memory section", "import section"]
PAYLOAD_WARNINGS = {"import_count_too_big": _IMPORTS, "import_kind_9": _IMPORTS,
                    "export_kind_9": ["export section"], "name_over_limit": _IMPORTS}


# -- real Go modules ---------------------------------------------------------------------------------
WASM_BUILDS = {
    "hello-js": (("hello",), "js"),
    "hello-wasip1": (("hello",), "wasip1"),
    "deps-js": (("app",), "js"),
    "deps-wasip1": (("app",), "wasip1"),
    "deps-wasip1-s-w": (("app", "-ldflags=-s -w"), "wasip1"),
}


def native_equivalent(text: str, goos: str) -> str:
    """`go version -m` output of a linux/amd64 CGO_ENABLED=0 build, with the lines that name the
    target rewritten for wasm: the only tolerated differences between the two builds."""
    out = []
    for line in text.splitlines(keepends=True)[1:]:
        if line.startswith("\tbuild\tGOAMD64="):
            continue
        line = {"\tbuild\tGOARCH=amd64\n": "\tbuild\tGOARCH=wasm\n",
                "\tbuild\tGOOS=linux\n": f"\tbuild\tGOOS={goos}\n"}.get(line, line)
        out.append(line)
    return "".join(out)


def go_wasm(gob, case):
    args, goos = WASM_BUILDS[case]
    return gob.build(*args, GOOS=goos, GOARCH="wasm")


@pytest.mark.parametrize("case", WASM_BUILDS)
def test_go_wasm_build_info_matches_native_go_version_m(gob, case):
    args, goos = WASM_BUILDS[case]
    path = go_wasm(gob, case)
    native = gob.build(*args, CGO_ENABLED="0")
    info = read_buildinfo(wasm.parse(ByteView(path.read_bytes())))
    want = reference.go_version_m(native)
    assert format_go_version_m("x", info) == "x: " + want.split(": ", 1)[1].split("\n", 1)[0] + "\n" + native_equivalent(want, goos)
    assert info.setting("GOOS") == goos and info.setting("GOARCH") == "wasm"


@pytest.mark.parametrize("case", WASM_BUILDS)
def test_go_wasm_facts_whole_record(gob, case):
    path = go_wasm(gob, case)
    goos = WASM_BUILDS[case][1]
    img = wasm.parse(ByteView(path.read_bytes()))
    build_id = reference.go_tool_buildid(path)
    assert img.facts() == dict(
        format="wasm", arch="wasm", bits=32, endian="little", os=None, type="executable", linkage=None,
        interpreter=None, needed=("gojs",) if goos == "js" else ("wasi_snapshot_preview1",), rpath=(),
        runpath=(), soname=None, stripped=case.endswith("-s-w"), debug_info=False, gnu_build_id=None,
        go_build_id=build_id)
    names = [s.name for s in img.sections()]
    assert names == ["go:buildid", "type", "import", "function", "table", "memory", "global", "export",
                     "element", "code", "data", "producers"] + ([] if case.endswith("-s-w") else ["name"])
    version = reference.go_version()
    assert img.producers == {"language": (("Go", version),), "processed-by": (("Go cmd/compile", version),)}


def test_go_wasm_has_no_buildinfo_blob(gob):
    """FACTS.md: Go's wasm output has no "\\xff Go buildinf:" header; `go version -m` cannot read it."""
    path = go_wasm(gob, "hello-js")
    assert buildinfo.BUILDINFO_MAGIC not in path.read_bytes()
    assert reference.go_version_m(path) == ""


def test_go_wasm_segments_fast_and_checked_paths_agree(gob, monkeypatch):
    b = go_wasm(gob, "deps-wasip1").read_bytes()
    fast = wasm.parse(ByteView(b)).data_segments
    monkeypatch.setattr(wasm, "_common_segment", lambda *a: None)
    assert wasm.parse(ByteView(b)).data_segments == fast
    img = wasm.parse(ByteView(b))
    seg = fast[len(fast) // 2]
    assert img.read_vaddr(seg.addr, seg.size) == b[seg.offset:seg.offset + seg.size]


def test_inspect_go_wasm(gob):
    path = go_wasm(gob, "deps-js")
    rec = linkscope.inspect(path)
    assert rec.error is None
    assert (rec.format, rec.arch, rec.os, rec.type) == ("wasm", "wasm", "js", "executable")
    assert rec.go == read_buildinfo(wasm.parse(ByteView(path.read_bytes())))


def test_go_wasm_read_decodes_no_segments(gob):
    """The facts and the build info come from section-level searches: the data segments (tens of
    thousands in a Go module) are never decoded on this path."""
    b = go_wasm(gob, "deps-js").read_bytes()
    img = wasm.parse(ByteView(b))
    img.facts()
    assert read_buildinfo(img) is not None
    assert "data_segments" not in img.__dict__


# -- hostile input: only linkscope's errors escape ------------------------------------------------
def _exercise(b: bytes) -> str:
    """Every accessor of a (damaged) module, with invariants on what comes back: sections in file
    order inside the file, segments inside the file, reads of at most what was asked, well-formed
    facts, warnings and build info; or a linkscope error of a known kind. Returns the outcome."""
    try:
        img = wasm.parse(ByteView(b))
        facts = reference.check_image(img, len(b))
        assert facts["format"] == "wasm"
        secs = img.sections()
        assert [s.offset for s in secs] == sorted(s.offset for s in secs)
        assert all(8 <= s.offset and s.offset + s.size <= len(b) for s in secs), secs
        prod = img.producers
        assert all(isinstance(k, str) and all(isinstance(n, str) and isinstance(v, str) for n, v in vals)
                   for k, vals in prod.items()), prod
        for seg in img.data_segments:
            assert seg.size >= 0 and 0 <= seg.offset and seg.offset + seg.size <= len(b), seg
            got = img.read_vaddr(seg.addr or 0, 8)
            assert got is None or (isinstance(got, bytes) and len(got) <= 8), got
        reference.check_goinfo(read_buildinfo(img), len(b))
        reference.check_warnings(img.warnings, len(b))
        return "partial" if img.warnings else "whole"
    except LinkscopeError as e:
        reference.check_error(e, len(b))
        return e.kind


def test_mutated_small_modules_raise_only_our_errors():
    rng = random.Random(11)
    go_like = module(data(active(0x10000, MODINFO_START + MODTEXT + MODINFO_END)), GO_PRODUCERS,
                     custom("go:buildid", b'\xff Go build ID: "a/b"\n \xff'))
    outcomes = set()
    for base in (EVERYTHING, go_like):
        for _ in range(1500):
            outcomes.add(_exercise(mutate(base, rng, edits=(1, 4), values=(0, 0x7F, 0x80, 0xFF, None), truncate=0.2,
                                          keep=8)))
    # the 8-byte header is never touched: the module is always identified, damage makes it partial
    # (or, read lazily, raises from an accessor), so every outcome occurs
    assert {"whole", "partial"} <= outcomes, outcomes


def test_mutated_go_module_headers_raise_only_our_errors(gob):
    """Mutations in the section table, imports, exports and the custom sections at the end of a real
    Go module (the code and data bodies in between are left alone, to keep each read fast)."""
    rng = random.Random(12)
    original = go_wasm(gob, "hello-wasip1").read_bytes()
    img = wasm.parse(ByteView(original))
    code = next(s for s in img.wasm_sections if s.name == "code")
    data_sec = next(s for s in img.wasm_sections if s.name == "data")
    outcomes = set()
    for _ in range(150):
        b = mutate(original, rng, edits=(1, 3), regions=[(8, code.offset), (data_sec.offset + data_sec.size, len(original))],
                   values=(0, 0x80, 0xFF, None))
        try:
            with reference.watchdog(60, "a mutated Go wasm module"):
                img = wasm.parse(ByteView(b))
                reference.check_image(img, len(b))
                reference.check_goinfo(read_buildinfo(img), len(b))
                reference.check_warnings(img.warnings, len(b))
                outcomes.add("image")
        except LinkscopeError as e:
            reference.check_error(e, len(b))
            outcomes.add(e.kind)
    assert "image" in outcomes, outcomes


@settings(max_examples=400, deadline=None)
@given(st.binary(max_size=120))
def test_arbitrary_bytes_after_the_header_raise_only_our_errors(tail):
    got = _exercise(b"\0asm\x01\0\0\0" + tail)
    if not tail:
        assert got == "whole"                    # the empty module is a valid module


# An invalid frame before the real one: the module info is the real frame's, whole.
REAL_FRAME = MODINFO_START + MODTEXT + MODINFO_END
INVALID_FIRST = {
    # framed text without the final newline is not module info (Go's sentinel test): skipped
    "unterminated-text-same-segment": [active(0x10000, MODINFO_START + b"path\tq" + MODINFO_END + b"zz" + REAL_FRAME)],
    "unterminated-text-earlier-segment": [active(0x100, MODINFO_START + b"path\tq" + MODINFO_END), active(0x10000, REAL_FRAME)],
    "empty-frame-earlier-segment": [active(0x10, MODINFO_START + MODINFO_END), active(0x10000, REAL_FRAME)],
    # regression: a start sentinel with no end of its own used to open the frame, so the real frame's
    # start sentinel and the bytes before it became part of its first line and 'path' was lost
    "stray-start-sentinel": [active(0x10000, MODINFO_START + b"junk" + REAL_FRAME)],
    "stray-start-sentinel-earlier-segment": [active(0x100, MODINFO_START + b"junk"), active(0x10000, REAL_FRAME)],
}


@pytest.mark.parametrize("case", INVALID_FIRST)
def test_go_module_info_after_an_invalid_frame(case):
    b = module(data(*INVALID_FIRST[case]), GO_PRODUCERS)
    assert read_buildinfo(parse(b)) == GoInfo("go1.27.3", "p", Module("p", "(devel)"), settings=(("GOOS", "js"),))
    text, offset = buildinfo.find_wasm_modinfo(parse(b))
    assert text == MODTEXT and b[offset:offset + len(MODTEXT)] == MODTEXT
