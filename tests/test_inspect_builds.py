"""Whole-record expectations over real binaries built by the tests (tests/buildkit.py)."""
from __future__ import annotations

import pytest

import buildkit
import linkscope

GLIBC_INTERP = "/lib64/ld-linux-x86-64.so.2"
# Go on darwin always links libSystem, and libresolv for the runtime's resolver (no cgo needed).
GO_DARWIN_DYLIBS = ("/usr/lib/libSystem.B.dylib", "/usr/lib/libresolv.9.dylib")
_ELF = dict(format="elf", rpath=(), runpath=(), soname=None)
_GO_STATIC = dict(_ELF, os="linux", type="executable", linkage="static", interpreter=None, needed=(),
                  stripped=False, debug_info=True, go=True)


def cross(arch, bits, endian="little"):
    return dict(_GO_STATIC, arch=arch, bits=bits, endian=endian)


# name -> the fields of the record that the build determines (build IDs: present or not).
EXPECT = {
    "go-default": dict(_ELF, arch="amd64", bits=64, endian="little", os="linux", type="executable",
                       linkage="dynamic", interpreter=GLIBC_INTERP, needed=("libc.so.6",), stripped=False,
                       debug_info=True, go=True, gnu=True),
    "go-netgo": dict(cross("amd64", 64), gnu=True),
    "go-cgo0": dict(cross("amd64", 64), gnu=True),
    "go-extstatic": dict(cross("amd64", 64), gnu=True),
    "go-sw": dict(_ELF, arch="amd64", bits=64, endian="little", os="linux", type="executable", linkage="dynamic",
                  interpreter=GLIBC_INTERP, needed=("libc.so.6",), stripped=True, debug_info=False, go=True, gnu=True),
    "go-pie": dict(_ELF, arch="amd64", bits=64, endian="little", os="linux", type="pie-executable",
                   linkage="dynamic", interpreter=GLIBC_INTERP, needed=("libc.so.6",), stripped=False,
                   debug_info=True, go=True, gnu=True),
    "go-cshared": dict(_ELF, arch="amd64", bits=64, endian="little", os="linux", type="shared-library",
                       linkage="dynamic", interpreter=None, needed=("libc.so.6",), stripped=False,
                       debug_info=True, go=True, gnu=True),
    "go-hello": dict(cross("amd64", 64), gnu=True),
    "go-behave": dict(cross("amd64", 64), gnu=True),   # pure Go, as go-hello
    # PT_INTERP with nothing needed is dynamic (file: "dynamically linked, interpreter ..."), not static-pie.
    "go-pie-internal": dict(_ELF, arch="amd64", bits=64, endian="little", os="linux", type="pie-executable",
                            linkage="dynamic", interpreter=GLIBC_INTERP, needed=(), stripped=False,
                            debug_info=True, go=True, gnu=True),
    "go-pie-cgo0": dict(_ELF, arch="amd64", bits=64, endian="little", os="linux", type="pie-executable",
                        linkage="dynamic", interpreter=GLIBC_INTERP, needed=(), stripped=False,
                        debug_info=True, go=True, gnu=True),
    "go-linux-arm64": cross("arm64", 64),
    # file: "pie executable, ARM aarch64, dynamically linked, interpreter /lib/ld-linux-aarch64.so.1";
    # readelf -d: FLAGS_1 PIE and no NEEDED; readelf -n: a GNU build ID
    "go-linux-arm64-pie": dict(_ELF, arch="arm64", bits=64, endian="little", os="linux", type="pie-executable",
                               linkage="dynamic", interpreter="/lib/ld-linux-aarch64.so.1", needed=(),
                               stripped=False, debug_info=True, go=True, gnu=True),
    "go-linux-386": cross("386", 32),
    "go-linux-arm": cross("arm", 32),
    "go-linux-riscv64": cross("riscv64", 64),
    "go-linux-s390x": cross("s390x", 64, "big"),
    "go-linux-ppc64le": cross("ppc64le", 64),
    "go-linux-ppc64": cross("ppc64", 64, "big"),
    "go-linux-mips": cross("mips", 32, "big"),
    "go-linux-mips64le": cross("mips64le", 64),
    "go-linux-loong64": cross("loong64", 64),
    "go-windows-amd64": dict(format="pe", arch="amd64", bits=64, endian="little", os="windows", type="executable",
                             linkage="dynamic", interpreter=None, go=True, gnu=False),
    "go-windows-386": dict(format="pe", arch="386", bits=32, endian="little", os="windows", type="executable",
                           linkage="dynamic", interpreter=None, go=True, gnu=False),
    "go-darwin-amd64": dict(format="macho", arch="amd64", bits=64, endian="little", os="darwin",
                            linkage="dynamic", interpreter="/usr/lib/dyld", needed=GO_DARWIN_DYLIBS,
                            go=True, gnu=False),
    "go-darwin-arm64": dict(format="macho", arch="arm64", bits=64, endian="little", os="darwin",
                            linkage="dynamic", interpreter="/usr/lib/dyld", needed=GO_DARWIN_DYLIBS,
                            go=True, gnu=False),
    "go-js-wasm": dict(format="wasm", arch="wasm", bits=32, endian="little", os="js", go=True),
    "go-wasip1-wasm": dict(format="wasm", arch="wasm", bits=32, endian="little", os="wasip1", go=True,
                           needed=("wasi_snapshot_preview1",)),
    "gcc-dynamic": dict(_ELF, arch="amd64", bits=64, endian="little", os="linux", type="pie-executable",
                        linkage="dynamic", interpreter=GLIBC_INTERP, needed=("libc.so.6",), stripped=False,
                        debug_info=False, go=False, gnu=True),
    "gcc-static": dict(_ELF, arch="amd64", bits=64, endian="little", os="linux", type="executable",
                       linkage="static", interpreter=None, needed=(), stripped=False, debug_info=False, go=False,
                       gnu=True),
    "gcc-static-pie": dict(_ELF, arch="amd64", bits=64, endian="little", os="linux", type="pie-executable",
                           linkage="static-pie", interpreter=None, needed=(), stripped=False, debug_info=False,
                           go=False, gnu=True),
    "gcc-nolibc-pie": dict(_ELF, arch="amd64", bits=64, endian="little", os="linux", type="pie-executable",
                           linkage="dynamic", interpreter=GLIBC_INTERP, needed=(), stripped=False, debug_info=False,
                           go=False, gnu=True),
    "gcc-nolibc-static-pie": dict(_ELF, arch="amd64", bits=64, endian="little", os="linux", type="pie-executable",
                                  linkage="static-pie", interpreter=None, needed=(), stripped=False,
                                  debug_info=False, go=False, gnu=True),
    "zig-musl-static": dict(_ELF, arch="amd64", bits=64, endian="little", os="linux", type="executable",
                            linkage="static", interpreter=None, needed=(), stripped=False, debug_info=True,
                            go=False),
    "zig-musl-dynamic": dict(_ELF, arch="arm64", bits=64, endian="little", os="linux", type="executable",
                             linkage="dynamic", interpreter="/lib/ld-musl-aarch64.so.1", needed=("libc.so",),
                             stripped=False, debug_info=True, go=False),
    "zig-glibc-2.28": dict(_ELF, arch="arm64", bits=64, endian="little", os="linux", type="executable",
                           linkage="dynamic", interpreter="/lib/ld-linux-aarch64.so.1",
                           needed=("libc.so.6", "libpthread.so.0"), stripped=False, debug_info=True, go=False),
    "zig-macos": dict(format="macho", arch="arm64", bits=64, endian="little", os="darwin", linkage="dynamic",
                      interpreter="/usr/lib/dyld", needed=("/usr/lib/libSystem.B.dylib",), go=False),
    "zig-windows": dict(format="pe", arch="amd64", bits=64, endian="little", os="windows", type="executable",
                        linkage="dynamic", go=False),
    "zig-windows-dll": dict(format="pe", arch="amd64", bits=64, endian="little", os="windows",
                            type="shared-library", linkage="dynamic", go=False),
}


def observed(rec, keys):
    out = {}
    for k in keys:
        if k == "go":
            out[k] = rec.go is not None and rec.go_build_id is not None
        elif k == "gnu":
            out[k] = rec.gnu_build_id is not None
        else:
            out[k] = getattr(rec, k)
    return out


def test_every_build_has_an_expectation():
    assert set(EXPECT) == set(buildkit.SPECS)


@pytest.mark.parametrize("name", sorted(EXPECT))
def test_build_record(name):
    path = buildkit.get(name)
    rec = linkscope.inspect(path)
    assert rec.error is None, rec.error
    assert observed(rec, EXPECT[name]) == EXPECT[name]
    assert rec.size == path.stat().st_size
    assert rec.setuid is False and rec.setgid is False
    if rec.go is not None:
        spec = buildkit.SPECS[name]
        assert rec.go.setting("GOOS") == spec.goos
        assert rec.go.setting("GOARCH") == spec.goarch
        assert rec.go.path == f"example.com/{spec.program}"
