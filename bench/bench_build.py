#!/usr/bin/env python3
"""linkscope build of a matrix against the same `go build` commands run one after another by a shell
script, in one run; prints ratios.

The matrix: the lab's netuser program (net + os/user) in six modes for the host and linux/arm64.
Both sides use the same warm Go build cache (a first pass of each warms it), build into their own
output directory, and verify nothing (--no-verify: the script runs nothing either); linkscope also
inspects every result. Targets: --jobs 1 no more than 5% slower than the script; --jobs 2 faster.

Timings are wall-clock minima over repeats. Nothing here is a test.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
LINKSCOPE = [sys.executable, "-c", "import sys; from linkscope.cli import main; sys.exit(main())"]
MODES = "default,netgo,nocgo,stripped,pie,trimpath"
TARGETS = "linux/amd64,linux/arm64"


def best(cmd, repeat: int, **kw) -> float:
    t_best = float("inf")
    for _ in range(repeat):
        t = time.perf_counter()
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, **kw)
        t_best = min(t_best, time.perf_counter() - t)
    return t_best


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    sys.path.insert(0, str(REPO / "src"))
    from linkscope.lab import showcase

    with tempfile.TemporaryDirectory() as td:
        td = Path(td)
        program = showcase.copy_programs(td / "src")["netuser"]
        build = [*LINKSCOPE, "build", "--modes", MODES, "--targets", TARGETS, "--no-verify", "-q"]
        doc = json.loads(subprocess.run([*build, "--json", "--out", str(td / "first")], cwd=program, check=True,
                                        capture_output=True, text=True).stdout)
        commands = [v["command"].replace(str(td / "first"), str(td / "script")) for v in doc["variants"]
                    if v["status"] == "built"]
        script = td / "build.sh"
        script.write_text("set -e\n" + "".join(f"mkdir -p {os.path.dirname(c.split(' -o ')[1].split()[0])}\n{c}\n"
                                               for c in commands))
        subprocess.run(["bash", str(script)], cwd=program, check=True, capture_output=True)   # warm both
        t_script = best(["bash", str(script)], args.repeat, cwd=program)
        t_j1 = best([*build, "--jobs", "1", "--out", str(td / "j1")], args.repeat, cwd=program)
        t_j2 = best([*build, "--jobs", "2", "--out", str(td / "j2")], args.repeat, cwd=program)
    n = len(commands)
    print(f"{n} builds ({MODES} x {TARGETS}), warm Go cache, {os.cpu_count()} cores")
    print(f"{'case':42} {'seconds':>8} {'ratio':>7}  target")
    print(f"{'shell script, go build one after another':42} {t_script:8.2f}")
    print(f"{'linkscope build --jobs 1':42} {t_j1:8.2f} {t_script / t_j1:6.2f}x  >= 0.95x "
          f"{'ok' if t_script / t_j1 >= 0.95 else 'MISSED'}")
    print(f"{'linkscope build --jobs 2':42} {t_j2:8.2f} {t_script / t_j2:6.2f}x  > 1x "
          f"{'ok' if t_script / t_j2 > 1 else 'MISSED'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
