"""Files the tests read but do not build: the Go toolchain's ELF and Mach-O samples and the host's ELF files."""
from __future__ import annotations

import base64
import os
from pathlib import Path

import buildkit


def go_testdata_elves() -> list[Path]:
    root = buildkit.go_root() / "src" / "debug" / "elf" / "testdata"
    return sorted(p for p in root.iterdir() if p.is_file() and p.read_bytes()[:4] == b"\x7fELF")


def go_testdata_macho(name: str) -> bytes:
    """debug/macho's testdata sample ``name`` (``$(go env GOROOT)/src/debug/macho/testdata/NAME.base64``), decoded."""
    return base64.b64decode((buildkit.go_root() / "src" / "debug" / "macho" / "testdata" / f"{name}.base64").read_bytes())


def system_elves(limit: int | None) -> list[Path]:
    """ELF files under /usr/bin and /usr/lib (a deterministic sample of ``limit`` when given)."""
    out = []
    for top in ("/usr/bin", "/usr/lib"):
        for dirpath, dirs, files in os.walk(top):
            dirs.sort()
            for f in sorted(files):
                p = Path(dirpath, f)
                try:
                    if p.is_symlink() or not p.is_file():
                        continue
                    with open(p, "rb") as fh:
                        if fh.read(4) != b"\x7fELF":
                            continue
                except OSError:
                    continue
                out.append(p)
    if limit is not None and len(out) > limit:
        step = len(out) / limit
        out = [out[int(i * step)] for i in range(limit)]
    return out
