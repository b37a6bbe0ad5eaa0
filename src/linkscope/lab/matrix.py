"""What to build: modes (named recipes of environment and flags) times targets (GOOS/GOARCH), and
for each pair the complete ``go build`` it takes, or why it cannot be had on this machine.

A mode changes a :class:`~linkscope.go.flags.GoBuild` the way explain's fixes do (tags added,
-ldflags words merged, never replaced), so ``nocgo+stripped`` and a user's own ``-tags`` compose.
Modes ``+``-joined apply left to right. Users add modes in ``[tool.linkscope.modes.NAME]``
(pyproject.toml) or ``[modes.NAME]`` (linkscope.toml) of the package's directory or the current one,
with keys ``tags`` (list), ``ldflags`` (list of words), ``gcflags`` (string), ``env`` (table),
``buildmode``, ``trimpath`` (bool), ``cgo`` (bool), ``static`` (bool: the external static link),
``description``.

cgo: a variant whose recipe needs cgo (``cgo``, ``static-external``, ``static-pie``, ``static-musl``)
gets ``CGO_ENABLED=1`` explicitly (Go turns cgo off silently when cross-compiling) and a C compiler
for its target: the host's for the host's own target, else zig's through a wrapper (lab/cc.py).
"""
from __future__ import annotations

import os
from pathlib import Path

from ..analysis.gofix import PIE_PLATFORMS, static_link, static_pie, with_extldflags
from ..go.flags import GoBuild, words
from ..record import record
from .toolchains import host_goarch, zig_target

COMMON_TARGETS = ("linux/amd64", "linux/arm64", "linux/arm", "linux/386", "linux/riscv64", "darwin/arm64",
                  "darwin/amd64", "windows/amd64", "windows/arm64", "wasip1/wasm", "js/wasm")
def host_target() -> str:
    return f"{os.uname().sysname.lower()}/{host_goarch()}"


@record
class Recipe:
    """A mode: what it changes, applied in ``apply``."""
    name: str
    description: str
    tags: tuple[str, ...] = ()
    ldflags: tuple[str, ...] = ()
    gcflags: str | None = None
    env: tuple[tuple[str, str], ...] = ()
    buildmode: str | None = None
    trimpath: bool = False
    cgo: bool | None = None          # True: needs cgo; False: turns it off
    static: bool = False             # the external linker's static link (-static, -static-pie for a PIE)
    libc: str | None = None          # "musl": link against musl (zig), whatever the target's default
    static_pie: bool = False


BUILTIN_MODES: dict[str, Recipe] = {r.name: r for r in (
    Recipe("default", "go build as it is"),
    Recipe("netgo", "pure-Go resolver and user lookups (-tags netgo,osusergo)", tags=("netgo", "osusergo")),
    Recipe("nocgo", "cgo off (CGO_ENABLED=0)", cgo=False),
    Recipe("cgo", "cgo on (CGO_ENABLED=1) with a C compiler for the target", cgo=True),
    Recipe("static-external", "the external linker's static link (-linkmode external -extldflags -static)",
           cgo=True, static=True),
    Recipe("static-musl", "static link against musl through zig cc (no glibc NSS hazard)", cgo=True, static=True,
           libc="musl"),
    Recipe("static-pie", "a PIE that needs no loader (-buildmode=pie, external -static-pie)", cgo=True,
           static_pie=True),
    Recipe("stripped", "no symbol table or DWARF (-ldflags=-s -w)", ldflags=("-s", "-w")),
    Recipe("pie", "position-independent (-buildmode=pie)", buildmode="pie"),
    Recipe("trimpath", "no file-system paths in the binary (-trimpath)", trimpath=True),
)}
ALL_MODES = ("default", "netgo", "nocgo", "static-external", "static-musl", "static-pie", "stripped", "pie",
             "trimpath")


class MatrixError(ValueError):
    """A mode, target or option that names nothing (a usage error)."""


def user_modes(*dirs: Path) -> dict[str, Recipe]:
    """The modes defined in pyproject.toml ([tool.linkscope.modes]) or linkscope.toml ([modes]) of
    ``dirs`` (the first file that defines any wins)."""
    import tomllib

    for d in dirs:
        for name, path in (("pyproject.toml", ("tool", "linkscope", "modes")), ("linkscope.toml", ("modes",))):
            f = d / name
            if not f.is_file():
                continue
            try:
                doc = tomllib.loads(f.read_text(encoding="utf-8"))
            except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as e:
                raise MatrixError(f"{f}: {e}") from None
            for key in path:
                doc = doc.get(key, {}) if isinstance(doc, dict) else {}
            if doc:
                return {n: _recipe(n, spec, f) for n, spec in doc.items()}
    return {}


def _recipe(name: str, spec, where: Path) -> Recipe:
    if not isinstance(spec, dict):
        raise MatrixError(f"{where}: mode {name!r} is not a table")
    known = {"tags", "ldflags", "gcflags", "env", "buildmode", "trimpath", "cgo", "static", "description"}
    extra = set(spec) - known
    if extra:
        raise MatrixError(f"{where}: mode {name!r}: unknown keys {', '.join(sorted(extra))}")

    def strings(key):
        v = spec.get(key, [])
        if isinstance(v, str):
            v = v.split()
        if not isinstance(v, list) or not all(isinstance(x, str) for x in v):
            raise MatrixError(f"{where}: mode {name!r}: {key} must be a list of strings")
        return tuple(v)

    env = spec.get("env", {})
    if not isinstance(env, dict) or not all(isinstance(v, str) for v in env.values()):
        raise MatrixError(f"{where}: mode {name!r}: env must be a table of strings")
    return Recipe(name, str(spec.get("description", f"user mode from {where.name}")), tags=strings("tags"),
                  ldflags=strings("ldflags"), gcflags=spec.get("gcflags"), env=tuple(sorted(env.items())),
                  buildmode=spec.get("buildmode"), trimpath=bool(spec.get("trimpath", False)),
                  cgo=spec.get("cgo"), static=bool(spec.get("static", False)))


def parse_modes(text: str, known: dict[str, Recipe]) -> list[tuple[str, tuple[Recipe, ...]]]:
    """``default,nocgo+stripped`` -> [(name, recipes)]; ``all`` is every built-in mode."""
    out = []
    for item in (t.strip() for t in text.split(",")):
        if not item:
            continue
        if item == "all":
            out += [(n, (known[n],)) for n in ALL_MODES]
            continue
        parts = item.split("+")
        bad = [p for p in parts if p not in known]
        if bad:
            raise MatrixError(f"unknown mode {bad[0]!r} (known: {', '.join(sorted(known))})")
        out.append((item, tuple(known[p] for p in parts)))
    return list(dict(out).items())


def parse_targets(text: str, available: frozenset[str] | None) -> list[str]:
    """``common,linux/arm64`` -> GOOS/GOARCH pairs, checked against ``go tool dist list``."""
    out: list[str] = []
    for item in (t.strip() for t in text.split(",")):
        if not item:
            continue
        if item == "common":
            out += COMMON_TARGETS
        elif item == "host":
            out.append(host_target())
        else:
            if item.count("/") != 1:
                raise MatrixError(f"target {item!r} is not GOOS/GOARCH")
            if available is not None and item not in available:
                raise MatrixError(f"go tool dist list has no target {item!r}")
            out.append(item)
    return list(dict.fromkeys(out))


@record
class Variant:
    """One build of the matrix: ``gb`` is the complete command; ``skip`` says why it cannot be had."""
    mode: str
    target: str
    gb: GoBuild
    c_target: str | None = None      # the zig target of its C compiler (None: the host's compiler, or no cgo)
    skip: str | None = None
    macos_sdk: str | None = None     # an Apple SDK for the zig C compiler (a darwin cgo build)
    notes: tuple[str, ...] = ()      # what linkscope changed in the recipe to make it build, and why

    @property
    def goos(self) -> str:
        return self.target.split("/")[0]

    @property
    def goarch(self) -> str:
        return self.target.split("/")[1]

    @property
    def key(self) -> str:
        return f"{self.mode}@{self.target}"


def variant(mode: str, recipes: tuple[Recipe, ...], target: str, base: GoBuild, *, host: str,
            host_cc: bool, zig: bool, cc: str = "auto", glibc: str | None = None,
            macos: str | None = None, macos_sdk: str | None = None) -> Variant:
    """The build of ``recipes`` for ``target`` on top of the user's own flags ``base``. ``cc``:
    "auto" (the host compiler for the host target, zig for the others), "host" or "zig"."""
    goos, goarch = target.split("/")
    gb = base.with_env(GOOS=goos, GOARCH=goarch)
    native = target == host
    # What the host's go would do by default: cgo on for the host target when a C compiler is there.
    gb = gb.with_env(CGO_ENABLED=gb.getenv("CGO_ENABLED") or ("1" if native and host_cc else "0"))
    libc, need_cgo, cgo_off = None, False, False
    for r in recipes:
        if r.tags:
            gb = gb.with_tags(*r.tags)
        if r.ldflags:
            gb = gb.with_ldflags(add=list(r.ldflags))
        if r.gcflags:
            gb = gb.with_flag("-gcflags", r.gcflags)
        if r.env:
            gb = gb.with_env(**dict(r.env))
        if r.buildmode:
            if r.buildmode == "pie" and target not in PIE_PLATFORMS and goos != "windows" and goos != "darwin":
                return Variant(mode, target, gb, skip=f"Go cannot build a position-independent executable for {target}")
            gb = gb.with_buildmode(r.buildmode)
        if r.trimpath:
            gb = gb.with_flag("-trimpath", "true")
        if r.cgo is False:
            cgo_off = True
            gb = gb.with_env(CGO_ENABLED="0")
        elif r.cgo:
            need_cgo = True
        if r.libc:
            libc = r.libc
        if r.static_pie:
            new, notes = static_pie(gb.with_env(CGO_ENABLED="1"))
            if new is None:
                return Variant(mode, target, gb, skip=notes[0] if notes else "no static PIE for this target")
            gb = new
        elif r.static:
            if goos in ("darwin", "windows", "js", "wasip1"):
                return Variant(mode, target, gb, skip=f"no static external link for {goos}: "
                               + ("Go links libSystem dynamically on darwin, always" if goos == "darwin" else
                                  "Windows programs load the system DLLs" if goos == "windows" else
                                  "wasm has no C linker"))
            gb = static_link(gb, pie=gb.buildmode == "pie")
    if goarch == "wasm":
        if need_cgo:
            return Variant(mode, target, gb, skip="cgo is not available for wasm")
        return Variant(mode, target, gb.with_env(CGO_ENABLED="0"))
    if not need_cgo:
        return Variant(mode, target, gb)
    if cgo_off:
        return Variant(mode, target, gb, skip="the mode needs cgo and another turns it off (-linkmode requires "
                                             "external (cgo) linking, but cgo is not enabled)")
    gb = gb.with_env(CGO_ENABLED="1")
    if any(r.static_pie for r in recipes) and not (native and cc != "zig"):
        return Variant(mode, target, gb, skip="static-pie needs a C toolchain known to link -static-pie: the "
                                             "host's gcc with glibc, for the host's own target only")
    use_host = cc == "host" or (cc == "auto" and native and libc is None)
    if use_host:
        if not host_cc:
            return Variant(mode, target, gb, skip='cgo: C compiler "gcc" not found (install gcc, or --cc zig)')
        return Variant(mode, target, gb)
    zt = zig_target(goos, goarch, libc=libc, glibc=glibc, macos=macos)
    if zt is None:
        return Variant(mode, target, gb, skip=f"zig has no C toolchain Go can use for {target}"
                       + (f" with {libc}" if libc else ""))
    if not zig:
        return Variant(mode, target, gb, skip="needs zig for a C compiler for this target (pip install "
                                             "'linkscope[toolchains]', or put zig on PATH)")
    notes = ()
    if goos == "darwin" and "-w" not in words(gb.ldflags):
        # Linking externally for darwin, Go's linker moves the DWARF into the binary with `strip -S`,
        # the strip its C compiler names; zig names the host's, which cannot read Mach-O. Without DWARF
        # (-w) there is nothing to move.
        gb = gb.with_ldflags(add=["-w"])
        notes = ("-ldflags -w added: Go's linker would run the host's strip (which zig names, and which cannot "
                 "read Mach-O) to move the DWARF into the binary",)
    if goos == "linux" and "-s" in words(gb.ldflags):
        # zig cc does not act on the -s Go hands the external linker: its lld is asked directly.
        gb = with_extldflags(gb, "-Wl,--strip-all")
        notes += ("-extldflags -Wl,--strip-all added: zig cc does not pass on the -s Go gives it (the symbol table "
                  "and the C code's DWARF would stay)",)
    return Variant(mode, target, gb, c_target=zt, macos_sdk=macos_sdk if goos == "darwin" else None, notes=notes)


def shard(items: list, part: tuple[int, int] | None) -> list:
    """Part (I, N) of ``items`` (inputs.parse_shard): every N-th item, starting at the I-th, so the
    parts are disjoint, together the whole, and each the same whatever machine computes it."""
    if part is None:
        return items
    i, n = part
    return items[i - 1::n]
