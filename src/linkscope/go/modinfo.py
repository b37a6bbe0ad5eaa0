"""The module text of Go build information, as Go's ``runtime/debug`` parses and prints it
(``ParseBuildInfo``, ``BuildInfo.String``), and the text ``go version -m`` prints from it.

Tolerated difference from Go, on hostile input only: a ``=>`` line after the ``mod`` line (a
replaced main module) is accepted but dropped: :class:`~linkscope.model.Module` has no ``replace``
field. ``cmd/go`` never writes one.
"""
from __future__ import annotations

from ..errors import Malformed
from ..model import Dep, GoInfo, Module
from .strconv import go_quote, quoted_prefix, unquote_bytes

# Module dependencies and build settings read at most (a large program has some hundreds and some
# dozens); past them the lines are skipped, and ``warn`` is told. The text itself is at most 16 MiB.
MAX_DEPS = 1 << 14
MAX_SETTINGS = 1 << 12
# Lines read at most, whatever they are (Go skips lines it does not know: 16 MiB of empty lines
# would be 16 million); room for the budgets above with their => and empty lines.
MAX_LINES = 1 << 17


# -- the modinfo text -------------------------------------------------------------------------------
def parse_modinfo(text: bytes | str, version: str = "", offset: int | None = None, warn=None) -> GoInfo:
    """runtime/debug.ParseBuildInfo: the path/mod/dep/=>/build lines as a GoInfo.

    Lines are split on "\\n" and a final unterminated line is ignored; unknown lines (such as the
    empty line Go writes after each ``=>``) are skipped. Raises Malformed with Go's message (its line
    number counted in the text as written). Past MAX_DEPS dependencies the lines up to the first
    ``build`` line (the further dependencies and their ``=>`` lines) are not read, past MAX_SETTINGS
    settings the rest of the text; ``warn(message)`` is called once for each budget."""
    if isinstance(text, str):
        text = text.encode("utf-8", "surrogateescape")
    path = b""
    main: list | None = None
    deps: list[list] = []
    settings: list[tuple[bytes, bytes]] = []
    last: list | None = None
    line_num = 0
    text, skipped_deps, skipped_settings, cut_line, cut_lines = _within_budgets(text)
    lines = text.count(b"\n")
    if lines > MAX_LINES:
        text = text[:_nth_line(text, b"", MAX_LINES)]

    def fail(msg: str):
        raise Malformed(f"could not parse Go build info: line {line_num}: {msg}", offset=offset)

    def module_line(elem: list[bytes]) -> list:
        if len(elem) not in (2, 3):
            fail(f"expected 2 or 3 columns; got {len(elem)}")
        return [elem[0], elem[1], elem[2] if len(elem) == 3 else b"", None]

    # Split once: taking the rest after each line (partition) copied the text per line, which made a
    # module list of 400,000 lines take minutes. The piece after the last "\n" is unterminated.
    for i, line in enumerate(text.split(b"\n")[:-1]):
        line_num = i + 1 + (cut_lines if i >= cut_line else 0)   # as numbered in the text as written
        if line.startswith(b"path\t"):
            path = line[5:]
        elif line.startswith(b"mod\t"):
            main = module_line(line[4:].split(b"\t"))
            last = main
        elif line.startswith(b"dep\t"):
            last = module_line(line[4:].split(b"\t"))
            deps.append(last)
        elif line.startswith(b"=>\t"):
            elem = line[3:].split(b"\t")
            if len(elem) != 3:
                fail(f"expected 3 columns for replacement; got {len(elem)}")
            if last is None:
                fail("replacement with no module on previous line")
            last[3] = elem
            last = None
        elif line.startswith(b"build\t"):
            settings.append(_parse_build_line(line[6:], fail))

    if warn is not None and lines > MAX_LINES:
        warn(f"{lines + cut_lines} lines of module information, more than the {MAX_LINES} read; the others not read")
    if warn is not None and skipped_deps:
        warn(f"{MAX_DEPS + skipped_deps} module dependencies, more than the {MAX_DEPS} read; the others not read")
    if warn is not None and skipped_settings:
        warn(f"{MAX_SETTINGS + skipped_settings} build settings, more than the {MAX_SETTINGS} read; the others "
             "not read")

    def s(b: bytes) -> str:
        return b.decode("utf-8", "surrogateescape")

    main_mod = None
    if main is not None and (main[0] or main[1] or main[2]):
        main_mod = Module(s(main[0]), s(main[1]), s(main[2]))
    return GoInfo(
        version=version,
        path=s(path),
        main=main_mod,
        deps=tuple(Dep(s(p), s(v), s(h), Module(*(s(x) for x in r)) if r is not None else None)
                   for p, v, h, r in deps),
        settings=tuple((s(k), s(v)) for k, v in settings),
    )


def _within_budgets(text: bytes) -> tuple[bytes, int, int, int, int]:
    """(text, dependencies cut, settings cut, index of the first line after the dependencies' cut,
    lines that cut removed): past MAX_DEPS ``dep`` lines, those lines to the first ``build`` line
    (the further dependencies with their ``=>`` lines) are cut out; past MAX_SETTINGS ``build``
    lines, the rest of the text. Found with C-speed searches: the loop over lines sees the budgets'
    lines only."""
    deps = settings = cut_line = cut_lines = 0
    cut = _nth_line(text, b"dep\t", MAX_DEPS)
    if cut >= 0:
        end = text.find(b"\nbuild\t", cut)
        end = len(text) if end < 0 else end + 1
        deps = text.count(b"\ndep\t", cut, end) + 1          # the line at ``cut`` and those after it
        cut_line, cut_lines = text.count(b"\n", 0, cut), text.count(b"\n", cut, end)
        text = text[:cut] + text[end:]
    cut = _nth_line(text, b"build\t", MAX_SETTINGS)
    if cut >= 0:
        settings = text.count(b"\nbuild\t", cut) + 1
        text = text[:cut]
    return text, deps, settings, cut_line, cut_lines


def _nth_line(text: bytes, prefix: bytes, n: int) -> int:
    """Offset of the ``n``-th line (counted from 0) of ``text`` that starts with ``prefix``, or -1."""
    needle = b"\n" + prefix
    if text.startswith(prefix):
        pos = 0
    else:
        i = text.find(needle)
        pos = -1 if i < 0 else i + 1
    for _ in range(n):
        if pos < 0:
            return -1
        i = text.find(needle, pos)
        pos = -1 if i < 0 else i + 1
    return pos


def _parse_build_line(kv: bytes, fail) -> tuple[bytes, bytes]:
    if not kv:
        fail("build line missing '='")
    c = kv[0]
    if c == 0x3D:  # '='
        fail("build line with missing key")
    if c in (0x60, 0x22):  # '`' '"'
        try:
            raw_key, _ = quoted_prefix(kv)
        except ValueError:
            fail("invalid quoted key in build line")
        if len(kv) == len(raw_key):
            fail("build line missing '=' after quoted key")
        if kv[len(raw_key)] != 0x3D:
            fail(f"unexpected character after quoted key: {_quote_char(kv[len(raw_key)])}")
        key = unquote_bytes(raw_key)
        raw_value = kv[len(raw_key) + 1:]
    else:
        key, sep, raw_value = kv.partition(b"=")
        if not sep:
            fail("build line missing '=' after key")
        if _quote_key(key):
            fail(f"unquoted key {go_quote(key.decode('utf-8', 'surrogateescape'))} must be quoted")
    value = b""
    if raw_value:
        if raw_value[0] in (0x60, 0x22):
            try:
                value = unquote_bytes(raw_value)
            except ValueError:
                fail("invalid quoted value in build line")
        else:
            value = raw_value
            if _quote_value(value):
                fail(f"unquoted value {go_quote(value.decode('utf-8', 'surrogateescape'))} must be quoted")
    return key, value


def _quote_char(c: int) -> str:
    """fmt's %q of a byte (Go formats it as a rune literal)."""
    ch = chr(c)
    if ch == "'" or ch == "\\":
        return "'\\" + ch + "'"
    inner = go_quote(ch)[1:-1].replace('\\"', '"')
    return "'" + inner + "'"


def _quote_key(key: bytes) -> bool:
    return not key or any(c in key for c in b'= \t\r\n"`')


def _quote_value(value: bytes) -> bool:
    return any(c in value for c in b' \t\r\n"`')


# -- printing ---------------------------------------------------------------------------------------
def modinfo_string(info: GoInfo, with_version: bool = True) -> str:
    """runtime/debug.(*BuildInfo).String: the text ParseBuildInfo reads back (plus a ``go`` line)."""
    out: list[str] = []
    if with_version and info.version:
        out.append(f"go\t{info.version}\n")
    if info.path:
        out.append(f"path\t{info.path}\n")

    def fmt_mod(word: str, path: str, version: str, sum_: str, replace: Module | None) -> None:
        out.append(f"{word}\t{path}\t{version}")
        if replace is None:
            out.append(f"\t{sum_}")
        else:
            out.append("\n")
            fmt_mod("=>", replace.path, replace.version, replace.sum, None)
        out.append("\n")

    if info.main is not None and info.main != Module(""):
        fmt_mod("mod", info.main.path, info.main.version, info.main.sum, None)
    for d in info.deps:
        fmt_mod("dep", d.path, d.version, d.sum, d.replace)
    for key, value in info.settings:
        kb, vb = key.encode("utf-8", "surrogateescape"), value.encode("utf-8", "surrogateescape")
        if _quote_key(kb):
            key = go_quote(key)
        if _quote_value(vb):
            value = go_quote(value)
        out.append(f"build\t{key}={value}\n")
    return "".join(out)


def format_go_version_m(path_label: str, info: GoInfo) -> str:
    """Exactly what ``go version -m FILE`` prints for ``info`` (cmd/go/internal/version.scanFile):
    ``FILE: go1.x`` and the module info, each line indented by a tab."""
    out = f"{path_label}: {info.version}\n"
    mod = modinfo_string(info, with_version=False)
    if mod:
        out += "\t" + mod[:-1].replace("\n", "\n\t") + "\n"
    return out
