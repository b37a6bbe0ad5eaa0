"""Exploit mitigations, read the way the loader and the kernel see them, and read correctly for Go.

ELF properties (``Binary.hardening``; each value is a short word):

- ``pie``: ``yes`` for ET_DYN with DF_1_PIE or with an interpreter (old-style PIE), ``no`` for
  ET_EXEC, ``not-applicable`` for shared libraries (always position-independent);
- ``relro``: PT_GNU_RELRO with immediate binding (BIND_NOW, or no PT_DYNAMIC at all: nothing is
  bound lazily) is ``full``, without it ``partial``; no PT_GNU_RELRO is ``no`` when there is a
  PT_DYNAMIC and ``not-applicable`` otherwise (a static file has no GOT for the loader to
  protect; Go's internal linker writes no RELRO for static binaries, correctly). A static-pie
  (PT_DYNAMIC, no PT_INTERP: ElfImage.self_relocating) keeps the value readelf's view gives, but
  its finding speaks of no loader: it relocates itself at start-up, all at once, so nothing is
  bound lazily, and glibc's start-up code then makes the RELRO region read-only (checked through
  /proc/self/maps in tests/test_analysis_evidence_gone.py);
- ``nx``: PT_GNU_STACK without PF_X is ``yes``, with PF_X ``no``; absent, ``no`` (the kernel and
  the loader make the stack executable for such files on most architectures);
- ``bind_now``: DT_BIND_NOW, DF_BIND_NOW in DT_FLAGS or DF_1_NOW in DT_FLAGS_1; ``not-applicable``
  without PT_DYNAMIC;
- ``stack_protector`` / ``fortify``: only meaningful for C code. ``not-applicable`` for a Go binary
  without cgo (Go checks bounds; there is no C stack to protect); else ``yes`` when the file
  references ``__stack_chk_fail`` (``__stack_chk_guard`` on some targets) / any ``__*_chk``
  function, in the dynamic string table or the static symbol table; ``no`` when a table that
  would name them is there and names none (a ``.symtab``, or the dynamic imports of a file with
  DT_NEEDED); otherwise (stripped static and static-pie files: their dynamic symbol table is
  empty whatever the code does) ``unknown``, except that on x86-64 the code itself can show a
  stack protector: the canary load ``mov %fs:0x28,%reg`` (``64 48 8b ?? 25 28 00 00 00``) in an
  executable segment makes it ``yes`` (in a static file the C library's own code counts too, as
  its ``__stack_chk_fail`` does in a symbol table). No finding says "built without" for
  ``unknown``;
- ``cet_ibt`` / ``cet_shstk`` (x86): the GNU_PROPERTY_X86_FEATURE_1_AND bits (IBT 0x1, SHSTK 0x2) of
  the NT_GNU_PROPERTY_TYPE_0 note; ``bti`` / ``pac`` (arm64): GNU_PROPERTY_AARCH64_FEATURE_1_AND;
- ``rpath``: ``none``, ``ok``, or ``risky``: an entry that is empty or relative (resolved against
  the current directory), or ``$ORIGIN`` in a set-uid/set-gid/capability binary.

Mach-O: ``pie`` (MH_PIE), ``nx`` (no MH_ALLOW_STACK_EXECUTION), ``stack_protector`` (the
``___stack_chk_fail`` / ``___stack_chk_guard`` import; ``unknown`` without a symbol table to read),
``code_signature``. PE: ``pie`` (DYNAMIC_BASE), ``high_entropy_va``, ``nx`` (NX_COMPAT), ``cfg``
(GUARD_CF).
"""
from __future__ import annotations

import struct

from ..errors import LinkscopeError
from ..formats.elf import (DF_1_NOW, DF_1_PIE, DF_BIND_NOW, DT_BIND_NOW, EM_386, EM_AARCH64, EM_X86_64, ET_DYN, ET_EXEC,
                           NT_GNU_PROPERTY_TYPE_0, PF_R, PF_W, PF_X, PT_DYNAMIC, PT_GNU_RELRO, PT_GNU_STACK, PT_INTERP,
                           PT_LOAD)
from ..model import Finding
from . import gofix

GNU_PROPERTY_X86_FEATURE_1_AND = 0xC0000002
GNU_PROPERTY_AARCH64_FEATURE_1_AND = 0xC0000000
X86_IBT, X86_SHSTK = 0x1, 0x2
AARCH64_BTI, AARCH64_PAC = 0x1, 0x2
# FORTIFY_SOURCE's checked functions: strings "__" + [a-z0-9_]+ + "_chk" of a symbol string table.
_CHK = (b"__", b"_chk", b"abcdefghijklmnopqrstuvwxyz0123456789_")
_NOT_FORTIFY = {"__stack_chk", "__stack_chk_fail_local"}
# x86-64 stack canary load, what gcc and clang emit in every protected function's prologue:
# mov %fs:0x28,%reg (REX.W or REX.WR, 8B, ModRM mod=00 rm=100, SIB 0x25: disp32 0x28, no base).
# Code searched for canary loads, at most: C code built with a stack protector shows them within
# its first megabytes (/sbin/ldconfig: hundreds in 0.5 MiB), and a 176 MiB stripped binary built
# without one (zig) should cost about what a small file does, not a scan of all its code.
CANARY_SCAN_LIMIT = 8 << 20


class _CanaryLoads:
    """The x86-64 canary loads, as the regular expression
    ``\\x64[\\x48\\x4c]\\x8b[\\x04\\x0c\\x14\\x1c\\x24\\x2c\\x34\\x3c]\\x25\\x28\\x00\\x00\\x00`` finds them, without
    importing re: each found from its fixed tail (SIB 0x25, disp32 0x28) at C speed, its first four
    bytes checked. Two cannot overlap (none of a load's last eight bytes is 0x64), so every checked
    tail is one match of finditer."""

    _TAIL = b"\x25\x28\x00\x00\x00"
    _MODRM = frozenset(b"\x04\x0c\x14\x1c\x24\x2c\x34\x3c")

    @classmethod
    def finditer(cls, buf, start: int, end: int):
        """Start offsets of the loads in ``buf[start:end]`` (Rx.finditer's use in Evidence.code_count)."""
        tail, modrm = cls._TAIL, cls._MODRM
        pos = buf.find(tail, start + 4, end)
        while pos >= 0:
            if buf[pos - 4] == 0x64 and buf[pos - 3] in (0x48, 0x4C) and buf[pos - 2] == 0x8B and buf[pos - 1] in modrm:
                yield pos - 4
            pos = buf.find(tail, pos + 1, end)


def gnu_properties(image) -> dict[int, int]:
    """pr_type -> u32 value of the NT_GNU_PROPERTY_TYPE_0 notes (the AND/OR feature words)."""
    out: dict[int, int] = {}
    little = image.little
    align = 8 if image.bits == 64 else 4
    for n in image.notes:
        if n.type != NT_GNU_PROPERTY_TYPE_0 or n.name != b"GNU\0":
            continue
        d, pos = n.desc, 0
        while pos + 8 <= len(d):
            t, size = struct.unpack_from("<II" if little else ">II", d, pos)
            pos += 8
            if pos + size > len(d):
                break
            if size >= 4:
                out[t] = struct.unpack_from("<I" if little else ">I", d, pos)[0]
            pos += (size + align - 1) // align * align
    return out


def elf(ev, pure_go: bool, privileged: bool) -> tuple[dict[str, str], dict[str, list[str]]]:
    """(property -> value, property -> evidence)."""
    img = ev.image
    out: dict[str, str] = {}
    why: dict[str, list[str]] = {}
    if img.e_type not in (ET_EXEC, ET_DYN):
        return out, why
    segs = {p.type: p for p in img.segments}
    has_dyn = PT_DYNAMIC in segs
    interp = PT_INTERP in segs
    flags, flags1 = img.flags, img.flags_1
    # pie
    if img.e_type == ET_EXEC:
        out["pie"], why["pie"] = "no", ["ELF type ET_EXEC (loaded at a fixed address)"]
    elif flags1 & DF_1_PIE:
        out["pie"], why["pie"] = "yes", ["ELF type ET_DYN with DF_1_PIE in DT_FLAGS_1"]
    elif interp:
        out["pie"], why["pie"] = "yes", ["ELF type ET_DYN with an interpreter"]
    else:
        out["pie"], why["pie"] = "not-applicable", ["shared library (ET_DYN without DF_1_PIE)"]
    # bind now
    now = []
    if img.dyn1(DT_BIND_NOW) is not None:
        now.append("DT_BIND_NOW")
    if flags & DF_BIND_NOW:
        now.append("DF_BIND_NOW in DT_FLAGS")
    if flags1 & DF_1_NOW:
        now.append("DF_1_NOW in DT_FLAGS_1")
    if not has_dyn:
        out["bind_now"], why["bind_now"] = "not-applicable", ["no PT_DYNAMIC: nothing is bound at run time"]
    else:
        out["bind_now"] = "yes" if now else "no"
        why["bind_now"] = now or ["no DT_BIND_NOW, DF_BIND_NOW or DF_1_NOW"]
    # relro
    if PT_GNU_RELRO in segs:
        full = bool(now) or not has_dyn
        out["relro"] = "full" if full else "partial"
        why["relro"] = ["PT_GNU_RELRO"] + (now if has_dyn else ["no PT_DYNAMIC"])
    elif has_dyn:
        out["relro"], why["relro"] = "no", ["no PT_GNU_RELRO"]
    else:
        out["relro"], why["relro"] = "not-applicable", ["no PT_GNU_RELRO and no PT_DYNAMIC: no GOT for the loader to protect"]
    # nx
    st = segs.get(PT_GNU_STACK)
    if st is None:
        out["nx"], why["nx"] = "no", ["no PT_GNU_STACK (the stack is made executable)"]
    else:
        x = bool(st.flags & PF_X)
        out["nx"] = "no" if x else "yes"
        why["nx"] = ["PT_GNU_STACK flags " + "".join(c for c, bit in (("R", PF_R), ("W", PF_W), ("E", PF_X)) if st.flags & bit)]
    # stack protector, fortify
    if pure_go:
        for k in ("stack_protector", "fortify"):
            out[k], why[k] = "not-applicable", ["pure Go (no cgo): no C code in the binary"]
    else:
        # One search per table for "_chk", which both canary names and every FORTIFY name hold.
        sp = next(([n] for n in ("__stack_chk_fail", "__stack_chk_guard")
                   if ev.dynstr_has(n, within=_CHK[1]) or ev.symtab_has(n, within=_CHK[1])), [])
        chk = ev.dynstr_names(*_CHK) or ev.symtab_names(*_CHK)
        chk = [c for c in chk if not c.startswith("__stack_chk") and c not in _NOT_FORTIFY]
        # The tables that would name them: .symtab, or the imports of a file that links libc
        # dynamically (DT_NEEDED). A static-pie's dynamic symbol table is empty whatever its code does.
        readable = ev.has_symtab or bool(ev.binary.needed)
        unread = "no symbol table, no dynamic imports: nothing names them"
        canaries = (ev.code_count(_CanaryLoads, budget=CANARY_SCAN_LIMIT)
                    if not sp and not readable and img.machine == EM_X86_64 else 0)
        if sp:
            out["stack_protector"], why["stack_protector"] = "yes", [f"references {sp[0]}"]
        elif canaries:
            out["stack_protector"] = "yes"
            why["stack_protector"] = [f"{canaries} stack canary loads (mov %fs:0x28) in the code"
                                      + (f" (its first {CANARY_SCAN_LIMIT >> 20} MiB)" if _code_size(img) > CANARY_SCAN_LIMIT else "")]
        else:
            out["stack_protector"] = "no" if readable else "unknown"
            why["stack_protector"] = ["no __stack_chk_fail in the symbol tables"] if readable else [unread]
        if chk:
            out["fortify"], why["fortify"] = "yes", [f"references {', '.join(chk[:4])}" + (f" (+{len(chk) - 4} more)" if len(chk) > 4 else "")]
        else:
            out["fortify"] = "no" if readable else "unknown"
            why["fortify"] = ["no __*_chk functions in the symbol tables"] if readable else [unread]
    # CET / BTI
    props = gnu_properties(img)
    if img.machine in (EM_386, EM_X86_64):
        f = props.get(GNU_PROPERTY_X86_FEATURE_1_AND, 0)
        for key, bit, name in (("cet_ibt", X86_IBT, "IBT"), ("cet_shstk", X86_SHSTK, "SHSTK")):
            out[key] = "yes" if f & bit else "no"
            why[key] = [f"GNU property x86 feature {name}" if f & bit else
                        ("no NT_GNU_PROPERTY_TYPE_0 x86 feature note" if GNU_PROPERTY_X86_FEATURE_1_AND not in props
                         else f"x86 feature word {f:#x} lacks {name}")]
    elif img.machine == EM_AARCH64:
        f = props.get(GNU_PROPERTY_AARCH64_FEATURE_1_AND, 0)
        for key, bit, name in (("bti", AARCH64_BTI, "BTI"), ("pac", AARCH64_PAC, "PAC")):
            out[key] = "yes" if f & bit else "no"
            why[key] = [f"GNU property AArch64 feature {name}" if f & bit else f"no AArch64 {name} property"]
    # rpath
    entries = [("DT_RPATH", e) for e in img.rpath] + [("DT_RUNPATH", e) for e in img.runpath]
    if not entries:
        out["rpath"], why["rpath"] = "none", ["no DT_RPATH or DT_RUNPATH"]
    else:
        risky = rpath_risks(entries, privileged)
        out["rpath"] = "risky" if risky else "ok"
        why["rpath"] = risky or [f"{tag} {e}" for tag, e in entries]
    _unknown_where_unread(img, has_dyn, out, why)
    return out, why


def _unknown_where_unread(img, has_dyn: bool, out: dict[str, str], why: dict[str, list[str]]) -> None:
    """A table that could not be read (a partial record) cannot show a property absent: what was
    decided from its absence becomes ``unknown``; what evidence showed present stays."""
    gone: dict[str, str] = {}
    if not img.program_headers_ok:
        gone.update(dict.fromkeys(("pie", "bind_now", "relro", "nx", "stack_protector", "fortify", "rpath",
                                   "cet_ibt", "cet_shstk", "bti", "pac"), "the program headers"))
    elif has_dyn and not img.dynamic_readable:
        gone.update(dict.fromkeys(("bind_now", "relro", "rpath", "stack_protector", "fortify"), "the dynamic table"))
        if img.e_type == ET_DYN:
            gone["pie"] = "the dynamic table"     # DF_1_PIE is in it
    if not img.section_headers_ok:
        for k in ("stack_protector", "fortify"):
            gone.setdefault(k, "the section headers")
    for k, table in gone.items():
        if k in out and out[k] != "yes" and not (k == "pie" and img.e_type == ET_EXEC):
            out[k], why[k] = "unknown", [f"{table} could not be read"]


def _code_size(img) -> int:
    """Bytes of the executable loaded segments."""
    return sum(p.filesz for p in img.segments if p.type == PT_LOAD and p.flags & PF_X)


def rpath_risks(entries: list[tuple[str, str]], privileged: bool) -> list[str]:
    out = []
    for tag, e in entries:
        if e == "":
            out.append(f"{tag} has an empty entry: the current directory is searched")
        elif not e.startswith("/") and not e.startswith(("$ORIGIN", "${ORIGIN}")):
            out.append(f"{tag} entry {e!r} is relative: resolved against the current directory")
        elif privileged and ("$ORIGIN" in e or "${ORIGIN}" in e):
            out.append(f"{tag} entry {e!r} uses $ORIGIN in a privileged (set-uid/set-gid/capability) binary")
    return out


def world_writable(entries: list[tuple[str, str]], files) -> list[str]:
    """Entries that name a world-writable directory inside the tree ``files`` (resolved there, so a
    symbolic link never leads out of it): anyone could plant a library there."""
    import stat

    out = []
    for tag, e in entries:
        if not e.startswith("/"):
            continue
        r = files.resolve(e)
        if r.ok and stat.S_ISDIR(r.st.st_mode) and r.st.st_mode & stat.S_IWOTH:
            out.append(f"{tag} entry {e!r} is a world-writable directory ({oct(r.st.st_mode & 0o7777)}) "
                       f"under {files.root}")
    return out


def macho(ev, pure_go: bool) -> tuple[dict[str, str], dict[str, list[str]]]:
    from ..formats.macho import MH_ALLOW_STACK_EXECUTION, MH_EXECUTE, MH_PIE

    img = ev.image
    out, why = {}, {}
    if img.filetype == MH_EXECUTE:
        out["pie"], why["pie"] = ("yes", ["MH_PIE"]) if img.flags & MH_PIE else ("no", ["no MH_PIE flag"])
    allow = bool(img.flags & MH_ALLOW_STACK_EXECUTION)
    out["nx"], why["nx"] = ("no", ["MH_ALLOW_STACK_EXECUTION"]) if allow else ("yes", ["no MH_ALLOW_STACK_EXECUTION"])
    if pure_go:
        out["stack_protector"], why["stack_protector"] = "not-applicable", ["pure Go (no cgo)"]
    else:
        # The same rule as for ELF: "no" only where a table that would name it can be read.
        q = ev.imported("__stack_chk_fail") or ev.imported("__stack_chk_guard")
        if q:
            out["stack_protector"], why["stack_protector"] = "yes", [f"imports {q}"]
        elif ev.imports or ev.has_symtab:
            out["stack_protector"], why["stack_protector"] = "no", ["no ___stack_chk_fail import"]
        else:
            out["stack_protector"], why["stack_protector"] = "unknown", ["no symbol table: nothing names it"]
    out["code_signature"] = "yes" if img.code_signature else "no"
    why["code_signature"] = ["LC_CODE_SIGNATURE"] if img.code_signature else ["no LC_CODE_SIGNATURE"]
    return out, why


def pe(ev) -> tuple[dict[str, str], dict[str, list[str]]]:
    from ..formats.pe import (IMAGE_DLLCHARACTERISTICS_DYNAMIC_BASE, IMAGE_DLLCHARACTERISTICS_GUARD_CF,
                              IMAGE_DLLCHARACTERISTICS_HIGH_ENTROPY_VA, IMAGE_DLLCHARACTERISTICS_NX_COMPAT)

    img = ev.image
    out, why = {}, {}
    if img.is_object:
        return out, why
    dc = img.dll_characteristics
    for key, bit, name in (("pie", IMAGE_DLLCHARACTERISTICS_DYNAMIC_BASE, "DYNAMIC_BASE"),
                           ("high_entropy_va", IMAGE_DLLCHARACTERISTICS_HIGH_ENTROPY_VA, "HIGH_ENTROPY_VA"),
                           ("nx", IMAGE_DLLCHARACTERISTICS_NX_COMPAT, "NX_COMPAT"),
                           ("cfg", IMAGE_DLLCHARACTERISTICS_GUARD_CF, "GUARD_CF")):
        out[key] = "yes" if dc & bit else "no"
        why[key] = [f"IMAGE_DLLCHARACTERISTICS_{name}" + ("" if dc & bit else " not set")]
    return out, why


def analyze(ev, pure_go: bool, privileged: bool) -> tuple[dict[str, str], dict[str, list[str]]]:
    try:
        if ev.format == "elf":
            return elf(ev, pure_go, privileged)
        if ev.format == "macho":
            return macho(ev, pure_go)
        if ev.format == "pe":
            return pe(ev)
    except LinkscopeError:
        pass
    return {}, {}


_FIX_C = {
    "pie": "-fPIE -pie",
    "relro": "-Wl,-z,relro,-z,now",
    "nx": "-Wl,-z,noexecstack",
    "stack_protector": "-fstack-protector-strong",
    "fortify": "-O2 -D_FORTIFY_SOURCE=3",
    "cet": "-fcf-protection=full",
}


def findings(values: dict[str, str], why: dict[str, list[str]], *, fmt: str, is_go: bool, pure_go: bool,
             static: bool, binary=None, self_relocating: bool = False, own_c: bool = True) -> list[Finding]:
    """The hardening findings; ``binary`` (the record) gives Go fixes their recorded build (gofix);
    ``self_relocating``: an executable that no loader starts (static-pie, see ElfImage.self_relocating);
    ``own_c``: a Go binary holds C code of its own (cgo cause c-code), not only Go's."""
    out: list[Finding] = []
    if fmt != "elf":
        if values.get("nx") == "no":
            out.append(Finding("hardening.nx", "warning", "The stack is executable.", tuple(why["nx"]), None))
        return out
    go_build = is_go and binary is not None

    def titled(title: str, notes: list[str]) -> str:
        return " ".join([title] + notes)

    if values.get("pie") == "no":
        notes: list[str] = []
        if go_build:
            fix, notes = gofix.pie(binary)
        elif is_go:
            fix = None
        else:
            fix = _FIX_C["pie"] + (" (-static-pie to stay static)" if static else "")
        sev = "info" if static else "warning"
        out.append(Finding("hardening.pie", sev, titled("Not a position-independent executable: its code is always "
                           "loaded at the same address, so ASLR cannot move it.", notes), tuple(why["pie"]), fix))
    relro = values.get("relro")
    if relro in ("no", "partial"):
        # A static-pie relocates itself at start-up, all at once: no loader, nothing bound lazily.
        if relro == "no":
            title = ("No RELRO: the GOT and the other data it relocates itself at start-up stay writable."
                     if self_relocating else "No RELRO: the loader leaves the GOT and other relocated data writable.")
        elif self_relocating:
            title = None
            out.append(Finding("hardening.relro", "info", "RELRO without BIND_NOW, which does not matter here: no loader "
                               "binds this static-pie's GOT lazily; it relocates itself at start-up, all at once, and "
                               "its C library's start-up code then makes the RELRO region read-only (glibc's does).",
                               tuple(why["relro"] + ["no PT_INTERP: no loader runs"]), None))
        else:
            title = ("Partial RELRO: relocated data is read-only after start-up, but the lazily bound GOT stays "
                     "writable (no BIND_NOW).")
        if title is not None:
            notes = []
            if go_build:
                fix, notes = gofix.relro(binary)
            elif is_go:
                fix = None
            else:
                fix = _FIX_C["relro"]
            out.append(Finding("hardening.relro", "warning", titled(title, notes),
                               tuple(why["relro"] + why.get("bind_now", [])), fix))
    if values.get("nx") == "no":
        out.append(Finding("hardening.nx", "error", "The stack is executable (no non-executable PT_GNU_STACK).",
                           tuple(why["nx"]), None if is_go else _FIX_C["nx"]))
    if values.get("bind_now") == "no" and relro == "no":
        out.append(Finding("hardening.bind-now", "info", "Symbols are bound lazily (no BIND_NOW).",
                           tuple(why["bind_now"]), None if is_go else "-Wl,-z,now"))
    if pure_go and is_go:
        out.append(Finding("hardening.stack-protector", "info", "Stack protector and FORTIFY_SOURCE do not apply: "
                           "the binary holds no C code (pure Go checks bounds itself).",
                           tuple(why.get("stack_protector", [])), None))
    else:
        if values.get("stack_protector") == "no" and is_go and not own_c:
            # runtime/cgo, net and os/user are compiled with their own #cgo CFLAGS: -fno-stack-protector,
            # which comes after CGO_CFLAGS: no flag of the user's brings canaries into them.
            out.append(Finding("hardening.stack-protector", "info", "No stack protector in the C code, which is "
                               "only Go's own (runtime/cgo and the cgo parts of the standard library): Go compiles "
                               "it with -fno-stack-protector on purpose, and CGO_CFLAGS cannot change that.",
                               tuple(why["stack_protector"]), None))
        elif values.get("stack_protector") == "no":
            fix, notes = gofix.cflags(binary, "-fstack-protector-strong") if go_build else (
                None if is_go else _FIX_C["stack_protector"], [])
            out.append(Finding("hardening.stack-protector", "info", titled("The C code was built without a stack "
                               "protector (or none of its functions has an array or an address-taken local, "
                               "the ones -fstack-protector-strong protects).", notes),
                               tuple(why["stack_protector"]), fix))
        if values.get("fortify") == "no":
            fix, notes = gofix.cflags(binary, "-D_FORTIFY_SOURCE=3") if go_build else (
                None if is_go else _FIX_C["fortify"], [])
            out.append(Finding("hardening.fortify", "info", titled("The C code was built without FORTIFY_SOURCE (no "
                               "__*_chk functions are referenced).", notes), tuple(why["fortify"]), fix))
    if "cet_ibt" in values and (values["cet_ibt"] == "no" or values["cet_shstk"] == "no"):
        missing = [n for n, k in (("IBT", "cet_ibt"), ("SHSTK", "cet_shstk")) if values[k] == "no"]
        title = f"Not marked for Intel CET ({' and '.join(missing)} missing)"
        title += ": Go's toolchain does not emit CET markings." if is_go else "."
        out.append(Finding("hardening.cet", "info", title, tuple(dict.fromkeys(why["cet_ibt"] + why["cet_shstk"])),
                           None if is_go else _FIX_C["cet"]))
    if values.get("rpath") == "risky":
        out.append(Finding("hardening.rpath", "warning", "The library search path can be steered: "
                           + "; ".join(why["rpath"]) + ".", tuple(why["rpath"]),
                           "relink with absolute RPATH/RUNPATH entries (-Wl,-rpath,/abs/dir), or none"))
    return out
