"""``linkscope doctor``: what the build lab can use on this machine, and what each tool enables."""
from __future__ import annotations

import sys

from ..status import EXIT_FAIL, EXIT_OK

# tool -> what it enables
_ENABLES = {
    "go": "every build (modes default, netgo, nocgo, stripped, pie, trimpath; every GOOS/GOARCH without cgo)",
    "zig": "cgo for foreign targets (cgo, static-external, static-musl for linux/*, windows/*, darwin/*), "
           "static-musl everywhere",
    "cc": "cgo for the host target (default with net/os/user, cgo, static-external, static-pie)",
    "bwrap": "verify: the sandbox, the empty root",
    "unshare": "verify: the sandbox where bubblewrap is missing",
    "wine": "verify: windows/* binaries",
    "node": "verify: js/wasm and wasip1/wasm",
}


def run(args) -> int:
    from ..lab import toolchains

    tools = toolchains.discover()
    rows = [(name, t.path if t else None, t.version if t else None, _ENABLES[name]) for name, t in tools.all()]
    qemu = [(goarch, path) for goarch, path in tools.qemu]
    if args.json:
        from ..render import jsonout
        doc = {"tools": [{"name": n, "path": p, "version": v, "enables": e} for n, p, v, e in rows],
               "qemu": [{"goarch": a, "path": p} for a, p in qemu]}
        sys.stdout.write(jsonout.dumps(doc, pretty=sys.stdout.isatty()) + "\n")
    else:
        for n, p, v, e in rows:
            sys.stdout.write(f"{n:8} {(v or 'found') if p else 'MISSING':40.40} {e}\n")
            if p:
                sys.stdout.write(f"{'':8} {p}\n")
        sys.stdout.write(f"{'qemu':8} {', '.join(a for a, _ in qemu) if qemu else 'MISSING'}: verify: foreign "
                         "linux architectures\n")
        if tools.go is None:
            sys.stdout.write(toolchains.missing_go_message() + "\n")
    return EXIT_OK if tools.go is not None else EXIT_FAIL
