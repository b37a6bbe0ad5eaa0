"""linkscope.parallel: large batches on every core give exactly the serial answer, in order, even
when a worker dies."""
from __future__ import annotations

import os
import time

import pytest

from linkscope import parallel


@pytest.fixture
def two_cores(monkeypatch):
    monkeypatch.setattr(parallel, "PARALLEL_MIN_ITEMS", 8)
    monkeypatch.setattr(parallel.os, "cpu_count", lambda: 2)


def _work(chunk):
    return [(x, os.getpid()) for x in chunk]


def test_batches_give_the_serial_answer_in_order(two_cores, tmp_path):
    """In order, and shared: this process holds its first chunk until the child has done one (on a
    busy machine this process could otherwise take every chunk before the child starts)."""
    import time

    parent, marker = os.getpid(), tmp_path / "child-worked"

    def work(chunk):
        if os.getpid() != parent:
            marker.touch()
        else:
            deadline = time.monotonic() + 60
            while not marker.exists() and time.monotonic() < deadline:
                time.sleep(0.01)
        return _work(chunk)

    items = list(range(300))
    got = list(parallel.map_chunks(items, work))
    assert [x for x, _ in got] == items
    assert len({pid for _, pid in got}) == 2


def test_small_batches_run_here():
    got = list(parallel.map_chunks(list(range(10)), _work))
    assert {pid for _, pid in got} == {os.getpid()}


def test_warm_runs_once_before_forking(two_cores):
    seen = []
    list(parallel.map_chunks(list(range(100)), _work, warm=lambda: seen.append(os.getpid())))
    assert seen == [os.getpid()]


def _children_die_after_claiming(monkeypatch):
    """Make every forked worker die after claiming its first chunk, before sending it."""
    parent, claim = os.getpid(), parallel._claim

    def dying_in_children(queue, chunks, work, done, after_each):
        if os.getpid() != parent:
            def die(k):
                raise RuntimeError("worker lost")
            return claim(queue, chunks, work, done, die)
        return claim(queue, chunks, work, done, after_each)

    monkeypatch.setattr(parallel, "_claim", dying_in_children)


def test_a_dying_worker_leaves_its_chunks_to_this_process(two_cores, monkeypatch):
    """A child that dies after claiming a chunk and before sending it: that chunk is redone here."""
    _children_die_after_claiming(monkeypatch)
    items = list(range(200))
    assert [x for x, _ in parallel.map_chunks(items, _work)] == items


def test_results_that_do_not_pickle_are_redone_here(two_cores):
    """Whatever a child cannot send (a result that does not pickle) this process works out itself."""
    def work(chunk):
        return [(x, (lambda: None) if os.getpid() != parent else None) for x in chunk]
    parent = os.getpid()
    got = list(parallel.map_chunks(list(range(100)), work))
    assert [x for x, _ in got] == list(range(100)) and all(f is None for _, f in got)


def test_results_cross_from_a_child_unchanged_whatever_they_hold(two_cores):
    """A child's results arrive as made: plain values (marshal carries them; file names that are not
    UTF-8 held as surrogates among them) and records (pickle carries those), in one batch."""
    from linkscope.model import ErrorInfo

    parent = os.getpid()

    def work(chunk):
        if os.getpid() == parent:
            time.sleep(0.02)      # leave the children chunks to claim, however loaded the machine
        out = []
        for x in chunk:
            plain = (f"/bin/\udcff{x}", None, [x, -x, 2.5, True], {"k": (b"\0\xff", None)})
            out.append((x, os.getpid() != parent, ErrorInfo("malformed", f"e{x}", x) if x % 3 == 0 else plain))
        return out

    items = list(range(300))
    got = list(parallel.map_chunks(items, work))
    assert [x for x, _, _ in got] == items
    assert any(from_child for _, from_child, _ in got)
    for x, _, value in got:
        want = ErrorInfo("malformed", f"e{x}", x) if x % 3 == 0 else \
            (f"/bin/\udcff{x}", None, [x, -x, 2.5, True], {"k": (b"\0\xff", None)})
        assert value == want and type(value) is type(want)


def test_messages_use_marshal_for_plain_values_and_pickle_for_records():
    from linkscope.model import ErrorInfo

    plain = (3, [("{\"path\":\"/bin/\\udcff\"}", None)])
    assert parallel._encode(plain)[:1] == b"m" and parallel._decode(parallel._encode(plain)) == plain
    rec = (4, [ErrorInfo("io", "gone", None)])
    assert parallel._encode(rec)[:1] == b"p" and parallel._decode(parallel._encode(rec)) == rec


def test_first_results_come_out_before_the_batch_is_done(two_cores, tmp_path):
    """iter_chunks yields the first chunk as soon as it is done. The children hold
    every other chunk until the consumer has had that first result (the marker): were results held
    back until the whole batch is done, the children would give up waiting (after a minute) and say
    so in their results. Nothing here is timed; the wait only bounds the failing case."""
    import time

    parent, marker, started = os.getpid(), tmp_path / "first-result-seen", tmp_path / "child-started"

    def wait_for(path):
        deadline = time.monotonic() + 60
        while not path.exists() and time.monotonic() < deadline:
            time.sleep(0.005)

    def work(chunk):
        if os.getpid() != parent:
            started.touch()
            if chunk[0] != 0:
                wait_for(marker)
            return [(x, chunk[0] == 0 or marker.exists()) for x in chunk]
        wait_for(started)   # this process could otherwise do every chunk before the child starts
        return [(x, True) for x in chunk]

    items = list(range(2000))
    parts = parallel.iter_chunks(items, work)
    first = next(parts)
    marker.touch()
    got = first + [r for part in parts for r in part]
    assert [x for x, _ in got] == items
    assert all(ok for _, ok in got), [x for x, ok in got if not ok][:5]
    assert first[0][0] == 0 and len(first) < len(items) and started.exists()


def test_iter_chunks_in_order_when_a_worker_dies(two_cores, monkeypatch):
    _children_die_after_claiming(monkeypatch)
    items = list(range(3000))
    parts = list(parallel.iter_chunks(items, _work))
    assert [x for part in parts for x, _ in part] == items and len(parts) > 1


@pytest.mark.parametrize("n,jobs", [(64, 2), (100, 4), (741, 2), (60000, 2), (61271, 4), (10**6, 4), (70000, 1)])
def test_chunks_cover_the_batch_in_order_shrinking_towards_the_end(n, jobs):
    """Contiguous, in order, every item once; never more chunks than queue tokens; each chunk within
    the bounds; sizes never grow, and the last ones are small, so no process waits long for the
    one still working on the final chunk."""
    bounds = parallel.chunk_bounds(n, jobs)
    assert bounds[0][0] == 0 and bounds[-1][1] == n
    assert all(a[1] == b[0] for a, b in zip(bounds, bounds[1:]))
    assert len(bounds) <= parallel.MAX_TOKENS
    sizes = [b - a for a, b in bounds]
    assert all(s >= 1 for s in sizes)
    assert all(x >= y for x, y in zip(sizes, sizes[1:]))
    lo = max(parallel.MIN_CHUNK, -(-n // parallel.MAX_TOKENS))
    assert all(s >= lo for s in sizes[:-1])
    if n <= parallel.MAX_TOKENS * parallel.MIN_CHUNK:   # the floor is not raised: the tail is MIN_CHUNK
        assert sizes[-2] == parallel.MIN_CHUNK
        assert sizes[0] == -(-n // (2 * jobs))
    if n <= parallel.MAX_TOKENS * parallel.MAX_CHUNK:
        assert max(sizes) <= parallel.MAX_CHUNK
