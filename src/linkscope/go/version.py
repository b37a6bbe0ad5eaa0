"""Go releases: the version strings Go writes (``runtime.Version()``, the build info's ``go`` line),
and the oldest systems each release supports.

Linux minimum kernels come from the Go wiki's "Go on Linux" and "Minimum Requirements" pages
(go.dev/wiki/Linux, go.dev/wiki/MinimumRequirements): Go 1.24 and later need Linux 3.2 (Go 1.19-1.23:
2.6.32, arm 3.1; up to Go 1.18: 2.6.23), with later floors on loong64 (5.19) and mips64le (4.8).
Windows: Go 1.21 and later need Windows 10 / Server 2016.
"""
from __future__ import annotations

_ARCH_FLOOR = {"loong64": (5, 19), "mips64le": (4, 8)}


def release(version: str | None) -> tuple[int, int] | None:
    """(major, minor) of "go1.21.3", "go1.22rc1", "go1.24"...; None for anything else ("devel ...")."""
    if not version or not version.startswith("go"):
        return None
    major, dot, rest = version[2:].partition(".")
    n = 0
    while n < len(rest) and rest[n].isdecimal():
        n += 1
    if not (dot and major.isdecimal() and n):
        return None
    return int(major), int(rest[:n])


def linux_kernel_floor(version: str | None, arch: str | None) -> str | None:
    """The oldest Linux kernel the Go release supports on ``arch`` ("3.2"), or None (unknown release)."""
    gv = release(version)
    if gv is None:
        return None
    if gv >= (1, 24):
        base = (3, 2)
    elif gv >= (1, 19):
        base = (3, 1) if arch == "arm" else (2, 6, 32)
    else:
        base = (3, 1) if arch == "arm" else (2, 6, 23)
    floor = _ARCH_FLOOR.get(arch or "")
    if floor and floor > base:
        base = floor
    return ".".join(str(x) for x in base)


def needs_windows_10(version: str | None) -> bool:
    """Whether the Go release needs Windows 10 / Server 2016 or later (Go 1.21 on)."""
    gv = release(version)
    return gv is not None and gv >= (1, 21)
