"""Differential: linkscope's closure equals ldd's on this machine's own trusted binaries, name by name
and real path by real path, in ldd's order. A sample of the ELF files under /usr/bin and /usr/lib in the
fast tests; all of them in the integration test. The tolerated differences are the "ldd:" entries of
tests/reference.py TOLERATED, with every other tool's.
"""
from __future__ import annotations

import os
import shutil

import pytest

from linkscope.deps import Env, Session, resolve
from linkscope.deps.hostenv import host_cpu

import reference  # noqa: E402  (ldd's parser; its tolerated differences are TOLERATED["ldd:..."] there)

LDD = shutil.which("ldd")
pytestmark = reference.needs_tool(LDD is not None and os.path.exists("/etc/ld.so.cache"),
                                  "ldd and /etc/ld.so.cache (libc-bin)")


def _host_machine() -> tuple[int, int] | None:
    cpu = host_cpu()
    return None if cpu is None else (cpu.machine, cpu.bits)


def elves(limit: int | None = None) -> list[str]:
    found: list[str] = []
    for top in ("/usr/bin", "/usr/lib"):
        for dirpath, dirnames, filenames in os.walk(top):
            dirnames.sort()
            for n in sorted(filenames):
                p = os.path.join(dirpath, n)
                try:
                    if os.path.islink(p) or not os.path.isfile(p):
                        continue
                    with open(p, "rb") as f:
                        head = f.read(20)
                except OSError:
                    continue
                if head[:4] != b"\x7fELF" or int.from_bytes(head[16:18], "little") not in (2, 3):
                    continue
                found.append(os.path.realpath(p))
    found = sorted(set(found))
    if limit is None or len(found) <= limit:
        return found
    step = len(found) / limit
    return [found[int(i * step)] for i in range(limit)]


def ldd(path: str) -> tuple[str, list[tuple[str, str | None]]]:
    p = reference.ldd_run(path)
    out = p.stdout + p.stderr
    if "not a dynamic executable" in out:
        return "untraceable", []
    if "statically linked" in out:
        return "static", []
    return "dynamic", reference.ldd_libraries(p.stdout, "/")


_SESSION = Session()
_ENV = Env(root="/", cwd="/", secure=False, host=host_cpu())       # TOLERATED["ldd:secure-mode"]


def compare(path: str) -> str | None:
    """None when linkscope and ldd agree (or ldd cannot trace the file), else what differs."""
    kind, want = ldd(path)
    if kind == "untraceable":                                      # TOLERATED["ldd:untraceable"]
        return None
    r = resolve(path, _ENV, _SESSION, libc_facts=False)
    if r.error is not None:
        return f"{path}: linkscope error {r.error}"
    got = [(l.name, l.realpath) for l in r.libraries]
    if r.interpreter is not None and got and got[-1][0] == r.interpreter.name and \
            not any(r.interpreter.name == n for n, _ in want):
        got = got[:-1]                                             # TOLERATED["ldd:unreached-interpreter"]
    if kind == "static":
        return None if not got else f"{path}: ldd says statically linked, linkscope {got}"
    if got != want:
        return f"{path}:\n  ldd       {want}\n  linkscope {got}\n  warnings  {r.warnings}"
    return None


@pytest.mark.parametrize("path", elves(40))
def test_agrees_with_ldd_sample(path):
    diff = compare(path)
    assert diff is None, diff


@pytest.mark.integration
def test_agrees_with_ldd_on_every_elf_under_usr_bin_and_usr_lib():
    diffs = [d for d in (compare(p) for p in elves()) if d]
    assert not diffs, f"{len(diffs)} files differ:\n" + "\n".join(diffs[:20])
