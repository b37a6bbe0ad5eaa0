"""Constant names (formats.names): known values by name, unknown ones inside a reserved range as that
range's base plus the offset (as readelf prints them), anything else by prefix and hex; and the ELF
reader's section kinds are readelf's types."""
from __future__ import annotations

import pytest

import buildkit
import reference
from linkscope.formats.names import DT, PT, SHT
from linkscope.inspector import open_image


@pytest.mark.parametrize("names,value,text", [
    (SHT, 1, "SHT_PROGBITS"), (SHT, 0x6FFFFFF6, "SHT_GNU_HASH"), (SHT, 0x60000000, "SHT_LOOS"),
    (SHT, 0x60000005, "SHT_LOOS+0x5"), (SHT, 0x7FFFFFFF, "SHT_LOPROC+0xfffffff"), (SHT, 0x80000001, "SHT_LOUSER+0x1"),
    (SHT, 0x30, "SHT_0x30"), (PT, 0x6474E551, "PT_GNU_STACK"), (PT, 0x6474E5FF, "PT_LOOS+0x474e5ff"),
    (PT, 9, "PT_0x9"), (DT, 0x6FFFFFFB, "DT_FLAGS_1"), (DT, 0x6000000E, "DT_LOOS+0x1"), (DT, 0x5FFFFFFF, "DT_0x5fffffff"),
])
def test_names_print_every_value(names, value, text):
    assert names(value) == text


# readelf -S spells a few types its own way; everything else is the elf.h name without "SHT_".
_READELF_SPELLING = {"VERSYM": "GNU_versym", "VERNEED": "GNU_verneed", "VERDEF": "GNU_verdef"}


@pytest.mark.parametrize("name", ["gcc-dynamic", "go-hello", "go-pie", "gcc-static-pie"])
def test_elf_section_kinds_are_readelfs_types(name):
    path = buildkit.get(name)
    out = reference.readelf(path, "-S", "-W")
    want = {}
    for line in out.splitlines():
        parts = line.replace("[ ", "[").split()
        if len(parts) > 2 and parts[0].startswith("[") and parts[0].endswith("]") and parts[0][1:-1].isdigit() \
                and parts[0] != "[0]":
            want[parts[1]] = "SHT_" + _READELF_SPELLING.get(parts[2], parts[2])
    with open_image(str(path)) as (img, _):
        got = {s.name: s.kind for s in img.sections()}
    assert got == want and want
