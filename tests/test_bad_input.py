"""Short, damaged and hostile inputs: a named error kind with the file and offset, never a traceback,
a hang or unbounded memory. Regressions are named after what they fix."""
from __future__ import annotations

import os
import struct
import subprocess
import tracemalloc
import zlib

import pytest

import buildkit
import reference
from linkscope.byteview import ByteView
from linkscope.errors import LinkscopeError
from linkscope.formats import elf
from linkscope.inspector import inspect

from crafted import elf64_header
from mutate import mutants


def write(tmp_path, name, data: bytes):
    p = tmp_path / name
    p.write_bytes(bytes(data))
    return p


# name -> (bytes, expected error kind): files where nothing could be identified get an error record.
def _cases():
    return {
        # An empty file and a script are not errors: see tests/test_sweeps.py.
        "elf-magic-only": (b"\x7fELF", "truncated"),
        "elf-ident-only": (b"\x7fELF\x02\x01\x01" + bytes(9), "truncated"),
        "elf-bad-class": (b"\x7fELF\x07\x01\x01" + bytes(60), "malformed"),
        "elf-bad-data": (b"\x7fELF\x02\x09\x01" + bytes(60), "malformed"),
        "macho-magic-only": (b"\xcf\xfa\xed\xfe", "truncated"),
        "fat-magic-only": (b"\xca\xfe\xba\xbe\x00\x00\x00\x02", "truncated"),
        "pe-mz-only": (b"MZ", "truncated"),
        "wasm-magic-only": (b"\0asm", "truncated"),
    }


# name -> (bytes, the table that cannot be read, its warning's kind, fields that are then unknown).
# Best-effort reading: an intact ELF header identifies the file; one bad table costs its fields only.
def _partial_cases():
    go = buildkit.get("go-hello").read_bytes()
    huge_sections = elf64_header(shoff=64, shnum=0)  # real count in section 0's sh_size
    huge_sections += struct.pack("<IIQQQQIIQQ", 0, 0, 0, 0, 0, 0xFFFFFFFF, 0, 0, 0, 64)
    no_sections = ("stripped", "debug_info")
    no_segments = ("linkage",)
    return {
        "elf-4-billion-sections": (huge_sections, "section headers", "malformed", no_sections),
        "elf-65535-sections-past-end": (elf64_header(shoff=64, shnum=0xFFFE), "section headers", "truncated", no_sections),
        "elf-phdrs-past-end": (elf64_header(phoff=64, phnum=1000), "program headers", "truncated", no_segments),
        "elf-phoff-beyond-file": (elf64_header(phoff=1 << 40, phnum=1), "program headers", "malformed", no_segments),
        "elf-small-phentsize": (elf64_header(phoff=64, phnum=1, phentsize=8), "program headers", "malformed", no_segments),
        # Go writes its section headers first: they survive; the build info (in the lost half) does not.
        "go-truncated-half": (go[: len(go) // 2], "loadable segments", "truncated", ("go",)),
        "go-truncated-headers": (go[:100], "program headers", "truncated", no_segments + no_sections),
    }


CASES = _cases()
PARTIAL = _partial_cases()


@pytest.mark.parametrize("name", sorted(CASES))
def test_damaged_input_error_kind(tmp_path, name):
    data, kind = CASES[name]
    path = write(tmp_path, name, data)
    rec = inspect(path)
    assert rec.error is not None, rec
    assert rec.error.kind == kind, rec.error
    assert rec.path == str(path)
    assert rec.size == len(data)


@pytest.mark.parametrize("name", sorted(PARTIAL))
def test_one_bad_table_loses_its_fields_not_the_record(tmp_path, name):
    data, table, kind, unknown = PARTIAL[name]
    rec = inspect(write(tmp_path, name, data))
    assert rec.error is None, rec.error
    assert (rec.format, rec.arch, rec.bits, rec.endian) == ("elf", "amd64", 64, "little")
    assert rec.partial
    assert (table, kind) in [(w.table, w.kind) for w in rec.warnings], rec.warnings
    for field in unknown:
        assert getattr(rec, field) is None, field


def test_a_4_byte_elf_is_too_short_to_be_elf(tmp_path):
    rec = inspect(write(tmp_path, "x", b"\x7fELF"))
    assert rec.error.kind == "truncated"
    assert rec.error.message.startswith("too short to be ELF")
    assert rec.error.offset is None  # nothing there to point at


def test_truncated_ls_reports_header_interpreter_and_missing_sections(tmp_path):
    """The first 3000 bytes of a dynamic executable: file(1) prints the ELF header, the interpreter
    and "missing section headers"; so does linkscope, as a partial record."""
    src = buildkit.get("gcc-dynamic").read_bytes()
    path = write(tmp_path, "cut", src[:3000])
    said = reference.file_elf(path)
    assert "missing section headers" in said["raw"]
    rec = inspect(path)
    assert rec.error is None and rec.partial
    assert (rec.bits, rec.endian) == (said["bits"], said["endian"])
    assert rec.interpreter == said["interpreter"] == "/lib64/ld-linux-x86-64.so.2"
    assert rec.linkage == said["linkage"] == "dynamic"
    tables = {w.table: w.kind for w in rec.warnings}
    assert tables["section headers"] == "truncated" and tables["loadable segments"] == "truncated"
    assert rec.stripped is None and rec.debug_info is None


@pytest.mark.parametrize("field,value", [("e_shoff", 0xDEADBEEF00), ("e_shnum", 0xFFFF)])
def test_garbage_section_header_fields_keep_what_the_loader_reads(tmp_path, field, value):
    """A binary whose e_shoff or e_shnum is garbage still runs; readelf -d and the loader read its
    dynamic table through the program headers, and so does linkscope (inspect and deps)."""
    src = buildkit.get("gcc-dynamic")
    data = bytearray(src.read_bytes())
    if field == "e_shoff":
        struct.pack_into("<Q", data, 0x28, value)
    else:
        struct.pack_into("<H", data, 0x3C, value)
    path = write(tmp_path, "bad", data)
    path.chmod(0o755)
    assert subprocess.run([str(path)], capture_output=True).returncode == 0   # built by the tests: it still runs
    rec = inspect(path)
    assert rec.error is None and rec.partial
    assert [w.table for w in rec.warnings] == ["section headers"]
    assert list(rec.needed) == reference.readelf_dynamic(src)["needed"]
    assert rec.linkage == "dynamic" and rec.interpreter == "/lib64/ld-linux-x86-64.so.2"
    assert rec.stripped is None
    from linkscope.deps import resolve
    assert [l.name for l in resolve(path).libraries][:1] == ["libc.so.6"]


def test_missing_file(tmp_path):
    rec = inspect(tmp_path / "nope")
    assert (rec.error.kind, rec.error.message) == ("input", "no such file")


def test_directory(tmp_path):
    rec = inspect(tmp_path)   # identified, as file(1) says it; the CLI's -r reads what is below
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


def test_truncation_points_never_escape(tmp_path):
    """Every prefix length of a real Go binary's headers gives a record or a linkscope error: an
    error (truncated) exactly while the 64-byte ELF header is incomplete, from then on an image
    whose facts and warnings are well-formed, partial (warnings) where the cut fell in a table."""
    data = buildkit.get("go-default").read_bytes()
    kinds = set()
    for n in list(range(0, 4096, 7)) + [len(data) - k for k in (1, 100, 10_000)]:
        try:
            img = elf.parse(ByteView(data[:n]))
        except LinkscopeError as e:
            reference.check_error(e, n)
            assert n < 64 and e.kind == "truncated", (n, e)
            kinds.add("error")
            continue
        assert n >= 64, n
        facts = reference.check_image(img, n)
        assert (facts["format"], facts["arch"], facts["bits"]) == ("elf", "amd64", 64)
        kinds.add("partial" if img.warnings else "whole")
    assert kinds == {"error", "partial", "whole"}, kinds
    for n in (10, 63, 64, 300, 4000, len(data) - 100):      # the same through inspect(), as records
        rec = inspect(write(tmp_path, f"cut{n}", data[:n]))
        reference.check_record(rec, n)
        assert (rec.format == "unknown") == (n < 64) and (rec.error is not None) == (n < 64), (n, rec.error)


def test_warning_offset_names_the_place(tmp_path):
    rec = inspect(write(tmp_path, "x", elf64_header(phoff=1 << 40, phnum=1)))
    assert [(w.table, w.offset) for w in rec.warnings] == [("program headers", 1 << 40)]


def test_4_billion_sections_costs_no_memory(tmp_path):
    data = PARTIAL["elf-4-billion-sections"][0]
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
    assert rec.error is None and rec.partial
    assert [(w.table, w.kind) for w in rec.warnings] in ([("Go build info", "malformed")], [("Go build info", "truncated")])


def test_watchdog_catches_a_hang():
    """The fuzz loops' hang detector fires (and disarms after a block that ends)."""
    with reference.watchdog(30, "a block that ends"):
        pass
    with pytest.raises(reference.HangError, match="a loop that never ends"):
        with reference.watchdog(0.2, "a loop that never ends"):
            while True:
                pass


def test_check_fails_closed_on_a_table_it_could_not_read(tmp_path, capsys):
    """A gate on a partial record: a rule whose facts sit in an unreadable table fails, naming the
    table; rules whose facts were read still pass or fail on them."""
    from linkscope import cli

    cut = write(tmp_path, "cut", buildkit.get("gcc-dynamic").read_bytes()[:3000])
    code = cli.main(["check", "--require", "dynamic", "--forbid-needed", "libfoo*", "--max-glibc", "2.99",
                     "--forbid-rpath", str(cut)])
    out = capsys.readouterr().out
    assert code == 1
    lines = [l for l in out.splitlines() if l.startswith(str(cut))]
    rules = sorted(l.split(": ")[1] for l in lines)
    assert rules == ["forbid-needed", "forbid-rpath", "max-glibc"]   # linkage: read from the program headers
    assert all("dynamic table could not be read" in l for l in lines)
    whole = buildkit.get("gcc-dynamic")
    assert cli.main(["check", "--require", "dynamic", "--forbid-needed", "libfoo*", "--max-glibc", "2.99",
                     "--forbid-rpath", str(whole)]) == 0


def _bad_phoff(tmp_path):
    data = bytearray(buildkit.get("gcc-dynamic").read_bytes())
    struct.pack_into("<Q", data, 0x20, 0xDEADBEEF00)      # e_phoff: the loader's view is gone
    return write(tmp_path, "badphoff", data)


def test_hardening_is_unknown_where_its_table_could_not_be_read(tmp_path):
    """A partial record cannot show a property absent: the truncated file's dynamic table (BIND_NOW,
    RELRO's kind, RPATH) and symbol tables (stack protector, FORTIFY) are gone, so those are
    unknown, and no finding claims they are missing; what the program headers show stays."""
    cut = inspect(write(tmp_path, "cut", buildkit.get("gcc-dynamic").read_bytes()[:3000]))
    h = dict(cut.hardening)
    assert {k: h[k] for k in ("bind_now", "relro", "rpath", "stack_protector", "fortify")} == dict.fromkeys(
        ("bind_now", "relro", "rpath", "stack_protector", "fortify"), "unknown")
    assert h["nx"] == reference_nx(buildkit.get("gcc-dynamic")) and h["pie"] == "yes"
    assert not [f for f in cut.findings if f.id in ("hardening.relro", "hardening.bind-now", "hardening.stack-protector",
                                                    "hardening.fortify")]
    gone = inspect(_bad_phoff(tmp_path))
    assert dict(gone.hardening)["nx"] == "unknown"


def reference_nx(path) -> str:
    """readelf's word on the stack: PT_GNU_STACK without E is a non-executable stack."""
    out = reference.run(["readelf", "-lW", str(path)])
    line = next(l for l in out.splitlines() if "GNU_STACK" in l)
    return "no" if line.split()[-2].endswith("E") else "yes"


def test_no_loader_claim_when_the_program_headers_are_gone(tmp_path):
    """preload.immune says no loader runs, which only the program headers (PT_INTERP) can show."""
    rec = inspect(_bad_phoff(tmp_path))
    assert rec.partial and "program headers" in [w.table for w in rec.warnings]
    assert not [f for f in rec.findings if f.id.startswith("preload.")]


def test_unreadable_symbol_versions_leave_the_glibc_floor_unknown(tmp_path):
    rec = inspect(_bad_phoff(tmp_path))
    assert "symbol versions" in [w.table for w in rec.warnings] and rec.glibc_min is None
    port = [f for f in rec.findings if f.id == "portability"]
    assert port and "cannot be told" in port[0].title and "Debian" not in port[0].title


def test_explain_says_the_record_is_partial(tmp_path, capsys):
    from linkscope import cli

    path = _bad_phoff(tmp_path)
    assert cli.main(["explain", str(path)]) == 0
    out = capsys.readouterr().out
    assert "partial: program headers could not be read" in out


def test_cstring_in_a_sub_view_stops_at_the_views_end():
    """Regression: the last string of a sub-view with no NUL inside the view is an error naming where
    it starts, never a read into the bytes after the view (which here hold a NUL a few bytes on)."""
    from linkscope.errors import Malformed

    buf = b"head\0" + b"abc\0def\0ghi" + b"jk\0tail\0"
    view = ByteView(buf)
    sub = view.sub(5, 11)                         # "abc\0def\0ghi": the last string is cut by the view
    assert (sub.cstring(0), sub.cstring(4)) == ("abc", "def")
    for off, limit in ((8, 4096), (9, 4096), (10, 1), (8, 3)):
        with pytest.raises(Malformed) as e:
            sub.cstring(off, limit)
        assert e.value.offset == 5 + off, (off, e.value.offset)
        assert "not terminated" in e.value.message
    for off in (11, 12, -1):                      # at or past the end: outside the table
        with pytest.raises(Malformed) as e:
            sub.cstring(off)
        assert "outside its table" in e.value.message and e.value.offset == 5 + max(off, 0)
    assert view.cstring(13) == "ghijk"            # the whole buffer: the string does end, further on
    assert sub.sub(8, 3).bytes(0, 3) == b"ghi"
    with pytest.raises(Malformed):
        sub.sub(8, 3).cstring(0)


def test_a_batch_of_damaged_files_keeps_its_order_and_its_records(tmp_path, capsys):
    """Mutants of three formats, a missing file and a text file through `inspect --json`: one result
    per input, in input order (the batch may be split across workers), the document valid against the
    schema, and every record either an error record of a known kind or one of a known format."""
    import json

    from linkscope import cli

    paths = []
    for name in ("gcc-dynamic", "go-windows-amd64", "go-darwin-arm64"):
        data = buildkit.get(name).read_bytes()
        for i, d in enumerate(mutants(data, 12, zlib.crc32(name.encode()) + 1, edits=(1, 8), regions=[(0, 8192)],
                                      focus=0.8)):
            paths.append(str(write(tmp_path, f"{name}-{i}", d)))
    paths.insert(5, str(tmp_path / "missing"))
    paths.insert(20, str(write(tmp_path, "notes.txt", b"plain text\n")))
    code = cli.main(["inspect", "--json", *paths])
    doc = reference.validate(json.loads(capsys.readouterr().out))
    assert code == 1                                       # the missing file
    assert [r["path"] for r in doc["results"]] == paths
    for r in doc["results"]:
        if r["error"] is not None:
            assert r["error"]["kind"] in reference.ERROR_KINDS, r["error"]
        if r["format"] == "unknown":
            assert r["error"] is not None, r
        for w in r.get("warnings") or ():
            assert w["kind"] in reference.WARNING_KINDS and w["table"], w
    assert doc["results"][5]["error"]["kind"] == "input" and doc["results"][20]["format"] == "text"
