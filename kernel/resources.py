"""The workspace resource registry: which app provides each runtime resource, per workspace.

A feature app registers, in its `AppConfig.ready`, a factory for each resource it provides
(`provide(RETRIEVER, factory)`); `factory(workspace_id)` gives that workspace's implementation
of the resource's protocol (from `runtime.resources`), and may be async when it reads the
database. A run start asks `resolve(needs_of(graph), workspace_id)` for exactly what the
compiled graph's nodes need; compiling with `offered()` reports a node whose need nothing
provides. Nothing here knows a resource by name: a new one needs its protocol in `runtime`,
the node type that uses it, and the app that provides it.

A provider may also give `allowed(workspace_id)`, a workspace setting that gates it (code
nodes: off until the workspace's admin turns them on). A workspace it refuses is not offered
the resource (compiling for that workspace reports the node, in the resource's `unavailable`
words) and is not given it at a run start (the node fails saying the same).
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from django.core.exceptions import ImproperlyConfigured

from kernel.db import db_call
from runtime.resources import Resource, Resources

T = TypeVar("T")
Factory = Callable[[int], T | Awaitable[T]]
Allowed = Callable[[int], bool]  # a sync database read: is the resource on in this workspace?

_providers: dict[Resource[Any], Factory[Any]] = {}
_gates: dict[Resource[Any], Allowed] = {}


def provide(key: Resource[T], factory: Factory[T], *, allowed: Allowed | None = None) -> None:
    """Register the factory of `key` (once: a second provider is a configuration error), and
    the workspace setting that gates it, if any."""
    if key in _providers:
        raise ImproperlyConfigured(f"resource {key.name!r} already has a provider")
    _providers[key] = factory
    if allowed is not None:
        _gates[key] = allowed


def offered(workspace_id: int | None = None) -> frozenset[Resource[Any]]:
    """The resources some installed app provides; for a workspace, less those its settings
    keep from it (a database read per gated resource)."""
    if workspace_id is None:
        return frozenset(_providers)
    return frozenset(key for key in _providers if key not in _gates or _gates[key](workspace_id))


async def resolve(needs: Iterable[Resource[Any]], workspace_id: int) -> Resources:
    """The workspace's implementation of each need that has a provider (a node whose need has
    none fails with MissingResourceError when it asks; compiling with `offered()` reports it
    before any run)."""
    resources = Resources()
    for key in needs:
        factory = _providers.get(key)
        if factory is None:
            continue
        gate = _gates.get(key)
        if gate is not None and not await db_call(gate, workspace_id):
            continue
        value = factory(workspace_id)
        if inspect.isawaitable(value):
            value = await value
        resources = resources.add(key, value)
    return resources


@contextmanager
def replaced(
    key: Resource[T], factory: Factory[T], *, allowed: Allowed | None = None
) -> Iterator[None]:
    """Provide `key` with `factory` (gated by `allowed`, if given) for the duration of a `with`
    block (tests)."""
    before, gate = _providers.get(key), _gates.pop(key, None)
    _providers[key] = factory
    if allowed is not None:
        _gates[key] = allowed
    try:
        yield
    finally:
        _restore(key, before, gate)


@contextmanager
def withdrawn(key: Resource[T]) -> Iterator[None]:
    """Provide nothing for `key` for the duration of a `with` block (tests)."""
    before, gate = _providers.pop(key, None), _gates.pop(key, None)
    try:
        yield
    finally:
        _restore(key, before, gate)


def _restore(key: Resource[Any], factory: Factory[Any] | None, gate: Allowed | None) -> None:
    """Put back the provider (and gate) `key` had before a `replaced` or `withdrawn` block."""
    _providers.pop(key, None)
    _gates.pop(key, None)
    if factory is not None:
        _providers[key] = factory
    if gate is not None:
        _gates[key] = gate
