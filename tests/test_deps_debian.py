"""``--root`` over Debian roots unpacked from real .deb files (deps_fixtures/debroot.py): an arm64
root resolved from this x86-64 host, its usr-merged variants, a zig-built aarch64 binary placed in it,
and an amd64 root with a cache written by glibc's own ldconfig.

Oracles, where this machine has them: the root's own loader run with ``--list`` (ld.so's ldd mode)
under qemu-aarch64 for arm64, under chroot for amd64. Skipped only when apt is absent: CI has apt
and network to Debian's mirrors.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import reference

import linkscope

from deps_fixtures import debroot, treebuild
from deps_fixtures.rooted import resolve_in_root

pytestmark = reference.needs_tool(debroot.available(), "apt-get and dpkg-deb")

ARM_INTERP = "/lib/ld-linux-aarch64.so.1"
AMD_INTERP = "/lib64/ld-linux-x86-64.so.2"
SCHEMA = Path(linkscope.__file__).parent / "schema" / "deps.schema.json"


@pytest.fixture(scope="module")
def arm64_root() -> Path:
    return debroot.root("arm64")


@pytest.fixture(scope="module")
def amd64_root() -> Path:
    return debroot.root("amd64")


PZSTD_ARM64 = [
    ("libstdc++.so.6", "/usr/lib/aarch64-linux-gnu/libstdc++.so.6", "ld.so.conf"),
    ("libgcc_s.so.1", "/lib/aarch64-linux-gnu/libgcc_s.so.1", "ld.so.conf"),
    ("libc.so.6", "/lib/aarch64-linux-gnu/libc.so.6", "ld.so.conf"),
    (ARM_INTERP, ARM_INTERP, "interpreter"),          # pzstd names ld-linux-aarch64.so.1 itself: its place
    ("libm.so.6", "/lib/aarch64-linux-gnu/libm.so.6", "ld.so.conf"),
]
ZSTD_ARM64 = [
    ("libz.so.1", "/lib/aarch64-linux-gnu/libz.so.1", "ld.so.conf"),
    ("liblzma.so.5", "/lib/aarch64-linux-gnu/liblzma.so.5", "ld.so.conf"),
    ("liblz4.so.1", "/usr/lib/aarch64-linux-gnu/liblz4.so.1", "ld.so.conf"),
    ("libc.so.6", "/lib/aarch64-linux-gnu/libc.so.6", "ld.so.conf"),
    (ARM_INTERP, ARM_INTERP, "interpreter"),
]


def test_arm64_root_from_an_x86_64_host(arm64_root):
    """No ld.so.cache in an unpacked root: ld.so.conf's directories, then the multiarch defaults."""
    got, r = resolve_in_root(arm64_root, "/usr/bin/pzstd")
    assert got == PZSTD_ARM64
    assert r.rules == "glibc" and r.interpreter.path == ARM_INTERP
    assert r.libraries[3].realpath == "/lib/aarch64-linux-gnu/ld-linux-aarch64.so.1"
    got, _ = resolve_in_root(arm64_root, "/usr/bin/zstd")
    assert got == ZSTD_ARM64
    oracle = reference.loader_list_qemu(arm64_root, "/usr/bin/pzstd", ARM_INTERP)
    if oracle is not None:
        assert oracle == [(n, p) for n, p, _v in PZSTD_ARM64]


def test_cli_json_over_the_arm64_root(arm64_root):
    p = subprocess.run([sys.executable, "-m", "linkscope", "deps", "--json", "--root", str(arm64_root),
                        "/usr/bin/zstd", str(arm64_root / "usr/bin/pzstd")], capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    doc = json.loads(p.stdout)
    jsonschema = reference.import_tool("jsonschema")
    jsonschema.validate(doc, json.loads(SCHEMA.read_text()))
    a, b = doc["results"]
    assert [(l["name"], l["path"], l["via"]) for l in a["libraries"]] == [list(t) for t in ZSTD_ARM64] or \
        [(l["name"], l["path"], l["via"]) for l in a["libraries"]] == ZSTD_ARM64
    assert a["interpreter"] == {"name": ARM_INTERP, "path": ARM_INTERP}
    assert [l["name"] for l in b["libraries"]] == [n for n, _p, _v in PZSTD_ARM64]
    assert b["path"] == str(arm64_root / "usr/bin/pzstd") and b["missing"] == []


@pytest.mark.parametrize("link", ["usr/lib", "/usr/lib"], ids=["relative", "absolute"])
def test_usr_merged_root(arm64_root, tmp_path, link):
    """/lib a symlink to usr/lib (relative) or /usr/lib (absolute: taken inside the root)."""
    root = debroot.copy(arm64_root, tmp_path / "root")
    for entry in os.listdir(root / "lib"):
        src, dst = root / "lib" / entry, root / "usr/lib" / entry
        if src.is_dir() and not src.is_symlink() and dst.is_dir():
            for f in os.listdir(src):
                os.replace(src / f, dst / f)
            os.rmdir(src)
        elif not dst.exists() and not dst.is_symlink():
            os.replace(src, dst)
        else:
            os.unlink(src)
    os.rmdir(root / "lib")
    os.symlink(link, root / "lib")
    # Merged, /lib/aarch64-linux-gnu (first in ld.so.conf) holds every library.
    want = [(n, p.replace("/usr/lib/", "/lib/") if p else p, v) for n, p, v in PZSTD_ARM64]
    got, r = resolve_in_root(root, "/usr/bin/pzstd")
    assert got == want
    assert r.libraries[2].realpath == "/usr/lib/aarch64-linux-gnu/libc.so.6"
    assert r.libraries[3].realpath == "/usr/lib/aarch64-linux-gnu/ld-linux-aarch64.so.1"
    if link == "usr/lib":
        oracle = reference.loader_list_qemu(root, "/usr/bin/pzstd", ARM_INTERP)
        if oracle is not None:
            assert oracle == [(n, p) for n, p, _v in want]


def test_zig_built_aarch64_binary_in_the_root(arm64_root, tmp_path):
    if shutil.which("python-zig") is None:
        reference.import_tool("ziglang", "zig (the ziglang wheel)")
    root = debroot.copy(arm64_root, tmp_path / "root")
    treebuild.elf(root / "opt/app/lib/libcustom.so", soname="libcustom.so", target="aarch64-linux-gnu",
                  source="int custom(void) { return 42; }\n", libc=True)
    treebuild.elf(root / "opt/app/bin/app", exe=True, needed=("libcustom.so",), runpath="$ORIGIN/../lib",
                  target="aarch64-linux-gnu", source='#include <stdio.h>\nint main(void) { puts("app"); return 0; }\n',
                  libc=True)
    got, r = resolve_in_root(root, "/opt/app/bin/app")
    want = [("libcustom.so", "/opt/app/bin/../lib/libcustom.so", "runpath"),
            ("libc.so.6", "/lib/aarch64-linux-gnu/libc.so.6", "ld.so.conf"),
            (ARM_INTERP, ARM_INTERP, "interpreter")]
    assert got == want
    assert r.libc == "glibc"
    oracle = reference.loader_list_qemu(root, "/opt/app/bin/app", ARM_INTERP)
    if oracle is not None:
        assert oracle == [(n, p) for n, p, _v in want]


def test_amd64_root_with_the_cache_ldconfig_writes(amd64_root, arm64_root, tmp_path):
    root = debroot.copy(amd64_root, tmp_path / "root")
    if not reference.ldconfig_root(root):
        pytest.skip("cannot run ldconfig -r here (needs root or user namespaces)")
    got, r = resolve_in_root(root, "/usr/bin/pzstd")
    want = [("libstdc++.so.6", "/usr/lib/x86_64-linux-gnu/libstdc++.so.6", "ld.so.cache"),
            ("libgcc_s.so.1", "/lib/x86_64-linux-gnu/libgcc_s.so.1", "ld.so.cache"),
            ("libc.so.6", "/lib/x86_64-linux-gnu/libc.so.6", "ld.so.cache"),
            ("libm.so.6", "/lib/x86_64-linux-gnu/libm.so.6", "ld.so.cache"),
            (AMD_INTERP, AMD_INTERP, "interpreter")]
    assert got == want
    oracle = reference.loader_list_chroot(root, "/usr/bin/pzstd", AMD_INTERP)
    if oracle is not None:
        assert oracle == [(n, p) for n, p, _v in want]
    # An x86-64 ldconfig writes no entries for arm64 libraries: the arm64 loader would find none in
    # that cache and fall back to its default directories.
    aroot = debroot.copy(arm64_root, tmp_path / "aroot")
    assert reference.ldconfig_root(aroot)
    got, _ = resolve_in_root(aroot, "/usr/bin/zstd")
    assert got == [(n, p, "default" if v == "ld.so.conf" else v) for n, p, v in ZSTD_ARM64]


# -- oracles ------------------------------------------------------------------------------------------
