"""The command line: exit codes, output shapes, and every JSON document validated against the schema."""
from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import buildkit
from clirun import run
import reference
import linkscope
from linkscope.cli import main



def validate(doc: dict) -> dict:
    return reference.validate(doc, "linkscope.schema.json")


def test_version(capsys):
    with pytest.raises(SystemExit) as e:
        main(["--version"])
    assert e.value.code == 0
    assert capsys.readouterr().out.strip() == f"linkscope {linkscope.__version__}"


@pytest.mark.parametrize("argv", [["--help"], ["inspect", "--help"]])
def test_help(capsys, argv):
    with pytest.raises(SystemExit) as e:
        main(argv)
    assert e.value.code == 0
    assert "usage: linkscope" in capsys.readouterr().out


@pytest.mark.parametrize("argv", [[], ["inspect"], ["frobnicate"], ["inspect", "--no-such-flag", "x"]])
def test_usage_errors_exit_2(capsys, argv):
    try:
        code = main(argv)
    except SystemExit as e:
        code = e.code
    assert code == 2


def test_inspect_human_line(capsys):
    code, out, err = run(capsys, "inspect", str(buildkit.get("go-default")))
    assert code == 0 and err == ""
    line = out.strip()
    assert "\n" not in line
    assert line.startswith(f"{buildkit.get('go-default')}: ELF 64-bit amd64 linux, executable, dynamic "
                           "(interpreter /lib64/ld-linux-x86-64.so.2), needs libc.so.6, Go go")
    assert "example.com/netapp" in line


def test_inspect_verbose_has_go_version_m_block(capsys):
    path = buildkit.get("go-sw")
    code, out, _ = run(capsys, "inspect", "-v", str(path))
    assert code == 0
    assert "go build info:" in out and "build\t-ldflags=\"-s -w\"" in out.replace("  build\t", "build\t")
    assert "stripped:     yes" in out


def test_inspect_json_all_builds_validate(capsys):
    paths = [str(buildkit.get(n)) for n in sorted(buildkit.SPECS)]
    code, out, _ = run(capsys, "inspect", "--json", *paths)
    assert code == 0
    doc = validate(json.loads(out))
    assert [r["path"] for r in doc["results"]] == paths
    by = {Path(r["path"]).parent.name.rsplit("-", 1)[0]: r for r in doc["results"]}
    assert by["go-default"]["go"]["settings"]["CGO_ENABLED"] == "1"
    assert by["go-cgo0"]["go"]["settings"]["CGO_ENABLED"] == "0"


def test_inspect_json_universal_slices(capsys, tmp_path):
    fat = tmp_path / "fat"
    src = buildkit.go_root() / "src/debug/macho/testdata/fat-gcc-386-amd64-darwin-exec.base64"
    fat.write_bytes(base64.b64decode(src.read_text()))
    code, out, _ = run(capsys, "inspect", "--json", str(fat))
    doc = validate(json.loads(out))
    rec = doc["results"][0]
    assert rec["format"] == "macho-universal"
    assert [s["arch"] for s in rec["slices"]] == ["386", "amd64"]
    assert all(s["format"] == "macho" and s["type"] == "executable" for s in rec["slices"])


def test_bad_inputs_exit_1_and_others_still_reported(capsys, tmp_path):
    text = tmp_path / "notes.txt"
    text.write_text("hello\n")
    good = str(buildkit.get("go-hello"))
    code, out, err = run(capsys, "inspect", "--json", str(tmp_path / "missing"), str(tmp_path), str(text), good)
    assert code == 1
    doc = validate(json.loads(out))
    kinds = [r["error"] and r["error"]["kind"] for r in doc["results"]]
    # A directory and a text file are identified (as file(1) does), not errors.
    assert kinds == ["input", None, None, None]
    assert [r["format"] for r in doc["results"][1:3]] == ["directory", "text"]
    assert doc["results"][2]["description"] == "ASCII text"
    assert doc["results"][3]["linkage"] == "static"
    assert err == f"linkscope: {tmp_path / 'missing'}: no such file\n"


def test_short_elf_is_too_short_to_be_elf_once_on_stderr(capsys, tmp_path):
    """A header cut at byte 36 is "too short to be ELF", said once, on stderr, with
    the file's name; stdout carries only results."""
    bad = tmp_path / "bad"
    bad.write_bytes(b"\x7fELF\x02\x01\x01" + bytes(9) + bytes(20))
    code, out, err = run(capsys, "inspect", str(bad))
    assert (code, out) == (1, "")
    assert err == f"linkscope: {bad}: too short to be ELF (36 bytes; its header is 64)\n"


def test_setuid_reported(capsys, tmp_path):
    p = tmp_path / "suid"
    p.write_bytes(buildkit.get("gcc-static").read_bytes())
    os.chmod(p, 0o4755)
    code, out, _ = run(capsys, "inspect", "--json", str(p))
    rec = validate(json.loads(out))["results"][0]
    assert rec["setuid"] is True and rec["setgid"] is False


def test_console_script_and_module_entry():
    path = str(buildkit.get("go-hello"))
    for cmd in (["linkscope"], [sys.executable, "-m", "linkscope"]):
        r = subprocess.run([*cmd, "inspect", "--json", path], capture_output=True, text=True)
        assert r.returncode == 0, r.stderr
        validate(json.loads(r.stdout))


def test_non_utf8_file_name(capsys, tmp_path):
    name = os.fsdecode(b"bin-\xff")
    p = tmp_path / name
    p.write_bytes(buildkit.get("gcc-dynamic").read_bytes())
    code, out, _ = run(capsys, "inspect", "--json", str(p))
    assert code == 0
    validate(json.loads(out))


# The fast path must agree with argparse on every command line it accepts, and accept the common ones.
_TOKENS = ["inspect", "explain", "diff", "deps", "check", "--json", "-v", "--verbose", "--tree", "--root",
           "--root=/r", "--library-path", "--library-path=", "--files-from", "--files-from=l.txt", "--color",
           "--color=always", "--color=bogus", "always", "never", "-", "--", "-x", "--js", "-vj", "-1", "",
           "a", "b", "c", "--json=1", "--help", "--version", "-r", "--recursive", "--jsonl", "--only-binaries",
           "--only-binaries=1"]


def _argparse_vars(argv):
    from linkscope.cli import build_parser

    return vars(build_parser(argv[0] if argv else None).parse_args(argv))


@pytest.mark.parametrize("argv", [
    ["inspect", "--json", "a"], ["inspect", "a", "b", "-v"], ["inspect", "--files-from", "l.txt"],
    ["inspect", "--files-from=-", "--json"], ["inspect"], ["explain", "--color", "never", "a"],
    ["deps", "--root", "/r", "--library-path", "", "--tree", "a", "b"], ["diff", "a", "b", "--json"],
    ["inspect", "-r", "--jsonl", "--only-binaries", "a"], ["deps", "-r", "--jsonl", "-"], ["explain", "-r", "a"],
    ["diff", "-", "b"],
])
def test_fast_parse_takes_common_lines(argv):
    from linkscope.cli import fast_parse

    args = fast_parse(argv)
    assert args is not None and vars(args) == _argparse_vars(argv)


def test_fast_parse_agrees_with_argparse():
    from hypothesis import given, settings, strategies as st
    from linkscope.cli import fast_parse

    @settings(max_examples=3000, deadline=None)
    @given(st.lists(st.sampled_from(_TOKENS), max_size=6).map(lambda t: t[:1] + t[1:]),
           st.sampled_from(["inspect", "explain", "diff", "deps", "check", "frob"]))
    def check(rest, cmd):
        argv = [cmd, *rest]
        args = fast_parse(argv)
        if args is not None:  # argparse must accept the line too, and read it the same way
            assert vars(args) == _argparse_vars(argv), argv

    check()



def test_inspect_batch_on_every_core_gives_the_serial_output(capsys, monkeypatch, tmp_path):
    """A large batch is inspected by forked workers: the same JSON, human lines and error lines, in
    order, as one process gives."""
    from linkscope import parallel

    (tmp_path / "text").write_text("not a binary\n")
    (tmp_path / "empty").write_bytes(b"")
    paths = sorted(str(p) for p in Path("/usr/bin").iterdir() if p.is_file() and not p.is_symlink())[:60]
    paths += [str(tmp_path / "text"), str(tmp_path / "missing"), str(tmp_path / "empty"),
              str(buildkit.get("go-default"))]
    outputs = {}
    for mode in ("serial", "parallel"):
        if mode == "parallel":
            monkeypatch.setattr(parallel, "PARALLEL_MIN_ITEMS", 8)
            monkeypatch.setattr(parallel.os, "cpu_count", lambda: 2)
        for flags in (["--json"], [], ["-v"]):
            code = main(["inspect", *flags, *paths])
            outputs[mode, tuple(flags)] = (code, *capsys.readouterr())
    for flags in (("--json",), (), ("-v",)):
        assert outputs["parallel", flags] == outputs["serial", flags]
    code, out, err = outputs["serial", ("--json",)]
    assert code == 1 and len(validate(json.loads(out))["results"]) == len(paths)
    assert f"linkscope: {tmp_path / 'missing'}: no such file" in err


def test_json_batch_joined_from_worker_text_is_the_document_of_the_records(capsys, tmp_path):
    """A large --json batch is joined from text each worker encoded; it must be byte for byte the
    document of the records, error records (a missing file) and non-binaries included, in order."""
    from linkscope.inspector import inspect
    from linkscope.render import jsonout

    (tmp_path / "notes.txt").write_text("plain text\n")
    paths = [str(buildkit.get("go-hello")), "/bin/true", str(tmp_path / "missing"), str(tmp_path / "notes.txt")] * 20
    code, out, _err = run(capsys, "inspect", "--json", *paths)
    assert code == 1
    want = jsonout.dumps(jsonout.document(jsonout.binary_to_json(inspect(p)) for p in paths))
    assert out.rstrip("\n") == want
    assert [r["error"] is not None for r in json.loads(out)["results"]][:4] == [False, False, True, False]


def _console(tmp_path, *argv, before: str = "") -> subprocess.CompletedProcess:
    """``linkscope ARGV`` run as the console script runs it (cli.entry), in a process of its own;
    ``before``: Python run first (an atexit handler, a thread)."""
    code = f"import sys\n{before}\nsys.argv = ['linkscope', *sys.argv[1:]]\nfrom linkscope.cli import entry\nentry()\n"
    return subprocess.run([sys.executable, "-c", code, *map(str, argv)], capture_output=True, text=True, timeout=120,
                          cwd=tmp_path)


def test_console_script_exit_keeps_the_output_status_and_atexit_handlers(tmp_path):
    """A read-only command ends without the interpreter's teardown: its whole output still arrives
    (a batch larger than a pipe's buffer), its exit status is main's, and atexit handlers run."""
    paths = [str(buildkit.get("go-default"))] * 150 + [str(tmp_path / "missing")]
    (tmp_path / "list").write_text("\n".join(paths) + "\n")
    p = _console(tmp_path, "inspect", "--json", "--files-from", tmp_path / "list",
                 before="import atexit\natexit.register(lambda: print('atexit ran', file=sys.stderr))")
    assert p.returncode == 1, p.stderr
    doc = validate(json.loads(p.stdout))
    assert len(doc["results"]) == 151 and len(p.stdout) > 1 << 16
    assert p.stderr.rstrip().endswith("atexit ran") and "missing" in p.stderr
    ok = _console(tmp_path, "inspect", buildkit.get("go-default"))
    assert ok.returncode == 0 and ok.stdout.count("\n") == 1


def test_console_script_exit_waits_for_a_running_thread(tmp_path):
    """With a thread still running, the exit is the interpreter's own, which waits for it."""
    before = ("import threading, time\n"
              "threading.Thread(target=lambda: (time.sleep(0.3), print('thread done', file=sys.stderr))).start()")
    p = _console(tmp_path, "inspect", buildkit.get("go-default"), before=before)
    assert p.returncode == 0 and "thread done" in p.stderr
