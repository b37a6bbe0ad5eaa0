"""The linkage verdict says what the kernel will do, and every command gives the same one.

A file with PT_INTERP makes the kernel load that interpreter first, so it is dynamic whatever its
DT_NEEDED says; `check --require static-or-static-pie` must fail it. The ground truth is file(1)
and, above it, the kernel itself: each native executable is started in an empty root (bubblewrap,
nothing but the binary), where only a file that needs no interpreter runs.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

import reference

import buildkit
import linkscope
from linkscope import cli
from linkscope.deps import resolve
from reference import file_elf

# Native x86-64 executables the tests build, each either needing an interpreter or not.
NATIVE_EXECUTABLES = ("go-default", "go-netgo", "go-cgo0", "go-extstatic", "go-pie", "go-pie-internal",
                      "go-pie-cgo0", "go-hello", "gcc-dynamic", "gcc-static", "gcc-static-pie", "gcc-nolibc-pie",
                      "gcc-nolibc-static-pie", "zig-musl-static")
SYSTEM_FILES = ("/lib64/ld-linux-x86-64.so.2", "/sbin/ldconfig", "/bin/ls", "/usr/lib/x86_64-linux-gnu/libc.so.6")


@pytest.mark.parametrize("name", ["go-pie-internal", "go-pie-cgo0", "gcc-nolibc-pie"])
def test_pt_interp_without_needed_is_dynamic_not_static_pie(name):
    path = buildkit.get(name)
    rec = linkscope.inspect(path)
    assert rec.interpreter == "/lib64/ld-linux-x86-64.so.2" and rec.needed == ()
    assert rec.linkage == "dynamic"
    assert file_elf(path)["linkage"] == "dynamic"


@pytest.mark.parametrize("name", NATIVE_EXECUTABLES)
def test_linkage_agrees_with_file(name):
    path = buildkit.get(name)
    assert linkscope.inspect(path).linkage == file_elf(path)["linkage"]


def _bwrap_usable() -> bool:
    if not shutil.which("bwrap"):
        return False
    r = subprocess.run(["bwrap", "--unshare-all", "--new-session", "--ro-bind", "/", "/", "true"],
                       capture_output=True)
    return r.returncode == 0


@reference.needs_tool(shutil.which("bwrap"), "bwrap (bubblewrap)")
@pytest.mark.skipif(not _bwrap_usable(), reason="bubblewrap cannot make a sandbox here")
@pytest.mark.parametrize("name", NATIVE_EXECUTABLES)
def test_static_verdict_means_it_starts_in_an_empty_root(name, tmp_path):
    """Run what the tests built (never an inspected stranger) with nothing beside it: the kernel
    starts a static or static-pie file directly; anything with PT_INTERP fails to start."""
    path = buildkit.get(name)
    r = subprocess.run(["bwrap", "--unshare-all", "--new-session", "--die-with-parent", "--tmpfs", "/",
                        "--ro-bind", str(path), "/prog", "/prog"], capture_output=True, timeout=60)
    started = r.returncode == 0
    assert started == (linkscope.inspect(path).linkage in ("static", "static-pie")), r.stderr


def test_check_require_static_fails_a_pie_with_an_interpreter(capsys):
    path = str(buildkit.get("go-pie-internal"))
    assert cli.main(["check", "--require", "static-or-static-pie", path]) == 1
    out = capsys.readouterr().out
    assert path in out and "dynamic" in out
    assert cli.main(["check", "--require", "static-or-static-pie", str(buildkit.get("gcc-nolibc-static-pie"))]) == 0


def _inputs():
    out = [str(buildkit.get(n)) for n in NATIVE_EXECUTABLES]
    out += [str(buildkit.get(n)) for n in ("go-cshared", "go-linux-arm64", "zig-musl-dynamic", "zig-glibc-2.28")]
    return out + [p for p in SYSTEM_FILES if os.path.exists(p)]


def test_deps_gives_the_linkage_inspect_gives():
    for p in _inputs():
        assert resolve(p).linkage == linkscope.inspect(p).linkage, p


def test_deps_says_ldds_words_and_the_verdict_for_the_loader_itself(capsys):
    """ldd calls ld.so "statically linked"; it is a shared object with PT_DYNAMIC and no DF_1_PIE,
    which file(1) calls dynamically linked. deps keeps ldd's wording as a note beside the verdict."""
    ldso = "/lib64/ld-linux-x86-64.so.2"
    if not os.path.exists(ldso):
        pytest.skip("no x86-64 glibc loader")
    ldd = reference.ldd_run(ldso).stdout
    assert "statically linked" in ldd
    assert file_elf(os.path.realpath(ldso))["linkage"] == "dynamic"
    assert cli.main(["deps", "--json", ldso]) == 0
    doc = json.loads(capsys.readouterr().out)["results"][0]
    assert (doc["linkage"], doc["note"]) == ("dynamic", "statically linked")
    assert cli.main(["deps", ldso]) == 0
    assert capsys.readouterr().out.splitlines() == ["\tstatically linked (ldd's wording; linkage: dynamic)"]


def test_deps_pie_with_interpreter_only_lists_the_interpreter_and_ldds_note(capsys):
    path = str(buildkit.get("go-pie-internal"))
    ldd = reference.ldd_run(path).stdout
    assert "statically linked" in ldd
    assert cli.main(["deps", "--json", path]) == 0
    doc = json.loads(capsys.readouterr().out)["results"][0]
    assert doc["linkage"] == "dynamic" and doc["note"] == "statically linked"
    assert [l["via"] for l in doc["libraries"]] == ["interpreter"]
