"""Damaged inputs never make resolution raise: mutated ELF files as the input and as its libraries,
mutated ld.so.cache and ld.so.conf files. Seeded, so a failure reproduces."""
from __future__ import annotations

import os
import random
import shutil
from pathlib import Path

import pytest

import reference

from deps_fixtures import ldcache_writer as W
from deps_fixtures import treebuild
from mutate import mutate
from linkscope.deps import Env, Session, resolve
from linkscope.deps.ldconf import parse_cache

pytestmark = [reference.needs_tool(treebuild.have_gcc(), "gcc"),
              pytest.mark.skipif(os.uname().machine != "x86_64", reason="the fixtures are x86-64 ELF files")]


def _mutate(data: bytes, rng: random.Random, head: int = 512) -> bytes:
    """Bytes set, four in five within the first ``head``; one mutant in ten cut short."""
    return mutate(data, rng, edits=(1, 8), regions=[(0, head)], focus=0.8, truncate=0.1)


def test_mutated_elf_inputs_and_libraries(tmp_path):
    rng = random.Random(1234)
    base = tmp_path / "base"
    treebuild.elf(base / "lib64/ld-linux-x86-64.so.2", soname="ld-linux-x86-64.so.2")
    lib = treebuild.elf(base / "usr/lib64/liba.so", soname="liba.so", needed=("libb.so",), runpath="$ORIGIN")
    treebuild.elf(base / "usr/lib64/libb.so", soname="libb.so")
    main = treebuild.elf(base / "bin/main", exe=True, needed=("liba.so",), rpath="$ORIGIN/../usr/lib64")
    good = {"bin/main": main.read_bytes(), "usr/lib64/liba.so": lib.read_bytes()}
    outcomes = set()
    for k in range(150):
        root = tmp_path / f"r{k}"
        shutil.copytree(base, root)
        victim = rng.choice(sorted(good))
        (root / victim).write_bytes(_mutate(good[victim], rng))
        r = resolve(str(root / "bin/main"), Env(root=str(root), cwd="/"), Session())
        assert r.error is None or r.error.kind in ("malformed", "truncated", "unsupported-format", "input")
        # the tree holds four objects: nothing more can be loaded, whatever the mutant says it needs
        reference.check_resolution(r, str(root), max_libraries=4 + 8)
        if victim == "usr/lib64/liba.so" and r.error is None:
            # main is intact: its one need comes first, found by its RPATH unless the damaged liba.so is
            # one the loader would skip (wrong class or machine: then not found), and the interpreter is there
            assert r.libraries[0].name == "liba.so" and r.libraries[0].via in ("rpath", "not-found"), r.libraries
            assert r.interpreter is not None and r.interpreter.name == "/lib64/ld-linux-x86-64.so.2"
        outcomes.add("error" if r.error else "missing" if r.missing else "ok")
        shutil.rmtree(root)
    assert {"ok", "missing"} <= outcomes or {"ok", "error"} <= outcomes, outcomes


def test_mutated_caches_never_raise():
    rng = random.Random(99)
    seeds = [W.new_format([("liba.so", "/a/liba.so", 0x303, "x86-64-v3"), ("libb.so", "/b", 0x303, None)],
                          hwcaps=("x86-64-v3",)),
             W.old_format([("liba.so", "/a", 0x303)]),
             W.compat_format([("liba.so", "/o", 0x303)], [("liba.so", "/n", 0x303, None)])]
    parsed = 0
    for _ in range(3000):
        data = _mutate(rng.choice(seeds), rng, head=4096)
        for little in (True, False):
            cache, problems = parse_cache(data, little)
            assert isinstance(problems, (list, tuple)) and all(isinstance(p, str) and p for p in problems), problems
            if cache is None:
                assert problems, "a cache refused without saying why"
                continue
            hit = cache.lookup("liba.so", frozenset({0x303}), ("x86-64-v3",))
            assert hit is None or isinstance(hit, str), hit
            parsed += 1
    assert parsed > 100, parsed


def test_mutated_conf_files(tmp_path):
    rng = random.Random(7)
    text = "include /etc/ld.so.conf.d/*.conf\n/opt/a\n# c\nhwcap 0 x\ninclude ../etc/x.conf\n"
    for k in range(200):
        root = tmp_path / f"c{k}"
        (root / "etc/ld.so.conf.d").mkdir(parents=True)
        (root / "etc/ld.so.conf").write_bytes(_mutate(text.encode(), rng, 256))
        (root / "etc/ld.so.conf.d/x.conf").write_bytes(_mutate(b"include /etc/ld.so.conf\n/opt/b\n", rng, 64))
        treebuild.elf(root / "bin/main", exe=True, needed=("libq.so",))
        r = resolve(str(root / "bin/main"), Env(root=str(root), cwd="/"), Session())
        assert r.error is None and r.missing[0] == "libq.so"
