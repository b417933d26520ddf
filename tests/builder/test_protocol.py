"""The run WebSocket's typed protocol (builder/protocol.py) and the TypeScript generated from it."""

from __future__ import annotations

import json
import shutil
import subprocess
import typing
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

from builder.protocol import ErrorMessage, RunCreated
from kernel.protocols import protocol_document
from runtime import events

ROOT = Path(__file__).resolve().parents[2]
FRONTEND = ROOT / "frontend"
GENERATED = FRONTEND / "src" / "api" / "protocol.ts"


def _event_models() -> list[type[BaseModel]]:
    union = typing.get_args(events.RunEvent)[0]
    return list(typing.get_args(union))


def _generate_ts(document: dict[str, Any], tmp_path: Path) -> str:
    """protocol.ts as `make schema` writes it from this document."""
    src, out = tmp_path / "protocol.json", tmp_path / "protocol.ts"
    src.write_text(json.dumps(document, indent=1, sort_keys=True) + "\n")
    npx = shutil.which("npx")
    assert npx, "node is needed to check the generated TypeScript (make test installs it)"
    subprocess.run(
        [npx, "openapi-typescript", str(src), "--default-non-nullable=false", "-o", str(out)],
        cwd=FRONTEND,
        check=True,
        capture_output=True,
    )
    return out.read_text()


def test_protocol_document_has_every_event_with_every_field() -> None:
    schemas = protocol_document()["components"]["schemas"]
    mapping = schemas["RunEvent"]["discriminator"]["mapping"]
    models = _event_models()
    assert set(mapping) == {m.model_fields["kind"].default for m in models}
    for model in models:
        shown = schemas[model.__name__]
        assert set(shown["properties"]) == set(model.model_fields), model.__name__
        assert set(shown["required"]) == set(model.model_fields), "the server sends every field"


def test_protocol_error_message_leaves_out_what_is_not_set() -> None:
    assert json.loads(ErrorMessage(code="invalid_message", message="m").model_dump_json()) == {
        "type": "error",
        "code": "invalid_message",
        "message": "m",
    }
    sent = ErrorMessage(code="graph_too_large", message="m", field="spec.nodes", limit=3)
    assert json.loads(sent.model_dump_json())["limit"] == 3
    created = RunCreated(run_id="r1", conversation_id=None)
    assert json.loads(created.model_dump_json()) == {
        "type": "run_created",
        "run_id": "r1",
        "conversation_id": None,
    }


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    return protocol_document()


def test_protocol_ts_is_up_to_date(document: dict[str, Any], tmp_path: Path) -> None:
    assert _generate_ts(document, tmp_path) == GENERATED.read_text(), "run make schema"


def test_protocol_ts_drift_is_caught_when_an_event_field_changes(
    document: dict[str, Any], tmp_path: Path
) -> None:
    changed = json.loads(json.dumps(document))
    succeeded = changed["components"]["schemas"]["NodeSucceeded"]
    succeeded["properties"]["metadata"] = {"type": "object", "additionalProperties": True}
    succeeded["required"].append("metadata")
    ts = _generate_ts(changed, tmp_path)
    assert ts != GENERATED.read_text()
    assert "metadata: {" in ts
