"""``linkscope lab``: the Go linking story, built and proven on this machine.

Two example programs ship with linkscope (lab/programs): ``hello`` prints a line; ``netuser`` uses
``net`` and ``os/user``. The lab builds them every way the story needs: every mode natively; linux/arm64,
windows/amd64, darwin/arm64 and wasm without cgo; cgo for linux/arm64 with the host's C compiler
(which fails, as it does for everyone who tries) and through zig (which works, against glibc
2.28); then reads what the results show: which are static, which run in an empty root, what the NSS
hazard is, what ``-s -w`` saved against what explain predicted, which ones LD_PRELOAD gets into.
"""
from __future__ import annotations

import shutil
from pathlib import Path

from . import matrix

PROGRAMS = Path(__file__).resolve().parent / "programs"
CROSS = ("linux/arm64", "windows/amd64", "darwin/arm64", "wasip1/wasm", "js/wasm")


def copy_programs(into: Path) -> dict[str, Path]:
    """The example programs copied out of the package (a build then runs in a directory linkscope owns,
    never in site-packages or a checkout)."""
    out = {}
    for src in sorted(PROGRAMS.iterdir()):
        if src.is_dir():
            dest = into / src.name
            shutil.rmtree(dest, ignore_errors=True)
            shutil.copytree(src, dest)
            out[src.name] = dest
    return out


def variants(program: str, tools) -> list[matrix.Variant]:
    from ..go.flags import GoBuild

    host = matrix.host_target()
    base = GoBuild()
    known = matrix.BUILTIN_MODES
    kw = dict(host=host, host_cc=tools.cc is not None, zig=tools.zig is not None)
    out = [matrix.variant(name, recipes, host, base, **kw) for name, recipes in matrix.parse_modes("all", known)]
    if program == "hello":
        out += [matrix.variant("default", (known["default"],), t, base, **kw) for t in CROSS]
    else:
        out.append(matrix.variant("cgo-hostcc", (known["cgo"],), "linux/arm64", base, cc="host", **kw))
        out.append(matrix.variant("cgo", (known["cgo"],), "linux/arm64", base, cc="zig", glibc="2.28", **kw))
    return out


def _by(doc: dict, mode: str, target: str) -> dict | None:
    goos, goarch = target.split("/")
    return next((v for v in doc["variants"] if v["mode"] == mode and v["goos"] == goos and v["goarch"] == goarch),
                None)


def _check(v: dict | None, kind: str) -> dict | None:
    return next((c for c in (v or {}).get("verify") or () if c["kind"] == kind and c["ran"]), None)


def story(docs: dict[str, dict]) -> list[str]:
    """What the results show, one sentence each, read from the documents (nothing here is assumed:
    a variant that failed or a check that did not run says so)."""
    host = matrix.host_target()
    lines = []
    hello, net = docs.get("hello"), docs.get("netuser")

    def linkage(v):
        return ((v or {}).get("inspect") or {}).get("linkage") or "unknown"

    def root(v):
        c = _check(v, "empty_root")
        return ("runs in an empty root" if c and c["ok"] else f"fails in an empty root ({c['detail']})" if c
                else "not run in an empty root")

    if hello:
        v = _by(hello, "default", host)
        lines.append(f"hello, default: {linkage(v)}, {root(v)}: a pure-Go program needs nothing from the system.")
        for t in CROSS:
            x = _by(hello, "default", t)
            if x is None:
                continue
            ran = [c for c in x.get("verify") or () if c["ran"]]
            how = ", ".join(f"{c['kind']} {'ok' if c['ok'] else 'failed'}" for c in ran) or "not run here"
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
            lines.append(f"netuser, cgo for linux/arm64 through {good.get('cc') or 'zig'}: {good['status']}, "
                         f"{linkage(good)}, glibc floor {rec.get('glibc_min') or '-'}"
                         + (f", under qemu: {'ok' if q['ok'] else q['detail']}" if q else "") + ".")
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
