"""Linker, portability, LD_PRELOAD exposure and the finding contract, over the builds of
tests/buildkit.py; and analyze() never failing on damaged files."""
from __future__ import annotations

import os
import re
import shutil
import struct

import pytest

import reference
from mutate import mutants

import buildkit
from linkscope import analysis
from linkscope.analysis import preload
from linkscope.go.version import linux_kernel_floor
from linkscope.inspector import inspect, open_image

GLIBC_NEED = r"Needs glibc >= 2\.\d+ \(Debian \d+\+, Ubuntu [\d.]+\+, RHEL \d+\+.*\), linux/amd64\."

# build -> (linker, preload finding or None, portability sentence: exact text or a regex)
EXPECT = {
    "go-default": ("go-internal", "preload.exposed", re.compile(GLIBC_NEED)),
    "go-netgo": ("go-internal", "preload.immune", "Static, no libc, runs on any linux/amd64 kernel >= 3.2."),
    "go-cgo0": ("go-internal", "preload.immune", "Static, no libc, runs on any linux/amd64 kernel >= 3.2."),
    "go-extstatic": ("gcc", "preload.immune", re.compile(r"Static \(glibc inside\), runs on any linux/amd64 kernel "
                                                         r">= 3\.2; name-service lookups need .*")),
    "go-sw": ("go-internal", "preload.exposed", re.compile(GLIBC_NEED)),
    "go-pie": ("go-internal", "preload.exposed", re.compile(GLIBC_NEED)),
    "go-cshared": ("gcc", None, re.compile(GLIBC_NEED)),
    "go-hello": ("go-internal", "preload.immune", "Static, no libc, runs on any linux/amd64 kernel >= 3.2."),
    "go-linux-arm64": ("go-internal", "preload.immune", "Static, no libc, runs on any linux/arm64 kernel >= 3.2."),
    "go-linux-386": ("go-internal", "preload.immune", "Static, no libc, runs on any linux/386 kernel >= 3.2."),
    "go-linux-mips64le": ("go-internal", "preload.immune", "Static, no libc, runs on any linux/mips64le kernel >= 4.8."),
    "go-linux-loong64": ("go-internal", "preload.immune", "Static, no libc, runs on any linux/loong64 kernel >= 5.19."),
    "go-windows-amd64": ("go-internal", None, "Runs on Windows 10 / Server 2016 or later (windows/amd64)."),
    "go-darwin-arm64": ("go-internal", None, re.compile(r"Runs on macOS >= \d+\.\d+ \(darwin/arm64\)\.")),
    "go-js-wasm": (None, None, "WebAssembly module for js."),
    "gcc-dynamic": ("gcc", "preload.exposed", re.compile(GLIBC_NEED)),
    "gcc-static": ("gcc", "preload.immune", re.compile(r"Static \(glibc inside\), runs on any linux/amd64 kernel >= 3\.2\.0;.*")),
    "zig-musl-static": ("zig", "preload.immune", "Static (musl inside), runs on any linux/amd64 kernel."),
    "zig-musl-dynamic": ("zig", "preload.exposed", "Needs musl libc (Alpine), linux/arm64."),
    "zig-glibc-2.28": ("zig", "preload.exposed", re.compile(r"Needs glibc >= 2\.28 \(Debian 10\+, .*\), linux/arm64\.")),
    "zig-macos": ("zig", None, re.compile(r"Runs on macOS >= \d+\.\d+ \(darwin/arm64\)\.")),
    "zig-windows": ("lld", None, re.compile(r"Runs on Windows NT \d+\.\d+ or later \(windows/amd64\)\.")),
}


@pytest.mark.parametrize("name", sorted(EXPECT))
def test_linker_preload_portability(name):
    rec = inspect(buildkit.get(name))
    linker, pre, port = EXPECT[name]
    assert rec.linker == linker
    ids = [f.id for f in rec.findings]
    assert [i for i in ids if i.startswith("preload.")] == ([pre] if pre else [])
    text = next(f.title for f in rec.findings if f.id == "portability")
    assert (port.fullmatch(text) if isinstance(port, re.Pattern) else text == port), text
    if linker:
        lf = next(f for f in rec.findings if f.id == "linker")
        assert lf.evidence and lf.severity == "info"


def test_go_dynamic_preload_names_only_cgo_calls():
    path = buildkit.get("go-default")
    f = next(f for f in inspect(path).findings if f.id == "preload.exposed")
    assert "only the C library calls made through cgo" in f.title
    # The functions it names, and how many more, are the file's undefined dynamic symbols (readelf).
    out = reference.readelf(path, "--dyn-syms")
    und = {ln.split()[7].split("@")[0] for ln in out.splitlines() if re.match(r"\s*[1-9]\d*:", ln)
           and ln.split()[6] == "UND"}
    m = re.search(r"can be interposed \((.*) \(\+(\d+) more\)\)", f.title)
    named = m.group(1).split(", ")
    assert set(named) <= und and len(named) + int(m.group(2)) == len(und), (named, sorted(und))
    assert "getaddrinfo" in und


@pytest.mark.parametrize("name", sorted(buildkit.SPECS))
def test_finding_contract(name):
    rec = inspect(buildkit.get(name))
    assert rec.findings, name
    for f in rec.findings:
        assert re.fullmatch(r"[a-z0-9][a-z0-9.-]*", f.id)
        assert f.severity in ("info", "warning", "error")
        assert f.title[:1].isupper() or f.title[:1].isdigit() or f.title.startswith("cgo "), f.title
        assert f.title.endswith("."), f.title
        assert isinstance(f.evidence, tuple) and all(isinstance(e, str) and e for e in f.evidence)
        assert f.fix is None or isinstance(f.fix, str) and f.fix
    assert len({f.id for f in rec.findings if not f.id.startswith("hardening.")}) == \
        len([f for f in rec.findings if not f.id.startswith("hardening.")])


def test_setuid_puts_the_loader_in_secure_execution_mode(tmp_path):
    p = tmp_path / "prog"
    shutil.copy(buildkit.get("gcc-dynamic"), p)
    os.chmod(p, 0o4755)
    rec = inspect(p)
    assert rec.setuid
    f = next(f for f in rec.findings if f.id == "preload.secure-exec")
    assert "LD_LIBRARY_PATH" in f.title and "set-user-ID bit" in f.evidence
    plain = inspect(buildkit.get("gcc-dynamic"))
    assert not any(f.id == "preload.secure-exec" for f in plain.findings)


def test_file_capabilities(tmp_path):
    p = tmp_path / "prog"
    shutil.copy(buildkit.get("gcc-dynamic"), p)
    # vfs_cap_data revision 2, effective, permitted: cap_net_bind_service (10) and cap_net_raw (13)
    raw = struct.pack("<IIIII", 0x02000001, (1 << 10) | (1 << 13), 0, 0, 0)
    assert preload.parse_capabilities(raw) == ("cap_net_bind_service", "cap_net_raw (effective)")
    try:
        os.setxattr(p, "security.capability", raw)
    except OSError as e:
        pytest.skip(f"cannot set security.capability here: {e}")
    rec = inspect(p)
    f = next(f for f in rec.findings if f.id == "preload.secure-exec")
    assert any("cap_net_raw" in e for e in f.evidence)


def test_capabilities_given_at_the_edge():
    path = str(buildkit.get("gcc-dynamic"))
    raw = struct.pack("<III", 0x01000000, 1 << 21, 0)            # revision 1: cap_sys_admin
    rec = inspect(path)
    with open_image(path) as (img, _):
        out = analysis.analyze(img, rec, capabilities=lambda: raw)
    f = next(f for f in out["findings"] if f.id == "preload.secure-exec")
    assert f.evidence == ("file capabilities cap_sys_admin (security.capability)",)


@pytest.mark.parametrize("raw", [b"", b"\x00\x00\x00\x02", b"\x01\x00\x00\x09" + bytes(20)])
def test_bad_capability_values(raw):
    assert preload.parse_capabilities(raw) == ()


@pytest.mark.parametrize("version,arch,kernel", [
    ("go1.27.3", "amd64", "3.2"), ("go1.24", "arm64", "3.2"), ("go1.23.4", "amd64", "2.6.32"),
    ("go1.23.4", "arm", "3.1"), ("go1.18", "amd64", "2.6.23"), ("go1.27.3", "loong64", "5.19"),
    ("go1.22.0", "mips64le", "4.8"), ("devel +abc", "amd64", None),
])
def test_go_linux_kernel_floor(version, arch, kernel):
    assert linux_kernel_floor(version, arch) == kernel


def _mutants(path: str, n: int, seed: int):
    """Bytes set, four in five within the first 256 bytes of a section with contents, else in the
    ELF header."""
    with open_image(path) as (img, _):
        hot = [(s.offset, s.size) for s in img.elf_sections if s.size and s.type != 8][:40]
    with open(path, "rb") as f:
        data = f.read()
    return mutants(data, n, seed, edits=(1, 12), regions=[(off, off + min(size, 256)) for off, size in hot],
                   focus=0.8, rest=[(0, 256)])


@pytest.mark.parametrize("name", ["go-sw", "go-extstatic", "gcc-dynamic"])
def test_analyze_never_fails_on_damaged_files(name, tmp_path):
    path = str(buildkit.get(name))
    p = tmp_path / "mutant"
    for data in _mutants(path, 40, seed=len(name)):
        p.write_bytes(data)
        rec = inspect(p)                       # never raises; damaged parts leave defaults
        assert rec.path == str(p)
        reference.check_record(rec, len(data))
        if rec.error is None:
            assert sum(n for _, n in rec.size_breakdown) in (0, rec.size)
        for f in rec.findings:                 # every finding well-formed, each id once
            assert isinstance(f.id, str) and f.id and f.severity in ("info", "warning", "error") and f.title, f
            assert all(isinstance(e, str) for e in f.evidence) and (f.fix is None or isinstance(f.fix, str) and f.fix), f
        assert len({f.id for f in rec.findings}) == len(rec.findings), [f.id for f in rec.findings]
        assert all(isinstance(k, str) and isinstance(v, str) and v for k, v in rec.hardening), rec.hardening


@pytest.mark.parametrize("text,key", [
    ("go1.22.3", (False, 1, 22, 3, "", -1)), ("1.22", (False, 1, 22, -1, "", -1)),
    ("go1.20", (False, 1, 20, 0, "", -1)), ("go1.23rc1", (False, 1, 23, -1, "rc", 1)),
    ("go1.21.0-bigcorp", (False, 1, 21, 0, "", -1)), ("go1.22.0 X:boringcrypto", (False, 1, 22, 0, "", -1)),
    ("devel go1.24-abc123 Tue", (True, 0, 0, -1, "", -1)), ("go1", (False, 1, 0, 0, "", -1)),
    ("go1.2x3", (False, 1, 2, -1, "x", 3)), ("go1.01", None), ("go", None), ("banana", None), ("go1.22.", None),
])
def test_one_go_version_parser(text, key):
    """linkscope.go.version.parse orders as Go does; the policy's versions and portability's
    release are built on it."""
    from linkscope.go import version
    from linkscope.policy import parse_go_version

    assert version.parse(text) == key
    if key is not None:
        g = parse_go_version(text)
        assert (g.devel, g.major, g.minor, g.patch, g.kind, g.pre, g.text) == (*key, text)
    if key is not None and not key[0] and text.startswith("go"):
        assert version.release(text) == (key[1], key[2])
