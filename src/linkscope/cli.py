"""The command line: main(argv) -> exit status. 0 ok, 1 a check failed or an input could not be
read, 2 usage. Subcommands import their heavy modules only when they run."""
from __future__ import annotations

import argparse
import sys

from . import __version__

EXIT_OK, EXIT_FAIL, EXIT_USAGE, EXIT_INTERRUPT = 0, 1, 2, 130


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # usage errors exit 2, with the usage line, no traceback
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="linkscope", description="Know any executable without running it: format, linkage, "
                "libraries, Go build info.")
    p.add_argument("--version", action="version", version=f"linkscope {__version__}")
    sub = p.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    ins = sub.add_parser("inspect", help="what each file is: format, arch, linkage, libraries, Go build info",
                         description="Report what each file is, reading only the bytes needed; nothing is executed.")
    ins.add_argument("paths", nargs="*", metavar="PATH")
    ins.add_argument("--files-from", metavar="FILE", help="read more paths from FILE, one per line ('-': standard input)")
    ins.add_argument("--json", action="store_true", help="print one JSON document (see the shipped schema)")
    ins.add_argument("-v", "--verbose", action="store_true", help="the full record for each file")
    ins.set_defaults(run=_cmd_inspect)
    return p


def _cmd_inspect(args) -> int:
    from .inspector import inspect
    from .render import human, jsonout

    paths = _all_paths(args)
    records = [inspect(p) for p in paths]
    if args.json:
        _out(jsonout.dumps(jsonout.document(jsonout.binary_to_json(r) for r in records), pretty=sys.stdout.isatty()))
    else:
        render = human.full if args.verbose else human.line
        _out("\n".join(render(r) for r in records))
    for r in records:
        if r.error is not None:
            print(f"linkscope: {r.path}: {r.error.message}" + (f" (offset {r.error.offset:#x})" if r.error.offset is not None else ""),
                  file=sys.stderr)
    return EXIT_FAIL if any(r.error is not None for r in records) else EXIT_OK


def _all_paths(args) -> list[str]:
    paths = list(args.paths)
    if getattr(args, "files_from", None):
        try:
            fh = sys.stdin if args.files_from == "-" else open(args.files_from, encoding="utf-8", errors="surrogateescape")
        except OSError as e:
            raise UsageError(f"--files-from {args.files_from}: {e.strerror}") from None
        with fh:
            paths.extend(line.rstrip("\n") for line in fh if line.strip())
    if not paths:
        raise UsageError("no paths given")
    return paths


class UsageError(Exception):
    """A usage problem found after parsing (exit 2)."""


def _out(text: str) -> None:
    sys.stdout.write(text + "\n")


def main(argv: list[str] | None = None) -> int:
    for stream in (sys.stdout, sys.stderr):
        # File names need not be UTF-8: print them escaped rather than fail.
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="backslashreplace")
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "run", None):
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    try:
        return args.run(args)
    except UsageError as e:
        print(f"linkscope: error: {e}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return EXIT_INTERRUPT
    except BrokenPipeError:
        # The reader went away (| head): not an error of ours.
        import os
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
