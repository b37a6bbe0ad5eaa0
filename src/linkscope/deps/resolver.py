"""``resolve(binary_path, env) -> Result``: what a binary needs to run and where its loader finds it,
by reading files only. Nothing is executed; nothing here reads the process environment (the CLI
builds ``env`` once, see ``hostenv``).

The input is parsed with the format parsers; then the rules of its loader apply: glibc's or musl's for
ELF (chosen by the interpreter's name), dyld's for Mach-O, Windows' for PE. A ``Session`` holds what
every input of one call shares: the filesystem view of the root, parsed libraries, the parsed
ld.so.cache and ld.so.conf, and memoised directory searches.
"""
from __future__ import annotations

import os
import stat
from functools import lru_cache

from ..errors import DATA_ERRORS, RECORD_ERRORS, LinkscopeError
from ..inspector import open_image
from ..sniff import NON_BINARY
from ..model import ErrorInfo
from .arch import default_interpreter
from .walk import Node, Walk, interp_node, listing
from ..files import Files, HostFiles, Resolved, dirname
from .ldconf import parse_cache, parse_conf
from .records import Env, Library, Result
from .objects import ElfIdent, ElfObject, Objects, elf_object, load_elf_object


class Session:
    """Caches shared by the inputs of one call. Every cached value is a frozen record or a tuple,
    derived from files read once (keyed by path and stat) under one root."""

    def __init__(self, files: Files | None = None):
        # ``files``: a tree that is not a directory of this machine (an image), resolved under its root name.
        self._views: dict[str, Files] = {} if files is None else {files.root: files}
        self._objects: dict[str, Objects] = {}
        self._glibc: dict[tuple, tuple] = {}
        self.memo: dict = {}
        self.floors: dict[frozenset, str | None] = {}   # glibc floor by version needs

    def view(self, root: str) -> Files:
        fs = self._views.get(root)
        if fs is None:
            fs = self._views[root] = HostFiles(root)
        return fs

    def objects(self, fs: Files) -> Objects:
        o = self._objects.get(fs.root)
        if o is None:
            o = self._objects[fs.root] = Objects(fs)
        return o

    def glibc_config(self, fs: Files, little: bool, warn):
        """(ld.so.cache or None, ld.so.conf directories) for binaries of that byte order; the
        diagnostics found while reading them are replayed to every input that uses them."""
        key = (fs.root, little)
        got = self._glibc.get(key)
        if got is None:
            notes: list[str] = []
            cache = None
            data, err = fs.read("/etc/ld.so.cache")
            if err:
                notes.append(f"{err}; ld.so.cache not used")
            if data is not None:
                cache, problems = parse_cache(data, little)
                notes.extend(problems)
            conf: tuple[str, ...] = ()
            if cache is None:
                conf, diags, found = parse_conf(fs)
                notes.extend(diags)
                if data is not None and found:
                    notes.append("ld.so.cache unusable: searching the directories of ld.so.conf in its place "
                                 "(the loader itself would skip to its default directories)")
            got = self._glibc[key] = (cache, conf, tuple(notes))
        for n in got[2]:
            warn(n)
        return got[0], got[1]


class Context:
    """What the rules of one input's walk read: its environment, view, caches and diagnostics."""

    __slots__ = ("env", "fs", "objects", "session", "cwd", "secure", "warn")

    def __init__(self, env: Env, fs: Files, objects: Objects, session: Session, cwd: str, secure: bool, warn):
        self.env, self.fs, self.objects, self.session = env, fs, objects, session
        self.cwd, self.secure, self.warn = cwd, secure, warn


def resolve(binary_path: str | os.PathLike, env: Env | None = None, session: Session | None = None,
            *, libc_facts: bool = True) -> Result:
    """The dependency closure of one binary. Never raises for bad input: ``Result.error`` says what
    was wrong with the input itself, ``Result.warnings`` what was odd on the way. ``libc_facts``:
    fill ``libc``, ``glibc_min`` and ``runs_on`` (from linkscope.libc); without them an ELF input is
    read as its loader reads it, which is quicker."""
    env = env or Env()
    session = session or Session()
    path = os.fspath(binary_path)
    fs = session.view(env.root)
    notes: dict[str, None] = {}

    def warn(msg: str) -> None:
        notes.setdefault(msg)

    def fail(kind: str, message: str, offset: int | None = None) -> Result:
        return Result(path, ErrorInfo(kind, message, offset), warnings=tuple(notes))

    inner = _inner_path(fs, path, env)
    if inner is None:
        return fail("input", f"not inside the root {fs.root}")
    r = fs.resolve(inner, env.cwd)
    if not r.ok:
        from ..inspector import missing_message  # the wording inspect gives (a dangling link names its target)
        return fail("input", r.message or (missing_message(path) if fs.root == "/" else "no such file"))
    if stat.S_ISDIR(r.st.st_mode):     # as inspect: identified, nothing to resolve (-r reads what is below)
        return Result(path, format="directory", note="not a binary: directory", warnings=tuple(notes))
    if not stat.S_ISREG(r.st.st_mode):
        from ..inspector import not_regular_message
        return fail("input", not_regular_message(r.st.st_mode))
    secure = env.secure if env.secure is not None else _secure(fs, r)
    ctx = Context(env, fs, session.objects(fs), session, env.cwd, secure, warn)

    facts: dict = {}
    try:
        if not libc_facts and isinstance(ctx.objects.ident(r), ElfIdent):
            facts["format"] = "elf"
            rec = load_elf_object(fs, r.real)
            facts["linkage"] = rec.linkage
        else:
            with open_image(r.real, r.st, files=fs) as (image, _st):
                rec = _main_record(image, facts, session.floors if libc_facts else None)
    except LinkscopeError as e:
        return fail(e.kind, e.message, e.offset)
    except RECORD_ERRORS as e:
        return fail("malformed", f"malformed data ({type(e).__name__}: {e})")
    fmt = facts.get("format")
    common = dict(format=fmt, linkage=facts.get("linkage"), libc=facts.get("libc"), glibc_min=facts.get("glibc_min"),
                  runs_on=tuple(facts.get("runs_on") or ()))
    main_fid = (r.st.st_dev, r.st.st_ino)

    if fmt == "elf":
        out = _resolve_elf(ctx, path, inner, r, rec, main_fid)
    elif fmt in ("macho", "macho-universal"):
        from . import dyld
        out = dyld.resolve(ctx, path, inner, r, rec)
    elif fmt == "pe":
        from . import windows
        out = windows.resolve(ctx, path, inner, r, rec)
    elif fmt == "script":      # the interpreter (and env's program) resolved inside the root
        from .script import resolve_script
        out = resolve_script(ctx, rec)
    elif fmt in NON_BINARY:
        out = dict(note=f"not a binary: {rec['description']}")
    else:
        out = dict(static=True, note=f"no shared libraries ({fmt})")
        warn(f"{fmt} files load no shared libraries through a system loader")
    return Result(path, warnings=tuple(notes), **common, **out)


def resolve_many(paths: list[str], env: Env | None = None, *, libc_facts: bool = True):
    """:func:`resolve` over every input, yielded in input order as results come in; a large batch on
    every core (see linkscope.parallel). One session per process; what nearly every input needs
    (ld.so.cache, the loader's configuration, libc and its loader) is read once, by resolving the
    first input before forking, and inherited by every child."""
    from ..parallel import iter_chunks

    env = env or Env()
    session = Session()

    def work(chunk: list[str]) -> list[Result]:
        return [resolve(p, env, session, libc_facts=libc_facts) for p in chunk]

    for part in iter_chunks(paths, work, warm=(lambda: work(paths[:1])) if paths else None):
        yield from part


def _inner_path(fs: HostFiles, path: str, env: Env) -> str | None:
    """The input as a path inside the root. With a root, a host path below it (as typed, or once its
    directory is made real) names the file inside; any other absolute path is already inside."""
    if fs.root == "/":
        return path if path.startswith("/") else os.path.join(env.cwd, path)
    host_abs = os.path.abspath(path)
    inner = fs.inner_of_host(host_abs)
    if inner is None:
        inner = fs.inner_of_host(os.path.join(os.path.realpath(os.path.dirname(host_abs)), os.path.basename(host_abs)))
    if inner is not None:
        return inner
    if path.startswith("/"):
        return path
    return None


def _secure(fs: Files, r: Resolved) -> bool:
    """AT_SECURE as the kernel sets it for this file: set-uid, set-gid, or file capabilities."""
    return bool(r.st.st_mode & (stat.S_ISUID | stat.S_ISGID)) or fs.capabilities(r.real) is not None


def _main_record(image, facts: dict, floors: dict | None):
    fmt = getattr(image, "format", None)
    facts["format"] = fmt
    if fmt in NON_BINARY:
        return image.facts()
    facts["linkage"] = getattr(image, "linkage", None)  # the verdict inspect gives, from the same rule
    if floors is not None:
        facts.update(_libc_facts(image, floors))
    if fmt == "elf":
        return elf_object(image)
    if fmt in ("macho", "macho-universal"):
        from . import dyld
        return dyld.macho_file(image)
    if fmt == "pe":
        from . import windows
        return windows.pe_object(image)
    return None


def _libc_facts(image, floors: dict) -> dict:
    """libc flavour, glibc floor and "runs on" from linkscope.libc. ``floors`` memoises the floor by
    what it is a function of, the names and flags of the version needs (linkscope.libc: the newest
    non-weak version named); reading them costs less than working the floor out again."""
    from .. import libc as g

    out = {}
    try:
        out["libc"] = g.libc_flavour(image)
        if getattr(image, "format", None) == "elf":
            key = frozenset((r.name, r.flags) for r in image.version_requirements)
            floor = floors.get(key, floors)
            if floor is floors:
                floor = floors[key] = g.glibc_min(image)
            out["glibc_min"] = floor
        else:
            out["glibc_min"] = g.glibc_min(image)
        out["runs_on"] = _runs_on(g, out["libc"], out["glibc_min"])
    except (LinkscopeError, *DATA_ERRORS):   # damaged version tables: those facts stay unknown
        pass
    return out


@lru_cache(maxsize=256)
def _runs_on(g, libc: str | None, glibc_min: str | None) -> tuple[str, ...]:
    # A pure function of two strings over the shipped release table: worked out once per pair.
    return tuple(g.runs_on(libc, glibc_min))


def libc_rules(rec: ElfObject) -> str:
    """"musl" for binaries whose interpreter (or, for a library, whose libc) is musl's, else "glibc"."""
    interp = rec.interpreter or ""
    base = interp.rsplit("/", 1)[-1]
    if base.startswith("ld-musl-"):
        return "musl"
    if not interp and any(n == "libc.so" or n.startswith("libc.musl-") for n in rec.needed):
        return "musl"
    return "glibc"


_SELF = "\0input"   # stands for the input's name in a closure shared by inputs that load the same


def _resolve_elf(ctx: Context, path: str, inner: str, r, rec: ElfObject, main_fid) -> dict:
    """The ELF closure. Inputs whose loader would do exactly the same (same dynamic section, same
    interpreter, same $ORIGIN when a path uses it) share one walk: ``linkscope deps /usr/bin/*``
    walks each distinct closure once."""
    if not rec.dynamic:
        return dict(static=True, rules=None, note="not a dynamic executable")
    if not rec.needed and not rec.interpreter:
        return dict(static=True, rules=None, note="statically linked")
    uses_origin = any("$" in s for s in (*rec.needed, rec.rpath or "", rec.runpath or "",
                                         ctx.env.ld_library_path or ""))
    key = ("closure", rec, dirname(r.real) if uses_origin else None, ctx.secure, ctx.cwd, ctx.env)
    hit = ctx.session.memo.get(key)
    if hit is None or main_fid in hit[1]:
        notes: list[str] = []
        out, fids, alone = _walk_elf(ctx, inner, r, rec, main_fid, notes.append)
        hit = (out, fids, tuple(notes))
        if not alone:
            ctx.session.memo[key] = hit
    out, _fids, notes = hit
    for n in notes:
        ctx.warn(n.replace(_SELF, path))
    libs = tuple(Library(l.name, l.path, l.realpath, l.via, tuple(path if b == _SELF else b for b in l.needed_by),
                         l.depth, l.needs) if _SELF in l.needed_by else l for l in out["libraries"])
    if not rec.needed:
        # An interpreter and no needed library: ldd's loader lists nothing and ldd says "statically
        # linked"; the file is still dynamic (it needs its interpreter), and the record says both.
        return {**out, "libraries": libs, "note": "statically linked"}
    return {**out, "libraries": libs}


def _walk_elf(ctx: Context, inner: str, r, rec: ElfObject, main_fid, warn) -> tuple[dict, frozenset, bool]:
    """(the closure's fields, the file ids it loaded, whether it is this input's alone: one that loops
    back to its input, or one the search budget cut, is not shared with inputs of the same loading)."""
    rules_name = libc_rules(rec)
    if rules_name == "musl":
        from .musl import MuslRules
        rules = MuslRules(ctx, rec.ident, rec.interpreter)
    else:
        from .glibc import GlibcRules
        rules = GlibcRules(ctx, rec.ident)
    main = Node(_SELF, inner, r.real, "", rec, None, 0, main_fid, names=set())
    interp = None
    interp_name, implicit = rec.interpreter, False
    if not interp_name:
        # A library runs in some process, under that machine's loader (ldd on a library lists it).
        i = rec.ident
        interp_name = default_interpreter(i.machine, i.bits, i.little, i.eflags, rules_name)
        implicit = interp_name is not None and ctx.fs.resolve(interp_name, ctx.cwd).ok
    if rec.interpreter or implicit:
        ri = ctx.fs.resolve(interp_name, ctx.cwd)
        irec = None
        if ri.ok:
            irec = ctx.objects.elf(ri)
            if isinstance(irec, ElfObject):
                i = irec.ident
                if (i.bits, i.little, i.machine) != (rec.ident.bits, rec.ident.little, rec.ident.machine):
                    warn(f"interpreter {interp_name}: an ELF file for another machine or class")
        elif ri.message:
            warn(f"interpreter {interp_name}: {ri.message}")
        interp = interp_node(interp_name, ri, irec, warn)
        if not implicit:
            interp.needed_by.append(_SELF)
    walk = Walk(rules, main, interp, warn, ctx.env.max_objects)
    rules.start(walk)
    known = walk.run()
    libs, missing, needs, itp = listing(walk, known, list_unreached_interp=not implicit)
    fids = frozenset(n.fid for n in walk.loaded if n.fid is not None and n is not main)
    return dict(rules=rules.name, interpreter=None if implicit else itp, libraries=libs, missing=missing,
                needs=needs), fids, bool(main.names) or rules.cut
