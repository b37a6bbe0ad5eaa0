"""glibc's search order, as ld.so(8) documents it and glibc 2.36's elf/dl-load.c implements it.

For a needed name without a slash, requested by object L:

1. DT_RPATH of L, then of the object that loaded L, and so on up the chain, then of the executable;
   only when L has no DT_RUNPATH (an object with both keeps only DT_RUNPATH). An empty DT_RPATH
   string is ignored.
2. LD_LIBRARY_PATH (":" or ";" separated), unless the input runs in secure mode.
3. DT_RUNPATH of L itself (not inherited).
4. ld.so.cache, unless L is linked ``-z nodeflib`` and the cached path lies in a default directory
   (glibc's exact rule; cached paths elsewhere stay usable). Without a usable cache: the directories
   of ld.so.conf (a sysroot nobody ran ldconfig in), in order.
5. The default directories, unless L is ``-z nodeflib``: Debian multiarch ``/lib/TRIPLET``,
   ``/usr/lib/TRIPLET``, ``/lib``, ``/usr/lib`` when the root has multiarch directories for that
   machine, else ``/lib64``, ``/usr/lib64`` (64-bit) or ``/lib``, ``/usr/lib``.

In each directory, the glibc-hwcaps subdirectories the CPU supports come first, then the legacy
hwcaps subdirectories (glibc < 2.37), then the directory itself; a subdirectory that does not exist
is skipped. ``$ORIGIN``, ``$LIB``, ``$PLATFORM`` (and ``${...}``) expand in every path list and in
DT_NEEDED; an element whose token has no value is dropped; an empty element is the current
directory. In secure mode, ``$ORIGIN`` is honoured only as the first thing in an element, and for
the executable's own paths only when the expansion lands in a default directory.

A name containing a slash is opened as it is. A candidate of another ELF class, machine (or ARM
float ABI) is skipped as the loader skips it; one the loader would refuse with an error (not ELF,
other byte order, not ET_DYN/ET_EXEC) is reported and skipped.
"""
from __future__ import annotations

from .arch import EF_ARM_ABI_FLOAT_HARD, EM_ARM, cache_flags, generic_platform, lib_dir_name, triplet
from .walk import ElfRules, Found, Node, resolve_slash_name
from ..files import dirname, join
from .records import (VIA_CACHE, VIA_CONF, VIA_DEFAULT, VIA_DIRECT, VIA_LD_LIBRARY_PATH, VIA_RPATH,
                    VIA_RUNPATH)
from ..formats.elf import ET_DYN, ET_EXEC
from .objects import ElfIdent

SKIP, FATAL = "skip", "fatal"


def _is_dst(s: str, i: int, ref: str) -> int:
    """glibc is_dst: the length of ``$REF`` / ``${REF}`` at s[i:] (after the '$'), else 0."""
    if s.startswith("{", i):
        if s.startswith(ref + "}", i + 1):
            return len(ref) + 2
        return 0
    if s.startswith(ref, i):
        nxt = s[i + len(ref):i + len(ref) + 1]
        if nxt and (nxt.isalnum() or nxt == "_"):
            return 0
        return len(ref)
    return 0


def substitute(s: str, origin: str | None, platform: str | None, lib: str,
               secure: bool = False, is_exe: bool = False, trusted: tuple[str, ...] = ()) -> str | None:
    """glibc _dl_dst_substitute over one path element; None when the element must be dropped."""
    out: list[str] = []
    i, n = 0, len(s)
    check_trusted = False
    while i < n:
        c = s[i]
        if c != "$":
            j = s.find("$", i)
            j = n if j < 0 else j
            out.append(s[i:j])
            i = j
            continue
        i += 1
        repl: str | None = None
        if (ln := _is_dst(s, i, "ORIGIN")):
            if secure and ((i + ln < n and s[i + ln] != "/") or i != 1):
                return None
            repl = origin
            check_trusted = secure and is_exe
        elif (ln := _is_dst(s, i, "PLATFORM")):
            repl = platform
        elif (ln := _is_dst(s, i, "LIB")):
            repl = lib
        if ln:
            if repl is None:
                return None
            out.append(repl)
            i += ln
        else:
            out.append("$")
    result = "".join(out)
    if check_trusted and not _trusted(result, trusted):
        return None
    return result


def _trusted(path: str, trusted: tuple[str, ...]) -> bool:
    """is_trusted_path_normalize: the normalised path (with a trailing slash) starts with a trusted
    (default) directory."""
    parts: list[str] = []
    for c in path.split("/"):
        if c in ("", "."):
            continue
        if c == "..":
            if parts:
                parts.pop()
            continue
        parts.append(c)
    norm = "/" + "/".join(parts) + "/" if parts else "/"
    return norm.startswith(trusted)


def legacy_subdirs(components: tuple[str, ...]) -> list[str]:
    """glibc < 2.37 _dl_important_hwcaps: every combination of the components, most specific first
    ("tls/haswell/avx512_1/x86_64/", ..., "x86_64/"), without the empty one."""
    n = len(components)
    out = []
    for m in range((1 << n) - 1, 0, -1):
        out.append("/".join(components[i] for i in range(n) if m & (1 << (n - 1 - i))) + "/")
    return out


class GlibcConfig:
    """What glibc's rules derive from the root and the machine alone; shared by the inputs of a call."""

    def __init__(self, fs, host, main_ident: ElfIdent):
        m, bits, little, eflags = main_ident.machine, main_ident.bits, main_ident.little, main_ident.eflags
        native = host is not None and host.machine == m and host.bits == bits
        self.platform = host.platform if native and host.platform else generic_platform(m, bits, little)
        self.hwcaps = tuple(host.hwcaps) if native else ()
        self.capstrs = tuple([f"glibc-hwcaps/{h}/" for h in self.hwcaps]
                             + (legacy_subdirs(host.legacy_hwcaps) if native else []) + [""])
        t = triplet(m, bits, little, eflags)
        multiarch = t is not None and (fs.isdir(f"/lib/{t}") or fs.isdir(f"/usr/lib/{t}"))
        if multiarch:
            self.lib = f"lib/{t}"
            self.system_dirs = (f"/lib/{t}/", f"/usr/lib/{t}/", "/lib/", "/usr/lib/")
        else:
            self.lib = lib_dir_name(m, bits, eflags)
            self.system_dirs = (f"/{self.lib}/", f"/usr/{self.lib}/")
        self.accept_flags = cache_flags(m, bits, eflags)
        self.memo: dict = {}


class GlibcRules(ElfRules):
    name = "glibc"

    def __init__(self, ctx, main_ident: ElfIdent):
        self.ctx = ctx
        self.fs = ctx.fs
        self.ident = main_ident
        i = main_ident
        # e_flags whole: the triplet, $LIB, the default directories and the cache flags depend on
        # e_flags for ARM, MIPS, RISC-V and LoongArch.
        key = ("glibc", ctx.fs.root, i.machine, i.bits, i.little, i.eflags, ctx.cwd, ctx.env.host)
        cfg = ctx.session.memo.get(key)
        if cfg is None:
            cfg = ctx.session.memo[key] = GlibcConfig(ctx.fs, ctx.env.host, main_ident)
        self.platform, self.hwcaps, self.capstrs = cfg.platform, cfg.hwcaps, cfg.capstrs
        self.lib, self.system_dirs, self.accept_flags = cfg.lib, cfg.system_dirs, cfg.accept_flags
        self.ldcache, conf = ctx.session.glibc_config(self.fs, i.little, ctx.warn)
        self.conf_dirs = tuple(d if d.endswith("/") else d + "/" for d in conf)
        self._memo = cfg.memo
        self.llp: tuple[str, ...] = ()

    # -- set-up once the input is known --------------------------------------------------------------
    def start(self, walk) -> None:
        env = self.ctx.env
        if env.ld_library_path and not self.ctx.secure:
            self.llp = self._decompose(env.ld_library_path, walk.main, ":;", is_exe=True)

    # -- the walk's questions ------------------------------------------------------------------------
    def names_of(self, name: str, found: Found) -> set:
        return {name, found.path}

    def match_loaded(self, walk, name: str) -> Node | None:
        a, b = walk.by_name.get(name), walk.by_soname.get(name)
        if a is None or (b is not None and b.order < a.order):
            return b
        return a

    def expand_needed(self, walk, node: Node, raw: str) -> str | None:
        if "$" not in raw:
            return raw
        out = substitute(raw, self.origin(walk, node), self.platform, self.lib, self.ctx.secure,
                         node is walk.main, self.system_dirs)
        if not out:
            walk.warn(f"{node.name}: DT_NEEDED {raw!r}: a dynamic string token has no value here; skipped, "
                      "as ld.so skips it")
            return None
        return out

    def load(self, walk, found: Found):
        return self.ctx.objects.elf(found.resolved)

    def origin(self, walk, node: Node) -> str | None:
        if node is walk.main:
            return dirname(node.real) if node.real else None
        if node.path is None:
            return None
        d = dirname(node.path)
        if not node.path.startswith("/"):
            d = join(self.ctx.cwd, d) if d else self.ctx.cwd
        return d

    def search(self, walk, name: str, node: Node) -> Found | None:
        if "/" in name:
            r = resolve_slash_name(self.fs, self.ctx.cwd, name, walk)
            if r is None:
                return None
            verdict = self._check(r, name, walk)
            return Found(name, r, VIA_DIRECT) if verdict is None else None
        plan = self._plan(walk, node)
        key = ("search", name, plan)
        hit = self._memo.get(key)
        if hit is None:
            hit = self._run_plan(name, plan)
            if not self.cut:
                self._memo[key] = hit
        found, notes = hit
        for n in notes:
            walk.warn(n)
        return found

    def _plan(self, walk, node: Node) -> tuple:
        """The places ld.so looks, in order, for the needed names of ``node``: (dirs, via) steps and
        the cache step. Depends on the object and its loader chain only, so searches are memoised
        by (name, plan) across every input of the call."""
        plan = node.cache.get("plan")
        if plan is not None:
            return plan
        rec = node.rec
        steps: list[tuple] = []
        if rec.runpath is None:
            seen_main = False
            chain = node
            while chain is not None:
                dirs = self._rpath_dirs(walk, chain)
                if dirs:
                    steps.append((dirs, VIA_RPATH))
                seen_main |= chain is walk.main
                chain = chain.loader
            if not seen_main:
                dirs = self._rpath_dirs(walk, walk.main)
                if dirs:
                    steps.append((dirs, VIA_RPATH))
        if self.llp:
            steps.append((self.llp, VIA_LD_LIBRARY_PATH))
        if rec.runpath is not None:
            steps.append((self._decompose(rec.runpath, node, ":", node is walk.main, walk), VIA_RUNPATH))
        steps.append(("cache", rec.nodeflib))
        if not rec.nodeflib:
            steps.append((self.system_dirs, VIA_DEFAULT))
        plan = node.cache["plan"] = tuple(steps)
        return plan

    def _run_plan(self, name: str, plan: tuple) -> tuple[Found | None, tuple[str, ...]]:
        notes: list[str] = []
        skipped: list[str] = []
        for step in plan:
            if step[0] == "cache":
                nodeflib = step[1]
                if self.ldcache is not None:
                    cached = self.ldcache.lookup(name, self.accept_flags, self.hwcaps)
                    if cached is not None and not (nodeflib and cached.startswith(self.system_dirs)):
                        r = self.fs.resolve(cached)
                        if r.ok:
                            verdict = self._verdict(r, cached)
                            if verdict is None:
                                return Found(cached, r, VIA_CACHE), tuple(notes)
                            (skipped if verdict[0] == SKIP else notes).append(verdict[1])
                        elif r.message:
                            notes.append(r.message)
                    continue
                dirs = tuple(d for d in self.conf_dirs if not (nodeflib and d.startswith(self.system_dirs)))
                step = (dirs, VIA_CONF)
            dirs, via = step
            if not dirs:
                continue
            found, more, skips = self._open_path(name, dirs)
            notes.extend(more)
            skipped.extend(skips)
            if found is not None:
                return Found(found[0], found[1], via), tuple(notes)
        if skipped:
            notes.append(f"{name}: not found; skipped as the loader skips them: {', '.join(dict.fromkeys(skipped))}")
        return None, tuple(notes)

    # -- helpers -------------------------------------------------------------------------------------
    def _rpath_dirs(self, walk, l: Node) -> tuple[str, ...]:
        """DT_RPATH of ``l`` as directories (none when it has DT_RUNPATH: ld.so then drops DT_RPATH)."""
        if l.rec is None or l.rec.rpath is None or l.rec.runpath is not None:
            return ()
        dirs = l.cache.get("rpath")
        if dirs is None:
            dirs = l.cache["rpath"] = self._decompose(l.rec.rpath, l, ":", l is walk.main, walk)
        return dirs

    def _decompose(self, value: str, node: Node, seps: str, is_exe: bool, walk=None) -> tuple[str, ...]:
        """fillin_rpath: the directories of a search path, each with a trailing slash ("" = cwd)."""
        if value == "":
            return ()
        elems = [value]
        for sep in seps:
            elems = [p for e in elems for p in e.split(sep)]
        origin = self.origin(walk, node) if walk is not None else (dirname(node.real) if node.real else None)
        out: list[str] = []
        for e in elems:
            if e:
                x = substitute(e, origin, self.platform, self.lib, self.ctx.secure, is_exe, self.system_dirs) \
                    if "$" in e else e
                if not x:
                    continue
                x = x.rstrip("/") or "/"
                e = x if x.endswith("/") else x + "/"
            if e not in out:
                out.append(e)
        return tuple(out)

    def _open_path(self, name: str, dirs: tuple[str, ...]):
        key = (name, dirs)
        hit = self._memo.get(key)
        if hit is None:
            hit = self._open_path_uncached(name, dirs)
            if not self.cut:
                self._memo[key] = hit
        return hit

    def _open_path_uncached(self, name: str, dirs: tuple[str, ...]):
        notes: list[str] = []
        skips: list[str] = []
        fs, cwd = self.fs, self.ctx.cwd
        # The directories (with their hwcaps subdirectories that exist) are the same for every name
        # searched in them: worked out once, not once per name (a file may need 10^4 names).
        prefixes = self._memo.get(("prefixes", dirs))
        if prefixes is None:
            prefixes = self._memo[("prefixes", dirs)] = tuple(
                d + cap for d in dirs for cap in self.capstrs if not cap or fs.isdir(d + cap, cwd))
        for prefix in prefixes:
            if not self.probe(name):
                break
            cand = prefix + name
            r = fs.resolve(cand, cwd)
            if not r.ok:
                if r.message:
                    notes.append(r.message)
                continue
            verdict = self._verdict(r, cand)
            if verdict is None:
                return (cand, r), notes, skips
            kind, why = verdict
            (skips if kind == SKIP else notes).append(why)
        return None, notes, skips

    def _check(self, r, path: str, walk) -> tuple[str, str] | None:
        """The loader's verdict on an explicit path (said as a warning), or None when it takes it."""
        verdict = self._verdict(r, path)
        if verdict is not None:
            walk.warn(verdict[1])
        return verdict

    def _verdict(self, r, path: str) -> tuple[str, str] | None:
        """None when the loader would take the file; else (SKIP, why) for the candidates it passes
        over quietly, (FATAL, why) for those it would stop at with an error."""
        ident = self.ctx.objects.ident(r)
        if isinstance(ident, str):
            if ident == "not a regular file":
                return SKIP, f"{path} (not a regular file)"
            return FATAL, f"{path}: {ident} (ld.so would stop with this error; taken as not found)"
        me = self.ident
        if ident.bits != me.bits:
            return SKIP, f"{path} (ELFCLASS{ident.bits})"
        if ident.little != me.little:
            return FATAL, (f"{path}: ELF file data encoding not {'little' if me.little else 'big'}-endian "
                           "(ld.so would stop with this error; taken as not found)")
        if ident.machine != me.machine:
            return SKIP, f"{path} (machine {ident.machine}, not {me.machine})"
        if me.machine == EM_ARM and (ident.eflags ^ me.eflags) & EF_ARM_ABI_FLOAT_HARD:
            return SKIP, f"{path} (other ARM float ABI)"
        if ident.e_type not in (ET_DYN, ET_EXEC):
            return FATAL, f"{path}: only ET_DYN and ET_EXEC can be loaded (ld.so would stop with this error)"
        return None
