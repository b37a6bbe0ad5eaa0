"""SARIF output (linkscope.render.sarif) rules that mutation testing showed no test pinned down.

The expected documents are written out here from the SARIF 2.1.0 specification and the module notes
(paths under the current directory are %SRCROOT%-relative, percent-encoded URIs; others absolute
file:// URIs; one error-level result per violation with a fingerprint over what tells it apart).
"""
from __future__ import annotations

import hashlib

import pytest

from linkscope import __version__
from linkscope.check import RULES, FileResult, Report, Violation
from linkscope.policy import Policy
from linkscope.render import sarif

SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"


@pytest.mark.parametrize("path,cwd,expect", [
    ("bin/app", "/w", {"uri": "bin/app", "uriBaseId": "%SRCROOT%"}),
    ("/w/bin/app", "/w", {"uri": "bin/app", "uriBaseId": "%SRCROOT%"}),
    ("a b/c#d", "/w", {"uri": "a%20b/c%23d", "uriBaseId": "%SRCROOT%"}),
    ("caf\udcc3\udca9", "/w", {"uri": "caf%C3%A9", "uriBaseId": "%SRCROOT%"}),   # the bytes of the name
    ("..app", "/w", {"uri": "..app", "uriBaseId": "%SRCROOT%"}),                  # a name, not a parent
    ("../app", "/w/x", {"uri": "file:///w/app"}),
    ("/w", "/w/x", {"uri": "file:///w"}),                                          # the parent itself
    ("/etc/a b", "/w", {"uri": "file:///etc/a%20b"}),
])
def test_artifact_location(path, cwd, expect):
    assert sarif.artifact_location(path, cwd) == expect


def test_rule_names():
    assert sarif._rule_name("forbid-cgo") == "ForbidCgo"
    assert sarif._rule_name("max-glibc") == "MaxGlibc"
    assert sarif._rule_name("unreadable") == "Unreadable"


def fingerprint(*parts: str) -> str:
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()[:32]


def test_whole_document():
    policy = Policy(forbid_cgo=True, max_glibc="2.28")
    v1 = Violation("bin/a", "forbid-cgo", "uses cgo", evidence=("imports C.malloc", "runtime/cgo"))
    v2 = Violation("/elsewhere/b", "max-glibc", "needs glibc 2.34", slice="arm64")
    report = Report(policy, None, (FileResult("bin/a", (v1,)), FileResult("/elsewhere/b", (v2,)),
                                   FileResult("bin/ok")))
    doc = sarif.document(report, cwd="/w")
    assert doc == {
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": "linkscope", "version": __version__, "semanticVersion": __version__,
                                "rules": [
                                    {"id": "forbid-cgo", "name": "ForbidCgo",
                                     "shortDescription": {"text": RULES["forbid-cgo"][0]},
                                     "fullDescription": {"text": RULES["forbid-cgo"][1]},
                                     "defaultConfiguration": {"level": "error"}},
                                    {"id": "max-glibc", "name": "MaxGlibc",
                                     "shortDescription": {"text": RULES["max-glibc"][0]},
                                     "fullDescription": {"text": RULES["max-glibc"][1]},
                                     "defaultConfiguration": {"level": "error"}}]}},
            "originalUriBaseIds": {"%SRCROOT%": {"uri": "file:///w/"}},
            "invocations": [{"executionSuccessful": True, "exitCode": 1}],
            "results": [
                {"ruleId": "forbid-cgo", "ruleIndex": 0, "level": "error",
                 "message": {"text": "uses cgo (imports C.malloc; runtime/cgo)."},
                 "locations": [{"physicalLocation": {"artifactLocation": {"uri": "bin/a", "uriBaseId": "%SRCROOT%"}}}],
                 "partialFingerprints": {"linkscopeViolation/v1": fingerprint("bin/a", "forbid-cgo", "", "uses cgo")},
                 "properties": {"evidence": ["imports C.malloc", "runtime/cgo"]}},
                {"ruleId": "max-glibc", "ruleIndex": 1, "level": "error",
                 "message": {"text": "[arm64] needs glibc 2.34."},
                 "locations": [{"physicalLocation": {"artifactLocation": {"uri": "file:///elsewhere/b"}}}],
                 "partialFingerprints": {"linkscopeViolation/v1": fingerprint("file:///elsewhere/b", "max-glibc",
                                                                              "arm64", "needs glibc 2.34")},
                 "properties": {"slice": "arm64"}},
            ],
        }],
    }


def test_clean_run_and_root_cwd():
    doc = sarif.document(Report(Policy(forbid_rpath=True), None, (FileResult("a"),)), cwd="/")
    run = doc["runs"][0]
    assert run["invocations"] == [{"executionSuccessful": True, "exitCode": 0}]
    assert run["results"] == []
    assert run["originalUriBaseIds"] == {"%SRCROOT%": {"uri": "file:///"}}
    assert [r["id"] for r in run["tool"]["driver"]["rules"]] == ["forbid-rpath"]


def test_cwd_defaults_to_the_current_directory(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    v = Violation("x", "forbid-rpath", "has RPATH")
    doc = sarif.document(Report(Policy(forbid_rpath=True), None, (FileResult("x", (v,)),)))
    assert doc["runs"][0]["originalUriBaseIds"]["%SRCROOT%"]["uri"] == tmp_path.as_uri() + "/"


def test_fingerprints_tell_files_rules_slices_and_messages_apart():
    base = Violation("a", "forbid-rpath", "has RPATH")
    others = [Violation("b", "forbid-rpath", "has RPATH"), Violation("a", "require-pie", "has RPATH"),
              Violation("a", "forbid-rpath", "has RPATH", slice="x86_64"),
              Violation("a", "forbid-rpath", "has RUNPATH")]
    policy = Policy(forbid_rpath=True, require_pie=True)
    doc = sarif.document(Report(policy, None, tuple(FileResult(v.path, (v,)) for v in [base, *others])), cwd="/w")
    fps = [r["partialFingerprints"]["linkscopeViolation/v1"] for r in doc["runs"][0]["results"]]
    assert len(set(fps)) == 5
    assert all(len(f) == 32 for f in fps)


def test_unreadable_is_listed_first_when_an_input_failed():
    v = Violation("gone", "unreadable", "cannot read")
    doc = sarif.document(Report(Policy(forbid_rpath=True), None, (FileResult("gone", (v,)),)), cwd="/w")
    run = doc["runs"][0]
    assert [r["id"] for r in run["tool"]["driver"]["rules"]] == ["unreadable", "forbid-rpath"]
    assert run["results"][0]["ruleIndex"] == 0
    assert "properties" not in run["results"][0]


def test_fingerprint_of_a_message_naming_an_undecodable_file():
    # A file name that is not UTF-8 reaches the message as surrogate escapes (os.fsdecode); the
    # fingerprint is taken over the original bytes, never an encoding error.
    v = Violation("x", "forbid-rpath", "b\udcffd has RPATH")
    doc = sarif.document(Report(Policy(forbid_rpath=True), None, (FileResult("x", (v,)),)), cwd="/w")
    want = hashlib.sha256(b"x\0forbid-rpath\0\0b\xffd has RPATH").hexdigest()[:32]
    assert doc["runs"][0]["results"][0]["partialFingerprints"] == {"linkscopeViolation/v1": want}


def test_path_on_another_drive_is_an_absolute_uri(monkeypatch):
    # os.path.relpath raises ValueError for a path on another drive (Windows).
    def relpath(path, start):
        raise ValueError("path is on mount 'D:', start on mount 'C:'")
    monkeypatch.setattr(sarif.os.path, "relpath", relpath)
    assert sarif.artifact_location("/w/bin/app", "/w") == {"uri": "file:///w/bin/app"}
