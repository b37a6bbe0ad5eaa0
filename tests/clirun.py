"""linkscope's command line, run in the test's process: ``run(capsys, *argv) -> (code, out, err)``."""
from __future__ import annotations


def run(capsys, *argv):
    """``linkscope ARGV`` through cli.main, its exit code (usage errors' SystemExit included) and what
    it wrote to stdout and stderr."""
    from linkscope.cli import main

    try:
        code = main([str(a) for a in argv])
    except SystemExit as e:  # argparse usage errors
        code = e.code
    out, err = capsys.readouterr()
    return code, out, err
