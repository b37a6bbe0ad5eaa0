"""linkscope scan over directories: what it finds (by content, no symlink followed, hard links once),
what it says of each binary (the inspect record, its libraries resolved inside the tree, checked
against the real loader and file(1)), the summary, the policy, the shards and summarize."""
from __future__ import annotations

import functools
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import buildkit
import reference

LINKSCOPE = [sys.executable, "-m", "linkscope"]
LDSO = "/lib64/ld-linux-x86-64.so.2"
LIBDIR = "/lib/x86_64-linux-gnu"


def run(*args, cwd=None, check_rc=None) -> subprocess.CompletedProcess:
    p = subprocess.run([*LINKSCOPE, *args], capture_output=True, text=True, timeout=300, cwd=cwd)
    assert "Traceback" not in p.stderr, p.stderr
    if check_rc is not None:
        assert p.returncode == check_rc, (p.returncode, p.stdout, p.stderr)
    return p


def lines(path: Path) -> list[dict]:
    return [json.loads(l) for l in path.read_text().splitlines() if l.strip()]


@functools.lru_cache(maxsize=None)
def _validator(schema: str, ref: str | None = None):
    import jsonschema

    import linkscope

    s = json.loads((Path(linkscope.__file__).parent / "schema" / schema).read_text())
    jsonschema.Draft202012Validator.check_schema(s)
    return jsonschema.Draft202012Validator({"$ref": ref, "$defs": s["$defs"]} if ref else s)


def validate_line(rec: dict) -> None:
    """A --jsonl line against scan.schema.json, and a binary record's inspect part against the
    inspect schema."""
    _validator("scan.schema.json", "#/$defs/line").validate(rec)
    if "scan_target" not in rec:
        inspect_part = {k: v for k, v in rec.items() if k not in ("target", "layer", "deps", "violations")}
        _validator("linkscope.schema.json").validate({"schema_version": 1, "results": [inspect_part]})


def _copy(src: str, dst: Path) -> None:
    dst.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy2(os.path.realpath(src), dst)


@pytest.fixture(scope="module")
def rootfs(tmp_path_factory) -> Path:
    """A small root filesystem: ls without libselinux (and so without what it needs), true with its
    libc and loader, a hard link, symlinks in and out of the tree, a script, a text file, an object
    file, a FIFO, and a dynamic binary under /opt whose interpreter the tree lacks (musl's)."""
    r = tmp_path_factory.mktemp("rootfs")
    (r / "etc").mkdir()
    (r / "etc" / "ld.so.conf").write_text(f"{LIBDIR}\n")
    (r / "usr" / "lib").mkdir(parents=True)
    (r / "lib").symlink_to("usr/lib")
    _copy("/usr/bin/ls", r / "usr/bin/ls")
    _copy("/usr/bin/true", r / "usr/bin/true")
    os.link(r / "usr/bin/true", r / "usr/bin/true-again")
    _copy(f"{LIBDIR}/libc.so.6", r / f"usr{LIBDIR}/libc.so.6")
    _copy(LDSO, r / "lib64/ld-linux-x86-64.so.2")
    (r / "usr/bin/ls-link").symlink_to("ls")
    (r / "usr/bin/outside").symlink_to("/usr/bin/cat")          # absolute: inside the tree, where it is missing
    (r / "usr/bin/script").write_text("#!/bin/sh\necho hi\n")
    (r / "usr/bin/script").chmod(0o755)
    (r / "etc/motd").write_text("hello\n" * 20)
    (r / "opt").mkdir()
    shutil.copy(buildkit.get("zig-musl-dynamic"), r / "opt" / "musl-app")
    subprocess.run(["gcc", "-c", "-x", "c", "-", "-o", str(r / "usr/lib/thing.o")], input="int f(void){return 1;}\n",
                   text=True, check=True)
    os.mkfifo(r / "usr/bin/fifo")
    return r


@pytest.fixture(scope="module")
def scanned(rootfs, tmp_path_factory) -> tuple[subprocess.CompletedProcess, list[dict]]:
    out = tmp_path_factory.mktemp("scan") / "all.jsonl"
    p = run("scan", str(rootfs), "--jsonl", str(out), "--no-config", check_rc=0)
    return p, lines(out)


def test_scan_finds_executables_and_shared_objects_by_content(scanned):
    _, recs = scanned
    paths = [r["path"] for r in recs if "scan_target" not in r]
    # In path order; true once (its hard link is the same file); no symlink, script, text, object, FIFO.
    assert paths == ["/lib64/ld-linux-x86-64.so.2", "/opt/musl-app", "/usr/bin/ls", "/usr/bin/true",
                     f"/usr{LIBDIR}/libc.so.6"]
    assert recs[-1] == {"scan_target": {"target": str(recs[-1]["scan_target"]["target"]), "kind": "directory",
                                        "error": None, "files_seen": 9, "binaries": 5, "layers": [],
                                        "problems": [], "problem_count": 0, "shard": None}}


def test_scan_records_validate_against_the_schemas(scanned):
    for rec in scanned[1]:
        validate_line(rec)


def test_scan_missing_libraries_are_what_the_real_loader_does_not_find(rootfs, scanned):
    recs = {r["path"]: r for r in scanned[1] if "path" in r}
    ls = recs["/usr/bin/ls"]
    # The real loader, in the tree as its root (bubblewrap): it stops at the first library it cannot open.
    p = subprocess.run(["bwrap", "--ro-bind", str(rootfs), "/", "--unshare-all", LDSO, "--list", "/usr/bin/ls"],
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 127, p.stderr
    not_found = [p.stderr.split("error while loading shared libraries: ")[1].split(":")[0]]
    assert not_found == ["libselinux.so.1"]
    assert ls["deps"] == {"root": "target", "libraries": 3, "missing": not_found, "interpreter_found": True,
                          "error": None}
    titles = [f["title"] for f in ls["findings"] if f["id"] == "missing-library"]
    assert titles == [f"Needs libselinux.so.1, which {rootfs} does not contain."]
    true = recs["/usr/bin/true"]
    p = subprocess.run(["bwrap", "--ro-bind", str(rootfs), "/", "--unshare-all", LDSO, "--list", "/usr/bin/true"],
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 0 and "libc.so.6 => /lib/x86_64-linux-gnu/libc.so.6" in p.stdout, p.stderr
    assert true["deps"]["missing"] == [] and not [f for f in true["findings"] if f["id"].startswith("missing")]


def test_scan_missing_interpreter_is_a_finding(rootfs, scanned):
    rec = next(r for r in scanned[1] if r.get("path") == "/opt/musl-app")
    # file(1) names the interpreter the tree lacks.
    assert rec["interpreter"] == "/lib/ld-musl-aarch64.so.1"
    ids = [f["id"] for f in rec["findings"]]
    assert ids.count("missing-interpreter") == 1 and ids.count("missing-library") == 1
    # readelf names what it needs; the tree has neither it nor the interpreter.
    needed = subprocess.run(["readelf", "-dW", str(rootfs / "opt/musl-app")], capture_output=True, text=True).stdout
    assert "Shared library: [libc.so]" in needed
    assert rec["deps"] == {"root": "target", "libraries": 2, "missing": ["libc.so"], "interpreter_found": False,
                           "error": None}


def test_scan_summary_counts_agree_with_file(rootfs, scanned):
    p, recs = scanned
    files = [rootfs / r["path"].lstrip("/") for r in recs if "path" in r]
    said = subprocess.run(["file", "-b", *map(str, files)], capture_output=True, text=True, check=True).stdout.splitlines()
    dynamic = sum("dynamically linked" in s for s in said)
    assert dynamic == 5      # file(1) calls the loader itself "dynamically linked" too
    assert f"linkage:           dynamic {dynamic}" in p.stdout
    assert "format:            elf 5" in p.stdout
    assert p.stdout.startswith("scanned 1 target: 9 files, 5 binaries")
    # ls lacks libselinux.so.1; the musl program lacks musl's libc.so, which is also its interpreter.
    assert "missing-library (error): 2 binaries" in p.stdout
    assert "missing-interpreter (error): 1 binary" in p.stdout


def test_scan_json_summary_validates_and_matches_the_records(rootfs, scanned):
    p = run("scan", str(rootfs), "--json", "--no-config", check_rc=0)
    doc = reference.validate(json.loads(p.stdout), "scan.schema.json")
    s = doc["summary"]
    assert (s["files_seen"], s["binaries"], s["unreadable"]) == (9, 5, 0)
    assert s["counts"]["arch"] == {"amd64": 4, "arm64": 1}
    assert s["counts"]["libc"] == {"glibc": 4, "musl": 1}
    sizes = sorted(((rootfs / r["path"].lstrip("/")).stat().st_size, r["path"]) for r in scanned[1] if "path" in r)
    assert [(b["size"], b["path"]) for b in s["largest"]] == sorted(sizes, key=lambda x: (-x[0], x[1]))
    assert s["findings"]["missing-library"]["count"] == 2


def test_scan_policy_violations_are_check_s(rootfs, scanned, tmp_path):
    out = tmp_path / "p.jsonl"
    p = run("scan", str(rootfs), "--require", "static", "--jsonl", str(out), "--no-config", check_rc=1)
    got = {r["path"]: [v["rule"] for v in r["violations"]] for r in lines(out) if "path" in r}
    c = run("check", "--require", "static", "--no-config", "--json",
            *[str(rootfs / k.lstrip("/")) for k in got])
    want = {}
    for f in json.loads(c.stdout)["results"]:
        want[f["path"][len(str(rootfs)):]] = [v["rule"] for v in f["violations"]]
    assert got == want and all(got.values())
    assert "violations: 5 binaries break the policy" in p.stdout
    run("scan", str(rootfs), "--max-glibc", "2.40", "--no-config", check_rc=0)


def test_scan_shards_are_disjoint_and_summarize_gives_the_whole(rootfs, scanned, tmp_path):
    whole = run("scan", str(rootfs), "--json", "--no-config", check_rc=0)
    parts, seen = [], []
    for i in (1, 2, 3):
        f = tmp_path / f"part{i}.jsonl"
        run("scan", str(rootfs), "--shard", f"{i}/3", "--jsonl", str(f), "--no-config", check_rc=0)
        parts.append(str(f))
        seen.append([r["path"] for r in lines(f) if "path" in r])
    flat = [p for s in seen for p in s]
    assert sorted(flat) == sorted(r["path"] for r in scanned[1] if "path" in r)
    assert len(flat) == len(set(flat))
    merged = run("summarize", "--json", *parts, check_rc=0)
    a, b = json.loads(merged.stdout)["summary"], json.loads(whole.stdout)["summary"]
    assert a == b
    text = run("summarize", *parts, check_rc=0).stdout
    assert text.splitlines()[0] == "scanned 1 target: 9 files, 5 binaries"


def test_summarize_refuses_a_line_that_is_not_a_scan_record(tmp_path):
    f = tmp_path / "bad.jsonl"
    f.write_text('{"scan_target": {"target": "x", "binaries": 0}}\n[1, 2]\n')
    p = run("summarize", str(f), check_rc=2)
    assert f"{f}:2: not a scan record" in p.stderr


def test_scan_of_a_build_output_resolves_on_this_machine(tmp_path):
    out = tmp_path / "dist"
    out.mkdir()
    shutil.copy(buildkit.get("go-default"), out / "app")          # cgo: libc from this machine
    shutil.copy(buildkit.get("go-netgo"), out / "app-netgo")
    shutil.copy(buildkit.get("go-windows-amd64"), out / "app.exe")
    shutil.copy(buildkit.get("go-js-wasm"), out / "app.wasm")
    f = tmp_path / "o.jsonl"
    p = run("scan", str(out), "--jsonl", str(f), "--no-config", check_rc=0)
    recs = {r["path"]: r for r in lines(f) if "path" in r}
    assert sorted(recs) == ["/app", "/app-netgo", "/app.exe", "/app.wasm"]
    assert recs["/app"]["deps"]["root"] == "host" and recs["/app"]["deps"]["missing"] == []
    assert recs["/app-netgo"]["deps"] is None and recs["/app-netgo"]["linkage"] == "static"
    go = buildkit.toolchain_version("go").split()[2]   # "go version go1.X.Y linux/amd64": the toolchain's own word
    assert f"Go:                {go} 4" in p.stdout
    assert "cgo (Go binaries): no 3, yes 1" in p.stdout


def test_scan_target_that_cannot_be_read(tmp_path):
    f = tmp_path / "plain.txt"
    f.write_text("not an image\n")
    p = run("scan", str(f), str(tmp_path / "absent"), "--no-config", check_rc=1)
    assert f"linkscope scan: error: {f}: neither a directory nor a container image" in p.stderr
    assert f"{tmp_path / 'absent'}: no such file or directory" in p.stderr
    assert p.stdout.startswith("scanned 2 targets: 0 files, 0 binaries")


def test_scan_progress_is_silent_when_piped(rootfs):
    p = run("scan", str(rootfs), "--no-config", check_rc=0)
    assert p.stderr == ""


def test_scan_progress_is_live_on_a_terminal():
    import pty

    # /usr/bin is big enough that the line is drawn at least once (every 0.1 s at most).
    master, slave = pty.openpty()
    p = subprocess.Popen([*LINKSCOPE, "scan", "/usr/bin", "--no-config", "--deps", "none"], stdout=subprocess.PIPE,
                         stderr=slave, text=True)
    os.close(slave)
    out, _ = p.communicate(timeout=300)
    seen = b""
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:
            break
        if not chunk:
            break
        seen += chunk
    os.close(master)
    assert p.returncode == 0 and out.startswith("scanned 1 target")
    assert b"\r\x1b[K/usr/bin: " in seen and b" files/s" in seen
    assert seen.endswith(b"\r\x1b[K")         # the line is cleared before the summary


def test_scan_bad_shard_is_a_usage_error(rootfs):
    p = run("scan", str(rootfs), "--shard", "4/3", check_rc=2)
    assert "--shard '4/3': I must be from 1 to N" in p.stderr


# -- the pieces -----------------------------------------------------------------------------------------
def _file_type(path: str) -> str:
    return subprocess.run(["file", "-bL", path], capture_output=True, text=True, check=True).stdout


@pytest.mark.parametrize("path", ["/usr/bin/ls", f"{LIBDIR}/libc.so.6", LDSO, f"{LIBDIR}/crt1.o", "/usr/bin/ldd"])
def test_loadable_is_an_executable_or_a_shared_object_as_file_says(path):
    from linkscope.sniff import loadable

    with open(path, "rb") as f:
        head = f.read(64)
    said = _file_type(path)
    assert loadable(head) == (("executable" in said or "shared object" in said) and "script" not in said)


@pytest.mark.parametrize("name, want", [("gcc-amd64-darwin-exec", True), ("clang-amd64-darwin.obj", False),
                                        ("fat-gcc-386-amd64-darwin-exec", True)])
def test_loadable_macho_executables_not_objects(name, want):
    import samples
    from linkscope.sniff import loadable

    assert loadable(samples.go_testdata_macho(name)[:64]) is want


def test_loadable_big_endian_elf_type_is_read_big_endian():
    from linkscope.sniff import loadable

    head = bytearray(64)
    head[:6] = b"\x7fELF\x02\x02"          # ELF64, big-endian
    head[16:18] = (3).to_bytes(2, "big")   # ET_DYN
    assert loadable(bytes(head))
    head[16:18] = (1).to_bytes(2, "big")   # ET_REL
    assert not loadable(bytes(head))


def test_iter_chunks_jobs_bounds_the_processes():
    import time

    from linkscope.parallel import iter_chunks

    def work(chunk):
        return [os.getpid() for _ in chunk]

    def slow(chunk):
        time.sleep(0.05)      # long enough that the child takes chunks too
        return work(chunk)

    one = {p for part in iter_chunks(list(range(100)), work, jobs=1) for p in part}
    assert one == {os.getpid()}
    two = {p for part in iter_chunks(list(range(100)), slow, jobs=2) for p in part}
    assert len(two) == 2 and os.getpid() in two


def test_shards_split_every_name_once():
    from linkscope.scan import in_shard

    names = [f"/usr/lib/lib{i}.so" for i in range(3000)]
    parts = [[n for n in names if in_shard("img.tar", n, (i, 4))] for i in (1, 2, 3, 4)]
    assert sorted(sum(parts, [])) == sorted(names)
    assert all(600 < len(p) < 900 for p in parts)      # about a quarter each
    assert all(in_shard("img.tar", n, None) for n in names[:10])


# -- real Debian root filesystems, as directories and as images -----------------------------------------
# libpcre2-8-0 is left out on purpose: libselinux1 needs it, so every program linked with libselinux
# (ls, cp, mv, ...) misses it one level down, and the real loader says so.
DEBIAN_PACKAGES = ("libc6", "coreutils", "libselinux1", "libacl1", "libattr1", "libgmp10")
GO_ADDED = {"amd64": ("go-default", "go-netgo"), "arm64": ("go-linux-arm64", "zig-glibc-2.28")}


def debian_root(arch: str, tmp: Path) -> Path:
    """Debian bookworm's packages for ``arch`` unpacked with dpkg -x (linkscope.lab.sysroot, cached
    in the test cache), copied to ``tmp`` with Go and C programs the tests build under /usr/local/bin."""
    from linkscope.lab import sysroot

    try:
        base = sysroot.make(arch, packages=DEBIAN_PACKAGES, cache=buildkit.CACHE / "debian")
    except (sysroot.SysrootError, OSError) as e:
        reference.tool_missing(f"Debian {arch} packages from the mirror ({e})")
    root = tmp / f"debian-{arch}"
    shutil.copytree(base, root, symlinks=True)
    (root / ".linkscope-packages").unlink()
    (root / "usr/local/bin").mkdir(parents=True)
    for name in GO_ADDED[arch]:
        shutil.copy(buildkit.get(name), root / "usr/local/bin" / name)
    return root


def first_missing(root: Path, arch: str, inner: str) -> tuple[bool, str | None]:
    """What the real loader says of ``inner`` run in ``root``: (it loaded, the first library it could
    not find). amd64 in a bubblewrap root, arm64 under qemu-user with the root as its -L prefix."""
    if arch == "amd64":
        cmd = ["bwrap", "--ro-bind", str(root), "/", "--unshare-all", LDSO, "--list", inner]
    else:
        cmd = ["qemu-aarch64", "-L", str(root), str(root / "lib/ld-linux-aarch64.so.1"), "--list", inner]
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    if "error while loading shared libraries: " in p.stderr:
        return False, p.stderr.split("error while loading shared libraries: ")[1].split(":")[0]
    return p.returncode == 0, None


@pytest.mark.parametrize("arch", ["amd64", "arm64"])
def test_scan_of_a_debian_root_agrees_with_file_and_the_real_loader(arch, tmp_path):
    root = debian_root(arch, tmp_path)
    out = tmp_path / "d.jsonl"
    run("scan", str(root), "--jsonl", str(out), "--no-config", check_rc=0)
    recs = {r["path"]: r for r in lines(out) if "path" in r}
    # file(1) over every regular file (no symlink): the executables and shared objects are the binaries.
    regular = sorted(str(p) for p in root.rglob("*") if p.is_file() and not p.is_symlink())
    said = subprocess.run(["file", "-b", *regular], capture_output=True, text=True, check=True).stdout.splitlines()
    elves = {p[len(str(root)):] for p, s in zip(regular, said)
             if s.startswith("ELF") and ("executable" in s or "shared object" in s)}
    assert set(recs) == elves and len(elves) > 100
    checked = 0
    for inner, rec in sorted(recs.items()):
        if rec["deps"] is None or rec["type"] not in ("executable", "pie-executable"):
            continue
        loaded, missing = first_missing(root, arch, inner)
        if missing is None:
            assert loaded and rec["deps"]["missing"] == [], inner
        else:
            assert missing in rec["deps"]["missing"], (inner, missing, rec["deps"])
        checked += 1
    assert checked > 80
    assert recs["/bin/ls"]["deps"]["missing"] == ["libpcre2-8.so.0"]


def _comparable(rec: dict, where: str) -> dict:
    """A record without what names the target (its name, the layer digest, the wording of where a
    library was not found), to compare scans of one filesystem in different packings."""
    out = {k: v for k, v in rec.items() if k not in ("target", "layer")}
    out["findings"] = [dict(f, title=f["title"].replace(where, "TARGET")) for f in rec["findings"]]
    return out


def test_one_filesystem_as_a_directory_a_docker_tarball_and_an_oci_layout_scans_the_same(tmp_path):
    import gzip

    import imagekit

    root = debian_root("amd64", tmp_path)
    app = str(buildkit.get("go-pie"))
    base = imagekit.dir_layer(str(root))
    top = imagekit.dir_layer(None, add={"/usr/local/bin/app-pie": app}, whiteouts=("/bin/ls",))
    imagekit.docker_legacy(tmp_path / "docker.tar", [base, top])
    imagekit.oci_dir(tmp_path / "oci", [gzip.compress(base, 1, mtime=0), gzip.compress(top, 1, mtime=0)],
                     media={0: "application/vnd.oci.image.layer.v1.tar+gzip",
                            1: "application/vnd.oci.image.layer.v1.tar+gzip"})
    final = tmp_path / "final"                  # the same filesystem, by hand: ls gone, the app added
    shutil.copytree(root, final, symlinks=True)
    (final / "bin/ls").unlink()
    shutil.copy(app, final / "usr/local/bin/app-pie")
    scans = {}
    for name, where in (("docker.tar", "this image"), ("oci", "this image"), ("final", str(final))):
        out = tmp_path / f"{name}.jsonl"
        run("scan", str(tmp_path / name), "--jsonl", str(out), "--no-config", check_rc=0)
        recs = lines(out)
        for r in recs:
            validate_line(r)
        scans[name] = [_comparable(r, where) for r in recs if "path" in r]
        target = recs[-1]["scan_target"]
        scans[name + " files"] = (target["files_seen"], target["binaries"], target["problems"])
    assert scans["docker.tar"] == scans["oci"] == scans["final"]
    assert scans["docker.tar files"] == scans["oci files"] == scans["final files"]
    paths = [r["path"] for r in scans["oci"]]
    assert "/bin/ls" not in paths and "/usr/local/bin/app-pie" in paths
    # Each record names the layer its file came from.
    oci = {r["path"]: r for r in lines(tmp_path / "oci.jsonl") if "path" in r}
    digests = [l["digest"] for l in lines(tmp_path / "oci.jsonl")[-1]["scan_target"]["layers"]]
    assert oci["/usr/local/bin/app-pie"]["layer"] == digests[1] and oci["/bin/cat"]["layer"] == digests[0]
    assert digests == [imagekit.sha(gzip.compress(base, 1, mtime=0)), imagekit.sha(gzip.compress(top, 1, mtime=0))]


def test_scan_cache_replays_an_image_and_reads_only_new_layers(tmp_path):
    import imagekit

    root = debian_root("amd64", tmp_path)
    base = imagekit.dir_layer(str(root))
    top = imagekit.dir_layer(None, add={"/usr/local/bin/app": str(buildkit.get("go-sw"))})
    imagekit.docker_legacy(tmp_path / "one.tar", [base])
    imagekit.docker_legacy(tmp_path / "two.tar", [base, top])
    cache = tmp_path / "cache"
    first, second, other = (tmp_path / f"{n}.jsonl" for n in ("first", "second", "other"))
    run("scan", str(tmp_path / "one.tar"), "--cache", str(cache), "--jsonl", str(first), "--no-config", check_rc=0)
    assert [l.name for l in (cache / "scans").iterdir()] and list((cache / "layers").iterdir())
    run("scan", str(tmp_path / "one.tar"), "--cache", str(cache), "--jsonl", str(second), "--no-config", check_rc=0)
    assert lines(first) == lines(second)
    kept = sorted((cache / "records").rglob("*"))
    records = [p for p in kept if p.is_file()]
    assert len(records) == sum(1 for r in lines(first) if "path" in r)   # one per binary inspected
    # The second image shares the base layer: only its new layer is read, only its new file inspected
    # (one record more kept), and the records agree.
    run("scan", str(tmp_path / "two.tar"), "--cache", str(cache), "--jsonl", str(other), "--no-config", check_rc=0)
    layers = lines(other)[-1]["scan_target"]["layers"]
    assert [l["from_cache"] for l in layers] == [True, False]
    assert len([p for p in (cache / "records").rglob("*") if p.is_file()]) == len(records) + 1
    a = {r["path"]: r for r in lines(first) if "path" in r}
    b = {r["path"]: r for r in lines(other) if "path" in r}
    assert set(b) - set(a) == {"/usr/local/bin/app"}
    assert all(_comparable(a[p], "") == _comparable(b[p], "") for p in a)
    # A kept record that was tampered with is never run: a pickle that would call os.system is a miss.
    marker = tmp_path / "ran"
    evil = b"cos\nsystem\n(S'touch " + str(marker).encode() + b"'\ntR."
    for p in records:
        p.write_bytes(evil)
    again = tmp_path / "again.jsonl"
    run("scan", str(tmp_path / "two.tar"), "--cache", str(cache), "--jsonl", str(again), "--deps", "target",
        "--max-size", "1GiB", "--no-config", check_rc=0)
    assert not marker.exists()
    c = {r["path"]: r for r in lines(again) if "path" in r}
    assert all(_comparable(b[p], "") == dict(_comparable(c[p], ""), violations=[]) for p in b)
    # Another policy is another key: nothing replayed that was decided under the old one.
    p = run("scan", str(tmp_path / "one.tar"), "--cache", str(cache), "--require", "static", "--no-config",
            check_rc=1)
    assert "violations:" in p.stdout


def test_deps_and_inspect_take_an_image_as_root(tmp_path):
    import imagekit

    root = debian_root("amd64", tmp_path)
    imagekit.docker_legacy(tmp_path / "img.tar", [imagekit.dir_layer(str(root))])
    p = run("deps", "--root", str(tmp_path / "img.tar"), "/bin/ls")
    assert p.returncode == 1 and "libpcre2-8.so.0 => not found" in p.stdout
    p = run("inspect", "--root", str(tmp_path / "img.tar"), "--json", "/usr/local/bin/go-netgo", check_rc=0)
    rec = json.loads(p.stdout)["results"][0]
    assert rec["linkage"] == "static" and rec["path"] == "/usr/local/bin/go-netgo"
    p = run("explain", "--root", str(tmp_path / "img.tar"), "--json", "/usr/local/bin/go-default", check_rc=0)
    rec = json.loads(p.stdout)["results"][0]
    assert rec["path"] == "/usr/local/bin/go-default" and rec["cgo"]["used"] is True
    p = run("deps", "--root", str(tmp_path / "img.tar"), "-r", "/bin", check_rc=2)
    assert "with an image as --root, name its files" in p.stderr


def test_scan_of_a_hostile_image_reports_each_problem_and_goes_on(tmp_path):
    import imagekit
    from imagekit import D, F, L, layer

    true = Path("/usr/bin/true").read_bytes()
    bad = layer(D("bin"), F("bin/true", true, 0o755), F("../../escaped", b"x"), F("/abs", b"y"),
                L("bin/up", "../../../etc/passwd"), ("c", "dev-null", None, 0o666, {}))
    imagekit.docker_legacy(tmp_path / "bad.tar", [bad, b"this layer is not a tar" * 40])
    sentinel = tmp_path / "outside"
    sentinel.mkdir()
    out = tmp_path / "bad.jsonl"
    p = run("scan", str(tmp_path / "bad.tar"), "--jsonl", str(out), "--no-config", check_rc=0)
    recs = lines(out)
    assert [r["path"] for r in recs if "path" in r] == ["/bin/true"]
    t = recs[-1]["scan_target"]
    text = "\n".join(t["problems"])
    for fragment in ("../../escaped: a path that climbs out of the image; skipped",
                     "/abs: an absolute path; skipped",
                     "bin/up", "not a tar archive"):
        assert fragment in text, (fragment, text)
    assert t["problem_count"] == len(t["problems"]) == 4
    assert "problems: 4 entries skipped or damaged" in p.stdout
    assert list(sentinel.iterdir()) == [] and sorted(x.name for x in tmp_path.iterdir()) == \
        ["bad.jsonl", "bad.tar", "outside"]


def test_an_internal_error_costs_one_binary_and_fails_the_gate(tmp_path, monkeypatch, capsys):
    from linkscope import cli, inspector

    (tmp_path / "d").mkdir()
    shutil.copy("/usr/bin/true", tmp_path / "d" / "a")
    shutil.copy("/usr/bin/true", tmp_path / "d" / "b")
    real = inspector._parse

    class ParserBug(AttributeError):
        """Not one of the errors the library turns into records."""

    def broken(view):
        if view.path.endswith("/a"):
            raise ParserBug("planted")
        return real(view)

    monkeypatch.setattr(inspector, "_parse", broken)
    out = tmp_path / "o.jsonl"
    rc = cli.main(["scan", str(tmp_path / "d"), "--jsonl", str(out), "--max-glibc", "9.0", "--no-config", "-q",
                   "--deps", "none"])
    recs = {r["path"]: r for r in lines(out) if "path" in r}
    assert rc == 1 and sorted(recs) == ["/a", "/b"]
    assert recs["/a"]["error"]["kind"] == "internal" and "ParserBug: planted" in recs["/a"]["error"]["message"]
    assert [v["rule"] for v in recs["/a"]["violations"]] == ["unreadable"]
    assert recs["/b"]["error"] is None and recs["/b"]["violations"] == []
    assert "unreadable: 1" in capsys.readouterr().out
