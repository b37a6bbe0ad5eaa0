"""Hypothesis properties with an independent model as the oracle: container images (layers of
files, directories, symlinks, whiteouts and opaque directories applied as a runtime applies them)
and ld.so.conf include graphs (every directory of every file reached once, in order, loops cut).
The models are written here, from the OCI image spec and ld.so.conf(5), never from linkscope."""
from __future__ import annotations

import os
import tempfile

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import imagekit
from imagekit import D, F, L, layer

# -- container images --------------------------------------------------------------------------------
# Names are chosen so that a path's parent is never a file or a link (a runtime's behaviour there is
# undefined): directories d1, d2; files f1, f2; links l1 (to a relative or an absolute target).
DIRS = ("d1", "d2")
dir_path = st.lists(st.sampled_from(DIRS), min_size=0, max_size=2).map(lambda p: "/".join(p))


def _join(*parts: str) -> str:
    return "/".join(p for p in parts if p)


entry = st.one_of(
    st.tuples(st.just("f"), dir_path, st.sampled_from(("f1", "f2")), st.binary(max_size=8)),
    st.tuples(st.just("d"), dir_path, st.sampled_from(DIRS), st.none()),
    st.tuples(st.just("l"), dir_path, st.just("l1"), st.sampled_from(("f1", "/d1/f2", "d2"))),
    st.tuples(st.just("wh"), dir_path, st.sampled_from(DIRS + ("f1", "f2", "l1")), st.none()),
    st.tuples(st.just("opq"), dir_path.filter(bool), st.none(), st.none()),
)
layers_st = st.lists(st.lists(entry, max_size=6), min_size=1, max_size=4)


def model(layers) -> dict[str, tuple]:
    """The final filesystem, as the OCI image spec says a runtime builds it: layer by layer, bottom
    first; a layer's whiteouts (``.wh.NAME``) and opaque markers delete from the layers below it;
    then its entries are added (a directory over a directory merges; anything else replaces what was
    there); a directory implied by an entry exists (moby's and containerd's appliers make the parent
    of every entry, a whiteout's included, before they handle it)."""
    fs: dict[str, tuple] = {}

    def drop_below(path: str, keep_self: bool = False) -> None:
        for p in [p for p in fs if p == path and not keep_self or p.startswith(path + "/")]:
            del fs[p]

    for entries in layers:
        for kind, d, name, data in entries:
            if kind == "wh":
                drop_below(_join(d, name))
            elif kind == "opq":
                drop_below(d, keep_self=True)
        for kind, d, name, data in entries:
            parts = d.split("/") if d else []
            for i in range(len(parts)):       # the entry's directories, a marker's too
                fs.setdefault("/".join(parts[:i + 1]), ("d",))
            if kind in ("wh", "opq"):
                continue
            path = _join(d, name)
            if kind == "d":
                if fs.get(path, ("",))[0] != "d":
                    drop_below(path)
                    fs[path] = ("d",)
            else:
                drop_below(path)
                fs[path] = ("f", data) if kind == "f" else ("l", data)
    return fs


def image_layer(entries) -> bytes:
    out = []
    for kind, d, name, data in entries:
        if kind == "f":
            out.append(F(_join(d, name), data))
        elif kind == "d":
            out.append(D(_join(d, name)))
        elif kind == "l":
            out.append(L(_join(d, name), data))
        elif kind == "wh":
            out.append(F(_join(d, ".wh." + name)))
        else:
            out.append(F(_join(d, ".wh..wh..opq")))
    return layer(*out)


def tree_view(tree) -> dict[str, tuple]:
    """What the ContainerTree holds, in the model's terms (paths without the leading slash)."""
    import stat

    out: dict[str, tuple] = {}
    todo = ["/"]
    while todo:
        d = todo.pop()
        names, err = tree.listdir(d)
        assert err is None, err
        for n in names:
            p = d.rstrip("/") + "/" + n
            s = tree.lstat(p)
            if stat.S_ISDIR(s.st_mode):
                out[p[1:]] = ("d",)
                todo.append(p)
            elif stat.S_ISLNK(s.st_mode):
                out[p[1:]] = ("l", tree.readlink(p))
            else:
                with tree.open(p) as f:
                    out[p[1:]] = ("f", f.read(1 << 10))
    return out


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(layers_st)
def test_an_image_is_the_filesystem_a_runtime_would_build(layers):
    from linkscope.container import open_container

    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "img.tar")
        imagekit.docker_legacy(path, [image_layer(e) for e in layers])
        with open_container(path, keep=lambda p, h: True) as tree:
            assert tree.problems == []
            assert tree_view(tree) == model(layers)
            files = [p for p, _ in tree.files()]
            assert files == sorted(files) and len(files) == len(set(files))
        assert os.listdir(tmp) == ["img.tar"]          # the store is gone with the tree


# -- ld.so.conf include graphs ----------------------------------------------------------------------
conf_graph = st.lists(st.tuples(st.lists(st.sampled_from(("/x", "/y", "/z", "/w")), max_size=3),
                                st.lists(st.integers(0, 3), max_size=3)), min_size=1, max_size=4)


def conf_model(graph) -> list[str]:
    """ld.so.conf(5) as ldconfig reads it: each file's directories in order, each ``include`` read
    where it stands, depth first; a file already being read (a loop) is not read again; a directory
    listed twice counts once, where it first appears."""
    out: list[str] = []
    active: set[int] = set()

    def read(i: int) -> None:
        if i in active or i >= len(graph):
            return
        active.add(i)
        dirs, incs = graph[i]
        for d in dirs:
            if d not in out:
                out.append(d)
        for j in incs:
            read(j)
        active.discard(i)

    read(0)
    return out


def write_confs(root: str, graph) -> None:
    for d in ("etc", "x", "y", "z", "w"):     # every directory listed exists (missing ones are dropped)
        os.makedirs(os.path.join(root, d), exist_ok=True)
    for i, (dirs, incs) in enumerate(graph):
        name = "etc/ld.so.conf" if i == 0 else f"etc/c{i}.conf"
        lines = []
        # Directories first, then includes: the model reads them in that order too.
        lines += dirs
        lines += [f"include /etc/{'ld.so.conf' if j == 0 else f'c{j}.conf'}" for j in incs]
        with open(os.path.join(root, name), "w") as f:
            f.write("\n".join(lines) + "\n")


@settings(max_examples=150, deadline=None)
@given(conf_graph)
def test_ld_so_conf_include_graphs_are_read_once_each_in_order(graph):
    from linkscope.deps.ldconf import parse_conf
    from linkscope.files import HostFiles

    with tempfile.TemporaryDirectory() as root:
        write_confs(root, graph)
        dirs, diags, found = parse_conf(HostFiles(root), "/etc/ld.so.conf")
        assert found and list(dirs) == conf_model(graph)
        assert all(isinstance(d, str) for d in diags)


# -- library graphs ----------------------------------------------------------------------------------
# Libraries lib0..lib4 each needing a subset of the others (cycles and diamonds included), some names
# missing; an executable needing some of them. The oracle is the real glibc loader (a test-built
# program traced with LD_TRACE_LOADED_OBJECTS=1: none of its code runs).
LIB_NAMES = [f"libg{i}.so" for i in range(5)]
lib_graph = st.tuples(
    st.lists(st.sampled_from(LIB_NAMES + ["libgone.so"]), min_size=1, max_size=3, unique=True),   # the exe's
    st.lists(st.lists(st.sampled_from(LIB_NAMES + ["libgone.so"]), max_size=3, unique=True),
             min_size=5, max_size=5),
    st.sets(st.integers(0, 4), max_size=2),                                                     # absent libs
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(lib_graph)
def test_a_library_graph_resolves_as_the_real_loader_loads_it(graph):
    import reference
    from deps_fixtures import treebuild
    from linkscope.deps.hostenv import host_env
    from linkscope.deps.resolver import resolve
    from pathlib import Path

    needed, deps, absent = graph
    with tempfile.TemporaryDirectory() as d:
        lib_dir = Path(d) / "lib"
        for i, name in enumerate(LIB_NAMES):
            if i not in absent:
                treebuild.elf(lib_dir / name, soname=name, needed=tuple(deps[i]))
        exe = treebuild.elf(Path(d) / "bin" / "main", exe=True, needed=tuple(needed))
        real = [(n, p) for n, p in reference.loader_trace(exe, ld_library_path=str(lib_dir))
                if n in LIB_NAMES or n == "libgone.so"]
        r = resolve(str(exe), host_env(None, str(lib_dir)), libc_facts=False)
        ours = [(l.name, l.realpath) for l in r.libraries if l.name in LIB_NAMES or l.name == "libgone.so"]
        assert ours == real
        assert set(r.missing) == {n for n, p in real if p is None}
