"""dyld's rules for Mach-O and the Windows loader's for PE, over binaries zig cc links for real
(arm64 macOS, x86-64 Windows), placed in temporary roots."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

import reference

from deps_fixtures import treebuild
from deps_fixtures.rooted import resolve_in_root
from linkscope.deps import Env, Session, resolve
from linkscope.deps import windows as pe_rules
from linkscope.deps.resolver import Context

try:
    import ziglang  # noqa: F401
    HAVE_ZIG = True
except ImportError:
    HAVE_ZIG = shutil.which("python-zig") is not None

pytestmark = reference.needs_tool(HAVE_ZIG, "zig (the ziglang wheel)")

MAC = ("-target", "aarch64-macos")


def dylib(dest: Path, name: str, install: str, links: dict[str, Path] | None = None, target=MAC) -> Path:
    links = links or {}
    args = (*target, "-shared", f"-Wl,-install_name,{install}", "src.c", *links.keys())
    return treebuild.zig(dest, args, {"src.c": f"int {name}(void) {{ return 1; }}\n"}, "out.dylib", links)


def test_macho_rpath_loader_path_executable_path_weak_and_shared_cache(tmp_path):
    root = tmp_path / "root"
    b = tmp_path / "build"
    q = dylib(b / "libq.dylib", "q", "@loader_path/../plugins/libq.dylib")
    gone = dylib(b / "libgone.dylib", "gone", "/opt/missing/libgone.dylib")
    baz = dylib(b / "libbaz.dylib", "baz", "@rpath/libbaz.dylib", {"libq.dylib": q})
    foo = dylib(b / "libfoo.dylib", "foo", "@rpath/libfoo.dylib", {"libbaz.dylib": baz, "libgone.dylib": gone})
    weak = dylib(b / "libweak.dylib", "weak", "@executable_path/libweak.dylib")
    decoy = dylib(b / "x86/libfoo.dylib", "foo", "@rpath/libfoo.dylib", target=("-target", "x86_64-macos"))
    app_src = "int main(void) { return 0; }\n"
    treebuild.zig(root / "App/bin/app", (*MAC, "src.c", "-L.", "-lfoo", "-Wl,-weak-lweak",
                                         "-Wl,-rpath,@executable_path/../lib2", "-Wl,-rpath,@executable_path/../lib"),
                  {"src.c": app_src}, "app", {"libfoo.dylib": foo, "libweak.dylib": weak})
    for src, rel in ((foo, "App/lib/libfoo.dylib"), (baz, "App/lib/libbaz.dylib"), (q, "App/plugins/libq.dylib"),
                     (decoy, "App/lib2/libfoo.dylib")):
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(src, root / rel)
    got, r = resolve_in_root(root, "/App/bin/app")
    assert r.rules == "dyld" and r.format == "macho"
    assert sorted(got) == sorted([
        ("/usr/lib/libSystem.B.dylib", "/usr/lib/libSystem.B.dylib", "dyld-shared-cache"),
        ("@rpath/libfoo.dylib", "/App/bin/../lib/libfoo.dylib", "rpath"),
        ("@executable_path/libweak.dylib", None, "weak-not-found"),
        ("@rpath/libbaz.dylib", "/App/bin/../lib/libbaz.dylib", "rpath"),        # the app's LC_RPATH, inherited
        ("/opt/missing/libgone.dylib", None, "not-found"),
        ("@loader_path/../plugins/libq.dylib", "/App/bin/../lib/../plugins/libq.dylib", "loader-path"),
    ])
    # breadth first: the app's own dylibs before theirs
    depth = {l.name: l.depth for l in r.libraries}
    assert depth["@rpath/libfoo.dylib"] == 1 and depth["@rpath/libbaz.dylib"] == 2
    assert depth["@loader_path/../plugins/libq.dylib"] == 3
    assert [l.name for l in r.libraries][:3] == [n for n, _k in _dylibs(root / "App/bin/app")]
    assert r.missing == ("/opt/missing/libgone.dylib",)               # weak ones do not count
    assert r.interpreter.name == "/usr/lib/dyld" and r.interpreter.path is None
    assert any("lib2/libfoo.dylib" in w and "no arm64 image" in w for w in r.warnings), r.warnings


def _dylibs(path: Path):
    from linkscope.inspector import open_image

    with open_image(str(path)) as (im, _st):
        return [(d.name, d.kind) for d in im.dylibs]


def test_macho_weak_kind_really_written(tmp_path):
    """The fixture's weak dylib is an LC_LOAD_WEAK_DYLIB (ld64's -weak-l, which zig implements)."""
    weak = dylib(tmp_path / "libweak.dylib", "weak", "@executable_path/libweak.dylib")
    treebuild.zig(tmp_path / "app", (*MAC, "src.c", "-L.", "-Wl,-weak-lweak"),
                  {"src.c": "int main(void) { return 0; }\n"}, "app", {"libweak.dylib": weak})
    assert ("@executable_path/libweak.dylib", "weak") in _dylibs(tmp_path / "app")


WIN = ("-target", "x86_64-windows-gnu")


def win_dll(b: Path, stem: str, body: str, links: tuple[str, ...] = ()) -> Path:
    """``stem``.dll and its import library ``stem``.lib (zig names it after the source file)."""
    return treebuild.zig(b / f"{stem}.dll", (*WIN, "-shared", f"{stem}.c", *links), {f"{stem}.c": body}, f"{stem}.dll",
                         {name: b / name for name in links})


def test_pe_application_dir_system_dlls_api_sets_and_missing(tmp_path):
    b = tmp_path / "build"
    bar = win_dll(b, "bar", "int bar(void) { return 2; }\n")
    foo = win_dll(b, "foo", "int bar(void); int foo(void) { return bar(); }\n", ("bar.lib",))
    win_dll(b, "gone", "int gone(void) { return 3; }\n")
    root = tmp_path / "root"
    treebuild.zig(root / "Program Files/App/app.exe", (*WIN, "src.c", "foo.lib", "gone.lib"),
                  {"src.c": "int foo(void); int gone(void); int main(void) { return foo() + gone(); }\n"},
                  "app.exe", {"foo.lib": b / "foo.lib", "gone.lib": b / "gone.lib"})
    shutil.copy2(foo, root / "Program Files/App/FOO.DLL")                  # names compare case-insensitively
    (root / "Windows/System32").mkdir(parents=True)
    shutil.copy2(bar, root / "Windows/System32/bar.dll")
    shutil.copy2(bar, root / "Windows/System32/kernel32.dll")             # a stand-in: listed, not followed
    for p in (root / "Program Files/App").iterdir():
        if p.suffix in (".lib", ".pdb"):
            p.unlink()
    got, r = resolve_in_root(root, "/Program Files/App/app.exe")
    assert r.rules == "windows" and r.format == "pe"
    by_name = {n: (p, v) for n, p, v in got}
    assert by_name["foo.dll"] == ("/Program Files/App/FOO.DLL", "application-dir")
    assert by_name["gone.dll"] == (None, "not-found")
    assert by_name["bar.dll"] == ("/Windows/System32/bar.dll", "system-dir")
    assert by_name["KERNEL32.dll"] == ("/Windows/System32/kernel32.dll", "windows-system")
    assert by_name["ntdll.dll"] == (None, "windows-system")
    assert all(v == "api-set" for n, (p, v) in by_name.items() if n.lower().startswith("api-ms-win-"))
    assert r.missing == ("gone.dll",)
    bar_entry = next(l for l in r.libraries if l.name == "bar.dll")
    assert bar_entry.needed_by == ("foo.dll",) and bar_entry.depth == 2


def test_pe_delay_loaded_dlls_are_followed(tmp_path):
    """Delay-load imports count like imports (zig cannot write a delay-load directory: the rules are
    fed the parsed record directly; the parser's side is tests/test_pe.py's synthetic images)."""
    from linkscope.files import HostFiles
    from linkscope.deps.objects import Objects
    from linkscope.deps.resolver import Session as S

    b = tmp_path / "build"
    bar = win_dll(b, "bar", "int bar(void) { return 2; }\n")
    app = tmp_path / "App"
    app.mkdir()
    shutil.copy2(bar, app / "bar.dll")
    (app / "app.exe").write_bytes(b"MZ")
    fs = HostFiles(str(tmp_path))
    s = S()
    warnings = []
    ctx = Context(Env(root=str(tmp_path)), fs, Objects(fs), s, "/", False, warnings.append)
    rec = pe_rules.PeObject(0x8664, "amd64", ("kernel32.dll",), ("bar.dll", "user32.dll", "nope.dll"))
    out = pe_rules.resolve(ctx, "/App/app.exe", "/App/app.exe", fs.resolve("/App/app.exe"), rec)
    assert [(l.name, l.path, l.via) for l in out["libraries"]][:4] == [
        ("kernel32.dll", None, "windows-system"), ("bar.dll", "/App/bar.dll", "application-dir"),
        ("user32.dll", None, "windows-system"), ("nope.dll", None, "not-found")]
    assert out["missing"] == ("nope.dll",)


def test_universal_macho_resolves_one_slice(tmp_path):
    """Go's testdata fat binary (i386 + x86-64): the host's CPU slice, said in a diagnostic."""
    import base64

    import buildkit
    from linkscope.deps import HostCpu

    src = buildkit.go_root() / "src/debug/macho/testdata/fat-gcc-386-amd64-darwin-exec.base64"
    if not src.exists():
        reference.tool_missing(f"the Go toolchain's testdata ({src})")
    (tmp_path / "fat").write_bytes(base64.b64decode(src.read_bytes()))
    r = resolve(str(tmp_path / "fat"), Env(root=str(tmp_path), cwd="/", host=HostCpu(62, 64)), Session())
    assert r.format == "macho-universal" and r.rules == "dyld"
    assert [(l.name, l.via) for l in r.libraries] == [("/usr/lib/libgcc_s.1.dylib", "dyld-shared-cache"),
                                                      ("/usr/lib/libSystem.B.dylib", "dyld-shared-cache")]
    assert r.missing == () and any("amd64 slice (of 386, amd64)" in w for w in r.warnings)


@pytest.mark.parametrize("fmt", ["pe", "macho"])
def test_one_walk_bounds_every_loader(tmp_path, fmt):
    """dyld's and Windows' rules run on the same walk as glibc's and musl's, so the same bound on a
    closure's size holds for them: past ``max_objects`` the rest is not resolved, with a diagnostic."""
    from linkscope.deps import dyld as macho_rules
    from linkscope.deps.objects import Objects
    from linkscope.deps.resolver import Session as S
    from linkscope.files import HostFiles

    (tmp_path / "App").mkdir()
    (tmp_path / "App/app").write_bytes(b"x")
    names = [f"lib{i}.dll" if fmt == "pe" else f"/opt/lib{i}.dylib" for i in range(6)]
    fs = HostFiles(str(tmp_path))
    warnings: list[str] = []
    ctx = Context(Env(root=str(tmp_path), max_objects=4), fs, Objects(fs), S(), "/", False, warnings.append)
    r = fs.resolve("/App/app")
    if fmt == "pe":
        out = pe_rules.resolve(ctx, "/App/app", "/App/app", r, pe_rules.PeObject(0x8664, "amd64", tuple(names), ()))
    else:
        obj = macho_rules.MachoObject(0x0100000C, "arm64", 2, None, tuple((n, "load") for n in names), (), None)
        out = macho_rules.resolve(ctx, "/App/app", "/App/app", r, macho_rules.MachoFile((obj,)))
    assert [l.name for l in out["libraries"]] == names[:4]
    assert out["missing"] == tuple(names[:4])
    assert "more than 4 objects: " + names[4] + " and the rest not resolved" in warnings
