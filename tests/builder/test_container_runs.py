"""Runs of a loop container: a trace row per round of each node inside it (keyed by node id and
iteration path), the graph report's inner variables, and Dify's loop_* events in the stream; the
portal's run page shows an iteration's or a loop's rows under a heading per item or round."""

from __future__ import annotations

import json
import re
from typing import Any

import httpx
import pytest

from builder.models import NodeRun
from builder.trace import trace_lines
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


def iteration_spec() -> dict[str, Any]:
    """A chat app: start → iteration "Each drink" over the conversation's drinks (a template per
    item writing "<index>:<item>") → answer."""
    drinks = {"name": "drinks", "type": "array[string]", "default": ["tea", "coffee"]}
    each = {"iterator_selector": ["conversation", "drinks"], "output_selector": ["tpl", "output"]}
    variables = [
        {"variable": "i", "value_selector": ["each", "index"]},
        {"variable": "x", "value_selector": ["each", "item"]},
    ]
    return {
        "mode": "chat",
        "conversation_variables": [drinks],
        "nodes": [
            {"id": "start", "type": "start", "config": {"variables": []}},
            {"id": "each", "type": "iteration", "title": "Each drink", "config": each},
            {"id": "each_start", "type": "iteration_start", "parentId": "each"},
            {
                "id": "tpl",
                "type": "template",
                "parentId": "each",
                "config": {"variables": variables, "template": "{{ i }}:{{ x }}"},
            },
            {"id": "answer", "type": "answer", "config": {"answer": "{{#each.output#}}"}},
        ],
        "edges": [
            {"source": "start", "target": "each"},
            {"source": "each_start", "target": "tpl"},
            {"source": "each", "target": "answer"},
        ],
    }


def _page_trace(html: str) -> list[str]:
    """The run page's trace, top to bottom: each heading, and each row's node id (indented by
    two spaces per container it is inside)."""
    lines = []
    for heading, depth, node_id in re.findall(
        r'<tr class="trace-group"[^>]*><td colspan="6">([^<]*)</td>'
        r'|<tr class="trace-row[^"]*"[^>]*?(?:--depth: (\d+))?"?>\s*<td[^>]*>[^<]*</td>\s*'
        r'<td><strong>[^<]*</strong> <code class="small muted">([^<]*)</code>',
        html,
    ):
        lines.append(heading if heading else "  " * int(depth or 0) + node_id)
    return lines


@pytest.mark.parametrize(
    ("spec", "trace"),
    [
        (
            iteration_spec(),
            ["start", "each", "Each drink · Item 1", "  each_start", "  tpl",
             "Each drink · Item 2", "  each_start", "  tpl", "answer"],
        ),
        (
            loop_spec(2),
            ["start", "lp", "Loop · Round 1", "  lp_start", "  tpl",
             "Loop · Round 2", "  lp_start", "  tpl", "end"],
        ),
    ],
)  # fmt: skip
def test_run_page_shows_a_containers_runs_under_each_item_or_round(
    owner: Any, make_app: Any, client_for: Any, spec: dict[str, Any], trace: list[str]
) -> None:
    app, _ = make_app(owner, spec=spec, publish=False)
    client = client_for(owner)
    body = client.post(
        f"/api/apps/{app.pk}/runs", {"query": "hi"}, content_type="application/json"
    ).json()
    assert body["status"] == "succeeded", body
    html = client.get(f"/apps/{app.pk}/runs/{body['id']}/").content.decode()
    assert _page_trace(html) == trace


def _row(node_id: str, container: str = "", path: tuple[int, ...] = (), **more: Any) -> Any:
    fields = {"node_type": "template", "title": "", **more}
    return (NodeRun(node_id=node_id, container_id=container, iteration_path=list(path), **fields),
            None)  # fmt: skip


def test_trace_lines_group_parallel_items_and_nested_containers() -> None:
    trace = [
        _row("start"),
        _row("each", node_type="iteration", title="Each"),
        # items 1 and 2 ran in parallel: their rows started interleaved
        _row("a", "each", (0,)),
        _row("a", "each", (1,)),
        _row("rounds", "each", (1,), node_type="loop", title="Retry"),
        _row("b", "each", (0,)),
        _row("c", "rounds", (1, 0)),
        _row("c", "rounds", (1, 1)),
        _row("end"),
        _row("orphan", "gone", (4,)),  # a debug run of one node inside a container
    ]
    lines = [
        (line.heading, line.depth, line.row.node_id, line.row.iteration_path)
        for line in trace_lines(trace)
    ]
    assert lines == [
        ("", 0, "start", []),
        ("", 0, "each", []),
        ("Each · Item 1", 1, "a", [0]),
        ("", 1, "b", [0]),
        ("Each · Item 2", 1, "a", [1]),
        ("", 1, "rounds", [1]),
        ("Retry · Round 1", 2, "c", [1, 0]),
        ("Retry · Round 2", 2, "c", [1, 1]),
        ("", 0, "end", []),
        ("gone · Item 5", 1, "orphan", [4]),
    ]


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
