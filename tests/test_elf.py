"""The ELF reader (linkscope.formats.elf) on its own, against readelf.

Inputs: the real programs tests/buildkit.py builds (every linking mode and Linux target), the ELF
samples of the Go toolchain's debug/elf testdata, and a deterministic sample of the host's ELF files
under /usr/bin and /usr/lib. For each, the header fields, every program header, every section
header, the dynamic table (NEEDED, SONAME, RPATH, RUNPATH, FLAGS, FLAGS_1 and every other tag), the
interpreter, the notes (GNU build ID) and the dynamic symbol count are compared with what
`readelf -W` prints (parsed in reference.readelf_layout). Damaged ELF files: every public accessor
under seeded mutation raises only linkscope's errors.
"""
from __future__ import annotations

import zlib
from functools import lru_cache
from pathlib import Path

import pytest

import buildkit
import reference
from mutate import mutants
from samples import go_testdata_elves, system_elves
from linkscope.byteview import ByteView
from linkscope.errors import LinkscopeError
from linkscope.formats import elf

pytestmark = reference.needs_tool(reference.have("readelf"), "readelf (binutils)")

BUILDS = sorted(n for n, s in buildkit.SPECS.items() if s.goos == "linux" and s.tool == "go" or s.tool == "gcc"
                or n.startswith("zig-musl") or n == "zig-glibc-2.28")


def _inputs() -> list:
    out = [pytest.param(("build", n), id=n) for n in BUILDS]
    out += [pytest.param(("file", str(p)), id=f"go-testdata-{p.name}") for p in go_testdata_elves()]
    out += [pytest.param(("file", str(p)), id=f"host-{p}") for p in system_elves(40)]
    return out


INPUTS = _inputs()


def path_of(which: tuple[str, str]) -> Path:
    kind, name = which
    return buildkit.get(name) if kind == "build" else Path(name)


@lru_cache(maxsize=None)
def _read(which: tuple[str, str]) -> tuple[elf.ElfImage, dict]:
    path = path_of(which)
    return elf.parse(ByteView(path.read_bytes())), reference.readelf_layout(path)


@pytest.mark.parametrize("which", INPUTS)
def test_header(which):
    img, want = _read(which)
    h = want["header"]
    assert dict(bits=img.bits, little=img.little, osabi=img.osabi, abiversion=img.abiversion, type=img.e_type,
                entry=img.entry, phoff=img.phoff, shoff=img.shoff, flags=img.eflags, phnum=len(img.segments),
                shnum=len(img.elf_sections)) == {k: v for k, v in h.items() if k != "shstrndx"}


@pytest.mark.parametrize("which", INPUTS)
def test_program_headers(which):
    img, want = _read(which)
    assert [(p.type, p.offset, p.vaddr, p.filesz, p.memsz, p.flags) for p in img.segments] == want["segments"]


@pytest.mark.parametrize("which", INPUTS)
def test_section_headers(which):
    img, want = _read(which)
    assert [(s.name, s.type, s.addr, s.offset, s.size, s.entsize, s.link, s.info) for s in img.elf_sections] == \
        [s[:8] for s in want["sections"]]


@pytest.mark.parametrize("which", INPUTS)
def test_dynamic_table(which):
    img, want = _read(which)
    assert [t for t, _ in img.dynamic] == [t for t, _ in want["dynamic"]]
    assert [(t, v) for (t, v), (_, w) in zip(img.dynamic, want["dynamic"]) if w is not None] == \
        [(t, w) for t, w in want["dynamic"] if w is not None]
    assert (list(img.needed), img.soname, list(img.rpath), list(img.runpath), img.flags, img.flags_1) == \
        (want["needed"], want["soname"], want["rpath"], want["runpath"], want["flags"], want["flags_1"])


@pytest.mark.parametrize("which", INPUTS)
def test_interpreter(which):
    img, want = _read(which)
    interp = img.interpreter
    if interp == "" and want["interpreter"] is None:
        interp = None   # TOLERATED["readelf:empty-interp"]
    assert interp == want["interpreter"]


@pytest.mark.parametrize("which", INPUTS)
def test_notes(which):
    img, want = _read(which)
    assert sorted((n.name.rstrip(b"\0").decode(errors="replace"), len(n.desc)) for n in img.notes) == \
        sorted(want["notes"])
    assert img.gnu_build_id == want["gnu_build_id"]


@pytest.mark.parametrize("which", INPUTS)
def test_dynamic_symbol_count(which):
    img, want = _read(which)
    assert img.dynamic_symbol_count == (want["dynsym_count"] or 0)
    assert len(img.dynamic_symbols) == img.dynamic_symbol_count


def test_inputs_cover_the_kinds_of_elf():
    """The sample is not empty of what the comparisons are for: both classes, both byte orders,
    executables, PIEs and libraries, with and without a dynamic table."""
    seen = set()
    for p in INPUTS:
        img, _ = _read(p.values[0])
        seen |= {("bits", img.bits), ("little", img.little), ("type", img.e_type), ("dynamic", bool(img.dynamic))}
    assert {("bits", 32), ("bits", 64), ("little", True), ("little", False), ("type", elf.ET_EXEC),
            ("type", elf.ET_DYN), ("dynamic", True), ("dynamic", False)} <= seen, seen


# -- damaged input ---------------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["gcc-dynamic", "go-sw", "zig-musl-dynamic", "go-linux-s390x"])
def test_elf_mutations_only_raise_linkscope_errors(name):
    """Fuzz every public accessor of the ELF image: only linkscope's own errors, and no hang."""
    from linkscope.go import buildinfo
    from linkscope.model import Section

    data = buildkit.get(name).read_bytes()
    outcomes = set()
    with reference.watchdog(300, f"ELF mutations of {name}"):
        for i, d in enumerate(mutants(data, 150, zlib.crc32(name.encode()), edits=(1, 8), regions=[(0, 8192)],
                                      focus=0.8)):
            try:
                img = elf.parse(ByteView(d))
                reference.check_image(img, len(d))
                reqs = img.version_requirements
                assert isinstance(reqs, (list, tuple)) and len(reqs) <= len(d) // 16
                bound = img.symbols_bound_to({"GLIBC_2.34", "GLIBC_2.2.5"})
                assert set(bound) <= {"GLIBC_2.34", "GLIBC_2.2.5"}
                secs = img.sections()
                assert all(type(s) is Section and s.size >= 0 for s in secs) and len(secs) <= len(d) // 40 + 1
                reference.check_goinfo(buildinfo.read_buildinfo(img), len(d))
                reference.check_warnings(img.warnings, len(d))     # again: the lazy tables added theirs
                outcomes.add("partial" if img.warnings else "whole")
            except LinkscopeError as e:
                reference.check_error(e, len(d))
                outcomes.add(e.kind)
    assert "whole" in outcomes or "partial" in outcomes, outcomes


def test_a_segment_file_offset_near_2_64_maps_no_address_for_vaddr_to_offset():
    """vaddr_to_offset follows vaddr_span's rule: an offset plus the distance into the segment past
    2**64 is no file position."""
    import crafted
    from linkscope.byteview import ByteView
    from linkscope.formats import elf

    ph = crafted.elf64_phdr(1, offset=(1 << 64) - 0x10, vaddr=0x400000, filesz=0x1000)
    img = elf.parse(ByteView(bytes(crafted.elf64_file([ph], size=512))))
    assert img.vaddr_to_offset(0x400000 + 8) == (1 << 64) - 8
    assert img.vaddr_to_offset(0x400000 + 0x20) is None


def test_section_columns_and_debug_names_are_what_the_rows_say():
    """The C-speed shortcuts over the section table (the sh_type column; whether any name is a debug
    section's, from the names joined) answer as a loop over the rows does, on every ELF file the
    tests have: Go's debug/elf samples, the test builds (with and without symbols and DWARF), this
    machine's programs."""
    from linkscope.formats.elf import is_debug_section

    files = list(go_testdata_elves()) + [buildkit.get(n) for n in sorted(buildkit.SPECS)]
    files += [p for p in sorted(Path("/usr/bin").iterdir()) if p.is_file()]
    seen = 0
    for path in files:
        data = Path(path).read_bytes()
        if data[:4] != b"\x7fELF":
            continue
        img = elf.parse(ByteView(data))
        rows = img._section_table[0]
        assert img._section_types == tuple(r[1] for r in rows)
        assert img._has_debug_names == any(is_debug_section(n) for n in img.section_names), path
        seen += img._has_debug_names
    assert seen >= 3
