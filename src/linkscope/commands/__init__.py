"""The subcommands: each ``run(args) -> exit status`` gathers its inputs, computes records with the
library (inspect, deps, analysis, check, diff) and hands every one to ``linkscope.render`` for its text
or JSON; nothing here formats output itself. The CLI (linkscope.cli) parses the command line and
imports only the module of the subcommand that runs. Exit statuses: linkscope.status."""
from __future__ import annotations



def rendered(r, shown, human: bool = True) -> tuple[object, str | None]:
    """What a worker hands back for one record: its rendering (None, in human mode, for an input
    that could not be read at all: its error goes to stderr only; JSON keeps its error record) and
    its stderr line."""
    from ..errors import unreadable
    from ..render.diagnostic import record_error_line

    err = record_error_line(r)
    if human and isinstance(shown, str) and unreadable(r):
        shown = None
    return shown, err


def root_tree(args, command: str):
    """``--root``: None, or the tree the paths given are inside: a directory of this machine
    (HostFiles) or a container image (its final filesystem; close it). Its problems (entries
    skipped as unsafe or damaged) go to stderr, once. Raises UsageError."""
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
    return HostFiles(root)
