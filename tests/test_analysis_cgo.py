"""cgo: enabled versus used, the packages that caused it, and the fix, over real builds.

Each of the four programs (hello: pure Go; netapp: net.LookupHost; userapp: os/user; cgoapp: its own
C code) is built in every mode the issue names (default, -tags netgo, -tags osusergo, -tags
netgo,osusergo, CGO_ENABLED=0, an external static link), stripped (-s -w) and not, and the cgo
finding is compared with the table below. Then every fix is followed: the program is rebuilt with
exactly the command the finding names, and the result must be statically linked.

Helpers other tests reuse (the `check` tests): :func:`spec`, :func:`built`, :func:`rebuild_with_fix`.
"""
from __future__ import annotations

import shlex

import pytest

import buildkit
from linkscope.go import flags as goflags
from linkscope.analysis import cgo
from linkscope.inspector import inspect
from linkscope.model import Binary, CgoInfo, GoInfo, Module

EXT_STATIC = "-linkmode external -extldflags -static"
# variant -> (go build args, extra -ldflags, environment)
VARIANTS = {
    "default": ((), None, {}),
    "netgo": (("-tags", "netgo"), None, {}),
    "osusergo": (("-tags", "osusergo"), None, {}),
    "netgo,osusergo": (("-tags", "netgo,osusergo"), None, {}),
    "cgo0": ((), None, {"CGO_ENABLED": "0"}),
    "extstatic": ((), EXT_STATIC, {}),
}
PROGRAMS = ("hello", "netapp", "userapp", "cgoapp")


def spec(program: str, variant: str, stripped: bool = False) -> buildkit.Spec:
    args, ldflags, env = VARIANTS[variant]
    flags = " ".join(x for x in ("-s -w" if stripped else "", ldflags or "") if x)
    argv = list(args) + ([f"-ldflags={flags}"] if flags else [])
    return buildkit.go(f"an-{program}-{variant.replace(',', '+')}{'-sw' if stripped else ''}", program, *argv, **env)


def built(program: str, variant: str, stripped: bool = False):
    return buildkit.build(spec(program, variant, stripped))


def rebuild_with_fix(program: str, fix: str, name: str):
    """Build ``program`` with exactly the `go build` command line a finding's fix names."""
    env, args = goflags.parse_command(fix)
    return buildkit.build(buildkit.go(name, program, *args, **env))


PREFIX = "CGO_ENABLED=1 GOOS=linux GOARCH=amd64 go build"


def cmd(tags: str | None = None, ldflags: str | None = None, stripped: bool = False) -> str:
    """The fix command as a user would type it: the recorded environment, -ldflags (with the -s -w of a
    stripped build first, as it was recorded), then -tags."""
    ld = " ".join(x for x in ("-s -w" if stripped else "", ldflags or "") if x)
    return " ".join([PREFIX] + ([shlex.quote("-ldflags=" + ld)] if ld else []) + (["-tags", tags] if tags else []))


EXT = EXT_STATIC
# (program, variant) -> (finding id, causes, linkage, fix as (tags, ldflags), None for no fix)
EXPECT = {
    ("hello", "default"): ("cgo.enabled-unused", (), "static", None),
    ("hello", "netgo"): ("cgo.enabled-unused", (), "static", None),
    ("hello", "osusergo"): ("cgo.enabled-unused", (), "static", None),
    ("hello", "netgo,osusergo"): ("cgo.enabled-unused", (), "static", None),
    ("hello", "cgo0"): ("cgo.disabled", (), "static", None),
    ("hello", "extstatic"): ("cgo.used", ("external-linking",), "static", None),
    ("netapp", "default"): ("cgo.used", ("net",), "dynamic", ("netgo", None)),
    ("netapp", "netgo"): ("cgo.enabled-unused", (), "static", None),
    ("netapp", "osusergo"): ("cgo.used", ("net",), "dynamic", ("osusergo,netgo", None)),
    ("netapp", "netgo,osusergo"): ("cgo.enabled-unused", (), "static", None),
    ("netapp", "cgo0"): ("cgo.disabled", (), "static", None),
    ("netapp", "extstatic"): ("cgo.used", ("net",), "static", ("netgo", None)),
    ("userapp", "default"): ("cgo.used", ("os/user",), "dynamic", ("osusergo", None)),
    ("userapp", "netgo"): ("cgo.used", ("os/user",), "dynamic", ("netgo,osusergo", None)),
    ("userapp", "osusergo"): ("cgo.enabled-unused", (), "static", None),
    ("userapp", "netgo,osusergo"): ("cgo.enabled-unused", (), "static", None),
    ("userapp", "cgo0"): ("cgo.disabled", (), "static", None),
    ("userapp", "extstatic"): ("cgo.used", ("os/user",), "static", ("osusergo", None)),
    ("cgoapp", "default"): ("cgo.used", ("c-code",), "dynamic", (None, EXT)),
    ("cgoapp", "netgo"): ("cgo.used", ("c-code",), "dynamic", ("netgo", EXT)),
    ("cgoapp", "osusergo"): ("cgo.used", ("c-code",), "dynamic", ("osusergo", EXT)),
    ("cgoapp", "netgo,osusergo"): ("cgo.used", ("c-code",), "dynamic", ("netgo,osusergo", EXT)),
    ("cgoapp", "extstatic"): ("cgo.used", ("c-code",), "static", None),
}
CASES = [(p, v, sw) for (p, v) in EXPECT for sw in (False, True)]


def _ids(case):
    p, v, sw = case
    return f"{p}-{v}{'-sw' if sw else ''}"


def cgo_finding(rec):
    found = [f for f in rec.findings if f.id.startswith("cgo.")]
    assert len(found) == 1, [f.id for f in rec.findings]
    return found[0]


@pytest.mark.parametrize("case", CASES, ids=[_ids(c) for c in CASES])
def test_cgo_cause_and_fix(case):
    program, variant, stripped = case
    rec = inspect(built(program, variant, stripped))
    assert rec.error is None and rec.stripped is stripped
    fid, causes, linkage, fix = EXPECT[(program, variant)]
    f = cgo_finding(rec)
    assert (f.id, rec.cgo.causes, rec.linkage, f.fix) == (fid, causes, linkage, cmd(*fix, stripped) if fix else None)
    assert rec.cgo.enabled is (variant != "cgo0")
    assert rec.cgo.used is (fid == "cgo.used")
    assert f.severity == ("warning" if fid == "cgo.used" and linkage == "dynamic" else "info")
    # The evidence quotes the file: the build setting, and for each cause a cgo stub of Go's table.
    assert any(e.startswith("build setting CGO_ENABLED=") for e in f.evidence)
    for c in causes:
        stub = {"net": "function net._C", "os/user": "function os/user._C", "c-code": "function main._Cfunc_add",
                "external-linking": "build setting -ldflags="}[c]
        assert any(e.startswith(stub) for e in f.evidence), f.evidence


@pytest.mark.parametrize("case", [(p, v) for (p, v), e in EXPECT.items() if e[3]], ids=lambda c: "-".join(c))
def test_following_the_fix_gives_a_static_binary(case):
    program, variant = case
    fix = cgo_finding(inspect(built(program, variant))).fix
    path = rebuild_with_fix(program, fix, f"an-fixed-{program}-{variant.replace(',', '+')}")
    fixed = inspect(path)
    assert fixed.error is None
    assert fixed.linkage == "static", (fix, fixed.linkage)
    # The CI gate agrees: the original fails `check --require static`, the fixed build passes.
    from linkscope.cli import main
    original = built(program, variant)
    assert main(["check", "--no-config", "--require", "static", str(original)]) == (inspect(original).linkage != "static")
    assert main(["check", "--no-config", "--require", "static", str(path)]) == 0
    again = cgo_finding(fixed)
    assert again.fix is None, again        # nothing left to fix
    assert not any(f.id == "static-glibc.nss" for f in fixed.findings)


@pytest.mark.parametrize("program,pkg", [("netapp", "net"), ("userapp", "os/user")])
@pytest.mark.parametrize("stripped", [False, True], ids=["", "sw"])
def test_static_glibc_nss_hazard(program, pkg, stripped):
    rec = inspect(built(program, "extstatic", stripped))
    assert rec.libc == "glibc" and rec.linkage == "static"
    f = next(f for f in rec.findings if f.id == "static-glibc.nss")
    assert f.severity == "warning"
    assert f.fix == cgo_finding(rec).fix
    if stripped:
        assert any(e.startswith(f"function {pkg}._C") for e in f.evidence)
    else:
        assert any(e.startswith("symbol get") for e in f.evidence), f.evidence


def test_no_nss_hazard_without_lookups():
    for program in ("hello", "cgoapp"):
        rec = inspect(built(program, "extstatic"))
        assert rec.linkage == "static"
        assert not any(f.id == "static-glibc.nss" for f in rec.findings)


# -- the rules, without a toolchain ---------------------------------------------------------------
def _go(tags="", ldflags=None, main="example.com/app", deps=()):
    settings = [("-buildmode", "exe"), ("CGO_ENABLED", "1"), ("GOARCH", "amd64"), ("GOOS", "linux"), ("GOAMD64", "v1")]
    if tags:
        settings.append(("-tags", tags))
    if ldflags is not None:
        settings.append(("-ldflags", ldflags))
    from linkscope.model import Dep
    return GoInfo("go1.27.3", main + "/cmd", Module(main, "(devel)"), tuple(Dep(d, "v1.0.0") for d in deps),
                  tuple(settings))


@pytest.mark.parametrize("pkg,cause", [
    ("net", "net"), ("os/user", "os/user"), ("plugin", "plugin"), ("main", "c-code"),
    ("example.com/app/internal/c", "c-code"), ("github.com/mattn/go-sqlite3", "c-code"),
    ("nodot/pkg", "c-code"),                       # a dependency module without a dot in its path
    ("crypto/internal/boring", "crypto/internal/boring"),
])
def test_cause_of_package(pkg, cause):
    assert cgo._cause_of(pkg, _go(deps=("nodot",))) == cause


@pytest.mark.parametrize("causes,linkage,go,fix", [
    (("net",), "dynamic", _go(), cmd("netgo")),
    (("net", "os/user"), "dynamic", _go(tags="foo"), cmd("foo,netgo,osusergo")),
    (("os/user",), "dynamic", _go(ldflags="-X main.v=1"), cmd("osusergo", "-X main.v=1")),
    (("net",), "static", _go(ldflags="-linkmode external -extldflags -static"), cmd("netgo")),
    (("net",), "static", _go(ldflags="-X 'main.v=a b' -linkmode=external -extldflags=-static"),
     cmd("netgo", "-X 'main.v=a b'")),
    (("external-linking",), "dynamic", _go(ldflags="-linkmode=external"), PREFIX),
    (("external-linking",), "static", _go(ldflags="-linkmode external -extldflags -static"), None),
    (("c-code",), "dynamic", _go(), cmd(None, EXT)),
    (("c-code", "net"), "dynamic", _go(), cmd("netgo", EXT)),
    (("c-code", "net"), "static", _go(ldflags="-linkmode external -extldflags -static"), cmd("netgo", EXT)),
    (("c-code",), "static", _go(ldflags="-linkmode external -extldflags -static"), None),
    (("c-code",), "dynamic", _go(ldflags="-extldflags '-L/opt/x -lm'"),
     cmd(None, "-extldflags '-L/opt/x -lm -static' -linkmode external")),
    (("plugin",), "dynamic", _go(), None),
])
def test_rebuild_rule(causes, linkage, go, fix):
    b = Binary(path="x", format="elf", linkage=linkage, go=go)
    got = cgo.rebuild(CgoInfo(True, True, causes), b)
    assert (got.command() if got else None) == fix


def test_rebuild_of_a_pie_stays_pie_and_becomes_static_pie():
    """Regression: -tags netgo on a -buildmode=pie build is still dynamic (Go's internal
    linker gives every PIE an interpreter); the fix keeps PIE through the external linker."""
    go = _go()
    go = GoInfo(go.version, go.path, go.main, go.deps, (("-buildmode", "pie"),) + go.settings[1:])
    b = Binary(path="x", format="elf", linkage="dynamic", go=go)
    got = cgo.rebuild(CgoInfo(True, True, ("net",)), b)
    assert got.command() == ("CGO_ENABLED=1 GOOS=linux GOARCH=amd64 go build -buildmode=pie "
                             "'-ldflags=-linkmode external -extldflags -static-pie' -tags netgo")
    got = cgo.rebuild(CgoInfo(True, True, ("c-code",)), b)
    assert got.command() == ("CGO_ENABLED=1 GOOS=linux GOARCH=amd64 go build -buildmode=pie "
                             "'-ldflags=-linkmode external -extldflags -static-pie'")


def test_parse_command_round_trip():
    gb = goflags.GoBuild((("CGO_ENABLED", "0"),), (("-ldflags", "-s -w"), ("-tags", "netgo"), ("-trimpath", "true")))
    env, args = goflags.parse_command(gb.command())
    assert env == {"CGO_ENABLED": "0"} and args == ["-ldflags=-s -w", "-tags", "netgo", "-trimpath"]
    with pytest.raises(ValueError):
        goflags.parse_command("make all")
