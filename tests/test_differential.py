"""Every field that file(1), readelf or `go version -m` also reports agrees with them.

Over the binaries the tests build, the Go toolchain's sample ELF files, and (integration) every
ELF under /usr/bin and /usr/lib. Tolerated differences: reference.TOLERATED, nowhere else.
"""
from __future__ import annotations

import gzip
from pathlib import Path

import pytest

import buildkit
import linkscope
import reference
from samples import go_testdata_elves, system_elves
from linkscope.go.modinfo import format_go_version_m

ELF_BUILDS = sorted(n for n, s in buildkit.SPECS.items() if s.goos == "linux" and s.tool == "go" or s.tool == "gcc"
                    or n.startswith("zig-musl") or n == "zig-glibc-2.28")
GO_BUILDS = sorted(n for n, s in buildkit.SPECS.items() if s.tool == "go" and s.goarch != "wasm")


def assert_agrees_with_file(path: Path, rec) -> None:
    ref = reference.file_elf(path)
    assert "bits" in ref, ref["raw"]
    if ref.get("linkage") == "static-pie" and rec.type == "shared-library" and not rec.needed:
        ref["linkage"] = "dynamic"  # TOLERATED["file:static-pie-library"]
    for key in ("bits", "endian", "type", "linkage", "interpreter", "gnu_build_id", "stripped"):
        if key in ref:
            assert getattr(rec, key) == ref[key], (key, ref["raw"])
    if ref.get("debug_info"):
        assert rec.debug_info, ref["raw"]
    if "go_build_id" in ref:  # see TOLERATED["file:go_build_id"]: only a printed value is compared
        assert rec.go_build_id == ref["go_build_id"]
    for absent in ("interpreter", "gnu_build_id"):
        if absent not in ref:
            assert getattr(rec, absent) is None, (absent, ref["raw"])


def assert_agrees_with_readelf(path: Path, rec) -> None:
    dyn = reference.readelf_dynamic(path)
    assert list(rec.needed) == dyn["needed"]
    assert list(rec.rpath) == dyn["rpath"]
    assert list(rec.runpath) == dyn["runpath"]
    assert rec.soname == dyn["soname"]
    interp = reference.readelf_interp(path)
    if rec.interpreter == "" and interp is None:
        interp = ""  # TOLERATED["readelf:empty-interp"]
    assert rec.interpreter == interp
    notes = reference.readelf_notes(path)
    assert rec.gnu_build_id == notes.get("gnu_build_id")


@pytest.mark.parametrize("name", ELF_BUILDS)
def test_builds_agree_with_file_and_readelf(name):
    path = buildkit.get(name)
    rec = linkscope.inspect(path)
    assert rec.error is None
    assert_agrees_with_file(path, rec)
    assert_agrees_with_readelf(path, rec)


@pytest.mark.parametrize("name", GO_BUILDS)
def test_builds_agree_with_go_version_m(name):
    path = buildkit.get(name)
    rec = linkscope.inspect(path)
    assert rec.go is not None
    assert format_go_version_m(str(path), rec.go) == reference.go_version_m(path)


@pytest.mark.parametrize("path", go_testdata_elves(), ids=lambda p: p.name)
def test_go_testdata_elf_agrees(path):
    rec = linkscope.inspect(path)
    assert rec.error is None, rec.error
    assert_agrees_with_file(path, rec)
    assert_agrees_with_readelf(path, rec)


def test_go_testdata_core_file(tmp_path):
    core = tmp_path / "hello-world-core"
    core.write_bytes(gzip.decompress((buildkit.go_root() / "src/debug/elf/testdata/hello-world-core.gz").read_bytes()))
    rec = linkscope.inspect(core)
    assert (rec.format, rec.type, rec.linkage, rec.arch) == ("elf", "core", None, "amd64")
    assert_agrees_with_file(core, rec)


def _check_system(paths):
    bad = []
    for p in paths:
        rec = linkscope.inspect(p)
        try:
            assert rec.error is None, rec.error
            assert_agrees_with_file(p, rec)
            assert_agrees_with_readelf(p, rec)
        except AssertionError as e:
            bad.append(f"{p}: {e}")
    assert not bad, "\n".join(bad[:20])


def test_system_sample_agrees():
    _check_system(system_elves(60))


@pytest.mark.integration
def test_all_system_elves_agree():
    _check_system(system_elves(None))
