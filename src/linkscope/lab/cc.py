"""C compilers for cgo cross builds: a one-file wrapper script per zig target.

A wrapper, not ``CC="zig cc -target X"``: Go probes which linker flags the C compiler accepts by
running only the first word of CC, so with a multi-word CC every probe fails silently and Go drops
``--build-id`` and ``--compress-debug-sections`` (the binary comes out some 40% bigger, without a
GNU build ID). A wrapper is one word and passes every probe through to zig.

macOS: Go links every cgo program with ``-lresolv``, which zig does not ship; a text-based stub
(``libresolv.tbd``) on ``-L`` satisfies the linker (the real library is part of libSystem at run
time). Programs that need an SDK framework (CoreFoundation, Security) still need a real SDK.
"""
from __future__ import annotations

import os
import threading
from pathlib import Path

from ..go.flags import shell_quote

_LIBRESOLV_TBD = """--- !tapi-tbd
tbd-version: 4
targets: [ x86_64-macos, arm64-macos ]
install-name: '/usr/lib/libresolv.9.dylib'
current-version: 1
exports:
  - targets: [ x86_64-macos, arm64-macos ]
    symbols: [ _res_9_init, _res_9_ninit, _res_9_nclose, _res_9_nsearch, _res_9_search, _res_9_query,
               _res_9_nquery, _res_9_getservers, _res_9_ndestroy, _res_9_dn_expand ]
...
"""


def _write_atomic(path: Path, text: str, mode: int = 0o644) -> None:
    if path.is_file() and path.read_text(encoding="utf-8") == text:
        return
    # A name of this process and thread: two builds for the same target write their wrapper at once.
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.chmod(tmp, mode)
    os.replace(tmp, path)


def wrappers(zig: str, target: str, cache: Path, macos_sdk: str | None = None) -> dict[str, str]:
    """The environment a cgo build for zig ``target`` needs: CC and CXX (wrapper scripts under
    ``cache``, written once) and, for macOS, CGO_LDFLAGS with the libresolv stub's directory.
    ``macos_sdk``: an SDK directory whose headers, frameworks and libraries the compiler searches."""
    import hashlib

    d = cache / "cc" / target
    extra = ""
    if macos_sdk and "-macos" in target:
        sdk = os.path.abspath(macos_sdk)
        d = d / hashlib.sha256(sdk.encode()).hexdigest()[:12]
        extra = " " + " ".join(shell_quote(w) for w in (
            "-isysroot", sdk, "-F", f"{sdk}/System/Library/Frameworks", "-L", f"{sdk}/usr/lib"))
    d.mkdir(parents=True, exist_ok=True)
    env = {}
    for var, sub in (("CC", "cc"), ("CXX", "c++")):
        script = f"#!/bin/sh\nexec {shell_quote(zig)} {sub} -target {shell_quote(target)}{extra} \"$@\"\n"
        _write_atomic(d / sub, script, 0o755)
        env[var] = str(d / sub)
    if "-macos" in target:
        _write_atomic(d / "libresolv.tbd", _LIBRESOLV_TBD)
        env["CGO_LDFLAGS"] = f"-L{d}"
    return env


def describe(zig_version: str, target: str, macos_sdk: str | None = None) -> str:
    return f"zig {zig_version} cc -target {target}" + (f" (SDK {macos_sdk})" if macos_sdk and "-macos" in target else "")


# Apple frameworks a cgo program may name that zig does not ship (it ships libSystem's stubs only).
_FRAMEWORK_MISSING = ("file not found", "unable to find framework", "framework not found")


def missing_sdk(output: str) -> list[str]:
    """The Apple frameworks a failed macOS cgo build could not find (headers or libraries), from the
    compiler's and linker's messages; empty when the failure is something else."""
    out = []
    for line in output.splitlines():
        low = line.lower()
        if not any(m in low for m in _FRAMEWORK_MISSING):
            continue
        if "framework" in low:
            # "unable to find framework 'CoreFoundation'" / "framework not found CoreFoundation"
            words = [w.strip("'\"`") for w in line.replace(":", " ").split()]
            name = next((w for w in reversed(words) if w and w[0].isupper()), None)
        else:
            # "'CoreFoundation/CoreFoundation.h' file not found": a framework's umbrella header
            q = line.find("'")
            header = line[q + 1:line.find("'", q + 1)] if q >= 0 else ""
            name = header.split("/")[0] if "/" in header and header[:1].isupper() else None
        if name and name not in out:
            out.append(name)
    return out
