"""``linkscope sysroot ARCH``: a sysroot for running dynamic foreign binaries under qemu-user
(``qemu-ARCH -L SYSROOT``), made from the distribution's own packages.

apt downloads the packages (``libc6`` and whatever else is asked) for the foreign architecture
into a private state directory (its own package lists, cache and an empty dpkg status), and
``dpkg -x`` unpacks them. The host's dpkg and apt configuration are never changed: no ``dpkg
--add-architecture``, nothing installed. The result is cached under linkscope's cache, one per
distribution and architecture, and reused.
"""
from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

# GOARCH -> Debian architecture
DEBIAN_ARCH = {"arm64": "arm64", "arm": "armhf", "386": "i386", "amd64": "amd64", "riscv64": "riscv64",
               "ppc64le": "ppc64el", "s390x": "s390x", "mipsle": "mipsel", "mips64le": "mips64el"}
DISTROS = {"debian:bookworm": ("http://deb.debian.org/debian", "bookworm"),
           "debian:trixie": ("http://deb.debian.org/debian", "trixie"),
           "debian:bullseye": ("http://deb.debian.org/debian", "bullseye")}
KEYRING = "/usr/share/keyrings/debian-archive-keyring.gpg"


class SysrootError(RuntimeError):
    """The sysroot could not be made; the message says why (and what to install)."""


def _host_debian_arch() -> str:
    r = subprocess.run(["dpkg", "--print-architecture"], capture_output=True, text=True)
    return r.stdout.strip() or "amd64"


def make(goarch: str, *, distro: str = "debian:bookworm", packages: tuple[str, ...] = ("libc6",),
         cache: Path, refresh: bool = False, log=None) -> Path:
    """The sysroot directory for ``goarch`` (made, or the cached one). ``log`` gets each step."""
    arch = DEBIAN_ARCH.get(goarch)
    if arch is None:
        raise SysrootError(f"no Debian architecture for GOARCH {goarch!r} (known: {', '.join(sorted(DEBIAN_ARCH))})")
    if distro not in DISTROS:
        raise SysrootError(f"unknown distribution {distro!r} (known: {', '.join(sorted(DISTROS))})")
    for tool in ("apt-get", "dpkg"):
        if shutil.which(tool) is None:
            raise SysrootError(f"{tool} is not installed: a sysroot is made from Debian packages (apt, dpkg)")
    if not os.path.isfile(KEYRING):
        raise SysrootError(f"{KEYRING} is missing: install debian-archive-keyring")
    mirror, suite = DISTROS[distro]
    base = cache / "sysroot" / f"{distro.replace(':', '-')}-{arch}"
    root = base / "root"
    stamp = root / ".linkscope-packages"
    want = " ".join(sorted(set(packages)))
    if not refresh and stamp.is_file() and stamp.read_text() == want:
        return root
    state = base / "apt"
    for d in ("lists/partial", "cache/archives/partial", "debs"):
        (state / d).mkdir(parents=True, exist_ok=True)
    (state / "status").write_text("")
    (state / "sources.list").write_text(f"deb [arch={arch} signed-by={KEYRING}] {mirror} {suite} main\n")
    opts = ["-o", f"APT::Architectures::={_host_debian_arch()}", "-o", f"APT::Architectures::={arch}",
            "-o", f"Dir::State::Lists={state / 'lists'}", "-o", f"Dir::Cache={state / 'cache'}",
            "-o", f"Dir::State::status={state / 'status'}", "-o", f"Dir::Etc::SourceList={state / 'sources.list'}",
            "-o", "Dir::Etc::SourceParts=/nonexistent", "-o", "Debug::NoLocking=1", "-q"]

    def run(label, argv, cwd=None):
        if log:
            log(label)
        r = subprocess.run(argv, cwd=cwd, capture_output=True, text=True, timeout=900)
        if r.returncode != 0:
            raise SysrootError(f"{label} failed: {(r.stderr or r.stdout).strip()[-800:]}")
        return r

    run(f"apt-get update ({suite}, {arch})", ["apt-get", *opts, "update"])
    debs = state / "debs"
    for old in debs.glob("*.deb"):
        old.unlink()
    names = [f"{p}:{arch}" for p in packages]
    run(f"apt-get download {' '.join(names)}", ["apt-get", *opts, "download", *names], cwd=debs)
    tmp = base / "root.tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    for deb in sorted(debs.glob("*.deb")):
        run(f"dpkg -x {deb.name}", ["dpkg", "-x", str(deb), str(tmp)])
    (tmp / ".linkscope-packages").write_text(want)
    shutil.rmtree(root, ignore_errors=True)
    os.replace(tmp, root)
    return root
