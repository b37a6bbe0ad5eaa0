"""Whole trees and container images, audited: every executable and shared object found by its
first bytes, inspected, its libraries resolved inside the same tree, and counted into a summary.

A target is a directory (a root filesystem, a build output) or a container image (linkscope.container:
a ``docker save`` tarball or an OCI layout). Either is a ``Files`` tree, so ``inspect`` and the
dependency walk run on it unchanged and nothing outside it is read. The walk follows no symbolic
link, lists each hard-linked file once and opens only regular files (non-blocking, fstat-checked).

Each binary gives one plain JSON record (:func:`examine`): the inspect record, plus ``target``,
``layer`` (the image layer its final version came from), scan findings (a library or interpreter
the tree does not contain) added to the record's own, ``deps`` (what was resolved where) and the
policy's ``violations``. Each target gives one target record at its end (files seen, problems).
The :class:`Summary` is computed from those records alone, so ``summarize`` over the JSON lines of
shards gives exactly what one whole scan prints."""
from __future__ import annotations

import hashlib
import os

from .errors import InputError
from .files import Files, HostFiles
from .sniff import loadable

LARGEST = 10          # the largest binaries the summary names
EXAMPLES = 3          # paths named per finding kind or violated rule
MAX_PROBLEMS = 200    # a target's problems kept in its record (the count is always whole)
SESSION_BINARIES = 1024   # binaries examined with one resolution session and one set of tree lookups


class ScanError(InputError):
    """A target that cannot be scanned at all (not a directory or an image, unreadable)."""


def open_target(path: str, *, cache: str | None = None):
    """The tree of a target: a ContainerTree for an image (close it), a HostFiles for a directory."""
    from . import container

    if container.looks_like_container(path):
        return container.open_container(path, cache_dir=cache)
    if os.path.isdir(path):
        return HostFiles(path)
    if not os.path.exists(path):
        raise ScanError("no such file or directory")
    raise ScanError("neither a directory nor a container image (a docker save tarball or an OCI layout)")


def is_image(tree: Files) -> bool:
    return not isinstance(tree, HostFiles)


def regular_files(tree: Files, problems: list[str]):
    """(inner path, stat) of every regular file of the tree, in path order, hard links once."""
    if is_image(tree):
        yield from tree.files()
        return
    from .inputs import walk

    skip = len(tree.root) if tree.root != "/" else 0
    for host, st in walk(tree.root, problems, stats=True):
        yield host[skip:] or "/", st


def candidates(tree: Files, problems: list[str], target: str, shard: tuple[int, int] | None, counted: list[int]):
    """The inner paths of the regular files that may be binaries, in path order, this shard's part,
    yielded as the walk finds them; ``counted[0]`` counts every regular file seen. Whether each is a
    binary is decided by :meth:`Examiner.is_binary`, on every core: only a hash of each name is
    computed here."""
    image = is_image(tree)
    for path, st in regular_files(tree, problems):
        counted[0] += 1
        if st.st_size >= 16 and (not image or tree.kept(path)) and in_shard(target, path, shard):
            yield path


def in_shard(target: str, path: str, shard: tuple[int, int] | None) -> bool:
    """Whether (target, path) belongs to shard I of N: a hash of both names, so every machine agrees
    and the parts are disjoint, together the whole, and about the same size."""
    if shard is None:
        return True
    i, n = shard
    h = int.from_bytes(hashlib.blake2b(f"{target}\0{path}".encode("utf-8", "surrogateescape"),
                                       digest_size=8).digest(), "big")
    return h % n == i - 1


def deps_root_of(tree: Files, choice: str) -> str:
    """Where libraries are looked for: "target" (the tree itself, as its own root), "host" (this
    machine) or "none". "auto": the target when it looks like a root filesystem (an etc directory
    and a lib or usr/lib directory), else this machine (a build output). An image is always its own
    root (or "none")."""
    if is_image(tree):
        return "none" if choice == "none" else "target"    # an image's files have no host path
    if choice != "auto":
        return choice
    if tree.isdir("/etc") and (tree.isdir("/lib") or tree.isdir("/usr/lib")):
        return "target"
    return "host"


class RecordCache:
    """The inspect records of image files, kept under ``DIR/records/VERSION`` by what decides them:
    the content's sha256 (the container store's name for it), the set-uid/set-gid bits and the file
    capabilities. A file met again, in any image, is not inspected again. Records are pickled and read
    back by an unpickler that makes nothing but linkscope's own record classes: a cache file that was
    tampered with is a miss, never code run."""

    def __init__(self, cache_dir: str):
        from . import __version__

        self.dir = os.path.join(cache_dir, "records", __version__)

    def key(self, tree: Files, path: str) -> str | None:
        digest = tree.content_digest(path)
        if digest is None:
            return None
        st = tree.lstat(path)
        caps = tree.capabilities(path)
        mode = 0 if st is None else st.st_mode & 0o7777
        return hashlib.sha256(f"{digest}\0{mode:o}\0{'' if caps is None else caps.hex()}".encode()).hexdigest()

    def get(self, key: str, path: str):
        try:
            with open(os.path.join(self.dir, key[:2], key), "rb") as fh:
                rec = _unpickle_record(fh.read(MAX_RECORD))
        except Exception:       # missing, damaged or tampered with: inspect the file
            return None
        from .model import Binary

        if not isinstance(rec, Binary):
            return None
        from .inputs import renamed

        return renamed(rec, path)

    def put(self, key: str, rec) -> None:
        import pickle
        import tempfile

        d = os.path.join(self.dir, key[:2])
        try:
            os.makedirs(d, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=d, prefix=".tmp-")
            with os.fdopen(fd, "wb") as fh:
                fh.write(pickle.dumps(rec, protocol=pickle.HIGHEST_PROTOCOL))
            os.replace(tmp, os.path.join(d, key))
        except OSError:
            pass


MAX_RECORD = 16 << 20


_unpickler = None


def _unpickle_record(data: bytes):
    """A pickled record, made by an unpickler that knows only linkscope.model's record classes."""
    global _unpickler
    import io
    import pickle

    if _unpickler is None:
        from . import model

        allowed = {n for n, v in vars(model).items() if isinstance(v, type) and hasattr(v, "__record_fields__")}

        class Records(pickle.Unpickler):
            def find_class(self, module, name):
                if module == "linkscope.model" and name in allowed:
                    return getattr(model, name)
                raise pickle.UnpicklingError(f"{module}.{name} is not a linkscope record")

        _unpickler = Records
    return _unpickler(io.BytesIO(data)).load()


class Examiner:
    """What one target's binaries are checked with: the tree, the dependency environment, one
    resolution session (its caches shared by every binary of the target), the policy, and for an
    image with a cache the cache of inspect records."""

    def __init__(self, target: str, tree: Files, deps_root: str, policy=None, records: RecordCache | None = None):
        self.target, self.tree, self.deps_root, self.policy = target, tree, deps_root, policy
        self.records = records if is_image(tree) else None
        self.examined = 0
        self._fresh()

    def _fresh(self) -> None:
        """A new resolution session, and the tree's lookups forgotten: every SESSION_BINARIES binaries,
        so the caches (and memory) stay bounded however many a tree holds; libc and the loader's
        configuration are then read again, once."""
        from .deps.hostenv import host_env
        from .deps.records import Env
        from .deps.resolver import Session

        self.tree.forget()
        if self.deps_root == "target":
            self.env = Env(root=self.tree.root, ld_library_path="", cwd="/")
            self.session = Session(self.tree)
        elif self.deps_root == "host":
            self.env, self.session = host_env("/", ""), Session()
        else:
            self.env = self.session = None

    def is_binary(self, path: str) -> bool:
        """Whether the file is an executable or a shared object, by its first bytes."""
        head, _ = self.tree.head(path, 64)
        return head is not None and loadable(head)

    def where(self) -> str:
        return "this machine" if self.deps_root == "host" else ("this image" if is_image(self.tree) else self.target)

    def examine(self, path: str) -> dict:
        """The JSON record of the binary at inner path ``path``."""
        from .inspector import inspect

        self.examined += 1
        if self.examined % SESSION_BINARIES == 0:
            self._fresh()
        from .render.jsonout import binary_to_json

        rec = None
        key = self.records.key(self.tree, path) if self.records is not None else None
        if key is not None:
            rec = self.records.get(key, path)
        if rec is None:
            rec = inspect(path, files=self.tree)
            if key is not None and rec.error is None:
                self.records.put(key, rec)
        out = binary_to_json(rec)
        out["target"] = self.target
        out["layer"] = self.tree.layer_of(path) if is_image(self.tree) else None
        out["deps"] = self._deps(rec, out["findings"])
        out["violations"] = [] if self.policy is None else self._violations(rec)
        return out

    def failed(self, path: str, error) -> dict:
        """The JSON record of a binary that linkscope itself failed on (``error``: kind "internal")."""
        from .model import Binary
        from .render.jsonout import binary_to_json

        out = binary_to_json(Binary(path=path, error=error))
        # A gate fails closed: with a policy, a binary linkscope could not judge breaks it.
        violations = [] if self.policy is None else [{"rule": "unreadable", "message": error.message, "evidence": [],
                                                      "slice": None}]
        out.update(target=self.target, layer=self.tree.layer_of(path) if is_image(self.tree) else None, deps=None,
                   violations=violations)
        return out

    def _deps(self, rec, findings: list) -> dict | None:
        """What the binary loads, resolved where ``deps_root`` says; a library or interpreter not
        found there is a finding. None for what loads nothing (static) or is not ELF."""
        if self.session is None or rec.format != "elf" or rec.error is not None or not (rec.needed or rec.interpreter):
            return None
        from .deps.resolver import resolve

        path = rec.path if self.deps_root == "target" else self.tree.host(rec.path)
        return self._deps_record(resolve(path, self.env, self.session, libc_facts=False), findings)

    def _deps_record(self, r, findings: list) -> dict:
        where = self.where()
        interp = r.interpreter
        interp_missing = interp is not None and interp.path is None
        if interp_missing:
            findings.append({"id": "missing-interpreter", "severity": "error",
                             "title": f"Needs the interpreter {interp.name}, which {where} does not contain: "
                                      "it cannot start there.",
                             "evidence": [f"PT_INTERP {interp.name}"], "fix": None})
        libs = [name for name in r.missing if interp is None or name != interp.name]
        for name in libs:
            by = next((l.needed_by for l in r.libraries if l.name == name and l.path is None), ())
            findings.append({"id": "missing-library", "severity": "error",
                             "title": f"Needs {name}, which {where} does not contain.",
                             "evidence": [f"needed by {', '.join(by[:3])}"] if by else [], "fix": None})
        return {"root": self.deps_root, "libraries": len(r.libraries), "missing": libs,
                "interpreter_found": None if interp is None else not interp_missing,
                "error": None if r.error is None else r.error.message}

    def _violations(self, rec) -> list[dict]:
        from .check import evaluate

        return [{"rule": v.rule, "message": v.message, "evidence": list(v.evidence), "slice": v.slice}
                for v in evaluate(self.policy, rec)]


def target_record(target: str, tree: Files | None, files_seen: int, binaries: int, problems: list[str],
                  error: str | None = None, shard: str | None = None) -> dict:
    """The record that closes a target's records in the JSON lines: what the summary needs of it.
    ``binaries`` are those this shard examined; every shard sees all ``files_seen``."""
    layers = []
    if tree is not None and is_image(tree):
        layers = [{"index": l.index, "digest": l.digest, "from_cache": l.from_cache} for l in tree.layers]
    return {"scan_target": {"target": target, "kind": "image" if tree is not None and is_image(tree) else "directory",
                            "error": error, "files_seen": files_seen, "binaries": binaries, "layers": layers,
                            "problems": problems[:MAX_PROBLEMS], "problem_count": len(problems),
                            "shard": shard}}


class Summary:
    """Counts over binary records and target records (plain dicts, as the JSON lines hold them)."""

    KEYS = ("format", "arch", "linkage", "libc", "glibc_min", "go", "cgo", "stripped")

    def __init__(self):
        self.targets: dict[str, dict] = {}
        self.binaries = 0
        self.unreadable = 0
        self.counts: dict[str, dict[str, int]] = {k: {} for k in self.KEYS}
        self.largest: list[tuple[int, str, str]] = []
        self.findings: dict[str, dict] = {}
        self.violations: dict[str, dict] = {}
        self.failing = 0

    def add(self, rec: dict) -> None:
        t = rec.get("scan_target")
        if t is not None:
            had = self.targets.get(t["target"])
            if had is None:
                self.targets[t["target"]] = dict(t, shard=None)
            else:               # another shard of the same target: the same files, its own binaries
                had["binaries"] += t["binaries"]
                had["error"] = had["error"] or t["error"]
            return
        self.binaries += 1
        if rec.get("error") is not None:
            self.unreadable += 1
        go = rec.get("go") or {}
        cgo = rec.get("cgo") or {}
        values = {"format": rec.get("format"), "arch": rec.get("arch"), "linkage": rec.get("linkage"),
                  "libc": rec.get("libc"), "glibc_min": rec.get("glibc_min"), "go": go.get("version"),
                  "cgo": None if not go else _yes_no(cgo.get("used")), "stripped": _yes_no(rec.get("stripped"))}
        for k, v in values.items():
            if v is None and k in ("glibc_min", "go", "cgo"):
                continue           # counted only where they apply
            key = "unknown" if v is None else str(v)
            self.counts[k][key] = self.counts[k].get(key, 0) + 1
        item = (int(rec.get("size") or 0), rec.get("target") or "", rec.get("path") or "")
        if len(self.largest) < LARGEST or item > self.largest[-1]:
            self.largest.append(item)
            self.largest.sort(key=lambda x: (-x[0], x[1], x[2]))
            del self.largest[LARGEST:]
        where = _where(rec)
        for f in rec.get("findings") or ():
            g = self.findings.setdefault(f["id"], {"severity": f["severity"], "count": 0, "examples": []})
            g["count"] += 1
            _example(g["examples"], {"path": where, "title": f["title"]})
        vs = rec.get("violations") or ()
        if vs:
            self.failing += 1
        for v in vs:
            g = self.violations.setdefault(v["rule"], {"count": 0, "examples": []})
            g["count"] += 1
            _example(g["examples"], {"path": where, "message": v["message"]})

    @property
    def ok(self) -> bool:
        """No violation, and every target read."""
        return not self.violations and not any(t.get("error") for t in self.targets.values())

    def to_json(self) -> dict:
        return {
            "targets": list(self.targets.values()),
            "files_seen": sum(t.get("files_seen", 0) for t in self.targets.values()),
            "binaries": self.binaries,
            "unreadable": self.unreadable,
            "counts": {k: dict(sorted(v.items(), key=lambda kv: (-kv[1], kv[0]))) for k, v in self.counts.items()},
            "largest": [{"size": s, "target": t, "path": p} for s, t, p in self.largest],
            "findings": dict(sorted(self.findings.items(), key=lambda kv: (-kv[1]["count"], kv[0]))),
            "violations": dict(sorted(self.violations.items(), key=lambda kv: (-kv[1]["count"], kv[0]))),
            "failing_binaries": self.failing,
            "problems": sum(t.get("problem_count", 0) for t in self.targets.values()),
        }


def _example(examples: list[dict], e: dict) -> None:
    """Keep the first EXAMPLES in path order, whatever order records come in (shards merged in any
    order give the same summary)."""
    if len(examples) == EXAMPLES and e["path"] >= examples[-1]["path"]:
        return
    if any(x["path"] == e["path"] for x in examples):
        return       # one example per binary (a record may carry a kind twice)
    examples.append(e)
    examples.sort(key=lambda x: x["path"])
    del examples[EXAMPLES:]


def _yes_no(v) -> str | None:
    return None if v is None else ("yes" if v else "no")


def _where(rec: dict) -> str:
    return f"{rec.get('target')}:{rec.get('path')}"


class ResultCache:
    """A whole image's records, kept under ``DIR/scans`` by what decides them: linkscope's version,
    the image's layer digests in order (they fix its final filesystem, whiteouts included), where
    libraries were resolved, the policy and the shard. A second scan of the same image replays them
    and reads nothing of it but its manifest and layer tables. Records are written as they are made
    (flat memory) to a temporary file, renamed into place only when the target was scanned whole."""

    VERSION = 1

    def __init__(self, cache_dir: str):
        self.dir = os.path.join(cache_dir, "scans")

    def key(self, tree: Files, deps_root: str, policy, shard: str | None) -> str | None:
        """None when the image cannot be named by its layers (a layer digest unknown) or had problems
        (a digest that did not match its blob among them): such an image is scanned, never kept."""
        import json

        from . import __version__

        digests = [l.digest for l in getattr(tree, "layers", ())]
        if not digests or None in digests or getattr(tree, "problems", None):
            return None
        ident = json.dumps([self.VERSION, __version__, digests, deps_root, repr(policy), shard])
        return hashlib.sha256(ident.encode()).hexdigest()

    def replay(self, key: str, target: str):
        """The kept records, one at a time, each carrying ``target`` as now given; None when there
        are none. A kept file ends with its target record (it was renamed into place only then)."""
        path = os.path.join(self.dir, key + ".jsonl")
        try:
            with open(path, "rb") as fh:
                fh.seek(max(0, os.fstat(fh.fileno()).st_size - 65536))
                last = fh.read().rstrip(b"\n").rsplit(b"\n", 1)[-1]
        except OSError:
            return None
        if not last.startswith(b'{"scan_target":'):
            return None
        return self._records(path, target)

    @staticmethod
    def _records(path: str, target: str):
        import json

        with open(path, encoding="utf-8", errors="surrogateescape") as fh:
            for line in fh:
                r = json.loads(line)
                if "scan_target" in r:
                    r["scan_target"]["target"] = target
                else:
                    r["target"] = target
                yield r

    def recorder(self, key: str) -> "_Recorder | None":
        try:
            os.makedirs(self.dir, exist_ok=True)
            return _Recorder(self.dir, key)
        except OSError:
            return None


class _Recorder:
    def __init__(self, d: str, key: str):
        import tempfile

        self.final = os.path.join(d, key + ".jsonl")
        fd, self.tmp = tempfile.mkstemp(dir=d, prefix=key[:16] + ".", suffix=".tmp")
        self.fh = os.fdopen(fd, "w", encoding="utf-8", errors="surrogateescape")

    def write(self, line: str) -> None:
        self.fh.write(line + "\n")

    def commit(self) -> None:
        self.fh.close()
        os.replace(self.tmp, self.final)

    def abort(self) -> None:
        self.fh.close()
        try:
            os.unlink(self.tmp)
        except OSError:
            pass
