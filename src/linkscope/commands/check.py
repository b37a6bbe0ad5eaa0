"""``linkscope check``: a CI gate. Exit 0 when every binary meets the policy, 1 when one does not or
cannot be read, 2 for usage errors (a bad policy, an unwritable --sarif file)."""
from __future__ import annotations

import sys

from .. import check, policy
from ..inputs import gather, renamed
from ..render import check_report, jsonout
from ..render.diagnostic import command_error, note_line, path_line, record_error_line
from ..render.stream import write
from ..sniff import NON_BINARY
from ..status import EXIT_FAIL, EXIT_OK, EXIT_USAGE
from . import inspect_one


def _say(line: str) -> None:
    print(line, file=sys.stderr)


def run(args) -> int:
    with gather(args) as inp:
        for line in inp.problems:
            _say(line)

        def records():
            for p in inp.paths:
                r = inspect_one(p)
                if p in inp.names:
                    r = renamed(r, inp.names[p])
                if args.only_binaries and r.format in NON_BINARY:
                    continue
                line = record_error_line(r) if r.format != "directory" else path_line(r.path, check.DIRECTORY)
                if line is not None:
                    _say(line)
                yield r

        try:
            pol, source = policy.build(policy.cli_values(args), config=args.config, use_config=not args.no_config)
            report = check.run(pol, records(), config=None if source is None else str(source))
        except policy.PolicyError as e:
            _say(command_error("check", str(e)))
            return EXIT_USAGE
    if args.json:
        write(jsonout.dumps(check_report.document(report)))
    else:
        shown = check_report.lines(report, unreadable=False)   # those are on stderr already, once
        if shown:
            write("\n".join(shown))
        for f in report.files:
            if f.skipped:
                _say(note_line("check", f.path, f.skipped))
    if args.sarif:
        from ..render import sarif

        try:
            with open(args.sarif, "w", encoding="utf-8") as f:
                f.write(jsonout.dumps(sarif.document(report)) + "\n")
        except OSError as e:
            _say(command_error("check", f"cannot write {args.sarif}: {e.strerror or e}"))
            return EXIT_USAGE
    where = f" (policy: {source})" if source is not None else ""
    _say(f"linkscope check: {check_report.summary(report)}{where}")
    return EXIT_OK if report.ok and not inp.problems else EXIT_FAIL
