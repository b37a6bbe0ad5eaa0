"""Human output: one compact line per file by default, the full record with -v."""
from __future__ import annotations

from ..model import Binary
from ..errors import error_message, unreadable

_FMT = {"elf": "ELF", "macho": "Mach-O", "macho-universal": "Mach-O universal", "pe": "PE", "wasm": "wasm"}


def _head(b: Binary) -> str:
    if b.description is not None:   # not a binary: its format module's one-line identification
        return b.description
    fmt = _FMT.get(b.format, b.format)
    if b.format == "pe" and b.bits:
        fmt = "PE32+" if b.bits == 64 else "PE32"
    elif b.bits and b.format != "wasm":
        fmt = f"{fmt} {b.bits}-bit"
    arch = None if b.arch == b.format else b.arch  # "wasm wasm" says nothing twice
    parts = [" ".join(x for x in (fmt, b.endian == "big" and "big-endian" or None, arch, b.os) if x)]
    if b.type:
        parts.append(b.type)
    if b.linkage:
        link = b.linkage
        if b.interpreter:
            link += f" (interpreter {b.interpreter})"
        parts.append(link)
    return ", ".join(parts)


def line(b: Binary) -> str:
    """One line, like file(1) but richer."""
    if unreadable(b):
        return f"{b.path}: error: {error_message(b.error, b.size or None)}"
    if b.slices:
        inner = "; ".join(f"[{s.arch or '?'}] " + (f"error: {error_message(s.error)}" if unreadable(s)
                                                   else _tail(s)) for s in b.slices)
        return f"{b.path}: Mach-O universal, {len(b.slices)} slices: {inner}"
    return f"{b.path}: {_tail(b)}"


def _tail(b: Binary) -> str:
    parts = [_head(b)]
    if b.needed:
        shown = ", ".join(b.needed[:4]) + (f", +{len(b.needed) - 4} more" if len(b.needed) > 4 else "")
        parts.append(f"needs {shown}")
    if b.go is not None:
        parts.append(f"Go {b.go.version}" + (f" ({b.go.path})" if b.go.path else ""))
    if b.stripped is not None:
        parts.append("stripped" if b.stripped else "not stripped")
    if b.debug_info:
        parts.append("with debug_info")
    if b.setuid:
        parts.append("setuid")
    if b.setgid:
        parts.append("setgid")
    if b.warnings:
        cut = any(w.kind == "truncated" for w in b.warnings)
        parts.append(("partial, truncated" if cut else "partial") + " (unreadable: "
                     + ", ".join(dict.fromkeys(w.table for w in b.warnings)) + ")")
    return ", ".join(parts)


def full(b: Binary, indent: str = "") -> str:
    """Every field, one per line; Go build info in the layout `go version -m` uses."""
    out = [f"{indent}{b.path}:"]
    pad = indent + "  "
    if unreadable(b):
        # The CLI prints no block for it (its error line is on stderr, once); a library caller gets this.
        out.append(f"{pad}error: {b.error.kind}: {error_message(b.error, b.size or None)}")
        return "\n".join(out)

    def kv(k, v):
        if v is None or v == () or v == "":
            return
        if isinstance(v, bool):
            v = "yes" if v else "no"
        elif isinstance(v, tuple):
            v = ", ".join(v)
        out.append(f"{pad}{k + ':':<14}{v}")

    kv("format", b.format)
    kv("arch", b.arch)
    kv("bits", b.bits)
    kv("endian", b.endian)
    kv("os", b.os)
    kv("type", b.type)
    kv("linkage", b.linkage)
    kv("interpreter", b.interpreter)
    kv("argument", b.interpreter_arg)
    kv("program", b.program if b.program != b.interpreter else None)
    kv("members", b.members)
    kv("names", b.linker_inputs)
    kv("is", b.description if b.format in ("text", "data") else None)
    kv("needed", b.needed)
    kv("rpath", b.rpath)
    kv("runpath", b.runpath)
    kv("soname", b.soname)
    kv("stripped", b.stripped)
    kv("debug_info", b.debug_info)
    kv("gnu build id", b.gnu_build_id)
    kv("go build id", b.go_build_id)
    kv("setuid", b.setuid or None)
    kv("setgid", b.setgid or None)
    kv("size", f"{b.size:,} bytes" if b.size else None)
    kv("libc", b.libc)
    for f in b.version_floors:
        forced = f" (forced by {', '.join(f.symbols[:6])}{', ...' if len(f.symbols) > 6 else ''})" if f.symbols else ""
        kv(f"{f.family} floor", f"{f.version}{forced}")
    if b.cgo is not None:
        used = {True: "used", False: "not used", None: "unknown use"}[b.cgo.used]
        enabled = {True: "enabled", False: "disabled", None: "setting unknown"}[b.cgo.enabled]
        kv("cgo", f"{enabled}, {used}" + (f" (via {', '.join(b.cgo.causes)})" if b.cgo.causes else ""))
    kv("linker", b.linker)
    if b.hardening:
        kv("hardening", ", ".join(f"{k}={v}" for k, v in b.hardening))
    if b.size_breakdown:
        kv("size by part", ", ".join(f"{k} {v:,}" for k, v in sorted(b.size_breakdown, key=lambda kv_: -kv_[1]) if v))
    if b.strip_saving is not None:
        kv("-s -w saves", f"{b.strip_saving:,} bytes ({100 * b.strip_saving / b.size:.1f}%)" if b.size else f"{b.strip_saving:,} bytes")
    if b.findings:
        kv("findings", f"{len(b.findings)} (linkscope explain {b.path})")
    if b.go is not None:
        from ..go.modinfo import format_go_version_m

        kv("go version", b.go.version)
        out.append(f"{pad}go build info:")
        for ln in format_go_version_m("", b.go).splitlines()[1:]:
            out.append(f"{pad}  {ln.lstrip()}" if not ln.startswith("\t\t") else f"{pad}    {ln.strip()}")
    for w in b.warnings:
        out.append(f"{pad}{'warning:':<14}{w.table}: {error_message(w, b.size or None)}")
    for s in b.slices:
        out.append(full(s, pad))
    return "\n".join(out)
