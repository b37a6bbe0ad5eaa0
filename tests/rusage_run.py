"""Run a command and write its own CPU time and peak RSS to a file: ``rusage_run.py OUT CMD...``.

A child's ru_maxrss counts what it had resident between fork and exec, so a command started straight
from a large process (pytest late in the suite: hundreds of MiB) reports that process's size. Started
from this small one, it reports its own. The exit status is the command's."""
import os
import sys


def main() -> int:
    out, cmd = sys.argv[1], sys.argv[2:]
    pid = os.fork()
    if pid == 0:
        try:
            os.execvp(cmd[0], cmd)
        finally:
            os._exit(127)
    _, status, ru = os.wait4(pid, 0)
    with open(out, "w") as f:
        f.write(f"{ru.ru_utime + ru.ru_stime} {ru.ru_maxrss * 1024}\n")
    return os.waitstatus_to_exitcode(status)


if __name__ == "__main__":
    sys.exit(main())
