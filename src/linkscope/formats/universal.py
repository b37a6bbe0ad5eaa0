"""Universal ("fat") Mach-O: a big-endian table of slices, each a whole Mach-O image.

The header and its table are checked up front (FAT_MAGIC with 20-byte entries, FAT_MAGIC_64 with
32-byte ones; ``nfat_arch`` at least 1, at most :data:`MAX_FAT_ARCHES`, and the table inside the
file). Each slice is then parsed on its own sub-view: a slice that fails (its range past the end
of the file, overlapping the table, not a Mach-O image, or a CPU different from its table entry,
as the kernel checks) becomes a :class:`~linkscope.errors.LinkscopeError` *in* ``slices`` so the
other slices still report.

Facts: a universal file has no single arch, word size or byte order (``None``); ``os``, ``type`` and
``linkage`` are given when every parsed slice agrees, else ``None``; libraries, paths, IDs and
strip state are per slice (empty or ``None`` here; the per-slice records carry them).
"""
from __future__ import annotations

import struct
from ..record import record

from ..byteview import ByteView
from ..errors import LinkscopeError, Malformed, Truncated
from .base import Image
from .macho import MachOImage, arch_name

FAT_MAGIC, FAT_MAGIC_64 = 0xCAFEBABE, 0xCAFEBABF
# Real files hold a handful of slices; the CPU types Apple has ever defined are fewer than 30.
MAX_FAT_ARCHES = 256

_ARCH32 = struct.Struct(">IIIII")
_ARCH64 = struct.Struct(">IIQQII")


@record
class FatArch:
    cputype: int
    cpusubtype: int
    offset: int
    size: int
    align: int

    @property
    def arch(self) -> str:
        return arch_name(self.cputype, self.cpusubtype)


class UniversalImage(Image):
    format = "macho-universal"

    def __init__(self, view: ByteView):
        super().__init__(view)
        self.view = v = view.with_endian(False)
        if v.size < 8:
            raise Truncated("fat header needs 8 bytes", offset=v.base)
        self.magic = v.u32(0)
        if self.magic not in (FAT_MAGIC, FAT_MAGIC_64):
            raise Malformed(f"bad fat magic {self.magic:#x}", offset=v.base)
        n = v.u32(4)
        if n == 0:
            raise Malformed("universal file with no slices", offset=v.base + 4)
        if n > MAX_FAT_ARCHES:
            raise Malformed(f"{n} slices declared, more than the {MAX_FAT_ARCHES} accepted", offset=v.base + 4)
        st = _ARCH64 if self.magic == FAT_MAGIC_64 else _ARCH32
        v.check_array(8, n, st.size, "fat architecture table")
        table_end = 8 + n * st.size
        arches = []
        for i in range(n):
            rec = v.unpack(st, 8 + i * st.size)
            arches.append(FatArch(rec[0], rec[1], rec[2], rec[3], rec[4]))
        self.arches: tuple[FatArch, ...] = tuple(arches)
        self.slices: list[MachOImage | LinkscopeError] = [self._slice(i, a, table_end) for i, a in enumerate(arches)]

    def _slice(self, i: int, a: FatArch, table_end: int) -> MachOImage | LinkscopeError:
        v = self.view
        where = v.base + 8 + i * (32 if self.magic == FAT_MAGIC_64 else 20)
        try:
            if a.offset < table_end:
                raise Malformed(f"slice {i} ({a.arch}) at {a.offset:#x} overlaps the fat header", offset=where)
            sub = v.sub(a.offset, a.size, f"slice {i} ({a.arch})")
            image = MachOImage(sub)
            if image.cputype != a.cputype:
                raise Malformed(f"slice {i} is {image.arch} but the fat header says {a.arch}", offset=sub.base)
            return image
        except LinkscopeError as e:
            if e.path is None:
                e.path = v.path
            return e

    @property
    def images(self) -> list[MachOImage]:
        """The slices that parsed."""
        return [s for s in self.slices if isinstance(s, MachOImage)]

    def _agreed(self, attr: str):
        values = {getattr(s, attr) for s in self.images}
        return values.pop() if len(values) == 1 else None

    def facts(self, summary: bool = False) -> dict:
        return dict(
            format="macho-universal", arch=None, bits=None, endian=None,
            os=self._agreed("os_name"), type=self._agreed("macho_type"), linkage=self._agreed("linkage"),
            interpreter=None, needed=(), rpath=(), runpath=(), soname=None,
            stripped=None, debug_info=None, gnu_build_id=None, go_build_id=None,
        )


def parse(view: ByteView) -> UniversalImage:
    return UniversalImage(view)
