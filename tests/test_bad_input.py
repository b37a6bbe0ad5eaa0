"""Short, damaged and hostile inputs: a named error kind with the file and offset, never a traceback,
a hang or unbounded memory. Regressions are named after what they fix."""
from __future__ import annotations

import os
import random
import struct
import tracemalloc
import zlib

import pytest

import buildkit
import reference
from linkscope.byteview import ByteView
from linkscope.errors import LinkscopeError
from linkscope.formats import elf
from linkscope.inspector import inspect


def elf64_header(**over) -> bytearray:
    """A minimal little-endian ELF64 executable header; fields by name can be overridden."""
    f = dict(type=2, machine=62, version=1, entry=0, phoff=0, shoff=0, flags=0, ehsize=64, phentsize=56,
             phnum=0, shentsize=64, shnum=0, shstrndx=0)
    f.update(over)
    ident = b"\x7fELF" + bytes([2, 1, 1, 0]) + bytes(8)
    return bytearray(ident + struct.pack("<HHIQQQIHHHHHH", f["type"], f["machine"], f["version"], f["entry"],
                                         f["phoff"], f["shoff"], f["flags"], f["ehsize"], f["phentsize"],
                                         f["phnum"], f["shentsize"], f["shnum"], f["shstrndx"]))


def write(tmp_path, name, data: bytes):
    p = tmp_path / name
    p.write_bytes(bytes(data))
    return p


# name -> (bytes, expected error kind)
def _cases():
    go = buildkit.get("go-hello").read_bytes()
    huge_sections = elf64_header(shoff=64, shnum=0)  # real count in section 0's sh_size
    huge_sections += struct.pack("<IIQQQQIIQQ", 0, 0, 0, 0, 0, 0xFFFFFFFF, 0, 0, 0, 64)
    return {
        # An empty file and a script are no longer errors (issue 8): see tests/test_sweeps.py.
        "elf-magic-only": (b"\x7fELF", "truncated"),
        "elf-ident-only": (b"\x7fELF\x02\x01\x01" + bytes(9), "truncated"),
        "elf-bad-class": (b"\x7fELF\x07\x01\x01" + bytes(60), "malformed"),
        "elf-bad-data": (b"\x7fELF\x02\x09\x01" + bytes(60), "malformed"),
        "elf-4-billion-sections": (huge_sections, "malformed"),
        "elf-65535-sections-past-end": (elf64_header(shoff=64, shnum=0xFFFE), "truncated"),
        "elf-phdrs-past-end": (elf64_header(phoff=64, phnum=1000), "truncated"),
        "elf-phoff-beyond-file": (elf64_header(phoff=1 << 40, phnum=1), "malformed"),
        "elf-small-phentsize": (elf64_header(phoff=64, phnum=1, phentsize=8), "malformed"),
        "go-truncated-half": (go[: len(go) // 2], "truncated"),
        "go-truncated-headers": (go[:100], "truncated"),
        "macho-magic-only": (b"\xcf\xfa\xed\xfe", "truncated"),
        "fat-magic-only": (b"\xca\xfe\xba\xbe\x00\x00\x00\x02", "truncated"),
        "pe-mz-only": (b"MZ", "truncated"),
        "wasm-magic-only": (b"\0asm", "truncated"),
    }


CASES = _cases()


@pytest.mark.parametrize("name", sorted(CASES))
def test_damaged_input_error_kind(tmp_path, name):
    data, kind = CASES[name]
    path = write(tmp_path, name, data)
    rec = inspect(path)
    assert rec.error is not None, rec
    assert rec.error.kind == kind, rec.error
    assert rec.path == str(path)
    assert rec.size == len(data)


def test_missing_file(tmp_path):
    rec = inspect(tmp_path / "nope")
    assert (rec.error.kind, rec.error.message) == ("input", "no such file")


def test_directory(tmp_path):
    rec = inspect(tmp_path)   # identified, as file(1) says it (issue 8); the CLI's -r reads what is below
    assert (rec.format, rec.description, rec.error) == ("directory", "directory", None)


def test_unreadable_file(tmp_path):
    if os.geteuid() == 0:
        pytest.skip("root reads every file")
    p = write(tmp_path, "x", b"\x7fELF")
    p.chmod(0)
    assert inspect(p).error.kind == "input"


def test_fifo_is_not_read(tmp_path):
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    assert inspect(fifo).error.kind == "input"  # opening it would block forever


def test_truncation_points_never_escape():
    """Every prefix length of a real Go binary's headers gives a record or a linkscope error."""
    data = buildkit.get("go-default").read_bytes()
    for n in list(range(0, 4096, 7)) + [len(data) - k for k in (1, 100, 10_000)]:
        try:
            img = elf.parse(ByteView(data[:n]))
            img.facts()
        except LinkscopeError:
            pass


def test_error_offset_names_the_place(tmp_path):
    rec = inspect(write(tmp_path, "x", elf64_header(phoff=1 << 40, phnum=1)))
    assert rec.error.offset == 1 << 40


def test_4_billion_sections_costs_no_memory(tmp_path):
    data, _ = CASES["elf-4-billion-sections"]
    path = write(tmp_path, "huge", data)
    tracemalloc.start()
    inspect(path)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert peak < 1 << 20


def test_section_stripped_elf_keeps_libraries_and_go_info(tmp_path):
    """Regression: what the loader uses comes through the program headers, not the sections."""
    data = bytearray(buildkit.get("go-default").read_bytes())
    struct.pack_into("<Q", data, 0x28, 0)      # e_shoff
    struct.pack_into("<HHH", data, 0x3A, 0, 0, 0)  # e_shentsize, e_shnum, e_shstrndx
    rec = inspect(write(tmp_path, "sstripped", data))
    full = inspect(buildkit.get("go-default"))
    assert rec.error is None
    assert rec.needed == full.needed == ("libc.so.6",)
    assert rec.interpreter == full.interpreter
    assert rec.go == full.go and rec.go is not None
    assert rec.go_build_id == full.go_build_id
    assert rec.stripped is True and rec.debug_info is False


def test_corrupt_go_buildinfo_keeps_the_other_facts(tmp_path):
    data = bytearray(buildkit.get("go-hello").read_bytes())
    at = data.find(b"\xff Go buildinf:")
    data[at + 32: at + 42] = b"\xff" * 10  # the version's varint length now runs off the end
    rec = inspect(write(tmp_path, "badinfo", data))
    assert rec.format == "elf" and rec.arch == "amd64" and rec.linkage == "static"
    assert rec.go is None
    assert rec.error is not None and rec.error.kind in ("malformed", "truncated")
    assert rec.error.message.startswith("Go build info:")


def _mutants(seed_data: bytes, n: int, seed: int):
    rnd = random.Random(seed)
    head = min(len(seed_data), 8192)
    for _ in range(n):
        d = bytearray(seed_data)
        for _ in range(rnd.randint(1, 8)):
            pos = rnd.randrange(head) if rnd.random() < 0.8 else rnd.randrange(len(d))
            d[pos] = rnd.randrange(256)
        yield bytes(d)


@pytest.mark.parametrize("name", ["gcc-dynamic", "go-sw", "zig-musl-dynamic", "go-linux-s390x"])
def test_elf_mutations_only_raise_linkscope_errors(name):
    """Fuzz every public accessor of the ELF image: only linkscope's own errors, and no hang."""
    data = buildkit.get(name).read_bytes()
    with reference.watchdog(300, f"ELF mutations of {name}"):
        for i, d in enumerate(_mutants(data, 150, seed=zlib.crc32(name.encode()))):
            try:
                img = elf.parse(ByteView(d))
                img.facts()
                img.version_requirements
                img.symbols_bound_to({"GLIBC_2.34", "GLIBC_2.2.5"})
                img.sections()
                from linkscope import gobuild
                gobuild.read_buildinfo(img)
            except LinkscopeError:
                pass



def test_watchdog_catches_a_hang():
    """The fuzz loops' hang detector fires (and disarms after a block that ends)."""
    with reference.watchdog(30, "a block that ends"):
        pass
    with pytest.raises(reference.HangError, match="a loop that never ends"):
        with reference.watchdog(0.2, "a loop that never ends"):
            while True:
                pass
