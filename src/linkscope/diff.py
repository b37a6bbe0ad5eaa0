"""`linkscope diff`: what changed between two builds, as a flat list of changes. Nothing here prints.

Each :class:`Change` is one fact that differs: a scalar that changed (linkage, interpreter, glibc
floor, Go version, ...), a member of a set or map that was added, removed or changed (needed
libraries, Go build settings, module versions, findings, size categories). Build IDs are identity,
not properties, and are never compared: two builds of the same source always differ there.

Universal Mach-O files are compared slice by slice, pairing slices by arch.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable

from .model import Binary

ADDED, REMOVED, CHANGED = "added", "removed", "changed"

# Scalar facts, in the order they are reported: (field, getter)
_SCALARS = (
    ("format", lambda b: b.format),
    ("arch", lambda b: b.arch),
    ("bits", lambda b: b.bits),
    ("endian", lambda b: b.endian),
    ("os", lambda b: b.os),
    ("type", lambda b: b.type),
    ("linkage", lambda b: b.linkage),
    ("interpreter", lambda b: b.interpreter),
    ("soname", lambda b: b.soname),
    ("libc", lambda b: b.libc),
    ("glibc_min", lambda b: b.glibc_min),
    ("linker", lambda b: b.linker),
    ("stripped", lambda b: b.stripped),
    ("debug_info", lambda b: b.debug_info),
    ("setuid", lambda b: b.setuid),
    ("setgid", lambda b: b.setgid),
)


@dataclass(frozen=True, slots=True)
class Change:
    """One difference. ``key`` names the member of a collection (a library, a setting, a module
    path, a size category, a finding id); ``old``/``new`` are JSON values, None on the absent side.
    ``delta`` and ``percent`` are set for byte counts (percent of the old value, None from 0)."""

    field: str
    kind: str                      # added | removed | changed
    old: Any = None
    new: Any = None
    key: str | None = None
    slice: str | None = None       # arch, for a slice of a universal Mach-O file
    delta: int | None = None
    percent: float | None = None


@dataclass(frozen=True, slots=True)
class Diff:
    old: Binary
    new: Binary
    changes: tuple[Change, ...]

    @property
    def identical(self) -> bool:
        return not self.changes


def compare(old: Binary, new: Binary) -> Diff:
    changes: list[Change] = []
    if old.error is not None or new.error is not None:
        o = None if old.error is None else old.error.message
        n = None if new.error is None else new.error.message
        if o != n:
            changes.append(_scalar("error", o, n))
    if not old.slices and not new.slices:
        changes.extend(_image(old, new, None))
    else:
        # A universal file against anything: pair the images by arch (a plain file is one image).
        if old.format != new.format:
            changes.append(_scalar("format", old.format, new.format))
        olds, news = _by_arch(old), _by_arch(new)
        for arch in _ordered(olds, news):
            if arch not in news:
                changes.append(Change("slices", REMOVED, old=arch, key=arch))
            elif arch not in olds:
                changes.append(Change("slices", ADDED, new=arch, key=arch))
            else:
                changes.extend(c for c in _image(olds[arch], news[arch], arch) if c.field != "format")
    changes.extend(_bytes("size", old.size, new.size))
    return Diff(old, new, tuple(changes))


def _by_arch(b: Binary) -> dict[str, Binary]:
    images = b.slices or (b,)
    return {im.arch or f"#{i}": im for i, im in enumerate(images)}


def _ordered(a: Iterable[str], b: Iterable[str]) -> list[str]:
    seen = dict.fromkeys(a)
    seen.update(dict.fromkeys(b))
    return list(seen)


def _scalar(field: str, o: Any, n: Any, sl: str | None = None) -> Change:
    kind = ADDED if o is None else REMOVED if n is None else CHANGED
    return Change(field, kind, o, n, slice=sl)


def _bytes(field: str, o: int | None, n: int | None, key: str | None = None, sl: str | None = None) -> list[Change]:
    if o == n:
        return []
    kind = ADDED if o is None else REMOVED if n is None else CHANGED
    delta = (n or 0) - (o or 0)
    percent = round(100.0 * delta / o, 2) if o else None
    return [Change(field, kind, o, n, key=key, slice=sl, delta=delta, percent=percent)]


def _members(field: str, o: Iterable[str], n: Iterable[str], sl: str | None) -> list[Change]:
    o, n = list(o), list(n)
    out = [Change(field, REMOVED, old=x, key=x, slice=sl) for x in o if x not in n]
    out += [Change(field, ADDED, new=x, key=x, slice=sl) for x in n if x not in o]
    return out


def _mapping(field: str, o: dict, n: dict, sl: str | None) -> list[Change]:
    out = []
    for k in _ordered(o, n):
        if k not in n:
            out.append(Change(field, REMOVED, old=o[k], key=k, slice=sl))
        elif k not in o:
            out.append(Change(field, ADDED, new=n[k], key=k, slice=sl))
        elif o[k] != n[k]:
            out.append(Change(field, CHANGED, o[k], n[k], key=k, slice=sl))
    return out


def _dep_version(d) -> str:
    v = d.version
    if d.replace is not None:
        v += f" => {d.replace.path}" + (f" {d.replace.version}" if d.replace.version else "")
    return v


def _finding(f) -> dict:
    return {"id": f.id, "severity": f.severity, "title": f.title, "evidence": list(f.evidence), "fix": f.fix}


def _image(o: Binary, n: Binary, sl: str | None) -> list[Change]:
    out: list[Change] = []
    for field, get in _SCALARS:
        a, b = get(o), get(n)
        if a != b:
            out.append(_scalar(field, a, b, sl))
    out += _members("needed", o.needed, n.needed, sl)
    out += _members("rpath", o.rpath, n.rpath, sl)
    out += _members("runpath", o.runpath, n.runpath, sl)
    out += _mapping("version_floors", {f.family: f.version for f in o.version_floors},
                    {f.family: f.version for f in n.version_floors}, sl)
    # cgo
    oc, nc = o.cgo, n.cgo
    for attr in ("enabled", "used"):
        a, b = getattr(oc, attr, None), getattr(nc, attr, None)
        if a != b:
            out.append(_scalar(f"cgo.{attr}", a, b, sl))
    out += _members("cgo.causes", oc.causes if oc else (), nc.causes if nc else (), sl)
    # Go build info
    og, ng = o.go, n.go
    if (og is None) != (ng is None):
        out.append(_scalar("go", None if og is None else og.version, None if ng is None else ng.version, sl))
    elif og is not None and ng is not None:
        if og.version != ng.version:
            out.append(_scalar("go.version", og.version, ng.version, sl))
        if og.path != ng.path:
            out.append(_scalar("go.path", og.path or None, ng.path or None, sl))
        om = og.main.version if og.main else None
        nm = ng.main.version if ng.main else None
        if (og.main and og.main.path) == (ng.main and ng.main.path) and om != nm:
            out.append(_scalar("go.main", om, nm, sl))
        out += _mapping("go.settings", dict(og.settings), dict(ng.settings), sl)
        out += _mapping("go.deps", {d.path: _dep_version(d) for d in og.deps},
                        {d.path: _dep_version(d) for d in ng.deps}, sl)
    out += _mapping("hardening", dict(o.hardening), dict(n.hardening), sl)
    # size by category
    ob, nb = dict(o.size_breakdown), dict(n.size_breakdown)
    for cat in _ordered(ob, nb):
        out += _bytes("size_breakdown", ob.get(cat), nb.get(cat), key=cat, sl=sl)
    if o.strip_saving != n.strip_saving:
        out += _bytes("strip_saving", o.strip_saving, n.strip_saving, sl=sl)
    # findings, by id
    of, nf = {f.id: f for f in o.findings}, {f.id: f for f in n.findings}
    for fid in _ordered(of, nf):
        if fid not in nf:
            out.append(Change("findings", REMOVED, old=_finding(of[fid]), key=fid, slice=sl))
        elif fid not in of:
            out.append(Change("findings", ADDED, new=_finding(nf[fid]), key=fid, slice=sl))
        elif (of[fid].severity, of[fid].title, of[fid].fix) != (nf[fid].severity, nf[fid].title, nf[fid].fix):
            out.append(Change("findings", CHANGED, _finding(of[fid]), _finding(nf[fid]), key=fid, slice=sl))
    return out
