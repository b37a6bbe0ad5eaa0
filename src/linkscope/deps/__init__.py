"""Dependency resolution: what a binary needs to run and where its loader finds it, without running it.

Public API: ``resolve(path, env, session) -> Result``, the ``Env`` it runs in (``host_env`` builds it
from the process at the CLI edge), ``Session`` (caches shared by the inputs of one call),
``deps_to_json(result)``, and the renderers in ``render``.
"""
from __future__ import annotations

from .model import Env, HostCpu, Interpreter, Library, Result
from .resolver import Session, resolve

__all__ = ["Env", "HostCpu", "Interpreter", "Library", "Result", "Session", "resolve", "deps_to_json", "host_env"]


def deps_to_json(result: Result) -> dict:
    from .jsonout import deps_to_json as f

    return f(result)


def host_env(*args, **kwargs) -> Env:
    from .hostenv import host_env as f

    return f(*args, **kwargs)
