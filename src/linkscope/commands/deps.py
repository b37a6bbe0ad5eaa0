"""``linkscope deps``: resolve each input as its loader would and print the results. Exit 0 when every
input resolved completely, 1 when one has missing libraries (or a script its interpreter) or could not
be read, 2 for usage errors. Results stream out in input order as they are done; an input that could
not be read has its error line on stderr only (see linkscope.render.diagnostic)."""
from __future__ import annotations

import sys

from ..deps.hostenv import host_env
from ..deps.records import Result
from ..deps.resolver import Session
from ..inputs import UsageError, gather, renamed
from ..render.deps_report import flat, tree
from ..render.diagnostic import note_line, record_error_line
from ..render.jsonout import deps_to_json, document, dumps
from ..render.stream import batch, stream, write
from ..sniff import NON_BINARY
from ..status import EXIT_FAIL, EXIT_OK
from . import guarded, resolve_one, root_image


def run(args) -> int:
    if args.json and args.jsonl:
        raise UsageError("--json and --jsonl: choose one")
    image = root_image(args, "deps")
    try:
        return _run(args, image)
    finally:
        if image is not None:
            image.close()


def _run(args, image) -> int:
    if image is not None:     # the paths given are inside the image: it has no files on this machine
        from ..deps.records import Env
        env = Env(root=image.root, ld_library_path=args.library_path or "", cwd="/")
    else:
        env = host_env(args.root, args.library_path)
    jsonl, only = args.jsonl, args.only_binaries
    facts = bool(args.json or jsonl or args.tree)
    enc = (getattr(sys.stdout, "encoding", None) or "").lower().replace("-", "")

    with gather(args) as inp:
        header = len(inp.paths) > 1

        def render(r):
            if args.json or jsonl:
                return deps_to_json(r)
            if r.error is not None and r.format is None:
                return None          # its error line, on stderr, says it all
            if args.tree:
                text = tree(r, unicode=enc == "utf8")
                return text + (f"\n    runs on: {', '.join(r.runs_on)}" if r.runs_on else "")
            return flat(r, header=header)

        session = Session(image)

        def resolved(chunk: list[str]) -> list:
            return [resolve_one(p, env, session, libc_facts=facts) for p in chunk]

        def shown(r):
            lines = [note_line("deps", r.path, w) for w in r.warnings]
            err = record_error_line(r)
            if err is not None:
                lines.append(err)
            return render(r), "\n".join(lines) or None, r.ok

        def work(chunk: list[str]) -> list:
            done = []
            for r in resolved(chunk):
                if r.path in inp.names:
                    r = renamed(r, inp.names[r.path])
                if only and r.format in NON_BINARY:
                    done.append(None)
                    continue
                done.append(guarded(lambda r=r: shown(r), lambda e, r=r: shown(Result(r.path, e))))
            return done

        # What nearly every input needs (ld.so.cache, libc and its loader) is read once, before forking.
        warm = (lambda: resolved(inp.paths[:1])) if inp.paths else None
        ok = [not inp.problems]

        def text(item):
            ok[0] = ok[0] and item[2]
            return item[0] if not jsonl or item[0] is None else dumps(item[0])

        if args.json:
            results = [d for d in batch(inp.paths, work, warm, inp.problems) if d is not None]
            write(dumps(document(d for d, _, _ in results), pretty=sys.stdout.isatty()))
            return EXIT_OK if ok[0] and all(good for _, _, good in results) else EXIT_FAIL
        stream(inp.paths, work, text, warm, inp.problems)
    return EXIT_OK if ok[0] else EXIT_FAIL
