"""JSON through CPython's C encoder and scanner, made directly.

``import json`` imports ``re`` (with ``enum`` and ``functools``): several times the cost of inspecting a
binary, on every run. The C pieces json.dumps and json.loads use live in ``_json`` and need none of
that; here they are made with the arguments json itself makes them with. Where ``_json`` is missing
or differs (PyPy, a future CPython), the json module does the work: same text, same values (the
tests compare the two)."""
from __future__ import annotations

__all__ = ["dumps", "loads"]

_C: dict = {}


def dumps(doc, pretty: bool = False) -> str:
    """``json.dumps(doc, ensure_ascii=True)``, compact (``separators=(",", ":")``) unless ``pretty``
    (indent 2, which json only does in Python). ASCII escapes keep file names that are not valid UTF-8
    (held as surrogates) valid JSON."""
    enc = None if pretty else _made("encoder", _make_encoder)
    if enc is not None:
        return "".join(enc(doc, 0))
    import json

    if pretty:
        return json.dumps(doc, indent=2, ensure_ascii=True)
    return json.dumps(doc, ensure_ascii=True, separators=(",", ":"))


def loads(text: str):
    """``json.loads(text)`` for a document linkscope ships or wrote."""
    scan = _made("scanner", _make_scanner)
    if scan is not None:
        start = _skip_space(text, 0)
        try:
            value, end = scan(text, start)
        except StopIteration as e:
            raise ValueError(f"JSON: expecting a value at offset {e.value}") from None
        if _skip_space(text, end) == len(text):
            return value
    import json

    return json.loads(text)  # says what is wrong, where


def _made(kind: str, make):
    if kind not in _C:
        try:
            _C[kind] = make()
        except (ImportError, AttributeError, TypeError):
            _C[kind] = None
    return _C[kind]


def _make_encoder():
    from _json import encode_basestring_ascii, make_encoder

    # json.encoder.JSONEncoder.iterencode's call: markers, default, encoder, indent, key separator,
    # item separator, sort_keys, skipkeys, allow_nan.
    enc = make_encoder(None, _unserializable, encode_basestring_ascii, None, ":", ",", False, False, True)
    if "".join(enc({"a": [0, 0.5, None, True, "\xe9"]}, 0)) != '{"a":[0,0.5,null,true,"\\u00e9"]}':
        raise TypeError("unexpected C encoder")
    return enc


class _Context:
    # What json.decoder.JSONDecoder hands the C scanner.
    strict = True
    object_hook = object_pairs_hook = None
    parse_float, parse_int = float, int

    @staticmethod
    def parse_constant(name):
        return {"-Infinity": float("-inf"), "Infinity": float("inf"), "NaN": float("nan")}[name]


def _make_scanner():
    from _json import make_scanner

    scan = make_scanner(_Context())
    if scan('{"a": [1, 2.5, null, "\\u00e9"]}', 0) != ({"a": [1, 2.5, None, "\xe9"]}, 31):
        raise TypeError("unexpected C scanner")
    return scan


def _skip_space(text: str, i: int) -> int:
    n = len(text)
    while i < n and text[i] in " \t\n\r":
        i += 1
    return i


def _unserializable(o):
    raise TypeError(f"Object of type {type(o).__name__} is not JSON serializable")
