"""The WebSocket protocol registry: each app's socket messages, typed once, in one document.

A feature app registers the pydantic types of its socket's messages in its AppConfig.ready()
(builder: the run socket; training: the job socket), without knowing of the others. `manage.py
export_protocol` writes `protocol_document()`, an OpenAPI components document with every
registered type and the models they use, and `make schema` turns it into
frontend/src/api/protocol.ts with openapi-typescript (`make schema-check` fails when it is stale).

A type is registered under its name in the document with a mode: "validation" for what the
server reads (client → server), "serialization" for what it sends (every field is then required
in TypeScript, except one left out when empty with `exclude_if`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from pydantic import TypeAdapter
from pydantic.json_schema import GenerateJsonSchema
from pydantic_core import core_schema

Mode = Literal["validation", "serialization"]

_registry: dict[str, tuple[str, Mode, Any]] = {}  # name → (owner, mode, type)


def register_protocol(owner: str, types: Mapping[str, tuple[Mode, Any]]) -> None:
    """Add an app's socket types (name → (mode, type)); call it from an AppConfig.ready().

    A name another owner registered is refused: the editor's generated names must stay unique.
    """
    for name, (mode, typ) in types.items():
        taken = _registry.get(name)
        if taken is not None and taken[0] != owner:
            raise ValueError(f"protocol type {name!r} of {owner} is registered by {taken[0]}")
        if mode not in ("validation", "serialization"):
            raise ValueError(f"protocol type {name!r}: mode must be validation or serialization")
        _registry[name] = (owner, mode, typ)


class _SentFieldsRequired(GenerateJsonSchema):
    """What the server sends has every field (defaults included), so none is optional in TS."""

    def field_is_required(
        self,
        field: core_schema.ModelField | core_schema.DataclassField | core_schema.TypedDictField,
        total: bool,
    ) -> bool:
        if self.mode == "serialization" and field.get("serialization_exclude_if") is None:
            return True  # a field left out when empty (exclude_if) stays optional
        return super().field_is_required(field, total)


def protocol_document() -> dict[str, Any]:
    """An OpenAPI document whose components are every registered type and the models they use.

    Two models of one name (pydantic then qualifies them with their module) are refused, so the
    names the editor imports never change behind its back.
    """
    adapters = [(name, mode, TypeAdapter(typ)) for name, (_, mode, typ) in _registry.items()]
    keyed, defs = TypeAdapter.json_schemas(
        adapters, ref_template="#/components/schemas/{model}", schema_generator=_SentFieldsRequired
    )
    schemas: dict[str, Any] = dict(defs.get("$defs", {}))
    clashes = sorted(name for name in schemas if "__" in name)
    if clashes:
        raise ValueError(f"protocol models share a name: {', '.join(clashes)}")
    for name, mode, _ in adapters:
        if name not in schemas:  # a model is in the definitions already; a union is not
            schemas[name] = keyed[(name, mode)]
    return {
        "openapi": "3.1.0",
        "info": {"title": "Weft WebSocket protocol", "version": "1"},
        "paths": {},
        "components": {"schemas": dict(sorted(schemas.items()))},
    }
