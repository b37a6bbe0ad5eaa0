"""The command line: main(argv) -> exit status. 0 ok, 1 a check failed or an input could not be
read, 2 usage; ``diff`` as diff(1): 0 the same, 1 different, 2 trouble. Subcommands import their heavy
modules only when they run. Errors: see linkscope.render.diagnostic (once, on stderr, named).

Every subcommand's options are declared once, in ``_COMMANDS``. argparse is built from that table for
help, errors and anything unusual; the common command lines (known options, paths in one run) are
parsed straight from the table, because importing argparse (with re, enum and gettext) and building
its parsers costs several times what inspecting one binary does. tests/test_cli.py checks that the
two agree on every command line the fast path accepts."""
from __future__ import annotations

import os
import sys

from . import __version__
from .inputs import STDIN, UsageError, gather, renamed
from .errors import unreadable
from .sniff import NON_BINARY

EXIT_OK, EXIT_FAIL, EXIT_USAGE, EXIT_INTERRUPT = 0, 1, 2, 130

class _Opt:
    """One option: a flag (store_true) when ``metavar`` is None, else it takes one value."""

    __slots__ = ("flags", "dest", "help", "metavar", "choices", "default")

    def __init__(self, flags, dest, help, metavar=None, choices=None, default=None):
        self.flags, self.dest, self.help, self.metavar = flags, dest, help, metavar
        self.choices = choices
        self.default = False if metavar is None else default


class _Cmd:
    """A subcommand: positionals as (dest, nargs, metavar) with nargs '*', '+' or None (exactly one)."""

    __slots__ = ("help", "description", "positionals", "options", "run", "fast")

    def __init__(self, help, description, positionals, options, run, fast=True):
        self.help, self.description, self.positionals, self.options = help, description, positionals, options
        self.run, self.fast = run, fast


class Args:
    """Parsed arguments (what argparse.Namespace holds)."""

    def __init__(self, **kw):
        self.__dict__.update(kw)


def _columns() -> int:
    try:
        return int(os.environ["COLUMNS"])
    except (KeyError, ValueError):
        pass
    try:
        return os.get_terminal_size(sys.stderr.fileno()).columns
    except (OSError, ValueError):
        return 80


def _cmd_inspect(args) -> int:
    from .inspector import inspect

    if args.json and args.jsonl:
        raise UsageError("--json and --jsonl: choose one")
    pretty = args.json and sys.stdout.isatty()
    human = not (args.json or args.jsonl)
    if args.json or args.jsonl:
        from .render import jsonout
        if pretty:
            render = jsonout.binary_to_json
        else:   # each worker encodes its own records; the document is joined from their text
            def render(r, _to=jsonout.binary_to_json, _dumps=jsonout.dumps):
                return _dumps(_to(r))
    else:
        from .render import human
        render = human.full if args.verbose else human.line
    from .render.stream import batch, stream

    summary = not args.json and not args.jsonl and not args.verbose   # the one line shows header facts only
    with gather(args) as inp:
        names, only = inp.names, args.only_binaries

        def work(chunk: list[str]) -> list[tuple[object, str | None] | None]:
            out = []
            for p in chunk:
                r = inspect(p, summary=summary)
                if p in names:
                    r = renamed(r, names[p])
                out.append(None if only and r.format in NON_BINARY else _rendered(r, render(r), human))
            return out

        if args.json:   # one document: printed when every record is in
            done = [d for d in batch(inp.paths, work, problems=inp.problems) if d is not None]
            if pretty:
                _out(jsonout.dumps(jsonout.document(d for d, _ in done), pretty=True))
            else:
                _out(jsonout.document_text(d for d, _ in done))
            return EXIT_FAIL if inp.problems or any(e is not None for _, e in done) else EXIT_OK
        failed = stream(inp.paths, work, lambda item: item[0], problems=inp.problems)
    return EXIT_FAIL if failed else EXIT_OK


def _rendered(r, shown, human: bool = True) -> tuple[object, str | None]:
    """What a worker hands back for one record: its rendering (None, in human mode, for an input
    that could not be read at all: its error goes to stderr only; JSON keeps its error record) and
    its stderr line."""
    from .render.diagnostic import record_error_line

    err = record_error_line(r)
    if human and isinstance(shown, str) and unreadable(r):
        shown = None
    return shown, err


def _cmd_explain(args) -> int:
    import shutil

    from .inspector import inspect
    from .render import explain, jsonout

    tty = sys.stdout.isatty()
    colour = args.color == "always" or (args.color == "auto" and tty)
    width = min(shutil.get_terminal_size((100, 24)).columns, 120) if tty else 100
    from .render.stream import batch, stream

    with gather(args) as inp:
        names, only = inp.names, args.only_binaries
        tree = None
        if args.root:
            from .files import HostFiles
            tree = HostFiles(args.root)

        def work(chunk: list[str]) -> list:
            out = []
            for p in chunk:
                r = inspect(p)
                if p in names:
                    r = renamed(r, names[p])
                if only and r.format in NON_BINARY:
                    out.append(None)
                    continue
                if tree is not None and r.format not in NON_BINARY:
                    from .analysis import with_root_findings
                    r = with_root_findings(r, tree)
                out.append(_rendered(r, jsonout.binary_to_json(r) if args.json else
                                     explain.file_report(r, width=width, colour=colour)))
            return out

        if args.json:
            done = [d for d in batch(inp.paths, work, problems=inp.problems) if d is not None]
            _out(jsonout.dumps(jsonout.document(d for d, _ in done), pretty=tty))
            return EXIT_FAIL if inp.problems or any(e is not None for _, e in done) else EXIT_OK
        first = [True]

        def text(item):
            block = item[0]
            if not block:
                return None
            sep, first[0] = ("" if first[0] else "\n"), False   # a blank line between files
            return sep + block

        failed = stream(inp.paths, work, text, problems=inp.problems)
    return EXIT_FAIL if failed else EXIT_OK


def _cmd_check(args) -> int:
    from . import check, policy
    from .inspector import inspect
    from .render import check_report, jsonout
    from .render.diagnostic import record_error_line

    with gather(args) as inp:
        for line in inp.problems:
            print(line, file=sys.stderr)

        def records():
            for p in inp.paths:
                r = inspect(p)
                if p in inp.names:
                    r = renamed(r, inp.names[p])
                if args.only_binaries and r.format in NON_BINARY:
                    continue
                line = record_error_line(r) if r.format != "directory" else f"linkscope: {r.path}: {check.DIRECTORY}"
                if line is not None:
                    print(line, file=sys.stderr)
                yield r

        try:
            pol, source = policy.build(policy.cli_values(args), config=args.config, use_config=not args.no_config)
            report = check.run(pol, records(), config=None if source is None else str(source))
        except policy.PolicyError as e:
            print(f"linkscope check: error: {e}", file=sys.stderr)
            return EXIT_USAGE
    if args.json:
        _out(jsonout.dumps(check_report.document(report)))
    else:
        shown = check_report.lines(report, unreadable=False)   # those are on stderr already, once
        if shown:
            _out("\n".join(shown))
        for f in report.files:
            if f.skipped:
                print(f"linkscope check: {f.path}: {f.skipped}", file=sys.stderr)
    if args.sarif:
        from .render import sarif

        try:
            with open(args.sarif, "w", encoding="utf-8") as f:
                f.write(jsonout.dumps(sarif.document(report)) + "\n")
        except OSError as e:
            print(f"linkscope check: error: cannot write {args.sarif}: {e.strerror or e}", file=sys.stderr)
            return EXIT_USAGE
    where = f" (policy: {source})" if source is not None else ""
    print(f"linkscope check: {check_report.summary(report)}{where}", file=sys.stderr)
    return EXIT_OK if report.ok and not inp.problems else EXIT_FAIL


def _cmd_diff(args) -> int:
    """Exit 0 when the two are the same, 1 when they differ (as diff(1) does), 2 on trouble: an input
    that could not be (completely) read."""
    from .diff import compare
    from .inspector import inspect
    from .render import diff_report, jsonout
    from .render.diagnostic import record_error_line

    if args.old == STDIN and args.new == STDIN:
        raise UsageError("standard input ('-') can be read only once")
    recs = []
    for which in (args.old, args.new):
        with gather(Args(paths=[which])) as inp:
            for line in inp.problems:
                print(line, file=sys.stderr)
            if not inp.paths:
                return EXIT_USAGE
            r = inspect(inp.paths[0])
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
    _out(jsonout.dumps(diff_report.document(d)) if args.json else diff_report.text(d))
    if trouble:
        return EXIT_USAGE
    return EXIT_OK if d.identical else EXIT_FAIL


def _cmd_deps(args) -> int:
    from .deps.command import run

    if args.json and args.jsonl:
        raise UsageError("--json and --jsonl: choose one")
    return run(args, _out)


def _out(text: str) -> None:
    sys.stdout.write(text + "\n")


_RECURSIVE = _Opt(("-r", "--recursive"), "recursive", "a directory stands for the regular files below it (no "
                  "symbolic link followed, each hard-linked file once)")
_ONLY_BINARIES = _Opt(("--only-binaries",), "only_binaries", "skip, silently, files that are not binaries "
                      "(scripts, archives, linker scripts, text, data)")
_JSONL = _Opt(("--jsonl",), "jsonl", "print one JSON record per line as each is done (a results item of the schema)")

_COMMANDS = {
    "inspect": _Cmd(
        "what each file is: format, arch, linkage, libraries, Go build info",
        "Report what each file is, reading only the bytes needed; nothing is executed. A file that is not a binary "
        "(a #! script with its interpreter, an ar archive, a linker script, text, data) gets a one-line "
        "identification; '-' reads the file from standard input. Results stream out in input order. Exit 0, or 1 "
        "when an input cannot be read.",
        (("paths", "*", "PATH"),),
        (_Opt(("--files-from",), "files_from", "read more paths from FILE, one per line ('-': standard input)",
              metavar="FILE"),
         _Opt(("--json",), "json", "print one JSON document (see the shipped schema)"),
         _JSONL,
         _Opt(("-v", "--verbose"), "verbose", "the full record for each file"),
         _RECURSIVE, _ONLY_BINARIES),
        _cmd_inspect),
    "explain": _Cmd(
        "why each binary is what it is, and what to change",
        "Explain each binary: cgo (enabled, used, which packages caused it, the fix), the static-glibc NSS "
        "hazard, the linker, portability, LD_PRELOAD exposure, hardening read correctly for Go, and size (what "
        "-ldflags=\"-s -w\" or strip would save). Exit 0, or 1 when an input cannot be read.",
        (("paths", "+", "PATH"),),
        (_Opt(("--json",), "json", "print the same JSON document as inspect --json"),
         _Opt(("--root",), "root", "also flag RPATH/RUNPATH entries that name world-writable directories inside "
              "DIR (a sysroot or unpacked image)", metavar="DIR"),
         _Opt(("--color",), "color", "colour the report (auto: only on a terminal)", metavar="{auto,always,never}",
              choices=("auto", "always", "never"), default="auto"),
         _RECURSIVE, _ONLY_BINARIES),
        _cmd_explain),
    "check": _Cmd(
        "a CI gate: fail when a binary breaks the policy",
        "Check each binary against a policy (options, or a [tool.linkscope.check] table in pyproject.toml / a "
        "[check] table in linkscope.toml, found from the current directory upward; options override the file). "
        "Prints one line per violation: PATH: RULE: message (evidence). Files that are not binaries (scripts, "
        "archives, text, ...) are not checked, and stderr says so (--only-binaries: silently). Exit 0 when every "
        "binary meets the policy, 1 when one does not or cannot be read, 2 for usage errors.",
        (("paths", "+", "PATH"),),
        (_Opt(("--json",), "json", "print one JSON document (schema/check.schema.json)"),
         _Opt(("--sarif",), "sarif", "also write the violations as SARIF 2.1.0 to FILE", metavar="FILE"),
         _RECURSIVE, _ONLY_BINARIES),
        _cmd_check, fast=False),  # its policy options live in policy.add_options (argparse types)
    "diff": _Cmd(
        "what changed between two builds",
        "Compare two binaries: linkage, interpreter, needed libraries, glibc floor, cgo, Go version, build "
        "settings and modules, size by category, findings. Exit 0 when they are the same, 1 when they differ (as "
        "diff(1) does), 2 on trouble (an input that cannot be read, usage).",
        (("old", None, "OLD"), ("new", None, "NEW")),
        (_Opt(("--json",), "json", "print one JSON document (schema/diff.schema.json)"),),
        _cmd_diff),
    "deps": _Cmd(
        "the shared libraries a binary needs and where its loader finds them",
        "Resolve each binary's shared libraries as its loader would (glibc, musl, dyld, Windows), reading files "
        "only; nothing is executed. Prints ldd's list (name => path, 'not found'); for a #! script, its interpreter "
        "(and the command #!/usr/bin/env runs) resolved the same way. Exit 0, or 1 when a library or interpreter is "
        "missing or an input cannot be read.",
        (("paths", "+", "PATH"),),
        (_Opt(("--root",), "root", "resolve inside this sysroot or unpacked image: interpreter, ld.so.conf, "
              "ld.so.cache and every symlink are taken inside DIR and never lead out of it", metavar="DIR"),
         _Opt(("--library-path",), "library_path", "LD_LIBRARY_PATH to apply (default: this process's "
              "LD_LIBRARY_PATH, as ldd does, unless --root is given; '' for none)", metavar="P"),
         _Opt(("--tree",), "tree", "draw the dependency tree (each library expanded once)"),
         _Opt(("--json",), "json", "print one JSON document (see the shipped schema)"),
         _JSONL, _RECURSIVE, _ONLY_BINARIES),
        _cmd_deps),
}


def fast_parse(argv: list[str]) -> Args | None:
    """``argv`` parsed from the table when it is a plain command line (a subcommand, its known options
    spelled in full, its positionals in one run); None sends it to argparse, which says what is wrong."""
    cmd = _COMMANDS.get(argv[0]) if argv else None
    if cmd is None or not cmd.fast:
        return None
    values = {o.dest: o.default for o in cmd.options}
    by_flag = {f: o for o in cmd.options for f in o.flags}
    pos: list[str] = []
    after_run = False
    i = 1
    while i < len(argv):
        a = argv[i]
        if a.startswith("-") and a != "-":
            name, eq, val = a.partition("=")
            o = by_flag.get(name)
            if o is None:
                return None
            if o.metavar is None:
                if eq:
                    return None
                values[o.dest] = True
            else:
                if not eq:
                    i += 1
                    if i == len(argv) or argv[i].startswith("-"):
                        return None
                    val = argv[i]
                if o.choices and val not in o.choices:
                    return None
                values[o.dest] = val
            after_run = bool(pos)
        elif after_run:
            return None  # positionals split by options: argparse's rules decide
        else:
            pos.append(a)
        i += 1
    for dest, nargs, _ in cmd.positionals:
        if nargs == "*":
            values[dest], pos = pos, []
        elif nargs == "+":
            if not pos:
                return None
            values[dest], pos = pos, []
        else:
            if not pos:
                return None
            values[dest] = pos.pop(0)
    if pos:
        return None
    return Args(command=argv[0], run=cmd.run, **values)


def build_parser(command: str | None = None):
    """The argparse parser, from the table; ``command`` (the first word of argv) lets costly option
    sets be built only for the subcommand that runs."""
    import argparse

    class Formatter(argparse.HelpFormatter):
        # argparse builds a formatter for every add_argument; its default width comes from shutil,
        # an import that costs more than reading a binary. The same width, without it.
        def __init__(self, prog, indent_increment=2, max_help_position=24, width=None):
            super().__init__(prog, indent_increment, max_help_position, width or max(_columns() - 2, 40))

    class Parser(argparse.ArgumentParser):
        def __init__(self, *args, **kwargs):
            kwargs.setdefault("formatter_class", Formatter)
            super().__init__(*args, **kwargs)

        def error(self, message):  # usage errors exit 2, with the usage line, no traceback
            self.print_usage(sys.stderr)
            self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n")

    class SubParser(Parser):
        # argparse leaves a subcommand's unknown options to the top-level parser, which prints the
        # top-level usage: the subcommand's own parser says it, with its own usage.
        def parse_known_args(self, args=None, namespace=None):
            ns, extras = super().parse_known_args(args, namespace)
            if extras:
                self.error(f"unrecognized arguments: {' '.join(extras)}")
            return ns, extras

    p = Parser(prog="linkscope", description="Know any executable without running it: format, linkage, "
               "libraries, Go build info.")
    p.add_argument("--version", action="version", version=f"linkscope {__version__}")
    # prog given: otherwise argparse builds a help formatter (and imports shutil) on every start.
    sub = p.add_subparsers(dest="command", metavar="COMMAND", parser_class=SubParser, prog="linkscope")
    p.subcommands = {}
    for name, cmd in _COMMANDS.items():
        sp = p.subcommands[name] = sub.add_parser(name, help=cmd.help, description=cmd.description)
        for dest, nargs, metavar in cmd.positionals:
            sp.add_argument(dest, nargs=nargs, metavar=metavar)
        for o in cmd.options:
            if o.metavar is None:
                sp.add_argument(*o.flags, dest=o.dest, action="store_true", help=o.help)
            else:
                sp.add_argument(*o.flags, dest=o.dest, help=o.help, default=o.default, choices=o.choices,
                                metavar=None if o.choices else o.metavar)
        if name == "check" and command == "check":  # the policy options cost an import; only `check` needs them
            from . import policy
            policy.add_options(sp)
        sp.set_defaults(run=cmd.run)
    return p


def main(argv: list[str] | None = None) -> int:
    for stream in (sys.stdout, sys.stderr):
        # File names need not be UTF-8: print them escaped rather than fail.
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="backslashreplace")
    if argv is None:
        argv = sys.argv[1:]
    args = fast_parse(argv)
    if args is None:
        parser = build_parser(next((a for a in argv if not a.startswith("-")), None))
        args = parser.parse_args(argv)
        if not getattr(args, "run", None):
            parser.print_help(sys.stderr)
            return EXIT_USAGE
    try:
        return args.run(args)
    except UsageError as e:
        # The subcommand's usage, as argparse gives for the errors it finds itself.
        build_parser(args.command).subcommands[args.command].print_usage(sys.stderr)
        print(f"linkscope {args.command}: error: {e}", file=sys.stderr)
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
