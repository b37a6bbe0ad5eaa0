"""Frozen, slotted value records: what ``@dataclass(frozen=True, slots=True)`` gives, made cheaply.

Every `linkscope inspect` run defines some forty record classes before reading a byte. On Python
3.11, dataclasses compiles each generated method separately and imports `inspect` (with `ast`,
`dis`, `tokenize` and `enum`): about half of the start-up time of a one-file run. Here each class
costs one small compile per method it uses, and nothing heavy is imported. The records compare and hash
by value, print like dataclasses, refuse assignment, and work with :func:`replace` and
:func:`fields`.
"""
from __future__ import annotations

__all__ = ["record", "field", "replace", "fields", "FrozenInstanceError"]

_MISSING = object()


class FrozenInstanceError(AttributeError):
    """Assignment to a field of a frozen record."""


class _Field:
    __slots__ = ("default", "default_factory")

    def __init__(self, default=_MISSING, default_factory=_MISSING):
        self.default = default
        self.default_factory = default_factory


def field(*, default=_MISSING, default_factory=_MISSING):
    """A field's default (``default_factory`` for mutable defaults of non-frozen records)."""
    return _Field(default, default_factory)


def _frozen_setattr(self, name, value):
    raise FrozenInstanceError(f"cannot assign to field {name!r}")


def _frozen_delattr(self, name):
    raise FrozenInstanceError(f"cannot delete field {name!r}")


def _reduce(self):
    return (self.__class__, tuple(getattr(self, n) for n in self.__record_fields__))


def record(cls=None, /, *, frozen: bool = True, slots: bool = True, order: bool = False):
    """Class decorator: fields from the annotations (in order), defaults from class attributes.

    Each method is compiled on its first call: a run defines many records it never makes (a
    Mach-O's, a PE's), and defining costs nothing then."""

    def wrap(cls):
        for base in cls.__mro__[1:]:
            if hasattr(base, "__record_fields__"):
                raise TypeError("record classes do not inherit fields")
        ann = cls.__dict__.get("__annotations__", {})
        names = tuple(n for n, t in ann.items() if not str(t).startswith(("ClassVar", "typing.ClassVar")))
        ns = {k: v for k, v in cls.__dict__.items() if k not in names and k not in ("__dict__", "__weakref__")}
        defaults = {n: cls.__dict__[n] for n in names if n in cls.__dict__}
        methods = ["__init__", "__repr__", "__eq__"] + (["__hash__"] if frozen else [])
        if order:
            methods += ["__lt__", "__le__", "__gt__", "__ge__"]
        seen_default = False
        for n in names:
            d = defaults.get(n, _MISSING)
            if d is not _MISSING and not (isinstance(d, _Field) and d.default is d.default_factory is _MISSING):
                seen_default = True
            elif seen_default:
                raise TypeError(f"non-default field {n!r} follows a default one in {cls.__name__}")
        for m in methods:
            ns[m] = _lazy(m)
        ns["__init__"] = _tiered_init
        if not frozen:
            ns["__hash__"] = None
        else:
            ns["__setattr__"] = _frozen_setattr
            ns["__delattr__"] = _frozen_delattr
            ns["__reduce__"] = _reduce
        if slots:
            ns["__slots__"] = names
        ns["__record_fields__"] = names
        ns["__match_args__"] = names
        new = type(cls)(cls.__name__, cls.__bases__, ns)
        new.__qualname__ = cls.__qualname__
        type.__setattr__(new, "__record_spec__", (defaults, frozen, order))
        return new

    return wrap if cls is None else wrap(cls)


def _lazy(name: str):
    def method(self, *args, **kwargs):
        cls = type(self)
        _materialize(cls, name)
        return getattr(cls, name)(self, *args, **kwargs)
    method.__name__ = name
    return method


# Instances a class makes with the generic __init__ before its own is compiled: a one-file run
# never pays for compiling (a few ms for the big records), a run over a tree compiles once.
_TIER = 64


def _tiered_init(self, *args, **kwargs):
    cls = type(self)
    made = cls.__dict__.get("__record_made__", 0)
    if made < _TIER:
        type.__setattr__(cls, "__record_made__", made + 1)
        _generic_init(cls, self, args, kwargs)
    else:
        _materialize(cls, "__init__")
        cls.__init__(self, *args, **kwargs)


def _generic_init(cls, self, args, kwargs) -> None:
    """What the compiled __init__ does, by interpretation (errors are TypeErrors as there)."""
    names = cls.__record_fields__
    defaults, frozen, _ = cls.__record_spec__
    if len(args) > len(names):
        raise TypeError(f"{cls.__name__}() takes {len(names)} positional arguments but {len(args)} were given")
    values = dict(zip(names, args))
    for k, v in kwargs.items():
        if k in values:
            raise TypeError(f"{cls.__name__}() got multiple values for argument {k!r}")
        if k not in names:
            raise TypeError(f"{cls.__name__}() got an unexpected keyword argument {k!r}")
        values[k] = v
    setter = object.__setattr__ if frozen else setattr
    for n in names:
        if n in values:
            v = values[n]
        else:
            v = defaults.get(n, _MISSING)
            if isinstance(v, _Field):
                v = v.default_factory() if v.default_factory is not _MISSING else v.default
            if v is _MISSING:
                raise TypeError(f"{cls.__name__}() missing required argument: {n!r}")
        setter(self, n, v)


_OPS = {"__lt__": "<", "__le__": "<=", "__gt__": ">", "__ge__": ">="}


def _materialize(cls, name: str) -> None:
    """Compile one method of the class and put it in place of its stub. One at a time: compiling
    costs about a millisecond per kilobyte of source, and most records are only ever constructed."""
    names = cls.__record_fields__
    defaults, frozen, order = cls.__record_spec__
    glb = {"_MISSING": _MISSING, "_oset": object.__setattr__}
    tup = "(" + "".join(f"self.{n}, " for n in names) + ")"
    otup = "(" + "".join(f"other.{n}, " for n in names) + ")"
    if name == "__init__":
        params, body = [], []
        for n in names:
            d = defaults.get(n, _MISSING)
            if isinstance(d, _Field):
                if d.default_factory is not _MISSING:
                    glb[f"_f_{n}"] = d.default_factory
                    params.append(f"{n}=_MISSING")
                    body.append(f"  if {n} is _MISSING: {n} = _f_{n}()")
                    continue
                d = d.default
            if d is not _MISSING:
                glb[f"_d_{n}"] = d
                params.append(f"{n}=_d_{n}")
            else:
                params.append(n)
        if frozen and "__slots__" in cls.__dict__:
            # Each slot's own setter: one C call per field, without object.__setattr__'s lookup
            # of the name (a third cheaper; records such as section headers are made by the thousand).
            for n in names:
                glb[f"_set_{n}"] = cls.__dict__[n].__set__
            set_ = "_set_{0}(self, {0})"
        else:
            set_ = "_oset(self, '{0}', {0})" if frozen else "self.{0} = {0}"
        body += [f"  {set_.format(n)}" for n in names] or ["  pass"]
        src = [f"def __init__(self, {', '.join(params)}):", *body]
    elif name == "__repr__":
        src = ["def __repr__(self):",
               f"  return f'{cls.__qualname__}(" + ", ".join(f"{n}={{self.{n}!r}}" for n in names) + ")'"]
    elif name == "__eq__":
        src = ["def __eq__(self, other):",
               f"  if other.__class__ is self.__class__: return {tup} == {otup}",
               "  return NotImplemented"]
    elif name == "__hash__":
        src = ["def __hash__(self):", f"  return hash({tup})"]
    else:
        src = [f"def {name}(self, other):",
               f"  if other.__class__ is self.__class__: return {tup} {_OPS[name]} {otup}",
               "  return NotImplemented"]
    loc: dict = {}
    exec(compile("\n".join(src), f"<record {cls.__qualname__}.{name}>", "exec"), glb, loc)
    type.__setattr__(cls, name, loc[name])


def fields(obj_or_cls) -> tuple[str, ...]:
    """The field names of a record (class or instance), in order."""
    return obj_or_cls.__record_fields__


def replace(obj, /, **changes):
    """A copy of ``obj`` with some fields changed."""
    cls = obj.__class__
    names = obj.__record_fields__
    got = cls.__dict__.get("__record_values__")
    if got is None:
        got = _values_of(cls, names)
    values = got(obj)    # every field at once, in order (one C call)
    index = cls.__record_index__
    for k, v in changes.items():
        i = index.get(k)
        if i is None:
            unknown = set(changes) - set(names)
            raise TypeError(f"{cls.__name__} has no field(s) {', '.join(sorted(unknown))}")
        values[i] = v
    return cls(*values)


def _values_of(cls, names: tuple[str, ...]):
    """A function giving a record's field values as a new list, made once per class."""
    from _operator import attrgetter   # operator's C half: operator.py itself is not needed

    if len(names) == 1:
        one = attrgetter(names[0])
        get = lambda obj: [one(obj)]   # noqa: E731 (attrgetter of one name gives the value, not a tuple)
    elif names:
        many = attrgetter(*names)
        get = lambda obj: list(many(obj))   # noqa: E731
    else:
        get = lambda obj: []   # noqa: E731
    type.__setattr__(cls, "__record_values__", get)
    type.__setattr__(cls, "__record_index__", {n: i for i, n in enumerate(names)})
    return get
