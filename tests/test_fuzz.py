"""Coverage-guided fuzzing (fuzz/targets.py, fuzz/run.py): a short campaign of every target, every
crasher ever found replayed with its expected outcome, and proof that the harness does report a crash.

A campaign lasts LINKSCOPE_FUZZ_SECONDS (6 by default: the CI budget) in a child process with memory and time
limits; longer ones: ``python fuzz/run.py all --seconds 600``. Without atheris (the ``fuzz`` extra)
the runner falls back to seeded random mutation through the same harness."""
from __future__ import annotations

import hashlib
import json
import os
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "fuzz"))

import run  # noqa: E402  (fuzz/run.py)
import targets  # noqa: E402  (fuzz/targets.py)

SECONDS = int(os.environ.get("LINKSCOPE_FUZZ_SECONDS", "6"))
REGRESSIONS = sorted(run.REGRESSIONS.glob("*.bin"))


def _have_atheris() -> bool:
    import importlib.util

    return importlib.util.find_spec("atheris") is not None


@pytest.mark.slow
@pytest.mark.parametrize("target", targets.TARGETS)
def test_campaign_finds_no_crash(tmp_path, capsys, target):
    r = run.campaign(target, SECONDS, regressions=tmp_path / "found", rss_mb=1536, timeout=10, quiet=True)
    with capsys.disabled():
        print(f"\nfuzz {target}: {r['executions']} executions in {SECONDS} s "
              f"({'atheris' if _have_atheris() else 'fallback, no coverage'}; {r['seconds']:.1f} s with start-up)")
    assert not r["crashes"], f"crashes (copy them to tests/fuzz_regressions once fixed): {r['crashes']}\n" + \
        r["output"][-6000:]
    assert r["returncode"] == 0 and r["executions"], r["output"][-3000:]
    assert r["executions"] > 50, r["executions"]      # a campaign that runs nearly nothing proves nothing


@pytest.mark.parametrize("path", REGRESSIONS, ids=[p.stem for p in REGRESSIONS])
def test_regression_keeps_its_outcome(path):
    side = json.loads(path.with_suffix(".json").read_text())
    assert side["expected"] is not None, f"{path.name}: an unfixed crash ({side['found']}); fix it, then set expected"
    assert path.name.startswith(side["target"] + "-")
    assert targets.get(side["target"])(path.read_bytes()) == side["expected"], side


def test_every_regression_file_has_its_expected_outcome():
    bins = {p.stem for p in run.REGRESSIONS.glob("*.bin")}
    sides = {p.stem for p in run.REGRESSIONS.glob("*.json")}
    assert bins == sides, (bins ^ sides)
    for p in run.REGRESSIONS.glob("*.bin"):
        assert p.stem.endswith(hashlib.sha1(p.read_bytes()).hexdigest()[:12]), p.name


PLANT = '''
import linkscope.formats.wasm as w
from linkscope.errors import Malformed
_parse = w.parse
def parse(view):
    if b"PLANTED" in bytes(view.buf):
        {action}
    return _parse(view)
w.parse = parse
'''


def _plant(tmp_path, monkeypatch, action: str) -> tuple[Path, bytes]:
    """A wasm reader with a planted bug on inputs holding the marker, and a corpus holding one."""
    (tmp_path / "plant_bug.py").write_text(PLANT.replace("{action}", action))
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(tmp_path), os.environ.get("PYTHONPATH", "")]))
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    data = b"\0asm\x01\0\0\0PLANTED"
    (corpus / "marker").write_bytes(data)
    return corpus, data


@pytest.mark.parametrize("engine", ["atheris", "fallback"])
def test_the_harness_reports_a_crash_and_keeps_the_input(tmp_path, monkeypatch, engine):
    if engine == "atheris" and not _have_atheris():
        pytest.skip("atheris is not installed (the fuzz extra)")
    corpus, data = _plant(tmp_path, monkeypatch, 'raise TypeError("planted bug")')
    reg = tmp_path / "regressions"
    r = run.campaign("wasm", 5, corpus=str(corpus), regressions=reg, no_atheris=engine == "fallback",
                     preload="plant_bug", quiet=True)
    want = reg / f"wasm-{hashlib.sha1(data).hexdigest()[:12]}.bin"
    assert r["crashes"] == [want], r["output"][-3000:]
    assert want.read_bytes() == data
    side = json.loads(want.with_suffix(".json").read_text())
    assert side["target"] == "wasm" and side["expected"] is None and "TypeError: planted bug" in side["found"]
    assert "planted bug" in r["output"] and r["returncode"] != 0


def test_a_linkscope_error_is_not_a_crash(tmp_path, monkeypatch):
    corpus, _ = _plant(tmp_path, monkeypatch, 'raise Malformed("planted, but a linkscope error")')
    reg = tmp_path / "regressions"
    r = run.campaign("wasm", 2, corpus=str(corpus), regressions=reg, no_atheris=True, preload="plant_bug", quiet=True)
    assert r["crashes"] == [] and r["returncode"] == 0, r["output"][-3000:]
    assert not reg.exists()
    assert targets.wasm(b"\0asm\x01\0\0\0PLANTED") in ("ok", "malformed")


def test_a_broken_invariant_is_a_crash():
    """A record a reader gives back is checked, not only whether it raised: a wrong field type fails."""
    import reference
    from linkscope.model import Binary

    with pytest.raises(AssertionError):
        reference.check_record(Binary(path="x", format="elf", bits=48, size=1), 1)


def test_the_runner_knows_every_target():
    assert run.TARGETS == targets.TARGETS and set(run.INSTRUMENT) == set(targets.TARGETS)
    assert all(callable(targets.get(t)) for t in targets.TARGETS)


def test_executions_come_from_the_final_statistics():
    out = b"#31\tINITED cov: 1\n#4583\tDONE   cov: 1485\nDone 4583 runs in 6 second(s)\n" \
          b"stat::number_of_executed_units: 4584\n"
    assert run.executions(out) == 4584
    assert run.executions(b"#12\tINITED cov: 3\n#40\tNEW cov: 4\n") == 40
    assert run.executions(b"nothing") is None


def test_the_deps_input_splits_into_configuration_and_binary():
    assert targets.split_deps_input(targets.deps_input(b"/opt\n", b"\x7fELF")) == (b"/opt\n", b"\x7fELF")
    assert targets.split_deps_input(b"") == (b"", b"")
    assert targets.split_deps_input(b"\xff/x") == (b"/x", b"")
