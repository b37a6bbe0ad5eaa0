"""``linkscope explain``: why each binary is what it is, and what to change. Exit 0, or 1 when an
input cannot be read."""
from __future__ import annotations

import shutil
import sys

from ..inputs import gather, renamed
from ..inspector import inspect
from ..render import explain, jsonout
from ..render.stream import batch, stream, write
from ..sniff import NON_BINARY
from ..status import EXIT_FAIL, EXIT_OK
from . import rendered_one, root_tree


def run(args) -> int:
    tty = sys.stdout.isatty()
    colour = args.color == "always" or (args.color == "auto" and tty)
    width = min(shutil.get_terminal_size((100, 24)).columns, 120) if tty else 100

    tree = root_tree(args, "explain")
    try:
        return _run(args, tree, colour, width, tty)
    finally:
        if tree is not None and hasattr(tree, "close"):
            tree.close()


def _run(args, tree, colour: bool, width: int, tty: bool) -> int:
    # A directory root judges the RPATHs of binaries of this machine; an image's binaries are inside it.
    from ..files import HostFiles

    inside = None if tree is None or isinstance(tree, HostFiles) else tree
    with gather(args) as inp:
        names, only = inp.names, args.only_binaries

        def render(r):
            return jsonout.binary_to_json(r) if args.json else explain.file_report(r, width=width, colour=colour)

        def work(chunk: list[str]) -> list:
            out = []
            for p in chunk:
                def make(p=p):
                    r = inspect(p, files=inside)
                    if p in names:
                        r = renamed(r, names[p])
                    if only and r.format in NON_BINARY:
                        return None
                    if tree is not None and r.format not in NON_BINARY:
                        from ..analysis import with_root_findings
                        r = with_root_findings(r, tree)
                    return r
                out.append(rendered_one(names.get(p, p), make, render))
            return out

        if args.json:
            done = [d for d in batch(inp.paths, work, problems=inp.problems) if d is not None]
            write(jsonout.dumps(jsonout.document(d for d, _ in done), pretty=tty))
            return EXIT_FAIL if inp.problems or any(e is not None for _, e in done) else EXIT_OK
        first = [True]

        def text(item):
            block = item[0]
            if not block:
                return None
            sep, first[0] = ("" if first[0] else "\n"), False   # a blank line between files
            return sep + block

        failed = stream(inp.paths, work, text, problems=inp.problems)
    return EXIT_FAIL if failed else EXIT_OK
