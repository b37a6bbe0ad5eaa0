"""Prove each build runs: run it in a sandbox every way that applies, and record what happened.

The kinds of check, in the order :func:`plan` lists them:

- ``native``: the host runs the target (linux/amd64 on amd64; linux/386 natively on amd64, since Go's
  386 binaries crash under qemu-i386), in the sandbox with the real root visible read-only, so a
  dynamic binary finds its libraries.
- ``empty_root``: a fresh root holding only the binary (what ``FROM scratch`` gives); foreign
  architectures through a statically linked ``qemu-ARCH-static``, the only qemu that starts there.
  A dynamic binary fails there for its interpreter: that is the expected outcome, and it is said so.
- ``qemu``: foreign linux architectures, ``qemu-ARCH`` called directly (binfmt may not be registered);
  a dynamic binary only with ``-L SYSROOT``.
- ``wine``: windows/amd64 under Wine, in a private prefix under ``work`` that holds a
  ``bcryptprimitives.dll`` stub (Go needs ``ProcessPrng``; Wine 8 lacks it).
- ``node``: js/wasm with GOROOT's ``wasm_exec_node.js``, wasip1/wasm with ``node:wasi``.
- ``preload``: linux ELF, natively or under qemu: a tiny library built for the target whose constructor
  writes a marker file; the binary run with it in LD_PRELOAD is injectable when the marker appears.

Every run is confined: bubblewrap (``--unshare-all``, no network, a new session, no capabilities,
uid 65534 in a user namespace), else ``unshare`` (new user, mount, pid, net, ipc and uts namespaces;
chroot for the empty root), with a time limit, a process limit and a memory limit (see ``_limits``).
When neither sandbox works here, nothing runs: every check says why. Nothing here raises for a
failure of the binary or of a tool; a :class:`Check` says what happened.
"""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
import threading
import time
from pathlib import Path

from ..record import record, replace
from .toolchains import QEMU_ARCH, Toolchains, host_goarch, zig_target

KINDS = ("native", "empty_root", "qemu", "wine", "node", "preload")

DETAIL_LINES = 5
DETAIL_CHARS = 400
OUTPUT_KEEP = 64 * 1024          # bytes of a run's output kept; the rest is read and dropped
WINE_SETUP_TIMEOUT = 300.0       # the first wineboot of a prefix takes a minute or more on 2 cores
BUILD_TIMEOUT = 300.0            # a probe or stub build; zig's first libc for a target is slow

# Limits. Memory: a cgroup's memory limit counts what is used, so 2 GiB leaves a Go runtime (which
# reserves far more address space than it touches), Node's wasm guard regions and Wine alone. Without
# a cgroup, RLIMIT_AS is the only memory limit; Go aborts below ~700 MB of address space ("failed to
# reserve page summary memory"), so it is 4 GiB; Node (V8 reserves ~10 GiB per wasm memory), Wine and
# qemu (a 32-bit guest's 4 GiB reservation) cannot live under any useful RLIMIT_AS and get none.
# Processes: a pids cgroup where one can be made (as root), else RLIMIT_NPROC, which binds only a
# non-root uid (it counts that uid's other processes too, hence the roomy value).
MEMORY_BYTES = 2 << 30
AS_BYTES = 4 << 30
PIDS_MAX = 256
NPROC = 1024
SANDBOX_UID = 65534

THIRTY_TWO_BIT = {"386", "arm", "mips", "mipsle"}
INSIDE = "/tmp/linkscope"        # where bubblewrap shows the files of a run

PROBE_C = r"""
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

__attribute__((constructor)) static void linkscope_probe(void) {
    const char *mark = getenv("LINKSCOPE_PROBE_MARK");
    if (mark == NULL) return;
    int fd = open(mark, O_WRONLY | O_CREAT | O_TRUNC, 0666);
    if (fd >= 0) { (void)!write(fd, "injected\n", 9); close(fd); }
}
"""

# Go's runtime calls ProcessPrng (bcryptprimitives.dll, Windows 10+), which Wine 8 does not have.
PRNG_STUB_C = r"""
#include <windows.h>
BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length);   /* RtlGenRandom, advapi32 */

__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T size) {
    while (size > 0) {
        ULONG n = size > 0x10000000 ? 0x10000000 : (ULONG)size;
        if (!SystemFunction036(data, n)) return FALSE;
        data += n;
        size -= n;
    }
    return TRUE;
}
"""

WASI_JS = r"""
'use strict';
const fs = require('node:fs');
const { WASI } = require('node:wasi');
const wasi = new WASI({ version: 'preview1', args: process.argv.slice(2), env: {}, returnOnExit: true });
const wasm = new WebAssembly.Module(fs.readFileSync(process.argv[2]));
const instance = new WebAssembly.Instance(wasm, { wasi_snapshot_preview1: wasi.wasiImport });
process.exitCode = wasi.start(instance);
"""


@record
class Check:
    kind: str                  # "native", "empty_root", "qemu", "wine", "node", "preload"
    ran: bool                  # False: not run, `detail` says why
    ok: bool | None            # exit status 0 (for preload: the probe ran); None when not run
    exit_code: int | None
    detail: str                # the first output lines, or the reason it did not run
    seconds: float | None = None
    injectable: bool | None = None   # preload only: the interposer's constructor ran inside the binary


def not_run(kind: str, reason: str) -> Check:
    return Check(kind, False, None, None, reason)


def runs_natively(goarch: str, host: str) -> bool:
    return goarch == host or (host == "amd64" and goarch == "386")


def plan(goos: str, goarch: str, linkage: str | None, tools: Toolchains, *, host_goarch: str) -> tuple[str, ...]:
    """The check kinds that apply to a result of that target and linkage on this host, in order.

    Kinds are listed whether or not their tool is installed (``tools`` decides only what cannot apply
    at all), so that a result says why a check did not run rather than leaving it out."""
    if goos == "linux":
        first = ("native",) if runs_natively(goarch, host_goarch) else ("qemu",)
        return ("native", "empty_root", "preload") if first == ("native",) else ("empty_root", "qemu", "preload")
    if goos == "windows" and host_goarch == "amd64" and goarch == "amd64":
        return ("wine",)
    if goarch == "wasm" and goos in ("js", "wasip1"):
        return ("node",)
    return ()


# -- the sandbox -----------------------------------------------------------------------------------
_SANDBOX: dict[tuple[str | None, str | None], tuple[str | None, str]] = {}


def _tool_path(tool) -> str | None:
    return tool.path if tool is not None else None


def _bwrap_base(bwrap: str) -> list[str]:
    return [bwrap, "--unshare-all", "--unshare-user", "--uid", str(SANDBOX_UID), "--gid", str(SANDBOX_UID),
            "--die-with-parent", "--new-session", "--cap-drop", "ALL"]


def _unshare_base(unshare: str) -> list[str]:
    return [unshare, "-r", "--mount", "--pid", "--fork", "--net", "--ipc", "--uts", "--kill-child"]


def _backend(tools: Toolchains) -> tuple[str | None, str]:
    """("bwrap" or "unshare", "") when that sandbox ran /bin/true here, else (None, the reason).
    Tried once per pair of tool paths."""
    key = (_tool_path(tools.bwrap), _tool_path(tools.unshare))
    if key in _SANDBOX:
        return _SANDBOX[key]
    tries = []
    if tools.bwrap is not None:
        tries.append(("bwrap", _bwrap_base(tools.bwrap.path) + ["--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc",
                                                                "--", "/bin/true"]))
    if tools.unshare is not None:
        tries.append(("unshare", _unshare_base(tools.unshare.path) + ["--", "/bin/true"]))
    failures = []
    found: tuple[str | None, str] | None = None
    for name, argv in tries:
        try:
            r = subprocess.run(argv, capture_output=True, text=True, timeout=30, stdin=subprocess.DEVNULL)
        except (OSError, subprocess.SubprocessError) as e:
            failures.append(f"{name}: {e}")
            continue
        if r.returncode == 0:
            found = (name, "")
            break
        failures.append(f"{name}: {_first_lines(r.stderr or r.stdout, 1) or f'exit status {r.returncode}'}")
    if found is None:
        found = (None, "no sandbox can be made here, so nothing is run: "
                       + ("; ".join(failures) if failures else "neither bwrap (Debian: bubblewrap) nor unshare "
                                                               "(util-linux) is installed"))
    _SANDBOX[key] = found
    return found


def sandbox_available(tools: Toolchains) -> str | None:
    """None when a sandbox can be made here, else the reason (for the clear refusal message)."""
    name, reason = _backend(tools)
    return None if name is not None else reason


# -- limits ----------------------------------------------------------------------------------------
class _Cgroup:
    """A v1 memory + pids cgroup for one run (made as root), or nothing where one cannot be made."""

    _count = 0
    _lock = threading.Lock()

    def __init__(self):
        self.dirs: list[Path] = []

    @classmethod
    def make(cls) -> "_Cgroup | None":
        base = Path("/sys/fs/cgroup")
        if os.geteuid() != 0 or not (base / "memory" / "cgroup.procs").exists() or not (base / "pids" / "cgroup.procs").exists():
            return None
        with cls._lock:
            cls._count += 1
            name = f"linkscope-verify-{os.getpid()}-{cls._count}"
        cg = cls()
        try:
            for ctl, settings in (("memory", {"memory.limit_in_bytes": MEMORY_BYTES}), ("pids", {"pids.max": PIDS_MAX})):
                d = base / ctl / name
                d.mkdir()
                cg.dirs.append(d)
                for k, v in settings.items():
                    (d / k).write_text(str(v))
        except OSError:
            cg.remove()
            return None
        return cg

    def procs(self) -> list[str]:
        return [str(d / "cgroup.procs") for d in self.dirs]

    def limits_hit(self, killed: bool) -> str:
        """Which limits the run ran into, in words ("" for none): the memory limit when the kernel's
        OOM killer stopped a process of the cgroup (or, when the run was killed, usage hit the limit),
        the process limit when it refused forks."""
        said = []
        for d in self.dirs:
            try:
                if d.parent.name == "memory":
                    oom = dict(l.split() for l in (d / "memory.oom_control").read_text().splitlines() if l.strip())
                    if int(oom.get("oom_kill", "0")) or (killed and int((d / "memory.failcnt").read_text() or 0)):
                        said.append(f"stopped by the memory limit ({MEMORY_BYTES >> 30} GiB)")
                elif d.parent.name == "pids":
                    events = dict(l.split() for l in (d / "pids.events").read_text().splitlines() if l.strip())
                    if int(events.get("max", "0")):
                        said.append(f"the process limit ({PIDS_MAX}) refused {events['max']} forks")
            except (OSError, ValueError):
                continue
        return "; ".join(said)

    def remove(self) -> None:
        for d in reversed(self.dirs):
            for _ in range(50):
                try:
                    for pid in (d / "cgroup.procs").read_text().split():
                        os.kill(int(pid), signal.SIGKILL)
                    d.rmdir()
                    break
                except ProcessLookupError:
                    continue
                except OSError:
                    time.sleep(0.02)


# Joins the cgroups named before "--", then execs the rest (outside the sandbox, so the whole tree is in).
_JOIN = 'while [ "$1" != -- ]; do echo $$ > "$1" || exit 125; shift; done; shift; exec "$@"'


def _limits(argv: list[str], cgroup: _Cgroup | None, *, address_space: bool) -> list[str]:
    if cgroup is not None:
        return ["/bin/sh", "-c", _JOIN, "sh", *cgroup.procs(), "--", *argv]
    prlimit = shutil.which("prlimit")
    if prlimit is None:
        return argv
    return [prlimit, f"--nproc={NPROC}", *([f"--as={AS_BYTES}"] if address_space else []), "--", *argv]


# -- running one command -----------------------------------------------------------------------------
@record
class _Mount:
    host: str
    name: str                  # the file's name under INSIDE (bwrap) or in the empty root
    writable: bool = False


@record
class _Outcome:
    exit_code: int | None      # None: timed out, or the command could not be started
    output: str
    seconds: float
    timed_out: bool = False
    error: str = ""
    limit: str = ""            # the sandbox's limits the run ran into, in words


def _first_lines(text: str, lines: int = DETAIL_LINES, chars: int = DETAIL_CHARS) -> str:
    kept = [ln.rstrip() for ln in text.strip().splitlines()[:lines]]
    out = "\n".join(kept)
    return out if len(out) <= chars else out[:chars - 3] + "..."


def _execute(argv: list[str], env: dict[str, str], timeout: float, cwd: str | None = None) -> _Outcome:
    """Run ``argv`` in its own process group: stdout and stderr together, the first OUTPUT_KEEP bytes
    kept, the group killed at ``timeout``."""
    start = time.monotonic()
    try:
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                env=env, cwd=cwd, start_new_session=True)
    except OSError as e:
        return _Outcome(None, "", time.monotonic() - start, error=f"cannot start {argv[0]}: {e}")
    kept = bytearray()

    def drain():
        while chunk := proc.stdout.read1(65536):
            if len(kept) < OUTPUT_KEEP:
                kept.extend(chunk[:OUTPUT_KEEP - len(kept)])

    reader = threading.Thread(target=drain, daemon=True)
    reader.start()
    timed_out = False
    try:
        code = proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        timed_out = True
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        code = proc.wait()
    reader.join(timeout=5)
    proc.stdout.close()
    seconds = time.monotonic() - start
    text = bytes(kept).decode("utf-8", "replace")
    if timed_out:
        return _Outcome(None, text, seconds, timed_out=True)
    return _Outcome(code if code >= 0 else 128 - code, text, seconds)


def _base_env(extra: dict[str, str]) -> dict[str, str]:
    """What a sandboxed run sees: nothing of the caller's environment but a plain PATH and locale."""
    env = {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": "/tmp", "LANG": "C.UTF-8", "TMPDIR": "/tmp"}
    env.update(extra)
    return env


class _Sandbox:
    """Builds the command lines of one backend: the real root read-only (``native``) or an empty root."""

    def __init__(self, backend: str, tools: Toolchains, work: Path):
        self.backend = backend
        self.tools = tools
        self.work = work

    def inside(self, mount: _Mount, *, empty: bool = False) -> str:
        """Where the file of ``mount`` shows in the sandbox."""
        if self.backend == "bwrap":
            return f"/{mount.name}" if empty else f"{INSIDE}/{mount.name}"
        return f"/{mount.name}" if empty else mount.host

    def run(self, argv: list[str], mounts: list[_Mount], env: dict[str, str], timeout: float, *,
            empty: bool = False, address_space: bool = True) -> _Outcome:
        cgroup = _Cgroup.make()
        root: Path | None = None
        try:
            if self.backend == "bwrap":
                cmd = _bwrap_base(self.tools.bwrap.path)
                if empty:
                    cmd += ["--tmpfs", "/"]
                    for m in mounts:
                        cmd += ["--bind" if m.writable else "--ro-bind", m.host, f"/{m.name}"]
                    cmd += ["--chdir", "/"]
                else:
                    cmd += ["--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc", "--tmpfs", "/tmp"]
                    for m in mounts:
                        cmd += ["--bind" if m.writable else "--ro-bind", m.host, f"{INSIDE}/{m.name}"]
                    cmd += ["--chdir", "/tmp"]
                # The run's variables are set inside only: LD_PRELOAD must not reach bwrap itself.
                cmd += ["--clearenv"]
                for k, v in _base_env(env).items():
                    cmd += ["--setenv", k, v]
                cmd += ["--", *argv]
                cwd = None
            else:
                cmd = _unshare_base(self.tools.unshare.path)
                if empty:
                    root = Path(_fresh_dir(self.work / "roots"))
                    for m in mounts:
                        shutil.copy2(m.host, root / m.name)
                    cmd += ["--", shutil.which("chroot") or "/usr/sbin/chroot", str(root), *argv]
                elif env:
                    # Set by env(1) inside: LD_PRELOAD must not reach unshare itself.
                    cmd += ["--", shutil.which("env") or "/usr/bin/env", *(f"{k}={v}" for k, v in env.items()), *argv]
                else:
                    cmd += ["--", *argv]
                cwd = str(self.work)
            out = _execute(_limits(cmd, cgroup, address_space=address_space), _base_env({}), timeout, cwd)
            if cgroup is not None:
                hit = cgroup.limits_hit(out.exit_code in (137, -signal.SIGKILL))
                if hit:
                    out = replace(out, limit=hit)
            return out
        finally:
            if cgroup is not None:
                cgroup.remove()
            if root is not None:
                shutil.rmtree(root, ignore_errors=True)


def _fresh_dir(parent: Path) -> str:
    import tempfile

    parent.mkdir(parents=True, exist_ok=True)
    d = tempfile.mkdtemp(dir=parent)
    os.chmod(d, 0o755)
    return d


def _check(kind: str, out: _Outcome, timeout: float, *, note: str = "") -> Check:
    if out.error:
        return Check(kind, False, None, None, out.error)
    lines = _first_lines(out.output)
    if out.timed_out:
        detail = f"timed out after {timeout:g} s: stopped" + (f"\n{lines}" if lines else "")
        return Check(kind, True, False, None, _first_lines(detail), round(out.seconds, 3))
    detail = (note + ("\n" + lines if lines else "")) if note else (lines or f"exit status {out.exit_code}, no output")
    if out.limit:
        detail = f"{out.limit}\n{detail}"
    return Check(kind, True, out.exit_code == 0, out.exit_code, _first_lines(detail), round(out.seconds, 3))


# -- building the helpers (probe library, Wine's stub DLL) ----------------------------------------------
def _build_once(target: Path, argv: list[str], source: str, src_name: str, env: dict[str, str]) -> str:
    """Build ``target`` from ``source`` with ``argv`` (ending in its output and input) unless it exists;
    "" on success, else why not."""
    if target.exists():
        return ""
    target.parent.mkdir(parents=True, exist_ok=True)
    src = target.parent / src_name
    src.write_text(source)
    tmp = target.with_name(target.name + ".tmp")
    try:
        r = subprocess.run([*argv, "-o", str(tmp), str(src)], capture_output=True, text=True, env=env,
                           timeout=BUILD_TIMEOUT, stdin=subprocess.DEVNULL)
    except (OSError, subprocess.SubprocessError) as e:
        return f"{argv[0]}: {e}"
    if r.returncode != 0:
        return _first_lines(r.stderr or r.stdout, 3) or f"{argv[0]} exit status {r.returncode}"
    os.replace(tmp, target)
    return ""


class _WorkLock:
    """Held while a helper is made in ``work`` (a probe library, Wine's prefix): verify may run in several
    threads or forked processes over one ``work``, and each helper is made once."""

    _threads = threading.Lock()

    def __init__(self, work: Path):
        self.path = work / ".lock"

    def __enter__(self):
        import fcntl

        self._threads.acquire()
        self.f = open(self.path, "w")
        fcntl.flock(self.f, fcntl.LOCK_EX)

    def __exit__(self, *exc):
        self.f.close()
        self._threads.release()


def _probe_library(goarch: str, tools: Toolchains, work: Path) -> tuple[Path | None, str]:
    with _WorkLock(work):
        return _make_probe_library(goarch, tools, work)


def _make_probe_library(goarch: str, tools: Toolchains, work: Path) -> tuple[Path | None, str]:
    target = work / f"probe-linux-{goarch}" / "linkscope_probe.so"
    if goarch == host_goarch() and tools.cc is not None:
        argv = [tools.cc.path, "-shared", "-fPIC", "-O1"]
        env = tools.cc.environ(dict(os.environ))
    elif tools.zig is not None and zig_target("linux", goarch) is not None:
        # glibc 2.17 (or the port's first release): the probe loads into anything built since
        triple = zig_target("linux", goarch, glibc="2.17")
        argv = [tools.zig.path, "cc", "-target", triple, "-shared", "-fPIC", "-O1"]
        env = tools.zig.environ(dict(os.environ))
    else:
        return None, (f"no C compiler for linux/{goarch} to build the probe library "
                      "(the host cc builds for the host arch; zig for the others)")
    why = _build_once(target, argv, PROBE_C, "linkscope_probe.c", env)
    return (None, f"the probe library did not build: {why}") if why else (target, "")


def _wine_prefix(tools: Toolchains, box: _Sandbox, work: Path) -> tuple[Path | None, str]:
    with _WorkLock(work):
        return _make_wine_prefix(tools, box, work)


def _make_wine_prefix(tools: Toolchains, box: _Sandbox, work: Path) -> tuple[Path | None, str]:
    """The private prefix under ``work``, made on first use (wineboot, in the sandbox) with the
    ProcessPrng stub in its system32."""
    prefix = work / "wineprefix"
    system32 = prefix / "drive_c" / "windows" / "system32"
    stub = system32 / "bcryptprimitives.dll"
    if stub.exists():
        return prefix, ""
    if tools.zig is None:
        return None, "Go's windows binaries need bcryptprimitives.dll (ProcessPrng), which Wine 8 lacks; zig builds the stub: no zig"
    if not system32.is_dir():
        prefix.mkdir(parents=True, exist_ok=True)
        m = _Mount(str(prefix), "wineprefix", writable=True)
        env = {"WINEPREFIX": box.inside(m), "WINEDLLOVERRIDES": "mscoree,mshtml=", "WINEDEBUG": "-all"}
        out = box.run([tools.wine.path, "wineboot", "--init"], [m], env, WINE_SETUP_TIMEOUT, address_space=False)
        if not system32.is_dir():
            why = "timed out" if out.timed_out else (out.error or _first_lines(out.output, 2))
            return None, f"wineboot could not make the prefix: {why}"
    built = work / "wine-stub" / "bcryptprimitives.dll"
    why = _build_once(built, [tools.zig.path, "cc", "-target", "x86_64-windows-gnu", "-shared", "-O1", "-ladvapi32"],
                      PRNG_STUB_C, "bcryptprimitives.c", tools.zig.environ(dict(os.environ)))
    if why:
        return None, f"the bcryptprimitives.dll stub did not build: {why}"
    shutil.copyfile(built, stub)
    return prefix, ""


def _wasm_exec_dir(tools: Toolchains) -> tuple[Path | None, str]:
    if tools.go is None:
        return None, "js/wasm needs GOROOT's wasm_exec_node.js: no go toolchain"
    try:
        r = subprocess.run([tools.go.path, "env", "GOROOT"], capture_output=True, text=True, timeout=60,
                           env=tools.go.environ(dict(os.environ)), stdin=subprocess.DEVNULL)
    except (OSError, subprocess.SubprocessError) as e:
        return None, f"go env GOROOT: {e}"
    root = Path(r.stdout.strip())
    for d in (root / "lib" / "wasm", root / "misc" / "wasm"):    # lib/ since Go 1.24, misc/ before
        if (d / "wasm_exec_node.js").is_file():
            return d, ""
    return None, f"no wasm_exec_node.js under {root}"


# -- the checks --------------------------------------------------------------------------------------
def _empty_root_note(out: _Outcome, interpreter: str | None) -> str:
    if interpreter and out.exit_code not in (0, None) and "No such file or directory" in out.output:
        return (f"interpreter {interpreter} is not in the empty root: a dynamic binary cannot start there "
                "(the expected outcome)")
    return ""


def _qemu_argv(qemu: str, prog: str, args: tuple[str, ...], sysroot_inside: str | None, env: dict[str, str]) -> list[str]:
    argv = [qemu]
    if sysroot_inside:
        argv += ["-L", sysroot_inside]
    for k, v in env.items():
        argv += ["-E", f"{k}={v}"]
    return [*argv, prog, *args]


def prepare(targets, tools: Toolchains, work: Path) -> None:
    """Make, ahead of the runs, what they need that is slow to make the first time: the probe library
    of each linux target and Wine's prefix (its first wineboot and the zig-built stub take minutes on
    a cold cache). For a thread beside the builds; what fails is left for the runs to report."""
    backend, _ = _backend(tools)
    if backend is None:
        return
    work = Path(work)
    try:
        work.mkdir(parents=True, exist_ok=True)
    except OSError:
        return
    box = _Sandbox(backend, tools, work)
    for goos, goarch in dict.fromkeys(targets):
        kinds = plan(goos, goarch, "dynamic", tools, host_goarch=host_goarch())
        try:
            if goos == "linux" and "preload" in kinds:
                _probe_library(goarch, tools, work)
            elif "wine" in kinds:
                _wine_prefix(tools, box, work)
        except OSError:
            pass   # the run that needs it says what went wrong


def verify(path: Path, *, goos: str, goarch: str, linkage: str | None, interpreter: str | None,
           tools: Toolchains, work: Path, timeout: float = 20.0, sysroot: Path | None = None,
           args: tuple[str, ...] = (), preload: bool = True) -> tuple[Check, ...]:
    """Run the binary at `path` (one linkscope itself just built) every way that applies; `work` is a private
    scratch directory verify may write into (wine prefix, probe library, empty roots)."""
    kinds = plan(goos, goarch, linkage, tools, host_goarch=host_goarch())
    if not preload:
        kinds = tuple(k for k in kinds if k != "preload")
    backend, reason = _backend(tools)
    if backend is None:
        return tuple(not_run(k, reason) for k in kinds)
    path = Path(path).resolve()
    if not path.is_file():
        return tuple(not_run(k, f"no such file: {path}") for k in kinds)
    work = Path(work)
    try:
        work.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        return tuple(not_run(k, f"cannot make the scratch directory {work}: {e.strerror}") for k in kinds)
    box = _Sandbox(backend, tools, work)
    prog = _Mount(str(path), path.name if goos != "linux" else "prog")
    dynamic = interpreter is not None or linkage == "dynamic"
    runs = {
        "native": lambda: _native(box, prog, args, timeout),
        "empty_root": lambda: _empty_root(box, prog, goarch, args, timeout, interpreter),
        "qemu": lambda: _qemu(box, prog, goarch, args, timeout, sysroot, dynamic),
        "wine": lambda: _wine(box, prog, args, timeout),
        "node": lambda: _node(box, prog, goos, args, timeout),
        "preload": lambda: _preload(box, prog, goarch, args, timeout, sysroot, dynamic),
    }
    return tuple(_guarded(k, runs[k]) for k in kinds)


def _guarded(kind: str, check) -> Check:
    """A file the check writes into ``work`` (a prefix, a probe, an empty root) failing is a reason, not a crash."""
    try:
        return check()
    except OSError as e:
        return not_run(kind, f"{e.filename or 'scratch directory'}: {e.strerror or e}")


def _native(box: _Sandbox, prog: _Mount, args, timeout) -> Check:
    return _check("native", box.run([box.inside(prog), *args], [prog], {}, timeout), timeout)


def _qemu_static(goarch: str) -> str | None:
    return shutil.which(f"qemu-{QEMU_ARCH.get(goarch, goarch)}-static")


def _empty_root(box: _Sandbox, prog: _Mount, goarch: str, args, timeout, interpreter) -> Check:
    if runs_natively(goarch, host_goarch()):
        out = box.run([box.inside(prog, empty=True), *args], [prog], {}, timeout, empty=True)
    else:
        qemu = _qemu_static(goarch)
        if qemu is None:
            arch = QEMU_ARCH.get(goarch, goarch)
            return not_run("empty_root", f"qemu-{arch} is dynamically linked and cannot start in an empty root; "
                                         f"no qemu-{arch}-static (Debian: qemu-user-static)")
        q = _Mount(qemu, "qemu")
        out = box.run([box.inside(q, empty=True), box.inside(prog, empty=True), *args], [q, prog], {}, timeout,
                      empty=True, address_space=goarch not in THIRTY_TWO_BIT)
    return _check("empty_root", out, timeout, note=_empty_root_note(out, interpreter))


def _needs_sysroot(goarch: str) -> str:
    return f"dynamic: needs a sysroot (linkscope sysroot {goarch} or --sysroot DIR)"


def _qemu(box: _Sandbox, prog: _Mount, goarch: str, args, timeout, sysroot, dynamic) -> Check:
    qemu = box.tools.qemu_for(goarch)
    if qemu is None:
        return not_run("qemu", f"no qemu-{QEMU_ARCH.get(goarch, goarch)} (Debian: qemu-user)")
    if dynamic and sysroot is None:
        return not_run("qemu", _needs_sysroot(goarch))
    mounts = [prog]
    root_inside = None
    if sysroot is not None:
        sr = _Mount(str(Path(sysroot).resolve()), "sysroot")
        mounts.append(sr)
        root_inside = box.inside(sr)
    out = box.run(_qemu_argv(qemu, box.inside(prog), args, root_inside, {}), mounts, {}, timeout,
                  address_space=goarch not in THIRTY_TWO_BIT)
    return _check("qemu", out, timeout)


def _wine(box: _Sandbox, prog: _Mount, args, timeout) -> Check:
    if box.tools.wine is None:
        return not_run("wine", "Wine is not installed (Debian: wine, wine64)")
    prefix, why = _wine_prefix(box.tools, box, box.work)
    if prefix is None:
        return not_run("wine", why)
    p = _Mount(str(prefix), "wineprefix", writable=True)
    env = {"WINEPREFIX": box.inside(p), "WINEDLLOVERRIDES": "mscoree,mshtml=", "WINEDEBUG": "-all"}
    out = box.run([box.tools.wine.path, box.inside(prog), *args], [prog, p], env, timeout, address_space=False)
    return _check("wine", out, timeout)


def _node(box: _Sandbox, prog: _Mount, goos: str, args, timeout) -> Check:
    if box.tools.node is None:
        return not_run("node", "Node.js is not installed (Debian: nodejs)")
    if goos == "js":
        d, why = _wasm_exec_dir(box.tools)
        if d is None:
            return not_run("node", why)
        lib = _Mount(str(d), "wasm")
        script, mounts = f"{box.inside(lib)}/wasm_exec_node.js", [prog, lib]
    else:
        js = box.work / "wasi_run.cjs"
        if not js.exists() or js.read_text() != WASI_JS:
            js.write_text(WASI_JS)
        m = _Mount(str(js), "wasi_run.cjs")
        script, mounts = box.inside(m), [prog, m]
    # Node 18 (Debian bookworm's) reads node:wasi only with the flag; later releases accept and ignore it.
    flag = ["--experimental-wasi-unstable-preview1"] if goos != "js" else []
    argv = [box.tools.node.path, "--no-warnings", *flag, script, box.inside(prog), *args]
    return _check("node", box.run(argv, mounts, {}, timeout, address_space=False), timeout)


def _preload(box: _Sandbox, prog: _Mount, goarch: str, args, timeout, sysroot, dynamic) -> Check:
    native = runs_natively(goarch, host_goarch())
    qemu = None if native else box.tools.qemu_for(goarch)
    if not native and qemu is None:
        return not_run("preload", f"no qemu-{QEMU_ARCH.get(goarch, goarch)} (Debian: qemu-user)")
    if not native and dynamic and sysroot is None:
        return not_run("preload", _needs_sysroot(goarch))
    lib, why = _probe_library(goarch, box.tools, box.work)
    if lib is None:
        return not_run("preload", why)
    marks = Path(_fresh_dir(box.work / "marks"))
    try:
        probe = _Mount(str(lib), "linkscope_probe.so")
        mark = _Mount(str(marks), "mark", writable=True)
        mounts = [prog, probe, mark]
        env = {"LD_PRELOAD": box.inside(probe), "LINKSCOPE_PROBE_MARK": f"{box.inside(mark)}/injected"}
        if native:
            out = box.run([box.inside(prog), *args], mounts, env, timeout)
        else:
            root_inside = None
            if sysroot is not None:
                sr = _Mount(str(Path(sysroot).resolve()), "sysroot")
                mounts.append(sr)
                root_inside = box.inside(sr)
            # The variables go to the guest only: qemu's own loader must not preload a foreign library.
            out = box.run(_qemu_argv(qemu, box.inside(prog), args, root_inside, env), mounts, {}, timeout,
                          address_space=goarch not in THIRTY_TWO_BIT)
        injected = (marks / "injected").exists()
    finally:
        shutil.rmtree(marks, ignore_errors=True)
    c = _check("preload", out, timeout, note=("injectable: the probe's constructor ran inside the binary" if injected
                                              else "not injectable: LD_PRELOAD was not honoured"))
    if not c.ran:
        return c
    return Check("preload", True, not out.timed_out, c.exit_code, c.detail, c.seconds, injected)
