"""``deps`` on a ``#!`` script: the interpreter the kernel runs, resolved inside the root through
the Files like any library (never outside it), and for ``#!/usr/bin/env CMD`` the command env(1)
would find on the PATH. The PATH is not this process's (a sysroot is not run with this machine's
environment): it is DEFAULT_PATH, the PATH Debian's login shells and env's own fallback use."""
from __future__ import annotations

import stat

from ..files import join
from .records import Interpreter

DEFAULT_PATH = ("/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin")


def resolve_script(ctx, facts: dict) -> dict:
    """The deps Result fields of a script whose record facts (formats.script) are ``facts``."""
    interp = facts.get("interpreter")
    line = "#!" + (interp or "") + (f" {facts['interpreter_arg']}" if facts.get("interpreter_arg") else "")
    if interp is None:
        return dict(note=f"script {line}: no interpreter (a shell runs it)")
    missing: list[str] = []
    ri = ctx.fs.resolve(interp, ctx.cwd)
    found = ri.ok and stat.S_ISREG(ri.st.st_mode)
    if not found:
        missing.append(interp)
        if ri.message:
            ctx.warn(f"interpreter {interp}: {ri.message}")
    out = dict(note=f"script {line}", interpreter=Interpreter(interp, interp if found else None,
                                                                ri.real if found else None))
    prog = facts.get("program")
    if prog and prog != interp:
        candidates = [prog] if "/" in prog else [join(d, prog) for d in DEFAULT_PATH]
        hit = None
        for c in candidates:
            rc = ctx.fs.resolve(c, ctx.cwd)
            if rc.ok and stat.S_ISREG(rc.st.st_mode):
                hit = Interpreter(prog, c, rc.real)
                break
        if hit is None:
            missing.append(prog)
            hit = Interpreter(prog, None)
        out["program"] = hit
    out["missing"] = tuple(missing)
    return out
