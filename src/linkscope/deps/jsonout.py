"""The JSON form of a deps result (the "deps" document of the shipped schema; see schema/deps.schema.json).

Exactly the fields the issue fixes; diagnostics go to stderr, not into the document.
"""
from __future__ import annotations

from typing import Any

from .model import Result


def deps_to_json(r: Result) -> dict[str, Any]:
    return {
        "path": r.path,
        "error": None if r.error is None else {"kind": r.error.kind, "message": r.error.message, "offset": r.error.offset},
        "linkage": r.linkage,
        "libc": r.libc,
        "interpreter": None if r.interpreter is None else {"name": r.interpreter.name, "path": r.interpreter.path},
        "libraries": [
            {"name": l.name, "path": l.path, "realpath": l.realpath, "via": l.via, "needed_by": list(l.needed_by),
             "depth": l.depth}
            for l in r.libraries
        ],
        "missing": list(r.missing),
        "glibc_min": r.glibc_min,
        "runs_on": list(r.runs_on),
        "format": r.format,
        "note": r.note,
        "program": None if r.program is None else {"name": r.program.name, "path": r.program.path},
    }
