"""`linkscope check`: a policy evaluated over Binary records gives violations. Nothing here prints.

Each rule reads the record's facts and fails closed: a fact the policy needs that could not be
read (linkage of an odd format, cgo of a Go binary whose analysis is missing) is a violation that
says so, never a silent pass. Rules that do not apply pass: ``forbid-cgo`` on a C program,
``max-glibc`` on a binary that needs no glibc symbol version.

A universal Mach-O file is checked slice by slice (each violation names its slice); ``max-size``
is about the file as shipped and is checked once on the whole file.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

from .errors import error_message
from .model import Binary
from .sniff import NON_BINARY
from .policy import (
    GoVersionReq, Policy, PolicyError, glibc_version_key, needed_matches, parse_go_version,
)
from .units import size_text

# rule id -> (short description, longer help); ids are the option names, so a line of output points
# straight at the option (or policy-file key) that produced it.
RULES: dict[str, tuple[str, str]] = {
    "unreadable": ("The input can be read as a binary",
                   "The file could not be read or parsed, so no rule could be checked on it."),
    "require": ("Linkage is the one required",
                "--require static|static-pie|static-or-static-pie|dynamic: the linkage inspect reports (a file with PT_INTERP is dynamic: it needs its interpreter)."),
    "forbid-cgo": ("Go binaries do not use cgo",
                   "--forbid-cgo: runtime/cgo must not be linked into a Go binary; non-Go binaries pass."),
    "require-stripped": ("Binaries are stripped",
                         "--require-stripped: no symbol table may be left in the file."),
    "require-pie": ("Executables are position-independent",
                    "--require-pie: executables must be PIE or static-pie (shared libraries are position-independent)."),
    "max-glibc": ("glibc floor is at most the allowed version",
                  "--max-glibc: the newest GLIBC_x.y symbol version the binary requires must not be newer."),
    "max-size": ("File size is within the limit", "--max-size: the file must not be larger than the limit."),
    "forbid-rpath": ("No RPATH or RUNPATH", "--forbid-rpath: the binary must not carry an RPATH or RUNPATH."),
    "allow-needed": ("Needed libraries are all allowed",
                     "--allow-needed: every needed library must match one of the allowed globs."),
    "forbid-needed": ("No forbidden needed library",
                      "--forbid-needed: no needed library may match a forbidden glob."),
    "require-go-version": ("Go version meets the requirement",
                           "--require-go-version: the Go toolchain that built the binary must satisfy the comparisons; "
                           "non-Go binaries fail."),
}


@dataclass(frozen=True, slots=True)
class Violation:
    path: str
    rule: str
    message: str
    evidence: tuple[str, ...] = ()
    slice: str | None = None       # arch of the universal Mach-O slice, None for the whole file


@dataclass(frozen=True, slots=True)
class FileResult:
    path: str
    violations: tuple[Violation, ...] = ()
    skipped: str | None = None     # why no rule applies: the file is not a binary (a script, an archive, ...)

    @property
    def ok(self) -> bool:
        return not self.violations


@dataclass(frozen=True, slots=True)
class Report:
    policy: Policy
    config: str | None
    files: tuple[FileResult, ...]

    @property
    def ok(self) -> bool:
        return all(f.ok for f in self.files)

    @property
    def violations(self) -> list[Violation]:
        return [v for f in self.files for v in f.violations]

    def rules(self) -> list[str]:
        """The rules this run checked: the policy's, plus ``unreadable`` when an input failed."""
        ids = self.policy.enabled_rules()
        if any(v.rule == "unreadable" for v in self.violations):
            ids.insert(0, "unreadable")
        return ids


def run(policy: Policy, records: Iterable[Binary], config: str | None = None) -> Report:
    if policy.is_empty():
        raise PolicyError("no policy: give at least one rule option (see --help) or a policy file")
    return Report(policy, config, tuple(_file_result(policy, r) for r in records))


DIRECTORY = "is a directory (-r checks the files below it)"


def _file_result(policy: Policy, rec: Binary) -> FileResult:
    """A file that is not a binary (script, archive, linker script, text, data) is not checked: the
    policy's rules are about binaries (linkage, cgo, glibc, size of a build). It is not a pass either:
    the result says it was skipped and why, and ``--only-binaries`` leaves such files out altogether."""
    if rec.format == "directory":
        # A gate must not pass what it did not check: the files below it are what was meant.
        return FileResult(rec.path, (Violation(rec.path, "unreadable", f"cannot be read: {DIRECTORY}"),))
    if rec.format in NON_BINARY and rec.error is None:
        what = rec.description or rec.format
        return FileResult(rec.path, (), f"not a binary ({what}): the policy does not apply")
    return FileResult(rec.path, tuple(evaluate(policy, rec)))


def evaluate(policy: Policy, rec: Binary) -> list[Violation]:
    """Every violation of ``policy`` by one file's record."""
    out: list[Violation] = []
    if rec.error is not None:
        out.append(Violation(rec.path, "unreadable", _error_text(rec)))
        if rec.format == "unknown":
            return out
    if rec.slices:
        for sl in rec.slices:
            arch = sl.arch or "?"
            if sl.error is not None:
                out.append(Violation(rec.path, "unreadable", _error_text(sl), slice=arch))
                if sl.format == "unknown":
                    continue
            out.extend(Violation(rec.path, rule, msg, tuple(ev), arch) for rule, msg, ev in _image_rules(policy, sl))
    else:
        out.extend(Violation(rec.path, rule, msg, tuple(ev)) for rule, msg, ev in _image_rules(policy, rec))
    if policy.max_size is not None and rec.size > policy.max_size:
        ev = [f"{size_text(rec.size)} > {size_text(policy.max_size)}"]
        biggest = sorted(rec.size_breakdown, key=lambda kv: -kv[1])[:3]
        if biggest:
            ev.append("largest: " + ", ".join(f"{k} {size_text(v)}" for k, v in biggest))
        if rec.strip_saving:
            ev.append(f"-ldflags=\"-s -w\" (or strip) would save {size_text(rec.strip_saving)}")
        out.append(Violation(rec.path, "max-size", f"file is {rec.size:,} bytes, over the {policy.max_size:,}-byte limit",
                             tuple(ev)))
    order = {r: i for i, r in enumerate(RULES)}
    out.sort(key=lambda v: order[v.rule])   # stable: slices keep their order within a rule
    return out


def _error_text(rec: Binary) -> str:
    return f"cannot be read: {error_message(rec.error, rec.size or None)}"


# The tables each rule's facts come from: a partial record whose warning names one of them cannot
# pass that rule (a gate fails closed), and the violation says which table could not be read.
_LIBRARY_TABLES = ("program headers", "dynamic table", "dynamic strings", "import directory",
                   "delay-load import directory", "load commands", "LC_LOAD_DYLIB", "LC_LOAD_WEAK_DYLIB",
                   "LC_REEXPORT_DYLIB", "LC_LAZY_LOAD_DYLIB", "LC_LOAD_UPWARD_DYLIB", "LC_RPATH")
_GO_TABLES = ("Go build info",)
_VERSION_TABLES = ("program headers", "dynamic table", "symbol versions")
_LINKAGE_TABLES = ("program headers", "dynamic table")


def _unread(b: Binary, tables) -> list[str]:
    """Evidence lines for the warnings of ``b`` on any of ``tables`` (empty when all were read)."""
    return [f"{w.table} could not be read: {w.message}" for w in b.warnings if w.table in tables]


def _image_rules(p: Policy, b: Binary):
    """(rule, message, evidence) for every per-image rule ``b`` breaks."""
    if p.require is not None:
        yield from _linkage(p.require, b)
    libs_unread = _unread(b, _LIBRARY_TABLES)
    if p.forbid_cgo:
        unread = _unread(b, _GO_TABLES)
        if unread:
            yield "forbid-cgo", "cannot tell whether cgo is used", unread
        else:
            yield from _cgo(b)
    if p.require_stripped:
        if b.stripped is None:
            yield "require-stripped", "cannot tell whether it is stripped", [f"format {b.format}"]
        elif not b.stripped:
            ev = ["symbol table present"]
            if b.debug_info:
                ev.append("debug info present")
            if b.strip_saving:
                ev.append(f"stripping would save {size_text(b.strip_saving)}")
            if b.go is not None:
                ev.append("build with -ldflags=\"-s -w\"")
            yield "require-stripped", "not stripped", ev
    if p.require_pie:
        yield from _pie(b)
    if p.max_glibc is not None:
        unread = _unread(b, _VERSION_TABLES)
        if unread:
            yield "max-glibc", "cannot tell which glibc it needs", unread
        else:
            yield from _glibc(p.max_glibc, b)
    if p.forbid_rpath and libs_unread:
        yield "forbid-rpath", "cannot tell whether it has RPATH or RUNPATH", libs_unread
    elif p.forbid_rpath and (b.rpath or b.runpath):
        ev = [f"{name} {':'.join(v)}" for name, v in (("RPATH", b.rpath), ("RUNPATH", b.runpath)) if v]
        kinds = " and ".join(name for name, v in (("RPATH", b.rpath), ("RUNPATH", b.runpath)) if v)
        yield "forbid-rpath", f"has {kinds}", ev
    ci = b.format == "pe"
    for rule, wanted in (("allow-needed", p.allow_needed), ("forbid-needed", p.forbid_needed)):
        if wanted and libs_unread:
            yield rule, "cannot tell which libraries it needs", libs_unread
    if p.allow_needed and not libs_unread:
        for lib in b.needed:
            if not any(needed_matches(lib, g, ci) for g in p.allow_needed):
                yield "allow-needed", f"needs {lib}, which no allowed pattern matches", \
                    [f"allowed: {', '.join(p.allow_needed)}"]
    if p.forbid_needed and not libs_unread:
        for lib in b.needed:
            hits = [g for g in p.forbid_needed if needed_matches(lib, g, ci)]
            if hits:
                yield "forbid-needed", f"needs {lib}, which is forbidden", [f"matches {', '.join(hits)}"]
    if p.require_go_version is not None:
        unread = _unread(b, _GO_TABLES)
        if unread:
            yield "require-go-version", "cannot tell which Go built it", unread
        else:
            yield from _go_version(p.require_go_version, b)


_LINKAGE_OK = {
    "static": ("static",),
    "static-pie": ("static-pie",),
    "static-or-static-pie": ("static", "static-pie"),
    "dynamic": ("dynamic",),
}


def _linkage(required: str, b: Binary):
    want = required.replace("-or-", " or ")
    if b.linkage is None:
        ev = _unread(b, _LINKAGE_TABLES) or [f"format {b.format}"]
        yield "require", f"linkage could not be determined, the policy requires {want}", ev
        return
    if b.linkage in _LINKAGE_OK[required]:
        return
    ev = []
    if b.interpreter:
        ev.append(f"interpreter {b.interpreter}")
    if b.needed:
        ev.append("needs " + ", ".join(b.needed))
    if b.cgo is not None and b.cgo.used and b.cgo.causes:
        ev.append("cgo used by " + ", ".join(b.cgo.causes))
    yield "require", f"linkage is {b.linkage}, the policy requires {want}", ev


def _cgo(b: Binary):
    if b.go is None:
        return                                        # not a Go binary: not applicable
    if b.cgo is None or b.cgo.used is None:
        yield "forbid-cgo", "cannot tell whether cgo is used", ["no cgo analysis for this binary"]
        return
    if b.cgo.used:
        ev = []
        if b.cgo.causes:
            ev.append("caused by " + ", ".join(b.cgo.causes))
        if b.go.setting("CGO_ENABLED") is not None:
            ev.append(f"CGO_ENABLED={b.go.setting('CGO_ENABLED')}")
        fixes = [f.fix for f in b.findings if f.fix and f.id.startswith("cgo")]
        if fixes:
            ev.append(f"fix: {fixes[0]}")
        yield "forbid-cgo", "uses cgo", ev


def _pie(b: Binary):
    pie = dict(b.hardening).get("pie")
    if pie in ("yes", "no"):
        is_pie = pie == "yes"
    elif b.linkage == "static-pie" or b.type in ("pie-executable", "shared-library"):
        is_pie = True
    elif b.type in ("executable",):
        is_pie = False
    else:
        yield "require-pie", "cannot tell whether it is position-independent", [f"type {b.type or 'unknown'}"]
        return
    if not is_pie:
        ev = [f"type {b.type}"] if b.type else []
        if b.go is not None:
            ev.append("build with -buildmode=pie")
        yield "require-pie", "not position-independent", ev


def _glibc(limit: str, b: Binary):
    if b.glibc_min is None:
        return                                        # needs no GLIBC symbol version
    if glibc_version_key(b.glibc_min) <= glibc_version_key(limit):
        return
    ev = []
    for floor in b.version_floors:
        if floor.family == "GLIBC" and floor.symbols:
            shown = ", ".join(floor.symbols[:5]) + (f", +{len(floor.symbols) - 5} more" if len(floor.symbols) > 5 else "")
            ev.append(f"GLIBC_{floor.version} required by {shown}")
    yield "max-glibc", f"needs glibc {b.glibc_min}, the policy allows at most {limit}", ev


def _go_version(req: GoVersionReq, b: Binary):
    if b.go is None:
        yield "require-go-version", f"not a Go binary, the policy requires Go {req}", []
        return
    try:
        v = parse_go_version(b.go.version)
    except PolicyError:
        yield "require-go-version", f"Go version {b.go.version!r} cannot be compared, the policy requires Go {req}", []
        return
    failing = req.failing(v)
    if failing:
        ev = ["devel toolchains count as newer than every release"] if v.devel else []
        yield "require-go-version", f"built with {b.go.version}, the policy requires Go {', '.join(failing)}", ev
