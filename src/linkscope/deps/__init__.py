"""Dependency resolution: what a binary needs to run and where its loader finds it, without running it.

Public API: ``resolve(path, env, session) -> Result``, ``resolve_many(paths, env)`` (a batch, on every
core, results in order as they come), the ``Env`` it runs in (``host_env`` builds it from the process
at the CLI edge), ``Session`` (caches shared by the inputs of one call). Results are rendered by
``linkscope.render.jsonout.deps_to_json`` and ``linkscope.render.deps_report``.
"""
from __future__ import annotations

from .records import Env, HostCpu, Interpreter, Library, Result
from .resolver import Session, resolve, resolve_many

__all__ = ["Env", "HostCpu", "Interpreter", "Library", "Result", "Session", "resolve", "resolve_many", "host_env"]


def host_env(*args, **kwargs) -> Env:
    from .hostenv import host_env as f

    return f(*args, **kwargs)
