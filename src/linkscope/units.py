"""Quantities as people read them, in every sentence linkscope writes (findings, violations)."""
from __future__ import annotations


def size_text(n: int) -> str:
    """A byte count in binary units: "1023 B", "1.5 KiB", "12.3 MiB", "1.0 GiB"."""
    for unit, k in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if n >= k:
            return f"{n / k:.1f} {unit}"
    return f"{n} B"
