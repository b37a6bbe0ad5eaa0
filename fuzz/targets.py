"""The fuzz targets: one function per reader, each taking the fuzzed bytes.

Every target runs what ``linkscope inspect`` (or ``deps``) runs on a file, but without the safety
nets that turn a reader's missed check into a "malformed data (IndexError: ...)" record: the format
module is called through ``linkscope.inspector``'s own steps (sniff, too-short check, ``_parse``,
``describe``) on a ByteView of the bytes, so a Python exception that is not a LinkscopeError escapes
and is a crash. Each target then asserts the invariants of tests/reference.py on what it got back
(known error kinds, field types, sizes bounded by the input) and returns the outcome: "ok" or the
error kind (the expected outcome a regression file's sidecar names).

Format targets keep the fuzzer on their format: the magic is put back when a mutation breaks it.
"""
from __future__ import annotations

import os
import stat
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
for _p in (REPO / "src", REPO / "tests"):
    if str(_p) not in sys.path:
        sys.path.insert(0, str(_p))

import reference  # noqa: E402  (tests/reference.py: the invariants the fuzz tests share)

from linkscope import sniff as sn  # noqa: E402
from linkscope.byteview import ByteView  # noqa: E402
from linkscope.errors import LinkscopeError, Truncated  # noqa: E402
from linkscope.inspector import _other_record, _parse, describe  # noqa: E402

PATH = "/fuzz/input"
# LINKSCOPE_FUZZ_STRICT=1: the safety nets' own words are crashes too. A table read through
# Image.attempt that raised a Python error (not a LinkscopeError) becomes a warning "malformed data
# (IndexError: ...)": the record is right to go on, but the format module missed a check there.
STRICT = os.environ.get("LINKSCOPE_FUZZ_STRICT") == "1"
SAFETY_NET = "malformed data ("


def _no_safety_net(messages) -> None:
    if STRICT:
        for m in messages:
            assert not str(m).startswith(SAFETY_NET) and SAFETY_NET not in str(m), f"a missed check: {m}"
TARGETS = ("elf", "macho", "universal", "pe", "wasm", "gobuildinfo", "deps", "ldcache")

_MACHO_MAGICS = (b"\xfe\xed\xfa\xce", b"\xce\xfa\xed\xfe", b"\xfe\xed\xfa\xcf", b"\xcf\xfa\xed\xfe")


def _stat(size: int) -> os.stat_result:
    # mode, ino, dev, nlink, uid, gid, size, atime, mtime, ctime
    return os.stat_result((stat.S_IFREG | 0o755, 1, 1, 1, 0, 0, size, 0, 0, 0))


def record(data: bytes):
    """The Binary record of ``data``, built as inspect() builds it, with exceptions left to escape."""
    st = _stat(len(data))
    head = bytes(data[:64])
    kind = sn.sniff(head)
    short = kind and sn.too_short(kind, head, len(data))
    if short:
        raise Truncated(short)
    image = _parse(ByteView(data, path=PATH))
    if getattr(image, "binary", True) is False:
        return _other_record(image, PATH, st)
    return describe(image, PATH, st, capabilities=lambda: None)


_FACTS = ("format", "arch", "bits", "endian", "os", "type", "linkage", "interpreter", "needed", "rpath", "runpath",
          "soname", "stripped", "debug_info", "gnu_build_id", "go_build_id")


def _inspect_target(data: bytes) -> str:
    try:
        rec = record(data)
    except LinkscopeError as e:
        reference.check_error(e, len(data))
        return e.kind
    reference.check_record(rec, len(data))
    _no_safety_net([w.message for r in (rec, *rec.slices) for w in r.warnings] +
                   [r.error.message for r in (rec, *rec.slices) if r.error is not None])
    for sl in rec.slices:                 # a universal file's: records without a size of their own
        assert sl.path == PATH, sl.path
        if sl.error is not None:
            assert sl.error.kind in reference.ERROR_KINDS, sl.error
        if sl.format != "unknown":
            reference.check_facts({k: getattr(sl, k) for k in _FACTS}, len(data))
            reference.check_goinfo(sl.go, len(data))
            reference.check_warnings(sl.warnings, len(data))
    return rec.error.kind if rec.error is not None else "ok"


def _with_magic(data: bytes, magics: tuple[bytes, ...]) -> bytes:
    n = len(magics[0])
    if data[:n] in magics:
        return data
    return magics[0] + data[n:]


def elf(data: bytes) -> str:
    return _inspect_target(_with_magic(data, (b"\x7fELF",)))


def macho(data: bytes) -> str:
    return _inspect_target(_with_magic(data, (b"\xcf\xfa\xed\xfe", *_MACHO_MAGICS)))


def universal(data: bytes) -> str:
    data = _with_magic(data, (b"\xca\xfe\xba\xbe", b"\xca\xfe\xba\xbf"))
    if len(data) >= 8 and int.from_bytes(data[4:8], "big") >= 45:     # a Java class file's version
        data = data[:4] + bytes([0, 0, 0, data[7] % 45]) + data[8:]
    return _inspect_target(data)


def pe(data: bytes) -> str:
    if sn.sniff(bytes(data[:64])) != sn.COFF:       # a COFF object has no magic: keep one that sniffs as one
        data = _with_magic(data, (b"MZ",))
    return _inspect_target(data)


def wasm(data: bytes) -> str:
    return _inspect_target(_with_magic(data, (b"\0asm",)))


# -- Go build info over the two-method interface, on the bytes themselves -----------------------------
class _Blob:
    """The bytes as a Go data region at address 0: what buildinfo reads from every format's adapter."""

    format = "fuzz"

    def __init__(self, data: bytes):
        self.data = data

    def go_data_start(self):
        return (0, len(self.data))

    def read_vaddr(self, addr: int, n: int):
        if addr < 0 or n < 0 or addr >= len(self.data):
            return None
        return self.data[addr:addr + n]

    def offset_to_vaddr(self, off: int):
        return off if 0 <= off < len(self.data) else None

    def vaddr_to_offset(self, addr: int):
        return addr if 0 <= addr < len(self.data) else None


def gobuildinfo(data: bytes) -> str:
    """read_buildinfo on the bytes as a data region, and parse_modinfo on them as module text."""
    from linkscope.go import buildinfo, modinfo

    outcome = "not-go"
    try:
        info = buildinfo.read_buildinfo(_Blob(data))
    except LinkscopeError as e:
        reference.check_error(e, len(data))
        outcome = e.kind
    else:
        reference.check_goinfo(info, len(data))
        if info is not None:
            outcome = "ok"
            assert isinstance(modinfo.modinfo_string(info), str)
    try:
        info = modinfo.parse_modinfo(data)
    except LinkscopeError as e:
        reference.check_error(e, len(data))
    else:
        reference.check_goinfo(info, len(data))
        assert isinstance(modinfo.format_go_version_m("x", info), str)
    return outcome


# -- dependency resolution in a tiny tree ------------------------------------------------------------
_TREE: str | None = None
# What the fuzzed binary is also installed as (symbolic links to /bin/x): its interpreter and the
# libraries a Linux binary most often needs, so the walk reads fuzzed libraries too.
_ALIASES = ("lib64/ld-linux-x86-64.so.2", "lib/x86_64-linux-gnu/libc.so.6", "usr/lib/libx.so", "opt/lib/libm.so.6")


def _tree() -> str:
    global _TREE
    if _TREE is None:
        import atexit
        import shutil

        root = tempfile.mkdtemp(prefix="linkscope-fuzz-deps-")
        atexit.register(shutil.rmtree, root, True)
        for d in ("bin", "etc/ld.so.conf.d", "lib64", "lib/x86_64-linux-gnu", "usr/lib", "opt/lib"):
            os.makedirs(os.path.join(root, d))
        for a in _ALIASES:
            os.symlink("/bin/x", os.path.join(root, a))
        with open(os.path.join(root, "etc/ld.so.conf.d/a.conf"), "w") as f:
            f.write("/opt/lib\n")
        _TREE = root
    return _TREE


def split_deps_input(data: bytes) -> tuple[bytes, bytes]:
    """(ld.so.conf, binary): the first byte is the length of the configuration that follows it."""
    if not data:
        return b"", b""
    n = data[0]
    return data[1:1 + n], data[1 + n:]


def deps_input(conf: bytes, binary: bytes) -> bytes:
    """The inverse of split_deps_input (for seeds): a configuration of at most 255 bytes."""
    conf = conf[:255]
    return bytes([len(conf)]) + conf + binary


def deps(data: bytes) -> str:
    from linkscope.deps import Env, Session, resolve

    conf, binary = split_deps_input(data)
    root = _tree()
    with open(os.path.join(root, "etc/ld.so.conf"), "wb") as f:
        f.write(conf)
    with open(os.path.join(root, "bin/x"), "wb") as f:
        f.write(binary)
    r = resolve(os.path.join(root, "bin/x"), Env(root=root, cwd="/", max_objects=64), Session())
    # the tree holds one object under several names: the closure is bounded by the cap
    reference.check_resolution(r, root, max_libraries=64 + 8)
    _no_safety_net(r.warnings)
    if r.error is not None:
        assert not r.error.message.startswith(SAFETY_NET), r.error    # a reader's missed check
        return r.error.kind
    return "ok"


_CACHE_MAGICS = (b"glibc-ld.so.cache1.1", b"ld.so-1.7.0")


def ldcache(data: bytes) -> str:
    """ld.so.cache as deps reads it from a root, for binaries of either byte order, then every name
    it holds looked up as the glibc rules look it up. The magic is put back (on odd first bytes, the
    old format's) so that the fuzzer stays on the cache's tables."""
    from linkscope.deps.ldconf import MAX_CACHE_ENTRIES, MAX_STRING, CacheEntry, LdCache, parse_cache

    if not data.startswith(_CACHE_MAGICS):
        magic = _CACHE_MAGICS[data[0] & 1] if data else _CACHE_MAGICS[0]
        data = magic + data[len(magic):]
    outcome = "ok"
    for little in (True, False):
        cache, problems = parse_cache(data, little)
        assert isinstance(problems, list) and all(isinstance(m, str) and m.startswith("ld.so.cache: ")
                                                  for m in problems), problems
        _no_safety_net(problems)
        if cache is None:
            assert problems, "a cache refused without a reason"
            outcome = "refused"
            continue
        assert isinstance(cache, LdCache) and cache.layout in ("new", "old", "compat")
        assert len(cache.entries) <= min(MAX_CACHE_ENTRIES, len(data) // 12)
        flags = set()
        for e in cache.entries:
            assert isinstance(e, CacheEntry) and isinstance(e.key, str) and isinstance(e.value, str)
            assert len(e.key) < MAX_STRING and len(e.value) < MAX_STRING and isinstance(e.flags, int)
            flags.add(e.flags)
        accept = frozenset(sorted(flags)[:4] or {0x303})
        for e in cache.entries[:256]:
            got = cache.lookup(e.key, accept, ("x86-64-v3", "x86-64-v2"))
            assert got is None or got in {x.value for x in cache.entries if x.key == e.key}, (e.key, got)
    return outcome


def get(name: str):
    if name not in TARGETS:
        raise KeyError(f"no fuzz target {name!r} (targets: {', '.join(TARGETS)})")
    return globals()[name]
