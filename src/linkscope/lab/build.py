"""Run the matrix: ``go build`` for each variant, in parallel, into an output tree; inspect each
result; verify it runs.

The user's source tree is only read: go build runs there with the outputs elsewhere (``-o`` into a
temporary name in the output directory, renamed into place when the build succeeded, so a result
is whole or absent), and Go's default ``-mod=readonly`` writes no go.mod or go.sum. Builds share the
user's Go build cache and zig's global cache. One variant failing does not stop the others; its
compiler output is kept in full.
"""
from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from ..record import record, replace
from . import cc as ccwrap
from .matrix import Variant
from .toolchains import Toolchains

# glibc's warning for a statically linked program that calls an NSS function:
# "...: warning: Using 'getaddrinfo' in statically linked applications requires at runtime the shared
# libraries from the glibc version used for linking"
_NSS_WARNING = "in statically linked applications requires at runtime the shared libraries"


@record
class BuildResult:
    variant: Variant
    status: str                      # "built", "failed", "skipped"
    reason: str | None = None
    path: str | None = None
    command: str = ""
    cc: str | None = None            # the C toolchain used (Go's build info does not record CC)
    seconds: float | None = None
    output: str = ""                 # go build's output, in full
    warnings: tuple[str, ...] = ()   # the linker's warning lines
    nss_functions: tuple[str, ...] = ()
    binary: object = None            # the inspect record (linkscope.model.Binary)
    verify: tuple = ()               # lab.verify.Check records
    reproducible: bool | None = None
    differences: tuple[str, ...] = ()


def output_name(package: str, goos: str, goarch: str, module_dir: Path) -> str:
    """What go build would name the executable of ``package``: its directory's base name (the module
    directory's for "."), with .exe on windows and .wasm for wasm."""
    base = Path(package).name if package not in (".", "./") else module_dir.resolve().name
    base = base or "prog"
    return base + (".exe" if goos == "windows" else ".wasm" if goarch == "wasm" else "")


def linker_warnings(output: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(warning lines, the NSS functions glibc warned about) from go build's output."""
    lines = tuple(line.strip() for line in output.splitlines() if "warning:" in line)
    funcs = []
    for line in lines:
        if _NSS_WARNING in line:
            q = line.find("Using '")
            if q >= 0:
                end = line.find("'", q + 7)
                if end > q:
                    funcs.append(line[q + 7:end])
    return lines, tuple(dict.fromkeys(funcs))


def failure_line(output: str) -> str:
    """The line of go build's output that says why it failed: the first error the compiler, assembler or
    linker printed, else the first line that is not a "# package" heading."""
    lines = [ln.strip() for ln in output.splitlines() if ln.strip() and not ln.startswith("#")]
    return next((ln for ln in lines if "error" in ln.lower()), lines[0] if lines else "go build failed")


class Progress:
    """A live line on a terminal (done/running/failed, the current step, elapsed), plain lines when
    piped, nothing when quiet."""

    def __init__(self, total: int, stream=None, quiet: bool = False):
        self.total, self.done, self.failed, self.running = total, 0, 0, 0
        self.stream = stream if stream is not None else sys.stderr
        self.live = not quiet and hasattr(self.stream, "isatty") and self.stream.isatty()
        self.quiet = quiet
        self.t0 = time.monotonic()
        self.lock = threading.Lock()

    def step(self, what: str, *, start: bool = False, finish: str | None = None) -> None:
        with self.lock:
            if start:
                self.running += 1
            if finish is not None:
                self.running -= 1
                self.done += 1
                self.failed += finish == "failed"
            if self.quiet:
                return
            elapsed = time.monotonic() - self.t0
            line = (f"[{self.done}/{self.total} done, {self.running} running, {self.failed} failed, "
                    f"{elapsed:.0f}s] {what}")
            if self.live:
                self.stream.write("\r\x1b[K" + line[:160])
            elif finish is not None:
                self.stream.write(line + "\n")
            self.stream.flush()

    def close(self) -> None:
        if self.live:
            self.stream.write("\r\x1b[K")
            self.stream.flush()


def _go_env(tools: Toolchains, v: Variant, cache: Path) -> tuple[dict[str, str], str | None]:
    env = tools.go.environ(dict(os.environ))
    env.setdefault("GOTOOLCHAIN", "local")   # never download another toolchain behind the user's back
    for k in ("GOOS", "GOARCH", "CGO_ENABLED", "CC", "CXX"):
        env.pop(k, None)
    env.update(v.gb.env)
    used = None
    if v.c_target is not None:
        env.update(ccwrap.wrappers(tools.zig.path, v.c_target, cache))
        if v.gb.getenv("CGO_LDFLAGS"):
            env["CGO_LDFLAGS"] = v.gb.getenv("CGO_LDFLAGS") + " " + env.get("CGO_LDFLAGS", "")
        used = ccwrap.describe(tools.zig.version, v.c_target)
    elif v.gb.cgo and tools.cc is not None:
        used = tools.cc.version or tools.cc.path
    return env, used


def build_one(v: Variant, *, package: str, module_dir: Path, out: Path, tools: Toolchains, cache: Path,
              progress: Progress | None = None) -> BuildResult:
    """One variant built into ``out/<mode>/<goos>-<goarch>/``; never raises for a failed build."""
    command = v.gb.command()
    if v.skip is not None:
        return BuildResult(v, "skipped", v.skip, command=command)
    dest_dir = out / v.mode / f"{v.goos}-{v.goarch}"
    dest_dir.mkdir(parents=True, exist_ok=True)
    dest = dest_dir / output_name(package, v.goos, v.goarch, module_dir)
    tmp = dest_dir / f".{dest.name}.{os.getpid()}.{threading.get_ident()}.tmp"
    env, used = _go_env(tools, v, cache)
    if progress:
        progress.step(f"building {v.key}", start=True)
    t0 = time.monotonic()
    try:
        r = subprocess.run([tools.go.path, "build", "-o", str(tmp), *v.gb.args(), package], cwd=module_dir,
                           env=env, capture_output=True, text=True, errors="replace", timeout=3600)
        output, rc = (r.stdout + r.stderr), r.returncode
    except (OSError, subprocess.TimeoutExpired) as e:
        output, rc = str(e), -1
    seconds = time.monotonic() - t0
    warnings, nss = linker_warnings(output)
    shown = command.replace(" go build", f" go build -o {dest}", 1) if " go build" in command else command
    if rc != 0 or not tmp.is_file():
        tmp.unlink(missing_ok=True)
        first = failure_line(output)
        if progress:
            progress.step(f"failed {v.key}", finish="failed")
        return BuildResult(v, "failed", first, command=shown, cc=used, seconds=seconds, output=output,
                           warnings=warnings, nss_functions=nss)
    os.replace(tmp, dest)
    if progress:
        progress.step(f"built {v.key}", finish="built")
    return BuildResult(v, "built", None, str(dest), shown, used, seconds, output, warnings, nss)


def build_all(variants: list[Variant], *, package: str, module_dir: Path, out: Path, tools: Toolchains,
              cache: Path, jobs: int, progress: Progress | None = None) -> list[BuildResult]:
    """Every variant, ``jobs`` at a time, in the matrix's order; then each built result inspected."""
    from ..inspector import inspect

    def one(v: Variant) -> BuildResult:
        res = build_one(v, package=package, module_dir=module_dir, out=out, tools=tools, cache=cache,
                        progress=progress)
        if res.status == "built":
            res = replace(res, binary=inspect(res.path))
        elif progress and res.status == "skipped":
            progress.step(f"skipped {v.key}", start=True, finish="skipped")
        return res

    if jobs <= 1:
        return [one(v) for v in variants]
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        return list(pool.map(one, variants))
