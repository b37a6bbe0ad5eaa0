#!/usr/bin/env python3
"""linkscope scan against file(1), on the same files, in one run; prints ratios.

(a) every regular file under /usr: `linkscope scan /usr --jsonl FILE` (every binary inspected and
    its libraries resolved) vs `find /usr -type f -print0 | xargs -0 file` (target: >= 10x faster)
(b) a container image (docker save layout, two gzip layers: /usr/bin and /usr/lib/x86_64-linux-gnu)
    scanned with an empty --cache, then again with the same cache (target: the second >= 20x faster)
(c) throughput with --jobs 1 and --jobs 2 over /usr/lib (target: grows with the cores)
(d) peak memory (max RSS, --jobs 1, one process) over trees of 10,000 and 40,000 files (target: flat)

Timings are wall-clock minima over repeats; ratios are what matter. Nothing here is a test.
"""
from __future__ import annotations

import argparse
import gzip
import hashlib
import io
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
# What the console script runs (python -m would add runpy to every start); a baseline revision
# older than cli.entry runs cli.main.
LINKSCOPE = [sys.executable, "-c", "import sys; from linkscope import cli; sys.exit(getattr(cli, 'entry', cli.main)())"]


def timed(cmd, n: int, shell: bool = False, before=None) -> float:
    best = float("inf")
    for _ in range(n):
        if before is not None:
            before()
        t = time.perf_counter()
        subprocess.run(cmd, shell=shell, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        best = min(best, time.perf_counter() - t)
    return best


def peak_rss_kib(cmd) -> int:
    """The max RSS of ``cmd`` (one process: --jobs 1), from wait4."""
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, _, ru = os.wait4(p.pid, 0)
    return ru.ru_maxrss


def make_image(out: Path, dirs: list[str]) -> int:
    """A docker save tarball: one gzip layer per directory of this machine (regular files and
    symlinks below it), each written to disk as it is made (never whole in memory); returns its size."""
    diff_ids, names, blobs = [], [], []
    for i, d in enumerate(dirs):
        raw, gz = out.with_suffix(f".{i}.tar"), out.with_suffix(f".{i}.tar.gz")
        with tarfile.open(raw, "w") as lt:
            for root, subdirs, files in os.walk(d):
                subdirs.sort()
                for name in sorted(files):
                    p = os.path.join(root, name)
                    if os.path.islink(p) or os.path.isfile(p):
                        try:
                            lt.add(p, arcname=p.lstrip("/"), recursive=False)
                        except OSError:
                            pass
        h = hashlib.sha256()
        with open(raw, "rb") as src, gzip.open(gz, "wb", compresslevel=1) as dst:
            for chunk in iter(lambda: src.read(1 << 20), b""):
                h.update(chunk)
                dst.write(chunk)
        raw.unlink()
        diff_ids.append("sha256:" + h.hexdigest())
        names.append(f"{h.hexdigest()}/layer.tar")
        blobs.append(gz)
    cfg = json.dumps({"architecture": "amd64", "os": "linux", "rootfs": {"type": "layers", "diff_ids": diff_ids}}).encode()
    cname = hashlib.sha256(cfg).hexdigest() + ".json"
    with tarfile.open(out, "w") as t:
        for name, gz in zip(names, blobs):
            t.add(gz, arcname=name)
            gz.unlink()
        for name, data in ((cname, cfg), ("manifest.json", json.dumps(
                [{"Config": cname, "RepoTags": ["bench:1"], "Layers": names}]).encode())):
            ti = tarfile.TarInfo(name)
            ti.size = len(data)
            t.addfile(ti, io.BytesIO(data))
    return out.stat().st_size


def make_tree(top: Path, n: int) -> None:
    """``n`` files: every tenth a copy of /usr/bin/true with one byte changed (a distinct binary), the
    rest small text files, 100 to a directory."""
    true = Path("/usr/bin/true").read_bytes()
    for i in range(n):
        d = top / f"d{i // 100:04d}"
        if i % 100 == 0:
            d.mkdir(parents=True)
        if i % 10 == 0:
            (d / f"bin{i}").write_bytes(true[:-8] + i.to_bytes(8, "little"))
        else:
            (d / f"f{i}.txt").write_text(f"file {i}\n")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--skip-file", action="store_true", help="skip row a's file(1) run (minutes on /usr)")
    args = ap.parse_args()
    # Bytecode for this tree, as an installed package has it (see bench_inspect.py).
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(REPO / "src")], check=True)
    n = args.repeat
    rows, notes = [], []
    with tempfile.TemporaryDirectory(prefix="bench-scan-") as tmp:
        tmp = Path(tmp)
        jl = tmp / "out.jsonl"
        # (a)
        t_ls = timed([*LINKSCOPE, "scan", "/usr", "--jsonl", str(jl), "--no-config", "-q"], n)
        recs = sum(1 for _ in open(jl))
        files = int(subprocess.run("find /usr -type f | wc -l", shell=True, capture_output=True, text=True).stdout)
        if not args.skip_file:
            t_file = timed("find /usr -type f -print0 | xargs -0 file > /dev/null", 1, shell=True)
            rows.append(("a", f"/usr: {files:,} files, {recs - 1:,} binaries, --jsonl", "find | xargs file",
                         t_file, t_ls, 10.0))
        notes.append(f"scan /usr: {t_ls:.2f} s, {files / t_ls:,.0f} files/s")
        # (b)
        img = tmp / "img.tar"
        size = make_image(img, ["/usr/bin", "/usr/lib/x86_64-linux-gnu"])
        cache = tmp / "cache"

        def empty_cache():
            shutil.rmtree(cache, ignore_errors=True)

        cmd = [*LINKSCOPE, "scan", str(img), "--cache", str(cache), "--jsonl", str(jl), "--no-config", "-q"]
        t_first = timed(cmd, n, before=empty_cache)
        t_second = timed(cmd, max(n, 3))
        rows.append(("b", f"image ({size >> 20} MiB, 2 gzip layers), second scan with --cache",
                     "the first scan", t_first, t_second, 20.0))
        # (c)
        t1 = timed([*LINKSCOPE, "scan", "/usr/lib", "--jobs", "1", "--no-config", "-q"], n)
        t2 = timed([*LINKSCOPE, "scan", "/usr/lib", "--jobs", "2", "--no-config", "-q"], n)
        rows.append(("c", "/usr/lib, --jobs 2", "--jobs 1", t1, t2, 1.3))
        # (d)
        rss = []
        for k in (10_000, 40_000):
            top = tmp / f"tree{k}"
            make_tree(top, k)
            rss.append(peak_rss_kib([*LINKSCOPE, "scan", str(top), "--jobs", "1", "--jsonl", str(jl), "--no-config",
                                     "-q"]))
            shutil.rmtree(top)
        notes.append(f"peak RSS, --jobs 1: {rss[0] / 1024:.1f} MiB at 10,000 files, {rss[1] / 1024:.1f} MiB at "
                     f"40,000 files ({rss[1] / rss[0]:.2f}x for 4x the files)")
    print(f"{'':2} {'case':58} {'reference':>18} {'ref s':>8} {'linkscope s':>12} {'ratio':>7}  target")
    ok = True
    for key, case, ref, t_ref, t_ls, target in rows:
        ratio = t_ref / t_ls
        ok &= ratio >= target
        print(f"{key:2} {case:58} {ref:>18} {t_ref:8.3f} {t_ls:12.3f} {ratio:6.1f}x  >= {target:g}x "
              f"{'ok' if ratio >= target else 'MISSED'}")
    for line in notes:
        print(f"note: {line}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
