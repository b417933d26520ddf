"""The workspace resource registry: which app provides each runtime resource, per workspace.

A feature app registers, in its `AppConfig.ready`, a factory for each resource it provides
(`provide(RETRIEVER, factory)`); `factory(workspace_id)` gives that workspace's implementation
of the resource's protocol (from `runtime.resources`), and may be async when it reads the
database. A run start asks `resolve(needs_of(graph), workspace_id)` for exactly what the
compiled graph's nodes need; compiling with `offered()` reports a node whose need nothing
provides. Nothing here knows a resource by name: a new one needs its protocol in `runtime`,
the node type that uses it, and the app that provides it.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from django.core.exceptions import ImproperlyConfigured

from runtime.resources import Resource, Resources

T = TypeVar("T")
Factory = Callable[[int], T | Awaitable[T]]

_providers: dict[Resource[Any], Factory[Any]] = {}


def provide(key: Resource[T], factory: Factory[T]) -> None:
    """Register the factory of `key` (once: a second provider is a configuration error)."""
    if key in _providers:
        raise ImproperlyConfigured(f"resource {key.name!r} already has a provider")
    _providers[key] = factory


def offered() -> frozenset[Resource[Any]]:
    """The resources some installed app provides."""
    return frozenset(_providers)


async def resolve(needs: Iterable[Resource[Any]], workspace_id: int) -> Resources:
    """The workspace's implementation of each need that has a provider (a node whose need has
    none fails with MissingResourceError when it asks; compiling with `offered()` reports it
    before any run)."""
    resources = Resources()
    for key in needs:
        factory = _providers.get(key)
        if factory is None:
            continue
        value = factory(workspace_id)
        if inspect.isawaitable(value):
            value = await value
        resources = resources.add(key, value)
    return resources


@contextmanager
def replaced(key: Resource[T], factory: Factory[T]) -> Iterator[None]:
    """Provide `key` with `factory` for the duration of a `with` block (tests)."""
    before = _providers.get(key)
    _providers[key] = factory
    try:
        yield
    finally:
        if before is None:
            _providers.pop(key, None)
        else:
            _providers[key] = before


@contextmanager
def withdrawn(key: Resource[T]) -> Iterator[None]:
    """Provide nothing for `key` for the duration of a `with` block (tests)."""
    before = _providers.pop(key, None)
    try:
        yield
    finally:
        if before is not None:
            _providers[key] = before
