"""``build --reproducible``: each built variant built twice more, from two copies of the module in
directories of different names, and the two results compared byte for byte.

Where they differ, what differs is named (the sections whose bytes differ, the facts ``linkscope
diff`` sees) with the flag that would remove the difference: a build path inside the binary
(-trimpath), version-control stamps (-buildvcs=false); a difference with neither is named as it is.
"""
from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from ..record import replace
from .build import BuildResult, build_one


def module_root(package_dir: Path) -> Path:
    """The directory of the go.mod that ``package_dir`` belongs to (itself when none is found)."""
    d = package_dir.resolve()
    for candidate in (d, *d.parents):
        if (candidate / "go.mod").is_file():
            return candidate
    return d


def _copy(package_dir: Path, dest: Path) -> Path:
    """A copy of the whole module under ``dest``; returns the package's directory in it. Symbolic
    links are kept as links: a copy never reads outside the module through them."""
    root = module_root(package_dir)
    shutil.copytree(root, dest / root.name, symlinks=True)
    return dest / root.name / package_dir.resolve().relative_to(root)


def section_differences(a: Path, b: Path) -> list[str]:
    """Names of the sections (in a's table) whose bytes differ between ``a`` and ``b``."""
    from ..inspector import open_image

    out = []
    with open_image(str(a)) as (ia, _), open_image(str(b)) as (ib, _):
        theirs = {s.name: s for s in ib.sections()}
        for s in ia.sections():
            t = theirs.get(s.name)
            if t is None or t.size != s.size:
                out.append(s.name)
            elif s.size and ia.view.bytes(s.offset, s.size) != ib.view.bytes(t.offset, t.size):
                out.append(s.name)
    return out


def explain_difference(a: Path, b: Path, copies: tuple[Path, Path]) -> tuple[str, ...]:
    """What differs between the two builds, and the flag that would fix it."""
    from ..diff import compare
    from ..inspector import inspect

    out = []
    sections = section_differences(a, b)
    if sections:
        out.append("sections differ: " + ", ".join(sections[:8]) + (f" (+{len(sections) - 8} more)" if len(sections) > 8 else ""))
    changes = compare(inspect(str(a)), inspect(str(b))).changes
    vcs = [c for c in changes if c.field == "go.settings" and (c.key or "").startswith("vcs")]
    other = [c for c in changes if c not in vcs]
    out += [f"{c.field}{'[' + c.key + ']' if c.key else ''}: {c.old!r} -> {c.new!r}" for c in other[:6]]
    data_a, data_b = a.read_bytes(), b.read_bytes()
    if any(str(module_root(d)).encode() in data for d, data in zip(copies, (data_a, data_b))):
        out.append("the build directory is inside the binary: -trimpath removes it")
    if vcs:
        out.append("version-control stamps differ: -buildvcs=false leaves them out")
    return tuple(out) or ("bytes differ, and no section or build setting says where",)


def check_all(results: list[BuildResult], *, package: str, module_dir: Path, tools, cache: Path) -> list[BuildResult]:
    out = []
    for r in results:
        if r.status != "built":
            out.append(r)
            continue
        with tempfile.TemporaryDirectory(prefix="linkscope-repro-") as tmp:
            tmp = Path(tmp)
            copies = (_copy(module_dir, tmp / "one"), _copy(module_dir, tmp / "second"))
            built = [build_one(r.variant, package=package, module_dir=c, out=tmp / f"out{i}", tools=tools, cache=cache)
                     for i, c in enumerate(copies)]
            if any(b.status != "built" for b in built):
                why = next(b.reason for b in built if b.status != "built")
                out.append(replace(r, reproducible=None, differences=(f"a rebuild failed: {why}",)))
                continue
            a, b = Path(built[0].path), Path(built[1].path)
            same = a.read_bytes() == b.read_bytes()
            out.append(replace(r, reproducible=same,
                               differences=() if same else explain_difference(a, b, copies)))
    return out
