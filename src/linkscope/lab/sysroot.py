"""``linkscope sysroot ARCH``: a sysroot for running dynamic foreign binaries under qemu-user
(``qemu-ARCH -L SYSROOT``), made from the distribution's own packages.

apt downloads the packages (``libc6`` and whatever else is asked) for the foreign architecture
into a private state directory (its own package lists, cache and an empty dpkg status), and
``dpkg -x`` unpacks them. The host's dpkg and apt configuration are never changed: no ``dpkg
--add-architecture``, nothing installed. The result is cached under linkscope's cache, one per
distribution and architecture, and reused.

What the binaries need: given ``binaries``, their libraries are resolved inside the sysroot (the
loader's rules, linkscope.deps), and each soname not found there is looked up by the package names
Debian Policy 8.1 gives it (``libfoo.so.1`` is in ``libfoo1``, ``libfoo2.so.0`` in ``libfoo2-0``;
the 64-bit time_t ``t64`` variants; a few libraries named otherwise, :data:`SONAME_PACKAGES`), the
candidates that exist in the distribution downloaded in turn until the soname resolves. Round after
round, until everything resolves or nothing more can be found, so what the new libraries need is
fetched too. What stays missing is said, and the qemu check then names it.
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


# Libraries whose Debian package is not named after the soname (Debian Policy 8.1's rule).
SONAME_PACKAGES = {"libz.so.1": "zlib1g", "libcrypto.so.3": "libssl3", "libssl.so.3": "libssl3",
                   "libcrypto.so.1.1": "libssl1.1", "libssl.so.1.1": "libssl1.1", "liblzma.so.5": "liblzma5",
                   "libbz2.so.1.0": "libbz2-1.0", "libgcc_s.so.1": "libgcc-s1", "libffi.so.8": "libffi8"}
MAX_ROUNDS = 8


class SysrootError(RuntimeError):
    """The sysroot could not be made; the message says why (and what to install)."""


def _host_debian_arch() -> str:
    r = subprocess.run(["dpkg", "--print-architecture"], capture_output=True, text=True)
    return r.stdout.strip() or "amd64"


def package_candidates(soname: str) -> list[str]:
    """The Debian packages that may hold ``soname``, most likely first (Debian Policy 8.1)."""
    out = [SONAME_PACKAGES[soname]] if soname in SONAME_PACKAGES else []
    base, sep, ver = soname.partition(".so")
    ver = ver.lstrip(".")
    if not sep or not base.startswith("lib") or not ver:
        return out
    name = base.lower().replace("_", "-")
    pkg = f"{name}-{ver}" if name[-1].isdigit() else f"{name}{ver}"
    for c in (pkg, pkg + "t64"):
        if c not in out:
            out.append(c)
    return out


def missing_sonames(root: Path, binaries) -> list[str]:
    """The libraries of ``binaries`` (paths of this machine) their loader would not find inside
    ``root``: each is resolved as a copy placed in the root for the time of the question (the loader
    reads the binary itself inside the root too)."""
    from ..deps.records import Env
    from ..deps.resolver import Session, resolve

    if not binaries:
        return []
    probe = root / ".linkscope-probe"
    out: list[str] = []
    try:
        for i, b in enumerate(binaries):
            d = probe / str(i)
            d.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(b, d / Path(b).name)
        env, session = Env(root=str(root), ld_library_path=""), Session()
        for i, b in enumerate(binaries):
            r = resolve(f"/.linkscope-probe/{i}/{Path(b).name}", env, session, libc_facts=False)
            out.extend(m for m in r.missing if m not in out and (r.interpreter is None or m != r.interpreter.name))
    finally:
        shutil.rmtree(probe, ignore_errors=True)
    return out


def make(goarch: str, *, distro: str = "debian:bookworm", packages: tuple[str, ...] = ("libc6",),
         binaries: tuple = (), cache: Path, refresh: bool = False, log=None) -> Path:
    """The sysroot directory for ``goarch`` (made, or the cached one), with ``packages`` and what
    ``binaries`` need (see the module's notes). ``log`` gets each step."""
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
    if not refresh and stamp.is_file() and set(packages) <= set(stamp.read_text().split()) and \
            not missing_sonames(root, binaries):
        return root
    tried = set(stamp.read_text().split()) if stamp.is_file() and not refresh else set()
    want = sorted(set(packages) | tried)
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
    tmp = base / "root.tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)

    def fetch(pkgs) -> None:
        names = [f"{p}:{arch}" for p in pkgs]
        run(f"apt-get download {' '.join(names)}", ["apt-get", *opts, "download", *names], cwd=debs)
        for deb in sorted(debs.glob("*.deb")):
            run(f"dpkg -x {deb.name}", ["dpkg", "-x", str(deb), str(tmp)])
            deb.unlink()

    def exists(pkg: str) -> bool:
        return subprocess.run(["apt-cache", *opts, "show", f"{pkg}:{arch}"], capture_output=True,
                              timeout=120).returncode == 0

    fetch(want)
    have, looked = set(want), set()
    for _ in range(MAX_ROUNDS):
        need = [m for m in missing_sonames(tmp, binaries) if m not in looked]
        if not need:
            break
        for soname in need:
            looked.add(soname)
            for pkg in package_candidates(soname):
                if pkg in have or not exists(pkg):
                    continue
                fetch([pkg])
                have.add(pkg)
                if soname not in missing_sonames(tmp, binaries):
                    if log:
                        log(f"{soname}: from {pkg}")
                    break
    left = missing_sonames(tmp, binaries)
    if left and log:
        log(f"no package found for {', '.join(left)} (give it with --packages)")
    (tmp / ".linkscope-packages").write_text(" ".join(sorted(have)))
    shutil.rmtree(root, ignore_errors=True)
    os.replace(tmp, root)
    return root
