"""compile_workflow/validate: every issue code, collected all at once."""

from __future__ import annotations

from typing import Any

import networkx as nx
import pytest

from runtime.compile import compile_workflow, validate
from runtime.errors import GraphInvalidError
from runtime.issues import Issue
from runtime.spec import WorkflowSpec
from tests.runtime.helpers import build, edge, if_flag, neighbour_reads, node, start
from tests.specs import chain_spec

END = node("end", "end", outputs=[])


def issues(
    nodes: list[dict[str, Any]],
    edges: list[dict[str, Any]],
    mode: str = "workflow",
    env: list[dict[str, Any]] | None = None,
) -> list[Issue]:
    spec = WorkflowSpec.model_validate(
        {"mode": mode, "nodes": nodes, "edges": edges, "env": env or []}
    )
    return validate(spec)


def codes(found: list[Issue]) -> list[tuple[str, str | None]]:
    return [(i.code, i.node_id) for i in found]


def test_compile_accepts_valid_graph() -> None:
    graph = build([start(), node("a", "sleep"), END], [edge("s", "a"), edge("a", "end")])
    assert graph.start_id == "s"
    assert graph.generations == (("s",), ("a",), ("end",))
    assert graph.successors["s"] == (("source", "a"),)
    assert nx.is_frozen(graph.graph)


def test_compile_reports_unknown_node_type() -> None:
    found = issues([start(), node("x", "nope"), END], [edge("s", "x"), edge("x", "end")])
    assert ("unknown_node_type", "x") in codes(found)


def test_compile_reports_bad_config_with_field() -> None:
    found = issues(
        [start(), node("a", "sleep", delay="soon", bogus=1), END],
        [edge("s", "a"), edge("a", "end")],
    )
    bad = [i for i in found if i.code == "bad_config"]
    assert {i.field for i in bad} == {"delay", "bogus"}
    assert all(i.node_id == "a" for i in bad)


def test_compile_reports_duplicate_node_id() -> None:
    found = issues(
        [start(), node("a", "sleep"), node("a", "sleep"), END], [edge("s", "a"), edge("a", "end")]
    )
    assert ("duplicate_node_id", "a") in codes(found)


def test_compile_reports_dangling_edge() -> None:
    found = issues([start(), END], [edge("s", "end"), edge("s", "ghost")])
    assert ("dangling_edge", "s") in codes(found)


def test_compile_reports_cycle() -> None:
    found = issues(
        [start(), node("a", "sleep"), node("b", "sleep"), END],
        [edge("s", "a"), edge("a", "b"), edge("b", "a"), edge("b", "end")],
    )
    assert ("cycle", "a") in codes(found)


def test_compile_reports_no_start() -> None:
    assert ("no_start", None) in codes(issues([END], []))


def test_compile_reports_several_starts() -> None:
    second = node("s2", "start")
    found = issues([start(), second, END], [edge("s", "end"), edge("s2", "end")])
    assert ("several_starts", "s2") in codes(found)


def test_compile_reports_unreachable() -> None:
    found = issues([start(), node("lost", "sleep"), END], [edge("s", "end"), edge("lost", "end")])
    assert ("unreachable", "lost") in codes(found)


def test_compile_reports_no_output_on_dead_end_path() -> None:
    found = issues(
        [start(), node("a", "sleep"), node("b", "sleep"), END],
        [edge("s", "a"), edge("a", "end"), edge("s", "b")],
    )
    assert ("no_output", "b") in codes(found)


def test_compile_reports_no_output_without_output_node() -> None:
    assert ("no_output", None) in codes(issues([start()], []))


def test_compile_reports_wrong_mode_for_answer_in_workflow_app() -> None:
    found = issues(
        [start(), node("ans", "answer", answer="hi"), END], [edge("s", "ans"), edge("ans", "end")]
    )
    assert ("wrong_mode", "ans") in codes(found)


def test_compile_reports_wrong_mode_for_end_in_chat_app() -> None:
    found = issues([start(), END], [edge("s", "end")], mode="chat")
    assert ("wrong_mode", "end") in codes(found)
    assert ("no_output", None) in codes(found)


def test_compile_reports_unknown_variable_not_upstream() -> None:
    nodes = [
        start(),
        node("a", "sleep"),
        node("b", "sleep"),
        node("end", "end", outputs=[{"variable": "x", "value_selector": ["b", "value"]}]),
    ]
    found = issues(nodes, [edge("s", "a"), edge("s", "b"), edge("a", "end"), edge("b", "end")])
    assert found == []
    nodes[3] = node(
        "t",
        "template",
        template="{{ v }}",
        variables=[{"variable": "v", "value_selector": ["b", "value"]}],
    )
    nodes.append(END)
    found = issues(
        nodes, [edge("s", "a"), edge("s", "b"), edge("a", "t"), edge("t", "end"), edge("b", "end")]
    )
    assert ("unknown_variable", "t") in codes(found)


def test_compile_reports_unknown_variable_missing_field_and_sys() -> None:
    nodes = [
        start("q"),
        node(
            "ans",
            "answer",
            answer="{{#s.nope#}} {{#sys.bogus#}} {{#sys.query#}} {{#env.KEY#}} {{#s.q#}}",
        ),
    ]
    found = issues(nodes, [edge("s", "ans")], mode="chat", env=[{"name": "KEY", "value": "k"}])
    assert [(i.code, i.field) for i in found] == [
        ("unknown_variable", "s.nope"),
        ("unknown_variable", "sys.bogus"),
    ]


def test_compile_reports_undefined_env_var() -> None:
    nodes = [start(), node("t", "llm", prompt="{{#env.KEY#}} {{#env.URL#}}"), END]
    edges = [edge("s", "t"), edge("t", "end")]
    found = issues(nodes, edges, env=[{"name": "URL", "value": "http://x"}])
    assert [(i.code, i.node_id, i.field) for i in found] == [("unknown_variable", "t", "env.KEY")]


@pytest.mark.parametrize(
    ("mode", "flagged"),
    [("chat", []), ("workflow", ["sys.query", "sys.conversation_id", "sys.dialogue_count"])],
)
def test_compile_accepts_only_sys_variables_of_the_mode(mode: str, flagged: list[str]) -> None:
    fields = ["query", "conversation_id", "dialogue_count", "user_id", "app_id", "files"]
    text = " ".join(f"{{{{#sys.{f}#}}}}" for f in fields)
    out = node("end", "answer", answer="x") if mode == "chat" else END
    nodes = [start(), node("t", "llm", prompt=text), out]
    found = issues(nodes, [edge("s", "t"), edge("t", "end")], mode=mode)
    assert [i.field for i in found] == flagged


def test_compile_reports_unknown_handle() -> None:
    found = issues(
        [start("flag"), if_flag(), END],
        [edge("s", "if"), edge("if", "end", "maybe"), edge("if", "end", "false")],
    )
    assert ("unknown_handle", "if") in codes(found)


def test_compile_accepts_fail_branch_handle_only_with_strategy() -> None:
    nodes = [start(), node("a", "sleep"), END]
    found = issues(nodes, [edge("s", "a"), edge("a", "end"), edge("a", "end", "fail-branch")])
    assert ("unknown_handle", "a") in codes(found)
    nodes[1] = node("a", "sleep", settings={"error_strategy": "fail_branch"})
    assert issues(nodes, [edge("s", "a"), edge("a", "end"), edge("a", "end", "fail-branch")]) == []


def test_compile_collects_every_issue_at_once() -> None:
    found = issues(
        [node("x", "nope"), node("a", "sleep", bogus=1), node("a", "sleep")], [edge("a", "ghost")]
    )
    assert {i.code for i in found} >= {
        "unknown_node_type",
        "bad_config",
        "duplicate_node_id",
        "dangling_edge",
        "no_start",
        "no_output",
    }


def test_compile_raises_graph_invalid_with_issues() -> None:
    spec = WorkflowSpec.model_validate({"mode": "workflow", "nodes": [], "edges": []})
    with pytest.raises(GraphInvalidError) as info:
        compile_workflow(spec)
    assert {i.code for i in info.value.issues} == {"no_start", "no_output"}


def _neighbour_visits(length: int, monkeypatch: pytest.MonkeyPatch) -> int:
    """How many neighbour lists validating a chain of `length` template nodes reads."""
    spec = WorkflowSpec.model_validate(chain_spec(length))
    return neighbour_reads(lambda: validate(spec), monkeypatch)


def test_compile_walks_a_chain_in_linear_steps(monkeypatch: pytest.MonkeyPatch) -> None:
    # Finding 8: one ancestors() walk per node made a 14,000-node chain take 49 s.
    short, long = _neighbour_visits(200, monkeypatch), _neighbour_visits(800, monkeypatch)
    assert long <= 4.5 * short  # 4x the nodes; a walk per node would read ~16x


def test_compile_reports_unchosen_aggregator_variable_on_its_node() -> None:
    # Finding 14: "+ Add variable" stores [], and compile raised IndexError on it.
    agg = node("agg", "variable_aggregator", variables=[["s", "value"], []])
    found = issues([start(), agg, END], [edge("s", "agg"), edge("agg", "end")])
    assert ("bad_config", "agg") in codes(found)
    issue = next(i for i in found if i.node_id == "agg")
    assert (issue.field, issue.message) == (
        "variables.1",
        "Variable 2: pick a variable (a node and one of its outputs)",
    )


def _empty_like(schema: dict[str, Any]) -> Any:
    """The emptiest value of a schema's type: what an editor stores before anything is chosen."""
    if "$ref" in schema:
        return {}
    empty = {"array": [], "string": "", "object": {}, "integer": 0, "number": 0, "boolean": False}
    return empty.get(str(schema.get("type")))


def _incomplete_configs() -> list[tuple[str, dict[str, Any]]]:
    """For each built-in node type: {} and, per field, that field empty (a list: with one
    empty entry, as "+ Add" makes it)."""
    from runtime.nodes import registry

    out: list[tuple[str, dict[str, Any]]] = []
    for entry in registry.catalog():
        schema = entry["config_schema"]
        out.append((entry["type"], {}))
        for name, prop in schema.get("properties", {}).items():
            value = _empty_like(prop)
            if prop.get("type") == "array":
                value = [_empty_like(prop.get("items", {}))]
            out.append((entry["type"], {name: value}))
    return out


@pytest.mark.parametrize(("type_id", "config"), _incomplete_configs())
def test_compile_reports_incomplete_config_as_issues(type_id: str, config: dict[str, Any]) -> None:
    from runtime.shapes import graph_report

    mode = "chat" if type_id == "answer" else "workflow"
    nodes = [start(), {"id": "x", "type": type_id, "config": config}, END]
    spec = WorkflowSpec.model_validate(
        {"mode": mode, "nodes": nodes, "edges": [edge("s", "x"), edge("x", "end")]}
    )
    report = graph_report(spec)  # what saving and loading a draft run: never an exception
    assert "x" in report.nodes
    assert all(i.node_id in {None, "s", "x", "end"} for i in report.issues)


def test_compile_lists_reference_issues_in_spec_order() -> None:
    # checked in topological order (a before b), listed as the editor lists the nodes (b, a)
    b = node("b", "template", variables=[{"variable": "x", "value_selector": ["nope", "x"]}])
    a = node("a", "template", variables=[{"variable": "x", "value_selector": ["gone", "x"]}])
    found = issues([start(), b, a, END], [edge("s", "a"), edge("a", "b"), edge("b", "end")])
    assert [i.node_id for i in found if i.code == "unknown_variable"] == ["b", "a"]


def test_compile_reports_malformed_run_settings_on_their_node() -> None:
    # Issue 13: the settings form can leave 0 attempts; the spec keeps it, compile names it.
    bad = node("a", "sleep", settings={"retry": {"max_attempts": 0}, "timeout_s": "soon"})
    found = issues([start(), bad, END], [edge("s", "a"), edge("a", "end")])
    assert {(i.code, i.node_id, i.field, i.message) for i in found} >= {
        (
            "bad_config",
            "a",
            "settings.retry.max_attempts",
            "Max attempts (run settings, retry): use 1 or more",
        ),
        (
            "bad_config",
            "a",
            "settings.timeout_s",
            "Timeout in seconds (run settings): enter a number",
        ),
    }


def test_compile_names_nodes_by_title_and_says_what_to_do() -> None:
    """Issues are read by people: a node appears as its title (or its type's), never its id, and
    each message ends in what to do about it."""
    loop = [
        {**node("loop_a", "template", template="a", variables=[]), "title": "Wait A"},
        {**node("loop_b", "template", template="b", variables=[]), "title": "Wait B"},
    ]
    looped = issues(
        [start(), *loop, END],
        [
            edge("s", "loop_a"),
            edge("loop_a", "loop_b"),
            edge("loop_b", "loop_a"),
            edge("loop_b", "end"),
        ],
    )
    reads = [{"variable": "v", "value_selector": ["loop_a", "nope"]}]
    dead_ends = [
        loop[0],
        node("lost_1", "template", template="{{ v }}", variables=[]),
        {**node("t_9", "template", template="{{ v }}", variables=reads), "title": "Greeting"},
    ]
    found = issues(
        [start(), *dead_ends, END],
        [edge("s", "loop_a"), edge("loop_a", "end"), edge("lost_1", "end"), edge("loop_a", "t_9")],
    )
    by_code = {i.code: i.message for i in [*looped, *found]}
    assert by_code["cycle"].startswith("Wait A and Wait B connect in a loop")
    assert by_code["unreachable"] == "nothing leads here from Start: connect an edge into it"
    assert by_code["no_output"] == "nothing follows it: connect it on towards an End node"
    assert by_code["unknown_variable"].startswith("Wait A has no output 'nope'")
    for issue in [*looped, *found]:
        assert not {"loop_a", "loop_b", "lost_1", "t_9"} & set(issue.message.split()), issue
        assert ": " in issue.message, issue  # what is wrong: what to do
