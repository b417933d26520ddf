"""The node type registry: `@register("llm", version=1)`, lookup, and the editor's catalog."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from runtime.errors import EngineError
from runtime.nodes.base import Node
from runtime.spec import NodeSettings

N = TypeVar("N", bound=type[Node[Any]])

_TYPES: dict[tuple[str, int], type[Node[Any]]] = {}


class DuplicateNodeTypeError(EngineError, ValueError):
    """A (type, version) pair is registered twice."""


class UnknownNodeTypeError(EngineError, KeyError):
    """No node type is registered under this (type, version)."""


def _add(type_id: str, version: int, cls: type[Node[Any]]) -> None:
    if (type_id, version) in _TYPES:
        raise DuplicateNodeTypeError(f"node type {type_id!r} version {version} already exists")
    cls.type_id = type_id
    cls.version = version
    _TYPES[(type_id, version)] = cls


def register(type_id: str, version: int = 1) -> Callable[[N], N]:
    """Class decorator registering a node type under a permanent snake_case id and version."""

    def deco(cls: N) -> N:
        _add(type_id, version, cls)
        return cls

    return deco


def get(type_id: str, version: int = 1) -> type[Node[Any]]:
    """The node class for (type, version); raises UnknownNodeTypeError."""
    try:
        return _TYPES[(type_id, version)]
    except KeyError:
        raise UnknownNodeTypeError(f"{type_id} v{version}") from None


def has(type_id: str, version: int = 1) -> bool:
    """Whether (type, version) is registered."""
    return (type_id, version) in _TYPES


def inner_run_names() -> dict[str, str]:
    """What each type calls one run of the nodes inside it ("item", a loop's "round"), by type id:
    the portal's pages head a container's runs with it."""
    return {type_id: cls.inner_run_name for (type_id, _), cls in _TYPES.items()}


def starts_runs(type_id: str, version: int = 1) -> bool:
    """Whether a run begins at nodes of (type, version) (`Node.starts_run`; False for a type
    not registered): how code that reads stored specs finds the start node without its id."""
    cls = _TYPES.get((type_id, version))
    return cls is not None and cls.starts_run


@contextmanager
def temporary(type_id: str, cls: type[Node[Any]], version: int = 1) -> Iterator[type[Node[Any]]]:
    """Register a node type for the duration of a `with` block (tests, benches)."""
    _add(type_id, version, cls)
    try:
        yield cls
    finally:
        _TYPES.pop((type_id, version), None)


def ending_runs_in(mode: str) -> list[str]:
    """The titles (ids where untitled) of the types whose nodes end runs of app `mode`
    (`Node.ends_run_in`), sorted: what an issue tells a person to add."""
    return sorted(
        {
            cls.type_title or type_id
            for (type_id, _), cls in _TYPES.items()
            if mode in cls.ends_run_in
        }
    )


def catalog() -> list[dict[str, Any]]:
    """Every registered type with its JSON Schemas, static outputs and handle dynamics, and for
    the palette: the app modes it is offered in, its rank there and its default config per mode."""
    settings_schema = NodeSettings.model_json_schema()
    return [
        {
            "type": type_id,
            "version": version,
            "title": cls.type_title or type_id,
            "category": cls.category,
            "description": cls.description,
            "config_schema": cls.config_model.model_json_schema(),
            "outputs": dict(cls.output_types),
            "dynamic_outputs": cls.dynamic_outputs,
            "dynamic_handles": cls.dynamic_handles,
            "stream_ports": sorted(cls.stream_ports),
            "accepts_input": cls.accepts_input,
            "starts_run": cls.starts_run,
            "container_start": cls.container_start,
            "inner_run_name": cls.inner_run_name,
            "settings_schema": settings_schema,
            "modes": sorted(cls.offered_in),
            "rank": cls.palette_rank,
            "defaults": {mode: cls.default_config(mode) for mode in sorted(cls.offered_in)},
        }
        for (type_id, version), cls in sorted(_TYPES.items())
    ]
