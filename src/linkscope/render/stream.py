"""The output of a batch as it is worked out: each result printed as soon as it and every result
before it are done (linkscope.parallel.iter_chunks shares a large batch between processes), its
stderr line printed when it arrives. Used by every command that takes many inputs."""
from __future__ import annotations

import sys


def batch(paths: list[str], work, warm=None, problems=()):
    """``work(chunk)`` over ``paths``, item by item in input order, as results come in. ``work``
    returns, per path, None (nothing to show: skipped) or (rendering, stderr line or None); each
    stderr line, and first each of ``problems``, is printed on stderr as it is reached."""
    for line in problems:
        print(line, file=sys.stderr)
    if len(paths) == 1:   # the one-file path stays free of the parallel machinery
        parts = [work(paths)]
    else:
        from ..parallel import iter_chunks
        parts = iter_chunks(paths, work, warm)
    for part in parts:
        for item in part:
            if item is not None and item[1] is not None:
                print(item[1], file=sys.stderr)
            yield item


def stream(paths: list[str], work, text, warm=None, problems=()) -> bool:
    """Print each result of :func:`batch` as soon as it and those before it are done: ``text(item)``
    is its stdout text (a false value for none), flushed at once. True when an input failed (a
    stderr line, or one of ``problems``)."""
    failed = bool(problems)
    for item in batch(paths, work, warm, problems):
        if item is None:
            continue
        failed = failed or item[1] is not None
        t = text(item)
        if t:
            sys.stdout.write(t + "\n")
            sys.stdout.flush()
    return failed


def write(text: str) -> None:
    """A command's whole output, when it is one piece (a JSON document, a report)."""
    sys.stdout.write(text + "\n")
