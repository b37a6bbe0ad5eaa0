"""What the analyses read from a file, computed once per file and only when an analysis asks.

Everything here is bounded: string tables are searched with C-speed ``find``/regular expressions
over the mapped file, never walked entry by entry, except Go's function table (Go binaries only)
and the dynamic symbols of Go binaries (a few dozen).
"""
from __future__ import annotations

from ..lazy import Rx, cached_property

from ..errors import DATA_ERRORS, LinkscopeError
from ..go import pclntab

SCAN_LIMIT = 64 << 20          # bytes of a string table or segment searched, at most
MAX_COMMENT = 64 << 10
MAX_STRINGS = 4096             # strings kept from one search of a table (beyond: each name searched for)


class Evidence:
    """Lazy, cached facts about one parsed image and its Binary record (both immutable)."""

    def __init__(self, image, binary):
        self.image = image
        self.binary = binary
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
    def functab(self) -> pclntab.FuncTable | None:
        """Go's function table (Go binaries only; None when absent or unreadable)."""
        if not self.is_go or self.format not in ("elf", "macho", "pe"):
            return None
        try:
            return pclntab.find(self.image)
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
            return pclntab.extent(self.image, ft) or ft.size
        except (LinkscopeError, ValueError, IndexError, OverflowError):
            return ft.size

    # -- symbol string tables ------------------------------------------------------------------------
    def _bounded(self, region) -> tuple[int, int] | None:
        if region is None:
            return None
        off, size = region
        size = min(size, self.view.size - off, SCAN_LIMIT)
        return (off, size) if size > 0 else None

    @cached_property
    def _dynstr_region(self) -> tuple[int, int] | None:
        try:
            return self._bounded(self.image.dynamic_strings())
        except LinkscopeError:
            return None

    @cached_property
    def _strtab_region(self) -> tuple[int, int] | None:
        """The static symbol table's strings (ELF .symtab's, Mach-O LC_SYMTAB's)."""
        try:
            return self._bounded(self.image.symbol_strings())
        except LinkscopeError:
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

    def _region_names(self, region, prefix: bytes, suffix: bytes, chars: bytes) -> list[str]:
        """Every string of the region made of ``prefix``, one or more of ``chars``, then ``suffix``
        (the regular expression ``\\0(prefix[chars]+suffix)(?=\\0)``), sorted, once each. Found from
        each ``suffix`` followed by a NUL, back to the NUL before it, at C speed: no regular
        expression, whose module costs more to import than most files cost to inspect."""
        if region is None:
            return []
        off, size = region
        buf, start = self.view.buf, self.view.base + off
        end = start + size
        tail = suffix + b"\0"
        shortest = len(prefix) + 1 + len(suffix)
        out = set()
        pos = buf.find(tail, start, end)
        while pos >= 0:
            stop = pos + len(suffix)
            nul = buf.rfind(b"\0", start, stop)
            if nul >= 0:
                name = bytes(buf[nul + 1:stop])
                if len(name) >= shortest and name.startswith(prefix) and not name.translate(None, chars):
                    out.add(name.decode("ascii"))
            pos = buf.find(tail, stop + 1, end)
        return sorted(out)

    def _region_strings(self, region, part: bytes) -> list[tuple[int, bytes]] | None:
        """(offset in the region, string) of every string of the region that holds ``part`` (no
        NUL in it) and ends with a NUL inside the region, in order. A string with no NUL before it
        starts at the region's start: offset 0, no whole string, though a symbol may point into it.
        One C-speed search for ``part`` however many names holding it are asked about; None past
        MAX_STRINGS strings (then each name is searched for)."""
        if region is None:
            return []
        off, size = region
        buf, start = self.view.buf, self.view.base + off
        end = start + size
        out = []
        pos = buf.find(part, start, end)
        while pos >= 0:
            stop = buf.find(b"\0", pos + len(part), end)
            if stop < 0:
                break
            if len(out) == MAX_STRINGS:
                return None
            first = buf.rfind(b"\0", start, pos) + 1 or start
            out.append((first - start, buf[first:stop]))
            pos = buf.find(part, stop + 1, end)
        return out

    def _table(self, table: str) -> tuple[int, int] | None:
        return self._dynstr_region if table == "dynstr" else self._strtab_region

    @cached_property
    def _scans(self) -> dict:
        return {}

    def _holding(self, table: str, part: bytes | None, name: bytes) -> list[tuple[int, bytes]] | None:
        """:meth:`_region_strings` of the dynamic (``dynstr``) or static (``symtab``) string table
        for ``part``, searched once per table and part; None when there is no part of ``name`` to
        search for (or too many strings hold it)."""
        if part is None or part not in name:
            return None
        key = (table, part)
        if key not in self._scans:
            self._scans[key] = self._region_strings(self._table(table), part)
        return self._scans[key]

    def _whole(self, table: str, name: str, within: bytes | None) -> bool:
        """Whether a string of the table is exactly ``name``: from the strings holding ``within``
        when given, else by a search of its own."""
        want = name.encode()
        strings = self._holding(table, within, want)
        if strings is None:
            return self._region_has(self._table(table), name)
        return any(s == want for at, s in strings if at)

    def dynstr_has(self, name: str, within: bytes | None = None) -> bool:
        """Whether the dynamic string table holds the string ``name``. ``within``, a part of
        ``name``: answered from one search for it, shared with every other name that holds it."""
        return self._whole("dynstr", name, within)

    @property
    def has_symtab(self) -> bool:
        return self._strtab_region is not None

    def symtab_has(self, name: str, within: bytes | None = None) -> bool:
        """Whether the static symbol table names ``name`` (Mach-O names carry their leading '_').
        Linkers share name tails in the string table ("getaddrinfo" inside "__GI_getaddrinfo"), so
        when no string is exactly ``name``, a tail match counts if a symbol points at it. ``within``:
        as for :meth:`dynstr_has`."""
        region = self._strtab_region
        if region is None:
            return False
        if self._whole("symtab", name, within):
            return True
        want = name.encode()
        strings = self._holding("symtab", within, want)
        if strings is not None:
            tails = [at + len(s) - len(want) for at, s in strings if s.endswith(want)]
            return bool(tails) and not self._symtab_name_offsets.isdisjoint(tails)
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
        return self.image.symbol_name_offsets(SCAN_LIMIT)

    def symtab_findall(self, pattern: Rx, hint: bytes | None = None) -> list[str]:
        return self._region_findall(self._strtab_region, pattern, hint)

    def _names(self, table: str, prefix: bytes, suffix: bytes, chars: bytes) -> list[str]:
        """:meth:`_region_names`, from the strings holding ``suffix`` (:meth:`_holding`, shared with
        the names asked about that hold it too) when they are few enough."""
        strings = self._holding(table, suffix, suffix)
        if strings is None:
            return self._region_names(self._table(table), prefix, suffix, chars)
        shortest = len(prefix) + 1 + len(suffix)
        return sorted({s.decode("ascii") for at, s in strings
                       if at and len(s) >= shortest and s.startswith(prefix) and s.endswith(suffix)
                       and not s.translate(None, chars)})

    def dynstr_names(self, prefix: bytes, suffix: bytes, chars: bytes) -> list[str]:
        """Every string of the dynamic string table made of ``prefix``, one or more of ``chars``,
        then ``suffix``, sorted, once each (:meth:`_region_names`)."""
        return self._names("dynstr", prefix, suffix, chars)

    def symtab_names(self, prefix: bytes, suffix: bytes, chars: bytes) -> list[str]:
        """The same of the static symbol table's strings."""
        return self._names("symtab", prefix, suffix, chars)

    # -- imports -----------------------------------------------------------------------------------
    @cached_property
    def imports(self) -> dict[str, str]:
        """Imported function name -> how to quote it as evidence ("getaddrinfo@GLIBC_2.2.5"): the
        image's imported symbols, read in full for Go ELF binaries only (a few dozen); other ELF
        files answer :meth:`imported` through the dynamic string table. What was read before a
        damaged entry is kept."""
        out: dict[str, str] = {}
        if self.format == "elf" and not self.is_go:
            return out
        try:
            for name, label in self.image.imported_symbols():
                out[name] = label
        except (LinkscopeError, *DATA_ERRORS):
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
        """The strings of the .comment section (compiler and linker identification; ELF has one)."""
        s = self.image.file_section(".comment")
        if s is None or not s.size:
            return ()
        try:
            raw = self.view.bytes(s.offset, min(s.size, MAX_COMMENT), ".comment")
        except LinkscopeError:
            return ()
        return tuple(dict.fromkeys(x.decode("utf-8", "replace").strip() for x in raw.split(b"\0") if x.strip()))

    def readonly_find(self, needle: bytes) -> bool:
        """Whether a read-only loaded segment of an ELF file holds ``needle`` (bounded by SCAN_LIMIT)."""
        if self.format != "elf":
            return False
        budget = SCAN_LIMIT
        for p in self.image.load_segments():
            if p.writable or budget <= 0:
                continue
            start = min(p.offset, self.view.size)
            end = min(p.offset + p.filesz, self.view.size, start + budget)
            budget -= end - start
            if self.view.find(needle, start, end) >= 0:
                return True
        return False

    def code_count(self, pattern: Rx, limit: int = 10000, budget: int = SCAN_LIMIT) -> int:
        """How many times ``pattern`` matches in the executable loaded segments of an ELF file
        (bounded by ``budget`` bytes and ``limit`` matches)."""
        if self.format != "elf":
            return 0
        n = 0
        base = self.view.base
        for p in self.image.load_segments():
            if not p.executable or budget <= 0:
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
            return frozenset(self.image.section_names)
        except LinkscopeError:
            return frozenset()
