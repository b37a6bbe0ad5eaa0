#!/usr/bin/env python3
"""Mutation testing of linkscope's rule modules, one module at a time, with mutmut 3.

    python3 scripts/mutation.py                      # every module in MODULES, in order
    python3 scripts/mutation.py libc deps.musl       # some of them
    python3 scripts/mutation.py --resume formats.elf # rerun only what changed since the last run
    python3 scripts/mutation.py --report-only        # rebuild mutation/REPORT.md from mutation/results/

For each module the script copies the tracked (and untracked, not ignored) files of src/, tests/ and
pyproject.toml into a scratch directory (--workdir, default /tmp/linkscope-mutation/<module>), adds a
[tool.mutmut] section there that mutates only that module and selects only that module's test files
(MODULES below, the one place the mapping lives), and runs `mutmut run --max-children 1` under a
time limit. mutmut first runs the selected tests once to learn which test touches which function, then
runs, for each mutant, only the tests that reach the mutated function.

Each mutant runs in a process forked from a fork server that has only collected the tests (imported
them, run no test): mutmut's default (forking from the process that has just run the whole selection)
would hand each mutant warm caches (libc._VERSION_KEYS, distro_releases, lazy fields), so a mutant
in a cached function would never run and would "survive". The tests' module level computes no
linkscope result, so collection fills no cache.

Results go to mutation/results/<module>.json (counts, run time, every surviving mutant with its diff)
and mutation/REPORT.md (regenerated from all results files). Survivors that cannot change behaviour
are listed in mutation/equivalent.txt, keyed by file, function and the changed text (the line number
is for the reader; it is refreshed, not matched), each with its reason; a run checks every survivor
against that list and reports the ones that are neither killed nor listed.

--resume keeps the last run's kills (mutmut's exit code per mutant and its hash of each function, saved
in the results file) for the functions whose code has not changed since, and runs everything else: the
functions that changed, the mutants the last run did not reach, and every survivor (the tests may have
grown to kill it). mutmut itself drops the results of a function whose hash differs.

Needs `pip install -e .[mutation]` (mutmut 3.8.1) and the test extras; LINKSCOPE_TEST_CACHE should
point at a warm build cache (tests/buildkit.py), or the first run also builds every test program.
"""
from __future__ import annotations

import argparse
import ast
import json
import os
import re
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "mutation"
EQUIVALENT = OUT / "equivalent.txt"

# Tests that read every ELF on the host (minutes) are deselected: the sample tests and the
# hand-built cases cover the same code paths in seconds.
NOT_INTEGRATION = ["-m", "not integration"]
# Differential tests that run readelf over a sample of the host's files (seconds each, per mutant);
# the same comparisons over the built programs stay selected.
SLOW_DIFFERENTIAL_GLIBC = ["--deselect", "tests/test_libc.py::test_system_sample_glibc_min_equals_readelf",
                           "--deselect", "tests/test_libc.py::test_dynsyms_match_readelf_system_sample"]


@dataclass(frozen=True)
class Module:
    source: str               # path under the repository root
    tests: tuple[str, ...]    # the test files that cover it
    pytest_args: tuple[str, ...] = tuple(NOT_INTEGRATION)


# module -> the tests that cover it.  New tests written to kill survivors are
# tests/test_mutants_<module>.py and are listed here beside the module's existing tests.
MODULES: dict[str, Module] = {
    "libc": Module("src/linkscope/libc.py", ("tests/test_mutants_libc.py", "tests/test_libc.py"),
                   (*NOT_INTEGRATION, *SLOW_DIFFERENTIAL_GLIBC)),
    "deps.glibc": Module("src/linkscope/deps/glibc.py",
                         ("tests/test_deps_search.py", "tests/test_deps_roots.py", "tests/test_deps_ldconf.py",
                          "tests/test_deps_hostile.py", "tests/test_mutants_deps_glibc.py")),
    "deps.musl": Module("src/linkscope/deps/musl.py",
                        ("tests/test_deps_roots.py", "tests/test_deps_search.py",
                         "tests/test_mutants_deps_musl.py")),
    "check+policy": Module("src/linkscope/check.py src/linkscope/policy.py",
                           ("tests/test_check.py", "tests/test_sarif.py",
                            "tests/test_mutants_check.py")),
    "render.sarif": Module("src/linkscope/render/sarif.py",
                           ("tests/test_sarif.py", "tests/test_mutants_sarif.py")),
    "gobuild": Module("src/linkscope/go/buildinfo.py src/linkscope/go/modinfo.py",   # gobuild.py until split
                      ("tests/test_gobuild.py", "tests/test_wasm.py", "tests/test_macho.py",
                       "tests/test_pe.py", "tests/test_mutants_gobuild.py")),
    # Go string literals, split out of gobuild.py after its run (whose 288 mutants not run were these)
    "go.strconv": Module("src/linkscope/go/strconv.py", ("tests/test_gobuild.py", "tests/test_mutants_gobuild.py")),
    "analysis.cgo": Module("src/linkscope/analysis/cgo.py",
                           ("tests/test_analysis_cgo.py", "tests/test_mutants_cgo.py")),
    # The size regions and strip rules of each format are in its reader (formats.*), covered there too.
    "analysis.sizes": Module("src/linkscope/analysis/sizes.py",
                             ("tests/test_analysis_size.py", "tests/test_mutants_sizes.py")),
    "formats.elf": Module("src/linkscope/formats/elf.py",
                          ("tests/test_elf.py", "tests/test_bad_input.py", "tests/test_libc.py",
                           "tests/test_inspect_builds.py", "tests/test_analysis_size.py", "tests/test_names.py",
                           "tests/test_mutants_formats_elf.py"),
                          (*NOT_INTEGRATION, *SLOW_DIFFERENTIAL_GLIBC)),
    "formats.macho": Module("src/linkscope/formats/macho.py",
                            ("tests/test_macho.py", "tests/test_analysis_size.py", "tests/test_mutants_macho.py")),
    # The random-mutation fuzz test (half the selection's time, per mutant) is deselected: it only checks
    # that nothing but linkscope's errors escapes, which the damaged-input tables check case by case.
    "formats.pe": Module("src/linkscope/formats/pe.py", ("tests/test_pe.py", "tests/test_analysis_size.py",
                                                         "tests/test_mutants_pe.py"),
                         (*NOT_INTEGRATION, "--deselect",
                          "tests/test_pe.py::test_random_mutations_raise_only_linkscope_errors")),
    "formats.wasm": Module("src/linkscope/formats/wasm.py",
                           ("tests/test_wasm.py", "tests/test_mutants_wasm.py")),
    "formats.golink": Module("src/linkscope/formats/golink.py",
                             ("tests/test_analysis_size.py", "tests/test_mutants_formats_elf.py",
                              "tests/test_mutants_macho.py")),
    "formats.universal": Module("src/linkscope/formats/universal.py",
                                ("tests/test_macho.py", "tests/test_mutants_universal.py")),
}

STATUS = {1: "killed", 3: "killed", 0: "survived", 5: "no tests", 33: "no tests", 36: "timeout",
          24: "timeout", -24: "timeout", 152: "timeout", 255: "timeout", 37: "killed",
          -11: "segfault", -9: "segfault", None: "not checked"}


def slug(name: str) -> str:
    return name.replace(".", "_").replace("+", "_")


def copy_tree(dest: Path) -> None:
    if dest.exists():
        shutil.rmtree(dest)
    files = subprocess.run(["git", "-C", str(ROOT), "ls-files", "-z", "--cached", "--others",
                            "--exclude-standard", "src", "tests", "pyproject.toml"],
                           check=True, capture_output=True).stdout.split(b"\0")
    for f in filter(None, files):
        src = ROOT / os.fsdecode(f)
        if src.is_file():
            (dest / os.fsdecode(f)).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / os.fsdecode(f))


# exit codes of mutants whose result a resumed run keeps (killed, timed out, crashed): see STATUS
KEPT_ON_RESUME = {code for code, status in STATUS.items() if status in ("killed", "timeout", "segfault")}


def previous_meta(name: str, mod: Module, dest: Path) -> dict[str, dict]:
    """source path -> mutmut meta to resume from: the committed results file, else the last scratch run's."""
    out = {}
    results = OUT / "results" / f"{slug(name)}.json"
    saved = json.loads(results.read_text()).get("meta", {}) if results.exists() else {}
    for source in mod.source.split():
        meta = saved.get(source)
        scratch = dest / "mutants" / (source + ".meta")
        if meta is None and scratch.exists():
            meta = json.loads(scratch.read_text())
        if meta is not None:
            out[source] = meta
    return out


def seed_meta(dest: Path, metas: dict[str, dict]) -> None:
    """Write the kills to keep where mutmut looks for them; it regenerates the mutants and keeps an exit
    code only where the function's hash is unchanged."""
    for source, meta in metas.items():
        codes = {k: (c if c in KEPT_ON_RESUME else None) for k, c in meta["exit_code_by_key"].items()}
        path = dest / "mutants" / (source + ".meta")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps({"exit_code_by_key": codes, "hash_by_function_name": meta["hash_by_function_name"],
                                    "type_check_error_by_key": {}, "durations_by_key": {},
                                    "estimated_durations_by_key": {}}))


def configure(dest: Path, mod: Module) -> None:
    tests = [t for t in mod.tests if (dest / t).exists()]
    conf = {
        "source_paths": ["src"],
        "only_mutate": mod.source.split(),
        "pytest_add_cli_args_test_selection": tests,
        # Disk: each mutant's tests leave their tmp_path directories under /tmp/pytest-of-$USER (pytest
        # keeps the last few per session, and every mutant is a session of its own): formats.elf's run
        # left 69 GB in 90 minutes. Clear old ones during a long run (find -mmin +30 -delete).
        "pytest_add_cli_args": [*mod.pytest_args, "-p", "no:cacheprovider"],
        "use_git_change_detection": False,
        "process_isolation": "forkserver",
        "forkserver_warmup": "collect",
        # A mutant that loops forever is stopped after 6x (not mutmut's 15x) the time of its tests:
        # a survivor's whole selection takes about 2x its recorded time on a loaded machine.
        "timeout_multiplier": 6.0,
    }
    toml = "\n[tool.mutmut]\n" + "".join(f"{k} = {json.dumps(v)}\n" for k, v in conf.items())
    with open(dest / "pyproject.toml", "a") as f:
        f.write(toml)


def widen_stats(dest: Path, mod: Module) -> None:
    """Give every function of the module that some test reached all the tests that reached any.

    mutmut records the tests that call a function while the whole selection runs in one process.
    A function behind a cache (libc._VERSION_KEYS, distro_releases, memoised per-image results,
    module-scoped fixtures) is recorded only for the first test that filled the cache, so its
    mutants would run that one test. Widening to the module's tests costs seconds per survivor and
    makes a kill independent of test order and caches. Functions that no test reached stay 'no tests'."""
    path = dest / "mutants" / "mutmut-stats.json"
    stats = json.loads(path.read_text())
    prefixes = tuple(s[len("src/"):-len(".py")].replace("/", ".") + "." for s in mod.source.split())
    by_func = stats["tests_by_mangled_function_name"]
    reached = {t for f, tests in by_func.items() if f.startswith(prefixes) for t in tests}
    for f, tests in by_func.items():
        if f.startswith(prefixes) and tests:
            by_func[f] = sorted(reached)
    path.write_text(json.dumps(stats, indent=1))


def function_spans(source: str) -> dict[str, tuple[int, int]]:
    """'func' or 'Class.method' -> (first line, last line), 1-based."""
    spans = {}

    def visit(body, prefix):
        for node in body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                spans[prefix + node.name] = (node.lineno, node.end_lineno)
            elif isinstance(node, ast.ClassDef):
                visit(node.body, prefix + node.name + ".")
    visit(ast.parse(source).body, "")
    return spans


def function_of(mutant: str) -> str:
    """linkscope.libc.x_floor__mutmut_3 -> floor; linkscope.m.xǁCǁf__mutmut_1 -> C.f"""
    tail = mutant.rsplit(".", 1)[1]
    tail = re.sub(r"__mutmut_\d+$", "", tail)
    if tail.startswith("xǁ"):
        cls, _, func = tail[2:].partition("ǁ")
        return f"{cls}.{func}"
    return tail[2:]


def mutation_text(diff: str) -> str:
    old = [l[1:].strip() for l in diff.splitlines() if l.startswith("-") and not l.startswith("---")]
    new = [l[1:].strip() for l in diff.splitlines() if l.startswith("+") and not l.startswith("+++")]
    return f"{' ⏎ '.join(old)} -> {' ⏎ '.join(new)}"


def load_equivalents() -> dict[tuple[str, str, str], str]:
    out = {}
    if not EQUIVALENT.exists():
        return out
    for line in EQUIVALENT.read_text().splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        file, func, _line, rest = (p.strip() for p in line.split(" | ", 3))
        mutation, reason = (p.strip() for p in rest.rsplit(" | ", 1))   # code may hold " | ", reasons do not
        out[(file, func, mutation)] = reason
    return out


def collect(dest: Path, name: str, mod: Module, seconds: float, rc: int) -> dict:
    sys.path.insert(0, str(dest))
    os.chdir(dest)
    from mutmut.mutation.diff_apply import get_diff_for_mutant  # noqa: E402  (needs mutmut)

    equivalents = load_equivalents()
    counts: dict[str, int] = {}
    survivors = []
    metas = {}
    kept = 0
    for source in mod.source.split():
        meta = json.loads((dest / "mutants" / (source + ".meta")).read_text())
        metas[source] = {"exit_code_by_key": meta["exit_code_by_key"],
                         "hash_by_function_name": meta["hash_by_function_name"]}
        # A kill this run did not make (no duration recorded) is one a resumed run kept: mutmut kept it
        # where the function's hash was unchanged and dropped the others' results.
        kept += sum(1 for k, c in meta["exit_code_by_key"].items()
                    if c in KEPT_ON_RESUME and k not in meta["durations_by_key"])
        spans = function_spans((dest / source).read_text())
        lines = (dest / source).read_text().splitlines()
        for mutant, code in sorted(meta["exit_code_by_key"].items(),
                                   key=lambda kv: (kv[0].rsplit("__mutmut_", 1)[0],
                                                   int(kv[0].rsplit("_", 1)[1]))):
            status = STATUS.get(code, "suspicious")
            counts[status] = counts.get(status, 0) + 1
            if status in ("killed", "timeout", "segfault"):
                continue
            diff = get_diff_for_mutant(mutant, path=source)
            func = function_of(mutant)
            text = mutation_text(diff)
            first_old = next((l[1:].strip() for l in diff.splitlines()
                              if l.startswith("-") and not l.startswith("---")), "")
            lo, hi = spans.get(func, (1, len(lines)))
            lineno = next((i for i in range(lo, hi + 1) if lines[i - 1].strip() == first_old), lo)
            reason = equivalents.get((source, func, text))
            survivors.append({"mutant": mutant, "status": status, "file": source, "function": func,
                              "line": lineno, "mutation": text, "diff": diff,
                              "equivalent": reason})
    total = sum(counts.values())
    killed = counts.get("killed", 0) + counts.get("timeout", 0) + counts.get("segfault", 0)
    # A mutant the time limit left unrun is counted as not run, even when its text is listed as equivalent.
    equivalent = sum(1 for s in survivors if s["equivalent"] and s["status"] != "not checked")
    return {"module": name, "source": mod.source, "tests": list(mod.tests), "seconds": round(seconds),
            "resumed_kills_kept": kept,
            "mutmut_exit": rc, "total": total, "killed": killed, "equivalent": equivalent,
            "unresolved": sum(1 for s in survivors if not s["equivalent"]), "counts": counts,
            "survivors": survivors, "meta": metas}


def pct(a: int, b: int) -> str:
    return f"{100 * a / b:.1f}%" if b else "-"


def write_report() -> None:
    results = []
    for name in MODULES:
        p = OUT / "results" / f"{slug(name)}.json"
        if p.exists():
            results.append(json.loads(p.read_text()))
    equivalents = load_equivalents()
    for r in results:   # the list may have grown since the run
        for sv in r["survivors"]:
            sv["equivalent"] = equivalents.get((sv["file"], sv["function"], sv["mutation"]))
        r["equivalent"] = sum(1 for sv in r["survivors"] if sv["equivalent"] and sv["status"] != "not checked")
        r["unresolved"] = len(r["survivors"]) - r["equivalent"]
    done = {r["module"] for r in results}
    out = ["# Mutation testing report", "",
           "Generated by `scripts/mutation.py` (mutmut 3.8.1, one module at a time, 1 worker, "
           "each mutant runs only the tests of its module that reach the mutated function).", "",
           "Kill rate = killed / (all mutants - listed equivalents). 'no tests' mutants are in "
           "functions no selected test calls; they count as not killed unless listed as equivalent.", "",
           "Run: `pip install -e '.[test,mutation]'`, then `LINKSCOPE_TEST_CACHE=<warm build cache> "
           "python3 scripts/mutation.py [module ...]` (one module at a time, one worker; scratch copies "
           "under /tmp/linkscope-mutation). It exits 1 when a module has a survivor that is neither "
           "killed nor listed in `mutation/equivalent.txt`.", "",
           "| module | mutants | killed | equivalent | not killed | kill rate | raw rate | run time |",
           "|---|---|---|---|---|---|---|---|"]
    for r in results:
        took = f"{r['seconds'] // 60}m{r['seconds'] % 60:02d}s"
        if r.get("resumed_kills_kept"):   # the time is this run's; the kept kills were paid for earlier
            took += f" (resumed, {r['resumed_kills_kept']} kills kept)"
        unchecked = r["counts"].get("not checked", 0)
        if unchecked:   # the time limit stopped the run: rates over the mutants that ran
            out.append(f"| {r['module']} (partial: {unchecked} not run, time limit) | {r['total'] - unchecked} | "
                       f"{r['killed']} | {r['equivalent']} | {r['unresolved'] - unchecked} | "
                       f"{pct(r['killed'], r['total'] - unchecked - r['equivalent'])} | "
                       f"{pct(r['killed'], r['total'] - unchecked)} | {took} |")
            continue
        out.append(f"| {r['module']} | {r['total']} | {r['killed']} | {r['equivalent']} | "
                   f"{r['unresolved']} | {pct(r['killed'], r['total'] - r['equivalent'])} | "
                   f"{pct(r['killed'], r['total'])} | {took} |")
    for name in MODULES:
        if name not in done:
            out.append(f"| {name} | not run | | | | | | |")
    for r in results:
        out += ["", f"## {r['module']}", "",
                f"Source: `{r['source']}`; tests: {', '.join('`%s`' % t for t in r['tests'])}; "
                f"statuses: {json.dumps(r['counts'], sort_keys=True)}; mutmut exit {r['mutmut_exit']}.", ""]
        left = [s for s in r["survivors"] if not s["equivalent"] and s["status"] != "not checked"]
        if left:
            out.append("Not killed and not listed as equivalent:")
            out.append("")
            for s in left:
                out.append(f"- {s['status']}: `{s['file']}:{s['line']}` {s['function']}: "
                           f"`{s['mutation']}`")
        else:
            out.append("Every surviving mutant is listed in `mutation/equivalent.txt`.")
    (OUT / "REPORT.md").write_text("\n".join(out) + "\n")
    return results


def run_module(name: str, workdir: Path, limit: int, resume: bool = False) -> dict:
    mod = MODULES[name]
    dest = workdir / slug(name)
    metas = previous_meta(name, mod, dest) if resume else {}
    copy_tree(dest)
    configure(dest, mod)
    seed_meta(dest, metas)
    print(f"== {name}: {mod.source} with {' '.join(mod.tests)}" + (" (resumed)" if resume else ""), flush=True)
    t0 = time.monotonic()
    with open(dest / "mutmut.log", "w") as log:
        # 1. generate the mutants and collect which tests reach which function (no mutant matches)
        subprocess.run(["timeout", str(limit), "mutmut", "run", "--max-children", "1", "no-such-mutant"],
                       cwd=dest, stdout=log, stderr=subprocess.STDOUT)
        widen_stats(dest, mod)
        # 2. run every mutant
        left = max(60, limit - int(time.monotonic() - t0))
        rc = subprocess.run(["timeout", str(left), "mutmut", "run", "--max-children", "1"],
                            cwd=dest, stdout=log, stderr=subprocess.STDOUT).returncode
    seconds = time.monotonic() - t0
    cwd = os.getcwd()
    try:
        res = collect(dest, name, mod, seconds, rc)
    finally:
        os.chdir(cwd)
    (OUT / "results").mkdir(parents=True, exist_ok=True)
    (OUT / "results" / f"{slug(name)}.json").write_text(json.dumps(res, indent=1, ensure_ascii=False) + "\n")
    print(f"   {res['killed']}/{res['total']} killed, {res['equivalent']} equivalent, "
          f"{res['unresolved']} not killed, {res['seconds']}s (mutmut exit {rc})", flush=True)
    return res


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("modules", nargs="*", help=f"some of: {', '.join(MODULES)}")
    ap.add_argument("--workdir", type=Path, default=Path("/tmp/linkscope-mutation"))
    ap.add_argument("--timeout", type=int, default=3600, help="seconds per module (default 3600)")
    ap.add_argument("--report-only", action="store_true")
    ap.add_argument("--resume", action="store_true",
                    help="keep the last run's kills in unchanged functions; run the rest")
    ap.add_argument("--unresolved", action="store_true",
                    help="print the last run's unlisted survivors as mutation/equivalent.txt lines (reason empty)")
    args = ap.parse_args(argv)
    if args.unresolved:
        for name in args.modules or MODULES:
            p = OUT / "results" / f"{slug(name)}.json"
            if p.exists():
                equivalents = load_equivalents()
                for sv in json.loads(p.read_text())["survivors"]:
                    if (sv["file"], sv["function"], sv["mutation"]) not in equivalents:
                        print(f"{sv['file']} | {sv['function']} | {sv['line']} | {sv['mutation']} | ")
        return 0
    unknown = [m for m in args.modules if m not in MODULES]
    if unknown:
        ap.error(f"unknown module(s) {unknown}; known: {', '.join(MODULES)}")
    if not args.report_only:
        if shutil.which("mutmut") is None:
            ap.error("mutmut is not on PATH: pip install -e '.[test,mutation]' into the Python that runs this")
        for name in args.modules or MODULES:
            run_module(name, args.workdir, args.timeout, args.resume)
    results = write_report()
    return 1 if any(r["unresolved"] for r in results if r["module"] in (args.modules or MODULES)) else 0


if __name__ == "__main__":
    sys.exit(main())
