"""The summary of a scan (linkscope.scan.Summary's JSON) as text, and as the JSON document."""
from __future__ import annotations

from ..units import size_text

SCHEMA_VERSION = 1
_LABELS = (("format", "format"), ("arch", "arch"), ("linkage", "linkage"), ("libc", "libc"),
           ("glibc_min", "glibc floor"), ("go", "Go"), ("cgo", "cgo (Go binaries)"), ("stripped", "stripped"))


def document(summary: dict) -> dict:
    return {"schema_version": SCHEMA_VERSION, "summary": summary}


def _counts(counts: dict[str, int], limit: int = 8) -> str:
    items = list(counts.items())
    shown = ", ".join(f"{k} {n:,}" for k, n in items[:limit])
    rest = sum(n for _, n in items[limit:])
    return shown + (f", {len(items) - limit} more {rest:,}" if rest else "")


def lines(s: dict, seconds: float | None = None) -> list[str]:
    """The summary: what was scanned, the counts, the largest binaries, findings by kind and,
    with a policy, the violations by rule."""
    n_img = sum(t["kind"] == "image" for t in s["targets"])
    what = f"{len(s['targets'])} target{'' if len(s['targets']) == 1 else 's'}" + (f" ({n_img} image{'' if n_img == 1 else 's'})" if n_img else "")
    head = f"scanned {what}: {s['files_seen']:,} files, {s['binaries']:,} binaries"
    if seconds is not None and seconds > 0:
        head += f" in {seconds:.1f} s ({s['files_seen'] / seconds:,.0f} files/s)"
    out = [head]
    for t in s["targets"]:
        if t.get("error"):
            out.append(f"  {t['target']}: not scanned: {t['error']}")
    for key, label in _LABELS:
        c = s["counts"].get(key)
        if c:
            out.append(f"{label + ':':<19}{_counts(c)}")
    if s["unreadable"]:
        out.append(f"{'unreadable:':<19}{s['unreadable']:,} (their records' error says why)")
    if s["largest"]:
        out.append("largest:")
        out.extend(f"  {size_text(b['size']):>10}  {b['target']}:{b['path']}" for b in s["largest"])
    if s["findings"]:
        out.append("findings:")
        rank = {"error": 0, "warning": 1}
        for fid, g in sorted(s["findings"].items(), key=lambda kv: (rank.get(kv[1]["severity"], 2), -kv[1]["count"], kv[0])):
            out.append(f"  {fid} ({g['severity']}): {g['count']:,} binar{'y' if g['count'] == 1 else 'ies'}")
            if g["severity"] in rank:     # the kinds that ask for action, with examples; info kinds counted
                out.extend(f"    {e['path']}: {e['title']}" for e in g["examples"])
    if s["problems"]:
        out.append(f"problems: {s['problems']:,} entries skipped or damaged (listed in the JSON lines' target records):")
        for t in s["targets"]:
            out.extend(f"  {p}" for p in t.get("problems", ())[:5])
    if s["violations"]:
        out.append(f"violations: {s['failing_binaries']:,} binar{'y' if s['failing_binaries'] == 1 else 'ies'} break the policy")
        for rule, g in s["violations"].items():
            out.append(f"  {rule}: {g['count']:,}")
            out.extend(f"    {e['path']}: {e['message']}" for e in g["examples"])
    return out
