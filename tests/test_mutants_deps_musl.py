"""musl's search rules (linkscope.deps.musl, after musl's ldso/dynlink.c) that mutation testing showed
no test pinned down: the reserved names, path splitting, where the path file is, $ORIGIN in
DT_RUNPATH/DT_RPATH (and what secure mode drops), which object's directory $ORIGIN is, and what is
reported for a file of another machine. Expected values are written from dynlink.c's rules.

The rule object is driven directly, with stand-ins for the file system view and the walk, so each
case names one input; tests/test_deps_roots.py runs the same rules end to end over built files.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from linkscope.deps import musl
from linkscope.deps.walk import Node
from linkscope.deps.records import VIA_DIRECT, VIA_LD_LIBRARY_PATH, VIA_MUSL_PATH, VIA_RPATH, VIA_RUNPATH
from linkscope.deps.objects import ElfIdent


@pytest.mark.parametrize("name,expect", [
    ("libc.so", True), ("libc.musl-x86_64.so.1", True), ("libpthread.so.0", True), ("librt.so.1", True),
    ("libm.so.6", True), ("libdl.so.2", True), ("libutil.so.1", True), ("libxnet.so", True),
    ("libcrypto.so.3", False), ("libmagic.so.1", False), ("libdlfoo.so", False), ("c.so", False),
    ("libc", False), ("xlibc.so", False), ("libz.so", False),
])
def test_reserved_names(name, expect):
    assert musl.is_reserved(name) is expect


def test_split_path():
    assert musl.split_path("/a:/b\n/c::\n") == ("/a", "/b", "/c")
    assert musl.split_path("") == ()
    assert musl.DEFAULT_SYS_PATH == "/lib:/usr/local/lib:/usr/lib"


# -- stand-ins ----------------------------------------------------------------------------------------
@dataclass
class Resolved:
    ok: bool = True
    message: str | None = None


@dataclass
class Fs:
    files: dict = field(default_factory=dict)       # path -> bytes, or an error string
    existing: dict = field(default_factory=dict)    # path -> Resolved
    reads: list = field(default_factory=list)

    def read(self, path, limit):
        self.reads.append((path, limit))
        v = self.files.get(path)
        if isinstance(v, str):
            return None, v
        return v, None

    def resolve(self, path, cwd):
        # relative paths are opened from the current directory, as the loader opens them
        return self.existing.get(path if path.startswith("/") else cwd.rstrip("/") + "/" + path, Resolved(False))


@dataclass
class Env:
    ld_library_path: str | None = None


class Objects:
    def __init__(self, idents):
        self.idents = idents

    def ident(self, r):
        return self.idents.get(id(r), ME)


@dataclass
class Ctx:
    fs: Fs = field(default_factory=Fs)
    env: Env = field(default_factory=Env)
    secure: bool = False
    cwd: str = "/"
    warnings: list = field(default_factory=list)
    objects: Objects = field(default_factory=lambda: Objects({}))

    def warn(self, msg):
        self.warnings.append(msg)


@dataclass
class Rec:
    runpath: str | None = None
    rpath: str | None = None


class Walk:
    def __init__(self, main, interp=None):
        self.main, self.interp, self.by_name, self.warnings = main, interp, {}, []

    def warn(self, msg):
        self.warnings.append(msg)


def ident(bits=64, little=True, machine=62):   # EM_X86_64 = 62
    return ElfIdent(bits, little, machine, 3, 0, 0)


ME = ident()


def rules(ctx=None, interp="/lib/ld-musl-x86_64.so.1"):
    return musl.MuslRules(ctx or Ctx(), ME, interp)


# -- the system path file ---------------------------------------------------------------------------
@pytest.mark.parametrize("interp,path_file", [
    ("/lib/ld-musl-x86_64.so.1", "/etc/ld-musl-x86_64.path"),
    ("/usr/x/lib/ld-musl-aarch64.so.1", "/usr/x/etc/ld-musl-aarch64.path"),
    ("/a/b/c/ld-musl-armhf.so.1", "/a/b/etc/ld-musl-armhf.path"),
    ("ld-musl-x86_64.so.1", "/etc/ld-musl-x86_64.path"),      # no directory: the prefix is empty
    ("a/lib/ld-musl-x86_64.so.1", "a/etc/ld-musl-x86_64.path"),   # up to the second-to-last slash
])
def test_path_file_beside_the_interpreter(interp, path_file):
    ctx = Ctx(fs=Fs(files={path_file: b"/p1:/p2\n/p3\n"}))
    r = rules(ctx, interp)
    assert (r.sys_path, r.sys_via) == (("/p1", "/p2", "/p3"), VIA_MUSL_PATH)
    assert ctx.fs.reads == [(path_file, 1 << 20)]


@pytest.mark.parametrize("interp", [None, "/lib64/ld-linux-x86-64.so.2", "/lib/ld-musl-.so.1"])
def test_no_musl_interpreter_means_the_default_path(interp):
    ctx = Ctx()
    r = rules(ctx, interp)
    assert (r.sys_path, r.sys_via) == (("/lib", "/usr/local/lib", "/usr/lib"), VIA_MUSL_PATH)
    assert ctx.fs.reads == []


def test_missing_path_file_means_the_default_path():
    ctx = Ctx()
    assert rules(ctx).sys_path == ("/lib", "/usr/local/lib", "/usr/lib")
    assert ctx.warnings == []


def test_unreadable_path_file_means_no_system_directories():
    ctx = Ctx(fs=Fs(files={"/etc/ld-musl-x86_64.path": "/etc/ld-musl-x86_64.path: permission denied"}))
    r = rules(ctx)
    assert (r.sys_path, r.sys_via) == ((), VIA_MUSL_PATH)
    assert ctx.warnings == ["/etc/ld-musl-x86_64.path: permission denied; musl would search no system directories"]


def test_path_file_bytes_kept():
    ctx = Ctx(fs=Fs(files={"/etc/ld-musl-x86_64.path": b"/caf\xe9\n"}))
    assert rules(ctx).sys_path == ("/caf\udce9",)


# -- LD_LIBRARY_PATH -----------------------------------------------------------------------------------
@pytest.mark.parametrize("llp,secure,expect", [
    ("/a:/b", False, ("/a", "/b")), ("/a:/b", True, ()), ("", False, ()), (None, False, ()),
])
def test_ld_library_path(llp, secure, expect):
    r = rules(Ctx(env=Env(llp), secure=secure))
    r.start(None)
    assert r.llp == expect


# -- names ---------------------------------------------------------------------------------------------
def test_names_of():
    r = rules()
    assert r.names_of("libz.so.1", None) == {"libz.so.1"}
    assert r.names_of("/opt/libz.so.1", None) == set()
    assert r.expand_needed(None, None, "$ORIGIN/x") == "$ORIGIN/x"


def test_reserved_names_and_the_interpreter_path_are_the_interpreter():
    main = Node("/bin/main", "/bin/main", "/bin/main", "direct", None)
    interp = Node("/lib/ld-musl-x86_64.so.1", "/lib/ld-musl-x86_64.so.1", "/lib/ld-musl-x86_64.so.1",
                  "interpreter", None)
    other = Node("libz.so.1", "/lib/libz.so.1", "/lib/libz.so.1", "musl-path", None)
    w = Walk(main, interp)
    w.by_name["libz.so.1"] = other
    r = rules()
    assert r.match_loaded(w, "libc.so") is interp
    assert r.match_loaded(w, "libpthread.so.0") is interp
    assert r.match_loaded(w, "/lib/ld-musl-x86_64.so.1") is interp
    assert r.match_loaded(w, "libz.so.1") is other
    assert r.match_loaded(w, "/lib/libz.so.1") is None        # a path is opened, not matched by name
    w.by_name["/lib/libz.so.1"] = other
    assert r.match_loaded(w, "/lib/libz.so.1") is None
    assert r.match_loaded(w, "libq.so") is None
    interp.faked = True                                       # an interpreter that is not there answers nothing
    assert r.match_loaded(w, "libc.so") is None
    assert r.match_loaded(Walk(main, None), "libc.so") is None


# -- $ORIGIN --------------------------------------------------------------------------------------------
def test_origin_is_the_real_directory_of_the_input_and_the_opened_directory_of_libraries():
    main = Node("/link/main", "/link/main", "/real/bin/main", "direct", None)
    lib = Node("libz.so", "/libs/libz.so", "/store/libz.so", "runpath", None, loader=main)
    rel = Node("libr.so", "libr.so", "/w/libr.so", "runpath", None, loader=main)
    w = Walk(main)
    r = rules()
    assert r.origin(w, main) == "/real/bin"
    assert r.origin(w, lib) == "/libs"
    assert r.origin(w, rel) == "."
    assert r.origin(w, Node("x", None, None, "runpath", None)) is None


def node(path, rec, loader=None, real=None):
    return Node(path.rsplit("/", 1)[-1], path, real or path, "runpath", rec, loader=loader)


@pytest.mark.parametrize("value,expect", [
    ("/a:/b", ("/a", "/b")),
    ("$ORIGIN/../lib", ("/opt/app/bin/../lib",)),
    ("${ORIGIN}/x:$ORIGIN", ("/opt/app/bin/x", "/opt/app/bin")),
    ("/a:$LIB/x", ()),                   # any other $ token: the whole path is ignored
    ("$ORIGIN/x:${PLATFORM}", ()),
    ("$ORIGINAL/x", ("/opt/app/binAL/x",)),   # dynlink.c matches the prefix "$ORIGIN" as it is
    ("/a:${ORIGIN}/x", ("/a", "/opt/app/bin/x")),
    ("${PLATFORM}/x:$ORIGIN/y", ()),          # the bad token comes first
    ("$ORIGIN/a:$LIB/b:$ORIGIN/c", ()),       # a bad token between good ones
    ("", ()),
])
def test_rpath_expansion(value, expect):
    main = node("/opt/app/bin/main", Rec(runpath=value))
    assert rules()._rpath(Walk(main), main) == expect


def test_runpath_wins_over_rpath_and_the_answer_is_kept():
    main = node("/bin/main", Rec(runpath="/rp", rpath="/r"))
    r = rules()
    w = Walk(main)
    assert r._rpath(w, main) == ("/rp",)
    assert main.cache["musl-rpath"] == ("/rp",)
    main.rec = Rec(runpath="/changed")
    assert r._rpath(w, main) == ("/rp",)
    assert r._rpath(w, node("/bin/x", Rec(rpath="/r"))) == ("/r",)
    assert r._rpath(w, node("/bin/y", None)) == ()


def test_secure_mode_drops_the_inputs_origin_paths_and_relative_origins():
    main = node("/opt/bin/main", Rec(runpath="$ORIGIN/lib"))
    lib = node("/opt/lib/libz.so", Rec(runpath="$ORIGIN/dep"), loader=main)
    rel = node("lib/libr.so", Rec(runpath="$ORIGIN/dep"), loader=main)
    plain = node("/opt/bin/main2", Rec(runpath="/plain"))
    w = Walk(main)
    r = rules(Ctx(secure=True))
    assert r._rpath(w, main) == ()
    assert r._rpath(w, lib) == ("/opt/lib/dep",)
    assert r._rpath(w, rel) == ()
    assert r._rpath(Walk(plain), plain) == ("/plain",)
    # not in secure mode both are kept
    main2 = node("/opt/bin/main", Rec(runpath="$ORIGIN/lib"))
    rel2 = node("lib/libr.so", Rec(runpath="$ORIGIN/dep"), loader=main2)
    assert rules()._rpath(Walk(main2), main2) == ("/opt/bin/lib",)
    assert rules()._rpath(Walk(main2), rel2) == ("lib/dep",)


# -- the search --------------------------------------------------------------------------------------
def search_ctx(existing, **kw):
    return Ctx(fs=Fs(existing={p: Resolved(True) for p in existing}), **kw)


def test_search_order_llp_then_rpath_chain_then_system():
    main = node("/bin/main", Rec(rpath="/r0"))
    mid = node("/r0/libmid.so", Rec(runpath="/r1"), loader=main)
    leaf = node("/r1/libleaf.so", Rec(), loader=mid)
    w = Walk(main)
    ctx = search_ctx({"/llp/liba.so", "/r1/liba.so", "/r0/liba.so", "/usr/lib/liba.so",
                      "/r0/libb.so", "/usr/lib/libb.so", "/usr/lib/libc2.so"},
                     env=Env("/llp"))
    r = rules(ctx)
    r.start(w)
    got = r.search(w, "liba.so", leaf)
    assert (got.path, got.via) == ("/llp/liba.so", VIA_LD_LIBRARY_PATH)
    r.llp = ()
    got = r.search(w, "liba.so", leaf)
    assert (got.path, got.via) == ("/r1/liba.so", VIA_RUNPATH)       # mid's DT_RUNPATH, inherited
    got = r.search(w, "libb.so", leaf)
    assert (got.path, got.via) == ("/r0/libb.so", VIA_RPATH)         # main's DT_RPATH, inherited
    got = r.search(w, "libc2.so", leaf)
    assert (got.path, got.via) == ("/usr/lib/libc2.so", VIA_MUSL_PATH)
    assert r.search(w, "libnone.so", leaf) is None


def test_a_name_with_a_slash_is_opened_as_it_is():
    ctx = search_ctx({"/opt/libs/liba.so", "/sub/liba.so"}, env=Env("/opt/libs"))
    main = node("/bin/main", Rec(runpath="/opt/libs"))
    w = Walk(main)
    r = rules(ctx)
    r.start(w)
    got = r.search(w, "/opt/libs/liba.so", main)
    assert (got.path, got.via) == ("/opt/libs/liba.so", VIA_DIRECT)
    got = r.search(w, "sub/liba.so", main)
    assert (got.path, got.via) == ("sub/liba.so", VIA_DIRECT)
    assert r.search(w, "/elsewhere/liba.so", main) is None


def test_open_takes_the_first_directory_that_has_it_and_reports_errors():
    ctx = search_ctx({"/b/libx.so", "/c/libx.so"})
    ctx.fs.existing["/a/libx.so"] = Resolved(False, "/a/libx.so: permission denied")
    main = node("/bin/main", Rec())
    w = Walk(main)
    got = rules(ctx)._open(w, "libx.so", ("/a", "/b", "/c"), VIA_MUSL_PATH)
    assert (got.path, got.via) == ("/b/libx.so", VIA_MUSL_PATH)
    assert w.warnings == ["/a/libx.so: permission denied"]


def test_a_file_of_another_machine_is_taken_with_a_warning():
    r_other, r_dir, r_ok = Resolved(True), Resolved(True), Resolved(True)
    ctx = Ctx(objects=Objects({id(r_other): ident(machine=183), id(r_dir): "not a regular file"}))
    w = Walk(node("/bin/main", Rec()))
    r = rules(ctx)
    got = r._take(w, "/lib/liba.so", r_other, VIA_MUSL_PATH)
    assert (got.path, got.resolved, got.via) == ("/lib/liba.so", r_other, VIA_MUSL_PATH)
    assert w.warnings == ["/lib/liba.so: an ELF file for another machine or class; musl takes it and fails to load it"]
    assert r._take(w, "/lib/d", r_dir, VIA_MUSL_PATH) is None
    w.warnings.clear()
    assert r._take(w, "/lib/ok.so", r_ok, VIA_MUSL_PATH).path == "/lib/ok.so"
    assert w.warnings == []
    for other in (ident(bits=32), ident(little=False)):
        ctx.objects.idents[id(r_other)] = other
        w.warnings.clear()
        r._take(w, "/lib/liba.so", r_other, VIA_MUSL_PATH)
        assert len(w.warnings) == 1
    ctx.objects.idents[id(r_other)] = "not an ELF file"
    w.warnings.clear()
    assert r._take(w, "/lib/t.so", r_other, VIA_MUSL_PATH).path == "/lib/t.so"
    assert w.warnings == ["/lib/t.so: not an ELF file; musl would fail to load it"]


def test_relative_directories_and_names_are_opened_from_the_current_directory():
    ctx = search_ctx({"/w/lib/libx.so", "/w/sub/liby.so"}, cwd="/w")
    main = node("/bin/main", Rec(runpath="lib"))
    w = Walk(main)
    r = rules(ctx)
    got = r.search(w, "libx.so", main)
    assert (got.path, got.via) == ("lib/libx.so", VIA_RUNPATH)
    got = r.search(w, "sub/liby.so", main)
    assert (got.path, got.via, got.resolved) == ("sub/liby.so", VIA_DIRECT, ctx.fs.existing["/w/sub/liby.so"])


@pytest.mark.parametrize("how", ["llp", "rpath", "origin", "system", "slash"])
def test_each_search_step_warns_on_the_walk(how):
    # Whatever step finds a file of another machine, the warning goes to the input's walk.
    found = {"llp": "/llp/liba.so", "rpath": "/r/liba.so", "origin": "/bin/o/liba.so",
             "system": "/usr/lib/liba.so", "slash": "/x/liba.so"}[how]
    res = Resolved(True)
    ctx = Ctx(fs=Fs(existing={found: res}), env=Env("/llp" if how == "llp" else None),
              objects=Objects({id(res): ident(machine=183)}))
    runpath = {"rpath": "/r", "origin": "$ORIGIN/o"}.get(how)
    main = node("/bin/main", Rec(runpath=runpath))
    w = Walk(main)
    r = rules(ctx)
    r.start(w)
    got = r.search(w, found if how == "slash" else "liba.so", main)
    assert (got.path, got.resolved) == (found, res)
    assert w.warnings == [f"{found}: an ELF file for another machine or class; musl takes it and fails to load it"]


def test_a_missing_slash_name_warns_on_the_walk():
    ctx = Ctx(fs=Fs(existing={"/x/liba.so": Resolved(False, "/x/liba.so: permission denied")}))
    w = Walk(node("/bin/main", Rec()))
    assert rules(ctx).search(w, "/x/liba.so", w.main) is None
    assert w.warnings == ["/x/liba.so: permission denied"]


def test_the_probe_budget_stops_the_search_and_names_the_library(monkeypatch):
    """Past MAX_PROBES candidate paths one input's search stops, taken as not found, and the warning
    (said once) names the library the search was for."""
    from linkscope.deps import walk as walk_mod

    monkeypatch.setattr(walk_mod, "MAX_PROBES", 3)
    ctx = search_ctx({"/d/libx.so"})
    w = Walk(node("/bin/main", Rec()))
    r = rules(ctx)
    assert r._open(w, "libx.so", ("/a", "/b", "/c", "/d"), VIA_MUSL_PATH) is None   # /d is the fourth
    assert ctx.warnings == ["more than 3 candidate paths tried: libx.so and the names after it searched "
                            "no further (taken as not found)"]
    assert r._open(w, "liby.so", ("/d",), VIA_MUSL_PATH) is None
    assert len(ctx.warnings) == 1
