"""``linkscope inspect``: what each file is. Exit 0, or 1 when an input cannot be read."""
from __future__ import annotations

import sys

from ..inputs import UsageError, gather, renamed
from ..inspector import inspect
from ..render.stream import batch, stream, write
from ..sniff import NON_BINARY
from ..status import EXIT_FAIL, EXIT_OK
from . import rendered_one, root_tree


def run(args) -> int:
    if args.json and args.jsonl:
        raise UsageError("--json and --jsonl: choose one")
    pretty = args.json and sys.stdout.isatty()
    human = not (args.json or args.jsonl)
    if args.json or args.jsonl:
        from ..render import jsonout
        if pretty:
            render = jsonout.binary_to_json
        else:   # each worker encodes its own records; the document is joined from their text
            render = jsonout.binary_text
    else:
        from ..render import human as text
        render = text.full if args.verbose else text.line

    summary = not args.json and not args.jsonl and not args.verbose   # the one line shows header facts only
    if args.root is not None and args.recursive:
        raise UsageError("-r reads a directory of this machine: with --root, name the files inside the root")
    tree = root_tree(args, "inspect")
    try:
        return _run(args, render, human, pretty, summary, tree)
    finally:
        if tree is not None and hasattr(tree, "close"):
            tree.close()


def _run(args, render, human, pretty, summary, tree) -> int:
    with gather(args) as inp:
        names, only = inp.names, args.only_binaries

        def work(chunk: list[str]) -> list[tuple[object, str | None] | None]:
            out = []
            for p in chunk:
                def make(p=p):
                    r = inspect(p, summary=summary, files=tree)
                    if p in names:
                        r = renamed(r, names[p])
                    return None if only and r.format in NON_BINARY else r
                out.append(rendered_one(names.get(p, p), make, render, human))
            return out

        if args.json:   # one document: printed when every record is in
            from ..render import jsonout
            done = [d for d in batch(inp.paths, work, problems=inp.problems) if d is not None]
            if pretty:
                write(jsonout.dumps(jsonout.document(d for d, _ in done), pretty=True))
            else:
                write(jsonout.document_text(d for d, _ in done))
            return EXIT_FAIL if inp.problems or any(e is not None for _, e in done) else EXIT_OK
        failed = stream(inp.paths, work, lambda item: item[0], problems=inp.problems)
    return EXIT_FAIL if failed else EXIT_OK
