"""glibc rules that depend on the system's configuration, in small fake roots built per test:
ld.so.cache (each layout, hwcaps entries, foreign flags), the ld.so.conf fallback, the default
directories (lib64 pair or Debian multiarch), ``$LIB``, ``-z nodeflib``, a missing interpreter, and
the musl rules. Every path the resolver reports is inside the root.
"""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

import reference

from deps_fixtures import ldcache_writer as W
from deps_fixtures.rooted import resolve_in_root
from deps_fixtures import treebuild
from linkscope.deps import HostCpu

pytestmark = [reference.needs_tool(treebuild.have_gcc(), "gcc"),
              pytest.mark.skipif(os.uname().machine != "x86_64", reason="the fixtures are x86-64 ELF files")]

INTERP = "/lib64/ld-linux-x86-64.so.2"
I = (INTERP, INTERP, "interpreter")


def lib(root: Path, rel: str, soname: str | None, *needed: str, **kw) -> Path:
    return treebuild.elf(root / rel.lstrip("/"), soname=soname, needed=tuple(needed), **kw)


def write(root: Path, rel: str, data: bytes | str) -> None:
    p = root / rel.lstrip("/")
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_bytes(data.encode() if isinstance(data, str) else data)


def base_root(root: Path, multiarch: bool = False) -> None:
    """An x86-64 root: its loader (a stand-in with the loader's soname), ld.so.conf listing /opt/conf,
    a library in a default directory and one in /opt/conf."""
    lib(root, INTERP, "ld-linux-x86-64.so.2")
    d = "/lib/x86_64-linux-gnu" if multiarch else "/usr/lib64"
    lib(root, f"{d}/libdef.so", "libdef.so")
    lib(root, "/opt/conf/libconf.so", "libconf.so")
    write(root, "/etc/ld.so.conf", "# the Debian file\ninclude /etc/ld.so.conf.d/*.conf\n")
    write(root, "/etc/ld.so.conf.d/opt.conf", "/opt/conf   # comment\n/nonexistent\n")


def test_no_cache_falls_back_to_ld_so_conf_then_default(tmp_path):
    base_root(tmp_path)
    treebuild.elf(tmp_path / "bin/main", exe=True, needed=("libconf.so", "libdef.so"))
    got, r = resolve_in_root(tmp_path)
    assert got == [("libconf.so", "/opt/conf/libconf.so", "ld.so.conf"),
                   ("libdef.so", "/usr/lib64/libdef.so", "default"), I]
    assert r.warnings == ()


def test_cache_new_format(tmp_path):
    base_root(tmp_path)
    write(tmp_path, "/etc/ld.so.cache", W.new_format([("libconf.so", "/opt/conf/libconf.so", W.FLAG_X8664, None),
                                                      ("libdef.so", "/usr/lib64/libdef.so", W.FLAG_X8664, None)]))
    treebuild.elf(tmp_path / "bin/main", exe=True, needed=("libconf.so", "libdef.so"))
    got, _ = resolve_in_root(tmp_path)
    assert got == [("libconf.so", "/opt/conf/libconf.so", "ld.so.cache"),
                   ("libdef.so", "/usr/lib64/libdef.so", "ld.so.cache"), I]


@pytest.mark.parametrize("layout", ["old", "compat"])
def test_cache_old_and_compat_formats(tmp_path, layout):
    base_root(tmp_path)
    entries = [("libconf.so", "/opt/conf/libconf.so", W.FLAG_X8664)]
    if layout == "old":
        data = W.old_format(entries)
    else:
        # compat: the loader reads the new part; the old part here says something else to prove it.
        data = W.compat_format([("libconf.so", "/wrong/libconf.so", W.FLAG_X8664)],
                               [(n, p, f, None) for n, p, f in entries])
    write(tmp_path, "/etc/ld.so.cache", data)
    treebuild.elf(tmp_path / "bin/main", exe=True, needed=("libconf.so",))
    got, _ = resolve_in_root(tmp_path)
    assert got == [("libconf.so", "/opt/conf/libconf.so", "ld.so.cache"), I]


def test_cache_entries_of_another_machine_are_not_used(tmp_path):
    base_root(tmp_path)
    lib(tmp_path, "/opt/arm/libdef.so", "libdef.so")
    write(tmp_path, "/etc/ld.so.cache", W.new_format([("libdef.so", "/opt/arm/libdef.so", 0xA03, None)]))
    treebuild.elf(tmp_path / "bin/main", exe=True, needed=("libdef.so",))
    got, _ = resolve_in_root(tmp_path)
    assert got == [("libdef.so", "/usr/lib64/libdef.so", "default"), I]


@pytest.mark.parametrize("hwcaps,want", [
    (("x86-64-v3", "x86-64-v2"), "/usr/lib64/glibc-hwcaps/x86-64-v3/libh.so"),
    (("x86-64-v2",), "/usr/lib64/glibc-hwcaps/x86-64-v2/libh.so"),
    ((), "/usr/lib64/libh.so"),
])
def test_cache_glibc_hwcaps_entries(tmp_path, hwcaps, want):
    base_root(tmp_path)
    for d in ("glibc-hwcaps/x86-64-v3/", "glibc-hwcaps/x86-64-v2/", ""):
        lib(tmp_path, f"/usr/lib64/{d}libh.so", "libh.so")
    write(tmp_path, "/etc/ld.so.cache", W.new_format([
        ("libh.so", "/usr/lib64/glibc-hwcaps/x86-64-v2/libh.so", W.FLAG_X8664, "x86-64-v2"),
        ("libh.so", "/usr/lib64/glibc-hwcaps/x86-64-v3/libh.so", W.FLAG_X8664, "x86-64-v3"),
        ("libh.so", "/usr/lib64/libh.so", W.FLAG_X8664, None)], hwcaps=("x86-64-v2", "x86-64-v3")))
    treebuild.elf(tmp_path / "bin/main", exe=True, needed=("libh.so",))
    got, _ = resolve_in_root(tmp_path, host=HostCpu(62, 64, "x86_64", hwcaps))
    assert got == [("libh.so", want, "ld.so.cache"), I]


def test_nodeflib_skips_default_directories_and_their_cache_entries(tmp_path):
    """glibc's rule (dl-load.c): a -z nodeflib object skips the default directories and every cache
    entry that lies in one; cache entries elsewhere still count."""
    base_root(tmp_path)
    write(tmp_path, "/etc/ld.so.cache", W.new_format([("libconf.so", "/opt/conf/libconf.so", W.FLAG_X8664, None),
                                                      ("libdef.so", "/usr/lib64/libdef.so", W.FLAG_X8664, None)]))
    treebuild.elf(tmp_path / "bin/main", exe=True, needed=("libconf.so", "libdef.so"), nodeflib=True)
    got, r = resolve_in_root(tmp_path)
    assert got == [("libconf.so", "/opt/conf/libconf.so", "ld.so.cache"), ("libdef.so", None, "not-found"), I]
    assert r.missing == ("libdef.so",)


def test_nodeflib_without_cache(tmp_path):
    base_root(tmp_path)
    treebuild.elf(tmp_path / "bin/main", exe=True, needed=("libconf.so", "libdef.so"), nodeflib=True)
    got, _ = resolve_in_root(tmp_path)
    assert got == [("libconf.so", "/opt/conf/libconf.so", "ld.so.conf"), ("libdef.so", None, "not-found"), I]


def test_nodeflib_is_per_object(tmp_path):
    """liba is -z nodeflib, main is not: libdef needed by main is found, by liba it would not be."""
    base_root(tmp_path)
    lib(tmp_path, "/opt/conf/liba.so", "liba.so", "libdef2.so", nodeflib=True)
    lib(tmp_path, "/usr/lib64/libdef2.so", "libdef2.so")
    treebuild.elf(tmp_path / "bin/main", exe=True, needed=("liba.so", "libdef.so"))
    got, _ = resolve_in_root(tmp_path)
    assert got == [("liba.so", "/opt/conf/liba.so", "ld.so.conf"), ("libdef.so", "/usr/lib64/libdef.so", "default"),
                   ("libdef2.so", None, "not-found"), I]


@pytest.mark.parametrize("multiarch", [False, True], ids=["lib64", "debian-multiarch"])
def test_lib_token_and_default_directories(tmp_path, multiarch):
    base_root(tmp_path, multiarch=multiarch)
    libdir = "lib/x86_64-linux-gnu" if multiarch else "lib64"
    lib(tmp_path, f"/opt/{libdir}/libl.so", "libl.so")
    treebuild.elf(tmp_path / "bin/main", exe=True, needed=("libl.so", "libdef.so"), runpath="/opt/$LIB:/opt/${LIB}/x")
    got, _ = resolve_in_root(tmp_path)
    d = "/lib/x86_64-linux-gnu" if multiarch else "/usr/lib64"
    assert got == [("libl.so", f"/opt/{libdir}/libl.so", "runpath"), ("libdef.so", f"{d}/libdef.so", "default"), I]


def test_missing_interpreter(tmp_path):
    base_root(tmp_path)
    os.unlink(tmp_path / INTERP.lstrip("/"))
    treebuild.elf(tmp_path / "bin/main", exe=True, needed=("libdef.so",))
    got, r = resolve_in_root(tmp_path)
    assert got == [("libdef.so", "/usr/lib64/libdef.so", "default"), (INTERP, None, "not-found")]
    assert r.interpreter.path is None and r.missing == (INTERP,)


def test_interpreter_needed_by_soname_is_the_interpreter(tmp_path):
    base_root(tmp_path)
    lib(tmp_path, "/usr/lib64/libc.so.6", "libc.so.6", "ld-linux-x86-64.so.2")
    lib(tmp_path, "/usr/lib64/ld-linux-x86-64.so.2", "ld-linux-x86-64.so.2")  # a second copy, never used
    treebuild.elf(tmp_path / "bin/main", exe=True, needed=("libc.so.6", "libdef.so"))
    got, r = resolve_in_root(tmp_path)
    # ld.so puts itself right after the object before it in the breadth-first search list.
    assert got == [("libc.so.6", "/usr/lib64/libc.so.6", "default"), ("libdef.so", "/usr/lib64/libdef.so", "default"),
                   I]
    assert r.libraries[2].needed_by == (str(tmp_path / "bin/main"), "libc.so.6")


def test_library_input_runs_under_the_machines_loader(tmp_path):
    """ldd on a library lists the loader it would run under where something needs it."""
    base_root(tmp_path)
    lib(tmp_path, "/usr/lib64/libc.so.6", "libc.so.6", "ld-linux-x86-64.so.2")
    lib(tmp_path, "/opt/conf/libtop.so", "libtop.so", "libc.so.6")
    got, r = resolve_in_root(tmp_path, "/opt/conf/libtop.so")
    assert got == [("libc.so.6", "/usr/lib64/libc.so.6", "default"), I]
    assert r.interpreter is None


@reference.needs_tool(shutil.which("ldconfig") or os.path.exists("/sbin/ldconfig"), "ldconfig (libc-bin)")
def test_cache_written_by_the_real_ldconfig(tmp_path):
    """glibc's own ldconfig writes the root's cache; the resolver reads it (and agrees with ldconfig -p)."""
    base_root(tmp_path, multiarch=True)
    lib(tmp_path, "/opt/conf/glibc-hwcaps/x86-64-v2/libconf.so", "libconf.so")
    treebuild.elf(tmp_path / "bin/main", exe=True, needed=("libconf.so", "libdef.so"))
    if not reference.ldconfig_root(tmp_path):
        pytest.skip("ldconfig -r could not write the root's cache here (it needs root, or unshare -r)")
    got, _ = resolve_in_root(tmp_path, host=HostCpu(62, 64, "x86_64", ("x86-64-v2",)))
    assert got == [("libconf.so", "/opt/conf/glibc-hwcaps/x86-64-v2/libconf.so", "ld.so.cache"),
                   ("libdef.so", "/lib/x86_64-linux-gnu/libdef.so", "ld.so.cache"), I]
    got, _ = resolve_in_root(tmp_path, host=None)
    assert got[0] == ("libconf.so", "/opt/conf/libconf.so", "ld.so.cache")


# -- musl ---------------------------------------------------------------------------------------
MUSL_INTERP = "/lib/ld-musl-x86_64.so.1"


def musl_root(root: Path, path_file: str | None) -> None:
    lib(root, MUSL_INTERP, "libc.so")
    if path_file is not None:
        write(root, "/etc/ld-musl-x86_64.path", path_file)
    lib(root, "/usr/lib/libm1.so", "libm1.so", "libc.so")
    lib(root, "/usr/local/lib/libm1.so", "libm1.so")
    lib(root, "/opt/p/libm2.so", "libm2.so")
    lib(root, "/opt/r/libm3.so", "libm3.so", "libm4.so")
    lib(root, "/opt/r/libm4.so", "libm4.so")


def musl_main(root: Path, **kw) -> None:
    src = "void _start(void) { for (;;) ; }\n"
    # zig writes musl's interpreter; gcc would write glibc's.
    treebuild.elf(root / "bin/main", exe=True, target="x86_64-linux-musl", source=src, **kw)


@pytest.mark.parametrize("path_file,want_m1", [
    (None, ("libm1.so", "/usr/local/lib/libm1.so", "ld-musl-path")),           # default /lib:/usr/local/lib:/usr/lib
    ("/usr/lib\n/opt/p", ("libm1.so", "/usr/lib/libm1.so", "ld-musl-path")),   # the path file, newline separated
])
def test_musl_system_path(tmp_path, path_file, want_m1):
    musl_root(tmp_path, path_file)
    musl_main(tmp_path, needed=("libc.so", "libm1.so"))
    got, r = resolve_in_root(tmp_path)
    assert r.rules == "musl"
    assert got == [(MUSL_INTERP, MUSL_INTERP, "interpreter"), want_m1]


def test_musl_rpath_inherited_and_ld_library_path_first(tmp_path):
    musl_root(tmp_path, "/usr/lib")
    lib(tmp_path, "/llp/libm2.so", "libm2.so")
    musl_main(tmp_path, needed=("libm3.so", "libm2.so"), runpath="/opt/r:/opt/p")
    got, _ = resolve_in_root(tmp_path, ld_library_path="/llp")
    # musl: LD_LIBRARY_PATH first, then the requester's DT_RUNPATH/DT_RPATH and its loaders' (inherited).
    assert got == [("libm3.so", "/opt/r/libm3.so", "runpath"), ("libm2.so", "/llp/libm2.so", "ld-library-path"),
                   ("libm4.so", "/opt/r/libm4.so", "runpath"),
                   (MUSL_INTERP, MUSL_INTERP, "interpreter")]
