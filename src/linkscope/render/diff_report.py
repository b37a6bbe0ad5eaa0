"""`linkscope diff` output: a compact list of changes for people, one JSON document for programs
(schema/diff.schema.json)."""
from __future__ import annotations

from typing import Any

from ..diff import ADDED, REMOVED, Change, Diff

SCHEMA_VERSION = 1

_LABELS = {
    "error": "error", "format": "format", "arch": "arch", "bits": "bits", "endian": "endianness", "os": "os",
    "type": "type", "linkage": "linkage", "interpreter": "interpreter", "soname": "soname", "libc": "libc",
    "glibc_min": "glibc floor", "linker": "linker", "stripped": "stripped", "debug_info": "debug info",
    "setuid": "setuid", "setgid": "setgid", "needed": "needed", "rpath": "RPATH", "runpath": "RUNPATH",
    "version_floors": "symbol-version floor", "cgo.enabled": "cgo enabled", "cgo.used": "cgo used",
    "cgo.causes": "cgo cause", "go": "Go build info", "go.version": "Go version", "go.path": "Go main package",
    "go.main": "Go main module version", "go.settings": "Go build setting", "go.deps": "Go module",
    "hardening": "hardening", "size": "file size", "size_breakdown": "size", "strip_saving": "strip saving",
    "slices": "slice", "findings": "finding",
}


def _val(v: Any) -> str:
    if v is None:
        return "none"
    if isinstance(v, bool):
        return "yes" if v else "no"
    return str(v)


def _setting(value: str) -> str:
    """A build setting value as `go version -m` prints it: quoted when it holds spaces or quotes."""
    from ..go.strconv import go_quote

    return go_quote(value) if any(ch in value for ch in " \t\r\n\"`") else value


def _bytes(c: Change) -> str:
    absent = "0" if c.field == "size_breakdown" else "none"   # a category that is not there holds 0 bytes
    o = absent if c.old is None else f"{c.old:,}"
    n = absent if c.new is None else f"{c.new:,}"
    pct = f", {c.percent:+.1f}%" if c.percent is not None else ""
    return f"{o} -> {n} bytes ({c.delta:+,}{pct})"


def change_line(c: Change) -> str:
    label = _LABELS.get(c.field, c.field)
    pre = f"[{c.slice}] " if c.slice else ""
    if c.delta is not None:
        where = f"{label} {c.key}" if c.key else label
        return f"{pre}{where}: {_bytes(c)}"
    if c.field == "findings":
        f = c.new if c.kind != REMOVED else c.old
        if c.kind == "changed":
            return f"{pre}{label} {c.key}: {c.old['severity']} {c.old['title']!r} -> {c.new['severity']} {c.new['title']!r}"
        sign = "+" if c.kind == ADDED else "-"
        return f"{pre}{label}: {sign} {c.key} ({f['severity']}): {f['title']}"
    if c.key is None:
        return f"{pre}{label}: {_val(c.old)} -> {_val(c.new)}"
    if c.kind == "changed":
        if c.field == "go.settings":
            return f"{pre}{label} {c.key}: {_setting(c.old)} -> {_setting(c.new)}"
        return f"{pre}{label} {c.key}: {_val(c.old)} -> {_val(c.new)}"
    value = c.new if c.kind == ADDED else c.old
    sign = "+" if c.kind == ADDED else "-"
    if c.field == "go.settings":
        return f"{pre}{label}: {sign} {c.key}={_setting(value)}"
    if c.field in ("hardening", "version_floors"):
        return f"{pre}{label}: {sign} {c.key}={value}"
    if c.field == "go.deps":
        return f"{pre}{label}: {sign} {c.key} {value}"
    return f"{pre}{label}: {sign} {c.key}"


def text(d: Diff) -> str:
    if d.identical:
        return "no differences"
    return "\n".join(change_line(c) for c in d.changes)


def _side(b) -> dict:
    from .jsonout import error_to_json

    return {"path": b.path, "error": error_to_json(b.error)}


def document(d: Diff) -> dict[str, Any]:
    return {
        "schema_version": SCHEMA_VERSION,
        "command": "diff",
        "old": _side(d.old),
        "new": _side(d.new),
        "identical": d.identical,
        "changes": [{"field": c.field, "kind": c.kind, "key": c.key, "slice": c.slice, "old": c.old, "new": c.new,
                     "delta": c.delta, "percent": c.percent} for c in d.changes],
    }
