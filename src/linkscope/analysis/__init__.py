"""Why a binary is what it is: cgo, linker, hardening, LD_PRELOAD exposure, size, portability.

:func:`analyze` takes a parsed image and its Binary record and returns the fields to merge into
the record (``cgo``, ``linker``, ``hardening``, ``findings``, ``size_breakdown``, ``strip_saving``).
It never raises for bad input: an analysis that cannot read what it needs leaves its field at the
default and adds no finding.

Cost: everything for non-Go files is header reads plus C-speed searches of string tables; Go's
function table is parsed only for Go binaries (a few milliseconds for a typical one).

Finding ids: ``cgo.used``, ``cgo.enabled-unused``, ``cgo.disabled``, ``static-glibc.nss``, ``linker``,
``preload.immune``, ``preload.exposed``, ``preload.secure-exec``, ``hardening.pie``,
``hardening.relro``, ``hardening.nx``, ``hardening.bind-now``, ``hardening.stack-protector``,
``hardening.fortify``, ``hardening.cet``, ``hardening.rpath``, ``size.strip``, ``portability``.
Fixes: a Go finding's fix is a complete ``go build`` command made from the binary's own recorded
build settings with the change merged in (gofix.py over goflags.GoBuild); where the change would
undo a property (a PIE fix on a static binary), the fix keeps both or is None, and the title says
so. C findings give compiler or linker flags.
Severities: ``error`` (a property that is plainly unsafe: an executable stack), ``warning`` (worth
changing: a dynamic dependency cgo brought in, the static-glibc NSS hazard, no RELRO or PIE on a
dynamic executable, a steerable library path), ``info`` (explanations).
"""
from __future__ import annotations

from ..errors import DATA_ERRORS, LinkscopeError
from ..model import Finding
from ..units import size_text
# Imported with the package (which only analyze's callers import), not on every call: a tree of
# binaries calls analyze once per file.
from . import cgo, hardening, linker, nss, portability, preload, sizes
from .evidence import Evidence

_ORDER = ("cgo", "static-glibc", "linker", "portability", "preload", "hardening", "size")
_SEVERITY = {"error": 0, "warning": 1, "info": 2}
# What damaged input makes an analysis raise: it then gives no answer (its field stays unknown). Not
# AttributeError, TypeError or KeyError: those are bugs in linkscope, and must surface as such.
_SAFE = (LinkscopeError, *DATA_ERRORS)


def analyze(image, binary, *, capabilities=None) -> dict:
    """The analysed fields of ``binary``: cgo, linker, hardening, findings, size. ``capabilities``
    reads the file's raw ``security.capability`` attribute when called (``Files.capabilities``), or
    is None when there is none to read; it is called only for an ELF executable."""
    fmt = getattr(image, "format", None)
    if fmt not in ("elf", "macho", "pe", "wasm"):
        return {}
    ev = Evidence(image, binary)
    out: dict = {}
    findings: list[Finding] = []

    def guard(fn, default=None):
        try:
            return fn()
        except _SAFE:
            return default

    lk = guard(lambda: linker.analyze(ev), (None, []))
    if lk[0] is not None and ev.is_go and binary.go is not None:
        # The fixes of a Go build read the linker (gofix): the static external link of a -trimpath build,
        # whose -ldflags Go did not record, and what zig cc does differently.
        from ..record import replace
        binary = ev.binary = replace(binary, linker=lk[0])

    # cgo
    res = guard(lambda: cgo.analyze(ev))
    cgo_used = res.info.used if res is not None else None
    fix = guard(lambda: cgo.rebuild(res.info, binary)) if res is not None else None   # for cgo's and NSS's findings
    if res is not None:
        out["cgo"] = res.info
        findings += guard(lambda: cgo.findings(res, binary, fix), [])
    pure_go = ev.is_go and cgo_used is False

    # C library facts (the glibc module), the NSS hazard
    libc, floor = guard(lambda: portability.libc_facts(image, binary), (None, None))
    f = guard(lambda: nss.finding(ev, libc, res.info.causes if res else (), fix.command() if fix else None))
    if f is not None:
        findings.append(f)

    # linker
    if lk[0] is not None:
        out["linker"] = lk[0]
        t = linker.title(lk[0], ev.is_go)
        findings.append(Finding("linker", "info", t, tuple(lk[1]), None))

    # portability
    f = guard(lambda: portability.finding(image, binary, libc, floor))
    if f is not None:
        findings.append(f)

    # capabilities, LD_PRELOAD
    raw = None
    if capabilities is not None and fmt == "elf" and binary.type in ("executable", "pie-executable"):
        raw = capabilities()
    caps = preload.parse_capabilities(raw)
    findings += guard(lambda: preload.findings(ev, cgo_used, caps), [])

    # hardening
    privileged = binary.setuid or binary.setgid or bool(caps)
    values, why = guard(lambda: hardening.analyze(ev, pure_go, privileged), ({}, {}))
    if values:
        out["hardening"] = tuple(values.items())
        findings += guard(lambda: hardening.findings(values, why, fmt=fmt, is_go=ev.is_go, pure_go=pure_go,
                                                     static=binary.linkage in ("static", "static-pie"), binary=binary,
                                                     self_relocating=image.self_relocating,
                                                     own_c=not ev.is_go or res is None or res.info.used is not True
                                                     or cgo.CCODE in res.info.causes), [])

    # size
    bd = guard(lambda: sizes.breakdown(image, lambda: guard(lambda: _functab_extent(ev))), ())
    if bd and sum(n for _, n in bd) == image.view.size:
        out["size_breakdown"] = bd
    saving = guard(lambda: _strip_saving(ev, lk[0]))
    out["strip_saving"] = saving
    f = guard(lambda: _size_finding(ev, bd, saving, lk[0], lambda: guard(lambda: _strip_saving(ev, lk[0], grows=False))))
    if f is not None:
        findings.append(f)

    out["findings"] = tuple(sort_findings(findings))
    return out


def sort_findings(findings) -> list[Finding]:
    def key(f: Finding):
        group = f.id.split(".", 1)[0]
        return (_ORDER.index(group) if group in _ORDER else len(_ORDER), _SEVERITY.get(f.severity, 3))
    return sorted(findings, key=key)


def _functab_extent(ev) -> tuple[int, int] | None:
    """(file offset, size) of Go's function table, for a format whose sections do not name it."""
    if not ev.is_go:
        return None
    size = ev.functab_extent
    return (ev.functab.offset, size) if size else None


def _strip_saving(ev, linker_name: str | None, grows: bool = True) -> int | None:
    """The -s -w (or strip) saving; with ``grows`` false, as if the module text did not grow."""
    b = ev.binary
    return sizes.strip_saving(ev.image, b.go if ev.is_go and grows else None, is_go=ev.is_go, linker=linker_name)


def _size_finding(ev, breakdown, saving: int | None, linker_name: str | None = None,
                  without_growth=lambda: None) -> Finding | None:
    """``linker_name``: the linker analysis.linker named (its relink may be one the rules do not
    replay); ``without_growth()``: the saving as if the module text did not grow, asked only where
    that alone could make the saving unknown (a Go binary with something to remove)."""
    b = ev.binary
    size = ev.view.size
    parts = dict(breakdown or ())
    top = sorted(((n, c) for c, n in parts.items() if c not in ("padding",)), reverse=True)[:4]
    evidence = tuple(f"{c}: {size_text(n)} ({100 * n / size:.1f}%)" for n, c in top if size)
    removable = parts.get("dwarf", 0) + parts.get("symtab", 0)
    # Unknown only because of the relink (a linker whose layout is not replayed, or where the rebuild's
    # longer module text moves things): the removable part is still worth saying.
    unsure = saving is None and ev.is_go and removable
    if unsure and linker_name is not None and not sizes.relink_replayed(ev.image, is_go=True, linker=linker_name):
        why = f"{linker.phrase(linker_name)} lays the relinked file out by rules linkscope does not replay"
    elif unsure:
        unsure = bool(without_growth())
        why = ("the rebuild records the -s -w setting, and its longer module text may push what follows a page "
               "or a file block further")
    if saving or unsure:
        from . import gofix

        how, notes = gofix.strip(b) if ev.is_go else ("strip", [])
        removed = ("symbol table and DWARF" if parts.get("dwarf") and parts.get("symtab") else
                   "DWARF" if parts.get("dwarf") else "symbol table")
        tool = "-s -w" if ev.is_go else "strip"
        if saving:
            title = f"{size_text(saving)} ({100 * saving / size:.1f}%) of the {size_text(size)} file is {removed} that {tool} would remove."
        else:
            # The parts are known; the exact saving is not, for the reason said.
            title = (f"{size_text(removable)} ({100 * removable / size:.1f}%) of the {size_text(size)} file is {removed} "
                     f"that {tool} would remove; the exact saving is unknown ({why}).")
        return Finding("size.strip", "info", " ".join([title] + notes), evidence, how)
    if saving is None and b.stripped:
        return Finding("size.strip", "info", f"Already stripped: nothing for -s -w or strip to remove "
                       f"({size_text(size)}).", evidence, None)
    return None


def with_root_findings(binary, files):
    """``binary`` with a ``hardening.rpath`` finding for RPATH/RUNPATH entries that name
    world-writable directories inside the tree ``files`` (a sysroot or unpacked image)."""
    from ..record import replace

    from .hardening import world_writable

    entries = [("DT_RPATH", e) for e in binary.rpath] + [("DT_RUNPATH", e) for e in binary.runpath]
    risky = world_writable(entries, files)
    if not risky:
        return binary
    f = Finding("hardening.rpath", "warning", "A library search directory is world-writable: anyone can plant a "
                "library the program will load.", tuple(risky), "make the directory writable only by root, or "
                "drop it from RPATH/RUNPATH")
    hard = tuple((k, "risky" if k == "rpath" else v) for k, v in binary.hardening)
    return replace(binary, findings=tuple(sort_findings(list(binary.findings) + [f])), hardening=hard)
