"""``linkscope diff OLD NEW``: exit 0 when the two are the same, 1 when they differ (as diff(1)
does), 2 on trouble: an input that could not be (completely) read."""
from __future__ import annotations

import sys

from ..diff import compare
from ..errors import unreadable
from ..inputs import STDIN, UsageError, gather, renamed
from ..render import diff_report, jsonout
from ..render.diagnostic import record_error_line
from ..render.stream import write
from ..status import EXIT_FAIL, EXIT_OK, EXIT_USAGE
from . import inspect_one


class _One:
    """The arguments ``gather`` reads, for one of the two inputs."""

    def __init__(self, path: str):
        self.paths = [path]


def run(args) -> int:
    if args.old == STDIN and args.new == STDIN:
        raise UsageError("standard input ('-') can be read only once")
    recs = []
    for which in (args.old, args.new):
        with gather(_One(which)) as inp:
            for line in inp.problems:
                print(line, file=sys.stderr)
            if not inp.paths:
                return EXIT_USAGE
            r = inspect_one(inp.paths[0])
            recs.append(renamed(r, STDIN) if inp.names else r)
    old, new = recs
    trouble = False
    for r in (old, new):
        line = record_error_line(r)
        if line is not None:
            print(line, file=sys.stderr)
            trouble = True
    if not args.json and (unreadable(old) or unreadable(new)):
        return EXIT_USAGE   # nothing to compare: the error lines say why
    d = compare(old, new)
    write(jsonout.dumps(diff_report.document(d)) if args.json else diff_report.text(d))
    if trouble:
        return EXIT_USAGE
    return EXIT_OK if d.identical else EXIT_FAIL
