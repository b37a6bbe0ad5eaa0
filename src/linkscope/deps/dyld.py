"""dyld's rules, for Mach-O binaries (thin or universal).

Every dylib load command counts: LC_LOAD_DYLIB, LC_LOAD_WEAK_DYLIB, LC_REEXPORT_DYLIB,
LC_LAZY_LOAD_DYLIB and LC_LOAD_UPWARD_DYLIB, in load-command order. A name is expanded as dyld does:

* ``@executable_path/...``: the directory of the main executable (the input; for a dylib input, the
  dylib itself stands in for it);
* ``@loader_path/...``: the directory of the image whose load command it is;
* ``@rpath/...``: each LC_RPATH of the image whose load command it is, then of the image that
  loaded that one, and so on up to the executable (dyld's inherited run path list); an LC_RPATH
  may itself start with ``@loader_path`` (relative to the image that holds it) or ``@executable_path``;
* anything else: the path itself.

Every path is taken inside ``--root``. A candidate that is not a Mach-O image of the input's CPU
(a universal file must hold a slice of it) is passed over, as dyld passes it over. When nothing is
found: the leaf name in dyld's default fallback directories (``/usr/local/lib``, ``/usr/lib``); then a
system path (``/usr/lib/...``, ``/System/...``), which since macOS 11 lives only in the dyld shared
cache, is reported as provided by it ("dyld-shared-cache"), its own dependencies unknown; a missing
weak library is reported ("weak-not-found") but does not count as missing, since dyld carries on.

Libraries are loaded breadth first; an image already loaded under the same install name, requested
name or real path is reused. A universal input is resolved for one slice: the host's CPU if it has
it, else arm64, else x86_64, else the first; which one is said in a diagnostic.
"""
from __future__ import annotations

import stat
from ..record import record

from ..errors import UnsupportedFormat
from ..files import dirname, join
from .records import (VIA_DIRECT, VIA_EXECUTABLE_PATH, VIA_FALLBACK, VIA_LOADER_PATH, VIA_NOT_FOUND, VIA_RPATH,
                    VIA_SHARED_CACHE, VIA_WEAK_NOT_FOUND, Interpreter)
from .walk import Found, Node, Walk, listing

SHARED_CACHE_PREFIXES = ("/usr/lib/", "/System/Library/", "/System/iOSSupport/", "/System/DriverKit/")
FALLBACK_DIRS = ("/usr/local/lib", "/usr/lib")
CPU_TYPE_X86_64, CPU_TYPE_ARM64 = 0x01000007, 0x0100000C
_HOST_CPU = {62: CPU_TYPE_X86_64, 183: CPU_TYPE_ARM64}


@record
class MachoObject:
    cputype: int
    arch: str
    filetype: int
    install_name: str | None
    dylibs: tuple[tuple[str, str], ...]      # (name, kind): kind is load, weak, reexport, lazy, upward
    rpaths: tuple[str, ...]
    dylinker: str | None


@record
class MachoFile:
    slices: tuple[MachoObject, ...]
    universal: bool = False
    problems: tuple[str, ...] = ()


def _one(image) -> MachoObject:
    return MachoObject(image.cputype, image.arch, image.filetype, image.soname,
                       tuple((d.name, d.kind) for d in image.dylibs), tuple(image.rpath), image.interpreter)


def macho_file(image) -> MachoFile:
    fmt = getattr(image, "format", None)
    if fmt == "macho":
        return MachoFile((_one(image),))
    if fmt == "macho-universal":
        slices, problems = [], []
        for s in image.slices:
            if isinstance(s, Exception):
                problems.append(f"universal slice unreadable: {s}")
            else:
                slices.append(_one(s))
        return MachoFile(tuple(slices), True, tuple(problems))
    raise UnsupportedFormat(f"not a Mach-O file ({fmt})")


def _pick(f: MachoFile, host_machine: int | None) -> MachoObject | None:
    if not f.slices:
        return None
    want = [_HOST_CPU.get(host_machine), CPU_TYPE_ARM64, CPU_TYPE_X86_64]
    for cpu in want:
        for s in f.slices:
            if cpu is not None and s.cputype == cpu:
                return s
    return f.slices[0]


def _expand_prefix(p: str, exe_dir: str, loader_dir: str) -> tuple[str, str] | None:
    if p.startswith("@executable_path"):
        return exe_dir + p[len("@executable_path"):], VIA_EXECUTABLE_PATH
    if p.startswith("@loader_path"):
        return loader_dir + p[len("@loader_path"):], VIA_LOADER_PATH
    return None


class DyldRules:
    """dyld's answers to the walk's questions (:class:`walk.Walk`)."""

    name = "dyld"

    def __init__(self, ctx, main_obj: MachoObject, exe_dir: str):
        self.ctx, self.main_obj, self.exe_dir = ctx, main_obj, exe_dir
        self._missing: dict[str, Node] = {}

    def needs(self, node: Node):
        return node.rec.dylibs

    def expand_needed(self, walk, node: Node, raw: str) -> str:
        return raw

    def match_loaded(self, walk, name: str) -> Node | None:
        return walk.by_name.get(name)

    def provided(self, walk, name: str, node: Node) -> None:
        return None

    def identity(self, r) -> str:
        return r.real

    def _dir(self, n: Node) -> str:
        return dirname(n.path if n.path and n.path.startswith("/") else n.real or "/")

    def _rpaths(self, n: Node) -> tuple[str, ...]:
        out = n.cache.get("rpaths")
        if out is None:
            out = []
            for rp in n.rec.rpaths if n.rec else ():
                e = _expand_prefix(rp, self.exe_dir, self._dir(n))
                out.append(e[0] if e else rp)
            out = n.cache["rpaths"] = tuple(out)
        return out

    def _slice(self, rr):
        """The image of the input's CPU in the file ``rr``, or why there is none (a str)."""
        f = self.ctx.objects.parse(rr, macho_file)
        if isinstance(f, str):
            return f"{f}; passed over"
        s = next((s for s in f.slices if s.cputype == self.main_obj.cputype), None)
        return s if s is not None else f"no {self.main_obj.arch} image in it; passed over, as dyld passes it over"

    def _try(self, p: str):
        rr = self.ctx.fs.resolve(p, self.ctx.cwd)
        if not rr.ok:
            if rr.message:
                self.ctx.warn(rr.message)
            return None
        if not stat.S_ISREG(rr.st.st_mode):
            return None
        s = self._slice(rr)
        if isinstance(s, str):
            self.ctx.warn(f"{p}: {s}")
            return None
        return rr

    def search(self, walk, name: str, n: Node) -> Found | None:
        cands: list[tuple[str, str]] = []
        e = _expand_prefix(name, self.exe_dir, self._dir(n))
        if e:
            cands.append(e)
        elif name.startswith("@rpath/"):
            rest = name[len("@rpath/"):]
            chain = n
            while chain is not None:
                for rp in self._rpaths(chain):
                    cands.append((join(rp, rest), VIA_RPATH))
                chain = chain.loader
        else:
            cands.append((name, VIA_DIRECT))
        leaf = name.rsplit("/", 1)[-1]
        cands += [(join(d, leaf), VIA_FALLBACK) for d in FALLBACK_DIRS]
        for p, via in cands:
            rr = self._try(p)
            if rr is not None:
                return Found(p, rr, via)
        return None

    def load(self, walk, found: Found):
        return self._slice(found.resolved)

    def names_of(self, name: str, found: Found) -> set:
        s = self._slice(found.resolved)
        return {name, s.install_name} if s.install_name else {name}

    def unresolved(self, walk, name: str, kind: str, n: Node) -> Node:
        """A system library lives only in the dyld shared cache (macOS 11 and later): provided, its own
        dependencies unknown. Anything else is missing, listed once; a weak library does not count
        as missing unless a strong load command asks for it too."""
        expanded = _expand_prefix(name, self.exe_dir, self._dir(n))
        target = expanded[0] if expanded else name
        if target.startswith(SHARED_CACHE_PREFIXES):
            return walk.new(Node(name, target, None, VIA_SHARED_CACHE, None, n, n.depth + 1, names={name}),
                            register=True)
        dep = self._missing.get(name)
        if dep is None:
            via = VIA_WEAK_NOT_FOUND if kind == "weak" else VIA_NOT_FOUND
            dep = self._missing[name] = walk.new(Node(name, None, None, via, None, n, n.depth + 1, faked=True))
        elif kind != "weak" and dep.via == VIA_WEAK_NOT_FOUND:
            dep.via = VIA_NOT_FOUND
        return dep


def resolve(ctx, path: str, inner: str, r, rec: MachoFile) -> dict:
    for p in rec.problems:
        ctx.warn(p)
    host = ctx.env.host
    main_obj = _pick(rec, host.machine if host else None)
    if main_obj is None:
        return dict(static=True, rules="dyld")
    if rec.universal and len(rec.slices) > 1:
        ctx.warn(f"universal binary: resolved for its {main_obj.arch} slice (of "
                 f"{', '.join(s.arch for s in rec.slices)})")
    rules = DyldRules(ctx, main_obj, dirname(r.real))
    names = {main_obj.install_name} if main_obj.install_name else set()
    main = Node(path, inner, r.real, "", main_obj, None, 0, rules.identity(r), names=names)
    walk = Walk(rules, main, None, ctx.warn, ctx.env.max_objects)
    libs, missing, needs, _ = listing(walk, walk.run())
    itp = None
    if main_obj.dylinker:
        ri = ctx.fs.resolve(main_obj.dylinker, ctx.cwd)
        itp = Interpreter(main_obj.dylinker, main_obj.dylinker if ri.ok else None, ri.real if ri.ok else None)
    return dict(rules="dyld", interpreter=itp, libraries=libs, missing=missing, needs=needs,
                static=not main_obj.dylibs)
