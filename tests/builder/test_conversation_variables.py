"""Conversation variables through the published API: kept per conversation across turns,
written back only after a turn that did not fail, and listed by
GET /v1/conversations/{id}/variables."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from builder.models import Conversation

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.services]


def _spec() -> dict[str, Any]:
    """Start → assigner (topic := query, turns += 1, asked += [query]) → Answer of them."""

    def item(name: str, operation: str, value: Any, input_type: str = "constant") -> dict[str, Any]:
        selector = ["conversation", name]
        return {
            "variable_selector": selector,
            "operation": operation,
            "input_type": input_type,
            "value": value,
        }

    items = [
        item("topic", "over-write", ["sys", "query"], "variable"),
        item("turns", "+=", 1),
        item("asked", "append", ["sys", "query"], "variable"),
    ]
    answer = "{{#conversation.turns#}} {{#conversation.topic#}} {{#conversation.asked#}}"
    return {
        "mode": "chat",
        "conversation_variables": [
            {"name": "topic", "type": "string", "description": "the last question"},
            {"name": "turns", "type": "number"},
            {"name": "asked", "type": "array[string]"},
            {"name": "untouched", "type": "string", "default": "as declared"},
        ],
        "nodes": [
            {"id": "start", "type": "start", "config": {"variables": []}},
            {"id": "set", "type": "variable_assigner", "config": {"items": items}},
            {"id": "answer", "type": "answer", "config": {"answer": answer}},
        ],
        "edges": [{"source": "start", "target": "set"}, {"source": "set", "target": "answer"}],
    }


async def _ask(
    url: str, key: str, query: str, conversation_id: str = "", status: int = 200
) -> dict[str, Any]:
    body = {"query": query, "user": "ann", "response_mode": "blocking"}
    if conversation_id:
        body["conversation_id"] = conversation_id
    async with httpx.AsyncClient(base_url=url, timeout=60) as client:
        response = await client.post(
            "/v1/chat-messages",
            content=json.dumps(body).encode(),
            headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"},
        )
    assert response.status_code == status, response.text
    return dict(response.json())


@pytest.fixture
def remembers(owner: Any, make_app: Any) -> str:
    return str(make_app(owner, spec=_spec(), slug="remembers")[1])


@pytest.fixture
def fails(owner: Any, make_app: Any) -> str:
    spec = _spec()
    answer = spec["nodes"][2]
    # after the assignments, a node that fails: the turn's changes must not be stored
    divide = {
        "variable_selector": ["conversation", "turns"],
        "operation": "/=",
        "input_type": "constant",
        "value": 0,
    }
    spec["nodes"].insert(
        2, {"id": "boom", "type": "variable_assigner", "config": {"items": [divide]}}
    )
    spec["edges"] = [
        {"source": "start", "target": "set"},
        {"source": "set", "target": "boom"},
        {"source": "boom", "target": answer["id"]},
    ]
    return str(make_app(owner, spec=spec, slug="fails")[1])


async def test_conversation_variables_persist_across_turns_and_are_listed(
    live_url: str, remembers: str
) -> None:
    key = remembers
    first = await _ask(live_url, key, "tides")
    assert first["answer"] == '1 tides ["tides"]'
    cid = first["conversation_id"]
    second = await _ask(live_url, key, "moons", cid)
    assert second["answer"] == '2 moons ["tides", "moons"]'
    other = await _ask(live_url, key, "fresh")  # a new conversation starts from the defaults
    assert other["answer"] == '1 fresh ["fresh"]'
    stored = (await Conversation.objects.aget(pk=cid)).variables
    assert stored == {"topic": "moons", "turns": 2, "asked": ["tides", "moons"]}
    async with httpx.AsyncClient(
        base_url=live_url, headers={"Authorization": f"Bearer {key}"}
    ) as c:
        page = (await c.get(f"/v1/conversations/{cid}/variables", params={"user": "ann"})).json()
        rest = await c.get(
            f"/v1/conversations/{cid}/variables",
            params={"user": "ann", "last_id": "turns", "limit": 1},
        )
        stranger = await c.get(f"/v1/conversations/{cid}/variables", params={"user": "bob"})
    listed = {v["name"]: (v["value_type"], v["value"]) for v in page["data"]}
    assert listed == {
        "topic": ("string", "moons"),
        "turns": ("number", 2),
        "asked": ("array[string]", ["tides", "moons"]),
        "untouched": ("string", "as declared"),
    }
    assert page["data"][0]["description"] == "the last question"
    assert [v["name"] for v in rest.json()["data"]] == ["asked"]
    assert rest.json()["has_more"] is True
    assert stranger.status_code == 404


async def test_conversation_variables_of_a_failed_turn_are_not_kept(
    live_url: str, fails: str
) -> None:
    failed = await _ask(live_url, fails, "tides", status=500)
    assert failed["code"] == "AssignmentError"
    conversation = await Conversation.objects.aget(end_user="ann")
    assert conversation.variables == {}
