"""musl's search order (ldso/dynlink.c load_library), for binaries whose interpreter is ld-musl-*.

* The names musl implements itself (``libc.so``, ``libc.musl-*``, ``libpthread.so``, ``librt.so``,
  ``libm.so``, ``libdl.so``, ``libutil.so``, ``libxnet.so``: "lib" followed by one of c, pthread, rt,
  m, dl, util, xnet and a dot) and the interpreter's own path are the interpreter.
* A name with a slash is opened as it is; a name without one matches an object already loaded under
  that name, else is searched in:
  1. LD_LIBRARY_PATH, unless the input runs in secure mode;
  2. the DT_RUNPATH, else DT_RPATH, of the requesting object, then of the object that loaded it, and
     so on up to the executable (musl treats both the same and inherits both); only ``$ORIGIN`` /
     ``${ORIGIN}`` expands, a path with any other ``$`` token is ignored, and in secure mode the
     executable's ``$ORIGIN`` paths are ignored;
  3. the system path: the lines or colon-separated entries of ``PREFIX/etc/ld-musl-$ARCH.path``, where
     PREFIX is the interpreter's path less its last two components (``/etc/ld-musl-x86_64.path`` for
     ``/lib/ld-musl-x86_64.so.1``), else ``/lib:/usr/local/lib:/usr/lib``. No cache.
* The first file that opens is taken (musl checks neither class nor machine: a file of another machine
  is reported, as musl would fail to load it). A file already loaded under another name (same device
  and inode) is that object. Empty path entries are skipped.
"""
from __future__ import annotations

from .arch import musl_arch_from_interp
from .walk import ElfRules, Found, Node, resolve_slash_name
from ..files import dirname, join
from .records import VIA_DIRECT, VIA_LD_LIBRARY_PATH, VIA_MUSL_PATH, VIA_RPATH, VIA_RUNPATH
from .objects import ElfIdent

DEFAULT_SYS_PATH = "/lib:/usr/local/lib:/usr/lib"
_RESERVED = ("c.", "pthread.", "rt.", "m.", "dl.", "util.", "xnet.")


def is_reserved(name: str) -> bool:
    return name.startswith("lib") and name[3:].startswith(_RESERVED)


def split_path(value: str) -> tuple[str, ...]:
    return tuple(p for p in value.replace("\n", ":").split(":") if p)


class MuslRules(ElfRules):
    name = "musl"

    def __init__(self, ctx, main_ident: ElfIdent, interp: str | None):
        self.ctx = ctx
        self.fs = ctx.fs
        self.ident = main_ident
        self.interp = interp
        self.sys_path, self.sys_via = self._sys_path(interp)
        self.llp: tuple[str, ...] = ()

    def _sys_path(self, interp: str | None) -> tuple[tuple[str, ...], str]:
        arch = musl_arch_from_interp(interp or "")
        if not arch or not interp:
            return split_path(DEFAULT_SYS_PATH), VIA_MUSL_PATH
        # for (s=t=z=ldso.name; *s; s++) if (*s=='/') z=t, t=s;  prefix = name[:z]
        slashes = [i for i, c in enumerate(interp) if c == "/"]
        prefix = interp[:slashes[-2]] if len(slashes) >= 2 else ""
        path = f"{prefix}/etc/ld-musl-{arch}.path"
        data, err = self.fs.read(path, 1 << 20)
        if data is None:
            if err:
                self.ctx.warn(f"{err}; musl would search no system directories")
                return (), VIA_MUSL_PATH
            return split_path(DEFAULT_SYS_PATH), VIA_MUSL_PATH
        return split_path(data.decode("utf-8", "surrogateescape")), VIA_MUSL_PATH

    def start(self, walk) -> None:
        env = self.ctx.env
        if env.ld_library_path and not self.ctx.secure:
            self.llp = split_path(env.ld_library_path)

    def names_of(self, name: str, found: Found) -> set:
        return {name} if "/" not in name else set()

    def match_loaded(self, walk, name: str) -> Node | None:
        interp = walk.interp
        if interp is not None and not interp.faked and (is_reserved(name) or name == interp.name):
            return interp
        if "/" in name:
            return None
        return walk.by_name.get(name)

    def expand_needed(self, walk, node: Node, raw: str) -> str | None:
        return raw

    def load(self, walk, found: Found):
        return self.ctx.objects.elf(found.resolved)

    def origin(self, walk, node: Node) -> str | None:
        p = node.real if node is walk.main else node.path
        if p is None:
            return None
        d = dirname(p)
        return d if d else "."

    def _rpath(self, walk, node: Node) -> tuple[str, ...]:
        dirs = node.cache.get("musl-rpath")
        if dirs is not None:
            return dirs
        rec = node.rec
        value = None if rec is None else (rec.runpath if rec.runpath is not None else rec.rpath)
        dirs = ()
        if value:
            if "$" in value:
                ok = True
                i = value.find("$")
                while i >= 0:
                    if not (value.startswith("$ORIGIN", i) or value.startswith("${ORIGIN}", i)):
                        ok = False
                        break
                    i = value.find("$", i + 1)
                if ok and node is walk.main and self.ctx.secure:
                    ok = False
                origin = self.origin(walk, node)
                if ok and origin is not None and not (self.ctx.secure and not origin.startswith("/")):
                    value = value.replace("${ORIGIN}", origin).replace("$ORIGIN", origin)
                    dirs = split_path(value)
            else:
                dirs = split_path(value)
        node.cache["musl-rpath"] = dirs
        return dirs

    def search(self, walk, name: str, node: Node) -> Found | None:
        if "/" in name:
            r = resolve_slash_name(self.fs, self.ctx.cwd, name, walk)
            return None if r is None else self._take(walk, name, r, VIA_DIRECT)
        if self.llp:
            hit = self._open(walk, name, self.llp, VIA_LD_LIBRARY_PATH)
            if hit:
                return hit
        p = node
        while p is not None:
            dirs = self._rpath(walk, p)
            if dirs:
                rec = p.rec
                hit = self._open(walk, name, dirs, VIA_RUNPATH if rec.runpath is not None else VIA_RPATH)
                if hit:
                    return hit
            p = p.loader
        return self._open(walk, name, self.sys_path, self.sys_via)

    def _open(self, walk, name: str, dirs: tuple[str, ...], via: str) -> Found | None:
        for d in dirs:
            if not self.probe(name):
                return None
            cand = join(d, name)
            r = self.fs.resolve(cand, self.ctx.cwd)
            if r.ok:
                return self._take(walk, cand, r, via)
            if r.message:
                walk.warn(r.message)
        return None

    def _take(self, walk, path: str, r, via: str) -> Found | None:
        ident = self.ctx.objects.ident(r)
        me = self.ident
        if isinstance(ident, str):
            if ident == "not a regular file":
                return None
            walk.warn(f"{path}: {ident}; musl would fail to load it")
        elif (ident.bits, ident.little, ident.machine) != (me.bits, me.little, me.machine):
            walk.warn(f"{path}: an ELF file for another machine or class; musl takes it and fails to load it")
        return Found(path, r, via)
