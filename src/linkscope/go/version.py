"""Go releases: the version strings Go writes (``runtime.Version()``, the build info's ``go`` line),
and the oldest systems each release supports.

Linux minimum kernels come from the Go wiki's "Go on Linux" and "Minimum Requirements" pages
(go.dev/wiki/Linux, go.dev/wiki/MinimumRequirements): Go 1.24 and later need Linux 3.2 (Go 1.19-1.23:
2.6.32, arm 3.1; up to Go 1.18: 2.6.23), with later floors on loong64 (5.19) and mips64le (4.8).
Windows: Go 1.21 and later need Windows 10 / Server 2016.
"""
from __future__ import annotations

_ARCH_FLOOR = {"loong64": (5, 19), "mips64le": (4, 8)}


def parse(text: str) -> tuple[bool, int, int, int, str, int] | None:
    """A Go toolchain version as a key that sorts the way Go orders versions (internal/gover,
    go/version.Compare): (devel, major, minor, patch, prerelease kind, prerelease number), -1 and ""
    where absent. 1.21 < 1.21rc1 < 1.21.0 < 1.21.1; before Go 1.21 a missing patch means .0
    (go1.20 == go1.20.0); "devel" toolchains sort after every release. Accepts ``go1.22.3``,
    ``1.22``, ``go1.23rc1``, ``go1.21.0-bigcorp``, ``go1.22.0 X:boringcrypto``, ``devel go1.24-abc``;
    None for anything else. (No regular expression: this runs on the inspect path.)"""
    s = text.strip()
    if s == "devel" or s.startswith(("devel ", "devel+")):
        return True, 0, 0, -1, "", -1
    s = s.split()[0] if s else s          # "go1.22.0 X:boringcrypto"
    s = s.split("-", 1)[0]                # "go1.21.0-bigcorp"
    if s.startswith("go"):
        s = s[2:]
    got = _number(s, 0)
    if got is None:
        return None
    major, i = got
    if i == len(s):                       # "1" means 1.0.0
        return False, major, 0, 0, "", -1
    if s[i] != ".":
        return None
    got = _number(s, i + 1)
    if got is None:
        return None
    minor, i = got
    patch, kind, pre = -1, "", -1
    if i == len(s):
        if (major, minor) < (1, 21):      # before Go 1.21, go1.20 is the release go1.20.0
            patch = 0
    elif s[i] == ".":
        got = _number(s, i + 1)
        if got is None or got[1] != len(s):
            return None
        patch = got[0]
    else:
        j = i
        while j < len(s) and "a" <= s[j] <= "z":
            j += 1
        if j == i:
            return None
        kind = s[i:j]
        if j < len(s):
            got = _number(s, j)
            if got is None or got[1] != len(s):
                return None
            pre = got[0]
    return False, major, minor, patch, kind, pre


def _number(s: str, i: int) -> tuple[int, int] | None:
    """A decimal without leading zeros at ``s[i:]``: (value, index after it), or None."""
    j = i
    while j < len(s) and "0" <= s[j] <= "9":
        j += 1
    if j == i or (s[i] == "0" and j > i + 1):
        return None
    return int(s[i:j]), j


def release(version: str | None) -> tuple[int, int] | None:
    """(major, minor) of a released Go's version ("go1.21.3", "go1.22rc1", "go1.24"); None for a
    development toolchain or anything that is not a Go version."""
    if not version or not version.startswith("go"):
        return None
    key = parse(version)
    return None if key is None or key[0] else (key[1], key[2])


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
