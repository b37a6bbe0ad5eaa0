"""`linkscope check`: every rule passing and failing over real builds, exit codes, policy files,
usage errors, and the JSON document validated against schema/check.schema.json.

Binaries come from tests/buildkit.py (cached real builds); the RPATH/RUNPATH programs and the object
file are buildkit Specs spelled out below, the universal Mach-O file by the
``fat_go`` fixture (conftest.py, crafted.build_fat).
A record field a case needs (cgo, glibc_min) that comes back None is a failure, not a skip: a
broken analysis must not turn these cases green by skipping them.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import struct

import pytest

import buildkit
from clirun import run
import reference
import linkscope
from linkscope import policy as pol



def validate_check(doc: dict) -> dict:
    return reference.validate(doc, "check.schema.json")


def rules_of(out: str, path: str) -> list[str]:
    """The rule of every violation line of ``path``, in output order; checks the line shape."""
    rules = []
    for ln in out.splitlines():
        m = re.fullmatch(r"(.+?): ([a-z-]+): (.+)", ln)
        assert m, f"not a violation line: {ln!r}"
        if m.group(1) == path:
            rules.append(m.group(2))
    return rules


def needs(rec, field: str):
    assert getattr(rec, field) is not None, f"{rec.path}: {field} is missing where the build has one"


# -- fixtures built here -------------------------------------------------------------------------------
RPATH_SPECS = {   # Debian's ld writes DT_RUNPATH for -rpath; --disable-new-dtags makes it DT_RPATH
    "runpath": buildkit.Spec("check-gcc-runpath", "gcc", "cprog", ("-O1", "-Wl,-rpath,/opt/x")),
    "rpath": buildkit.Spec("check-gcc-rpath", "gcc", "cprog", ("-O1", "-Wl,-rpath,/opt/x", "-Wl,--disable-new-dtags")),
}


@pytest.fixture(scope="session")
def rpath_bins() -> dict[str, str]:
    """gcc -O1 -Wl,-rpath,/opt/x hello.c, and the same with -Wl,--disable-new-dtags (buildkit)."""
    if shutil.which("gcc") is None:
        reference.tool_missing("gcc")
    return {name: str(buildkit.build(spec)) for name, spec in RPATH_SPECS.items()}


# -- every rule, passing and failing -------------------------------------------------------------------
# (case, build, options, expected violation rules in output order)
CASES = [
    ("require static: static Go passes", "go-netgo", ["--require", "static"], []),
    ("require static: dynamic Go fails", "go-default", ["--require", "static"], ["require"]),
    ("require static: static-pie fails", "gcc-static-pie", ["--require", "static"], ["require"]),
    ("require static: external static link passes", "go-extstatic", ["--require", "static"], []),
    ("require static-pie: static-pie passes", "gcc-static-pie", ["--require", "static-pie"], []),
    ("require static-pie: static fails", "go-netgo", ["--require", "static-pie"], ["require"]),
    ("require either: static passes", "go-netgo", ["--require", "static-or-static-pie"], []),
    ("require either: static-pie passes", "gcc-static-pie", ["--require", "static-or-static-pie"], []),
    ("require either: dynamic fails", "go-default", ["--require", "static-or-static-pie"], ["require"]),
    ("require dynamic: dynamic passes", "go-default", ["--require", "dynamic"], []),
    ("require dynamic: static fails", "go-netgo", ["--require", "dynamic"], ["require"]),
    ("require-stripped: -s -w passes", "go-sw", ["--require-stripped"], []),
    ("require-stripped: default build fails", "go-default", ["--require-stripped"], ["require-stripped"]),
    ("require-stripped: C program fails", "gcc-static-pie", ["--require-stripped"], ["require-stripped"]),
    ("require-pie: go -buildmode=pie passes", "go-pie", ["--require-pie"], []),
    ("require-pie: static-pie passes", "gcc-static-pie", ["--require-pie"], []),
    ("require-pie: gcc default (pie) passes", "gcc-dynamic", ["--require-pie"], []),
    ("require-pie: go default fails", "go-default", ["--require-pie"], ["require-pie"]),
    ("require-pie: static non-pie fails", "go-netgo", ["--require-pie"], ["require-pie"]),
    ("forbid-cgo: C program is not applicable", "gcc-static-pie", ["--forbid-cgo"], []),
    ("allow-needed: libc allowed", "go-default", ["--allow-needed", "libc.so.*"], []),
    ("allow-needed: nothing needed passes", "go-netgo", ["--allow-needed", "libc.so.6"], []),
    ("allow-needed: libpthread not allowed", "zig-glibc-2.28", ["--allow-needed", "libc.so.*"], ["allow-needed"]),
    ("allow-needed: repeated globs", "zig-glibc-2.28",
     ["--allow-needed", "libc.so.*", "--allow-needed", "libpthread.so.*"], []),
    ("allow-needed: every library outside", "zig-glibc-2.28", ["--allow-needed", "libm.so.6"],
     ["allow-needed", "allow-needed"]),
    ("allow-needed: PE names case-insensitive", "go-windows-amd64", ["--allow-needed", "KERNEL32.DLL"], []),
    ("allow-needed: Mach-O basename glob", "go-darwin-arm64", ["--allow-needed", "lib*.dylib"], []),
    ("allow-needed: Mach-O path glob", "go-darwin-arm64", ["--allow-needed", "/usr/lib/libSystem*"], ["allow-needed"]),
    ("forbid-needed: static passes", "go-netgo", ["--forbid-needed", "libc.so*"], []),
    ("forbid-needed: libc forbidden", "go-default", ["--forbid-needed", "libc.so*"], ["forbid-needed"]),
    ("forbid-needed: two forbidden", "zig-glibc-2.28", ["--forbid-needed", "libc.so*", "--forbid-needed", "libpthread*"],
     ["forbid-needed", "forbid-needed"]),
    ("forbid-needed: unrelated glob passes", "zig-glibc-2.28", ["--forbid-needed", "libssl*"], []),
    ("require-go-version >=1.22 passes", "go-default", ["--require-go-version", ">=1.22"], []),
    ("require-go-version range passes", "go-default", ["--require-go-version", ">=go1.22, <2.0"], []),
    ("require-go-version <1.22 fails", "go-default", ["--require-go-version", "<1.22"], ["require-go-version"]),
    ("require-go-version ==1.22 fails", "go-default", ["--require-go-version", "==1.22"], ["require-go-version"]),
    ("require-go-version >1.22rc1 passes", "go-sw", ["--require-go-version", ">go1.22rc1"], []),
    ("require-go-version non-Go fails", "gcc-static-pie", ["--require-go-version", ">=1.0"], ["require-go-version"]),
    ("max-glibc: pure Go needs none", "go-netgo", ["--max-glibc", "2.17"], []),
    ("max-glibc: musl needs none", "zig-musl-static", ["--max-glibc", "2.17"], []),
]


@pytest.mark.parametrize("build,options,expected", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_rule(capsys, build, options, expected):
    path = buildkit.path_of(build)
    code, out, err = run(capsys, "check", "--no-config", *options, path)
    assert rules_of(out, path) == expected, out
    assert code == (1 if expected else 0)
    assert "checked" in err


def test_go_version_exact_and_not_equal(capsys):
    path, v = buildkit.path_of("go-default"), reference.go_version()
    assert run(capsys, "check", "--no-config", "--require-go-version", f"=={v}", path)[0] == 0
    code, out, _ = run(capsys, "check", "--no-config", "--require-go-version", f"!={v}", path)
    assert code == 1 and out == f"{path}: require-go-version: built with {v}, the policy requires Go !={v}\n"
    # A language version is below every release of it (go/version order): <=1.N fails for go1.N.x.
    lang = re.match(r"go(\d+\.\d+)", v).group(1)
    assert run(capsys, "check", "--no-config", "--require-go-version", f"<={lang}", path)[0] == 1
    assert run(capsys, "check", "--no-config", "--require-go-version", f">={lang}", path)[0] == 0


def test_require_message_and_evidence(capsys):
    path = buildkit.path_of("go-default")
    code, out, _ = run(capsys, "check", "--no-config", "--require", "static", path)
    assert code == 1
    assert out.startswith(f"{path}: require: linkage is dynamic, the policy requires static "
                          "(interpreter /lib64/ld-linux-x86-64.so.2; needs libc.so.6")


def test_forbid_rpath(capsys, rpath_bins):
    for kind, tag in (("runpath", "RUNPATH"), ("rpath", "RPATH")):
        code, out, _ = run(capsys, "check", "--no-config", "--forbid-rpath", rpath_bins[kind])
        assert code == 1
        assert out == f"{rpath_bins[kind]}: forbid-rpath: has {tag} ({tag} /opt/x)\n"
    code, out, _ = run(capsys, "check", "--no-config", "--forbid-rpath", buildkit.path_of("gcc-dynamic"), buildkit.path_of("go-default"))
    assert (code, out) == (0, "")


@pytest.mark.parametrize("limit,ok", [
    ("exact", True), ("exact-1", False), ("1MiB", False), ("1MB", False), ("100MiB", True), ("1GB", True),
    ("2KiB", False),
])
def test_max_size(capsys, limit, ok):
    path = buildkit.path_of("go-default")
    size = os.path.getsize(path)
    text = {"exact": str(size), "exact-1": f"{size - 1}B"}.get(limit, limit)
    code, out, _ = run(capsys, "check", "--no-config", "--max-size", text, path)
    assert code == (0 if ok else 1)
    if not ok:
        assert rules_of(out, path) == ["max-size"]
        assert f"file is {size:,} bytes, over the {pol.parse_size(text):,}-byte limit" in out


def test_max_size_zero_is_a_rule(capsys):
    path = buildkit.path_of("go-netgo")
    code, out, _ = run(capsys, "check", "--no-config", "--json", "--max-size", "0", path)
    doc = validate_check(json.loads(out))
    assert code == 1 and doc["policy"] == {"max-size": 0}
    assert [v["rule"] for v in doc["results"][0]["violations"]] == ["max-size"]


@pytest.mark.parametrize("text,value", [
    ("4096", 4096), ("512B", 512), ("1KB", 1000), ("1KiB", 1024), ("12MB", 12_000_000), ("12MiB", 12 * 2**20),
    ("2GB", 2 * 10**9), ("2GiB", 2 * 2**30), ("1.5 MiB", 3 * 2**19), ("12mib", 12 * 2**20), (" 7 kb ", 7000),
])
def test_parse_size(text, value):
    assert pol.parse_size(text) == value


def test_forbid_cgo(capsys):
    """cgo used (runtime/cgo linked in) fails; a static netgo build and an external static link
    differ: the latter is static and still uses cgo."""
    cases = {"go-default": True, "go-extstatic": True, "go-netgo": False, "go-cgo0": False}
    for build, uses in cases.items():
        rec = linkscope.inspect(buildkit.path_of(build))
        assert rec.cgo is not None and rec.cgo.used is not None, (build, rec.cgo)
        code, out, _ = run(capsys, "check", "--no-config", "--forbid-cgo", buildkit.path_of(build))
        assert code == (1 if uses else 0), (build, out)
        if uses:
            assert out.startswith(f"{buildkit.path_of(build)}: forbid-cgo: uses cgo")


@pytest.mark.parametrize("limit,ok", [("2.28", True), ("2.29", True), ("2.100", True), ("2.27", False),
                                      ("2.3", False), ("2.17", False), ("3", True)])
def test_max_glibc(capsys, limit, ok):
    """The zig aarch64-linux-gnu.2.28 build has a glibc floor of 2.28; versions compare as numbers."""
    path = buildkit.path_of("zig-glibc-2.28")
    rec = linkscope.inspect(path)
    needs(rec, "glibc_min")
    assert rec.glibc_min == "2.28"
    code, out, _ = run(capsys, "check", "--no-config", "--max-glibc", limit, path)
    assert code == (0 if ok else 1)
    if not ok:
        assert out.startswith(f"{path}: max-glibc: needs glibc 2.28, the policy allows at most {limit}")


# -- many rules, many files ----------------------------------------------------------------------------
ALL = ["--require", "static", "--require-stripped", "--require-pie", "--max-size", "1MiB", "--forbid-rpath",
       "--forbid-needed", "libc.so*", "--require-go-version", "<1.22"]


def test_multiple_violations_per_file(capsys):
    path = buildkit.path_of("go-default")
    code, out, _ = run(capsys, "check", "--no-config", *ALL, path)
    assert code == 1
    assert rules_of(out, path) == ["require", "require-stripped", "require-pie", "max-size", "forbid-needed",
                                   "require-go-version"]


def test_multiple_files_mixed(capsys):
    static, dynamic, spie = buildkit.path_of("go-netgo"), buildkit.path_of("go-default"), buildkit.path_of("gcc-static-pie")
    code, out, err = run(capsys, "check", "--no-config", "--require", "static", static, dynamic, spie)
    assert code == 1
    assert [ln.split(": ")[0] for ln in out.splitlines()] == [dynamic, spie]
    assert "3 files checked: 2 failed the policy with 2 violations" in err
    code, out, err = run(capsys, "check", "--no-config", "--require", "static", static, buildkit.path_of("go-extstatic"))
    assert (code, out) == (0, "") and "2 files checked: all meet the policy" in err


def test_unreadable_input_fails_and_others_still_checked(capsys, tmp_path):
    text = tmp_path / "notes.txt"
    text.write_text("not a binary\n")
    missing = tmp_path / "missing"
    dynamic = buildkit.path_of("go-default")
    code, out, err = run(capsys, "check", "--no-config", "--require", "static", missing, text, dynamic)
    assert code == 1
    # The unreadable input's error is said once, on stderr; a text file is not a binary: skipped, said so.
    assert rules_of(out, str(missing)) == [] and rules_of(out, str(text)) == []
    assert rules_of(out, dynamic) == ["require"]
    assert f"linkscope: {missing}: no such file\n" in err
    assert f"linkscope check: {text}: not a binary (ASCII text): the policy does not apply\n" in err
    code, out, _ = run(capsys, "check", "--no-config", "--json", "--require", "static", missing, text, dynamic)
    doc = validate_check(json.loads(out))
    assert [[v["rule"] for v in r["violations"]] for r in doc["results"]] == [["unreadable"], [], ["require"]]
    assert doc["results"][1]["skipped"] == "not a binary (ASCII text): the policy does not apply"


def test_universal_macho_each_slice(capsys, fat_go):
    code, out, _ = run(capsys, "check", "--no-config", "--require", "static", fat_go)
    assert code == 1
    assert out.splitlines() == [
        f"{fat_go}: require: [amd64] linkage is dynamic, the policy requires static "
        "(interpreter /usr/lib/dyld; needs /usr/lib/libSystem.B.dylib, /usr/lib/libresolv.9.dylib)",
        f"{fat_go}: require: [arm64] linkage is dynamic, the policy requires static "
        "(interpreter /usr/lib/dyld; needs /usr/lib/libSystem.B.dylib, /usr/lib/libresolv.9.dylib)",
    ]
    assert run(capsys, "check", "--no-config", "--require-pie", "--require-go-version", ">=1.22", fat_go)[0] == 0
    code, out, _ = run(capsys, "check", "--no-config", "--forbid-needed", "libresolv*", "--max-size", "1MiB", fat_go)
    assert code == 1
    assert rules_of(out, fat_go) == ["max-size", "forbid-needed", "forbid-needed"]   # size once, per slice the rest
    doc = validate_check(json.loads(run(capsys, "check", "--no-config", "--forbid-needed", "libresolv*", "--json",
                                        fat_go)[1]))
    assert [v["slice"] for v in doc["results"][0]["violations"]] == ["amd64", "arm64"]


# -- JSON ------------------------------------------------------------------------------------------------
def test_json_document(capsys, tmp_path):
    static, dynamic = buildkit.path_of("go-netgo"), buildkit.path_of("go-default")
    code, out, _ = run(capsys, "check", "--no-config", "--json", *ALL, "--allow-needed", "libc.so.6",
                       static, dynamic, tmp_path / "missing")
    assert code == 1
    doc = validate_check(json.loads(out))
    assert doc["ok"] is False and doc["config"] is None
    assert doc["policy"] == {"require": "static", "require-stripped": True, "require-pie": True, "max-size": 2**20,
                             "forbid-rpath": True, "allow-needed": ["libc.so.6"], "forbid-needed": ["libc.so*"],
                             "require-go-version": "<1.22"}
    assert [(r["path"], r["ok"]) for r in doc["results"]] == [(static, False), (dynamic, False),
                                                              (str(tmp_path / "missing"), False)]
    assert [v["rule"] for v in doc["results"][2]["violations"]] == ["unreadable"]
    assert doc["summary"] == {"files": 3, "failed": 3, "violations": sum(len(r["violations"]) for r in doc["results"])}
    code, out, _ = run(capsys, "check", "--no-config", "--json", "--require", "static", static)
    doc = validate_check(json.loads(out))
    assert code == 0 and doc["ok"] is True and doc["results"] == [{"path": static, "ok": True, "violations": [], "skipped": None}]


# -- usage errors --------------------------------------------------------------------------------------
@pytest.mark.parametrize("argv,message", [
    (["--max-size", "12 parsecs"], "unknown unit 'parsecs'"),
    (["--max-size", "-1"], "invalid size '-1'"),
    (["--max-size", "1.5"], "a byte count must be whole"),
    (["--require-go-version", "banana"], "needs an operator"),
    (["--require-go-version", "1.22"], "did you mean '>=1.22'"),
    (["--require-go-version", ">=banana"], "invalid Go version 'banana'"),
    (["--require-go-version", ">=1.22,"], "needs an operator"),
    (["--require", "semi-static"], "invalid choice"),
    (["--max-glibc", "latest"], "invalid glibc version 'latest'"),
    (["--allow-needed", ""], "empty pattern"),
    (["--no-config"], "no policy"),
    (["--config", "/nonexistent/linkscope.toml"], "no such policy file"),
    (["--config", "x.toml", "--no-config", "--require", "static"], "not allowed with"),
    (["--no-config", "--require", "static", "--sarif", "/nonexistent/dir/out.sarif"], "cannot write"),
])
def test_usage_errors_exit_2(capsys, argv, message):
    code, out, err = run(capsys, "check", *argv, buildkit.path_of("go-netgo"))
    assert code == 2, err
    assert message in err and out == ""


# -- policy files --------------------------------------------------------------------------------------
PYPROJECT = """\
[project]
name = "demo"

[tool.linkscope.check]
require = "static"
max-size = "100MiB"
forbid_rpath = true
"""

LINKSCOPE_TOML = """\
[check]
require = "dynamic"
allow-needed = ["libc.so.*"]
require_go_version = ">=1.22"

[diff]
ignored = "other commands' tables are not the policy"
"""


def test_pyproject_policy(capsys, tmp_path, monkeypatch):
    (tmp_path / "pyproject.toml").write_text(PYPROJECT)
    monkeypatch.chdir(tmp_path)
    static, dynamic = buildkit.path_of("go-netgo"), buildkit.path_of("go-default")
    assert run(capsys, "check", static)[0] == 0
    code, out, err = run(capsys, "check", dynamic)
    assert code == 1 and rules_of(out, dynamic) == ["require"]
    assert f"(policy: {tmp_path / 'pyproject.toml'})" in err
    doc = validate_check(json.loads(run(capsys, "check", "--json", static)[1]))
    assert doc["config"] == str(tmp_path / "pyproject.toml")
    assert doc["policy"] == {"require": "static", "max-size": 100 * 2**20, "forbid-rpath": True}


def test_linkscope_toml_policy_found_from_a_subdirectory(capsys, tmp_path, monkeypatch):
    (tmp_path / "linkscope.toml").write_text(LINKSCOPE_TOML)
    sub = tmp_path / "build" / "out"
    sub.mkdir(parents=True)
    monkeypatch.chdir(sub)
    dynamic, zig = buildkit.path_of("go-default"), buildkit.path_of("zig-glibc-2.28")
    assert run(capsys, "check", dynamic)[0] == 0
    code, out, _ = run(capsys, "check", zig)
    assert code == 1 and rules_of(out, zig) == ["allow-needed", "require-go-version"]


def test_linkscope_toml_wins_over_pyproject_and_policyless_pyproject_is_skipped(capsys, tmp_path, monkeypatch):
    (tmp_path / "linkscope.toml").write_text(LINKSCOPE_TOML)
    (tmp_path / "pyproject.toml").write_text(PYPROJECT)
    assert pol.discover(tmp_path) == tmp_path / "linkscope.toml"
    inner = tmp_path / "pkg"
    inner.mkdir()
    (inner / "pyproject.toml").write_text("[project]\nname = 'inner'\n[tool.other]\nx = 1\n")
    assert pol.discover(inner) == tmp_path / "linkscope.toml"
    (inner / "pyproject.toml").write_text(PYPROJECT)
    assert pol.discover(inner) == inner / "pyproject.toml"
    monkeypatch.chdir(inner)
    assert run(capsys, "check", buildkit.path_of("go-netgo"))[0] == 0           # inner pyproject: require static


def test_cli_overrides_file(capsys, tmp_path, monkeypatch):
    (tmp_path / "pyproject.toml").write_text(PYPROJECT)
    monkeypatch.chdir(tmp_path)
    dynamic = buildkit.path_of("go-default")
    # require = "static" in the file; the option wins.
    assert run(capsys, "check", "--require", "dynamic", dynamic)[0] == 0
    # a smaller size limit on the command line, the file's other rules still apply
    code, out, _ = run(capsys, "check", "--max-size", "1MiB", dynamic)
    assert code == 1 and rules_of(out, dynamic) == ["require", "max-size"]
    # the file turns forbid-rpath on; --no-forbid-rpath turns it off
    (tmp_path / "linkscope.toml").write_text('[check]\nforbid-rpath = true\nallow-needed = ["libm.so.6"]\n')
    doc = json.loads(run(capsys, "check", "--json", "--no-forbid-rpath", "--allow-needed", "libc.so.6", dynamic)[1])
    assert doc["policy"] == {"allow-needed": ["libc.so.6"]} and doc["ok"] is True
    # --no-config ignores the file, --config names one
    assert run(capsys, "check", "--no-config", "--require", "static", buildkit.path_of("go-netgo"))[0] == 0
    other = tmp_path / "ci.toml"
    other.write_text('[check]\nrequire = "static-pie"\n')
    code, out, _ = run(capsys, "check", "--config", other, buildkit.path_of("gcc-static-pie"), dynamic)
    assert code == 1 and rules_of(out, dynamic) == ["require"] and rules_of(out, buildkit.path_of("gcc-static-pie")) == []


def test_explicit_pyproject_config(capsys, tmp_path):
    p = tmp_path / "pyproject.toml"
    p.write_text(PYPROJECT)
    assert run(capsys, "check", "--config", p, buildkit.path_of("go-netgo"))[0] == 0
    p.write_text("[project]\nname = 'x'\n")
    code, _, err = run(capsys, "check", "--config", p, buildkit.path_of("go-netgo"))
    assert code == 2 and "no [tool.linkscope.check] table" in err


@pytest.mark.parametrize("name,text,message", [
    ("linkscope.toml", "[check]\nmax_glibc = 2.28\n", "max_glibc: invalid glibc version 2.28: write it as a string"),
    ("linkscope.toml", "[check]\nmax-sise = \"1MiB\"\n", "unknown key 'max-sise'"),
    ("linkscope.toml", "[check]\nmax-size = \"12 parsecs\"\n", "max-size: invalid size '12 parsecs'"),
    ("linkscope.toml", "[check]\nforbid-cgo = \"yes\"\n", "forbid-cgo: invalid value 'yes': expected true or false"),
    ("linkscope.toml", "[check]\nrequire = \"semi\"\n", "require: invalid linkage 'semi'"),
    ("linkscope.toml", "[check]\nrequire-go-version = \"banana\"\n", "require-go-version: invalid Go version"),
    ("linkscope.toml", "[check]\nmax-size = 1\nmax_size = 2\n", "given twice"),
    ("linkscope.toml", "require = \"static\"\n", "policy keys go in a [check] table"),
    ("linkscope.toml", "[check\n", "not valid TOML"),
    ("pyproject.toml", "[tool.linkscope.check]\nallow-needed = [1]\n", "allow-needed: invalid allow-needed"),
])
def test_bad_policy_file_exit_2(capsys, tmp_path, monkeypatch, name, text, message):
    (tmp_path / name).write_text(text)
    monkeypatch.chdir(tmp_path)
    code, out, err = run(capsys, "check", buildkit.path_of("go-netgo"))
    assert code == 2 and out == ""
    assert message in err and name in err


# -- the version order, as Go's go/version has it ------------------------------------------------------
def test_go_version_order():
    order = ["go1.19rc1", "go1.19", "go1.19.1", "go1.21", "go1.21rc1", "go1.21rc2", "go1.21.0", "go1.21.1",
             "go1.22beta1", "go1.22rc1", "go1.22.0", "go1.22.3", "go1.23rc1", "go1.100", "devel go1.24-abcdef"]
    parsed = [pol.parse_go_version(v) for v in order]
    assert sorted(parsed) == parsed and len(set(parsed)) == len(parsed)
    assert pol.parse_go_version("go1.20") == pol.parse_go_version("go1.20.0")       # before 1.21: same
    assert pol.parse_go_version("go1.21") != pol.parse_go_version("go1.21.0")       # from 1.21: language version
    assert pol.parse_go_version("go1.22.0 X:boringcrypto") == pol.parse_go_version("go1.22.0-bigcorp")
    for bad in ("banana", "go1.022", "1.22.3rc1", "go", ""):
        with pytest.raises(pol.PolicyError):
            pol.parse_go_version(bad)


# -- a gate fails closed ---------------------------------------------------------------------------
@pytest.fixture(scope="module")
def undetermined(tmp_path_factory) -> dict[str, tuple[str, str]]:
    """Files whose linkage inspect cannot give, each with the evidence check names: a wasm module
    (buildkit's js/wasm build: linkage is not a wasm notion), a relocatable object (gcc -c: not
    linked yet) and gcc-dynamic with e_phoff moved past the end (the loader's view is gone)."""
    d = tmp_path_factory.mktemp("undetermined")
    out = {"wasm": (buildkit.path_of("go-js-wasm"), "format wasm")}
    if shutil.which("gcc") is None:
        reference.tool_missing("gcc")
    obj = buildkit.build(buildkit.Spec("check-gcc-object", "gcc", "cprog", ("-c", "-O1"), out="hello.o"))
    out["object"] = (str(obj), "format elf")
    data = bytearray(buildkit.get("gcc-dynamic").read_bytes())
    struct.pack_into("<Q", data, 0x20, len(data) + 0x1000)         # e_phoff
    (d / "no-phdrs").write_bytes(data)
    phentsize, phnum = struct.unpack_from("<HH", data, 0x36)
    # the violation names the table it could not read (not the format, which has a linkage)
    out["no-program-headers"] = (str(d / "no-phdrs"), f"program headers could not be read: program header table of "
                                 f"{phnum} entries of {phentsize} bytes starts beyond end of data "
                                 f"({len(data) + 0x1000:#x} > {len(data):#x})")
    return out


@pytest.mark.parametrize("required", ["static", "static-pie", "static-or-static-pie", "dynamic"])
@pytest.mark.parametrize("case", ["wasm", "object", "no-program-headers"])
def test_require_fails_closed_when_linkage_cannot_be_determined(capsys, undetermined, case, required):
    """Regression: a gate that cannot tell must not pass: every --require value fails such a file,
    with the message saying so (not a claim of some linkage)."""
    path, evidence = undetermined[case]
    code, out, err = run(capsys, "check", "--no-config", "--require", required, path)
    want = required.replace("-or-", " or ")
    assert (code, out) == (1, f"{path}: require: linkage could not be determined, the policy requires {want} ({evidence})\n")
    assert err.endswith("1 file checked: 1 failed the policy with 1 violation\n"), err
    code, out, _ = run(capsys, "check", "--no-config", "--json", "--require", required, path)
    doc = validate_check(json.loads(out))
    assert code == 1 and doc["ok"] is False
    [v] = doc["results"][0]["violations"]
    assert (v["rule"], v["message"]) == ("require", f"linkage could not be determined, the policy requires {want}")
