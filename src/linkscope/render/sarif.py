"""SARIF 2.1.0 for code-scanning dashboards: one run, linkscope as the driver with the rules the
policy turned on, one result (level ``error``) per violation, located at the binary's path.

Paths under the current directory become URIs relative to the ``%SRCROOT%`` base (declared in
``originalUriBaseIds`` as the current directory), which is what code-scanning uploads expect;
other paths become absolute ``file://`` URIs.
"""
from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any
from urllib.parse import quote

from .. import __version__
from ..check import RULES, Report, Violation

SARIF_VERSION = "2.1.0"
SARIF_SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
SRCROOT = "%SRCROOT%"


def artifact_location(path: str, cwd: str) -> dict[str, str]:
    full = os.path.abspath(os.path.join(cwd, path))
    try:
        rel = os.path.relpath(full, cwd)
    except ValueError:  # another drive (Windows)
        rel = None
    if rel is not None and rel != os.pardir and not rel.startswith(os.pardir + os.sep):
        posix = rel.replace(os.sep, "/")
        return {"uri": quote(os.fsencode(posix), safe="/"), "uriBaseId": SRCROOT}
    return {"uri": Path(full).as_uri()}


def _directory_uri(path: str) -> str:
    """file:///w/ for /w: a base URI ends with a slash (SARIF 3.14.14); / stays file:///, not file:/."""
    uri = Path(path).as_uri()
    return uri if uri.endswith("/") else uri + "/"


def _rule_name(rule_id: str) -> str:
    return "".join(part.capitalize() for part in rule_id.split("-"))


def _text(v: Violation) -> str:
    msg = f"[{v.slice}] {v.message}" if v.slice else v.message
    return msg + (f" ({'; '.join(v.evidence)})" if v.evidence else "") + "."


def document(report: Report, cwd: str | None = None) -> dict[str, Any]:
    cwd = os.path.abspath(cwd or os.getcwd())
    rule_ids = report.rules()
    index = {r: i for i, r in enumerate(rule_ids)}
    rules = [{
        "id": r,
        "name": _rule_name(r),
        "shortDescription": {"text": RULES[r][0]},
        "fullDescription": {"text": RULES[r][1]},
        "defaultConfiguration": {"level": "error"},
    } for r in rule_ids]
    results = []
    for v in report.violations:
        loc = artifact_location(v.path, cwd)
        fp = hashlib.sha256("\0".join((loc["uri"], v.rule, v.slice or "", v.message)).encode("utf-8", "surrogateescape"))
        result: dict[str, Any] = {
            "ruleId": v.rule,
            "ruleIndex": index[v.rule],
            "level": "error",
            "message": {"text": _text(v)},
            "locations": [{"physicalLocation": {"artifactLocation": loc}}],
            "partialFingerprints": {"linkscopeViolation/v1": fp.hexdigest()[:32]},
        }
        props: dict[str, Any] = {}
        if v.evidence:
            props["evidence"] = list(v.evidence)
        if v.slice:
            props["slice"] = v.slice
        if props:
            result["properties"] = props
        results.append(result)
    return {
        "$schema": SARIF_SCHEMA,
        "version": SARIF_VERSION,
        "runs": [{
            "tool": {"driver": {"name": "linkscope", "version": __version__, "semanticVersion": __version__,
                                "rules": rules}},
            "originalUriBaseIds": {SRCROOT: {"uri": _directory_uri(cwd)}},
            "invocations": [{"executionSuccessful": True, "exitCode": 0 if report.ok else 1}],
            "results": results,
        }],
    }
