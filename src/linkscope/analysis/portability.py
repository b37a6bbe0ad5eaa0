"""One sentence a release engineer can paste: what the binary needs to run.

Go binaries: the oldest kernel or Windows the Go release supports (linkscope.go.version). Other
files: the oldest system their own headers name (``image.os_floor()``: an ELF ABI-tag note, Mach-O's
minimum OS, a PE subsystem version). The C-library part comes from the glibc module (floor and
distribution releases).
"""
from __future__ import annotations

from ..libc import distro_summary, glibc_min, libc_flavour
from ..errors import LinkscopeError
from ..go.version import linux_kernel_floor, needs_windows_10
from ..model import Finding


def _distros(floor: str | None) -> str:
    """distro_summary of a floor (a pure function of the shipped release table), memoised:
    a tree of binaries has few distinct floors."""
    if floor not in _DISTROS:
        _DISTROS[floor] = distro_summary(floor)
    return _DISTROS[floor]


_DISTROS: dict = {}


def libc_facts(image, binary) -> tuple[str | None, str | None]:
    """(libc flavour, glibc floor): from the record when describe() filled them, else computed."""
    libc, floor = binary.libc, binary.glibc_min
    if libc is None or (libc == "glibc" and floor is None):
        try:
            libc = libc or libc_flavour(image)
            if libc == "glibc" and floor is None:
                floor = glibc_min(image)
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
            kernel = linux_kernel_floor(go.version, b.arch)
            if kernel:
                evidence.append(f"Go {go.version} supports Linux {kernel} and later on {b.arch}")
        if kernel is None:
            f = image.os_floor()
            if f is not None:
                kernel = f.version
                evidence.append(f.evidence)
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
        f = image.os_floor()
        if f is not None:
            return f"runs on {f.system} >= {f.version} ({target})", [f.evidence]
        return None, []
    if b.format == "pe" and b.type != "object":
        if go is not None and needs_windows_10(go.version):
            return f"runs on Windows 10 / Server 2016 or later ({target})", [f"Go {go.version} supports Windows 10 and later"]
        f = image.os_floor()
        if f is not None:
            return f"runs on {f.system} {f.version} or later ({target})", [f.evidence]
        return None, []
    if b.format == "wasm":
        return f"WebAssembly module for {b.os or 'a WebAssembly host'}", []
    return None, []


def finding(image, binary, libc: str | None, floor: str | None) -> Finding | None:
    text, evidence = sentence(image, binary, libc, floor)
    if not text:
        return None
    return Finding("portability", "info", text[0].upper() + text[1:] + ".", tuple(evidence), None)
