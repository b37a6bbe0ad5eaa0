"""The breadth-first walk every loader does, with each loader's rules plugged in.

ld.so (elf/dl-deps.c), musl (ldso/dynlink.c load_deps), dyld and the Windows loader all process the
objects in the order they were loaded, taking each one's needed libraries in turn and appending what
is new to the end: a breadth-first search of the dependency graph. A needed name first matches an
object already loaded (the rules decide how: names, sonames, install names, musl's reserved libc
names, Windows' case-insensitive names); otherwise it may be provided by the system without being
read (Windows' API sets and system DLLs), or it is searched for, and a file found that is already
loaded (the rules say what makes two the same: device and inode, or path) is that object.

What is not found becomes a not-found entry and does not stop the walk (as glibc's trace mode does).
The rules decide what a later request for the same name does: glibc and musl search again, since the
requester's paths may differ; dyld searches again but lists the name once; Windows reuses it.

The rule sets (GlibcRules, MuslRules, DyldRules, WindowsRules) answer the questions in :class:`Walk`.
"""
from __future__ import annotations

from ..record import record

from ..files import Resolved
from .records import VIA_INTERPRETER, VIA_NOT_FOUND, Interpreter, Library
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
    """One input's closure. ``rules`` supplies:

    - ``needs(node)``: the (name, kind) pairs the object asks for, in order (kind: dyld's load, weak,
      reexport...; None where the format has one kind);
    - ``expand_needed(walk, node, raw)``: the name after token expansion, None to skip it;
    - ``match_loaded(walk, name)``: the loaded object a name means, or None;
    - ``provided(walk, name, node)``: a node for a library the system provides without its file
      being read, or None (a search follows);
    - ``search(walk, name, node)``: a Found, or None;
    - ``unresolved(walk, name, kind, node)``: the node a name not found becomes (made with
      :meth:`new`), or None;
    - ``identity(resolved)``: what makes two files one object;
    - ``load(walk, found)``: the found file's record, or why it cannot be read (a str);
    - ``names_of(name, found)``: the names a newly loaded object answers to."""

    def __init__(self, rules, main: Node, interp: Node | None, warn, max_objects: int):
        self.rules = rules
        self.main = main
        self.interp = interp
        self.warn = warn
        self.max_objects = max_objects
        self.cut = False                     # the max_objects budget was hit (said once)
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
        if isinstance(node.rec, ElfObject) and node.rec.soname:   # glibc's rules compare DT_SONAME
            self.by_soname.setdefault(node.rec.soname, node)

    def add_name(self, node: Node, name: str) -> None:
        node.names.add(name)
        self.by_name.setdefault(name, node)

    def new(self, node: Node, register: bool = False) -> Node:
        """A node the rules made (provided, not found): in the listing at this point; with
        ``register``, a later request matches it by its names."""
        node.order = self._order
        self._order += 1
        self.nodes.append(node)
        if register:
            for n in node.names:
                self.by_name.setdefault(n, node)
        return node

    def run(self) -> list[Node]:
        known: list[Node] = [self.main]
        reserved = {id(self.main)}
        needs, expand, map_ = self.rules.needs, self.rules.expand_needed, self._map
        for node in known:          # grows as it goes: breadth first
            if node.rec is None:
                continue
            for raw, kind in needs(node):
                name = expand(self, node, raw)
                if name is None:
                    continue
                dep = map_(name, kind, node)
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

    def _map(self, name: str, kind, requester: Node) -> Node | None:
        rules = self.rules
        hit = rules.match_loaded(self, name)
        if hit is not None:
            self.add_name(hit, name)
            return hit
        if len(self.nodes) >= self.max_objects:
            if not self.cut:
                self.cut = True
                self.warn(f"more than {self.max_objects} objects: {name} and the rest not resolved")
            return None
        node = rules.provided(self, name, requester)
        if node is not None:
            return node
        found = rules.search(self, name, requester)
        if found is None:
            return rules.unresolved(self, name, kind, requester)
        fid = rules.identity(found.resolved)
        same = self.by_fid.get(fid)
        if same is not None:
            self.add_name(same, name)
            return same
        rec = rules.load(self, found)
        if isinstance(rec, str):
            self.warn(f"{found.path}: {rec}; its own dependencies are unknown")
            rec = None
        node = self.new(Node(name, found.path, found.resolved.real, found.via, rec, requester, 0, fid,
                             names=rules.names_of(name, found)))
        self._register(node)
        return node


MAX_PROBES = 20_000   # candidate paths one input's search may try (directories x names, from the file)


class ElfRules:
    """What glibc's and musl's rules share: DT_NEEDED in order, files told apart by device and
    inode, nothing provided unread, and a name not found searched again at its next request."""

    probes = 0

    def probe(self, name: str) -> bool:
        """Whether one more candidate path may be tried for this input: at most MAX_PROBES (a file's
        thousand RUNPATH entries times its thousand names would take minutes); the cut said once."""
        self.probes += 1
        if self.probes <= MAX_PROBES:
            return True
        if self.probes == MAX_PROBES + 1:
            self.ctx.warn(f"more than {MAX_PROBES} candidate paths tried: {name} and the names after it "
                          f"searched no further (taken as not found)")
        return False

    @property
    def cut(self) -> bool:
        """Whether this input's budget has run out. A search that ended after the cut is this input's
        alone: kept for another input of the session, its "not found" would be that input's too,
        without the warning."""
        return self.probes > MAX_PROBES

    def needs(self, node: Node):
        return ((n, None) for n in node.rec.needed)

    def provided(self, walk: Walk, name: str, node: Node) -> Node | None:
        return None

    def identity(self, r: Resolved) -> tuple:
        return (r.st.st_dev, r.st.st_ino)

    def unresolved(self, walk: Walk, name: str, kind, node: Node) -> Node:
        return walk.new(Node(name, None, None, VIA_NOT_FOUND, None, node, node.depth + 1, faked=True))


def listing(walk: Walk, known: list[Node], list_unreached_interp: bool = True
            ) -> tuple[tuple[Library, ...], tuple[str, ...], tuple[int, ...], Interpreter | None]:
    """The loader's list of loaded objects as ldd (or otool -L, for each format) prints it: creation order, with the interpreter put
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
        out: dict[int, None] = {}     # ordered, each once, in linear time (a node may need 10^4 names)
        for d in n.needs:
            k = index.get(id(d))
            if k is not None:
                out.setdefault(k)
        return tuple(out)

    libs = []
    for n in shown:
        depth = n.depth or 1
        libs.append(Library(n.name, n.path, n.real, n.via, tuple(n.needed_by), depth, needs_of(n)))
    missing: dict[str, None] = {}
    for n in shown:
        if n.via == VIA_NOT_FOUND:
            missing.setdefault(n.name)
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

