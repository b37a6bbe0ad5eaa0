"""The start-up-light replacements the inspect path uses instead of json, shlex and re: each must give
exactly what the module it replaces gives (or, for Go's flag syntax, what cmd/go does)."""
from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys

import pytest
from hypothesis import given, settings, strategies as st

from linkscope import fastjson
from linkscope.go import flags as goflags
from linkscope.lazy import Rx, cached_property

_TEXT = st.text(st.characters(codec=None, exclude_categories=()))
_SCALARS = st.none() | st.booleans() | st.integers() | st.floats() | _TEXT
_DOCS = st.recursive(_SCALARS, lambda kids: st.lists(kids, max_size=4)
                     | st.dictionaries(st.text(max_size=5), kids, max_size=4), max_leaves=20)


def test_fastjson_uses_the_c_pieces():
    assert fastjson._made("encoder", fastjson._make_encoder) is not None
    assert fastjson._made("scanner", fastjson._make_scanner) is not None


@settings(max_examples=400, deadline=None)
@given(_DOCS)
def test_fastjson_dumps_is_json_dumps(doc):
    assert fastjson.dumps(doc) == json.dumps(doc, ensure_ascii=True, separators=(",", ":"))
    assert fastjson.dumps(doc, pretty=True) == json.dumps(doc, ensure_ascii=True, indent=2)


@settings(max_examples=400, deadline=None)
@given(_DOCS, st.sampled_from([None, 1, 2]))
def test_fastjson_loads_is_json_loads(doc, indent):
    text = json.dumps(doc, indent=indent, ensure_ascii=indent is None)
    got, want = fastjson.loads(text), json.loads(text)
    assert json.dumps(got) == json.dumps(want)  # NaN != NaN: compare the texts


@pytest.mark.parametrize("text", ["", "  ", "{", '{"a": 1} x', "[1,]", "nul"])
def test_fastjson_loads_rejects_what_json_rejects(text):
    with pytest.raises(ValueError):
        fastjson.loads(text)


def test_fastjson_unserializable():
    with pytest.raises(TypeError, match="not JSON serializable"):
        fastjson.dumps({"x": object()})


# cmd/internal/quoted's own test table (src/cmd/internal/quoted/quoted_test.go in the Go toolchain).
@pytest.mark.parametrize("value,want", [
    ("", []), (" ", []), ("a", ["a"]), (" a", ["a"]), ("a ", ["a"]), ("a b", ["a", "b"]), ("a  b", ["a", "b"]),
    ("a\tb", ["a", "b"]), ("a\nb", ["a", "b"]), ("'a b'", ["a b"]), ('"a b"', ["a b"]),
    ("'a '\"b \"", ["a ", "b "]), ("'a \"'\"'b\"", ['a "', "'b"]), ("\\'", ["\\'"]),
])
def test_goflags_split_as_go(value, want):
    assert goflags.split(value) == want


def test_goflags_split_unterminated():
    with pytest.raises(ValueError, match="unterminated ' string"):
        goflags.split("'a")
    assert goflags.words("'a b") == ["'a", "b"]  # what a report falls back to


@pytest.mark.parametrize("args,want", [
    ([], ""), (["a"], "a"), (["a", "b"], "a b"), (["a ", "b"], "'a ' b"), (["a\n", "b"], "'a\n' b"),
    (["'a ", "b"], "\"'a \" b"),
])
def test_goflags_join_as_go(args, want):
    assert goflags.join(args) == want


def test_goflags_join_unquotable():
    with pytest.raises(ValueError, match="both single and double quotes"):
        goflags.join(["'\""])


@settings(max_examples=300, deadline=None)
@given(st.lists(st.text(min_size=1).filter(lambda a: not ("'" in a and '"' in a)), max_size=5))
def test_goflags_join_split_round_trip(args):
    args = [a for a in args if a.strip(" \t\n\r")]  # Split drops empty fields
    assert goflags.split(goflags.join(args)) == args


@pytest.mark.parametrize("ldflags,external", [
    ("-linkmode external", True), ("-linkmode=external", True), ("--linkmode external", True),
    ("-s -w -linkmode 'external' -extldflags '-static'", True), ("-linkmode internal", False),
    ("-X main.mode=-linkmode=external", False), ("", False), (None, False),
])
def test_goflags_external_linkmode(ldflags, external):
    assert goflags.external_linkmode(ldflags) is external


@pytest.mark.parametrize("ldflags,ext", [
    ("-extldflags -static", ["-static"]), ("-extldflags '-static -lm'", ["-static", "-lm"]),
    ("-extldflags=-static-pie", ["-static-pie"]), ("-s -w", []),
])
def test_goflags_extldflags(ldflags, ext):
    assert goflags.extldflags(ldflags) == ext


@settings(max_examples=500, deadline=None)
@given(_TEXT)
def test_shell_quote_is_shlex_quote(s):
    assert goflags.shell_quote(s) == shlex.quote(s)


def test_rx_compiles_on_first_use():
    rx = Rx(rb"\0(__[a-z]+_chk)\0")
    assert rx._compiled is None
    assert rx.findall(b"\0__printf_chk\0") == [b"__printf_chk"]
    assert rx._compiled is not None and rx.pattern == rx._compiled.pattern


def test_cached_property_computes_once():
    calls = []

    class C:
        @cached_property
        def v(self):
            calls.append(1)
            return 42

    c = C()
    assert (c.v, c.v, calls) == (42, 42, [1])
    assert isinstance(C.v, cached_property)


def test_inspect_path_imports_none_of_them(tmp_path):
    """`linkscope inspect --json` on a Go binary must not import re, json, argparse, contextlib or
    typing: together they cost several times what the inspection does."""
    import buildkit

    heavy = ["re", "json", "argparse", "contextlib", "typing", "functools", "shlex", "enum", "dataclasses",
             "collections", "array",
             # the other formats' readers: an ELF file imports only its own
             "linkscope.formats.macho", "linkscope.formats.pe", "linkscope.formats.wasm", "linkscope.formats.universal"]
    code = ("import sys, io; from linkscope.cli import main; out = sys.stdout; sys.stdout = io.StringIO(); "
            f"rc = main(['inspect', '--json', {str(buildkit.get('go-default'))!r}]); sys.stdout = out; "
            f"print(rc, [m for m in {heavy!r} if m in sys.modules])")
    src = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "src")
    res = subprocess.run([sys.executable, "-S", "-c", code], capture_output=True, text=True,
                         env=dict(os.environ, PYTHONPATH=src))
    assert res.stdout.strip() == "0 []", res.stdout + res.stderr


def test_an_inspect_batch_imports_none_of_them(tmp_path):
    """A batch (this machine's /usr/bin but its Go programs: C programs with FORTIFY names and stripped
    static ones searched for stack canaries among them) neither: not in a
    process that works it alone, nor where it is shared with forked workers (their results cross as
    marshal data, not pickles: pickle brings re, functools and collections)."""
    heavy = ["re", "json", "argparse", "pickle", "_pickle", "functools", "collections", "enum", "typing"]
    from linkscope.inspector import inspect

    # Go's own readers are another matter (a Go binary's symbol table is searched with patterns).
    files = [p for p in sorted(os.path.join("/usr/bin", f) for f in os.listdir("/usr/bin")) if inspect(p).go is None]
    (tmp_path / "list").write_text("\n".join(files) + "\n")
    src = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "src")
    for serial in (True, False):
        code = ("import sys, io; import linkscope.parallel as p; "
                + ("p.PARALLEL_MIN_ITEMS = 1 << 30; " if serial else "import os; os.cpu_count = lambda: 2; ")
                + "from linkscope.cli import main; out = sys.stdout; sys.stdout = io.StringIO(); "
                f"rc = main(['inspect', '--json', '--files-from', {str(tmp_path / 'list')!r}]); "
                f"text = sys.stdout.getvalue(); sys.stdout = out; leaked = [m for m in {heavy!r} if m in sys.modules]; "
                "import json; print(len(json.loads(text)['results']), leaked)")
        res = subprocess.run([sys.executable, "-S", "-c", code], capture_output=True, text=True,
                             env=dict(os.environ, PYTHONPATH=src))
        assert res.stdout.split(" ", 1) == [str(len(files)), "[]\n"], (serial, res.stdout + res.stderr[-2000:])


def test_record_generic_init_matches_compiled():
    """Records are built by a generic __init__ until a class has made enough of them to be worth
    compiling its own: both must build the same records and refuse the same calls."""
    from linkscope import record as R

    def make_class():
        @R.record
        class Rec:
            a: int
            b: str = "x"
            c: tuple = R.field(default=())
            d: list = R.field(default_factory=list)
        return Rec

    calls = [((1,), {}), ((1, "y"), {}), ((), {"a": 2, "d": [1]}), ((1,), {"c": (3,)}), ((1, "y", (2,), [3]), {}),
             ((), {}), ((1, 2, 3, 4, 5), {}), ((1,), {"a": 2}), ((1,), {"zz": 0})]
    generic, compiled = make_class(), make_class()
    R._materialize(compiled, "__init__")
    for args, kwargs in calls:
        results = []
        for cls in (generic, compiled):
            try:
                r = cls(*args, **kwargs)
                results.append(tuple(getattr(r, n) for n in R.fields(r)))
            except TypeError:
                results.append(TypeError)
        assert results[0] == results[1], (args, kwargs)
    assert generic(1).d is not generic(1).d  # a fresh default per instance
    with pytest.raises(TypeError, match="non-default field"):
        @R.record
        class Bad:
            a: int = 0
            b: int


def test_record_init_compiles_after_the_tier():
    from linkscope import record as R

    @R.record
    class Rec:
        a: int
    for i in range(R._TIER + 2):
        assert Rec(i).a == i
    assert Rec.__init__ is not R._tiered_init and Rec(5) == Rec(5) and hash(Rec(5)) == hash(Rec(5))
    with pytest.raises(R.FrozenInstanceError):   # the compiled __init__ sets slots; assignment is still refused
        Rec(5).a = 6
    with pytest.raises(TypeError):
        Rec()


@pytest.mark.parametrize("little", [True, False])
@pytest.mark.parametrize("code,size", [("H", 2), ("I", 4), ("Q", 8)])
def test_byteview_words_either_byte_order(code, size, little):
    from linkscope.byteview import ByteView
    from linkscope.errors import Truncated

    values = [0, 1, 2 ** (8 * size) - 1, 0x1234 % 2 ** (8 * size)]
    data = b"\xee" + b"".join(v.to_bytes(size, "little" if little else "big") for v in values)
    words = ByteView(data).words(1, len(values), code, little)
    assert list(words) == values and words.itemsize == size and list(words[0::2]) == values[0::2]
    with pytest.raises(Truncated):
        ByteView(data).words(1, len(values) + 1, code, little)


@pytest.mark.parametrize("pad", [-1, 0, 1])
def test_small_files_read_whole_and_mapped_alike(tmp_path, pad):
    """Files up to files.READ_WHOLE bytes are read with one pread, larger ones mapped: a script,
    a text file and /bin/true's header padded with zeros are read alike either side."""
    import mmap

    from linkscope import files, inspector

    n = files.READ_WHOLE + pad
    script = tmp_path / "s"
    script.write_bytes(b"#!/bin/sh -e\n" + b"#" * (n - 14) + b"\n")
    text = tmp_path / "t"
    text.write_bytes(b"hello\n" * (n // 6) + b"x" * (n % 6))
    stub = tmp_path / "e"
    stub.write_bytes(open("/bin/true", "rb").read(64) + b"\0" * (n - 64))
    assert script.stat().st_size == text.stat().st_size == stub.stat().st_size == n
    r = inspector.inspect(script)
    assert (r.format, r.interpreter, r.interpreter_arg, r.size) == ("script", "/bin/sh", "-e", n)
    r = inspector.inspect(text)
    assert (r.format, r.description, r.size) == ("text", "ASCII text", n)
    r = inspector.inspect(stub)
    assert (r.format, r.arch, r.bits, r.size, r.error) == ("elf", "amd64", 64, n, None)
    with files.open_host(str(stub)) as f:
        assert f.head(4) == b"\x7fELF"
        assert isinstance(f.view().buf, bytes if pad <= 0 else mmap.mmap)


@pytest.mark.parametrize("path", ["/bin/true", "/usr/bin/ldd", "/etc/passwd"])
def test_read_whole_gives_the_record_mapping_gives(path, monkeypatch):
    from linkscope import files, inspector

    assert os.path.getsize(path) <= files.READ_WHOLE
    read = inspector.inspect(path)
    monkeypatch.setattr(files, "READ_WHOLE", -1)   # every file mapped
    assert inspector.inspect(path) == read


def test_record_text_is_the_dumps_of_its_json():
    """jsonout.binary_text (what an inspect batch writes, findings' text reused from file to file) is
    exactly dumps(binary_to_json(...)) and json.dumps of it: for this machine's programs and every
    build the tests make, each twice (the second time from the reused text), records with errors,
    slices and file names that are not UTF-8 among them; and a finding whose evidence is a list."""
    import buildkit
    from linkscope.inspector import inspect
    from linkscope.model import Finding
    from linkscope.record import replace
    from linkscope.render import jsonout

    paths = [os.path.join("/usr/bin", f) for f in sorted(os.listdir("/usr/bin"))][:400]
    paths += [str(buildkit.get(name)) for name in sorted(buildkit.SPECS)]
    recs = [inspect(p) for p in paths] + [inspect("/no/such/file"), inspect(b"/tmp/\xff".decode("utf-8", "surrogateescape"))]
    recs.append(replace(recs[0], findings=(Finding("x", "info", "t\u00e9", ["a", "b"], None),)))
    assert any(r.findings for r in recs) and any(r.error for r in recs)
    for _ in range(2):
        for r in recs:
            d = jsonout.binary_to_json(r)
            assert jsonout.binary_text(r) == fastjson.dumps(d) == json.dumps(d, ensure_ascii=True, separators=(",", ":"))


def test_record_replace_keeps_every_other_field():
    """record.replace (all fields read in one call, the changed ones put in place) copies every field
    it is not told to change, for records of one field, of many, with factories and unfrozen, and
    refuses names that are no field, naming them."""
    from linkscope import record as R
    from linkscope.model import Binary

    @R.record
    class One:
        a: int

    @R.record(frozen=False)
    class Loose:
        a: int
        b: list = R.field(default_factory=list)

    @R.record
    class Empty:
        pass

    assert R.replace(One(1), a=2) == One(2) and R.replace(One(1)) == One(1)
    loose = R.replace(Loose(1, [3]), a=5)
    assert (loose.a, loose.b) == (5, [3])
    assert R.replace(Empty()) == Empty()
    b = Binary(path="/x", format="elf", needed=("libc.so.6",), size=7)
    c = R.replace(b, size=9, stripped=True)
    assert [getattr(c, n) for n in R.fields(Binary)] == [
        9 if n == "size" else True if n == "stripped" else getattr(b, n) for n in R.fields(Binary)]
    with pytest.raises(TypeError, match=r"Binary has no field\(s\) nope, zz"):
        R.replace(b, zz=1, size=3, nope=2)
