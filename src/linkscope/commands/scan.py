"""``linkscope scan``: audit whole trees and container images. The JSON lines (``--jsonl``) stream
one record per binary as it is done, so memory stays flat however big the tree; the summary comes
at the end. Exit 0, or 1 when a binary breaks the policy or a target cannot be scanned, 2 for
usage errors."""
from __future__ import annotations

import os
import sys
import time
from itertools import islice

from .. import policy, scan
from ..errors import LinkscopeError
from ..inputs import UsageError, jobs_of, parse_shard
from ..parallel import iter_chunks
from ..render import scan_report
from ..render.diagnostic import command_error
from ..render.jsonout import dumps
from ..status import EXIT_FAIL, EXIT_OK, EXIT_USAGE
from . import guarded


class Progress:
    """A live line on a terminal (files seen, binaries found, rate); nothing when piped."""

    def __init__(self, stream, quiet: bool = False):
        self.stream = stream
        self.live = not quiet and hasattr(stream, "isatty") and stream.isatty()
        self.t0 = self.last = time.monotonic()
        self.files = self.binaries = 0
        self.target = ""

    def seen(self, files: int) -> None:
        self.files += files
        self._show()

    def examined_one(self) -> None:
        self.binaries += 1
        self._show()

    def _show(self) -> None:
        now = time.monotonic()
        if not self.live or now - self.last < 0.1:
            return
        self.last = now
        rate = self.files / (now - self.t0) if now > self.t0 else 0
        self.stream.write(f"\r\x1b[K{self.target}: {self.files:,} files, {self.binaries:,} binaries, "
                          f"{rate:,.0f} files/s"[:160])
        self.stream.flush()

    def close(self) -> None:
        if self.live:
            self.stream.write("\r\x1b[K")
            self.stream.flush()


def _policy(args):
    try:
        pol, _ = policy.build(policy.cli_values(args), config=args.config, use_config=not args.no_config)
    except policy.PolicyError as e:
        raise UsageError(str(e)) from None
    return None if pol.is_empty() else pol


def run(args) -> int:
    shard = parse_shard(args.shard)
    args.jobs = jobs_of(args.jobs) if args.jobs is not None else None
    pol = _policy(args)
    out = None
    if args.jsonl:
        if args.jsonl == "-":
            out = sys.stdout
        else:
            try:
                out = open(args.jsonl, "w", encoding="utf-8", errors="surrogateescape")
            except OSError as e:
                raise UsageError(f"--jsonl {args.jsonl}: {e.strerror or e}") from None
    report = sys.stderr if out is sys.stdout else sys.stdout
    progress = Progress(sys.stderr, quiet=args.quiet or out is sys.stdout and not sys.stderr.isatty())
    summary = scan.Summary()
    failing: list = []      # check.FileResult of each binary that breaks the policy, for --sarif
    images: set[str] = set()  # the targets that are images

    def emit(rec: dict) -> None:
        summary.add(rec)
        if out is not None:
            out.write(dumps(rec) + "\n")
        if args.sarif and rec.get("violations"):
            failing.append(_file_result(rec, rec["target"] in images))

    t0 = time.monotonic()
    try:
        for target in args.targets:
            progress.target = target
            _scan_one(target, args, shard, pol, emit, progress, images)
    finally:
        progress.close()
        if out is not None and out is not sys.stdout:
            out.close()
    doc = summary.to_json()
    if args.json:
        report.write(dumps(scan_report.document(doc), pretty=report.isatty()) + "\n")
    else:
        report.write("\n".join(scan_report.lines(doc, time.monotonic() - t0)) + "\n")
    if args.sarif:
        if pol is None:
            raise UsageError("--sarif needs a policy (options or a policy file)")
        from ..check import Report
        from ..render import sarif

        try:
            with open(args.sarif, "w", encoding="utf-8") as f:
                f.write(dumps(sarif.document(Report(pol, None, tuple(failing)))) + "\n")
        except OSError as e:
            print(command_error("scan", f"cannot write {args.sarif}: {e.strerror or e}"), file=sys.stderr)
            return EXIT_USAGE
    return EXIT_OK if summary.ok else EXIT_FAIL


def _file_result(rec: dict, image: bool):
    """A binary record's violations as check's FileResult: a directory's file by its path on this
    machine, an image's as TARGET:PATH."""
    from ..check import FileResult, Violation

    where = f"{rec['target']}:{rec['path']}" if image else os.path.join(rec["target"], rec["path"].lstrip("/"))
    return FileResult(where, tuple(Violation(where, v["rule"], v["message"], tuple(v["evidence"]), v["slice"])
                                   for v in rec["violations"]))


def _scan_one(target: str, args, shard, pol, emit, progress: Progress, images: set[str]) -> None:
    try:
        tree = scan.open_target(target, cache=args.cache)
    except LinkscopeError as e:
        print(command_error("scan", f"{target}: {e.message}"), file=sys.stderr)
        emit(scan.target_record(target, None, 0, 0, [], error=e.message))
        return
    if scan.is_image(tree):
        images.add(target)
    try:
        deps_root = scan.deps_root_of(tree, args.deps)
        cache = scan.ResultCache(args.cache) if args.cache and scan.is_image(tree) else None
        key = cache.key(tree, deps_root, pol, args.shard) if cache is not None else None
        kept = cache.replay(key, target) if key is not None else None
        if kept is not None:          # this very image, scanned before the same way
            for rec in kept:
                if "scan_target" in rec:
                    progress.seen(rec["scan_target"]["files_seen"])
                else:
                    progress.examined_one()
                emit(rec)
            return
        recorder = cache.recorder(key) if key is not None else None
        try:
            _examine_all(target, tree, deps_root, args, shard, pol,
                         emit if recorder is None else (lambda r: (emit(r), recorder.write(dumps(r)))), progress)
        except BaseException:
            if recorder is not None:
                recorder.abort()
            raise
        if recorder is not None:
            recorder.commit()
    finally:
        close = getattr(tree, "close", None)
        if close is not None:
            close()


WINDOW = 8192      # files walked per batch: the names in memory stay bounded however many a tree holds


def _examine_all(target: str, tree, deps_root: str, args, shard, pol, emit, progress: Progress) -> None:
    problems: list[str] = list(getattr(tree, "problems", ()))
    counted = [0]
    records = scan.RecordCache(args.cache) if args.cache else None
    ex = scan.Examiner(target, tree, deps_root, pol, records)

    def examine(p: str) -> dict:
        return guarded(lambda: ex.examine(p), lambda err: ex.failed(p, err))

    warmed: dict[str, dict] = {}      # the one binary examined before the first fork, by path
    done = [False]

    def work(chunk: list[str]) -> list[dict | None]:
        return [(warmed.pop(p, None) or examine(p)) if ex.is_binary(p) else None for p in chunk]

    def warm(paths: list[str]) -> None:
        # What most binaries need (libc, the loader's configuration) is read once, before the first
        # fork; that binary's record is kept for its turn (a forked worker that takes it has it too).
        if done[0]:
            return
        for p in paths:
            if ex.is_binary(p):
                warmed[p] = examine(p)
                done[0] = True
                return

    found = shown = 0
    walk = scan.candidates(tree, problems, target, shard, counted)
    while True:
        window = list(islice(walk, WINDOW))
        progress.seen(counted[0] - shown)
        shown = counted[0]
        for part in iter_chunks(window, work, (lambda w=window: warm(w)) if window else None, args.jobs):
            for rec in part:
                if rec is not None:
                    found += 1
                    progress.examined_one()
                    emit(rec)
        if len(window) < WINDOW:
            break
    emit(scan.target_record(target, tree, counted[0], found, problems, shard=args.shard))
