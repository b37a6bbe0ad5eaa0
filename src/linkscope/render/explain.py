"""`linkscope explain`: the findings of each file as a short, readable report.

One block per file: a heading (the path and what the file is), then the findings grouped by
topic (cgo, C library, linker, portability, LD_PRELOAD, hardening, size), most severe first in each
group, each wrapped to the width given: the title, then its evidence and the fix. Colour (ANSI) only
when asked, which the CLI does only for a terminal. Nothing here prints.
"""
from __future__ import annotations

import textwrap

from ..errors import error_message, unreadable
from ..model import Binary, Finding
from ..sniff import NON_BINARY

GROUPS = (
    ("cgo", "cgo"),
    ("static-glibc", "C library"),
    ("linker", "Linker"),
    ("portability", "Portability"),
    ("preload", "LD_PRELOAD"),
    ("hardening", "Hardening"),
    ("size", "Size"),
)
_MARK = {"error": "error", "warning": "warning", "info": "info"}
_COLOUR = {"error": "\033[1;31m", "warning": "\033[33m", "info": "\033[36m", "head": "\033[1m", "dim": "\033[2m"}
_RESET = "\033[0m"
_SEVERITY = {"error": 0, "warning": 1, "info": 2}


class _Style:
    def __init__(self, colour: bool):
        self.colour = colour

    def __call__(self, kind: str, text: str) -> str:
        if not self.colour or kind not in _COLOUR:
            return text
        return f"{_COLOUR[kind]}{text}{_RESET}"


def _what(b: Binary) -> str:
    from .human import _head

    parts = [_head(b)]
    if b.go is not None:
        parts.append(f"Go {b.go.version}")
    if b.size:
        parts.append(f"{b.size:,} bytes")
    return ", ".join(parts)


def _group_of(f: Finding) -> str:
    head = f.id.split(".", 1)[0]
    return head if any(head == g for g, _ in GROUPS) else "other"


def _wrap(text: str, width: int, first: str, rest: str) -> list[str]:
    return textwrap.wrap(text, width=max(width, 40), initial_indent=first, subsequent_indent=rest,
                         break_long_words=False, break_on_hyphens=False) or [first.rstrip()]


def _shell_words(text: str) -> list[str]:
    """``text`` split at the spaces a POSIX shell splits at (none inside quotes), quotes kept."""
    out, cur, quote = [], [], None
    for c in text:
        if quote:
            cur.append(c)
            if c == quote:
                quote = None
        elif c in "'\"":
            quote = c
            cur.append(c)
        elif c == " ":
            if cur:
                out.append("".join(cur))
                cur = []
        else:
            cur.append(c)
    if cur:
        out.append("".join(cur))
    return out


def _wrap_command(text: str, width: int, first: str, rest: str) -> list[str]:
    """A fix wrapped so it can still be pasted into a shell: broken only between shell words, each
    continued line ending in a backslash (a word longer than the width stays whole)."""
    width = max(width, 40)
    lines, cur = [], first
    words = _shell_words(text)
    for i in range(len(words) - 1, 0, -1):            # "go build" stays on one line
        if words[i - 1] == "go" and words[i] == "build":
            words[i - 1:i + 1] = ["go build"]
    for w in words:
        lead = cur == first or cur == rest
        if not lead and len(cur) + 1 + len(w) + 2 > width:
            lines.append(cur + " \\")
            cur = rest + w
        else:
            cur = cur + ("" if lead else " ") + w
    lines.append(cur)
    return lines


def file_report(b: Binary, width: int = 100, colour: bool = False, indent: str = "") -> str:
    st = _Style(colour)
    out = [indent + st("head", b.path)]
    pad = indent + "  "
    if unreadable(b):
        # The CLI shows no block for it (its error line is on stderr, once); a library caller gets this.
        out.append(f"{pad}{st('error', 'error')}: {error_message(b.error, b.size or None)}")
        return "\n".join(out)
    if b.slices:
        out.append(f"{pad}Mach-O universal binary, {len(b.slices)} slices")
        for s in b.slices:
            out.append(file_report(s, width, colour, pad).replace(s.path, f"[{s.arch or '?'}]", 1))
        return "\n".join(out)
    out.extend(st("dim", ln) for ln in _wrap(_what(b), width, pad, pad + "  "))
    for w in b.warnings:
        # A partial record: say what could not be read before anything is explained from the rest.
        text = f"partial: {w.table} could not be read ({error_message(w, b.size or None)}); what it holds is unknown"
        out.extend(_wrap(text, width, f"{pad}{st('warning', 'warning')} ", pad + " " * 10))
    if b.format in NON_BINARY:
        out.append(f"{pad}not a binary: nothing to explain")
        return "\n".join(out)
    if not b.findings:
        out.append(f"{pad}nothing to explain")
        return "\n".join(out)
    groups: dict[str, list[Finding]] = {}
    for f in b.findings:
        groups.setdefault(_group_of(f), []).append(f)
    titles = dict(GROUPS)
    for key in [g for g, _ in GROUPS] + ["other"]:
        fs = groups.get(key)
        if not fs:
            continue
        out.append("")
        out.append(pad + st("head", titles.get(key, "Other")))
        for f in sorted(fs, key=lambda f: _SEVERITY.get(f.severity, 3)):
            mark = _MARK.get(f.severity, f.severity)
            lead = f"{pad}  {mark:<7} "
            lines = _wrap(f.title, width, lead, pad + " " * 10)
            lines[0] = lines[0].replace(mark, st(f.severity, mark), 1)
            out.extend(lines)
            if f.evidence:
                ev = "; ".join(f.evidence)
                out.extend(st("dim", ln) for ln in _wrap("evidence: " + ev, width, pad + " " * 10, pad + " " * 20))
            if f.fix:
                out.extend(_wrap_command(f.fix, width, pad + " " * 10 + "fix: ", pad + " " * 15))
    return "\n".join(out)


def report(records, width: int = 100, colour: bool = False) -> str:
    """The whole report: one block per file, separated by a blank line."""
    return "\n\n".join(file_report(b, width, colour) for b in records)
