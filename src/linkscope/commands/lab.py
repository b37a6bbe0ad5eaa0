"""``linkscope lab``: the example programs built every way, run, compared, and what that shows.
Exit 0 when every variant that could be had was built (the host compiler's cgo cross build is
expected to fail: that is the point it makes), 1 otherwise."""
from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

from ..inputs import jobs_of
from ..status import EXIT_FAIL, EXIT_OK
from .build import (cache_dir, failed, prepare_beside, progress_for, toolchains_or_none, verify_all,
                    write_html)


def _sysroot(results, tools, cache) -> str | None:
    """A Debian arm64 sysroot for the dynamic arm64 results (downloaded once, cached); None when it
    cannot be had here (offline, no apt): their qemu check then says what it needs."""
    from ..lab import sysroot

    if not any(r.status == "built" and r.variant.goarch == "arm64" and r.binary.linkage == "dynamic" for r in results):
        return None
    if tools.qemu_for("arm64") is None:
        return None
    needy = tuple(str(r.path) for r in results if r.status == "built" and r.variant.goarch == "arm64"
                  and r.binary.linkage == "dynamic")
    try:
        return str(sysroot.make("arm64", binaries=needy, cache=cache))
    except (sysroot.SysrootError, OSError, subprocess.SubprocessError) as e:
        print(f"linkscope lab: no arm64 sysroot ({e}); dynamic arm64 results are not run", file=sys.stderr)
        return None


def run(args) -> int:
    from ..lab import build, showcase
    from ..lab.matrix import host_target
    from ..record import replace
    from ..render import jsonout, lab_report

    tools = toolchains_or_none("lab")
    if tools is None:
        return EXIT_FAIL
    cache = cache_dir()
    with tempfile.TemporaryDirectory(prefix="linkscope-lab-") as tmp:
        out = Path(args.out) if args.out else Path(tmp) / "dist"
        programs = showcase.copy_programs(Path(tmp) / "src")
        plans = {name: showcase.variants(name, tools) for name in programs}
        progress = progress_for(sum(len(v) for v in plans.values()), args)
        jobs = [build.Job(v, programs[name], out / name) for name, variants in plans.items() for v in variants]
        ready = prepare_beside(((j.variant.goos, j.variant.goarch) for j in jobs), tools, cache)
        # Both programs' builds in one pool: the slowest (zig's first musl libc) runs beside the rest.
        every = build.build_all(jobs, tools=tools, cache=cache, jobs=jobs_of(args.jobs), progress=progress)
        ready.join()
        docs, bad, at = {}, False, 0
        for name, variants in plans.items():
            results, at = every[at:at + len(variants)], at + len(variants)
            results = verify_all(results, tools, cache=cache, sysroot=_sysroot(results, tools, cache),
                                 progress=progress)
            expected = [r for r in results if r.variant.mode == "cgo-hostcc"]
            bad |= failed([r for r in results if r not in expected])
            if not args.out:   # the outputs go with the temporary directory
                results = [replace(r, path=None) for r in results]
            docs[name] = lab_report.document(results, package=name, host=host_target(), tools=tools)
        progress.close()
        lines = lab_report.story(docs)
        if args.html:
            merged = lab_report.merge([{**d, "variants": [{**v, "mode": f"{n} {v['mode']}"} for v in d["variants"]]}
                                       for n, d in docs.items()])
            bad |= not write_html(merged, args.html, "lab")
        if args.json:
            sys.stdout.write(jsonout.dumps({"schema_version": lab_report.SCHEMA_VERSION, "kind": "linkscope-lab",
                                            "programs": docs, "story": lines}, pretty=sys.stdout.isatty()) + "\n")
        else:
            for name, doc in docs.items():
                sys.stdout.write(f"== {name} ==\n{lab_report.table(doc)}\n")
            sys.stdout.write("What this shows:\n" + "".join(f"- {ln}\n" for ln in lines))
    return EXIT_FAIL if bad else EXIT_OK
