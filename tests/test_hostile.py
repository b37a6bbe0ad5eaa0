"""The hostile-input catalogue (scripts/hostile.py): one named test per case, each holding the file to
the outcome its manifest names and to the invariants every input must keep through the command line:
only linkscope's own error kinds (an "internal" error is a failure), bounded time and memory, no
traceback, exit status 0 or 1, JSON that validates against the shipped schema.

The catalogue is generated once per session into a temporary directory, by running the script; its
case list (``--list``, nothing written) names the tests when they are collected."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import reference

REPO = Path(__file__).resolve().parent.parent
SCRIPT = REPO / "scripts" / "hostile.py"
SRC = REPO / "src"
RUSAGE = Path(__file__).resolve().parent / "rusage_run.py"

MAX_CPU = 1.0          # seconds of CPU per command, the child's own (python's start-up included)
MAX_WALL = 5.0         # generous: the machine is shared
MAX_EXTRA_RSS = 64 << 20


def _listed() -> list[dict]:
    out = subprocess.run([sys.executable, str(SCRIPT), "--list"], capture_output=True, text=True, check=True,
                         timeout=120).stdout
    return json.loads(out)


CASES = _listed()


@pytest.fixture(scope="session")
def catalogue(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("hostile")
    subprocess.run([sys.executable, str(SCRIPT), str(out)], capture_output=True, text=True, check=True, timeout=120)
    assert json.loads((out / "manifest.json").read_text()) == CASES
    return out


class Run:
    __slots__ = ("code", "out", "err", "cpu", "rss", "wall")

    def __init__(self, code, out, err, cpu, rss, wall):
        self.code, self.out, self.err, self.cpu, self.rss, self.wall = code, out, err, cpu, rss, wall


def cli(*argv, tmpdir: Path | None = None) -> Run:
    """``linkscope ARGV`` in a child process: its exit status, output, CPU time and peak RSS (measured
    by tests/rusage_run.py, which starts it: from pytest itself the RSS would be pytest's). ``tmpdir``:
    its TMPDIR."""
    import tempfile

    env = dict(os.environ, PYTHONPATH=str(SRC), COLUMNS="100")
    if tmpdir is not None:
        env["TMPDIR"] = str(tmpdir)
    with tempfile.TemporaryFile() as fout, tempfile.TemporaryFile() as ferr, \
            tempfile.NamedTemporaryFile("r", suffix=".rusage") as usage:
        start = time.monotonic()
        p = subprocess.Popen([sys.executable, str(RUSAGE), usage.name, sys.executable, "-m", "linkscope",
                              *map(str, argv)], stdout=fout, stderr=ferr, stdin=subprocess.DEVNULL, env=env,
                             cwd="/", start_new_session=True)
        try:
            p.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)      # the command too, not only the process that measures it
            p.wait()
            raise AssertionError(f"linkscope {' '.join(map(str, argv))}: still running after 60 s") from None
        wall = time.monotonic() - start
        cpu, rss = usage.read().split()
        fout.seek(0)
        ferr.seek(0)
        out, err = fout.read().decode("utf-8", "replace"), ferr.read().decode("utf-8", "replace")
    return Run(p.returncode, out, err, float(cpu), int(rss), wall)


@pytest.fixture(scope="session")
def baseline() -> int:
    """The CLI's own peak RSS: inspecting /bin/true."""
    r = cli("inspect", "--json", "/bin/true")
    assert r.code == 0, r.err
    return r.rss


MEASURED: dict[str, tuple[float, str]] = {}     # "cpu" / "rss" -> (the worst, which command on which case)


@pytest.fixture(scope="module", autouse=True)
def worst_case_report():
    """At the end, the worst CPU time and peak RSS any command took on any case (the README's figures)."""
    yield
    import conftest

    for key, label in (("cpu", "CPU"), ("rss", "peak RSS")):
        if key in MEASURED:
            value, what = MEASURED[key]
            shown = f"{value:.2f} s" if key == "cpu" else f"{value / (1 << 20):.1f} MiB"
            conftest.REPORTS.append(f"hostile catalogue: worst {label} {shown} ({what})")


def held_to_invariants(r: Run, what: str, size: int, baseline: int) -> None:
    assert "Traceback" not in r.err, f"{what}: a traceback\n{r.err}"
    assert r.code in (0, 1), f"{what}: exit {r.code}\n{r.err}"
    assert r.cpu < MAX_CPU, f"{what}: {r.cpu:.2f} s of CPU"
    assert r.wall < MAX_WALL, f"{what}: {r.wall:.2f} s"
    assert r.rss < baseline + MAX_EXTRA_RSS + 2 * size, f"{what}: peak RSS {r.rss >> 20} MiB (baseline {baseline >> 20})"
    assert "internal error" not in r.err and "internal error" not in r.out, f"{what}: {r.err}"
    if r.cpu > MEASURED.get("cpu", (0.0, ""))[0]:
        MEASURED["cpu"] = (r.cpu, what)
    if r.rss > MEASURED.get("rss", (0, ""))[0]:
        MEASURED["rss"] = (r.rss, what)


def expected_outcome(rec: dict, expect: dict) -> None:
    outcome = expect["outcome"]
    warnings = [(w["table"], w["kind"]) for w in rec.get("warnings") or ()]
    if outcome == "error":
        assert rec["error"] is not None, rec
        assert rec["error"]["kind"] == expect["kind"], rec["error"]
        assert expect["message"] in rec["error"]["message"], rec["error"]
    elif outcome == "partial":
        assert rec["error"] is None, rec["error"]
        assert rec["partial"] is True
        assert (expect["table"], expect["kind"]) in warnings, rec["warnings"]
    elif outcome == "slice-error":
        assert rec["error"] is None, rec["error"]
        sl = rec["slices"][expect["slice"]]
        assert sl["error"] is not None and sl["error"]["kind"] == expect["kind"], sl["error"]
        assert expect["message"] in sl["error"]["message"], sl["error"]
    else:   # "fine", and the file of a directory setup ("deps-warning"): read without a complaint
        assert outcome in ("fine", "deps-warning"), outcome
        assert rec["error"] is None, rec["error"]
        assert not rec["partial"] and warnings == [], rec["warnings"]
        if "format" in expect:
            assert rec["format"] == expect["format"], rec["format"]


def known_error_kinds(results: list[dict]) -> None:
    for r in results:
        for e in [r.get("error")] + [s.get("error") for s in r.get("slices") or ()]:
            if e is not None:
                assert e["kind"] in reference.ERROR_KINDS, e    # "internal" is not one: a bug of linkscope


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_hostile_case(catalogue, baseline, case):
    path = catalogue / case["file"]
    size = path.stat().st_size
    root = ["--root", str(catalogue / case["root"])] if case["root"] else []
    expect = case["expect"]
    if expect["outcome"] == "image":
        return image_case(path, expect, baseline, catalogue)

    r = cli("inspect", "--json", path)
    held_to_invariants(r, f"inspect --json of {path.name}", size, baseline)
    doc = reference.validate(json.loads(r.out))
    known_error_kinds(doc["results"])
    rec, = doc["results"]
    expected_outcome(rec, expect)
    assert r.code == (1 if expect["outcome"] == "error" else 0), r.err

    r = cli("deps", "--json", *root, path)
    held_to_invariants(r, f"deps --json of {path.name}", size, baseline)
    deps = reference.validate(json.loads(r.out), "deps.schema.json")
    known_error_kinds(deps["results"])
    if expect["outcome"] == "deps-warning":
        assert expect["warning"] in r.err, r.err
        assert deps["results"][0]["error"] is None
        if expect["libraries"] is not None:
            got = [(l["name"], l["path"]) for l in deps["results"][0]["libraries"]]
            assert got == [tuple(l) for l in expect["libraries"]], got

    r = cli("explain", path)
    held_to_invariants(r, f"explain of {path.name}", size, baseline)


def image_case(path: Path, expect: dict, baseline: int, catalogue: Path) -> None:
    """An image through scan, then its binary through inspect and deps --root: what the image may not
    do (write, link or read outside, open a device, hold its expansion in memory) is reported and
    skipped, and what it holds is still read."""
    size = path.stat().st_size
    tmp = catalogue.parent / f"tmp-{path.stem}"
    tmp.mkdir()
    outside = [Path("/sentinel"), catalogue.parent / "sentinel", catalogue / "sentinel", tmp.parent / "sentinel"]
    assert not any(p.exists() for p in outside)

    r = cli("scan", "--jsonl", "-", "-q", path, tmpdir=tmp)
    held_to_invariants(r, f"scan of {path.name}", size, baseline)
    assert r.code == 0, r.err
    lines = [json.loads(line) for line in r.out.splitlines() if line.strip()]
    records = [line for line in lines if "format" in line]
    assert sorted(rec["path"] for rec in records) == sorted(expect["binaries"]), [rec["path"] for rec in records]
    assert all(rec["error"] is None for rec in records), [rec["error"] for rec in records]
    known_error_kinds(records)
    (target,) = [line["scan_target"] for line in lines if "scan_target" in line]
    assert target["kind"] == "image" and target["error"] is None, target
    assert len(target["problems"]) == len(expect["warnings"]), target["problems"]
    for fragment, problem in zip(expect["warnings"], target["problems"]):
        assert fragment in problem and fragment in r.err, (fragment, problem)
    assert os.listdir(tmp) == [], os.listdir(tmp)          # the scan's own store is gone with it
    assert not any(p.exists() for p in outside)
    if expect["binary"] is None:
        return

    r = cli("inspect", "--json", "--root", path, expect["binary"], tmpdir=tmp)
    held_to_invariants(r, f"inspect --root of {path.name}", size, baseline)
    doc = reference.validate(json.loads(r.out))
    (rec,) = doc["results"]
    expected_outcome(rec, FINE_IN_IMAGE)
    assert rec["path"] == expect["binary"] and r.code == 0, r.err
    for fragment in expect["warnings"]:
        assert fragment in r.err, r.err

    r = cli("deps", "--json", "--root", path, expect["binary"], tmpdir=tmp)
    held_to_invariants(r, f"deps --root of {path.name}", size, baseline)
    deps = reference.validate(json.loads(r.out), "deps.schema.json")
    (res,) = deps["results"]
    assert res["error"] is None, res["error"]
    want = [tuple(lib) for lib in expect["libraries"]]
    got = [(lib["name"], lib["path"], lib["realpath"])[:len(w)] for lib, w in zip(res["libraries"], want)]
    assert len(res["libraries"]) == len(want) and got == want, res["libraries"]
    assert r.code == (1 if any(lib[1] is None for lib in want) else 0), r.err
    assert os.listdir(tmp) == [] and not any(p.exists() for p in outside)


FINE_IN_IMAGE = {"outcome": "fine", "format": "elf"}


def test_catalogue_is_one_file_per_case_and_covers_every_format(catalogue):
    names = [c["name"] for c in CASES]
    assert len(names) == len(set(names)) >= 30
    for c in CASES:
        assert (catalogue / c["file"]).is_file(), c["name"]
        assert c["what"] and c["expect"]["outcome"] in ("error", "partial", "fine", "slice-error", "deps-warning",
                                                        "image")
    for prefix in ("elf-", "macho-", "fat", "pe-", "go-elf", "go-macho", "go-pe", "wasm-", "ldconf-", "symlink-",
                   "interp-", "image-path-traversal", "image-absolute-names", "image-absolute-symlink",
                   "image-hardlink-out", "image-device-nodes", "image-gzip-bomb"):
        assert any(n.startswith(prefix) for n in names), prefix
    assert os.path.islink(catalogue / "symlink-loop/usr/lib64/libloop.so")


# -- the CLI's guard: a bug of linkscope costs one input's record, not the batch --------------------
class ParserBug(AttributeError):
    """Not one of linkscope.errors.RECORD_ERRORS: what a bug in a format module would raise."""


@pytest.fixture
def two_files(tmp_path):
    from crafted import make_pe

    pe = tmp_path / "a.exe"
    pe.write_bytes(bytes(make_pe()))
    elf = tmp_path / "b"
    elf.write_bytes(Path("/bin/true").read_bytes())
    return pe, elf


def _broken_pe(monkeypatch, exc=ParserBug("'NoneType' object has no attribute 'size'")):
    from linkscope.errors import RECORD_ERRORS
    from linkscope.formats import pe

    assert not isinstance(exc, RECORD_ERRORS)

    def parse(view):
        raise exc

    monkeypatch.setattr(pe, "parse", parse)


@pytest.mark.parametrize("command", ["inspect", "deps", "explain"])
def test_an_internal_error_is_that_inputs_record_and_the_batch_goes_on(monkeypatch, capsys, two_files, command):
    from clirun import run

    _broken_pe(monkeypatch)
    pe, elf = two_files
    code, out, err = run(capsys, command, "--json", pe, elf)
    assert code == 1
    assert "Traceback" not in err
    doc = reference.validate(json.loads(out), "deps.schema.json" if command == "deps" else "linkscope.schema.json")
    first, second = doc["results"]
    assert first["path"] == str(pe) and second["path"] == str(elf)
    assert first["error"]["kind"] == "internal"
    assert first["error"]["message"] == ("internal error: ParserBug: 'NoneType' object has no attribute 'size'; "
                                         "please report it")
    assert second["error"] is None and second["format"] == "elf"
    assert "internal error: ParserBug" in err
    assert "internal" not in reference.ERROR_KINDS      # the suite never accepts it as an outcome


def test_an_internal_error_in_human_output_names_the_file_and_goes_on(monkeypatch, capsys, two_files):
    from clirun import run

    _broken_pe(monkeypatch)
    pe, elf = two_files
    code, out, err = run(capsys, "inspect", pe, elf)
    assert code == 1
    assert f"{pe}: internal error: ParserBug" in err and "Traceback" not in err
    assert str(elf) in out and str(pe) not in out


def test_ctrl_c_is_not_an_internal_error(monkeypatch, capsys, two_files):
    from clirun import run

    _broken_pe(monkeypatch, KeyboardInterrupt())
    pe, _ = two_files
    code, out, err = run(capsys, "inspect", "--json", pe)
    assert code == 130 and "internal" not in out + err


def test_the_whole_catalogue_through_scan_check_and_diff(catalogue, baseline):
    """The catalogue as one tree (its symlink loops and climbing links included) through scan, and its
    files through check and diff: no traceback, no internal error, the exit statuses each command has."""
    r = cli("scan", "--jsonl", "-", "-q", catalogue)
    assert "Traceback" not in r.err and r.code in (0, 1), r.err
    assert r.cpu < MAX_CPU * len(CASES) and r.rss < baseline + MAX_EXTRA_RSS, (r.cpu, r.rss)
    lines = [json.loads(l) for l in r.out.splitlines() if l.strip()]
    binaries = [l for l in lines if "format" in l]
    assert len(binaries) >= len(CASES) // 2, len(binaries)
    known_error_kinds(binaries)
    assert "internal error" not in r.out + r.err
    files = [str(catalogue / c["file"]) for c in CASES]
    r = cli("check", "--require", "dynamic", "--max-glibc", "2.17", *files)
    assert "Traceback" not in r.err and r.code in (0, 1) and "internal error" not in r.out + r.err, r.err
    for old, new in zip(files, files[1:]):
        r = cli("diff", "--json", old, new)
        assert "Traceback" not in r.err and r.code in (0, 1, 2) and "internal error" not in r.out + r.err, (old, new, r.err)
        assert r.cpu < MAX_CPU * 2, (old, new, r.cpu)


def test_an_internal_error_in_check_and_diff_is_that_inputs_failure(monkeypatch, capsys, two_files):
    from clirun import run

    _broken_pe(monkeypatch)
    pe, elf = two_files
    code, out, err = run(capsys, "check", "--require", "dynamic", pe, elf)
    assert code == 1 and "Traceback" not in err
    assert f"{pe}: internal error: ParserBug" in err
    assert "2 files checked" in err
    code, out, err = run(capsys, "diff", "--json", pe, elf)
    assert code == 2 and "Traceback" not in err      # an input that could not be read: trouble, as diff says
    assert f"{pe}: internal error: ParserBug" in err
