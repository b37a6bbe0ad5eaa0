"""Which container format a file is, from its first bytes."""
from __future__ import annotations

ELF, MACHO, UNIVERSAL, PE, WASM, COFF = "elf", "macho", "macho-universal", "pe", "wasm", "coff"
SCRIPT, ARCHIVE = "script", "archive"
# Formats that are not binaries: identified in one line, never an error (formats/script.py,
# formats/archive.py, formats/text.py). Everything the sniffer does not recognise is text or data.
# A directory named without -r is "directory" (as file(1) says); `check` fails it (see check.py).
NON_BINARY = frozenset({SCRIPT, ARCHIVE, "linker-script", "text", "data", "directory"})
_NAMES = {ELF: "ELF", MACHO: "Mach-O", UNIVERSAL: "a universal Mach-O", PE: "PE", WASM: "wasm", COFF: "COFF"}

_MACHO_MAGICS = {b"\xfe\xed\xfa\xce", b"\xce\xfa\xed\xfe", b"\xfe\xed\xfa\xcf", b"\xcf\xfa\xed\xfe"}
# COFF object machine numbers (IMAGE_FILE_MACHINE_*), little-endian, at offset 0 of a .obj.
_COFF_MACHINES = {0x14C, 0x8664, 0x1C0, 0x1C4, 0xAA64, 0x200, 0x5064, 0x6264, 0x9041, 0xA641}


def sniff(head: bytes) -> str | None:
    """The format of a file starting with ``head`` (at least 64 bytes when the file has them)."""
    m4 = head[:4]
    if m4 == b"\x7fELF":
        return ELF
    if head[:2] == b"#!":
        return SCRIPT
    if head[:8] in (b"!<arch>\n", b"!<thin>\n"):
        return ARCHIVE
    if m4 in _MACHO_MAGICS:
        return MACHO
    if m4 in (b"\xca\xfe\xba\xbe", b"\xca\xfe\xba\xbf"):
        # Java class files share 0xCAFEBABE; a fat header's arch count is small, a class file's
        # major version (same bytes) is 45 or more. 0xCAFEBABF is no class file's: always fat.
        if m4 == b"\xca\xfe\xba\xbf" or len(head) >= 8 and int.from_bytes(head[4:8], "big") < 45:
            return UNIVERSAL
        return None
    if m4 == b"\0asm":
        return WASM
    if head[:2] == b"MZ":
        return PE
    if len(head) >= 20 and int.from_bytes(head[:2], "little") in _COFF_MACHINES:
        # An object file has no signature: require a plausible section count and optional header size.
        nsec = int.from_bytes(head[2:4], "little")
        opt = int.from_bytes(head[16:18], "little")
        if 0 < nsec < 4096 and opt in (0, 0xE0, 0xF0):
            return COFF
    return None


def _min_size(kind: str, head: bytes) -> int:
    if kind == ELF:
        return 64 if head[4:5] == b"\x02" else 52      # the ELF64 / ELF32 file header
    if kind == MACHO:
        return 32 if head[:4] in (b"\xfe\xed\xfa\xcf", b"\xcf\xfa\xed\xfe") else 28
    if kind == UNIVERSAL:
        return 8
    if kind == PE:
        return 64                                         # the MS-DOS header, e_lfanew at 0x3c
    if kind == WASM:
        return 8                                          # magic and version
    if kind == COFF:
        return 20
    return 0


def too_short(kind: str, head: bytes, size: int) -> str | None:
    """"too short to be ELF (4 bytes)" when a file of ``size`` bytes starting with ``head`` cannot
    hold the fixed header of the format its magic names, else None."""
    need = _min_size(kind, head)
    if size >= need:
        return None
    return f"too short to be {_NAMES.get(kind, kind)} ({size} byte{'' if size == 1 else 's'}; its header is {need})"


# ELF e_type / Mach-O filetype values of files a loader maps: executables and shared objects (and
# Mach-O bundles and dyld itself), not relocatable objects, core dumps or dSYM companions.
_ELF_LOADABLE = {2, 3}                     # ET_EXEC, ET_DYN
_MACHO_LOADABLE = {2, 6, 7, 8}             # MH_EXECUTE, MH_DYLIB, MH_DYLINKER, MH_BUNDLE


def loadable(head: bytes) -> bool:
    """Whether a file starting with ``head`` (its first 64 bytes) is an executable or a shared
    object: what ``scan`` reports. Objects, archives, scripts and everything else are not."""
    kind = sniff(head)
    if kind == ELF:
        if len(head) < 18:
            return False
        return int.from_bytes(head[16:18], "little" if head[5:6] != b"\x02" else "big") in _ELF_LOADABLE
    if kind == MACHO:
        if len(head) < 16:
            return False
        order = "big" if head[:4] in (b"\xfe\xed\xfa\xce", b"\xfe\xed\xfa\xcf") else "little"
        return int.from_bytes(head[12:16], order) in _MACHO_LOADABLE
    return kind in (UNIVERSAL, PE, WASM)
