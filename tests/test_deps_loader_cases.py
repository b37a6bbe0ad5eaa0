"""Loader rules the hand-built cases of test_deps_search.py cannot reach, each over real gcc-linked
trees and compared with the real glibc loader (reference.loader_trace: the kernel runs the file the
test built with LD_TRACE_LOADED_OBJECTS=1, so nothing of it executes) as well as with literals.

- An object with both DT_RPATH and DT_RUNPATH (GNU ld writes only one; the build kit patches a
  spare DT_NULL slot): glibc drops its DT_RPATH (elf/get-dynamic-info.h: "If both RUNPATH and
  RPATH are given, the latter is ignored"), for its own needs and for what it loads.
- The input reached through a symlink from another directory: the executable's $ORIGIN is the
  directory of the real file (/proc/self/exe), not of the symlink.
"""
from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

import reference
from deps_fixtures import treebuild
from linkscope.deps import Env, Session, resolve
from linkscope.inspector import inspect

INTERP = "/lib64/ld-linux-x86-64.so.2"
pytestmark = [reference.needs_tool(treebuild.have_gcc(), "gcc"),
              pytest.mark.skipif(not os.path.exists(INTERP) or os.uname().machine != "x86_64",
                                 reason="needs an x86-64 glibc system")]


def _resolve(path: Path | str, *, cwd: Path, llp: str | None = None):
    r = resolve(str(path), Env(root="/", ld_library_path=llp, secure=False, cwd=str(cwd)), Session())
    assert r.error is None, r.error
    return r


def _closure(r) -> list[tuple[str, str | None, str]]:
    return [(l.name, l.path, l.via) for l in r.libraries if l.name != INTERP]


def _real(r) -> list[tuple[str, str | None]]:
    return [(l.name, l.realpath) for l in r.libraries if l.name != INTERP]


# -- DT_RPATH and DT_RUNPATH in one object ----------------------------------------------------------
def _rpath_and_runpath_tree(T: Path) -> Path:
    """bin/main (RUNPATH $ORIGIN/../lib) needs libmid.so; lib/libmid.so has RPATH $ORIGIN/rp *and*
    RUNPATH $ORIGIN/run and needs libleaf.so; lib/rp holds decoys of libleaf.so and libdeep.so that
    a used RPATH would find first; lib/run/libleaf.so (no paths of its own) needs libdeep.so, which
    only LD_LIBRARY_PATH (llp/) has unless libmid's RPATH were inherited."""
    main = treebuild.elf(T / "bin/main", exe=True, needed=("libmid.so",), runpath="$ORIGIN/../lib")
    treebuild.elf(T / "lib/libmid.so", soname="libmid.so", needed=("libleaf.so",), rpath="$ORIGIN/rp:$ORIGIN/run")
    assert treebuild.split_rpath_into_rpath_and_runpath(T / "lib/libmid.so") == ("$ORIGIN/rp", "$ORIGIN/run")
    for d in ("rp", "run"):
        treebuild.elf(T / f"lib/{d}/libleaf.so", soname="libleaf.so", needed=("libdeep.so",))
    treebuild.elf(T / "lib/rp/libdeep.so", soname="libdeep.so")
    treebuild.elf(T / "llp/libdeep.so", soname="libdeep.so")
    return main


def test_patched_object_has_both_tags_as_readelf_reads_them(tmp_path):
    T = tmp_path.resolve()
    _rpath_and_runpath_tree(T)
    if not reference.have("readelf"):
        reference.tool_missing("readelf (binutils)")
    d = reference.readelf_dynamic(T / "lib/libmid.so")
    assert (d["rpath"], d["runpath"], d["needed"], d["soname"]) == (["$ORIGIN/rp"], ["$ORIGIN/run"], ["libleaf.so"], "libmid.so")
    # one entry more than the same object unpatched, and the table still ends in DT_NULL
    plain = treebuild.elf(T / "plain/libmid.so", soname="libmid.so", needed=("libleaf.so",), rpath="$ORIGIN/rp:$ORIGIN/run")
    count = lambda p: int(re.search(r"contains (\d+) entries", reference.run(["readelf", "-dW", str(p)])).group(1))  # noqa: E731
    assert count(T / "lib/libmid.so") == count(plain) + 1
    out = reference.run(["readelf", "-dW", str(T / "lib/libmid.so")])
    assert out.rstrip().splitlines()[-1].split()[1] == "(NULL)"
    assert reference.readelf_dynamic(plain)["rpath"] == ["$ORIGIN/rp", "$ORIGIN/run"]


def test_rpath_of_an_object_with_runpath_is_ignored_and_not_inherited(tmp_path):
    T = tmp_path.resolve()
    main = _rpath_and_runpath_tree(T)
    r = _resolve(main, cwd=T, llp=f"{T}/llp")
    assert _closure(r) == [
        ("libmid.so", f"{T}/bin/../lib/libmid.so", "runpath"),
        ("libleaf.so", f"{T}/bin/../lib/run/libleaf.so", "runpath"),     # not lib/rp: its RPATH is ignored
        ("libdeep.so", f"{T}/llp/libdeep.so", "ld-library-path"),        # not lib/rp: nor inherited
    ]
    assert r.missing == ()
    assert reference.loader_trace(main, ld_library_path=f"{T}/llp", cwd=str(T)) == _real(r)


def test_rpath_of_an_object_with_runpath_is_not_inherited_even_when_nothing_else_finds_it(tmp_path):
    """Without LD_LIBRARY_PATH, libdeep.so is only where libmid's ignored RPATH points: not found."""
    T = tmp_path.resolve()
    main = _rpath_and_runpath_tree(T)
    r = _resolve(main, cwd=T)
    assert _closure(r) == [("libmid.so", f"{T}/bin/../lib/libmid.so", "runpath"),
                           ("libleaf.so", f"{T}/bin/../lib/run/libleaf.so", "runpath"),
                           ("libdeep.so", None, "not-found")]
    assert r.missing == ("libdeep.so",)
    assert reference.loader_trace(main, cwd=str(T)) == _real(r) == [
        ("libmid.so", f"{T}/lib/libmid.so"), ("libleaf.so", f"{T}/lib/run/libleaf.so"), ("libdeep.so", None)]


# -- the input through a symlink ---------------------------------------------------------------------
def _symlinked_tree(T: Path) -> None:
    """real/bin/main (RUNPATH $ORIGIN/../lib) and real/lib/liba.so; a decoy other/lib/liba.so where
    the symlinks' directories would point; other/bin/main -> ../../real/bin/main; linkdir -> real/bin
    (a symlinked directory); chain/main -> ../other/bin/main (a symlink to the symlink)."""
    treebuild.elf(T / "real/bin/main", exe=True, needed=("liba.so",), runpath="$ORIGIN/../lib")
    treebuild.elf(T / "real/lib/liba.so", soname="liba.so")
    treebuild.elf(T / "other/lib/liba.so", soname="liba.so")
    (T / "other/bin").mkdir(parents=True)
    os.symlink("../../real/bin/main", T / "other/bin/main")
    os.symlink("real/bin", T / "linkdir")
    (T / "chain").mkdir()
    os.symlink("../other/bin/main", T / "chain/main")
    (T / "lib").mkdir()
    treebuild.elf(T / "lib/liba.so", soname="liba.so")   # what linkdir/../lib would find


@pytest.mark.parametrize("given,cwd", [
    ("other/bin/main", ""),             # a symlink to the file, from another directory
    ("bin/main", "other"),              # the same, named relative to the current directory
    ("linkdir/main", ""),               # the file in a symlinked directory
    ("chain/main", ""),                 # a symlink to a symlink
])
def test_origin_of_an_input_reached_through_a_symlink_is_the_real_files_directory(tmp_path, given, cwd):
    T = tmp_path.resolve()
    _symlinked_tree(T)
    where = T / cwd
    r = _resolve(given, cwd=where)
    assert _closure(r) == [("liba.so", f"{T}/real/bin/../lib/liba.so", "runpath")]
    assert _real(r) == [("liba.so", f"{T}/real/lib/liba.so")]
    # The real loader, run by the kernel through the same name, agrees.
    assert reference.loader_trace(given if "/" in given else f"./{given}", cwd=str(where)) == _real(r)


def test_ld_so_as_a_command_takes_the_symlinks_directory_instead(tmp_path):
    """Why ldd (ld.so --list) is not the oracle for this case (TOLERATED["ldd:origin-of-input"]):
    run as a command, the loader expands $ORIGIN from the path it is given and finds the decoy."""
    T = tmp_path.resolve()
    _symlinked_tree(T)
    assert reference.loader_trace(T / "other/bin/main", as_command=True, cwd=str(T)) == \
        [("liba.so", f"{T}/other/lib/liba.so")]


def test_rpath_of_an_executable_with_runpath_is_ignored_and_not_inherited(tmp_path):
    """The same rule on the executable, whose DT_RPATH glibc otherwise searches for every object in
    the process (the main map's RPATH, dl-load.c): bin/main has RPATH $ORIGIN/../rp and RUNPATH
    $ORIGIN/../run; rp/ holds a decoy liba.so and the only libb.so, which run/liba.so needs."""
    T = tmp_path.resolve()
    main = treebuild.elf(T / "bin/main", exe=True, needed=("liba.so",), rpath="$ORIGIN/../rp:$ORIGIN/../run")
    assert treebuild.split_rpath_into_rpath_and_runpath(main) == ("$ORIGIN/../rp", "$ORIGIN/../run")
    treebuild.elf(T / "rp/liba.so", soname="liba.so")
    treebuild.elf(T / "rp/libb.so", soname="libb.so")
    treebuild.elf(T / "run/liba.so", soname="liba.so", needed=("libb.so",))
    r = _resolve(main, cwd=T)
    assert _closure(r) == [("liba.so", f"{T}/bin/../run/liba.so", "runpath"), ("libb.so", None, "not-found")]
    assert r.missing == ("libb.so",)
    assert reference.loader_trace(main, cwd=str(T)) == _real(r) == [("liba.so", f"{T}/run/liba.so"), ("libb.so", None)]


def test_origin_of_a_library_reached_through_a_symlink_is_the_symlinks_directory(tmp_path):
    """The contrast to the executable: a library's $ORIGIN is the directory of the path the loader
    opened (l_origin from its name, no symlinks resolved). lib/liba.so -> ../pkg/liba.so with RUNPATH
    $ORIGIN/sub finds lib/sub/libb.so, not the pkg/sub/libb.so beside the real file."""
    T = tmp_path.resolve()
    main = treebuild.elf(T / "bin/main", exe=True, needed=("liba.so",), runpath="$ORIGIN/../lib")
    treebuild.elf(T / "pkg/liba.so", soname="liba.so", needed=("libb.so",), runpath="$ORIGIN/sub")
    (T / "lib").mkdir()
    os.symlink("../pkg/liba.so", T / "lib/liba.so")
    treebuild.elf(T / "lib/sub/libb.so", soname="libb.so")
    treebuild.elf(T / "pkg/sub/libb.so", soname="libb.so")
    r = _resolve(main, cwd=T)
    assert _closure(r) == [("liba.so", f"{T}/bin/../lib/liba.so", "runpath"),
                           ("libb.so", f"{T}/bin/../lib/sub/libb.so", "runpath")]
    assert reference.loader_trace(main, cwd=str(T)) == _real(r) == [
        ("liba.so", f"{T}/pkg/liba.so"), ("libb.so", f"{T}/lib/sub/libb.so")]


# -- one ELF reader: what inspect and deps read of an object is what the loader reads ----------------
def test_of_two_sonames_the_loader_keeps_the_last(tmp_path):
    """glibc keeps the last of a repeated dynamic tag (elf_get_dynamic_info overwrites its slot), and
    matches a needed name against loaded objects' DT_SONAME: bin/main needs liba.so and then
    libalias.so, which no file is called; lib/liba.so has DT_SONAME liba-first.so, then libalias.so."""
    T = tmp_path.resolve()
    main = treebuild.elf(T / "bin/main", exe=True, needed=("liba.so", "libalias.so"), runpath="$ORIGIN/../lib")
    treebuild.elf(T / "lib/liba.so", soname="liba-first.so:libalias.so")
    assert treebuild.split_soname_into_two(T / "lib/liba.so") == ("liba-first.so", "libalias.so")
    if not reference.have("readelf"):
        reference.tool_missing("readelf (binutils)")
    out = reference.run(["readelf", "-dW", str(T / "lib/liba.so")])
    assert re.findall(r"\(SONAME\)\s+Library soname: \[(.*?)\]", out) == ["liba-first.so", "libalias.so"]
    r = _resolve(main, cwd=T)
    assert _closure(r) == [("liba.so", f"{T}/bin/../lib/liba.so", "runpath")] and r.missing == ()
    assert reference.loader_trace(main, cwd=str(T)) == _real(r) == [("liba.so", f"{T}/lib/liba.so")]
    assert inspect(T / "lib/liba.so").soname == "libalias.so"


def test_a_load_command_past_the_end_of_the_file_still_loads(tmp_path):
    """A library cut a few bytes into its last PT_LOAD: glibc maps it all the same (the missing bytes
    are never touched), so deps resolves through it as the loader does; inspect says it is cut short."""
    T = tmp_path.resolve()
    main = treebuild.elf(T / "bin/main", exe=True, needed=("liba.so",), runpath="$ORIGIN/../lib")
    treebuild.elf(T / "lib/liba.so", soname="liba.so", needed=("libb.so",), runpath="$ORIGIN")
    treebuild.elf(T / "lib/libb.so", soname="libb.so")
    size = treebuild.cut_last_load_segment(T / "lib/liba.so")
    r = _resolve(main, cwd=T)
    assert [n for n, _p, _v in _closure(r)] == ["liba.so", "libb.so"] and r.missing == ()
    assert reference.loader_trace(main, cwd=str(T)) == _real(r)
    rec = inspect(T / "lib/liba.so")
    assert rec.partial and any(w.table == "loadable segments" and w.kind == "truncated"
                               and w.message.endswith(f"the file ends at {size:#x}") for w in rec.warnings)
