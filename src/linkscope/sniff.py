"""Which container format a file is, from its first bytes."""
from __future__ import annotations

ELF, MACHO, UNIVERSAL, PE, WASM, COFF = "elf", "macho", "macho-universal", "pe", "wasm", "coff"

_MACHO_MAGICS = {b"\xfe\xed\xfa\xce", b"\xce\xfa\xed\xfe", b"\xfe\xed\xfa\xcf", b"\xcf\xfa\xed\xfe"}
# COFF object machine numbers (IMAGE_FILE_MACHINE_*), little-endian, at offset 0 of a .obj.
_COFF_MACHINES = {0x14C, 0x8664, 0x1C0, 0x1C4, 0xAA64, 0x200, 0x5064, 0x6264, 0x9041, 0xA641}


def sniff(head: bytes) -> str | None:
    """The format of a file starting with ``head`` (at least 64 bytes when the file has them)."""
    m4 = head[:4]
    if m4 == b"\x7fELF":
        return ELF
    if m4 in _MACHO_MAGICS:
        return MACHO
    if m4 in (b"\xca\xfe\xba\xbe", b"\xca\xfe\xba\xbf"):
        # Java class files share 0xCAFEBABE; a fat header's arch count is small, a class file's
        # major version (same bytes) is 45 or more.
        if len(head) >= 8 and int.from_bytes(head[4:8], "big") < 45:
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
