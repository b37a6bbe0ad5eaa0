"""`linkscope check`'s rules (linkscope.check) and policy values (linkscope.policy) that mutation
testing showed no test pinned down: every rule's message and evidence as a whole Violation record,
the fail-closed answers when a table could not be read, slices of universal files, sizes as shown,
the order of violations, and how policy values are parsed, named and merged.

Records are written out here field by field (a Binary is a frozen record), so each case states its
input and its whole expected result; tests/test_check.py runs the same rules over real builds.
"""
from __future__ import annotations

import argparse

import pytest

from linkscope import check
from linkscope import policy as pol
from linkscope.check import DIRECTORY, FileResult, Report, Violation, evaluate, run
from linkscope.render.check_report import policy_to_json
from linkscope.units import size_text
from linkscope.model import Binary, CgoInfo, ErrorInfo, Finding, GoInfo, ReadWarning, VersionFloor
from linkscope.policy import GoVersion, Policy, PolicyError

GO = GoInfo("go1.22.3", "example.com/app", settings=(("CGO_ENABLED", "1"),))
P = "/bin/x"


def rec(**kw) -> Binary:
    kw.setdefault("format", "elf")
    return Binary(P, **kw)


def warning(table: str, message: str = "bad") -> ReadWarning:
    return ReadWarning("malformed", table, 0x40, message)


def V(rule: str, message: str, *evidence: str, slice: str | None = None) -> Violation:
    return Violation(P, rule, message, tuple(evidence), slice)


# -- run, the report ----------------------------------------------------------------------------------
def test_run_without_a_rule_is_a_usage_error():
    with pytest.raises(PolicyError) as e:
        run(Policy(), [rec()])
    assert str(e.value) == "no policy: give at least one rule option (see --help) or a policy file"


def test_run_report_and_rules():
    p = Policy(forbid_rpath=True, max_size=10)
    bad = Binary("/bad", error=ErrorInfo("truncated", "file too short"), format="unknown", size=3)
    good = rec(size=5)
    r = run(p, [good, bad], "linkscope.toml")
    assert r == Report(p, "linkscope.toml", (
        FileResult(P), FileResult("/bad", (Violation("/bad", "unreadable", "cannot be read: file too short"),))))
    assert not r.ok and r.violations == [Violation("/bad", "unreadable", "cannot be read: file too short")]
    assert r.rules() == ["unreadable", "max-size", "forbid-rpath"]
    ok = run(p, [good])
    assert ok.ok and ok.rules() == ["max-size", "forbid-rpath"] and ok.config is None


def test_directory_is_unreadable_not_skipped():
    r = check._file_result(Policy(forbid_rpath=True), Binary("/d", format="directory"))
    assert r == FileResult("/d", (Violation("/d", "unreadable", f"cannot be read: {DIRECTORY}"),))
    assert DIRECTORY == "is a directory (-r checks the files below it)"


@pytest.mark.parametrize("fmt,description,why", [
    ("script", "POSIX shell script", "not a binary (POSIX shell script): the policy does not apply"),
    ("archive", None, "not a binary (archive): the policy does not apply"),
    ("text", "", "not a binary (text): the policy does not apply"),
])
def test_files_that_are_not_binaries_are_skipped(fmt, description, why):
    r = check._file_result(Policy(max_size=0), Binary("/s", format=fmt, description=description, size=9))
    assert r == FileResult("/s", (), why) and r.ok


def test_not_a_binary_with_an_error_is_checked():
    r = check._file_result(Policy(max_size=100), Binary("/s", format="text", error=ErrorInfo("input", "permission denied")))
    assert r == FileResult("/s", (Violation("/s", "unreadable", "cannot be read: permission denied"),))


# -- evaluate: errors and slices ----------------------------------------------------------------------
@pytest.mark.parametrize("size,text", [
    (0x100, "cannot be read: truncated: header at offset 0x40"),    # the offset is inside the file
    (0x30, "cannot be read: truncated: header"),                    # past the end: not shown
    (0, "cannot be read: truncated: header at offset 0x40"),        # size unknown
])
def test_unreadable_message(size, text):
    r = Binary(P, error=ErrorInfo("truncated", "header", 0x40), format="unknown", size=size)
    assert evaluate(Policy(max_size=1 << 40), r) == [V("unreadable", text)]


def test_an_unknown_format_stops_at_unreadable_a_known_one_is_still_checked():
    err = ErrorInfo("malformed", "bad section")
    p = Policy(max_size=1, require_stripped=True)
    assert evaluate(p, Binary(P, error=err, format="unknown", size=10)) == [V("unreadable", "cannot be read: bad section")]
    assert evaluate(p, Binary(P, error=err, format="elf", size=10, stripped=True)) == [
        V("unreadable", "cannot be read: bad section"),
        V("max-size", "file is 10 bytes, over the 1-byte limit", "10 B > 1 B")]


def test_universal_slices_each_checked_and_named():
    slices = (Binary("", error=ErrorInfo("malformed", "bad magic"), format="unknown", arch=None),
              Binary("", format="macho", arch="arm64", stripped=False),
              Binary("", error=ErrorInfo("truncated", "load commands", 0x20), format="macho", arch="x86_64",
                     stripped=None, size=0x100),
              Binary("", format="macho", arch=None, stripped=False))
    r = Binary(P, format="universal", slices=slices, size=1000, stripped=False)
    got = evaluate(Policy(require_stripped=True, max_size=999), r)
    assert got == [
        V("unreadable", "cannot be read: bad magic", slice="?"),
        V("unreadable", "cannot be read: truncated: load commands at offset 0x20", slice="x86_64"),
        V("require-stripped", "not stripped", "symbol table present", slice="arm64"),
        V("require-stripped", "cannot tell whether it is stripped", "format macho", slice="x86_64"),
        V("require-stripped", "not stripped", "symbol table present", slice="?"),
        V("max-size", "file is 1,000 bytes, over the 999-byte limit", "1000 B > 999 B"),
    ]


# -- max-size and sizes as shown ------------------------------------------------------------------------
@pytest.mark.parametrize("n,text", [
    (0, "0 B"), (1023, "1023 B"), (1024, "1.0 KiB"), (1536, "1.5 KiB"), (4096, "4.0 KiB"), (1025, "1.0 KiB"),
    (1024**2 - 1, "1024.0 KiB"), (1024**2, "1.0 MiB"), (3 * 1024**2 // 2, "1.5 MiB"), (4096 * 1024, "4.0 MiB"),
    (1024**3 - 1, "1024.0 MiB"), (1024**3, "1.0 GiB"), (5 * 1024**3, "5.0 GiB"), (1024**4, "1024.0 GiB"),
])
def test_sizes_as_shown(n, text):
    assert size_text(n) == text


def test_max_size_evidence():
    r = rec(size=3 * 1024**2, size_breakdown=(("a", 10), (".text", 2 * 1024**2), ("b", 3000), (".data", 4096), ("c", 1)),
            strip_saving=512 * 1024)
    assert evaluate(Policy(max_size=2 * 1024**2), r) == [V(
        "max-size", "file is 3,145,728 bytes, over the 2,097,152-byte limit",
        "3.0 MiB > 2.0 MiB", "largest: .text 2.0 MiB, .data 4.0 KiB, b 2.9 KiB",
        "-ldflags=\"-s -w\" (or strip) would save 512.0 KiB")]
    assert evaluate(Policy(max_size=10), rec(size=11)) == [V("max-size", "file is 11 bytes, over the 10-byte limit",
                                                             "11 B > 10 B")]
    assert evaluate(Policy(max_size=11), rec(size=11)) == []


def test_violations_in_rule_order():
    r = rec(size=100, stripped=False, rpath=("/r",), needed=("libz.so.1",), linkage="dynamic",
            interpreter="/lib64/ld-linux-x86-64.so.2")
    p = Policy(require="static", require_stripped=True, max_size=1, forbid_rpath=True, forbid_needed=("libz*",),
               allow_needed=("libc*",))
    assert [v.rule for v in evaluate(p, r)] == ["require", "require-stripped", "max-size", "forbid-rpath",
                                                "allow-needed", "forbid-needed"]


# -- per-image rules -----------------------------------------------------------------------------------
@pytest.mark.parametrize("required,linkage,want", [
    ("static", "static", None), ("static-pie", "static-pie", None), ("static-or-static-pie", "static", None),
    ("static-or-static-pie", "static-pie", None), ("dynamic", "dynamic", None),
    ("static", "static-pie", "linkage is static-pie, the policy requires static"),
    ("static-pie", "static", "linkage is static, the policy requires static-pie"),
    ("dynamic", "static", "linkage is static, the policy requires dynamic"),
    ("static-or-static-pie", "dynamic", "linkage is dynamic, the policy requires static or static-pie"),
])
def test_require(required, linkage, want):
    got = evaluate(Policy(require=required), rec(linkage=linkage))
    assert got == ([] if want is None else [V("require", want)])


def test_require_evidence():
    r = rec(linkage="dynamic", interpreter="/lib/ld-musl-x86_64.so.1", needed=("libc.so", "libz.so.1"), go=GO,
            cgo=CgoInfo(True, True, ("net", "os/user")))
    assert evaluate(Policy(require="static"), r) == [V(
        "require", "linkage is dynamic, the policy requires static", "interpreter /lib/ld-musl-x86_64.so.1",
        "needs libc.so, libz.so.1", "cgo used by net, os/user")]
    r = rec(linkage="dynamic", go=GO, cgo=CgoInfo(True, True, ()))
    assert evaluate(Policy(require="static"), r) == [V("require", "linkage is dynamic, the policy requires static")]
    r = rec(linkage="dynamic", go=GO, cgo=CgoInfo(True, False, ("net",)))
    assert evaluate(Policy(require="static"), r) == [V("require", "linkage is dynamic, the policy requires static")]


def test_require_fails_closed():
    assert evaluate(Policy(require="static-or-static-pie"), rec(format="wasm")) == [V(
        "require", "linkage could not be determined, the policy requires static or static-pie", "format wasm")]
    r = rec(warnings=(warning("dynamic table", "truncated at 0x80"), warning("section headers")))
    assert evaluate(Policy(require="dynamic"), r) == [V(
        "require", "linkage could not be determined, the policy requires dynamic",
        "dynamic table could not be read: truncated at 0x80")]


def test_forbid_cgo():
    fix = Finding("cgo-net", "warning", "uses cgo for net", fix="build with -tags netgo")
    other = Finding("size-dwarf", "info", "debug info", fix="strip")
    r = rec(go=GO, cgo=CgoInfo(True, True, ("net",)), findings=(other, Finding("cgo-x", "info", "x"), fix))
    assert evaluate(Policy(forbid_cgo=True), r) == [V(
        "forbid-cgo", "uses cgo", "caused by net", "CGO_ENABLED=1", "fix: build with -tags netgo")]
    r = rec(go=GO, cgo=CgoInfo(True, True, ("net", "os/user")))
    assert evaluate(Policy(forbid_cgo=True), r) == [V("forbid-cgo", "uses cgo", "caused by net, os/user", "CGO_ENABLED=1")]
    r = rec(go=GoInfo("go1.22.3"), cgo=CgoInfo(None, True, ()))
    assert evaluate(Policy(forbid_cgo=True), r) == [V("forbid-cgo", "uses cgo")]
    assert evaluate(Policy(forbid_cgo=True), rec(go=GO, cgo=CgoInfo(True, False, ()))) == []
    assert evaluate(Policy(forbid_cgo=True), rec(cgo=CgoInfo(True, True, ("c-code",)))) == []      # not Go
    for cgo in (None, CgoInfo(True, None, ())):
        assert evaluate(Policy(forbid_cgo=True), rec(go=GO, cgo=cgo)) == [V(
            "forbid-cgo", "cannot tell whether cgo is used", "no cgo analysis for this binary")]


def test_forbid_cgo_fails_closed_when_build_info_unread():
    r = rec(cgo=CgoInfo(True, False, ()), go=GO, warnings=(warning("Go build info", "bad varint"),
                                                            warning("dynamic table")))
    assert evaluate(Policy(forbid_cgo=True), r) == [V(
        "forbid-cgo", "cannot tell whether cgo is used", "Go build info could not be read: bad varint")]


def test_require_stripped():
    r = rec(stripped=False, debug_info=True, strip_saving=2048, go=GO)
    assert evaluate(Policy(require_stripped=True), r) == [V(
        "require-stripped", "not stripped", "symbol table present", "debug info present", "stripping would save 2.0 KiB",
        "build with -ldflags=\"-s -w\"")]
    assert evaluate(Policy(require_stripped=True), rec(stripped=False, debug_info=False)) == [V(
        "require-stripped", "not stripped", "symbol table present")]
    assert evaluate(Policy(require_stripped=True), rec(stripped=True, debug_info=True)) == []
    assert evaluate(Policy(require_stripped=True), rec(format="pe", stripped=None)) == [V(
        "require-stripped", "cannot tell whether it is stripped", "format pe")]


@pytest.mark.parametrize("kw,want", [
    (dict(hardening=(("relro", "full"), ("pie", "yes")), type="executable"), None),
    (dict(hardening=(("pie", "no"),), type="pie-executable"), ("not position-independent", "type pie-executable")),
    (dict(linkage="static-pie", type="executable"), None),
    (dict(type="pie-executable"), None),
    (dict(type="shared-library"), None),
    (dict(type="executable"), ("not position-independent", "type executable")),
    (dict(type="executable", go=GO), ("not position-independent", "type executable", "build with -buildmode=pie")),
    (dict(hardening=(("pie", "no"),)), ("not position-independent",)),
    (dict(type="object"), ("cannot tell whether it is position-independent", "type object")),
    (dict(), ("cannot tell whether it is position-independent", "type unknown")),
    (dict(hardening=(("pie", "maybe"),), type="executable"), ("not position-independent", "type executable")),
])
def test_require_pie(kw, want):
    got = evaluate(Policy(require_pie=True), rec(**kw))
    assert got == ([] if want is None else [V("require-pie", *want)])


def test_max_glibc():
    floors = (VersionFloor("GLIBCXX", "3.4.30", ("a",)),
              VersionFloor("GLIBC", "2.34", ("s1", "s2", "s3", "s4", "s5", "s6", "s7")),
              VersionFloor("GLIBC", "2.33", ()),
              VersionFloor("GLIBC", "2.32", ("t1", "t2", "t3", "t4", "t5")),
              VersionFloor("GLIBC", "2.31", ("u1", "u2", "u3", "u4", "u5", "u6")))
    r = rec(glibc_min="2.34", version_floors=floors)
    assert evaluate(Policy(max_glibc="2.28"), r) == [V(
        "max-glibc", "needs glibc 2.34, the policy allows at most 2.28",
        "GLIBC_2.34 required by s1, s2, s3, s4, s5, +2 more", "GLIBC_2.32 required by t1, t2, t3, t4, t5",
        "GLIBC_2.31 required by u1, u2, u3, u4, u5, +1 more")]
    assert evaluate(Policy(max_glibc="2.34"), r) == []
    assert evaluate(Policy(max_glibc="2.34.0"), r) == []
    assert evaluate(Policy(max_glibc="2.9"), rec(glibc_min="2.10")) == [V(
        "max-glibc", "needs glibc 2.10, the policy allows at most 2.9")]
    assert evaluate(Policy(max_glibc="2.3"), rec(glibc_min=None)) == []
    r = rec(glibc_min="2.17", warnings=(warning("symbol versions", "cut"),))
    assert evaluate(Policy(max_glibc="2.28"), r) == [V(
        "max-glibc", "cannot tell which glibc it needs", "symbol versions could not be read: cut")]
    r = rec(glibc_min="2.17", warnings=(warning("Go build info", "cut"),))
    assert evaluate(Policy(max_glibc="2.28"), r) == []


def test_forbid_rpath():
    assert evaluate(Policy(forbid_rpath=True), rec(rpath=("/a", "$ORIGIN/b"), runpath=("/c",))) == [V(
        "forbid-rpath", "has RPATH and RUNPATH", "RPATH /a:$ORIGIN/b", "RUNPATH /c")]
    assert evaluate(Policy(forbid_rpath=True), rec(runpath=("/c",))) == [V("forbid-rpath", "has RUNPATH", "RUNPATH /c")]
    assert evaluate(Policy(forbid_rpath=True), rec(rpath=("/a",))) == [V("forbid-rpath", "has RPATH", "RPATH /a")]
    assert evaluate(Policy(forbid_rpath=True), rec()) == []
    r = rec(rpath=("/a",), warnings=(warning("LC_RPATH", "bad cmdsize"), warning("Go build info")))
    assert evaluate(Policy(forbid_rpath=True), r) == [V(
        "forbid-rpath", "cannot tell whether it has RPATH or RUNPATH", "LC_RPATH could not be read: bad cmdsize")]


def test_allow_and_forbid_needed():
    r = rec(needed=("libc.so.6", "libz.so.1", "/usr/lib/libSystem.B.dylib"))
    assert evaluate(Policy(allow_needed=("libc.so.*", "libSystem*")), r) == [V(
        "allow-needed", "needs libz.so.1, which no allowed pattern matches", "allowed: libc.so.*, libSystem*")]
    assert evaluate(Policy(forbid_needed=("libz*", "*.so.1", "libq*")), r) == [V(
        "forbid-needed", "needs libz.so.1, which is forbidden", "matches libz*, *.so.1")]
    assert evaluate(Policy(forbid_needed=("/usr/lib/*",)), r) == [V(
        "forbid-needed", "needs /usr/lib/libSystem.B.dylib, which is forbidden", "matches /usr/lib/*")]


def test_needed_names_of_pe_match_without_case():
    pe = rec(format="pe", needed=("KERNEL32.dll", "msvcrt.dll"))
    assert evaluate(Policy(forbid_needed=("kernel32.DLL",)), pe) == [V(
        "forbid-needed", "needs KERNEL32.dll, which is forbidden", "matches kernel32.DLL")]
    assert evaluate(Policy(allow_needed=("kernel32.dll", "MSVCRT.DLL")), pe) == []
    elf = rec(needed=("LIBZ.so",))
    assert evaluate(Policy(forbid_needed=("libz.so",)), elf) == []
    assert evaluate(Policy(allow_needed=("libz.so",)), elf) == [V(
        "allow-needed", "needs LIBZ.so, which no allowed pattern matches", "allowed: libz.so")]


def test_needed_rules_fail_closed_when_the_library_tables_are_unread():
    for table in ("program headers", "dynamic table", "dynamic strings", "import directory", "delay-load import directory",
                  "load commands", "LC_LOAD_DYLIB", "LC_LOAD_WEAK_DYLIB", "LC_REEXPORT_DYLIB", "LC_LAZY_LOAD_DYLIB",
                  "LC_LOAD_UPWARD_DYLIB", "LC_RPATH"):
        r = rec(needed=("libz.so.1",), warnings=(warning(table, "cut short"),))
        ev = f"{table} could not be read: cut short"
        assert evaluate(Policy(allow_needed=("libc*",), forbid_needed=("libz*",)), r) == [
            V("allow-needed", "cannot tell which libraries it needs", ev),
            V("forbid-needed", "cannot tell which libraries it needs", ev)], table
        assert evaluate(Policy(forbid_needed=("libz*",)), r) == [
            V("forbid-needed", "cannot tell which libraries it needs", ev)], table
    r = rec(needed=("libz.so.1",), warnings=(warning("symbol versions"), warning("Go build info")))
    assert evaluate(Policy(forbid_needed=("libz*",)), r) == [V(
        "forbid-needed", "needs libz.so.1, which is forbidden", "matches libz*")]


@pytest.mark.parametrize("version,req,want", [
    ("go1.22.3", ">=1.22", None),
    ("go1.21.9", ">=1.22,<1.24", ("built with go1.21.9, the policy requires Go >=1.22",)),
    ("go1.25.0", ">=1.22,<1.24,!=go1.25.0", ("built with go1.25.0, the policy requires Go <1.24, !=go1.25.0",)),
    ("devel go1.24-abcdef", "<1.23", ("built with devel go1.24-abcdef, the policy requires Go <1.23",
                                      "devel toolchains count as newer than every release")),
    ("devel go1.24-abcdef", ">=1.23", None),
    ("banana", ">=1.22", ("Go version 'banana' cannot be compared, the policy requires Go >=1.22",)),
])
def test_require_go_version(version, req, want):
    got = evaluate(Policy(require_go_version=pol.parse_go_requirement(req)), rec(go=GoInfo(version)))
    assert got == ([] if want is None else [V("require-go-version", *want)])


def test_require_go_version_of_a_binary_that_is_not_go_or_unread():
    p = Policy(require_go_version=pol.parse_go_requirement(">=1.22"))
    assert evaluate(p, rec()) == [V("require-go-version", "not a Go binary, the policy requires Go >=1.22")]
    r = rec(go=GO, warnings=(warning("Go build info", "bad"), warning("dynamic table")))
    assert evaluate(p, r) == [V("require-go-version", "cannot tell which Go built it", "Go build info could not be read: bad")]


def test_rule_table():
    """The rules' descriptions, as SARIF reports them (shortDescription, fullDescription), in rule order."""
    assert list(check.RULES.items()) == [
        ("unreadable", ("The input can be read as a binary",
                        "The file could not be read or parsed, so no rule could be checked on it.")),
        ("require", ("Linkage is the one required",
                     "--require static|static-pie|static-or-static-pie|dynamic: the linkage inspect reports (a file "
                     "with PT_INTERP is dynamic: it needs its interpreter).")),
        ("forbid-cgo", ("Go binaries do not use cgo",
                        "--forbid-cgo: runtime/cgo must not be linked into a Go binary; non-Go binaries pass.")),
        ("require-stripped", ("Binaries are stripped", "--require-stripped: no symbol table may be left in the file.")),
        ("require-pie", ("Executables are position-independent",
                         "--require-pie: executables must be PIE or static-pie (shared libraries are "
                         "position-independent).")),
        ("max-glibc", ("glibc floor is at most the allowed version",
                       "--max-glibc: the newest GLIBC_x.y symbol version the binary requires must not be newer.")),
        ("max-size", ("File size is within the limit", "--max-size: the file must not be larger than the limit.")),
        ("forbid-rpath", ("No RPATH or RUNPATH", "--forbid-rpath: the binary must not carry an RPATH or RUNPATH.")),
        ("allow-needed", ("Needed libraries are all allowed",
                          "--allow-needed: every needed library must match one of the allowed globs.")),
        ("forbid-needed", ("No forbidden needed library",
                           "--forbid-needed: no needed library may match a forbidden glob.")),
        ("require-go-version", ("Go version meets the requirement",
                                "--require-go-version: the Go toolchain that built the binary must satisfy the "
                                "comparisons; non-Go binaries fail.")),
    ]


# -- policy: values ------------------------------------------------------------------------------------
@pytest.mark.parametrize("text,value", [
    (0, 0), (4096, 4096), ("4096", 4096), ("4096B", 4096), ("4096 b", 4096), (" 1 KB ", 1000), ("1kib", 1024),
    ("2MB", 2_000_000), ("2MiB", 2 * 1024**2), ("1GB", 10**9), ("1GiB", 1024**3), ("1.5 GB", 1_500_000_000),
    ("1.5KiB", 1536), ("0.5B", None), ("1.25 B", None), ("2.0B", 2), ("1.0001KB", 1000),
])
def test_parse_size(text, value):
    if value is None:
        with pytest.raises(PolicyError) as e:
            pol.parse_size(text)
        assert str(e.value) == f"invalid size {text!r}: a byte count must be whole"
    else:
        assert pol.parse_size(text) == value


@pytest.mark.parametrize("text,message", [
    (True, "invalid size True: expected bytes or a number with a unit such as 12MiB"),
    (-1, "invalid size -1: must not be negative"),
    ("12 parsecs", "invalid size '12 parsecs': unknown unit 'parsecs' (use B, KB, KiB, MB, MiB, GB or GiB)"),
    ("MiB", "invalid size 'MiB': expected bytes or a number with a unit such as 12MiB"),
    ("-1", "invalid size '-1': expected bytes or a number with a unit such as 12MiB"),
    ("1 2", "invalid size '1 2': expected bytes or a number with a unit such as 12MiB"),
])
def test_parse_size_errors(text, message):
    with pytest.raises(PolicyError) as e:
        pol.parse_size(text)
    assert str(e.value) == message


@pytest.mark.parametrize("text,value", [("2.28", (2, 28)), ("GLIBC_2.17", (2, 17)), (" 2.3.4 ", (2, 3, 4)), ("2", (2,))])
def test_parse_glibc_version(text, value):
    assert pol.parse_glibc_version(text) == value


@pytest.mark.parametrize("text,message", [
    (2.28, "invalid glibc version 2.28: write it as a string, e.g. \"2.28\""),
    ("2.x", "invalid glibc version '2.x': expected numbers joined by dots, e.g. 2.28"),
    ("GLIBC_", "invalid glibc version 'GLIBC_': expected numbers joined by dots, e.g. 2.28"),
])
def test_parse_glibc_version_errors(text, message):
    with pytest.raises(PolicyError) as e:
        pol.parse_glibc_version(text)
    assert str(e.value) == message


def test_glibc_version_key():
    assert pol.glibc_version_key("2.28.0") == (2, 28) == pol.glibc_version_key("2.28")
    assert pol.glibc_version_key("2.0.0") == (2,)
    assert pol.glibc_version_key("0") == (0,)
    assert pol.glibc_version_key("2.0.1") == (2, 0, 1)
    assert pol.glibc_version_key("2.9") < pol.glibc_version_key("2.28")


@pytest.mark.parametrize("text,want", [
    ("go1.22.3", GoVersion(False, 1, 22, 3, "", -1)),
    ("1.22", GoVersion(False, 1, 22, -1, "", -1)),
    ("go1.23rc1", GoVersion(False, 1, 23, -1, "rc", 1)),
    ("go1.23beta", GoVersion(False, 1, 23, -1, "beta", -1)),
    ("go1.20", GoVersion(False, 1, 20, 0, "", -1)),
    ("go1.20rc2", GoVersion(False, 1, 20, -1, "rc", 2)),
    ("go1", GoVersion(False, 1, 0, 0, "", -1)),
    ("go2.0", GoVersion(False, 2, 0, -1, "", -1)),
    ("go1.21.0-bigcorp", GoVersion(False, 1, 21, 0, "", -1)),
    ("go1.21.0-big-corp-2", GoVersion(False, 1, 21, 0, "", -1)),     # everything after the first '-
    ("  go1.22.0 X:boringcrypto ", GoVersion(False, 1, 22, 0, "", -1)),
    ("devel", GoVersion(True)), ("devel go1.24-abc", GoVersion(True)), ("devel+abc", GoVersion(True)),
])
def test_parse_go_version_fields(text, want):
    got = pol.parse_go_version(text)
    assert got == want
    assert (got.devel, got.major, got.minor, got.patch, got.kind, got.pre) == (
        want.devel, want.major, want.minor, want.patch, want.kind, want.pre)
    assert got.text == text.strip() and str(got) == text.strip()


@pytest.mark.parametrize("text,message", [
    (1.22, "invalid Go version 1.22: expected a string such as go1.22.3"),
    ("banana", "invalid Go version 'banana': expected something like 1.22, go1.22.3 or go1.23rc1"),
    ("develop", "invalid Go version 'develop': expected something like 1.22, go1.22.3 or go1.23rc1"),
])
def test_parse_go_version_errors(text, message):
    with pytest.raises(PolicyError) as e:
        pol.parse_go_version(text)
    assert str(e.value) == message


def test_go_requirement():
    req = pol.parse_go_requirement(" >=1.22 , <go1.24,!=1.22.1,==1.22.3,>1.0,<=2")
    assert [op for op, _ in req.clauses] == [">=", "<", "!=", "==", ">", "<="]
    assert str(req) == ">=1.22,<go1.24,!=1.22.1,==1.22.3,>1.0,<=2"
    assert req.failing(pol.parse_go_version("go1.22.3")) == []
    assert req.failing(pol.parse_go_version("go1.22.1")) == ["!=1.22.1", "==1.22.3"]
    assert req.failing(pol.parse_go_version("go1.25.0")) == ["<go1.24", "==1.22.3"]
    assert pol.parse_go_requirement(">1.22").failing(pol.parse_go_version("1.22")) == [">1.22"]
    assert pol.parse_go_requirement("<=1.22").failing(pol.parse_go_version("1.22.1")) == ["<=1.22"]
    assert pol.parse_go_requirement(">=1.22").failing(pol.parse_go_version("1.22")) == []
    assert pol.parse_go_requirement("<=1.22").failing(pol.parse_go_version("1.22")) == []
    assert pol.parse_go_requirement("<1.22").failing(pol.parse_go_version("1.22")) == ["<1.22"]
    assert pol.parse_go_requirement(">= 1.22").clauses == ((">=", GoVersion(False, 1, 22, -1, "", -1)),)


def test_go_versions_compared_as_go_does():
    v = pol.parse_go_version
    assert v("go1") == v("go1.0.0") == GoVersion(False, 1, 0, 0, "", -1) and v("go1") < v("go1.0.1")
    assert v("devel") == GoVersion(True, 0, 0, -1, "", -1) and v("devel") > v("go99.0.0")
    assert v("go1.21") < v("go1.21rc1") < v("go1.21.0") < v("go1.21.1")
    assert v("go1.22alpha1") < v("go1.22beta1") < v("go1.22rc1") < v("go1.22rc2")


@pytest.mark.parametrize("text,message", [
    (">=1.22,1.23", "invalid Go version requirement '>=1.22,1.23': each comparison needs an operator, one of >=, >, "
                    "<=, <, ==, != (did you mean '>=1.23'?)"),
    ("~1.22", "invalid Go version requirement '~1.22': each comparison needs an operator, one of >=, >, <=, <, ==, !="),
    (122, "invalid Go version requirement 122: write it as a string, e.g. \">=1.22\""),
    (">=banana", "invalid Go version 'banana': expected something like 1.22, go1.22.3 or go1.23rc1"),
])
def test_go_requirement_errors(text, message):
    with pytest.raises(PolicyError) as e:
        pol.parse_go_requirement(text)
    assert str(e.value) == message


def test_globs():
    assert pol.parse_globs("libc*", "allow-needed") == ("libc*",)
    assert pol.parse_globs(["a", "b"], "x") == ("a", "b")
    assert pol.parse_globs(("a",), "x") == ("a",)
    for bad in (1, [1], ["a", 2], {"a": 1}):
        with pytest.raises(PolicyError) as e:
            pol.parse_globs(bad, "forbid-needed")
        assert str(e.value) == f"invalid forbid-needed {bad!r}: expected a glob or a list of globs"
    with pytest.raises(PolicyError) as e:
        pol.parse_globs(["a", " "], "allow-needed")
    assert str(e.value) == "invalid allow-needed: an empty pattern matches nothing"


@pytest.mark.parametrize("name,pattern,ci,want", [
    ("/usr/lib/libSystem.B.dylib", "libSystem*", False, True),
    ("/usr/lib/libSystem.B.dylib", "/usr/lib/*", False, True),
    ("/usr/lib/libSystem.B.dylib", "usr/lib/*", False, False),
    ("libz.so.1", "LIBZ*", False, False), ("libz.so.1", "LIBZ*", True, True), ("LIBZ.SO", "libz.so", True, True),
    ("libz.so.1", "libz.so.[0-9]", False, True), ("a/libz.so", "libz.so", False, True),
])
def test_needed_matches(name, pattern, ci, want):
    assert pol.needed_matches(name, pattern, ci) is want


def test_needed_matches_case_sensitive_by_default():
    assert pol.needed_matches("libz.so.1", "LIBZ*") is False
    assert pol.needed_matches("libz.so.1", "libz*") is True


# -- policy: the record, files, the command line ---------------------------------------------------------
def test_policy_rules_and_json():
    assert Policy().is_empty() and Policy().enabled_rules() == [] and policy_to_json(Policy()) == {}
    p = Policy(require="static", max_size=0, allow_needed=("a", "b"),
               require_go_version=pol.parse_go_requirement(">=1.22"), forbid_cgo=True)
    assert not p.is_empty() and not Policy(max_size=0).is_empty()
    assert p.enabled_rules() == ["require", "forbid-cgo", "max-size", "allow-needed", "require-go-version"]
    assert policy_to_json(p) == {"require": "static", "forbid-cgo": True, "max-size": 0, "allow-needed": ["a", "b"],
                           "require-go-version": ">=1.22"}
    assert policy_to_json(Policy(max_glibc="2.28", forbid_rpath=False)) == {"max-glibc": "2.28"}


@pytest.mark.parametrize("key,value,message", [
    ("require", "semi", "invalid linkage 'semi': choose one of static, static-pie, static-or-static-pie, dynamic"),
    ("forbid_cgo", "yes", "invalid value 'yes': expected true or false"),
    ("require_pie", 1, "invalid value 1: expected true or false"),
    ("max_glibc", 2.3, "invalid glibc version 2.3: write it as a string, e.g. \"2.28\" (as a number, 2.30 would read as 2.3)"),
])
def test_value_parsers(key, value, message):
    with pytest.raises(PolicyError) as e:
        pol.PARSERS[key](value)
    assert str(e.value) == message


def test_value_parsers_accept():
    assert pol.PARSERS["max_glibc"](" GLIBC_2.28 ") == "2.28"
    assert pol.PARSERS["require"]("static-pie") == "static-pie"
    assert pol.PARSERS["require_stripped"](False) is False
    assert pol.PARSERS["forbid_rpath"](True) is True
    assert pol.PARSERS["max_size"]("1KiB") == 1024
    assert pol.PARSERS["allow_needed"]("libc*") == ("libc*",)
    assert pol.PARSERS["forbid_needed"](["x"]) == ("x",)


def test_from_mapping():
    got = pol.from_mapping({"max-size": "1KiB", "forbid_rpath": True, "require-go-version": ">=1.22"}, "f.toml")
    assert got == {"max_size": 1024, "forbid_rpath": True, "require_go_version": pol.parse_go_requirement(">=1.22")}
    with pytest.raises(PolicyError) as e:
        pol.from_mapping({"max-sise": 1}, "f.toml")
    assert str(e.value) == ("f.toml: unknown key 'max-sise' (known keys: require, forbid-cgo, require-stripped, "
                            "require-pie, max-glibc, max-size, forbid-rpath, allow-needed, forbid-needed, "
                            "require-go-version)")
    with pytest.raises(PolicyError) as e:
        pol.from_mapping({"max-size": 1, "max_size": 2}, "f.toml")
    assert str(e.value) == "f.toml: max-size is given twice (as kebab and snake case)"
    with pytest.raises(PolicyError) as e:
        pol.from_mapping({"max-size": "x"}, "f.toml")
    assert str(e.value) == "f.toml: max-size: invalid size 'x': expected bytes or a number with a unit such as 12MiB"


def test_policy_files(tmp_path):
    lt = tmp_path / "linkscope.toml"
    lt.write_text("[check]\nrequire = \"static\"\n[other]\nx = 1\n")
    assert pol.load_file(lt) == {"require": "static"}
    pp = tmp_path / "pyproject.toml"
    pp.write_text("[tool.linkscope.check]\nmax-size = 10\n")
    assert pol.load_file(pp) == {"max_size": 10}
    cases = [
        ("pyproject.toml", "[project]\nname = \"x\"\n", "{p}: no [tool.linkscope.check] table"),
        ("pyproject.toml", "[tool]\nlinkscope = 1\n", "{p}: no [tool.linkscope.check] table"),
        ("pyproject.toml", "[tool.linkscope]\ncheck = 1\n", "{p}: tool.linkscope.check must be a table"),
        ("linkscope.toml", "[diff]\nx = 1\n", "{p}: no [check] table"),
        ("linkscope.toml", "check = 1\n", "{p}: check must be a table"),
        ("linkscope.toml", "max-size = 1\nrequire = \"static\"\n", "{p}: 'max-size' is at the top level; policy keys go in a [check] table"),
    ]
    for i, (name, text, message) in enumerate(cases):
        d = tmp_path / str(i)
        d.mkdir()
        p = d / name
        p.write_text(text)
        with pytest.raises(PolicyError) as e:
            pol.load_file(p)
        assert str(e.value) == message.format(p=p), name
    with pytest.raises(PolicyError) as e:
        pol.load_file(tmp_path / "none.toml")
    assert str(e.value) == f"{tmp_path / 'none.toml'}: no such policy file"
    bad = tmp_path / "bad.toml"
    bad.write_text("[check\n")
    with pytest.raises(PolicyError) as e:
        pol.load_file(bad)
    assert str(e.value).startswith(f"{bad}: not valid TOML: ")


def test_policy_file_that_cannot_be_read(tmp_path):
    d = tmp_path / "linkscope.toml"
    d.mkdir()
    with pytest.raises(PolicyError) as e:
        pol._load_toml(d)
    assert str(e.value) == f"{d}: cannot read: Is a directory"


def test_discover(tmp_path):
    top = tmp_path / "a"
    sub = top / "b" / "c"
    sub.mkdir(parents=True)
    (top / "pyproject.toml").write_text("[tool.linkscope.check]\nrequire = \"static\"\n")
    (top / "b" / "pyproject.toml").write_text("[project]\nname = \"no policy here\"\n")
    assert pol.discover(sub) == top / "pyproject.toml"
    (top / "b" / "linkscope.toml").write_text("[other]\n")
    assert pol.discover(sub) == top / "pyproject.toml"
    (top / "linkscope.toml").write_text("[check]\nforbid-cgo = true\n")
    assert pol.discover(sub) == top / "linkscope.toml"          # linkscope.toml first in a directory
    (sub / "pyproject.toml").write_text("[tool.linkscope.check]\n")
    assert pol.discover(sub) == sub / "pyproject.toml"
    assert pol.CONFIG_NAMES == ("linkscope.toml", "pyproject.toml")


def test_build(tmp_path):
    (tmp_path / "linkscope.toml").write_text("[check]\nrequire = \"static\"\nmax-size = 10\nallow-needed = [\"a\"]\n")
    cli = {k: None for k in pol.PARSERS}
    assert pol.build(cli, cwd=tmp_path) == (Policy(require="static", max_size=10, allow_needed=("a",)),
                                            tmp_path / "linkscope.toml")
    over = dict(cli, max_size="1KiB", allow_needed=("b", "c"), require_go_version=pol.parse_go_requirement(">=1.2"))
    assert pol.build(over, cwd=tmp_path) == (Policy(require="static", max_size=1024, allow_needed=("b", "c"),
                                                    require_go_version=pol.parse_go_requirement(">=1.2")),
                                             tmp_path / "linkscope.toml")
    assert pol.build(dict(cli, forbid_cgo=True), use_config=False, cwd=tmp_path) == (Policy(forbid_cgo=True), None)
    other = tmp_path / "x.toml"
    other.write_text("[check]\nforbid-rpath = true\n")
    assert pol.build(cli, config=other, cwd=tmp_path) == (Policy(forbid_rpath=True), other)
    assert pol.build(cli, config=str(other), use_config=False) == (Policy(forbid_rpath=True), other)
    empty = tmp_path / "empty"
    empty.mkdir()
    assert pol.build(dict(cli, require="dynamic"), cwd=empty)[0].require == "dynamic"
    with pytest.raises(PolicyError) as e:
        pol.build({"max_sise": 1}, use_config=False)
    assert str(e.value) == "unknown policy key 'max_sise'"


def test_command_line_options():
    ap = argparse.ArgumentParser()
    pol.add_options(ap)
    args = ap.parse_args(["--require", "static", "--forbid-cgo", "--no-require-stripped", "--max-glibc", "GLIBC_2.28",
                          "--max-size", "2KiB", "--allow-needed", "a*", "--allow-needed", "b*",
                          "--require-go-version", ">=1.22", "--no-config"])
    assert pol.cli_values(args) == {
        "require": "static", "forbid_cgo": True, "require_stripped": False, "require_pie": None, "max_glibc": "2.28",
        "max_size": 2048, "forbid_rpath": None, "allow_needed": ("a*", "b*"), "forbid_needed": None,
        "require_go_version": pol.parse_go_requirement(">=1.22")}
    assert args.no_config is True and args.config is None
    assert pol.cli_values(ap.parse_args(["--config", "f.toml", "--forbid-needed", "x"]))["forbid_needed"] == ("x",)
    for argv, message in ((["--max-size", "12 parsecs"], "argument --max-size: invalid size '12 parsecs'"),
                          (["--max-glibc", "2.x"], "argument --max-glibc: invalid glibc version '2.x'"),
                          (["--allow-needed", " "], "argument --allow-needed: invalid allow-needed: an empty pattern"),
                          (["--require-go-version", "1.22"], "argument --require-go-version: invalid Go version "
                                                             "requirement '1.22'")):
        with pytest.raises(SystemExit):
            ap.parse_args(argv)


def test_command_line_option_errors(capsys):
    ap = argparse.ArgumentParser(prog="x")
    pol.add_options(ap)
    for argv, message in ((["--max-size", "12 parsecs"], "x: error: argument --max-size: invalid size '12 parsecs': "
                                                          "unknown unit 'parsecs' (use B, KB, KiB, MB, MiB, GB or GiB)"),
                          (["--max-glibc", "2.x"], "x: error: argument --max-glibc: invalid glibc version '2.x': "
                                                    "expected numbers joined by dots, e.g. 2.28"),
                          (["--forbid-needed", ""], "x: error: argument --forbid-needed: invalid forbid-needed: an "
                                                    "empty pattern matches nothing"),
                          (["--allow-needed", " "], "x: error: argument --allow-needed: invalid allow-needed: an "
                                                    "empty pattern matches nothing"),
                          (["--require-go-version", ">=x"], "x: error: argument --require-go-version: invalid Go "
                                                            "version 'x': expected something like 1.22, go1.22.3 or "
                                                            "go1.23rc1"),
                          (["--config", "a", "--no-config"], "x: error: argument --no-config: not allowed with "
                                                             "argument --config")):
        with pytest.raises(SystemExit) as e:
            ap.parse_args(argv)
        assert e.value.code == 2
        assert capsys.readouterr().err.strip().splitlines()[-1] == message


def test_discover_from_the_current_directory(tmp_path, monkeypatch):
    (tmp_path / "linkscope.toml").write_text("[check]\nrequire = \"static\"\n")
    sub = tmp_path / "x"
    sub.mkdir()
    monkeypatch.chdir(sub)
    assert pol.discover() == tmp_path / "linkscope.toml"
    assert pol.build({"require": None}) == (Policy(require="static"), tmp_path / "linkscope.toml")
    assert pol.build({"require": None}, use_config=False) == (Policy(), None)


POLICY_HELP = """\
policy (each overrides the same key of the policy file):
  --require {static,static-pie,static-or-static-pie,dynamic}
                        linkage every binary must have
  --forbid-cgo, --no-forbid-cgo
                        fail Go binaries that use cgo (runtime/cgo linked in); non-Go binaries pass
  --require-stripped, --no-require-stripped
                        fail binaries that still have a symbol table
  --require-pie, --no-require-pie
                        fail executables that are not position-independent
  --max-glibc VERSION   fail binaries that need a newer glibc than VERSION (e.g. 2.28)
  --max-size SIZE       fail files larger than SIZE (bytes, or with a unit: B, KB, KiB, MB, MiB, GB, GiB)
  --forbid-rpath, --no-forbid-rpath
                        fail binaries with an RPATH or RUNPATH
  --allow-needed GLOB   every needed library must match one of these globs (repeatable)
  --forbid-needed GLOB  no needed library may match any of these globs (repeatable)
  --require-go-version REQ
                        Go version comparisons, e.g. '>=1.22' or '>=1.22,<1.24'; non-Go binaries fail

policy file:
  --config FILE         read the policy from FILE (a pyproject.toml or a linkscope.toml) instead of discovering one
  --no-config           ignore policy files; use only the options
"""


def test_policy_options_help(monkeypatch):
    """What `linkscope check --help` says of each policy option (a wide terminal: no wrapping)."""
    monkeypatch.setenv("COLUMNS", "300")
    ap = argparse.ArgumentParser(prog="x", add_help=False)
    pol.add_options(ap)
    text = ap.format_help()
    assert text[text.index("policy (each"):] == POLICY_HELP


def test_policy_option_choices_and_defaults():
    ap = argparse.ArgumentParser(prog="x")
    pol.add_options(ap)
    args = ap.parse_args([])
    assert pol.cli_values(args) == {k: None for k in pol.PARSERS}
    assert (args.config, args.no_config) == (None, False)
    for choice in ("static", "static-pie", "static-or-static-pie", "dynamic"):
        assert ap.parse_args(["--require", choice]).require == choice
    with pytest.raises(SystemExit):
        ap.parse_args(["--require", "semi"])
    assert ap.parse_args(["--no-forbid-rpath", "--require-pie"]).forbid_rpath is False


def test_cli_values_of_a_namespace_without_some_keys():
    got = pol.cli_values(argparse.Namespace(require="static", allow_needed=["a"]))
    assert got == dict({k: None for k in pol.PARSERS}, require="static", allow_needed=("a",))
