"""`linkscope explain`: a readable report of the findings, grouped, wrapped, coloured only when asked
(the CLI asks only on a terminal); --json is the inspect document; exit codes as for inspect."""
from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys

import pytest

import buildkit
from clirun import run
import reference
from linkscope import cli
from linkscope.inspector import inspect
from linkscope.render import explain

ANSI = re.compile(r"\x1b\[[0-9;]*m")


def test_report_of_a_dynamic_go_binary(capsys):
    path = str(buildkit.get("go-default"))
    code, out, err = run(capsys, "explain", path)
    assert code == 0 and err == ""
    assert out.startswith(path + "\n")
    assert not ANSI.search(out)                               # not a terminal: no colour
    headings = [ln.strip() for ln in out.splitlines() if re.fullmatch(r"  [A-Za-z_][A-Za-z_ ]*", ln)]
    assert headings == ["cgo", "Linker", "Portability", "LD_PRELOAD", "Hardening", "Size"]
    assert "warning cgo is used, because of net" in out
    assert "fix: CGO_ENABLED=1 GOOS=linux GOARCH=amd64 go build -tags netgo\n" in out
    assert "evidence: build setting CGO_ENABLED=1" in out
    assert all(len(ln) <= 100 for ln in out.splitlines())
    # Only findings: no inspect-style field dump.
    assert "needed:" not in out and "go build info" not in out


# What a gcc -O1 build of cprog is, per Debian 12's gcc (default PIE, no stack protector, no BIND_NOW, no
# CET): the findings explain lists, group by group, most severe first, as (severity, start of the title).
GCC_DYNAMIC_REPORT = [
    ("Linker", "info", "Linked by GNU ld (BFD), driven by gcc."),
    ("Portability", "info", "Needs glibc >= 2.34"),
    ("LD_PRELOAD", "info", "The dynamic loader honours LD_PRELOAD and LD_LIBRARY_PATH"),
    ("Hardening", "warning", "Partial RELRO: relocated data is read-only after start-up, but the lazily bound GOT"),
    ("Hardening", "info", "The C code was built without a stack protector"),
    ("Hardening", "info", "The C code was built without FORTIFY_SOURCE"),
    ("Hardening", "info", "Not marked for Intel CET (IBT and SHSTK missing)."),
    ("Size", "info", "1.4 KiB"),
]


def test_report_lists_every_finding_once(capsys):
    path = str(buildkit.get("gcc-dynamic"))
    code, out, _ = run(capsys, "explain", path)
    assert code == 0
    got, group = [], None
    for ln in out.splitlines():
        if re.fullmatch(r"  [A-Za-z_][A-Za-z_ ]*", ln):
            group = ln.strip()
        elif m := re.match(r"    (info|warning|error) +(.*)", ln):
            got.append((group, m.group(1), m.group(2)))
    assert len(got) == len(GCC_DYNAMIC_REPORT), got
    for (g, sev, text), want in zip(got, GCC_DYNAMIC_REPORT):
        # the title is wrapped: its first line starts the expected text, or the text is all of it
        assert (g, sev) == want[:2] and text and (text.startswith(want[2]) or want[2].startswith(text)), (text, want)


def test_colour_only_when_asked(capsys):
    path = str(buildkit.get("go-hello"))
    _, plain, _ = run(capsys, "explain", "--color", "never", path)
    _, coloured, _ = run(capsys, "explain", "--color", "always", path)
    assert not ANSI.search(plain) and ANSI.search(coloured)
    assert ANSI.sub("", coloured) == plain


def test_wraps_to_the_width():
    rec = inspect(buildkit.get("go-default"))
    for width in (60, 80, 140):
        text = explain.report([rec], width=width)
        for ln in text.splitlines()[2:]:
            # Only a fix's shell word that cannot be broken (a quoted value) may stick out.
            word = ln.strip().removeprefix("fix: ").removesuffix(" \\")
            assert len(ln) <= width or len(shlex.split(word)) == 1, ln


def test_a_wrapped_fix_is_still_one_shell_command():
    """Regression: a fix is a command to paste, so it is broken only between shell words,
    with a backslash at the end of each continued line."""
    rec = inspect(buildkit.get("go-default"))
    # The fixes of buildkit's go-default (netapp, `go build`, cgo through net): written out here, not
    # taken from the record under test.
    env = ("CGO_ENABLED=1", "GOOS=linux", "GOARCH=amd64", "go", "build")
    fixes = {env + ("-tags", "netgo"), env + ("-buildmode=pie",), env + ("-buildmode=pie", "-ldflags=-bindnow"),
             ("CGO_ENABLED=1", "GOOS=linux", "GOARCH=amd64", "CGO_CFLAGS=-O2 -g -D_FORTIFY_SOURCE=3", "go", "build"),
             env + ("-ldflags=-s -w",)}
    for width in (60, 80, 100):
        text = explain.report([rec], width=width)
        blocks = re.findall(r"fix: ((?:.* \\\n)*.*)", text)
        assert len(blocks) == len(fixes) and any(" \\\n" in b for b in blocks)
        for block in blocks:
            assert tuple(shlex.split(re.sub(r" \\\n *", " ", block))) in fixes, block


def test_json_is_the_inspect_document(capsys):
    paths = [str(buildkit.get("go-default")), str(buildkit.get("gcc-static")), str(buildkit.get("go-darwin-arm64"))]
    _, a, _ = run(capsys, "explain", "--json", *paths)
    _, b, _ = run(capsys, "inspect", "--json", *paths)
    doc = json.loads(a)
    assert doc == json.loads(b)
    reference.validate(doc)
    r = doc["results"][0]
    assert r["cgo"] == {"enabled": True, "used": True, "causes": ["net"]}
    assert r["linker"] == "go-internal"
    assert sum(r["size_breakdown"].values()) == r["size"]
    assert r["strip_saving"] > 0 and r["hardening"]["nx"] == "yes"
    assert {f["id"] for f in r["findings"]} >= {"cgo.used", "linker", "portability", "preload.exposed", "size.strip"}


def test_exit_codes(capsys, tmp_path):
    text = tmp_path / "notes.txt"
    text.write_text("not a binary\n")
    code, out, err = run(capsys, "explain", str(buildkit.get("go-hello")), str(tmp_path / "missing"), str(text))
    assert code == 1
    # The error once, on stderr, named; a text file is identified, not an error.
    assert err == f"linkscope: {tmp_path / 'missing'}: no such file\n"
    assert "no such file" not in out and f"{text}\n  ASCII text" in out
    for argv in (["explain"], ["explain", "--color", "sometimes", "x"]):
        with pytest.raises(SystemExit) as e:
            cli.main(argv)
        assert e.value.code == 2


def test_universal_and_wasm(capsys):
    code, out, _ = run(capsys, "explain", str(buildkit.get("go-js-wasm")))
    assert code == 0 and "WebAssembly module for js." in out


def test_root_flags_world_writable_rpath_directories(capsys, tmp_path):
    root = tmp_path / "root"
    (root / "opt" / "lib").mkdir(parents=True)
    os.chmod(root / "opt" / "lib", 0o777)
    prog = buildkit.build(buildkit.Spec("ex-gcc-rpath-opt", "gcc", "cprog", ("-O1", "-Wl,-rpath,/opt/lib")))
    code, out, _ = run(capsys, "explain", "--root", str(root), str(prog))
    assert code == 0
    assert "world-writable" in out and "'/opt/lib'" in out
    code, out, _ = run(capsys, "explain", str(prog))
    assert "world-writable" not in out
    _, js, _ = run(capsys, "explain", "--json", "--root", str(root), str(prog))
    r = json.loads(js)["results"][0]
    assert r["hardening"]["rpath"] == "risky"
    assert any(f["id"] == "hardening.rpath" for f in r["findings"])


def test_entry_point():
    r = subprocess.run([sys.executable, "-m", "linkscope", "explain", str(buildkit.get("go-hello"))],
                       capture_output=True, text=True)
    assert r.returncode == 0 and "Static, no libc, runs on any linux/amd64 kernel >= 3.2." in r.stdout
