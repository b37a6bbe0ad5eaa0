"""Rules of linkscope.analysis.sizes that mutation testing (scripts/mutation.py) showed no test pinned
down: how paint gives each byte one category (clipping to the file, ties to the earlier region, a
region's end is not in it, the gap's name, the overlapping and the usual path agreeing), the order
of a breakdown, the breakdown of a file without regions, what strip_saving hands the format's
layout rules, and how much Go's module-info text grows when -s -w joins the recorded -ldflags.

Every expected value is written in the test from the rule's definition (the docstring of paint,
SIZE_CATEGORIES' order) or measured on real builds with `go version -m`, never computed by the code
under test: Go's runtime/debug.(*BuildInfo).String writes ``build\t-ldflags=VALUE\n`` and quotes
VALUE (strconv.Quote) when it holds a space, tab, CR, LF, double quote or backquote.
"""
from __future__ import annotations

import subprocess

import pytest

import buildkit
import reference
from linkscope.analysis import sizes
from linkscope.formats.base import SIZE_CATEGORIES, Relink
from linkscope.inspector import inspect
from linkscope.model import GoInfo, Module


# -- paint -------------------------------------------------------------------------------------------
@pytest.mark.parametrize("size,regions,want", [
    # the usual file: regions side by side, one gap before, between and after
    (20, [(2, 5, 2, "code"), (5, 9, 2, "data"), (12, 15, 2, "code")], {"padding": 10, "code": 6, "data": 4}),
    # every byte covered: no gap entry at all (not a zero one)
    (9, [(0, 4, 0, "headers"), (4, 9, 2, "code")], {"headers": 4, "code": 5}),
    # clipped to the file: a start before 0 counts from 0, an end past the size stops at the size
    (10, [(-3, 2, 0, "headers"), (8, 30, 2, "dwarf")], {"headers": 2, "padding": 6, "dwarf": 2}),
    # a region starting at 0 or ending at the size exactly is kept whole
    (10, [(0, 10, 2, "code")], {"code": 10}),
    # an empty or reversed region, or one wholly outside the file, paints nothing
    (10, [(3, 3, 0, "headers"), (6, 4, 0, "symtab"), (10, 12, 0, "dwarf"), (-4, 0, 0, "data")], {"padding": 10}),
    # one-byte regions at both ends
    (10, [(0, 1, 2, "headers"), (9, 10, 2, "other")], {"headers": 1, "padding": 8, "other": 1}),
    # a region starting at byte 1 keeps that byte
    (10, [(1, 4, 2, "code")], {"padding": 7, "code": 3}),
])
def test_paint_without_overlap(size, regions, want):
    assert sizes.paint(size, regions) == want


@pytest.mark.parametrize("size,regions,want", [
    # lower priority number wins where regions overlap, whatever their order in the list
    (30, [(0, 20, 2, "code"), (5, 10, 1, "pclntab")], {"code": 15, "pclntab": 5, "padding": 10}),
    (30, [(5, 10, 1, "pclntab"), (0, 20, 2, "code")], {"code": 15, "pclntab": 5, "padding": 10}),
    # equal priorities: the earlier region in the list wins
    (10, [(0, 6, 2, "code"), (4, 10, 2, "data")], {"code": 6, "data": 4}),
    (10, [(4, 10, 2, "data"), (0, 6, 2, "code")], {"code": 4, "data": 6}),
    (10, [(2, 8, 2, "data"), (2, 8, 2, "code")], {"padding": 4, "data": 6}),
    # a region's end is not in it: where the winner ends, the next one takes over at that byte
    (12, [(0, 4, 0, "headers"), (0, 12, 3, "code")], {"headers": 4, "code": 8}),
    (12, [(0, 12, 3, "code"), (3, 6, 0, "headers"), (6, 9, 1, "pclntab")], {"code": 6, "headers": 3, "pclntab": 3}),
    # overlapping regions with a gap between them and after them
    (40, [(0, 10, 0, "headers"), (5, 15, 2, "code"), (20, 25, 2, "data"), (22, 30, 1, "rodata")],
     {"headers": 10, "code": 5, "data": 2, "rodata": 8, "padding": 15}),
    # a region nested in a lower-priority one, which resumes after it
    (20, [(0, 20, 3, "data"), (5, 8, 0, "headers")], {"data": 17, "headers": 3}),
    # overlapping regions after a gap at the start of the file: the gap is counted from byte 0
    (10, [(3, 6, 2, "code"), (4, 8, 1, "data")], {"padding": 5, "code": 1, "data": 4}),
    (10, [(1, 6, 2, "code"), (4, 8, 1, "data")], {"padding": 3, "code": 3, "data": 4}),
    # overlap clipped to the file on both sides
    (10, [(-5, 4, 2, "code"), (2, 50, 1, "dwarf")], {"code": 2, "dwarf": 8}),
])
def test_paint_with_overlap(size, regions, want):
    assert sizes.paint(size, regions) == want


def test_paint_names_the_gap():
    assert sizes.paint(10, [(2, 4, 2, "code")], "gap") == {"gap": 8, "code": 2}
    assert sizes.paint(10, [(0, 6, 2, "code"), (4, 8, 1, "data")], "gap") == {"code": 4, "data": 4, "gap": 2}
    assert sizes.paint(10, [(0, 6, 2, "code"), (4, 8, 1, "data")]) == {"code": 4, "data": 4, "padding": 2}
    assert sizes.paint(5, []) == {"padding": 5}
    # a region of the gap's own category adds to the gap's bytes
    assert sizes.paint(10, [(0, 2, 2, "padding"), (5, 6, 2, "code")]) == {"padding": 9, "code": 1}
    assert sizes.paint(10, [(0, 4, 2, "padding"), (2, 6, 1, "code")]) == {"padding": 6, "code": 4}
    assert sizes.paint(0, [(0, 4, 0, "headers")]) == {}


def test_paint_of_overlap_that_sorts_after_a_touching_pair():
    # regions touching end to start (the usual path) and then an overlap (the general path): the
    # general path starts over, so the touching pair is not counted twice
    got = sizes.paint(20, [(0, 5, 2, "code"), (5, 10, 2, "data"), (8, 12, 1, "rodata")])
    assert got == {"code": 5, "data": 3, "rodata": 4, "padding": 8}


# -- breakdown and its order --------------------------------------------------------------------------
class _View:
    def __init__(self, size):
        self.size = size


class _Image:
    """The two things breakdown reads: view.size and size_regions(functab); records the functab."""

    GO_RELINKERS = frozenset({"gcc"})    # as ELF's GNU ld

    def __init__(self, size, regions):
        self.view, self.regions, self.asked = _View(size), regions, []

    def size_regions(self, functab):
        self.asked.append(functab)
        return self.regions

    def strip_saving(self, relink):
        self.asked.append(relink)
        return 1234


def test_breakdown_order_is_size_categories_order():
    assert SIZE_CATEGORIES == ("code", "rodata", "pclntab", "go-metadata", "data", "dynamic", "relocations",
                               "dwarf", "symtab", "headers", "signature", "padding", "other")
    regions = [(0, 3, 0, "headers"), (3, 4, 2, "other"), (4, 9, 2, "dwarf"), (12, 14, 2, "code"),
               (14, 15, 2, "signature"), (15, 17, 2, "pclntab")]
    img = _Image(20, regions)
    assert sizes.breakdown(img, functab="FT") == (("code", 2), ("pclntab", 2), ("dwarf", 5), ("headers", 3),
                                                  ("signature", 1), ("padding", 6), ("other", 1))
    assert img.asked == ["FT"]
    img = _Image(20, regions)
    sizes.breakdown(img)
    assert img.asked == [None]


def test_breakdown_of_a_file_covered_whole_has_no_padding():
    assert sizes.breakdown(_Image(8, [(0, 8, 2, "data")])) == (("data", 8),)


def test_breakdown_without_regions_is_one_other_part():
    assert sizes.breakdown(_Image(77, None)) == (("other", 77),)
    assert sizes.breakdown(_Image(0, None)) == ()
    assert sizes.breakdown(_Image(0, [])) == ()


def test_ordered_puts_unknown_categories_last_by_name_and_drops_empty_ones():
    got = sizes._ordered({"zeta": 1, "other": 2, "alpha": 3, "code": 4, "dwarf": 0, "headers": 5, "beta": 0})
    assert got == (("code", 4), ("headers", 5), ("other", 2), ("alpha", 3), ("zeta", 1))
    assert sizes._ordered({}) == ()


# -- go_buildinfo_growth, from Go's rule ----------------------------------------------------------
def _go(*settings):
    return GoInfo("go1.22.3", "example.com/app", Module("example.com/app", "(devel)"), (), tuple(settings))


@pytest.mark.parametrize("settings,want", [
    # no -ldflags setting: a whole line build\t-ldflags="-s -w"\n is added
    ((("-compiler", "gc"),), len('build\t-ldflags="-s -w"\n')),
    ((), 23),
    # already quoted (a space, a double quote or a backquote inside): only -s -w and its space join it
    ((("-ldflags", "-X main.v=1"),), 6),
    ((("-ldflags", '-X=main.v="1"'),), 6),
    ((("-ldflags", "-X=main.v=`1`"),), 6),
    # a tab, CR or LF also makes Go quote the value (runtime/debug quoteValue)
    ((("-ldflags", "-X\tmain.v=1"),), 6),
    ((("-ldflags", "-X\rmain.v=1"),), 6),
    ((("-ldflags", "-X\nmain.v=1"),), 6),
    # not quoted before; "-s -w VALUE" has a space, so it gains its quotes too
    ((("-ldflags", "-X=main.v=1"),), 8),
    ((("-ldflags", "-linkmode=internal"),), 8),
    ((("-ldflags", "-s"),), 8),
    # both flags there already (as separate words): the text does not change
    ((("-ldflags", "-s -w"),), 0),
    ((("-ldflags", "-w -X main.v=1 -s"),), 0),
    ((("-ldflags", "-sw"),), 6 + 2),
    # -trimpath: Go records no -ldflags at all (golang/go#52372), so -s -w adds nothing to the text
    ((("-compiler", "gc"), ("-trimpath", "true")), 0),
    ((("-trimpath", "false"),), 23),
])
def test_buildinfo_growth_from_gos_quoting_rule(settings, want):
    assert sizes.go_buildinfo_growth(_go(*settings)) == want


def test_buildinfo_growth_without_build_info_is_zero():
    assert sizes.go_buildinfo_growth(None) == 0


def _ldflags_line(path) -> str | None:
    out = subprocess.run(["go", "version", "-m", str(path)], capture_output=True, text=True, check=True).stdout
    return next((l for l in out.splitlines() if l.startswith("\tbuild\t-ldflags=")), None)


TAB = "\t"


@reference.needs_tool(buildkit.have_go(), "the Go toolchain")
@pytest.mark.parametrize("ldflags", ["", "-X main.v=1", "-X=main.v=1", f"-X{TAB}main.v=1"])
def test_buildinfo_growth_matches_go_version_m_of_the_rebuild(ldflags):
    """The growth is the length the -ldflags line gains in the -s -w rebuild, as `go version -m`
    prints it (one leading tab, which the module-info text does not hold; a whole new line when
    the plain build had none, its newline counted)."""
    tag = {"": "none", "-X main.v=1": "spaced", "-X=main.v=1": "bare", f"-X{TAB}main.v=1": "tab"}[ldflags]
    plain = buildkit.build(buildkit.go(f"szg-{tag}", "hello", *([f"-ldflags={ldflags}"] if ldflags else [])))
    stripped = buildkit.build(buildkit.go(f"szg-{tag}-sw", "hello", f"-ldflags={('-s -w ' + ldflags).strip()}"))
    before, after = _ldflags_line(plain), _ldflags_line(stripped)
    assert after is not None
    # a new line: its length less go version -m's leading tab, plus its newline
    want = len(after) - len(before) if before is not None else len(after) - len(TAB) + len("\n")
    rec = inspect(plain)
    assert rec.go is not None
    assert sizes.go_buildinfo_growth(rec.go) == want, (before, after)


@reference.needs_tool(buildkit.have_go(), "the Go toolchain")
def test_a_trimpath_rebuild_records_no_ldflags():
    """With -trimpath the -s -w rebuild's module text is the plain build's, byte for byte: no growth."""
    plain = buildkit.build(buildkit.go("szg-trimpath", "hello", "-trimpath", "-ldflags=-X main.v=1"))
    stripped = buildkit.build(buildkit.go("szg-trimpath-sw", "hello", "-trimpath", "-ldflags=-s -w -X main.v=1"))
    versions = [subprocess.run(["go", "version", "-m", str(p)], capture_output=True, text=True,
                               check=True).stdout.split("\n", 1)[1] for p in (plain, stripped)]
    assert versions[0] == versions[1] and "-trimpath=true" in versions[0] and "-ldflags" not in versions[0]
    assert sizes.go_buildinfo_growth(inspect(plain).go) == 0


# -- strip_saving hands the layout rules the relink ---------------------------------------------------
def test_strip_saving_passes_the_relink_to_the_format(monkeypatch):
    # The module text's size is read (from the image) only for a Go binary whose text grows.
    read = []
    monkeypatch.setattr(sizes, "modinfo_text", lambda image: read.append(image) or b"t" * 700)
    img = _Image(10, None)
    assert sizes.strip_saving(img, _go(("-ldflags", "-X=a=b")), is_go=True, linker="gcc") == 1234
    assert img.asked == [Relink(go=True, go_internal=False, buildinfo_growth=8, modinfo=b"t" * 700)]
    assert read == [img]
    img = _Image(10, None)
    assert sizes.strip_saving(img, is_go=False, linker="go-internal") == 1234
    assert img.asked == [Relink(go=False, go_internal=True, buildinfo_growth=0)]
    img = _Image(10, None)
    sizes.strip_saving(img, _go(), is_go=True, linker="go-internal")
    assert img.asked == [Relink(go=True, go_internal=True, buildinfo_growth=23, modinfo=b"t" * 700)]
    img = _Image(10, None)
    sizes.strip_saving(img, _go(("-ldflags", "-s -w")), is_go=True, linker="go-internal")
    assert img.asked == [Relink(go=True, go_internal=True, buildinfo_growth=0)]
    assert len(read) == 2


@pytest.mark.parametrize("linker", ["zig", "lld", "gold", "mold", "ld64", None, "go"])
def test_a_go_relink_by_a_linker_the_format_does_not_list_is_unknown(linker):
    """The format's rules are never asked about a relink they do not replay: the answer is unknown."""
    img = _Image(10, None)
    assert sizes.strip_saving(img, _go(), is_go=True, linker=linker) is None and img.asked == []
    assert not sizes.relink_replayed(img, is_go=True, linker=linker)


def test_the_formats_list_the_relinks_their_rules_replay():
    from linkscope.formats.elf import ElfImage
    from linkscope.formats.macho import MachOImage
    from linkscope.formats.pe import PEImage

    assert ElfImage.GO_RELINKERS == {"gcc", "clang", "external"}      # GNU ld
    assert PEImage.GO_RELINKERS == {"bfd"}                              # mingw's GNU ld
    assert MachOImage.GO_RELINKERS == frozenset()                       # Go's own only
    img = _Image(10, None)
    assert sizes.relink_replayed(img, is_go=True, linker="gcc")
    assert sizes.relink_replayed(img, is_go=True, linker="go-internal")
    assert sizes.relink_replayed(img, is_go=False, linker="zig")          # GNU strip, whoever linked it
    assert sizes.strip_saving(img, is_go=False, linker=None) == 1234
