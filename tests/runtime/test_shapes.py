"""The graph report: each node's handles, outputs and references, and the global variables."""

from __future__ import annotations

from typing import Any

import pytest

from runtime.compile import validate
from runtime.shapes import graph_report
from runtime.spec import WorkflowSpec
from tests.runtime.helpers import edge, if_flag, node, start


def spec_of(
    nodes: list[dict[str, Any]],
    edges: list[dict[str, Any]],
    mode: str = "workflow",
    env: list[dict[str, Any]] | None = None,
    conversation_variables: list[dict[str, Any]] | None = None,
) -> WorkflowSpec:
    return WorkflowSpec.model_validate(
        {
            "mode": mode,
            "nodes": nodes,
            "edges": edges,
            "env": env or [],
            "conversation_variables": conversation_variables or [],
        }
    )


def test_shapes_if_else_has_one_handle_per_case_then_false() -> None:
    spec = spec_of([start("flag"), if_flag()], [edge("s", "if")])
    shape = graph_report(spec).nodes["if"]
    assert shape.handles == ["yes", "false"]
    assert shape.outputs == {"result": "boolean", "selected_case_id": "string"}
    assert shape.references == [["s", "flag"]]


def test_shapes_start_outputs_its_variables() -> None:
    spec = spec_of(
        [
            node(
                "s",
                "start",
                variables=[
                    {"variable": "n", "type": "number"},
                    {"variable": "ok", "type": "checkbox"},
                ],
            )
        ],
        [],
    )
    assert graph_report(spec).nodes["s"].outputs == {"n": "number", "ok": "boolean"}


def test_shapes_fail_branch_adds_handle_and_error_outputs() -> None:
    llm = node("llm", "llm", prompt="{{#s.q#}}", settings={"error_strategy": "fail_branch"})
    shape = graph_report(spec_of([start("q"), llm], [edge("s", "llm")])).nodes["llm"]
    assert shape.handles == ["source", "fail-branch"]
    assert shape.outputs == {
        "text": "string",
        "usage": "object",
        "error_message": "string",
        "error_type": "string",
    }
    assert shape.references == [["s", "q"]]


def test_shapes_fall_back_for_bad_config_and_unknown_type() -> None:
    bad = node("if", "if_else", cases="not a list")
    report = graph_report(spec_of([start(), bad, node("x", "nope")], []))
    assert report.nodes["if"].handles == ["false"]  # no case to read; "false" it always has
    assert report.nodes["if"].outputs == {"result": "boolean", "selected_case_id": "string"}
    assert report.nodes["if"].references == []
    assert (report.nodes["x"].handles, report.nodes["x"].outputs) == ([], {})
    assert {i.code for i in report.issues} >= {"bad_config", "unknown_node_type"}


def test_shapes_keep_the_handles_of_a_node_with_a_field_left_to_fill() -> None:
    """A new if-else (its condition's variable not picked yet) still shows its case and ELSE
    handles, and a new End no output handle: the editor can wire them before they are done."""
    condition = {"variable_selector": [], "comparison_operator": "contains", "value": ""}
    branch = node("if", "if_else", cases=[{"case_id": "case_1", "conditions": [condition]}])
    end = node("end", "end", outputs=[{"variable": "result", "value_selector": []}])
    spec = spec_of([start(), branch, end], [edge("s", "if"), edge("if", "end", "case_1")])
    report = graph_report(spec)
    assert report.nodes["if"].handles == ["case_1", "false"]
    assert report.nodes["end"].handles == []
    assert [(i.code, i.node_id) for i in report.issues] == [
        ("bad_config", "if"),
        ("bad_config", "end"),
    ]


@pytest.mark.parametrize(
    ("mode", "fields"),
    [
        (
            "chat",
            {
                "query": "string",
                "conversation_id": "string",
                "dialogue_count": "number",
                "user_id": "string",
                "app_id": "string",
                "workflow_run_id": "string",
                "files": "array",
            },
        ),
        (
            "workflow",
            {
                "user_id": "string",
                "app_id": "string",
                "workflow_run_id": "string",
                "files": "array",
            },
        ),
    ],
)
def test_shapes_globals_list_sys_of_the_mode_and_env(mode: str, fields: dict[str, str]) -> None:
    env: list[dict[str, Any]] = [
        {"name": "URL", "type": "string", "value": "http://x"},
        {"name": "N", "type": "number", "value": 3},
        {"name": "KEY", "type": "secret", "value": "sk"},
    ]
    talk = [{"name": "notes", "type": "array[string]"}]
    report = graph_report(spec_of([start()], [], mode=mode, env=env, conversation_variables=talk))
    chat_only = {"conversation": {"notes": "array[string]"}} if mode == "chat" else {}
    assert report.globals == {
        "sys": fields,
        "env": {"URL": "string", "N": "number", "KEY": "string"},
        **chat_only,
    }


@pytest.mark.parametrize("mode", ["chat", "workflow"])
def test_shapes_every_offered_variable_passes_validation(mode: str) -> None:
    nodes = [
        start("flag"),
        if_flag(),
        node("llm", "llm", prompt="{{#s.flag#}}", settings={"error_strategy": "fail_branch"}),
        node("t", "template", template="x"),
    ]
    edges = [edge("s", "if"), edge("if", "llm", "yes"), edge("if", "t", "false")]
    edges += [edge("llm", "t"), edge("llm", "t", "fail-branch")]
    env: list[dict[str, Any]] = [{"name": "KEY", "type": "secret", "value": "sk"}]
    report = graph_report(spec_of(nodes, edges, mode=mode, env=env))
    offered = [f"{n}.{out}" for n, shape in report.nodes.items() for out in shape.outputs]
    offered += [f"{scope}.{name}" for scope, names in report.globals.items() for name in names]
    text = " ".join(f"{{{{#{sel}#}}}}" for sel in offered)
    config: dict[str, Any] = {"answer": text} if mode == "chat" else {"outputs": []}
    last = node("out", "answer" if mode == "chat" else "end", **config)
    reader = node("reader", "llm", prompt=text)
    full = spec_of(
        [*nodes, reader, last], [*edges, edge("t", "reader"), edge("reader", "out")], mode, env
    )
    assert validate(full) == []
