"""Container images built in the tests (layers as tar bytes; docker save tarballs, legacy and Docker
25's; OCI layout directories and tars), written with tarfile and json alone, never with the code
under test."""
from __future__ import annotations

import hashlib
import io
import json
import os
import tarfile


def F(name, data=b"", mode=0o644, **kw):
    return ("f", name, data, mode, kw)


def D(name, mode=0o755):
    return ("d", name, None, mode, {})


def L(name, target):
    return ("l", name, target, 0o777, {})


def H(name, target):
    return ("h", name, target, 0o644, {})


def layer(*entries) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT, encoding="utf-8",
                      errors="surrogateescape") as tf:
        for kind, name, data, mode, kw in entries:
            ti = tarfile.TarInfo(name)
            ti.mode, ti.mtime, ti.uid, ti.gid = mode, 1_700_000_000, kw.get("uid", 0), kw.get("gid", 0)
            if kind == "f":
                ti.size = len(data)
                if "cap" in kw:
                    ti.pax_headers = {"SCHILY.xattr.security.capability": kw["cap"].decode("utf-8", "surrogateescape")}
                tf.addfile(ti, io.BytesIO(data))
                continue
            ti.type = {"d": tarfile.DIRTYPE, "l": tarfile.SYMTYPE, "h": tarfile.LNKTYPE, "p": tarfile.FIFOTYPE,
                       "c": tarfile.CHRTYPE}[kind]
            if kind in ("l", "h"):
                ti.linkname = data
            tf.addfile(ti)
    return buf.getvalue()


def sha(b: bytes) -> str:
    return "sha256:" + hashlib.sha256(b).hexdigest()


def oci_dir(path, layers, *, media=None, index=None, extra_manifests=(), config=None) -> str:
    """An OCI layout directory of one image (``layers``: blob bytes, bottom first)."""
    os.makedirs(os.path.join(path, "blobs", "sha256"))

    def put(b: bytes) -> str:
        d = sha(b)
        with open(os.path.join(path, "blobs", "sha256", d[7:]), "wb") as f:
            f.write(b)
        return d

    cfg = json.dumps(config or {"architecture": "amd64", "os": "linux",
                                "rootfs": {"type": "layers", "diff_ids": []}}).encode()
    descs = []
    for i, b in enumerate(layers):
        mt = (media or {}).get(i, "application/vnd.oci.image.layer.v1.tar")
        descs.append({"mediaType": mt, "digest": put(b), "size": len(b)})
    man = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                      "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": put(cfg),
                                 "size": len(cfg)}, "layers": descs}).encode()
    md = put(man)
    with open(os.path.join(path, "oci-layout"), "w") as f:
        f.write('{"imageLayoutVersion": "1.0.0"}')
    manifests = [{"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": md, "size": len(man)}]
    for m in extra_manifests:
        manifests.append(m)
    idx = index(manifests, put) if index else {"schemaVersion": 2, "manifests": manifests}
    with open(os.path.join(path, "index.json"), "w") as f:
        json.dump(idx, f)
    return md


def tar_dir(src, dst) -> None:
    with tarfile.open(dst, "w") as tf:
        for name in sorted(os.listdir(src)):
            tf.add(os.path.join(src, name), arcname=name)


def docker_legacy(path, layers, *, config_extra=None, layer_names=None) -> None:
    """A ``docker save`` tarball of Docker before 25: <id>/layer.tar, diff_ids in the config."""
    cfg = json.dumps({"architecture": "amd64", "os": "linux", **(config_extra or {}),
                      "rootfs": {"type": "layers", "diff_ids": [sha(b) for b in layers]}}).encode()
    cname = hashlib.sha256(cfg).hexdigest() + ".json"
    names = layer_names or [f"{hashlib.sha256(b'id%d' % i).hexdigest()}/layer.tar" for i in range(len(layers))]
    man = json.dumps([{"Config": cname, "RepoTags": ["box:1"], "Layers": names}]).encode()
    with tarfile.open(path, "w") as tf:
        for name, data in [(cname, cfg), *zip(names, layers), ("manifest.json", man)]:
            ti = tarfile.TarInfo(name)
            ti.size = len(data)
            tf.addfile(ti, io.BytesIO(data))


def docker25(path, layers) -> None:
    """A ``docker save`` tarball of Docker 25: blobs/sha256/<hex>, also an OCI layout, and the
    legacy <id>/layer.tar names as symlinks to the blobs."""
    cfg = json.dumps({"architecture": "amd64", "os": "linux",
                      "rootfs": {"type": "layers", "diff_ids": [sha(b) for b in layers]}}).encode()
    blobs = {sha(b)[7:]: b for b in [cfg, *layers]}
    names = [f"blobs/sha256/{sha(b)[7:]}" for b in layers]
    man = json.dumps([{"Config": f"blobs/sha256/{sha(cfg)[7:]}", "RepoTags": ["box:25"], "Layers": names}]).encode()
    with tarfile.open(path, "w") as tf:
        for hexd, data in blobs.items():
            ti = tarfile.TarInfo(f"blobs/sha256/{hexd}")
            ti.size = len(data)
            tf.addfile(ti, io.BytesIO(data))
        ti = tarfile.TarInfo("0123/layer.tar")
        ti.type, ti.linkname = tarfile.SYMTYPE, f"../{names[0]}"
        tf.addfile(ti)
        for name, data in [("oci-layout", b'{"imageLayoutVersion": "1.0.0"}'), ("index.json", b'{"manifests": []}'),
                           ("manifest.json", man)]:
            ti = tarfile.TarInfo(name)
            ti.size = len(data)
            tf.addfile(ti, io.BytesIO(data))


def dir_layer(root: str, add: dict[str, str] | None = None, whiteouts: tuple[str, ...] = ()) -> bytes:
    """A layer of the directory ``root`` as a runtime's tar would hold it (names relative, symlinks
    as links, hard links as links), or with ``root`` None only ``add`` (inner path: host file) and
    ``whiteouts`` (inner paths deleted from the layers below)."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tf:
        if root is not None:
            for name in sorted(os.listdir(root)):
                tf.add(os.path.join(root, name), arcname=name)
        for inner, host in sorted((add or {}).items()):
            tf.add(host, arcname=inner.lstrip("/"))
        for inner in whiteouts:
            d, base = os.path.split(inner.lstrip("/"))
            ti = tarfile.TarInfo(os.path.join(d, ".wh." + base))
            tf.addfile(ti)
    return buf.getvalue()
