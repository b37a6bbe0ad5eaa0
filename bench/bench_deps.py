#!/usr/bin/env python3
"""linkscope deps against ldd, on the same files, in one run; prints the ratio.

Every dynamic ELF executable under /usr/bin: one `linkscope deps --json` call over all of them
versus running `ldd` on each (target: >= 10x faster). The answers are compared too: the bench
reports how many files resolve to the same closure (name and real path, vDSO aside).
Nothing here is a test; timings are wall-clock minima over repeats. ``--baseline REV`` also times
REV's linkscope (its src/, from git) in the same run.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

# What the console script runs (python -m would add runpy to every start); a baseline revision
# older than cli.entry runs cli.main.
LINKSCOPE = [sys.executable, "-c", "import sys; from linkscope import cli; sys.exit(getattr(cli, 'entry', cli.main)())"]
VDSO = ("linux-vdso.so.1", "linux-gate.so.1", "linux-vdso64.so.1")


def dynamic_elves(top: str) -> list[str]:
    out = []
    for name in sorted(os.listdir(top)):
        p = os.path.join(top, name)
        if os.path.islink(p) or not os.path.isfile(p):
            continue
        try:
            with open(p, "rb") as fh:
                head = fh.read(4096)
        except OSError:
            continue
        if head[:4] == b"\x7fELF" and b"ld-linux" in head:  # has an interpreter path near the start
            out.append(p)
    return out


def ldd_closure(path: str) -> dict[str, str | None]:
    r = subprocess.run(["ldd", path], capture_output=True, text=True)
    out = {}
    for line in r.stdout.splitlines():
        m = re.match(r"\s*(\S+) => (not found|(\S+) \(0x[0-9a-f]+\))", line)
        if m:
            out[m.group(1)] = None if m.group(2) == "not found" else os.path.realpath(m.group(3))
    return {k: v for k, v in out.items() if k not in VDSO}


def compile_package() -> None:
    """Bytecode for every module, as an installed package has it: with PYTHONDONTWRITEBYTECODE set
    (as here), a module edited since its last compile would otherwise be compiled on every timed run."""
    import compileall
    import importlib.util

    spec = importlib.util.find_spec("linkscope")
    if spec is not None and spec.submodule_search_locations:
        for d in spec.submodule_search_locations:
            compileall.compile_dir(d, quiet=1)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--dir", default="/usr/bin")
    ap.add_argument("--baseline", metavar="REV", help="also time this git revision's linkscope")
    args = ap.parse_args()
    compile_package()
    files = dynamic_elves(args.dir)
    with tempfile.TemporaryDirectory() as td:
        lst = Path(td) / "files.txt"
        lst.write_text("\n".join(files) + "\n")

        t_ldd = float("inf")
        for _ in range(args.repeat):
            t = time.perf_counter()
            for f in files:
                subprocess.run(["ldd", f], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            t_ldd = min(t_ldd, time.perf_counter() - t)

        t_ls = float("inf")
        for _ in range(args.repeat):
            t = time.perf_counter()
            r = subprocess.run([*LINKSCOPE, "deps", "--json", *files], capture_output=True, text=True)
            t_ls = min(t_ls, time.perf_counter() - t)
        doc = json.loads(r.stdout)
        t_base = None
        if args.baseline:
            sys.path.insert(0, str(Path(__file__).resolve().parent))
            from bench_inspect import baseline_src, timed

            env = dict(os.environ, PYTHONPATH=str(baseline_src(args.baseline, Path(td))))
            t_base = timed([*LINKSCOPE, "deps", "--json", *files], args.repeat, env=env)

    same = 0
    for res in doc["results"]:
        ours = {lib["name"]: lib["realpath"] for lib in res["libraries"] if lib["via"] != "interpreter"}
        ours.update({m: None for m in res["missing"]})
        theirs = ldd_closure(res["path"])
        same += {k: v for k, v in ours.items() if k in theirs or v is not None} == theirs
    ratio = t_ldd / t_ls
    print(f"{len(files)} dynamic ELF files under {args.dir}")
    print(f"  ldd, one call per file : {t_ldd:8.3f} s")
    print(f"  linkscope deps --json  : {t_ls:8.3f} s")
    print(f"  ratio                  : {ratio:8.1f}x  (target >= 10x: {'ok' if ratio >= 10 else 'MISSED'})")
    print(f"  same closure as ldd    : {same}/{len(files)}")
    if t_base is not None:
        print(f"  {args.baseline} deps --json : {t_base:8.3f} s  (this tree {t_base / t_ls:.2f}x its speed)")
    return 0 if ratio >= 10 else 1


if __name__ == "__main__":
    sys.exit(main())
