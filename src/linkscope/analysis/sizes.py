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
predicted from the unstripped file by replaying the linker's layout without the removed parts:

- ELF: ``.symtab``, its string table and every ``.debug_*``/``.zdebug_*`` section go; everything
  before the first non-loaded section stays where it is; the kept non-loaded sections (``.comment``,
  ``.shstrtab`` with the removed names taken out; a name that is the tail of another shares its
  bytes when GNU strip writes the table, or when the linker that relinks a Go binary did so before) follow at their alignment, then the section header table when it was at the end (GNU ld,
  strip), not when it was at the start (Go's internal linker). Go's internal linker starts the
  non-loaded part on the next page (4 KiB, 64 KiB on arm64/ppc64/loong64) after the data; a
  rebuilt binary also records ``-ldflags="-s -w"`` in its build settings, which grows
  ``.go.buildinfo`` by 23 bytes (rounded to the next section's alignment) and shifts what follows
  it in the file.
- Mach-O (Go's internal linker): the ``__DWARF`` segment goes; ``__LINKEDIT`` moves down by its
  page-rounded size; the symbol table keeps only the undefined (imported) and dynamically
  exported symbols, with their names; the table of strings keeps its 2-byte start and is padded
  so the link-edit data ends on 16 bytes; the ad-hoc code signature (arm64) shrinks with the
  number of 4 KiB pages it hashes (Go's cmd/internal/codesign: 108 bytes + identifier + 32 per page).
- PE (Go's internal linker, mingw ld): the DWARF sections go (each occupies its file-aligned raw
  size); the COFF symbol table section keeps only its 4-byte string-table size (one file-aligned
  block). Go's linker always reserves room for 16 section headers (its PEFILEHEADR), so its
  SizeOfHeaders stays; for other linkers it shrinks when fewer section headers fit in fewer
  file-alignment blocks.
"""
from __future__ import annotations

import heapq
import math
from ..formats.elf import (SHF_ALLOC, SHF_EXECINSTR, SHF_WRITE, SHT_DYNAMIC, SHT_DYNSYM, SHT_GNU_HASH, SHT_GNU_VERDEF,
                           SHT_GNU_VERNEED, SHT_GNU_VERSYM, SHT_HASH, SHT_NOBITS, SHT_NOTE, SHT_REL, SHT_RELA, SHT_RELR,
                           SHT_SYMTAB, SHT_SYMTAB_SHNDX)
from ..go import flags as goflags

CATEGORIES = ("code", "rodata", "pclntab", "go-metadata", "data", "dynamic", "relocations", "dwarf",
              "symtab", "headers", "signature", "padding", "other")

_GO_META_ELF = {".go.type", ".go.func", ".typelink", ".itablink", ".gosymtab", ".go.buildinfo", ".go.fipsinfo",
                ".go.module", ".gofunc"}
_GO_META_MACHO = {"__go_type", "__go_func", "__typelink", "__itablink", "__gosymtab", "__go_buildinfo",
                  "__go_fipsinfo", "__go_module", "__gofunc"}
_DEBUG_PREFIXES = (".debug_", ".zdebug_", ".stab")


def _is_debug(name: str) -> bool:
    return name.startswith(_DEBUG_PREFIXES) or name == ".gdb_index"


# Priorities: lower paints first and wins.
_P_HEADER, _P_SECTION, _P_INNER, _P_SEGMENT = 0, 2, 1, 3


def paint(size: int, regions: list[tuple[int, int, int, str]], gap: str = "padding") -> dict[str, int]:
    """Bytes per category for ``regions`` (start, end, priority, category) over a file of ``size``
    bytes: each byte goes to the covering region of lowest priority number (ties: the earlier
    region), bytes no region covers to ``gap``. The counts sum to ``size``."""
    clipped = []
    for i, (s, e, prio, cat) in enumerate(regions):
        s, e = (s if s > 0 else 0), (e if e < size else size)
        if e > s:
            clipped.append((s, e, prio, i, cat))
    clipped.sort()
    out: dict[str, int] = {}
    # Fast path: no two regions overlap (the usual file).
    pos = 0
    for s, e, _p, _i, cat in clipped:
        if s < pos:
            break
        out[cat] = out.get(cat, 0) + (e - s)
        pos = e
    else:
        covered = sum(out.values())
        if size > covered:
            out[gap] = out.get(gap, 0) + (size - covered)
        return out
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
    order = {c: i for i, c in enumerate(CATEGORIES)}
    return tuple(sorted(((k, v) for k, v in counts.items() if v), key=lambda kv: (order.get(kv[0], 99), kv[0])))


# -- ELF ---------------------------------------------------------------------------------------------
def elf_section_category(name: str, t: int, fl: int, symtab_strtabs: set[int], index: int, shstrndx: int | None) -> str:
    """The category of section ``index`` (its name, type and flags)."""
    if index == shstrndx:
        return "headers"
    if index in symtab_strtabs:
        return "symtab"
    return _KINDS.get((name, t, fl)) or _section_kind(name, t, fl)


def _section_kind(name: str, t: int, fl: int) -> str:
    """The category of an ELF section by name, type and flags (a pure function: memoised, for trees
    of binaries with the same few sections; callers look in ``_KINDS`` first)."""
    key = (name, t, fl)
    kind = _KINDS.get(key)
    if kind is None:
        kind = _KINDS[key] = _section_kind_uncached(name, t, fl)
        if len(_KINDS) > 4096:
            _KINDS.clear()
    return kind


_KINDS: dict = {}


def _section_kind_uncached(name: str, t: int, fl: int) -> str:
    if t in (SHT_SYMTAB, SHT_SYMTAB_SHNDX):
        return "symtab"
    if _is_debug(name):
        return "dwarf"
    if name in (".gopclntab", ".data.rel.ro.gopclntab"):
        return "pclntab"
    base = name[len(".data.rel.ro"):] if name.startswith(".data.rel.ro.") else name
    if base in _GO_META_ELF:
        return "go-metadata"
    if t in (SHT_RELA, SHT_REL, SHT_RELR) or name.startswith((".rela.", ".rel.")) or name in (".rela", ".rel", ".relr.dyn"):
        return "relocations"
    if t in (SHT_DYNSYM, SHT_DYNAMIC, SHT_HASH, SHT_GNU_HASH, SHT_GNU_VERDEF, SHT_GNU_VERNEED, SHT_GNU_VERSYM) \
            or name in (".interp", ".dynstr", ".got", ".got.plt"):
        return "dynamic"
    if t == SHT_NOTE:
        return "other"
    if fl & SHF_ALLOC:
        if fl & SHF_EXECINSTR:
            return "code"
        if fl & SHF_WRITE:
            return "data"
        return "rodata"
    return "other"


def _elf_shstrndx(image) -> int | None:
    v = image.view
    rows = image.section_rows
    idx = v.u16(62 if image.bits == 64 else 50)
    if idx == 0xFFFF and rows:
        idx = rows[0][5]
    return idx if 0 < idx < len(rows) else None


def _elf_symtab_strtabs(image) -> set[int]:
    n = len(image.section_rows)
    return {link for _name, t, _fl, _off, _size, link in image.section_rows if t == SHT_SYMTAB and 0 < link < n}


def elf_regions(image, ft=None, ft_size: int | None = None) -> list[tuple[int, int, int, str]]:
    hdr = 64 if image.bits == 64 else 52
    regions = [(0, hdr, _P_HEADER, "headers")]
    if image.phoff and image.segments:
        regions.append((image.phoff, image.phoff + len(image.segments) * image._phentsize, _P_HEADER, "headers"))
    rows = image.section_rows
    if image.shoff and rows:
        regions.append((image.shoff, image.shoff + len(rows) * image._shentsize, _P_HEADER, "headers"))
    strtabs, shstrndx = _elf_symtab_strtabs(image), _elf_shstrndx(image)
    category = elf_section_category
    regions += [(off, off + size, _P_SECTION, category(name, t, fl, strtabs, i, shstrndx))
                for i, (name, t, fl, off, size, _link) in enumerate(rows) if size and t != 0 and t != SHT_NOBITS]
    if not rows:
        # No section headers: what the segments say, with Go's table carved out when it was found.
        if ft is not None and ft_size:
            regions.append((ft.offset, ft.offset + ft_size, _P_INNER, "pclntab"))
        for p in image.segments:
            if p.type == 3:
                regions.append((p.offset, p.offset + p.filesz, _P_INNER, "dynamic"))
            elif p.type == 2:
                regions.append((p.offset, p.offset + p.filesz, _P_INNER, "dynamic"))
            elif p.type == 4:
                regions.append((p.offset, p.offset + p.filesz, _P_INNER, "other"))
        for p in image.segments:
            if p.type == 1 and p.filesz:
                cat = "code" if p.flags & 1 else "data" if p.flags & 2 else "rodata"
                regions.append((p.offset, p.offset + p.filesz, _P_SEGMENT, cat))
    return regions


# -- Mach-O ------------------------------------------------------------------------------------------

def macho_regions(image) -> list[tuple[int, int, int, str]]:
    from ..formats.macho import (LC_CODE_SIGNATURE, LC_DATA_IN_CODE, LC_DYLD_CHAINED_FIXUPS, LC_DYLD_EXPORTS_TRIE,
                                 LC_DYLD_INFO, LC_DYLD_INFO_ONLY, LC_DYLIB_CODE_SIGN_DRS, LC_FUNCTION_STARTS,
                                 LC_FUNCTION_VARIANT_FIXUPS, LC_LINKER_OPTIMIZATION_HINT, LC_SEGMENT_SPLIT_INFO,
                                 S_ATTR_PURE_INSTRUCTIONS, S_ATTR_SOME_INSTRUCTIONS)

    # the __LINKEDIT data each load command points at (LC_*_DATA: a linkedit_data_command)
    linkedit = {LC_CODE_SIGNATURE: "signature", LC_SEGMENT_SPLIT_INFO: "other", LC_FUNCTION_STARTS: "other",
                LC_DATA_IN_CODE: "other", LC_DYLIB_CODE_SIGN_DRS: "signature", LC_LINKER_OPTIMIZATION_HINT: "other",
                LC_DYLD_EXPORTS_TRIE: "dynamic", LC_DYLD_CHAINED_FIXUPS: "dynamic", LC_FUNCTION_VARIANT_FIXUPS: "dynamic"}
    v = image.view
    regions = [(0, image.header_size + image.sizeofcmds, _P_HEADER, "headers")]
    for s in image.macho_sections:
        if s.zerofill or not s.size or not s.offset:
            continue
        sect, seg = s.sectname, s.segname
        if seg == "__DWARF" or sect.startswith(("__debug_", "__zdebug_")):
            cat = "dwarf"
        elif sect == "__gopclntab":
            cat = "pclntab"
        elif sect in _GO_META_MACHO:
            cat = "go-metadata"
        elif sect in ("__got", "__la_symbol_ptr", "__nl_symbol_ptr", "__stubs", "__stub_helper", "__auth_got") \
                and seg != "__TEXT" or sect in ("__got",):
            cat = "dynamic"
        elif s.flags & (S_ATTR_PURE_INSTRUCTIONS | S_ATTR_SOME_INSTRUCTIONS) or sect in ("__text", "__stubs", "__symbol_stub1", "__stub_helper"):
            cat = "code"
        elif seg == "__TEXT" or seg == "__DATA_CONST" and sect in ("__rodata", "__const", "__cstring"):
            cat = "rodata"
        else:
            cat = "data"
        regions.append((s.offset, s.offset + s.size, _P_SECTION, cat))
    st = image.symtab
    if st is not None:
        regions.append((st.symoff, st.symoff + st.nsyms * (16 if image.bits == 64 else 12), _P_SECTION, "symtab"))
        regions.append((st.stroff, st.stroff + st.strsize, _P_SECTION, "symtab"))
    ds = image.dysymtab
    if ds is not None and ds.nindirectsyms:
        regions.append((ds.indirectsymoff, ds.indirectsymoff + 4 * ds.nindirectsyms, _P_SECTION, "dynamic"))
    for lc in image.load_commands:
        if lc.cmd in (LC_DYLD_INFO, LC_DYLD_INFO_ONLY) and lc.size >= 48:
            f = [v.u32(lc.offset + 8 + 4 * k) for k in range(10)]
            for (off, size), cat in zip(zip(f[0::2], f[1::2]), ("relocations", "relocations", "relocations",
                                                                  "relocations", "dynamic")):
                if size:
                    regions.append((off, off + size, _P_SECTION, cat))
        elif lc.cmd in linkedit and lc.size >= 16:
            off, size = v.u32(lc.offset + 8), v.u32(lc.offset + 12)
            if size:
                regions.append((off, off + size, _P_SECTION, linkedit[lc.cmd]))
    for seg in image.segments:
        if seg.name == "__DWARF" and seg.filesize:
            regions.append((seg.fileoff, seg.fileoff + seg.filesize, _P_SEGMENT, "dwarf"))
        elif seg.name == "__LINKEDIT" and seg.filesize:
            regions.append((seg.fileoff, seg.fileoff + seg.filesize, _P_SEGMENT, "other"))
    return regions


# -- PE ----------------------------------------------------------------------------------------------
def pe_section_category(s) -> str:
    from ..formats.pe import IMAGE_SCN_CNT_CODE, IMAGE_SCN_CNT_INITIALIZED_DATA, IMAGE_SCN_MEM_EXECUTE, IMAGE_SCN_MEM_WRITE

    name, c = s.name, s.characteristics
    if name.startswith((".debug_", ".zdebug_")):
        return "dwarf"
    if name == ".symtab":
        return "symtab"
    if name == ".reloc":
        return "relocations"
    if name in (".idata", ".didat", ".edata"):
        return "dynamic"
    if name in (".pdata", ".xdata", ".rsrc", ".tls"):
        return "other"
    if c & (IMAGE_SCN_CNT_CODE | IMAGE_SCN_MEM_EXECUTE):
        return "code"
    if c & IMAGE_SCN_MEM_WRITE:
        return "data"
    if c & IMAGE_SCN_CNT_INITIALIZED_DATA:
        return "rodata"
    return "other"


def pe_regions(image, ft=None, ft_size: int | None = None) -> list[tuple[int, int, int, str]]:
    regions = [(0, image.size_of_headers or 0, _P_HEADER, "headers")]
    if image.e_lfanew is not None:
        end = image.e_lfanew + 24 + image.optional_header_size + 40 * len(image.pe_sections)
        regions.append((0, end, _P_HEADER, "headers"))
    for s in image.pe_sections:
        if s.raw_offset and s.raw_size:
            regions.append((s.raw_offset, s.raw_offset + s.raw_size, _P_SECTION, pe_section_category(s)))
    if ft is not None and ft_size:
        regions.append((ft.offset, ft.offset + ft_size, _P_INNER, "pclntab"))
    if image.symtab_offset and image.symbol_count:
        start = image.symtab_offset
        end = start + 18 * image.symbol_count
        if end + 4 <= image.view.size:
            end += max(4, image.view.u32(end))
        regions.append((start, end, _P_SECTION, "symtab"))
    dirs = image.data_directories
    if len(dirs) > 4 and dirs[4].size:      # the certificate table: a file offset, not an RVA
        regions.append((dirs[4].rva, dirs[4].rva + dirs[4].size, _P_INNER, "signature"))
    return regions


def breakdown(image, ft=None, ft_size: int | None = None) -> tuple[tuple[str, int], ...]:
    """(category, bytes) in CATEGORIES order; the bytes sum to the file size."""
    fmt = getattr(image, "format", None)
    size = image.view.size
    if fmt == "elf":
        regions = elf_regions(image, ft, ft_size)
    elif fmt == "macho":
        regions = macho_regions(image)
    elif fmt == "pe":
        regions = pe_regions(image, ft, ft_size)
    elif fmt == "wasm":
        regions = wasm_regions(image)
    else:
        return (("other", size),) if size else ()
    return _ordered(paint(size, regions, "padding"))


def wasm_regions(image) -> list[tuple[int, int, int, str]]:
    regions = [(0, 8, _P_HEADER, "headers")]
    for s in image.sections():
        name = s.name
        if name in ("code",):
            cat = "code"
        elif name in ("data",):
            cat = "data"
        elif name.startswith((".debug_", "external_debug_info")):
            cat = "dwarf"
        elif name in ("name",):
            cat = "symtab"
        elif name in ("import", "export", "type", "function", "table", "memory", "global", "start", "element",
                      "datacount", "tag"):
            cat = "dynamic"
        else:
            cat = "other"
        regions.append((s.offset, s.offset + s.size, _P_SECTION, cat))
    return regions


# -- strip saving -------------------------------------------------------------------------------------
def _align(x: int, a: int) -> int:
    return x if a <= 1 else (x + a - 1) // a * a


def _shstrtab_size(names: list[str], merged: bool) -> int:
    """Bytes of a section-name table holding ``names``: a leading NUL, each name and its NUL; with
    ``merged`` a name that is the tail of another (".plt" of ".rela.plt") shares its bytes."""
    uniq = {n.encode("utf-8", "surrogateescape") for n in names if n}
    if merged:
        # In reversed-string order a tail sorts right before the names that end with it.
        rev = sorted(n[::-1] for n in uniq)
        uniq = {r for r, nxt in zip(rev, rev[1:] + [b""]) if not nxt.startswith(r)}
    return 1 + sum(len(n) + 1 for n in uniq)


def _elf_removed(i: int, name: str, t: int, fl: int, strtabs: set[int], shstrndx: int | None) -> bool:
    if i == shstrndx or fl & SHF_ALLOC:
        return False
    return t in (SHT_SYMTAB, SHT_SYMTAB_SHNDX) or i in strtabs or bool(_is_debug(name))


def go_buildinfo_growth(go) -> int:
    """Bytes the module-info text grows by when ``-s -w`` joins the build's -ldflags."""
    if go is None:
        return 0
    flags = go.setting("-ldflags")
    if flags is None:
        return len('build\t-ldflags="-s -w"\n')
    if {"-s", "-w"} <= set(goflags.words(flags)):
        return 0
    return len("-s -w ") + (0 if any(c in flags for c in ' "`') else 2)


def elf_strip_saving(image, go=None, go_internal: bool = False) -> int | None:
    """Bytes saved by relinking with ``-s -w`` (a Go binary: ``go`` is its build info) or by GNU
    ``strip`` (anything else); None when there is nothing to strip."""
    rows = image.section_rows
    if not rows:
        return None
    strtabs, shstrndx = _elf_symtab_strtabs(image), _elf_shstrndx(image)
    # What strip removes is never loaded: the loaded sections are ruled out first, from the rows
    # (a stripped file makes no section records here).
    removed = [i for i, (name, t, fl, *_rest) in enumerate(rows)
               if i and not fl & SHF_ALLOC and _elf_removed(i, name, t, fl, strtabs, shstrndx)]
    if not removed:
        return None
    secs = image.elf_sections
    size = image.view.size
    nonalloc = [(s.offset, i) for i, s in enumerate(secs)
                if i and not s.flags & SHF_ALLOC and s.type != SHT_NOBITS and s.size]
    start = min(off for off, _ in nonalloc)
    alloc_end = max((s.offset + s.size for s in secs if s.flags & SHF_ALLOC and s.type != SHT_NOBITS), default=0)
    alloc_end = max([alloc_end] + [p.offset + p.filesz for p in image.segments if p.type == 1])
    # A rebuilt Go binary records -ldflags="-s -w": .go.buildinfo grows, and what follows it moves.
    shift = 0
    growth = go_buildinfo_growth(go) if go is not None else 0
    bi = image.section(".go.buildinfo")
    if growth and bi is not None:
        following = sorted((s for s in secs if s.flags & SHF_ALLOC and s.offset >= bi.offset + bi.size
                            and s.type != SHT_NOBITS), key=lambda s: s.offset)
        content = _buildinfo_content(image, bi)
        if content is not None and following:
            nxt = following[0]
            align = max(1, _sh_align(image, secs.index(nxt)))
            new_end = _align(bi.offset + _align(content + growth, 16), align)
            shift = max(0, new_end - nxt.offset)
            # The shift stops at a segment boundary the linker re-aligns (file offset == vaddr mod page).
            if any(p.type == 1 and p.offset > bi.offset and p.offset >= nxt.offset for p in image.segments):
                shift = 0
    keep_names = [s.name for i, s in enumerate(secs) if i and i not in removed]
    cursor = start + shift
    if go_internal and start % 0x1000 == 0 and start >= alloc_end:
        # Go's linker starts the DWARF segment at the data's end rounded to -R (its page size).
        for rnd in (0x10000, 0x1000):
            if start == _align(alloc_end, rnd):
                cursor = _align(alloc_end + shift, rnd)
                break
    sh_at_end = image.shoff >= start
    old_shstr = secs[shstrndx].size if shstrndx is not None else 0
    all_names = [s.name for s in secs[1:]]
    # The linker that relinks a Go binary writes its names as it did before; GNU strip (BFD's string
    # table) always shares name tails.
    merged = go is None or (shstrndx is not None and old_shstr < _shstrtab_size(all_names, False))
    for off, i in sorted(nonalloc):
        if i in removed:
            continue
        s = secs[i]
        n = s.size
        if i == shstrndx:
            n = _shstrtab_size(keep_names, merged)
            if not merged and n > s.size:   # names the table does not hold literally (hostile)
                n = s.size
        cursor = _align(cursor, _sh_align(image, i)) + n
    if sh_at_end:
        cursor = _align(cursor, 8 if image.bits == 64 else 4) + (len(secs) - len(removed)) * image._shentsize
    else:
        cursor = max(cursor, image.shoff + (len(secs) - len(removed)) * image._shentsize
                     if image.shoff >= alloc_end else cursor)
    return max(0, size - cursor)


def _sh_align(image, idx: int) -> int:
    """sh_addralign of section ``idx`` (ElfSection does not keep it): read from the header table."""
    off = image.shoff + idx * image._shentsize + (48 if image.bits == 64 else 32)
    a = image.view.u64(off) if image.bits == 64 else image.view.u32(off)
    return a if 0 < a <= 1 << 16 else 1


def _buildinfo_content(image, bi) -> int | None:
    """Bytes of .go.buildinfo in use: the 32-byte header, then (inline form) two varint-prefixed strings."""
    from ..go.buildinfo import uvarint

    v = image.view
    if bi.size < 32 or bi.offset + bi.size > v.size:
        return None
    data = v.bytes(bi.offset, bi.size)
    if data[:14] != b"\xff Go buildinf:" or not data[15] & 2:
        return None
    pos = 32
    for _ in range(2):
        try:
            n, k = uvarint(data[pos:pos + 10])
        except Exception:
            return None
        pos += k + n
        if pos > len(data):
            return None
    return pos


def macho_strip_saving(image) -> int | None:
    """Go's internal linker on Mach-O (see the module notes); None for other Mach-O files."""
    st = image.symtab
    dwarf = image.segment("__DWARF")
    linkedit = image.segment("__LINKEDIT")
    if st is None or linkedit is None:
        return None
    v = image.view
    nl = 16 if image.bits == 64 else 12
    kept, kept_str = 0, 2
    strtab = v.bytes(st.stroff, st.strsize, "string table") if st.strsize else b""
    for i in range(st.nsyms):
        p = st.symoff + i * nl
        name_off, ntype = v.u32(p), v.u8(p + 4)
        if ntype & 0xE0:                 # stab
            continue
        if ntype & 0x0E == 0 and ntype & 1 or ntype == 0x0F:   # undefined external, or dynamically exported
            kept += 1
            end = strtab.find(b"\0", name_off)
            kept_str += (end - name_off if end >= 0 else 0) + 1
    if kept == st.nsyms and dwarf is None:
        return None
    head = st.symoff - linkedit.fileoff                 # rebase + bind
    indirect = st.stroff - (st.symoff + st.nsyms * nl)  # indirect symbol tables
    linkedit_size = head + kept * nl + indirect + kept_str
    linkedit_size = _align(linkedit_size, 16)
    new_linkoff = linkedit.fileoff
    if dwarf is not None:
        new_linkoff = dwarf.fileoff
    end = new_linkoff + linkedit_size
    sig = image.code_signature
    if sig is not None:
        sigoff, sigsize = sig
        pages_old = math.ceil(sigoff / 4096)
        ident = sigsize - 108 - 32 * pages_old        # identifier and its NUL
        if ident <= 0:
            return None
        end += 108 + ident + 32 * math.ceil(end / 4096)
    return max(0, v.size - end)


def pe_strip_saving(image, go_internal: bool = False) -> int | None:
    falign = image.file_alignment or 512
    removed = [s for s in image.pe_sections if s.name.startswith((".debug_", ".zdebug_"))]
    symtab = image.section(".symtab")
    saving = sum(s.raw_size for s in removed if s.raw_offset)
    if symtab is not None and symtab.raw_offset:
        saving += max(0, symtab.raw_size - _align(4, falign))
    elif image.symtab_offset and image.symbol_count:
        # A COFF symbol table outside any section (mingw): it and its string table go.
        start = image.symtab_offset
        end = start + 18 * image.symbol_count
        if end + 4 <= image.view.size:
            end += max(4, image.view.u32(end))
        saving += max(0, min(end, image.view.size) - start)
    if not saving:
        return None
    if not go_internal and image.e_lfanew is not None and image.size_of_headers:
        # Go's linker reserves room for 16 section headers whatever it writes (PEFILEHEADR);
        # binutils rewrites the headers to fit the sections that remain.
        table = image.e_lfanew + 24 + image.optional_header_size
        new_hdr = _align(table + 40 * (len(image.pe_sections) - len(removed)), falign)
        saving += max(0, image.size_of_headers - max(new_hdr, falign))
    return saving
