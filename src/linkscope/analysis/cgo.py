"""cgo in a Go binary: enabled by the build, used by the program, which packages caused it, and the
rebuild that removes it (or makes the result static anyway).

**Enabled** is the build setting ``CGO_ENABLED`` (``go version -m``): "1" means the toolchain was
allowed to compile C, nothing more.

**Used** means ``runtime/cgo`` is linked in. Read, first that answers, from:

1. Go's function table (survives ``-s -w``): any ``runtime/cgo.*`` function (``runtime/cgo.set_crosscall2``
   in every cgo binary since Go 1.21), or ``x_cgo_init``, the C function Go's internal linker
   lists there; not searched when CGO_ENABLED=0;
2. the static symbol table: ``x_cgo_init``;
3. the dynamic imports of an ELF file: ``pthread_create`` is imported only by runtime/cgo (Go's own
   runtime makes its threads with the clone system call);
4. ``CGO_ENABLED=0`` means not used. Otherwise: unknown (None).

**Causes**, from the cgo stubs the cgo tool generates in each package that calls C, named
``<package>._Cfunc_<name>`` (``_C2func_`` when errno is returned), found in the function table
(or the static symbol table):

- ``net`` (``net._C2func_getaddrinfo``, ``net._Cfunc_gai_strerror``...): the C library's resolver;
  imports getaddrinfo, getnameinfo, res_search;
- ``os/user`` (``os/user._Cfunc_mygetpwuid_r``...): getpwuid_r, getpwnam_r, getgrgid_r, getgrnam_r;
- ``plugin`` (``plugin._Cfunc_pluginOpen``): dlopen;
- ``c-code``: the program's own C, a stub in package ``main`` or in any package outside the
  standard library (its path has a dot in the first element, or is the main module or one of the
  modules of the build info);
- another standard package: its own path (``crypto/internal/boring`` with GOEXPERIMENT=boringcrypto);
- ``external-linking``: runtime/cgo and nothing else, linked because ``-ldflags=-linkmode external``
  asks for it.

Without a function table, the imports stand in: getaddrinfo & co. for net, getpwuid_r & co. for
os/user, dlopen for plugin.

**The fix** keeps the program working and makes it static; it is the binary's own recorded build
(gofix.base: tags, ldflags, build mode, environment) with the change merged in:

- only net and os/user: rebuild with ``-tags netgo`` / ``-tags osusergo`` (the pure-Go resolver and
  user lookup; only the tags needed), keeping the build's other flags; ``-linkmode external``
  goes too unless the program has its own C code (``CGO_ENABLED=0`` does the same); a PIE
  (``-buildmode=pie``) stays dynamic with Go's internal linker, so it is linked
  ``-linkmode external -extldflags -static-pie`` instead;
- only external linking: drop ``-linkmode external`` (when the result is dynamic);
- the program's own C code: ``-ldflags '-linkmode external -extldflags -static'`` (``-static-pie``
  for a PIE: gcc's ``-static`` would win over ``-pie``), with the tags
  for net and os/user added so the static binary does not depend on glibc's NSS modules at run
  time (see static-glibc.nss);
- plugin, and the build modes that make a library (c-shared, c-archive, shared, plugin): none
  (they need cgo, or the dynamic loader, whatever the program does).
"""
from __future__ import annotations

from ..record import record, field

from ..model import CgoInfo, Finding
from ..go import flags as goflags
from ..go.flags import GoBuild
from ..lazy import Rx
from . import gofix

NET, USER, PLUGIN, CCODE, EXTLINK = "net", "os/user", "plugin", "c-code", "external-linking"
TAG_FOR = {NET: "netgo", USER: "osusergo"}

NET_IMPORTS = ("getaddrinfo", "getnameinfo", "res_search", "res_nsearch", "gai_strerror", "freeaddrinfo")
USER_IMPORTS = ("getpwuid_r", "getpwnam_r", "getgrgid_r", "getgrnam_r", "getgrouplist")
PLUGIN_IMPORTS = ("dlopen",)
# The helpers every cgo package gets (C.GoString, C.CString...), not calls of the user's own.
_HELPERS = tuple(f"._Cfunc_{h}" for h in ("GoString", "GoStringN", "GoBytes", "CString", "CBytes", "_CMalloc",
                                          "_Cmalloc"))
# The closing NUL is looked ahead at, not consumed: it opens the next name, which may be a stub too.
_SYMTAB_STUB = Rx(rb"\0((?:[\w.\-~]+/)*[\w.\-~]+\._C2?func_\w+)(?=\0)")
_MAX_EVIDENCE = 4


@record(frozen=False, slots=False)
class CgoResult:
    info: CgoInfo
    evidence: dict[str, list[str]] = field(default_factory=dict)   # cause -> evidence strings
    used_evidence: list[str] = field(default_factory=list)
    enabled_evidence: list[str] = field(default_factory=list)


def _std(pkg: str, go) -> bool:
    if pkg == "main" or "." in pkg.split("/", 1)[0]:
        return False
    mods = []
    if go is not None:
        if go.main is not None and go.main.path:
            mods.append(go.main.path)
        if go.path:
            mods.append(go.path)
        mods.extend(d.path for d in go.deps)
    return not any(pkg == m or pkg.startswith(m + "/") for m in mods)


def _cause_of(pkg: str, go) -> str:
    if pkg in (NET, USER, PLUGIN):
        return pkg
    return pkg if _std(pkg, go) else CCODE


def analyze(ev) -> CgoResult | None:
    """None for files that are not Go binaries."""
    if not ev.is_go:
        return None
    b = ev.binary
    go = b.go
    setting = ev.setting("CGO_ENABLED")
    enabled = {"1": True, "0": False}.get(setting or "")
    res = CgoResult(CgoInfo(enabled, None, ()))
    if setting is not None:
        res.enabled_evidence.append(f"build setting CGO_ENABLED={setting}")

    # CGO_ENABLED=0 links no runtime/cgo: the function table is read only otherwise.
    ft = ev.functab if enabled is not False else None
    evidence: dict[str, list[str]] = {}
    used_ev: list[str] = []

    def add(cause: str, text: str) -> None:
        lst = evidence.setdefault(cause, [])
        if len(lst) < _MAX_EVIDENCE:
            lst.append(text)

    if ft is not None:
        first = ft.with_prefix("runtime/cgo.", 1)
        if first:
            used_ev.append(f"function {first[0]} (Go function table)")
        elif ft.has("x_cgo_init"):
            used_ev.append("function x_cgo_init (Go function table)")
        # Real calls first; the helpers every cgo package gets (C.GoString, C.CString...) last.
        for n in sorted(ft.containing("._C", 512), key=lambda n: (n.endswith(_HELPERS), n)):
            pkg = _stub_package(n)
            if pkg is not None and not pkg.startswith("_cgo_"):
                add(_cause_of(pkg, go), f"function {n} (Go function table)")
    elif ev.has_symtab:
        if ev.symtab_has("x_cgo_init"):
            used_ev.append("symbol x_cgo_init (symbol table)")
        for n in ev.symtab_findall(_SYMTAB_STUB, b"._C"):
            pkg = _stub_package(n)
            if pkg is not None:
                add(_cause_of(pkg, go), f"symbol {n} (symbol table)")
    # Dynamic imports: the libc calls each cause makes (evidence, and the cause when nothing else says).
    for cause, wanted in ((NET, NET_IMPORTS), (USER, USER_IMPORTS), (PLUGIN, PLUGIN_IMPORTS)):
        if ev.format != "elf":
            break
        got = [q for q in (ev.imported(n) for n in wanted) if q]
        if got and (cause in evidence or ft is None):
            evidence.setdefault(cause, []).extend(f"dynamic import {q}" for q in got[:2])
    if not used_ev and ev.format == "elf":
        q = ev.imported("pthread_create")
        if q:
            used_ev.append(f"dynamic import {q} (only runtime/cgo creates threads through libc)")

    if used_ev or evidence:
        used = True
    elif enabled is False:
        used = False
    elif ft is not None or ev.has_symtab:
        used = False
    else:
        used = None
    causes = [c for c in (NET, USER, PLUGIN) if c in evidence]
    causes += sorted(c for c in evidence if c not in (NET, USER, PLUGIN, CCODE))
    if CCODE in evidence:
        causes.append(CCODE)
    ldflags = ev.setting("-ldflags") or ""
    if used and not causes:
        if goflags.external_linkmode(ldflags):
            causes.append(EXTLINK)
            evidence[EXTLINK] = [f"build setting -ldflags={ldflags}"]
        elif ev.setting("-race") == "true":
            causes.append("race")
            evidence["race"] = ["build setting -race=true"]
    res.info = CgoInfo(enabled, used, tuple(causes))
    res.evidence = evidence
    res.used_evidence = used_ev
    return res


# -- the fix ---------------------------------------------------------------------------------------
def _stub_package(name: str) -> str | None:
    """The package of a cgo call stub ("net._C2func_getaddrinfo" -> "net"), None for other names."""
    i = name.find("._C", 1)
    while i >= 0:
        for tag in ("._Cfunc_", "._C2func_"):
            if name.startswith(tag, i) and len(name) > i + len(tag):
                return name[:i]
        i = name.find("._C", i + 1)
    return None


def rebuild(info: CgoInfo, binary) -> GoBuild | None:
    """The rebuild that keeps the program working and removes its libc dependency (the binary's own
    build, see gofix, with the change merged in), or None when nothing is to be done (or can be)."""
    if not info.used:
        return None
    causes = set(info.causes)
    gb = gofix.base(binary)
    if gb is None or PLUGIN in causes or gb.buildmode in gofix.NEEDS_LOADER:
        return None
    static = binary.linkage in ("static", "static-pie")
    pie = gb.buildmode == "pie"
    add = [TAG_FOR[c] for c in (NET, USER) if c in causes and TAG_FOR[c] not in gb.tags]
    tagged = gb.with_tags(*add)

    def linked_static(new: GoBuild) -> GoBuild | None:
        if gofix.zig_glibc(binary):        # zig cc links glibc only dynamically: its musl, then
            new = gofix.zig_musl(new)
            if new is None:
                return None
        return gofix.static_link(new, pie=pie)

    if CCODE in causes or causes - {NET, USER, EXTLINK}:
        if binary.format != "elf":
            return None
        if static:
            # Already static: only the NSS hazard of net / os/user remains to remove.
            return tagged if add else None
        return linked_static(tagged)
    if static and not add:
        return None
    if pie:
        # Go's internal linker makes every PIE dynamic: static and PIE only through -static-pie (here the
        # binary is dynamic, or static with a tag to add).
        return linked_static(tagged)
    # net and/or os/user only: the pure-Go implementations, Go's own linker.
    return tagged.with_ldflags(remove=("linkmode", "extldflags"))


_WHY = {
    NET: "net (the C library's resolver: getaddrinfo & co.)",
    USER: "os/user (getpwuid_r & co.)",
    PLUGIN: "plugin (dlopen)",
    CCODE: "the program's own C code",
    EXTLINK: "-linkmode external (runtime/cgo is always linked for an external link)",
    "race": "the race detector (-race)",
}


def findings(res: CgoResult | None, binary, fix: GoBuild | None) -> list[Finding]:
    """The cgo finding of ``binary``; ``fix`` is :func:`rebuild`'s, made once by the caller (the NSS
    finding offers the same command)."""
    if res is None:
        return []
    info = res.info
    if info.enabled is False and not info.used:
        return [Finding("cgo.disabled", "info", "cgo was disabled for this build (CGO_ENABLED=0): no C code, "
                        "no libc calls from Go.", tuple(res.enabled_evidence), None)]
    if info.used is False:
        ev = list(res.enabled_evidence) + ["no runtime/cgo functions in Go's function table"]
        return [Finding("cgo.enabled-unused", "info", "cgo was enabled (CGO_ENABLED=1) but nothing in the program "
                        "uses it: no C code is linked in and the build does not depend on it.", tuple(ev), None)]
    if not info.used:
        return []
    whys = [_WHY.get(c, c) for c in info.causes] or ["an unidentified package"]
    dynamic = binary.linkage == "dynamic"
    title = "cgo is used, because of " + _join(whys) + "."
    if dynamic:
        title += " That is why the binary is dynamically linked against the C library."
    else:
        title += " The binary is still statically linked."
    causes = set(info.causes)
    if fix is not None:
        pie = fix.buildmode == "pie"
        if causes <= {NET, USER} and causes:
            pure = _join([w for c, w in ((NET, "resolver (-tags netgo)"), (USER, "user lookup (-tags osusergo)"))
                          if c in causes])
            title += (f" Go's own {pure} " + ("replaces it" if len(causes) == 1 else "replace them")
                      + (" without cgo (CGO_ENABLED=0 does the same)." if not pie else "."))
            if pie and dynamic:
                title += (" A PIE is dynamic with Go's internal linker whatever the tags, so the fix keeps it PIE "
                          "and static with the external linker and -static-pie (gcc with glibc 2.27+).")
        elif CCODE in causes and dynamic:
            title += (" Own C code needs cgo; a static external link keeps it"
                      + (", with the pure-Go net / os/user so no glibc NSS module is needed at run time."
                         if causes & {NET, USER} else "."))
    elif PLUGIN in causes:
        title += " The plugin package needs the dynamic loader; it cannot be made static."
    evidence = list(res.enabled_evidence) + list(res.used_evidence)
    for c in info.causes:
        evidence.extend(res.evidence.get(c, []))
    if fix is not None:
        notes = gofix.unrecorded_note(gofix.base(binary), "-ldflags", fix=fix)
        if gofix.zig_glibc(binary) and fix.getenv("CC"):
            notes.append(f"zig cc links glibc only dynamically: the static link uses its musl (CC='{fix.getenv('CC')}').")
        title = " ".join([title] + notes)
    severity = "warning" if dynamic else "info"
    return [Finding("cgo.used", severity, title, tuple(dict.fromkeys(evidence)), fix.command() if fix else None)]


def _join(items: list[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]
