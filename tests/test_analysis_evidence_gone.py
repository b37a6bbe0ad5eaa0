""""unknown" when the evidence is gone: stack protector and FORTIFY of files whose symbol
tables are gone, the RELRO of a static-pie (no loader binds anything lazily), and PE debug info that
is only a pointer to a PDB. Ground truth: objdump's disassembly, readelf, /proc/self/maps of the
program itself, objdump's section list.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess

import pytest

import buildkit
import reference
from linkscope import cli
from linkscope.analysis import hardening
from linkscope.analysis.evidence import Evidence
from linkscope.inspector import inspect, open_image

pytestmark = reference.needs_tool(shutil.which("objdump") and shutil.which("readelf"), "binutils (objdump, readelf)")

SP_STATIC_PIE = buildkit.Spec("eg-gcc-ssp-static-pie-s", "gcc", "cprog",
                              ("-O1", "-fstack-protector-strong", "-static-pie", "-s"))
MUSL_NOSSP = buildkit.Spec("eg-zig-musl-nossp-s", "zig", "cprog",
                           ("-target", "x86_64-linux-musl", "-static", "-s", "-O2", "-fno-stack-protector"))
MAPS_STATIC_PIE = buildkit.Spec("eg-gcc-maps-static-pie", "gcc", "cmaps", ("-O1", "-static-pie"), sources=("maps.c",))
NORELRO_STATIC_PIE = buildkit.Spec("eg-gcc-static-pie-norelro", "gcc", "cprog", ("-O1", "-static-pie", "-Wl,-z,norelro"))


def canary_loads(path) -> int:
    """objdump's count of the x86-64 canary load, mov %fs:0x28,%reg."""
    out = reference.run(["objdump", "-d", "--no-show-raw-insn", str(path)])
    return len(re.findall(r"\tmov +%fs:0x28,%r", out))


def no_symbols(path) -> bool:
    """No .symtab, and no dynamic symbol other than the null one (readelf)."""
    syms = reference.run(["readelf", "-sW", "--dyn-syms", str(path)])
    return ".symtab" not in syms and not re.search(r"^\s+[1-9]\d*:", syms, re.M)


@reference.needs_tool(os.path.exists("/sbin/ldconfig"), "/sbin/ldconfig (libc-bin)")
def test_stack_protector_of_stripped_static_pie_ldconfig_is_read_from_the_code():
    path = os.path.realpath("/sbin/ldconfig")
    f = reference.file_elf(path)
    if f.get("linkage") != "static-pie" or not f.get("stripped") or not no_symbols(path):
        pytest.skip("this ldconfig is not a stripped static-pie without symbols")
    rec = inspect(path)
    h = dict(rec.hardening)
    n = canary_loads(path)
    assert n > 100
    assert h["stack_protector"] == "yes" and h["fortify"] == "unknown"
    with open_image(path) as (img, _):
        _, why = hardening.elf(Evidence(img, rec), False, False)
    assert why["stack_protector"] == [f"{n} stack canary loads (mov %fs:0x28) in the code"]
    relro = next(f for f in rec.findings if f.id == "hardening.relro")
    assert "lazily bound GOT stays writable" not in relro.title
    titles = " ".join(f.title for f in rec.findings)
    assert "built without" not in titles


def test_stack_protector_of_a_stripped_gcc_static_pie_counts_its_canaries():
    path = buildkit.build(SP_STATIC_PIE)
    assert reference.file_elf(path)["linkage"] == "static-pie" and no_symbols(path)
    rec = inspect(path)
    h = dict(rec.hardening)
    assert h["stack_protector"] == "yes" and h["fortify"] == "unknown"
    n = canary_loads(path)
    assert n > 0
    # The evidence is the count objdump sees.
    with open_image(str(path)) as (img, _):
        _, why = hardening.elf(Evidence(img, rec), False, False)
    assert why["stack_protector"] == [f"{n} stack canary loads (mov %fs:0x28) in the code"]
    assert not any("built without" in f.title for f in rec.findings)


def test_no_symbols_no_canaries_is_unknown_not_no():
    path = buildkit.build(MUSL_NOSSP)
    assert reference.file_elf(path)["linkage"] == "static" and no_symbols(path) and canary_loads(path) == 0
    rec = inspect(path)
    h = dict(rec.hardening)
    assert (h["stack_protector"], h["fortify"]) == ("unknown", "unknown")
    assert not {"hardening.stack-protector", "hardening.fortify"} & {f.id for f in rec.findings}


def test_unknown_hardening_validates_against_the_schema(capsys):
    path = str(buildkit.build(MUSL_NOSSP))
    assert cli.main(["inspect", "--json", path]) == 0
    doc = json.loads(capsys.readouterr().out)
    reference.validate(doc)
    assert doc["results"][0]["hardening"]["stack_protector"] == "unknown"
    doc["results"][0]["hardening"]["stack_protector"] = "probably"
    with pytest.raises(Exception):
        reference.validate(doc)


def test_symbols_still_decide_when_present():
    """A dynamic gcc build: the imports are readable, so 'no' stays 'no' (Debian's gcc does not
    enable the stack protector by default) and readelf agrees."""
    path = buildkit.get("gcc-dynamic")
    syms = reference.run(["readelf", "-W", "--dyn-syms", str(path)])
    want = "yes" if "__stack_chk_fail" in syms else "no"
    assert dict(inspect(path).hardening)["stack_protector"] == want


# -- RELRO of a static-pie -------------------------------------------------------------------------------
def test_static_pie_relro_does_not_speak_of_lazy_binding():
    path = buildkit.build(MAPS_STATIC_PIE)
    assert reference.file_elf(path)["linkage"] == "static-pie"
    rec = inspect(path)
    f = next(f for f in rec.findings if f.id == "hardening.relro")
    assert "lazily bound GOT stays writable" not in f.title and "no loader" in f.title
    assert f.severity == "info" and f.fix is None
    # What the title claims: after start-up the RELRO region is read-only (glibc's static-pie start-up).
    ph = reference.run(["readelf", "-lW", str(path)])
    relro = re.search(r"GNU_RELRO\s+0x([0-9a-f]+)\s+0x([0-9a-f]+)\s+0x[0-9a-f]+\s+0x[0-9a-f]+\s+0x([0-9a-f]+)", ph)
    off, vaddr, size = (int(x, 16) for x in relro.groups())
    maps = subprocess.run([str(path)], capture_output=True, text=True, check=True).stdout.splitlines()
    mine = [ln.split() for ln in maps if ln.endswith(str(path))]
    base = min(int(m[0].split("-")[0], 16) - int(m[2], 16) for m in mine)
    page = os.sysconf("SC_PAGE_SIZE")
    start, end = (base + vaddr) // page * page, (base + vaddr + size) // page * page
    covering = [m for m in mine if int(m[0].split("-")[0], 16) <= start and int(m[0].split("-")[1], 16) >= end]
    assert covering and covering[0][1] == "r--p", (hex(start), hex(end), mine)


def test_static_pie_without_relro_names_no_loader():
    path = buildkit.build(NORELRO_STATIC_PIE)
    rec = inspect(path)
    assert dict(rec.hardening)["relro"] == "no"
    assert "GNU_RELRO" not in reference.run(["readelf", "-lW", str(path)])
    f = next(f for f in rec.findings if f.id == "hardening.relro")
    assert "loader" not in f.title and "relocates itself at start-up" in f.title


# -- PE: a CodeView record points at a PDB; the debug info is not in the file -----------------------------
def _objdump_sections(path) -> list[str]:
    return re.findall(r"^\s*\d+\s+(\S+)\s", reference.run(["objdump", "-h", str(path)]), re.M)


def test_pe_with_only_a_pdb_pointer_has_no_debug_info_in_the_file():
    path = buildkit.get("zig-windows")
    rec = inspect(path)
    secs = _objdump_sections(path)
    assert secs and not any(s.startswith((".debug", ".zdebug")) for s in secs), secs
    assert "RSDS" in reference.run(["objdump", "-p", str(path)]) or b"RSDS" in open(path, "rb").read()
    assert rec.debug_info is False


def test_pe_with_dwarf_has_debug_info():
    path = buildkit.get("go-windows-amd64")
    secs = _objdump_sections(path)
    assert any(s in (".debug_info", ".zdebug_info") for s in secs), secs
    assert inspect(path).debug_info is True


# -- Mach-O: the same rule ----------------------------------------------------------------------------------
def test_macho_without_a_symbol_table_is_unknown_not_no(tmp_path):
    """The ELF rule holds for Mach-O too: with LC_SYMTAB and LC_DYSYMTAB gone (their command numbers
    replaced by unknown ones), nothing can name ___stack_chk_fail, so the answer is unknown."""
    import struct

    data = bytearray(buildkit.get("zig-macos").read_bytes())
    assert struct.unpack_from("<I", data, 0)[0] == 0xFEEDFACF
    ncmds, off, patched = struct.unpack_from("<I", data, 16)[0], 32, 0
    for _ in range(ncmds):
        cmd, size = struct.unpack_from("<II", data, off)
        if cmd in (0x2, 0xB):                                   # LC_SYMTAB, LC_DYSYMTAB
            struct.pack_into("<I", data, off, 0x7FFFFF00 + cmd)
            patched += 1
        off += size
    assert patched == 2
    p = tmp_path / "prog"
    p.write_bytes(bytes(data))
    rec = inspect(p)
    assert rec.error is None and dict(rec.hardening)["stack_protector"] == "unknown"
    assert not any(f.id == "hardening.stack-protector" for f in rec.findings)


@pytest.mark.parametrize("kind,record,in_file", [
    ("RSDS pointer to a PDB", b"RSDS" + bytes(range(16)) + b"\x03\0\0\0C:\\src\\app.pdb\0", False),
    ("NB10 pointer to a PDB", b"NB10" + bytes(4) + b"\x01\0\0\0\x02\0\0\0app.pdb\0", False),
    ("NB11 CodeView in the file", b"NB11" + bytes(28), True),
    ("NB09 CodeView in the file", b"NB09" + bytes(28), True),
])
def test_pe_codeview_kinds(kind, record, in_file):
    """Synthetic PE files (crafted.make_pe): which debug-directory records hold the debug info."""
    import struct

    from crafted import Blob, make_pe, off_of
    from linkscope.byteview import ByteView
    from linkscope.formats import pe

    b = Blob()
    rva = b.add(record)
    dd = b.add(struct.pack("<IIHHIIII", 0, 0, 0, 0, pe.IMAGE_DEBUG_TYPE_CODEVIEW, len(record), rva, off_of(rva)))
    assert pe.parse(ByteView(make_pe(b, dirs={6: (dd, 28)}))).debug_info is in_file, kind


@pytest.mark.parametrize("typ,in_file", [(1, True), (17, True), (16, False)])   # COFF, embedded PDB, repro
def test_pe_embedded_debug_data(typ, in_file):
    import struct

    from crafted import Blob, make_pe, off_of
    from linkscope.byteview import ByteView
    from linkscope.formats import pe

    b = Blob()
    rva = b.add(b"MPDB" + bytes(60))
    dd = b.add(struct.pack("<IIHHIIII", 0, 0, 0, 0, typ, 64, rva, off_of(rva)))
    assert pe.parse(ByteView(make_pe(b, dirs={6: (dd, 28)}))).debug_info is in_file
