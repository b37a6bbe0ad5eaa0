"""One sentence a release engineer can paste: what the binary needs to run.

Linux minimum kernels for Go binaries come from the Go wiki's "Go on Linux" and "Minimum
Requirements" pages (go.dev/wiki/Linux, go.dev/wiki/MinimumRequirements): Go 1.24 and later need
Linux 3.2 (Go 1.19-1.23: 2.6.32, arm 3.1; up to Go 1.18: 2.6.23), with later floors on loong64
(5.19) and mips64le (4.8). Other static binaries: the kernel version of the GNU ABI-tag note
("for GNU/Linux 3.2.0"), when there is one. macOS: the LC_BUILD_VERSION minimum OS. Windows: Go
1.21+ needs Windows 10 / Server 2016; other PE files, the subsystem version of the optional header.
The C-library part comes from the glibc module (floor and distribution releases).
"""
from __future__ import annotations

import struct

from ..model import Finding
from .. import glibc
from ..errors import LinkscopeError

_ARCH_FLOOR = {"loong64": (5, 19), "mips64le": (4, 8)}


def _go_version(v: str | None) -> tuple[int, int] | None:
    """(major, minor) of "go1.21.3", "go1.22rc1"..., None for anything else."""
    if not v or not v.startswith("go"):
        return None
    major, dot, rest = v[2:].partition(".")
    n = 0
    while n < len(rest) and rest[n].isdecimal():
        n += 1
    if not (dot and major.isdecimal() and n):
        return None
    return int(major), int(rest[:n])


def go_linux_kernel(go_version: str | None, arch: str | None) -> str | None:
    """The oldest Linux kernel the Go release supports on ``arch`` ("3.2")."""
    gv = _go_version(go_version)
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


def abi_tag_kernel(image) -> str | None:
    n = image.note(b"GNU\0", 1) if hasattr(image, "note") else None
    if n is None or len(n.desc) < 16:
        return None
    os_, a, b, c = struct.unpack_from("<IIII" if image.little else ">IIII", n.desc)
    return f"{a}.{b}.{c}" if os_ == 0 else None


def _distros(floor: str | None) -> str:
    """glibc.distro_summary of a floor (a pure function of the shipped release table), memoised:
    a tree of binaries has few distinct floors."""
    if floor not in _DISTROS:
        _DISTROS[floor] = glibc.distro_summary(floor)
    return _DISTROS[floor]


_DISTROS: dict = {}


def libc_facts(image, binary) -> tuple[str | None, str | None]:
    """(libc flavour, glibc floor): from the record when describe() filled them, else computed."""
    libc, floor = binary.libc, binary.glibc_min
    if libc is None or (libc == "glibc" and floor is None):
        try:
            libc = libc or glibc.libc_flavour(image)
            if libc == "glibc" and floor is None:
                floor = glibc.glibc_min(image)
        except LinkscopeError:  # damaged tables: the sentence says less, the report goes on
            pass
    return libc, floor


def sentence(image, binary, libc: str | None, floor: str | None) -> tuple[str | None, list[str]]:
    b = binary
    target = f"{b.os or '?'}/{b.arch or '?'}"
    go = b.go
    evidence: list[str] = []
    if b.format == "elf" and b.os in (None, "linux", "android") and b.type in ("executable", "pie-executable", "shared-library"):
        static = b.linkage in ("static", "static-pie")
        kernel = None
        if go is not None:
            kernel = go_linux_kernel(go.version, b.arch)
            if kernel:
                evidence.append(f"Go {go.version} supports Linux {kernel} and later on {b.arch}")
        if kernel is None:
            kernel = abi_tag_kernel(image)
            if kernel:
                evidence.append(f"GNU ABI-tag note: for GNU/Linux {kernel}")
        ktext = f" kernel >= {kernel}" if kernel else " kernel"
        if static:
            if libc in ("none", None) and go is not None or libc == "none":
                return f"static, no libc, runs on any linux/{b.arch}{ktext}", evidence + [f"linkage {b.linkage}"]
            if libc == "musl":
                return f"static (musl inside), runs on any linux/{b.arch}{ktext}", evidence + ["musl"]
            if libc == "glibc":
                return (f"static (glibc inside), runs on any linux/{b.arch}{ktext}; name-service lookups need "
                        f"the same glibc's NSS modules", evidence + ["glibc"])
            return f"static, runs on any linux/{b.arch}{ktext}", evidence + [f"linkage {b.linkage}"]
        if libc == "glibc" and floor is None and any(w.table == "symbol versions" for w in image.warnings):
            # The floor is in the version tables, which could not be read: no release list to promise.
            return f"needs glibc, of a version that cannot be told (its symbol versions could not be read), " \
                   f"linux/{b.arch}", evidence
        if libc == "glibc":
            where = _distros(floor)
            need = f"needs glibc >= {floor}" if floor else "needs glibc"
            if floor:
                evidence.append(f"newest GLIBC_ symbol version required: GLIBC_{floor}")
            return f"{need}" + (f" ({where})" if where else "") + f", linux/{b.arch}", evidence
        if libc == "musl":
            return f"needs musl libc (Alpine), linux/{b.arch}", evidence + [f"interpreter {b.interpreter}"]
        if libc == "bionic":
            return f"needs Android's bionic libc, android/{b.arch}", evidence
        if b.needed:
            return f"dynamic, needs {', '.join(b.needed[:3])}, linux/{b.arch}", evidence
        return None, evidence
    if b.format == "macho":
        minos = getattr(image, "minos", None)
        if minos:
            os_name = {"darwin": "macOS"}.get(b.os or "", b.os)
            return f"runs on {os_name} >= {minos} ({target})", [f"LC_BUILD_VERSION minos {minos}"]
        return None, []
    if b.format == "pe" and not getattr(image, "is_object", False):
        gv = _go_version(go.version) if go is not None else None
        if gv and gv >= (1, 21):
            return f"runs on Windows 10 / Server 2016 or later ({target})", [f"Go {go.version} supports Windows 10 and later"]
        major, minor = getattr(image, "subsystem_version", (0, 0))
        if major:
            return f"runs on Windows NT {major}.{minor} or later ({target})", [f"subsystem version {major}.{minor}"]
        return None, []
    if b.format == "wasm":
        return f"WebAssembly module for {b.os or 'a WebAssembly host'}", []
    return None, []


def finding(image, binary, libc: str | None, floor: str | None) -> Finding | None:
    text, evidence = sentence(image, binary, libc, floor)
    if not text:
        return None
    return Finding("portability", "info", text[0].upper() + text[1:] + ".", tuple(evidence), None)
