"""`linkscope build --html` and `linkscope lab --html`: one self-contained HTML page for a build document.

The page is made from the `linkscope build --json` document alone: a heading with the package, the
host and the toolchains; one table row per variant (what it is, what inspect says of it, how each
verification went); a chart of size per built variant, stacked by part, with the byte figures; a
chart of build time; and, for each variant that failed or was skipped, its reason and the
compiler's full output. Inline CSS and inline SVG only: no script, no font or file from anywhere,
so the page reads the same offline, with JavaScript off, and from an attachment.

Everything in the document is untrusted text (file names, mode names, compiler output): every
string goes through html.escape, in text and in attributes alike. Keys the document leaves out read
as "not known" (a dash), never as an error. Nothing here prints.
"""
from __future__ import annotations

from html import escape

from ..lab.verify import KINDS
from ..units import size_text

# The verification kinds' column headings; lab.verify.KINDS gives their order, and kinds a document
# names beyond these follow.
_VERIFY_HEAD = {"native": "native", "empty_root": "empty root", "qemu": "qemu", "wine": "wine",
                "node": "node", "preload": "preload"}

# The parts of the size chart: (key, label, colour, the size_breakdown categories it sums). "rest" takes
# every category the others do not name, and any bytes the breakdown does not account for.
PARTS = (
    ("code", "code", "#4e79a7", ("code",)),
    ("go-metadata", "Go metadata", "#f28e2b", ("pclntab", "go-metadata")),
    ("dwarf", "DWARF", "#59a14f", ("dwarf",)),
    ("symbols", "symbols", "#b07aa1", ("symtab",)),
    ("rest", "rest", "#bab0ac", ()),
)
_NAMED = frozenset(c for _k, _l, _c, cats in PARTS for c in cats)
DASH = "\u2014"

_CSS = """
:root { color-scheme: light; --fg: #1f2328; --muted: #656d76; --line: #d0d7de; --head: #f6f8fa;
        --ok: #1a7f37; --bad: #cf222e; --skip: #6e7781; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg);
       margin: 2rem 1.5rem; }
h1 { font-size: 1.5rem; margin: 0 0 .25rem; } h2 { font-size: 1.15rem; margin: 2rem 0 .5rem; }
code, pre, td.mono { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 12.5px; }
.meta { color: var(--muted); margin: 0 0 1rem; }
dl.tools { display: grid; grid-template-columns: max-content 1fr; gap: .15rem 1rem; margin: 0; }
dl.tools dt { font-weight: 600; } dl.tools dd { margin: 0; }
.scroll { overflow-x: auto; }
table { border-collapse: collapse; }
th, td { border: 1px solid var(--line); padding: .25rem .5rem; text-align: left; vertical-align: top; }
thead th { background: var(--head); position: sticky; top: 0; white-space: nowrap; }
td.nowrap { white-space: nowrap; }
td.num { text-align: right; white-space: nowrap; font-variant-numeric: tabular-nums; }
td.ok, .status-built { color: var(--ok); } td.bad, .status-failed { color: var(--bad); font-weight: 600; }
td.none, .status-skipped { color: var(--skip); }
td[title] { cursor: help; text-decoration: underline dotted var(--line); }
tr.failed td, tr.skipped td { background: #fbfbfb; }
.reason { display: block; color: var(--muted); font-size: 12.5px; min-width: 14rem; max-width: 28rem; }
svg { display: block; max-width: 100%; height: auto; font: 12px system-ui, -apple-system, "Segoe UI", sans-serif; }
svg text.label { fill: var(--fg); } svg text.figure { fill: var(--muted); }
.legend { display: flex; flex-wrap: wrap; gap: .25rem 1rem; margin: .5rem 0; padding: 0; list-style: none; }
.legend span { display: inline-block; width: .8rem; height: .8rem; margin-right: .3rem; vertical-align: -.1rem; }
details { margin: .5rem 0 1rem; } summary { cursor: pointer; }
pre { background: var(--head); border: 1px solid var(--line); padding: .5rem; overflow-x: auto;
      white-space: pre-wrap; word-break: break-all; max-height: 30rem; }
.empty { color: var(--muted); font-style: italic; }
"""


def _e(value) -> str:
    """Any value of the document as escaped text; None as the empty string."""
    return "" if value is None else escape(str(value), quote=True)


def _str(value) -> str | None:
    return None if value is None else str(value)


def _dict(value) -> dict:
    return value if isinstance(value, dict) else {}


def _list(value) -> list:
    return value if isinstance(value, list) else []


def _int(value) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _num(value) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def target(v: dict) -> str:
    """A variant's target as people write it: ``linux/amd64``."""
    return f"{v.get('goos') or '?'}/{v.get('goarch') or '?'}"


def _name(v: dict) -> str:
    return f"{v.get('mode') or '?'} {target(v)}"


def _seconds(s: float | None) -> str:
    if s is None:
        return DASH
    return f"{s:.2f} s" if s < 10 else f"{s:.1f} s"


def _yes_no(value) -> tuple[str, str]:
    """(text, class) of a true/false/unknown cell."""
    if value is True:
        return "yes", ""
    if value is False:
        return "no", ""
    return DASH, "none"


def _td(text: str, cls: str = "", title: str | None = None) -> str:
    """A cell whose ``text`` is already escaped; ``title`` is raw and escaped here."""
    attrs = f' class="{cls}"' if cls else ""
    if title:
        attrs += f' title="{_e(title)}"'
    return f"<td{attrs}>{text}</td>"


def _bytes_cell(n: int | None) -> str:
    if n is None:
        return _td(DASH, "num")
    return _td(_e(size_text(n)), "num", f"{n:,} bytes")


# -- the parts of one variant ------------------------------------------------------------------------
def parts_of(v: dict) -> list[tuple[str, int]] | None:
    """A built variant's bytes by chart part, [(key, bytes)] in PARTS order; None when the size is not known.
    Without a breakdown the whole size is "rest"."""
    ins = _dict(v.get("inspect"))
    size = _size(v)
    breakdown = {k: n for k, n in _dict(ins.get("size_breakdown")).items() if _int(n) is not None and n >= 0}
    if size is None and not breakdown:
        return None
    out = [(key, sum(breakdown.get(c, 0) for c in cats)) for key, _l, _c, cats in PARTS if cats]
    rest = sum(n for c, n in breakdown.items() if c not in _NAMED)
    counted = sum(n for _k, n in out) + rest
    if size is not None and size > counted:
        rest += size - counted
    out.append(("rest", rest))
    return out


def _size(v: dict) -> int | None:
    """The file's size: inspect's, else the variant's own."""
    size = _int(_dict(v.get("inspect")).get("size"))
    return size if size is not None else _int(v.get("size"))


def _cgo(ins: dict) -> str:
    """Whether cgo is used, and why: "yes (net, os/user)"."""
    cgo = _dict(ins.get("cgo"))
    used = cgo.get("used")
    if used is True:
        causes = [str(c) for c in _list(cgo.get("causes"))]
        return "yes" + (f" ({', '.join(causes)})" if causes else "")
    if used is False:
        return "no" + (" (enabled, unused)" if cgo.get("enabled") is True else "")
    return DASH


def _verify_cell(check: dict | None) -> str:
    if check is None:
        return _td(DASH, "none", "does not apply to this variant")
    detail = _str(check.get("detail")) or ""
    extra = []
    if _int(check.get("exit_code")) is not None:
        extra.append(f"exit code {check['exit_code']}")
    if _num(check.get("seconds")) is not None:
        extra.append(_seconds(_num(check["seconds"])))
    title = "; ".join(([detail] if detail else []) + extra) or None
    if not check.get("ran"):
        return _td("not run", "none nowrap", title)
    ok = check.get("ok")
    if ok is True:
        return _td("ok", "ok", title)
    if ok is False:
        return _td("failed", "bad", title)
    return _td("ran", "", title)


def _row(v: dict, kinds: list[str], anchor: str | None) -> str:
    ins = _dict(v.get("inspect"))
    status = _str(v.get("status")) or "unknown"
    reason = _str(v.get("reason"))
    status_html = f'<span class="status-{_e(status)}">{_e(status)}</span>'
    if reason:
        status_html += f'<span class="reason">{_e(reason)}</span>'
    if anchor:
        status_html += f' <a href="#{anchor}">details</a>'
    size = _size(v)
    change = _num(v.get("size_vs_default"))
    needed = [str(n) for n in _list(ins.get("needed"))]
    glibc = _str(ins.get("glibc_min"))
    libc = _str(ins.get("libc"))
    floor = glibc or (libc if libc not in (None, "glibc", "none") else None)  # musl has no floor to give
    warnings = [str(w) for w in _list(v.get("warnings"))]
    nss = [str(f) for f in _list(v.get("nss_functions"))]
    warn_title = "\n".join(warnings + ([f"NSS functions: {', '.join(nss)}"] if nss else [])) or None
    by_kind = {}
    for check in _list(v.get("verify")):
        if isinstance(check, dict):
            by_kind.setdefault(str(check.get("kind")), check)
    preload = by_kind.get("preload")
    stripped, stripped_cls = _yes_no(ins.get("stripped"))
    injectable, injectable_cls = _yes_no(preload.get("injectable") if preload else None)
    repro, repro_cls = _yes_no(v.get("reproducible"))
    cells = [
        _td(_e(v.get("mode") or "?")),
        _td(_e(target(v)), "mono", _str(v.get("path"))),
        _td(status_html, "", _str(v.get("command"))),
        _bytes_cell(size),
        _td(f"{change * 100:+.1f}%" if change is not None else DASH, "num"),
        _td(_e(ins.get("linkage")) or DASH),
        _td(_e(ins.get("interpreter")) or DASH, "mono nowrap"),
        _td(_e(", ".join(needed)) or DASH, "mono"),
        _td(_e(floor) or DASH),
        _td(_e(_cgo(ins)), "nowrap"),
        _td(stripped, stripped_cls),
        _td(str(len(warnings)), "num", warn_title),
        _td(_seconds(_num(v.get("build_seconds"))), "num"),
        *(_verify_cell(by_kind.get(k)) for k in kinds),
        _td(injectable, injectable_cls),
        _td(repro, repro_cls),
    ]
    return (f'<tr class="{_e(status)}" data-mode="{_e(v.get("mode"))}" data-target="{_e(target(v))}">'
            + "".join(cells) + "</tr>")


def _verify_kinds(variants: list[dict]) -> list[str]:
    """The verify columns: the kinds any variant has, the known ones in their order, then the others."""
    seen: list[str] = []
    for v in variants:
        for check in _list(v.get("verify")):
            if isinstance(check, dict) and str(check.get("kind")) not in seen:
                seen.append(str(check.get("kind")))
    return [k for k in KINDS if k in seen] + [k for k in seen if k not in KINDS]


def _table(variants: list[dict], anchors: dict[int, str]) -> str:
    if not variants:
        return '<p class="empty">No variants.</p>'
    kinds = _verify_kinds(variants)
    heads = ["mode", "target", "status", "size", "vs default", "linkage", "interpreter", "needed",
             "glibc floor", "cgo", "stripped", "warnings", "build time",
             *(_VERIFY_HEAD.get(k, k) for k in kinds), "injectable", "reproducible"]
    rows = [_row(v, kinds, anchors.get(i)) for i, v in enumerate(variants)]
    return ('<div class="scroll"><table id="variants"><thead><tr>'
            + "".join(f"<th>{_e(h)}</th>" for h in heads)
            + "</tr></thead><tbody>\n" + "\n".join(rows) + "\n</tbody></table></div>")


# -- charts -------------------------------------------------------------------------------------------
_LABEL_W, _BAR_W, _FIG_W, _ROW_H, _BAR_H = 230, 520, 110, 24, 16
_LABEL_CHARS = 34  # what fits in _LABEL_W at 12px; longer labels are cut, whole in their tooltip


def _bar_chart(cid: str, title: str, rows: list[tuple[str, list[tuple[str, str, float, str]], str]]) -> str:
    """A horizontal bar chart: one ``<g class="bar">`` per row of (label, [(key, colour, value, tooltip)],
    figure text), the segments stacked left to right, scaled to the largest total."""
    top = max((sum(s[2] for s in segs) for _l, segs, _f in rows), default=0) or 1
    width, height = _LABEL_W + _BAR_W + _FIG_W, _ROW_H * len(rows) + 8
    out = [f'<svg id="{cid}" role="img" aria-label="{_e(title)}" viewBox="0 0 {width} {height}" '
           f'width="{width}" height="{height}" xmlns="http://www.w3.org/2000/svg">']
    for i, (label, segs, figure) in enumerate(rows):
        y = 4 + i * _ROW_H
        out.append(f'<g class="bar" data-variant="{_e(label)}">')
        short = label if len(label) <= _LABEL_CHARS else label[:_LABEL_CHARS - 1] + "\u2026"
        out.append(f'<text class="label" x="{_LABEL_W - 8}" y="{y + _BAR_H - 4}" text-anchor="end">'
                   f"<title>{_e(label)}</title>{_e(short)}</text>")
        x = float(_LABEL_W)
        for key, colour, value, tip in segs:
            w = value / top * _BAR_W
            if w <= 0:
                continue
            out.append(f'<rect class="part-{_e(key)}" x="{x:.2f}" y="{y}" width="{w:.2f}" height="{_BAR_H}" '
                       f'fill="{colour}"><title>{_e(tip)}</title></rect>')
            x += w
        out.append(f'<text class="figure" x="{x + 6:.2f}" y="{y + _BAR_H - 4}">{_e(figure)}</text></g>')
    out.append("</svg>")
    return "\n".join(out)


def _size_section(variants: list[dict]) -> str:
    built = [(v, parts_of(v)) for v in variants if v.get("status") == "built"]
    built = [(v, p) for v, p in built if p is not None]
    if not built:
        return '<h2>Size</h2><p class="empty">No built variant with a known size.</p>'
    label = {key: name for key, name, _c, _cats in PARTS}
    colour = {key: c for key, _n, c, _cats in PARTS}
    rows = []
    for v, parts in built:
        total = sum(n for _k, n in parts)
        segs = [(k, colour[k], n, f"{_name(v)}: {label[k]} {size_text(n)} ({n:,} bytes)") for k, n in parts]
        rows.append((_name(v), segs, size_text(total)))
    legend = "".join(f'<li><span style="background:{c}"></span>{_e(name)}'
                     + (f' <small>({_e(" + ".join(cats))})</small>' if len(cats) > 1 else "") + "</li>"
                     for _k, name, c, cats in PARTS)
    heads = "".join(f"<th>{_e(name)}</th>" for _k, name, _c, _cats in PARTS)
    figures = "".join(f"<tr><td>{_e(_name(v))}</td>"
                      + "".join(_bytes_cell(n) for n in [*(n for _k, n in parts), sum(n for _k, n in parts)])
                      + "</tr>" for v, parts in built)
    return ("<h2>Size</h2>\n" + f'<ul class="legend">{legend}</ul>\n'
            + _bar_chart("size-chart", "size per variant, stacked by part", rows)
            + '\n<details><summary>Byte figures</summary><table id="size-figures"><thead><tr><th>variant</th>'
            + heads + "<th>total</th></tr></thead><tbody>" + figures + "</tbody></table></details>")


def _time_section(variants: list[dict]) -> str:
    timed = [(v, _num(v.get("build_seconds"))) for v in variants]
    timed = [(v, s) for v, s in timed if s is not None]
    if not timed:
        return '<h2>Build time</h2><p class="empty">No build times.</p>'
    rows = []
    for v, s in timed:
        failed = v.get("status") == "failed"
        colour = "#e15759" if failed else "#4e79a7"
        tip = f"{_name(v)}: {_seconds(s)}" + (" (failed)" if failed else "")
        rows.append((_name(v), [("time", colour, s, tip)], _seconds(s) + (" failed" if failed else "")))
    return "<h2>Build time</h2>\n" + _bar_chart("time-chart", "build time per variant", rows)


def _problems(variants: list[dict], anchors: dict[int, str]) -> str:
    """The failed and skipped variants: the reason, the command and the compiler's output."""
    blocks = []
    for i, v in enumerate(variants):
        if i not in anchors:
            continue
        status = _str(v.get("status")) or "unknown"
        parts = [f'<section id="{anchors[i]}"><h3>{_e(_name(v))}: <span class="status-{_e(status)}">'
                 f"{_e(status)}</span></h3>"]
        if v.get("reason"):
            parts.append(f'<p>{_e(v.get("reason"))}</p>')
        if v.get("command"):
            parts.append(f'<p>Command: <code>{_e(v.get("command"))}</code></p>')
        if v.get("cc"):
            parts.append(f'<p>C toolchain: <code>{_e(v.get("cc"))}</code></p>')
        output = _str(v.get("output"))
        if output:
            parts.append(f"<details{' open' if status == 'failed' else ''}><summary>Compiler output "
                         f"({output.count(chr(10)) + 1} lines)</summary><pre>{_e(output)}</pre></details>")
        blocks.append("".join(parts) + "</section>")
    if not blocks:
        return ""
    return "<h2>Failed and skipped</h2>\n" + "\n".join(blocks)


def _toolchains(doc: dict) -> str:
    tools = _dict(doc.get("toolchains"))
    if not tools:
        return ""
    rows = "".join(f"<dt>{_e(k)}</dt><dd><code>{_e(val) or DASH}</code></dd>" for k, val in tools.items())
    return f'<h2>Toolchains</h2><dl class="tools">{rows}</dl>'


def page(doc: dict) -> str:
    """The whole page for a `linkscope build --json` document."""
    doc = _dict(doc)
    variants = [v for v in _list(doc.get("variants")) if isinstance(v, dict)]
    anchors = {i: f"variant-{i}" for i, v in enumerate(variants) if v.get("status") in ("failed", "skipped")}
    package = _str(doc.get("package")) or "."
    counts = {}
    for v in variants:
        counts[str(v.get("status"))] = counts.get(str(v.get("status")), 0) + 1
    summary = ", ".join(f"{n} {s}" for s, n in counts.items()) or "no variants"
    host = f" on {_e(doc.get('host'))}" if doc.get("host") else ""
    return "\n".join([
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        # No script, no fetch: this policy makes the browser refuse any that slipped in.
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; "
        "img-src data:\">",
        f"<title>linkscope build: {_e(package)}</title>",
        f"<style>{_CSS}</style></head><body>",
        f"<h1>linkscope build: <code>{_e(package)}</code></h1>",
        f'<p class="meta">{len(variants)} variant{"s" * (len(variants) != 1)}{host}: {_e(summary)}</p>',
        _toolchains(doc),
        "<h2>Variants</h2>",
        _table(variants, anchors),
        _size_section(variants),
        _time_section(variants),
        _problems(variants, anchors),
        "</body></html>",
        "",
    ])
