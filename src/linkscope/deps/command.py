"""``linkscope deps``: run resolution over the inputs and print the results. Exit 0 when every input
resolved completely, 1 when one has missing libraries or could not be read, 2 for usage errors."""
from __future__ import annotations

import os
import struct
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
    slows down takes fewer. A child sends each chunk's results, pickled, through a pipe as soon as
    they are done; this process takes them in between its own chunks."""
    jobs = min(os.cpu_count() or 1, 4, len(paths) // (PARALLEL_MIN_INPUTS // 2) or 1)
    if len(paths) < PARALLEL_MIN_INPUTS or jobs < 2 or not hasattr(os, "fork"):
        return _resolve_chunk(paths, env, facts)
    size = -(-len(paths) // (jobs * CHUNKS_PER_PROCESS))
    chunks = [paths[i:i + size] for i in range(0, len(paths), size)]
    try:
        rfd, wfd = os.pipe()
    except OSError:
        return _resolve_chunk(paths, env, facts)
    from .resolver import Session

    # What nearly every input needs (ld.so.cache, the loader's configuration, libc and its loader)
    # is read here once, by resolving the first input, and inherited by every child.
    session = Session()
    _resolve_chunk(paths[:1], env, facts, session)
    done: dict[int, list] = {}
    with os.fdopen(rfd, "rb", buffering=0) as queue:
        with os.fdopen(wfd, "wb") as fh:     # the queue: one byte per chunk, all written up front
            fh.write(bytes(range(len(chunks))))
        children = [c for c in (_fork(queue, chunks, env, facts, session) for _ in range(jobs - 1)) if c is not None]
        try:
            _claim(queue, chunks, env, facts, session, done,
                   lambda k: [c.receive(done, block=False) for c in children])
            while children:
                children[0].receive(done, block=True)
                children.pop(0).reap()
        finally:
            for child in children:   # interrupted: end the children this call started
                child.end()
    out: list = []
    for k, chunk in enumerate(chunks):   # a child that failed left its chunks to this process
        out.extend(done[k] if k in done else _resolve_chunk(chunk, env, facts))
    return out


# Chunks per process: enough to even out a machine that slows one process down, few enough that a
# chunk keeps neighbouring inputs (which share libraries) together.
CHUNKS_PER_PROCESS = 4


def _claim(queue, chunks: list[list[str]], env, facts: bool, session, done: dict, after_each) -> None:
    """Resolve chunks taken from the queue until it is empty, into ``done`` {chunk index: results};
    ``after_each(k)`` runs after each one."""
    while True:
        token = queue.read(1)   # one byte: a read that cannot be split between processes
        if not token:
            return
        k = token[0]
        done[k] = _resolve_chunk(chunks[k], env, facts, session)
        after_each(k)


_FRAME = struct.Struct("<I")   # each message from a child: its length, then (chunk index, results) pickled


def _fork(queue, chunks: list[list[str]], env, facts: bool, session) -> "_Child | None":
    """A child claiming chunks from the queue, or None when no child can be had."""
    try:
        rfd, wfd = os.pipe()
    except OSError:
        return None
    try:
        import fcntl

        fcntl.fcntl(wfd, fcntl.F_SETPIPE_SZ, 1 << 20)   # room for every result: the child never waits
    except (ImportError, AttributeError, OSError):
        pass
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

            with os.fdopen(wfd, "wb") as fh:
                def send(k: int) -> None:
                    data = pickle.dumps((k, done.pop(k)), pickle.HIGHEST_PROTOCOL)
                    fh.write(_FRAME.pack(len(data)) + data)
                    fh.flush()

                done: dict[int, list] = {}
                _claim(queue, chunks, env, facts, session, done, send)
            code = 0
        finally:
            os._exit(code)   # nothing of the parent's (buffers, handlers) runs in the child
    os.close(wfd)
    os.set_blocking(rfd, False)
    return _Child(pid, rfd)


class _Child:
    """A forked worker: its pid, the read end of its result pipe, and the bytes of a message not
    yet complete."""

    def __init__(self, pid: int, fd: int):
        self.pid, self.fd, self.pending = pid, fd, b""

    def receive(self, done: dict, block: bool) -> None:
        """Take the results the child has sent so far into ``done`` (with ``block``, all of them,
        up to its end); a message cut short or unreadable is left out (its chunk is resolved here)."""
        import pickle

        if block:
            os.set_blocking(self.fd, True)
        while True:
            try:
                data = os.read(self.fd, 1 << 20)
            except BlockingIOError:
                return
            if not data:
                return
            buf = self.pending + data
            at = 0
            while len(buf) - at >= _FRAME.size:
                (n,) = _FRAME.unpack_from(buf, at)
                if len(buf) - at - _FRAME.size < n:
                    break
                try:
                    k, results = pickle.loads(buf[at + _FRAME.size:at + _FRAME.size + n])
                    done[k] = results
                except Exception:   # whatever went wrong in the child, that chunk is resolved here
                    pass
                at += _FRAME.size + n
            self.pending = buf[at:]

    def reap(self) -> None:
        os.close(self.fd)
        os.waitpid(self.pid, 0)

    def end(self) -> None:
        import signal

        try:
            os.kill(self.pid, signal.SIGTERM)
            os.waitpid(self.pid, 0)
        except OSError:
            pass
        try:
            os.close(self.fd)
        except OSError:
            pass


def _resolve_chunk(paths: list[str], env, facts: bool, session=None) -> list:
    from .resolver import Session, resolve

    session = session or Session()
    return [resolve(p, env, session, libc_facts=facts) for p in paths]
