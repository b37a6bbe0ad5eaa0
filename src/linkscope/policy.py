"""A `linkscope check` policy: what it is, how its values are written, and where it comes from.

A policy is one frozen :class:`Policy`. Its values come from three places, later ones winning key
by key:

1. nothing (every rule off);
2. a policy file: ``--config FILE`` if given, else the first one found walking up from the current
   directory (see :func:`discover`), unless ``--no-config``;
3. the command-line options.

Policy files
------------
``linkscope.toml``
    The policy lives in a ``[check]`` table, so the file can grow tables for other commands later
    and a table moves between ``linkscope.toml`` and ``pyproject.toml`` unchanged. Other tables are
    ignored; a policy key written at the top level is an error that says to move it under ``[check]``.
``pyproject.toml``
    The policy lives in ``[tool.linkscope.check]``. A ``pyproject.toml`` without that table does not
    count as a policy file: discovery keeps walking up.

Discovery looks in the current directory, then each parent up to the filesystem root; in each
directory ``linkscope.toml`` is tried before ``pyproject.toml``. The first file that holds a policy
is used, alone (files are not merged).

Keys are the long option names without the leading dashes, in kebab or snake case
(``max-glibc`` or ``max_glibc``). Every value is checked as strictly as the option, and a bad
value names the file and the key. Unknown keys are errors, so a typo cannot switch a rule off.

Values
------
``require``             ``static`` | ``static-pie`` | ``static-or-static-pie`` | ``dynamic``
``forbid-cgo``          bool
``require-stripped``    bool
``require-pie``         bool
``max-glibc``           a version string, ``"2.28"`` (a TOML float is refused: 2.30 would read as 2.3)
``max-size``            bytes as an integer, or a string with a unit: ``"12MiB"``, ``"1.5 GB"``
``forbid-rpath``        bool
``allow-needed``        a glob or a list of globs
``forbid-needed``       a glob or a list of globs
``require-go-version``  comparisons joined by commas: ``">=1.22"``, ``">=go1.22,<1.24"``

On the command line a list option (``--allow-needed``, ``--forbid-needed``) given at least once
replaces the file's list; boolean rules have ``--no-...`` forms to switch off what a file turned on.
"""
from __future__ import annotations

import fnmatch
import os
import re
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any, Callable

from .go import version as go_version
from .libc import version_key

LINKAGE_CHOICES = ("static", "static-pie", "static-or-static-pie", "dynamic")


class PolicyError(ValueError):
    """A policy value, option or file that cannot be used: a usage error (exit status 2)."""


# -- sizes ---------------------------------------------------------------------------------------------
SIZE_UNITS = {"b": 1, "kb": 1000, "kib": 1024, "mb": 1000**2, "mib": 1024**2, "gb": 1000**3, "gib": 1024**3}
_SIZE_RE = re.compile(r"\s*(\d+(?:\.\d+)?)\s*([A-Za-z]*)\s*")


def parse_size(text: str | int) -> int:
    """Bytes from ``12MiB``, ``1.5 GB``, ``4096`` or ``4096B``. SI units (KB, MB, GB) are powers of
    1000, binary units (KiB, MiB, GiB) powers of 1024; unit names are case-insensitive."""
    if isinstance(text, bool):
        raise PolicyError(f"invalid size {text!r}: expected bytes or a number with a unit such as 12MiB")
    if isinstance(text, int):
        if text < 0:
            raise PolicyError(f"invalid size {text}: must not be negative")
        return text
    m = _SIZE_RE.fullmatch(text)
    if not m:
        raise PolicyError(f"invalid size {text!r}: expected bytes or a number with a unit such as 12MiB")
    number, unit = m.groups()
    mult = SIZE_UNITS.get(unit.lower() or "b")
    if mult is None:
        raise PolicyError(f"invalid size {text!r}: unknown unit {unit!r} (use B, KB, KiB, MB, MiB, GB or GiB)")
    if "." in number:
        from fractions import Fraction

        value = Fraction(number) * mult
        if value.denominator != 1 and mult == 1:
            raise PolicyError(f"invalid size {text!r}: a byte count must be whole")
        return int(value)
    return int(number) * mult


# -- glibc versions ------------------------------------------------------------------------------------
_GLIBC_RE = re.compile(r"(?:GLIBC_)?(\d+(?:\.\d+)*)")


def parse_glibc_version(text: str) -> tuple[int, ...]:
    """``2.28`` -> (2, 28); compared as numbers, so 2.9 < 2.28."""
    if not isinstance(text, str):
        raise PolicyError(f"invalid glibc version {text!r}: write it as a string, e.g. \"2.28\"")
    m = _GLIBC_RE.fullmatch(text.strip())
    if not m:
        raise PolicyError(f"invalid glibc version {text!r}: expected numbers joined by dots, e.g. 2.28")
    return tuple(int(x) for x in m.group(1).split("."))


def glibc_version_key(text: str) -> tuple[int, ...]:
    """Comparable form of a glibc version a policy states or a binary records, by the one rule
    (linkscope.libc.version_key): (2, 28) == (2, 28, 0)."""
    return version_key(".".join(str(n) for n in parse_glibc_version(text)))


# -- Go versions ---------------------------------------------------------------------------------------
# Ordered by linkscope.go.version.parse's key: Go's own order (internal/gover, go/version.Compare).
_GO_OPS = (">=", "<=", "==", "!=", ">", "<")


@dataclass(frozen=True, slots=True, order=True)
class GoVersion:
    """A Go toolchain version, ordered as Go orders them (``text`` is kept for messages only)."""

    devel: bool
    major: int = 0
    minor: int = 0
    patch: int = -1        # -1: absent (a language version such as 1.22, or a prerelease)
    kind: str = ""         # "" < "alpha" < "beta" < "rc"
    pre: int = -1
    text: str = field(default="", compare=False)

    def __str__(self) -> str:
        return self.text


def parse_go_version(text: str) -> GoVersion:
    """A Go version as a policy states or a binary records it (linkscope.go.version.parse: ``go1.22.3``,
    ``1.22``, ``go1.23rc1``, ``devel go1.24-abc123 ...``). Raises PolicyError for anything else."""
    key = go_version.parse(text) if isinstance(text, str) else None
    if key is None:
        if not isinstance(text, str):
            raise PolicyError(f"invalid Go version {text!r}: expected a string such as go1.22.3")
        raise PolicyError(f"invalid Go version {text!r}: expected something like 1.22, go1.22.3 or go1.23rc1")
    return GoVersion(*key, text=text.strip())


@dataclass(frozen=True, slots=True)
class GoVersionReq:
    """Comparisons that must all hold, e.g. ``>=1.22,<1.24``."""

    clauses: tuple[tuple[str, GoVersion], ...]

    def __str__(self) -> str:
        return ",".join(f"{op}{v.text}" for op, v in self.clauses)

    def failing(self, version: GoVersion) -> list[str]:
        """The clauses ``version`` does not meet, as written (empty: it meets them all)."""
        ops: dict[str, Callable[[GoVersion, GoVersion], bool]] = {
            ">=": lambda a, b: a >= b, ">": lambda a, b: a > b, "<=": lambda a, b: a <= b,
            "<": lambda a, b: a < b, "==": lambda a, b: a == b, "!=": lambda a, b: a != b}
        return [f"{op}{v.text}" for op, v in self.clauses if not ops[op](version, v)]


def parse_go_requirement(text: str) -> GoVersionReq:
    if not isinstance(text, str):
        raise PolicyError(f"invalid Go version requirement {text!r}: write it as a string, e.g. \">=1.22\"")
    clauses = []
    for part in text.split(","):
        part = part.strip()
        op = next((o for o in _GO_OPS if part.startswith(o)), None)
        if op is None:
            try:
                parse_go_version(part)
                hint = f" (did you mean '>={part}'?)"
            except PolicyError:
                hint = ""
            raise PolicyError(f"invalid Go version requirement {text!r}: each comparison needs an operator, "
                              f"one of >=, >, <=, <, ==, !={hint}")
        clauses.append((op, parse_go_version(part[len(op):].strip())))
    return GoVersionReq(tuple(clauses))


# -- globs ---------------------------------------------------------------------------------------------
def parse_globs(value: Any, what: str) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
        raise PolicyError(f"invalid {what} {value!r}: expected a glob or a list of globs")
    for v in value:
        if not v.strip():
            raise PolicyError(f"invalid {what}: an empty pattern matches nothing")
    return tuple(value)


def needed_matches(name: str, pattern: str, case_insensitive: bool = False) -> bool:
    """Whether the needed-library entry ``name`` matches ``pattern`` (fnmatch syntax). A pattern
    without a slash is matched against the entry's last path component, so ``libSystem*`` matches
    ``/usr/lib/libSystem.B.dylib``; a pattern with a slash is matched against the whole entry. PE
    import names are matched without regard to case, as Windows resolves them."""
    target = name if "/" in pattern else name.rsplit("/", 1)[-1]
    if case_insensitive:
        return fnmatch.fnmatchcase(target.lower(), pattern.lower())
    return fnmatch.fnmatchcase(target, pattern)


# -- the policy ----------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Policy:
    """Every rule ``check`` knows; ``None`` / ``False`` / ``()`` means the rule is off."""

    require: str | None = None
    forbid_cgo: bool = False
    require_stripped: bool = False
    require_pie: bool = False
    max_glibc: str | None = None
    max_size: int | None = None
    forbid_rpath: bool = False
    allow_needed: tuple[str, ...] = ()
    forbid_needed: tuple[str, ...] = ()
    require_go_version: GoVersionReq | None = None

    def is_empty(self) -> bool:
        return self == Policy()

    def enabled_rules(self) -> list[str]:
        """The rule ids this policy turns on, in the fixed rule order."""
        return [rule for rule, _setting in self.rules()]

    def rules(self) -> list[tuple[str, Any]]:
        """(rule id, setting) of every rule this policy turns on, in the fixed rule order."""
        return [(rule_id(f.name), getattr(self, f.name)) for f in fields(self) if _on(getattr(self, f.name))]


def _on(value: Any) -> bool:
    # identity, not equality: --max-size 0 is a rule that is on (0 == False in Python)
    return not (value is None or value is False or value == ())


def rule_id(key: str) -> str:
    return key.replace("_", "-")


def _parse_require(v: Any) -> str:
    if v not in LINKAGE_CHOICES:
        raise PolicyError(f"invalid linkage {v!r}: choose one of {', '.join(LINKAGE_CHOICES)}")
    return v


def _parse_bool(v: Any) -> bool:
    if not isinstance(v, bool):
        raise PolicyError(f"invalid value {v!r}: expected true or false")
    return v


def _parse_max_glibc(v: Any) -> str:
    if isinstance(v, float):
        raise PolicyError(f"invalid glibc version {v!r}: write it as a string, e.g. \"2.28\" "
                          "(as a number, 2.30 would read as 2.3)")
    parse_glibc_version(v)
    return v.strip().removeprefix("GLIBC_")


# key -> parser of one value (from a file, or the text of one option)
PARSERS: dict[str, Callable[[Any], Any]] = {
    "require": _parse_require,
    "forbid_cgo": _parse_bool,
    "require_stripped": _parse_bool,
    "require_pie": _parse_bool,
    "max_glibc": _parse_max_glibc,
    "max_size": parse_size,
    "forbid_rpath": _parse_bool,
    "allow_needed": lambda v: parse_globs(v, "allow-needed"),
    "forbid_needed": lambda v: parse_globs(v, "forbid-needed"),
    "require_go_version": parse_go_requirement,
}
assert set(PARSERS) == {f.name for f in fields(Policy)}


def from_mapping(table: dict, source: str) -> dict[str, Any]:
    """The policy values of a ``[check]`` table, validated; errors name ``source`` and the key."""
    out: dict[str, Any] = {}
    for raw_key, value in table.items():
        key = raw_key.replace("-", "_")
        if key not in PARSERS:
            known = ", ".join(rule_id(k) for k in PARSERS)
            raise PolicyError(f"{source}: unknown key {raw_key!r} (known keys: {known})")
        if key in out:
            raise PolicyError(f"{source}: {rule_id(key)} is given twice (as kebab and snake case)")
        try:
            out[key] = PARSERS[key](value)
        except PolicyError as e:
            raise PolicyError(f"{source}: {raw_key}: {e}") from None
    return out


# -- files ---------------------------------------------------------------------------------------------
def _load_toml(path: Path) -> dict:
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10
        import tomli as tomllib  # type: ignore[no-redef]
    try:
        with open(path, "rb") as f:
            return tomllib.load(f)
    except OSError as e:
        raise PolicyError(f"{path}: cannot read: {e.strerror or e}") from None
    except tomllib.TOMLDecodeError as e:
        raise PolicyError(f"{path}: not valid TOML: {e}") from None


def _table_of(path: Path, doc: dict, explicit: bool) -> dict | None:
    """The check table of a parsed file, None when the file holds no policy."""
    if path.name == "pyproject.toml":
        table = doc
        for part in ("tool", "linkscope", "check"):
            table = table.get(part) if isinstance(table, dict) else None
        if table is None:
            if explicit:
                raise PolicyError(f"{path}: no [tool.linkscope.check] table")
            return None
        if not isinstance(table, dict):
            raise PolicyError(f"{path}: tool.linkscope.check must be a table")
        return table
    stray = [k for k, v in doc.items() if k.replace("-", "_") in PARSERS and not isinstance(v, dict)]
    if stray:
        raise PolicyError(f"{path}: {stray[0]!r} is at the top level; policy keys go in a [check] table")
    table = doc.get("check")
    if table is None:
        if explicit:
            raise PolicyError(f"{path}: no [check] table")
        return None
    if not isinstance(table, dict):
        raise PolicyError(f"{path}: check must be a table")
    return table


CONFIG_NAMES = ("linkscope.toml", "pyproject.toml")


def discover(start: str | os.PathLike | None = None) -> Path | None:
    """The policy file for ``start`` (default: the current directory): the first ``linkscope.toml``
    with a ``[check]`` table or ``pyproject.toml`` with ``[tool.linkscope.check]``, walking up."""
    here = Path(start if start is not None else os.getcwd()).resolve()
    for d in (here, *here.parents):
        for name in CONFIG_NAMES:
            p = d / name
            if p.is_file() and _table_of(p, _load_toml(p), explicit=False) is not None:
                return p
    return None


def load_file(path: str | os.PathLike) -> dict[str, Any]:
    """The validated policy values in one file (``--config``)."""
    p = Path(path)
    if not p.is_file():
        raise PolicyError(f"{p}: no such policy file")
    return from_mapping(_table_of(p, _load_toml(p), explicit=True), str(p))


def build(cli_values: dict[str, Any], config: str | os.PathLike | None = None, use_config: bool = True,
          cwd: str | os.PathLike | None = None) -> tuple[Policy, Path | None]:
    """The effective policy: the file's values (``config``, else discovered from ``cwd``), each
    overridden by a command-line value that is not None. Returns the policy and the file used."""
    source: Path | None = None
    values: dict[str, Any] = {}
    if config is not None:
        source = Path(config)
        values = load_file(source)
    elif use_config:
        source = discover(cwd)
        if source is not None:
            values = load_file(source)
    for key, v in cli_values.items():
        if key not in PARSERS:
            raise PolicyError(f"unknown policy key {key!r}")
        if v is None:
            continue
        values[key] = v if isinstance(v, GoVersionReq) else PARSERS[key](v)
    return replace(Policy(), **values), source


# -- the command line ----------------------------------------------------------------------------------
def add_options(parser) -> None:
    """The policy options of ``linkscope check``; every value is checked while parsing, so a bad
    one is a usage error (exit 2) with the reason."""
    import argparse

    def typed(fn, key):
        def conv(text):
            try:
                return fn(text)
            except PolicyError as e:
                raise argparse.ArgumentTypeError(str(e)) from None
        conv.__name__ = key
        return conv

    g = parser.add_argument_group("policy (each overrides the same key of the policy file)")
    g.add_argument("--require", choices=LINKAGE_CHOICES, default=None,
                   help="linkage every binary must have")
    g.add_argument("--forbid-cgo", action=argparse.BooleanOptionalAction, default=None,
                   help="fail Go binaries that use cgo (runtime/cgo linked in); non-Go binaries pass")
    g.add_argument("--require-stripped", action=argparse.BooleanOptionalAction, default=None,
                   help="fail binaries that still have a symbol table")
    g.add_argument("--require-pie", action=argparse.BooleanOptionalAction, default=None,
                   help="fail executables that are not position-independent")
    g.add_argument("--max-glibc", metavar="VERSION", type=typed(_parse_max_glibc, "max-glibc"), default=None,
                   help="fail binaries that need a newer glibc than VERSION (e.g. 2.28)")
    g.add_argument("--max-size", metavar="SIZE", type=typed(parse_size, "max-size"), default=None,
                   help="fail files larger than SIZE (bytes, or with a unit: B, KB, KiB, MB, MiB, GB, GiB)")
    g.add_argument("--forbid-rpath", action=argparse.BooleanOptionalAction, default=None,
                   help="fail binaries with an RPATH or RUNPATH")
    g.add_argument("--allow-needed", metavar="GLOB", action="append", default=None,
                   type=typed(lambda v: parse_globs(v, "allow-needed")[0], "allow-needed"),
                   help="every needed library must match one of these globs (repeatable)")
    g.add_argument("--forbid-needed", metavar="GLOB", action="append", default=None,
                   type=typed(lambda v: parse_globs(v, "forbid-needed")[0], "forbid-needed"),
                   help="no needed library may match any of these globs (repeatable)")
    g.add_argument("--require-go-version", metavar="REQ", type=typed(parse_go_requirement, "require-go-version"),
                   default=None, help="Go version comparisons, e.g. '>=1.22' or '>=1.22,<1.24'; non-Go binaries fail")
    c = parser.add_argument_group("policy file").add_mutually_exclusive_group()
    c.add_argument("--config", metavar="FILE", default=None,
                   help="read the policy from FILE (a pyproject.toml or a linkscope.toml) instead of discovering one")
    c.add_argument("--no-config", action="store_true", help="ignore policy files; use only the options")


def cli_values(args) -> dict[str, Any]:
    """The policy keys the command line set (None for the ones it left alone)."""
    out = {}
    for key in PARSERS:
        v = getattr(args, key, None)
        if isinstance(v, list):
            v = tuple(v)
        out[key] = v
    return out
