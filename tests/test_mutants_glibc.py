"""Rules of linkscope.glibc that mutation testing (scripts/mutation.py) showed no test pinned down.

Each case states a rule from the module notes (the interpreter and DT_NEEDED names of each C library,
Android evidence, the read-only scan, the distribution table) with the expected value written here,
from the rule or from data/distros.json's documented releases, never from linkscope's output. The
images are stand-ins with only the attributes a rule reads, so a case names exactly one input.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field

import pytest

from linkscope import glibc
from linkscope.byteview import ByteView
from linkscope.formats.elf import PF_R, PF_W, PF_X, PT_LOAD, PT_NOTE, VersionRequirement

VER_FLG_WEAK = 2


# -- interpreter names (rule 1) ---------------------------------------------------------------------
INTERPRETERS = {
    "/lib/ld-musl-x86_64.so.1": "musl",
    "/lib/ld-musl-aarch64.so.1": "musl",
    "/system/bin/linker64": "bionic",
    "/system/bin/linker": "bionic",
    "/apex/com.android.runtime/bin/linker64": "bionic",
    "/system/bin/linker_asan": "bionic",
    "/system/bin/linker_asan64": "bionic",
    "/usr/bin/linker64": None,            # a "linker" outside /system or /apex is nobody's loader
    "/system/bin/linker32": None,
    "/lib64/ld-linux-x86-64.so.2": "glibc",
    "/lib/ld-linux-aarch64.so.1": "glibc",
    "/lib/ld-linux.so.2": "glibc",
    "/lib64/ld64.so.2": "glibc",          # ppc64le
    "/lib/ld64.so.1": "glibc",            # s390x
    "/lib/ld.so.1": "glibc",              # mips, ppc32
    "/lib32/ld.so.1": "glibc",
    "/lib64/ld.so.1": "glibc",
    "/libx32/ld.so.1": "glibc",
    "/usr/lib/ld.so.1": None,             # Solaris' loader
    "ld.so.1": None,
    "/lib/xld-linux.so.2": None,
    "/lib/ld-muslx": None,
}


@pytest.mark.parametrize("path", sorted(INTERPRETERS))
def test_interpreter_names(path):
    assert glibc._interpreter_flavour(path) == INTERPRETERS[path]


# -- DT_NEEDED names and Android evidence (rule 2) --------------------------------------------------
@dataclass
class Image:
    """The attributes the C-library rules read; notes as {(name, type)}, version needs as (file, name)."""
    notes: set = field(default_factory=set)
    reqs: tuple = ()
    segments: tuple = ()
    view: ByteView = field(default_factory=lambda: ByteView(b""))

    def note(self, name: bytes, type_: int):
        return b"desc" if (name, type_) in self.notes else None

    @property
    def version_requirements(self):
        return tuple(VersionRequirement(f, n, i + 2) for i, (f, n) in enumerate(self.reqs))


ANDROID_NOTE = (b"Android\0", 1)

NEEDED = [
    # (needed, image, expected)
    (("libc.so.6",), Image(), "glibc"),
    (("libc.so.6.1",), Image(), "glibc"),
    (("libc.so.0.3",), Image(), "glibc"),
    (("libm.so.6",), Image(), "glibc"),
    (("libpthread.so.0",), Image(), "glibc"),
    (("libdl.so.2",), Image(), "glibc"),
    (("librt.so.1",), Image(), "glibc"),
    (("ld-linux-x86-64.so.2",), Image(), "glibc"),
    (("libfoo.so", "libc.so.6"), Image(), "glibc"),   # any of the names, not only the first
    (("libc.musl-x86_64.so.1",), Image(), "musl"),
    (("libz.so.1", "libc.musl-aarch64.so.1"), Image(), "musl"),
    (("libc.so",), Image(), "musl"),
    (("libc.so",), Image(notes={ANDROID_NOTE}), "bionic"),
    (("libc.so",), Image(notes={(b"android\0", 1)}), "musl"),       # the note name is case-sensitive
    (("libc.so",), Image(notes={(b"Android\0", 3)}), "musl"),       # and of type NT_ANDROID_IDENT (1)
    (("libc.so",), Image(reqs=(("libc.so", "LIBC"),)), "bionic"),
    (("libc.so",), Image(reqs=(("libc.so", "LIBC_N"),)), "bionic"),
    (("libc.so",), Image(reqs=(("libc.so", "LIBC_PRIVATE"),)), "bionic"),
    (("libc.so",), Image(reqs=(("libm.so", "LIBC"),)), "musl"),     # bionic's versions are libc.so's
    (("libc.so",), Image(reqs=(("libc.so", "LIBCXX"),)), "musl"),
    (("libc.so",), Image(reqs=(("libc.so", "libc"),)), "musl"),
    (("libc.so",), Image(reqs=(("libz.so", "ZLIB_1"), ("libc.so", "LIBC"))), "bionic"),
    (("libfoo.so",), Image(), None),
    ((), Image(notes={ANDROID_NOTE}), None),
]


@pytest.mark.parametrize("needed,image,expect", NEEDED, ids=[f"{'+'.join(n) or 'none'}-{i}"
                                                            for i, (n, _, _) in enumerate(NEEDED)])
def test_needed_names(needed, image, expect):
    assert glibc._needed_flavour(image, needed) == expect


def test_android_note_alone_is_android():
    assert glibc._is_android(Image(notes={ANDROID_NOTE})) is True
    assert glibc._is_android(Image()) is False


# -- read-only scan for GLIBC_TUNABLES (rule 5) -----------------------------------------------------
@dataclass
class Seg:
    type: int
    flags: int
    offset: int
    filesz: int


NEEDLE = b"\0GLIBC_TUNABLES\0"


def scan(*segs, data=None):
    data = data if data is not None else b"x" * 64 + NEEDLE + b"x" * 64
    return glibc._readonly_has(Image(segments=segs, view=ByteView(data)), (NEEDLE,))


@pytest.mark.parametrize("seg,expect", [
    (Seg(PT_LOAD, PF_R, 0, 200), True),
    (Seg(PT_LOAD, PF_R, 60, 30), True),
    (Seg(PT_LOAD, PF_R | PF_X, 0, 200), False),   # code segments are not scanned
    (Seg(PT_LOAD, PF_R | PF_W, 0, 200), False),   # nor writable data
    (Seg(PT_LOAD, PF_X, 0, 200), False),
    (Seg(PT_NOTE, PF_R, 0, 200), False),          # only loaded segments
    (Seg(PT_LOAD, PF_R, 0, 70), False),           # the needle is not inside the segment
    (Seg(PT_LOAD, PF_R, 100, 100), False),
])
def test_readonly_scan(seg, expect):
    assert scan(seg) is expect


def test_readonly_scan_later_segment():
    assert scan(Seg(PT_LOAD, PF_R | PF_X, 0, 60), Seg(PT_LOAD, PF_R, 60, 100)) is True


def test_readonly_scan_budget(monkeypatch):
    # RODATA_SCAN_LIMIT bytes are searched across all read-only segments, no more.
    monkeypatch.setattr(glibc, "RODATA_SCAN_LIMIT", 80)
    assert scan(Seg(PT_LOAD, PF_R, 0, 100)) is True                          # needle ends at 80
    assert scan(Seg(PT_LOAD, PF_R, 0, 70), Seg(PT_LOAD, PF_R, 60, 100)) is False   # 70 spent, 10 left
    assert scan(Seg(PT_LOAD, PF_R, 0, 50), Seg(PT_LOAD, PF_R, 60, 100)) is True    # 50 spent, 30 left
    monkeypatch.setattr(glibc, "RODATA_SCAN_LIMIT", 64)
    assert scan(Seg(PT_LOAD, PF_R, 0, 64), Seg(PT_LOAD, PF_R, 60, 100)) is False   # budget gone


def test_readonly_scan_segment_past_end_of_file():
    # A segment that claims more bytes than the file has is searched up to the end of the file.
    assert scan(Seg(PT_LOAD, PF_R, 0, 1 << 30)) is True
    assert scan(Seg(PT_LOAD, PF_R, 1 << 30, 100)) is False


# -- version numbers --------------------------------------------------------------------------------
def test_version_key_orders_numerically():
    assert glibc.version_key("2.3.4") == (2, 3, 4)
    assert glibc.version_key("2.10") > glibc.version_key("2.9")


@pytest.mark.parametrize("bad", ["2.x", "", "2..3", "2.3.", "²"])
def test_version_key_refuses_with_the_version_named(bad):
    glibc._VERSION_KEYS.pop(bad, None)
    with pytest.raises(ValueError, match=r"^not a dotted version number: " + repr(bad).replace(".", r"\.") + "$"):
        glibc.version_key(bad)


def test_version_key_cache_is_bounded():
    glibc._VERSION_KEYS.clear()
    for i in range(5000):
        assert glibc.version_key(f"1.{i}") == (1, i)
    assert len(glibc._VERSION_KEYS) <= 4097
    glibc._VERSION_KEYS.clear()


# -- weak version needs (the loader does not require them) -------------------------------------------
def test_weak_needs_never_raise_the_floor():
    class Img(glibc.ElfImage):
        def __init__(self, reqs):
            self._reqs = reqs

        @property
        def version_requirements(self):
            return self._reqs

        def symbols_bound_to(self, names):
            return {}

    reqs = (VersionRequirement("libc.so.6", "GLIBC_2.17", 2),
            VersionRequirement("libc.so.6", "GLIBC_2.38", 3, flags=VER_FLG_WEAK),
            VersionRequirement("libstdc++.so.6", "GLIBCXX_3.4.32", 4, flags=VER_FLG_WEAK))
    floors = glibc.version_floors(Img(reqs))
    assert floors == {"GLIBC": {"version": "2.17", "symbols": [], "from": ["libc.so.6"], "weak": ["GLIBC_2.38"]},
                      "GLIBCXX": {"version": None, "symbols": [], "from": [], "weak": ["GLIBCXX_3.4.32"]}}


# -- the distribution table (data/distros.json, each row with its documented source) -------------------
DEBIAN = [("Debian", "Debian 10 (buster)", "10", "glibc", "2.28"),
          ("Debian", "Debian 11 (bullseye)", "11", "glibc", "2.31"),
          ("Debian", "Debian 12 (bookworm)", "12", "glibc", "2.36"),
          ("Debian", "Debian 13 (trixie)", "13", "glibc", "2.41")]


def releases_fresh(monkeypatch, **patch):
    monkeypatch.setattr(glibc, "_RELEASES", [])
    for k, v in patch.items():
        monkeypatch.setattr(k, v)
    return glibc.distro_releases()


def check_table(rows):
    assert [(r.family, r.name, r.release, r.libc, r.version) for r in rows[:4]] == DEBIAN
    assert [r.family for r in rows] == ["Debian"] * 4 + ["Ubuntu"] * 4 + ["RHEL"] * 4 + ["Amazon Linux"] * 2 \
        + ["Alpine"] * 5
    assert [r.release for r in rows if r.family == "RHEL"] == ["7", "8", "9", "10"]   # numeric, not text order
    assert all(r.source.startswith("https://") for r in rows)


def test_table_read_from_the_package_directory(monkeypatch):
    check_table(releases_fresh(monkeypatch))


def test_table_read_through_importlib_resources(monkeypatch):
    # Installed in a zip, data/distros.json is no file: it is read with importlib.resources.
    real_exists = os.path.exists
    check_table(releases_fresh(monkeypatch, **{"os.path.exists": lambda p: False if p.endswith("distros.json")
                                                 else real_exists(p)}))


def test_table_is_read_once(monkeypatch):
    first = releases_fresh(monkeypatch)
    assert glibc.distro_releases() is first
