"""The verbs every format image shares (formats.base.Image: load_segments, offset_to_vaddr,
file_section), which the layers above read instead of format internals: each against an outside
reader of that format (readelf, Go's debug/macho, objdump for PE) on real builds."""
from __future__ import annotations

import re

import pytest

import buildkit
import reference
from linkscope.inspector import open_image

ELF = ("go-hello", "go-pie", "go-extstatic", "gcc-dynamic", "gcc-static-pie", "go-linux-arm64", "go-linux-386")
MACHO = ("go-darwin-arm64", "go-darwin-amd64")
PE = ("go-windows-amd64", "go-windows-386")


@pytest.mark.parametrize("name", ELF)
def test_elf_load_segments_are_readelfs_load_rows(name):
    path = buildkit.get(name)
    want = [(vaddr, off, filesz, memsz, bool(fl & 4), bool(fl & 2), bool(fl & 1))
            for typ, off, vaddr, filesz, memsz, fl in reference.readelf_layout(path)["segments"] if typ == 1]
    with open_image(str(path)) as (img, _):
        got = [(s.vaddr, s.offset, s.filesz, s.memsz, s.readable, s.writable, s.executable) for s in img.load_segments()]
        assert got == want and want
        sec = next(s for s in reference.readelf_layout(path)["sections"] if s[0] == ".text")
        text = img.file_section(".text")
        assert (text.name, text.addr, text.offset, text.size) == (sec[0], sec[2], sec[3], sec[4])
        assert img.file_section("__gopclntab") is None


@pytest.mark.parametrize("name", MACHO)
def test_macho_load_segments_are_debug_machos(name):
    path = buildkit.get(name)
    (dump,) = reference.go_macho_dump(path)[str(path)]
    # what dyld maps: a segment of no memory size (Go's __DWARF) is not loaded
    want = [(s["Name"], s["Addr"], s["Offset"], min(s["Filesz"], s["Memsz"]), s["Memsz"], bool(s["Prot"] & 1),
             bool(s["Prot"] & 2), bool(s["Prot"] & 4)) for s in dump["Segments"] if s["Memsz"]]
    assert any(s["Name"] == "__DWARF" and not s["Memsz"] for s in dump["Segments"])
    with open_image(str(path)) as (img, _):
        got = [(s.name, s.vaddr, s.offset, s.filesz, s.memsz, s.readable, s.writable, s.executable)
               for s in img.load_segments()]
        assert got == want
        sec = next(s for s in dump["Sections"] if s["Name"] == "__gopclntab")
        tab = img.file_section("__gopclntab")
        assert (tab.addr, tab.offset, tab.size) == (sec["Addr"], sec["Offset"], sec["Size"])


@pytest.mark.parametrize("name", PE)
def test_pe_load_segments_are_objdumps_sections(name):
    path = buildkit.get(name)
    out = reference.run(["objdump", "-h", str(path)])
    rows = re.findall(r"^\s*\d+ (\S+)\s+[0-9a-f]+\s+([0-9a-f]+)\s+[0-9a-f]+\s+([0-9a-f]+)\s+2\*\*\d+\n\s+(.*)$",
                      out, re.M)
    want = [(n, int(vma, 16), int(off, 16), "READONLY" not in flags, "CODE" in flags) for n, vma, off, flags in rows]
    with open_image(str(path)) as (img, _):
        got = [(s.name, s.vaddr, s.offset, s.writable, s.executable) for s in img.load_segments()]
        assert got == want and want
        assert img.file_section(".gopclntab") is None


@pytest.mark.parametrize("name", ELF + MACHO + PE)
def test_offset_to_vaddr_is_the_inverse_of_each_formats_own_vaddr_mapping(name):
    """offset_to_vaddr (written once, over load_segments) and vaddr_span (each format's own) agree at
    the first, a middle and the last file byte of every segment."""
    with open_image(str(buildkit.get(name))) as (img, _):
        for s in img.load_segments():
            if not s.filesz or s.offset == 0:       # the headers' segment: vaddr_span may map them elsewhere
                continue
            for off in (s.offset, s.offset + s.filesz // 2, s.offset + s.filesz - 1):
                va = img.offset_to_vaddr(off)
                assert va == s.vaddr + off - s.offset
                assert img.vaddr_span(va, 1) == (off, 1), (name, s.name, hex(off))


@pytest.mark.parametrize("name", ("gcc-dynamic", "gcc-static-pie", "go-hello"))
def test_elf_os_floor_is_readelfs_abi_tag(name):
    path = buildkit.get(name)
    m = re.search(r"OS: (\S+), ABI: (\d+\.\d+\.\d+)", reference.readelf(path, "-n"))
    with open_image(str(path)) as (img, _):
        f = img.os_floor()
        if m is None:                               # Go writes no ABI tag
            assert f is None
        else:
            assert (f.system, f.version) == (m.group(1), m.group(2))
            assert f.evidence == f"GNU ABI-tag note: for GNU/Linux {m.group(2)}"


@pytest.mark.parametrize("name", PE)
def test_pe_os_floor_is_objdumps_subsystem_version(name):
    path = buildkit.get(name)
    out = reference.run(["objdump", "-p", str(path)])
    major = int(re.search(r"MajorSubsystemVersion\s+(\d+)", out).group(1))
    minor = int(re.search(r"MinorSubsystemVersion\s+(\d+)", out).group(1))
    with open_image(str(path)) as (img, _):
        assert img.os_floor().version == f"{major}.{minor}" and img.os_floor().system == "Windows NT"
