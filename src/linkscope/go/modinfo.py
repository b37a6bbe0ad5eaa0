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


# -- the modinfo text -------------------------------------------------------------------------------
def parse_modinfo(text: bytes | str, version: str = "", offset: int | None = None) -> GoInfo:
    """runtime/debug.ParseBuildInfo: the path/mod/dep/=>/build lines as a GoInfo.

    Lines are split on "\\n" and a final unterminated line is ignored; unknown lines (such as the
    empty line Go writes after each ``=>``) are skipped. Raises Malformed with Go's message."""
    if isinstance(text, str):
        text = text.encode("utf-8", "surrogateescape")
    path = b""
    main: list | None = None
    deps: list[list] = []
    settings: list[tuple[bytes, bytes]] = []
    last: list | None = None
    line_num = 1

    def fail(msg: str):
        raise Malformed(f"could not parse Go build info: line {line_num}: {msg}", offset=offset)

    def module_line(elem: list[bytes]) -> list:
        if len(elem) not in (2, 3):
            fail(f"expected 2 or 3 columns; got {len(elem)}")
        return [elem[0], elem[1], elem[2] if len(elem) == 3 else b"", None]

    data = text
    while data:
        line, sep, data = data.partition(b"\n")
        if not sep:
            break
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
        line_num += 1

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
