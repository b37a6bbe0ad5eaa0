"""Debian roots for the --root tests, unpacked from real .deb files.

The packages come from Debian's own archive through ``apt-get download`` run with a private apt
state (its own sources list, package lists, cache and an empty dpkg status, all under
<repo>/.cache/debs/<arch>/apt), so any architecture can be fetched on any machine without touching the
system's apt configuration or needing root: ``apt-get update`` once into that state, then
``apt-get download PKG...``. The .debs are kept in <repo>/.cache/debs/<arch>/pool and each root is
unpacked with ``dpkg-deb -x`` into <repo>/.cache/debs/roots/<arch>-<hash>, so reruns are fast.

Environment: LINKSCOPE_DEBIAN_MIRROR (default http://deb.debian.org/debian), LINKSCOPE_DEBIAN_SUITE
(default bookworm). Packages are verified with /usr/share/keyrings/debian-archive-keyring.gpg.
"""
from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
import subprocess
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent.parent
CACHE = Path(os.environ.get("LINKSCOPE_DEB_CACHE", REPO / ".cache" / "debs"))
MIRROR = os.environ.get("LINKSCOPE_DEBIAN_MIRROR", "http://deb.debian.org/debian")
SUITE = os.environ.get("LINKSCOPE_DEBIAN_SUITE", "bookworm")
KEYRING = "/usr/share/keyrings/debian-archive-keyring.gpg"
LISTS_MAX_AGE = 7 * 86400

# What the tests need: the C library and its loader, ld.so.conf (libc-bin), a C program with a few
# libraries (zstd) and a C++ one (pzstd, in zstd) for libstdc++/libgcc_s.
PACKAGES = ("libc6", "libc-bin", "libgcc-s1", "libstdc++6", "zlib1g", "libzstd1", "liblzma5", "liblz4-1", "zstd")


def available() -> bool:
    return shutil.which("apt-get") is not None and shutil.which("dpkg-deb") is not None


class DebError(RuntimeError):
    pass


def _apt(arch: str) -> tuple[list[str], Path]:
    state = CACHE / arch / "apt"
    for d in ("lists/partial", "cache/archives/partial", "etc/apt.conf.d", "etc/preferences.d", "state"):
        (state / d).mkdir(parents=True, exist_ok=True)
    (state / "status").touch()
    signed = f"signed-by={KEYRING}" if os.path.exists(KEYRING) else "trusted=yes"
    (state / "sources.list").write_text(f"deb [arch={arch} {signed}] {MIRROR} {SUITE} main\n")
    opts = {
        "Dir::Etc::SourceList": state / "sources.list", "Dir::Etc::SourceParts": state / "none",
        "Dir::Etc::Parts": state / "etc/apt.conf.d", "Dir::Etc::Preferences": state / "etc/preferences",
        "Dir::Etc::PreferencesParts": state / "etc/preferences.d", "Dir::State": state / "state",
        "Dir::State::Lists": state / "lists", "Dir::State::status": state / "status",
        "Dir::Cache": state / "cache", "APT::Architecture": arch, "APT::Architectures::": arch,
        "Debug::NoLocking": "1", "Acquire::Retries": "3",
    }
    if os.geteuid() == 0:
        opts["APT::Sandbox::User"] = "root"
    cmd = ["apt-get", "-q"]
    for k, v in opts.items():
        cmd += ["-o", f"{k}={v}"]
    return cmd, state


def _run(cmd: list[str], cwd: Path | None = None) -> None:
    p = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, env={**os.environ, "LC_ALL": "C"})
    if p.returncode != 0:
        raise DebError(f"{' '.join(map(str, cmd[:2]))} ... {' '.join(map(str, cmd[-4:]))} failed:\n{p.stdout}\n{p.stderr}")


def _debs(arch: str, packages: tuple[str, ...]) -> list[Path]:
    pool = CACHE / arch / "pool"
    pool.mkdir(parents=True, exist_ok=True)

    def have(pkg):
        return sorted(pool.glob(f"{pkg}_*_{arch}.deb")) + sorted(pool.glob(f"{pkg}_*_all.deb"))

    missing = [p for p in packages if not have(p)]
    if missing:
        apt, state = _apt(arch)
        lists = list((state / "lists").glob("*Packages*"))
        fresh = lists and time.time() - min(p.stat().st_mtime for p in lists) < LISTS_MAX_AGE
        if not fresh:
            _run(apt + ["update"])
        try:
            _run(apt + ["download"] + missing, cwd=pool)
        except DebError:
            _run(apt + ["update"])          # the lists named versions the mirror has since replaced
            _run(apt + ["download"] + missing, cwd=pool)
    out = []
    for p in packages:
        found = have(p)
        if not found:
            raise DebError(f"{p}:{arch} was not downloaded")
        out.append(found[-1])
    return out


def root(arch: str, packages: tuple[str, ...] = PACKAGES) -> Path:
    """The unpacked root of ``packages`` for ``arch`` (cached; treat it as read-only)."""
    CACHE.mkdir(parents=True, exist_ok=True)
    with open(CACHE / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        debs = _debs(arch, packages)
        key = hashlib.sha256("\n".join(d.name for d in debs).encode()).hexdigest()[:16]
        dest = CACHE / "roots" / f"{arch}-{key}"
        if dest.exists():
            return dest
        tmp = dest.with_suffix(".tmp")
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
        for d in debs:
            _run(["dpkg-deb", "-x", str(d), str(tmp)])
        os.replace(tmp, dest)
        return dest


def copy(src: Path, dest: Path) -> Path:
    """A writable copy of a cached root (hard links: cheap; do not modify files in place)."""
    shutil.copytree(src, dest, symlinks=True, copy_function=os.link)
    return dest
