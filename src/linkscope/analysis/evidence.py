"""What the analyses read from a file, computed once per file and only when an analysis asks.

Everything here is bounded: string tables are searched with C-speed ``find``/regular expressions
over the mapped file, never walked entry by entry, except Go's function table (Go binaries only)
and the dynamic symbols of Go binaries (a few dozen).
"""
from __future__ import annotations

from ..lazy import Rx, cached_property

from ..errors import LinkscopeError
from . import gofunc

SCAN_LIMIT = 64 << 20          # bytes of a string table or segment searched, at most
MAX_COMMENT = 64 << 10

# ELF
_SHT_SYMTAB, _SHT_NOBITS = 2, 8
_DT_STRTAB, _DT_STRSZ = 5, 10
_PT_LOAD, _PF_X, _PF_W = 1, 1, 2


class Evidence:
    """Lazy, cached facts about one parsed image and its Binary record (both immutable)."""

    def __init__(self, image, binary, path: str | None = None):
        self.image = image
        self.binary = binary
        self.path = path
        self.format = getattr(image, "format", None)
        self.view = image.view

    # -- Go ---------------------------------------------------------------------------------------
    @property
    def is_go(self) -> bool:
        b = self.binary
        return b.go is not None or b.go_build_id is not None

    def setting(self, key: str) -> str | None:
        go = self.binary.go
        return None if go is None else go.setting(key)

    @cached_property
    def functab(self) -> gofunc.FuncTable | None:
        """Go's function table (Go binaries only; None when absent or unreadable)."""
        if not self.is_go or self.format not in ("elf", "macho", "pe"):
            return None
        try:
            return gofunc.find(self.image)
        except (LinkscopeError, ValueError, IndexError, OverflowError):
            return None

    def go_has(self, name: str) -> bool:
        ft = self.functab
        return ft is not None and ft.has(name)

    def go_with_prefix(self, prefix: str, limit: int = 64) -> list[str]:
        ft = self.functab
        return ft.with_prefix(prefix, limit) if ft is not None else []

    def go_containing(self, part: str, limit: int = 64) -> list[str]:
        ft = self.functab
        return ft.containing(part, limit) if ft is not None else []

    @cached_property
    def functab_extent(self) -> int | None:
        """Bytes of the function table region (section size, else through moduledata)."""
        ft = self.functab
        if ft is None:
            return None
        if ft.found_by.startswith("section"):
            return None
        try:
            return gofunc.extent(self.image, ft) or ft.size
        except (LinkscopeError, ValueError, IndexError, OverflowError):
            return ft.size

    # -- ELF string tables --------------------------------------------------------------------------
    @cached_property
    def _dynstr_region(self) -> tuple[int, int] | None:
        img = self.image
        if self.format != "elf":
            return None
        try:
            addr = img.dyn1(_DT_STRTAB)
            if addr is None:
                return None
            off = img.vaddr_to_offset(addr)
            if off is None:
                return None
            size = img.dyn1(_DT_STRSZ) or 0
            size = min(size, self.view.size - off, SCAN_LIMIT)
            return (off, size) if size > 0 else None
        except LinkscopeError:
            return None

    @cached_property
    def _strtab_region(self) -> tuple[int, int] | None:
        """The string table of .symtab (ELF), or of LC_SYMTAB (Mach-O)."""
        img = self.image
        if self.format == "elf":
            n = len(img.section_rows)
            for _name, t, _fl, _off, _size, link in img.section_rows:
                if t == _SHT_SYMTAB and 0 < link < n:
                    st = img.section_at(link)
                    if st.type != _SHT_NOBITS and st.offset < self.view.size:
                        return st.offset, min(st.size, self.view.size - st.offset, SCAN_LIMIT)
        elif self.format == "macho" and img.symtab is not None and img.symtab.strsize:
            return img.symtab.stroff, min(img.symtab.strsize, SCAN_LIMIT)
        return None

    def _region_has(self, region, name: str) -> bool:
        if region is None:
            return False
        off, size = region
        return self.view.find(b"\0" + name.encode() + b"\0", off, off + size) >= 0

    def _region_findall(self, region, pattern: Rx, hint: bytes | None = None) -> list[str]:
        """The first group of every match of ``pattern`` in the region; ``hint``, a substring every
        match contains, lets a fast search rule the region out first."""
        if region is None:
            return []
        off, size = region
        if hint is not None and self.view.find(hint, off, off + size) < 0:
            return []
        base = self.view.base
        return sorted({m.group(1).decode("utf-8", "replace")
                       for m in pattern.finditer(self.view.buf, base + off, base + off + size)})

    def dynstr_has(self, name: str) -> bool:
        return self._region_has(self._dynstr_region, name)

    def dynstr_findall(self, pattern: Rx, hint: bytes | None = None) -> list[str]:
        return self._region_findall(self._dynstr_region, pattern, hint)

    @property
    def has_symtab(self) -> bool:
        return self._strtab_region is not None

    def symtab_has(self, name: str) -> bool:
        """Whether the static symbol table names ``name`` (Mach-O names carry their leading '_').
        Linkers share name tails in the string table ("getaddrinfo" inside "__GI_getaddrinfo"), so
        when no string is exactly ``name``, a tail match counts if a symbol points at it."""
        region = self._strtab_region
        if region is None:
            return False
        if self._region_has(region, name):
            return True
        off, size = region
        needle = name.encode() + b"\0"
        pos = self.view.find(needle, off, off + size)
        tries = 0
        while pos >= 0 and tries < 64:
            if pos - off in self._symtab_name_offsets:
                return True
            tries += 1
            pos = self.view.find(needle, pos + 1, off + size)
        return False

    @cached_property
    def _symtab_name_offsets(self) -> frozenset[int]:
        """st_name of every ELF .symtab entry (read as one array slice, not entry by entry)."""
        img = self.image
        if self.format != "elf":
            return frozenset()
        for s in img.elf_sections:
            if s.type == _SHT_SYMTAB and s.entsize and s.entsize % 4 == 0:
                count = min(s.size, self.view.size - s.offset, SCAN_LIMIT) // s.entsize * s.entsize // 4
                words = self.view.words(s.offset, count, "I", img.little, ".symtab")
                return frozenset(words[0::s.entsize // 4])
        return frozenset()

    def symtab_findall(self, pattern: Rx, hint: bytes | None = None) -> list[str]:
        return self._region_findall(self._strtab_region, pattern, hint)

    # -- imports -----------------------------------------------------------------------------------
    @cached_property
    def imports(self) -> dict[str, str]:
        """Imported function name -> how to quote it as evidence ("getaddrinfo@GLIBC_2.2.5").
        ELF: undefined dynamic symbols, read in full for Go binaries only (a few dozen); other
        files answer :meth:`imported` through the dynamic string table; Mach-O: undefined
        symbols without their leading '_'; PE: imported functions by name."""
        img = self.image
        out: dict[str, str] = {}
        try:
            if self.format == "elf":
                syms = getattr(img, "dynamic_symbols", None)
                if syms is None or not self.is_go:
                    return out
                for s in syms:
                    if s.name and not s.defined:
                        out[s.name] = f"{s.name}@{s.version}" if s.version else s.name
            elif self.format == "macho":
                st, ds = img.symtab, img.dysymtab
                if st is not None and ds is not None and ds.nundefsym and ds.nundefsym <= 65536:
                    v = img.view
                    nl = 16 if img.bits == 64 else 12
                    strtab = v.bytes(st.stroff, st.strsize, "string table")
                    for i in range(ds.iundefsym, ds.iundefsym + ds.nundefsym):
                        name_off = v.u32(st.symoff + i * nl)
                        end = strtab.find(b"\0", name_off)
                        if end > name_off:
                            name = strtab[name_off:end].decode("utf-8", "replace")
                            out[name[1:] if name.startswith("_") else name] = name
            elif self.format == "pe":
                for dll in img.needed:
                    for f in img.imported_functions(dll):
                        if f.name:
                            out[f.name] = f"{f.name} ({dll})"
        except (LinkscopeError, ValueError, IndexError, OverflowError):
            return out
        return out

    def imported(self, name: str) -> str | None:
        """Evidence text when ``name`` is imported, else None."""
        got = self.imports.get(name)
        if got is not None:
            return got
        if self.format == "elf" and not self.imports and self.dynstr_has(name):
            return name
        return None

    # -- ELF odds and ends --------------------------------------------------------------------------
    @cached_property
    def comment(self) -> tuple[str, ...]:
        """The strings of the ELF .comment section (compiler and linker identification)."""
        if self.format != "elf":
            return ()
        s = self.image.section(".comment")
        if s is None or s.type == _SHT_NOBITS or not s.size:
            return ()
        try:
            raw = self.view.bytes(s.offset, min(s.size, MAX_COMMENT), ".comment")
        except LinkscopeError:
            return ()
        return tuple(dict.fromkeys(x.decode("utf-8", "replace").strip() for x in raw.split(b"\0") if x.strip()))

    def readonly_find(self, needle: bytes) -> bool:
        """Whether a read-only loaded ELF segment holds ``needle`` (bounded by SCAN_LIMIT)."""
        if self.format != "elf":
            return False
        budget = SCAN_LIMIT
        for p in self.image.segments:
            if p.type != _PT_LOAD or p.flags & _PF_W or budget <= 0:
                continue
            start = min(p.offset, self.view.size)
            end = min(p.offset + p.filesz, self.view.size, start + budget)
            budget -= end - start
            if self.view.find(needle, start, end) >= 0:
                return True
        return False

    def code_count(self, pattern: Rx, limit: int = 10000, budget: int = SCAN_LIMIT) -> int:
        """How many times ``pattern`` matches in the executable loaded ELF segments (bounded by
        ``budget`` bytes and ``limit`` matches)."""
        if self.format != "elf":
            return 0
        n = 0
        base = self.view.base
        for p in self.image.segments:
            if p.type != _PT_LOAD or not p.flags & _PF_X or budget <= 0:
                continue
            start = min(p.offset, self.view.size)
            end = min(p.offset + p.filesz, self.view.size, start + budget)
            budget -= end - start
            for _ in pattern.finditer(self.view.buf, base + start, base + end):
                n += 1
                if n >= limit:
                    return n
        return n

    @cached_property
    def section_names(self) -> frozenset[str]:
        try:
            if self.format == "elf":
                return frozenset(self.image.section_names)
            if self.format == "pe":
                return frozenset(s.name for s in self.image.pe_sections)
            return frozenset(s.name for s in self.image.sections())
        except LinkscopeError:
            return frozenset()
