"""The facts linkscope reports: frozen, slotted records that compare by value.

Field names are the JSON contract (see schema/linkscope.schema.json); later work adds
fields, none is ever renamed.
"""
from __future__ import annotations

from .record import fields, record


@record
class Module:
    path: str
    version: str = ""
    sum: str = ""


@record
class Dep:
    path: str
    version: str = ""
    sum: str = ""
    replace: Module | None = None


@record
class GoInfo:
    """Go build information, exactly what `go version -m` prints."""

    version: str
    path: str = ""
    main: Module | None = None
    deps: tuple[Dep, ...] = ()
    settings: tuple[tuple[str, str], ...] = ()

    @property
    def settings_dict(self) -> dict[str, str]:
        return dict(self.settings)

    def setting(self, key: str, default: str | None = None) -> str | None:
        for k, v in self.settings:
            if k == key:
                return v
        return default


@record
class Section:
    """A named region of the file, common to all formats (ELF section, Mach-O section, PE section)."""

    name: str
    addr: int
    offset: int
    size: int          # bytes in the file (0 for NOBITS / zerofill)
    kind: str = ""     # format-specific type name, for readers


@record
class LoadSegment:
    """A part of the file the loader maps, common to all formats: an ELF PT_LOAD, a Mach-O segment,
    a PE section."""

    name: str          # "" for an ELF PT_LOAD (they have none)
    vaddr: int
    offset: int
    filesz: int        # bytes that come from the file (0: none)
    memsz: int
    readable: bool
    writable: bool
    executable: bool


@record
class OsFloor:
    """The oldest operating system a file says it runs on, as its own headers say it."""

    system: str        # "Linux", "macOS", "Windows NT", ...
    version: str       # "3.2.0", "11.0", "6.1"
    evidence: str      # where it is written: "LC_BUILD_VERSION minos 11.0"


@record
class ErrorInfo:
    kind: str
    message: str
    offset: int | None = None


@record
class ReadWarning:
    """A table of the file that could not be read: the fields it holds are unknown (or incomplete)
    and the record is partial. ``kind`` is an error kind (``truncated``, ``malformed``); ``table``
    names what was being read ("section headers", "dynamic table", "LC_DYSYMTAB", ...)."""

    kind: str
    table: str
    offset: int | None
    message: str


@record
class VersionFloor:
    """The newest symbol version a binary requires from one family (GLIBC, GLIBCXX, CXXABI, GCC)
    and the imported symbols that force it."""

    family: str
    version: str
    symbols: tuple[str, ...] = ()


@record
class Finding:
    """One explanation: what is so, the evidence in the file, and what to change (if anything)."""

    id: str
    severity: str            # "info" | "warning" | "error"
    title: str
    evidence: tuple[str, ...] = ()
    fix: str | None = None


@record
class CgoInfo:
    """cgo as the build set it (CGO_ENABLED) versus as the binary uses it (runtime/cgo linked in),
    and which packages caused it: "net", "os/user", "plugin", "c-code" (the program's own C)."""

    enabled: bool | None
    used: bool | None
    causes: tuple[str, ...] = ()


@record
class Binary:
    path: str
    error: ErrorInfo | None = None
    format: str = "unknown"
    arch: str | None = None
    bits: int | None = None
    endian: str | None = None
    os: str | None = None
    type: str | None = None
    linkage: str | None = None
    interpreter: str | None = None
    # files that are not binaries (format script, archive, linker-script, text, data)
    interpreter_arg: str | None = None     # a script's #! argument (one string, as the kernel passes it)
    program: str | None = None             # what a script runs: its interpreter, or the command env(1) looks up
    members: int | None = None             # an archive's members (None: more than formats.archive.MAX_MEMBERS)
    linker_inputs: tuple[str, ...] = ()    # the files a linker script's GROUP and INPUT commands name
    description: str | None = None         # the one-line identification of a file that is not a binary
    needed: tuple[str, ...] = ()
    rpath: tuple[str, ...] = ()
    runpath: tuple[str, ...] = ()
    soname: str | None = None
    stripped: bool | None = None
    debug_info: bool | None = None
    gnu_build_id: str | None = None
    go_build_id: str | None = None
    go: GoInfo | None = None
    setuid: bool = False
    setgid: bool = False
    size: int = 0
    slices: tuple["Binary", ...] = ()
    # libc and symbol-version floors, from the file alone
    libc: str | None = None
    glibc_min: str | None = None
    version_floors: tuple[VersionFloor, ...] = ()
    # explanations and size
    cgo: CgoInfo | None = None
    linker: str | None = None       # "go-internal" | "gcc" | "clang" | "zig" | "lld" | "gold" | "bfd" | "external"
    hardening: tuple[tuple[str, str], ...] = ()   # name -> value, e.g. ("relro", "full"), ("nx", "yes")
    findings: tuple[Finding, ...] = ()
    size_breakdown: tuple[tuple[str, int], ...] = ()
    strip_saving: int | None = None
    # what could not be read (the record is then partial)
    warnings: tuple[ReadWarning, ...] = ()

    @property
    def partial(self) -> bool:
        return bool(self.warnings)


def field_names(cls) -> list[str]:
    return list(fields(cls))
