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
import shutil
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path

from ..go.flags import GoBuild, shell_quote
from ..record import record, replace
from . import cc as ccwrap
from .matrix import Variant, host_target
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


def _go_env(tools: Toolchains, v: Variant, cache: Path) -> tuple[dict[str, str], GoBuild, str | None]:
    """(the environment go build runs with, the build with its C compiler settings, the C toolchain)."""
    env = tools.go.environ(dict(os.environ))
    env.setdefault("GOTOOLCHAIN", "local")   # never download another toolchain behind the user's back
    for k in ("GOOS", "GOARCH", "CGO_ENABLED", "CC", "CXX"):
        env.pop(k, None)
    gb, used = v.gb, None
    if v.c_target is not None:
        cc_env = ccwrap.wrappers(tools.zig.path, v.c_target, cache, v.macos_sdk)
        if "CGO_LDFLAGS" in cc_env and gb.getenv("CGO_LDFLAGS"):
            cc_env["CGO_LDFLAGS"] = gb.getenv("CGO_LDFLAGS") + " " + cc_env["CGO_LDFLAGS"]
        gb = gb.with_env(**cc_env)
        used = ccwrap.describe(tools.zig.version, v.c_target, v.macos_sdk)
    elif gb.cgo and tools.cc is not None:
        used = tools.cc.version or tools.cc.path
    env.update(gb.env)
    return env, gb, used


def build_one(v: Variant, *, package: str, module_dir: Path, out: Path, tools: Toolchains, cache: Path,
              progress: Progress | None = None) -> BuildResult:
    """One variant built into ``out/<mode>/<goos>-<goarch>/``; never raises for a failed build."""
    if v.skip is not None:
        return BuildResult(v, "skipped", v.skip, command=v.gb.command())
    dest_dir = out / v.mode / f"{v.goos}-{v.goarch}"
    dest = dest_dir / output_name(package, v.goos, v.goarch, module_dir)
    tmp = dest_dir / f".{dest.name}.{os.getpid()}.{threading.get_ident()}.tmp"
    try:
        dest_dir.mkdir(parents=True, exist_ok=True)
        if dest.is_file():
            # go build leaves an output whose build ID is current as it is (no link): the previous
            # result copied to the temporary name lets it see that; a new result replaces the copy
            # (cmd/go renames or removes before it writes), and the rename below is the one change to
            # ``dest``.
            shutil.copy2(dest, tmp)
    except OSError as e:
        return BuildResult(v, "failed", f"cannot write the output directory {dest_dir}: {e.strerror or e}",
                           command=v.gb.command())
    try:
        env, gb, used = _go_env(tools, v, cache)
    except OSError as e:
        return BuildResult(v, "failed", f"cannot write the C compiler wrapper under {cache}: {e.strerror or e}",
                           command=v.gb.command())
    if progress:
        progress.step(f"building {v.key}", start=True)
    t0 = time.monotonic()
    try:
        r = subprocess.run([tools.go.path, "build", "-o", str(tmp), *gb.args(), package], cwd=module_dir,
                           env=env, capture_output=True, text=True, errors="replace", timeout=3600)
        output, rc = (r.stdout + r.stderr), r.returncode
    except (OSError, subprocess.TimeoutExpired) as e:
        output, rc = str(e), -1
    seconds = time.monotonic() - t0
    warnings, nss = linker_warnings(output)
    # The command as a user would run it in the module's directory: complete, the C compiler included.
    shown = f"{gb.command(go=f'go build -o {shell_quote(str(dest))}')} {shell_quote(package)}"
    if rc != 0 or not tmp.is_file():
        tmp.unlink(missing_ok=True)
        first = failure_line(output)
        status = "failed"
        frameworks = ccwrap.missing_sdk(output) if v.c_target and "-macos" in v.c_target else []
        if frameworks and not v.macos_sdk:
            status, first = "skipped", (f"needs the macOS SDK for {', '.join(frameworks)} (zig ships none of Apple's "
                                        "frameworks): supply one with --macos-sdk DIR")
        if progress:
            progress.step(f"{status} {v.key}", finish=status)
        return BuildResult(v, status, first, command=shown, cc=used, seconds=seconds, output=output,
                           warnings=warnings, nss_functions=nss)
    try:
        os.replace(tmp, dest)
    except OSError as e:
        tmp.unlink(missing_ok=True)
        return BuildResult(v, "failed", f"cannot write {dest}: {e.strerror or e}", command=shown, cc=used,
                           seconds=seconds, output=output, warnings=warnings, nss_functions=nss)
    if progress:
        progress.step(f"built {v.key}", finish="built")
    return BuildResult(v, "built", None, str(dest), shown, used, seconds, output, warnings, nss)


@record
class Job:
    """A variant to build: where its module is and where its result goes."""
    variant: Variant
    module_dir: Path
    out: Path
    package: str = "."


def _order(todo: list[Job]) -> list[int]:
    """The order to start the jobs in: first one build for each C toolchain zig may have to build
    (musl's libc: minutes on a cold cache; then glibc's and mingw's stubs), then the cross builds,
    then the rest, and last the other builds for an already started toolchain, which would only wait
    on zig's cache lock while it builds. So the longest build runs beside the others, not after them."""
    first: set[str] = set()

    def cost(i: int) -> tuple[int, int]:
        v = todo[i].variant
        if v.c_target is not None and v.c_target not in first:
            first.add(v.c_target)
            return (0 if "musl" in v.c_target else 1), i
        if v.c_target is not None:
            return 4, i
        return (2 if v.target != host_target() else 3), i

    return sorted(range(len(todo)), key=cost)


def build_all(todo: list[Job], *, tools: Toolchains, cache: Path, jobs: int,
              progress: Progress | None = None) -> list[BuildResult]:
    """Every job, ``jobs`` at a time, the longest first; the results in the jobs' order, each built
    result inspected. The inspections run on a thread of their own, beside the builds: while one
    result is read, the next build is already running (go build waits in another process)."""
    from ..inspector import inspect

    def built(job: Job) -> BuildResult:
        v = job.variant
        res = build_one(v, package=job.package, module_dir=job.module_dir, out=job.out, tools=tools, cache=cache,
                        progress=progress)
        if progress and res.status == "skipped":
            progress.step(f"skipped {v.key}", start=True, finish="skipped")
        return res

    def inspected(res: BuildResult) -> BuildResult:
        return replace(res, binary=inspect(res.path)) if res.status == "built" else res

    order = _order(todo)
    with ThreadPoolExecutor(max_workers=1) as reader:
        if jobs <= 1:
            looked = {i: reader.submit(inspected, built(todo[i])) for i in order}
        else:
            with ThreadPoolExecutor(max_workers=jobs) as pool:
                futures = {pool.submit(built, todo[i]): i for i in order}
                looked = {futures[f]: reader.submit(inspected, f.result()) for f in as_completed(futures)}
        done = {i: f.result() for i, f in looked.items()}
    return [done[i] for i in range(len(todo))]
