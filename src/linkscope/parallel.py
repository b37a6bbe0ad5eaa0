"""Large batches of files, shared between this process and forked children.

Inspecting or resolving a file is CPU-bound Python, so a batch of thousands goes faster on every
core. The batch is cut into contiguous chunks (neighbouring files, often one directory, share
libraries and caches), large first and smaller towards the end (guided self-scheduling), so that the
processes run out of work at about the same time; each process, this one included, claims the next
chunk from a queue (a pipe holding one byte per chunk: a one-byte read cannot be split between
readers) when it is done with one, so a process the machine slows down simply takes fewer. A child
sends each chunk's results, serialised (:func:`_encode`) and length-prefixed, through its own pipe as soon as they are done; this
process takes them in between its own chunks, and once the queue is empty, waits for whichever child
sends next. Results are handed on in input order as soon as each contiguous prefix of chunks is done
(:func:`iter_chunks`), so the first records of a long batch come out while the rest are worked on;
:func:`map_chunks` yields them one result at a time. A child that fails leaves the chunks it did not send to this
process. Small batches, and systems without fork, run here, serially, one item at a time."""
from __future__ import annotations

import marshal
import os
import struct
import sys

__all__ = ["map_chunks", "iter_chunks"]

# Below this many items a second process costs more than it saves.
PARALLEL_MIN_ITEMS = 64
MAX_PROCESSES = 4
# A chunk holds at most this many items (unless the one-byte queue tokens would run out: 256 chunks),
# so the first results of a long batch come out while the rest are still being worked on.
MAX_CHUNK = 256
# ... and at least this many: below it, a chunk's round trip (pickle, pipe, wake-up) is no longer
# small beside its work.
MIN_CHUNK = 8
MAX_TOKENS = 256   # chunks at most: the queue holds one byte per chunk

_FRAME = struct.Struct("<I")   # each message from a child: its length, then (chunk index, results) encoded


def map_chunks(items: list, work, warm=None, jobs: int | None = None):
    """``work(chunk)`` (a list of results, one per item, in order) over all of ``items``: each result
    yielded in order, as soon as it and every one before it are done. ``warm()``, when given, runs
    once before any child is forked: what it loads (caches every item needs) is inherited by every
    process. Results cross a pipe (:func:`_encode`): plain values are cheapest."""
    for part in iter_chunks(items, work, warm, jobs):
        yield from part


def iter_chunks(items: list, work, warm=None, jobs: int | None = None):
    """The results of :func:`map_chunks`, a chunk at a time, as they become available, in order: lists that, joined,
    are the whole answer; each is yielded as soon as it and everything before it are done. A small
    batch, worked out here, comes one item at a time. ``jobs``: processes at most, this one included
    (default: the cores, at most MAX_PROCESSES)."""
    jobs = min(jobs or min(os.cpu_count() or 1, MAX_PROCESSES), len(items) // (PARALLEL_MIN_ITEMS // 2) or 1)
    if len(items) < PARALLEL_MIN_ITEMS or jobs < 2 or not hasattr(os, "fork"):
        for i in range(len(items)):
            yield work(items[i:i + 1])
        return
    chunks = [items[a:b] for a, b in chunk_bounds(len(items), jobs)]
    try:
        rfd, wfd = os.pipe()
    except OSError:
        yield work(items)
        return
    if warm is not None:
        warm()
    done: dict[int, list] = {}
    nxt = 0          # the first chunk not yet yielded
    with os.fdopen(rfd, "rb", buffering=0) as queue:
        with os.fdopen(wfd, "wb") as fh:     # the queue: one byte per chunk, all written up front
            fh.write(bytes(range(len(chunks))))
        children = [c for c in (_fork(queue, chunks, work) for _ in range(jobs - 1)) if c is not None]
        try:
            while True:        # this process's share, taking the children's results in between
                token = queue.read(1)
                if not token:
                    break
                k = token[0]
                done[k] = work(chunks[k])
                for c in children:
                    c.receive(done, block=False)
                while nxt in done:
                    yield done.pop(nxt)
                    nxt += 1
            import select

            while children:    # the queue is empty: the children's last chunks, as each arrives
                r, _, _ = select.select([c.fd for c in children], [], [])
                for c in [c for c in children if c.fd in r]:
                    if not c.receive(done, block=False):
                        c.reap()
                        children.remove(c)
                while nxt in done:
                    yield done.pop(nxt)
                    nxt += 1
        finally:
            for child in children:   # interrupted: end the children this call started
                child.end()
    while nxt < len(chunks):   # a child that failed left its chunks to this process
        yield done.pop(nxt) if nxt in done else work(chunks[nxt])
        nxt += 1


def chunk_bounds(n: int, jobs: int) -> list[tuple[int, int]]:
    """Contiguous (start, end) chunks covering range(n), guided self-scheduling: each chunk is the
    items left over twice the processes, within [MIN_CHUNK, MAX_CHUNK]. Equal chunks end badly: a
    process that takes the last one while the others are done keeps them idle for a whole chunk
    (with four chunks each over /usr/bin, a tenth of the run); here the last chunks are small. At
    most MAX_TOKENS chunks: the floor rises for batches so long that it would take more."""
    lo = max(MIN_CHUNK, -(-n // MAX_TOKENS))
    hi = max(MAX_CHUNK, lo)
    while True:
        out, at = [], 0
        while at < n:
            size = min(max(-(-(n - at) // (2 * jobs)), lo), hi)
            out.append((at, min(at + size, n)))
            at += size
        if len(out) <= MAX_TOKENS:
            return out
        lo += -(-lo // 4)


def _claim(queue, chunks: list[list], work, done: dict, after_each) -> None:
    """Work through chunks taken from the queue until it is empty, into ``done`` {chunk index:
    results}; ``after_each(k)`` runs after each one."""
    while True:
        token = queue.read(1)
        if not token:
            return
        k = token[0]
        done[k] = work(chunks[k])
        after_each(k)


def _fork(queue, chunks: list[list], work) -> "_Child | None":
    """A child claiming chunks from the queue, or None when no child can be had."""
    # A child imports pickle only for results marshal cannot carry: safe while this process has one
    # thread. With others, it is imported here: a fork while another thread holds an import lock
    # would leave the child waiting on it for ever (its chunks then all fall to this process).
    threading = sys.modules.get("threading")
    if threading is not None and threading.active_count() > 1:
        import pickle  # noqa: F401
    try:
        rfd, wfd = os.pipe()
    except OSError:
        return None
    try:
        import fcntl

        fcntl.fcntl(wfd, fcntl.F_SETPIPE_SZ, 1 << 20)   # room for most results: the child seldom waits
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
            with os.fdopen(wfd, "wb") as fh:
                def send(k: int) -> None:
                    data = _encode((k, done.pop(k)))
                    fh.write(_FRAME.pack(len(data)) + data)
                    fh.flush()

                done: dict[int, list] = {}
                _claim(queue, chunks, work, done, send)
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

    def receive(self, done: dict, block: bool) -> bool:
        """Take the results the child has sent so far into ``done`` (with ``block``, all of them,
        up to its end); a message cut short or unreadable is left out (its chunk is redone here).
        False once the child's pipe is at its end (the child is gone)."""
        if block:
            os.set_blocking(self.fd, True)
        while True:
            try:
                data = os.read(self.fd, 1 << 20)
            except BlockingIOError:
                return True
            if not data:
                return False
            buf = self.pending + data
            at = 0
            while len(buf) - at >= _FRAME.size:
                (n,) = _FRAME.unpack_from(buf, at)
                if len(buf) - at - _FRAME.size < n:
                    break
                try:
                    k, results = _decode(buf[at + _FRAME.size:at + _FRAME.size + n])
                    done[k] = results
                except Exception:   # whatever went wrong in the child, that chunk is redone here
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


def _encode(message) -> bytes:
    """A child's message: marshal when it can carry it (strings, numbers, tuples, lists, dicts: a
    rendered batch), else pickle (records). marshal is built in; importing pickle costs more than
    inspecting a dozen files (it brings re, functools and collections), and a batch's last import
    is paid before the first result."""
    try:
        return b"m" + marshal.dumps(message)
    except ValueError:   # an object marshal does not know
        import pickle

        return b"p" + pickle.dumps(message, pickle.HIGHEST_PROTOCOL)


def _decode(data: bytes):
    if data[:1] == b"m":
        return marshal.loads(data[1:])
    import pickle

    return pickle.loads(data[1:])
