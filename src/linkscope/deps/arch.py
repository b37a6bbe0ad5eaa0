"""Per-machine facts the loaders build in: Debian multiarch triplets, the lib/lib64 convention,
the ld.so.cache flags an entry needs to be usable, and the generic ``$PLATFORM`` value.

Machines are identified as ELF does: (e_machine, ELF class in bits, little-endian, e_flags).
Sources: glibc sysdeps/*/dl-cache.h and sysdeps/generic/ldconfig.h (cache flags),
Debian's multiarch tuples (https://wiki.debian.org/Multiarch/Tuples), the kernels' AT_PLATFORM.
"""
from __future__ import annotations

EM_386, EM_68K, EM_MIPS, EM_PARISC, EM_PPC, EM_PPC64, EM_S390 = 3, 4, 8, 15, 20, 21, 22
EM_ARM, EM_SH, EM_SPARCV9, EM_IA_64, EM_X86_64, EM_AARCH64 = 40, 42, 43, 50, 62, 183
EM_RISCV, EM_LOONGARCH, EM_ALPHA = 243, 258, 0x9026

EF_ARM_ABI_FLOAT_HARD = 0x400
EF_RISCV_FLOAT_ABI = 0x6
EF_RISCV_FLOAT_ABI_DOUBLE = 0x4
EF_MIPS_ABI2 = 0x20          # n32
EF_MIPS_NAN2008 = 0x400
EF_LARCH_ABI_MODIFIER = 0x7  # 3: double float

# ld.so.cache entry flags (glibc sysdeps/generic/ldconfig.h)
FLAG_ELF, FLAG_ELF_LIBC6 = 0x1, 0x3
FLAG_SPARC_LIB64, FLAG_IA64_LIB64, FLAG_X8664_LIB64, FLAG_S390_LIB64 = 0x100, 0x200, 0x300, 0x400
FLAG_POWERPC_LIB64, FLAG_MIPS64_LIBN32, FLAG_MIPS64_LIBN64, FLAG_X8664_LIBX32 = 0x500, 0x600, 0x700, 0x800
FLAG_ARM_LIBHF, FLAG_AARCH64_LIB64, FLAG_ARM_LIBSF = 0x900, 0xA00, 0xB00
FLAG_MIPS_LIB32_NAN2008, FLAG_MIPS64_LIBN32_NAN2008, FLAG_MIPS64_LIBN64_NAN2008 = 0xC00, 0xD00, 0xE00
FLAG_RISCV_FLOAT_ABI_SOFT, FLAG_RISCV_FLOAT_ABI_DOUBLE = 0xF00, 0x1000
FLAG_LARCH_FLOAT_ABI_SOFT, FLAG_LARCH_FLOAT_ABI_DOUBLE = 0x1100, 0x1200


def triplet(machine: int, bits: int, little: bool, eflags: int = 0) -> str | None:
    """The Debian multiarch tuple ("x86_64-linux-gnu"), None for machines Debian has none for."""
    if machine == EM_X86_64:
        return "x86_64-linux-gnu" if bits == 64 else "x86_64-linux-gnux32"
    if machine == EM_386:
        return "i386-linux-gnu"
    if machine == EM_AARCH64:
        return "aarch64-linux-gnu" if little else "aarch64_be-linux-gnu"
    if machine == EM_ARM:
        return "arm-linux-gnueabihf" if eflags & EF_ARM_ABI_FLOAT_HARD else "arm-linux-gnueabi"
    if machine == EM_PPC64:
        return "powerpc64le-linux-gnu" if little else "powerpc64-linux-gnu"
    if machine == EM_PPC:
        return "powerpc-linux-gnu"
    if machine == EM_S390:
        return "s390x-linux-gnu" if bits == 64 else "s390-linux-gnu"
    if machine == EM_RISCV:
        return "riscv64-linux-gnu" if bits == 64 else None
    if machine == EM_MIPS:
        if bits == 64:
            return "mips64el-linux-gnuabi64" if little else "mips64-linux-gnuabi64"
        if eflags & EF_MIPS_ABI2:
            return "mips64el-linux-gnuabin32" if little else "mips64-linux-gnuabin32"
        return "mipsel-linux-gnu" if little else "mips-linux-gnu"
    if machine == EM_LOONGARCH:
        return "loongarch64-linux-gnu" if bits == 64 else None
    if machine == EM_SPARCV9:
        return "sparc64-linux-gnu"
    return {EM_68K: "m68k-linux-gnu", EM_ALPHA: "alpha-linux-gnu", EM_IA_64: "ia64-linux-gnu",
            EM_SH: "sh4-linux-gnu", EM_PARISC: "hppa-linux-gnu"}.get(machine)


def lib_dir_name(machine: int, bits: int, eflags: int = 0) -> str:
    """The non-multiarch library directory name glibc uses ("lib64", "lib", "lib64/lp64d")."""
    if bits != 64:
        if machine == EM_X86_64:
            return "libx32"
        if machine == EM_MIPS and eflags & EF_MIPS_ABI2:
            return "lib32"
        return "lib"
    if machine == EM_RISCV:
        return "lib64/lp64d" if eflags & EF_RISCV_FLOAT_ABI == EF_RISCV_FLOAT_ABI_DOUBLE else "lib64/lp64"
    if machine == EM_ALPHA:
        return "lib"
    return "lib64"


def cache_flags(machine: int, bits: int, eflags: int = 0) -> frozenset[int]:
    """The ld.so.cache entry flags glibc's loader for this machine accepts (_dl_cache_check_flags)."""
    if machine == EM_X86_64:
        return frozenset({FLAG_X8664_LIB64 | FLAG_ELF_LIBC6} if bits == 64 else {FLAG_X8664_LIBX32 | FLAG_ELF_LIBC6})
    if machine == EM_AARCH64:
        return frozenset({FLAG_AARCH64_LIB64 | FLAG_ELF_LIBC6} if bits == 64 else {FLAG_ELF_LIBC6})
    if machine == EM_ARM:
        if eflags & EF_ARM_ABI_FLOAT_HARD:
            return frozenset({FLAG_ARM_LIBHF | FLAG_ELF_LIBC6})
        return frozenset({FLAG_ARM_LIBSF | FLAG_ELF_LIBC6, FLAG_ELF_LIBC6, FLAG_ELF})
    if machine == EM_PPC64:
        return frozenset({FLAG_POWERPC_LIB64 | FLAG_ELF_LIBC6})
    if machine == EM_S390 and bits == 64:
        return frozenset({FLAG_S390_LIB64 | FLAG_ELF_LIBC6})
    if machine == EM_SPARCV9:
        return frozenset({FLAG_SPARC_LIB64 | FLAG_ELF_LIBC6})
    if machine == EM_IA_64:
        return frozenset({FLAG_IA64_LIB64 | FLAG_ELF_LIBC6})
    if machine == EM_RISCV and bits == 64:
        if eflags & EF_RISCV_FLOAT_ABI == EF_RISCV_FLOAT_ABI_DOUBLE:
            return frozenset({FLAG_RISCV_FLOAT_ABI_DOUBLE | FLAG_ELF_LIBC6})
        return frozenset({FLAG_RISCV_FLOAT_ABI_SOFT | FLAG_ELF_LIBC6})
    if machine == EM_LOONGARCH:
        if eflags & EF_LARCH_ABI_MODIFIER == 3:
            return frozenset({FLAG_LARCH_FLOAT_ABI_DOUBLE | FLAG_ELF_LIBC6})
        return frozenset({FLAG_LARCH_FLOAT_ABI_SOFT | FLAG_ELF_LIBC6})
    if machine == EM_MIPS:
        nan = bool(eflags & EF_MIPS_NAN2008)
        if bits == 64:
            return frozenset({(FLAG_MIPS64_LIBN64_NAN2008 if nan else FLAG_MIPS64_LIBN64) | FLAG_ELF_LIBC6})
        if eflags & EF_MIPS_ABI2:
            return frozenset({(FLAG_MIPS64_LIBN32_NAN2008 if nan else FLAG_MIPS64_LIBN32) | FLAG_ELF_LIBC6})
        return frozenset({FLAG_MIPS_LIB32_NAN2008 | FLAG_ELF_LIBC6} if nan else {FLAG_ELF_LIBC6, FLAG_ELF})
    # The generic rule (sysdeps/generic/dl-cache.h): a plain ELF or libc6 entry.
    return frozenset({FLAG_ELF, FLAG_ELF_LIBC6})


def generic_platform(machine: int, bits: int, little: bool) -> str | None:
    """AT_PLATFORM as the kernel of that machine reports it, for binaries not of the host CPU."""
    if machine == EM_X86_64:
        return "x86_64"
    if machine == EM_386:
        return "i686"
    if machine == EM_AARCH64:
        return "aarch64" if little else "aarch64_be"
    if machine == EM_ARM:
        return "v7l" if little else "v7b"
    if machine == EM_S390:
        return "s390x" if bits == 64 else "s390"
    if machine == EM_RISCV:
        return None  # the riscv kernel passes no AT_PLATFORM
    if machine == EM_LOONGARCH:
        return "loongarch"
    if machine == EM_MIPS:
        return None
    if machine in (EM_PPC, EM_PPC64):
        return None  # the CPU model ("power9"): not knowable from the file
    return None


# musl's LDSO_ARCH names (arch/*/reloc.h), for /etc/ld-musl-$ARCH.path when the interpreter's own
# name does not say (it always does for musl's ld-musl-$ARCH.so.1).
def musl_arch_from_interp(interp: str) -> str | None:
    base = interp.rsplit("/", 1)[-1]
    if base.startswith("ld-musl-") and base.endswith(".so.1"):
        return base[len("ld-musl-"):-len(".so.1")] or None
    return None


def default_interpreter(machine: int, bits: int, little: bool, eflags: int = 0, libc: str = "glibc") -> str | None:
    """The program interpreter a toolchain writes for that machine: the loader any process that
    loads a library of that machine runs under (what ldd lists for a library)."""
    if libc == "musl":
        arch = {EM_X86_64: "x86_64" if bits == 64 else "x32", EM_386: "i386", EM_AARCH64: "aarch64",
                EM_RISCV: "riscv64", EM_S390: "s390x", EM_LOONGARCH: "loongarch64"}.get(machine)
        if machine == EM_ARM:
            arch = "armhf" if eflags & EF_ARM_ABI_FLOAT_HARD else "arm"
        elif machine == EM_PPC64:
            arch = "powerpc64le" if little else "powerpc64"
        elif machine == EM_MIPS:
            arch = ("mips64" if bits == 64 else "mips") + ("el" if little else "")
        return f"/lib/ld-musl-{arch}.so.1" if arch else None
    if machine == EM_X86_64:
        return "/lib64/ld-linux-x86-64.so.2" if bits == 64 else "/libx32/ld-linux-x32.so.2"
    if machine == EM_AARCH64:
        return "/lib/ld-linux-aarch64.so.1" if little else "/lib/ld-linux-aarch64_be.so.1"
    if machine == EM_ARM:
        return "/lib/ld-linux-armhf.so.3" if eflags & EF_ARM_ABI_FLOAT_HARD else "/lib/ld-linux.so.3"
    if machine == EM_PPC64:
        return "/lib64/ld64.so.2" if little else "/lib64/ld64.so.1"
    if machine == EM_S390:
        return "/lib/ld64.so.1" if bits == 64 else "/lib/ld.so.1"
    if machine == EM_RISCV and bits == 64:
        return "/lib/ld-linux-riscv64-lp64d.so.1" if eflags & EF_RISCV_FLOAT_ABI == EF_RISCV_FLOAT_ABI_DOUBLE \
            else "/lib/ld-linux-riscv64-lp64.so.1"
    if machine == EM_MIPS:
        return "/lib64/ld.so.1" if bits == 64 else ("/lib32/ld.so.1" if eflags & EF_MIPS_ABI2 else "/lib/ld.so.1")
    if machine == EM_LOONGARCH:
        return "/lib64/ld-linux-loongarch-lp64d.so.1"
    return {EM_386: "/lib/ld-linux.so.2", EM_PPC: "/lib/ld.so.1", EM_SPARCV9: "/lib64/ld-linux.so.2",
            EM_ALPHA: "/lib/ld-linux.so.2", EM_IA_64: "/lib/ld-linux-ia64.so.2", EM_68K: "/lib/ld.so.1",
            EM_SH: "/lib/ld-linux.so.2", EM_PARISC: "/lib/ld.so.1"}.get(machine)
