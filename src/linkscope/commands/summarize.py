"""``linkscope summarize FILE.jsonl...``: the summary of scan shards' JSON lines, merged: the same
summary one whole scan prints. Exit 0, 1 when a binary breaks the policy the shards were scanned
with or a target could not be scanned, 2 when a file cannot be read or holds a line that is not a
scan record."""
from __future__ import annotations

import json
import sys

from .. import scan
from ..render import scan_report
from ..render.diagnostic import command_error
from ..render.jsonout import dumps
from ..status import EXIT_FAIL, EXIT_OK, EXIT_USAGE


def run(args) -> int:
    summary = scan.Summary()
    for name in args.parts:
        try:
            fh = sys.stdin if name == "-" else open(name, encoding="utf-8", errors="surrogateescape")
        except OSError as e:
            print(command_error("summarize", f"{name}: {e.strerror or e}"), file=sys.stderr)
            return EXIT_USAGE
        with fh:
            for n, line in enumerate(fh, 1):
                if not line.strip():
                    continue
                try:
                    rec = json.loads(line)
                    if not isinstance(rec, dict):
                        raise ValueError("not a JSON object")
                    summary.add(rec)
                except (ValueError, KeyError, TypeError) as e:
                    print(command_error("summarize", f"{name}:{n}: not a scan record ({e})"), file=sys.stderr)
                    return EXIT_USAGE
    doc = summary.to_json()
    if args.json:
        sys.stdout.write(dumps(scan_report.document(doc), pretty=sys.stdout.isatty()) + "\n")
    else:
        sys.stdout.write("\n".join(scan_report.lines(doc)) + "\n")
    return EXIT_OK if summary.ok else EXIT_FAIL
