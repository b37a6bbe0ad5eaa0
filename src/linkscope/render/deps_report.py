"""Human output for deps: the flat list ldd users know, or an indented tree. Returns text; the
command prints it."""
from __future__ import annotations

from ..sniff import NON_BINARY
from ..deps.records import VIA_API_SET, VIA_NOT_FOUND, VIA_SHARED_CACHE, VIA_WEAK_NOT_FOUND, VIA_WINDOWS_SYSTEM, Result

_PROVIDED = {VIA_SHARED_CACHE: "dyld shared cache", VIA_WINDOWS_SYSTEM: "provided by Windows",
             VIA_API_SET: "API set, provided by Windows"}


def _target(lib) -> str:
    if lib.via == VIA_NOT_FOUND:
        return "not found"
    if lib.via == VIA_WEAK_NOT_FOUND:
        return "not found (weak)"
    if lib.path is None or lib.via in _PROVIDED:
        return f"({_PROVIDED.get(lib.via, lib.via)})" if lib.path is None else f"{lib.path} ({_PROVIDED[lib.via]})"
    return lib.path


def _empty_line(r: Result) -> str | None:
    if r.error is not None:
        return None
    if r.static and not r.libraries:
        line = "\t" + (r.note or "no shared libraries")
        if r.linkage not in _LDD_AGREES.get(r.note, (r.linkage,)):
            # ldd's words and the verdict differ (ld.so itself: "statically linked", yet dynamic): say both.
            line += f" (ldd's wording; linkage: {r.linkage})"
        return line
    return None


# The linkage verdicts each of ldd's sentences agrees with.
_LDD_AGREES = {"statically linked": ("static-pie", "static"), "not a dynamic executable": ("static", None)}


def _script_lines(r: Result) -> list[str] | None:
    """A script's (or another non-binary's) lines: what it is, then its interpreter and env's
    program as "name => path" or "=> not found"; None for a binary."""
    if r.format not in NON_BINARY:
        return None
    lines = [r.note or "not a binary"]
    for i in (r.interpreter, r.program):
        if i is not None:
            lines.append(f"{i.name} => {i.path or 'not found'}")
    return lines


def flat(r: Result, header: bool = False) -> str:
    """``ldd``'s layout: "\\tname => path" per library, "=> not found" for the missing ones. An input
    that could not be read has no lines here (its error goes to stderr, once)."""
    lines = [f"{r.path}:"] if header else []
    script = _script_lines(r)
    if script is not None:
        return "\n".join(lines + ["\t" + ln for ln in script])
    empty = _empty_line(r)
    if empty:
        lines.append(empty)
    for lib in r.libraries:
        lines.append(f"\t{lib.name} => {_target(lib)}")
    return "\n".join(lines)


MAX_TREE_DEPTH = 64    # levels of the tree drawn below the file


def tree(r: Result, unicode: bool = True) -> str:
    """An indented tree in DT_NEEDED / load-command order. Each library is expanded once, under the
    object that loaded it first (its first ``needed_by``); its other occurrences are marked
    "(repeat)" and not expanded again."""
    tee, last, bar, gap = ("├── ", "└── ", "│   ", "    ") if unicode else ("|-- ", "`-- ", "|   ", "    ")
    script = _script_lines(r)
    if script is not None:
        return "\n".join([r.path, "    " + script[0]] + [prefix + ln for prefix, ln in
                          zip([tee] * (len(script) - 2) + [last], script[1:])])
    head = r.path
    if r.interpreter is not None:
        head += f" [interpreter {r.interpreter.name}" + ("" if r.interpreter.path else ", not found") + "]"
    lines = [head]
    empty = _empty_line(r)
    if empty:
        lines.append("    " + empty.strip())
    # Which occurrence expands each library: under its first requester that really lists it.
    needs_of = {r.path: r.needs}
    for lib in r.libraries:
        needs_of.setdefault(lib.name, lib.needs)
    home: dict[int, str] = {}
    for idx, lib in enumerate(r.libraries):
        home[idx] = next((p for p in lib.needed_by if idx in needs_of.get(p, ())), None)
    expanded: set[int] = set()
    # Walked with a stack, not recursion: the graph comes from the files. Each library is expanded
    # once, so the lines are bounded by the graph's edges; the depth bound keeps a chain's
    # indentation from growing the output with the square of its length.
    stack = [(r.needs, 0, "", r.path, 0)]      # (needs, next position, prefix, parent, depth)
    while stack:
        needs, k, prefix, parent, depth = stack.pop()
        if k == len(needs):
            continue
        stack.append((needs, k + 1, prefix, parent, depth))
        idx = needs[k]
        lib = r.libraries[idx]
        end = k == len(needs) - 1
        label = f"{lib.name} => {_target(lib)}"
        if lib.via not in (VIA_NOT_FOUND, VIA_WEAK_NOT_FOUND) and lib.via not in _PROVIDED and lib.path is not None:
            label += f" [{lib.via}]"
        expand = idx not in expanded and home[idx] in (parent, None)
        if not expand:
            label += " (repeat)"
        elif depth >= MAX_TREE_DEPTH and lib.needs:
            expand = False
            label += f" (its libraries not drawn: more than {MAX_TREE_DEPTH} levels deep)"
        lines.append(prefix + (last if end else tee) + label)
        if expand:
            expanded.add(idx)
            stack.append((lib.needs, 0, prefix + (gap if end else bar), lib.name, depth + 1))
    return "\n".join(lines)
