"""The subcommands: each ``run(args) -> exit status`` gathers its inputs, computes records with the
library (inspect, deps, analysis, check, diff) and hands every one to ``linkscope.render`` for its text
or JSON; nothing here formats output itself. The CLI (linkscope.cli) parses the command line and
imports only the module of the subcommand that runs. Exit statuses: linkscope.status."""
from __future__ import annotations

# What every batch uses for each of its inputs, imported once (an import statement in a function runs
# on every call: microseconds a file).
from ..errors import unreadable
from ..model import Binary, ErrorInfo
from ..render.diagnostic import record_error_line


def internal_error(e: Exception):
    """The error of one input that linkscope itself failed on (a bug, not the input's fault): kind
    "internal", so that it is told apart from every kind bad input gets."""
    return ErrorInfo("internal", f"internal error: {type(e).__name__}: {e}; please report it", None)


def guarded(compute, on_error):
    """``compute()`` for one input; any other Exception than the ones the library turns into records
    becomes ``on_error(ErrorInfo)``, that input's error record, and the batch goes on.
    KeyboardInterrupt and SystemExit are no Exception: they still end the command."""
    try:
        return compute()
    except Exception as e:   # the CLI's last line of defence: one input's record, never a traceback
        return on_error(internal_error(e))


def inspect_one(path: str, **kw):
    """:func:`linkscope.inspector.inspect`, guarded: a Binary record whatever happens inside."""
    from ..inspector import inspect

    return guarded(lambda: inspect(path, **kw), lambda err: Binary(path=path, error=err))


def resolve_one(path: str, env, session, **kw):
    """:func:`linkscope.deps.resolver.resolve`, guarded: a Result whatever happens inside."""
    from ..deps.records import Result
    from ..deps.resolver import resolve

    return guarded(lambda: resolve(path, env, session, **kw), lambda err: Result(path, err))


def rendered_one(path: str, make, render, human: bool = True):
    """``rendered(r, render(r), human)`` for the record ``make()`` gives, guarded: when computing or
    rendering it fails, the rendering of that input's internal-error record."""
    def fallback(err):
        r = Binary(path=path, error=err)
        return rendered(r, render(r), human)

    def compute():
        r = make()
        return None if r is None else rendered(r, render(r), human)

    return guarded(compute, fallback)


def rendered(r, shown, human: bool = True) -> tuple[object, str | None]:
    """What a worker hands back for one record: its rendering (None, in human mode, for an input
    that could not be read at all: its error goes to stderr only; JSON keeps its error record) and
    its stderr line."""
    err = record_error_line(r)
    if human and isinstance(shown, str) and unreadable(r):
        shown = None
    return shown, err


def root_tree(args, command: str):
    """``--root``: None, or the tree the paths given are inside: a directory of this machine
    (HostFiles) or a container image (its final filesystem; close it). Its problems (entries
    skipped as unsafe or damaged) go to stderr, once. Raises UsageError."""
    return _root(args, command, directory=True)


def root_image(args, command: str):
    """``--root`` when it is a container image: its tree (close it); None for a directory root (the
    command reads that through its own loader rules) or none. Raises UsageError as root_tree does."""
    return _root(args, command, directory=False)


def _root(args, command: str, directory: bool):
    root = getattr(args, "root", None)
    if root is None:
        return None
    import sys

    from ..container import looks_like_container, open_container
    from ..errors import LinkscopeError
    from ..files import HostFiles
    from ..inputs import UsageError
    from ..render.diagnostic import command_note

    if looks_like_container(root):
        if getattr(args, "recursive", False):
            raise UsageError("-r reads a directory of this machine: with an image as --root, name its files")
        try:
            tree = open_container(root)
        except LinkscopeError as e:
            raise UsageError(f"--root {root}: {e.message}") from None
        for line in tree.problems:
            print(command_note(command, line), file=sys.stderr)
        return tree
    import os

    if not os.path.isdir(root):
        raise UsageError(f"--root {root}: neither a directory nor a container image")
    return HostFiles(root) if directory else None
