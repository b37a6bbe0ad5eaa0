"""The CLI edge: build the resolution environment from this process and this machine, once.

What it reads: LD_LIBRARY_PATH (only when resolving this machine's own root and no library path is
given), the current directory, the C library version (``os.confstr``), the machine (``os.uname``) and,
on x86-64, the CPU's vendor and flags (/proc/cpuinfo) for ``$PLATFORM`` and the hwcaps
subdirectories. Nothing below this module reads the process environment.
"""
from __future__ import annotations

import os
from collections.abc import Mapping

from .arch import EM_386, EM_AARCH64, EM_ARM, EM_PPC64, EM_RISCV, EM_S390, EM_X86_64
from .records import Env, HostCpu

_UNAME = {"x86_64": (EM_X86_64, 64), "aarch64": (EM_AARCH64, 64), "arm64": (EM_AARCH64, 64),
          "i686": (EM_386, 32), "i386": (EM_386, 32), "ppc64le": (EM_PPC64, 64), "ppc64": (EM_PPC64, 64),
          "s390x": (EM_S390, 64), "riscv64": (EM_RISCV, 64), "armv7l": (EM_ARM, 32), "armv8l": (EM_ARM, 32)}

X86_64_V2 = {"cx16", "lahf_lm", "popcnt", "pni", "sse4_1", "sse4_2", "ssse3"}
X86_64_V3 = X86_64_V2 | {"avx", "avx2", "bmi1", "bmi2", "f16c", "fma", "abm", "movbe", "xsave"}
X86_64_V4 = X86_64_V3 | {"avx512f", "avx512bw", "avx512cd", "avx512dq", "avx512vl"}
HASWELL = {"avx2", "fma", "bmi1", "bmi2", "abm", "movbe", "popcnt"}


def glibc_version() -> tuple[int, ...] | None:
    try:
        v = os.confstr("CS_GNU_LIBC_VERSION") or ""
    except (ValueError, OSError, AttributeError):
        return None
    if not v.startswith("glibc "):
        return None
    try:
        return tuple(int(x) for x in v.split()[1].split(".")[:2])
    except ValueError:
        return None


def x86_64_cpu(cpuinfo: str, glibc: tuple[int, ...] | None) -> HostCpu:
    """$PLATFORM and hwcaps subdirectories as glibc's x86-64 loader derives them (cpu-features.c,
    dl-hwcaps-subdirs.c): glibc-hwcaps levels from 2.33 on; before 2.37 the Intel-only platform
    names "haswell" / "xeon_phi" and the legacy subdirectories tls, the platform, avx512_1, x86_64."""
    flags: set[str] = set()
    vendor = ""
    for line in cpuinfo.splitlines():
        key, _, val = line.partition(":")
        key = key.strip()
        if key == "flags" and not flags:
            flags = set(val.split())
        elif key == "vendor_id" and not vendor:
            vendor = val.strip()
    hwcaps: list[str] = []
    if glibc is None or glibc >= (2, 33):
        for name, need in (("x86-64-v4", X86_64_V4), ("x86-64-v3", X86_64_V3), ("x86-64-v2", X86_64_V2)):
            if need <= flags:
                hwcaps.append(name)
    platform = "x86_64"
    legacy: tuple[str, ...] = ()
    if glibc is not None and glibc < (2, 37):
        intel = vendor == "GenuineIntel"
        avx512_1 = False
        if intel and "avx512cd" in flags:
            if "avx512er" in flags:
                if "avx512pf" in flags:
                    platform = "xeon_phi"
            elif {"avx512bw", "avx512dq", "avx512vl"} <= flags:
                avx512_1 = True
        if intel and platform == "x86_64" and HASWELL <= flags:
            platform = "haswell"
        legacy = ("tls", platform) + (("avx512_1",) if avx512_1 else ()) + ("x86_64",)
    elif glibc is None:
        platform = "x86_64"
    return HostCpu(EM_X86_64, 64, platform, tuple(hwcaps), legacy)


def host_cpu() -> HostCpu | None:
    machine = os.uname().machine
    m = _UNAME.get(machine)
    if m is None:
        return None
    glibc = glibc_version()
    if m[0] == EM_X86_64:
        try:
            with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as f:
                info = f.read(1 << 20)
        except OSError:
            info = ""
        return x86_64_cpu(info, glibc)
    legacy = ("tls", machine) if glibc is not None and glibc < (2, 37) else ()
    return HostCpu(m[0], m[1], machine, (), legacy)


def host_env(root: str | None = None, library_path: str | None = None, *, secure: bool | None = None,
             environ: Mapping[str, str] | None = None) -> Env:
    """The environment for ``linkscope deps``. ``library_path`` (--library-path) overrides; without it
    the process's LD_LIBRARY_PATH applies, as it does for ldd, but only for this machine's own root
    (a sysroot is not run with the host's environment). The CPU description applies only to "/"."""
    environ = os.environ if environ is None else environ
    root = os.path.realpath(root) if root else "/"
    if library_path is None and root == "/":
        library_path = environ.get("LD_LIBRARY_PATH")
    try:
        cwd = os.getcwd() if root == "/" else "/"
    except OSError:
        cwd = "/"
    return Env(root=root, ld_library_path=library_path, secure=secure, cwd=cwd,
               host=host_cpu() if root == "/" else None)
