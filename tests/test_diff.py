"""`linkscope diff`: real pairs of builds (netapp default vs -tags netgo, hello vs hello -s -w, a
universal file vs one of its slices), whole change lists from records made here, and the JSON
document validated against schema/diff.schema.json. A field a case needs (cgo,
size_breakdown) that comes back None or empty is a failure, never a skip."""
from __future__ import annotations

import json
import shutil
from linkscope.record import replace
from pathlib import Path

import pytest

import buildkit
import reference
import linkscope
from linkscope.cli import main
from linkscope.diff import Change, compare
from linkscope.model import Binary, CgoInfo, Dep, Finding, GoInfo, Module
from linkscope.render import diff_report
from clirun import run


# hello built with -ldflags="-s -w": the stripped twin of buildkit's go-hello.
HELLO_SW = buildkit.go("diff-hello-sw", "hello", "-ldflags=-s -w")


def validate_diff(doc: dict) -> dict:
    return reference.validate(doc, "diff.schema.json")


def diff_json(capsys, old, new) -> dict:
    code, out, err = run(capsys, "diff", "--json", old, new)
    doc = validate_diff(json.loads(out))
    assert code == (0 if doc["identical"] else 1), err     # as diff(1): 1 when they differ
    return doc


def changes(doc: dict, field: str) -> list[tuple]:
    return [(c["kind"], c["key"], c["old"], c["new"]) for c in doc["changes"] if c["field"] == field]


# -- netapp: default (cgo resolver, dynamic) vs -tags netgo (static) -----------------------------------
def test_netgo(capsys):
    old, new = buildkit.path_of("go-default"), buildkit.path_of("go-netgo")
    doc = diff_json(capsys, old, new)
    assert doc["identical"] is False and (doc["old"]["path"], doc["new"]["path"]) == (old, new)
    assert changes(doc, "linkage") == [("changed", None, "dynamic", "static")]
    assert changes(doc, "interpreter") == [("removed", None, "/lib64/ld-linux-x86-64.so.2", None)]
    assert changes(doc, "needed") == [("removed", "libc.so.6", "libc.so.6", None)]
    assert changes(doc, "go.settings") == [("added", "-tags", None, "netgo")]
    assert changes(doc, "go.version") == [] and changes(doc, "go.deps") == []
    [size] = [c for c in doc["changes"] if c["field"] == "size"]
    assert size["delta"] == Path(new).stat().st_size - Path(old).stat().st_size
    assert size["percent"] == round(100 * size["delta"] / size["old"], 2)

    code, out, _ = run(capsys, "diff", old, new)
    assert code == 1      # they differ
    lines = out.splitlines()
    for expected in ("linkage: dynamic -> static", "interpreter: /lib64/ld-linux-x86-64.so.2 -> none",
                     "needed: - libc.so.6", "Go build setting: + -tags=netgo"):
        assert expected in lines
    assert any(ln.startswith("file size: ") and ln.endswith("%)") for ln in lines)


def test_netgo_cgo_used_to_not(capsys):
    old, new = buildkit.path_of("go-default"), buildkit.path_of("go-netgo")
    assert linkscope.inspect(old).cgo is not None and linkscope.inspect(new).cgo is not None
    doc = diff_json(capsys, old, new)
    assert changes(doc, "cgo.used") == [("changed", None, True, False)]
    assert ("removed", "net", "net", None) in changes(doc, "cgo.causes")
    assert "cgo used: yes -> no" in run(capsys, "diff", old, new)[1].splitlines()


# -- hello vs hello -s -w ------------------------------------------------------------------------------
def test_strip(capsys):
    old, new = buildkit.path_of("go-hello"), str(buildkit.build(HELLO_SW))
    doc = diff_json(capsys, old, new)
    assert changes(doc, "stripped") == [("changed", None, False, True)]
    assert changes(doc, "debug_info") == [("changed", None, True, False)]
    assert changes(doc, "go.settings") == [("added", "-ldflags", None, "-s -w")]
    assert changes(doc, "linkage") == [] and changes(doc, "needed") == []
    [size] = [c for c in doc["changes"] if c["field"] == "size"]
    assert size["delta"] < 0 and size["percent"] < 0
    out = run(capsys, "diff", old, new)[1].splitlines()
    assert "stripped: no -> yes" in out and "Go build setting: + -ldflags=\"-s -w\"" in out


def test_strip_size_categories_shrink(capsys):
    old, new = buildkit.path_of("go-hello"), str(buildkit.build(HELLO_SW))
    assert linkscope.inspect(old).size_breakdown and linkscope.inspect(new).size_breakdown
    doc = diff_json(capsys, old, new)
    cats = [c for c in doc["changes"] if c["field"] == "size_breakdown"]
    assert cats, "stripping changes some size category"
    by = {c["key"]: c for c in cats}
    # -s -w takes the symbol table and DWARF away whole; other categories move a little (the build
    # info records the longer -ldflags setting, alignment padding shifts with the new layout).
    for key in ("dwarf", "symtab"):
        assert by[key]["kind"] == "removed" and by[key]["delta"] < 0, by[key]
    assert sum(c["delta"] for c in cats) < 0
    human = run(capsys, "diff", old, new)[1]
    assert any(ln.startswith("size ") and "bytes (-" in ln for ln in human.splitlines())


# -- no differences ------------------------------------------------------------------------------------
def test_identical(capsys, tmp_path):
    path = buildkit.path_of("go-default")
    copy = tmp_path / "copy"
    shutil.copy(path, copy)
    for other in (path, str(copy)):         # the path itself is not a difference
        code, out, err = run(capsys, "diff", path, other)
        assert (code, out, err) == (0, "no differences\n", "")
        doc = diff_json(capsys, path, other)
        assert doc["identical"] is True and doc["changes"] == []


def test_unreadable_input_exit_2(capsys, tmp_path):
    """Trouble is 2 (as diff(1)), said once on stderr with the file's name."""
    code, out, err = run(capsys, "diff", buildkit.path_of("go-default"), tmp_path / "missing")
    assert (code, out, err) == (2, "", f"linkscope: {tmp_path / 'missing'}: no such file\n")


def test_differing_inputs_exit_1(capsys):
    """Two builds that differ exit 1, as diff(1) does; the changes are on stdout."""
    code, out, err = run(capsys, "diff", buildkit.path_of("go-default"), buildkit.path_of("go-netgo"))
    assert code == 1 and err == "" and "linkage: dynamic -> static" in out
    assert run(capsys, "diff", "--json", buildkit.path_of("go-default"), buildkit.path_of("go-netgo"))[0] == 1


def test_subcommand_usage_error_prints_the_subcommand_usage(capsys):
    """`diff` with one path, or `inspect --bogus`, shows that subcommand's usage."""
    for argv, usage in ((["diff", buildkit.path_of("go-default")], "usage: linkscope diff "),
                        (["inspect", "--no-such-flag", "x"], "usage: linkscope inspect "),
                        (["deps", "--bogus", "x"], "usage: linkscope deps "),
                        (["inspect"], "usage: linkscope inspect ")):
        try:
            code = main(argv)
        except SystemExit as e:
            code = e.code
        err = capsys.readouterr().err
        assert code == 2 and err.startswith(usage), (argv, err)


def test_usage_exit_2(capsys):
    assert run(capsys, "diff", buildkit.path_of("go-default"))[0] == 2


# -- universal against plain: images paired by arch ----------------------------------------------------
def test_universal_vs_slice(capsys, fat_go):
    arm64 = buildkit.path_of("go-darwin-arm64")
    doc = diff_json(capsys, fat_go, arm64)
    assert [(c["field"], c["kind"], c["key"], c["slice"]) for c in doc["changes"] if c["field"] != "size"] == [
        ("format", "changed", None, None), ("slices", "removed", "amd64", None)]
    assert "slice: - amd64" in run(capsys, "diff", fat_go, arm64)[1].splitlines()
    assert run(capsys, "diff", fat_go, fat_go)[1] == "no differences\n"


# -- every kind of change, on records ------------------------------------------------------------------
def _rec(**kw) -> Binary:
    base = dict(path="p", format="elf", arch="amd64", bits=64, endian="little", os="linux", type="executable",
                linkage="dynamic", size=1000)
    base.update(kw)
    return Binary(**base)


def test_compare_records():
    go_old = GoInfo("go1.22.3", "example.com/app", Module("example.com/app", "v1.0.0"),
                    (Dep("golang.org/x/net", "v0.20.0"), Dep("golang.org/x/sys", "v0.15.0"),
                     Dep("example.com/old", "v1.0.0")),
                    (("CGO_ENABLED", "1"), ("GOARCH", "amd64"), ("-trimpath", "true")))
    go_new = GoInfo("go1.23.1", "example.com/app", Module("example.com/app", "v1.1.0"),
                    (Dep("golang.org/x/net", "v0.21.0"), Dep("golang.org/x/sys", "v0.15.0"),
                     Dep("example.com/new", "v0.1.0", replace=Module("../new"))),
                    (("CGO_ENABLED", "0"), ("GOARCH", "amd64"), ("-tags", "netgo")))
    f_cgo = Finding("cgo.net", "warning", "cgo is used by net")
    f_static = Finding("portability", "info", "static, no libc")
    old = _rec(go=go_old, glibc_min="2.34", libc="glibc", needed=("libc.so.6",), cgo=CgoInfo(True, True, ("net",)),
               size_breakdown=(("code", 500), ("dwarf", 300), ("other", 200)), strip_saving=300, findings=(f_cgo,),
               hardening=(("pie", "no"), ("relro", "partial")))
    new = _rec(go=go_new, glibc_min=None, libc="none", linkage="static", size=800, cgo=CgoInfo(False, False, ()),
               size_breakdown=(("code", 520), ("other", 200), ("rodata", 80)), strip_saving=None,
               findings=(f_static,), hardening=(("pie", "no"), ("relro", "full")))
    got = compare(old, new).changes
    assert got == (
        Change("linkage", "changed", "dynamic", "static"),
        Change("libc", "changed", "glibc", "none"),
        Change("glibc_min", "removed", "2.34", None),
        Change("needed", "removed", old="libc.so.6", key="libc.so.6"),
        Change("cgo.enabled", "changed", True, False),
        Change("cgo.used", "changed", True, False),
        Change("cgo.causes", "removed", old="net", key="net"),
        Change("go.version", "changed", "go1.22.3", "go1.23.1"),
        Change("go.main", "changed", "v1.0.0", "v1.1.0"),
        Change("go.settings", "changed", "1", "0", key="CGO_ENABLED"),
        Change("go.settings", "removed", old="true", key="-trimpath"),
        Change("go.settings", "added", new="netgo", key="-tags"),
        Change("go.deps", "changed", "v0.20.0", "v0.21.0", key="golang.org/x/net"),
        Change("go.deps", "removed", old="v1.0.0", key="example.com/old"),
        Change("go.deps", "added", new="v0.1.0 => ../new", key="example.com/new"),
        Change("hardening", "changed", "partial", "full", key="relro"),
        Change("size_breakdown", "changed", 500, 520, key="code", delta=20, percent=4.0),
        Change("size_breakdown", "removed", 300, None, key="dwarf", delta=-300, percent=-100.0),
        Change("size_breakdown", "added", None, 80, key="rodata", delta=80, percent=None),
        Change("strip_saving", "removed", 300, None, delta=-300, percent=-100.0),
        Change("findings", "removed", old={"id": "cgo.net", "severity": "warning", "title": "cgo is used by net",
                                           "evidence": [], "fix": None}, key="cgo.net"),
        Change("findings", "added", new={"id": "portability", "severity": "info", "title": "static, no libc",
                                         "evidence": [], "fix": None}, key="portability"),
        Change("size", "changed", 1000, 800, delta=-200, percent=-20.0),
    )
    d = compare(old, new)
    validate_diff(diff_report.document(d))
    assert diff_report.text(d).splitlines() == [
        "linkage: dynamic -> static",
        "libc: glibc -> none",
        "glibc floor: 2.34 -> none",
        "needed: - libc.so.6",
        "cgo enabled: yes -> no",
        "cgo used: yes -> no",
        "cgo cause: - net",
        "Go version: go1.22.3 -> go1.23.1",
        "Go main module version: v1.0.0 -> v1.1.0",
        "Go build setting CGO_ENABLED: 1 -> 0",
        "Go build setting: - -trimpath=true",
        "Go build setting: + -tags=netgo",
        "Go module golang.org/x/net: v0.20.0 -> v0.21.0",
        "Go module: - example.com/old v1.0.0",
        "Go module: + example.com/new v0.1.0 => ../new",
        "hardening relro: partial -> full",
        "size code: 500 -> 520 bytes (+20, +4.0%)",
        "size dwarf: 300 -> 0 bytes (-300, -100.0%)",
        "size rodata: 0 -> 80 bytes (+80)",
        "strip saving: 300 -> none bytes (-300, -100.0%)",
        "finding: - cgo.net (warning): cgo is used by net",
        "finding: + portability (info): static, no libc",
        "file size: 1,000 -> 800 bytes (-200, -20.0%)",
    ]
    assert compare(old, replace(old, path="q")).changes == ()
