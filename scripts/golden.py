#!/usr/bin/env python3
"""Byte-for-byte output comparison: the guard for restructuring that must not change behaviour.

    python3 scripts/golden.py against REV          # outputs of REV's src/ vs the working tree's, diffed
    python3 scripts/golden.py record DIR [--src S] # write every output under DIR
    python3 scripts/golden.py diff OLD NEW         # compare two recordings

Each command of COMMANDS runs once per corpus, over all of that corpus's files in one invocation, as
a user runs it; stdout, stderr and the exit status are recorded. The corpora are the test builds
(LINKSCOPE_TEST_CACHE/bin, default .cache/test-builds/bin: every Go, cgo, zig and C build the tests
make), the Go toolchain's src/debug/*/testdata, and the files directly in /usr/bin. What they hold
depends on the machine, so recordings are compared on the machine that made them, never committed.

The library path is fixed (LD_LIBRARY_PATH removed), so `deps` sees the same search path every run.
Exit status: 0 when every output is identical, 1 when any differs (each difference is listed, with
the first differing lines), 2 on trouble.
"""
from __future__ import annotations

import argparse
import difflib
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# name -> linkscope arguments placed before the corpus's paths
COMMANDS: dict[str, tuple[str, ...]] = {
    "inspect": ("inspect",),
    "inspect-json": ("inspect", "--json"),
    "inspect-v": ("inspect", "-v"),
    "explain": ("explain", "--color", "never"),
    "deps": ("deps",),
    "deps-json": ("deps", "--json"),
    "deps-tree": ("deps", "--tree"),
}


def _regular_files(top: Path, recursive: bool) -> list[str]:
    if not top.is_dir():
        return []
    walk = top.rglob("*") if recursive else top.iterdir()
    return sorted(str(p) for p in walk if p.is_file() and not p.is_symlink())


def _goroot() -> Path | None:
    go = shutil.which("go")
    if go is None:
        return None
    out = subprocess.run([go, "env", "GOROOT"], capture_output=True, text=True)
    return Path(out.stdout.strip()) if out.returncode == 0 and out.stdout.strip() else None


def corpora() -> dict[str, list[str]]:
    cache = Path(os.environ.get("LINKSCOPE_TEST_CACHE", ROOT / ".cache" / "test-builds"))
    goroot = _goroot()
    testdata: list[str] = []
    if goroot is not None:
        for d in sorted((goroot / "src" / "debug").glob("*/testdata")):
            testdata += _regular_files(d, recursive=True)
    return {
        "test-builds": _regular_files(cache / "bin", recursive=True),
        "go-testdata": testdata,
        "usr-bin": _regular_files(Path("/usr/bin"), recursive=False),
    }


def record(out: Path, src: Path, inputs: dict[str, list[str]] | None = None) -> None:
    env = {k: v for k, v in os.environ.items() if k != "LD_LIBRARY_PATH"}
    env["PYTHONPATH"] = str(src)
    env["COLUMNS"] = "100"
    launcher = [sys.executable, "-c", "import sys; from linkscope.cli import main; sys.exit(main())"]
    for corpus, files in (inputs or corpora()).items():
        d = out / corpus
        d.mkdir(parents=True, exist_ok=True)
        (d / "FILES").write_text("".join(f + "\n" for f in files))
        if not files:
            continue
        for name, args in COMMANDS.items():
            r = subprocess.run([*launcher, *args, *files], capture_output=True, env=env, cwd="/")
            (d / f"{name}.stdout").write_bytes(r.stdout)
            (d / f"{name}.stderr").write_bytes(r.stderr)
            (d / f"{name}.status").write_text(f"{r.returncode}\n")
        print(f"recorded {corpus}: {len(files)} files, {len(COMMANDS)} commands", file=sys.stderr)


def diff(old: Path, new: Path) -> int:
    names = sorted({p.relative_to(old) for p in old.rglob("*") if p.is_file()}
                   | {p.relative_to(new) for p in new.rglob("*") if p.is_file()})
    differing = 0
    for rel in names:
        a, b = old / rel, new / rel
        if a.is_file() and b.is_file() and a.read_bytes() == b.read_bytes():
            continue
        differing += 1
        if not (a.is_file() and b.is_file()):
            print(f"{rel}: only in {'old' if a.is_file() else 'new'}")
            continue
        old_lines, new_lines = a.read_text(errors="replace").splitlines(), b.read_text(errors="replace").splitlines()
        lines = difflib.unified_diff(old_lines, new_lines, f"old/{rel}", f"new/{rel}", n=1, lineterm="")
        shown = _clip([line for _, line in zip(range(40), lines)])
        print("\n".join(shown))
    total = len(names)
    print(f"{total - differing} of {total} outputs identical" + (f", {differing} differ" if differing else ""),
          file=sys.stderr)
    return 1 if differing else 0


def _clip(lines: list[str], width: int = 240) -> list[str]:
    """Diff lines short enough to read (a JSON document is one line): a changed line is shown around
    the first character where it differs from its counterpart."""
    out = []
    for i, line in enumerate(lines):
        if len(line) <= width:
            out.append(line)
            continue
        other = lines[i + 1] if line[:1] == "-" and i + 1 < len(lines) else lines[i - 1] if line[:1] == "+" and i else ""
        at = next((k for k, (x, y) in enumerate(zip(line[1:], other[1:])) if x != y), 0)
        start = max(0, at - width // 3)
        out.append(f"{line[0]}...{line[1 + start:1 + start + width]}... (at character {at} of {len(line) - 1})")
    return out


def against(rev: str) -> int:
    with tempfile.TemporaryDirectory(prefix="linkscope-golden-") as td:
        td = Path(td)
        tree = td / "rev"
        tree.mkdir()
        archive = subprocess.run(["git", "-C", str(ROOT), "archive", rev, "src"], capture_output=True)
        if archive.returncode != 0:
            print(f"golden: git archive {rev}: {archive.stderr.decode(errors='replace').strip()}", file=sys.stderr)
            return 2
        subprocess.run(["tar", "-x", "-C", str(tree)], input=archive.stdout, check=True)
        inputs = corpora()    # one list for both runs: builds may land in the cache meanwhile
        record(td / "old", tree / "src", inputs)
        record(td / "new", ROOT / "src", inputs)
        return diff(td / "old", td / "new")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("record")
    r.add_argument("out", type=Path)
    r.add_argument("--src", type=Path, default=ROOT / "src", help="the src/ directory to run (default: this tree's)")
    d = sub.add_parser("diff")
    d.add_argument("old", type=Path)
    d.add_argument("new", type=Path)
    a = sub.add_parser("against")
    a.add_argument("rev")
    args = ap.parse_args()
    if args.cmd == "record":
        record(args.out, args.src.resolve())
        return 0
    if args.cmd == "diff":
        return diff(args.old, args.new)
    return against(args.rev)


if __name__ == "__main__":
    sys.exit(main())
