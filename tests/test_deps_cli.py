"""``linkscope deps``: output formats, the JSON document (validated against the schema), exit codes,
diagnostics on stderr, and where LD_LIBRARY_PATH comes from."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import buildkit
import reference

import linkscope

from deps_fixtures import treebuild
from linkscope.cli import main

pytestmark = [reference.needs_tool(treebuild.have_gcc(), "gcc"),
              pytest.mark.skipif(os.uname().machine != "x86_64", reason="the fixtures are x86-64 ELF files")]

SCHEMA = Path(linkscope.__file__).parent / "schema" / "deps.schema.json"
INTERP = "/lib64/ld-linux-x86-64.so.2"
KEYS = ["path", "error", "linkage", "libc", "interpreter", "libraries", "missing", "glibc_min", "runs_on", "format", "note",
        "program", "warnings"]
LIB_KEYS = ["name", "path", "realpath", "via", "needed_by", "depth"]


@pytest.fixture
def root(tmp_path) -> Path:
    r = tmp_path / "root"
    treebuild.elf(r / INTERP.lstrip("/"), soname="ld-linux-x86-64.so.2")
    treebuild.elf(r / "lib/liba.so", soname="liba.so", needed=("libb.so",))
    treebuild.elf(r / "lib/libb.so", soname="libb.so", needed=("liba.so",))
    treebuild.elf(r / "bin/ok", exe=True, needed=("liba.so", "libb.so"), runpath="$ORIGIN/../lib")
    treebuild.elf(r / "bin/broken", exe=True, needed=("liba.so", "libmissing.so"), runpath="$ORIGIN/../lib")
    (r / "etc").mkdir()
    (r / "etc/ld.so.cache").write_bytes(b"not a cache")
    return r


def cli(*args, env=None) -> subprocess.CompletedProcess:
    e = dict(os.environ)
    e.pop("LD_LIBRARY_PATH", None)
    e.update(env or {})
    return subprocess.run([sys.executable, "-m", "linkscope", "deps", *args], capture_output=True, text=True, env=e)


def test_flat_list_like_ldd(root):
    p = cli("--root", str(root), "/bin/ok")
    assert p.returncode == 0, p.stderr
    assert p.stdout == ("\tliba.so => /bin/../lib/liba.so\n"
                        "\tlibb.so => /bin/../lib/libb.so\n"
                        f"\t{INTERP} => {INTERP}\n")
    assert "ld.so.cache: not a cache file" in p.stderr        # diagnostics on stderr, results on stdout


def test_missing_library_exits_1_and_prints_not_found(root):
    p = cli("--root", str(root), "/bin/ok", "/bin/broken")
    assert p.returncode == 1
    assert "/bin/broken:\n\tliba.so => /bin/../lib/liba.so\n\tlibmissing.so => not found\n" in p.stdout
    assert p.stdout.startswith("/bin/ok:\n")


def test_tree(root):
    p = cli("--root", str(root), "--tree", "/bin/ok")
    assert p.returncode == 0, p.stderr
    lines = p.stdout.splitlines()
    assert lines[0] == f"/bin/ok [interpreter {INTERP}]"
    # Each library is expanded under the object that loaded it (here the input, for both).
    assert lines[1:5] == ["├── liba.so => /bin/../lib/liba.so [runpath]",
                         "│   └── libb.so => /bin/../lib/libb.so [runpath] (repeat)",
                         "└── libb.so => /bin/../lib/libb.so [runpath]",
                         "    └── liba.so => /bin/../lib/liba.so [runpath] (repeat)"]


def test_json_document(root):
    p = cli("--root", str(root), "--json", "/bin/ok", "/bin/broken", "/nonexistent")
    assert p.returncode == 1
    doc = json.loads(p.stdout)
    jsonschema = reference.import_tool("jsonschema")
    jsonschema.validate(doc, json.loads(SCHEMA.read_text()))
    ok, broken, absent = doc["results"]
    assert list(ok) == KEYS and all(list(l) == LIB_KEYS for l in ok["libraries"])
    assert ok["interpreter"] == {"name": INTERP, "path": INTERP}
    assert ok["libraries"][0] == {"name": "liba.so", "path": "/bin/../lib/liba.so", "realpath": "/lib/liba.so",
                                  "via": "runpath", "needed_by": ["/bin/ok", "libb.so"], "depth": 1}
    # liba (found through the input's DT_RUNPATH) needs libb: DT_RUNPATH is not inherited.
    assert broken["missing"] == ["libmissing.so", "libb.so"]
    assert absent["error"]["kind"] == "input" and absent["libraries"] == []


def test_usage_errors_exit_2(tmp_path):
    assert cli().returncode == 2
    p = cli("--root", str(tmp_path / "nope"), "/bin/true")
    assert p.returncode == 2 and "neither a directory nor a container image" in p.stderr


@pytest.mark.parametrize("flag,line", [("-static", "not a dynamic executable"), ("-static-pie", "statically linked")])
def test_static_binaries_say_what_ldd_says(tmp_path, flag, line):
    """ldd's words; but nothing is missing, so the exit status is 0."""
    out = buildkit.get({"-static": "gcc-static", "-static-pie": "gcc-static-pie"}[flag])
    p = cli(str(out))
    assert p.returncode == 0 and p.stdout == f"\t{line}\n"


def test_library_path_sources(tmp_path):
    """Default: the process's LD_LIBRARY_PATH, as ldd. --library-path overrides it; --root ignores the
    process's (a sysroot is not run with this machine's environment)."""
    t = tmp_path
    treebuild.elf(t / "env/libx.so", soname="libx.so")
    treebuild.elf(t / "opt/libx.so", soname="libx.so")
    treebuild.elf(t / "bin/main", exe=True, needed=("libx.so",))
    main_path = str(t / "bin/main")
    p = cli(main_path, env={"LD_LIBRARY_PATH": str(t / "env")})
    assert f"libx.so => {t}/env/libx.so" in p.stdout
    p = cli("--library-path", str(t / "opt"), main_path, env={"LD_LIBRARY_PATH": str(t / "env")})
    assert f"libx.so => {t}/opt/libx.so" in p.stdout
    p = cli("--library-path", "", main_path, env={"LD_LIBRARY_PATH": str(t / "env")})
    assert "libx.so => not found" in p.stdout and p.returncode == 1
    p = cli("--root", str(t), "/bin/main", env={"LD_LIBRARY_PATH": "/env"})
    assert "libx.so => not found" in p.stdout
    p = cli("--root", str(t), "--library-path", "/opt", "/bin/main", env={"LD_LIBRARY_PATH": "/env"})
    assert "libx.so => /opt/libx.so" in p.stdout


def test_in_process_main_returns_the_exit_code(root, capsys):
    assert main(["deps", "--root", str(root), "/bin/ok"]) == 0
    assert main(["deps", "--root", str(root), "/bin/broken"]) == 1
    out = capsys.readouterr().out
    assert "libmissing.so => not found" in out


def test_help_lists_deps():
    p = subprocess.run([sys.executable, "-m", "linkscope", "--help"], capture_output=True, text=True)
    assert "deps" in p.stdout
    p = subprocess.run([sys.executable, "-m", "linkscope", "deps", "--help"], capture_output=True, text=True)
    assert "--root" in p.stdout and "--library-path" in p.stdout and p.returncode == 0


def test_parallel_batches_give_the_serial_answer(monkeypatch):
    """Large batches are split across forked workers (linkscope.parallel); the results, in order,
    are the same."""
    from linkscope import parallel
    from linkscope.deps import Session, resolve, resolve_many
    from linkscope.deps.hostenv import host_env

    paths = sorted(str(p) for p in Path("/usr/bin").iterdir() if p.is_file() and not p.is_symlink())[:80]
    env = host_env(None, "")
    session = Session()
    serial = [resolve(p, env, session) for p in paths]
    monkeypatch.setattr(parallel, "PARALLEL_MIN_ITEMS", 8)
    monkeypatch.setattr(parallel.os, "cpu_count", lambda: 2)
    assert list(resolve_many(paths, env)) == serial


def _chain(n: int):
    """A Result whose input needs lib0.so, lib0.so needs lib1.so, ..., lib(n-1).so nothing."""
    from linkscope.deps.records import Library, Result

    libs = tuple(Library(f"lib{i}.so", f"/lib/lib{i}.so", f"/lib/lib{i}.so", "runpath",
                         ("/bin/deep",) if i == 0 else (f"lib{i - 1}.so",), i + 1, (i + 1,) if i + 1 < n else ())
                 for i in range(n))
    return Result("/bin/deep", format="elf", rules="glibc", linkage="dynamic", libraries=libs, needs=(0,))


def test_tree_of_a_deep_chain_is_drawn_to_its_depth_bound_and_says_so():
    """The tree is walked without recursion (a chain of 5,000 libraries: no RecursionError) and its
    drawing stops at MAX_TREE_DEPTH levels, with the cut named, not mislabelled as a repeat."""
    from linkscope.render.deps_report import MAX_TREE_DEPTH, tree

    lines = tree(_chain(5000), unicode=False).splitlines()
    assert lines[0] == "/bin/deep"
    assert len(lines) == 1 + MAX_TREE_DEPTH + 1
    for depth, line in enumerate(lines[1:]):
        assert line == "    " * depth + f"`-- lib{depth}.so => /lib/lib{depth}.so [runpath]" + (
            f" (its libraries not drawn: more than {MAX_TREE_DEPTH} levels deep)" if depth == MAX_TREE_DEPTH else ""), line
    short = tree(_chain(MAX_TREE_DEPTH + 1), unicode=False).splitlines()   # the last level has no libraries: all drawn
    assert len(short) == MAX_TREE_DEPTH + 2 and "not drawn" not in "\n".join(short)
