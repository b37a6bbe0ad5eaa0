"""The verbs every format image offers, so everything above them is written once."""
from __future__ import annotations

from ..byteview import ByteView
from ..model import Section


class Image:
    """A parsed container. Headers are read eagerly by the format's parser; payload lazily."""

    format = "unknown"

    def __init__(self, view: ByteView):
        self.view = view

    def facts(self) -> dict:
        """The Binary fields this format decides (arch, linkage, needed, ...)."""
        raise NotImplementedError

    def sections(self) -> list[Section]:
        return []

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
