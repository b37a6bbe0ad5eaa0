"""Rules of linkscope.analysis.cgo that mutation testing (scripts/mutation.py) showed no test pinned down.

test_analysis_cgo.py checks real builds by finding id, causes and fix; here every record is checked
whole: the CgoResult of analyze (enabled, used, causes, and the evidence for each, in order and
capped) over a stand-in for the analysis evidence of a file, so that each source the module's
docstring lists can be given alone (Go's function table, x_cgo_init, the static symbol table, the
dynamic imports of an ELF file, pthread_create, -race); then the finding's whole text for each
kind of cause, linkage and fix; the cgo stub names (``<package>._Cfunc_<name>``, ``._C2func_``) and
the first-path-element rule of the standard library (``go help importpath``); the words joined.

Expected values are written here from the rules in analysis/cgo.py's docstring and the wording of
its findings, never taken from linkscope's output. The function table is a real
pclntab.FuncTable whose name table is the test's names, in the test's (table) order.
"""
from __future__ import annotations

import pytest

from linkscope.analysis import cgo
from linkscope.analysis.cgo import CgoResult
from linkscope.go import pclntab
from linkscope.model import Binary, CgoInfo, Dep, Finding, GoInfo, Module

PREFIX = "CGO_ENABLED=1 GOOS=linux GOARCH=amd64 go build"
EXT = "'-ldflags=-linkmode external -extldflags -static'"


def functab(*names: str) -> pclntab.FuncTable:
    ft = pclntab.FuncTable("1.20", 0, 8, 1, len(names), "test", None, None, 0, 0, 0, None, ())
    ft._blob = b"\0" + "\0".join(names).encode() + b"\0"
    return ft


def goinfo(*settings: tuple[str, str], main: str = "example.com/app", path: str | None = None) -> GoInfo:
    base = [("-buildmode", "exe"), ("CGO_ENABLED", "1"), ("GOARCH", "amd64"), ("GOOS", "linux"), ("GOAMD64", "v1")]
    keys = {k for k, _ in settings}
    return GoInfo("go1.27.3", path or main + "/cmd", Module(main, "(devel)"), (Dep("example.com/dep", "v1.0.0"),),
                  tuple([kv for kv in base if kv[0] not in keys] + list(settings)))


class Ev:
    """What cgo.analyze reads of a file (analysis.evidence.Evidence's names), given directly."""

    def __init__(self, go: GoInfo | None, *, fmt: str = "elf", ft=None, symtab: tuple[str, ...] | None = None,
                 imports: dict[str, str] | None = None):
        self.binary = Binary(path="x", format=fmt, go=go)
        self.is_go = True
        self.format = fmt
        self.functab = ft
        self._symtab = None if symtab is None else b"\0" + "\0".join(symtab).encode() + b"\0"
        self._imports = imports or {}

    def setting(self, key):
        return None if self.binary.go is None else self.binary.go.setting(key)

    @property
    def has_symtab(self):
        return self._symtab is not None

    def symtab_has(self, name):
        return self._symtab is not None and b"\0" + name.encode() + b"\0" in self._symtab

    def symtab_findall(self, pattern, hint=None):
        if self._symtab is None or hint is not None and hint not in self._symtab:
            return []
        return sorted({m.group(1).decode() for m in pattern.finditer(self._symtab)})

    def imported(self, name):
        return self._imports.get(name)


GLIBC = {n: f"{n}@GLIBC_2.2.5" for n in ("getaddrinfo", "getnameinfo", "res_search", "getpwuid_r", "getpwnam_r",
                                         "pthread_create", "dlopen")}


def result(res: CgoResult) -> tuple:
    return res.info, res.evidence, res.used_evidence, res.enabled_evidence


def test_function_table_stubs_capped_real_calls_first_and_imports_added():
    ft = functab("runtime/cgo.x_b", "runtime/cgo.a",            # table order: the first one found is quoted
                 "net._Cfunc_CString", "net._C2func_getaddrinfo", "net._Cfunc_zzz", "net._C2func_getnameinfo",
                 "net._Cfunc_gai_strerror", "net._Cfunc_freeaddrinfo", "_cgo_0123._Cfunc_x", "nodotapp._Cfunc_f")
    ev = Ev(goinfo(main="nodotapp"), ft=ft, imports=GLIBC)
    assert result(cgo.analyze(ev)) == (
        CgoInfo(True, True, ("net", "c-code")),
        {"net": ["function net._C2func_getaddrinfo (Go function table)", "function net._C2func_getnameinfo (Go function table)",
                 "function net._Cfunc_freeaddrinfo (Go function table)", "function net._Cfunc_gai_strerror (Go function table)",
                 "dynamic import getaddrinfo@GLIBC_2.2.5", "dynamic import getnameinfo@GLIBC_2.2.5"],
         "c-code": ["function nodotapp._Cfunc_f (Go function table)"]},     # the main module's own C (no dot in its path)
        ["function runtime/cgo.x_b (Go function table)"],
        ["build setting CGO_ENABLED=1"])
    # os/user's imports (getpwuid_r) are not evidence when the function table has no os/user stub.


def test_x_cgo_init_in_the_function_table():
    res = cgo.analyze(Ev(goinfo(), ft=functab("main.main", "x_cgo_init")))
    assert result(res) == (CgoInfo(True, True, ()), {}, ["function x_cgo_init (Go function table)"],
                           ["build setting CGO_ENABLED=1"])


def test_many_stubs_read_up_to_512_names():
    """The table is searched for stub names up to 512 of them: a net stub after 100 others is found,
    after 512 it is not (the bound, not an omission)."""
    many = [f"example.com/c{i:03d}._Cfunc_f" for i in range(512)]
    res = cgo.analyze(Ev(goinfo(), ft=functab("runtime/cgo.a", *many[:100], "net._C2func_getaddrinfo")))
    assert res.info.causes == ("net", "c-code")
    res = cgo.analyze(Ev(goinfo(), ft=functab("runtime/cgo.a", *many, "net._C2func_getaddrinfo")))
    assert res.info.causes == ("c-code",)


def test_cgo_disabled_reads_no_function_table():
    res = cgo.analyze(Ev(goinfo(("CGO_ENABLED", "0")), ft=functab("runtime/cgo.a", "net._Cfunc_f"), symtab=("main.main",)))
    assert result(res) == (CgoInfo(False, False, ()), {}, [], ["build setting CGO_ENABLED=0"])


def test_symbol_table_when_there_is_no_function_table():
    symtab = ("x_cgo_init", "net._C2func_getaddrinfo", "main._Cfunc_add", "crypto/internal/boring._Cfunc_x",
              "nodotapp/c._Cfunc_g", "runtime.main")
    res = cgo.analyze(Ev(goinfo(main="nodotapp"), symtab=symtab, imports={"getpwnam_r": "getpwnam_r@GLIBC_2.2.5",
                                                                          "getaddrinfo": "getaddrinfo@GLIBC_2.2.5"}))
    assert result(res) == (
        CgoInfo(True, True, ("net", "os/user", "crypto/internal/boring", "c-code")),
        {"crypto/internal/boring": ["symbol crypto/internal/boring._Cfunc_x (symbol table)"],
         "c-code": ["symbol main._Cfunc_add (symbol table)", "symbol nodotapp/c._Cfunc_g (symbol table)"],
         "net": ["symbol net._C2func_getaddrinfo (symbol table)", "dynamic import getaddrinfo@GLIBC_2.2.5"],
         "os/user": ["dynamic import getpwnam_r@GLIBC_2.2.5"]},        # without a function table, imports stand in
        ["symbol x_cgo_init (symbol table)"],
        ["build setting CGO_ENABLED=1"])


def test_regression_consecutive_stubs_in_the_symbol_table_are_all_found():
    """Regression: the stub pattern consumed the NUL after a name, which is the NUL before the next
    one, so of two stubs side by side in the string table the second was missed (here: os/user)."""
    res = cgo.analyze(Ev(goinfo(), symtab=("net._C2func_getaddrinfo", "os/user._Cfunc_mygetpwuid_r")))
    assert res.info.causes == ("net", "os/user")


def test_pthread_create_and_race_when_nothing_else_says():
    res = cgo.analyze(Ev(goinfo(("-race", "true")), imports={"pthread_create": "pthread_create@GLIBC_2.34"}))
    assert result(res) == (
        CgoInfo(True, True, ("race",)), {"race": ["build setting -race=true"]},
        ["dynamic import pthread_create@GLIBC_2.34 (only runtime/cgo creates threads through libc)"],
        ["build setting CGO_ENABLED=1"])


def test_without_any_source_used_is_unknown():
    res = cgo.analyze(Ev(GoInfo("go1.27.3", "p")))
    assert result(res) == (CgoInfo(None, None, ()), {}, [], [])


def test_imports_count_only_in_elf_files():
    res = cgo.analyze(Ev(goinfo(), fmt="macho", ft=functab("main.main"), imports=GLIBC))
    assert result(res) == (CgoInfo(True, False, ()), {}, [], ["build setting CGO_ENABLED=1"])


# -- the finding ------------------------------------------------------------------------------------
NET_WHY = "net (the C library's resolver: getaddrinfo & co.)"
DYN = " That is why the binary is dynamically linked against the C library."
STAT = " The binary is still statically linked."
NETGO = " Go's own resolver (-tags netgo) replaces it"
NO_CGO = " without cgo (CGO_ENABLED=0 does the same)."
PIE_NOTE = (" A PIE is dynamic with Go's internal linker whatever the tags, so the fix keeps it PIE and static "
            "with the external linker and -static-pie (gcc with glibc 2.27+).")
OWN_C = " Own C code needs cgo; a static external link keeps it"
EXTSTATIC = ("-ldflags", "-linkmode external -extldflags -static")


def cgo_findings(res, b):
    """cgo.findings with the fix analyze makes once and passes to it."""
    return cgo.findings(res, b, cgo.rebuild(res.info, b))


def finding(causes, linkage="dynamic", go=None, evidence=None):
    res = CgoResult(CgoInfo(True, True, tuple(causes)), evidence if evidence is not None else {c: [f"ev {c}"] for c in causes},
                    ["function runtime/cgo.a (Go function table)"], ["build setting CGO_ENABLED=1"])
    return cgo_findings(res, Binary(path="x", format="elf", linkage=linkage, go=go or goinfo()))


def used(title, severity="warning", evidence=(), fix=None):
    return [Finding("cgo.used", severity, title, ("build setting CGO_ENABLED=1", "function runtime/cgo.a (Go function table)",
                                                  *evidence), fix)]


@pytest.mark.parametrize("causes,linkage,go,want", [
    (("net",), "dynamic", None, used(f"cgo is used, because of {NET_WHY}.{DYN}{NETGO}{NO_CGO}", evidence=("ev net",),
                                     fix=f"{PREFIX} -tags netgo")),
    (("net", "os/user"), "dynamic", None, used(
        f"cgo is used, because of {NET_WHY} and os/user (getpwuid_r & co.).{DYN} Go's own resolver (-tags netgo) and "
        f"user lookup (-tags osusergo) replace them{NO_CGO}", evidence=("ev net", "ev os/user"),
        fix=f"{PREFIX} -tags netgo,osusergo")),
    (("os/user",), "static", goinfo(EXTSTATIC), used(
        f"cgo is used, because of os/user (getpwuid_r & co.).{STAT} Go's own user lookup (-tags osusergo) replaces it{NO_CGO}",
        "info", ("ev os/user",), f"{PREFIX} -tags osusergo")),
    (("net",), "dynamic", goinfo(("-buildmode", "pie")), used(
        f"cgo is used, because of {NET_WHY}.{DYN}{NETGO}.{PIE_NOTE}", evidence=("ev net",),
        fix=f"{PREFIX} -buildmode=pie '-ldflags=-linkmode external -extldflags -static-pie' -tags netgo")),
    (("c-code",), "dynamic", None, used(f"cgo is used, because of the program's own C code.{DYN}{OWN_C}.",
                                        evidence=("ev c-code",), fix=f"{PREFIX} {EXT}")),
    (("net", "c-code"), "dynamic", None, used(
        f"cgo is used, because of {NET_WHY} and the program's own C code.{DYN}{OWN_C}, with the pure-Go net / os/user so "
        "no glibc NSS module is needed at run time.", evidence=("ev net", "ev c-code"), fix=f"{PREFIX} {EXT} -tags netgo")),
    (("c-code",), "static", goinfo(EXTSTATIC), used(f"cgo is used, because of the program's own C code.{STAT}", "info",
                                                    ("ev c-code",))),
    (("plugin",), "dynamic", None, used(
        f"cgo is used, because of plugin (dlopen).{DYN} The plugin package needs the dynamic loader; it cannot be made static.",
        evidence=("ev plugin",))),
    (("race",), "dynamic", None, used(f"cgo is used, because of the race detector (-race).{DYN}", evidence=("ev race",),
                                      fix=f"{PREFIX} {EXT}")),
    (("crypto/internal/boring",), "dynamic", None, used(f"cgo is used, because of crypto/internal/boring.{DYN}",
                                                        evidence=("ev crypto/internal/boring",), fix=f"{PREFIX} {EXT}")),
    (("net",), "dynamic", goinfo(("-trimpath", "true")), used(
        f"cgo is used, because of {NET_WHY}.{DYN}{NETGO}{NO_CGO} Go does not record -ldflags for a -trimpath build: "
        "add the original ones to the command.", evidence=("ev net",), fix=f"{PREFIX} -tags netgo -trimpath")),
], ids=["net", "net+user", "user-static", "net-pie", "c-code", "net+c-code", "c-code-static", "plugin", "race",
        "other-std", "trimpath"])
def test_finding_whole(causes, linkage, go, want):
    assert finding(causes, linkage, go) == want


def test_finding_without_causes_or_their_evidence():
    assert finding((), evidence={})[0].title == f"cgo is used, because of an unidentified package.{DYN}"
    assert finding(("net",), evidence={})[0].evidence == ("build setting CGO_ENABLED=1",
                                                          "function runtime/cgo.a (Go function table)")


def test_disabled_unused_and_unknown_findings():
    disabled = CgoResult(CgoInfo(False, False, ()), {}, [], ["build setting CGO_ENABLED=0"])
    unused = CgoResult(CgoInfo(True, False, ()), {}, [], ["build setting CGO_ENABLED=1"])
    unknown = CgoResult(CgoInfo(None, None, ()))
    b = Binary(path="x", format="elf", linkage="static", go=goinfo())
    assert cgo_findings(disabled, b) == [Finding(
        "cgo.disabled", "info", "cgo was disabled for this build (CGO_ENABLED=0): no C code, no libc calls from Go.",
        ("build setting CGO_ENABLED=0",), None)]
    assert cgo_findings(unused, b) == [Finding(
        "cgo.enabled-unused", "info", "cgo was enabled (CGO_ENABLED=1) but nothing in the program uses it: no C code is "
        "linked in and the build does not depend on it.",
        ("build setting CGO_ENABLED=1", "no runtime/cgo functions in Go's function table"), None)]
    assert cgo_findings(unknown, b) == []


# -- the rebuild's edges ----------------------------------------------------------------------------------
def test_rebuild_of_a_static_pie_with_own_c_code_is_nothing():
    b = Binary(path="x", format="elf", linkage="static-pie", go=goinfo(("-buildmode", "pie")))
    assert cgo.rebuild(CgoInfo(True, True, ("c-code",)), b) is None


def test_rebuild_of_a_dynamic_pie_already_tagged_is_still_static_pie():
    b = Binary(path="x", format="elf", linkage="dynamic", go=goinfo(("-buildmode", "pie"), ("-tags", "netgo")))
    assert cgo.rebuild(CgoInfo(True, True, ("net",)), b).command() == (
        f"{PREFIX} -buildmode=pie '-ldflags=-linkmode external -extldflags -static-pie' -tags netgo")


# -- names ---------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("name,pkg", [
    ("net._C2func_getaddrinfo", "net"), ("main._Cfunc_add", "main"), ("a._Cfunc_x", "a"),
    ("x._Cfunc_", None),                     # a tag and no function name
    ("._Cfunc_x", None),                     # no package
    ("a._Cx_long_name", None),               # ._C, but neither tag
    ("a._Cfunc_f._Cx", "a"),                 # the first tag decides
    ("a._Cx.b._Cfunc_f._Cz", "a._Cx.b"),
    ("example.com/m/p._C2func_f", "example.com/m/p"),
])
def test_stub_package(name, pkg):
    assert cgo._stub_package(name) == pkg


@pytest.mark.parametrize("pkg,go,cause", [
    ("nodot/a.b/c", goinfo(), "nodot/a.b/c"),                           # only the first element's dot counts
    ("nodotapp/internal/c", goinfo(main="nodotapp", path="nodotapp/cmd"), "c-code"),   # in the main module
    ("nodotapp/internal/c", GoInfo("go1", "other/cmd"), "nodotapp/internal/c"),     # no main module recorded
    ("nodotapp/internal/c", None, "nodotapp/internal/c"),
])
def test_cause_of_package_by_module(pkg, go, cause):
    assert cgo._cause_of(pkg, go) == cause


@pytest.mark.parametrize("items,text", [([], ""), (["a"], "a"), (["a", "b"], "a and b"), (["a", "b", "c"], "a, b and c"),
                                        (["a", "b", "c", "d"], "a, b, c and d")])
def test_join(items, text):
    assert cgo._join(items) == text


def test_a_trimpath_static_external_build_keeps_or_says_it_drops_its_link():
    """Go records no -ldflags for a -trimpath build: the static external link comes from the binary
    (its linker): the fix for net beside the program's own C code keeps it and says so; the fix for
    net alone, pure Go and Go's own static link, drops it and does not claim to keep it."""
    res = lambda *causes: CgoResult(CgoInfo(True, True, causes), {c: [f"ev {c}"] for c in causes}, [], [])
    b = Binary(path="x", format="elf", linkage="static", linker="gcc", go=goinfo(("-trimpath", "true")))
    keep, = cgo_findings(res("net", "c-code"), b)
    assert keep.fix == f"{PREFIX} '-ldflags=-linkmode external -extldflags -static' -tags netgo -trimpath"
    assert keep.title.endswith("the command keeps the static external link the binary shows "
                               "(-ldflags='-linkmode external -extldflags -static'); add the other original ones.")
    drop, = cgo_findings(res("net"), b)
    assert drop.fix == f"{PREFIX} -tags netgo -trimpath"
    assert drop.title.endswith("Go does not record -ldflags for a -trimpath build: add the original ones to the command.")


ZIG_MUSL = "CC='zig cc -target x86_64-linux-musl'"
ZIG_NOTE = " zig cc links glibc only dynamically: the static link uses its musl (CC='zig cc -target x86_64-linux-musl')."


@pytest.mark.parametrize("causes,go,fix,note", [
    (("c-code",), None, f"CGO_ENABLED=1 GOOS=linux GOARCH=amd64 {ZIG_MUSL} go build {EXT}", True),
    (("net", "c-code"), goinfo(("-buildmode", "pie")),
     f"CGO_ENABLED=1 GOOS=linux GOARCH=amd64 {ZIG_MUSL} go build -buildmode=pie "
     "'-ldflags=-linkmode external -extldflags -static-pie' -tags netgo", True),
    (("net",), None, f"{PREFIX} -tags netgo", False),     # pure Go: Go's own linker, no C compiler at all
], ids=["c-code", "pie", "net"])
def test_zig_linked_glibc_goes_static_through_zigs_musl(causes, go, fix, note):
    """zig cc cannot link glibc statically: the static fix of a binary it linked against glibc
    names zig's musl as CC, and says why; a pure-Go fix needs no C compiler."""
    res = CgoResult(CgoInfo(True, True, causes), {c: [f"ev {c}"] for c in causes}, [], [])
    b = Binary(path="x", format="elf", linkage="dynamic", linker="zig", interpreter="/lib64/ld-linux-x86-64.so.2",
               go=go or goinfo())
    f, = cgo_findings(res, b)
    assert f.fix == fix and f.title.endswith(ZIG_NOTE) == note, (f.fix, f.title)


@pytest.mark.parametrize("linker,linkage,interp", [
    ("gcc", "dynamic", "/lib64/ld-linux-x86-64.so.2"),     # GNU ld links glibc statically (the NSS caveat aside)
    ("zig", "dynamic", "/lib/ld-musl-x86_64.so.1"),       # zig's musl links statically as it is
    ("zig", "static", None),                              # already static
])
def test_the_static_fix_keeps_the_c_compiler_where_it_can_link_statically(linker, linkage, interp):
    b = Binary(path="x", format="elf", linkage=linkage, linker=linker, interpreter=interp, go=goinfo())
    fix = cgo.rebuild(CgoInfo(True, True, ("c-code",)), b)
    assert (fix.command() if fix else None) == (f"{PREFIX} {EXT}" if linkage == "dynamic" else None)


def test_no_static_fix_where_zig_has_no_musl_for_the_target():
    b = Binary(path="x", format="elf", linkage="dynamic", linker="zig", interpreter="/lib/ld-linux.so.2",
               go=goinfo(("GOARCH", "mips64")))
    assert cgo.rebuild(CgoInfo(True, True, ("c-code",)), b) is None


def test_only_an_elf_zig_linked_glibc_binary_needs_zigs_musl():
    from linkscope.analysis import gofix
    elf = dict(path="x", linkage="dynamic", linker="zig", interpreter="/lib64/ld-linux-x86-64.so.2", go=goinfo())
    assert gofix.zig_glibc(Binary(format="elf", **elf))
    assert not gofix.zig_glibc(Binary(format="macho", **{**elf, "interpreter": None}))
    assert not gofix.zig_glibc(Binary(format="elf", **{**elf, "linker": "lld"}))


@pytest.mark.parametrize("fmt,linker,extra", [("elf", "zig", True), ("macho", "zig", False), ("elf", "lld", False),
                                              ("pe", "lld", False)])
def test_the_strip_fix_asks_zigs_elf_linker_to_strip(fmt, linker, extra):
    from linkscope.analysis import gofix
    fix, notes = gofix.strip(Binary(path="x", format=fmt, linker=linker, go=goinfo(EXTSTATIC)))
    ld = "-linkmode external -extldflags " + ("'\"'\"'-static -Wl,--strip-all'\"'\"'" if extra else "-static")
    assert fix == f"{PREFIX} '-ldflags={ld} -s -w'" and bool(notes) == extra, (fix, notes)


def test_a_recorded_cc_is_kept_and_is_not_zigs_musl():
    """A build record naming its CC (Go records none; a hand-made record may): the static fix keeps it,
    and the note about zig's musl belongs to zig's glibc only."""
    res = CgoResult(CgoInfo(True, True, ("c-code",)), {"c-code": ["ev c-code"]}, [], [])
    b = Binary(path="x", format="elf", linkage="dynamic", linker="gcc", interpreter="/lib64/ld-linux-x86-64.so.2",
               go=goinfo(("CC", "clang")))
    f, = cgo_findings(res, b)
    assert f.fix == f"CGO_ENABLED=1 GOOS=linux GOARCH=amd64 CC=clang go build {EXT}" and "zig" not in f.title
