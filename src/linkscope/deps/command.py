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


# Below this many inputs a second process costs more than it saves.
PARALLEL_MIN_INPUTS = 64


def resolve_all(paths: list[str], env, facts: bool) -> list:
    """Resolve every input, in order. Large batches are cut into contiguous chunks (neighbouring
    inputs, one directory, share libraries) shared out between this process and forked children, one
    process per core (at most 4): resolution is CPU-bound Python. Each process keeps one cache of
    parsed libraries and claims the next chunk when it is done with one, so a process the machine
    slows down takes fewer; the children send their results back, pickled, through a pipe."""
    jobs = min(os.cpu_count() or 1, 4, len(paths) // (PARALLEL_MIN_INPUTS // 2) or 1)
    if len(paths) < PARALLEL_MIN_INPUTS or jobs < 2 or not hasattr(os, "fork"):
        return _resolve_chunk(paths, env, facts)
    size = -(-len(paths) // (jobs * CHUNKS_PER_PROCESS))
    chunks = [paths[i:i + size] for i in range(0, len(paths), size)]
    try:
        rfd, wfd = os.pipe()
    except OSError:
        return _resolve_chunk(paths, env, facts)
    with os.fdopen(rfd, "rb", buffering=0) as queue:
        with os.fdopen(wfd, "wb") as fh:     # the queue: one byte per chunk, all written up front
            fh.write(bytes(range(len(chunks))))
        children = [c for c in (_fork(queue, chunks, env, facts) for _ in range(jobs - 1)) if c is not None]
        try:
            done = _claim(queue, chunks, env, facts)
            for child in list(children):
                done.update(_collect(child))
                children.remove(child)
        finally:
            for child in children:   # interrupted: end the children this call started
                _end(child)
    out: list = []
    for k, chunk in enumerate(chunks):   # a child that failed left its chunks to this process
        out.extend(done[k] if k in done else _resolve_chunk(chunk, env, facts))
    return out


# Chunks per process: enough to even out a machine that slows one process down, few enough that a
# chunk keeps neighbouring inputs (which share libraries) together.
CHUNKS_PER_PROCESS = 4


def _claim(queue, chunks: list[list[str]], env, facts: bool) -> dict[int, list]:
    """Resolve chunks taken from the queue until it is empty: {chunk index: results}."""
    from .resolver import Session

    session = Session()
    done = {}
    while True:
        token = queue.read(1)   # one byte: a read that cannot be split between processes
        if not token:
            return done
        done[token[0]] = _resolve_chunk(chunks[token[0]], env, facts, session)


def _fork(queue, chunks: list[list[str]], env, facts: bool) -> tuple[int, int] | None:
    """(pid, read end of its result pipe) of a child claiming chunks, or None when no child can be had."""
    try:
        rfd, wfd = os.pipe()
    except OSError:
        return None
    try:
        pid = os.fork()
    except OSError:
        os.close(rfd)
        os.close(wfd)
        return None
    if pid == 0:
        code = 1
        try:
            os.close(rfd)
            import pickle

            data = pickle.dumps(_claim(queue, chunks, env, facts), pickle.HIGHEST_PROTOCOL)
            with os.fdopen(wfd, "wb") as fh:
                fh.write(data)
            code = 0
        finally:
            os._exit(code)   # nothing of the parent's (buffers, handlers) runs in the child
    os.close(wfd)
    return pid, rfd


def _collect(child: tuple[int, int]) -> dict[int, list]:
    """The results a child sent ({} when it did not finish: the caller resolves its chunks)."""
    pid, rfd = child
    with os.fdopen(rfd, "rb") as fh:
        data = fh.read()
    _, status = os.waitpid(pid, 0)
    if status != 0 or not data:
        return {}
    import pickle

    try:
        return pickle.loads(data)
    except Exception:   # whatever went wrong in the child, its chunks are resolved here
        return {}


def _end(child: tuple[int, int]) -> None:
    import signal

    pid, rfd = child
    try:
        os.kill(pid, signal.SIGTERM)
        os.waitpid(pid, 0)
    except OSError:
        pass
    try:
        os.close(rfd)
    except OSError:
        pass


def _resolve_chunk(paths: list[str], env, facts: bool, session=None) -> list:
    from .resolver import Session, resolve

    session = session or Session()
    return [resolve(p, env, session, libc_facts=facts) for p in paths]
