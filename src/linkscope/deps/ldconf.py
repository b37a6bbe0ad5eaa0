"""glibc's loader configuration: /etc/ld.so.conf (with ``include`` globs) and /etc/ld.so.cache.

ld.so.conf, as ldconfig's parse_conf reads it: ``#`` starts a comment anywhere on a line; a line
``include PATTERN...`` includes every file matching each glob (relative patterns are relative to the
including file's directory; matches sorted, as glob(3) sorts); ``hwcap`` lines are ignored; any other
line is one directory, with a legacy ``=TYPE`` suffix dropped and trailing slashes removed. Files
are read inside the root; an include loop or an unreadable file gives a diagnostic and the rest.

ld.so.cache, as glibc's dl-cache.c reads it, in its three layouts:

* new ("glibc-ld.so.cache1.1", glibc >= 2.32 writes only this): a 48-byte header (nlibs, string
  table length, an endianness flag, the extension directory offset), ``nlibs`` entries of 24 bytes
  (flags, key, value, osversion, hwcap) whose strings are offsets from the start of this header; the
  extension directory (magic 0xeaa42174) may hold the glibc-hwcaps subdirectory names that entries
  with hwcap bit 62 refer to by index.
* old ("ld.so-1.7.0", libc5 / glibc < 2.2): a 16-byte header, ``nlibs`` entries of 12 bytes (flags,
  key, value) whose strings are offsets from the end of the entries.
* compat (glibc 2.2 - 2.31 default): an old cache followed, 8-byte aligned, by a new one; the new
  one is used.

Every count and offset is checked against the file before use; a cache that fails the loader's own
checks is reported (the loader would ignore it) and the search carries on without it.
"""
from __future__ import annotations

import fnmatch
import struct
from ..record import record

from ..files import Files, dirname, join

OLD_MAGIC = b"ld.so-1.7.0"
NEW_MAGIC = b"glibc-ld.so.cache1.1"
EXTENSION_MAGIC = 0xEAA42174
EXT_TAG_GLIBC_HWCAPS = 1
HWCAP_EXTENSION = 1 << 62
HWCAP_ISA_LEVEL_MASK = (1 << 10) - 1
HWCAP_TLS = 1 << 63
NEW_HEADER, NEW_ENTRY, OLD_HEADER, OLD_ENTRY = 48, 24, 16, 12
MAX_STRING = 4096
# Entries of a cache read, at most (a distribution with every library package has tens of thousands),
# and glibc-hwcaps subdirectory names (glibc knows four per architecture).
MAX_CACHE_ENTRIES = 1 << 18
MAX_HWCAPS_NAMES = 256
MAX_INCLUDE_DEPTH = 32
MAX_CONF_FILES = 4096


@record
class CacheEntry:
    key: str
    value: str
    flags: int
    hwcap: int = 0
    hwcaps_subdir: str | None = None    # named glibc-hwcaps subdirectory ("x86-64-v3"), if any

    @property
    def named_hwcap(self) -> bool:
        return ((self.hwcap >> 32) & ~HWCAP_ISA_LEVEL_MASK) == (HWCAP_EXTENSION >> 32)


class LdCache:
    """A parsed ld.so.cache: the entries in file order, indexed by name."""

    __slots__ = ("layout", "entries", "_index")

    def __init__(self, layout: str, entries: tuple[CacheEntry, ...]):
        self.layout = layout           # "new", "old" or "compat"
        self.entries = entries
        index: dict[str, list[CacheEntry]] = {}
        for e in entries:
            index.setdefault(e.key, []).append(e)
        self._index = {k: tuple(v) for k, v in index.items()}

    def lookup(self, name: str, accept: frozenset[int], hwcaps: tuple[str, ...] = ()) -> str | None:
        """The path the loader takes from the cache for ``name`` (dl-cache.c search_cache): among
        the entries of that name with acceptable flags, the named-hwcaps entry of the best priority
        the CPU supports, else the first plain entry (one with the loader's own default flags stops
        the search). Entries for legacy hwcaps subdirectories (platform / hwcap bits) are skipped."""
        best: str | None = None
        best_prio = 0
        default = max(accept) if accept else None
        for e in self._index.get(name, ()):
            if e.flags not in accept:
                continue
            if e.named_hwcap:
                if e.hwcaps_subdir not in hwcaps:
                    continue
                prio = hwcaps.index(e.hwcaps_subdir) + 1
                if best is None or prio < best_prio:
                    best, best_prio = e.value, prio
                continue
            if best is not None:
                break
            if e.hwcap & ~HWCAP_TLS:
                continue
            best = e.value
            if e.flags == default:
                break
        return best


def parse_cache(data: bytes, little: bool = True) -> tuple[LdCache | None, list[str]]:
    """(cache, problems). ``little`` is the byte order of the binaries it serves (an old-format cache
    carries none; a new one says its own, and one of the other order is refused, as ld.so does)."""
    problems: list[str] = []
    if data.startswith(OLD_MAGIC):
        e = "<" if little else ">"
        if len(data) < OLD_HEADER:
            return None, ["ld.so.cache: truncated old-format header"]
        nlibs = struct.unpack_from(e + "I", data, 12)[0]
        if (len(data) - OLD_HEADER) // OLD_ENTRY < nlibs:
            return None, [f"ld.so.cache: old-format header declares {nlibs} entries, the file holds fewer"]
        end_entries = OLD_HEADER + nlibs * OLD_ENTRY
        new_off = (end_entries + 7) & ~7
        if len(data) >= new_off + NEW_HEADER and data[new_off:new_off + len(NEW_MAGIC)] == NEW_MAGIC:
            cache, more = _parse_new(data, new_off, little)
            if cache is not None:
                cache.layout = "compat"
            return cache, problems + more
        entries = []
        strings_at = end_entries
        for i in range(_entry_budget(nlibs, problems)):
            flags, key, value = struct.unpack_from(e + "iII", data, OLD_HEADER + i * OLD_ENTRY)
            k, v = _cstr(data, strings_at + key), _cstr(data, strings_at + value)
            if k is None or v is None:
                problems.append(f"ld.so.cache: entry {i} has a string offset outside the file; skipped")
                continue
            entries.append(CacheEntry(k, v, flags))
        return LdCache("old", tuple(entries)), problems
    if data.startswith(NEW_MAGIC):
        return _parse_new(data, 0, little)
    return None, ["ld.so.cache: not a cache file (no ld.so-1.7.0 or glibc-ld.so.cache1.1 magic); ignored, "
                  "as the loader ignores it"]


def _parse_new(data: bytes, base: int, little: bool) -> tuple[LdCache | None, list[str]]:
    problems: list[str] = []
    if len(data) < base + NEW_HEADER:
        return None, ["ld.so.cache: truncated header"]
    flags = data[base + 28]
    endian = flags & 3
    if endian == 1:
        return None, ["ld.so.cache: header marks the cache invalid; ignored, as the loader ignores it"]
    if endian in (2, 3) and (endian == 2) != little:
        return None, [f"ld.so.cache: {'little' if endian == 2 else 'big'}-endian cache, the binary is "
                      f"{'little' if little else 'big'}-endian; ignored, as its loader would ignore it"]
    cache_little = little if endian == 0 else endian == 2
    e = "<" if cache_little else ">"
    nlibs, len_strings = struct.unpack_from(e + "II", data, base + 20)
    ext_off = struct.unpack_from(e + "I", data, base + 32)[0]
    if (len(data) - base - NEW_HEADER) // NEW_ENTRY < nlibs:
        return None, [f"ld.so.cache: header declares {nlibs} entries, the file holds fewer; ignored, as the "
                      "loader ignores it"]
    hwcaps_names = _hwcaps_extension(data, base, ext_off, e, problems)
    entries = []
    rec = struct.Struct(e + "iIIIQ")
    bad = 0
    for i in range(_entry_budget(nlibs, problems)):
        fl, key, value, _osv, hwcap = rec.unpack_from(data, base + NEW_HEADER + i * NEW_ENTRY)
        k, v = _cstr(data, base + key), _cstr(data, base + value)
        if k is None or v is None:
            bad += 1
            continue
        sub = None
        entry = CacheEntry(k, v, fl, hwcap)
        if entry.named_hwcap:
            idx = hwcap & 0xFFFFFFFF
            sub = hwcaps_names[idx] if idx < len(hwcaps_names) else None
            if sub is None:
                bad += 1
                continue
            entry = CacheEntry(k, v, fl, hwcap, sub)
        entries.append(entry)
    if bad:
        problems.append(f"ld.so.cache: {bad} of {nlibs} entries have string offsets or hwcaps indexes outside the "
                        "file; skipped")
    return LdCache("new", tuple(entries)), problems


def _hwcaps_extension(data: bytes, base: int, ext_off: int, e: str, problems: list[str]) -> list[str | None]:
    if not ext_off:
        return []
    # Extension offsets count from the start of the file (dl-cache.h cache_extension_load).
    if ext_off % 4 or ext_off + 8 > len(data):
        problems.append("ld.so.cache: extension directory outside the file; glibc-hwcaps entries unusable")
        return []
    magic, count = struct.unpack_from(e + "II", data, ext_off)
    if magic != EXTENSION_MAGIC or ext_off + 8 + count * 16 > len(data):
        problems.append("ld.so.cache: bad extension directory; glibc-hwcaps entries unusable")
        return []
    names: list[str | None] = []
    for i in range(count):
        tag, _fl, off, size = struct.unpack_from(e + "IIII", data, ext_off + 8 + i * 16)
        if off + size > len(data):
            problems.append("ld.so.cache: extension section outside the file; glibc-hwcaps entries unusable")
            return []
        if tag == EXT_TAG_GLIBC_HWCAPS and size and not size % 4 and not off % 4:
            if size // 4 > MAX_HWCAPS_NAMES:
                problems.append(f"ld.so.cache: {size // 4} glibc-hwcaps names, more than the {MAX_HWCAPS_NAMES} "
                                "read; the entries of the others unusable")
            names = [_cstr(data, base + struct.unpack_from(e + "I", data, off + 4 * j)[0])
                     for j in range(min(size // 4, MAX_HWCAPS_NAMES))]
    return names


def _entry_budget(nlibs: int, problems: list[str]) -> int:
    if nlibs <= MAX_CACHE_ENTRIES:
        return nlibs
    problems.append(f"ld.so.cache: {nlibs} entries, more than the {MAX_CACHE_ENTRIES} read; a library only the "
                    "others name is searched for in the default directories")
    return MAX_CACHE_ENTRIES


def _cstr(data: bytes, off: int) -> str | None:
    if off < 0 or off >= len(data):
        return None
    end = data.find(b"\0", off, off + MAX_STRING)
    if end < 0:
        return None
    return data[off:end].decode("utf-8", "surrogateescape")


# -- ld.so.conf ------------------------------------------------------------------------------------
def _has_magic(s: str) -> bool:
    return any(c in s for c in "*?[")


def glob_inner(fs: Files, pattern: str) -> tuple[list[str], list[str]]:
    """glob(3) over the filesystem inside the root: (sorted matches, diagnostics)."""
    diags: list[str] = []
    parts = [p for p in pattern.split("/") if p]
    paths = ["/"]
    for i, part in enumerate(parts):
        last = i == len(parts) - 1
        nxt: list[str] = []
        for base in paths:
            if not _has_magic(part):
                cand = join(base, part)
                if last:
                    if fs.resolve(cand).ok:
                        nxt.append(cand)
                elif fs.isdir(cand):
                    nxt.append(cand)
                continue
            names, err = fs.listdir(base)
            if err:
                diags.append(err)
                continue
            for n in names:
                if n.startswith(".") and not part.startswith("."):
                    continue
                if fnmatch.fnmatchcase(n, part):
                    cand = join(base, n)
                    if last or fs.isdir(cand):
                        nxt.append(cand)
        paths = nxt
        if not paths:
            break
    return sorted(paths), diags


def parse_conf(fs: Files, path: str = "/etc/ld.so.conf") -> tuple[tuple[str, ...], tuple[str, ...], bool]:
    """(directories in order, diagnostics, found): the directories ld.so.conf lists, includes
    followed, duplicates (same real directory) and missing directories dropped."""
    dirs: list[str] = []
    seen_real: set[str] = set()
    diags: list[str] = []
    done: set[str] = set()
    active: list[str] = []
    nfiles = 0

    def enter(fname: str, depth: int):
        """The lines of ``fname`` to read now, or None (missing, a loop, done, past the bounds), with
        its diagnostics said; the second value: whether the file was there."""
        nonlocal nfiles
        r = fs.resolve(fname)
        if not r.ok:
            if r.message:
                diags.append(r.message)
            return None, False
        if r.real in active:
            chain = " -> ".join(active + [r.real])
            diags.append(f"ld.so.conf: include loop ({chain}); {fname} not read again")
            return None, True
        if r.real in done:
            return None, True
        if depth > MAX_INCLUDE_DEPTH or nfiles >= MAX_CONF_FILES:
            diags.append(f"ld.so.conf: includes nested deeper than {MAX_INCLUDE_DEPTH} or more than "
                         f"{MAX_CONF_FILES} files; {fname} not read")
            return None, True
        data, err = fs.read(fname, 1 << 20)
        if data is None:
            diags.append(err or f"{fname}: cannot read")
            return None, True
        nfiles += 1
        active.append(r.real)
        return (r.real, fname, depth, iter(data.decode("utf-8", "surrogateescape").splitlines())), True

    # Depth first, as ldconfig reads them, but iteratively: a stack of the files being read, each
    # with the rest of its lines; an include pushes the files it names, in order.
    top, found = enter(path, 0)
    stack = [] if top is None else [top]
    while stack:
        real, fname, depth, lines = stack[-1]
        raw = next(lines, None)
        if raw is None:
            stack.pop()
            if real is not None:
                active.pop()
                done.add(real)
            continue
        if real is None:                      # the next match of an include, read now, whole
            child, _ = enter(raw, depth + 1)
            if child is not None:
                stack.append(child)
            continue
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        if line.startswith("include") and line[7:8] in (" ", "\t"):
            names: list[str] = []
            for pat in line[8:].split():
                if not pat.startswith("/") and "/" in fname:
                    pat = join(dirname(fname), pat)
                matches, gd = glob_inner(fs, pat)
                diags.extend(gd)
                names.extend(matches)
            if names:
                # The matches are read one after another, each whole (its own includes too) before the
                # next: a frame without a file (real None) whose items are the matches' names.
                stack.append((None, fname, depth, iter(names)))
            continue
        if line[:5].lower() == "hwcap" and line[5:6] in (" ", "\t"):
            continue
        d = line.split("=", 1)[0].rstrip()
        while len(d) > 1 and d.endswith("/"):
            d = d[:-1]
        if not d:
            continue
        rd = fs.resolve(d)
        if not rd.ok:
            if rd.message:
                diags.append(f"ld.so.conf: {rd.message}")
            continue
        if rd.real in seen_real:
            continue
        seen_real.add(rd.real)
        dirs.append(d)
    return tuple(dirs), tuple(diags), found
