"""Where the bytes of a file go, and what ``-ldflags="-s -w"`` (or ``strip``) would save.

**Categories** (every byte of the file is in exactly one; they sum to the file size):

============  ====================================================================================
code          executable sections (ELF SHF_EXECINSTR, Mach-O ``__TEXT`` code, PE code sections)
rodata        other read-only loaded data (``.rodata``, ``.eh_frame``, ``__cstring``, PE ``.rdata``)
pclntab       Go's function table: ``.gopclntab`` / ``__gopclntab`` (with the funcdata and the
              ``findfunctab`` Go's linker puts inside it); in PE files, the table found by its header
              and sized through the runtime's moduledata
go-metadata   Go's other runtime metadata: type descriptors, ``go:func.*``, typelinks, itablinks,
              build info, FIPS info, the module data (``.go.type``, ``.go.func``, ``.typelink``,
              ``.itablink``, ``.gosymtab``, ``.go.buildinfo``, ``.go.fipsinfo``, ``.go.module`` and their
              ``.data.rel.ro.`` and Mach-O ``__go_*`` forms). ``.noptrdata`` is the program's own
              pointer-free globals and counts as data.
data          writable initialised data (``.data``, ``.noptrdata``, ``.data.rel.ro``, ``.init_array``,
              ``.tdata``); ``.bss`` and other zero-fill sections have no bytes in the file
dynamic       what the dynamic loader reads: ``.interp``, ``.dynsym``, ``.dynstr``, hash and version
              tables, ``.dynamic``, ``.got``/``.got.plt``; Mach-O indirect symbols, exports and fixups;
              PE import tables (``.idata``)
relocations   ``.rela*``/``.rel*``/RELR, PE ``.reloc``, Mach-O rebase/bind opcodes
dwarf         debug information: ``.debug_*``, ``.zdebug_*``, the Mach-O ``__DWARF`` segment
symtab        the static symbol table and its strings (``.symtab``+``.strtab``, Mach-O LC_SYMTAB,
              the PE COFF symbol table)
headers       the file header, program/section header tables, section names, Mach-O load commands,
              PE headers up to SizeOfHeaders
signature     Mach-O code signature, PE certificate table
padding       bytes between the regions above (alignment)
other         anything else: notes, ``.comment``, PE ``.pdata``/``.rsrc``, unclassified sections
============  ====================================================================================

Regions are painted in priority order (headers first, then sections, then segments as a
fallback for files without section headers), so overlapping or hostile tables still give one
category per byte.

**Strip saving** (:func:`strip_saving`): the bytes the rebuilt or stripped file would be smaller,
predicted from the unstripped file by replaying the linker's layout without the removed parts. The
layout rules are each format's (``strip_saving`` in formats.elf, formats.macho and formats.pe); what
comes from Go is here: a rebuilt binary records ``-ldflags="-s -w"`` in its build settings, which
grows ``.go.buildinfo`` (:func:`go_buildinfo_growth`) and the module text's string in the read-only
data, runtime.modinfo.str (the text is handed to the layout rules, which find it there; where the
layout after it cannot be known well enough, the prediction is unknown).
"""
from __future__ import annotations

import heapq

from ..formats.base import SIZE_CATEGORIES as CATEGORIES
from ..formats.base import Relink
from ..go import flags as goflags
from ..go.buildinfo import modinfo_text


def paint(size: int, regions: list[tuple[int, int, int, str]], gap: str = "padding") -> dict[str, int]:
    """Bytes per category for ``regions`` (start, end, priority, category) over a file of ``size``
    bytes: each byte goes to the covering region of lowest priority number (ties: the earlier
    region), bytes no region covers to ``gap``. The counts sum to ``size``."""
    # Fast path: the usual file's regions, in start order, lie inside it and do not overlap (an
    # empty one paints nothing): each counts whole, and neither priority nor order can matter.
    out: dict[str, int] = {}
    pos = 0
    for s, e, _p, cat in sorted(regions):
        if e <= s:
            continue
        if s < pos or e > size:   # overlapping, or past the end (pos >= 0: also before the start)
            break
        out[cat] = out.get(cat, 0) + (e - s)
        pos = e
    else:
        covered = sum(out.values())
        if size > covered:
            out[gap] = out.get(gap, 0) + (size - covered)
        return out
    clipped = []
    for i, (s, e, prio, cat) in enumerate(regions):
        s, e = (s if s > 0 else 0), (e if e < size else size)
        if e > s:
            clipped.append((s, e, prio, i, cat))
    clipped.sort()
    out = {}
    bounds = sorted({0, size, *(r[0] for r in clipped), *(r[1] for r in clipped)})
    starts: dict[int, list] = {}
    for r in clipped:
        starts.setdefault(r[0], []).append(r)
    active: list[tuple[int, int, int, str]] = []   # heap of (prio, index, end, category)
    for a, b in zip(bounds, bounds[1:]):
        for s, e, prio, i, cat in starts.get(a, ()):
            heapq.heappush(active, (prio, i, e, cat))
        while active and active[0][2] <= a:
            heapq.heappop(active)
        cat = active[0][3] if active else gap
        out[cat] = out.get(cat, 0) + (b - a)
    return out


def _ordered(counts: dict[str, int]) -> tuple[tuple[str, int], ...]:
    """The non-zero counts in CATEGORIES order, then any other category by name."""
    out = [(c, counts[c]) for c in CATEGORIES if counts.get(c)]
    if len(out) < len(counts):
        out += sorted((k, v) for k, v in counts.items() if v and k not in _CATEGORY_SET)
    return tuple(out)


_CATEGORY_SET = frozenset(CATEGORIES)


def breakdown(image, functab=None) -> tuple[tuple[str, int], ...]:
    """(category, bytes) in CATEGORIES order; the bytes sum to the file size. ``functab``: see
    formats.base.Image.size_regions."""
    size = image.view.size
    regions = image.size_regions(functab)
    if regions is None:
        return (("other", size),) if size else ()
    return _ordered(paint(size, regions, "padding"))


def go_buildinfo_growth(go) -> int:
    """Bytes the module-info text grows by when ``-s -w`` joins the build's -ldflags: none for a
    -trimpath build, whose -ldflags Go does not record (cmd/go's load.setBuildInfo, golang/go#52372)."""
    if go is None or go.setting("-trimpath") == "true":
        return 0
    flags = go.setting("-ldflags")
    if flags is None:
        return len('build\t-ldflags="-s -w"\n')
    if {"-s", "-w"} <= set(goflags.words(flags)):
        return 0
    # runtime/debug quotes a setting's value holding any of these (quoteValue); "-s -w ..." holds a space
    return len("-s -w ") + (0 if any(c in flags for c in ' \t\r\n"`') else 2)


def relink_replayed(image, *, is_go: bool, linker: str | None) -> bool:
    """Whether the format's rules replay how the stripped copy is made: GNU strip for anything not
    Go; for Go, the relink by ``linker`` (analysis.linker's name for the one that made it, which
    -s -w runs again): Go's own, or an external linker the format lists (Image.GO_RELINKERS)."""
    return not is_go or linker == "go-internal" or linker in image.GO_RELINKERS


def strip_saving(image, go=None, *, is_go: bool, linker: str | None) -> int | None:
    """Bytes saved by relinking with ``-s -w`` (a Go binary: ``go`` is its build info, when read) or
    by ``strip`` (anything else); None when there is nothing to strip, or the relink is not one
    the rules replay (:func:`relink_replayed`)."""
    if not relink_replayed(image, is_go=is_go, linker=linker):
        return None
    growth = go_buildinfo_growth(go)
    return image.strip_saving(Relink(go=is_go, go_internal=linker == "go-internal", buildinfo_growth=growth,
                                     modinfo=modinfo_text(image) if is_go and growth else b""))
