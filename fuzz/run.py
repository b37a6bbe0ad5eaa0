"""Run one fuzz target (fuzz/targets.py) for a while: coverage-guided with atheris (libFuzzer) when it
is installed (``pip install -e '.[fuzz]'``), else a coverage-less fallback (seeded random mutation of
the seeds) through the same harness.

    python fuzz/run.py TARGET [--seconds N] [--corpus DIR] [--regressions DIR]
    python fuzz/run.py all --seconds N          # every target in turn (the long-campaign runner)

The campaign runs in a child process with an RSS limit (libFuzzer's -rss_limit_mb, and an address
space limit), a per-input time limit (-timeout) and a wall-clock limit. Seeds: the Go toolchain's
debug/{elf,macho,pe} testdata (Mach-O files base64-decoded) and its fuzz corpora under
src/debug/*/testdata/fuzz, plus the cached test builds go-hello, go-windows-amd64, go-js-wasm and
go-darwin-arm64 (tests/buildkit.py). A crash (an exception that is not a LinkscopeError, a broken
invariant, a timeout, running out of memory) is written to
``<regressions>/<target>-<sha1[:12]>.bin`` with a sidecar ``.json`` whose ``expected`` is null
until the crash is fixed (tests/test_fuzz.py replays every file and fails on an unfixed one), and
its traceback is printed. Output ends with one line per target:
``fuzz TARGET: N executions in S s (R/s), crashes: K``. Exit status: 0 no crash, 1 a crash, 2 usage.
"""
from __future__ import annotations

import argparse
import base64
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from functools import lru_cache
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
REGRESSIONS = REPO / "tests" / "fuzz_regressions"
sys.path.insert(0, str(HERE))

# fuzz/targets.py's (tests/test_fuzz.py checks they agree): not imported from there, which would import
# the package before a child's atheris could instrument it.
TARGETS = ("elf", "macho", "universal", "pe", "wasm", "gobuildinfo", "deps", "ldcache")

# Inputs larger than this are cut by libFuzzer when loaded (a Go binary's headers and the start of its
# data fit; the whole 2.5 MB file would make every execution slow).
MAX_LEN = {"gobuildinfo": 1 << 13, "deps": 1 << 16, "ldcache": 1 << 16}
DEFAULT_MAX_LEN = 1 << 17
EXECS = re.compile(rb"stat::number_of_executed_units:\s*(\d+)|^#(\d+)\s", re.M)
ARTIFACT = re.compile(r"^(crash|timeout|oom|leak)-[0-9a-f]+$")


# -- seeds -----------------------------------------------------------------------------------------
@lru_cache(maxsize=None)
def _goroot() -> Path | None:
    go = shutil.which("go")
    if go is None:
        return None
    try:
        out = subprocess.run([go, "env", "GOROOT"], capture_output=True, text=True, timeout=60,
                             env={**os.environ, "GOTOOLCHAIN": "local", "GOTELEMETRY": "off"}).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return Path(out) if out else None


def _go_fuzz_corpus(path: Path) -> bytes | None:
    """The []byte value of a `go test fuzz v1` corpus file."""
    from linkscope.go.strconv import unquote_bytes

    lines = path.read_bytes().splitlines()
    if not lines or lines[0] != b"go test fuzz v1":
        return None
    for line in lines[1:]:
        if line.startswith(b"[]byte(") and line.endswith(b")"):
            try:
                return unquote_bytes(line[7:-1])
            except ValueError:
                return None
    return None


def _testdata(goroot: Path | None, pkg: str) -> list[bytes]:
    if goroot is None:
        return []
    out = []
    d = goroot / "src" / "debug" / pkg / "testdata"
    for p in sorted(d.glob("*")) if d.is_dir() else ():
        if not p.is_file() or p.suffix == ".c":
            continue
        data = p.read_bytes()
        if p.suffix == ".base64":
            data = base64.b64decode(data)
        elif p.suffix == ".gz":
            import gzip
            data = gzip.decompress(data)
        out.append(data)
    for p in sorted((d / "fuzz").glob("*/*")) if (d / "fuzz").is_dir() else ():
        data = _go_fuzz_corpus(p)
        if data is not None:
            out.append(data)
    return out


@lru_cache(maxsize=None)
def _build(name: str) -> bytes | None:
    """A cached test build (tests/buildkit.py), or None where the toolchain is missing."""
    sys.path.insert(0, str(REPO / "tests"))
    try:
        import buildkit

        if not buildkit.have_go():
            return None
        return buildkit.get(name).read_bytes()
    except Exception as e:    # a failed build costs seeds, not the campaign
        print(f"fuzz: no seed from {name}: {e}", file=sys.stderr)
        return None


def _blob(data: bytes, magic: bytes, before: int = 0, after: int = 4096) -> bytes | None:
    i = data.find(magic)
    while i >= 0 and magic == b"\xff Go buildinf:" and i % 16:
        i = data.find(magic, i + 1)
    return None if i < 0 else data[max(0, i - before):i + after]


def _pointer_form_blob() -> bytes:
    """A pre-1.18 build info blob (pointers to Go string headers), addresses counted from the blob."""
    vers, mod = b"go1.17.13", b"\x30" * 16 + b"path\texample.com/x\nmod\texample.com/x\t(devel)\t\n" + b"\xf9" * 16
    head = b"\xff Go buildinf:" + bytes([8, 0]) + (32).to_bytes(8, "little") + (48).to_bytes(8, "little")
    strings = (64).to_bytes(8, "little") + len(vers).to_bytes(8, "little")
    strings += (64 + len(vers)).to_bytes(8, "little") + len(mod).to_bytes(8, "little")
    return head + strings + vers + mod


def _small_go_wasm() -> bytes:
    """A small module with what Go's wasm linker leaves for the build info (a Go producer and the
    framed module text in a data segment): the 2.5 MB go-js-wasm build is cut before its data."""
    sys.path.insert(0, str(REPO / "tests"))
    from crafted import leb, wasm_custom, wasm_module, wasm_name, wasm_section, wasm_vec

    from linkscope.go.buildinfo import MODINFO_END, MODINFO_START

    prod = wasm_custom("producers", wasm_vec([wasm_name("language") + wasm_vec([wasm_name("Go") + wasm_name("go1.22.5")])]))
    mod = MODINFO_START + b"path\texample.com/x\nmod\texample.com/x\t(devel)\t\nbuild\tGOOS=js\n" + MODINFO_END
    data = wasm_section(11, wasm_vec([b"\x00\x41\x00\x0b" + leb(len(mod)) + mod]))
    return wasm_module(wasm_section(5, wasm_vec([b"\x00\x01"])), data, prod)


def seeds(target: str) -> list[bytes]:
    """The seed inputs of ``target``: its format's files and its regression files (never empty: a
    minimal input at least)."""
    from targets import deps_input

    goroot = _goroot()
    builds = {n: _build(n) for n in ("go-hello", "go-windows-amd64", "go-js-wasm", "go-darwin-arm64")}
    out: list[bytes] = []
    if target == "elf":
        out = [d for d in _testdata(goroot, "elf") + _testdata(goroot, "buildinfo") if d[:4] == b"\x7fELF"]
        out.append(builds["go-hello"])
    elif target == "macho":
        out = [d for d in _testdata(goroot, "macho") if d[:4] != b"\xca\xfe\xba\xbe"]
        out.append(builds["go-darwin-arm64"])
    elif target == "universal":
        out = [d for d in _testdata(goroot, "macho") if d[:4] == b"\xca\xfe\xba\xbe"]
        thin = [d for d in _testdata(goroot, "macho") if d[:4] in (b"\xce\xfa\xed\xfe", b"\xcf\xfa\xed\xfe")]
        if len(thin) >= 2:
            sys.path.insert(0, str(REPO / "tests"))
            from crafted import build_fat
            a, b = sorted(thin, key=len)[:2]
            out.append(build_fat([(a, int.from_bytes(a[4:8], "little"), 3),
                                  (b, int.from_bytes(b[4:8], "little"), 3)], align=4))
            out.append(build_fat([(a, int.from_bytes(a[4:8], "little"), 3)], magic64=True, align=4))
    elif target == "pe":
        out = _testdata(goroot, "pe")
        out.append(builds["go-windows-amd64"])
    elif target == "wasm":
        out = [builds["go-js-wasm"], b"\0asm\x01\0\0\0", _small_go_wasm()]
    elif target == "gobuildinfo":
        from linkscope.go.buildinfo import BUILDINFO_MAGIC, MODINFO_START
        for d in builds.values():
            if d is not None:
                out.append(_blob(d, BUILDINFO_MAGIC))
                out.append(_blob(d, MODINFO_START, after=2048))
        out += [_blob(d, BUILDINFO_MAGIC) for d in _testdata(goroot, "buildinfo")]
        out.append(_pointer_form_blob())
    elif target == "deps":
        bins = [d for d in _testdata(goroot, "elf") if d[:4] == b"\x7fELF" and d[16] in (2, 3)]
        for conf in (b"/usr/lib\ninclude /etc/ld.so.conf.d/*.conf\n", b"include ld.so.conf\n/opt/lib\n# x\n"):
            out += [deps_input(conf, d) for d in bins[:4]]
        if builds["go-hello"] is not None:
            out.append(deps_input(b"/usr/lib\n", builds["go-hello"][:1 << 16]))
    elif target == "ldcache":
        sys.path.insert(0, str(REPO / "tests"))
        from deps_fixtures import ldcache_writer as W
        for host in ("/etc/ld.so.cache",):
            if os.path.isfile(host):
                out.append(Path(host).read_bytes()[:1 << 16])
        entries = [("libc.so.6", "/lib/x86_64-linux-gnu/libc.so.6", 0x303), ("libm.so.6", "/lib/libm.so.6", 0x303),
                   ("libz.so.1", "/usr/lib/libz.so.1", 0x0A03)]
        out += [W.new_format([(*e, None) for e in entries]),
                W.new_format([(*entries[0], "x86-64-v3"), (*entries[0], None)], hwcaps=("x86-64-v3", "x86-64-v2")),
                W.new_format(entries[:1] and [(*entries[0], None)], little=False),
                W.old_format(entries), W.compat_format(entries, [(*e, None) for e in entries])]
    out += [p.read_bytes() for p in sorted(REGRESSIONS.glob(f"{target}-*.bin"))]   # crashers stay seeds
    out = [d for d in out if d]
    return out or [b"\0"]


# -- the child: one campaign -----------------------------------------------------------------------
def _preload() -> None:
    """Import every module a target can reach now, not lazily while the campaign runs (a reader the
    package imports on first use would be imported uninstrumented, in the middle of the campaign)."""
    import importlib
    import pkgutil

    import linkscope

    for mod in ("byteview", "errors", "files", "inspector", "libc", "model", "record", "sniff", "lazy"):
        importlib.import_module(f"linkscope.{mod}")
    for sub in ("formats", "go", "analysis", "deps"):
        pkg = importlib.import_module(f"linkscope.{sub}")
        for m in pkgutil.iter_modules(pkg.__path__):
            importlib.import_module(f"linkscope.{sub}.{m.name}")
    assert linkscope


# What each target's coverage is measured on: the modules imported (with what they import) while atheris
# instruments; every other module is imported after, uninstrumented. Instrumenting costs about a second
# per module at start-up (atheris matches the whole package, whatever its include list names), most of
# it for code the target never reaches.
_COMMON = ("linkscope.byteview", "linkscope.sniff", "linkscope.inspector", "linkscope.libc", "linkscope.go.buildinfo", "linkscope.analysis",
           "linkscope.analysis.cgo", "linkscope.analysis.evidence", "linkscope.analysis.hardening")
INSTRUMENT = {
    "elf": (*_COMMON, "linkscope.formats.elf"),
    "macho": (*_COMMON, "linkscope.formats.macho"),
    "universal": (*_COMMON, "linkscope.formats.universal", "linkscope.formats.macho"),
    "pe": (*_COMMON, "linkscope.formats.pe"),
    "wasm": (*_COMMON, "linkscope.formats.wasm"),
    "gobuildinfo": ("linkscope.byteview", "linkscope.go.buildinfo", "linkscope.go.modinfo"),
    "deps": ("linkscope.byteview", "linkscope.files", "linkscope.deps.resolver", "linkscope.deps.ldconf", "linkscope.deps.glibc", "linkscope.deps.objects",
             "linkscope.formats.elf"),
    "ldcache": ("linkscope.deps.ldconf",),
}


def _child(args) -> int:
    try:
        import atheris
    except ImportError:
        atheris = None
    if atheris is not None and not args.no_atheris:
        import importlib

        with atheris.instrument_imports(include=["linkscope"]):
            for mod in INSTRUMENT[args.target]:
                importlib.import_module(mod)
        _preload()
        import targets
    else:
        _preload()
        import targets
    if args.preload:          # tests plant a bug here (tests/test_fuzz.py)
        __import__(args.preload)
    fn = targets.get(args.target)
    max_len = MAX_LEN.get(args.target, DEFAULT_MAX_LEN)
    dirs = [args.corpus, args.seeds]
    if atheris is not None and not args.no_atheris:
        flags = [f"-max_total_time={args.seconds}", f"-rss_limit_mb={args.rss_mb}", f"-timeout={args.timeout}",
                 f"-max_len={max_len}", f"-artifact_prefix={args.artifacts}/", "-print_final_stats=1",
                 f"-seed={args.seed}"]
        atheris.Setup([sys.argv[0], *flags, *dirs], fn)
        atheris.Fuzz()
        return 0
    return _fallback(fn, dirs, args, max_len)


_INTERESTING = (0, 1, 0x7F, 0x80, 0xFF, 0x7FFF, 0xFFFF, 0x7FFFFFFF, 0xFFFFFFFF, 1 << 31, 1 << 63, (1 << 64) - 1)


def _mutate(data: bytes, pool: list[bytes], rng, max_len: int) -> bytes:
    b = bytearray(data)
    for _ in range(rng.randint(1, 6)):
        op = rng.randrange(7)
        n = len(b)
        if op == 0 and n:                                     # set a byte
            b[rng.randrange(n)] = rng.randrange(256)
        elif op == 1 and n:                                   # flip a bit
            i = rng.randrange(n)
            b[i] ^= 1 << rng.randrange(8)
        elif op == 2 and n >= 8:                              # an interesting integer, 2/4/8 bytes
            w = rng.choice((2, 4, 8))
            i = rng.randrange(n - w + 1)
            v = rng.choice(_INTERESTING) & ((1 << (8 * w)) - 1)
            b[i:i + w] = v.to_bytes(w, rng.choice(("little", "big")))
        elif op == 3 and n:                                   # cut short
            del b[rng.randrange(n):]
        elif op == 4 and n:                                   # delete a run
            i = rng.randrange(n)
            del b[i:i + rng.randint(1, 64)]
        elif op == 5:                                         # insert a run
            i = rng.randrange(n + 1)
            b[i:i] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 16)))
        elif op == 6 and pool:                                # splice in a piece of another input
            o = rng.choice(pool)
            if o:
                j = rng.randrange(len(o))
                piece = o[j:j + rng.randint(1, 256)]
                i = rng.randrange(n + 1)
                b[i:i + len(piece)] = piece
    return bytes(b[:max_len])


def _fallback(fn, dirs, args, max_len: int) -> int:
    """A coverage-less campaign: the seeds, then random mutations of them (seeded: it reproduces)."""
    import random
    import signal
    import traceback

    pool = []
    for d in dirs:
        for p in sorted(Path(d).iterdir()):
            if p.is_file():
                pool.append(p.read_bytes()[:max_len])
    rng = random.Random(args.seed)

    def hang(signum, frame):
        raise TimeoutError(f"an input ran for more than {args.timeout} s")

    signal.signal(signal.SIGALRM, hang)
    deadline = time.monotonic() + args.seconds
    runs = 0
    print("INFO: fallback fuzzer (no atheris): random mutation, no coverage feedback", file=sys.stderr)
    queue = list(pool)
    while True:
        data = queue.pop(0) if queue else _mutate(rng.choice(pool), pool, rng, max_len)
        if not queue and time.monotonic() >= deadline:
            break
        signal.setitimer(signal.ITIMER_REAL, args.timeout)
        try:
            fn(data)
        except BaseException as e:
            signal.setitimer(signal.ITIMER_REAL, 0)
            if isinstance(e, KeyboardInterrupt):
                raise
            kind = "timeout" if isinstance(e, TimeoutError) else "oom" if isinstance(e, MemoryError) else "crash"
            print("\n=== Uncaught Python exception: ===", file=sys.stderr)
            traceback.print_exc()
            art = Path(args.artifacts) / f"{kind}-{hashlib.sha1(data).hexdigest()}"
            art.write_bytes(data)
            print(f"artifact_prefix='{args.artifacts}/'; Test unit written to {art}", file=sys.stderr)
            print(f"stat::number_of_executed_units: {runs + 1}", file=sys.stderr)
            return 1
        signal.setitimer(signal.ITIMER_REAL, 0)
        runs += 1
    print(f"Done {runs} runs in {args.seconds} second(s)", file=sys.stderr)
    print(f"stat::average_exec_per_sec: {int(runs / args.seconds) if args.seconds else runs}", file=sys.stderr)
    print(f"stat::number_of_executed_units: {runs}", file=sys.stderr)
    return 0


# -- the parent: limits, seeds, artifacts ----------------------------------------------------------
def _limits(rss_mb: int):
    def apply():
        import resource

        # Address space: libFuzzer's own RSS check stops a campaign at rss_mb; this stops an allocation
        # that would take the machine's memory before that check runs (it samples once a second).
        lim = (rss_mb + 2048) << 20
        resource.setrlimit(resource.RLIMIT_AS, (lim, lim))
        os.setpgrp()
    return apply


def executions(output: bytes) -> int | None:
    """The number of inputs run, from libFuzzer's (or the fallback's) final statistics."""
    n = None
    for m in EXECS.finditer(output):
        v = int(m.group(1) or m.group(2))
        if m.group(1) is not None:
            return v
        n = v
    return n


def per_second(output: bytes) -> float | None:
    """libFuzzer's (or the fallback's) average executions per second."""
    m = re.search(rb"stat::average_exec_per_sec:\s*(\d+)", output)
    return float(m.group(1)) if m else None


def save_regression(target: str, data: bytes, found: str, regressions: Path) -> Path:
    regressions.mkdir(parents=True, exist_ok=True)
    path = regressions / f"{target}-{hashlib.sha1(data).hexdigest()[:12]}.bin"
    path.write_bytes(data)
    side = path.with_suffix(".json")
    if not side.exists():
        side.write_text(json.dumps({"target": target, "expected": None, "found": found,
                                    "fixes": "an unfixed crash: fix it, then set expected to the outcome"},
                                   indent=2) + "\n")
    return path


def _crash_summary(text: str) -> str:
    """The last exception line of a traceback (what the sidecar records as found)."""
    lines = [l for l in text.splitlines() if re.match(r"^[A-Za-z_][\w.]*(Error|Exception|Interrupt)\b", l)]
    if "ALARM: working on the last Unit" in text or "timeout after" in text:
        return "timeout"
    if "out-of-memory" in text:
        return "out of memory"
    return lines[-1] if lines else "crash"


def campaign(target: str, seconds: int, *, corpus: str | None = None, regressions: Path = REGRESSIONS,
             rss_mb: int = 2048, timeout: int = 10, seed: int = 1, no_atheris: bool = False,
             preload: str | None = None, strict: bool = False, quiet: bool = False) -> dict:
    """Run one campaign in a child process; returns {target, executions, seconds, crashes: [paths], output}."""
    work = Path(tempfile.mkdtemp(prefix=f"linkscope-fuzz-{target}-"))
    try:
        seed_dir, art_dir = work / "seeds", work / "artifacts"
        seed_dir.mkdir()
        art_dir.mkdir()
        for d in seeds(target):
            (seed_dir / hashlib.sha1(d).hexdigest()).write_bytes(d)
        corpus_dir = Path(corpus) if corpus else work / "corpus"
        corpus_dir.mkdir(parents=True, exist_ok=True)
        cmd = [sys.executable, str(Path(__file__).resolve()), "--child", target, "--seconds", str(seconds),
               "--corpus", str(corpus_dir), "--seeds", str(seed_dir), "--artifacts", str(art_dir),
               "--rss-mb", str(rss_mb), "--timeout", str(timeout), "--seed", str(seed)]
        if no_atheris:
            cmd.append("--no-atheris")
        if preload:
            cmd += ["--preload", preload]
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(
            [str(REPO / "src"), *filter(None, os.environ.get("PYTHONPATH", "").split(os.pathsep))])}
        if strict:
            env["LINKSCOPE_FUZZ_STRICT"] = "1"
        t0 = time.monotonic()
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env,
                                preexec_fn=_limits(rss_mb))
        try:
            out, _ = proc.communicate(timeout=seconds + 120)   # startup and seed loading, far above their cost
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, 9)
            out, _ = proc.communicate()
            out += b"\nfuzz: the campaign overran its wall-clock limit: killed\n"
        elapsed = time.monotonic() - t0
        text = out.decode("utf-8", "replace")
        crashes = []
        for art in sorted(art_dir.iterdir()):
            if ARTIFACT.match(art.name):
                crashes.append(save_regression(target, art.read_bytes(), _crash_summary(text), regressions))
        if proc.returncode != 0 and not crashes:
            # died without an artifact (killed, a crash in C code): still a failure, and said so
            crashes.append(None)
        n = executions(out)
        if not quiet:
            if crashes:
                sys.stderr.write(text)
                for c in crashes:
                    print(f"fuzz {target}: CRASH, regression file {c}" if c else
                          f"fuzz {target}: the campaign failed (exit {proc.returncode}) without an artifact")
            rate = f"{per_second(out) or 0:.0f}/s"
            upto = f"up to {seconds} s, stopped at the first crash" if crashes else f"{seconds} s"
            print(f"fuzz {target}: {n} executions in {upto} ({rate}; {elapsed:.1f} s with start-up), "
                  f"crashes: {len(crashes)}", flush=True)
        return dict(target=target, executions=n, per_second=per_second(out), seconds=elapsed, crashes=crashes,
                    output=text, returncode=proc.returncode)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="fuzz/run.py", description=__doc__.split("\n\n")[0])
    ap.add_argument("target", help=f"one of {', '.join(TARGETS)}, or all")
    ap.add_argument("--seconds", type=int, default=60, help="how long each campaign runs (default 60)")
    ap.add_argument("--corpus", help="a directory the corpus grows in (kept between runs); per target with 'all'")
    ap.add_argument("--regressions", default=str(REGRESSIONS), help="where crashers are written")
    ap.add_argument("--rss-mb", type=int, default=2048, help="memory limit of the campaign (default 2048)")
    ap.add_argument("--timeout", type=int, default=10, help="seconds one input may take (default 10)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--no-atheris", action="store_true", help="the coverage-less fallback even with atheris")
    ap.add_argument("--strict", action="store_true",
                    help="a safety net's 'malformed data (IndexError: ...)' is a crash too (fuzz/targets.py)")
    ap.add_argument("--preload", help=argparse.SUPPRESS)
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--seeds", help=argparse.SUPPRESS)
    ap.add_argument("--artifacts", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        return _child(args)
    names = TARGETS if args.target == "all" else (args.target,)
    if any(n not in TARGETS for n in names):
        ap.error(f"no fuzz target {args.target!r} (targets: {', '.join(TARGETS)}, all)")
    results = []
    for name in names:
        corpus = os.path.join(args.corpus, name) if args.corpus and len(names) > 1 else args.corpus
        results.append(campaign(name, args.seconds, corpus=corpus, regressions=Path(args.regressions),
                                rss_mb=args.rss_mb, timeout=args.timeout, seed=args.seed,
                                no_atheris=args.no_atheris, preload=args.preload, strict=args.strict))
    if len(results) > 1:
        print(f"\n{'target':<12} {'executions':>11} {'per second':>11} {'crashes':>8}")
        for r in results:
            n = r["executions"] or 0
            print(f"{r['target']:<12} {n:>11} {r['per_second'] or 0:>11.0f} {len(r['crashes']):>8}")
    return 1 if any(r["crashes"] for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
