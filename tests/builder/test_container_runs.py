"""Runs of a loop container: a trace row per round of each node inside it (keyed by node id and
iteration path), the graph report's inner variables, and Dify's loop_* events in the stream."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from builder.models import NodeRun
from tests.builder.sse import parse_sse

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.services]


def loop_spec(rounds: int = 3) -> dict[str, Any]:
    """start → loop (`rounds` rounds of a template writing "round <index>") → end(rounds)."""
    return {
        "mode": "workflow",
        "nodes": [
            {"id": "start", "type": "start", "config": {"variables": []}},
            {"id": "lp", "type": "loop", "config": {"loop_count": rounds}},
            {"id": "lp_start", "type": "loop_start", "parentId": "lp"},
            {
                "id": "tpl",
                "type": "template",
                "parentId": "lp",
                "config": {
                    "variables": [{"variable": "i", "value_selector": ["lp", "index"]}],
                    "template": "round {{ i }}",
                },
            },
            {
                "id": "end",
                "type": "end",
                "config": {"outputs": [{"variable": "n", "value_selector": ["lp", "rounds"]}]},
            },
        ],
        "edges": [
            {"source": "start", "target": "lp"},
            {"source": "lp_start", "target": "tpl"},
            {"source": "lp", "target": "end"},
        ],
    }


def test_trace_keeps_a_row_per_round_of_a_node_inside_a_loop(
    owner: Any, make_app: Any, client_for: Any
) -> None:
    app, _ = make_app(owner, spec=loop_spec(), mode="workflow", publish=False)
    client = client_for(owner)
    body = client.post(f"/api/apps/{app.pk}/runs", {}, content_type="application/json").json()
    assert (body["status"], body["outputs"]) == ("succeeded", {"n": 3}), body
    rows = [
        (n["node_id"], n["container_id"], n["iteration_path"], n["outputs"].get("output"))
        for n in body["node_runs"]
        if n["node_id"] == "tpl"
    ]
    assert rows == [
        ("tpl", "lp", [0], "round 0"),
        ("tpl", "lp", [1], "round 1"),
        ("tpl", "lp", [2], "round 2"),
    ]
    top = [(n["node_id"], n["iteration_path"]) for n in body["node_runs"] if n["node_id"] == "lp"]
    assert top == [("lp", [])]
    stored = NodeRun.objects.filter(run_id=body["id"], node_id="lp_start")
    assert sorted(stored.values_list("iteration_path", flat=True)) == [[0], [1], [2]]


def test_graph_report_offers_a_containers_inner_variables(
    owner: Any, make_app: Any, client_for: Any
) -> None:
    spec = loop_spec()
    spec["nodes"][1]["config"]["loop_variables"] = [
        {"label": "total", "var_type": "number", "value": 0},
        {"label": "bad name", "var_type": "number"},  # still being typed: left out
    ]
    app, _ = make_app(owner, spec=spec, mode="workflow", publish=False)
    draft = client_for(owner).get(f"/api/apps/{app.pk}/draft").json()
    # the half-typed variable makes the config invalid; the valid one is still offered
    assert draft["nodes"]["lp"]["inner"] == {"total": "number", "index": "number"}
    assert draft["nodes"]["tpl"]["inner"] == {}


async def test_service_api_streams_loop_events_and_marks_nodes_inside(
    owner: Any, make_app: Any, live_url: str
) -> None:
    from asgiref.sync import sync_to_async

    _, key = await sync_to_async(make_app)(owner, spec=loop_spec(2), mode="workflow")
    async with httpx.AsyncClient(base_url=live_url, timeout=60) as client:
        response = await client.post(
            "/v1/workflows/run",
            content=json.dumps({"inputs": {}, "user": "u", "response_mode": "streaming"}),
            headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"},
        )
    events = parse_sse(response.content)
    seen = [(e["event"], e.get("data", {}).get("node_id")) for e in events if "data" in e]
    assert seen == [
        ("workflow_started", None),
        ("node_started", "start"),
        ("node_finished", "start"),
        ("loop_started", "lp"),
        ("loop_next", "lp"),
        ("node_started", "lp_start"),
        ("node_finished", "lp_start"),
        ("node_started", "tpl"),
        ("node_finished", "tpl"),
        ("loop_next", "lp"),
        ("node_started", "lp_start"),
        ("node_finished", "lp_start"),
        ("node_started", "tpl"),
        ("node_finished", "tpl"),
        ("loop_completed", "lp"),
        ("node_started", "end"),
        ("node_finished", "end"),
        ("workflow_finished", None),
    ]
    nexts = [e["data"]["index"] for e in events if e["event"] == "loop_next"]
    assert nexts == [0, 1]
    inner = [e["data"] for e in events if e["event"] == "node_finished"]
    tpl = [d for d in inner if d["node_id"] == "tpl"]
    assert [(d["loop_id"], d["loop_index"]) for d in tpl] == [("lp", 0), ("lp", 1)]
    assert [d["execution_metadata"]["loop_index"] for d in tpl] == [0, 1]
    assert [d["outputs"]["output"] for d in tpl] == ["round 0", "round 1"]
    completed = next(e["data"] for e in events if e["event"] == "loop_completed")
    assert (completed["status"], completed["outputs"]) == ("succeeded", {"rounds": 2})
    assert "loop_id" not in next(d for d in inner if d["node_id"] == "end")
