"""The job WebSocket's messages are in the one protocol document the editor's types come from."""

from __future__ import annotations

import json
import typing

from kernel.protocols import protocol_document
from training.protocol import TrainingServerMessage, TrainingStatus
from training.schemas import JobDetail


def test_training_messages_are_in_the_protocol_document() -> None:
    schemas = protocol_document()["components"]["schemas"]
    union = schemas["TrainingServerMessage"]
    assert set(union["discriminator"]["mapping"]) == {"snapshot", "progress", "status", "error"}
    models = typing.get_args(typing.get_args(TrainingServerMessage)[0])
    assert {m.__name__ for m in models} <= set(schemas)
    snapshot = schemas["TrainingSnapshot"]
    assert set(snapshot["properties"]) == set(JobDetail.model_fields) | {"type"}
    assert set(snapshot["required"]) == set(snapshot["properties"]), "the server sends every field"
    assert schemas["TrainerEvent"]["required"] == ["event"]
    assert "RunEvent" in schemas, "one document for every app's socket"


def test_training_status_is_sent_with_its_type() -> None:
    sent = json.loads(TrainingStatus.model_validate({"status": "running"}).model_dump_json())
    assert sent == {"type": "status", "status": "running"}
