"""The JSON contracts: inspect/explain records (schema/linkscope.schema.json) and deps results
(schema/deps.schema.json). Field names never change; new ones are added. check's and diff's
documents are built in check_report and diff_report from the pieces here."""
from __future__ import annotations


from ..fastjson import dumps as _dumps

SCHEMA_VERSION = 1


def _module(m) -> dict | None:
    if m is None:
        return None
    return {"path": m.path, "version": m.version, "sum": m.sum}


def go_to_json(go) -> dict | None:
    if go is None:
        return None
    return {
        "version": go.version,
        "path": go.path,
        "main": _module(go.main),
        "deps": [{"path": d.path, "version": d.version, "sum": d.sum, "replace": _module(d.replace)} for d in go.deps],
        "settings": dict(go.settings),
    }


def error_to_json(e) -> dict | None:
    """A record's ``error`` (kind, message, offset), in every document."""
    return None if e is None else {"kind": e.kind, "message": e.message, "offset": e.offset}


def binary_to_json(b) -> dict[str, object]:
    out = _binary_head(b)
    out["findings"] = [finding_to_json(f) for f in b.findings]
    out.update(_binary_tail(b))
    return out


def binary_text(b) -> str:
    """``dumps(binary_to_json(b))``, the same text, with each finding's text made once per process
    and reused: most findings (the loader's LD_PRELOAD rule, CET, RELRO, the linker) read the same in
    file after file of a tree, and they are half of a record's bytes."""
    findings = ",".join([_finding_text(f) for f in b.findings])
    return _dumps(_binary_head(b))[:-1] + ',"findings":[' + findings + "]," + _dumps(_binary_tail(b))[1:]


def _finding_text(f) -> str:
    try:
        text = _FINDING_TEXT.get(f)
    except TypeError:   # a field that does not hash (evidence given as a list): made each time
        return _dumps(finding_to_json(f))
    if text is None:
        if len(_FINDING_TEXT) > 4096:     # a tree's findings are a few hundred: bounded all the same
            _FINDING_TEXT.clear()
        text = _FINDING_TEXT[f] = _dumps(finding_to_json(f))
    return text


_FINDING_TEXT: dict = {}


def _binary_head(b) -> dict[str, object]:
    """The record's fields before ``findings``, in the schema's order."""
    return {
        "path": b.path,
        "error": error_to_json(b.error),
        "format": b.format,
        "arch": b.arch,
        "bits": b.bits,
        "endian": b.endian,
        "os": b.os,
        "type": b.type,
        "linkage": b.linkage,
        "interpreter": b.interpreter,
        "interpreter_arg": b.interpreter_arg,
        "program": b.program,
        "members": b.members,
        "linker_inputs": list(b.linker_inputs),
        "description": b.description,
        "needed": list(b.needed),
        "rpath": list(b.rpath),
        "runpath": list(b.runpath),
        "soname": b.soname,
        "stripped": b.stripped,
        "debug_info": b.debug_info,
        "build_id": {"gnu": b.gnu_build_id, "go": b.go_build_id},
        "go": go_to_json(b.go),
        "setuid": b.setuid,
        "setgid": b.setgid,
        "size": b.size,
        "slices": [binary_to_json(s) for s in b.slices],
        "libc": b.libc,
        "glibc_min": b.glibc_min,
        "version_floors": {f.family: {"version": f.version, "symbols": list(f.symbols)} for f in b.version_floors},
        "cgo": None if b.cgo is None else {"enabled": b.cgo.enabled, "used": b.cgo.used, "causes": list(b.cgo.causes)},
        "linker": b.linker,
        "hardening": dict(b.hardening),
    }


def _binary_tail(b) -> dict[str, object]:
    """The record's fields after ``findings``."""
    return {
        "size_breakdown": dict(b.size_breakdown),
        "strip_saving": b.strip_saving,
        "partial": b.partial,
        "warnings": [{"kind": w.kind, "table": w.table, "offset": w.offset, "message": w.message} for w in b.warnings],
    }


def deps_to_json(r) -> dict[str, object]:
    """A deps Result: exactly the schema's fields. Its diagnostics go to stderr as they come, and in
    ``warnings`` too, so that a consumer of the document alone sees a search cut short."""
    return {
        "path": r.path,
        "error": error_to_json(r.error),
        "linkage": r.linkage,
        "libc": r.libc,
        "interpreter": None if r.interpreter is None else {"name": r.interpreter.name, "path": r.interpreter.path},
        "libraries": [
            {"name": l.name, "path": l.path, "realpath": l.realpath, "via": l.via, "needed_by": list(l.needed_by),
             "depth": l.depth}
            for l in r.libraries
        ],
        "missing": list(r.missing),
        "glibc_min": r.glibc_min,
        "runs_on": list(r.runs_on),
        "format": r.format,
        "note": r.note,
        "program": None if r.program is None else {"name": r.program.name, "path": r.program.path},
        "warnings": list(r.warnings),
    }


def finding_to_json(f) -> dict:
    return {"id": f.id, "severity": f.severity, "title": f.title, "evidence": list(f.evidence), "fix": f.fix}


def document(results) -> dict:
    return {"schema_version": SCHEMA_VERSION, "results": list(results)}


def document_text(encoded_results) -> str:
    """The compact text of :func:`document` from results already encoded by :func:`dumps` (each
    worker of a batch encodes its own records: text is cheaper to hand between processes than the
    objects). The same bytes as ``dumps(document(results))``."""
    envelope = dumps(document(()))           # '{"schema_version":1,"results":[]}'
    return envelope[:-2] + ",".join(encoded_results) + envelope[-2:]


def dumps(doc: dict, pretty: bool = False) -> str:
    """Compact by default (the C encoder: indenting forces the slow pure-Python one)."""
    return _dumps(doc, pretty)
