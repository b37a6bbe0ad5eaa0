"""Hostile roots: each trap gives a diagnostic and the rest of the answer, never a hang or a path
outside the root."""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import reference

from deps_fixtures import treebuild
from deps_fixtures.rooted import resolve_in_root

pytestmark = [reference.needs_tool(treebuild.have_gcc(), "gcc"),
              pytest.mark.skipif(os.uname().machine != "x86_64", reason="the fixtures are x86-64 ELF files")]

INTERP = "/lib64/ld-linux-x86-64.so.2"
I = (INTERP, INTERP, "interpreter")
REPO = Path(__file__).resolve().parent.parent


def lib(root: Path, rel: str, soname, *needed, **kw) -> Path:
    return treebuild.elf(root / rel.lstrip("/"), soname=soname, needed=tuple(needed), **kw)


def write(root: Path, rel: str, data) -> None:
    p = root / rel.lstrip("/")
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_bytes(data.encode() if isinstance(data, str) else data)


def symlink(root: Path, rel: str, target: str) -> None:
    p = root / rel.lstrip("/")
    p.parent.mkdir(parents=True, exist_ok=True)
    os.symlink(target, p)


def make_root(root: Path) -> None:
    lib(root, INTERP, "ld-linux-x86-64.so.2")
    lib(root, "/usr/lib64/libdef.so", "libdef.so")
    lib(root, "/opt/conf/libconf.so", "libconf.so")
    write(root, "/etc/ld.so.conf", "include /etc/ld.so.conf.d/*.conf\n")
    write(root, "/etc/ld.so.conf.d/opt.conf", "/opt/conf\n")


def test_symlink_loop(tmp_path):
    make_root(tmp_path)
    symlink(tmp_path, "/usr/lib64/libloop.so", "libloop2.so")
    symlink(tmp_path, "/usr/lib64/libloop2.so", "./libloop.so")
    symlink(tmp_path, "/opt/self", "/opt/self/x")           # a loop through a directory
    treebuild.elf(tmp_path / "bin/main", exe=True, needed=("libloop.so", "libdef.so"), runpath="/opt/self")
    got, r = resolve_in_root(tmp_path)
    assert got == [("libloop.so", None, "not-found"), ("libdef.so", "/usr/lib64/libdef.so", "default"), I]
    assert any("too many levels of symbolic links" in w and "libloop" in w for w in r.warnings), r.warnings
    assert any("/opt/self" in w and "symbolic links" in w for w in r.warnings), r.warnings


def test_include_loop(tmp_path):
    make_root(tmp_path)
    write(tmp_path, "/etc/ld.so.conf", "include /etc/ld.so.conf\ninclude /etc/a.conf\n/opt/conf\n")
    write(tmp_path, "/etc/a.conf", "include b.conf\n")
    write(tmp_path, "/etc/b.conf", "include /etc/*.conf\n/opt/b\n")
    lib(tmp_path, "/opt/b/libb.so", "libb.so")
    treebuild.elf(tmp_path / "bin/main", exe=True, needed=("libconf.so", "libb.so"))
    got, r = resolve_in_root(tmp_path)
    assert got == [("libconf.so", "/opt/conf/libconf.so", "ld.so.conf"), ("libb.so", "/opt/b/libb.so", "ld.so.conf"), I]
    assert any("include loop" in w for w in r.warnings), r.warnings


@pytest.mark.parametrize("data,why", [
    (os.urandom(4096), "not a cache file"),
    (b"glibc-ld.so.cache1.1" + (1 << 30).to_bytes(4, "little") + bytes(100), "declares"),
    (b"ld.so-1.7.0\0" + (1 << 30).to_bytes(4, "little") + bytes(100), "declares"),
    (b"glibc-ld.so.cache1.1", "truncated"),
], ids=["random", "huge-count", "old-huge-count", "truncated"])
def test_corrupt_cache(tmp_path, data, why):
    make_root(tmp_path)
    write(tmp_path, "/etc/ld.so.cache", data)
    treebuild.elf(tmp_path / "bin/main", exe=True, needed=("libconf.so", "libdef.so"))
    got, r = resolve_in_root(tmp_path)
    assert got == [("libconf.so", "/opt/conf/libconf.so", "ld.so.conf"),
                   ("libdef.so", "/usr/lib64/libdef.so", "default"), I]
    assert any(why in w for w in r.warnings), r.warnings
    assert any("searching the directories of ld.so.conf" in w for w in r.warnings), r.warnings


def test_absolute_symlinks_stay_inside_the_root(tmp_path):
    make_root(tmp_path)
    host_lib = "/usr/lib/x86_64-linux-gnu/libc.so.6"
    symlink(tmp_path, "/usr/lib64/libevil.so", host_lib)                # exists on the host, not in the root
    symlink(tmp_path, "/usr/lib64/libclimb.so", "../../../../../../../../etc/passwd")
    symlink(tmp_path, "/usr/lib64/libok.so", "/opt/conf/libconf.so")    # absolute, taken inside the root
    symlink(tmp_path, "/lib", "/")                                      # /lib -> / : still the root
    treebuild.elf(tmp_path / "bin/main", exe=True, needed=("libevil.so", "libclimb.so", "libok.so", "libdef.so"),
                  runpath="/lib/lib/usr/lib64")
    got, r = resolve_in_root(tmp_path)
    assert got == [("libevil.so", None, "not-found"), ("libclimb.so", None, "not-found"),
                   ("libok.so", "/lib/lib/usr/lib64/libok.so", "runpath"),
                   ("libdef.so", "/lib/lib/usr/lib64/libdef.so", "runpath"), I]
    assert r.libraries[2].realpath == "/opt/conf/libconf.so"
    assert any("points outside the root" in w and "libevil" in w for w in r.warnings), r.warnings
    assert any("climbs above the root" in w for w in r.warnings), r.warnings


def test_not_an_elf_file_in_the_path_is_reported_and_passed_over(tmp_path):
    make_root(tmp_path)
    write(tmp_path, "/opt/a/libdef.so", "/* GNU ld script */ INPUT(libdef.so.1)\n")
    write(tmp_path, "/opt/b/libdef.so", b"\x7fELF")                           # truncated
    treebuild.elf(tmp_path / "bin/main", exe=True, needed=("libdef.so",), runpath="/opt/a:/opt/b")
    got, r = resolve_in_root(tmp_path)
    assert got == [("libdef.so", "/usr/lib64/libdef.so", "default"), I]
    assert any("/opt/a/libdef.so: invalid ELF header" in w for w in r.warnings), r.warnings
    assert any("/opt/b/libdef.so: file too short" in w for w in r.warnings), r.warnings


def test_damaged_library_is_listed_with_its_needs_unknown(tmp_path):
    make_root(tmp_path)
    p = lib(tmp_path, "/usr/lib64/libbad.so", "libbad.so", "libdef.so")
    data = bytearray(p.read_bytes())
    data[32:40] = (len(data) + 4096).to_bytes(8, "little")                   # e_phoff past the end
    p.write_bytes(bytes(data))
    treebuild.elf(tmp_path / "bin/main", exe=True, needed=("libbad.so",))
    got, r = resolve_in_root(tmp_path)
    assert got == [("libbad.so", "/usr/lib64/libbad.so", "default"), I]
    assert any("libbad.so" in w and "dependencies are unknown" in w for w in r.warnings), r.warnings


def test_object_limit(tmp_path):
    make_root(tmp_path)
    names = [f"libn{i}.so" for i in range(12)]
    for n in names:
        lib(tmp_path, f"/usr/lib64/{n}", n)
    treebuild.elf(tmp_path / "bin/main", exe=True, needed=tuple(names))
    got, r = resolve_in_root(tmp_path, max_objects=5)
    assert [g[0] for g in got] == names[:5] + [INTERP]
    assert any("more than 5 objects" in w for w in r.warnings)


# -- unreadable directories --------------------------------------------------------------------------
_CHILD = """
import json, sys
sys.path.insert(0, sys.argv[1])
from linkscope.deps import Env, Session, resolve
r = resolve(sys.argv[2] + "/bin/main", Env(root=sys.argv[2], cwd="/"), Session())
print(json.dumps({"got": [[l.name, l.path, l.via] for l in r.libraries], "warnings": list(r.warnings)}))
"""


def _without_dac_override() -> list[str] | None:
    """A command prefix that runs a child unable to bypass file permissions, or None."""
    if os.geteuid() != 0:
        return []
    if shutil.which("setpriv"):
        return ["setpriv", "--inh-caps=-all", "--bounding-set=-dac_override,-dac_read_search", "--"]
    if shutil.which("capsh"):
        return None
    return None


def test_unreadable_directories(tmp_path):
    prefix = _without_dac_override()
    if prefix is None:
        pytest.skip("running as root without setpriv: cannot make a directory unreadable")
    make_root(tmp_path)
    lib(tmp_path, "/opt/locked/libdef.so", "libdef.so")
    write(tmp_path, "/etc/ld.so.conf.d/z.conf", "/opt/z\n")
    lib(tmp_path, "/opt/z/libz.so", "libz.so")
    write(tmp_path, "/etc/ld.so.conf", "include /etc/ld.so.conf.d/*.conf\ninclude /etc/locked.d/*.conf\n")
    write(tmp_path, "/etc/locked.d/x.conf", "/opt/x\n")
    treebuild.elf(tmp_path / "bin/main", exe=True, needed=("libdef.so", "libconf.so", "libz.so"),
                  runpath="/opt/locked")
    os.chmod(tmp_path / "opt/locked", 0)
    os.chmod(tmp_path / "etc/locked.d", 0)
    try:
        p = subprocess.run(prefix + [sys.executable, "-c", _CHILD, str(REPO / "src"), str(tmp_path)],
                           capture_output=True, text=True, timeout=120)
    finally:
        os.chmod(tmp_path / "opt/locked", 0o755)
        os.chmod(tmp_path / "etc/locked.d", 0o755)
    if p.returncode != 0 and "setpriv" in p.stderr:
        pytest.skip(f"setpriv refused here: {p.stderr.strip()}")
    assert p.returncode == 0, p.stderr
    out = json.loads(p.stdout)
    assert [tuple(g) for g in out["got"]] == [("libdef.so", "/usr/lib64/libdef.so", "default"),
                                              ("libconf.so", "/opt/conf/libconf.so", "ld.so.conf"),
                                              ("libz.so", "/opt/z/libz.so", "ld.so.conf"), I]
    assert any("/opt/locked" in w and "permission denied" in w for w in out["warnings"]), out["warnings"]
    assert any("/etc/locked.d" in w and "cannot read directory" in w for w in out["warnings"]), out["warnings"]


def test_a_file_that_spends_the_search_budget_spoils_no_other_input(tmp_path):
    """One hostile file among the inputs of one `deps` call: 100 RUNPATH directories times 201
    needed names are more than the 20,000 candidate paths one input may try, so its last names,
    libdef.so among them, are cut (taken as not found, with the warning). The searches the cut
    ended are its alone: the next input, a plain program, finds libdef.so in the default directory;
    a copy of the hostile file is not handed the cut closure either. Its first searches are the
    ones already made (the budget counts the paths an input tries itself), so it finds libdef.so."""
    make_root(tmp_path)
    dirs = ":".join(f"/opt/d{i}" for i in range(100))
    names = tuple(f"libnone{i}.so" for i in range(200)) + ("libdef.so",)
    treebuild.elf(tmp_path / "bin/hostile", exe=True, needed=names, runpath=dirs)
    shutil.copy(tmp_path / "bin/hostile", tmp_path / "bin/hostile-copy")
    treebuild.elf(tmp_path / "bin/plain", exe=True, needed=("libdef.so",))
    out = subprocess.run([sys.executable, "-m", "linkscope", "deps", "--json", "--root", str(tmp_path),
                          "/bin/hostile", "/bin/plain", "/bin/hostile-copy"],
                         capture_output=True, text=True, timeout=300, env=dict(os.environ, PYTHONPATH=str(REPO / "src")))
    docs = {d["path"]: d for d in json.loads(out.stdout)["results"]}
    said = []   # the warnings are on stderr, one line each, named by input
    for line in out.stderr.splitlines():
        m = re.fullmatch(r"linkscope deps: (/bin/[\w-]+): more than 20000 candidate paths tried: (libnone\d+\.so) and "
                         r"the names after it searched no further \(taken as not found\)", line)
        if m:
            said.append(m[1])
    assert said == ["/bin/hostile"], out.stderr[-2000:]
    # The document says it too, on that record alone, in stderr's words: a consumer of the JSON sees the cut.
    stderr = {h: [l[len(f"linkscope deps: {h}: "):] for l in out.stderr.splitlines()
                  if l.startswith(f"linkscope deps: {h}: ")] for h in docs}
    assert [w for w in docs["/bin/hostile"]["warnings"] if "candidate paths tried" in w] == [
        w for w in stderr["/bin/hostile"] if "candidate paths tried" in w] != []
    assert {h: docs[h]["warnings"] for h in docs} == stderr
    reference.validate(json.loads(out.stdout), "deps.schema.json")
    found = {h: {l["name"]: l["path"] for l in docs[h]["libraries"]} for h in docs}
    assert found["/bin/hostile"]["libdef.so"] is None
    assert found["/bin/hostile-copy"]["libdef.so"] == "/usr/lib64/libdef.so"
    assert docs["/bin/hostile-copy"]["missing"] == list(names[:-1])
    plain = docs["/bin/plain"]
    assert [(l["name"], l["path"]) for l in plain["libraries"]] == [("libdef.so", "/usr/lib64/libdef.so"), (INTERP, INTERP)]
    assert plain["missing"] == []
