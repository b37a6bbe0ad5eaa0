"""``linkscope deps``: run resolution over the inputs and print the results. Exit 0 when every input
resolved completely, 1 when one has missing libraries (or a script its interpreter) or could not be
read, 2 for usage errors. Results stream out in input order as they are done; an input that could not
be read has its error line on stderr only (see linkscope.render.diagnostic)."""
from __future__ import annotations

import os
import sys

EXIT_OK, EXIT_FAIL, EXIT_USAGE = 0, 1, 2


def run(args, out) -> int:
    from ..inputs import UsageError, gather, renamed
    from ..render.diagnostic import record_error_line
    from ..render.jsonout import document, dumps
    from ..render.stream import batch, stream
    from ..sniff import NON_BINARY
    from .hostenv import host_env
    from .jsonout import deps_to_json
    from .render import flat, tree

    if args.root is not None and not os.path.isdir(args.root):
        raise UsageError(f"--root {args.root}: not a directory")   # the CLI prints deps' usage with it
    env = host_env(args.root, args.library_path)
    jsonl = getattr(args, "jsonl", False)
    only = getattr(args, "only_binaries", False)
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

        from .resolver import Session
        session = Session()

        def work(chunk: list[str]) -> list:
            done = []
            for r in _resolve_chunk(chunk, env, facts, session):
                if r.path in inp.names:
                    r = renamed(r, inp.names[r.path])
                if only and r.format in NON_BINARY:
                    done.append(None)
                    continue
                lines = [f"linkscope deps: {r.path}: {w}" for w in r.warnings]
                err = record_error_line(r)
                if err is not None:
                    lines.append(err)
                done.append((render(r), "\n".join(lines) or None, r.ok))
            return done

        warm = (lambda: _resolve_chunk(inp.paths[:1], env, facts, session)) if inp.paths else None
        ok = [not inp.problems]

        def text(item):
            ok[0] = ok[0] and item[2]
            return item[0] if not jsonl or item[0] is None else dumps(item[0])

        if args.json:
            results = [d for d in batch(inp.paths, work, warm, inp.problems) if d is not None]
            out(dumps(document(d for d, _, _ in results), pretty=sys.stdout.isatty()))
            return EXIT_OK if ok[0] and all(good for _, _, good in results) else EXIT_FAIL
        stream(inp.paths, work, text, warm, inp.problems)
    return EXIT_OK if ok[0] else EXIT_FAIL


def resolve_all(paths: list[str], env, facts: bool) -> list:
    """Resolve every input, in order; large batches on every core (see linkscope.parallel). One
    session (the cache of parsed libraries) per process; what nearly every input needs (ld.so.cache,
    the loader's configuration, libc and its loader) is read once, by resolving the first input
    before forking, and inherited by every child."""
    from ..parallel import map_chunks
    from .resolver import Session

    session = Session()
    return map_chunks(paths, lambda chunk: _resolve_chunk(chunk, env, facts, session),
                      warm=lambda: _resolve_chunk(paths[:1], env, facts, session))


def _resolve_chunk(paths: list[str], env, facts: bool, session=None) -> list:
    from .resolver import Session, resolve

    session = session or Session()
    return [resolve(p, env, session, libc_facts=facts) for p in paths]
