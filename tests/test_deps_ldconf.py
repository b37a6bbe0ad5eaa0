"""The pieces under the resolver: ld.so.cache and ld.so.conf readers, the confined filesystem view,
and the quick ELF reader (against the full parser)."""
from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest

import reference

from deps_fixtures import ldcache_writer as W
from linkscope.files import HostFiles
from linkscope.deps.ldconf import parse_cache, parse_conf
from linkscope.deps.objects import elf_object, load, load_elf_object


# -- ld.so.cache ------------------------------------------------------------------------------------
def test_new_format_round_trip():
    data = W.new_format([("libb.so.1", "/x/libb.so.1", 0x303, None), ("liba.so", "/y/liba.so", 0x303, "x86-64-v3"),
                         ("liba.so", "/z/liba.so", 0xA03, None)], hwcaps=("x86-64-v3",))
    cache, problems = parse_cache(data)
    assert problems == [] and cache.layout == "new"
    assert [(e.key, e.value, e.flags, e.hwcaps_subdir) for e in cache.entries] == [
        ("libb.so.1", "/x/libb.so.1", 0x303, None), ("liba.so", "/y/liba.so", 0x303, "x86-64-v3"),
        ("liba.so", "/z/liba.so", 0xA03, None)]
    x86 = frozenset({0x303})
    assert cache.lookup("liba.so", x86, ("x86-64-v3",)) == "/y/liba.so"
    assert cache.lookup("liba.so", x86, ()) is None
    assert cache.lookup("liba.so", frozenset({0xA03})) == "/z/liba.so"
    assert cache.lookup("libb.so.1", x86) == "/x/libb.so.1"


def test_big_endian_cache_for_big_endian_binaries():
    data = W.new_format([("liba.so", "/a", 0x503, None)], little=False)
    assert parse_cache(data, little=False)[0].lookup("liba.so", frozenset({0x503})) == "/a"
    cache, problems = parse_cache(data, little=True)
    assert cache is None and "big-endian cache" in problems[0]


def test_old_format():
    cache, problems = parse_cache(W.old_format([("liba.so", "/a/liba.so", 0x303), ("libb.so", "/b", 1)]))
    assert problems == [] and cache.layout == "old"
    assert cache.lookup("liba.so", frozenset({0x303})) == "/a/liba.so"
    assert cache.lookup("libb.so", frozenset({1, 3})) == "/b"


def test_compat_format_reads_the_new_part():
    data = W.compat_format([("liba.so", "/old", 0x303)], [("liba.so", "/new", 0x303, None)])
    cache, problems = parse_cache(data)
    assert cache.layout == "compat" and cache.lookup("liba.so", frozenset({0x303})) == "/new"


@pytest.mark.parametrize("name,data,message", [
    ("not-a-cache", b"hello world, not a cache at all" * 3, "not a cache file"),
    ("empty", b"", "not a cache file"),
    ("truncated-header", W.new_format([("a", "/a", 0x303, None)])[:30], "truncated header"),
    ("count-too-large", b"glibc-ld.so.cache1.1" + (10**6).to_bytes(4, "little") + bytes(24), "declares 1000000 entries"),
    ("old-count-too-large", b"ld.so-1.7.0\0" + (10**6).to_bytes(4, "little"), "declares 1000000 entries"),
    ("marked-invalid", W.new_format([("a", "/a", 0x303, None)], endian_flag=1), "marks the cache invalid"),
])
def test_corrupt_caches_are_refused_with_a_reason(name, data, message):
    cache, problems = parse_cache(data)
    assert cache is None
    assert any(message in p for p in problems), problems


@pytest.mark.parametrize("writer", ["new", "old"])
def test_a_cache_of_more_entries_than_the_budget_reads_the_budget_and_says_so(monkeypatch, writer):
    from linkscope.deps import ldconf

    monkeypatch.setattr(ldconf, "MAX_CACHE_ENTRIES", 3)
    entries = [(f"lib{i}.so", f"/l/lib{i}.so", 0x303) for i in range(5)]
    data = W.new_format([(*e, None) for e in entries]) if writer == "new" else W.old_format(entries)
    cache, problems = parse_cache(data)
    assert [e.key for e in cache.entries] == ["lib0.so", "lib1.so", "lib2.so"]
    assert problems == ["ld.so.cache: 5 entries, more than the 3 read; a library only the others name is searched "
                        "for in the default directories"]
    assert cache.lookup("lib2.so", frozenset({0x303})) == "/l/lib2.so" and cache.lookup("lib3.so", frozenset({0x303})) is None


def test_glibc_hwcaps_names_past_the_budget_are_not_read(monkeypatch):
    from linkscope.deps import ldconf

    monkeypatch.setattr(ldconf, "MAX_HWCAPS_NAMES", 1)
    data = W.new_format([("liba.so", "/v3/liba.so", 0x303, "x86-64-v3"), ("liba.so", "/v2/liba.so", 0x303, "x86-64-v2")],
                        hwcaps=("x86-64-v3", "x86-64-v2"))
    cache, problems = parse_cache(data)
    assert problems[0] == "ld.so.cache: 2 glibc-hwcaps names, more than the 1 read; the entries of the others unusable"
    assert [(e.value, e.hwcaps_subdir) for e in cache.entries] == [("/v3/liba.so", "x86-64-v3")]


def test_entries_with_bad_string_offsets_are_dropped_not_fatal():
    data = bytearray(W.new_format([("liba.so", "/a", 0x303, None), ("libb.so", "/b", 0x303, None)]))
    data[48 + 4:48 + 8] = (10**7).to_bytes(4, "little")     # first entry's key points past the file
    cache, problems = parse_cache(bytes(data))
    assert [e.key for e in cache.entries] == ["libb.so"]
    assert "1 of 2 entries" in problems[0]


@reference.needs_tool(os.path.exists("/etc/ld.so.cache") and shutil.which("ldconfig"),
                      "this machine's ld.so.cache and ldconfig (libc-bin)")
def test_this_machines_cache_agrees_with_ldconfig_p():
    """Differential: every entry, in order, as glibc's own ldconfig -p prints it."""
    out = reference.ldconfig_p()
    want = []
    for line in out.splitlines()[1:]:
        m = re.match(r"^\t(\S+) \(([^)]*)\) => (.+)$", line)
        if m:
            want.append((m.group(1), m.group(3)))
    cache, problems = parse_cache(Path("/etc/ld.so.cache").read_bytes())
    assert problems == []
    assert [(e.key, e.value) for e in cache.entries] == want


# -- ld.so.conf ------------------------------------------------------------------------------------
def _write(root: Path, rel: str, text: str) -> None:
    p = root / rel.lstrip("/")
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(text)


def test_conf_includes_globs_comments_and_hwcap_lines(tmp_path):
    for d in ("/a", "/b", "/c", "/d", "/e"):
        (tmp_path / d.lstrip("/")).mkdir()
    _write(tmp_path, "/etc/ld.so.conf", "/a # first\n\n  include conf.d/*.conf /etc/more.conf\nhwcap 1 x\n/e/\n")
    _write(tmp_path, "/etc/conf.d/2.conf", "/c\n/a\n")         # /a again: listed once
    _write(tmp_path, "/etc/conf.d/1.conf", "/b=libc6\n")       # legacy =TYPE suffix dropped
    _write(tmp_path, "/etc/conf.d/.hidden.conf", "/nope\n")   # glob * skips dot files
    _write(tmp_path, "/etc/more.conf", "/d\n/missing\n")
    dirs, diags, found = parse_conf(HostFiles(str(tmp_path)))
    assert found and dirs == ("/a", "/b", "/c", "/d", "/e")
    assert diags == ()


def test_conf_absent():
    dirs, diags, found = parse_conf(HostFiles("/nonexistent-root-for-linkscope"))
    assert (dirs, diags, found) == ((), (), False)


# -- the confined view -----------------------------------------------------------------------------
def test_symlinks_resolve_inside_the_root(tmp_path):
    (tmp_path / "usr/lib").mkdir(parents=True)
    (tmp_path / "usr/lib/libx.so.1").write_text("x")
    os.symlink("usr/lib", tmp_path / "lib")                      # relative
    os.symlink("/usr/lib", tmp_path / "lib2")                    # absolute: re-rooted
    os.symlink("../../../../../../usr/lib", tmp_path / "usr/up")  # climbs above the root: clamped
    os.symlink("libx.so.1", tmp_path / "usr/lib/libx.so")
    fs = HostFiles(str(tmp_path))
    for p in ("/lib/libx.so", "/lib2/libx.so", "/usr/up/libx.so", "/lib/../lib/./libx.so.1"):
        r = fs.resolve(p)
        assert r.ok and r.real == "/usr/lib/libx.so.1", p
    assert fs.resolve("/lib/../etc/passwd").status == "missing"
    assert fs.host("/usr/lib/libx.so.1") == str(tmp_path.resolve() / "usr/lib/libx.so.1")


def test_dotdot_is_physical(tmp_path):
    """'..' after a symlink goes to the parent of its target, as the kernel resolves it."""
    (tmp_path / "real/dir").mkdir(parents=True)
    (tmp_path / "real/f").write_text("f")
    os.symlink("real/dir", tmp_path / "link")
    assert HostFiles(str(tmp_path)).resolve("/link/../f").real == "/real/f"


# -- the quick ELF reader agrees with the full parser ---------------------------------------------
def _sample_elves(limit: int = 60) -> list[str]:
    out = []
    for d in ("/usr/bin", "/usr/lib/x86_64-linux-gnu", "/usr/lib"):
        if not os.path.isdir(d):
            continue
        for n in sorted(os.listdir(d)):
            p = os.path.join(d, n)
            try:
                if os.path.isfile(p) and not os.path.islink(p):
                    with open(p, "rb") as f:
                        if f.read(4) == b"\x7fELF":
                            out.append(p)
            except OSError:
                continue
    return out[:: max(1, len(out) // limit)][:limit]


@pytest.mark.parametrize("path", _sample_elves(), ids=os.path.basename)
def test_quick_reader_agrees_with_the_full_parser(path):
    fs = HostFiles()
    r = fs.resolve(path)
    assert load_elf_object(fs, r.real) == load(fs, r, elf_object)
