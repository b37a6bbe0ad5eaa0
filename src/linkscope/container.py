"""A container image's final file system as a read-only ``Files`` tree, read without unpacking it.

Inputs, told apart by content: a ``docker save`` tarball (``manifest.json``; layers as legacy
``<id>/layer.tar`` or, from Docker 25 on, ``blobs/sha256/<hex>``) and an OCI image layout
(``oci-layout`` + ``index.json``), as a directory or a tar of one. Layers are plain, gzip or zstd tar
streams (told by their magic bytes), each read once, as a stream, never into memory.

The layers are applied as a runtime applies them (bottom to top, OCI/AUFS whiteouts honoured), but
read top-down: what an upper layer decided (a path, a whiteout, an opaque directory) is known before
a lower layer is read, so no content of a shadowed file is ever extracted. The only content kept is
what ``keep(inner_path, head)`` asks for (by default binaries, scripts and the loader's
configuration), in a content-addressed store the tree owns; everything else is metadata from the tar
headers. Hostile input (paths climbing out, links out, bombs, huge or damaged layers) is reported in
``problems``, naming the image, the layer and the entry, and skipped; reading goes on.

With a ``cache_dir``, what was learnt from a layer is kept under its digest (an entry table, its
kept contents in ``cache_dir/blobs``), so an image sharing that layer does not read it again.
"""
from __future__ import annotations

import errno
import gzip
import hashlib
import json
import os
import platform as _platform
import re
import shutil
import stat
import tarfile
import tempfile
import weakref
import zlib

from .errors import InputError, Malformed
from .files import MAX_SYMLINKS, MAX_XATTR, Files, OpenFile, dirname
from .record import record
from .sniff import COFF, ELF, MACHO, PE, SCRIPT, UNIVERSAL, WASM, sniff

try:
    import zstandard
except ImportError:             # the optional extra "images"
    zstandard = None

# Bounds on what one image may make linkscope do (module constants, so tests can lower them).
MAX_FILE = 4 << 30             # a kept file's size
MAX_LAYER_BYTES = 64 << 30     # bytes decompressed per layer
MAX_ENTRIES = 1_000_000        # tar entries per image
MAX_HEADER = 1 << 20           # a pax or GNU long-name header's size
MAX_SPARSE = 4096              # regions of a sparse member's map
MAX_JSON = 16 << 20            # a manifest, index or config
MAX_OUTER = 200_000            # members of the image tarball itself
MAX_TABLE = 512 << 20          # a cached layer table
HEAD = 64                      # the bytes ``keep`` judges a file by

TABLE_VERSION = 1
_O_READ = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
_O_NEW = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
_DIGEST = re.compile(r"(sha256:[0-9a-f]{64}|sha512:[0-9a-f]{128})\Z")
_HEX64 = re.compile(r"[0-9a-f]{64}\Z")
_INDEX_TYPES = ("application/vnd.oci.image.index.v1+json",
                "application/vnd.docker.distribution.manifest.list.v2+json")
_ARCH = {"x86_64": "amd64", "amd64": "amd64", "aarch64": "arm64", "arm64": "arm64", "i686": "386",
         "i386": "386", "armv7l": "arm", "ppc64le": "ppc64le", "s390x": "s390x", "riscv64": "riscv64"}
_BINARY = frozenset({ELF, MACHO, UNIVERSAL, PE, WASM, COFF, SCRIPT})
_LOADER_FILES = frozenset({"/etc/ld.so.conf", "/etc/ld.so.cache", "/etc/ld.so.preload"})
_MODE = {"-": stat.S_IFREG, "h": stat.S_IFREG, "d": stat.S_IFDIR, "l": stat.S_IFLNK, "c": stat.S_IFCHR,
         "b": stat.S_IFBLK, "p": stat.S_IFIFO}


def default_keep(path: str, head: bytes) -> bool:
    """Keep what linkscope reads of a file's content: binaries, scripts (their interpreter line)
    and the dynamic loader's configuration."""
    if sniff(head) in _BINARY:
        return True
    if path in _LOADER_FILES:
        return True
    if path.startswith("/etc/ld.so.conf.d/") and "/" not in path[18:]:
        return True
    return path.startswith("/etc/ld-musl-") and path.endswith(".path") and path.count("/") == 2


@record
class Layer:
    """One layer of the image, bottom first; ``digest`` is None when the image does not say it."""

    index: int
    digest: str | None
    media_type: str
    size: int
    from_cache: bool


class _TooBig(Exception):
    """A layer decompresses to more than MAX_LAYER_BYTES."""


class _Missing(Exception):
    """A file the manifest names is not in the image."""


class _Entry:
    """One tar entry of a layer (the table a cache keeps): ``kind`` is "-", "h" (a hard link to
    ``link``, sharing its content), "d", "l", "c", "b" or "p"; ``mode`` the permission bits."""

    __slots__ = ("path", "kind", "mode", "size", "uid", "gid", "mtime", "link", "hash", "head", "cap")

    def __init__(self, path, kind, mode, size, uid, gid, mtime, link=None, hash=None, head=b"", cap=None):
        self.path, self.kind, self.mode, self.size = path, kind, mode, size
        self.uid, self.gid, self.mtime, self.link = uid, gid, mtime, link
        self.hash, self.head, self.cap = hash, head, cap

    def row(self) -> list:
        return [self.path, self.kind, self.mode, self.size, self.uid, self.gid, self.mtime, self.link,
                self.hash, self.head.hex(), self.cap.hex() if self.cap is not None else None]

    @classmethod
    def from_row(cls, row) -> "_Entry":
        path, kind, mode, size, uid, gid, mtime, link, h, head, cap = row
        ok = (isinstance(path, str) and _norm(path[1:])[0] == path and path != "/" and kind in _MODE
              and all(isinstance(v, int) and v >= 0 for v in (mode, size, uid, gid, mtime))
              and (link is None or isinstance(link, str)) and (h is None or _HEX64.match(h)))
        if not ok:
            raise ValueError("bad entry")
        return cls(path, kind, mode, size, uid, gid, mtime, link, h, bytes.fromhex(head)[:HEAD],
                   bytes.fromhex(cap)[:MAX_XATTR] if cap is not None else None)


class _Table:
    """What one layer holds, in tar order, and what reading it found wrong."""

    __slots__ = ("entries", "whiteouts", "opaque", "problems", "media_type")

    def __init__(self, media_type=""):
        self.entries: list[_Entry] = []
        self.whiteouts: list[str] = []
        self.opaque: list[str] = []
        self.problems: list[str] = []      # "entry: what", without the image and layer
        self.media_type = media_type


class _Node:
    """A path of the final tree."""

    __slots__ = ("kind", "mode", "size", "uid", "gid", "mtime", "link", "hash", "cap", "layer", "ino",
                 "nlink", "implied")

    def __init__(self, e: _Entry | None, layer: int, ino: int):
        self.layer, self.ino, self.nlink, self.implied = layer, ino, 1, e is None
        if e is None:
            e = _Entry("", "d", 0o755, 0, 0, 0, 0)
        self.fill(e)

    def fill(self, e: _Entry) -> None:
        self.kind, self.mode, self.size = e.kind, e.mode, e.size
        self.uid, self.gid, self.mtime, self.link, self.hash, self.cap = e.uid, e.gid, e.mtime, e.link, e.hash, e.cap


@record
class _Spec:
    """Where a layer is and how to check it: ``verify`` "raw" (the digest is of the blob as
    stored), "tar" (of the uncompressed tar: a diff_id) or None."""

    index: int
    digest: str | None
    media_type: str
    size: int
    where: str                 # its path inside the image
    verify: str | None


def _norm(name: str) -> tuple[str | None, str | None]:
    """(canonical inner path, None), or (None, why it is refused)."""
    if "\0" in name:
        return None, "a name with a NUL byte; skipped"
    if name.startswith("/"):
        return None, "an absolute path; skipped"
    parts: list[str] = []
    for c in name.split("/"):
        if c in ("", "."):
            continue
        if c == "..":
            if not parts:
                return None, "a path that climbs out of the image; skipped"
            parts.pop()
        else:
            parts.append(c)
    return "/" + "/".join(parts), None


def _climbs(parent: str, target: str) -> bool:
    """Whether a relative symlink target climbs above the root from directory ``parent``."""
    depth = parent.count("/") if parent != "/" else 0
    for c in target.split("/"):
        if c == "..":
            depth -= 1
            if depth < 0:
                return True
        elif c not in ("", "."):
            depth += 1
    return False


def _show(s: str, limit: int = 160) -> str:
    """A name as a message shows it: undecodable bytes and control characters escaped, cut short."""
    t = s.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    if not t.isprintable():
        t = "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii") for c in t)
    return t if len(t) <= limit else t[:limit] + "..."


class _TarInfo(tarfile.TarInfo):
    """Refuses an extended header bigger than MAX_HEADER before tarfile reads it into memory, and
    says when a header after the first is damaged or missing (tarfile ends the archive there,
    silently, as if it had ended)."""

    @classmethod
    def fromtarfile(cls, tf):
        try:
            return super().fromtarfile(tf)
        except (tarfile.EmptyHeaderError, tarfile.InvalidHeaderError, tarfile.TruncatedHeaderError) as e:
            if not tf.offset:
                raise                 # the first header: tarfile says "not a tar" itself
            if isinstance(e, tarfile.EmptyHeaderError):
                raise tarfile.ReadError(f"no end-of-archive marker at offset {tf.offset}: truncated") from None
            raise tarfile.ReadError(f"{e} at offset {tf.offset}") from None

    def _proc_member(self, tf):
        if self.type in (tarfile.XHDTYPE, tarfile.XGLTYPE, tarfile.SOLARIS_XHDTYPE, tarfile.GNUTYPE_LONGNAME,
                         tarfile.GNUTYPE_LONGLINK) and self.size > MAX_HEADER:
            raise tarfile.ReadError(f"an extended header of {self.size} bytes (more than {MAX_HEADER})")
        return super()._proc_member(tf)


class _Reader:
    """A read-only stream that counts (and refuses more than ``limit`` bytes) and may hash what
    passes; ``peek`` looks at the first bytes without consuming them."""

    def __init__(self, f, limit: int | None = None, algo: str | None = None):
        self._f, self._limit, self.count = f, limit, 0
        self.hash = hashlib.new(algo) if algo else None
        self._back = b""

    def peek(self, n: int) -> bytes:
        if len(self._back) < n:
            self._back += self._raw(n - len(self._back))
        return self._back[:n]

    def _raw(self, n: int) -> bytes:
        b = self._f.read(n)
        if b and self.hash is not None:
            self.hash.update(b)
        return b

    def read(self, n: int = -1) -> bytes:
        if n is None or n < 0:
            n = 1 << 20
        if self._back:
            b, self._back = self._back[:n], self._back[n:]
        else:
            b = self._raw(n)
        self.count += len(b)
        if self._limit is not None and self.count > self._limit:
            raise _TooBig()
        return b

    def drain(self) -> None:
        while self.read(1 << 20):
            pass


class _Vis:
    """Whether an entry of the layer being read survives what the upper layers decided: its
    directory chain is open (no whiteout, opaque marker or non-directory above it) and nothing
    decided its own path. ``own``: the layer's entries, whose non-directories close their paths."""

    def __init__(self, decided: dict, gone: set, opaque: set, own: dict | None):
        self.decided, self.gone, self.opaque, self.own = decided, gone, opaque, own
        self.memo: dict[str, bool] = {"/": "/" not in opaque}

    def open(self, d: str) -> bool:
        memo, chain = self.memo, []
        while d not in memo:                   # iterative: a 10,000-deep directory is fine
            chain.append(d)
            d = dirname(d)
        ok = memo[d]
        for y in reversed(chain):
            if ok:
                n = self.decided.get(y)
                e = self.own.get(y) if self.own is not None else None
                ok = (y not in self.gone and y not in self.opaque and (n is None or n.kind == "d")
                      and (e is None or e.kind == "d"))
            memo[y] = ok
        return ok

    def new(self, path: str) -> bool:
        return path not in self.gone and path not in self.decided and self.open(dirname(path))


def _host_platform() -> str:
    m = _platform.machine().lower()
    return f"linux/{_ARCH.get(m, m)}"


def _plat(p) -> str:
    if not isinstance(p, dict):
        return "unknown"
    s = f"{p.get('os', '?')}/{p.get('architecture', '?')}"
    return s + f"/{p['variant']}" if p.get("variant") else s


class ContainerTree(Files):
    """An image's final file system. ``root`` is the image path as given, ``layers`` its layers
    (bottom first), ``problems`` what was wrong with it, one line each."""

    def __init__(self, path: str, *, cache_dir: str | None, platform: str | None, keep):
        super().__init__()
        self.root = path
        self.layers: tuple[Layer, ...] = ()
        self.problems: list[str] = []
        self.config: dict | None = None
        self._keep, self._platform = keep, platform or _host_platform()
        self._nodes: dict[str, _Node] = {}
        self._children: dict[str, list[str]] = {}
        self._root_node = _Node(None, -1, 1)
        self._digests: list[str | None] = []
        self._src = None
        self._entries = 0
        self._layers_dir = None
        self._own_store = cache_dir is None
        if cache_dir is None:
            self._store = tempfile.mkdtemp(prefix="linkscope-image-")
            # removed by close(), or when the tree is collected unclosed
            self._remove = weakref.finalize(self, shutil.rmtree, self._store, True)
        else:
            self._store = os.path.join(cache_dir, "blobs")
            self._layers_dir = os.path.join(cache_dir, "layers")
            try:
                os.makedirs(self._store, exist_ok=True)
                os.makedirs(self._layers_dir, exist_ok=True)
            except OSError as e:
                raise InputError(f"{cache_dir}: cannot use as a cache: {e.strerror or e}", path=cache_dir) from None
        self._store_fd = os.open(self._store, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | getattr(os, "O_CLOEXEC", 0))

    # -- the Files primitives ------------------------------------------------------------------------
    def _node(self, real: str) -> _Node:
        n = self._root_node if real == "/" else self._nodes.get(real)
        if n is None:
            raise OSError(errno.ENOENT, "no such file")
        return n

    def _lstat_raw(self, real: str) -> os.stat_result:
        n = self._node(real)
        ns = n.mtime * 1_000_000_000
        t = float(n.mtime)
        return os.stat_result((_MODE[n.kind] | n.mode, n.ino, 0, n.nlink, n.uid, n.gid, n.size, n.mtime,
                               n.mtime, n.mtime),
                              {"st_atime": t, "st_mtime": t, "st_ctime": t, "st_atime_ns": ns,
                               "st_mtime_ns": ns, "st_ctime_ns": ns})

    def _readlink_raw(self, real: str) -> str:
        n = self._node(real)
        if n.kind != "l":
            raise OSError(errno.EINVAL, "not a symbolic link")
        return n.link

    def _listdir_raw(self, real: str) -> list[str]:
        if self._node(real).kind != "d":
            raise OSError(errno.ENOTDIR, "not a directory")
        return list(self._children.get(real, ()))

    def _open_raw(self, real: str) -> OpenFile:
        n = self._node(real)
        if n.kind not in ("-", "h"):
            raise OSError(errno.EINVAL, "not a regular file: not read")
        if n.hash is None:
            raise OSError(errno.ENODATA, "its content was not kept from the image")
        return OpenFile(os.open(n.hash, _O_READ, dir_fd=self._store_fd), f"{self.root}:{real}")

    def _xattr_raw(self, real: str, name: str) -> bytes | None:
        n = self._node(real)
        return n.cap if name == "security.capability" else None

    # -- the rest of the API -------------------------------------------------------------------------
    def layer_of(self, real: str) -> str | None:
        """The digest of the layer a final path came from (None for the root and unknown digests)."""
        n = self._nodes.get(real)
        return self._digests[n.layer] if n is not None and n.layer >= 0 else None

    def files(self):
        """(inner path, stat) of every final regular file, in path order; hard links once."""
        seen = set()
        for p in sorted(self._nodes):
            n = self._nodes[p]
            if n.kind in ("-", "h") and n.ino not in seen:
                seen.add(n.ino)
                yield p, self._lstat_raw(p)

    def content_digest(self, real: str) -> str | None:
        """The sha256 (hex) of a kept file's content: its name in the store."""
        n = self._nodes.get(real)
        return None if n is None else n.hash

    def kept(self, real: str) -> bool:
        n = self._nodes.get(real)
        return n is not None and n.hash is not None

    def close(self) -> None:
        if self._store_fd is not None:
            os.close(self._store_fd)
            self._store_fd = None
            if self._own_store:
                self._remove()

    def __enter__(self) -> "ContainerTree":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- reading the image ---------------------------------------------------------------------------
    def _say(self, spec: _Spec | None, what: str) -> None:
        if spec is None:
            self.problems.append(f"{self.root}: {what}")
        else:
            layer = f"{spec.digest[:19]}.." if spec.digest else f"{spec.index} ({_show(spec.where)})"
            self.problems.append(f"{self.root}: layer {layer}: {what}")

    def _load(self) -> None:
        self._src = _open_source(self.root)
        try:
            self._read_layers()
        finally:                      # every layer is read now: the image itself is not needed again
            self._src.close()
            self._src = None

    def _read_layers(self) -> None:
        specs = self._docker(self._src) if self._src.has("manifest.json") else self._oci(self._src)
        self._digests = [s.digest for s in specs]
        decided: dict[str, _Node] = {}
        gone: set[str] = set()
        opaque: set[str] = set()
        layers = []
        for spec in reversed(specs):
            table, from_cache = self._layer(spec, decided, gone, opaque)
            layers.append(Layer(spec.index, spec.digest, table.media_type if table else spec.media_type,
                                spec.size, from_cache))
            if table is not None:
                self._apply(spec, table, decided, gone, opaque)
        self.layers = tuple(reversed(layers))
        self._nodes = decided
        counts: dict[int, int] = {}
        for p, n in decided.items():
            self._children.setdefault(dirname(p), []).append(p[p.rfind("/") + 1:])
            if n.kind in ("-", "h"):
                counts[n.ino] = counts.get(n.ino, 0) + 1
        for n in decided.values():
            n.nlink = counts.get(n.ino, 1) if n.kind in ("-", "h") else (2 if n.kind == "d" else 1)

    def _docker(self, src) -> list[_Spec]:
        man = src.json("manifest.json")
        if not isinstance(man, list) or not man or not all(isinstance(m, dict) for m in man):
            raise Malformed(f"{self.root}: manifest.json is not a list of images", path=self.root)
        m = man[0]
        if len(man) > 1:
            self._say(None, f"manifest.json holds {len(man)} images; read the first ({_tags(m)}), "
                            f"not {', '.join(_tags(o) for o in man[1:])}")
        layers = m.get("Layers")
        if not isinstance(layers, list) or not all(isinstance(x, str) for x in layers):
            raise Malformed(f"{self.root}: manifest.json: the image has no list of Layers", path=self.root)
        diff_ids = None
        if not isinstance(m.get("Config"), str):
            self._say(None, "manifest.json names no Config; layer digests not checked")
        else:
            try:
                cfg = src.json(m["Config"])
            except Malformed as e:
                self._say(None, f"{e.message.removeprefix(self.root + ': ')}; layer digests not checked")
            else:
                self.config = cfg if isinstance(cfg, dict) else None
                rootfs = cfg.get("rootfs") if isinstance(cfg, dict) else None
                diff_ids = rootfs.get("diff_ids") if isinstance(rootfs, dict) else None
                if not isinstance(diff_ids, list) or len(diff_ids) != len(layers):
                    self._say(None, f"{_show(m['Config'])}: no rootfs.diff_ids for its {len(layers)} layers; "
                                    "layer digests not checked")
                    diff_ids = None
        specs = []
        for i, where in enumerate(layers):
            blob = re.fullmatch(r"(?:\./)?blobs/(sha256|sha512)/([0-9a-f]+)", where)
            if blob and _DIGEST.match(f"{blob[1]}:{blob[2]}"):
                digest, verify = f"{blob[1]}:{blob[2]}", "raw"
                mt = ""                           # told by its magic bytes
            else:
                d = diff_ids[i] if diff_ids is not None else None
                digest, verify = (d, "tar") if isinstance(d, str) and _DIGEST.match(d) else (None, None)
                mt = "application/vnd.docker.image.rootfs.diff.tar"
            specs.append(_Spec(i, digest, mt, src.size(where), where, verify))
        return specs

    def _oci(self, src) -> list[_Spec]:
        if not (src.has("oci-layout") and src.has("index.json")):
            raise InputError(f"{self.root}: not a container image (no manifest.json, no oci-layout and "
                             "index.json)", path=self.root)
        desc = self._pick(src, src.json("index.json"))
        man = self._blob_json(desc["digest"])
        if not isinstance(man, dict) or not isinstance(man.get("layers"), list):
            raise Malformed(f"{self.root}: manifest {desc['digest']}: no list of layers", path=self.root)
        cfg = man.get("config")
        if isinstance(cfg, dict) and isinstance(cfg.get("digest"), str) and _DIGEST.match(cfg["digest"]):
            try:
                c = self._blob_json(cfg["digest"])
                self.config = c if isinstance(c, dict) else None
            except Malformed as e:
                self._say(None, e.message.removeprefix(self.root + ": "))
        specs = []
        for i, d in enumerate(man["layers"]):
            digest = d.get("digest") if isinstance(d, dict) else None
            if not isinstance(digest, str) or not _DIGEST.match(digest):
                self._say(None, f"layer {i}: {_show(str(digest))}: not a sha256 or sha512 digest; skipped")
                continue
            mt = d.get("mediaType") if isinstance(d.get("mediaType"), str) else ""
            size = d.get("size") if isinstance(d.get("size"), int) else src.size(_blob_path(digest))
            specs.append(_Spec(i, digest, mt, size, _blob_path(digest), "raw"))
        return specs

    def _blob_json(self, digest: str):
        """A JSON blob of an OCI layout (index, manifest, config), its digest checked."""
        data = _small(self._src, _blob_path(digest))
        algo, want = digest.split(":")
        if hashlib.new(algo, data).hexdigest() != want:
            self._say(None, f"{_blob_path(digest)}: digest mismatch: its content is {algo}:"
                            f"{hashlib.new(algo, data).hexdigest()}")
        return _parse(self._src, _blob_path(digest), data)

    def _pick(self, src, index) -> dict:
        """The image manifest's descriptor for the platform, through nested indexes."""
        todo, found, hops = [(index, "index.json")], [], 0
        while todo:
            idx, name = todo.pop(0)
            ms = idx.get("manifests") if isinstance(idx, dict) else None
            if not isinstance(ms, list):
                raise Malformed(f"{self.root}: {name}: no list of manifests", path=self.root)
            for d in ms:
                if not isinstance(d, dict) or not isinstance(d.get("digest"), str) or not _DIGEST.match(d["digest"]):
                    self._say(None, f"{name}: a manifest descriptor without a valid digest; skipped")
                    continue
                if d.get("mediaType") in _INDEX_TYPES:
                    hops += 1
                    if hops > 16:
                        raise Malformed(f"{self.root}: more than 16 image indexes", path=self.root)
                    todo.append((self._blob_json(d["digest"]), d["digest"]))
                    continue
                ann = d.get("annotations")
                if isinstance(ann, dict) and ann.get("vnd.docker.reference.type") == "attestation-manifest":
                    continue
                found.append(d)
        if not found:
            raise Malformed(f"{self.root}: the index names no image manifest", path=self.root)
        want = self._platform.split("/")
        match = [d for d in found if _plat(d.get("platform")).split("/")[:len(want)] == want]
        if match:
            if len(match) > 1:
                self._say(None, f"{len(match)} manifests for {self._platform}; read the first ({match[0]['digest']}), "
                                f"not {', '.join(d['digest'] for d in match[1:])}")
            return match[0]
        if len(found) > 1:
            self._say(None, f"no manifest for {self._platform}; read the first ({_plat(found[0].get('platform'))}), "
                            f"not {', '.join(_plat(d.get('platform')) for d in found[1:])}")
        return found[0]

    def _layer(self, spec: _Spec, decided, gone, opaque) -> tuple[_Table | None, bool]:
        """The layer's table, from the cache when it holds everything this image needs of it."""
        old = self._cached(spec)
        force: frozenset[str] = frozenset()
        if old is not None and self._entries + len(old.entries) <= MAX_ENTRIES:
            force = self._missing(old, decided, gone, opaque)
            if not force:
                self._entries += len(old.entries)
                for p in old.problems:
                    self._say(spec, p)
                return old, True
        vis, before = _Vis(decided, gone, opaque, None), self._entries
        table, complete = self._read(spec, vis, force)
        if table is not None and complete:
            # A final hard link whose target an upper layer hides: the content went by with the
            # target, unextracted. Read the layer once more, extracting those targets.
            more = self._missing(table, decided, gone, opaque, ("h",)) - force
            if more:
                self._entries = before
                table, complete = self._read(spec, vis, force | more)
        if table is not None:
            for p in table.problems:
                self._say(spec, p)
            if complete and self._layers_dir is not None and spec.digest:
                self._write_table(spec, table, old)
        return table, False

    def _missing(self, table: _Table, decided, gone, opaque, kinds=("-", "h")) -> frozenset[str]:
        """The files of a layer whose content this image needs and the store lacks: the final
        regular files ``keep`` asks for, and the targets of such hard links."""
        vis = _Vis(decided, gone, opaque, {e.path: e for e in table.entries})
        return frozenset(e.link if e.kind == "h" else e.path for e in table.entries
                         if e.kind in kinds and e.size <= MAX_FILE and vis.new(e.path)
                         and self._keep(e.path, e.head) and (e.hash is None or not _exists(self._store_fd, e.hash)))

    def _cached(self, spec: _Spec) -> _Table | None:
        if self._layers_dir is None or not spec.digest:
            return None
        try:
            with open(os.path.join(self._layers_dir, spec.digest.replace(":", "-") + ".json"), "rb") as f:
                raw = json.loads(f.read(MAX_TABLE + 1))
            if raw.get("version") != TABLE_VERSION or raw.get("digest") != spec.digest:
                return None
            t = _Table(str(raw["media_type"]))
            t.entries = [_Entry.from_row(r) for r in raw["entries"]]
            for key in ("whiteouts", "opaque", "problems"):
                v = raw[key]
                if not all(isinstance(x, str) for x in v):
                    return None
                setattr(t, key, list(v))
            if any(_norm(p[1:])[0] != p for p in t.whiteouts + t.opaque):
                return None
            return t
        except (OSError, ValueError, TypeError, KeyError, AttributeError, RecursionError):
            return None

    def _write_table(self, spec: _Spec, table: _Table, old: _Table | None) -> None:
        if old is not None and len(old.entries) == len(table.entries):
            for e, o in zip(table.entries, old.entries):    # content kept for another image stays known
                if e.hash is None and o.hash is not None and o.path == e.path and o.size == e.size:
                    e.hash = o.hash
        data = json.dumps({"version": TABLE_VERSION, "digest": spec.digest, "media_type": table.media_type,
                           "entries": [e.row() for e in table.entries], "whiteouts": table.whiteouts,
                           "opaque": table.opaque, "problems": table.problems}, separators=(",", ":"))
        tmp = None
        try:
            fd, tmp = tempfile.mkstemp(dir=self._layers_dir, prefix=".tmp-")
            with os.fdopen(fd, "w") as f:
                f.write(data)
            os.replace(tmp, os.path.join(self._layers_dir, spec.digest.replace(":", "-") + ".json"))
        except OSError as e:
            self._say(spec, f"cannot write its cache table: {e.strerror or e}")
            if tmp is not None and os.path.exists(tmp):
                os.unlink(tmp)

    def _read(self, spec: _Spec, vis: _Vis, force: frozenset[str]) -> tuple[_Table | None, bool]:
        """Read one layer stream: (its table, whether it was read whole and its digest checked).
        The content of a file is kept when it is final and ``keep`` asks for it, or it is in ``force``."""
        try:
            f = self._src.open(spec.where)
        except _Missing as e:
            self._say(spec, f"{_why(e)}; skipped")
            return None, False
        algo = spec.digest.split(":")[0] if spec.digest and spec.verify else None
        with f:
            raw = _Reader(f, algo=algo if spec.verify == "raw" else None)
            try:
                magic = raw.peek(4)
                if magic[:2] == b"\x1f\x8b":
                    dec, suffix = gzip.GzipFile(fileobj=raw, mode="rb"), "+gzip"
                elif magic == b"\x28\xb5\x2f\xfd":
                    if zstandard is None:
                        self._say(spec, "zstd-compressed; pip install zstandard to read it")
                        return None, False
                    dec = zstandard.ZstdDecompressor().stream_reader(raw, read_across_frames=True)
                    suffix = "+zstd"
                else:
                    dec, suffix = raw, ""
            except _stream_errors() as e:
                self._say(spec, f"cannot read: {_why(e)}; skipped")
                return None, False
            table = _Table(spec.media_type or "application/vnd.oci.image.layer.v1.tar" + suffix)
            body = _Reader(dec, limit=MAX_LAYER_BYTES, algo=algo if spec.verify == "tar" else None)
            complete = self._entries_of(spec, body, table, vis, force)
            if complete:
                try:
                    body.drain()
                    raw.drain()
                except _TooBig:
                    table.problems.append(f"decompresses to more than {MAX_LAYER_BYTES} bytes; not all read")
                    complete = False
                except _stream_errors() as e:
                    table.problems.append(f"damaged after its last entry ({_why(e)})")
                    complete = False
            if complete and algo:
                got = f"{algo}:{(raw.hash or body.hash).hexdigest()}"
                if got != spec.digest:
                    table.problems.append(f"digest mismatch: its content is {got}; not cached")
                    complete = False
            return table, complete

    def _entries_of(self, spec: _Spec, body: _Reader, table: _Table, vis: _Vis, force: frozenset[str]) -> bool:
        """Read the tar entries into ``table``; False when the layer could not be read to its end."""
        n = 0
        regs: dict[str, _Entry] = {}
        try:
            tf = tarfile.open(fileobj=body, mode="r|", encoding="utf-8", errors="surrogateescape", tarinfo=_TarInfo)
            while True:
                m = tf.next()
                if m is None:
                    return True
                n += 1
                self._entries += 1
                if self._entries > MAX_ENTRIES:
                    table.problems.append(f"more than {MAX_ENTRIES} entries in the image; the rest of this "
                                          "layer is not read")
                    return False
                self._entry(tf, m, table, regs, vis, force)
                tf.members.clear()           # tarfile keeps every member it read: not needed here
        except _TooBig:
            table.problems.append(f"decompresses to more than {MAX_LAYER_BYTES} bytes; read stopped there "
                                  f"(partial: {_entries(n)} read)")
        except tarfile.ReadError as e:
            if n == 0:
                table.problems.append(f"not a tar archive ({_why(e)}); skipped")
            else:
                table.problems.append(f"damaged after {_entries(n)} ({_why(e)}); partial: the entries before are used")
        except _stream_errors() as e:
            table.problems.append(f"damaged after {_entries(n)} ({_why(e)}); partial: the entries before are used")
        return False

    def _entry(self, tf, m: tarfile.TarInfo, table: _Table, regs: dict, vis: _Vis, force: frozenset[str]) -> None:
        name = m.name
        path, why = _norm(name)
        if why:
            table.problems.append(f"{_show(name)}: {why}")
            return
        if path == "/":
            return
        parent, base = dirname(path), path[path.rfind("/") + 1:]
        if base.startswith(".wh."):
            if base == ".wh..wh..opq":
                table.opaque.append(parent)
            elif not base.startswith(".wh..wh."):        # other .wh..wh. names are AUFS's own
                gone = base[4:]
                if gone in ("", ".", ".."):
                    table.problems.append(f"{_show(name)}: a whiteout of no name; skipped")
                else:
                    table.whiteouts.append(path[:-len(base)] + gone)
            return
        mode = m.mode & 0o7777
        uid, gid, mtime = max(m.uid, 0), max(m.gid, 0), max(int(m.mtime), 0)
        cap = m.pax_headers.get("SCHILY.xattr.security.capability")
        cap = cap.encode("utf-8", "surrogateescape")[:MAX_XATTR] if cap else None
        if m.isreg():
            e = _Entry(path, "-", mode, m.size, uid, gid, mtime, cap=cap)
            if m.sparse is not None and len(m.sparse) > MAX_SPARSE:
                table.problems.append(f"{_show(name)}: a sparse file of {len(m.sparse)} regions (more than "
                                      f"{MAX_SPARSE}); skipped")
                return
            f = tf.extractfile(m)
            e.head = f.read(HEAD)
            if m.size > MAX_FILE:
                table.problems.append(f"{_show(name)}: {m.size} bytes, more than the {MAX_FILE} kept of a file; "
                                      "content not kept")
            elif (vis.new(path) and self._keep(path, e.head)) or path in force:
                e.hash = self._put(e.head, f)
            regs[path] = e
        elif m.islnk():
            target, why = _norm(m.linkname)
            if why:
                table.problems.append(f"{_show(name)}: a hard link to {_show(m.linkname)}, outside the image; skipped")
                return
            t = regs.get(target)
            if t is None:
                table.problems.append(f"{_show(name)}: a hard link to {_show(m.linkname)}, which is no earlier "
                                      "file of this layer; skipped")
                return
            root = t.link if t.kind == "h" else target      # the regular file the content is with
            e = _Entry(path, "h", t.mode, t.size, t.uid, t.gid, t.mtime, root, t.hash, t.head, t.cap)
            regs[path] = e
        elif m.isdir():
            e = _Entry(path, "d", mode, 0, uid, gid, mtime)
        elif m.issym():
            target = m.linkname
            if not target or "\0" in target:
                table.problems.append(f"{_show(name)}: a symlink with an empty target; skipped")
                return
            if not target.startswith("/") and _climbs(parent, target):
                table.problems.append(f"{_show(name)}: a symlink to {_show(target)}, which climbs out of the "
                                      "image; skipped")
                return
            e = _Entry(path, "l", mode, len(target.encode("utf-8", "surrogateescape")), uid, gid, mtime, target)
        elif m.ischr() or m.isblk() or m.isfifo():
            e = _Entry(path, "c" if m.ischr() else "b" if m.isblk() else "p", mode, 0, uid, gid, mtime)
        else:
            table.problems.append(f"{_show(name)}: an entry of unknown type {m.type!r}; skipped")
            return
        table.entries.append(e)

    def _put(self, head: bytes, f) -> str:
        """Store a file's content under its sha256 (the head already read); returns the hex."""
        h = hashlib.sha256(head)
        tmp = f".tmp-{os.getpid()}-{os.urandom(8).hex()}"
        fd = os.open(tmp, _O_NEW, 0o644, dir_fd=self._store_fd)
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(head)
                total = len(head)
                while True:
                    b = f.read(1 << 20)
                    if not b:
                        break
                    total += len(b)
                    if total > MAX_FILE:          # tarfile gives no more than the header's size: a guard
                        raise OSError(errno.EFBIG, f"more than {MAX_FILE} bytes")
                    h.update(b)
                    out.write(b)
            hexd = h.hexdigest()
            os.rename(tmp, hexd, src_dir_fd=self._store_fd, dst_dir_fd=self._store_fd)
            return hexd
        except BaseException:
            try:
                os.unlink(tmp, dir_fd=self._store_fd)
            except OSError:
                pass
            raise

    def _apply(self, spec: _Spec, table: _Table, decided: dict, gone: set, opaque: set) -> None:
        """Put what of a layer survives the upper layers into ``decided``; then its whiteouts and
        opaque markers, which hide only what lies below it."""
        li = spec.index
        own = {e.path: e for e in table.entries}          # a later entry of a path replaces an earlier one
        vis = _Vis(decided, gone, opaque, own)
        adds: dict[str, _Node] = {}
        links: dict[str, int] = {}                       # hard-link group (its target) -> its inode
        for path, e in own.items():
            if path in gone or not vis.open(dirname(path)):
                continue
            n = decided.get(path)
            if n is not None:
                if n.implied and e.kind == "d":           # a directory an upper layer only implied
                    n.fill(e)
                    n.implied, n.layer = False, li
                continue
            ino = len(decided) + len(adds) + 2
            if e.kind == "h":
                t = adds.get(e.link)
                ino = t.ino if t is not None else links.setdefault(e.link, ino)
                if t is None and e.hash is None and self._keep(path, e.head):
                    self._say(spec, f"{_show(path[1:])}: a hard link to {_show(e.link[1:])}, which an upper layer "
                                    "hides; its content could not be kept")
            adds[path] = _Node(e, li, ino)
        implied: dict[str, _Node] = {}
        # Every entry of the layer implies its directories, one an upper layer hides, a whiteout and
        # an opaque marker included: a runtime made them when it unpacked this layer, whatever became
        # of the entry. A directory an upper layer hides is not made, but its own directories are.
        for path in (*own, *table.whiteouts, *(o + "/.wh..wh..opq" for o in table.opaque)):
            d = dirname(path)
            while d != "/" and d not in adds and d not in decided and d not in implied:
                if d not in gone and vis.open(dirname(d)):
                    implied[d] = _Node(None, li, len(decided) + len(adds) + len(implied) + 2)
                d = dirname(d)
        decided.update(adds)
        decided.update(implied)
        gone.update(table.whiteouts)
        opaque.update(table.opaque)


def _tags(m) -> str:
    t = m.get("RepoTags") if isinstance(m, dict) else None
    return ", ".join(map(str, t)) if isinstance(t, list) and t else "untagged"


def _entries(n: int) -> str:
    return f"{n} entry" if n == 1 else f"{n} entries"


def _why(e: BaseException) -> str:
    if isinstance(e, OSError) and e.strerror:
        return e.strerror
    return str(e.message if hasattr(e, "message") else e) or type(e).__name__


def _stream_errors() -> tuple:
    errs = (tarfile.TarError, EOFError, OSError, zlib.error, ValueError, UnicodeError)
    return errs + ((zstandard.ZstdError,) if zstandard is not None else ())


def _exists(dir_fd: int, name: str) -> bool:
    try:
        os.stat(name, dir_fd=dir_fd, follow_symlinks=False)
        return True
    except OSError:
        return False


def _blob_path(digest: str) -> str:
    return "blobs/" + digest.replace(":", "/", 1)


# -- the image as a directory or a tarball -----------------------------------------------------------
class _TarSource:
    """The image tarball: its member table read once; members opened by random access."""

    def __init__(self, path: str):
        self.path = path
        try:
            self._tf = tarfile.open(path, "r:", encoding="utf-8", errors="surrogateescape", tarinfo=_TarInfo)
        except (tarfile.TarError, OSError, EOFError) as e:
            raise InputError(f"{path}: not a readable tar archive: {_why(e)}", path=path) from None
        self._members: dict[str, tarfile.TarInfo] = {}
        try:
            for i, m in enumerate(self._tf):
                if i >= MAX_OUTER:
                    raise InputError(f"{path}: more than {MAX_OUTER} members; not an image", path=path)
                p, why = _norm(m.name)
                if not why:
                    self._members[p[1:]] = m
        except (tarfile.TarError, OSError, EOFError) as e:
            self._tf.close()
            raise InputError(f"{path}: damaged tar archive: {_why(e)}", path=path) from None

    def _member(self, name: str) -> tarfile.TarInfo:
        """The regular member ``name`` names, through links inside the tarball."""
        orig = name
        for _ in range(MAX_SYMLINKS):
            p, why = _norm(name)
            m = self._members.get(p[1:]) if not why else None
            if m is None:
                raise _Missing(f"not in the image ({_show(orig)})")
            if m.isreg():
                return m
            if m.issym():
                base = dirname(p)[1:]
                name = "\0" if m.linkname.startswith("/") else (base + "/" if base else "") + m.linkname
            elif m.islnk():
                name = m.linkname
            else:
                raise _Missing(f"not a regular file ({_show(orig)})")
        raise _Missing(f"too many links ({_show(orig)})")

    def has(self, name: str) -> bool:
        try:
            self._member(name)
            return True
        except _Missing:
            return False

    def size(self, name: str) -> int:
        try:
            return self._member(name).size
        except _Missing:
            return 0

    def open(self, name: str):
        return self._tf.extractfile(self._member(name))

    def json(self, name: str):
        return _json(self, name)

    def close(self) -> None:
        self._tf.close()


class _DirSource:
    """An OCI layout directory: every path opened one component at a time, no symlink followed."""

    def __init__(self, path: str):
        self.path = path
        try:
            self._fd = os.open(path, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | getattr(os, "O_CLOEXEC", 0))
        except OSError as e:
            raise InputError(f"{path}: {e.strerror or e}", path=path) from None

    def _open_fd(self, name: str) -> int:
        parts = name.split("/")
        if any(c in ("", ".", "..") or "\0" in c for c in parts):
            raise _Missing(f"not a plain path inside the image ({_show(name)})")
        fd = self._fd
        try:
            for i, c in enumerate(parts):
                last = i == len(parts) - 1
                flags = _O_READ | (0 if last else getattr(os, "O_DIRECTORY", 0))
                try:
                    nfd = os.open(c, flags, dir_fd=fd)
                except OSError as e:
                    if e.errno == errno.ENOENT:
                        raise _Missing(f"not in the image ({_show(name)})") from None
                    if e.errno in (errno.ELOOP, errno.ENOTDIR):
                        raise _Missing(f"{_show(name)}: a symbolic link or not a directory; not followed") from None
                    raise _Missing(f"{_show(name)}: {e.strerror or e}") from None
                if fd != self._fd:
                    os.close(fd)
                fd = nfd
            if not stat.S_ISREG(os.fstat(fd).st_mode):
                raise _Missing(f"{_show(name)}: not a regular file")
            res, fd = fd, None
            return res
        finally:
            if fd is not None and fd != self._fd:
                os.close(fd)

    def has(self, name: str) -> bool:
        try:
            os.close(self._open_fd(name))
            return True
        except _Missing:
            return False

    def size(self, name: str) -> int:
        try:
            fd = self._open_fd(name)
        except _Missing:
            return 0
        try:
            return os.fstat(fd).st_size
        finally:
            os.close(fd)

    def open(self, name: str):
        return os.fdopen(self._open_fd(name), "rb")

    def json(self, name: str):
        return _json(self, name)

    def close(self) -> None:
        os.close(self._fd)


def _json(src, name: str):
    """A JSON file of the image (manifest, index, config); Malformed names it when it is not one."""
    return _parse(src, name, _small(src, name))


def _small(src, name: str) -> bytes:
    try:
        with src.open(name) as f:
            data = f.read(MAX_JSON + 1)
    except _Missing as e:
        raise Malformed(f"{src.path}: {name}: {_why(e)}", path=src.path) from None
    except (OSError, tarfile.TarError) as e:
        raise Malformed(f"{src.path}: {name}: {_why(e)}", path=src.path) from None
    if len(data) > MAX_JSON:
        raise Malformed(f"{src.path}: {name}: more than {MAX_JSON} bytes", path=src.path)
    return data


def _parse(src, name: str, data: bytes):
    try:
        return json.loads(data)
    except (ValueError, RecursionError) as e:
        raise Malformed(f"{src.path}: {name}: not JSON ({_why(e)})", path=src.path) from None


def _open_source(path: str):
    try:
        st = os.stat(path)
    except OSError as e:
        raise InputError(f"{path}: {e.strerror or e}", path=path) from None
    if stat.S_ISDIR(st.st_mode):
        return _DirSource(path)
    if not stat.S_ISREG(st.st_mode) or not _is_tar(path):
        raise InputError(f"{path}: not a container image (neither a tar archive nor an OCI layout directory)",
                         path=path)
    return _TarSource(path)


def _is_tar(path: str) -> bool:
    """Whether a regular file has the ustar magic (a FIFO named here is not waited on)."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
    except OSError:
        return False
    try:
        return stat.S_ISREG(os.fstat(fd).st_mode) and os.pread(fd, 512, 0)[257:262] == b"ustar"
    except OSError:
        return False
    finally:
        os.close(fd)


def looks_like_container(path: str) -> bool:
    """Whether ``path`` is an image this module reads: an OCI layout directory, or a tar holding
    ``manifest.json`` or ``oci-layout`` at its top (only the tar headers are read)."""
    try:
        if os.path.isdir(path):
            return (os.path.isfile(os.path.join(path, "oci-layout"))
                    and os.path.isfile(os.path.join(path, "index.json")))
        if not _is_tar(path):
            return False
        with tarfile.open(path, "r:", tarinfo=_TarInfo) as tf:
            for i, m in enumerate(tf):
                if i >= MAX_OUTER:
                    return False
                if m.name.removeprefix("./") in ("manifest.json", "oci-layout"):
                    return True
    except (OSError, tarfile.TarError, EOFError, ValueError):
        return False
    return False


def open_container(path: str, *, cache_dir: str | None = None, platform: str | None = None,
                   keep=default_keep) -> ContainerTree:
    """The final file system of the image at ``path`` (a ``with`` block, or ``close()``, removes what
    it unpacked). ``platform`` ("linux/arm64") picks from a multi-platform index (default: this
    machine's). Raises InputError (not an image) or Malformed (its manifest or index unreadable)."""
    tree = ContainerTree(path, cache_dir=cache_dir, platform=platform, keep=keep)
    try:
        tree._load()
    except BaseException:
        tree.close()
        raise
    return tree
