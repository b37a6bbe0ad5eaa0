"""The breadth-first walk every ELF loader does, with the search rules plugged in.

ld.so (elf/dl-deps.c) and musl (ldso/dynlink.c load_deps) both process the objects in the order they
were loaded, mapping each one's DT_NEEDED entries in turn and appending what is new to the end: a
breadth-first search of the dependency graph. A needed name first matches an object already loaded
(the rules decide how: names, sonames, musl's reserved libc names); otherwise it is searched for, and
a file found that is already loaded under another name (same device and inode) is that object.

What is not found becomes a "not found" entry, and (as glibc's trace mode does) does not stop the walk;
a later request for the same name searches again, since the requester's paths may differ.
"""
from __future__ import annotations

from ..record import record

from ..files import Resolved
from .model import VIA_INTERPRETER, VIA_NOT_FOUND, Interpreter, Library
from .objects import ElfObject


class Node:
    """One object of a walk, mutable while the walk runs; compared by identity."""

    __slots__ = ("name", "path", "real", "via", "rec", "loader", "depth", "fid", "faked", "names",
                 "needed_by", "needs", "order", "cache")

    def __init__(self, name: str, path: str | None, real: str | None, via: str, rec: ElfObject | None,
                 loader: "Node | None" = None, depth: int = 0, fid: tuple | None = None,
                 faked: bool = False, names: set | None = None):
        self.name = name            # the name it was first requested by (the input: its path)
        self.path = path            # as the loader opens it (inner)
        self.real = real            # canonical inner path
        self.via = via
        self.rec = rec
        self.loader = loader        # the object whose DT_NEEDED loaded it first (glibc l_loader)
        self.depth = depth
        self.fid = fid              # (st_dev, st_ino)
        self.faked = faked          # not found
        self.names = set() if names is None else names
        self.needed_by: list = []
        self.needs: list = []
        self.order = 0.0            # position in the loader's list of loaded objects
        self.cache: dict = {}       # per-object derived data for the rules (expanded paths)


@record
class Found:
    path: str                      # as the loader would open it
    resolved: Resolved
    via: str


class Walk:
    """One input's closure. ``rules`` (GlibcRules, MuslRules) supplies: ``match_loaded(walk, name)``
    (the loaded object a name means, or None), ``expand_needed(walk, node, raw)`` (the DT_NEEDED
    string after token expansion, None to skip it), ``search(walk, name, node)`` (a Found, or None),
    ``load(walk, found)`` (its ElfObject, or why it cannot be read) and ``names_of(name, found)``
    (the names a newly loaded object answers to)."""

    def __init__(self, rules, main: Node, interp: Node | None, warn, max_objects: int):
        self.rules = rules
        self.main = main
        self.interp = interp
        self.warn = warn
        self.max_objects = max_objects
        self.nodes: list[Node] = []          # creation order (faked included), main and interp excluded
        self.by_fid: dict[tuple, Node] = {}
        self.by_name: dict[str, Node] = {}   # every name a loaded object answers to, first object first
        self.by_soname: dict[str, Node] = {}
        self.loaded: list[Node] = []
        self._order = 1.0
        main.order = 0.0
        self._register(main)
        if interp is not None and not interp.faked:
            interp.order = 0.5
            self._register(interp)

    def _register(self, node: Node) -> None:
        self.loaded.append(node)
        if node.fid is not None:
            self.by_fid.setdefault(node.fid, node)
        for n in node.names:
            self.by_name.setdefault(n, node)
        if node.rec is not None and node.rec.soname:
            self.by_soname.setdefault(node.rec.soname, node)

    def add_name(self, node: Node, name: str) -> None:
        node.names.add(name)
        self.by_name.setdefault(name, node)

    def run(self) -> list[Node]:
        known: list[Node] = [self.main]
        reserved = {id(self.main)}
        expand, map_ = self.rules.expand_needed, self._map
        for node in known:          # grows as it goes: breadth first
            if node.rec is None:
                continue
            for raw in node.rec.needed:
                name = expand(self, node, raw)
                if name is None:
                    continue
                dep = map_(name, node)
                if dep is None:
                    continue
                if node.name not in dep.needed_by:
                    dep.needed_by.append(node.name)
                node.needs.append(dep)
                if not dep.faked and id(dep) not in reserved:
                    reserved.add(id(dep))
                    if not dep.depth:
                        dep.depth = node.depth + 1
                    known.append(dep)
        return known

    def _map(self, name: str, requester: Node) -> Node | None:
        hit = self.rules.match_loaded(self, name)
        if hit is not None:
            self.add_name(hit, name)
            return hit
        if len(self.nodes) >= self.max_objects:
            self.warn(f"more than {self.max_objects} objects: {name} and the rest not resolved")
            return None
        found = self.rules.search(self, name, requester)
        if found is None:
            return self._new(Node(name, None, None, VIA_NOT_FOUND, None, requester, requester.depth + 1,
                                  faked=True))
        st = found.resolved.st
        fid = (st.st_dev, st.st_ino)
        same = self.by_fid.get(fid)
        if same is not None:
            self.add_name(same, name)
            return same
        rec = self.rules.load(self, found)
        if isinstance(rec, str):
            self.warn(f"{found.path}: {rec}; its own dependencies are unknown")
            rec = None
        node = self._new(Node(name, found.path, found.resolved.real, found.via, rec, requester, 0, fid,
                              names=self.rules.names_of(name, found)))
        self._register(node)
        return node

    def _new(self, node: Node) -> Node:
        node.order = self._order
        self._order += 1
        self.nodes.append(node)
        return node


def listing(walk: Walk, known: list[Node], list_unreached_interp: bool = True
            ) -> tuple[tuple[Library, ...], tuple[str, ...], tuple[int, ...], Interpreter | None]:
    """The loader's list of loaded objects as ldd prints it: creation order, with the interpreter put
    where ld.so puts it (right after the object before it in the breadth-first search list), each
    not-found name once (at its first request); the interpreter is last when nothing needs it (and
    left out, as ldd leaves it out, when ``list_unreached_interp`` is false).
    Returns (libraries, missing names, the input's needs as indexes, interpreter)."""
    interp = walk.interp
    chain: list[Node] = list(walk.nodes)
    if interp is not None:
        if not interp.faked and any(n is interp for n in known):
            pos = next(k for k, n in enumerate(known) if n is interp)
            prev = known[pos - 1]
            at = 0 if prev is walk.main else next(k for k, n in enumerate(chain) if n is prev) + 1
            chain.insert(at, interp)
        elif list_unreached_interp:
            chain.append(interp)
    shown: list[Node] = []
    faked_first: dict[str, Node] = {}
    for n in chain:
        if n.faked:
            first = faked_first.get(n.name)
            if first is not None:
                for by in n.needed_by:
                    if by not in first.needed_by:
                        first.needed_by.append(by)
                continue
            faked_first[n.name] = n
        shown.append(n)
    index: dict[int, int] = {}
    for k, n in enumerate(shown):
        index[id(n)] = k
    for n in chain:
        if n.faked and id(n) not in index:
            index[id(n)] = index[id(faked_first[n.name])]

    def needs_of(n: Node) -> tuple[int, ...]:
        out: list[int] = []
        for d in n.needs:
            k = index.get(id(d))
            if k is not None and k not in out:
                out.append(k)
        return tuple(out)

    libs = []
    for n in shown:
        depth = n.depth or 1
        libs.append(Library(n.name, n.path, n.real, n.via, tuple(n.needed_by), depth, needs_of(n)))
    missing: list[str] = []
    for n in shown:
        if n.faked and n.name not in missing:
            missing.append(n.name)
    itp = None
    if interp is not None:
        itp = Interpreter(interp.name, None if interp.faked else interp.path, interp.real)
    return tuple(libs), tuple(missing), needs_of(walk.main), itp


def interp_node(name: str, r: Resolved, rec: ElfObject | str | None, warn) -> Node:
    """The program interpreter, loaded by the kernel before anything else."""
    if not r.ok:
        return Node(name, None, None, VIA_NOT_FOUND, None, None, 1, faked=True)
    if isinstance(rec, str):
        warn(f"interpreter {name}: {rec}")
        rec = None
    names = {name}
    node = Node(name, name, r.real, VIA_INTERPRETER, rec, None, 0, (r.st.st_dev, r.st.st_ino), names=names)
    return node


def resolve_slash_name(fs, cwd: str, name: str, walk: Walk):
    """Both glibc and musl use a needed name that contains a slash as a path, as is: its resolution
    inside the view, or None (with the view's diagnostic, if any, warned) when it does not exist."""
    r = fs.resolve(name, cwd)
    if not r.ok:
        if r.message:
            walk.warn(r.message)
        return None
    return r

