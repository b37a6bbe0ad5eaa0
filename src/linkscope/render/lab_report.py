"""The build lab's results: the JSON document (schema/build.schema.json) and the terminal table.

The table is made from the document, not from the build records, so ``linkscope report`` draws the
same table from the JSON of shards built on other machines.
"""
from __future__ import annotations

from ..units import size_text

SCHEMA_VERSION = 1
VERIFY_KINDS = ("native", "empty_root", "qemu", "wine", "node", "preload")


def check_to_json(c) -> dict:
    return {"kind": c.kind, "ran": c.ran, "ok": c.ok, "exit_code": c.exit_code, "detail": c.detail,
            "seconds": None if c.seconds is None else round(c.seconds, 3), "injectable": c.injectable}


def variant_to_json(r, default_sizes: dict[str, int]) -> dict:
    from .jsonout import binary_to_json

    v = r.variant
    size = r.binary.size if r.binary is not None else None
    base = default_sizes.get(v.target)
    return {
        "mode": v.mode, "goos": v.goos, "goarch": v.goarch, "path": r.path, "status": r.status, "reason": r.reason,
        "command": r.command, "cc": r.cc, "build_seconds": None if r.seconds is None else round(r.seconds, 3),
        "size": size, "size_vs_default": round(size / base - 1, 4) if size and base and v.mode != "default" else None,
        "warnings": list(r.warnings), "nss_functions": list(r.nss_functions), "output": r.output,
        "inspect": binary_to_json(r.binary) if r.binary is not None else None,
        "verify": [check_to_json(c) for c in r.verify],
        "reproducible": r.reproducible, "differences": list(r.differences),
    }


def document(results, *, package: str, host: str, tools) -> dict:
    sizes = {r.variant.target: r.binary.size for r in results
             if r.variant.mode == "default" and r.binary is not None}
    return {
        "schema_version": SCHEMA_VERSION, "kind": "linkscope-build", "package": package, "host": host,
        "toolchains": {name: t.version or t.path for name, t in tools.all() if t is not None},
        "variants": [variant_to_json(r, sizes) for r in results],
    }


def merge(docs: list[dict]) -> dict:
    """One document from the parts of a sharded matrix (the variants of each, in order)."""
    if not docs:
        raise ValueError("no documents to merge")
    out = dict(docs[0])
    out["variants"] = [v for d in docs for v in d.get("variants", ())]
    return out


def _verify_cell(checks: list[dict]) -> str:
    marks = []
    for c in checks:
        if not c.get("ran"):
            continue
        name = {"empty_root": "root", "preload": "preload"}.get(c["kind"], c["kind"])
        if c["kind"] == "preload":
            marks.append("injectable" if c.get("injectable") else "not-injectable")
        else:
            marks.append(f"{name}:{'ok' if c.get('ok') else 'FAIL' if c.get('exit_code') is not None else 'err'}")
    return " ".join(marks) or "-"


def _floor(rec: dict | None) -> str:
    if not rec:
        return "-"
    return rec.get("glibc_min") or "-"


def _cgo(rec: dict | None) -> str:
    cgo = (rec or {}).get("cgo")
    if not cgo:
        return "-"
    return "yes" if cgo.get("used") else "no" if cgo.get("used") is False else "?"


def table(doc: dict) -> str:
    """One row per variant: mode, target, status, size (change vs default), linkage, interpreter,
    needed, glibc floor, cgo, stripped, warnings, build time, what running it showed."""
    head = ("mode", "target", "status", "size", "vs default", "linkage", "interpreter", "needed", "glibc",
            "cgo", "stripped", "warn", "build", "verify")
    rows = [head]
    for v in doc.get("variants", ()):
        rec = v.get("inspect") or {}
        target = f"{v['goos']}/{v['goarch']}"
        size = v.get("size")
        rel = v.get("size_vs_default")
        rows.append((
            v["mode"], target, v["status"], size_text(size) if size else "-",
            f"{rel:+.1%}" if rel is not None else "-",
            rec.get("linkage") or "-", rec.get("interpreter") or "-", ",".join(rec.get("needed") or ()) or "-",
            _floor(rec), _cgo(rec), {True: "yes", False: "no"}.get(rec.get("stripped"), "-"),
            str(len(v.get("warnings") or ())) if v.get("warnings") else "-",
            f"{v['build_seconds']:.1f}s" if v.get("build_seconds") is not None else "-",
            _verify_cell(v.get("verify") or ()),
        ))
    widths = [max(len(r[i]) for r in rows) for i in range(len(head))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    notes = []
    for v in doc.get("variants", ()):
        target = f"{v['goos']}/{v['goarch']}"
        if v["status"] != "built" and v.get("reason"):
            notes.append(f"{v['mode']} {target}: {v['status']}: {v['reason']}")
        if v.get("nss_functions"):
            notes.append(f"{v['mode']} {target}: static glibc calls NSS ({', '.join(v['nss_functions'])}): at run time "
                         "it needs the shared libraries of the glibc it was linked with")
        for c in v.get("verify") or ():
            if c.get("ran") and c["kind"] != "preload" and not c.get("ok"):
                notes.append(f"{v['mode']} {target}: {c['kind']}: {c.get('detail') or 'failed'}")
        if v.get("reproducible") is False:
            notes.append(f"{v['mode']} {target}: not reproducible: {'; '.join(v.get('differences') or ())}")
    return "\n".join(lines + ([""] + notes if notes else [])) + "\n"
