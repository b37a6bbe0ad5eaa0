"""``linkscope build``: the matrix of modes and targets built, inspected, verified, compared.
Exit 0 when every variant that could be had was built (and ran where it was run), 1 when one
failed, 2 on usage errors."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from ..inputs import UsageError, jobs_of, parse_shard
from ..status import EXIT_FAIL, EXIT_OK


def cache_dir() -> Path:
    """linkscope's own cache (the zig wrappers, verify's prefixes and probes): LINKSCOPE_CACHE, else
    $XDG_CACHE_HOME/linkscope, else ~/.cache/linkscope."""
    d = os.environ.get("LINKSCOPE_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache"), "linkscope")
    return Path(d)


def dist_list(tools) -> frozenset[str] | None:
    try:
        r = subprocess.run([tools.go.path, "tool", "dist", "list"], capture_output=True, text=True, timeout=60,
                           env=tools.go.environ(dict(os.environ)))
    except (OSError, subprocess.SubprocessError):
        return None
    return frozenset(r.stdout.split()) if r.returncode == 0 else None


def plan(args, tools, module_dir: Path) -> list:
    """The variants ``args`` ask for, in matrix order (modes, then targets), this shard's part."""
    from ..go.flags import GoBuild
    from ..lab import matrix

    try:
        known = dict(matrix.BUILTIN_MODES)
        known.update(matrix.user_modes(module_dir, Path.cwd()))
        modes = matrix.parse_modes(args.modes, known)
        targets = matrix.parse_targets(args.targets, dist_list(tools))
    except matrix.MatrixError as e:
        raise UsageError(str(e)) from None
    if not modes or not targets:
        raise UsageError("no modes or no targets")
    base = GoBuild()
    if args.tags:
        base = base.with_tags(*[t for t in args.tags.replace(" ", ",").split(",") if t])
    if args.ldflags:
        from ..go.flags import words
        base = base.with_ldflags(add=words(args.ldflags))
    host = matrix.host_target()
    out = [matrix.variant(name, recipes, t, base, host=host, host_cc=tools.cc is not None,
                          zig=tools.zig is not None, cc=args.cc, glibc=args.glibc, macos=args.macos,
                          macos_sdk=args.macos_sdk)
           for name, recipes in modes for t in targets]
    return matrix.shard(out, parse_shard(args.shard))


def verify_all(results, tools, *, cache: Path, sysroot: str | None, progress=None) -> list:
    """Each built result run every way that applies (lab.verify), one at a time: runs are short, and
    one at a time they do not disturb each other's timings."""
    from ..lab import verify
    from ..record import replace

    out = []
    for r in results:
        if r.status == "built" and r.binary is not None:
            if progress:
                progress.step(f"running {r.variant.key}")
            checks = verify.verify(Path(r.path), goos=r.variant.goos, goarch=r.variant.goarch,
                                   linkage=r.binary.linkage, interpreter=r.binary.interpreter, tools=tools,
                                   work=cache / "verify", sysroot=Path(sysroot) if sysroot else None)
            r = replace(r, verify=tuple(checks))
        out.append(r)
    return out


def failed(results) -> bool:
    return any(r.status == "failed" or any(c.ran and c.kind not in ("preload", "empty_root") and not c.ok
                                           for c in r.verify) for r in results)


def write_html(doc: dict, path: str, command: str) -> bool:
    """The self-contained HTML page of ``doc`` at ``path``; False (said on stderr) when it cannot be written."""
    from ..render import lab_html

    try:
        Path(path).write_text(lab_html.page(doc), encoding="utf-8")
    except OSError as e:
        print(f"linkscope {command}: {path}: {e.strerror or e}", file=sys.stderr)
        return False
    return True


def emit(doc: dict, args) -> bool:
    """The table or JSON on stdout, and the HTML page when asked; False when the page could not be written."""
    from ..render import jsonout, lab_report

    ok = write_html(doc, args.html, args.command) if getattr(args, "html", None) else True
    if args.json:
        sys.stdout.write(jsonout.dumps(doc, pretty=sys.stdout.isatty()) + "\n")
    else:
        sys.stdout.write(lab_report.table(doc))
    return ok


def progress_for(total: int, args):
    """The progress display: off with --quiet, and with --json unless stderr is a terminal."""
    from ..lab.build import Progress

    return Progress(total, quiet=args.quiet or args.json and not sys.stderr.isatty())


def prepare_beside(targets, tools, cache: Path):
    """A started thread making what the runs will need and is slow to make cold (Wine's prefix, the
    probe libraries: lab.verify.prepare), beside the builds; join it before verifying."""
    import threading

    from ..lab import verify

    ready = threading.Thread(target=verify.prepare, args=(set(targets), tools, cache / "verify"), daemon=True)
    ready.start()
    return ready


def toolchains_or_none(command: str):
    """What this machine has, or None (said on stderr) when there is no Go toolchain to build with."""
    from ..lab import toolchains

    tools = toolchains.discover()
    if tools.go is None:
        print(f"linkscope {command}: {toolchains.missing_go_message()}", file=sys.stderr)
        return None
    return tools


def run(args) -> int:
    from ..lab import build
    from ..lab.matrix import host_target
    from ..render import lab_report

    tools = toolchains_or_none("build")
    if tools is None:
        return EXIT_FAIL
    package = args.package[0] if args.package else "."
    if len(args.package) > 1:
        raise UsageError("one package at a time")
    module_dir = Path(package) if Path(package).is_dir() else Path.cwd()
    pkg_arg = "." if Path(package).is_dir() else package
    variants = plan(args, tools, module_dir)
    cache = cache_dir()
    progress = progress_for(len(variants), args)
    ready = None if args.no_verify else prepare_beside(((v.goos, v.goarch) for v in variants if not v.skip),
                                                       tools, cache)
    results = build.build_all([build.Job(v, module_dir, Path(args.out), pkg_arg) for v in variants], tools=tools,
                              cache=cache, jobs=jobs_of(args.jobs), progress=progress)
    if args.reproducible:
        from ..lab import reproduce
        results = reproduce.check_all(results, package=pkg_arg, module_dir=module_dir, tools=tools, cache=cache)
    if ready is not None:
        ready.join()
        results = verify_all(results, tools, cache=cache, sysroot=args.sysroot, progress=progress)
    progress.close()
    doc = lab_report.document(results, package=package, host=host_target(), tools=tools)
    written = emit(doc, args)
    return EXIT_FAIL if failed(results) or not written else EXIT_OK
