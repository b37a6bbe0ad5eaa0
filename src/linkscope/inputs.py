"""The inputs of a command: the paths given, ``--files-from``, trees (``-r``) and ``-`` (standard
input), gathered once at the CLI edge for every command.

- ``-r``/``--recursive``: a directory argument stands for the regular files below it, in name order,
  depth first, as ``find DIR -type f`` lists them. Symbolic links inside the tree are never followed
  (a link to a file of the tree is covered by that file; anything else is not part of the tree), and a
  file with several hard links is read once, under the first name met. Directories that cannot be
  listed are reported, once each, and the walk goes on.
- ``-``: standard input is copied (at most MAX_STDIN bytes) into a private temporary file, which is
  inspected like any file, never executed, and named ``-`` in every record; the file goes when the
  command ends."""
from __future__ import annotations

import os
import stat

from .render.diagnostic import path_line

STDIN = "-"
MAX_STDIN = 1 << 30


class UsageError(Exception):
    """A usage problem found after parsing (exit 2)."""


class Inputs:
    """``paths`` to open, in order; ``names`` maps an opened path to the name its record carries
    (the temporary copy of standard input to "-"); ``problems`` are stderr lines about inputs that
    could not be listed or read at all (each makes the exit status 1)."""

    def __init__(self):
        self.paths: list[str] = []
        self.names: dict[str, str] = {}
        self.problems: list[str] = []
        self._tmp: str | None = None

    def close(self) -> None:
        if self._tmp is not None:
            try:
                os.unlink(self._tmp)
            except OSError:
                pass
            self._tmp = None

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def name(self, path: str) -> str:
        return self.names.get(path, path)


def jobs_of(text: str | None) -> int:
    """``--jobs N``: N, at least 1; without it, the number of cores."""
    if text is None:
        return os.cpu_count() or 1
    try:
        n = int(text)
    except ValueError:
        raise UsageError(f"--jobs {text!r}: expected a number") from None
    if n < 1:
        raise UsageError("--jobs must be at least 1")
    return n


def parse_shard(spec: str | None) -> tuple[int, int] | None:
    """``--shard I/N`` (I from 1 to N) as (I, N); None for no shard."""
    if not spec:
        return None
    try:
        i, n = (int(x) for x in spec.split("/"))
    except ValueError:
        raise UsageError(f"--shard {spec!r}: expected I/N, such as 1/4") from None
    if not 1 <= i <= n:
        raise UsageError(f"--shard {spec!r}: I must be from 1 to N")
    return i, n


def renamed(rec, name: str):
    """``rec`` (a Binary, its slices, or a deps Result) carrying ``name`` as its path: standard input's
    temporary copy is "-" in every record."""
    from .record import replace

    old = rec.path
    changes = {"path": name}
    if getattr(rec, "slices", ()):
        changes["slices"] = tuple(replace(s, path=name) for s in rec.slices)
    if getattr(rec, "libraries", ()):
        changes["libraries"] = tuple(replace(l, needed_by=tuple(name if b == old else b for b in l.needed_by))
                                     for l in rec.libraries)
    return replace(rec, **changes)


def gather(args, positional: str = "paths") -> Inputs:
    """The inputs of parsed ``args``: its positionals, then ``--files-from``, each directory expanded
    with ``--recursive``, ``-`` read from standard input."""
    given = list(getattr(args, positional))
    files_from = getattr(args, "files_from", None)
    if files_from:
        try:
            fh = open(0, encoding="utf-8", errors="surrogateescape", closefd=False) if files_from == "-" else \
                open(files_from, encoding="utf-8", errors="surrogateescape")
        except OSError as e:
            raise UsageError(f"--files-from {files_from}: {e.strerror}") from None
        with fh:
            given.extend(line.rstrip("\n") for line in fh if line.strip())
    if not given:
        raise UsageError("no paths given")
    if given.count(STDIN) + (files_from == STDIN) > 1:
        raise UsageError("standard input ('-') can be read only once")
    inp = Inputs()
    recursive = getattr(args, "recursive", False)
    try:
        for p in given:
            if p == STDIN:
                tmp = _stdin_copy(inp)
                if tmp is not None:
                    inp.paths.append(tmp)
                    inp.names[tmp] = STDIN
            elif recursive and os.path.isdir(p):
                inp.paths.extend(walk(p, inp.problems))
            else:
                inp.paths.append(p)
    except BaseException:
        inp.close()
        raise
    return inp


def walk(top: str, problems: list[str], stats: bool = False):
    """The regular files below ``top`` (see the module's rules), in order, yielded as each directory
    is listed (a scan of millions of files never holds their names); with ``stats``, each as (path,
    its lstat), the one the walk made."""
    out: list = []
    seen: set[tuple[int, int]] = set()
    stack: list = [iter([top])]
    while stack:
        d = next(stack[-1], None)
        if d is None:
            stack.pop()
            continue
        try:
            with os.scandir(d) as it:
                entries = sorted(it, key=lambda e: e.name)
        except OSError as e:
            problems.append(path_line(d, f"cannot list the directory: {e.strerror or e}"))
            continue
        kept: list[tuple[str, os.stat_result | None]] = []     # (path, lstat; None for a directory)
        for e in entries:
            try:
                if e.is_dir(follow_symlinks=False):
                    kept.append((e.path, None))
                elif e.is_file(follow_symlinks=False):
                    st = e.stat(follow_symlinks=False)
                    if st.st_nlink > 1:
                        key = (st.st_dev, st.st_ino)
                        if key in seen:
                            continue
                        seen.add(key)
                    kept.append((e.path, st))
            except OSError:
                continue
        stack.append(_Rest(kept, out, stats))
        if out:
            yield from out
            out.clear()
    yield from out


class _Rest:
    """One directory's remaining entries, in name order: files go straight to ``out``, each
    subdirectory is handed back to the walk, which lists it before this directory's later entries."""

    __slots__ = ("entries", "out", "i", "stats")

    def __init__(self, entries: list[tuple[str, os.stat_result | None]], out: list, stats: bool):
        self.entries, self.out, self.i, self.stats = entries, out, 0, stats

    def __iter__(self):
        return self

    def __next__(self) -> str:
        while self.i < len(self.entries):
            path, st = self.entries[self.i]
            self.i += 1
            if st is None:
                return path
            self.out.append((path, st) if self.stats else path)
        raise StopIteration


def _stdin_copy(inp: Inputs) -> str | None:
    import tempfile

    fd, tmp = tempfile.mkstemp(prefix="linkscope-stdin-")
    inp._tmp = tmp
    total = 0
    with os.fdopen(fd, "wb") as f:
        while True:
            try:
                data = os.read(0, 1 << 20)
            except OSError as e:
                inp.problems.append(path_line(STDIN, f"cannot read standard input: {e.strerror or e}"))
                return None
            if not data:
                break
            total += len(data)
            if total > MAX_STDIN:
                inp.problems.append(path_line(STDIN, f"standard input is larger than {MAX_STDIN >> 20} MiB; "
                                                     "give the file's path instead"))
                return None
            f.write(data)
    os.chmod(tmp, stat.S_IRUSR)
    return tmp
