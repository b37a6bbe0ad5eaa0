"""Which linker wrote the file, from the evidence in it.

Values (``Binary.linker``): ``go-internal``, ``zig``, ``lld``, ``gold``, ``mold``, ``gcc`` (GNU ld, the
BFD linker, driven by gcc), ``clang`` (clang driving GNU ld), ``bfd``, ``ld64`` (Apple's linker),
``external`` (a C toolchain's linker, which one not told), or None.

ELF, first rule that answers:

1. ``.comment`` strings: ``Linker: LLD x`` (lld; ``zig`` when the symbol table names ``*.zig``
   sources, or when next to it stands a bare ``clang version x`` of the same version: zig cc's
   bundled clang and lld, where distributions brand the string and LLVM's releases add the
   repository; a heuristic),
   ``mold x``; a ``.note.gnu.gold-version`` note section (gold); then the compiler strings:
   ``GCC: (...)`` means gcc's driver ran GNU ld, ``clang version`` clang's;
2. a Go binary: ``-ldflags`` with ``-linkmode=external`` means an external link; otherwise Go's
   internal linker unless the file carries a C toolchain's marks: a ``.comment`` section, the
   GNU ABI-tag note of glibc's crt1.o, crt symbols (``_start``, ``__libc_csu_init``,
   ``_init``/``.init``), or ``.eh_frame_hdr``. Go's internal linker writes none of these and puts
   ``.note.go.buildid`` in front of ``.text``.
3. Otherwise a C toolchain (``external``).

Mach-O: a Go binary without ``-linkmode=external`` is ``go-internal``; else the tool list of
LC_BUILD_VERSION (3: ld64, 4: lld, 5: zig's linker). PE: Go's linker writes linker version 3.0;
lld-link 14.0 with a ``.buildid`` section (zig cc); GNU ld 2.x (``bfd``).
"""
from __future__ import annotations

from ..go import flags as goflags
from ..formats.elf import ET_DYN, ET_EXEC
from ..lazy import Rx

_ZIG_SOURCE = Rx(rb"\0([\w./-]+\.zig)(?=\0)")


def analyze(ev) -> tuple[str | None, list[str]]:
    """(linker, evidence strings)."""
    fmt = ev.format
    if fmt == "elf":
        return _elf(ev)
    if fmt == "macho":
        return _macho(ev)
    if fmt == "pe":
        return _pe(ev)
    return None, []


def _go_external_setting(ev) -> str | None:
    flags = ev.setting("-ldflags") or ""
    return flags if goflags.external_linkmode(flags) else None


def _elf(ev) -> tuple[str | None, list[str]]:
    img = ev.image
    if img.e_type not in (ET_EXEC, ET_DYN):       # objects and cores are not linked
        return None, []
    comment = ev.comment
    evidence = [f".comment: {c}" for c in comment]
    lld = next((c for c in comment if c.startswith("Linker: LLD")), None)
    mold = next((c for c in comment if c.startswith("mold ")), None)
    gcc = next((c for c in comment if c.startswith("GCC:")), None)
    clang = next((c for c in comment if "clang version" in c), None)
    gold = ".note.gnu.gold-version" in ev.section_names
    if lld:
        zig = ev.symtab_findall(_ZIG_SOURCE, b".zig\0")[:1]
        if zig:
            return "zig", evidence + [f"symbol table names the zig source {zig[0]}"]
        lld_version = lld.split()[-1]
        if clang == f"clang version {lld_version}":
            # zig's bundled clang and lld: the same version, no vendor or repository in the string
            # (distributions write "Debian clang version ...", LLVM's releases add the repository).
            return "zig", evidence + ["unbranded clang and LLD of the same version, as zig cc writes them"]
        return "lld", evidence
    if mold:
        return "mold", evidence
    if gold:
        return "gold", evidence + ["section .note.gnu.gold-version"]
    ext = _go_external_setting(ev) if ev.is_go else None
    if ev.is_go and not comment and not ext:
        marks = _c_toolchain_marks(ev)
        if not marks:
            ev_go = ["no .comment section, no crt start files, no GNU ABI-tag note"]
            if img.section_names[1:2] == (".note.go.buildid",):
                ev_go.append("section .note.go.buildid first, as Go's linker lays it out")
            return "go-internal", ev_go
        return "external", marks
    if ext:
        evidence.append(f"build setting -ldflags={ext}")
    if gcc:
        return "gcc", evidence
    if clang:
        return "clang", evidence
    marks = _c_toolchain_marks(ev)
    if ext or marks or comment:
        return "external", evidence + marks
    return None, evidence


def _c_toolchain_marks(ev) -> list[str]:
    img = ev.image
    out = []
    if ev.comment:
        out.append("section .comment")
    if img.note(b"GNU\0", 1) is not None:
        out.append("GNU ABI-tag note (glibc's crt1.o)")
    names = ev.section_names
    for s in (".init", ".eh_frame_hdr"):
        if s in names:
            out.append(f"section {s}")
    for sym in ("_start", "__libc_csu_init", "_init"):
        if ev.symtab_has(sym):
            out.append(f"symbol {sym}")
            break
    return out


def _macho(ev) -> tuple[str | None, list[str]]:
    from ..formats.macho import TOOL_LD, TOOL_LLD, TOOL_ZIG

    linkers = {TOOL_LD: "ld64", TOOL_LLD: "lld", TOOL_ZIG: "zig"}
    img = ev.image
    if ev.is_go and not _go_external_setting(ev):
        return "go-internal", ["Go binary, no -linkmode=external in its build settings"]
    for p in img.platforms:
        for tool, ver in p.tools:
            name = linkers.get(tool)
            if name:
                return name, [f"LC_BUILD_VERSION tool {tool} ({name}) {ver}"]
    if ev.is_go:
        return "external", [f"build setting -ldflags={ev.setting('-ldflags')}"]
    return None, []


def _pe(ev) -> tuple[str | None, list[str]]:
    img = ev.image
    if img.is_object:
        return None, []
    major, minor = img.linker_version
    ver = f"linker version {major}.{minor} in the optional header"
    if ev.is_go and not _go_external_setting(ev) and (major, minor) == (3, 0):
        return "go-internal", [ver]
    names = ev.section_names
    if major == 14 and ".buildid" in names:
        return "lld", [ver, "section .buildid (lld-link /build-id, as zig cc links)"]
    if major == 2:
        return "bfd", [ver + " (GNU ld numbers it after binutils)"]
    return "external", [ver]


NAMES = {
    "go-internal": "Go's internal linker",
    "zig": "zig cc (LLVM's lld)",
    "lld": "LLVM's lld",
    "gold": "GNU gold",
    "mold": "mold",
    "gcc": "GNU ld (BFD), driven by gcc",
    "clang": "GNU ld, driven by clang",
    "bfd": "GNU ld (BFD)",
    "ld64": "Apple's ld64",
    "external": "an external C toolchain's linker",
}


def phrase(linker: str) -> str:
    """The linker ``analyze`` named, in words."""
    return NAMES.get(linker, linker)


def title(linker: str | None, is_go: bool) -> str | None:
    if linker is None:
        return None
    what = phrase(linker)
    if is_go and linker != "go-internal":
        return f"Linked by {what}: Go handed the link to the C toolchain (external linking)."
    return f"Linked by {what}."
