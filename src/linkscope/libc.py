"""Which C library a binary is built for, the newest library versions it requires, and which common
distribution releases can run it. Pure functions over a parsed image; nothing here reads the system.

**The version floor is the loader's rule.** glibc's loader (``elf/dl-version.c``,
``_dl_check_map_versions``) checks *every* Elf_Vernaux entry of every DT_VERNEED record against the
version definitions of the library it names, whether or not a symbol uses it, and refuses to start
the program when one is missing, unless the entry is marked ``VER_FLG_WEAK``. So a family's floor is
the newest non-weak version named in the version needs; the symbols bound to that version are
reported as the ones that force it. Two glibc names are not numbered versions:

- ``GLIBC_PRIVATE`` is glibc's internal interface (only glibc's own programs use it); it is left out
  of the floor and reported as ``private``.
- ``GLIBC_ABI_*`` names are ABI markers. ``GLIBC_ABI_DT_RELR`` (packed relative relocations) is
  defined from glibc 2.36 on, so it raises the floor to 2.36; other markers are reported under
  ``abi_markers`` without a floor, since no release table for them is vetted here.

**How the C library is told** (:func:`libc_flavour`), first rule that answers wins:

1. The interpreter (PT_INTERP), the loader the kernel starts, which belongs to the C library:
   ``ld-linux*`` and ``ld64.so.*`` (and ``/lib*/ld.so.1``) are glibc's, ``ld-musl-*`` musl's,
   ``/system/bin/linker*`` bionic's.
2. DT_NEEDED: ``libc.so.6`` (``.6.1`` on alpha/ia64, ``.0.3`` on the Hurd) and glibc's other libraries
   (``libm.so.6``, ``libpthread.so.0``, ``libdl.so.2``, ``librt.so.1``, ``ld-linux*``) mean glibc;
   ``libc.musl-*.so.1`` (Alpine's name) means musl; ``libc.so`` is the soname of both musl and bionic,
   told apart by Android evidence (the ``Android`` ident note that the NDK's crtbegin adds, or bionic's
   ``LIBC*`` symbol versions).
3. The version needs: any ``GLIBC_*`` requirement means glibc.
4. The soname, for the C libraries themselves.
5. Evidence inside, for static and static-pie binaries (and whatever is still undecided):
   the ``Android`` ident note means bionic; the GNU ABI-tag note (NT_GNU_ABI_TAG, which glibc's
   ``crt1.o`` carries from ``csu/abi-note.S``; musl, bionic and Go's internal linker write none)
   means glibc; then symbol names in ``.symtab`` that only one library defines (glibc:
   ``__libc_start_call_main``, ``__libc_setup_tls``, ``_dl_relocate_static_pie``, ``_IO_stdin_used``;
   musl: ``__init_libc``, ``__libc_start_init``, ``__init_tp``; bionic: ``__libc_init``); then, for
   stripped files, the string ``GLIBC_TUNABLES`` that static glibc (2.26 and later) reads at start-up,
   searched in the read-only loaded segments. Searches are bounded (:data:`SCAN_LIMIT` bytes).
6. A Go binary linked by Go's internal linker with no interpreter and no DT_NEEDED contains no C
   library: ``"none"``. An externally linked one without evidence, or any other file without
   evidence, cannot be told: ``None``.

Non-ELF images, relocatable objects, core files and binaries for other systems than Linux (and the
Hurd) give ``None``: the BSDs' and Solaris' C libraries are none of the four (FreeBSD 6's was even
called ``libc.so.6``).

**The distribution table** is ``data/distros.json``: per release its C library and version, with the
page that documents it. :func:`runs_on` and :func:`distro_summary` read it.
"""
from __future__ import annotations

import os

from . import fastjson
from .go import flags as goflags
from .lazy import memoised
from .errors import LinkscopeError
from .formats.elf import (ET_DYN, ET_EXEC, NT_GNU_ABI_TAG, PF_W, PF_X, PT_LOAD, SHT_NOBITS, SHT_SYMTAB, VER_FLG_WEAK,
                          ElfImage)
from .record import record

GLIBC, MUSL, BIONIC, NONE = "glibc", "musl", "bionic", "none"

# The families whose floors are reported, and the library that defines each.
FAMILIES = ("GLIBC", "GLIBCXX", "CXXABI", "GCC")
# ABI markers with the first glibc release that defines them (NEWS of glibc 2.36: DT_RELR support).
GLIBC_ABI_MARKERS = {"GLIBC_ABI_DT_RELR": "2.36"}

SCAN_LIMIT = 64 << 20   # bytes searched for evidence inside a static binary, at most
RODATA_SCAN_LIMIT = 16 << 20  # of which in read-only data

_GLIBC_SONAMES = ("libc.so.6", "libc.so.6.1", "libc.so.0.3", "libm.so.6", "libm.so.6.1", "libpthread.so.0",
                  "libdl.so.2", "librt.so.1")
_GLIBC_SYMBOLS = (b"__libc_start_call_main", b"__libc_setup_tls", b"_dl_relocate_static_pie", b"_IO_stdin_used")
_MUSL_SYMBOLS = (b"__init_libc", b"__libc_start_init", b"__init_tp")
_BIONIC_SYMBOLS = (b"__libc_init",)
_GLIBC_STRINGS = (b"\0GLIBC_TUNABLES\0",)
NT_ANDROID_IDENT = 1


# -- version numbers -------------------------------------------------------------------------------
def is_dotted(version: str | None) -> bool:
    """Whether ``version`` is digits separated by single dots ("2.34", "3.4.21")."""
    known = _DOTTED.get(version)
    if known is None:
        if len(_DOTTED) > 4096:  # as _VERSION_KEYS: a few dozen in real trees
            _DOTTED.clear()
        known = _DOTTED[version] = bool(version) and all(p.isdigit() and p.isascii() for p in version.split("."))
    return known


_DOTTED: dict[str | None, bool] = {}


def version_key(version: str) -> tuple[int, ...]:
    """Numeric order of dotted versions: "2.3.4" < "2.10", "2.28" == "2.28.0". Raises ValueError for
    anything else."""
    key = _VERSION_KEYS.get(version)
    if key is None:
        if len(_VERSION_KEYS) > 4096:  # real trees have a few dozen; hostile files may invent more
            _VERSION_KEYS.clear()
        key = _VERSION_KEYS[version] = _version_key(version)
    return key


_VERSION_KEYS: dict[str, tuple[int, ...]] = {}


def _version_key(version: str) -> tuple[int, ...]:
    if not is_dotted(version):
        raise ValueError(f"not a dotted version number: {version!r}")
    key = [int(p) for p in version.split(".")]
    while len(key) > 1 and key[-1] == 0:    # 2.28 and 2.28.0 are one version
        key.pop()
    return tuple(key)


# -- which C library -------------------------------------------------------------------------------
def _interpreter_flavour(path: str) -> str | None:
    base = path.rsplit("/", 1)[-1]
    parent = path.rsplit("/", 1)[0] if "/" in path else ""
    if base.startswith("ld-musl-"):
        return MUSL
    if base in ("linker", "linker64", "linker_asan", "linker_asan64") and ("/system/" in path or "/apex/" in path):
        return BIONIC
    if base.startswith("ld-linux") or base.startswith("ld64.so."):
        return GLIBC
    if base == "ld.so.1" and parent in ("/lib", "/lib32", "/lib64", "/libx32"):
        return GLIBC  # mips, ppc32, s390, m68k, hppa (Solaris' is /usr/lib/ld.so.1)
    return None


def _is_android(image: ElfImage) -> bool:
    if image.note(b"Android\0", NT_ANDROID_IDENT) is not None:
        return True
    return any(r.file == "libc.so" and (r.name == "LIBC" or r.name.startswith("LIBC_")) for r in image.version_requirements)


def _needed_flavour(image: ElfImage, names) -> str | None:
    for name in names:
        if name in _GLIBC_SONAMES or name.startswith("ld-linux"):
            return GLIBC
        if name.startswith("libc.musl-"):
            return MUSL
    if "libc.so" in names:
        return BIONIC if _is_android(image) else MUSL
    return None


def _symtab_has(image: ElfImage, names: tuple[bytes, ...]) -> bool:
    """Whether the static symbol table's strings hold one of ``names`` as a whole name."""
    rows = image.section_rows          # (name, type, flags, offset, size, link): no record per section
    for _name, sh_type, _flags, _off, _size, link in rows:
        if sh_type != SHT_SYMTAB or not 0 < link < len(rows):
            continue
        _n, str_type, _f, offset, size, _l = rows[link]
        if str_type == SHT_NOBITS or size == 0 or offset + size > image.view.size:
            continue
        end = offset + min(size, SCAN_LIMIT)
        for name in names:
            if image.view.find(b"\0" + name + b"\0", offset, end) >= 0:
                return True
    return False


def _readonly_has(image: ElfImage, needles: tuple[bytes, ...]) -> bool:
    """Whether a read-only data segment holds one of ``needles`` (at most RODATA_SCAN_LIMIT bytes
    searched). Executable segments are skipped: linkers since binutils 2.31 put .rodata in a segment
    of its own, and a large binary's code must not cost a scan (headers, not the file)."""
    budget = RODATA_SCAN_LIMIT
    for p in image.segments:
        if p.type != PT_LOAD or p.flags & (PF_W | PF_X) or budget <= 0:
            continue
        start = min(p.offset, image.view.size)
        end = min(p.offset + p.filesz, image.view.size, start + budget)
        budget -= end - start
        for needle in needles:
            if image.view.find(needle, start, end) >= 0:
                return True
    return False


def _go_static_without_libc(image: ElfImage) -> bool | None:
    """True for a Go binary from Go's internal linker, False for an externally linked one, None if not Go."""
    from .go import buildinfo

    try:
        info = buildinfo.read_buildinfo(image)
    except LinkscopeError:
        return None   # a damaged blob (the record's warnings say so): how it was linked is unknown
    if info is None and image.go_build_id is None and not image.has_section(".go.buildinfo", ".gopclntab"):
        return None
    ldflags = info.setting("-ldflags", "") if info is not None else ""
    return not goflags.external_linkmode(ldflags)


def libc_flavour(image) -> str | None:
    # Several analyses ask; the answer is a pure function of the (immutable) image.
    return memoised(image, "_libc_flavour", lambda: _libc_flavour(image))


def _libc_flavour(image) -> str | None:
    """"glibc", "musl", "bionic", "none" (no C library: a static pure-Go binary), or None when the
    file does not tell (non-ELF, objects, a static binary without evidence). See the module notes."""
    if not isinstance(image, ElfImage) or image.e_type not in (ET_EXEC, ET_DYN):
        return None
    if image.os_name not in (None, "linux", "android", "hurd"):
        return None  # a BSD or Solaris C library (FreeBSD 6's was also called libc.so.6)
    interp = image.interpreter
    if interp:
        found = _interpreter_flavour(interp)
        if found:
            return found
    found = _needed_flavour(image, image.needed)
    if found:
        return found
    if any(r.name.startswith("GLIBC_") for r in image.version_requirements):
        return GLIBC
    soname = image.soname
    if soname:
        found = _needed_flavour(image, (soname,))
        if found:
            return found
    # Evidence inside: notes, then symbol names, then strings.
    if image.note(b"Android\0", NT_ANDROID_IDENT) is not None:
        return BIONIC
    if image.note(b"GNU\0", NT_GNU_ABI_TAG) is not None:
        return GLIBC
    if _symtab_has(image, _GLIBC_SYMBOLS):
        return GLIBC
    if _symtab_has(image, _MUSL_SYMBOLS):
        return MUSL
    if _symtab_has(image, _BIONIC_SYMBOLS):
        return BIONIC
    if _readonly_has(image, _GLIBC_STRINGS):
        return GLIBC
    if not interp and not image.needed and _go_static_without_libc(image):
        return NONE
    return None


# -- version floors --------------------------------------------------------------------------------
def version_floors(image, symbols: bool = True) -> dict | None:
    """The newest required version per family (GLIBC, GLIBCXX, CXXABI, GCC) with what forces it::

        {"GLIBC": {"version": "2.34", "symbols": ["__libc_start_main"], "from": ["libc.so.6"]}, ...}

    ``symbols`` are the symbols bound to exactly that version (empty when only the version need
    itself, or an ABI marker, forces it); ``from`` the libraries the requirement is made of. The
    GLIBC entry also has ``private`` (symbols bound to GLIBC_PRIVATE) when GLIBC_PRIVATE is required,
    ``abi_markers`` (GLIBC_ABI_* names) when any is, and every family ``weak`` (weak version names,
    not counted, as the loader does not require them) when any is. A family's ``version`` is None
    only when nothing but GLIBC_PRIVATE, unknown markers or weak versions is required of it. Version
    names outside these families (CXXABI_TM_1, GLIBCXX_LDBL_3.4, ...) are not reported. None for
    non-ELF images, {} for an ELF file without version needs. ``symbols=False`` skips the walk over
    the dynamic symbol table (the floors come from the version needs alone; the lists stay empty)."""
    if not isinstance(image, ElfImage):
        return None
    reqs = image.version_requirements
    if not reqs:
        return {}
    floors: dict[str, dict] = {}
    best: dict[str, tuple[tuple[int, ...], str]] = {}
    weak: dict[str, set[str]] = {}
    markers: set[str] = set()
    private = False

    for r in reqs:
        family, ver, key = _NAMES.get(r.name) or _read_name(r.name)
        if family is None:
            continue
        if family not in floors:
            floors[family] = {"version": None, "symbols": [], "from": []}
        if r.flags & VER_FLG_WEAK:
            weak.setdefault(family, set()).add(r.name)
            continue
        if ver:
            if family not in best or key > best[family][0]:
                best[family] = (key, ver)
        elif r.name == "GLIBC_PRIVATE":
            private = True
        else:
            markers.add(r.name)
            implied = GLIBC_ABI_MARKERS.get(r.name)
            if implied and ("GLIBC" not in best or version_key(implied) > best["GLIBC"][0]):
                best["GLIBC"] = (version_key(implied), implied)

    # The imports (or copy-relocated definitions, such as stdout) bound to each floor version.
    wanted = {f"{fam}_{b[1]}" for fam, b in best.items()} | ({"GLIBC_PRIVATE"} if private else set())
    bound = image.symbols_bound_to(wanted) if symbols else {}

    for family, e in floors.items():
        if family in best:
            version = best[family][1]
            e["version"] = version
            name = f"{family}_{version}"
            e["symbols"] = sorted(bound.get(name, ()))
            e["from"] = sorted({r.file for r in reqs if r.name == name and not r.weak})
        if family in weak:
            e["weak"] = sorted(weak[family])
    if "GLIBC" in floors:
        g = floors["GLIBC"]
        if private:
            g["private"] = sorted(bound.get("GLIBC_PRIVATE", ()))
        if markers:
            g["abi_markers"] = sorted(markers)
            if not g["from"]:
                g["from"] = sorted({r.file for r in reqs if r.name in markers})
    return {f: floors[f] for f in FAMILIES if f in floors}


def _read_name(name: str) -> tuple[str | None, str | None, tuple[int, ...] | None]:
    """(family, dotted version, its key) of a version name: ("GLIBC", "2.34", (2, 34)); a family's
    name without a dotted version (GLIBC_PRIVATE, GLIBC_ABI_DT_RELR) has none; (None, None, None)
    outside the families. Kept: a tree of binaries names the same few dozen versions."""
    fam, _, ver = name.partition("_")
    if fam not in FAMILIES or not is_dotted(ver):
        fam = ver = None
    family = fam or ("GLIBC" if name.startswith("GLIBC_") else None)
    got = _NAMES[name] = (family, ver, version_key(ver) if ver else None)
    if len(_NAMES) > 4096:   # as _VERSION_KEYS: hostile files may invent more
        _NAMES.clear()
    return got


_NAMES: dict[str, tuple] = {}


def glibc_min(image) -> str | None:
    """The newest glibc version the binary requires ("2.34"), None when it requires none."""
    floors = version_floors(image, symbols=False)
    if not floors or "GLIBC" not in floors:
        return None
    return floors["GLIBC"]["version"]


# -- distribution releases -------------------------------------------------------------------------
@record
class DistroRelease:
    family: str      # "Debian", "Ubuntu", "RHEL", "Amazon Linux", "Alpine"
    name: str        # "Debian 12 (bookworm)", "Ubuntu 22.04 LTS", ...
    release: str     # "12", "22.04", ...
    libc: str        # "glibc" or "musl"
    version: str     # the C library version the release ships
    source: str      # where that version is documented


def distro_releases() -> tuple[DistroRelease, ...]:
    """The shipped table (data/distros.json), in family order, each family oldest first."""
    if not _RELEASES:
        _RELEASES.append(_read_releases())
    return _RELEASES[0]


_RELEASES: list = []


def _read_releases() -> tuple[DistroRelease, ...]:
    path = os.path.join(os.path.dirname(__file__), "data", "distros.json")
    if os.path.exists(path):
        with open(path, encoding="utf-8") as fh:
            text = fh.read()
    else:  # installed in a zip: importlib.resources (costly to import, hence not first)
        from importlib import resources
        text = resources.files("linkscope").joinpath("data/distros.json").read_text(encoding="utf-8")
    rows = fastjson.loads(text)["releases"]
    out = [DistroRelease(r["family"], r["name"], r["release"], r["libc"], r["version"], r["source"]) for r in rows]
    order = {}
    for r in out:
        order.setdefault(r.family, len(order))
    out.sort(key=lambda r: (order[r.family], version_key(r.release)))
    return tuple(out)


def runs_on(libc: str | None, glibc_min: str | None) -> list[str]:
    """The listed releases that can run a binary for ``libc`` needing ``glibc_min``, by family then
    release: for glibc those shipping glibc >= glibc_min (all of them when None); for musl the Alpine
    releases (musl has no symbol versions to compare); for "none" (no C library) every release;
    nothing for bionic (Android) or an unknown C library."""
    rows = distro_releases()
    if libc == NONE:
        return [r.name for r in rows]
    if libc == MUSL:
        return [r.name for r in rows if r.libc == MUSL]
    if libc != GLIBC:
        return []
    floor = version_key(glibc_min) if glibc_min is not None else ()
    return [r.name for r in rows if r.libc == GLIBC and version_key(r.version) >= floor]


def distro_summary(glibc_min: str | None, libc: str = GLIBC) -> str:
    """The oldest listed release of each family that runs it: "Debian 11+, Ubuntu 20.04+, RHEL 9+,
    Amazon Linux 2023+". "any Linux" for libc "none"; "" for a C library the table does not cover."""
    if libc == NONE:
        return "any Linux"
    if libc not in (GLIBC, MUSL):
        return ""
    names = set(runs_on(libc, glibc_min))
    oldest: dict[str, DistroRelease] = {}
    for r in distro_releases():
        if r.name in names and r.family not in oldest:
            oldest[r.family] = r
    if not oldest:
        return "none of the listed distribution releases"
    return ", ".join(f"{r.family} {r.release}+" for r in oldest.values())
