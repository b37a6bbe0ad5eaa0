"""Go build-flag strings (-ldflags, -tags, ...) read and written as cmd/go does, and go build command
lines quoted for a POSIX shell; no regular expressions (see rx.py for why that matters).

:class:`GoBuild` is the one place that turns a binary's recorded build settings (what ``go version
-m`` prints as ``build`` lines) back into a complete ``go build`` command, and merges a change into
it (tags added, -ldflags words added or removed, the build mode switched, the environment set), so
every fix a finding offers keeps what the binary already has.

The command's environment prefix: ``CGO_ENABLED``, ``GOOS`` and ``GOARCH`` always (their defaults
depend on the host: a cross build turns cgo off, a host without a C compiler too), then the
architecture level (``GOAMD64``, ``GOARM``, ``GO386``, ``GOARM64``, ``GOMIPS``, ``GOMIPS64``,
``GOPPC64``, ``GORISCV64``, ``GOWASM``) when it is not Go's default for the architecture (``GOARM``
always: its default is detected on arm hosts), ``GOEXPERIMENT`` and ``GOFIPS140`` when recorded, and
the ``CGO_*FLAGS`` when recorded non-empty. So the command reproduces the build on any host that has
the same toolchain (a cgo cross build also needs its ``CC``, which Go does not record). Flags come in
a fixed order: -asan -asmflags -buildmode -compiler -cover -gccgoflags -gcflags -ldflags -msan -pgo
-race -tags -trimpath; -buildmode only when not ``exe``, -compiler only when not ``gc``.

What Go does not record is in :attr:`GoBuild.unrecorded`: with ``-trimpath``, Go leaves out
``-ldflags`` and the ``CGO_*FLAGS`` (golang/go#52372), so a command rebuilt from the settings
cannot know them.
"""
from __future__ import annotations

from ..record import record

__all__ = ["split", "join", "words", "external_linkmode", "extldflags", "tags", "shell_quote", "GoBuild",
           "parse_command", "LD_VALUE_FLAGS"]

_SPACE = " \t\n\r"
_SHELL_SAFE = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_@%+=:,./-")


def split(s: str) -> list[str]:
    """cmd/internal/quoted.Split, which cmd/go applies to -ldflags and the like: fields split at
    space, tab, newline and CR; a field that starts with ' or " runs to the next same quote, with no
    unescaping. ValueError for an unterminated quote (go build refuses it too)."""
    out: list[str] = []
    i, n = 0, len(s)
    while True:
        while i < n and s[i] in _SPACE:
            i += 1
        if i >= n:
            return out
        if s[i] in "'\"":
            j = s.find(s[i], i + 1)
            if j < 0:
                raise ValueError(f"unterminated {s[i]} string")
            out.append(s[i + 1:j])
            i = j + 1
        else:
            j = i
            while j < n and s[j] not in _SPACE:
                j += 1
            out.append(s[i:j])
            i = j


def join(args) -> str:
    """cmd/internal/quoted.Join: the inverse of :func:`split`, quoting only where needed."""
    out = []
    for a in args:
        ascii_ = [c for c in a if c < "\x80"]
        space = any(c in _SPACE for c in ascii_)
        single, double = "'" in ascii_, '"' in ascii_
        if not (space or single or double):
            out.append(a)
        elif not single:
            out.append(f"'{a}'")
        elif not double:
            out.append(f'"{a}"')
        else:
            raise ValueError(f"argument {a!r} contains both single and double quotes and cannot be quoted")
    return " ".join(out)


def words(flags: str | None) -> list[str]:
    """:func:`split`, or plain whitespace fields when the string is not one go build would accept."""
    try:
        return split(flags or "")
    except ValueError:
        return (flags or "").split()


def external_linkmode(ldflags: str | None) -> bool:
    """Whether -ldflags asks for the external linker (-linkmode external, -linkmode=external; Go's
    flag package also takes the double-dash spellings)."""
    w = words(ldflags)
    for i, x in enumerate(w):
        if x in ("-linkmode=external", "--linkmode=external"):
            return True
        if x in ("-linkmode", "--linkmode") and i + 1 < len(w) and w[i + 1] == "external":
            return True
    return False


def extldflags(ldflags: str | None) -> list[str]:
    """The flags -ldflags passes to the external linker (-extldflags), split as the Go linker does."""
    w = words(ldflags)
    out: list[str] = []
    for i, x in enumerate(w):
        if x in ("-extldflags", "--extldflags") and i + 1 < len(w):
            out += words(w[i + 1])
        elif x.startswith(("-extldflags=", "--extldflags=")):
            out += words(x.partition("=")[2])
    return out


def tags(value: str | None) -> list[str]:
    """The build tags of a -tags setting (comma-separated; older Go also took spaces)."""
    return (value or "").replace(",", " ").split()


def shell_quote(s: str) -> str:
    """What shlex.quote returns (same safe characters), without importing shlex (which imports re)."""
    if not s:
        return "''"
    if all(c in _SHELL_SAFE for c in s):
        return s
    return "'" + s.replace("'", "'\"'\"'") + "'"


# -- go build command lines ----------------------------------------------------------------------------
# cmd/link's flags that take a value (the next word, or after "="); every other flag is boolean.
LD_VALUE_FLAGS = frozenset("B D E H I L R T X benchmark benchmarkprofile buildid buildmode capturehostobjs "
                           "cpuprofile debugtextsize debugtramp extar extld extldflags fipso funcalign importcfg "
                           "installsuffix k libgcc linkmode macos macsdk memprofile memprofilerate o pluginpath r "
                           "randlayout strictdups tmpdir".split())
_FLAG_ORDER = ("-asan", "-asmflags", "-buildmode", "-compiler", "-cover", "-gccgoflags", "-gcflags", "-ldflags",
               "-msan", "-pgo", "-race", "-tags", "-trimpath")
_BOOL_FLAGS = frozenset(("-asan", "-cover", "-msan", "-race", "-trimpath"))
_FLAG_DEFAULTS = {"-buildmode": "exe", "-compiler": "gc"}
_ARCH_ENV = {"GOAMD64": "v1", "GO386": "sse2", "GOARM64": "v8.0", "GOMIPS": "hardfloat", "GOMIPS64": "hardfloat",
             "GOPPC64": "power8", "GORISCV64": "rva20u64", "GOWASM": "", "GOARM": None}
_ENV_ORDER = ("CGO_ENABLED", "GOOS", "GOARCH", *_ARCH_ENV, "GOEXPERIMENT", "GOFIPS140", "CGO_CFLAGS",
              "CGO_CPPFLAGS", "CGO_CXXFLAGS", "CGO_LDFLAGS", "CC", "CXX")


def _ld_items(ws: list[str]) -> list[list[str]]:
    """-ldflags words grouped per flag: [flag] or [flag, value] ("-X a=b" -> ["-X", "a=b"])."""
    out: list[list[str]] = []
    i = 0
    while i < len(ws):
        w = ws[i]
        name = w.lstrip("-")
        if w.startswith("-") and "=" not in name and name in LD_VALUE_FLAGS and i + 1 < len(ws):
            out.append([w, ws[i + 1]])
            i += 2
        else:
            out.append([w])
            i += 1
    return out


def _ld_name(item: list[str]) -> str:
    """The flag name of an -ldflags item, without dashes or "=value" ("--linkmode=external" -> "linkmode")."""
    return item[0].lstrip("-").partition("=")[0] if item[0].startswith("-") else ""


@record
class GoBuild:
    """A complete ``go build`` command: the environment and the flags (name, value) it sets."""

    env: tuple[tuple[str, str], ...] = ()
    flags: tuple[tuple[str, str], ...] = ()
    unrecorded: tuple[str, ...] = ()          # settings the binary does not record (see the module doc)

    @classmethod
    def from_settings(cls, settings) -> "GoBuild":
        """The build the settings record ((key, value) pairs of GoInfo.settings)."""
        got = dict(settings or ())
        env = []
        for k in _ENV_ORDER:
            v = got.get(k)
            if v is None:
                continue
            if k in _ARCH_ENV and _ARCH_ENV[k] is not None and v == _ARCH_ENV[k]:
                continue
            if k.startswith("CGO_") and k != "CGO_ENABLED" and not v:
                continue
            env.append((k, v))
        flags = []
        for k in _FLAG_ORDER:
            v = got.get(k)
            if v is None or _FLAG_DEFAULTS.get(k) == v or k in _BOOL_FLAGS and v != "true":
                continue
            flags.append((k, v))
        unrecorded = ()
        if got.get("-trimpath") == "true":
            unrecorded = ("-ldflags", "CGO_CFLAGS", "CGO_CPPFLAGS", "CGO_CXXFLAGS", "CGO_LDFLAGS")
        return cls(tuple(env), tuple(flags), unrecorded)

    # -- reading
    def flag(self, name: str) -> str | None:
        return dict(self.flags).get(name)

    def getenv(self, name: str) -> str | None:
        return dict(self.env).get(name)

    @property
    def tags(self) -> list[str]:
        return tags(self.flag("-tags"))

    @property
    def ldflags(self) -> str:
        return self.flag("-ldflags") or ""

    @property
    def buildmode(self) -> str:
        return self.flag("-buildmode") or "exe"

    @property
    def cgo(self) -> bool:
        return self.getenv("CGO_ENABLED") == "1"

    @property
    def platform(self) -> str:
        return f"{self.getenv('GOOS') or ''}/{self.getenv('GOARCH') or ''}"

    # -- changing
    def with_flag(self, name: str, value: str | None) -> "GoBuild":
        """The flag ``name`` set to ``value`` (a boolean flag: "true"); None or Go's default removes it."""
        d = dict(self.flags)
        if value is None or _FLAG_DEFAULTS.get(name) == value:
            d.pop(name, None)
        else:
            d[name] = value
        return GoBuild(self.env, tuple((k, d[k]) for k in _FLAG_ORDER if k in d), self.unrecorded)

    def with_env(self, **changes: str | None) -> "GoBuild":
        """The environment with ``changes`` set (None removes a variable)."""
        d = dict(self.env)
        for k, v in changes.items():
            if v is None:
                d.pop(k, None)
            else:
                d[k] = v
        order = [k for k in _ENV_ORDER if k in d] + sorted(k for k in d if k not in _ENV_ORDER)
        return GoBuild(tuple((k, d[k]) for k in order), self.flags, self.unrecorded)

    def with_tags(self, *add: str) -> "GoBuild":
        """The build tags plus ``add`` (kept in order, none twice)."""
        have = self.tags
        new = have + [t for t in dict.fromkeys(add) if t not in have]
        return self.with_flag("-tags", ",".join(new) or None)

    def with_buildmode(self, mode: str) -> "GoBuild":
        return self.with_flag("-buildmode", mode)

    def with_ldflags(self, add=(), remove=()) -> "GoBuild":
        """-ldflags with the flags named in ``remove`` dropped ("linkmode", "extldflags"...) and the
        words of ``add`` merged in: a boolean flag already there (also as "-s=false") is set, not
        repeated; a value flag of cmd/link ("-linkmode external", "-extldflags -static") replaces
        the one there, except -X, -L and -r, which accumulate. The user's other flags stay."""
        items = [it for it in _ld_items(words(self.ldflags)) if _ld_name(it) not in set(remove)]
        for new in _ld_items(list(add)):
            name = _ld_name(new)
            same = [i for i, it in enumerate(items) if name and _ld_name(it) == name]
            if name in ("X", "L", "r"):
                if new not in items:
                    items.append(new)
            elif same:
                items[same[0]] = new
                for i in reversed(same[1:]):
                    del items[i]
            else:
                items.append(new)
        ws = [w for it in items for w in it]
        try:
            text = join(ws)
        except ValueError:   # a word with both quote kinds: go build could not have read it either
            text = " ".join(ws)
        return self.with_flag("-ldflags", text or None)

    def with_cflags(self, *add: str, default: str = "-O2 -g") -> "GoBuild":
        """CGO_CFLAGS with ``add`` appended (each word once). Unset or empty, cgo compiles with
        ``default`` (cmd/go's DefaultCFLAGS), which is kept."""
        have = self.getenv("CGO_CFLAGS") or default
        ws = have.split()
        ws += [w for w in add if w not in ws]
        return self.with_env(CGO_CFLAGS=" ".join(ws))

    # -- writing
    def args(self) -> list[str]:
        out = []
        for k, v in self.flags:
            if k in _BOOL_FLAGS:
                out.append(k)
            elif k == "-tags":
                out += ["-tags", v]
            else:
                out.append(f"{k}={v}")
        return out

    def command(self, go: str = "go build") -> str:
        """The command for a POSIX shell: ``CGO_ENABLED=1 GOOS=linux GOARCH=amd64 go build -tags netgo``."""
        parts = [f"{k}={shell_quote(v)}" for k, v in self.env] + [go] + [shell_quote(a) for a in self.args()]
        return " ".join(parts)


def parse_command(cmd: str) -> tuple[dict[str, str], list[str]]:
    """(environment, arguments after `go build`) of a command :meth:`GoBuild.command` wrote, split as a
    POSIX shell does."""
    import shlex

    ws = shlex.split(cmd)
    env = {}
    while ws and "=" in ws[0] and not ws[0].startswith("-"):
        k, v = ws.pop(0).split("=", 1)
        env[k] = v
    if ws[:2] != ["go", "build"]:
        raise ValueError(f"not a go build command: {cmd}")
    return env, ws[2:]
