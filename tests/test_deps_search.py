"""The glibc search order, one named case per rule and combination, over real ELF files linked with
gcc (zig cc for the other-class and other-machine decoys) into temporary trees.

Each case states the whole resolved list: (name, path, via) of every library in load order, the
missing names, and the input's interpreter last (nothing here needs it). Where the real loader can
trace the case on this machine (same CPU, not secure mode), ``ldd`` is asked too and must agree on
every name and real path, with the differences documented in TOLERATED_LDD.
"""
from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import pytest

import reference
from deps_fixtures import treebuild
from linkscope.deps import Env, HostCpu, Session, resolve

pytestmark = [reference.needs_tool(treebuild.have_gcc(), "gcc"),
              pytest.mark.skipif(not os.path.exists("/lib64/ld-linux-x86-64.so.2") or os.uname().machine != "x86_64",
                                 reason="needs an x86-64 glibc system")]

INTERP = "/lib64/ld-linux-x86-64.so.2"
X86_64 = 62

# ldd (glibc 2.36) against linkscope on these trees: the differences, in one place.
TOLERATED_LDD = {
    "unreached-interpreter": "ldd lists the interpreter only when a DT_NEEDED names it; linkscope always lists "
                             "the input's interpreter (last when nothing needs it)",
    "vdso": "ldd lists linux-vdso.so.1, which is the kernel's, not a file",
    "repeated-not-found": "ldd prints a 'not found' line per failed request; linkscope lists each name once",
}


@dataclass
class Case:
    name: str
    files: dict                                   # tree path -> treebuild.elf keyword arguments
    expect: list                                  # (name, path with {T}, via)
    missing: tuple = ()
    links: dict = field(default_factory=dict)     # tree path -> symlink target
    llp: str | None = None                        # LD_LIBRARY_PATH, {T} for the tree
    secure: bool | None = False
    cwd: str | None = None                        # {T}-relative current directory
    host: HostCpu | None = None
    main: str = "bin/main"
    ldd: bool = True
    setuid: bool = False


def lib(soname, *needed, **kw):
    return dict(soname=soname, needed=tuple(needed), **kw)


def exe(*needed, **kw):
    return dict(exe=True, needed=tuple(needed), **kw)


CASES = [
    Case("rpath",
         {"bin/main": exe("liba.so", rpath="$ORIGIN/../lib"), "lib/liba.so": lib("liba.so")},
         [("liba.so", "{T}/bin/../lib/liba.so", "rpath")]),
    Case("runpath",
         {"bin/main": exe("liba.so", runpath="$ORIGIN/../lib"), "lib/liba.so": lib("liba.so")},
         [("liba.so", "{T}/bin/../lib/liba.so", "runpath")]),
    Case("origin-in-braces",
         {"bin/main": exe("liba.so", runpath="${ORIGIN}/../lib"), "lib/liba.so": lib("liba.so")},
         [("liba.so", "{T}/bin/../lib/liba.so", "runpath")]),
    Case("origin-of-a-library-is-its-own-directory",
         {"bin/main": exe("liba.so", runpath="$ORIGIN/../l1"),
          "l1/liba.so": lib("liba.so", "libb.so", runpath="$ORIGIN/sub"),
          "l1/sub/libb.so": lib("libb.so")},
         [("liba.so", "{T}/bin/../l1/liba.so", "runpath"),
          ("libb.so", "{T}/bin/../l1/sub/libb.so", "runpath")]),
    Case("rpath-inherited-by-what-it-loads",
         {"bin/main": exe("liba.so", rpath="$ORIGIN/../l1:$ORIGIN/../l2"),
          "l1/liba.so": lib("liba.so", "libb.so"), "l2/libb.so": lib("libb.so")},
         [("liba.so", "{T}/bin/../l1/liba.so", "rpath"), ("libb.so", "{T}/bin/../l2/libb.so", "rpath")]),
    Case("nested-rpath-own-before-inherited",
         {"bin/main": exe("liba.so", rpath="$ORIGIN/../l1:$ORIGIN/../l2"),
          "l1/liba.so": lib("liba.so", "libb.so", rpath="$ORIGIN/../l3"),
          "l2/libb.so": lib("libb.so"), "l3/libb.so": lib("libb.so")},
         [("liba.so", "{T}/bin/../l1/liba.so", "rpath"), ("libb.so", "{T}/bin/../l1/../l3/libb.so", "rpath")]),
    Case("nested-rpath-three-levels",
         {"bin/main": exe("liba.so", rpath="$ORIGIN/../l1:$ORIGIN/../l3"),
          "l1/liba.so": lib("liba.so", "libb.so", rpath="$ORIGIN/../l2"),
          "l2/libb.so": lib("libb.so", "libc3.so"), "l3/libc3.so": lib("libc3.so")},
         [("liba.so", "{T}/bin/../l1/liba.so", "rpath"), ("libb.so", "{T}/bin/../l1/../l2/libb.so", "rpath"),
          ("libc3.so", "{T}/bin/../l3/libc3.so", "rpath")]),
    Case("runpath-not-inherited",
         {"bin/main": exe("liba.so", runpath="$ORIGIN/../l1:$ORIGIN/../l2"),
          "l1/liba.so": lib("liba.so", "libb.so"), "l2/libb.so": lib("libb.so")},
         [("liba.so", "{T}/bin/../l1/liba.so", "runpath"), ("libb.so", None, "not-found")],
         missing=("libb.so",)),
    Case("runpath-of-the-object-disables-inherited-rpath",
         {"bin/main": exe("liba.so", rpath="$ORIGIN/../l1:$ORIGIN/../l2"),
          "l1/liba.so": lib("liba.so", "libb.so", runpath="$ORIGIN/../l3"), "l2/libb.so": lib("libb.so")},
         [("liba.so", "{T}/bin/../l1/liba.so", "rpath"), ("libb.so", None, "not-found")],
         missing=("libb.so",)),
    Case("ld-library-path-after-rpath",
         {"bin/main": exe("libx.so", rpath="$ORIGIN/../r"), "r/libx.so": lib("libx.so"), "llp/libx.so": lib("libx.so")},
         [("libx.so", "{T}/bin/../r/libx.so", "rpath")], llp="{T}/llp"),
    Case("ld-library-path-before-runpath",
         {"bin/main": exe("libx.so", runpath="$ORIGIN/../r"), "r/libx.so": lib("libx.so"), "llp/libx.so": lib("libx.so")},
         [("libx.so", "{T}/llp/libx.so", "ld-library-path")], llp="{T}/llp"),
    Case("ld-library-path-semicolon-and-empty-entries",
         {"bin/main": exe("libx.so", "liby.so"), "l1/libx.so": lib("libx.so"), "l2/liby.so": lib("liby.so")},
         [("libx.so", "{T}/l1/libx.so", "ld-library-path"), ("liby.so", "{T}/l2/liby.so", "ld-library-path")],
         llp="{T}/nowhere;{T}/l1::{T}/l2/"),
    # In secure mode the executable's $ORIGIN paths count only inside the default directories, so
    # these use an absolute DT_RUNPATH (the tree's path, linked in per test).
    Case("secure-mode-ignores-ld-library-path",
         {"bin/main": exe("libx.so", runpath="{T}/r"), "r/libx.so": lib("libx.so"), "llp/libx.so": lib("libx.so")},
         [("libx.so", "{T}/r/libx.so", "runpath")], llp="{T}/llp", secure=True, ldd=False),
    Case("setuid-bit-means-secure-mode",
         {"bin/main": exe("libx.so", runpath="{T}/r"), "r/libx.so": lib("libx.so"), "llp/libx.so": lib("libx.so")},
         [("libx.so", "{T}/r/libx.so", "runpath")], llp="{T}/llp", secure=None, setuid=True, ldd=False),
    Case("not-secure-the-same-file-takes-ld-library-path",
         {"bin/main": exe("libx.so", runpath="{T}/r"), "r/libx.so": lib("libx.so"), "llp/libx.so": lib("libx.so")},
         [("libx.so", "{T}/llp/libx.so", "ld-library-path")], llp="{T}/llp", secure=None),
    Case("secure-mode-library-origin-still-expands",
         {"bin/main": exe("liba.so", runpath="{T}/l1"), "l1/liba.so": lib("liba.so", "libb.so", runpath="$ORIGIN/sub"),
          "l1/sub/libb.so": lib("libb.so")},
         [("liba.so", "{T}/l1/liba.so", "runpath"), ("libb.so", "{T}/l1/sub/libb.so", "runpath")],
         secure=True, ldd=False),
    Case("secure-mode-drops-origin-not-at-the-start",
         {"bin/main": exe("libx.so", runpath="/nonexistent/$ORIGIN/../r:$ORIGIN/../r2"), "r2/libx.so": lib("libx.so")},
         [("libx.so", None, "not-found")], missing=("libx.so",), secure=True, ldd=False),
    Case("wrong-class-decoy-skipped",
         {"bin/main": exe("libx.so", runpath="$ORIGIN/../a:$ORIGIN/../b"),
          "a/libx.so": lib("libx.so", target="x86-linux-gnu"), "b/libx.so": lib("libx.so")},
         [("libx.so", "{T}/bin/../b/libx.so", "runpath")]),
    Case("wrong-machine-decoy-skipped",
         {"bin/main": exe("libx.so", runpath="$ORIGIN/../a:$ORIGIN/../b"),
          "a/libx.so": lib("libx.so", target="aarch64-linux-gnu"), "b/libx.so": lib("libx.so")},
         [("libx.so", "{T}/bin/../b/libx.so", "runpath")]),
    Case("wrong-class-only-is-not-found",
         {"bin/main": exe("libx.so", runpath="$ORIGIN/../a"), "a/libx.so": lib("libx.so", target="x86-linux-gnu")},
         [("libx.so", None, "not-found")], missing=("libx.so",)),
    Case("missing-library",
         {"bin/main": exe("liba.so", "libnope.so", runpath="$ORIGIN/../lib"), "lib/liba.so": lib("liba.so")},
         [("liba.so", "{T}/bin/../lib/liba.so", "runpath"), ("libnope.so", None, "not-found")],
         missing=("libnope.so",)),
    Case("missing-library-needed-twice-listed-once",
         {"bin/main": exe("liba.so", "libnope.so", runpath="$ORIGIN/../lib"),
          "lib/liba.so": lib("liba.so", "libnope.so")},
         [("liba.so", "{T}/bin/../lib/liba.so", "runpath"), ("libnope.so", None, "not-found")],
         missing=("libnope.so",)),
    Case("cycle",
         {"bin/main": exe("liba.so", rpath="$ORIGIN/../lib"),
          "lib/liba.so": lib("liba.so", "libb.so"), "lib/libb.so": lib("libb.so", "liba.so")},
         [("liba.so", "{T}/bin/../lib/liba.so", "rpath"), ("libb.so", "{T}/bin/../lib/libb.so", "rpath")]),
    Case("library-needs-itself",
         {"bin/main": exe("liba.so", rpath="$ORIGIN/../lib"), "lib/liba.so": lib("liba.so", "liba.so")},
         [("liba.so", "{T}/bin/../lib/liba.so", "rpath")]),
    Case("breadth-first-order",
         {"bin/main": exe("liba.so", "libb.so", rpath="$ORIGIN/../lib"),
          "lib/liba.so": lib("liba.so", "libc3.so"), "lib/libb.so": lib("libb.so", "libd.so"),
          "lib/libc3.so": lib("libc3.so"), "lib/libd.so": lib("libd.so")},
         [("liba.so", "{T}/bin/../lib/liba.so", "rpath"), ("libb.so", "{T}/bin/../lib/libb.so", "rpath"),
          ("libc3.so", "{T}/bin/../lib/libc3.so", "rpath"), ("libd.so", "{T}/bin/../lib/libd.so", "rpath")]),
    Case("already-loaded-by-soname",
         # main needs libx.so, a symlink to libx.so.1 whose soname is libx.so.1; liba needs libx.so.1.
         {"bin/main": exe("libx.so", "liba.so", rpath="$ORIGIN/../lib"),
          "lib/libx.so.1": lib("libx.so.1"), "lib/liba.so": lib("liba.so", "libx.so.1")},
         [("libx.so", "{T}/bin/../lib/libx.so", "rpath"), ("liba.so", "{T}/bin/../lib/liba.so", "rpath")],
         links={"lib/libx.so": "libx.so.1"}),
    Case("same-file-under-two-names-loaded-once",
         {"bin/main": exe("libx.so", "liby.so", rpath="$ORIGIN/../lib"), "lib/libx.so": lib(None)},
         [("libx.so", "{T}/bin/../lib/libx.so", "rpath")], links={"lib/liby.so": "libx.so"}),
    Case("name-with-a-slash-used-as-a-path",
         {"bin/main": exe("sub/libs.so"), "sub/libs.so": lib(None)},
         [("sub/libs.so", "sub/libs.so", "direct")], cwd=""),
    Case("empty-runpath-entry-is-the-current-directory",
         {"bin/main": exe("libx.so", runpath=":/nonexistent"), "cwd/libx.so": lib("libx.so")},
         [("libx.so", "libx.so", "runpath")], cwd="cwd"),
    Case("platform-token",
         {"bin/main": exe("libx.so", runpath="$ORIGIN/../p/$PLATFORM"), "p/haswell/libx.so": lib("libx.so"),
          "p/x86_64/libx.so": lib("libx.so")},
         [("libx.so", "{T}/bin/../p/haswell/libx.so", "runpath")],
         host=HostCpu(X86_64, 64, "haswell"), ldd=False),
    Case("platform-token-generic",
         {"bin/main": exe("libx.so", runpath="$ORIGIN/../p/${PLATFORM}"), "p/haswell/libx.so": lib("libx.so"),
          "p/x86_64/libx.so": lib("libx.so")},
         [("libx.so", "{T}/bin/../p/x86_64/libx.so", "runpath")], host=None, ldd=False),
    Case("glibc-hwcaps-subdirectory-preferred",
         {"bin/main": exe("libx.so", runpath="$ORIGIN/../lib"), "lib/libx.so": lib("libx.so"),
          "lib/glibc-hwcaps/x86-64-v3/libx.so": lib("libx.so"), "lib/glibc-hwcaps/x86-64-v4/libx.so": lib("libx.so")},
         [("libx.so", "{T}/bin/../lib/glibc-hwcaps/x86-64-v3/libx.so", "runpath")],
         host=HostCpu(X86_64, 64, "x86_64", ("x86-64-v3", "x86-64-v2")), ldd=False),
    Case("glibc-hwcaps-not-supported-by-the-cpu",
         {"bin/main": exe("libx.so", runpath="$ORIGIN/../lib"), "lib/libx.so": lib("libx.so"),
          "lib/glibc-hwcaps/x86-64-v4/libx.so": lib("libx.so")},
         [("libx.so", "{T}/bin/../lib/libx.so", "runpath")],
         host=HostCpu(X86_64, 64, "x86_64", ("x86-64-v3", "x86-64-v2")), ldd=False),
    Case("legacy-hwcaps-subdirectory",
         {"bin/main": exe("libx.so", runpath="$ORIGIN/../lib"), "lib/libx.so": lib("libx.so"),
          "lib/tls/libx.so": lib("libx.so"), "lib/haswell/x86_64/libx.so": lib("libx.so")},
         [("libx.so", "{T}/bin/../lib/tls/libx.so", "runpath")],
         host=HostCpu(X86_64, 64, "haswell", (), ("tls", "haswell", "x86_64")), ldd=False),
    Case("lib-token",  # what $LIB is on this machine: Debian's multiarch directory, else lib64 (ldd checks it)
         {"bin/main": exe("libx.so", runpath="$ORIGIN/../$LIB"), "{LIB}/libx.so": lib("libx.so")},
         [("libx.so", "{T}/bin/../{LIB}/libx.so", "runpath")]),
    Case("nodeflib-skips-default-directories-and-their-cache-entries",
         # libm.so.6 is in this machine's ld.so.cache, in a default directory: not for a -z nodeflib object.
         {"bin/main": exe("libm.so.6", "liba.so", runpath="$ORIGIN/../lib", nodeflib=True), "lib/liba.so": lib("liba.so")},
         [("libm.so.6", None, "not-found"), ("liba.so", "{T}/bin/../lib/liba.so", "runpath")],
         missing=("libm.so.6",)),
    Case("dt-needed-with-origin",
         {"bin/main": exe("$ORIGIN/../lib/libo.so"), "lib/libo.so": lib(None)},
         [("{T}/bin/../lib/libo.so", "{T}/bin/../lib/libo.so", "direct")], ldd=False),
]


HOST_LIB = "lib/x86_64-linux-gnu" if os.path.isdir("/lib/x86_64-linux-gnu") or os.path.isdir("/usr/lib/x86_64-linux-gnu") \
    else "lib64"


def _fmt(v, T):
    return None if v is None else v.replace("{T}", T).replace("{LIB}", HOST_LIB)


def _build(case: Case, root: Path) -> Path:
    for rel, kw in case.files.items():
        kw = {k: _fmt(v, str(root)) if k in ("rpath", "runpath") else v for k, v in kw.items()}
        treebuild.elf(root / _fmt(rel, str(root)), **kw)
    for rel, target in case.links.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        os.symlink(target, root / rel)
    main = root / case.main
    if case.setuid:
        os.chmod(main, 0o4755)
    return main


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_search_order(case: Case, tmp_path):
    T = str(tmp_path.resolve())
    main = _build(case, Path(T))
    cwd = T if case.cwd is None else os.path.join(T, case.cwd) if case.cwd else T
    env = Env(root="/", ld_library_path=_fmt(case.llp, T), secure=case.secure, cwd=cwd, host=case.host)
    r = resolve(str(main), env, Session())
    assert r.error is None, r.error
    got = [(l.name, l.path, l.via) for l in r.libraries]
    want = [(_fmt(n, T), _fmt(p, T), v) for n, p, v in case.expect] + [(INTERP, INTERP, "interpreter")]
    assert got == want, r.warnings
    assert r.missing == tuple(case.missing)
    assert r.interpreter is not None and r.interpreter.path == INTERP
    for l in r.libraries:
        if l.path is not None:
            assert l.realpath == os.path.realpath(os.path.join(cwd, l.path))
    if case.ldd and not shutil.which("ldd"):
        reference.tool_missing("ldd (libc-bin)")
    if case.ldd:
        assert _ldd(main, env, cwd) == [(n, rp) for n, _p, rp in
                                         ((l.name, l.path, l.realpath) for l in r.libraries) if n != INTERP]


def _ldd(main: Path, env: Env, cwd: str) -> list[tuple[str, str | None]]:
    out = reference.ldd_run(main, ld_library_path=env.ld_library_path, cwd=cwd).stdout
    return reference.ldd_libraries(out, cwd)


def test_rpath_and_runpath_builds_are_what_the_cases_say(tmp_path):
    """The fixtures really carry the tags the cases rely on (readelf, an independent reader)."""
    if not shutil.which("readelf"):
        reference.tool_missing("readelf (binutils)")
    a = treebuild.elf(tmp_path / "a", exe=True, needed=("liba.so",), rpath="$ORIGIN/x")
    b = treebuild.elf(tmp_path / "b", needed=("libb.so",), soname="libq.so", runpath="$ORIGIN/y", nodeflib=True)
    da, db = reference.readelf(a, "-d"), reference.readelf(b, "-d")
    assert "(RPATH)" in da and "[$ORIGIN/x]" in da and "(RUNPATH)" not in da and "[liba.so]" in da
    assert "(RUNPATH)" in db and "[$ORIGIN/y]" in db and "NODEFLIB" in db and "[libq.so]" in db


def test_one_session_many_inputs(tmp_path):
    """Inputs of one call share parsed libraries and closures, never each other's answers: $ORIGIN
    differs per input, needed_by names each input, and a closure that loops back to its input is
    not reused for another file."""
    T = tmp_path.resolve()
    for d in ("a", "b"):
        treebuild.elf(T / d / "bin/main", exe=True, needed=("libx.so",), runpath="$ORIGIN/../lib")
        treebuild.elf(T / d / "lib/libx.so", soname="libx.so")
    treebuild.elf(T / "c/main", exe=True, needed=("libx.so",), runpath=f"{T}/a/lib")
    treebuild.elf(T / "d/main", exe=True, needed=("libx.so",), runpath=f"{T}/a/lib")
    treebuild.elf(T / "e/liba.so", soname="liba.so", needed=("libb.so",), runpath="$ORIGIN")
    treebuild.elf(T / "e/libb.so", soname="libb.so", needed=("liba.so",))
    shutil.copytree(T / "e", T / "f")
    s, env = Session(), Env(cwd=str(T))
    ra, rb, rc, rd, re_, rf = (resolve(str(T / p), env, s) for p in
                               ("a/bin/main", "b/bin/main", "c/main", "d/main", "e/liba.so", "f/liba.so"))
    assert ra.libraries[0].path == f"{T}/a/bin/../lib/libx.so"
    assert rb.libraries[0].path == f"{T}/b/bin/../lib/libx.so"
    assert rc.libraries[0].path == rd.libraries[0].path == f"{T}/a/lib/libx.so"
    assert rc.libraries[0].needed_by == (str(T / "c/main"),) and rd.libraries[0].needed_by == (str(T / "d/main"),)
    for r, d in ((re_, "e"), (rf, "f")):
        assert [(l.name, l.path) for l in r.libraries] == [("libb.so", f"{T}/{d}/libb.so")]


def test_file_capabilities_mean_secure_mode(tmp_path):
    """AT_SECURE is set for a file with capabilities too (security.capability), not only set-uid."""
    setcap = shutil.which("setcap") or ("/usr/sbin/setcap" if os.path.exists("/usr/sbin/setcap") else None)
    if setcap is None:
        reference.tool_missing("setcap (libcap2-bin)")
    T = str(tmp_path.resolve())
    main = treebuild.elf(Path(T) / "bin/main", exe=True, needed=("libx.so",), runpath=f"{T}/r")
    treebuild.elf(Path(T) / "r/libx.so", soname="libx.so")
    treebuild.elf(Path(T) / "llp/libx.so", soname="libx.so")
    if subprocess.run([setcap, "cap_net_raw+ep", str(main)], capture_output=True).returncode != 0:
        pytest.skip("cannot set file capabilities here")
    r = resolve(str(main), Env(ld_library_path=f"{T}/llp", cwd=T), Session())
    assert [(l.name, l.path, l.via) for l in r.libraries][0] == ("libx.so", f"{T}/r/libx.so", "runpath")
