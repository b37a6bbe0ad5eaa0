"""C library, version floors and "runs on" (linkscope.libc), and the ELF dynamic symbol reader.

Differential against readelf: glibc_min equals the newest GLIBC_ version `readelf -V` lists under the
version needs, on every ELF the tests build, the Go toolchain's ELF samples and this machine's
/usr/bin and /usr/lib (a sample here, all of them in the integration test); the other families'
floors and the dynamic symbols (name, defined, version) against `readelf -V` / `--dyn-syms`.

Tolerated differences with readelf, here and nowhere else (see TOLERATED):
"""
from __future__ import annotations

import re
import shutil
import struct
import subprocess
from pathlib import Path

import pytest

import buildkit
import reference
from buildkit import Spec
import linkscope
from linkscope import libc
from linkscope.byteview import ByteView
from linkscope.errors import LinkscopeError, Malformed
from linkscope.formats import elf
from linkscope.inspector import open_image
from samples import go_testdata_elves, system_elves

from reference import TOLERATED  # noqa: E402  (the one place for tolerated differences)
__doc__ += "\n".join(f"- {k}: {v}" for k, v in TOLERATED.items() if k.startswith(("glibc:", "dynsym:")))

CXX = Spec("gxx-cxx", "g++", "cxx", ("-O1",), sources=("main.cpp",))   # a C++ program, for its GLIBCXX floors

# Builds these tests add to buildkit's: other machines and endiannesses, SysV-only hash tables.
EXTRA_SPECS = {s.name: s for s in [
    Spec("zig-glibc-s390x", "zig", "cprog", ("-target", "s390x-linux-gnu", "-O1")),
    Spec("zig-glibc-mips", "zig", "cprog", ("-target", "mips-linux-gnueabi", "-O1")),
    Spec("zig-glibc-x86", "zig", "cprog", ("-target", "x86-linux-gnu", "-O1")),
    Spec("zig-glibc-s390x-sysv-lib", "zig", "cprog", ("-target", "s390x-linux-gnu", "-shared", "-Wl,--hash-style=sysv"),
         out="lib.so", sources=("lib.c",)),
    Spec("gcc-sysv-hash", "gcc", "cprog", ("-O1", "-Wl,--hash-style=sysv")),
    Spec("gcc-both-hash", "gcc", "cprog", ("-O1", "-Wl,--hash-style=both")),
]}

ELF_BUILDS = sorted(n for n, s in buildkit.SPECS.items() if s.tool == "go" and s.goos == "linux" or s.tool == "gcc"
                    or n.startswith("zig-musl") or n == "zig-glibc-2.28")


def built(name: str) -> Path:
    return buildkit.build(EXTRA_SPECS[name]) if name in EXTRA_SPECS else buildkit.get(name)


def image_of(path):
    """Parse a file fully inside the mapping and hand back the facts the tests compare."""
    with open_image(str(path)) as (img, _st):
        return dict(libc=libc.libc_flavour(img), glibc_min=libc.glibc_min(img), floors=libc.version_floors(img),
                    symbols=[(s.name, s.defined, s.version) for s in img.dynamic_symbols]
                    if isinstance(img, elf.ElfImage) else None)


# -- readelf, parsed -------------------------------------------------------------------------------
def readelf_version_needs(path) -> list[tuple[str, str, bool]]:
    """(file, version name, weak) for every entry `readelf -V` lists under the version needs."""
    out = reference.run(["readelf", "-VW", str(path)])
    needs = out.split("Version needs section", 1)
    if len(needs) < 2:
        return []
    rows, current = [], None
    for line in needs[1].splitlines():
        m = re.search(r"File: (\S+)\s+Cnt:", line)
        if m:
            current = m.group(1)
            continue
        m = re.search(r"Name: (\S+)\s+Flags: ([^V]*?)\s+Version:", line)
        if m:
            rows.append((current, m.group(1), "WEAK" in m.group(2)))
        elif line.startswith("Version ") or line.startswith("Version symbols"):
            break
    return rows


def vkey(v: str) -> tuple[int, ...]:
    return tuple(int(x) for x in v.split("."))


def readelf_floors(path) -> dict[str, str]:
    """family -> newest required version, from readelf's version needs (TOLERATED: abi-dt-relr, weak)."""
    floors: dict[str, str] = {}
    for _file, name, weak in readelf_version_needs(path):
        if weak:
            continue
        m = re.fullmatch(r"(GLIBC|GLIBCXX|CXXABI|GCC)_([0-9.]+)", name)
        family, version = (m.group(1), m.group(2)) if m else (None, None)
        if name == "GLIBC_ABI_DT_RELR":
            family, version = "GLIBC", "2.36"
        if family and (family not in floors or vkey(version) > vkey(floors[family])):
            floors[family] = version
    return floors


def readelf_glibc_min(path) -> str | None:
    """The newest GLIBC_x.y readelf lists under the version needs (reference.readelf_glibc_versions),
    raised to 2.36 by GLIBC_ABI_DT_RELR (TOLERATED["glibc:abi-dt-relr"]), weak ones left out
    (TOLERATED["glibc:weak"])."""
    weak = {name for _f, name, w in readelf_version_needs(path) if w}
    versions = [v.removeprefix("GLIBC_") for v in reference.readelf_glibc_versions(path) if f"GLIBC_{v.removeprefix('GLIBC_')}" not in weak]
    if any(name == "GLIBC_ABI_DT_RELR" for _f, name, _w in readelf_version_needs(path)):
        versions.append("2.36")
    return max(versions, key=vkey) if versions else None


def readelf_dynsyms(path) -> list[tuple[str, bool, str | None]]:
    """(name, defined, version) of every entry of the first table `readelf --dyn-syms -W` prints."""
    out = reference.run(["readelf", "--dyn-syms", "-W", str(path)])
    rows, started = [], False
    for line in out.splitlines():
        if line.strip().startswith("Num:"):
            if started:
                break
            started = True
            continue
        m = started and re.match(r"\s*\d+: \S+\s+\S+\s+(?:<[^>]+>: \d+|\S+)\s+(?:<[^>]+>: \d+|\S+)\s+\S+"
                                 r"(?:\s+\[[^\]]*\])?\s+(bad section index\[\s*\d+\]|\S+) ?(.*)$", line)
        if not m:
            continue
        ndx, name = m.groups()
        version = None
        mm = re.fullmatch(r"(.*?)@@?([^@ ]+)(?: \(\d+\))?", name)
        if mm:
            name, version = mm.groups()
        rows.append((name, ndx != "UND", version))
    return rows


def readelf_forcing_symbols(path, family: str, version: str) -> list[str]:
    """Symbols readelf shows bound, as a requirement (`name@VER (n)`), to exactly FAMILY_version."""
    out = reference.run(["readelf", "--dyn-syms", "-W", str(path)])
    return sorted({m.group(1) for m in re.finditer(rf"\s(\S+)@{family}_{re.escape(version)} \(\d+\)$", out, re.M)})


# -- glibc_min against readelf ---------------------------------------------------------------------
def assert_floors_agree(path) -> None:
    got = image_of(path)
    assert got["glibc_min"] == readelf_glibc_min(path), path
    expect = readelf_floors(path)
    floors = got["floors"] or {}
    assert {f: e["version"] for f, e in floors.items() if e["version"]} == expect, path


@pytest.mark.parametrize("name", ELF_BUILDS + sorted(EXTRA_SPECS))
def test_builds_glibc_min_equals_readelf(name):
    assert_floors_agree(built(name))


@pytest.mark.parametrize("path", go_testdata_elves(), ids=lambda p: p.name)
def test_go_testdata_glibc_min_equals_readelf(path):
    assert_floors_agree(path)


def _check_system(paths):
    bad = []
    for p in paths:
        try:
            assert_floors_agree(p)
        except (AssertionError, LinkscopeError) as e:
            bad.append(f"{p}: {type(e).__name__} {e}")
    assert not bad, "\n".join(bad[:20])


def test_system_sample_glibc_min_equals_readelf():
    _check_system(system_elves(80))


@pytest.mark.integration
def test_all_system_elves_glibc_min_equals_readelf():
    _check_system(system_elves(None))


def test_dt_relr_marker_raises_the_floor_to_2_36():
    """Regression: glibc's own tools need GLIBC_2.34 by symbol but GLIBC_ABI_DT_RELR too."""
    candidates = [Path(p) for p in ("/usr/bin/getconf", "/usr/bin/getent", "/usr/bin/iconv", "/usr/bin/locale")]
    path = next((p for p in candidates if p.exists()
                 and any(n == "GLIBC_ABI_DT_RELR" for _f, n, _w in readelf_version_needs(p))), None)
    if path is None:
        pytest.skip("no binary with a GLIBC_ABI_DT_RELR need on this machine")
    got = image_of(path)
    assert got["glibc_min"] == "2.36"
    assert got["floors"]["GLIBC"]["abi_markers"] == ["GLIBC_ABI_DT_RELR"]


# -- the symbols that force a version --------------------------------------------------------------
FORCING = ["gcc-dynamic", "go-default", "go-cshared", "zig-glibc-2.28", "zig-glibc-s390x"]


@pytest.mark.parametrize("name", FORCING)
def test_forcing_symbols_match_readelf(name):
    path = built(name)
    floors = image_of(path)["floors"]
    assert floors and "GLIBC" in floors
    for family, e in floors.items():
        assert e["symbols"] == readelf_forcing_symbols(path, family, e["version"]), family


def test_forcing_symbols_whole_record_gcc_dynamic():
    floors = image_of(built("gcc-dynamic"))["floors"]
    assert floors == {"GLIBC": {"version": "2.34", "symbols": ["__libc_start_main"], "from": ["libc.so.6"]}}


@pytest.mark.parametrize("path", ["/usr/lib/x86_64-linux-gnu/libstdc++.so.6", "/usr/lib/x86_64-linux-gnu/libm.so.6",
                                  "/usr/bin/getconf"])
def test_forcing_symbols_match_readelf_system(path):
    if not Path(path).exists():
        pytest.skip(f"{path} not on this machine")
    floors = image_of(path)["floors"]
    for family, e in floors.items():
        if e["version"] and not e.get("abi_markers"):
            assert e["symbols"] == readelf_forcing_symbols(path, family, e["version"]), family


def test_glibc_private_is_reported_not_counted():
    path = Path("/usr/lib/x86_64-linux-gnu/libm.so.6")
    if not path.exists() or not any(n == "GLIBC_PRIVATE" for _f, n, _w in readelf_version_needs(path)):
        pytest.skip("no GLIBC_PRIVATE user on this machine")
    g = image_of(path)["floors"]["GLIBC"]
    assert g["version"] == readelf_glibc_min(path) and g["version"] != "PRIVATE"
    assert g["private"] == readelf_forcing_symbols(path, "GLIBC", "PRIVATE")


def test_cxx_floors(tmp_path):
    """GLIBCXX, CXXABI and GCC floors of a C++ program built here with g++."""
    if not shutil.which("g++"):
        reference.tool_missing("g++")
    prog = buildkit.build(CXX)
    floors = image_of(prog)["floors"]
    expect = readelf_floors(prog)
    assert {"GLIBC", "GLIBCXX", "CXXABI"} <= set(expect)
    assert {f: e["version"] for f, e in floors.items()} == expect
    for family, e in floors.items():
        assert e["symbols"] == readelf_forcing_symbols(prog, family, e["version"]), family
        assert e["from"] == sorted({f for f, n, _w in readelf_version_needs(prog) if n == f"{family}_{e['version']}"})
    assert floors["GLIBCXX"]["from"] == ["libstdc++.so.6"]
    assert libc.version_key(floors["GLIBCXX"]["version"]) >= (3, 4, 26)  # std::filesystem::path


# -- which C library -------------------------------------------------------------------------------
# name -> (libc, glibc_min); glibc_min None where the binary requires no glibc version.
LIBC = {
    "gcc-dynamic": ("glibc", "2.34"),
    "gcc-static": ("glibc", None),
    "gcc-static-pie": ("glibc", None),
    "zig-musl-static": ("musl", None),
    "zig-musl-dynamic": ("musl", None),
    "zig-glibc-2.28": ("glibc", "2.28"),
    "go-netgo": ("none", None),
    "go-cgo0": ("none", None),
    "go-hello": ("none", None),
    "go-linux-arm64": ("none", None),
    "go-linux-s390x": ("none", None),
    "go-default": ("glibc", "2.34"),
    "go-pie": ("glibc", "2.34"),
    "go-cshared": ("glibc", "2.34"),
    "go-extstatic": ("glibc", None),
    "go-darwin-arm64": (None, None),
    "go-windows-amd64": (None, None),
    "go-js-wasm": (None, None),
    "zig-glibc-s390x": ("glibc", None),   # the floor zig picks; checked against readelf above
    "zig-glibc-mips": ("glibc", None),
}


@pytest.mark.parametrize("name", sorted(LIBC))
def test_libc_flavour(name):
    libc, floor = LIBC[name]
    got = image_of(built(name))
    assert got["libc"] == libc
    if floor is not None or libc != "glibc":
        assert got["glibc_min"] == floor


GO_TESTDATA_LIBC = {
    "gcc-amd64-linux-exec": ("glibc", "2.2.5"),
    "gcc-riscv64-linux-exec": ("glibc", "2.34"),
    "libtiffxx.so_": ("glibc", "2.4"),
    "gcc-386-freebsd-exec": (None, None),    # FreeBSD 6: its libc was libc.so.6 too
    "go-relocation-test-gcc441-x86-64.obj": (None, None),
    "compressed-64.obj": (None, None),
}


@pytest.mark.parametrize("name", sorted(GO_TESTDATA_LIBC))
def test_libc_flavour_go_testdata(name):
    got = image_of(buildkit.go_root() / "src" / "debug" / "elf" / "testdata" / name)
    assert (got["libc"], got["glibc_min"]) == GO_TESTDATA_LIBC[name]


def test_zig_glibc_floor_is_the_requested_one():
    # zig links against stubs of the glibc version in the target triple: the floor is at most 2.28.
    assert libc.version_key(image_of(built("zig-glibc-2.28"))["glibc_min"]) <= (2, 28)


def _strip_sections(data: bytes) -> bytes:
    """The file without its section header table (e_shoff, e_shnum, e_shstrndx zeroed): only the
    loader's view is left."""
    d = bytearray(data)
    little = d[5] == 1
    if d[4] == 2:
        d[0x28:0x30] = bytes(8)
        struct.pack_into("<HH" if little else ">HH", d, 0x3C, 0, 0)
    else:
        d[0x20:0x24] = bytes(4)
        struct.pack_into("<HH" if little else ">HH", d, 0x30, 0, 0)
    return bytes(d)


@pytest.mark.parametrize("name", ["gcc-dynamic", "go-default", "zig-musl-dynamic", "zig-glibc-s390x", "zig-glibc-mips",
                                  "gcc-sysv-hash", "zig-glibc-x86", "gcc-static", "go-netgo"])
def test_section_stripped_files_read_the_same(name, tmp_path):
    """What the loader uses is read the way it reads it: without section headers, the same answers."""
    src = built(name)
    stripped = tmp_path / "stripped"
    stripped.write_bytes(_strip_sections(src.read_bytes()))
    a, b = image_of(src), image_of(stripped)
    assert b == a


def test_stripped_static_glibc_found_by_strings(tmp_path):
    """`strip` removes .symtab; the ABI-tag note (and GLIBC_TUNABLES) still say glibc."""
    out = tmp_path / "prog"
    r = subprocess.run(["strip", "-o", str(out), str(built("gcc-static"))], capture_output=True)
    if r.returncode:
        pytest.skip("strip failed")
    assert image_of(out)["libc"] == "glibc"


# -- the dynamic symbol reader ---------------------------------------------------------------------
def assert_dynsyms_agree(path) -> None:
    mine = image_of(path)["symbols"]
    # TOLERATED["dynsym:version-symbol"]
    mine = [(n, d, None if v == n else v) for n, d, v in mine]
    assert mine == readelf_dynsyms(path)


@pytest.mark.parametrize("name", ["gcc-dynamic", "gcc-static-pie", "go-default", "go-cshared", "zig-musl-dynamic",
                                  "zig-glibc-2.28", *sorted(EXTRA_SPECS)])
def test_dynsyms_match_readelf_builds(name):
    assert_dynsyms_agree(built(name))


@pytest.mark.parametrize("path", go_testdata_elves(), ids=lambda p: p.name)
def test_dynsyms_match_readelf_go_testdata(path):
    assert_dynsyms_agree(path)


def test_dynsyms_match_readelf_system_sample():
    bad = []
    for p in system_elves(40):
        try:
            assert_dynsyms_agree(p)
        except (AssertionError, LinkscopeError) as e:
            bad.append(f"{p}: {type(e).__name__} {str(e)[:300]}")
    assert not bad, "\n".join(bad[:10])


@pytest.mark.integration
def test_dynsyms_match_readelf_all_system_elves():
    bad = []
    for p in system_elves(None):
        try:
            assert_dynsyms_agree(p)
        except (AssertionError, LinkscopeError) as e:
            bad.append(f"{p}: {type(e).__name__} {str(e)[:300]}")
    assert not bad, "\n".join(bad[:10])


def test_dynsym_count_from_each_hash_table():
    """DT_GNU_HASH walked, DT_HASH's nchain (4-byte entries, and lld's 4-byte ones on s390x), the section."""
    for name, tags in [("gcc-dynamic", {elf.DT_GNU_HASH}), ("gcc-sysv-hash", {elf.DT_HASH}),
                       ("gcc-both-hash", {elf.DT_HASH, elf.DT_GNU_HASH}),
                       ("zig-glibc-s390x-sysv-lib", {elf.DT_HASH})]:
        path = built(name)
        with open_image(str(path)) as (img, _):
            assert {t for t, _v in img.dynamic if t in (elf.DT_HASH, elf.DT_GNU_HASH)} == tags, name
            sec = img._dynsym_section()
            assert img.dynamic_symbol_count == sec.size // sec.entsize, name


def test_symbol_records_gcc_dynamic():
    """Whole records for the small C program: binding, type, defined and version."""
    with open_image(str(built("gcc-dynamic"))) as (img, _):
        syms = {s.name: s for s in img.dynamic_symbols}
        defs, reqs = img.version_definitions, img.version_requirements
    assert syms["__libc_start_main"] == elf.DynSymbol("__libc_start_main", "GLIBC_2.34", False, elf.STB_GLOBAL,
                                                      elf.STT_FUNC, False)
    assert syms["printf"] == elf.DynSymbol("printf", "GLIBC_2.2.5", False, elf.STB_GLOBAL, elf.STT_FUNC, False)
    assert syms["__gmon_start__"] == elf.DynSymbol("__gmon_start__", None, False, elf.STB_WEAK, elf.STT_NOTYPE, False)
    assert defs == ()
    assert {(r.file, r.name) for r in reqs} == {("libc.so.6", "GLIBC_2.2.5"), ("libc.so.6", "GLIBC_2.34")}


def test_version_definitions_of_libc():
    path = Path("/usr/lib/x86_64-linux-gnu/libc.so.6")
    if not path.exists():
        pytest.skip("no x86-64 libc.so.6")
    with open_image(str(path)) as (img, _):
        defs = img.version_definitions
        syms = [s for s in img.dynamic_symbols if s.name == "memcpy"]
    assert defs[0].base and defs[0].name == "libc.so.6"
    names = [d.name for d in defs]
    assert "GLIBC_2.2.5" in names and "GLIBC_2.34" in names and "GLIBC_PRIVATE" in names
    assert next(d for d in defs if d.name == "GLIBC_2.3").parents == ("GLIBC_2.2.6",)
    # memcpy@GLIBC_2.2.5 (hidden, the old one) and memcpy@@GLIBC_2.14 (default)
    assert {(s.version, s.hidden_version) for s in syms} == {("GLIBC_2.2.5", True), ("GLIBC_2.14", False)}


def readelf_version_definitions(path) -> list[tuple[int, str, str, tuple[str, ...]]]:
    """(index, flags text, name, parents) of every entry `readelf -V` lists under the definitions."""
    out = reference.run(["readelf", "-VW", str(path)])
    sect = out.split("Version definition section", 1)
    rows: list = []
    for line in (sect[1].split("Version needs section", 1)[0].split("Version symbols", 1)[0] if len(sect) > 1 else "").splitlines():
        m = re.search(r"Flags: (.*?)\s+Index: (\d+)\s+Cnt: \d+\s+Name: (\S+)", line)
        if m:
            rows.append([int(m.group(2)), m.group(1), m.group(3), ()])
            continue
        m = re.search(r"Parent \d+: (\S+)", line)
        if m:
            rows[-1][3] += (m.group(1),)
    return [tuple(r) for r in rows]


@pytest.mark.parametrize("path", ["/usr/lib/x86_64-linux-gnu/libc.so.6", "/usr/lib/x86_64-linux-gnu/libtiff.so.6",
                                  "/usr/lib/x86_64-linux-gnu/libstdc++.so.6", "/usr/lib/x86_64-linux-gnu/libjson-c.so.5"])
def test_version_definitions_match_readelf(path):
    if not Path(path).exists():
        pytest.skip(f"{path} not on this machine")
    with open_image(path) as (img, _):
        mine = [(d.index, d.base, bool(d.flags & elf.VER_FLG_WEAK), d.name, d.parents)
                for d in img.version_definitions]
    ref = [(i, "BASE" in f, "WEAK" in f, n, p) for i, f, n, p in readelf_version_definitions(path)]
    assert mine == ref


# -- damaged input ---------------------------------------------------------------------------------
def _dyn_entry_offset(img: elf.ElfImage, tag: int) -> int:
    seg = next(p for p in img.segments if p.type == elf.PT_DYNAMIC)
    ent = 16 if img.bits == 64 else 8
    for i in range(seg.filesz // ent):
        if img.view.u64(seg.offset + i * ent) == tag:
            return seg.offset + i * ent + 8
    raise LookupError(tag)


def _damaged(name: str, patch) -> bytes:
    data = bytearray(built(name).read_bytes())
    img = elf.parse(ByteView(bytes(data)))
    patch(img, data)
    return bytes(data)


def _set_dyn(tag, value):
    def patch(img, d):
        struct.pack_into("<Q", d, _dyn_entry_offset(img, tag), value)
    return patch


def _verneed(field_off, fmt, value):
    def patch(img, d):
        struct.pack_into(fmt, d, img._mapped(img.dyn1(elf.DT_VERNEED), "verneed") + field_off, value)
    return patch


def _vernaux(field_off, fmt, value):
    def patch(img, d):
        off = img._mapped(img.dyn1(elf.DT_VERNEED), "verneed")
        aux = struct.unpack_from("<I", d, off + 8)[0]
        struct.pack_into(fmt, d, off + aux + field_off, value)
    return patch


def _hash_field(field_off, value):
    def patch(img, d):
        struct.pack_into("<I", d, img._mapped(img.dyn1(elf.DT_HASH), "hash") + field_off, value)
    return patch


def _gnu_hash_field(field_off, value):
    def patch(img, d):
        struct.pack_into("<I", d, img._mapped(img.dyn1(elf.DT_GNU_HASH), "gnu hash") + field_off, value)
    return patch


def _versym_index(value):
    def patch(img, d):
        off = img._mapped(img.dyn1(elf.DT_VERSYM), "versym")
        struct.pack_into("<H", d, off + 2, value)  # symbol 1
    return patch


DAMAGED = {
    "verneed-next-beyond-file": ("gcc-dynamic", _verneed(12, "<I", 0x7FFFFFF0)),
    "verneed-aux-beyond-file": ("gcc-dynamic", _verneed(8, "<I", 0x7FFFFFF0)),
    "verneed-file-name-beyond-dynstr": ("gcc-dynamic", _verneed(4, "<I", 0x7FFFFFF0)),
    "verneed-version-2": ("gcc-dynamic", _verneed(0, "<H", 2)),
    "verneed-count-huge": ("gcc-dynamic", _verneed(2, "<H", 0xFFFF)),
    "verneednum-huge": ("gcc-dynamic", _set_dyn(elf.DT_VERNEEDNUM, 1 << 40)),
    "verneed-unmapped": ("gcc-dynamic", _set_dyn(elf.DT_VERNEED, 1 << 50)),
    "vernaux-next-beyond-file": ("gcc-dynamic", _vernaux(12, "<I", 0x7FFFFFF0)),
    "vernaux-name-beyond-dynstr": ("gcc-dynamic", _vernaux(8, "<I", 0x7FFFFFF0)),
    "hash-nchain-huge": ("gcc-sysv-hash", _hash_field(4, 0xFFFFFFFF)),
    "hash-nchain-past-end": ("gcc-sysv-hash", _hash_field(4, 500_000)),
    "gnu-hash-buckets-huge": ("gcc-dynamic", _gnu_hash_field(0, 0xFFFFFFFF)),
    "gnu-hash-bloom-huge": ("gcc-dynamic", _gnu_hash_field(8, 0x7FFFFFFF)),
    "gnu-hash-symoffset-above-buckets": ("gcc-dynamic", _gnu_hash_field(4, 1000)),
    "versym-index-unnamed": ("gcc-dynamic", _versym_index(0x77)),
    "syment-tiny": ("gcc-dynamic", _set_dyn(elf.DT_SYMENT, 4)),
    "symtab-unmapped": ("gcc-dynamic", _set_dyn(elf.DT_SYMTAB, 1 << 50)),
}


@pytest.mark.parametrize("case", sorted(DAMAGED))
def test_damaged_version_and_symbol_tables_raise_malformed(case):
    name, patch = DAMAGED[case]
    img = elf.parse(ByteView(_damaged(name, patch)))
    with pytest.raises(Malformed):  # Truncated is a Malformed
        img.version_requirements
        img.version_definitions
        img.dynamic_symbols
        libc.version_floors(img)


def _table_regions(img: elf.ElfImage) -> list[tuple[int, int]]:
    """The byte ranges of the dynamic table and the tables it points at (symbols, versions, hashes)."""
    regions = [(p.offset, p.offset + p.filesz) for p in img.segments if p.type == elf.PT_DYNAMIC]
    offs = sorted(o for o in (img.vaddr_to_offset(img.dyn1(t)) for t in (
        elf.DT_SYMTAB, elf.DT_VERSYM, elf.DT_VERNEED, elf.DT_VERDEF, elf.DT_HASH, elf.DT_GNU_HASH)
        if img.dyn1(t) is not None) if o is not None)
    if offs:
        regions.append((offs[0], offs[-1] + 256))
    for s in img.elf_sections:  # static binaries: the symbol table the libc evidence is read from
        if s.type == elf.SHT_SYMTAB:
            regions.append((s.offset, s.offset + min(s.size, 1 << 16)))
    return regions or [(0x40, 0x1000)]


def _mutants(data: bytes, n: int, seed: int, regions: list[tuple[int, int]]):
    """Bytes set within the dynamic table and the tables it points at."""
    from mutate import mutants

    return mutants(data, n, seed, edits=(1, 6), regions=regions)


@pytest.mark.parametrize("name", ["gcc-dynamic", "go-default", "zig-glibc-s390x", "zig-glibc-mips", "zig-musl-static",
                                  "gcc-sysv-hash"])
def test_mutations_raise_only_linkscope_errors(name):
    """Mutate the dynamic table and the tables it points at: every accessor this module adds raises only
    linkscope's errors, in bounded time."""
    data = built(name).read_bytes()
    regions = _table_regions(elf.parse(ByteView(data)))
    outcomes = {"ok": 0, "error": 0}
    with reference.watchdog(300, f"version-table mutations of {name}"):
        for i, d in enumerate(_mutants(data, 400, seed=sum(name.encode()), regions=regions)):
            try:
                m = elf.parse(ByteView(d))
                m.dynamic_symbols
                m.version_definitions
                libc.version_floors(m)
                libc.libc_flavour(m)
                outcomes["ok"] += 1
            except LinkscopeError:
                outcomes["error"] += 1
    assert outcomes["error"] > 0 or name == "zig-musl-static", outcomes


# -- runs on ---------------------------------------------------------------------------------------
ALL_GLIBC = ["Debian 10 (buster)", "Debian 11 (bullseye)", "Debian 12 (bookworm)", "Debian 13 (trixie)",
             "Ubuntu 18.04 LTS", "Ubuntu 20.04 LTS", "Ubuntu 22.04 LTS", "Ubuntu 24.04 LTS",
             "RHEL 7", "RHEL 8", "RHEL 9", "RHEL 10", "Amazon Linux 2", "Amazon Linux 2023"]
ALPINE = ["Alpine 3.18", "Alpine 3.19", "Alpine 3.20", "Alpine 3.21", "Alpine 3.22"]

RUNS_ON = {
    "glibc-no-floor": (("glibc", None), ALL_GLIBC),
    "glibc-2.17": (("glibc", "2.17"), ALL_GLIBC),
    "glibc-2.2.5": (("glibc", "2.2.5"), ALL_GLIBC),
    "glibc-2.27": (("glibc", "2.27"), [n for n in ALL_GLIBC if n not in ("RHEL 7", "Amazon Linux 2")]),
    "glibc-2.28": (("glibc", "2.28"), ["Debian 10 (buster)", "Debian 11 (bullseye)", "Debian 12 (bookworm)",
                                       "Debian 13 (trixie)", "Ubuntu 20.04 LTS", "Ubuntu 22.04 LTS",
                                       "Ubuntu 24.04 LTS", "RHEL 8", "RHEL 9", "RHEL 10", "Amazon Linux 2023"]),
    "glibc-2.34": (("glibc", "2.34"), ["Debian 12 (bookworm)", "Debian 13 (trixie)", "Ubuntu 22.04 LTS",
                                       "Ubuntu 24.04 LTS", "RHEL 9", "RHEL 10", "Amazon Linux 2023"]),
    "glibc-2.36": (("glibc", "2.36"), ["Debian 12 (bookworm)", "Debian 13 (trixie)", "Ubuntu 24.04 LTS", "RHEL 10"]),
    "glibc-2.39": (("glibc", "2.39"), ["Debian 13 (trixie)", "Ubuntu 24.04 LTS", "RHEL 10"]),
    "glibc-2.41": (("glibc", "2.41"), ["Debian 13 (trixie)"]),
    "glibc-2.100": (("glibc", "2.100"), []),  # numeric: 2.100 > 2.41
    "musl": (("musl", None), ALPINE),
    "none-any-linux": (("none", None), ALL_GLIBC + ALPINE),
    "bionic": (("bionic", None), []),
    "unknown": ((None, None), []),
}


@pytest.mark.parametrize("case", sorted(RUNS_ON))
def test_runs_on(case):
    args, expect = RUNS_ON[case]
    assert libc.runs_on(*args) == expect


SUMMARY = {
    "no-floor": ((None,), "Debian 10+, Ubuntu 18.04+, RHEL 7+, Amazon Linux 2+"),
    "2.31": (("2.31",), "Debian 11+, Ubuntu 20.04+, RHEL 9+, Amazon Linux 2023+"),
    "2.34": (("2.34",), "Debian 12+, Ubuntu 22.04+, RHEL 9+, Amazon Linux 2023+"),
    "2.35": (("2.35",), "Debian 12+, Ubuntu 22.04+, RHEL 10+"),
    "2.38": (("2.38",), "Debian 13+, Ubuntu 24.04+, RHEL 10+"),
    "too-new": (("2.99",), "none of the listed distribution releases"),
    "musl": ((None, "musl"), "Alpine 3.18+"),
    "none": ((None, "none"), "any Linux"),
    "bionic": ((None, "bionic"), ""),
}


@pytest.mark.parametrize("case", sorted(SUMMARY))
def test_distro_summary(case):
    args, expect = SUMMARY[case]
    assert libc.distro_summary(*args) == expect


def test_distro_table_is_complete_and_sourced():
    rows = libc.distro_releases()
    assert [r.family for r in rows] == sorted((r.family for r in rows), key=["Debian", "Ubuntu", "RHEL", "Amazon Linux",
                                                                              "Alpine"].index)
    for r in rows:
        assert r.libc in ("glibc", "musl")
        assert r.source.startswith("https://"), r
        libc.version_key(r.version)
        assert r.name.startswith(r.family + " " + r.release), r
    expect = {("Debian", "10"): "2.28", ("Debian", "11"): "2.31", ("Debian", "12"): "2.36", ("Debian", "13"): "2.41",
              ("Ubuntu", "18.04"): "2.27", ("Ubuntu", "20.04"): "2.31", ("Ubuntu", "22.04"): "2.35",
              ("Ubuntu", "24.04"): "2.39", ("RHEL", "7"): "2.17", ("RHEL", "8"): "2.28", ("RHEL", "9"): "2.34",
              ("RHEL", "10"): "2.39", ("Amazon Linux", "2"): "2.26", ("Amazon Linux", "2023"): "2.34"}
    assert {(r.family, r.release): r.version for r in rows if r.libc == "glibc"} == expect


def test_this_machines_glibc_matches_the_table():
    """The machine the tests run on (Debian 12) ships the glibc the table says."""
    try:
        osr = Path("/etc/os-release").read_text()
    except OSError:
        pytest.skip("no /etc/os-release")
    if 'ID=debian' not in osr or 'VERSION_ID="12"' not in osr:
        pytest.skip("not Debian 12")
    import platform
    assert platform.libc_ver()[1] == next(r.version for r in libc.distro_releases() if r.name == "Debian 12 (bookworm)")


@pytest.mark.parametrize("a,b", [("2.3.4", "2.10"), ("2.9", "2.10"), ("2.2.5", "2.3"), ("3.4.9", "3.4.21"),
                                 ("2.34", "2.100")])
def test_version_order_is_numeric(a, b):
    assert libc.version_key(a) < libc.version_key(b)


def test_version_key_refuses_non_versions():
    for bad in ("", "PRIVATE", "2..3", "2.x"):
        with pytest.raises(ValueError):
            libc.version_key(bad)


def test_non_elf_images_give_none():
    for name in ("go-darwin-arm64", "go-windows-amd64", "go-js-wasm"):
        with open_image(str(built(name))) as (img, _):
            assert libc.libc_flavour(img) is None
            assert libc.version_floors(img) is None
            assert libc.glibc_min(img) is None


# -- weak version needs (VER_FLG_WEAK) -------------------------------------------------------------
WEAKREF = Spec("gcc-weakref", "gcc", "weakref", ("-O1",), sources=("weak.c",))


def test_weak_version_need_does_not_raise_the_glibc_floor(tmp_path):
    """weak.c references pidfd_open (GLIBC_2.36) weakly and __libc_start_main (GLIBC_2.34) strongly;
    with GLIBC_2.36 marked VER_FLG_WEAK (buildkit.mark_version_need_weak) the loader no longer
    requires it (elf/dl-version.c only warns), so the floor is 2.34: TOLERATED["glibc:weak"]."""
    src = buildkit.build(WEAKREF)
    weak = tmp_path / "weak"
    shutil.copy(src, weak)
    buildkit.mark_version_need_weak(weak, "GLIBC_2.36")
    # readelf, an independent reader, sees the flag on that one need and on no other
    assert [(n, w) for _f, n, w in readelf_version_needs(src) if n in ("GLIBC_2.34", "GLIBC_2.36")] == \
        [("GLIBC_2.36", False), ("GLIBC_2.34", False)]
    assert [(n, w) for _f, n, w in readelf_version_needs(weak) if n in ("GLIBC_2.34", "GLIBC_2.36")] == \
        [("GLIBC_2.36", True), ("GLIBC_2.34", False)]
    plain, patched = image_of(src), image_of(weak)
    assert plain["glibc_min"] == "2.36" and plain["floors"]["GLIBC"]["version"] == "2.36"
    assert patched["glibc_min"] == "2.34"
    g = patched["floors"]["GLIBC"]
    assert (g["version"], g["weak"], g["from"], g["symbols"]) == ("2.34", ["GLIBC_2.36"], ["libc.so.6"], ["__libc_start_main"])
    assert readelf_floors(weak) == {"GLIBC": "2.34"}          # readelf's needs with the weak one left out
    assert linkscope.inspect(weak).glibc_min == "2.34" == readelf_glibc_min(weak)
    # the program runs, and the loader accepts the patched need (it would stop on a malformed one)
    assert subprocess.run([str(weak)], capture_output=True, text=True, timeout=30).stdout == "pidfd_open: present\n"
