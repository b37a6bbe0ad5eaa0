"""Small real ELF files for the deps tests, linked with gcc (or zig cc for other targets), cached.

``elf(...)`` builds one shared library or executable whose dynamic section says exactly what a test
needs: DT_SONAME, DT_NEEDED (linked against stub libraries of those names, so nothing else is
needed), DT_RPATH or DT_RUNPATH, ``-z nodeflib``. Libraries and executables are linked with
``-nostdlib``: they need nothing but what the test lists, so expected closures do not depend on the
machine (executables keep their PT_INTERP, /lib64/ld-linux-x86-64.so.2 for gcc's x86-64 output).

The command that makes each file is the one ``_link`` runs; outputs are cached under
<buildkit cache>/deps keyed by the command's inputs and the compiler's version, then copied into
each test's tree.
"""
from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
from functools import lru_cache
from pathlib import Path

import buildkit

CACHE = buildkit.CACHE / "deps"
HERE = Path(__file__).resolve().parent
EXE_SOURCE = "void _start(void) { for (;;) ; }\n"
LIB_SOURCE = "int linkscope_fixture(void) { return 0; }\n"
RECIPE = 2   # bump when _link's commands change: it is part of every cache key


@lru_cache(maxsize=None)
def have_gcc() -> bool:
    return shutil.which("gcc") is not None


@lru_cache(maxsize=None)
def _version(tool: str) -> str:
    if tool == "gcc":
        return buildkit.toolchain_version("gcc")
    return buildkit.toolchain_version("zig")


def _compiler(target: str | None) -> list[str]:
    if target is None:
        return ["gcc"]
    return [*buildkit.zig_cmd(), "cc", "-target", target]


def _run(cmd: list[str], cwd: Path) -> None:
    r = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, env=buildkit.build_env())
    if r.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed:\n{r.stdout}\n{r.stderr}")


def elf(dest: Path, *, exe: bool = False, soname: str | None = None, needed: tuple[str, ...] = (),
        rpath: str | None = None, runpath: str | None = None, nodeflib: bool = False,
        target: str | None = None, source: str | None = None, libc: bool = False) -> Path:
    """Build (or take from the cache) one ELF file and copy it to ``dest``."""
    spec = (exe, soname, tuple(needed), rpath, runpath, nodeflib, target, source, libc,
            _version("gcc" if target is None else "zig"), EXE_SOURCE, LIB_SOURCE, RECIPE)
    key = hashlib.sha256(repr(spec).encode()).hexdigest()[:20]
    out = buildkit.cached(CACHE / "elf" / key, "out", lambda work: _link(work, spec))
    dest.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy2(out, dest)
    return dest


def _link(work: Path, spec) -> None:
    """Write the sources and stubs into ``work`` and link ``work/out`` (under buildkit's lock)."""
    exe, soname, needed, rpath, runpath, nodeflib, target, source, libc = spec[:9]
    src = work / "src.c"
    src.write_text(source or (EXE_SOURCE if exe and not libc else LIB_SOURCE))
    # Stubs with the needed names: linking against them writes those DT_NEEDED entries. A name
    # with a slash gets a stub without a soname at that relative path, so DT_NEEDED is the path.
    for n in needed:
        stub = work / n
        stub.parent.mkdir(parents=True, exist_ok=True)
        (work / "stub.c").write_text("int linkscope_stub(void) { return 0; }\n")
        cmd = [*_compiler(target), "-shared", "-fPIC", "-nostdlib", "-o", str(stub), "stub.c"]
        if "/" not in n:
            cmd += [f"-Wl,-soname,{n}"]
        _run(cmd, work)
    cmd = [*_compiler(target)]
    if not exe:
        cmd += ["-shared", "-fPIC"]
    if not libc:
        cmd += ["-nostdlib"]
    cmd += ["-o", "out.bin", "src.c"]
    if soname:
        cmd += [f"-Wl,-soname,{soname}"]
    if needed:
        cmd += ["-Wl,--no-as-needed"] + [n if "/" in n else f"./{n}" for n in needed]
    if rpath is not None:
        cmd += ["-Wl,--disable-new-dtags", f"-Wl,-rpath,{rpath}"]
    if runpath is not None:
        cmd += ["-Wl,--enable-new-dtags", f"-Wl,-rpath,{runpath}"]
    if nodeflib:
        cmd += ["-Wl,-z,nodefaultlib"]  # GNU ld's spelling of -z nodeflib
    _run(cmd, work)
    (work / "build.log").write_text(" ".join(cmd) + "\n")
    os.replace(work / "out.bin", work / "out")


def zig(dest: Path, args: tuple[str, ...], sources: dict[str, str], out: str, extra: dict[str, Path] | None = None) -> Path:
    """``zig cc ARGS -o OUT`` in a scratch directory holding ``sources`` (name -> text) and copies of
    ``extra`` files (name -> path, e.g. import libraries or dylibs to link against); the output is
    cached by all of these and zig's version, then copied to ``dest``. Companion outputs (a DLL's
    import library) are copied next to ``dest`` too."""
    extra = extra or {}
    h = hashlib.sha256(repr((args, sorted(sources.items()), out, _version("zig"), RECIPE)).encode())
    for name, p in sorted(extra.items()):
        h.update(name.encode() + Path(p).read_bytes())
    key = h.hexdigest()[:20]
    outdir = CACHE / "zig" / key

    def make(work: Path) -> None:
        for name, text in sources.items():
            (work / name).write_text(text)
        for name, p in extra.items():
            shutil.copy2(p, work / name)
        cmd = [*buildkit.zig_cmd(), "cc", *args, "-o", out]
        _run(cmd, work)
        (work / "build.log").write_text(" ".join(cmd) + "\n")
        for name in [*sources, *extra]:
            (work / name).unlink()

    buildkit.cached(outdir, out, make)
    dest.parent.mkdir(parents=True, exist_ok=True)
    for f in outdir.iterdir():
        if f.name == "build.log" or f.suffix in (".pdb",):
            continue
        target = dest if f.name == out else dest.parent / f.name
        shutil.copy2(f, target)
    return dest


# -- patching what ld will not write -----------------------------------------------------------------
def _split_string_tag(path: Path, tag: int, new_tag: int) -> tuple[str, str]:
    """The string of the object's one ``tag`` entry must read ``A:B``: the colon becomes a NUL, so
    ``tag`` reads ``A``, and a spare DT_NULL slot of the dynamic table (ld leaves several) becomes a
    ``new_tag`` entry pointing at ``B``. Patched in place with struct alone (buildkit's ELF64 helpers);
    returns (A, B)."""
    import struct

    data = bytearray(Path(path).read_bytes())
    dyn_off, entries = buildkit.elf64_dynamic(bytes(data))
    tags = [t for t, _ in entries]
    assert tags.count(tag) == 1 and (new_tag == tag or new_tag not in tags), tags
    strtab = buildkit.elf64_offset(bytes(data), next(v for t, v in entries if t == buildkit.DT_STRTAB))
    value = entries[tags.index(tag)][1]
    at = strtab + value
    text = data[at:data.index(b"\0", at)].decode()
    assert text.count(":") == 1, f"need a string of two parts, got {text!r}"
    colon = text.index(":")
    data[at + colon] = 0
    first_null = tags.index(buildkit.DT_NULL)
    if first_null + 1 >= len(tags) or tags[first_null + 1] != buildkit.DT_NULL:
        raise ValueError(f"{path}: no spare DT_NULL slot in the dynamic table")
    struct.pack_into("<qQ", data, dyn_off + 16 * first_null, new_tag, value + colon + 1)
    Path(path).write_bytes(data)
    return text[:colon], text[colon + 1:]


def split_rpath_into_rpath_and_runpath(path: Path) -> tuple[str, str]:
    """Give an object both DT_RPATH and DT_RUNPATH, which GNU ld never writes together: linked with a
    DT_RPATH of two entries ``A:B`` (``elf(rpath="A:B")``), it ends with DT_RPATH ``A`` and DT_RUNPATH
    ``B``; readelf shows both tags afterwards. Returns (A, B)."""
    return _split_string_tag(path, buildkit.DT_RPATH, buildkit.DT_RUNPATH)


DT_SONAME = 14


def split_soname_into_two(path: Path) -> tuple[str, str]:
    """Give an object two DT_SONAME entries, which no linker writes: linked with a soname ``A:B``, its
    first DT_SONAME reads ``A`` and a second one ``B`` (the one the loader keeps). Returns (A, B)."""
    return _split_string_tag(path, DT_SONAME, DT_SONAME)


def cut_last_load_segment(path: Path, short: int = 8) -> int:
    """Cut the file ``short`` bytes before the end of its last PT_LOAD's file bytes, so that load
    command runs past the end of the file (as a copy cut short leaves it); returns the new size."""
    data = Path(path).read_bytes()
    end = max(off + filesz for t, _f, off, _va, _pa, filesz in buildkit._phdrs(data) if t == 1)
    Path(path).write_bytes(data[:end - short])
    return end - short
