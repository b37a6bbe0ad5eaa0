"""`linkscope check` output: one line per violation for people, one JSON document for programs
(schema/check.schema.json)."""
from __future__ import annotations

from typing import Any

from ..check import Report, Violation
from ..policy import GoVersionReq

SCHEMA_VERSION = 1


def violation_line(v: Violation) -> str:
    """``PATH: RULE: message (evidence; evidence)``; a universal slice is named first in the message."""
    msg = f"[{v.slice}] {v.message}" if v.slice else v.message
    ev = f" ({'; '.join(v.evidence)})" if v.evidence else ""
    return f"{v.path}: {v.rule}: {msg}{ev}"


def lines(report: Report, unreadable: bool = True) -> list[str]:
    """One line per violation; ``unreadable=False`` leaves out the inputs that could not be read (the
    CLI's human mode has printed their error line on stderr, once)."""
    return [violation_line(v) for v in report.violations if unreadable or v.rule != "unreadable"]


def summary(report: Report) -> str:
    n = len(report.files)
    failed = sum(not f.ok for f in report.files)
    skipped = sum(f.skipped is not None for f in report.files)
    files = f"{n - skipped} file" + ("" if n - skipped == 1 else "s")
    also = f", {skipped} not a binary (skipped)" if skipped == 1 else f", {skipped} not binaries (skipped)" if skipped else ""
    if not failed:
        return f"{files} checked: all meet the policy{also}"
    count = len(report.violations)
    return (f"{files} checked: {failed} failed the policy with {count} violation" + ("" if count == 1 else "s") + also)


def policy_to_json(policy) -> dict[str, Any]:
    """The effective policy, with option names as keys (only the rules that are on)."""
    return {rule: list(v) if isinstance(v, tuple) else str(v) if isinstance(v, GoVersionReq) else v
            for rule, v in policy.rules()}


def document(report: Report) -> dict[str, Any]:
    return {
        "schema_version": SCHEMA_VERSION,
        "command": "check",
        "ok": report.ok,
        "config": report.config,
        "policy": policy_to_json(report.policy),
        "results": [
            {"path": f.path, "ok": f.ok,
             "violations": [{"rule": v.rule, "message": v.message, "evidence": list(v.evidence), "slice": v.slice}
                            for v in f.violations],
             "skipped": f.skipped}
            for f in report.files
        ],
        "summary": {"files": len(report.files), "failed": sum(not f.ok for f in report.files),
                    "violations": len(report.violations)},
    }
