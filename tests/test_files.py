"""linkscope.files: the tree every command reads through (confinement, lstat/readlink, opening,
capabilities), and inspect/explain reading a sysroot through it."""
from __future__ import annotations

import json
import os
import shutil
import stat
import struct

import pytest

import buildkit
from linkscope import cli
from linkscope.errors import InputError
from linkscope.files import HostFiles, open_host
from linkscope.inspector import inspect


def _tree(tmp_path):
    root = tmp_path / "root"
    (root / "usr/bin").mkdir(parents=True)
    (root / "etc").mkdir()
    shutil.copy(buildkit.get("gcc-dynamic"), root / "usr/bin/prog")
    os.symlink("/usr/bin/prog", root / "usr/bin/alias")                  # absolute: taken inside the root
    os.symlink(str(buildkit.get("gcc-dynamic")), root / "usr/bin/escape")  # a host path: not inside
    os.symlink("usr/bin", root / "bin")
    (root / "etc/conf").write_text("x\n")
    return root


def test_lstat_and_readlink_see_the_link_itself(tmp_path):
    fs = HostFiles(str(_tree(tmp_path)))
    st = fs.lstat("/bin/alias")                  # /bin is a link to usr/bin: the directory is followed
    assert st is not None and stat.S_ISLNK(st.st_mode)
    assert fs.readlink("/bin/alias") == "/usr/bin/prog"
    assert fs.readlink("/usr/bin/prog") is None  # not a link
    assert stat.S_ISREG(fs.lstat("/usr/bin/prog").st_mode)
    assert stat.S_ISLNK(fs.lstat("/bin").st_mode)
    assert stat.S_ISDIR(fs.lstat("/").st_mode)
    assert fs.lstat("/usr/bin/missing") is None and fs.readlink("/nowhere/x") is None
    assert fs.lstat("/etc/conf/x") is None       # below a regular file


def test_inspect_inside_a_tree_follows_links_inside_it(tmp_path):
    root = _tree(tmp_path)
    fs = HostFiles(str(root))
    inside = inspect("/bin/alias", files=fs)
    host = inspect(root / "usr/bin/prog")
    assert inside.error is None and inside.path == "/bin/alias"
    assert (inside.format, inside.linkage, inside.needed, inside.interpreter, inside.size) == \
           (host.format, host.linkage, host.needed, host.interpreter, host.size)
    assert inside.format == "elf" and inside.needed == ("libc.so.6",)
    out = inspect("/usr/bin/escape", files=fs)
    assert out.error is not None and out.error.kind == "input"
    assert "points outside the root" in out.error.message and str(root.resolve()) in out.error.message
    missing = inspect("/usr/bin/none", files=fs)
    assert missing.error.message == "no such file"


def test_a_fifo_is_never_opened_for_reading(tmp_path):
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    with pytest.raises(InputError, match="not a regular file"):
        open_host(str(fifo))                    # O_NONBLOCK: returns at once, then refused by fstat
    fs = HostFiles(str(tmp_path))
    with pytest.raises(InputError, match="not a regular file"):
        fs.open("/fifo")
    assert fs.read("/fifo") == (None, "/fifo: not a regular file")
    rec = inspect(fifo)
    assert rec.error.message == "not a regular file (a fifo): not read"


def test_open_refuses_a_symlink_at_a_canonical_path(tmp_path):
    """``open`` takes ``Resolved.real``; a link there (swapped in after resolution) is not followed."""
    root = _tree(tmp_path)
    with pytest.raises(InputError):
        HostFiles(str(root)).open("/usr/bin/alias")


def test_capabilities_are_read_inside_the_tree(tmp_path):
    root = _tree(tmp_path)
    raw = struct.pack("<IIIII", 0x02000001, 1 << 13, 0, 0, 0)      # cap_net_raw, effective
    try:
        os.setxattr(root / "usr/bin/prog", "security.capability", raw)
    except OSError as e:
        pytest.skip(f"cannot set security.capability here: {e}")
    fs = HostFiles(str(root))
    assert fs.capabilities("/usr/bin/prog") == raw
    assert fs.capabilities("/etc/conf") is None
    rec = inspect("/bin/alias", files=fs)
    f = next(f for f in rec.findings if f.id == "preload.secure-exec")
    assert f.evidence == ("file capabilities cap_net_raw (effective) (security.capability)",)


def test_world_writable_rpath_is_judged_inside_the_root(capsys, tmp_path):
    """explain --root resolves RPATH directories inside the root: a link that names a host directory
    does not make the image's directory world-writable, a link within the root is followed."""
    prog = buildkit.build(buildkit.Spec("ex-gcc-rpath-opt", "gcc", "cprog", ("-O1", "-Wl,-rpath,/opt/lib")))
    outside = tmp_path / "host-shared"
    outside.mkdir()
    os.chmod(outside, 0o777)
    escaping = tmp_path / "escaping"
    (escaping / "opt").mkdir(parents=True)
    os.symlink(str(outside), escaping / "opt/lib")
    inside = tmp_path / "inside"
    (inside / "opt").mkdir(parents=True)
    (inside / "srv/shared").mkdir(parents=True)
    os.chmod(inside / "srv/shared", 0o777)
    os.symlink("../srv/shared", inside / "opt/lib")

    def rpath_finding(root):
        assert cli.main(["explain", "--json", "--root", str(root), str(prog)]) == 0
        r = json.loads(capsys.readouterr().out)["results"][0]
        return r["hardening"]["rpath"], [f["evidence"] for f in r["findings"] if f["id"] == "hardening.rpath"]

    level, found = rpath_finding(escaping)
    assert found == [] and level != "risky"
    level, found = rpath_finding(inside)
    assert level == "risky"
    assert found == [[f"DT_RUNPATH entry '/opt/lib' is a world-writable directory (0o777) under {inside.resolve()}"]]
