"""glibc's search rules (linkscope.deps.glibc, after glibc 2.36's elf/dl-load.c) that mutation testing
showed no test pinned down: dynamic string tokens (is_dst, _dl_dst_substitute), the secure-mode
trusted-directory check (is_trusted_path_normalize), the legacy hwcaps subdirectories, what each
machine's configuration derives (platform, $LIB, default directories, cache flags), the RPATH chain
(including the interpreter's own needs, searched with the executable's RPATH), search-path splitting,
relative $ORIGIN, name matching, and what is reported for every candidate the loader would pass over
or stop at. Expected values are written from glibc's rules, Debian's multiarch tuples and glibc's
ldconfig.h flags.

The pure functions are called directly; the rules run end to end through ``resolve`` over small fake
roots of real ELF files (tests/deps_fixtures/treebuild.py), some with header fields patched to stand
for another machine, class, byte order or file type.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import pytest

import reference
from deps_fixtures import ldcache_writer as W
from deps_fixtures import treebuild
from linkscope.deps import Env, HostCpu, Session, resolve
from linkscope.deps.glibc import GlibcConfig, _trusted, legacy_subdirs, substitute
from linkscope.deps.objects import ElfIdent

INTERP = "/lib64/ld-linux-x86-64.so.2"
I = (INTERP, INTERP, "interpreter")
EM_ARM, EM_S390, EM_X86_64, EM_AARCH64, EM_RISCV = 40, 22, 62, 183, 243
MULTIARCH_X86_64 = ("/lib/x86_64-linux-gnu/", "/usr/lib/x86_64-linux-gnu/", "/lib/", "/usr/lib/")


# -- dynamic string tokens ------------------------------------------------------------------------------
@pytest.mark.parametrize("s,want", [
    ("$ORIGIN/x", "/o/x"),
    ("$ORIGIN", "/o"),
    ("${ORIGIN}/x", "/o/x"),
    ("${ORIGIN}", "/o"),
    ("$ORIGINX/x", "$ORIGINX/x"),          # a longer name is not the token (is_dst: next char alnum or _)
    ("$ORIGIN_/x", "$ORIGIN_/x"),
    ("$ORIGIN1", "$ORIGIN1"),
    ("$ORIGIN.x", "/o.x"),
    ("${ORIGINX}/a", "${ORIGINX}/a"),      # braces must close right after the name
    ("${ORIGIN", "${ORIGIN"),
    ("/a/$LIB/b/$LIB", "/a/L/b/L"),        # every token, not only the last
    ("/a/$FOO/b", "/a/$FOO/b"),            # an unknown token stays as written
    ("$", "$"),
    ("a$", "a$"),
    ("/x/$ORIGIN", "/x//o"),               # anywhere in the element when not secure
    ("/p/$PLATFORM/q", "/p/haswell/q"),
    ("/p/${PLATFORM}", "/p/haswell"),
    ("$LIB$LIB", "LL"),
])
def test_substitute(s, want):
    assert substitute(s, "/o", "haswell", "L") == want


@pytest.mark.parametrize("s,origin,platform", [("$ORIGIN/x", None, "p"), ("/a/$PLATFORM", "/o", None),
                                               ("${PLATFORM}/$ORIGIN", "/o", None)])
def test_substitute_token_without_value_drops_the_element(s, origin, platform):
    assert substitute(s, origin, platform, "lib") is None


@pytest.mark.parametrize("s,want", [
    ("$ORIGIN", "/o"), ("$ORIGIN/x", "/o/x"), ("${ORIGIN}/x", "/o/x"),
    ("$ORIGIN.x", None), ("${ORIGIN}x", None),           # followed by something other than "/" or the end
    ("/x/$ORIGIN", None), ("$LIB/$ORIGIN", None),         # not at the start of the element
    ("$LIB/x", "lib/x"), ("/plain", "/plain"),
])
def test_substitute_secure_mode_origin_only_at_the_start(s, want):
    assert substitute(s, "/o", None, "lib", secure=True) == want


def test_substitute_secure_executable_origin_must_land_in_a_trusted_directory():
    trusted = ("/lib/", "/usr/lib/")
    assert substitute("$ORIGIN/../lib", "/usr/bin", None, "lib", True, True, trusted) == "/usr/bin/../lib"
    assert substitute("$ORIGIN/../lib", "/opt/bin", None, "lib", True, True, trusted) is None
    # only for the executable's own paths (is_exe defaults to False), only in secure mode
    assert substitute("$ORIGIN", "/opt", None, "lib", True, trusted=trusted) == "/opt"
    assert substitute("$ORIGIN", "/opt", None, "lib", False, True, trusted) == "/opt"
    assert substitute("/usr/lib", "/opt", None, "lib", True, True, trusted) == "/usr/lib"


@pytest.mark.parametrize("path,want", [
    ("/usr/lib", True), ("/usr/lib/", True), ("/usr/lib/x", True), ("/usr/./lib", True), ("/usr//lib", True),
    ("/opt/../usr/lib", True), ("/../usr/lib", True), ("/usr/lib/x/..", True), ("/usr/X/../lib", True),
    ("/usr/lib/..", False), ("/usr/lib64", False), ("/usr/libexec/x", False), ("/opt", False),
    ("/", False), ("", False), ("/lib/x86_64-linux-gnu/../../usr/lib", True),
])
def test_trusted_path_normalised(path, want):
    assert _trusted(path, MULTIARCH_X86_64) is want


def test_legacy_hwcaps_subdirectories_most_specific_first():
    # the order glibc < 2.37 tries them (LD_DEBUG=libs on such a CPU)
    assert legacy_subdirs(("tls", "haswell", "x86_64")) == [
        "tls/haswell/x86_64/", "tls/haswell/", "tls/x86_64/", "tls/", "haswell/x86_64/", "haswell/", "x86_64/"]
    assert legacy_subdirs(("tls", "x86_64")) == ["tls/x86_64/", "tls/", "x86_64/"]
    assert legacy_subdirs(("x86_64",)) == ["x86_64/"]
    assert legacy_subdirs(()) == []


# -- what the machine and the root give --------------------------------------------------------------
@dataclass
class Dirs:
    dirs: tuple = ()

    def isdir(self, p, cwd=None):
        return p in self.dirs


def ident(machine, bits=64, little=True, eflags=0):
    return ElfIdent(bits, little, machine, 3, eflags, 0)


X86_HOST = HostCpu(EM_X86_64, 64, "haswell", ("x86-64-v3", "x86-64-v2"), ("tls", "x86_64"))


@pytest.mark.parametrize("name,i,dirs,want", [
    ("aarch64-multiarch", ident(EM_AARCH64), ("/usr/lib/aarch64-linux-gnu",),
     ("aarch64", "lib/aarch64-linux-gnu",
      ("/lib/aarch64-linux-gnu/", "/usr/lib/aarch64-linux-gnu/", "/lib/", "/usr/lib/"), {0xA03})),
    ("aarch64-lib64", ident(EM_AARCH64), (), ("aarch64", "lib64", ("/lib64/", "/usr/lib64/"), {0xA03})),
    ("aarch64_be-multiarch", ident(EM_AARCH64, little=False), ("/lib/aarch64_be-linux-gnu",),
     ("aarch64_be", "lib/aarch64_be-linux-gnu",
      ("/lib/aarch64_be-linux-gnu/", "/usr/lib/aarch64_be-linux-gnu/", "/lib/", "/usr/lib/"), {0xA03})),
    ("s390x", ident(EM_S390), (), ("s390x", "lib64", ("/lib64/", "/usr/lib64/"), {0x403})),
    ("armhf-multiarch", ident(EM_ARM, 32, True, 0x05000400), ("/lib/arm-linux-gnueabihf",),
     ("v7l", "lib/arm-linux-gnueabihf",
      ("/lib/arm-linux-gnueabihf/", "/usr/lib/arm-linux-gnueabihf/", "/lib/", "/usr/lib/"), {0x903})),
    ("armhf-no-multiarch", ident(EM_ARM, 32, True, 0x05000400), ("/lib/arm-linux-gnueabi",),
     ("v7l", "lib", ("/lib/", "/usr/lib/"), {0x903})),
    ("armel", ident(EM_ARM, 32, True, 0x05000200), ("/lib/arm-linux-gnueabi",),
     ("v7l", "lib/arm-linux-gnueabi",
      ("/lib/arm-linux-gnueabi/", "/usr/lib/arm-linux-gnueabi/", "/lib/", "/usr/lib/"), {0xB03, 0x3, 0x1})),
    ("riscv64-lp64d", ident(EM_RISCV, eflags=0x5), (),
     (None, "lib64/lp64d", ("/lib64/lp64d/", "/usr/lib64/lp64d/"), {0x1003})),
    ("riscv64-lp64", ident(EM_RISCV, eflags=0x1), (),
     (None, "lib64/lp64", ("/lib64/lp64/", "/usr/lib64/lp64/"), {0xF03})),
    ("x32", ident(EM_X86_64, 32), (), ("x86_64", "libx32", ("/libx32/", "/usr/libx32/"), {0x803})),
])
def test_config_of_another_machine(name, i, dirs, want):
    cfg = GlibcConfig(Dirs(dirs), X86_HOST, i)
    assert (cfg.platform, cfg.lib, cfg.system_dirs, set(cfg.accept_flags)) == want
    assert (cfg.hwcaps, cfg.capstrs) == ((), ("",))       # the host CPU's subdirectories are not its


def test_config_of_the_host_machine():
    cfg = GlibcConfig(Dirs(("/lib/x86_64-linux-gnu",)), X86_HOST, ident(EM_X86_64))
    assert (cfg.platform, cfg.lib, cfg.system_dirs, set(cfg.accept_flags)) == (
        "haswell", "lib/x86_64-linux-gnu", MULTIARCH_X86_64, {0x303})
    assert cfg.capstrs == ("glibc-hwcaps/x86-64-v3/", "glibc-hwcaps/x86-64-v2/", "tls/x86_64/", "tls/", "x86_64/", "")
    bare = GlibcConfig(Dirs(), HostCpu(EM_X86_64, 64), ident(EM_X86_64))
    assert (bare.platform, bare.lib, bare.system_dirs, bare.capstrs) == ("x86_64", "lib64", ("/lib64/", "/usr/lib64/"),
                                                                         ("",))


# -- end to end over fake roots ---------------------------------------------------------------------
pytestmark = [reference.needs_tool(treebuild.have_gcc(), "gcc")]


def lib(root: Path, rel: str, soname: str | None, *needed: str, **kw) -> Path:
    return treebuild.elf(root / rel.lstrip("/"), soname=soname, needed=tuple(needed), **kw)


def exe(root: Path, rel: str, *needed: str, **kw) -> Path:
    return treebuild.elf(root / rel.lstrip("/"), exe=True, needed=tuple(needed), **kw)


def write(root: Path, rel: str, data: bytes | str) -> None:
    p = root / rel.lstrip("/")
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_bytes(data.encode() if isinstance(data, str) else data)


def patch(p: Path, *, machine: int | None = None, etype: int | None = None, data: int | None = None,
          eflags: int | None = None) -> Path:
    """Rewrite ELF header fields in place: e_machine, e_type, EI_DATA, e_flags (little-endian file)."""
    b = bytearray(p.read_bytes())
    if machine is not None:
        b[18:20] = machine.to_bytes(2, "little")
    if etype is not None:
        b[16:18] = etype.to_bytes(2, "little")
    if eflags is not None:
        off = 48 if b[4] == 2 else 36
        b[off:off + 4] = eflags.to_bytes(4, "little")
    if data is not None:
        b[5] = data
    p.write_bytes(bytes(b))
    return p


def interp(root: Path, *needed: str) -> None:
    lib(root, INTERP, "ld-linux-x86-64.so.2", *needed)


def run(root: Path, main: str = "/bin/main", session: Session | None = None, **env):
    env.setdefault("cwd", "/")
    r = resolve(str(root / main.lstrip("/")), Env(root=str(root), **env), session or Session())
    assert r.error is None, r.error
    return [(l.name, l.path, l.via) for l in r.libraries], r


def test_interpreters_needs_searched_with_the_executables_rpath(tmp_path):
    """ld.so's own map has no loader: a name it needs is searched in its own paths, then in the
    executable's DT_RPATH (dl-load.c, the main map's RPATH after the loader chain)."""
    interp(tmp_path, "libq.so")
    lib(tmp_path, "/opt/r/libq.so", "libq.so")
    exe(tmp_path, "/bin/main", "ld-linux-x86-64.so.2", rpath="/opt/r")
    got, r = run(tmp_path)
    assert got == [I, ("libq.so", "/opt/r/libq.so", "rpath")]
    assert r.missing == ()


def test_rpath_of_every_loader_in_the_chain(tmp_path):
    """libc3 is only in liba's DT_RPATH; libb (loaded by liba, no paths of its own) finds it there."""
    interp(tmp_path)
    exe(tmp_path, "/bin/main", "liba.so", rpath="/opt/a")
    lib(tmp_path, "/opt/a/liba.so", "liba.so", "libb.so", rpath="/opt/b")
    lib(tmp_path, "/opt/b/libb.so", "libb.so", "libc3.so")
    lib(tmp_path, "/opt/b/libc3.so", "libc3.so")
    got, _ = run(tmp_path)
    assert got == [("liba.so", "/opt/a/liba.so", "rpath"), ("libb.so", "/opt/b/libb.so", "rpath"),
                   ("libc3.so", "/opt/b/libc3.so", "rpath"), I]


@pytest.mark.parametrize("tag", ["rpath", "runpath"])
def test_search_path_split_only_at_colons(tmp_path, tag):
    interp(tmp_path)
    lib(tmp_path, "/opt/X1/libp.so", "libp.so")
    lib(tmp_path, "/opt/X2/libq.so", "libq.so")
    exe(tmp_path, "/bin/main", "libq.so", "libp.so", **{tag: "/opt/X0:/opt/X2:/opt/X1"})
    got, _ = run(tmp_path)
    assert got == [("libq.so", "/opt/X2/libq.so", tag), ("libp.so", "/opt/X1/libp.so", tag), I]


def test_ld_library_path_split_at_colons_and_semicolons(tmp_path):
    interp(tmp_path)
    lib(tmp_path, "/opt/X1/libp.so", "libp.so")
    lib(tmp_path, "/opt/X2/libq.so", "libq.so")
    exe(tmp_path, "/bin/main", "libq.so", "libp.so")
    got, _ = run(tmp_path, ld_library_path="/opt/X0;/opt/X2:/opt/X1", secure=False)
    assert got == [("libq.so", "/opt/X2/libq.so", "ld-library-path"), ("libp.so", "/opt/X1/libp.so", "ld-library-path"), I]


def test_ld_library_path_origin_is_the_executables_directory(tmp_path):
    interp(tmp_path)
    lib(tmp_path, "/opt/llp/libx.so", "libx.so")
    exe(tmp_path, "/opt/bin/main", "libx.so")
    got, _ = run(tmp_path, "/opt/bin/main", ld_library_path="$ORIGIN/../llp", secure=False)
    assert got == [("libx.so", "/opt/bin/../llp/libx.so", "ld-library-path"), I]


def test_empty_runpath_is_ignored_not_the_current_directory(tmp_path):
    interp(tmp_path)
    lib(tmp_path, "/w/libx.so", "libx.so")
    exe(tmp_path, "/bin/main", "libx.so", runpath="")
    got, r = run(tmp_path, cwd="/w")
    assert got == [("libx.so", None, "not-found"), I] and r.missing == ("libx.so",)


# secure mode: the executable's $ORIGIN only where it lands in a default directory
def test_secure_executable_rpath_origin_outside_default_directories_dropped(tmp_path):
    interp(tmp_path)
    lib(tmp_path, "/opt/lib/libx.so", "libx.so")
    exe(tmp_path, "/opt/bin/main", "libx.so", rpath="$ORIGIN/../lib")
    assert run(tmp_path, "/opt/bin/main", secure=True)[0] == [("libx.so", None, "not-found"), I]
    assert run(tmp_path, "/opt/bin/main", secure=False)[0] == [("libx.so", "/opt/bin/../lib/libx.so", "rpath"), I]


def test_secure_executable_rpath_origin_into_a_default_directory_kept(tmp_path):
    interp(tmp_path)
    lib(tmp_path, "/usr/lib64/libx.so", "libx.so")
    exe(tmp_path, "/usr/bin/main", "libx.so", rpath="$ORIGIN/../lib64")
    got, _ = run(tmp_path, "/usr/bin/main", secure=True)
    assert got == [("libx.so", "/usr/bin/../lib64/libx.so", "rpath"), I]


def test_secure_library_rpath_origin_still_expands(tmp_path):
    interp(tmp_path)
    exe(tmp_path, "/bin/main", "liba.so", runpath="/opt/l1")
    lib(tmp_path, "/opt/l1/liba.so", "liba.so", "libb.so", rpath="$ORIGIN/sub")
    lib(tmp_path, "/opt/l1/sub/libb.so", "libb.so")
    got, _ = run(tmp_path, secure=True)
    assert got == [("liba.so", "/opt/l1/liba.so", "runpath"), ("libb.so", "/opt/l1/sub/libb.so", "rpath"), I]


def test_secure_dt_needed_with_origin(tmp_path):
    """DT_NEEDED "$ORIGIN/..." of the executable in secure mode: kept only inside a default
    directory; dropped, with a warning, elsewhere; a library's own is not checked."""
    interp(tmp_path)
    lib(tmp_path, "/usr/lib64/libo.so", None)
    lib(tmp_path, "/opt/lib/libo.so", None, "$ORIGIN/sub/libn.so")
    lib(tmp_path, "/opt/lib/sub/libn.so", None)
    exe(tmp_path, "/usr/bin/main", "$ORIGIN/../lib64/libo.so")
    exe(tmp_path, "/opt/bin/main", "$ORIGIN/../lib/libo.so")
    exe(tmp_path, "/opt/bin/user", "liba.so", runpath="/opt/lib")
    lib(tmp_path, "/opt/lib/liba.so", "liba.so", "$ORIGIN/sub/libn.so")
    got, r = run(tmp_path, "/usr/bin/main", secure=True)
    assert got == [("/usr/bin/../lib64/libo.so", "/usr/bin/../lib64/libo.so", "direct"), I] and r.warnings == ()
    got, r = run(tmp_path, "/opt/bin/main", secure=True)
    assert got == [I]
    assert r.warnings == (f"{tmp_path}/opt/bin/main: DT_NEEDED '$ORIGIN/../lib/libo.so': a dynamic string token has "
                          "no value here; skipped, as ld.so skips it",)
    got, r = run(tmp_path, "/opt/bin/main", secure=False)
    assert got == [("/opt/bin/../lib/libo.so", "/opt/bin/../lib/libo.so", "direct"),   # l_origin as opened
                   ("/opt/bin/../lib/sub/libn.so", "/opt/bin/../lib/sub/libn.so", "direct"), I]
    got, r = run(tmp_path, "/opt/bin/user", secure=True)
    assert got == [("liba.so", "/opt/lib/liba.so", "runpath"),
                   ("/opt/lib/sub/libn.so", "/opt/lib/sub/libn.so", "direct"), I] and r.warnings == ()


def test_dt_needed_platform_and_lib_tokens(tmp_path):
    interp(tmp_path)
    lib(tmp_path, "/opt/x86_64/libp.so", None)
    lib(tmp_path, "/opt/lib64/libl.so", None)
    exe(tmp_path, "/opt/bin/main", "$ORIGIN/../$PLATFORM/libp.so", "$ORIGIN/../$LIB/libl.so")
    got, r = run(tmp_path, "/opt/bin/main", host=None)
    assert got == [("/opt/bin/../x86_64/libp.so", "/opt/bin/../x86_64/libp.so", "direct"),
                   ("/opt/bin/../lib64/libl.so", "/opt/bin/../lib64/libl.so", "direct"), I]
    assert r.warnings == ()


def test_dt_needed_token_without_value_warns_and_is_skipped(tmp_path):
    """riscv64 has no AT_PLATFORM: "$PLATFORM" has no value, the entry is skipped."""
    interp(tmp_path)
    patch(exe(tmp_path, "/bin/main", "$PLATFORM/libp.so", "libr.so"), machine=EM_RISCV, eflags=0x5)
    patch(lib(tmp_path, "/lib64/lp64d/libr.so", "libr.so"), machine=EM_RISCV, eflags=0x5)
    got, r = run(tmp_path)
    assert got[0] == ("libr.so", "/lib64/lp64d/libr.so", "default")
    assert f"{tmp_path}/bin/main: DT_NEEDED '$PLATFORM/libp.so': a dynamic string token has no value here; " \
           "skipped, as ld.so skips it" in r.warnings


def test_origin_of_a_library_opened_by_a_relative_path(tmp_path):
    """$ORIGIN of an object opened by a relative name is the current directory joined to its
    directory (glibc's l_origin for a relative l_name)."""
    interp(tmp_path)
    exe(tmp_path, "/bin/main", "liba.so", runpath="rel")
    lib(tmp_path, "/w/rel/liba.so", "liba.so", "libb.so", runpath="$ORIGIN/sub")
    lib(tmp_path, "/w/rel/sub/libb.so", "libb.so")
    got, _ = run(tmp_path, cwd="/w")
    assert got == [("liba.so", "rel/liba.so", "runpath"), ("libb.so", "/w/rel/sub/libb.so", "runpath"), I]
    exe(tmp_path, "/bin/main2", "liba.so", runpath=":/nonexistent")
    lib(tmp_path, "/w/liba.so", "liba.so", "libb.so", runpath="$ORIGIN/sub")
    lib(tmp_path, "/w/sub/libb.so", "libb.so")
    got, _ = run(tmp_path, "/bin/main2", cwd="/w")
    assert got == [("liba.so", "liba.so", "runpath"), ("libb.so", "/w/sub/libb.so", "runpath"), I]


def test_a_name_already_loaded_matches_without_a_search(tmp_path):
    """libf (no soname) is loaded by liba through liba's DT_RUNPATH; libb, which could not find it,
    gets the loaded object by name (_dl_name_match_p)."""
    interp(tmp_path)
    exe(tmp_path, "/bin/main", "liba.so", "libb.so", runpath="/opt/a")
    lib(tmp_path, "/opt/a/liba.so", "liba.so", "libf.so", runpath="/opt/f")
    lib(tmp_path, "/opt/a/libb.so", "libb.so", "libf.so")
    lib(tmp_path, "/opt/f/libf.so", None)
    got, r = run(tmp_path)
    assert got == [("liba.so", "/opt/a/liba.so", "runpath"), ("libb.so", "/opt/a/libb.so", "runpath"),
                   ("libf.so", "/opt/f/libf.so", "runpath"), I]
    assert r.missing == ()
    assert r.libraries[2].needed_by == ("liba.so", "libb.so")


# -- candidates the loader passes over or stops at -------------------------------------------------------
def decoys(root: Path) -> dict[str, str]:
    """One libz.so per way of being unusable, each in its own directory; what linkscope says of each."""
    d = "/opt/d"
    lib(root, f"{d}/class/libz.so", "libz.so", target="x86-linux-gnu")
    patch(lib(root, f"{d}/machine/libz.so", "libz.so"), machine=EM_AARCH64)
    patch(lib(root, f"{d}/endian/libz.so", "libz.so"), data=2)
    patch(lib(root, f"{d}/rel/libz.so", "libz.so"), etype=1)
    write(root, f"{d}/text/libz.so", "not an ELF file at all\n")
    (root / f"{d.lstrip('/')}/dir/libz.so").mkdir(parents=True)
    (root / f"{d.lstrip('/')}/loop").mkdir(parents=True)
    os.symlink("libz.so", root / f"{d.lstrip('/')}/loop/libz.so")
    return {
        "class": f"{d}/class/libz.so (ELFCLASS32)",
        "machine": f"{d}/machine/libz.so (machine 183, not 62)",
        "endian": f"{d}/endian/libz.so: ELF file data encoding not little-endian (ld.so would stop with this error; "
                  "taken as not found)",
        "rel": f"{d}/rel/libz.so: only ET_DYN and ET_EXEC can be loaded (ld.so would stop with this error)",
        "text": f"{d}/text/libz.so: invalid ELF header (ld.so would stop with this error; taken as not found)",
        "dir": f"{d}/dir/libz.so (not a regular file)",
    }


def test_every_unusable_candidate_in_the_search_path(tmp_path):
    interp(tmp_path)
    why = decoys(tmp_path)
    order = ("class", "endian", "machine", "loop", "rel", "text", "dir")
    exe(tmp_path, "/bin/main", "libz.so", runpath=":".join(f"/opt/d/{k}" for k in order))
    got, r = run(tmp_path)
    assert got == [("libz.so", None, "not-found"), I] and r.missing == ("libz.so",)
    loop = [w for w in r.warnings if w.startswith("/opt/d/loop/libz.so: too many levels of symbolic links")]
    assert len(loop) == 1
    assert [w for w in r.warnings if w not in loop] == [
        why["endian"], why["rel"], why["text"],
        "libz.so: not found; skipped as the loader skips them: "
        f"{why['class']}, {why['machine']}, {why['dir']}"]


def test_unusable_candidates_passed_over_for_a_good_one(tmp_path):
    """Skipped candidates leave no warning when a later one is taken; fatal ones always do."""
    interp(tmp_path)
    why = decoys(tmp_path)
    lib(tmp_path, "/opt/good/libz.so", "libz.so")
    exe(tmp_path, "/bin/main", "libz.so", runpath="/opt/d/class:/opt/d/machine:/opt/d/dir:/opt/good")
    got, r = run(tmp_path)
    assert got == [("libz.so", "/opt/good/libz.so", "runpath"), I] and r.warnings == ()
    exe(tmp_path, "/bin/main2", "libz.so", runpath="/opt/d/rel:/opt/good")
    got, r = run(tmp_path, "/bin/main2")
    assert got == [("libz.so", "/opt/good/libz.so", "runpath"), I] and r.warnings == (why["rel"],)


def test_arm_float_abi_mismatch_skipped(tmp_path):
    """An armhf program skips a soft-float library (ld.so's elf_machine_matches_host / ARM ABI check)."""
    interp(tmp_path)
    patch(lib(tmp_path, "/opt/soft/libz.so", "libz.so", target="x86-linux-gnu"), machine=EM_ARM, eflags=0x05000200)
    patch(lib(tmp_path, "/opt/hard/libz.so", "libz.so", target="x86-linux-gnu"), machine=EM_ARM, eflags=0x05000400)
    patch(treebuild.elf(tmp_path / "bin/main", exe=True, needed=("libz.so",), runpath="/opt/soft:/opt/hard",
                        target="x86-linux-gnu"), machine=EM_ARM, eflags=0x05000400)
    got, r = run(tmp_path)
    assert got[0] == ("libz.so", "/opt/hard/libz.so", "runpath")
    patch(tmp_path / "opt/hard/libz.so", eflags=0x05000200)
    got, r = run(tmp_path)
    assert got[0] == ("libz.so", None, "not-found")
    assert "libz.so: not found; skipped as the loader skips them: /opt/soft/libz.so (other ARM float ABI), " \
           "/opt/hard/libz.so (other ARM float ABI)" in r.warnings


@pytest.mark.parametrize("kind", ["class", "machine", "dir", "endian", "rel", "text"])
def test_needed_path_with_a_slash_that_the_loader_would_not_take(tmp_path, kind):
    interp(tmp_path)
    why = decoys(tmp_path)
    exe(tmp_path, "/bin/main", f"/opt/d/{kind}/libz.so")
    got, r = run(tmp_path)
    assert got == [(f"/opt/d/{kind}/libz.so", None, "not-found"), I]
    assert r.warnings == (why[kind],)


def test_needed_path_with_a_slash_that_does_not_resolve(tmp_path):
    interp(tmp_path)
    decoys(tmp_path)
    exe(tmp_path, "/bin/main", "/opt/d/loop/libz.so")
    got, r = run(tmp_path)
    assert got == [("/opt/d/loop/libz.so", None, "not-found"), I]
    assert len(r.warnings) == 1 and r.warnings[0].startswith("/opt/d/loop/libz.so: too many levels of symbolic links")


def test_hwcaps_subdirectories_that_exist_come_first(tmp_path):
    interp(tmp_path)
    host = HostCpu(EM_X86_64, 64, "haswell", ("x86-64-v3", "x86-64-v2"), ("tls", "x86_64"))
    for sub in ("glibc-hwcaps/x86-64-v2/", "x86_64/", ""):
        lib(tmp_path, f"/opt/h/{sub}libh.so", "libh.so")
    lib(tmp_path, "/opt/h2/tls/x86_64/libi.so", "libi.so")
    lib(tmp_path, "/opt/h2/libi.so", "libi.so")
    lib(tmp_path, "/opt/h/libj.so", "libj.so")        # not in the subdirectories that exist: the directory itself
    write(tmp_path, "/opt/h3/glibc-hwcaps", "a file, not a directory\n")
    lib(tmp_path, "/opt/h3/libk.so", "libk.so")
    exe(tmp_path, "/bin/main", "libh.so", "libi.so", "libj.so", "libk.so", runpath="/opt/h:/opt/h2:/opt/h3")
    got, r = run(tmp_path, host=host)
    assert got == [("libh.so", "/opt/h/glibc-hwcaps/x86-64-v2/libh.so", "runpath"),
                   ("libi.so", "/opt/h2/tls/x86_64/libi.so", "runpath"), ("libj.so", "/opt/h/libj.so", "runpath"),
                   ("libk.so", "/opt/h3/libk.so", "runpath"), I]
    assert r.warnings == ()


def test_hwcaps_subdirectories_of_a_relative_directory_are_under_the_current_directory(tmp_path):
    interp(tmp_path)
    host = HostCpu(EM_X86_64, 64, "x86_64", ("x86-64-v3",))
    lib(tmp_path, "/w/rel/glibc-hwcaps/x86-64-v3/libh.so", "libh.so")
    lib(tmp_path, "/w/rel/libh.so", "libh.so")
    lib(tmp_path, "/rel/libh.so", "libh.so")          # the same relative path taken from / would be this
    exe(tmp_path, "/bin/main", "libh.so", runpath="rel")
    got, _ = run(tmp_path, cwd="/w", host=host)
    assert got == [("libh.so", "rel/glibc-hwcaps/x86-64-v3/libh.so", "runpath"), I]
    exe(tmp_path, "/bin/abs", "libh.so", runpath="/w/rel")        # absolute: the current directory plays no part
    got, _ = run(tmp_path, "/bin/abs", cwd="/nonexistent", host=host)
    assert got == [("libh.so", "/w/rel/glibc-hwcaps/x86-64-v3/libh.so", "runpath"), I]


def test_search_path_elements_normalised(tmp_path):
    """fillin_rpath: trailing slashes go (but "/" stays "/"), and a dropped element does not end the list."""
    interp(tmp_path)
    lib(tmp_path, "/libroot.so", "libroot.so")
    lib(tmp_path, "/opt/rX/libq.so", "libq.so")
    lib(tmp_path, "/opt/r/libs.so", "libs.so")
    exe(tmp_path, "/bin/main", "libroot.so", "libq.so", runpath="///:/opt/rX//")
    got, _ = run(tmp_path)
    assert got == [("libroot.so", "/libroot.so", "runpath"), ("libq.so", "/opt/rX/libq.so", "runpath"), I]
    exe(tmp_path, "/bin/secure", "libs.so", runpath="/x/$ORIGIN:/opt/r")
    got, _ = run(tmp_path, "/bin/secure", secure=True)
    assert got == [("libs.so", "/opt/r/libs.so", "runpath"), I]


def test_big_endian_program_and_a_little_endian_candidate(tmp_path):
    treebuild.elf(tmp_path / "bin/main", exe=True, needed=("libz.so",), runpath="/opt/le", target="s390x-linux-gnu")
    lib(tmp_path, "/opt/le/libz.so", "libz.so")
    got, r = run(tmp_path)
    assert got == [("libz.so", None, "not-found"), ("/lib/ld64.so.1", None, "not-found")]
    assert r.warnings == ("/opt/le/libz.so: ELF file data encoding not big-endian (ld.so would stop with this error; "
                          "taken as not found)",)


# -- ld.so.cache and ld.so.conf --------------------------------------------------------------------------
def test_cache_entry_the_loader_would_not_take(tmp_path):
    """A cached path to a file of another machine is passed over quietly, one that cannot be loaded
    is reported, one that does not resolve is reported; the default directories come next."""
    interp(tmp_path)
    why = decoys(tmp_path)
    for n in ("liba.so", "libb.so", "libc9.so", "libd.so"):
        lib(tmp_path, f"/usr/lib64/{n}", n)
    write(tmp_path, "/etc/ld.so.cache", W.new_format([
        ("liba.so", "/opt/d/machine/libz.so", W.FLAG_X8664, None),
        ("libb.so", "/opt/d/rel/libz.so", W.FLAG_X8664, None),
        ("libc9.so", "/opt/d/loop/libz.so", W.FLAG_X8664, None),
        ("libq.so", "/opt/d/class/libz.so", W.FLAG_X8664, None)]))
    exe(tmp_path, "/bin/main", "liba.so", "libb.so", "libc9.so", "libd.so", "libq.so")
    got, r = run(tmp_path)
    assert got == [("liba.so", "/usr/lib64/liba.so", "default"), ("libb.so", "/usr/lib64/libb.so", "default"),
                   ("libc9.so", "/usr/lib64/libc9.so", "default"), ("libd.so", "/usr/lib64/libd.so", "default"),
                   ("libq.so", None, "not-found"), I]
    assert r.warnings[0] == why["rel"]
    assert r.warnings[1].startswith("/opt/d/loop/libz.so: too many levels of symbolic links")
    assert r.warnings[2:] == ("libq.so: not found; skipped as the loader skips them: /opt/d/class/libz.so (ELFCLASS32)",)


def test_ld_so_conf_directories_with_a_trailing_slash(tmp_path):
    interp(tmp_path)
    lib(tmp_path, "/opt/conf/libconf.so", "libconf.so")
    write(tmp_path, "/etc/ld.so.conf", "/opt/conf/\n")
    exe(tmp_path, "/bin/main", "libconf.so")
    got, _ = run(tmp_path)
    assert got == [("libconf.so", "/opt/conf/libconf.so", "ld.so.conf"), I]


def test_ld_so_conf_listing_the_root_directory(tmp_path):
    """ld.so.conf's directories lose their trailing slashes, "/" stays "/": the candidate is /libroot.so."""
    interp(tmp_path)
    lib(tmp_path, "/libroot.so", "libroot.so")
    write(tmp_path, "/etc/ld.so.conf", "/\n")
    exe(tmp_path, "/bin/main", "libroot.so")
    got, _ = run(tmp_path)
    assert got == [("libroot.so", "/libroot.so", "ld.so.conf"), I]


# -- inputs of several machines in one call ------------------------------------------------------------
def test_inputs_of_different_machines_in_one_session(tmp_path):
    interp(tmp_path)
    lib(tmp_path, "/usr/lib64/libdef.so", "libdef.so")
    patch(lib(tmp_path, "/usr/lib/aarch64-linux-gnu/libdef.so", "libdef.so"), machine=EM_AARCH64)
    exe(tmp_path, "/bin/x86", "libdef.so")
    patch(exe(tmp_path, "/bin/arm64", "libdef.so"), machine=EM_AARCH64)
    s = Session()
    assert run(tmp_path, "/bin/x86", s)[0][0] == ("libdef.so", "/usr/lib64/libdef.so", "default")
    assert run(tmp_path, "/bin/arm64", s)[0][0] == ("libdef.so", "/usr/lib/aarch64-linux-gnu/libdef.so", "default")
    assert run(tmp_path, "/bin/x86", s)[0][0] == ("libdef.so", "/usr/lib64/libdef.so", "default")


def test_riscv_float_abis_in_one_session_each_get_their_directories(tmp_path):
    """lp64d and lp64 programs of one call: /lib64/lp64d and /lib64/lp64 (glibc's slibdir per ABI).
    A regression: the per-call configuration was shared by every e_flags value of a machine but ARM."""
    interp(tmp_path)
    for abi, flags in (("lp64d", 0x5), ("lp64", 0x1)):
        patch(lib(tmp_path, f"/lib64/{abi}/libr.so", "libr.so"), machine=EM_RISCV, eflags=flags)
        patch(exe(tmp_path, f"/bin/{abi}", "libr.so"), machine=EM_RISCV, eflags=flags)
    s = Session()
    for abi in ("lp64d", "lp64", "lp64d"):
        assert run(tmp_path, f"/bin/{abi}", s)[0][0] == ("libr.so", f"/lib64/{abi}/libr.so", "default"), abi


# -- the search's memo and its probe budget ------------------------------------------------------------
class CountingFiles:
    """A HostFiles of the root that counts the candidate paths resolved and directories looked up."""

    def __new__(cls, root):
        from linkscope.files import HostFiles

        class Counting(HostFiles):
            def __init__(self, r):
                super().__init__(r)
                self.resolved, self.isdirs = [], []

            def resolve(self, path, cwd="/"):
                self.resolved.append(path)
                return super().resolve(path, cwd)

            def isdir(self, path, cwd="/"):
                self.isdirs.append(path)
                return super().isdir(path, cwd)
        return Counting(str(root))


HASWELL = HostCpu(EM_X86_64, 64, "haswell", ("x86-64-v3", "x86-64-v2"), ("tls", "x86_64"))


def memo_root(root: Path) -> None:
    """main1 and main3: the same file (one closure, shared); main2: the same names in the same
    directories as DT_RPATH (another closure and another search plan, the same directory searches)."""
    interp(root)
    lib(root, "/opt/b/libx.so", "libx.so")
    lib(root, "/opt/a/libw.so", "libw.so")
    exe(root, "/bin/main1", "libx.so", "libw.so", runpath="/opt/a:/opt/b")
    exe(root, "/bin/main2", "libx.so", "libw.so", rpath="/opt/a:/opt/b")
    (root / "bin/main3").write_bytes((root / "bin/main1").read_bytes())


FOUND = [("libx.so", "/opt/b/libx.so", "runpath"), ("libw.so", "/opt/a/libw.so", "runpath"), I]
FOUND_RPATH = [("libx.so", "/opt/b/libx.so", "rpath"), ("libw.so", "/opt/a/libw.so", "rpath"), I]


def candidates(fs, since=0) -> list[str]:
    return [p for p in fs.resolved[since:] if p.startswith("/opt/") and p.endswith(".so")]


def test_one_search_per_name_and_directories_in_a_session(tmp_path):
    """A name searched in the same directories again (another input of the session, by another
    plan) is not searched again, and the hwcaps subdirectories of the directories are looked up once
    for every name searched in them."""
    memo_root(tmp_path)
    fs = CountingFiles(tmp_path)
    session = Session(fs)
    got, r = run(tmp_path, "/bin/main1", session, host=HASWELL)
    assert got == FOUND and r.warnings == ()
    assert sorted(set(candidates(fs))) == ["/opt/a/libw.so", "/opt/a/libx.so", "/opt/b/libx.so"]
    since = len(fs.resolved)
    got, r = run(tmp_path, "/bin/main2", session, host=HASWELL)
    assert got == FOUND_RPATH and r.warnings == ()
    assert candidates(fs, since) == []
    looked = [p for p in fs.isdirs if p.startswith("/opt/")]
    assert looked and len(looked) == len(set(looked))


def test_a_search_that_used_the_last_probe_is_kept(tmp_path, monkeypatch):
    """main1's three candidate paths are exactly the budget: its searches were not cut, so they are
    kept for main2 as any other search is (only a search the budget cut is this input's alone)."""
    from linkscope.deps import walk

    memo_root(tmp_path)
    monkeypatch.setattr(walk, "MAX_PROBES", 3)
    fs = CountingFiles(tmp_path)
    session = Session(fs)
    got, r = run(tmp_path, "/bin/main1", session)
    assert got == FOUND and r.warnings == ()
    since = len(fs.resolved)
    got, r = run(tmp_path, "/bin/main2", session)
    assert got == FOUND_RPATH and r.warnings == ()
    assert candidates(fs, since) == []


@pytest.mark.parametrize("then", ["/bin/main2", "/bin/main3"])
def test_the_probe_budget_cuts_one_input_and_not_the_next(tmp_path, monkeypatch, then):
    """Past the budget a name is taken as not found, with one warning naming the first name cut;
    what was found before stays found. The cut is that input's alone: the next input of the session,
    by another plan (main2) or the very same file (main3, whose closure would otherwise be main1's),
    has its own budget and finds the library; were the cut kept, "not found" would be its answer
    too, without a word."""
    from linkscope.deps import walk

    memo_root(tmp_path)
    monkeypatch.setattr(walk, "MAX_PROBES", 2)
    session = Session(CountingFiles(tmp_path))
    r = resolve(str(tmp_path / "bin/main1"), Env(root=str(tmp_path), cwd="/"), session)
    assert r.error is None
    assert [(l.name, l.path) for l in r.libraries if l.name != INTERP] == [("libx.so", "/opt/b/libx.so"), ("libw.so", None)]
    assert r.warnings == ("more than 2 candidate paths tried: libw.so and the names after it searched no further "
                          "(taken as not found)",)
    got, r = run(tmp_path, then, session)
    assert got == (FOUND_RPATH if then == "/bin/main2" else FOUND)
    assert r.warnings == ()


def test_a_search_by_the_same_plan_is_made_once_in_a_session(tmp_path):
    """Two programs with different closures but the same search plan (no RPATH or RUNPATH: the cache,
    then the default directories) ask for libq.so: the second is answered by the first's search, so
    the cached path is resolved once, not once per program."""
    interp(tmp_path)
    lib(tmp_path, "/opt/c/libq.so", "libq.so")
    lib(tmp_path, "/usr/lib64/libr.so", "libr.so")
    write(tmp_path, "/etc/ld.so.cache", W.new_format([("libq.so", "/opt/c/libq.so", W.FLAG_X8664, None)]))
    exe(tmp_path, "/bin/main1", "libq.so", "libr.so")
    exe(tmp_path, "/bin/main2", "libq.so")
    fs = CountingFiles(tmp_path)
    session = Session(fs)
    got, r = run(tmp_path, "/bin/main1", session)
    assert got == [("libq.so", "/opt/c/libq.so", "ld.so.cache"), ("libr.so", "/usr/lib64/libr.so", "default"), I]
    since = len(fs.resolved)
    got, r = run(tmp_path, "/bin/main2", session)
    assert got == [("libq.so", "/opt/c/libq.so", "ld.so.cache"), I] and r.warnings == ()
    assert [p for p in fs.resolved[since:] if p.startswith("/opt/c/")] == []
