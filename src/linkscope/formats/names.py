"""Names of the integer constants the formats define, for messages and readers: a known value by its
name (``SHT_PROGBITS``); an unknown one inside a range the format reserves by that range's base and
the offset (``SHT_LOOS+0x5``, as readelf prints it); any other by the family's prefix and hex
(``SHT_0x30``). Nothing raises for a value a file holds."""
from __future__ import annotations


class Names:
    __slots__ = ("prefix", "names", "ranges")

    def __init__(self, prefix: str, names: dict[int, str], ranges: tuple[tuple[int, int, str], ...] = ()):
        self.prefix, self.names, self.ranges = prefix, names, ranges

    def __call__(self, value: int) -> str:
        name = self.names.get(value)
        if name is not None:
            return name
        for lo, hi, base in self.ranges:
            if lo <= value <= hi:
                return f"{base}+{value - lo:#x}" if value != lo else base
        return f"{self.prefix}{value:#x}"


def _named(prefix: str, table: dict[int, str]) -> dict[int, str]:
    return {k: prefix + v for k, v in table.items()}


# ELF (elf.h)
SHT = Names("SHT_", _named("SHT_", {
    0: "NULL", 1: "PROGBITS", 2: "SYMTAB", 3: "STRTAB", 4: "RELA", 5: "HASH", 6: "DYNAMIC", 7: "NOTE",
    8: "NOBITS", 9: "REL", 10: "SHLIB", 11: "DYNSYM", 14: "INIT_ARRAY", 15: "FINI_ARRAY", 16: "PREINIT_ARRAY",
    17: "GROUP", 18: "SYMTAB_SHNDX", 19: "RELR", 0x6FFFFFF5: "GNU_ATTRIBUTES", 0x6FFFFFF6: "GNU_HASH",
    0x6FFFFFF7: "GNU_LIBLIST", 0x6FFFFFF8: "CHECKSUM", 0x6FFFFFFD: "GNU_verdef", 0x6FFFFFFE: "GNU_verneed",
    0x6FFFFFFF: "GNU_versym", 0x70000001: "X86_64_UNWIND"}),
    ((0x60000000, 0x6FFFFFFF, "SHT_LOOS"), (0x70000000, 0x7FFFFFFF, "SHT_LOPROC"),
     (0x80000000, 0xFFFFFFFF, "SHT_LOUSER")))

PT = Names("PT_", _named("PT_", {
    0: "NULL", 1: "LOAD", 2: "DYNAMIC", 3: "INTERP", 4: "NOTE", 5: "SHLIB", 6: "PHDR", 7: "TLS",
    0x6474E550: "GNU_EH_FRAME", 0x6474E551: "GNU_STACK", 0x6474E552: "GNU_RELRO", 0x6474E553: "GNU_PROPERTY",
    0x6474E554: "GNU_SFRAME"}),
    ((0x60000000, 0x6FFFFFFF, "PT_LOOS"), (0x70000000, 0x7FFFFFFF, "PT_LOPROC")))

DT = Names("DT_", _named("DT_", {
    0: "NULL", 1: "NEEDED", 2: "PLTRELSZ", 3: "PLTGOT", 4: "HASH", 5: "STRTAB", 6: "SYMTAB", 7: "RELA",
    8: "RELASZ", 9: "RELAENT", 10: "STRSZ", 11: "SYMENT", 12: "INIT", 13: "FINI", 14: "SONAME", 15: "RPATH",
    16: "SYMBOLIC", 17: "REL", 18: "RELSZ", 19: "RELENT", 20: "PLTREL", 21: "DEBUG", 22: "TEXTREL",
    23: "JMPREL", 24: "BIND_NOW", 25: "INIT_ARRAY", 26: "FINI_ARRAY", 27: "INIT_ARRAYSZ", 28: "FINI_ARRAYSZ",
    29: "RUNPATH", 30: "FLAGS", 32: "PREINIT_ARRAY", 33: "PREINIT_ARRAYSZ", 34: "SYMTAB_SHNDX", 35: "RELRSZ",
    36: "RELR", 37: "RELRENT", 0x6FFFFEF5: "GNU_HASH", 0x6FFFFFF0: "VERSYM", 0x6FFFFFF9: "RELACOUNT",
    0x6FFFFFFA: "RELCOUNT", 0x6FFFFFFB: "FLAGS_1", 0x6FFFFFFC: "VERDEF", 0x6FFFFFFD: "VERDEFNUM",
    0x6FFFFFFE: "VERNEED", 0x6FFFFFFF: "VERNEEDNUM"}),
    ((0x6000000D, 0x6FFFF000, "DT_LOOS"), (0x70000000, 0x7FFFFFFF, "DT_LOPROC")))
