"""Real binaries for the tests, built with the real toolchains and cached between runs.

Every fixture binary is made here from the sources under tests/programs by the command its
spec spells out; nothing prebuilt is committed. The cache key covers the sources, the command
and the toolchain version, so a change to any of them rebuilds. Cache root: $LINKSCOPE_TEST_CACHE,
else <repo>/.cache/test-builds.
"""
from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PROGRAMS = REPO / "tests" / "programs"
CACHE = Path(os.environ.get("LINKSCOPE_TEST_CACHE", REPO / ".cache" / "test-builds"))
# In a spec's environment: the directory of the program's copy that the build runs in (see _build).
PROGRAM_COPY = "$PROGRAM_COPY"


@dataclass(frozen=True)
class Spec:
    """One binary: ``tool`` is go, gcc, g++ or zig; ``args`` the build arguments after the tool's verb."""

    name: str
    tool: str
    program: str
    args: tuple[str, ...] = ()
    env: tuple[tuple[str, str], ...] = ()
    out: str = "prog"
    sources: tuple[str, ...] = ("hello.c",)  # for C builds
    # The directory under the program's to build in (a Go main package beside the modules it replaces).
    # Left out of repr, and so of the cache key of every spec that does not set it.
    subdir: str = field(default="", repr=False)

    @property
    def goos(self) -> str:
        return dict(self.env).get("GOOS", "linux")

    @property
    def goarch(self) -> str:
        return dict(self.env).get("GOARCH", "amd64")


def build_env(extra: dict[str, str] | None = None, environ: dict[str, str] | None = None) -> dict[str, str]:
    """The environment every build (go, gcc, zig) and go command of the tests runs with: the shared
    caches, no network, no toolchain switching, and no target or C compiler inherited from the caller
    (whose environment is ``environ``, else this process's now)."""
    env = dict(os.environ if environ is None else environ)
    env.update(
        GOCACHE=str(CACHE / "gocache"), GOPATH=str(CACHE / "gopath"), GOFLAGS="-buildvcs=false",
        GOPROXY="off", GOTOOLCHAIN="local", GOTELEMETRY="off", GOWORK="off",
        ZIG_GLOBAL_CACHE_DIR=str(CACHE / "zigcache"), ZIG_LOCAL_CACHE_DIR=str(CACHE / "zigcache"),
    )
    for k in ("GOOS", "GOARCH", "CGO_ENABLED", "CC", "GOARM", "GO386"):
        env.pop(k, None)
    env.update(extra or {})
    return env


@lru_cache(maxsize=None)
def toolchain_version(tool: str) -> str:
    cmd = {"go": ["go", "version"], "gcc": ["gcc", "--version"], "g++": ["g++", "--version"],
           "zig": zig_cmd() + ["version"]}[tool]
    return subprocess.run(cmd, capture_output=True, text=True, check=True, env=build_env({})).stdout.strip()


@lru_cache(maxsize=None)
def zig_cmd() -> list[str]:
    exe = shutil.which("python-zig")
    return [exe] if exe else [sys.executable, "-m", "ziglang"]


def zig_cc(target: str) -> str:
    """A CC for cgo: zig's C compiler for ``target`` (a zig triple), as one command line."""
    return " ".join(zig_cmd() + ["cc", "-target", target])


def _key(spec: Spec) -> str:
    h = hashlib.sha256(repr((spec, toolchain_version(spec.tool), "src=linkscope-test-src")).encode())
    if spec.subdir:
        h.update(b"subdir=" + spec.subdir.encode())
    for p in sorted((PROGRAMS / spec.program).rglob("*")):
        if p.is_file():
            h.update(p.name.encode() + p.read_bytes())
    return h.hexdigest()[:16]


def cached(outdir: Path, name: str, make) -> Path:
    """``outdir/name``, made by ``make(tmp)`` (which writes ``tmp/name``) if the cache does not hold
    it: each target under a lock of its own (a run or thread that wants one being built waits, then
    reuses it; different targets build at once: Go's and zig's caches take concurrent builds), and
    the directory appears whole or not at all."""
    target = outdir / name
    if target.exists():
        return target
    (CACHE / ".locks").mkdir(parents=True, exist_ok=True)
    with open(CACHE / ".locks" / outdir.name, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if target.exists():
            return target
        tmp = outdir.with_suffix(".tmp")
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
        make(tmp)
        os.replace(tmp, outdir) if not outdir.exists() else shutil.rmtree(tmp)
    return target


def build(spec: Spec, *, background: dict[str, str] | None = None) -> Path:
    """The path of the built binary, building it if the cache does not hold it. ``background``: the
    environment of a build made by :func:`prebuild`'s thread (niced, and blind to what a test sets)."""
    key = _key(spec)
    return cached(CACHE / "bin" / f"{spec.name}-{key}", spec.out, lambda tmp: _build(spec, key, tmp, background))


def prebuild(specs) -> Callable[[], None]:
    """Build ``specs`` in a thread while the tests run (a run of the whole suite leaves one of the two
    cores idle through its pure-Python tests), from the environment as it is now, at a lower priority.
    Returns finish(): no build starts after it, and it waits for the one under way. A build that
    fails here is left to the test that needs it, which builds it again and says why."""
    environ = dict(os.environ)
    for tool in ("go", "gcc", "zig"):       # cached before any test can change PATH
        with contextlib.suppress(Exception):
            toolchain_version(tool)
    stop = threading.Event()

    def run():
        for spec in specs:
            if stop.is_set():
                return
            with contextlib.suppress(Exception):
                build(spec, background=environ)

    thread = threading.Thread(target=run, name="linkscope-prebuild", daemon=True)
    thread.start()

    def finish():
        stop.set()
        thread.join()
    return finish


def _build(spec: Spec, key: str, tmp: Path, background: dict[str, str] | None = None) -> None:
    # From a copy at a path that does not depend on where the checkout lies: a build without
    # -trimpath carries its source directory in its read-only data, so the checkout's path would move
    # the section ends (and with them which layouts the size rules meet), and the cache, keyed on the
    # sources' contents, would hold a binary that another checkout does not build.
    # (the process id in fixed width: two runs building the same spec apart, at paths of one length)
    copy = Path(tempfile.gettempdir()) / "linkscope-test-src" / f"{key}-{os.getpid():07d}"
    shutil.rmtree(copy, ignore_errors=True)
    shutil.copytree(PROGRAMS / spec.program, copy / spec.program, symlinks=True)
    try:
        _build_in(spec, copy / spec.program, tmp, background)
    finally:
        shutil.rmtree(copy, ignore_errors=True)


def _build_in(spec: Spec, program: Path, tmp: Path, background: dict[str, str] | None = None) -> None:
    src = program / spec.subdir
    env = {k: v.replace(PROGRAM_COPY, str(program)) for k, v in spec.env}
    if spec.tool == "go":
        cmd = ["go", "build", "-o", str(tmp / spec.out), *spec.args, "."]
    elif spec.tool in ("gcc", "g++"):
        cmd = [spec.tool, *spec.args, "-o", str(tmp / spec.out), *spec.sources]
    else:
        cmd = [*zig_cmd(), "cc", *spec.args, "-o", str(tmp / spec.out), *spec.sources]
    run = ["nice", "-n", "10", *cmd] if background is not None else cmd
    r = subprocess.run(run, cwd=src, env=build_env(env, background), capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError(f"build {spec.name} failed: {' '.join(cmd)}\n{r.stdout}\n{r.stderr}")
    (tmp / "build.log").write_text(" ".join(cmd) + "\n" + r.stdout + r.stderr)


def go(name, program="hello", *args, out="prog", subdir="", **env) -> Spec:
    return Spec(name, "go", program, tuple(args), tuple(sorted(env.items())), out, subdir=subdir)


# The named builds the tests run over: every linking mode and every target the README lists.
EXT_STATIC = "-ldflags=-linkmode external -extldflags -static"
SPECS: dict[str, Spec] = {s.name: s for s in [
    go("go-default", "netapp"),
    go("go-netgo", "netapp", "-tags", "netgo"),
    go("go-cgo0", "netapp", CGO_ENABLED="0"),
    go("go-extstatic", "netapp", EXT_STATIC),
    go("go-sw", "netapp", "-ldflags=-s -w"),
    go("go-pie", "netapp", "-buildmode=pie"),
    go("go-cshared", "hello", "-buildmode=c-shared", out="libhello.so"),
    # PIE with Go's internal linker and no cgo: PT_INTERP and DF_1_PIE, no DT_NEEDED: dynamic, not static-pie.
    go("go-pie-internal", "hello", "-buildmode=pie"),
    go("go-pie-cgo0", "hello", "-buildmode=pie", CGO_ENABLED="0"),
    go("go-hello", "hello"),
    go("go-behave", "behave"),  # "exit N", "sleep S": the verify tests' exit status and timeout
    go("go-linux-arm64", "hello", GOOS="linux", GOARCH="arm64"),
    # PIE with Go's internal linker and cgo off: PT_INTERP /lib/ld-linux-aarch64.so.1, no C toolchain needed.
    go("go-linux-arm64-pie", "hello", "-buildmode=pie", GOOS="linux", GOARCH="arm64", CGO_ENABLED="0"),
    go("go-linux-386", "hello", GOOS="linux", GOARCH="386"),
    go("go-linux-arm", "hello", GOOS="linux", GOARCH="arm", GOARM="7"),
    go("go-linux-riscv64", "hello", GOOS="linux", GOARCH="riscv64"),
    go("go-linux-s390x", "hello", GOOS="linux", GOARCH="s390x"),
    go("go-linux-ppc64le", "hello", GOOS="linux", GOARCH="ppc64le"),
    go("go-linux-ppc64", "hello", GOOS="linux", GOARCH="ppc64"),
    go("go-linux-mips", "hello", GOOS="linux", GOARCH="mips"),
    go("go-linux-mips64le", "hello", GOOS="linux", GOARCH="mips64le"),
    go("go-linux-loong64", "hello", GOOS="linux", GOARCH="loong64"),
    go("go-windows-amd64", "hello", GOOS="windows", GOARCH="amd64", out="prog.exe"),
    go("go-windows-386", "hello", GOOS="windows", GOARCH="386", out="prog.exe"),
    go("go-darwin-amd64", "hello", GOOS="darwin", GOARCH="amd64"),
    go("go-darwin-arm64", "hello", GOOS="darwin", GOARCH="arm64"),
    go("go-js-wasm", "hello", GOOS="js", GOARCH="wasm", out="prog.wasm"),
    go("go-wasip1-wasm", "hello", GOOS="wasip1", GOARCH="wasm", out="prog.wasm"),
    Spec("gcc-dynamic", "gcc", "cprog", ("-O1",)),
    Spec("gcc-static", "gcc", "cprog", ("-O1", "-static")),
    Spec("gcc-static-pie", "gcc", "cprog", ("-O1", "-static-pie")),
    Spec("gcc-nolibc-pie", "gcc", "nolibc", ("-O1", "-nostdlib", "-fPIE", "-pie"), sources=("start.c",)),
    Spec("gcc-nolibc-static-pie", "gcc", "nolibc", ("-O1", "-nostdlib", "-fPIE", "-static-pie"), sources=("start.c",)),
    Spec("zig-musl-static", "zig", "cprog", ("-target", "x86_64-linux-musl", "-static")),
    Spec("zig-musl-dynamic", "zig", "cprog", ("-target", "aarch64-linux-musl", "-dynamic")),
    Spec("zig-glibc-2.28", "zig", "cprog", ("-target", "aarch64-linux-gnu.2.28",)),
    Spec("zig-macos", "zig", "cprog", ("-target", "aarch64-macos",)),
    Spec("zig-windows", "zig", "cprog", ("-target", "x86_64-windows-gnu",), out="prog.exe"),
    Spec("zig-windows-dll", "zig", "cprog", ("-target", "x86_64-windows-gnu", "-shared"), out="lib.dll",
         sources=("lib.c",)),
]}


# -- patching what the linkers will not write ----------------------------------------------------------
# Read and written with struct alone, never with the code under test; ELF64 little-endian only.
DT_NULL, DT_STRTAB, DT_RPATH, DT_RUNPATH, DT_VERNEED, DT_VERNEEDNUM = 0, 5, 15, 29, 0x6FFFFFFE, 0x6FFFFFFF
VER_FLG_WEAK = 0x2


def _phdrs(data: bytes):
    import struct

    assert data[:4] == b"\x7fELF" and data[4] == 2 and data[5] == 1, "ELF64 LSB only"
    phoff, = struct.unpack_from("<Q", data, 0x20)
    phentsize, phnum = struct.unpack_from("<HH", data, 0x36)
    return [struct.unpack_from("<IIQQQQ", data, phoff + i * phentsize) for i in range(phnum)]


def elf64_dynamic(data: bytes) -> tuple[int, list[tuple[int, int]]]:
    """(file offset of PT_DYNAMIC, [(d_tag, d_val)] of every slot, trailing DT_NULLs included)."""
    import struct

    for p_type, _f, p_offset, _va, _pa, p_filesz in _phdrs(data):
        if p_type == 2:  # PT_DYNAMIC
            return p_offset, [struct.unpack_from("<qQ", data, p_offset + 16 * k) for k in range(p_filesz // 16)]
    raise ValueError("no PT_DYNAMIC")


def elf64_offset(data: bytes, vaddr: int) -> int:
    """The file offset of a virtual address, through the PT_LOAD segments."""
    for p_type, _f, p_offset, p_vaddr, _pa, p_filesz in _phdrs(data):
        if p_type == 1 and p_vaddr <= vaddr < p_vaddr + p_filesz:
            return p_offset + vaddr - p_vaddr
    raise ValueError(f"address {vaddr:#x} is in no PT_LOAD")


def mark_version_need_weak(path: Path, version: str) -> None:
    """Set VER_FLG_WEAK on the version need (Vernaux) named ``version``, in place: what a linker
    writes when only weak references need that version (GNU ld 2.40 writes it plain)."""
    import struct

    data = bytearray(Path(path).read_bytes())
    _off, entries = elf64_dynamic(bytes(data))
    tags = dict(entries)
    strtab = elf64_offset(bytes(data), tags[DT_STRTAB])
    vn = elf64_offset(bytes(data), tags[DT_VERNEED])
    hits = 0
    for _ in range(tags[DT_VERNEEDNUM]):
        _v, cnt, _file, aux, nxt = struct.unpack_from("<HHIII", data, vn)
        a = vn + aux
        for _ in range(cnt):
            _hash, flags, _other, name, anext = struct.unpack_from("<IHHII", data, a)
            if data[strtab + name:data.index(b"\0", strtab + name)].decode() == version:
                struct.pack_into("<H", data, a + 4, flags | VER_FLG_WEAK)
                hits += 1
            a += anext
        vn += nxt
    if hits != 1:
        raise ValueError(f"{path}: {hits} version needs named {version}")
    Path(path).write_bytes(data)


def get(name: str) -> Path:
    return build(SPECS[name])


def have_go() -> bool:
    return shutil.which("go") is not None


@lru_cache(maxsize=None)
def go_env_value(name: str) -> str:
    """`go env NAME` of the toolchain the builds use (GOROOT, GOVERSION)."""
    return subprocess.run(["go", "env", name], capture_output=True, text=True, check=True,
                          env=build_env()).stdout.strip()


def go_root() -> Path:
    return Path(go_env_value("GOROOT"))


# -- the Go module programs of the build-info tests --------------------------------------------------
# tests/programs/gobuild holds a dependency-free program (hello), one whose two dependencies are
# required at a version and replaced by local directories (app, with lib and lib2; no network:
# GOPROXY=off), and a GOPATH-mode program (gopath: a path and build lines, no mod line).
def go_module_program(program: str, *args: str, **env: str) -> Spec:
    """``go build ARGS`` of tests/programs/gobuild/PROGRAM, with ``env`` (GOOS, GOARCH, CGO_ENABLED)."""
    out = "prog.wasm" if env.get("GOARCH") == "wasm" else "prog"
    if program == "gopath":
        return go(f"gobuild-{program}", "gobuild", *args, out=out, subdir="gopath/src/example.com/m",
                  GO111MODULE="off", GOPATH=f"{PROGRAM_COPY}/gopath", **env)
    return go(f"gobuild-{program}", "gobuild", *args, out=out, subdir=program, **env)


class GoModulePrograms:
    """What the ``gob`` fixture hands out: ``build(program, *args, **env)``, a cached real build."""

    def build(self, program: str, *args: str, **env: str) -> Path:
        return build(go_module_program(program, *args, **env))


def path_of(name: str) -> str:
    """The path of the named build (SPECS), as a string for argv."""
    return str(get(name))


@contextlib.contextmanager
def lab_environment():
    """os.environ as linkscope build runs in the tests (in this process): the test cache's Go and zig
    caches (shared with the builds above), no network, no target or C compiler inherited, and
    linkscope's own cache (zig wrappers, Wine prefix, probe libraries, sysroots) under the test cache."""
    import pytest

    with pytest.MonkeyPatch.context() as mp:
        for k, v in build_env({}).items():
            if k.startswith(("GO", "ZIG_")) and os.environ.get(k) != v:
                mp.setenv(k, v)
        for k in ("GOOS", "GOARCH", "CGO_ENABLED", "CC", "CXX"):
            mp.delenv(k, raising=False)
        mp.setenv("LINKSCOPE_CACHE", str(CACHE / "linkscope"))
        yield
