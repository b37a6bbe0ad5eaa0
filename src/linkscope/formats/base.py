"""The verbs every format image offers, so everything above them is written once."""
from __future__ import annotations

from ..byteview import ByteView
from ..errors import DATA_ERRORS, LinkscopeError, Malformed
from ..model import LoadSegment, OsFloor, ReadWarning, Section
from ..record import record


# Where a file's bytes go (linkscope.analysis.sizes paints these; its docstring defines them).
SIZE_CATEGORIES = ("code", "rodata", "pclntab", "go-metadata", "data", "dynamic", "relocations", "dwarf",
                   "symtab", "headers", "signature", "padding", "other")
# A size region is (start, end, priority, category); where regions overlap the lowest priority wins:
# the headers, then what sits inside a section (Go's table found by its header), then sections, then
# segments (the fallback for a file without section headers).
P_HEADER, P_INNER, P_SECTION, P_SEGMENT = 0, 1, 2, 3
DEBUG_SECTION_PREFIXES = (".debug_", ".zdebug_")


@record
class Relink:
    """How the stripped copy :meth:`Image.strip_saving` predicts would be made."""
    go: bool = False               # a Go binary rebuilt with -ldflags="-s -w" (else: strip)
    go_internal: bool = False      # ... by Go's internal linker
    buildinfo_growth: int = 0      # bytes its module-info text grows by (-s -w joins the recorded -ldflags)
    modinfo: bytes = b""           # that text as it is now, between its sentinels (b"": not read):
                                   # the ELF and Mach-O rules find runtime.modinfo.str by it


def align_up(x: int, a: int) -> int:
    return x if a <= 1 else (x + a - 1) // a * a


class Image:
    """A parsed container. Headers are read eagerly by the format's parser; payload lazily.

    Readers are best-effort: a table that cannot be read costs the fields that come from it, not the
    record. :meth:`attempt` runs one read and turns its failure into a :class:`ReadWarning` naming
    the table; ``warnings`` collects them (each once), and a record with any is partial."""

    format = "unknown"

    def __init__(self, view: ByteView):
        self.view = view
        self.warnings: list[ReadWarning] = []

    # Set by a reader that finds the file cut short (a segment or section past its end): a table
    # that then starts beyond the end is missing because of that, and is reported as truncated.
    truncated = False

    def warn(self, table: str, err: LinkscopeError) -> None:
        kind = err.kind
        if self.truncated and kind == "malformed" and err.offset is not None and err.offset >= self.view.base + self.view.size:
            kind = "truncated"
        w = ReadWarning(kind, table, err.offset, err.message)
        if w not in self.warnings:
            self.warnings.append(w)

    def budget(self, count: int, limit: int, table: str, what: str, offset: int | None) -> int:
        """``count`` entries of a table, or ``limit`` when there are more (with a warning on ``table``:
        the record is partial, the rest of the table not read)."""
        if count <= limit:
            return count
        self.warn(table, Malformed(f"{count} {what}, more than the {limit} read; the others not read", offset=offset))
        return limit

    def attempt(self, table: str, fn, default=None):
        """``fn()``, or ``default`` (with a warning on ``table``) when the bytes it reads are damaged."""
        try:
            return fn()
        except LinkscopeError as e:
            self.warn(table, e)
        except DATA_ERRORS as e:
            self.warn(table, Malformed(f"malformed data ({type(e).__name__}: {e})"))
        return default

    def facts(self, summary: bool = False) -> dict:
        """The Binary fields this format decides (arch, linkage, needed, ...). ``summary``: the
        format may leave out (at their defaults) fields the one-line output does not show."""
        raise NotImplementedError

    def sections(self) -> list[Section]:
        return []

    # -- the shared verbs: what the layers above read, whatever the format --------------------------
    def load_segments(self) -> tuple[LoadSegment, ...]:
        """What the loader maps from the file (none where no loader maps one: wasm, scripts)."""
        return ()

    def offset_to_vaddr(self, off: int) -> int | None:
        """The virtual address the loader maps file offset ``off`` to, or None."""
        for s in self.load_segments():
            if s.filesz and s.offset <= off < s.offset + s.filesz:
                return s.vaddr + (off - s.offset)
        return None

    # symbols: where their names are, for the C-speed searches of linkscope.analysis.evidence
    def imported_symbols(self):
        """Yields (name, label) for each function the file takes from a shared library, the label as
        the format writes it: ELF "getaddrinfo@GLIBC_2.2.5" (undefined dynamic symbols), Mach-O
        "_getaddrinfo" (undefined symbols; the name without its '_'), PE "getaddrinfo (ws2_32.dll)"."""
        return iter(())

    def dynamic_strings(self) -> tuple[int, int] | None:
        """(file offset, size) of the strings the dynamic loader reads names from (ELF's DT_STRTAB)."""
        return None

    def symbol_strings(self) -> tuple[int, int] | None:
        """(file offset, size) of the static symbol table's strings (ELF .symtab's, Mach-O LC_SYMTAB's)."""
        return None

    def symbol_name_offsets(self, limit: int) -> frozenset[int]:
        """Where in :meth:`symbol_strings` each static symbol's name starts (at most ``limit`` bytes
        of the table read); empty when the format does not say."""
        return frozenset()

    @property
    def section_names(self) -> tuple[str, ...]:
        return tuple(s.name for s in self.sections())

    def os_floor(self) -> OsFloor | None:
        """The oldest operating system the file's headers name (an ELF ABI-tag note, Mach-O's
        minimum OS, a PE subsystem version), or None."""
        return None

    def file_section(self, name: str) -> Section | None:
        """The section the format knows by ``name`` (an ELF or PE section name, a Mach-O sectname in
        any segment), or None; its ``size`` counts only bytes in the file."""
        return None

    # An executable no loader starts, whose own start-up code applies its relocations (an ELF
    # static-pie): nothing in it is bound lazily.
    self_relocating = False

    # -- where the bytes go, what stripping saves -------------------------------------------------
    def size_regions(self, functab=None) -> list[tuple[int, int, int, str]] | None:
        """The file's regions (start, end, priority, category), or None where the format does not
        say (everything is "other"). ``functab`` gives (offset, size) of Go's function table when
        called; a format calls it only where no section names the table."""
        return None

    # The external linkers (as analysis.linker names them) whose -s -w relink of a Go binary
    # strip_saving replays, besides Go's own: another lays the file out again by rules not followed here.
    GO_RELINKERS: frozenset[str] = frozenset()

    def strip_saving(self, relink: Relink) -> int | None:
        """Bytes a copy made as ``relink`` says would be smaller (the linker's layout replayed without
        the symbol table and debug info); None when there is nothing to strip or the format's
        layout rules are not known."""
        return None

    # -- the two-method interface Go build info is read through ---------------------------------
    def go_data_start(self) -> tuple[int, int] | None:
        """(virtual address, size) of the region where Go's build info blob may start."""
        return None

    def vaddr_span(self, addr: int, size: int) -> tuple[int, int] | None:
        """(file offset, length) of up to ``size`` bytes of the file mapped at virtual address
        ``addr`` (fewer at the end of the mapping), or None when no file-backed region maps ``addr``."""
        return None

    def read_vaddr(self, addr: int, size: int) -> bytes | None:
        """The bytes :meth:`vaddr_span` locates (bounds-checked), or None."""
        span = self.vaddr_span(addr, size)
        if span is None:
            return None
        off, n = span
        return self.view.bytes(off, n, "mapped data") if n else b""
