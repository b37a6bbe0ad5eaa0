"""Hardening fields agree with readelf's view of the same files: GNU_RELRO, GNU_STACK flags,
BIND_NOW (DT_BIND_NOW, DF_BIND_NOW, DF_1_NOW), DF_1_PIE and the ELF type, and the x86 feature
property (IBT, SHSTK) of `readelf -n`; over the ELF files the tests build (Go in every linking
mode, gcc and zig C builds, plus gcc builds made to differ: no RELRO, executable stack, full RELRO,
CET-marked) and a sample of /usr/bin. Then the Go-specific reading: no stack protector or FORTIFY
finding for pure Go, which the checksec family reports as missing.
"""
from __future__ import annotations

import glob
import os
import re
import shutil

import pytest

import reference

import buildkit
from linkscope.inspector import inspect

pytestmark = reference.needs_tool(shutil.which("readelf"), "readelf (binutils)")

GCC_VARIANTS = {
    "hd-gcc-norelro-execstack": ("-O1", "-no-pie", "-Wl,-z,norelro", "-Wl,-z,execstack"),
    "hd-gcc-full-relro": ("-O1", "-Wl,-z,relro,-z,now"),
    "hd-gcc-cet": ("-O1", "-fcf-protection=full", "-Wl,-z,ibt", "-Wl,-z,shstk"),
    "hd-gcc-fortify": ("-O2", "-D_FORTIFY_SOURCE=2", "-fstack-protector-all"),
    "hd-gcc-rpath": ("-O1", "-Wl,-rpath,lib:$ORIGIN/../lib", "-Wl,--disable-new-dtags"),
}
GO_EXTRA = {
    "hd-go-pie": buildkit.go("hd-go-pie", "netapp", "-buildmode=pie"),
    "hd-go-cgo-external": buildkit.go("hd-go-cgo-external", "cgoapp"),
    "hd-go-extstatic": buildkit.go("hd-go-extstatic", "netapp", "-ldflags=-linkmode external -extldflags -static"),
    "hd-go-pie-bindnow": buildkit.go("hd-go-pie-bindnow", "netapp", "-buildmode=pie", "-ldflags=-bindnow"),
}


def elf_builds() -> list[str]:
    out = []
    for name, s in buildkit.SPECS.items():
        if s.tool == "go" and s.goos == "linux" or s.tool == "gcc" or name.startswith(("zig-musl", "zig-glibc")):
            out.append(str(buildkit.build(s)))
    for name, args in GCC_VARIANTS.items():
        out.append(str(buildkit.build(buildkit.Spec(name, "gcc", "cprog", args))))
    out += [str(buildkit.build(s)) for s in GO_EXTRA.values()]
    return out


def readelf_view(path: str) -> dict[str, str]:
    """The hardening fields as readelf shows them, in linkscope's vocabulary."""
    head, phdrs, dyn, notes = (reference.readelf(path, flag) for flag in ("-h", "-l", "-d", "-n"))
    etype = re.search(r"Type:\s+(\w+)", head).group(1)
    segs = {m.group(1): m.group(2) for m in re.finditer(r"^\s+(GNU_STACK|GNU_RELRO|DYNAMIC|INTERP)\s+(?:\S+\s+){5}([RWE ]+?)\s+(?:0x[0-9a-f]+|\d+)\s*$", phdrs, re.M)}
    has_dyn = "DYNAMIC" in segs
    flags = re.search(r"\(FLAGS\)\s+(.*)", dyn)
    flags1 = re.search(r"\(FLAGS_1\)\s+Flags:\s*(.*)", dyn)
    now = "(BIND_NOW)" in dyn or bool(flags and "BIND_NOW" in flags.group(1)) or bool(flags1 and re.search(r"\bNOW\b", flags1.group(1)))
    out = {}
    if etype == "EXEC":
        out["pie"] = "no"
    elif flags1 and re.search(r"\bPIE\b", flags1.group(1)) or "INTERP" in segs:
        out["pie"] = "yes"
    else:
        out["pie"] = "not-applicable"
    out["bind_now"] = ("yes" if now else "no") if has_dyn else "not-applicable"
    if "GNU_RELRO" in segs:
        out["relro"] = "full" if now or not has_dyn else "partial"
    else:
        out["relro"] = "no" if has_dyn else "not-applicable"
    out["nx"] = "no" if "GNU_STACK" not in segs or "E" in segs["GNU_STACK"] else "yes"
    feature = re.search(r"x86 feature: ([A-Z, ]+)", notes)
    if re.search(r"Machine:\s+(Advanced Micro Devices X86-64|Intel 80386)", head):
        feats = {f.strip() for f in feature.group(1).split(",")} if feature else set()
        out["cet_ibt"] = "yes" if "IBT" in feats else "no"
        out["cet_shstk"] = "yes" if "SHSTK" in feats else "no"
    return out


def assert_agrees(path: str) -> None:
    rec = inspect(path)
    assert rec.error is None, rec.error
    got = dict(rec.hardening)
    want = readelf_view(path)
    assert {k: got.get(k) for k in want} == want, path


@pytest.mark.parametrize("path", elf_builds(), ids=lambda p: os.path.basename(os.path.dirname(p)))
def test_agrees_with_readelf_on_builds(path):
    assert_agrees(path)


def _system_sample(n: int) -> list[str]:
    out = []
    for p in sorted(glob.glob("/usr/bin/*")):
        if os.path.isfile(p) and not os.path.islink(p):
            with open(p, "rb") as f:
                if f.read(4) == b"\x7fELF":
                    out.append(p)
    return out[::max(1, len(out) // n)][:n]


@pytest.mark.parametrize("path", _system_sample(40), ids=os.path.basename)
def test_agrees_with_readelf_on_system_sample(path):
    assert_agrees(path)


@pytest.mark.integration
def test_agrees_with_readelf_on_all_of_usr_bin():
    for path in _system_sample(100000):
        assert_agrees(path)


def test_the_variants_differ_as_built():
    def hard(name):
        return dict(inspect(buildkit.build(buildkit.Spec(name, "gcc", "cprog", GCC_VARIANTS[name]))).hardening)
    a = hard("hd-gcc-norelro-execstack")
    assert (a["pie"], a["relro"], a["nx"]) == ("no", "no", "no")
    assert hard("hd-gcc-full-relro")["relro"] == "full"
    c = hard("hd-gcc-cet")
    assert (c["cet_ibt"], c["cet_shstk"]) == ("yes", "yes")
    f = hard("hd-gcc-fortify")
    assert (f["stack_protector"], f["fortify"]) == ("yes", "yes")
    r = inspect(buildkit.build(buildkit.Spec("hd-gcc-rpath", "gcc", "cprog", GCC_VARIANTS["hd-gcc-rpath"])))
    assert dict(r.hardening)["rpath"] == "risky"
    fr = next(x for x in r.findings if x.id == "hardening.rpath")
    assert any("'lib' is relative" in e for e in fr.evidence)
    nx = next(x for x in inspect(buildkit.build(buildkit.Spec("hd-gcc-norelro-execstack", "gcc", "cprog",
                                                              GCC_VARIANTS["hd-gcc-norelro-execstack"]))).findings
              if x.id == "hardening.nx")
    assert nx.severity == "error" and nx.fix == "-Wl,-z,noexecstack"


def test_following_the_go_relro_fix_gives_full_relro():
    for name in ("go-default", "go-pie"):
        f = next(f for f in inspect(buildkit.get(name)).findings if f.id == "hardening.relro")
        assert f.fix == "CGO_ENABLED=1 GOOS=linux GOARCH=amd64 go build -buildmode=pie -ldflags=-bindnow"
    fixed = inspect(buildkit.build(GO_EXTRA["hd-go-pie-bindnow"]))
    h = dict(fixed.hardening)
    assert (h["pie"], h["relro"], h["bind_now"]) == ("yes", "full", "yes")
    assert not any(f.id in ("hardening.relro", "hardening.pie") for f in fixed.findings)


def test_pure_go_is_not_flagged_for_c_mitigations():
    rec = inspect(buildkit.get("go-hello"))
    h = dict(rec.hardening)
    assert h["stack_protector"] == h["fortify"] == "not-applicable"
    assert h["relro"] == "not-applicable" and h["bind_now"] == "not-applicable"   # static: no GOT to protect
    ids = {f.id: f for f in rec.findings}
    assert "hardening.fortify" not in ids and "hardening.relro" not in ids
    assert ids["hardening.stack-protector"].severity == "info"
    assert "pure Go" in ids["hardening.stack-protector"].title


def test_go_with_cgo_reads_the_c_part():
    """Go's own C (runtime/cgo, net) is built with -fno-stack-protector: readelf shows what the
    imports hold, and no fix is offered for what no flag of the user's can change."""
    path = buildkit.get("go-default")
    rec = inspect(path)
    h = dict(rec.hardening)
    syms = reference.readelf(path, "--dyn-syms")
    assert h["stack_protector"] == ("yes" if "__stack_chk_fail" in syms else "no")
    assert h["fortify"] == ("yes" if re.search(r"__\w+_chk@", syms.replace("__stack_chk_fail@", "")) else "no")
    sp = next(f for f in rec.findings if f.id == "hardening.stack-protector")
    assert sp.fix is None and "-fno-stack-protector on purpose" in sp.title


def test_pe_and_macho_hardening():
    pe = dict(inspect(buildkit.get("go-windows-amd64")).hardening)
    assert pe["pie"] == "yes" and pe["nx"] == "yes" and pe["high_entropy_va"] == "yes"
    mo = dict(inspect(buildkit.get("go-darwin-arm64")).hardening)
    assert mo == {"pie": "yes", "nx": "yes", "stack_protector": "not-applicable", "code_signature": "yes"}


def test_adjacent_fortified_names_are_all_found():
    """Two __*_chk names side by side in a string table share the NUL between them: the pattern
    must not consume it, or every second name is missed."""
    from linkscope.analysis import hardening, linker

    table = b"\0__printf_chk\0__memcpy_chk\0puts\0__read_chk\0"
    assert _names_in(table, *hardening._CHK) == ["__memcpy_chk", "__printf_chk", "__read_chk"]
    assert linker._ZIG_SOURCE.findall(b"\0a.zig\0std/b.zig\0") == [b"a.zig", b"std/b.zig"]


def _names_in(table: bytes, prefix: bytes, suffix: bytes, chars: bytes, start: int = 0, end: int | None = None) -> list[str]:
    """Evidence._region_names over ``table`` (the region ``start``..``end`` of it)."""
    from linkscope.analysis.evidence import Evidence
    from linkscope.byteview import ByteView

    ev = Evidence.__new__(Evidence)
    ev.view = ByteView(table)
    return ev._region_names((start, (len(table) if end is None else end) - start), prefix, suffix, chars)


def test_fortified_names_are_what_the_regular_expression_finds():
    """The scan for __*_chk names (no regular expression, whose import costs more than a file) finds
    exactly what ``\\0(__[a-z0-9_]+_chk)(?=\\0)`` finds, in any region of any table: names at either
    edge, names too short, other characters, tails shared with a longer name, no NUL at all."""
    import random
    import re

    from linkscope.analysis import hardening

    rx = re.compile(rb"\0(__[a-z0-9_]+_chk)(?=\0)")
    pieces = [b"\0", b"__", b"_chk", b"_", b"a", b"z9", b"X", b".", b"printf", b"__read_chk", b"\0__x_chk\0", b"chk"]
    rng = random.Random(7)
    tables = [b"", b"\0", b"___chk\0", b"\0___chk\0", b"\0____chk\0", b"\0__a_chk", b"__a_chk\0", b"\0__a_chk\0",
              b"\0__a_chk_chk\0__b_chk\0", b"\0x__a_chk\0", b"\0__A_chk\0", b"\0__a.b_chk\0"]
    tables += [b"".join(rng.choice(pieces) for _ in range(rng.randrange(1, 30))) for _ in range(3000)]
    for table in tables:
        for start, end in ((0, len(table)), (1, len(table)), (0, max(0, len(table) - 1)), (2, max(2, len(table) - 3))):
            if start > end:
                continue
            want = sorted({m.group(1).decode() for m in rx.finditer(table, start, end)})
            assert _names_in(table, *hardening._CHK, start, end) == want, (table, start, end)


def _evidence_over(table: bytes, start: int, end: int, offsets=frozenset()):
    """An Evidence whose dynamic and static string tables are both ``table[start:end]``, its symbols
    naming ``offsets`` of it."""
    from linkscope.analysis.evidence import Evidence
    from linkscope.byteview import ByteView

    ev = Evidence.__new__(Evidence)
    ev.view = ByteView(table)
    ev.__dict__.update(_dynstr_region=(start, end - start), _strtab_region=(start, end - start),
                       _symtab_name_offsets=frozenset(offsets))
    return ev


def test_one_search_answers_what_a_search_per_name_does():
    """The canary and FORTIFY names are answered from one search per table for "_chk"
    (``within``): each answer is the one its own search gives (a whole string, a symbol pointing
    at a shared tail, the names of the pattern), in any region of any table, and past
    MAX_STRINGS strings holding the part the names are searched for one by one."""
    import random

    from linkscope.analysis import evidence, hardening

    names = ("__stack_chk_fail", "__stack_chk_guard", "__printf_chk")
    pieces = [b"\0", b"__stack_chk_fail", b"__stack_chk_guard", b"x", b"_chk", b"__printf", b"__", b"a",
              b"\0__stack_chk_fail\0", b"_chk_fail", b"X", b"chk"]
    rng = random.Random(5)
    tables = [b"", b"\0", b"__stack_chk_fail\0", b"\0__stack_chk_fail", b"\0__stack_chk_fail\0",
              b"\0x__stack_chk_fail\0", b"\0__printf_chk\0__stack_chk_guard\0"]
    tables += [b"".join(rng.choice(pieces) for _ in range(rng.randrange(1, 25))) for _ in range(2000)]
    for table in tables:
        for start, end in ((0, len(table)), (1, len(table)), (0, max(0, len(table) - 1)), (2, max(2, len(table) - 3))):
            if start > end:
                continue
            region = table[start:end]
            # symbols at some of the offsets where a canary name's tail starts
            tails = [i for i in range(len(region)) if region.startswith((b"__stack_chk_fail\0", b"__stack_chk_guard\0"), i)]
            offsets = set(rng.sample(tails, rng.randrange(len(tails) + 1)))
            one, own = _evidence_over(table, start, end, offsets), _evidence_over(table, start, end, offsets)
            for n in names:
                assert one.dynstr_has(n, within=b"_chk") == own.dynstr_has(n), (table, start, end, n)
                assert one.symtab_has(n, within=b"_chk") == own.symtab_has(n), (table, start, end, n, offsets)
            want = own._region_names(own._strtab_region, *hardening._CHK)
            assert one.dynstr_names(*hardening._CHK) == one.symtab_names(*hardening._CHK) == want, (table, start, end)
            assert set(one._scans) == {("dynstr", b"_chk"), ("symtab", b"_chk")}   # one search per table
    # A string holding the part right after the one before; a part the name does not hold.
    table = b"\0__stack_chk_guard\0__stack_chk_fail\0puts\0"
    ev = _evidence_over(table, 0, len(table))
    assert ev.dynstr_has("__stack_chk_fail", within=b"__stack") and ev.dynstr_has("puts", within=b"_chk")
    # MAX_STRINGS strings holding the part are kept; one more, and each name is searched for.
    for extra in (0, 1):
        crowded = b"\0" + b"__x_chk\0" * (evidence.MAX_STRINGS - 1 + extra) + b"y__stack_chk_fail\0"
        ev = _evidence_over(crowded, 0, len(crowded), {len(crowded) - len(b"__stack_chk_fail\0")})
        assert (ev._holding("symtab", b"_chk", b"_chk") is None) == bool(extra)
        assert ev.symtab_has("__stack_chk_fail", within=b"_chk") and not ev.dynstr_has("__stack_chk_fail", within=b"_chk")
        assert ev.dynstr_names(*hardening._CHK) == ["__x_chk"]


def test_canary_loads_are_what_the_regular_expression_finds():
    """The canary-load scan (no regular expression) counts what
    ``\\x64[\\x48\\x4c]\\x8b[modrm]\\x25\\x28\\0\\0\\0`` finds, in random code and in this machine's
    programs, whatever the window."""
    import random
    import re

    from linkscope.analysis import hardening

    rx = re.compile(rb"\x64[\x48\x4c]\x8b[\x04\x0c\x14\x1c\x24\x2c\x34\x3c]\x25\x28\x00\x00\x00")
    load = b"\x64\x48\x8b\x04\x25\x28\x00\x00\x00"
    pieces = [load, load[:4], load[4:], b"\x64", b"\x4c", b"\x8b", b"\x3c", b"\x3d", b"\x25\x28", b"\x00", b"\x90"]
    rng = random.Random(11)
    blobs = [b"", load, load * 3, b"\x64\x4c\x8b\x3c" + load[4:]]
    blobs += [b"".join(rng.choice(pieces) for _ in range(rng.randrange(1, 40))) for _ in range(3000)]
    for path in ("/usr/bin/ls", "/usr/bin/bash"):
        with open(path, "rb") as f:
            blobs.append(f.read())
    for blob in blobs:
        for start, end in ((0, len(blob)), (1, len(blob)), (3, max(3, len(blob) - 2))):
            want = [m.start() for m in rx.finditer(blob, start, end)]
            assert list(hardening._CanaryLoads.finditer(blob, start, end)) == want, (blob[:80], start, end)
