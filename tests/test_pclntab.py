"""Go's function table (pclntab): found by section or by searching for its header, parsed in every
layout, compared with `go tool nm`, and refusing damaged input with linkscope's own errors only."""
from __future__ import annotations

import random
import struct

import pytest

import reference
from mutate import mutate

import buildkit
from linkscope.go import pclntab
from linkscope.byteview import ByteView
from linkscope.errors import LinkscopeError, Malformed
from linkscope.inspector import open_image
from linkscope.model import LoadSegment

GO_EXE = sorted(n for n, s in buildkit.SPECS.items() if s.tool == "go" and s.goarch != "wasm" and s.out != "libhello.so")


@pytest.mark.parametrize("name", GO_EXE)
def test_found_in_every_go_build(name):
    spec = buildkit.SPECS[name]
    with open_image(str(buildkit.build(spec))) as (img, _):
        ft = pclntab.find(img)
        assert ft is not None and ft.version == "1.20"
        assert ft.found_by == ("search" if spec.goos == "windows" else
                               "section __gopclntab" if spec.goos == "darwin" else "section .gopclntab")
        assert ft.nfunc > 1000 and len(ft.names) == ft.nfunc
        assert ft.has("main.main") and ft.has("runtime.main")
        assert ft.ptrsize == (4 if spec.goarch in ("386", "arm", "mips") else 8)


def test_names_agree_with_go_tool_nm():
    path = str(buildkit.get("go-default"))
    nm = reference.go_tool_nm(path)
    text = {ln.split()[-1].removesuffix(".abi0") for ln in nm if ln.split()[-2:-1] in (["T"], ["t"])}
    with open_image(path) as (img, _):
        names = set(pclntab.find(img).names)
    # Every Go function of the symbol table is in the function table (nm lists some C helpers and
    # section markers the table does not, and the table some functions nm prints under other names).
    go_text = {n for n in text if "." in n and not n.endswith(")") and not n.startswith(("_cgo_", "x_cgo_"))}
    missing = go_text - names
    assert len(missing) <= 0.02 * len(go_text), sorted(missing)[:20]


def test_found_by_search_when_sections_are_gone(tmp_path):
    path = buildkit.get("go-sw")
    data = bytearray(path.read_bytes())
    struct.pack_into("<Q", data, 0x28, 0)          # e_shoff: the section headers stripped (sstrip)
    struct.pack_into("<HHH", data, 0x3A, 0, 0, 0)  # e_shentsize, e_shnum, e_shstrndx
    stripped = tmp_path / "sstripped"
    stripped.write_bytes(data)
    with open_image(str(path)) as (img, _):
        by_section = pclntab.find(img).names
    with open_image(str(stripped)) as (img, _):
        assert img.elf_sections == []
        by_search = pclntab.find(img)
        assert by_search.found_by == "search" and by_search.names == by_section


def test_extent_through_moduledata_matches_the_section():
    with open_image(str(buildkit.get("go-hello"))) as (img, _):
        ft = pclntab.find(img)
        sec = img.section(".gopclntab")
        ext = pclntab.extent(img, ft)
    assert ext is not None and sec.size <= ext <= sec.size + 16


def _table(version: str, names: list[str], ptrsize: int = 8, little: bool = True) -> bytes:
    """A minimal, well-formed pclntab of the given layout with one record per name."""
    e = "<" if little else ">"
    magic = {v: k for k, v in pclntab.MAGICS.items()}[version]
    word = "Q" if ptrsize == 8 else "I"
    blob = b"".join(n.encode() + b"\0" for n in names)
    offs = []
    pos = 0
    for n in names:
        offs.append(pos)
        pos += len(n) + 1
    n = len(names)
    if version == "1.2":
        hdr = struct.pack(e + "IBBBB", magic, 0, 0, 1, ptrsize) + struct.pack(e + word, n)
        functab_off = len(hdr)
        recs_off = functab_off + (2 * n + 1) * ptrsize
        names_off = recs_off + n * (ptrsize + 4)
        ft = b"".join(struct.pack(e + word + word, 0x1000 + 16 * i, recs_off + i * (ptrsize + 4)) for i in range(n))
        ft += struct.pack(e + word, 0x1000 + 16 * n)
        recs = b"".join(struct.pack(e + word + "i", 0x1000 + 16 * i, names_off + offs[i]) for i in range(n))
        return hdr + ft + recs + blob
    nwords = 7 if version == "1.16" else 8
    field = ptrsize if version == "1.16" else 4
    fw = word if version == "1.16" else "I"
    head = 8 + nwords * ptrsize
    names_off = head
    cu = names_off + len(blob)
    pcln = cu
    rec_size = (ptrsize if version == "1.16" else 4) + 40
    functab_size = (2 * n + 1) * field
    words = [n, 1] + ([] if version == "1.16" else [0]) + [names_off, cu, cu, cu, pcln]
    hdr = struct.pack(e + "IBBBB", magic, 0, 0, 1, ptrsize) + b"".join(struct.pack(e + word, w) for w in words)
    ft = b"".join(struct.pack(e + fw + fw, 16 * i, functab_size + i * rec_size) for i in range(n))
    ft += struct.pack(e + fw, 16 * n)
    entry = word if version == "1.16" else "I"
    recs = b"".join(struct.pack(e + entry + "i", 16 * i, offs[i]) + bytes(rec_size - struct.calcsize(e + entry + "i"))
                    for i in range(n))
    return hdr + blob + ft + recs


@pytest.mark.parametrize("version", ["1.2", "1.16", "1.18", "1.20"])
@pytest.mark.parametrize("ptrsize,little", [(8, True), (4, True), (8, False)])
def test_every_layout(version, ptrsize, little):
    names = ["runtime.main", "main.main", "net._C2func_getaddrinfo"]
    data = _table(version, names, ptrsize, little)
    ft = pclntab.parse(ByteView(data))
    assert (ft.version, ft.ptrsize, ft.names) == (version, ptrsize, tuple(names))
    assert ft.has("main.main") and not ft.has("main")
    assert ft.with_prefix("net.") == ["net._C2func_getaddrinfo"]
    assert ft.containing("._C2func_") == ["net._C2func_getaddrinfo"]


@pytest.mark.parametrize("cut", [0, 4, 15, 40, 80])
def test_truncated_tables_are_malformed(cut):
    data = _table("1.20", ["a.b", "c.d"])
    with pytest.raises(Malformed):
        ft = pclntab.parse(ByteView(data[:cut]))
        ft.names


def test_unsorted_table_is_refused():
    data = bytearray(_table("1.20", ["a.b", "c.d", "e.f"]))
    # swap the first two pcs of the function table
    pcln = struct.unpack_from("<Q", data, 8 + 7 * 8)[0]
    second = struct.unpack_from("<I", data, pcln + 8)[0]
    struct.pack_into("<I", data, pcln, second + 100)
    with pytest.raises(Malformed):
        pclntab.parse(ByteView(bytes(data)))


def test_mutations_raise_only_linkscope_errors():
    rnd = random.Random(4)
    base = _table("1.20", ["runtime.main", "main.main", "x.y"] * 5)
    outcomes = set()
    for _ in range(3000):
        data = mutate(base, rnd, edits=(1, 6), truncate=0.2)
        try:
            ft = pclntab.parse(ByteView(data))
            names = ft.names
            blob = ft.blob
        except LinkscopeError as e:
            reference.check_error(e, len(data))
            outcomes.add(e.kind)
            continue
        outcomes.add("table")
        # one name per function, no more functions than the table's bytes can describe, every name
        # read from the input's own bytes, and the names blob (NUL in front) no bigger than the input
        assert isinstance(names, tuple) and all(isinstance(n, str) for n in names)
        assert len(names) <= len(data) // 8 and len(blob) <= len(data) + 1, (len(names), len(blob))
        assert blob[:1] == b"\0", blob[:8]
        assert all(n.encode("utf-8", "surrogateescape") + b"\0" in data for n in set(names[:50])), names[:50]
    assert {"table", "malformed"} <= outcomes or {"table", "truncated"} <= outcomes, outcomes


def test_search_skips_false_headers():
    real = _table("1.20", ["runtime.main", "main.main"])
    fake = b"\xf1\xff\xff\xff\x00\x00\x01\x08" + b"\xff" * 64   # the header bytes, then nonsense
    data = bytes(512) + fake + real

    class Img:                                         # the shared verbs only: no section names it
        view = ByteView(data)

        def file_section(self, name):
            return None

        def load_segments(self):                       # one read-only data segment after the headers
            return (LoadSegment(".rdata", 0x1000, 512, len(data) - 512, len(data) - 512, True, False, False),)

    ft = pclntab.find(Img())
    assert ft is not None and ft.offset == 512 + len(fake) and ft.names == ("runtime.main", "main.main")


def test_names_of_an_old_table_past_the_walk_budget_are_refused_not_walked(monkeypatch):
    """A table before Go 1.16 names its functions record by record: past MAX_NAMES_WALKED records
    the names are refused (the evidence they give is then unknown), not read for seconds; a 1.16+
    table reads its name region whole, whatever its size."""
    monkeypatch.setattr(pclntab, "MAX_NAMES_WALKED", 3)
    old = pclntab.parse(ByteView(_table("1.2", ["a.f", "b.g", "c.h", "main.main"])))
    with pytest.raises(Malformed, match="pclntab of 4 functions before Go 1.16: more than the 3"):
        old.has("main.main")
    assert pclntab.parse(ByteView(_table("1.2", ["a.f", "b.g", "main.main"]))).has("main.main")
    assert pclntab.parse(ByteView(_table("1.18", ["a.f", "b.g", "c.h", "main.main"]))).has("main.main")
