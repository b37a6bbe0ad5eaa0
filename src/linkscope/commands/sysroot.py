"""``linkscope sysroot ARCH``: print the path of a sysroot of Debian packages for ARCH (made or cached).
Exit 0, 1 when it cannot be made."""
from __future__ import annotations

import sys

from ..status import EXIT_FAIL, EXIT_OK
from .build import cache_dir


def run(args) -> int:
    from ..lab import sysroot

    packages = ("libc6", *[p for p in (args.packages or "").split(",") if p.strip()])
    try:
        root = sysroot.make(args.arch, distro=args.distro, packages=tuple(p.strip() for p in packages),
                            binaries=tuple(b for b in (args.needs or "").split(",") if b), cache=cache_dir(),
                            refresh=args.refresh,
                            log=lambda line: print(f"linkscope sysroot: {line}", file=sys.stderr))
    except sysroot.SysrootError as e:
        print(f"linkscope sysroot: {e}", file=sys.stderr)
        return EXIT_FAIL
    print(root)
    return EXIT_OK
