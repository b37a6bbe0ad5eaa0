"""Errors said once and named; scripts, archives, linker scripts, text and data
identified rather than failed; trees (-r), standard input ('-') and streamed output (--jsonl).
Each test is named after the behaviour it pins down; expected values come from file(1), ar(1), the
kernel's #! rules written out as literals, or the test's own fixtures."""
from __future__ import annotations

import json
import os
import random
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import buildkit
from clirun import run
import reference


def cli(*argv, stdin=None, **kw) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "linkscope", *map(str, argv)], capture_output=True, stdin=stdin,
                          text=True, **kw)


def validate(doc: dict, schema: str = "linkscope.schema.json") -> dict:
    return reference.validate(doc, schema)


def records(out: str) -> list[dict]:
    """--jsonl output: one results item of the schema per line, each validated."""
    recs = [json.loads(ln) for ln in out.splitlines()]
    validate({"schema_version": 1, "results": recs})
    return recs


def file_b(path) -> str:
    if shutil.which("file") is None:
        reference.tool_missing("file(1)")
    return reference.file_brief(path)


# -- item 5: errors once, clear, and named --------------------------------------------------------------
def test_error_said_once_on_stderr_and_not_on_stdout(capsys, tmp_path):
    missing = tmp_path / "missing"
    good = buildkit.get("go-hello")
    want = f"linkscope: {missing}: no such file\n"
    for argv in (["inspect"], ["inspect", "-v"], ["explain"], ["deps"]):
        code, out, err = run(capsys, *argv, missing, good)
        assert code == 1 and err.count("no such file") == 1 and want in err, argv
        assert "no such file" not in out and str(missing) not in out, argv
    for argv in (["inspect", "--json"], ["explain", "--json"], ["deps", "--json"]):
        code, out, err = run(capsys, *argv, missing, good)
        schema = "deps.schema.json" if argv[0] == "deps" else "linkscope.schema.json"
        doc = validate(json.loads(out), schema)
        assert code == 1 and err == want, argv
        assert doc["results"][0]["error"] == {"kind": "input", "message": "no such file", "offset": None}


def test_a_partial_file_is_a_record_for_inspect_and_an_error_for_deps(capsys, tmp_path):
    """Cut inside its program headers, an ELF file is still identified (a partial record, exit 0),
    but what it needs cannot be known: deps says so, once, on stderr, with the table that broke."""
    bad = tmp_path / "bad"
    bad.write_bytes(buildkit.get("go-hello").read_bytes()[:100])
    code, out, err = run(capsys, "inspect", bad)
    assert (code, err) == (0, "") and out == f"{bad}: ELF 64-bit amd64 linux, executable, partial, truncated (unreadable: program headers, section headers)\n"
    code, out, err = run(capsys, "deps", bad)
    assert (code, out) == (1, "") and err.startswith(f"linkscope: {bad}: truncated: program header table")


def test_deps_missing_file_is_named(capsys, tmp_path):
    """`deps /missing` used to print "error: no such file" on stdout, without the name."""
    code, out, err = run(capsys, "deps", tmp_path / "missing")
    assert (code, out, err) == (1, "", f"linkscope: {tmp_path / 'missing'}: no such file\n")


def test_explain_and_deps_word_the_same_error_alike(capsys, tmp_path):
    bad = tmp_path / "bad"
    bad.write_bytes(buildkit.get("go-hello").read_bytes()[:40])
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    for path, start in ((bad, "too short to be ELF"), (fifo, "not a regular file (a fifo)")):
        errs = {cmd: run(capsys, cmd, path)[1:] for cmd in ("inspect", "explain", "deps")}
        assert len(set(errs.values())) == 1, errs
        assert errs["deps"][0] == "" and errs["deps"][1].startswith(f"linkscope: {path}: {start}"), errs


def test_four_byte_file_is_too_short_to_be_elf(capsys, tmp_path):
    p = tmp_path / "four"
    p.write_bytes(b"\x7fELF")
    code, out, err = run(capsys, "inspect", "--json", p)
    rec = validate(json.loads(out))["results"][0]
    assert rec["error"] == {"kind": "truncated", "message": "too short to be ELF (4 bytes; its header is 52)",
                            "offset": None}
    assert err == f"linkscope: {p}: too short to be ELF (4 bytes; its header is 52)\n"
    assert "identification" not in err


def test_truncated_binary_says_truncated(capsys, tmp_path):
    """Half a binary is still identified (item 4: a partial record, exit 0), and says it is truncated."""
    p = tmp_path / "half"
    data = buildkit.get("go-hello").read_bytes()
    p.write_bytes(data[:len(data) // 2])
    code, out, err = run(capsys, "inspect", p)
    assert (code, err) == (0, "") and ", partial, truncated (unreadable: loadable segments" in out
    code, out, err = run(capsys, "inspect", "-v", p)
    assert "  warning:      loadable segments: truncated: a loadable segment needs bytes up to" in out


def test_offset_only_where_it_points_at_something(capsys, tmp_path):
    """An offset past the end of the file points at nothing: the line does not give it."""
    from crafted import elf64_header

    far = tmp_path / "far"
    far.write_bytes(bytes(elf64_header(phoff=1 << 40, phnum=1)))
    warning = [l for l in run(capsys, "inspect", "-v", far)[1].splitlines() if "warning:" in l]
    assert len(warning) == 1 and "program headers: " in warning[0] and "at offset" not in warning[0]
    near = tmp_path / "near"
    near.write_bytes(bytes(elf64_header(phoff=64, phnum=1000)) + bytes(100))   # the table starts at 0x40, inside
    warning = [l for l in run(capsys, "inspect", "-v", near)[1].splitlines() if "warning:" in l]
    assert len(warning) == 1 and "program headers: truncated: " in warning[0] and warning[0].endswith("at offset 0x40")


def test_dangling_symlink_names_its_target(capsys, tmp_path):
    link = tmp_path / "link"
    link.symlink_to(tmp_path / "gone")
    want = f"linkscope: {link}: broken symbolic link to {tmp_path / 'gone'}\n"
    for cmd in ("inspect", "explain", "deps"):
        assert run(capsys, cmd, link)[1:] == ("", want), cmd
    assert file_b(link) == f"broken symbolic link to {tmp_path / 'gone'}"


# -- item 6: scripts and other files ------------------------------------------------------------------
# The kernel's rules (fs/binfmt_script.c), as literals: the interpreter ends at the first space or
# tab, the rest of the line (trailing blanks removed) is one argument, never split.
SHEBANGS = {
    "sh": (b"#!/bin/sh\necho hi\n", "/bin/sh", None, "/bin/sh"),
    "space-after-bang": (b"#! /usr/bin/perl -w\n", "/usr/bin/perl", "-w", "/usr/bin/perl"),
    "one-argument-string": (b"#!/bin/sh -e -x  \t\n", "/bin/sh", "-e -x", "/bin/sh"),
    "env": (b"#!/usr/bin/env python3\nprint()\n", "/usr/bin/env", "python3", "python3"),
    "env-split": (b"#!/usr/bin/env -S python3 -u\n", "/usr/bin/env", "-S python3 -u", "python3"),
    # env(1) takes options, then NAME=VALUE settings, then the command (its getopt stops at a non-option).
    "env-split-settings": (b"#!/usr/bin/env -S -u HOME LC_ALL=C perl -w\n", "/usr/bin/env",
                           "-S -u HOME LC_ALL=C perl -w", "perl"),
    "env-split-option-after-setting": (b"#!/usr/bin/env -S LC_ALL=C -i perl\n", "/usr/bin/env",
                                       "-S LC_ALL=C -i perl", "-i"),
    "env-unsplit": (b"#!/usr/bin/env python3 -u\n", "/usr/bin/env", "python3 -u", "python3 -u"),
    "crlf-kept": (b"#!/bin/sh\r\n", "/bin/sh\r", None, "/bin/sh\r"),
    "no-newline": (b"#!/bin/bash", "/bin/bash", None, "/bin/bash"),
    "no-interpreter": (b"#!\necho\n", None, None, None),
    "argument-cut-at-256": (b"#!/bin/sh " + b"a" * 300 + b"\n", "/bin/sh", "a" * (256 - len(b"#!/bin/sh ")), "/bin/sh"),
}


@pytest.mark.parametrize("name", sorted(SHEBANGS))
def test_script_is_a_format_with_its_interpreter(capsys, tmp_path, name):
    data, interp, arg, program = SHEBANGS[name]
    p = tmp_path / name
    p.write_bytes(data)
    code, out, err = run(capsys, "inspect", "--json", p)
    rec = validate(json.loads(out))["results"][0]
    assert (code, err) == (0, "")
    got = {k: rec[k] for k in ("format", "type", "linkage", "interpreter", "interpreter_arg", "program", "error")}
    assert got == {"format": "script", "type": "script", "linkage": None, "interpreter": interp,
                   "interpreter_arg": arg, "program": program, "error": None}


def test_script_interpreter_too_long_for_the_kernel_is_malformed(capsys, tmp_path):
    p = tmp_path / "long"
    p.write_bytes(b"#!/" + b"x" * 400 + b"\n")
    code, _out, err = run(capsys, "inspect", p)
    assert code == 1 and "does not end within 256 bytes" in err


def test_usr_bin_sweep_exits_0_and_agrees_with_file(tmp_path):
    """`linkscope inspect /usr/bin/*` used to exit 1 because of shell and Perl scripts. Every file's
    format agrees with file(1); every script's interpreter is the first word of its #! line."""
    paths = sorted(str(p) for p in Path("/usr/bin").iterdir() if p.is_file() and not p.is_symlink())
    lst = tmp_path / "list"
    lst.write_text("".join(p + "\n" for p in paths))
    if shutil.which("file") is None:
        reference.tool_missing("file(1)")
    kinds = reference.file_brief_list(lst)
    p = cli("inspect", "--jsonl", "--files-from", lst)
    assert p.returncode == 0 and p.stderr == ""
    recs = records(p.stdout)
    assert [r["path"] for r in recs] == paths
    scripts = 0
    for r, k in zip(recs, kinds):
        want = ("elf" if "ELF" in k else "script" if "script" in k else "archive" if "ar archive" in k
                else "text" if "text" in k else "data")
        assert r["format"] == want, (r["path"], k)
        if want == "script":
            scripts += 1
            with open(r["path"], "rb") as f:
                first = f.readline()[2:].split()
            assert r["interpreter"] == (os.fsdecode(first[0]) if first else None), r["path"]
    human = cli("inspect", "--files-from", lst)
    assert human.returncode == 0 and len(human.stdout.splitlines()) == len(paths)
    # The shell's /usr/bin/*: links too (Debian's /usr/bin/X11 is a link to "."); only a dangling one fails.
    every = sorted(str(p) for p in Path("/usr/bin").iterdir())
    lst.write_text("".join(p + "\n" for p in every))
    dangling = [p for p in every if not os.path.exists(p)]
    swept = cli("inspect", "--files-from", lst)
    assert swept.returncode == (1 if dangling else 0), swept.stderr
    assert len(swept.stderr.splitlines()) == len(dangling)
    if not scripts:
        pytest.skip("no scripts in /usr/bin here")


def _objects(tmp_path, names):
    if shutil.which("gcc") is None or shutil.which("ar") is None:
        reference.tool_missing("gcc and ar (binutils)")
    objs = []
    for n in names:
        c = tmp_path / f"{n}.c"
        c.write_text(f"int {n.replace('-', '_')}(void) {{ return 1; }}\n")
        o = tmp_path / f"{n}.o"
        subprocess.run(["gcc", "-c", "-o", str(o), str(c)], check=True)
        objs.append(str(o))
    return objs


@pytest.mark.parametrize("thin", [False, True])
def test_archive_counts_members_as_ar_lists_them(capsys, tmp_path, thin):
    objs = _objects(tmp_path, ["a", "b", "a-member-with-a-name-longer-than-sixteen"])
    lib = tmp_path / "libx.a"
    subprocess.run(["ar", "rcsT" if thin else "rcs", str(lib), *objs], check=True)
    listed = reference.ar_members(lib)
    code, out, err = run(capsys, "inspect", "--json", lib)
    rec = validate(json.loads(out))["results"][0]
    assert (code, err) == (0, "")
    assert (rec["format"], rec["type"], rec["members"]) == ("archive", "archive", len(listed)) == ("archive", "archive", 3)
    kind = "thin archive" if thin else "current ar archive"
    assert file_b(lib).startswith(kind)
    assert run(capsys, "inspect", lib)[1] == f"{lib}: {'thin ar' if thin else 'ar'} archive, 3 members\n"


def test_system_static_archive_counts_like_ar(capsys):
    lib = Path("/usr/lib/x86_64-linux-gnu/libc.a")
    if not lib.exists() or shutil.which("ar") is None:
        reference.tool_missing(f"{lib} (libc6-dev) and ar (binutils)")
    n = len(reference.ar_members(lib))
    rec = validate(json.loads(run(capsys, "inspect", "--json", lib)[1]))["results"][0]
    assert rec["members"] == n


def test_linker_script_names_its_files(capsys, tmp_path):
    p = tmp_path / "libc.so"
    p.write_text("/* GNU ld script\n   Use the shared library. */\nOUTPUT_FORMAT(elf64-x86-64)\n"
                 "GROUP ( /lib/libc.so.6 /usr/lib/libc_nonshared.a  AS_NEEDED ( /lib64/ld-linux-x86-64.so.2 ) )\n")
    code, out, err = run(capsys, "inspect", "--json", p)
    rec = validate(json.loads(out))["results"][0]
    assert (code, err) == (0, "")
    assert (rec["format"], rec["type"], rec["linker_inputs"]) == (
        "linker-script", "linker-script", ["/lib/libc.so.6", "/usr/lib/libc_nonshared.a", "/lib64/ld-linux-x86-64.so.2"])
    assert file_b(p) == "ASCII text"


OTHER_FILES = {"ascii": b"hello\n", "utf8": "h\u00e9llo\n".encode(), "empty": b"",
               "random": random.Random(8).randbytes(512),      # file(1) 5.44 says "data"
               "java-class": b"\xca\xfe\xba\xbe\x00\x00\x00\x34" + bytes(64)}


@pytest.mark.parametrize("name", sorted(OTHER_FILES))
def test_other_files_get_the_line_file_gives(capsys, tmp_path, name):
    data = OTHER_FILES[name]
    p = tmp_path / name
    p.write_bytes(data)
    code, out, err = run(capsys, "inspect", "--json", p)
    rec = validate(json.loads(out))["results"][0]
    assert (code, err, rec["error"]) == (0, "", None)
    want = file_b(p)
    if name == "java-class":
        assert rec["format"] == "data" and "Java" in want   # file knows Java; linkscope only that it is no binary
    else:
        assert rec["description"] == want
        assert rec["format"] == ("text" if "text" in want else "data")
    assert run(capsys, "inspect", p)[1] == f"{p}: {rec['description']}\n"


def test_only_binaries_skips_the_others_silently(capsys, tmp_path):
    (tmp_path / "s").write_bytes(b"#!/bin/sh\n")
    (tmp_path / "t").write_text("text\n")
    good = buildkit.get("go-hello")
    for argv in (["inspect"], ["inspect", "--jsonl"], ["explain"], ["deps"]):
        code, out, err = run(capsys, *argv, "--only-binaries", tmp_path / "s", good, tmp_path / "t")
        assert (code, err) == (0, ""), argv
        assert str(good) in out and str(tmp_path / "s") not in out and str(tmp_path / "t") not in out, argv
    code, out, err = run(capsys, "check", "--no-config", "--require", "static", "--only-binaries",
                         tmp_path / "s", good)
    assert code == 0 and "not a binary" not in err and "1 file checked" in err


def test_check_skips_scripts_and_says_so(capsys, tmp_path):
    s = tmp_path / "s"
    s.write_bytes(b"#!/bin/sh\n")
    code, out, err = run(capsys, "check", "--no-config", "--require", "static", s)
    assert (code, out) == (0, "")
    assert f"linkscope check: {s}: not a binary (script, interpreter /bin/sh): the policy does not apply" in err
    doc = reference.validate(json.loads(run(capsys, "check", "--no-config", "--json", "--require", "static", s)[1]),
                             "check.schema.json")
    assert doc["results"] == [{"path": str(s), "ok": True, "violations": [],
                               "skipped": "not a binary (script, interpreter /bin/sh): the policy does not apply"}]


def _root_with_scripts(tmp_path):
    root = tmp_path / "root"
    for d in ("bin", "usr/bin", "opt"):
        (root / d).mkdir(parents=True)
    (root / "bin/sh").write_bytes(b"\x7fELF" + bytes(60))   # only its existence matters here
    (root / "usr/bin/env").write_bytes(b"\x7fELF" + bytes(60))
    (root / "usr/bin/perl").write_bytes(b"\x7fELF" + bytes(60))
    (root / "opt/sh-script").write_bytes(b"#!/bin/sh\n")
    (root / "opt/env-perl").write_bytes(b"#!/usr/bin/env perl\n")
    (root / "opt/env-python").write_bytes(b"#!/usr/bin/env python3\n")
    (root / "opt/host-only").write_bytes(b"#!" + shutil.which("python3").encode() + b"\n")
    (root / "opt/escape").write_bytes(b"#!/opt/link\n")
    os.symlink("../../../../../../" + shutil.which("python3").lstrip("/"), root / "opt/link")
    return root


def test_deps_on_script_resolves_the_interpreter_inside_the_root(capsys, tmp_path):
    root = _root_with_scripts(tmp_path)
    code, out, err = run(capsys, "deps", "--root", root, "/opt/sh-script")
    assert (code, out) == (0, "\tscript #!/bin/sh\n\t/bin/sh => /bin/sh\n")
    code, out, _ = run(capsys, "deps", "--root", root, "/opt/env-perl")
    assert (code, out) == (0, "\tscript #!/usr/bin/env perl\n\t/usr/bin/env => /usr/bin/env\n\tperl => /usr/bin/perl\n")
    code, out, _ = run(capsys, "deps", "--root", root, "/opt/env-python")
    assert code == 1 and out.endswith("\tpython3 => not found\n")
    # A host interpreter is not inside the root, even through a symlink that climbs out of it.
    for s in ("/opt/host-only", "/opt/escape"):
        code, out, _ = run(capsys, "deps", "--root", root, s)
        assert code == 1 and out.endswith("=> not found\n"), (s, out)
    code, out, _ = run(capsys, "deps", "--root", root, "--json", "/opt/env-python", "/opt/sh-script")
    doc = validate(json.loads(out), "deps.schema.json")
    py, sh = doc["results"]
    assert (py["format"], py["interpreter"], py["program"], py["missing"]) == (
        "script", {"name": "/usr/bin/env", "path": "/usr/bin/env"}, {"name": "python3", "path": None}, ["python3"])
    assert (sh["interpreter"], sh["program"], sh["missing"]) == ({"name": "/bin/sh", "path": "/bin/sh"}, None, [])


def test_deps_on_other_files_says_what_they_are(capsys, tmp_path):
    t = tmp_path / "t"
    t.write_text("hello\n")
    assert run(capsys, "deps", t) == (0, "\tnot a binary: ASCII text\n", "")


# -- item 7: trees, standard input, streams -----------------------------------------------------------
def _tree(tmp_path):
    top = tmp_path / "tree"
    (top / "sub/deeper").mkdir(parents=True)
    (top / "b-dir").mkdir()
    (tmp_path / "outside").mkdir()
    (tmp_path / "outside/o").write_text("outside\n")
    for rel in ("a", "z", "sub/s", "sub/deeper/d", "b-dir/x"):
        (top / rel).write_text(rel + "\n")
    shutil.copy(buildkit.get("go-hello"), top / "sub/prog")
    os.link(top / "a", top / "hard-link-to-a")
    (top / "link-to-z").symlink_to("z")
    (top / "link-out").symlink_to(tmp_path / "outside")
    (top / "sub/link-out-file").symlink_to(tmp_path / "outside/o")
    os.mkfifo(top / "fifo")
    # `find -type f` order, by name at each level, each inode once (a before hard-link-to-a)
    return top, [str(top / r) for r in ("a", "b-dir/x", "sub/deeper/d", "sub/prog", "sub/s", "z")]


def test_recursive_reads_regular_files_once_and_follows_no_symlink(capsys, tmp_path):
    top, want = _tree(tmp_path)
    code, out, err = run(capsys, "inspect", "--jsonl", "-r", top)
    assert (code, err) == (0, "")
    assert [r["path"] for r in records(out)] == want
    found = reference.find_regular_files(top)
    assert set(want) == set(found) - {str(top / "hard-link-to-a")}
    for argv in (["explain"], ["deps"], ["check", "--no-config", "--require", "static"]):
        code, out, err = run(capsys, *argv, "-r", top)
        assert code == 0, (argv, err)
        assert not any(w in out + err for w in ("outside", "link-out", "link-to-z", "hard-link", "fifo")), argv
        if argv[0] == "check":   # the Go program is static: it passes; the text files are not binaries
            assert err.endswith("1 file checked: all meet the policy, 5 not binaries (skipped)\n")
        else:
            assert str(top / "sub/prog") in out, argv


def test_directory_without_recursive_is_identified_but_fails_check(capsys, tmp_path):
    """`inspect /usr/bin/*` meets /usr/bin/X11 (a link to "."): a directory is identified as file(1)
    identifies it, exit 0; `check` fails it, since a gate must not pass what it did not check."""
    assert file_b(tmp_path) == "directory"
    assert run(capsys, "inspect", tmp_path) == (0, f"{tmp_path}: directory\n", "")
    assert run(capsys, "deps", tmp_path) == (0, "\tnot a binary: directory\n", "")
    assert run(capsys, "inspect", "--only-binaries", tmp_path) == (0, "", "")
    code, out, err = run(capsys, "check", "--no-config", "--require", "static", tmp_path)
    assert (code, out) == (1, "") and f"linkscope: {tmp_path}: is a directory (-r checks the files below it)\n" in err


def test_dash_reads_standard_input_like_file_dash(tmp_path):
    prog = buildkit.get("go-hello")
    with open(prog, "rb") as f:
        p = cli("inspect", "--json", "-", stdin=f)
    assert p.returncode == 0, p.stderr
    rec = validate(json.loads(p.stdout))["results"][0]
    with open(prog, "rb") as f:
        said = reference.file_brief_stdin(f)
    assert rec["path"] == "-" and rec["format"] == "elf" and "statically linked" in said and rec["linkage"] == "static"
    assert rec["size"] == prog.stat().st_size
    with open(prog, "rb") as f:
        p = cli("inspect", "-", stdin=f)
    assert p.stdout.startswith("-: ELF 64-bit")
    p = cli("inspect", "-", input="#!/bin/sh\n")
    assert p.stdout == "-: script, interpreter /bin/sh\n"
    p = cli("deps", "--json", "-", input="#!/bin/sh\n")
    assert json.loads(p.stdout)["results"][0]["path"] == "-"
    assert cli("inspect", "-", "-", input="").returncode == 2
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    p = cli("inspect", "-", input="hello\n", env={**os.environ, "TMPDIR": str(tmp)})
    assert p.stdout == "-: ASCII text\n" and list(tmp.iterdir()) == []     # the copy is gone


@pytest.mark.parametrize("mode", ["--jsonl", "human"])
def test_output_streams_the_first_record_before_the_last_input_is_read(tmp_path, mode):
    """The first record of a long batch must not wait for the last: the batch's last input does not
    exist until the first line has been read. Nothing is timed: the output (megabytes) is far more than
    the pipes between the processes hold, so linkscope cannot reach the last input before this test
    reads on; an implementation that writes only at the end reads the last input while it is missing."""
    small = tmp_path / ("s" * 200)     # long lines: the human output too is many times the pipes' room
    small.write_text("x\n")
    late = tmp_path / "late"
    n = 60_000
    lst = tmp_path / "list"
    lst.write_text(f"{small}\n" * n + f"{late}\n")
    flags = [mode] if mode != "human" else []
    proc = subprocess.Popen([sys.executable, "-m", "linkscope", "inspect", *flags, "--files-from", str(lst)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        first = proc.stdout.readline().decode()
        late.write_text("#!/bin/sh\n")
        rest = proc.stdout.read().decode().splitlines()
        proc.wait()
    finally:
        proc.kill() if proc.poll() is None else None
    assert len(rest) == n and proc.returncode == 0
    if mode == "human":
        assert first == f"{small}: ASCII text\n"
        assert rest[-1] == f"{late}: script, interpreter /bin/sh"
        return
    first = json.loads(first)
    assert first["path"] == str(small) and first["format"] == "text"
    last = json.loads(rest[-1])
    assert (last["path"], last["format"], last["error"]) == (str(late), "script", None)


def test_archive_member_walk_is_bounded(capsys, tmp_path, monkeypatch):
    from linkscope.formats import archive

    monkeypatch.setattr(archive, "MAX_MEMBERS", 10)
    lib = tmp_path / "many.a"
    member = b"m.o/".ljust(16) + b"0".ljust(12) + b"0".ljust(6) + b"0".ljust(6) + b"644".ljust(8) + b"2".ljust(10) + b"`\n"
    lib.write_bytes(b"!<arch>\n" + (member + b"xx") * 50)
    rec = validate(json.loads(run(capsys, "inspect", "--json", lib)[1]))["results"][0]
    assert (rec["format"], rec["members"], rec["error"]) == ("archive", None, None)
    assert rec["description"] == "ar archive, more than 10 members"


_PREFIXES = [b"#!", b"#!/bin/sh ", b"!<arch>\n", b"!<thin>\n", b"GROUP ( ", b"", b"\xef\xbb\xbf"]


def test_non_binary_readers_raise_only_linkscope_errors():
    """Whatever follows a script's, an archive's or a text file's first bytes, the readers give an
    image or one of linkscope's own errors, and read a bounded amount."""
    from hypothesis import assume, given, settings, strategies as st

    from linkscope.byteview import ByteView
    from linkscope.sniff import ARCHIVE, SCRIPT, sniff
    from linkscope.errors import LinkscopeError
    from linkscope.inspector import _parse

    @settings(max_examples=600, deadline=None)
    @given(st.sampled_from(_PREFIXES), st.binary(max_size=600))
    def check(prefix, tail):
        data = prefix + tail
        assume(sniff(data[:64]) in (SCRIPT, ARCHIVE, None))   # the binary formats have their own fuzzing
        try:
            img = _parse(ByteView(data))
            facts = img.facts()
        except LinkscopeError:
            return
        assert isinstance(facts.get("description") or facts.get("format"), str)

    check()


def test_deps_jsonl_lines_are_deps_results(capsys, tmp_path):
    s = tmp_path / "s"
    s.write_bytes(b"#!/bin/sh\n")
    code, out, err = run(capsys, "deps", "--jsonl", s, buildkit.get("go-default"), tmp_path / "missing")
    lines = [json.loads(ln) for ln in out.splitlines()]
    validate({"schema_version": 1, "results": lines}, "deps.schema.json")
    assert [r["path"] for r in lines] == [str(s), str(buildkit.get("go-default")), str(tmp_path / "missing")]
    assert code == 1 and err == f"linkscope: {tmp_path / 'missing'}: no such file\n"
