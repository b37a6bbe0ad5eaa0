"""Every seed binary (a Go and a C build of every format, a 32-bit ARM build, the universal join,
the Go toolchain's ELF samples) cut at many lengths and with single bytes changed at every header field,
each inspected in a worker process with memory and CPU limits (tests/sweep_worker.py): only records
come back (no escape, no internal error), each within a second of CPU, and the worker's peak memory
stays under 64 MiB more than the interpreter's own plus twice the seed's size."""
from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
from pathlib import Path

import pytest

import buildkit
import samples

WORKER = Path(__file__).with_name("sweep_worker.py")
RUSAGE = Path(__file__).with_name("rusage_run.py")
AS_LIMIT = 4 << 30          # address space: Python's own and the seed's maps fit well inside
CPU_LIMIT = 600             # seconds of CPU for a whole sweep: a hang ends the worker
# One Go and one C build of each format (the CI budget: LINKSCOPE_SWEEP_FULL=1 for the deep run).
SEEDS = ["go-default", "gcc-static-pie", "go-windows-amd64", "zig-windows-dll", "go-darwin-arm64", "zig-macos",
         "go-js-wasm", "go-linux-arm"]


def _limited():
    resource.setrlimit(resource.RLIMIT_AS, (AS_LIMIT, AS_LIMIT))
    resource.setrlimit(resource.RLIMIT_CPU, (CPU_LIMIT, CPU_LIMIT))


@pytest.fixture(scope="module")
def baseline_kib(tmp_path_factory) -> int:
    """The peak RSS of the worker on a 16-byte file: the interpreter and linkscope's imports."""
    tiny = tmp_path_factory.mktemp("tiny") / "tiny"
    tiny.write_bytes(b"\x7fELF" + bytes(12))
    return _peak(tiny, tmp_path_factory.mktemp("tiny-scratch"))[1]


def _peak(seed: Path, scratch: Path) -> tuple[dict, int]:
    """(the worker's summary, its peak RSS in KiB). The worker is started by tests/rusage_run.py: from
    pytest (forked, for the limits) its peak RSS would count pytest's own, hundreds of MiB late in
    the suite, and hide any growth below that."""
    usage = scratch / "worker.rusage"
    p = subprocess.run([sys.executable, str(RUSAGE), str(usage), sys.executable, str(WORKER), str(seed), str(scratch)],
                       capture_output=True, preexec_fn=_limited, env=dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path)))
    assert p.returncode == 0, p.stderr.decode()[-2000:]
    return json.loads(p.stdout), int(usage.read_text().split()[1]) >> 10


def _check(summary: dict, peak_kib: int, baseline: int, size: int) -> None:
    assert summary["failed"] == 0, summary["failures"]
    assert summary["count"] > 400
    assert summary["worst_cpu"] < 1.0, (summary["worst"], summary["worst_cpu"])
    assert peak_kib - baseline < (64 << 10) + 2 * (size >> 10), (peak_kib, baseline, size)


@pytest.mark.slow
@pytest.mark.parametrize("name", SEEDS)
def test_every_cut_and_flipped_header_byte_gives_a_record(name, tmp_path, baseline_kib):
    seed = buildkit.get(name)
    summary, peak = _peak(seed, tmp_path)
    _check(summary, peak, baseline_kib, seed.stat().st_size)


@pytest.mark.slow
def test_the_universal_join_and_gos_elf_samples_sweep_clean(fat_go, tmp_path, baseline_kib):
    seeds = [Path(fat_go)] + samples.go_testdata_elves()[:3]
    for seed in seeds:
        summary, peak = _peak(seed, tmp_path)
        _check(summary, peak, baseline_kib, seed.stat().st_size)
