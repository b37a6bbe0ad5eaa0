"""linkscope.container: container images (docker save tarballs, OCI layouts) as a ``Files`` tree,
built here from real files of this machine; whiteouts, links, the layer cache, and hostile images."""
from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import shutil
import stat
import struct
import subprocess
import tarfile
import tempfile

import pytest

from linkscope import container
from linkscope.container import Layer, looks_like_container, open_container
from linkscope.errors import InputError, Malformed
from linkscope.inspector import inspect

from imagekit import D, F, H, L, docker25, docker_legacy, layer, oci_dir, sha, tar_dir

try:
    import zstandard
except ImportError:
    zstandard = None

CAP_NET_BIND = struct.pack("<5I", 0x02000001, 1 << 10, 0, 0, 0)   # vfs_cap_data rev 2: cap_net_bind_service+ep


def _zstd():
    if zstandard is None:
        pytest.fail("the zstandard package is needed: pip install zstandard (or .[images])")
    return zstandard


def _host_libs(binary: str) -> dict[str, str]:
    """The libraries ldd finds for a host binary, name to path, the interpreter (its path as its
    name) included."""
    out = subprocess.run(["ldd", binary], capture_output=True, text=True, check=True).stdout
    libs = {}
    for line in out.splitlines():
        parts = line.split()
        if "=>" in parts and parts[parts.index("=>") + 1].startswith("/"):
            libs[parts[0]] = parts[parts.index("=>") + 1]
        elif parts and parts[0].startswith("/"):
            libs[parts[0]] = parts[0]
    return libs


def _usr(path: str) -> str:
    """Where a host path lives in the test images (usr-merged: /lib is /usr/lib)."""
    return path if path.startswith("/usr/") else "/usr" + path


@pytest.fixture(scope="module")
def base() -> dict:
    """A Debian-like root layer (usr-merged: /bin, /lib, /lib64 are symlinks) with /usr/bin/ls,
    /bin/true, the libraries ls needs and /etc/ld.so.cache, from this machine."""
    files = {"/usr/bin/ls": "/usr/bin/ls", "/usr/bin/true": "/bin/true", "/etc/ld.so.cache": "/etc/ld.so.cache"}
    for lib in _host_libs("/usr/bin/ls").values():
        files[_usr(lib)] = os.path.realpath(lib)
    entries = [L("bin", "usr/bin"), L("lib", "usr/lib"), L("lib64", "usr/lib64"), D("etc"), D("usr"),
               D("usr/bin"), D("usr/lib"), D("usr/lib64")]
    seen = {"/etc", "/usr", "/usr/bin", "/usr/lib", "/usr/lib64"}
    for inner, host in sorted(files.items()):
        d = os.path.dirname(inner)
        if d not in seen:
            entries.append(D(d[1:]))
            seen.add(d)
        with open(host, "rb") as f:
            entries.append(F(inner[1:], f.read(), 0o755 if "/bin/" in inner else 0o644))
    entries.append(F("etc/hostname", b"box\n"))
    entries.append(F("etc/ld.so.conf", b"include /etc/ld.so.conf.d/*.conf\n"))
    return {"tar": layer(*entries), "files": files}


@pytest.fixture
def sandbox(tmp_path, monkeypatch):
    """A private temp directory for the tree's store and a sentinel directory beside the image: the
    test checks that nothing but the store was ever written."""
    tmp = tmp_path / "tmp"
    sentinel = tmp_path / "sentinel"
    tmp.mkdir()
    sentinel.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(tmp))
    yield tmp_path
    assert os.listdir(sentinel) == []
    assert os.listdir(tmp) == []                     # the store went with close()
    assert set(os.listdir(tmp_path)) <= {"tmp", "sentinel", "img", "img.tar", "cache"}


def open_tree(path, **kw):
    t = open_container(str(path), **kw)
    assert os.path.dirname(t._store) == tempfile.gettempdir() or kw.get("cache_dir")
    return t


def probs(tree) -> list[str]:
    return [p.replace(tree.root, "IMG", 1) for p in tree.problems]


def short(b: bytes) -> str:
    return sha(b)[:19] + ".."


# -- the formats -------------------------------------------------------------------------------------------
def _same_as_host(tree, inner, host):
    got, want = inspect(inner, files=tree), inspect(host)
    assert got.error is None, got.error
    assert (got.format, got.arch, got.linkage, got.needed, got.interpreter, got.size) == \
           (want.format, want.arch, want.linkage, want.needed, want.interpreter, want.size)


def test_docker_legacy_tarball(sandbox, base):
    top = layer(F("etc/motd", b"hi\n"))
    docker_legacy(sandbox / "img.tar", [base["tar"], top])
    assert looks_like_container(str(sandbox / "img.tar"))
    with open_tree(sandbox / "img.tar") as t:
        assert t.problems == []
        assert t.layers == (Layer(0, sha(base["tar"]), "application/vnd.docker.image.rootfs.diff.tar",
                                  len(base["tar"]), False),
                            Layer(1, sha(top), "application/vnd.docker.image.rootfs.diff.tar", len(top), False))
        assert t.config["architecture"] == "amd64"
        _same_as_host(t, "/bin/ls", "/usr/bin/ls")                 # /bin -> usr/bin inside the image
        assert t.read("/etc/motd") == (None, "/etc/motd: its content was not kept from the image")
        assert t.lstat("/etc/motd").st_size == 3
        assert t.layer_of("/etc/motd") == sha(top) and t.layer_of("/usr/bin/ls") == sha(base["tar"])
        assert t.kept("/usr/bin/ls") and t.kept("/etc/ld.so.cache") and t.kept("/etc/ld.so.conf")
        assert not t.kept("/etc/hostname")
        assert t.read("/etc/ld.so.cache")[0] == open("/etc/ld.so.cache", "rb").read()


def test_dependency_resolution_runs_on_the_image(sandbox, base):
    from linkscope.deps.records import Env
    from linkscope.deps.resolver import Session, resolve

    oci_dir(sandbox / "img", [base["tar"]])
    with open_tree(sandbox / "img") as t:
        session = Session(t)                         # resolve reads Env.root through it
        r = resolve("/bin/ls", Env(root=t.root), session)
        assert r.error is None and r.warnings == ()
        ldd = _host_libs("/usr/bin/ls")            # what the host's loader finds, put at the same paths
        assert {(lib.name, lib.realpath) for lib in r.libraries} == {(n, _usr(p)) for n, p in ldd.items()}
        assert r.interpreter.realpath in {_usr(p) for n, p in ldd.items() if n.startswith("/")}


def test_docker25_tarball_with_blobs(sandbox, base):
    top = layer(F("etc/motd", b"hi\n"))
    docker25(sandbox / "img.tar", [base["tar"], top])
    with open_tree(sandbox / "img.tar") as t:
        assert t.problems == []
        assert [(x.digest, x.media_type) for x in t.layers] == \
               [(sha(base["tar"]), "application/vnd.oci.image.layer.v1.tar"),
                (sha(top), "application/vnd.oci.image.layer.v1.tar")]
        _same_as_host(t, "/usr/bin/ls", "/usr/bin/ls")


def test_oci_directory_with_gzip_and_zstd_layers(sandbox, base):
    zstd = _zstd()
    gz = gzip.compress(base["tar"], compresslevel=1)
    zs = zstd.ZstdCompressor(level=1).compress(layer(F("usr/bin/true2", open("/bin/true", "rb").read(), 0o755)))
    oci_dir(sandbox / "img", [gz, zs], media={0: "application/vnd.oci.image.layer.v1.tar+gzip",
                                               1: "application/vnd.oci.image.layer.v1.tar+zstd"})
    assert looks_like_container(str(sandbox / "img"))
    with open_tree(sandbox / "img") as t:
        assert t.problems == []
        assert t.layers == (Layer(0, sha(gz), "application/vnd.oci.image.layer.v1.tar+gzip", len(gz), False),
                            Layer(1, sha(zs), "application/vnd.oci.image.layer.v1.tar+zstd", len(zs), False))
        _same_as_host(t, "/usr/bin/true2", "/bin/true")
        _same_as_host(t, "/lib64/ld-linux-x86-64.so.2", "/lib64/ld-linux-x86-64.so.2")
        assert t.layer_of("/usr/bin/true2") == sha(zs)


def test_oci_tar(sandbox, base):
    oci_dir(sandbox / "tmp" / "layout", [base["tar"]])
    tar_dir(sandbox / "tmp" / "layout", sandbox / "img.tar")
    shutil.rmtree(sandbox / "tmp" / "layout")
    assert looks_like_container(str(sandbox / "img.tar"))
    with open_tree(sandbox / "img.tar") as t:
        assert t.problems == [] and [x.digest for x in t.layers] == [sha(base["tar"])]
        _same_as_host(t, "/bin/true", "/bin/true")


def test_files_lists_final_regular_files_in_path_order(sandbox):
    oci_dir(sandbox / "img", [layer(F("b/x", b"1"), F("a", b"22"), H("b/y", "b/x"), L("c", "a"), D("d"))])
    with open_tree(sandbox / "img") as t:
        assert [(p, s.st_size) for p, s in t.files()] == [("/a", 2), ("/b/x", 1)]


def test_not_an_image_and_looks_like_container(sandbox):
    (sandbox / "img").mkdir()
    (sandbox / "img" / "index.json").write_text("{}")
    assert not looks_like_container(str(sandbox / "img"))
    with pytest.raises(InputError, match="img: not a container image"):
        open_container(str(sandbox / "img"))
    with tarfile.open(sandbox / "img.tar", "w") as tf:
        tf.add("/etc/hostname", arcname="hostname")
    assert not looks_like_container(str(sandbox / "img.tar"))
    with pytest.raises(InputError, match="img.tar: not a container image"):
        open_container(str(sandbox / "img.tar"))
    os.mkfifo(sandbox / "sentinel" / "fifo")
    assert not looks_like_container(str(sandbox / "sentinel" / "fifo"))          # not waited on
    with pytest.raises(InputError, match="fifo: not a container image"):
        open_container(str(sandbox / "sentinel" / "fifo"))
    os.remove(sandbox / "sentinel" / "fifo")
    assert not looks_like_container("/bin/true")
    with pytest.raises(InputError, match="/bin/true: not a container image"):
        open_container("/bin/true")


# -- applying layers ------------------------------------------------------------------------------------
def test_whiteouts_of_a_file_a_directory_and_an_opaque_directory(sandbox):
    low = layer(F("etc/a", b"a"), F("etc/b", b"b"), D("var"), D("var/cache"), F("var/cache/x", b"x"),
                D("opt"), F("opt/old", b"o"), D("opt/sub"), F("opt/sub/deep", b"d"))
    up = layer(F("etc/.wh.a"), F("var/.wh.cache"), D("opt"), F("opt/.wh..wh..opq"), F("opt/new", b"n"))
    oci_dir(sandbox / "img", [low, up])
    with open_tree(sandbox / "img") as t:
        assert t.problems == []
        assert t.listdir("/etc") == (("b",), None)
        assert t.listdir("/var") == ((), None)
        assert t.listdir("/opt") == (("new",), None)             # the same layer's entries stay
        assert t.lstat("/opt/sub/deep") is None and t.lstat("/var/cache/x") is None
        assert t.layer_of("/opt/new") == sha(up) and t.layer_of("/etc/b") == sha(low)


def test_a_layer_whiteouts_do_not_hide_its_own_entries_and_three_layers(sandbox):
    l0 = layer(F("x", b"0"), F("y", b"0"))
    l1 = layer(F(".wh.x"), F("x", b"11"))        # deletes the lower x, adds its own
    l2 = layer(F(".wh.y"))
    oci_dir(sandbox / "img", [l0, l1, l2])
    with open_tree(sandbox / "img") as t:
        assert t.listdir("/") == (("x",), None)
        assert t.lstat("/x").st_size == 2 and t.layer_of("/x") == sha(l1)


def test_a_file_replaced_by_a_directory_and_a_directory_by_a_file(sandbox):
    low = layer(F("f", b"file"), D("d"), F("d/inner", b"i"), D("m"), F("m/low", b"l"))
    up = layer(D("f"), F("f/now", b"n"), F("d", b"now a file"), F("m/up", b"u"))
    oci_dir(sandbox / "img", [low, up])
    with open_tree(sandbox / "img") as t:
        assert stat.S_ISDIR(t.lstat("/f").st_mode) and t.listdir("/f") == (("now",), None)
        assert stat.S_ISREG(t.lstat("/d").st_mode) and t.lstat("/d").st_size == 10
        assert t.lstat("/d/inner") is None
        assert t.listdir("/m") == (("low", "up"), None)           # a directory over a directory merges


def test_implied_directories_exist_and_take_a_lower_layers_mode(sandbox):
    low = layer(D("srv", 0o750))
    up = layer(F("srv/a/b/c", b"c"))
    oci_dir(sandbox / "img", [low, up])
    with open_tree(sandbox / "img") as t:
        assert t.lstat("/srv/a").st_mode == stat.S_IFDIR | 0o755
        assert t.lstat("/srv").st_mode == stat.S_IFDIR | 0o750
        assert t.listdir("/srv/a/b") == (("c",), None)


def test_hard_links_share_the_inode(sandbox):
    elf = open("/bin/true", "rb").read()
    oci_dir(sandbox / "img", [layer(D("usr"), D("usr/bin"), F("usr/bin/a", elf, 0o755), H("usr/bin/b", "usr/bin/a"),
                                    H("usr/bin/c", "usr/bin/b"))])
    with open_tree(sandbox / "img") as t:
        a, b, c = (t.lstat(f"/usr/bin/{n}") for n in "abc")
        assert a.st_ino == b.st_ino == c.st_ino and a.st_nlink == 3 and b.st_size == len(elf)
        assert t.kept("/usr/bin/c")
        _same_as_host(t, "/usr/bin/c", "/bin/true")
        assert [p for p, _ in t.files()] == ["/usr/bin/a"]


def test_symlinks_resolve_inside_the_image(sandbox):
    elf = open("/bin/true", "rb").read()
    oci_dir(sandbox / "img", [layer(D("usr"), D("usr/lib"), F("usr/lib/t", elf, 0o755), L("lib", "usr/lib"),
                                    L("abs", "/lib/t"), L("host", "/bin/true"))])
    with open_tree(sandbox / "img") as t:
        assert t.readlink("/abs") == "/lib/t" and t.resolve("/abs").real == "/usr/lib/t"
        _same_as_host(t, "/abs", "/bin/true")
        r = t.resolve("/host")                                      # /bin/true of the image: there is none
        assert not r.ok and "points outside the root" in r.message


def test_setuid_bits_and_capabilities_are_carried(sandbox):
    elf = open("/bin/true", "rb").read()
    oci_dir(sandbox / "img", [layer(F("su", elf, 0o4755, uid=0), F("sg", elf, 0o2711, gid=42),
                                    F("ping", elf, 0o755, cap=CAP_NET_BIND))])
    with open_tree(sandbox / "img") as t:
        assert t.lstat("/su").st_mode == stat.S_IFREG | 0o4755
        assert (t.lstat("/sg").st_mode, t.lstat("/sg").st_gid) == (stat.S_IFREG | 0o2711, 42)
        assert t.capabilities("/ping") == CAP_NET_BIND and t.capabilities("/su") is None
        assert inspect("/su", files=t).setuid is True


def test_devices_and_fifos_are_listed_never_opened(sandbox):
    oci_dir(sandbox / "img", [layer(D("dev"), ("p", "dev/fifo", None, 0o644, {}), ("c", "dev/null", None, 0o666, {}),
                                    F("ok", b"#!/bin/sh\n"))])
    with open_tree(sandbox / "img") as t:
        assert t.listdir("/dev") == (("fifo", "null"), None)
        assert stat.S_ISFIFO(t.lstat("/dev/fifo").st_mode) and stat.S_ISCHR(t.lstat("/dev/null").st_mode)
        assert t.read("/dev/fifo") == (None, "/dev/fifo: not a regular file")
        with pytest.raises(InputError, match="not a regular file"):
            t.open("/dev/null")
        assert t.read("/ok") == (b"#!/bin/sh\n", None)


def test_keep_decides_what_is_unpacked(sandbox):
    oci_dir(sandbox / "img", [layer(F("a", b"alpha"), F("b", b"beta"))])
    asked = []

    def keep(path, head):
        asked.append((path, head))
        return path == "/b"

    with open_tree(sandbox / "img", keep=keep) as t:
        assert asked == [("/a", b"alpha"), ("/b", b"beta")]
        assert t.read("/b") == (b"beta", None) and not t.kept("/a")
        assert os.listdir(t._store) == [hashlib.sha256(b"beta").hexdigest()]


def test_shadowed_files_are_never_extracted(sandbox):
    low = layer(F("x", b"#!/old\n"), D("d"), F("d/y", b"#!/y\n"))
    up = layer(F("x", b"#!/new\n"), F(".wh.d"))
    oci_dir(sandbox / "img", [low, up])
    with open_tree(sandbox / "img") as t:
        assert os.listdir(t._store) == [hashlib.sha256(b"#!/new\n").hexdigest()]


# -- the cache -------------------------------------------------------------------------------------------
def test_cache_second_open_reads_no_layer(sandbox, base):
    top = layer(F("etc/motd", b"hi\n"), F("usr/bin/.wh.true"))
    oci_dir(sandbox / "img", [base["tar"], top])
    cache = str(sandbox / "cache")
    with open_tree(sandbox / "img", cache_dir=cache) as t:
        assert [x.from_cache for x in t.layers] == [False, False] and t.problems == []
    assert sorted(os.listdir(sandbox / "cache" / "layers")) == sorted(
        d.replace(":", "-") + ".json" for d in (sha(base["tar"]), sha(top)))
    for b in (base["tar"], top):                                 # the layers are gone: only the cache can answer
        os.remove(sandbox / "img" / "blobs" / "sha256" / sha(b)[7:])
    with open_tree(sandbox / "img", cache_dir=cache) as t:
        assert [x.from_cache for x in t.layers] == [True, True] and t.problems == []
        _same_as_host(t, "/bin/ls", "/usr/bin/ls")
        assert t.lstat("/usr/bin/true") is None and t.lstat("/etc/motd").st_size == 3
        assert t.layer_of("/etc/motd") == sha(top)


def test_cache_reads_a_layer_again_when_a_now_final_file_was_not_kept(sandbox, base):
    elf = open("/bin/true", "rb").read()
    low = layer(F("t", elf, 0o755), F("u", elf + b"u", 0o755))
    hide = layer(F(".wh.t"))
    cache = str(sandbox / "cache")
    oci_dir(sandbox / "tmp" / "one", [low, hide])
    with open_tree(sandbox / "tmp" / "one", cache_dir=cache) as t:
        assert t.lstat("/t") is None and t.kept("/u")
    shutil.rmtree(sandbox / "tmp" / "one")
    oci_dir(sandbox / "img", [low])                             # /t is final here: its content is needed
    with open_tree(sandbox / "img", cache_dir=cache) as t:
        assert [x.from_cache for x in t.layers] == [False]
        _same_as_host(t, "/t", "/bin/true")
    with open_tree(sandbox / "img", cache_dir=cache) as t:         # now the table has it
        assert [x.from_cache for x in t.layers] == [True] and t.kept("/t") and t.kept("/u")


def test_cache_table_corrupt_or_of_another_version_is_read_again(sandbox):
    one = layer(F("a", b"#!/a\n"))
    oci_dir(sandbox / "img", [one])
    cache = sandbox / "cache"
    open_tree(sandbox / "img", cache_dir=str(cache)).close()
    table = cache / "layers" / (sha(one).replace(":", "-") + ".json")
    for bad in (b"{not json", json.dumps({**json.loads(table.read_bytes()), "version": 99}).encode(),
                json.dumps({**json.loads(table.read_bytes()), "entries": [["/../x", "-", 0, 0, 0, 0, 0, None, None,
                                                                            "", None]]}).encode()):
        table.write_bytes(bad)
        with open_tree(sandbox / "img", cache_dir=str(cache)) as t:
            assert [x.from_cache for x in t.layers] == [False] and t.read("/a") == (b"#!/a\n", None)
    with open_tree(sandbox / "img", cache_dir=str(cache)) as t:
        assert [x.from_cache for x in t.layers] == [True]


def test_digest_mismatch_is_reported_and_not_cached(sandbox):
    good, evil = layer(F("a", b"#!/good\n")), layer(F("a", b"#!/evil\n"))
    oci_dir(sandbox / "img", [good])
    os.chmod(sandbox / "img" / "blobs" / "sha256" / sha(good)[7:], 0o644)
    (sandbox / "img" / "blobs" / "sha256" / sha(good)[7:]).write_bytes(evil)
    cache = str(sandbox / "cache")
    with open_tree(sandbox / "img", cache_dir=cache) as t:
        assert probs(t) == [f"IMG: layer {short(good)}: digest mismatch: its content is {sha(evil)}; not cached"]
        assert t.read("/a") == (b"#!/evil\n", None)
    assert os.listdir(sandbox / "cache" / "layers") == []
    with open_tree(sandbox / "img", cache_dir=cache) as t:
        assert [x.from_cache for x in t.layers] == [False]


def test_docker_legacy_digest_is_the_uncompressed_diff_id(sandbox):
    one = layer(F("a", b"#!/a\n"))
    docker_legacy(sandbox / "img.tar", [one])
    with tarfile.open(sandbox / "img.tar") as tf:
        names = {m.name: tf.extractfile(m).read() for m in tf if m.isfile()}
    lname = next(n for n in names if n.endswith("layer.tar"))
    with tarfile.open(sandbox / "img.tar", "w") as tf:          # the same layer, gzipped: same diff_id
        for n, data in names.items():
            data = gzip.compress(data) if n == lname else data
            ti = tarfile.TarInfo(n)
            ti.size = len(data)
            tf.addfile(ti, io.BytesIO(data))
    with open_tree(sandbox / "img.tar", cache_dir=str(sandbox / "cache")) as t:
        assert t.problems == [] and t.layers[0].digest == sha(one) and t.read("/a") == (b"#!/a\n", None)
    assert os.listdir(sandbox / "cache" / "layers") == [sha(one).replace(":", "-") + ".json"]


# -- the platform ---------------------------------------------------------------------------------------
def _multi(path, wanted_first: bool):
    """An index of three platforms' images (amd64, arm64, s390x), each one file naming its platform."""
    blobs = {}
    os.makedirs(os.path.join(path, "blobs", "sha256"))

    def put(b):
        blobs[sha(b)] = b
        with open(os.path.join(path, "blobs", "sha256", sha(b)[7:]), "wb") as f:
            f.write(b)
        return sha(b)

    descs = []
    for arch in ("arm64", "amd64", "s390x") if not wanted_first else ("amd64", "arm64", "s390x"):
        lay = layer(F("arch", arch.encode()))
        cfg = json.dumps({"os": "linux", "architecture": arch}).encode()
        man = json.dumps({"schemaVersion": 2, "config": {"digest": put(cfg), "size": len(cfg)},
                          "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": put(lay),
                                      "size": len(lay)}]}).encode()
        descs.append({"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": put(man),
                      "size": len(man), "platform": {"os": "linux", "architecture": arch}})
    nested = json.dumps({"schemaVersion": 2, "manifests": descs}).encode()
    with open(os.path.join(path, "index.json"), "w") as f:
        json.dump({"schemaVersion": 2, "manifests": [{"mediaType": "application/vnd.oci.image.index.v1+json",
                                                       "digest": put(nested), "size": len(nested)}]}, f)
    with open(os.path.join(path, "oci-layout"), "w") as f:
        f.write('{"imageLayoutVersion": "1.0.0"}')
    return descs


def _arch(tree):
    return tree.lstat("/arch").st_size


def test_platform_choice_in_a_nested_multi_platform_index(sandbox, monkeypatch):
    _multi(sandbox / "img", wanted_first=False)
    monkeypatch.setattr(container._platform, "machine", lambda: "x86_64")
    with open_tree(sandbox / "img") as t:
        assert t.problems == [] and _arch(t) == 5 and t.config["architecture"] == "amd64"
    monkeypatch.setattr(container._platform, "machine", lambda: "aarch64")
    with open_tree(sandbox / "img") as t:
        assert _arch(t) == 5 and t.config["architecture"] == "arm64"
    with open_tree(sandbox / "img", platform="linux/s390x") as t:
        assert t.config["architecture"] == "s390x"
    with open_tree(sandbox / "img", platform="linux/riscv64") as t:
        assert t.config["architecture"] == "arm64"
        assert probs(t) == ["IMG: no manifest for linux/riscv64; read the first (linux/arm64), not linux/amd64, "
                            "linux/s390x"]


def test_two_manifests_for_the_platform_and_two_images_in_a_docker_tarball(sandbox):
    descs = _multi(sandbox / "tmp" / "m", wanted_first=True)
    (sandbox / "tmp" / "m" / "index.json").write_text(json.dumps({"manifests": [descs[0], descs[0], descs[1]]}))
    with open_tree(sandbox / "tmp" / "m", platform="linux/amd64") as t:
        assert probs(t) == [f"IMG: 2 manifests for linux/amd64; read the first ({descs[0]['digest']}), "
                            f"not {descs[0]['digest']}"]
    shutil.rmtree(sandbox / "tmp" / "m")
    docker_legacy(sandbox / "img.tar", [layer(GOOD)])
    with tarfile.open(sandbox / "img.tar") as tf:
        members = [(m, tf.extractfile(m).read()) for m in tf]
    with tarfile.open(sandbox / "img.tar", "w") as tf:
        for m, data in members:
            if m.name == "manifest.json":
                man = json.loads(data)
                data = json.dumps(man + [{**man[0], "RepoTags": ["other:2"]}]).encode()
                m.size = len(data)
            tf.addfile(m, io.BytesIO(data))
    with open_tree(sandbox / "img.tar") as t:
        assert probs(t) == ["IMG: manifest.json holds 2 images; read the first (box:1), not other:2"]
        _good(t)


def test_docker_tarball_without_its_config_reads_the_layers_unchecked(sandbox):
    one = layer(GOOD)
    docker_legacy(sandbox / "img.tar", [one])
    with tarfile.open(sandbox / "img.tar") as tf:
        members = [(m, tf.extractfile(m).read()) for m in tf if not m.name.endswith(".json")
                   or m.name == "manifest.json"]
    with tarfile.open(sandbox / "img.tar", "w") as tf:
        for m, data in members:
            tf.addfile(m, io.BytesIO(data))
    cname = json.loads(members[-1][1])[0]["Config"]
    lname = json.loads(members[-1][1])[0]["Layers"][0]
    with open_tree(sandbox / "img.tar", cache_dir=str(sandbox / "cache")) as t:
        assert probs(t) == [f"IMG: {cname}: not in the image ({cname}); layer digests not checked"]
        assert t.layers == (Layer(0, None, "application/vnd.docker.image.rootfs.diff.tar", len(one), False),)
        assert t.layer_of("/good") is None
        _good(t, str(sandbox / "cache"))
    assert os.listdir(sandbox / "cache" / "layers") == []
    assert lname.endswith("/layer.tar")


# -- hostile images -------------------------------------------------------------------------------------
GOOD = F("good", b"#!/bin/sh\n")


def _hostile(sandbox, *entries, raw=None):
    lay = raw if raw is not None else layer(GOOD, *entries)
    oci_dir(sandbox / "img", [lay])
    return lay


def _good(t, cache=None):
    """The good entry is there, and only the store was written: in the temp directory one store (or
    the cache's), of content-addressed names."""
    assert t.read("/good") == (b"#!/bin/sh\n", None)
    if cache is None:
        (store,) = os.listdir(tempfile.gettempdir())
        assert store.startswith("linkscope-image-")
        store = os.path.join(tempfile.gettempdir(), store)
    else:
        assert os.listdir(tempfile.gettempdir()) == []
        store = os.path.join(cache, "blobs")
    names = os.listdir(store)
    assert hashlib.sha256(b"#!/bin/sh\n").hexdigest() in names
    assert all(len(n) == 64 and set(n) <= set("0123456789abcdef") for n in names)


def test_hostile_names_climbing_out_are_skipped(sandbox):
    lay = _hostile(sandbox, F("../../sentinel/x", b"#!/x\n"), F("a/../../sentinel/y", b"#!/y\n"), F("ok/../z", b"z"))
    with open_tree(sandbox / "img") as t:
        assert probs(t) == [f"IMG: layer {short(lay)}: ../../sentinel/x: a path that climbs out of the image; skipped",
                            f"IMG: layer {short(lay)}: a/../../sentinel/y: a path that climbs out of the image; "
                            "skipped"]
        _good(t)
        assert t.listdir("/") == (("good", "z"), None)


def test_hostile_absolute_names_are_skipped(sandbox):
    lay = _hostile(sandbox, F("/etc/passwd", b"root"))
    with open_tree(sandbox / "img") as t:
        assert probs(t) == [f"IMG: layer {short(lay)}: /etc/passwd: an absolute path; skipped"]
        _good(t)
        assert t.lstat("/etc") is None


def test_hostile_symlink_climbing_out_is_skipped(sandbox):
    lay = _hostile(sandbox, D("a"), L("a/up", "../../sentinel"), L("a/fine", "../good"), L("a/abs", "/good"))
    with open_tree(sandbox / "img") as t:
        assert probs(t) == [f"IMG: layer {short(lay)}: a/up: a symlink to ../../sentinel, which climbs out of the "
                            "image; skipped"]
        assert t.listdir("/a") == (("abs", "fine"), None)
        assert t.read("/a/fine") == t.read("/a/abs") == (b"#!/bin/sh\n", None)


def test_hostile_hard_links_outside_or_to_nothing(sandbox):
    lay = _hostile(sandbox, H("h1", "../../etc/passwd"), H("h2", "missing"), H("h3", "later"), F("later", b"l"))
    s = short(lay)
    with open_tree(sandbox / "img") as t:
        assert probs(t) == [f"IMG: layer {s}: h1: a hard link to ../../etc/passwd, outside the image; skipped",
                            f"IMG: layer {s}: h2: a hard link to missing, which is no earlier file of this layer; skipped",
                            f"IMG: layer {s}: h3: a hard link to later, which is no earlier file of this layer; skipped"]
        _good(t)
        assert t.listdir("/") == (("good", "later"), None)


def test_hostile_layer_that_is_not_a_tar(sandbox):
    junk = b"this is not a tar archive at all\n" * 40
    oci_dir(sandbox / "img", [layer(GOOD), junk])
    with open_tree(sandbox / "img") as t:
        assert probs(t) == [f"IMG: layer {short(junk)}: not a tar archive (invalid header); skipped"]
        _good(t)


def test_hostile_truncated_gzip_keeps_what_was_read(sandbox):
    big = os.urandom(300_000)
    full = gzip.compress(layer(GOOD, F("big", big), F("after", b"a")), compresslevel=1)
    cut = full[:len(full) // 2]
    oci_dir(sandbox / "img", [cut])
    with open_tree(sandbox / "img", cache_dir=str(sandbox / "cache")) as t:
        assert probs(t) == [f"IMG: layer {short(cut)}: damaged after 2 entries (Compressed file ended before the "
                            "end-of-stream marker was reached); partial: the entries before are used"]
        _good(t, str(sandbox / "cache"))
        assert t.lstat("/after") is None and t.lstat("/big").st_size == 300_000
    assert os.listdir(sandbox / "cache" / "layers") == []


def test_hostile_damage_between_entries_is_reported_not_taken_for_the_end(sandbox):
    full = layer(GOOD, F("after", b"a"))
    junk = full[:1024] + b"junk" * 128 + full[1024:]
    cut = full[:1024]                                             # no end-of-archive marker
    oci_dir(sandbox / "img", [junk, cut])
    with open_tree(sandbox / "img", cache_dir=str(sandbox / "cache")) as t:
        assert probs(t) == [
            f"IMG: layer {short(cut)}: damaged after 1 entry (no end-of-archive marker at offset 1024: truncated); "
            "partial: the entries before are used",
            f"IMG: layer {short(junk)}: damaged after 1 entry (invalid header at offset 1024); partial: the entries "
            "before are used"]
        _good(t, str(sandbox / "cache"))
        assert t.listdir("/") == (("good",), None)
    assert os.listdir(sandbox / "cache" / "layers") == []


def test_hostile_manifest_naming_a_missing_layer(sandbox):
    one, two = layer(GOOD), layer(F("gone", b"g"))
    oci_dir(sandbox / "img", [one, two])
    os.remove(sandbox / "img" / "blobs" / "sha256" / sha(two)[7:])
    with open_tree(sandbox / "img") as t:
        assert probs(t) == [f"IMG: layer {short(two)}: not in the image (blobs/sha256/{sha(two)[7:]}); skipped"]
        _good(t)
    docker_legacy(sandbox / "img.tar", [one], layer_names=["nothere/layer.tar"])
    with tarfile.open(sandbox / "img.tar") as tf:
        members = [(m, tf.extractfile(m).read()) for m in tf if m.name != "nothere/layer.tar"]
    with tarfile.open(sandbox / "img.tar", "w") as tf:
        for m, data in members:
            tf.addfile(m, io.BytesIO(data))
    with open_tree(sandbox / "img.tar") as t:
        assert probs(t) == [f"IMG: layer {short(one)}: not in the image (nothere/layer.tar); skipped"]


def test_hostile_malformed_manifests_raise_malformed(sandbox):
    oci_dir(sandbox / "img", [layer(GOOD)])
    (sandbox / "img" / "index.json").write_text('{"manifests": [')
    with pytest.raises(Malformed, match=r"img: index.json: not JSON \(Expecting value"):
        open_container(str(sandbox / "img"))
    (sandbox / "img" / "index.json").write_text('{"manifests": 7}')
    with pytest.raises(Malformed, match="img: index.json: no list of manifests"):
        open_container(str(sandbox / "img"))
    with tarfile.open(sandbox / "img.tar", "w") as tf:
        ti = tarfile.TarInfo("manifest.json")
        ti.size = 5
        tf.addfile(ti, io.BytesIO(b"[{]}]"))
    with pytest.raises(Malformed, match="img.tar: manifest.json: not JSON"):
        open_container(str(sandbox / "img.tar"))


def test_hostile_oci_blob_symlink_out_of_the_layout_is_refused(sandbox):
    lay = layer(F("x", b"#!/x\n"))
    oci_dir(sandbox / "img", [layer(GOOD), lay])
    blob = sandbox / "img" / "blobs" / "sha256" / sha(lay)[7:]
    os.remove(blob)
    os.symlink("/etc/hostname", blob)
    with open_tree(sandbox / "img") as t:
        assert probs(t) == [f"IMG: layer {short(lay)}: blobs/sha256/{sha(lay)[7:]}: a symbolic link or not a "
                            "directory; not followed; skipped"]
        _good(t)


def test_hostile_image_tarball_with_a_symlink_loop_for_a_layer(sandbox):
    with tarfile.open(sandbox / "img.tar", "w") as tf:
        for name, data in [("good.tar", layer(GOOD)), ("manifest.json", json.dumps(
                [{"Layers": ["good.tar", "a/layer.tar", "../../sentinel/x"]}]).encode())]:
            ti = tarfile.TarInfo(name)
            ti.size = len(data)
            tf.addfile(ti, io.BytesIO(data))
        for name, target in [("a/layer.tar", "../b/layer.tar"), ("b/layer.tar", "../a/layer.tar")]:
            ti = tarfile.TarInfo(name)
            ti.type, ti.linkname = tarfile.SYMTYPE, target
            tf.addfile(ti)
    with open_tree(sandbox / "img.tar") as t:
        assert probs(t) == ["IMG: manifest.json names no Config; layer digests not checked",
                            "IMG: layer 2 (../../sentinel/x): not in the image (../../sentinel/x); skipped",
                            "IMG: layer 1 (a/layer.tar): too many links (a/layer.tar); skipped"]
        _good(t)


def test_hostile_ten_thousand_deep_directory(sandbox):
    deep = "/".join(["d"] * 10_000)
    _hostile(sandbox, F(deep + "/f", b"#!/deep\n"), L("short", deep))
    with open_tree(sandbox / "img") as t:
        assert t.problems == []
        assert t.read("/" + deep + "/f") == (b"#!/deep\n", None)
        assert t.read("/short/f") == (b"#!/deep\n", None)
        _good(t)


def test_hostile_too_many_entries(sandbox, monkeypatch):
    monkeypatch.setattr(container, "MAX_ENTRIES", 5)
    lay = _hostile(sandbox, *[F(f"f{i}", b"x") for i in range(10)])
    with open_tree(sandbox / "img") as t:
        assert probs(t) == [f"IMG: layer {short(lay)}: more than 5 entries in the image; the rest of this layer "
                            "is not read"]
        _good(t)
        assert t.listdir("/") == (("f0", "f1", "f2", "f3", "good"), None)


def _pax_sparse(name: str, regions: list[tuple[int, int]], realsize: int) -> bytes:
    """A PAX (GNU format 0.1) sparse member: the map in a pax header, the regions' data stored."""
    data = b"\x7fELF" + b"s" * (sum(n for _, n in regions) - 4)
    ti = tarfile.TarInfo(name)
    ti.size = len(data)
    ti.pax_headers = {"GNU.sparse.map": ",".join(f"{o},{n}" for o, n in regions),
                      "GNU.sparse.realsize": str(realsize), "GNU.sparse.name": name}
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tf:
        tf.addfile(GOOD_INFO(), io.BytesIO(b"#!/bin/sh\n"))
        tf.addfile(ti, io.BytesIO(data))
    return buf.getvalue()


def GOOD_INFO():
    ti = tarfile.TarInfo("good")
    ti.size = 10
    return ti


def test_hostile_sparse_member_with_a_large_map(sandbox):
    lay = _pax_sparse("sp", [(i * 8, 4) for i in range(5000)], 40_000)
    _hostile(sandbox, raw=lay)
    with open_tree(sandbox / "img") as t:
        assert probs(t) == [f"IMG: layer {short(lay)}: sp: a sparse file of 5000 regions (more than 4096); skipped"]
        _good(t)
        assert t.lstat("/sp") is None


def _gnu_sparse(name: str, regions: list[tuple[int, int]], realsize: int) -> bytes:
    """An old GNU format sparse member (type S): four regions in the header, 21 per extension block."""
    def octal(n, width):
        return b"%0*o\0" % (width - 1, n)

    def structs(rs):
        return b"".join(octal(o, 12) + octal(n, 12) for o, n in rs)

    data = b"s" * sum(n for _, n in regions)
    h = bytearray(512)
    h[0:len(name)] = name.encode()
    h[100:108], h[108:116], h[116:124] = octal(0o644, 8), octal(0, 8), octal(0, 8)
    h[124:136], h[136:148] = octal(len(data), 12), octal(0, 12)
    h[156:157], h[257:265] = b"S", b"ustar  \0"
    first, rest = regions[:4], regions[4:]
    h[386:386 + 24 * len(first)] = structs(first)
    h[482] = 1 if rest else 0
    h[483:495] = octal(realsize, 12)
    h[148:156] = b" " * 8
    h[148:156] = b"%06o\0 " % sum(h)
    blocks = [bytes(h)]
    while rest:
        chunk, rest = rest[:21], rest[21:]
        ext = bytearray(512)
        ext[0:24 * len(chunk)] = structs(chunk)
        ext[504] = 1 if rest else 0
        blocks.append(bytes(ext))
    pad = b"\0" * (-len(data) % 512)
    return layer(GOOD)[:1024] + b"".join(blocks) + data + pad + b"\0" * 1024


def test_hostile_old_gnu_sparse_member_with_a_large_map(sandbox):
    lay = _gnu_sparse("gs", [(i * 8, 4) for i in range(5000)], 40_000)
    _hostile(sandbox, raw=lay)
    with open_tree(sandbox / "img") as t:
        assert probs(t) == [f"IMG: layer {short(lay)}: gs: a sparse file of 5000 regions (more than 4096); skipped"]
        _good(t)
    small = _gnu_sparse("gs", [(0, 4), (100, 4)], 104)
    shutil.rmtree(sandbox / "img")
    _hostile(sandbox, raw=small)
    with open_tree(sandbox / "img", keep=lambda p, head: True) as t:
        assert t.problems == []
        assert t.read("/gs") == (b"ssss" + b"\0" * 96 + b"ssss", None)
        _good(t)


def test_hostile_sparse_member_bigger_than_the_size_bound(sandbox, monkeypatch):
    monkeypatch.setattr(container, "MAX_FILE", 1 << 20)
    lay = _pax_sparse("sp", [(0, 8), (1 << 40, 8)], (1 << 40) + 8)
    _hostile(sandbox, raw=lay)
    with open_tree(sandbox / "img") as t:
        assert probs(t) == [f"IMG: layer {short(lay)}: sp: 1099511627784 bytes, more than the 1048576 kept of a "
                            "file; content not kept"]
        _good(t)
        assert t.lstat("/sp").st_size == (1 << 40) + 8 and not t.kept("/sp")
        assert os.listdir(t._store) == [hashlib.sha256(b"#!/bin/sh\n").hexdigest()]


def test_hostile_decompression_bomb(sandbox, monkeypatch):
    monkeypatch.setattr(container, "MAX_LAYER_BYTES", 4 << 20)
    lay = gzip.compress(layer(GOOD, F("bomb", b"\0" * (16 << 20)), F("after", b"a")))
    assert len(lay) < 100_000
    _hostile(sandbox, raw=lay)
    with open_tree(sandbox / "img") as t:
        assert probs(t) == [f"IMG: layer {short(lay)}: decompresses to more than 4194304 bytes; read stopped there "
                            "(partial: 2 entries read)"]
        _good(t)
        assert t.lstat("/after") is None


def test_hostile_big_file_is_listed_not_kept(sandbox, monkeypatch):
    monkeypatch.setattr(container, "MAX_FILE", 1000)
    lay = _hostile(sandbox, F("huge", b"\x7fELF" + b"\0" * 5000))
    with open_tree(sandbox / "img") as t:
        assert probs(t) == [f"IMG: layer {short(lay)}: huge: 5004 bytes, more than the 1000 kept of a file; "
                            "content not kept"]
        assert t.lstat("/huge").st_size == 5004 and not t.kept("/huge")
        _good(t)


def test_hostile_names_that_are_not_utf8(sandbox):
    name = b"caf\xe9/x\xff".decode("utf-8", "surrogateescape")
    _hostile(sandbox, D(name.split("/")[0]), F(name, b"#!/z\n"))
    with open_tree(sandbox / "img") as t:
        assert t.problems == []
        assert t.listdir("/") == (("caf\udce9", "good"), None)
        assert t.read("/caf\udce9/x\udcff") == (b"#!/z\n", None)
        _good(t)


def test_hostile_names_that_are_not_utf8_through_the_cache(sandbox):
    name = b"x\xff".decode("utf-8", "surrogateescape")
    _hostile(sandbox, F(name, b"#!/z\n"))
    for from_cache in (False, True):
        with open_tree(sandbox / "img", cache_dir=str(sandbox / "cache")) as t:
            assert [x.from_cache for x in t.layers] == [from_cache]
            assert t.listdir("/") == (("good", "x\udcff"), None) and t.read("/x\udcff") == (b"#!/z\n", None)


def test_hostile_huge_extended_header_stops_the_layer(sandbox):
    lay = _hostile(sandbox, F("a" * (2 << 20), b"x"), F("after", b"a"))
    with open_tree(sandbox / "img") as t:
        assert probs(t) == [f"IMG: layer {short(lay)}: damaged after 1 entry (an extended header of 2097166 "
                            "bytes (more than 1048576)); partial: the entries before are used"]
        _good(t)
        assert t.listdir("/") == (("good",), None)


def test_a_hard_link_whose_target_an_upper_layer_hides_keeps_its_content(sandbox):
    elf = open("/bin/true", "rb").read()
    low = layer(F("t", elf, 0o755), H("u", "t"), H("v", "u"), F("other", b"o"))
    up = layer(F(".wh.t"))
    oci_dir(sandbox / "img", [low, up])
    cache = str(sandbox / "cache")
    for from_cache in (False, True):
        with open_tree(sandbox / "img", cache_dir=cache) as t:
            assert t.problems == [] and [x.from_cache for x in t.layers] == [from_cache, from_cache]
            u, v = t.lstat("/u"), t.lstat("/v")
            assert (u.st_size, u.st_nlink, v.st_nlink, u.st_ino == v.st_ino) == (len(elf), 2, 2, True)
            assert t.lstat("/t") is None and t.kept("/u") and t.kept("/v")
            _same_as_host(t, "/v", "/bin/true")


def test_hostile_names_show_escaped_in_problems(sandbox):
    lay = _hostile(sandbox, F(b"../\xff\n".decode("utf-8", "surrogateescape"), b"x"))
    with open_tree(sandbox / "img") as t:
        assert probs(t) == [f"IMG: layer {short(lay)}: ../\\xff\\n: a path that climbs out of the image; skipped"]


def test_zstd_layer_without_zstandard_is_reported(sandbox, monkeypatch):
    zs = _zstd().ZstdCompressor().compress(layer(F("z", b"z")))
    oci_dir(sandbox / "img", [layer(GOOD), zs])
    monkeypatch.setattr(container, "zstandard", None)
    with open_tree(sandbox / "img") as t:
        assert probs(t) == [f"IMG: layer {short(zs)}: zstd-compressed; pip install zstandard to read it"]
        _good(t)
        assert t.lstat("/z") is None


def test_a_directory_a_lower_layer_implied_outlives_an_upper_whiteout_of_its_content(sandbox):
    # Found by tests/test_properties.py: layer 1 holds only d1/d2/f (d1 and d1/d2 implied), layer 2
    # whites out d1/d2 and makes d3 opaque over a lower d3/f. A runtime made d1 and d3 unpacking
    # them; they stay, empty.
    low = layer(F("d1/d2/f", b"x"), F("d3/f", b"y"))
    top = layer(F("d1/.wh.d2"), F("d3/.wh..wh..opq"))
    docker_legacy(sandbox / "img.tar", [low, top])
    with open_tree(sandbox / "img.tar") as t:
        assert t.listdir("/") == (("d1", "d3"), None)
        assert t.listdir("/d1") == ((), None) and t.listdir("/d3") == ((), None)
        assert [p for p, _ in t.files()] == []
