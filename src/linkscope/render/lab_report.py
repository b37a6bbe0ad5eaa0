"""The build lab's results: the JSON document (schema/build.schema.json) and the terminal table.

The table is made from the document, not from the build records, so ``linkscope report`` draws the
same table from the JSON of shards built on other machines.
"""
from __future__ import annotations

from ..units import size_text

SCHEMA_VERSION = 1


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
        "reproducible": r.reproducible, "differences": list(r.differences), "notes": list(v.notes),
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


def first_line(text: str | None) -> str:
    return (text or "").strip().splitlines()[0] if (text or "").strip() else ""


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
    if any(v.get("reproducible") is not None for v in doc.get("variants", ())):
        marks = {True: "yes", False: "NO", None: "-"}
        rows = [rows[0] + ("reproducible",)] + [r + (marks[v.get("reproducible")],)
                                                for r, v in zip(rows[1:], doc.get("variants", ()))]
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    notes = []
    for v in doc.get("variants", ()):
        target = f"{v['goos']}/{v['goarch']}"
        if v["status"] != "built" and v.get("reason"):
            notes.append(f"{v['mode']} {target}: {v['status']}: {v['reason']}")
        for n in v.get("notes") or ():
            notes.append(f"{v['mode']} {target}: {n}")
        if v.get("nss_functions"):
            notes.append(f"{v['mode']} {target}: static glibc calls NSS ({', '.join(v['nss_functions'])}): at run time "
                         "it needs the shared libraries of the glibc it was linked with")
        for c in v.get("verify") or ():
            if c.get("ran") and c["kind"] != "preload" and not c.get("ok"):
                notes.append(f"{v['mode']} {target}: {c['kind']}: {first_line(c.get('detail')) or 'failed'}")
        if v.get("reproducible") is False:
            notes.append(f"{v['mode']} {target}: not reproducible: {'; '.join(v.get('differences') or ())}")
    outputs = []
    for v in doc.get("variants", ()):
        if v["status"] == "failed" and (v.get("output") or "").strip():
            outputs += ["", f"--- {v['mode']} {v['goos']}/{v['goarch']}: {v.get('command') or 'go build'}"]
            outputs += ["  " + ln for ln in v["output"].rstrip().splitlines()]
    return "\n".join(lines + ([""] + notes if notes else []) + outputs) + "\n"


# -- linkscope lab: what the results show -----------------------------------------------------
def doc_host(docs: dict[str, dict]) -> str:
    return next((d["host"] for d in docs.values()), "")


def _by(doc: dict, mode: str, target: str) -> dict | None:
    goos, goarch = target.split("/")
    return next((v for v in doc["variants"] if v["mode"] == mode and v["goos"] == goos and v["goarch"] == goarch),
                None)


def _check(v: dict | None, kind: str) -> dict | None:
    return next((c for c in (v or {}).get("verify") or () if c["kind"] == kind and c["ran"]), None)


def story(docs: dict[str, dict]) -> list[str]:
    """What the results show, one sentence each, read from the documents (nothing here is assumed:
    a variant that failed or a check that did not run says so)."""
    host = doc_host(docs)
    lines = []
    hello, net = docs.get("hello"), docs.get("netuser")

    def linkage(v):
        rec = (v or {}).get("inspect") or {}
        return rec.get("linkage") or rec.get("format") or "unknown"

    def root(v):
        c = _check(v, "empty_root")
        interp = ((v or {}).get("inspect") or {}).get("interpreter")
        if c is None:
            return "not run in an empty root"
        if c["ok"]:
            return "runs in an empty root"
        if interp and interp in (c.get("detail") or ""):
            return f"fails in an empty root (its interpreter {interp} is not there)"
        return f"fails in an empty root ({first_line(c['detail'])})"

    if hello:
        v = _by(hello, "default", host)
        lines.append(f"hello, default: {linkage(v)}, {root(v)}: a pure-Go program needs nothing from the system.")
        for x in hello["variants"]:
            t = f"{x['goos']}/{x['goarch']}"
            if x["mode"] != "default" or t == host:
                continue
            ran = [c for c in x.get("verify") or () if c["ran"]]
            how = ", ".join(f"{c['kind']} {'ok' if c['ok'] else 'failed'}" for c in ran)
            if not how:
                why = "; ".join(f"{c['kind']}: {first_line(c['detail'])}" for c in x.get("verify") or ())
                how = f"not run ({why})" if why else f"nothing on this machine runs {x['goos']} binaries"
            lines.append(f"hello for {t} (cgo off): {x['status']}, {linkage(x)}; {how}.")
    if net:
        d = _by(net, "default", host)
        lines.append(f"netuser, default: {linkage(d)} (needs {', '.join((d or {}).get('inspect', {}).get('needed') or []) or '-'}), "
                     f"{root(d)}: net and os/user come from the C library through cgo.")
        for mode in ("netgo", "nocgo", "static-external", "static-musl", "static-pie", "pie"):
            x = _by(net, mode, host)
            if x is None:
                continue
            if x["status"] != "built":
                lines.append(f"netuser, {mode}: {x['status']}: {x['reason']}")
                continue
            extra = ""
            if x.get("nss_functions"):
                extra = (f"; glibc warned that {', '.join(x['nss_functions'])} in a static binary still needs "
                         "its shared NSS libraries at run time (the static-glibc NSS hazard)")
            lines.append(f"netuser, {mode}: {linkage(x)}, {root(x)}{extra}.")
        bad, good = _by(net, "cgo-hostcc", "linux/arm64"), _by(net, "cgo", "linux/arm64")
        if bad is not None:
            lines.append(f"netuser, cgo for linux/arm64 with the host's C compiler: {bad['status']}"
                         + (f": {bad['reason']}" if bad.get("reason") else "") + ".")
        if good is not None:
            rec = good.get("inspect") or {}
            q = _check(good, "qemu")
            qn = next((c for c in good.get("verify") or () if c["kind"] == "qemu"), None)
            lines.append(f"netuser, cgo for linux/arm64 through {good.get('cc') or 'zig'}: {good['status']}, "
                         f"{linkage(good)}, glibc floor {rec.get('glibc_min') or '-'}"
                         + (f", under qemu: {'ok' if q['ok'] else first_line(q['detail'])}" if q else
                            f", not run under qemu ({first_line(qn['detail'])})" if qn else "") + ".")
        d, s = _by(net, "default", host), _by(net, "stripped", host)
        if d and s and d.get("size") and s.get("size"):
            predicted = (d.get("inspect") or {}).get("strip_saving")
            saved = d["size"] - s["size"]
            verdict = ("exactly as explain predicted" if predicted == saved else
                       f"explain predicted {predicted:,} bytes" if predicted is not None else "explain made no prediction")
            lines.append(f"-s -w saved {saved:,} bytes ({saved / d['size']:.0%}), {verdict}.")
        inj = [v["mode"] for v in net["variants"] if (_check(v, "preload") or {}).get("injectable")]
        not_inj = [v["mode"] for v in net["variants"] if (c := _check(v, "preload")) and c.get("injectable") is False]
        if inj or not_inj:
            lines.append(f"LD_PRELOAD gets into: {', '.join(inj) or 'none'}; not into: {', '.join(not_inj) or 'none'}.")
    return lines
