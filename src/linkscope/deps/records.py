"""The records of dependency resolution: the environment it runs in and the answer it gives.

All frozen and slotted; they compare by value, so tests state whole expected answers.
"""
from __future__ import annotations

from ..record import record

from ..model import ErrorInfo

# Why a library was found where it was (the ``via`` field). One vocabulary for every format.
VIA_INTERPRETER = "interpreter"        # the program interpreter itself (PT_INTERP; musl's libc.so names it too)
VIA_DIRECT = "direct"                  # a needed name containing a slash, used as a path
VIA_RPATH = "rpath"                    # DT_RPATH of the object or of an object up its loader chain; Mach-O @rpath
VIA_LD_LIBRARY_PATH = "ld-library-path"
VIA_RUNPATH = "runpath"                # DT_RUNPATH of the object that needs it
VIA_CACHE = "ld.so.cache"
VIA_CONF = "ld.so.conf"                # no usable ld.so.cache: the directories ld.so.conf lists, in order
VIA_DEFAULT = "default"                # the loader's built-in directories
VIA_MUSL_PATH = "ld-musl-path"         # /etc/ld-musl-$ARCH.path
VIA_NOT_FOUND = "not-found"
# Mach-O
VIA_EXECUTABLE_PATH = "executable-path"
VIA_LOADER_PATH = "loader-path"
VIA_FALLBACK = "fallback"              # dyld's default fallback directories, by leaf name
VIA_SHARED_CACHE = "dyld-shared-cache"
VIA_WEAK_NOT_FOUND = "weak-not-found"  # LC_LOAD_WEAK_DYLIB whose library is absent: dyld carries on
# PE
VIA_APPLICATION_DIR = "application-dir"
VIA_SYSTEM_DIR = "system-dir"          # <root>/Windows/System32 or <root>/Windows
VIA_WINDOWS_SYSTEM = "windows-system"  # a DLL Windows itself provides (kernel32, ntdll, ...)
VIA_API_SET = "api-set"                # api-ms-win-* / ext-ms-win-*: resolved by the OS's API set schema

VIAS = (VIA_INTERPRETER, VIA_DIRECT, VIA_RPATH, VIA_LD_LIBRARY_PATH, VIA_RUNPATH, VIA_CACHE, VIA_CONF,
        VIA_DEFAULT, VIA_MUSL_PATH, VIA_NOT_FOUND, VIA_EXECUTABLE_PATH, VIA_LOADER_PATH, VIA_FALLBACK,
        VIA_SHARED_CACHE, VIA_WEAK_NOT_FOUND, VIA_APPLICATION_DIR, VIA_SYSTEM_DIR, VIA_WINDOWS_SYSTEM,
        VIA_API_SET)


@record
class HostCpu:
    """What the loader learns from the CPU it runs on; it applies only to binaries of this machine.

    ``platform`` is what ``$PLATFORM`` expands to (glibc's dl_platform: AT_PLATFORM, or "haswell" /
    "xeon_phi" on capable Intel CPUs before glibc 2.37); ``hwcaps`` the glibc-hwcaps subdirectories the
    CPU supports, best first ("x86-64-v4", ...); ``legacy_hwcaps`` the legacy subdirectory components
    in path order (("tls", "haswell", "avx512_1", "x86_64") on such a CPU, glibc < 2.37 only).
    """

    machine: int                       # e_machine
    bits: int
    platform: str | None = None
    hwcaps: tuple[str, ...] = ()
    legacy_hwcaps: tuple[str, ...] = ()


@record
class Env:
    """Everything resolution depends on besides the files; built once at the CLI edge.

    ``root`` is the host directory the target filesystem lives in ("/" for this machine): every path
    the loader would open (interpreter, configuration, cache, libraries, symlink targets) is taken
    inside it. ``ld_library_path`` is the raw LD_LIBRARY_PATH value (None: unset), split as glibc
    splits it (":" and ";"). ``secure``: None decides per input from its set-uid/set-gid bits and file
    capabilities, True/False force it. ``cwd`` is the current directory, inside the root, for empty
    and relative search-path entries. ``host`` describes the CPU for ``$PLATFORM`` and hwcaps
    subdirectories; binaries of another machine get the machine's generic platform name and no hwcaps.
    """

    root: str = "/"
    ld_library_path: str | None = None
    secure: bool | None = None
    cwd: str = "/"
    host: HostCpu | None = None
    max_objects: int = 4096            # a closure larger than this is cut short with a diagnostic (10x a real one)


@record
class Interpreter:
    name: str                          # as the binary names it (PT_INTERP, LC_LOAD_DYLINKER)
    path: str | None                   # the same path when it exists inside the root, else None
    realpath: str | None = None


@record
class Library:
    name: str                          # as the needing object names it (DT_NEEDED, load command, import)
    path: str | None                   # as the loader opens it, inside the root (None: not found / OS-provided)
    realpath: str | None               # canonical, inside the root
    via: str                           # one of VIAS
    needed_by: tuple[str, ...]         # the names of the objects that need it (the input: its path)
    depth: int                         # 1 for direct needs; breadth-first distance from the input
    needs: tuple[int, ...] = ()        # indexes into Result.libraries of what it needs, in its own order


@record
class Result:
    path: str
    error: ErrorInfo | None = None
    format: str | None = None
    rules: str | None = None           # "glibc", "musl", "dyld", "windows"; None when nothing to resolve
    static: bool = False               # nothing to load: no interpreter and no needed library
    note: str | None = None            # why there is nothing to resolve, in ldd's words (not a verdict)
    linkage: str | None = None         # the linkage verdict, the one inspect gives (formats.elf.linkage_of)
    interpreter: Interpreter | None = None
    libraries: tuple[Library, ...] = ()
    missing: tuple[str, ...] = ()
    needs: tuple[int, ...] = ()        # what the input itself needs, as indexes into libraries
    warnings: tuple[str, ...] = ()
    libc: str | None = None
    glibc_min: str | None = None
    runs_on: tuple[str, ...] = ()
    program: Interpreter | None = None   # a script's: the command #!/usr/bin/env looks up on PATH

    @property
    def ok(self) -> bool:
        return self.error is None and not self.missing
