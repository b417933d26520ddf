"""The protocol registry: one document from every app's socket types, names kept unique."""

from __future__ import annotations

from typing import Literal

import pytest
from pydantic import BaseModel

from kernel import protocols


@pytest.fixture
def registry(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(protocols, "_registry", {})


def _model(name: str, kind: str) -> type[BaseModel]:
    return type(name, (BaseModel,), {"__annotations__": {"type": Literal[kind]}})


def test_registered_types_of_two_owners_share_one_document(registry: None) -> None:
    protocols.register_protocol("a", {"Ping": ("serialization", _model("Ping", "ping"))})
    protocols.register_protocol("b", {"Pong": ("validation", _model("Pong", "pong"))})
    schemas = protocols.protocol_document()["components"]["schemas"]
    assert set(schemas) == {"Ping", "Pong"}


def test_a_name_another_owner_registered_is_refused(registry: None) -> None:
    protocols.register_protocol("a", {"Ping": ("serialization", _model("Ping", "ping"))})
    with pytest.raises(ValueError, match="'Ping' of b is registered by a"):
        protocols.register_protocol("b", {"Ping": ("serialization", _model("Ping", "ping"))})


def test_two_models_of_one_name_are_refused(registry: None) -> None:
    first, second = _model("Ping", "a"), _model("Ping", "b")
    pair = {"First": ("serialization", first), "Second": ("serialization", second)}
    protocols.register_protocol("a", pair)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="share a name"):
        protocols.protocol_document()
