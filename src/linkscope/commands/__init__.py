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
