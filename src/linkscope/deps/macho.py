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
from ..record import record as value_record

from ..errors import UnsupportedFormat
from ..files import dirname, join
from .model import (freeze, link, VIA_DIRECT, VIA_EXECUTABLE_PATH, VIA_FALLBACK, VIA_LOADER_PATH, VIA_NOT_FOUND, VIA_RPATH,
                    VIA_SHARED_CACHE, VIA_WEAK_NOT_FOUND, Interpreter)

SHARED_CACHE_PREFIXES = ("/usr/lib/", "/System/Library/", "/System/iOSSupport/", "/System/DriverKit/")
FALLBACK_DIRS = ("/usr/local/lib", "/usr/lib")
CPU_TYPE_X86_64, CPU_TYPE_ARM64 = 0x01000007, 0x0100000C
_HOST_CPU = {62: CPU_TYPE_X86_64, 183: CPU_TYPE_ARM64}


@value_record
class MachoObject:
    cputype: int
    arch: str
    filetype: int
    install_name: str | None
    dylibs: tuple[tuple[str, str], ...]      # (name, kind): kind is load, weak, reexport, lazy, upward
    rpaths: tuple[str, ...]
    dylinker: str | None


@value_record
class MachoFile:
    slices: tuple[MachoObject, ...]
    universal: bool = False
    problems: tuple[str, ...] = ()


def _one(image) -> MachoObject:
    return MachoObject(image.cputype, image.arch, image.filetype, image.soname,
                       tuple((d.name, d.kind) for d in image.dylibs), tuple(image.rpath), image.interpreter)


def record(image) -> MachoFile:
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


class _Node:
    __slots__ = ("name", "path", "real", "via", "obj", "loader", "depth", "needed_by", "needs", "rpaths")

    def __init__(self, name: str, path: str | None, real: str | None, via: str, obj: MachoObject | None,
                 loader: "_Node | None", depth: int):
        self.name, self.path, self.real, self.via, self.obj = name, path, real, via, obj
        self.loader, self.depth = loader, depth
        self.needed_by: list = []
        self.needs: list = []
        self.rpaths: tuple[str, ...] | None = None


def _expand_prefix(p: str, exe_dir: str, loader_dir: str) -> tuple[str, str] | None:
    if p.startswith("@executable_path"):
        return exe_dir + p[len("@executable_path"):], VIA_EXECUTABLE_PATH
    if p.startswith("@loader_path"):
        return loader_dir + p[len("@loader_path"):], VIA_LOADER_PATH
    return None


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
    exe_dir = dirname(r.real)
    fs, objects = ctx.fs, ctx.objects
    main = _Node(path, inner, r.real, "", main_obj, None, 0)
    by_name: dict[str, _Node] = {}
    by_real: dict[str, _Node] = {r.real: main}
    if main_obj.install_name:
        by_name[main_obj.install_name] = main
    nodes: list[_Node] = []
    missing_first: dict[str, _Node] = {}

    def node_dir(n: _Node) -> str:
        return dirname(n.path if n.path and n.path.startswith("/") else n.real or "/")

    def rpaths_of(n: _Node) -> tuple[str, ...]:
        if n.rpaths is None:
            out = []
            for rp in n.obj.rpaths if n.obj else ():
                e = _expand_prefix(rp, exe_dir, node_dir(n))
                out.append(e[0] if e else rp)
            n.rpaths = tuple(out)
        return n.rpaths

    def try_path(p: str):
        rr = fs.resolve(p, ctx.cwd)
        if not rr.ok:
            if rr.message:
                ctx.warn(rr.message)
            return None
        if not stat.S_ISREG(rr.st.st_mode):
            return None
        f = objects.parse(rr, record)
        if isinstance(f, str):
            ctx.warn(f"{p}: {f}; passed over")
            return None
        s = next((s for s in f.slices if s.cputype == main_obj.cputype), None)
        if s is None:
            ctx.warn(f"{p}: no {main_obj.arch} image in it; passed over, as dyld passes it over")
            return None
        return rr, s

    def search(name: str, n: _Node):
        cands: list[tuple[str, str]] = []
        e = _expand_prefix(name, exe_dir, node_dir(n))
        if e:
            cands.append(e)
        elif name.startswith("@rpath/"):
            rest = name[len("@rpath/"):]
            chain = n
            while chain is not None:
                for rp in rpaths_of(chain):
                    cands.append((join(rp, rest), VIA_RPATH))
                chain = chain.loader
        else:
            cands.append((name, VIA_DIRECT))
        for p, via in cands:
            hit = try_path(p)
            if hit:
                return p, hit[0], hit[1], via
        leaf = name.rsplit("/", 1)[-1]
        for d in FALLBACK_DIRS:
            p = join(d, leaf)
            hit = try_path(p)
            if hit:
                return p, hit[0], hit[1], VIA_FALLBACK
        return None

    queue = [main]
    i = 0
    while i < len(queue):
        n = queue[i]
        i += 1
        if n.obj is None:
            continue
        for name, kind in n.obj.dylibs:
            dep = by_name.get(name)
            if dep is None:
                found = search(name, n)
                if found is not None:
                    p, rr, obj, via = found
                    dep = by_real.get(rr.real)
                    if dep is None:
                        dep = _Node(name, p, rr.real, via, obj, n, n.depth + 1)
                        nodes.append(dep)
                        by_real[rr.real] = dep
                        queue.append(dep)
                        if obj.install_name:
                            by_name.setdefault(obj.install_name, dep)
                    by_name.setdefault(name, dep)
                else:
                    expanded = _expand_prefix(name, exe_dir, node_dir(n))
                    target = expanded[0] if expanded else name
                    if target.startswith(SHARED_CACHE_PREFIXES):
                        dep = _Node(name, target, None, VIA_SHARED_CACHE, None, n, n.depth + 1)
                        nodes.append(dep)
                        by_name[name] = dep
                    else:
                        dep = missing_first.get(name)
                        if dep is None:
                            via = VIA_WEAK_NOT_FOUND if kind == "weak" else VIA_NOT_FOUND
                            dep = missing_first[name] = _Node(name, None, None, via, None, n, n.depth + 1)
                            nodes.append(dep)
                        elif kind != "weak" and dep.via == VIA_WEAK_NOT_FOUND:
                            dep.via = VIA_NOT_FOUND
            link(n, dep)
    libs, missing, index = freeze(nodes)
    itp = None
    if main_obj.dylinker:
        ri = fs.resolve(main_obj.dylinker, ctx.cwd)
        itp = Interpreter(main_obj.dylinker, main_obj.dylinker if ri.ok else None, ri.real if ri.ok else None)
    needs = tuple(index[id(x)] for x in main.needs if id(x) in index)
    return dict(rules="dyld", interpreter=itp, libraries=libs, missing=missing, needs=needs,
                static=not main_obj.dylibs)
