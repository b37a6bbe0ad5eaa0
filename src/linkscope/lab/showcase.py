"""``linkscope lab``: the Go linking story, built and proven on this machine.

Two example programs ship with linkscope (lab/programs): ``hello`` prints a line; ``netuser`` uses
``net`` and ``os/user``. The lab builds them every way the story needs: every mode natively; linux/arm64,
windows/amd64 and darwin/arm64 without cgo; cgo for linux/arm64 with the host's C compiler
(which fails, as it does for everyone who tries) and through zig (which works, against glibc
2.28); then render.lab_report.story reads what the results show: which are static, which run in an empty
root, what the NSS hazard is, what ``-s -w`` saved against what explain predicted, which ones
LD_PRELOAD gets into.
"""
from __future__ import annotations

import shutil
from pathlib import Path

from . import matrix

PROGRAMS = Path(__file__).resolve().parent / "programs"
# The targets the story needs (wasm is left to `linkscope build --targets common`: two more standard
# library builds, some 50 CPU-seconds on a cold cache, for a row the story does not discuss).
CROSS = ("linux/arm64", "windows/amd64", "darwin/arm64")


def copy_programs(into: Path) -> dict[str, Path]:
    """The example programs copied out of the package (a build then runs in a directory linkscope owns,
    never in site-packages or a checkout)."""
    out = {}
    for src in sorted(PROGRAMS.iterdir()):
        if src.is_dir():
            dest = into / src.name
            shutil.rmtree(dest, ignore_errors=True)
            shutil.copytree(src, dest)
            out[src.name] = dest
    return out


def variants(program: str, tools) -> list[matrix.Variant]:
    from ..go.flags import GoBuild

    host = matrix.host_target()
    base = GoBuild()
    known = matrix.BUILTIN_MODES
    kw = dict(host=host, host_cc=tools.cc is not None, zig=tools.zig is not None)
    out = [matrix.variant(name, recipes, host, base, **kw) for name, recipes in matrix.parse_modes("all", known)]
    if program == "hello":
        out += [matrix.variant("default", (known["default"],), t, base, **kw) for t in CROSS]
    else:
        out.append(matrix.variant("cgo-hostcc", (known["cgo"],), "linux/arm64", base, cc="host", **kw))
        out.append(matrix.variant("cgo", (known["cgo"],), "linux/arm64", base, cc="zig", glibc="2.28", **kw))
    return out
