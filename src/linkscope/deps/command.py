"""``linkscope deps``: run resolution over the inputs and print the results. Exit 0 when every input
resolved completely, 1 when one has missing libraries or could not be read, 2 for usage errors."""
from __future__ import annotations

import os
import sys

EXIT_OK, EXIT_FAIL, EXIT_USAGE = 0, 1, 2


def run(args, out) -> int:
    from ..render.jsonout import document, dumps
    from .hostenv import host_env
    from .jsonout import deps_to_json
    from .render import flat, tree

    if args.root is not None and not os.path.isdir(args.root):
        print(f"linkscope deps: error: --root {args.root}: not a directory", file=sys.stderr)
        return EXIT_USAGE
    env = host_env(args.root, args.library_path)
    facts = bool(args.json or args.tree)
    results = resolve_all(list(args.paths), env, facts)
    if args.json:
        out(dumps(document(deps_to_json(r) for r in results), pretty=sys.stdout.isatty()))
    elif args.tree:
        enc = (getattr(sys.stdout, "encoding", None) or "").lower().replace("-", "")
        blocks = []
        for r in results:
            text = tree(r, unicode=enc == "utf8")
            if r.runs_on:
                text += f"\n    runs on: {', '.join(r.runs_on)}"
            blocks.append(text)
        out("\n".join(blocks))
    else:
        out("\n".join(flat(r, header=len(results) > 1) for r in results))
    for r in results:
        for w in r.warnings:
            print(f"linkscope deps: {r.path}: {w}", file=sys.stderr)
        if r.error is not None:
            where = f" (offset {r.error.offset:#x})" if r.error.offset is not None else ""
            print(f"linkscope deps: {r.path}: {r.error.message}{where}", file=sys.stderr)
    return EXIT_OK if all(r.ok for r in results) else EXIT_FAIL


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
