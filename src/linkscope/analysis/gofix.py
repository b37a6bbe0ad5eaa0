"""The fix commands of the Go findings, each a complete ``go build`` that keeps what the binary has.

Every fix starts from the binary's recorded build (:meth:`goflags.GoBuild.from_settings`: tags,
ldflags, gcflags, trimpath, build mode, CGO_ENABLED, GOOS/GOARCH and the architecture level...) and
merges one change into it. Where the change would undo a property the binary has, the fix is the
combination that keeps both, or none, and a note says so; the notes go into the finding's title.

The rules of Go's linking this rests on (checked with Go 1.27 on linux/amd64, see FACTS.md):

- ``-buildmode=pie`` with Go's internal linker always writes ``PT_INTERP``: the binary needs the
  dynamic loader, cgo or not (``CGO_ENABLED=0 -buildmode=pie``: PT_INTERP and no DT_NEEDED with
  Go 1.27.3, tests/test_linkage_verdict.py; FACTS.md's "and DT_NEEDED libc.so.6" does not hold). A static PIE
  needs the external linker: ``-buildmode=pie -ldflags '-linkmode external -extldflags -static-pie'``,
  so cgo (CGO_ENABLED=1) and a C toolchain that links ``-static-pie`` (gcc with glibc 2.27+).
  When cgo has to be turned on for it, ``-tags netgo,osusergo`` keeps net and os/user pure Go, as
  CGO_ENABLED=0 had them (else glibc's NSS would come back, see static-glibc.nss).
- Go builds PIE for linux only on 386, amd64, arm, arm64, loong64, ppc64, ppc64le, riscv64, s390x
  (internal/platform.BuildModeSupported); elsewhere a PIE cannot be had.
- A static external link of a PIE uses ``-static-pie``, never ``-static`` (gcc: ``-static`` wins
  over ``-pie`` and the result is not position-independent).
- ``-s -w``, ``-bindnow`` and ``CGO_CFLAGS`` change neither the linkage nor the build mode.
"""
from __future__ import annotations

from ..go import flags as goflags
from ..go.flags import GoBuild

PIE_PLATFORMS = frozenset(f"linux/{a}" for a in ("386", "amd64", "arm", "arm64", "loong64", "ppc64", "ppc64le",
                                                  "riscv64", "s390x"))
STATIC = ("static", "static-pie")
# Build modes whose output is a library for a loader or a C linker: never static, always cgo.
NEEDS_LOADER = frozenset(("c-shared", "c-archive", "shared", "plugin"))


def base(binary) -> GoBuild | None:
    """The recorded build of a Go binary, None without build settings (no command can be complete).
    Where Go did not record the -ldflags (-trimpath), the static external link the binary itself
    shows is put back: without it every fix of such a build would make the binary dynamic."""
    go = binary.go
    if go is None or not go.settings:
        return None
    gb = GoBuild.from_settings(go.settings)
    if "-ldflags" in gb.unrecorded and binary.linkage in STATIC and binary.linker not in (None, "go-internal"):
        gb = static_link(gb, pie=gb.buildmode == "pie")
    return gb


def unrecorded_note(gb: GoBuild, *needed: str, fix: GoBuild | None = None) -> list[str]:
    """The sentence a fix's finding carries when the settings it would keep were not recorded
    (``gb`` as :func:`base` made it: -ldflags there are what the binary shows; ``fix``, the
    command's build, when it may have dropped them)."""
    missing = [k for k in needed if k in gb.unrecorded]
    if not missing:
        return []
    if "-ldflags" in missing and gb.ldflags and (fix is None or goflags.external_linkmode(fix.ldflags)):
        shown = goflags.shell_quote(gb.ldflags)
        return [f"Go does not record {' or '.join(missing)} for a -trimpath build: the command keeps the static "
                f"external link the binary shows (-ldflags={shown}); add the other original ones."]
    return [f"Go does not record {' or '.join(missing)} for a -trimpath build: add the original ones to the command."]


def static_link(gb: GoBuild, *, pie: bool) -> GoBuild:
    """``gb`` linked statically by the external linker (``-static``, or ``-static-pie`` for a PIE),
    keeping the other -extldflags words."""
    return with_extldflags(gb, "-static-pie" if pie else "-static", drop=("-static", "-static-pie", "-pie"),
                           linkmode=True)


def with_extldflags(gb: GoBuild, *words: str, drop: tuple[str, ...] = (), linkmode: bool = False) -> GoBuild:
    """``gb`` with ``words`` joined to its -extldflags (the other words kept, ``drop`` taken out);
    with ``linkmode``, ``-linkmode external`` too."""
    keep = [w for w in goflags.extldflags(gb.ldflags) if w not in drop and w not in words]
    try:
        ext = goflags.join(keep + list(words))
    except ValueError:
        ext = " ".join(keep + list(words))
    return gb.with_ldflags(add=(["-linkmode", "external"] if linkmode else []) + ["-extldflags", ext])


def static_pie(gb: GoBuild) -> tuple[GoBuild | None, list[str]]:
    """``gb`` made a PIE that stays static, or (None, why) where that cannot be had."""
    if gb.platform not in PIE_PLATFORMS:
        return None, [f"Go cannot build a position-independent executable for {gb.platform}."]
    new = gb.with_buildmode("pie")
    notes = ["With Go's internal linker -buildmode=pie always makes the binary dynamic (it needs the loader, "
             "PT_INTERP); the fix keeps it static with the external linker and -static-pie, which needs a C "
             "toolchain whose C library links -static-pie (gcc with glibc 2.27+)."]
    if not gb.cgo:
        new = new.with_env(CGO_ENABLED="1").with_tags("netgo", "osusergo")
        notes.append("The external linker needs cgo (CGO_ENABLED=1); -tags netgo,osusergo keeps net and os/user "
                     "pure Go as CGO_ENABLED=0 had them.")
    return static_link(new, pie=True), notes


def pie(binary) -> tuple[str | None, list[str]]:
    """(command, notes) for ``hardening.pie``: -buildmode=pie, static kept where the binary is static."""
    gb = base(binary)
    if gb is None:
        return None, []
    if gb.platform not in PIE_PLATFORMS:
        return None, [f"Go cannot build a position-independent executable for {gb.platform}."]
    if binary.linkage in STATIC:
        new, notes = static_pie(gb)
    else:
        new, notes = gb.with_buildmode("pie"), []
    return (new.command() if new else None), notes + (unrecorded_note(gb, "-ldflags", fix=new) if new else [])


def relro(binary) -> tuple[str | None, list[str]]:
    """``hardening.relro``: -buildmode=pie gives a RELRO segment, the linker's -bindnow makes it full."""
    gb = base(binary)
    if gb is None:
        return None, []
    if binary.linkage in STATIC:
        new, notes = static_pie(gb)
    elif gb.platform in PIE_PLATFORMS:
        new, notes = gb.with_buildmode("pie"), []
    else:
        new, notes = gb, []
    if new is None:
        return None, notes
    new = new.with_ldflags(add=["-bindnow"])
    return new.command(), notes + unrecorded_note(gb, "-ldflags", fix=new)


def strip(binary) -> tuple[str | None, list[str]]:
    """``size.strip``: -s -w merged into the recorded -ldflags. zig cc does not act on the -s Go hands
    the external linker for an ELF target (zig 0.17: the symbol table and the C code's DWARF stay),
    so an ELF binary zig linked gets ``-Wl,--strip-all`` in its -extldflags too, which its lld does."""
    gb = base(binary)
    if gb is None:
        return None, []
    new = gb.with_ldflags(add=["-s", "-w"])
    notes = unrecorded_note(gb, "-ldflags")
    if binary.linker == "zig" and binary.format == "elf":   # (checked on ELF; zig's PE link honours -s)
        new = with_extldflags(new, "-Wl,--strip-all")
        notes = notes + ["zig cc does not pass on the -s Go gives it: -extldflags -Wl,--strip-all has its linker "
                         "drop the symbol table and the C code's DWARF."]
    return new.command(), notes


def cflags(binary, *words: str) -> tuple[str | None, list[str]]:
    """The C-side hardening fixes: ``words`` added to CGO_CFLAGS (cmd/go's default -O2 -g kept)."""
    gb = base(binary)
    if gb is None:
        return None, []
    new = gb.with_cflags(*words)
    if any(w.startswith("-D_FORTIFY_SOURCE") for w in words) and not any(
            w.startswith("-O") and w != "-O0" for w in new.getenv("CGO_CFLAGS").split()):
        new = new.with_cflags("-O2")           # FORTIFY_SOURCE does nothing without optimisation
    return new.command(), unrecorded_note(gb, "CGO_CFLAGS", "-ldflags", fix=new)


_MUSL_ARCH = {"amd64": "x86_64", "arm64": "aarch64", "386": "x86", "riscv64": "riscv64", "arm": "arm",
              "ppc64le": "powerpc64le", "s390x": "s390x", "loong64": "loongarch64"}


def musl(binary) -> str | None:
    """``static-glibc.nss`` for a Go binary whose own C code does the lookups (no Go tag avoids them):
    the same static external link against musl, which has no NSS modules (zig's C compiler)."""
    gb = base(binary)
    if gb is None:
        return None
    new = zig_musl(gb)
    return static_link(new, pie=gb.buildmode == "pie").command() if new is not None else None


def zig_musl(gb: GoBuild) -> GoBuild | None:
    """``gb`` with zig's C compiler for the target's musl as CC, or None for a target zig has no musl for."""
    goarch = gb.getenv("GOARCH") or ""
    arch = _MUSL_ARCH.get(goarch)
    if arch is None:
        return None
    return gb.with_env(CC=f"zig cc -target {arch}-linux-musl" + ("eabihf" if goarch == "arm" else ""))


def zig_glibc(binary) -> bool:
    """Linked by zig cc against glibc, which zig links only dynamically: a static link needs its musl."""
    return (binary.format == "elf" and binary.linker == "zig" and binary.linkage == "dynamic"
            and "ld-musl" not in (binary.interpreter or ""))
