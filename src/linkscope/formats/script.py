"""``#!`` scripts, read the way the kernel's binfmt_script reads them (fs/binfmt_script.c).

The kernel looks at the first BINPRM_BUF_SIZE (256) bytes only. After ``#!``, spaces and tabs are
skipped; the interpreter runs to the next space, tab or end of line; spaces and tabs are skipped
again and the rest of the line, with trailing spaces and tabs removed, is one optional argument
(spaces inside it included: the kernel never splits it). When the line does not end within those
256 bytes, an interpreter that does not end there either is refused (ENOEXEC); otherwise the argument
is cut at the buffer's end. ``#!/usr/bin/env python3`` is interpreter /usr/bin/env, argument python3:
the program that runs is the one env finds, which :func:`env_program` works out as env(1) would."""
from __future__ import annotations

from ..errors import Malformed
from .base import Image

BINPRM_BUF_SIZE = 256
_SPACE = b" \t"


class ScriptImage(Image):
    format = "script"
    binary = False

    def __init__(self, view, interpreter: str | None, argument: str | None):
        super().__init__(view)
        self.interpreter, self.argument = interpreter, argument

    @property
    def program(self) -> str | None:
        """What runs: the interpreter, or for env(1) the command it looks up."""
        if self.interpreter is not None and self.interpreter.rsplit("/", 1)[-1] == "env":
            return env_program(self.argument)
        return self.interpreter

    def facts(self, summary: bool = False) -> dict:
        if self.interpreter is None:
            desc = "script, no interpreter on its #! line (a shell runs it)"
        else:
            desc = "script, interpreter " + self.interpreter + (f" {self.argument}" if self.argument else "")
            prog = self.program
            if prog is not None and prog != self.interpreter:
                desc += f" (runs {prog})"
        return dict(format="script", type="script", interpreter=self.interpreter, interpreter_arg=self.argument,
                    program=self.program, description=desc)


def parse(view) -> ScriptImage:
    head = view.bytes(0, min(len(view), BINPRM_BUF_SIZE), "#! line")
    if not head.startswith(b"#!"):
        raise Malformed("not a #! script", offset=0)
    nl = head.find(b"\n")
    line = head[2:] if nl < 0 else head[2:nl]
    i = 0
    while i < len(line) and line[i:i + 1] in (b" ", b"\t"):
        i += 1
    j = i
    while j < len(line) and line[j:j + 1] not in (b" ", b"\t", b"\0"):
        j += 1
    if nl < 0 and j == len(line) and len(head) == BINPRM_BUF_SIZE:
        raise Malformed(f"the #! line's interpreter does not end within {BINPRM_BUF_SIZE} bytes "
                        "(the kernel refuses to run it)", offset=2 + i)
    interp = line[i:j]
    rest = line[j:].split(b"\0", 1)[0].strip(_SPACE)
    return ScriptImage(view, _text(interp) if interp else None, _text(rest) if rest and interp else None)


def _text(b: bytes) -> str:
    return b.decode("utf-8", "surrogateescape")


# env(1) options (GNU coreutils 9) that take a value as the next word.
_ENV_VALUE_OPTS = {"-u", "--unset", "-C", "--chdir", "-a", "--argv0"}


def env_program(argument: str | None) -> str | None:
    """The command ``#!/usr/bin/env ARGUMENT`` runs. The kernel passes ARGUMENT as one word: env
    splits it only after ``-S`` (``--split-string``); then come options (env's getopt stops at the
    first word that is not one), NAME=VALUE settings, and the command."""
    if not argument:
        return None
    if argument.startswith("-S") or argument.startswith("--split-string"):
        if argument.startswith("--split-string"):
            rest = argument[len("--split-string"):].lstrip("=")
        else:
            rest = argument[2:]
        words = rest.split()
    else:
        words = [argument]
    k = 0
    while k < len(words):
        w = words[k]
        if w == "--":
            k += 1
            break
        if w in _ENV_VALUE_OPTS:
            k += 2
        elif w.startswith("-") and len(w) > 1:
            k += 1
        else:
            break
    while k < len(words) and "=" in words[k]:
        k += 1
    return words[k] if k < len(words) else None
