"""Rules of linkscope.libc that mutation testing (scripts/mutation.py) showed no test pinned down.

Each case states a rule from the module notes (the interpreter and DT_NEEDED names of each C library,
Android evidence, the read-only scan, the distribution table) with the expected value written here,
from the rule or from data/distros.json's documented releases, never from linkscope's output. The
images are stand-ins with only the attributes a rule reads, so a case names exactly one input.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field

import pytest

from linkscope import libc
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
    assert libc._interpreter_flavour(path) == INTERPRETERS[path]


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
    assert libc._needed_flavour(image, needed) == expect


def test_android_note_alone_is_android():
    assert libc._is_android(Image(notes={ANDROID_NOTE})) is True
    assert libc._is_android(Image()) is False


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
    return libc._readonly_has(Image(segments=segs, view=ByteView(data)), (NEEDLE,))


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
    monkeypatch.setattr(libc, "RODATA_SCAN_LIMIT", 80)
    assert scan(Seg(PT_LOAD, PF_R, 0, 100)) is True                          # needle ends at 80
    assert scan(Seg(PT_LOAD, PF_R, 0, 70), Seg(PT_LOAD, PF_R, 60, 100)) is False   # 70 spent, 10 left
    assert scan(Seg(PT_LOAD, PF_R, 0, 50), Seg(PT_LOAD, PF_R, 60, 100)) is True    # 50 spent, 30 left
    monkeypatch.setattr(libc, "RODATA_SCAN_LIMIT", 64)
    assert scan(Seg(PT_LOAD, PF_R, 0, 64), Seg(PT_LOAD, PF_R, 60, 100)) is False   # budget gone


def test_readonly_scan_segment_past_end_of_file():
    # A segment that claims more bytes than the file has is searched up to the end of the file.
    assert scan(Seg(PT_LOAD, PF_R, 0, 1 << 30)) is True
    assert scan(Seg(PT_LOAD, PF_R, 1 << 30, 100)) is False


# -- version numbers --------------------------------------------------------------------------------
def test_version_key_orders_numerically():
    assert libc.version_key("2.3.4") == (2, 3, 4)
    assert libc.version_key("2.10") > libc.version_key("2.9")


@pytest.mark.parametrize("bad", ["2.x", "", "2..3", "2.3.", "²"])
def test_version_key_refuses_with_the_version_named(bad):
    libc._VERSION_KEYS.pop(bad, None)
    with pytest.raises(ValueError, match=r"^not a dotted version number: " + repr(bad).replace(".", r"\.") + "$"):
        libc.version_key(bad)


def test_version_key_cache_is_bounded():
    libc._VERSION_KEYS.clear()
    for i in range(5000):
        assert libc.version_key(f"1.{i}") == ((1, i) if i else (1,))   # trailing zeros do not count
    assert len(libc._VERSION_KEYS) <= 4097
    libc._VERSION_KEYS.clear()


def test_one_version_rule_for_floors_and_policies():
    """libc.version_key is the one rule: what check compares (policy.glibc_version_key) is the same."""
    from linkscope import policy

    assert libc.version_key("2.28") == libc.version_key("2.28.0") == (2, 28) == policy.glibc_version_key("GLIBC_2.28.0")
    assert libc.version_key("2.9") < libc.version_key("2.10") < libc.version_key("2.10.1")


# -- weak version needs (the loader does not require them) -------------------------------------------
def test_weak_needs_never_raise_the_floor():
    class Img(libc.ElfImage):
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
    floors = libc.version_floors(Img(reqs))
    assert floors == {"GLIBC": {"version": "2.17", "symbols": [], "from": ["libc.so.6"], "weak": ["GLIBC_2.38"]},
                      "GLIBCXX": {"version": None, "symbols": [], "from": [], "weak": ["GLIBCXX_3.4.32"]}}


# -- the distribution table (data/distros.json, each row with its documented source) -------------------
DEBIAN = [("Debian", "Debian 10 (buster)", "10", "glibc", "2.28"),
          ("Debian", "Debian 11 (bullseye)", "11", "glibc", "2.31"),
          ("Debian", "Debian 12 (bookworm)", "12", "glibc", "2.36"),
          ("Debian", "Debian 13 (trixie)", "13", "glibc", "2.41")]


def releases_fresh(monkeypatch, **patch):
    monkeypatch.setattr(libc, "_RELEASES", [])
    for k, v in patch.items():
        monkeypatch.setattr(k, v)
    return libc.distro_releases()


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
    assert libc.distro_releases() is first


# -- symbol names in .symtab (rule 5) ---------------------------------------------------------------
@dataclass
class Sec:
    type: int
    link: int = 0
    offset: int = 0
    file_size: int = 0


def rows_of(sections) -> tuple:
    """ElfImage.section_rows of these sections: (name, type, flags, offset, size, link)."""
    return tuple(("", s.type, 0, s.offset, s.file_size, s.link) for s in sections)


@dataclass
class SymImage:
    elf_sections: list
    view: ByteView

    @property
    def section_rows(self):
        return rows_of(self.elf_sections)


SHT_NULL, SHT_SYMTAB, SHT_STRTAB = 0, 2, 3
NAMES = (b"__init_libc", b"__libc_start_init")
# 0..9: padding; 10..: the string table "\0main\0__init_libc\0" (20 bytes: 10..30); 30..: other bytes
DATA = b"\0__init_libc\0" + b"\0main\0__init_libc\0\0" + b"\0__libc_start_init\0"
STRTAB = Sec(SHT_STRTAB, 0, 13, 20)


def has(sections, data=DATA):
    return libc._symtab_has(SymImage(sections, ByteView(data)), NAMES)


def test_symtab_names():
    assert has([Sec(SHT_NULL), Sec(SHT_SYMTAB, 2), STRTAB]) is True
    assert has([Sec(SHT_NULL), STRTAB, Sec(SHT_SYMTAB, 1)]) is True          # the link is any valid index
    assert has([Sec(SHT_NULL), Sec(SHT_STRTAB, 2), STRTAB]) is False         # only symbol tables' strings
    assert has([Sec(SHT_NULL, 0, 0, 13), Sec(SHT_SYMTAB, 0)]) is False       # section 0 is no string table
    assert has([Sec(SHT_NULL), Sec(SHT_SYMTAB, 2)]) is False                 # a link past the table
    assert has([Sec(SHT_NULL), Sec(SHT_SYMTAB, 3), Sec(SHT_SYMTAB, 3), STRTAB]) is True   # the second one
    assert has([Sec(SHT_NULL), Sec(SHT_SYMTAB, 5), Sec(SHT_SYMTAB, 3), STRTAB]) is True


def test_symtab_string_table_bounds(monkeypatch):
    # Whole names only, inside the linked table: "__libc_start_init" lies after it.
    only_after = b"\0" * 13 + b"\0main\0x\0" + b"\0" * 12 + b"\0__libc_start_init\0"
    assert has([Sec(SHT_NULL), Sec(SHT_SYMTAB, 2), STRTAB], only_after) is False
    # A table that does not fit in the file is not read, even the part that does.
    assert has([Sec(SHT_NULL), Sec(SHT_SYMTAB, 2), Sec(SHT_STRTAB, 0, 13, len(DATA))]) is False
    # One that ends at the end of the file is.
    assert has([Sec(SHT_NULL), Sec(SHT_SYMTAB, 2), Sec(SHT_STRTAB, 0, 13, len(DATA) - 13)]) is True
    assert has([Sec(SHT_NULL), Sec(SHT_SYMTAB, 2), Sec(SHT_STRTAB, 0, 13, 0)]) is False
    # A linked table of type SHT_NOBITS has no bytes in the file, whatever its offset and size say.
    assert has([Sec(SHT_NULL), Sec(SHT_SYMTAB, 2), Sec(8, 0, 13, 20)]) is False            # SHT_NOBITS = 8
    # At most SCAN_LIMIT bytes of it are searched.
    monkeypatch.setattr(libc, "SCAN_LIMIT", 12)
    assert has([Sec(SHT_NULL), Sec(SHT_SYMTAB, 2), STRTAB]) is False
    monkeypatch.setattr(libc, "SCAN_LIMIT", 19)
    assert has([Sec(SHT_NULL), Sec(SHT_SYMTAB, 2), STRTAB]) is True


# -- version floors over the version needs (the loader's rule, module notes) ---------------------------
class Needs(libc.ElfImage):
    """An ELF image with only version needs and the symbols bound to each version name."""

    def __init__(self, reqs, bound=None):
        self._reqs = tuple(VersionRequirement(f, n, i + 2, flags) for i, (f, n, flags) in enumerate(reqs))
        self._bound = bound or {}
        self.asked = []

    @property
    def version_requirements(self):
        return self._reqs

    def symbols_bound_to(self, names):
        self.asked.append(set(names))
        return {n: set(s) for n, s in self._bound.items() if n in names}


def need(*specs):
    """("libc.so.6", "GLIBC_2.17"), optionally with flags as a third item."""
    return [(*s, 0) if len(s) == 2 else s for s in specs]


def test_floor_is_the_numerically_newest_version_per_family():
    img = Needs(need(("libc.so.6", "GLIBC_2.9"), ("libc.so.6", "GLIBC_2.10"), ("libm.so.6", "GLIBC_2.10"),
                     ("libc.so.6", "GLIBC_2.2.5"), ("libstdc++.so.6", "GLIBCXX_3.4.9"),
                     ("libstdc++.so.6", "GLIBCXX_3.4.21"), ("libstdc++.so.6", "CXXABI_1.3.8"),
                     ("libgcc_s.so.1", "GCC_3.0"), ("libgcc_s.so.1", "GCC_4.2.0"),
                     ("libstdc++.so.6", "CXXABI_TM_1"), ("libstdc++.so.6", "GLIBCXX_LDBL_3.4"),
                     ("libfoo.so", "FOO_1.0")),
                {"GLIBC_2.10": {"b", "a"}, "GLIBC_2.9": {"old"}, "GCC_4.2.0": {"__udivti3"}})
    assert libc.version_floors(img) == {
        "GLIBC": {"version": "2.10", "symbols": ["a", "b"], "from": ["libc.so.6", "libm.so.6"]},
        "GLIBCXX": {"version": "3.4.21", "symbols": [], "from": ["libstdc++.so.6"]},
        "CXXABI": {"version": "1.3.8", "symbols": [], "from": ["libstdc++.so.6"]},
        "GCC": {"version": "4.2.0", "symbols": ["__udivti3"], "from": ["libgcc_s.so.1"]},
    }
    assert img.asked == [{"GLIBC_2.10", "GLIBCXX_3.4.21", "CXXABI_1.3.8", "GCC_4.2.0"}]
    assert list(libc.version_floors(img)) == ["GLIBC", "GLIBCXX", "CXXABI", "GCC"]
    assert libc.glibc_min(img) == "2.10"


def test_floor_without_the_symbol_walk():
    img = Needs(need(("libc.so.6", "GLIBC_2.34"), ("libc.so.6", "GLIBC_PRIVATE")), {"GLIBC_2.34": {"x"}})
    assert libc.version_floors(img, symbols=False) == {
        "GLIBC": {"version": "2.34", "symbols": [], "from": ["libc.so.6"], "private": []}}
    assert img.asked == []


def test_glibc_private_is_reported_not_counted():
    img = Needs(need(("ld-linux-x86-64.so.2", "GLIBC_PRIVATE"), ("libc.so.6", "GLIBC_PRIVATE")),
                {"GLIBC_PRIVATE": {"_dl_argv", "__libc_enable_secure"}})
    assert libc.version_floors(img) == {
        "GLIBC": {"version": None, "symbols": [], "from": [], "private": ["__libc_enable_secure", "_dl_argv"]}}
    assert img.asked == [{"GLIBC_PRIVATE"}]
    assert libc.glibc_min(img) is None


@pytest.mark.parametrize("others,version", [((), "2.36"), (("GLIBC_2.34",), "2.36"), (("GLIBC_2.38",), "2.38")])
def test_dt_relr_marker_means_glibc_2_36(others, version):
    img = Needs(need(("libc.so.6", "GLIBC_ABI_DT_RELR"), *(("libc.so.6", o) for o in others)))
    g = libc.version_floors(img)["GLIBC"]
    assert (g["version"], g["abi_markers"], g["from"]) == (version, ["GLIBC_ABI_DT_RELR"], ["libc.so.6"])
    assert libc.glibc_min(img) == version


def test_unknown_abi_marker_is_listed_without_a_floor():
    img = Needs(need(("libc.so.6", "GLIBC_ABI_FUTURE"), ("libx.so", "GLIBC_ABI_FUTURE")))
    assert libc.version_floors(img) == {
        "GLIBC": {"version": None, "symbols": [], "from": ["libc.so.6", "libx.so"], "abi_markers": ["GLIBC_ABI_FUTURE"]}}


def test_floor_from_lists_only_the_libraries_of_that_version():
    img = Needs(need(("libc.so.6", "GLIBC_2.17"), ("libpthread.so.0", "GLIBC_2.2.5"),
                     ("libm.so.6", "GLIBC_2.17", VER_FLG_WEAK), ("libc.so.6", "GLIBC_ABI_DT_RELR")))
    g = libc.version_floors(img)["GLIBC"]
    assert (g["version"], g["from"], g["weak"]) == ("2.36", ["libc.so.6"], ["GLIBC_2.17"])


def test_no_version_needs():
    assert libc.version_floors(Needs([])) == {}
    assert libc.glibc_min(Needs([])) is None
    assert libc.version_floors(object()) is None
    assert libc.glibc_min(object()) is None
    assert libc.glibc_min(Needs(need(("libstdc++.so.6", "GLIBCXX_3.4")))) is None


# -- the order of the C-library rules (module notes, rules 1-6) ----------------------------------------
NT_GNU_ABI_TAG = 1
GNU_NOTE = (b"GNU\0", NT_GNU_ABI_TAG)


class Elf(libc.ElfImage):
    """An ELF executable with only the facts the C-library rules read."""

    def __init__(self, *, e_type=2, os_name=None, interpreter=None, needed=(), reqs=(), soname=None,
                 notes=(), sections=(), segments=(), data=b""):
        self.e_type, self._os, self._notes = e_type, os_name, set(notes)
        self.interpreter, self.needed, self.soname = interpreter, tuple(needed), soname
        self.version_requirements = tuple(VersionRequirement(f, n, i + 2) for i, (f, n) in enumerate(reqs))
        self.elf_sections, self.segments, self.view = list(sections), tuple(segments), ByteView(data)

    @property
    def os_name(self):
        return self._os

    @property
    def section_rows(self):
        return rows_of(self.elf_sections)

    def note(self, name, ntype):
        return b"desc" if (name, ntype) in self._notes else None


def symtab_image(name: bytes, **kw):
    data = b"\0" + name + b"\0"
    return Elf(sections=[Sec(SHT_NULL), Sec(SHT_SYMTAB, 2), Sec(SHT_STRTAB, 0, 0, len(data))], data=data, **kw)


def tunables_image(**kw):
    data = b"xx\0GLIBC_TUNABLES\0xx"
    return Elf(segments=[Seg(PT_LOAD, PF_R, 0, len(data))], data=data, **kw)


@pytest.fixture
def go_static(monkeypatch):
    """Say what _go_static_without_libc answers (it reads Go build info, tested with real builds)."""
    def set_(value):
        monkeypatch.setattr(libc, "_go_static_without_libc", lambda image: value)
    set_(None)
    return set_


FLAVOURS = [
    ("exec", Elf(needed=("libc.so.6",)), "glibc"),
    ("dyn", Elf(e_type=3, needed=("libc.so.6",)), "glibc"),
    ("object", Elf(e_type=1, needed=("libc.so.6",)), None),
    ("core", Elf(e_type=4, needed=("libc.so.6",)), None),
    ("linux", Elf(os_name="linux", needed=("libc.so.6",)), "glibc"),
    ("android", Elf(os_name="android", needed=("libc.so",), notes={ANDROID_NOTE}), "bionic"),
    ("hurd", Elf(os_name="hurd", needed=("libc.so.0.3",)), "glibc"),
    ("freebsd", Elf(os_name="freebsd", needed=("libc.so.6",)), None),
    ("solaris", Elf(os_name="solaris", interpreter="/lib64/ld-linux-x86-64.so.2"), None),
    ("interp first", Elf(interpreter="/lib/ld-musl-x86_64.so.1", needed=("libc.so.6",)), "musl"),
    ("unknown interp", Elf(interpreter="/opt/ld.so", needed=("libc.musl-x86_64.so.1",)), "musl"),
    ("needed before needs", Elf(needed=("libc.so",), reqs=(("libc.so.6", "GLIBC_2.2.5"),)), "musl"),
    ("version needs", Elf(reqs=(("libx.so", "GLIBC_2.17"),)), "glibc"),
    ("other needs", Elf(reqs=(("libx.so", "XGLIBC_2.17"),)), None),
    ("soname glibc", Elf(e_type=3, soname="libc.so.6"), "glibc"),
    ("soname musl", Elf(e_type=3, soname="libc.so"), "musl"),
    ("soname other", Elf(e_type=3, soname="libz.so.1", notes={GNU_NOTE}), "glibc"),
    ("android note", Elf(notes={ANDROID_NOTE, GNU_NOTE}), "bionic"),
    ("abi tag note", Elf(notes={GNU_NOTE}), "glibc"),
    ("abi tag of another type", Elf(notes={(b"GNU\0", 3)}), None),
    ("glibc symbol", symtab_image(b"__libc_setup_tls"), "glibc"),
    ("glibc symbol 2", symtab_image(b"_IO_stdin_used"), "glibc"),
    ("musl symbol", symtab_image(b"__init_libc"), "musl"),
    ("musl symbol 2", symtab_image(b"__init_tp"), "musl"),
    ("bionic symbol", symtab_image(b"__libc_init"), "bionic"),
    ("tunables", tunables_image(), "glibc"),
    ("nothing", Elf(), None),
]


@pytest.mark.parametrize("name,image,expect", FLAVOURS, ids=[f[0] for f in FLAVOURS])
def test_libc_rules_in_order(go_static, name, image, expect):
    image.__dict__.pop("_libc_flavour", None)
    assert libc.libc_flavour(image) == expect


def test_not_elf_is_none():
    assert libc.libc_flavour(object()) is None


@pytest.mark.parametrize("kw,static,expect", [
    ({}, True, "none"),                                   # Go's internal linker: no C library
    ({}, False, None),                                    # externally linked, no evidence
    ({}, None, None),                                     # not Go
    ({"interpreter": "/opt/ld.so"}, True, None),           # an interpreter nobody knows
    ({"needed": ("libgo.so",)}, True, None),
])
def test_go_static_means_no_c_library(go_static, kw, static, expect):
    go_static(static)
    assert libc.libc_flavour(Elf(**kw)) == expect


def test_libc_flavour_is_memoised(go_static):
    img = Elf(needed=("libc.so.6",))
    assert libc.libc_flavour(img) == "glibc"
    img.needed = ("libc.musl-x86_64.so.1",)
    assert libc.libc_flavour(img) == "glibc"


# -- Go's internal linker (rule 6) ---------------------------------------------------------------------
class GoElf(Elf):
    def __init__(self, build_id=None, sections=(), **kw):
        super().__init__(**kw)
        self._build_id, self._sections = build_id, set(sections)

    @property
    def go_build_id(self):
        return self._build_id

    def has_section(self, *names):
        return any(n in self._sections for n in names)


class Info:
    def __init__(self, **settings):
        self.settings = settings

    def setting(self, key, default=None):
        return self.settings.get(key, default)


@pytest.mark.parametrize("info,image,expect", [
    (None, GoElf(), None),                                             # not Go at all
    (None, GoElf(build_id="abc/def"), True),                           # a Go build ID note
    (None, GoElf(sections={".go.buildinfo"}), True),
    (None, GoElf(sections={".gopclntab"}), True),
    (None, GoElf(sections={".text"}), None),
    (Info(), GoElf(), True),                                           # build info without -ldflags
    (Info(**{"-ldflags": "-s -w"}), GoElf(), True),
    (Info(**{"-ldflags": "-s -linkmode=external"}), GoElf(), False),
    (Info(**{"-ldflags": "-linkmode external -extldflags=-static"}), GoElf(build_id="x"), False),
    (Info(**{"-LDFLAGS": "-linkmode=external"}), GoElf(), True),       # setting keys are exact
])
def test_go_linked_internally(monkeypatch, info, image, expect):
    from linkscope.go import buildinfo
    monkeypatch.setattr(buildinfo, "read_buildinfo", lambda img: info)
    assert libc._go_static_without_libc(image) is expect


def test_go_damaged_build_info_means_unknown(monkeypatch):
    from linkscope.go import buildinfo
    from linkscope.errors import Malformed

    def bad(img):
        raise Malformed("bad build info", offset=0)
    monkeypatch.setattr(buildinfo, "read_buildinfo", bad)
    assert libc._go_static_without_libc(GoElf(build_id="abc")) is None


def test_readonly_scan_needle_at_the_start_of_the_file():
    assert scan(Seg(PT_LOAD, PF_R, 0, 40), data=NEEDLE + b"x" * 24) is True


def test_readonly_scan_budget_counts_bytes_in_the_file(monkeypatch):
    # A segment that starts late and claims more than the file holds spends only what it searched.
    monkeypatch.setattr(libc, "RODATA_SCAN_LIMIT", 100)
    data = b"x" * 10 + NEEDLE + b"x" * 34           # 60 bytes, the needle at 10..26
    assert scan(Seg(PT_LOAD, PF_R, 50, 1000), Seg(PT_LOAD, PF_R, 0, 40), data=data) is True
    assert scan(Seg(PT_LOAD, PF_R, 50, 10), Seg(PT_LOAD, PF_R, 0, 40), data=data) is True


def test_symtab_after_one_whose_strings_are_unusable():
    empty = Sec(SHT_STRTAB, 0, 13, 0)
    assert has([Sec(SHT_NULL), Sec(SHT_SYMTAB, 3), Sec(SHT_SYMTAB, 4), empty, STRTAB]) is True


def test_dt_relr_marker_after_a_newer_version_does_not_lower_the_floor():
    img = Needs(need(("libc.so.6", "GLIBC_2.38"), ("libc.so.6", "GLIBC_ABI_DT_RELR")))
    assert libc.version_floors(img)["GLIBC"]["version"] == "2.38"
    img = Needs(need(("libc.so.6", "GLIBC_2.34"), ("libc.so.6", "GLIBC_ABI_DT_RELR")))
    assert libc.version_floors(img)["GLIBC"]["version"] == "2.36"
