"""Every `fix:` explain offers for a Go build is followed for real: the program is rebuilt
with exactly that command (cached by buildkit under the same cache, keyed by the command), and the
rebuilt binary must have the property the fix is about and must not have lost one the original had.

Ground truth comes from the reference tools, never from linkscope: `file` (linkage, PIE, stripped,
debug_info), `readelf` (RELRO, BIND_NOW, the symbols naming __stack_chk_fail and __*_chk) and `go
version -m` (tags, -ldflags, build mode, CGO_ENABLED, GOOS/GOARCH and the arch level). Native
(linux/amd64) executables are also run, to show the rebuilt program still works.

Builds: every Go build of buildkit.SPECS, plus the modes a first real use found wrong that SPECS lacks (below). A
fix that needs a C compiler for a foreign architecture (the external linker on a cross build) is
checked for its shape only: this machine has no C cross toolchain that Go's cgo can use by default.
"""
from __future__ import annotations

import ast
import hashlib
import re
import subprocess

import pytest

import buildkit
import reference
from linkscope.go import flags as goflags
from linkscope.inspector import inspect

EXT = buildkit.EXT_STATIC                 # -ldflags=-linkmode external -extldflags -static
EXTRA = {s.name: s for s in [
    buildkit.go("fx-netapp-netgo-osusergo", "netapp", "-tags", "netgo,osusergo"),
    buildkit.go("fx-netapp-osusergo-extstatic", "netapp", "-tags", "osusergo", EXT),
    buildkit.go("fx-netapp-extstatic-sw", "netapp", "-ldflags=-s -w -linkmode external -extldflags -static"),
    buildkit.go("fx-netapp-netgo-ldx", "netapp", "-tags", "netgo", "-ldflags=-X 'main.version=1.0 beta'"),
    buildkit.go("fx-netapp-pie-sw", "netapp", "-buildmode=pie", "-ldflags=-s -w"),
    buildkit.go("fx-netapp-trimpath", "netapp", "-trimpath"),
    # -trimpath leaves the -ldflags unrecorded: the static external link is read from the binary itself.
    buildkit.go("fx-netapp-trimpath-extstatic", "netapp", "-trimpath", EXT),
    buildkit.go("fx-userapp-default", "userapp"),
    buildkit.go("fx-userapp-netgo-extstatic", "userapp", "-tags", "netgo", EXT),
    buildkit.go("fx-cgoapp-default", "cgoapp"),
    buildkit.go("fx-cgoapp-pie", "cgoapp", "-buildmode=pie"),
    # Linked by zig cc, which does not act on the -s Go passes it: the strip fix must still strip.
    # Go records no CC; each fix is rebuilt with this one, as the user's environment would have it.
    buildkit.go("fx-cgoapp-zig", "cgoapp", CC=buildkit.zig_cc("x86_64-linux-gnu")),
    # ... and zig links glibc only dynamically: a static (PIE) fix goes through zig's musl.
    buildkit.go("fx-cgoapp-zig-pie", "cgoapp", "-buildmode=pie", CC=buildkit.zig_cc("x86_64-linux-gnu")),
    buildkit.go("fx-hello-cgo0-gcflags", "hello", "-gcflags=all=-N -l", CGO_ENABLED="0"),
    buildkit.go("fx-hello-goamd64-v3", "hello", GOAMD64="v3"),
]}
GO_BUILDS = {**{n: s for n, s in buildkit.SPECS.items() if s.tool == "go"}, **EXTRA}
HOST = ("linux", "amd64")
# What the test programs call that glibc's NSS serves: net's resolver (netgo avoids it), os/user (osusergo).
NSS_TAG = {"netapp": "netgo", "userapp": "osusergo"}


# -- what the reference tools say ----------------------------------------------------------------------
def settings(path) -> dict[str, str]:
    """The `build` lines of `go version -m`, values unquoted (Go quotes them with strconv.Quote)."""
    out = {}
    for line in reference.go_version_m(path).splitlines():
        parts = line.strip().split("\t", 1)
        if len(parts) == 2 and parts[0] == "build":
            k, _, v = parts[1].partition("=")
            out[k] = ast.literal_eval(v) if v.startswith('"') else v
    return out


def truth(path, spec: buildkit.Spec) -> dict:
    s = settings(path)
    d = {"settings": s, "size": path.stat().st_size, "tags": set(goflags.tags(s.get("-tags")))}
    d["ldwords"] = goflags.split(s.get("-ldflags", ""))
    if spec.goos != "linux":
        return d
    f = reference.file_elf(path)
    d.update(linkage=f.get("linkage"), stripped=f.get("stripped"), debug_info=f.get("debug_info", False),
             pie="pie executable" in f["raw"] or "shared object" in f["raw"])
    phdrs = reference.run(["readelf", "-lW", str(path)])
    dyn = reference.run(["readelf", "-dW", str(path)])
    now = "BIND_NOW" in dyn or bool(re.search(r"FLAGS_1\)\s+Flags:.*\bNOW\b", dyn))
    # RELRO matters where something is relocated at run time (PT_DYNAMIC).
    d["relro"] = ("n/a" if "DYNAMIC" not in phdrs else "full" if "GNU_RELRO" in phdrs and now else "other")
    syms = reference.run(["readelf", "-sW", "--dyn-syms", str(path)])
    names = {ln.split()[7].split("@")[0] for ln in syms.splitlines()
             if re.match(r"\s*\d+:", ln) and len(ln.split()) > 7}
    d["stack_chk"] = "__stack_chk_fail" in names
    d["fortify"] = any(re.fullmatch(r"__\w+_chk", n) and not n.startswith("__stack_chk") for n in names)
    d["static"] = d["linkage"] in ("static", "static-pie")
    return d


def nss_hazard(t: dict, program: str) -> bool:
    """Statically linked glibc that still uses NSS: an external static link (glibc inside) of a
    program whose lookups go through cgo (its pure-Go tag missing)."""
    s = t["settings"]
    return (bool(t.get("static")) and s.get("CGO_ENABLED") == "1" and goflags.external_linkmode(s.get("-ldflags"))
            and program in NSS_TAG and NSS_TAG[program] not in t["tags"])


def rebuild(program: str, fix: str, **extra: str):
    """``program`` built with exactly ``fix`` (plus ``extra`` environment: a cross CC, or the CC the
    original was built with where the fix names none), cached by command. A fix's `zig cc` runs as
    buildkit's zig."""
    env, args = goflags.parse_command(fix)
    if "CC" in env:
        extra.pop("CC", None)
        if env["CC"].startswith("zig "):
            env["CC"] = env["CC"].replace("zig", " ".join(buildkit.zig_cmd()), 1)
    key = hashlib.sha256(repr((fix, sorted(extra.items()))).encode()).hexdigest()[:12]
    return buildkit.build(buildkit.go(f"fx-{program}-{key}", program, *args, **{**env, **extra}))


# The C cross compilers this machine has for cgo (zig, musl): the fix needs one, Go records none.
CROSS_CC = {"arm64": buildkit.zig_cc("aarch64-linux-musl")}


def needs_cross_cc(fix: str) -> bool:
    env, args = goflags.parse_command(fix)
    ld = next((a[len("-ldflags="):] for a in args if a.startswith("-ldflags=")), "")
    return env.get("CGO_ENABLED") == "1" and (env.get("GOOS"), env.get("GOARCH")) != HOST and (
        goflags.external_linkmode(ld) or env.get("GOARCH") in ("386", "arm", "riscv64") and "-buildmode=pie" in args)


# -- the checks --------------------------------------------------------------------------------------
def assert_gained(fid: str, before: dict, after: dict, program: str, spec) -> None:
    if fid == "cgo.used":
        assert after["static"], after
    elif fid == "static-glibc.nss":
        assert after["static"] and not nss_hazard(after, program), after
    elif fid == "hardening.pie":
        assert after["pie"], after
    elif fid == "hardening.relro":
        assert after["relro"] == "full", after
    elif fid == "hardening.stack-protector":
        # -fstack-protector-strong instruments only functions with arrays or address-taken locals, so
        # the symbol may not come; the C compiler got the flag (go version -m records CGO_CFLAGS).
        assert "-fstack-protector-strong" in after["settings"].get("CGO_CFLAGS", "").split(), after["settings"]
        assert after["stack_chk"] or program == "cgoapp", "no __stack_chk_fail after the fix"
    elif fid == "hardening.fortify":
        assert after["fortify"], "no __*_chk function after the fix"
    elif fid == "size.strip":
        assert after["size"] < before["size"]
        assert {"-s", "-w"} <= set(after["ldwords"]) or "-trimpath" in after["settings"]
        if spec.goos == "linux":
            assert after["stripped"] is True and not after["debug_info"], after
    else:
        raise AssertionError(f"no rule for what {fid} gains")


_LINKMODE = {"-linkmode", "external", "-linkmode=external", "-extldflags", "-static", "-static-pie"}


def assert_kept(fid: str, before: dict, after: dict, program: str, spec) -> None:
    b, a = before["settings"], after["settings"]
    for k in ("GOOS", "GOARCH", "GOAMD64", "GOARM", "GO386", "-trimpath", "-gcflags", "-compiler"):
        assert a.get(k) == b.get(k), (k, b.get(k), a.get(k))
    assert before["tags"] <= after["tags"], (before["tags"], after["tags"])
    mode = b.get("-buildmode")
    assert a.get("-buildmode") == mode or fid in ("hardening.pie", "hardening.relro") and a["-buildmode"] == "pie"
    user_ld = [w for w in before["ldwords"] if w not in _LINKMODE]
    assert all(w in after["ldwords"] for w in user_ld) or "-trimpath" in a, (before["ldwords"], after["ldwords"])
    if b.get("CGO_ENABLED") != a.get("CGO_ENABLED"):
        # Only a static PIE turns cgo on, and then keeps net and os/user pure Go.
        assert b.get("CGO_ENABLED") == "0" and {"netgo", "osusergo"} <= after["tags"], (b, a)
    if spec.goos != "linux":
        return
    if before["static"]:
        assert after["static"], f"{fid} made a static binary {after['linkage']}"
    if before["pie"]:
        assert after["pie"], f"{fid} lost PIE"
    if before["stripped"]:
        assert after["stripped"], f"{fid} lost -s -w"
    if not nss_hazard(before, program):
        assert not nss_hazard(after, program), f"{fid} brought the NSS hazard back"
    if before["relro"] == "full":
        # ... or static without PT_DYNAMIC: nothing is relocated at run time, nothing left to protect.
        assert after["relro"] == "full" or after["static"] and after["relro"] == "n/a", after["relro"]


def runs(path, spec) -> bool:
    if (spec.goos, spec.goarch) != HOST or "c-shared" in " ".join(spec.args):
        return True
    r = subprocess.run([str(path)], capture_output=True, text=True, timeout=60)
    return r.returncode == 0


def fixes_of(path) -> list[tuple[str, str, str]]:
    """(finding id, fix, title) of every finding whose fix is a go build command."""
    out = []
    for f in inspect(path).findings:
        if f.fix and " go build" in " " + f.fix:
            out.append((f.id, f.fix, f.title))
    return out


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(GO_BUILDS))
def test_every_fix_gains_its_property_and_keeps_the_rest(name):
    spec = GO_BUILDS[name]
    path = buildkit.build(spec)
    before = truth(path, spec)
    for fid, fix, title in fixes_of(path):
        env, args = goflags.parse_command(fix)        # a complete command: the target is spelled out
        assert (env["GOOS"], env["GOARCH"]) == (spec.goos, spec.goarch), fix
        extra = {"CC": dict(spec.env)["CC"]} if "CC" in dict(spec.env) else {}
        if needs_cross_cc(fix):
            # PIE kept static through the external linker, which needs a C compiler for the target.
            assert fid == "hardening.pie" or fid == "hardening.relro", (fid, fix)
            assert "-buildmode=pie" in args and "-static-pie" in fix and "C toolchain" in title, (fix, title)
            if spec.goarch not in CROSS_CC:
                continue                                   # shape only: no C cross compiler here
            extra = {"CC": CROSS_CC[spec.goarch]}
        fixed = rebuild(spec.program, fix, **extra)
        after = truth(fixed, spec)
        assert_gained(fid, before, after, spec.program, spec)
        assert_kept(fid, before, after, spec.program, spec)
        assert runs(fixed, spec), f"{fix}: the rebuilt program fails"


def test_the_builds_exercise_every_kind_of_go_fix():
    kinds = {fid for name, spec in GO_BUILDS.items() for fid, _, _ in fixes_of(buildkit.build(spec))}
    assert kinds == {"cgo.used", "static-glibc.nss", "hardening.pie", "hardening.relro", "hardening.stack-protector",
                     "hardening.fortify", "size.strip"}


def test_a_cross_pie_fix_is_really_static_pie_for_arm64():
    spec = buildkit.SPECS["go-linux-arm64"]
    fix, _ = _fix(buildkit.build(spec), "hardening.pie")
    f = reference.file_elf(rebuild("hello", fix, CC=CROSS_CC["arm64"]))
    assert f["linkage"] == "static-pie" and "ARM aarch64" in f["raw"], f


# -- the cases a first real use found, each on its own -----------------------------------------------------------
def _fix(path, fid: str) -> tuple[str, str]:
    return next((fix, title) for i, fix, title in fixes_of(path) if i == fid)


def test_strip_fix_on_a_netgo_build_keeps_it_static():
    spec = buildkit.SPECS["go-netgo"]
    fix, _ = _fix(buildkit.build(spec), "size.strip")
    assert fix == "CGO_ENABLED=1 GOOS=linux GOARCH=amd64 go build '-ldflags=-s -w' -tags netgo"
    after = truth(rebuild("netapp", fix), spec)
    assert after["linkage"] == "static" and after["stripped"] is True


def test_strip_fix_on_osusergo_external_static_keeps_the_tag():
    spec = EXTRA["fx-netapp-osusergo-extstatic"]
    fix, _ = _fix(buildkit.build(spec), "size.strip")
    assert fix == ("CGO_ENABLED=1 GOOS=linux GOARCH=amd64 go build "
                   "'-ldflags=-linkmode external -extldflags -static -s -w' -tags osusergo")
    after = truth(rebuild("netapp", fix), spec)
    assert after["linkage"] == "static" and after["tags"] == {"osusergo"} and after["stripped"] is True


@pytest.mark.parametrize("name,want", [
    # Go's internal linker: cgo on, and net / os/user kept pure Go.
    ("go-cgo0", "CGO_ENABLED=1 GOOS=linux GOARCH=amd64 go build -buildmode=pie "
                "'-ldflags=-linkmode external -extldflags -static-pie' -tags netgo,osusergo"),
    ("go-netgo", "CGO_ENABLED=1 GOOS=linux GOARCH=amd64 go build -buildmode=pie "
                 "'-ldflags=-linkmode external -extldflags -static-pie' -tags netgo"),
    # Already the external linker: -static becomes -static-pie (gcc's -static would win over -pie).
    ("go-extstatic", "CGO_ENABLED=1 GOOS=linux GOARCH=amd64 go build -buildmode=pie "
                     "'-ldflags=-linkmode external -extldflags -static-pie'"),
])
def test_pie_fix_on_a_static_build_stays_static(name, want):
    spec = buildkit.SPECS[name]
    fix, title = _fix(buildkit.build(spec), "hardening.pie")
    assert fix == want
    assert "always makes the binary dynamic" in title and "-static-pie" in title
    if "CGO_ENABLED=0" in reference.go_version_m(buildkit.build(spec)):
        assert "CGO_ENABLED=1" in title
    after = truth(rebuild(spec.program, fix), spec)
    assert after["linkage"] == "static-pie" and after["pie"]


def test_pie_fix_on_a_dynamic_build_is_only_the_build_mode():
    fix, title = _fix(buildkit.get("go-default"), "hardening.pie")
    assert fix == "CGO_ENABLED=1 GOOS=linux GOARCH=amd64 go build -buildmode=pie"
    assert "static" not in title


@pytest.mark.parametrize("name", ["go-linux-mips", "go-linux-mips64le"])
def test_no_pie_fix_where_go_cannot_build_one(name):
    f = next(f for f in inspect(buildkit.get(name)).findings if f.id == "hardening.pie")
    goarch = buildkit.SPECS[name].goarch
    assert f.fix is None and f"cannot build a position-independent executable for linux/{goarch}" in f.title


def test_a_trimpath_fix_says_the_ldflags_were_not_recorded():
    """Go records no -ldflags for a -trimpath build (golang/go#52372): the fix cannot keep them and says so."""
    path = buildkit.build(EXTRA["fx-netapp-trimpath"])
    assert "-ldflags" not in settings(path)
    fix, title = _fix(path, "size.strip")
    assert fix == "CGO_ENABLED=1 GOOS=linux GOARCH=amd64 go build '-ldflags=-s -w' -trimpath"
    assert "Go does not record -ldflags for a -trimpath build" in title


def test_a_trimpath_fix_keeps_the_static_link_the_binary_shows():
    """A -trimpath build linked statically by the external linker: its -ldflags are not recorded, but
    the binary shows the link (gcc, no PT_INTERP), and every fix keeps it: -s -w alone would make it
    dynamic. The rebuilds themselves are checked by test_every_fix_gains_its_property_and_keeps_the_rest."""
    path = buildkit.build(EXTRA["fx-netapp-trimpath-extstatic"])
    assert "-ldflags" not in settings(path)
    fix, title = _fix(path, "size.strip")
    assert fix == ("CGO_ENABLED=1 GOOS=linux GOARCH=amd64 go build "
                   "'-ldflags=-linkmode external -extldflags -static -s -w' -trimpath")
    assert "keeps the static external link the binary shows" in title and "add the other original ones" in title
    for fid, fix, title in fixes_of(path):
        _, args = goflags.parse_command(fix)
        ld = next((a[len("-ldflags="):] for a in args if a.startswith("-ldflags=")), None)
        if ld is None:       # net's pure-Go resolver instead: no cgo left, Go's own static link
            assert fid in ("cgo.used", "static-glibc.nss") and args[:2] == ["-tags", "netgo"], (fid, fix)
            assert "keeps the static external link" not in title, (fid, title)
        else:
            assert goflags.external_linkmode(ld) and {"-static", "-static-pie"} & set(goflags.extldflags(ld)), (fid, fix)


def test_user_ldflags_survive_every_fix():
    path = buildkit.build(EXTRA["fx-netapp-netgo-ldx"])
    for fid, fix, _ in fixes_of(path):
        env, args = goflags.parse_command(fix)
        ld = [goflags.split(a[len("-ldflags="):]) for a in args if a.startswith("-ldflags=")]
        assert len(ld) == 1 and ld[0][:2] == ["-X", "main.version=1.0 beta"], (fid, fix)


def test_nss_fix_for_own_c_lookups_links_musl():
    """A Go program whose own C code calls getpwnam, linked statically with glibc: no Go tag helps;
    the fix is the same static external link with zig's musl (`zig cc` here runs as buildkit's zig)."""
    spec = buildkit.go("fx-cnssapp-extstatic", "cnssapp", EXT)
    path = buildkit.build(spec)
    syms = reference.run(["readelf", "-sW", str(path)])
    assert "getpwnam" in syms and "__nss_" in syms                 # glibc's NSS inside
    fix, title = _fix(path, "static-glibc.nss")
    assert fix == ("CGO_ENABLED=1 GOOS=linux GOARCH=amd64 CC='zig cc -target x86_64-linux-musl' go build "
                   "'-ldflags=-linkmode external -extldflags -static'")
    assert "musl" in title
    fixed = rebuild("cnssapp", fix)
    f = reference.file_elf(fixed)
    assert f["linkage"] == "static" and "GNU/Linux" not in f["raw"]      # no glibc start files
    assert "__nss_" not in reference.run(["readelf", "-sW", str(fixed)])
    r = subprocess.run([str(fixed)], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0 and r.stdout.strip() == "root uid 0"
    assert not any(x.id == "static-glibc.nss" for x in inspect(fixed).findings)
    # zig linked it: its strip fix has lld strip (zig cc drops Go's -s) and keeps the static link.
    sfix, _ = _fix(fixed, "size.strip")
    assert "-extldflags '\"'\"'-static -Wl,--strip-all'\"'\"' -s -w" in sfix, sfix
    f = reference.file_elf(rebuild("cnssapp", sfix))
    assert f["linkage"] == "static" and f.get("stripped") is True and not f.get("debug_info"), f
