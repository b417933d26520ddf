"""The run WebSocket's messages (builder/consumers.py), typed once for the server and the browser.

The document also carries runtime.spec.WorkflowSpec, the draft the editor saves and runs.

`make schema` writes `protocol_document()` (an OpenAPI components document) and turns it into
frontend/src/api/protocol.ts with openapi-typescript, as it does the REST API's schema.ts; `make
schema-check` fails when either is stale, so a changed event or message field reaches the editor's
type checker.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter
from pydantic.json_schema import GenerateJsonSchema
from pydantic_core import core_schema

from builder.schemas import IssueOut, RunIn
from runtime.events import RunEvent
from runtime.spec import WorkflowSpec


class RunMessage(RunIn):
    """Client → server: run the saved draft (the fields of RunIn; null means "not given")."""

    type: Literal["run"]


class StopMessage(BaseModel):
    """Client → server: stop the run in flight; it ends with run_finished "stopped"."""

    type: Literal["stop"]


class _ServerMessage(BaseModel):
    model_config = ConfigDict(frozen=True)


class RunCreated(_ServerMessage):
    """Server → client: the run was created; its events follow."""

    type: Literal["run_created"] = "run_created"
    run_id: str
    conversation_id: str | None


class EventMessage(_ServerMessage):
    """Server → client: one event of the run (runtime/events.py)."""

    type: Literal["event"] = "event"
    event: RunEvent


def _is_none(value: object) -> bool:
    return value is None


class ErrorMessage(_ServerMessage):
    """Server → client: the run was refused or the message was bad.

    Besides `field` and `issues` it carries any other data of the ApiError (e.g. `limit`).
    """

    model_config = ConfigDict(frozen=True, extra="allow")

    type: Literal["error"] = "error"
    code: str
    message: str
    field: str | None = Field(None, exclude_if=_is_none)
    issues: list[IssueOut] | None = Field(None, exclude_if=_is_none)


ClientMessage = Annotated[RunMessage | StopMessage, Field(discriminator="type")]
ServerMessage = Annotated[RunCreated | EventMessage | ErrorMessage, Field(discriminator="type")]


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
    """An OpenAPI document whose components are the run protocol's messages and events."""
    adapters: list[tuple[str, Literal["validation", "serialization"], TypeAdapter[Any]]] = [
        ("ClientMessage", "validation", TypeAdapter(ClientMessage)),
        ("ServerMessage", "serialization", TypeAdapter(ServerMessage)),
        ("RunEvent", "serialization", TypeAdapter(RunEvent)),
        # The draft the editor saves (the REST API types it as a plain object).
        ("WorkflowSpec", "validation", TypeAdapter(WorkflowSpec)),
    ]
    keyed, defs = TypeAdapter.json_schemas(
        adapters, ref_template="#/components/schemas/{model}", schema_generator=_SentFieldsRequired
    )
    schemas: dict[str, Any] = dict(defs.get("$defs", {}))
    for name, mode, _ in adapters:
        if name not in schemas:  # a model is in the definitions already; a union is not
            schemas[name] = keyed[(name, mode)]
    return {
        "openapi": "3.1.0",
        "info": {"title": "Weft run protocol", "version": "1"},
        "paths": {},
        "components": {"schemas": dict(sorted(schemas.items()))},
    }
