"""The static-glibc NSS hazard.

glibc resolves host, service, user and group names through NSS: getaddrinfo, gethostbyname,
getpwnam, getpwuid, getgrnam... read /etc/nsswitch.conf and dlopen the ``libnss_*.so.2`` modules it
names. A *statically* linked glibc program still does that at run time, and the modules must come
from the exact glibc version it was linked with (the linker warns: "Using 'getaddrinfo' in
statically linked applications requires at runtime the shared libraries from the glibc version
used for linking"). On another distribution, or after an upgrade, lookups fail or crash.

Evidence, first that answers: the NSS entry points in the static symbol table; for stripped Go
binaries, the cgo stubs of net and os/user in Go's function table; for other stripped files, the
string ``/etc/nsswitch.conf`` in the read-only data (bounded search).
"""
from __future__ import annotations

from ..model import Finding

NSS_FUNCTIONS = ("getaddrinfo", "gethostbyname", "gethostbyname2", "gethostbyname_r", "gethostbyaddr", "getnameinfo",
                 "getservbyname", "getpwnam", "getpwnam_r", "getpwuid", "getpwuid_r", "getgrnam", "getgrnam_r",
                 "getgrgid", "getgrgid_r", "getgrouplist", "initgroups", "getspnam", "getpwent", "getgrent")
_GO_STUBS = {"net": "net._C2func_getaddrinfo", "os/user": "os/user._Cfunc_mygetpwuid_r"}


def analyze(ev, libc: str | None, cgo_causes: tuple[str, ...] = ()) -> tuple[list[str], list[str]]:
    """(evidence strings, Go packages responsible) when the hazard applies, else ([], [])."""
    b = ev.binary
    if ev.format != "elf" or b.linkage not in ("static", "static-pie") or libc != "glibc":
        return [], []
    found = [f"symbol {n} (symbol table)" for n in NSS_FUNCTIONS if ev.symtab_has(n)]
    pkgs = []
    if ev.is_go:
        for pkg in ("net", "os/user"):
            stubs = ev.go_with_prefix(pkg + "._C", 4)
            if stubs or pkg in cgo_causes:
                pkgs.append(pkg)
                if stubs:
                    found.append(f"function {stubs[0]} (Go function table)")
    if not found and not ev.has_symtab and ev.readonly_find(b"/etc/nsswitch.conf"):
        found.append("string /etc/nsswitch.conf in the read-only data")
    return found[:6], pkgs


def finding(ev, libc: str | None, cgo_causes: tuple[str, ...], rebuild_cmd: str | None) -> Finding | None:
    evidence, pkgs = analyze(ev, libc, cgo_causes)
    if not evidence:
        return None
    title = ("Statically linked with glibc, yet it uses NSS (name, user or group lookups): at run time glibc "
             "loads the shared libnss_* modules of the exact glibc version it was linked with, and lookups "
             "fail or crash where that version is not installed.")
    if ev.is_go and pkgs:
        fix = rebuild_cmd
        title += " Go's pure-Go " + " and ".join({"net": "resolver (netgo)", "os/user": "user lookup (osusergo)"}[p]
                                                  for p in pkgs) + " avoid" + ("s" if len(pkgs) == 1 else "") + " it."
    elif ev.is_go:
        from . import gofix

        fix = gofix.musl(ev.binary)
        title += " Its own C code does the lookups: a static link against musl (no NSS modules) avoids it."
    else:
        arch = {"amd64": "x86_64", "arm64": "aarch64", "386": "x86", "riscv64": "riscv64"}.get(ev.binary.arch or "", "x86_64")
        fix = f'link against musl instead: CC="zig cc -target {arch}-linux-musl" with -static'
    return Finding("static-glibc.nss", "warning", title, tuple(["linkage " + str(ev.binary.linkage), "C library glibc"] + evidence), fix)
