"""compile on containers: each level is checked on its own, edges stay within a level, and a
child sees its container's variables but nothing outside sees a child."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from runtime.compile import compile_workflow, validate
from runtime.issues import Issue
from runtime.masking import secret_readers
from runtime.spec import WorkflowSpec
from tests.runtime.containers import around, inside, iteration, registered
from tests.runtime.helpers import build, edge, node


@pytest.fixture(autouse=True)
def _types() -> Iterator[None]:
    yield from registered()


def _issues(nodes: list[dict[str, Any]], edges: list[dict[str, Any]]) -> list[Issue]:
    return validate(
        WorkflowSpec.model_validate({"mode": "workflow", "nodes": nodes, "edges": edges})
    )


def _codes(found: list[Issue]) -> list[tuple[str, str | None]]:
    return [(i.code, i.node_id) for i in found]


def _spec() -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    children = [node("it_s", "iteration_start"), node("p", "probe", text="{{#it.item#}}")]
    return around(iteration(), children, [edge("it_s", "p")], ["a"])


def test_compile_keeps_children_out_of_the_top_level_graph() -> None:
    graph = build(*_spec())
    assert set(graph.nodes) == {"s", "list", "it", "end"}
    assert set(graph.graph) == set(graph.nodes)
    sub = graph.containers["it"]
    assert sub.entry_id == "it_s"
    assert sub.successors == {"it_s": (("source", "p"),), "p": ()}
    assert set(sub.plans) == {"it_s", "p"}


@pytest.mark.parametrize(
    ("source", "target"), [("p", "end"), ("list", "p"), ("it", "it_s")], ids=["out", "in", "own"]
)
def test_compile_refuses_edges_across_a_containers_edge(source: str, target: str) -> None:
    nodes, edges = _spec()
    found = _issues(nodes, [*edges, edge(source, target)])
    (crossing,) = [i for i in found if i.code == "crosses_container"]
    assert crossing.node_id == source
    assert "crosses the edge of Iteration" in crossing.message


def test_compile_reports_a_child_whose_container_is_gone() -> None:
    nodes, edges = _spec()
    nodes.append(inside("gone", node("orphan", "probe")))
    found = _issues(nodes, edges)
    assert [(i.code, i.node_id, i.field) for i in found] == [
        ("unknown_container", "orphan", "parentId")
    ]


def test_compile_reports_a_parent_that_holds_no_nodes() -> None:
    nodes, edges = _spec()
    nodes.append({**inside("list", node("q", "probe")), "title": "Q"})
    found = _issues(nodes, edges)
    assert _codes(found) == [("not_a_container", "q")]
    assert found[0].message.endswith("cannot hold other nodes: move this node out of it")


def test_compile_reports_containers_inside_each_other() -> None:
    nodes, edges = _spec()
    nodes[2] = inside("it2", nodes[2])
    nodes.append(inside("it", iteration("it2")))
    assert ("not_a_container", "it") in _codes(_issues(nodes, edges))


def test_compile_reports_a_container_with_an_empty_sub_graph() -> None:
    nodes, edges = _spec()
    nodes = [n for n in nodes if n.get("parentId") != "it"]
    found = _issues(nodes, [e for e in edges if e["source"] != "it_s"])
    assert ("no_start", "it") in _codes(found)
    # its output names no node inside, since there is none
    assert ("unknown_variable", "it") in _codes(found)


def test_compile_reports_a_second_start_and_a_start_outside_its_container() -> None:
    nodes, edges = _spec()
    nodes += [inside("it", node("it_s2", "iteration_start")), node("stray", "loop_start")]
    found = _codes(_issues(nodes, edges))
    assert ("several_starts", "it_s2") in found
    assert ("misplaced_start", "stray") in found


def test_compile_refuses_end_nodes_inside_a_container() -> None:
    nodes, edges = _spec()
    nodes.append(inside("it", node("end2", "end", outputs=[])))
    found = _codes(_issues(nodes, [*edges, edge("p", "end2")]))
    assert ("not_in_container", "end2") in found


def test_compile_refuses_nodes_that_pause_inside_a_container_on_the_node() -> None:
    """A waiting run resumes at top-level nodes only: a human-input node, or a node that needs
    confirmation, is an issue on that node before any run (the editor marks it)."""
    nodes, edges = _spec()
    nodes[2]["title"] = "Each city"
    fields = [{"name": "answer", "label": "Answer"}]
    nodes.append(inside("it", node("ask", "human_input", prompt="ok?", fields=fields)))
    nodes.append(inside("it", node("risky", "probe", settings={"needs_confirmation": True})))
    edges += [edge("p", "ask"), edge("p", "risky")]
    found = [(i.code, i.node_id, i.field, i.message) for i in _issues(nodes, edges)]
    assert found == [
        (
            "not_in_container",
            "ask",
            "parentId",
            "it waits for a person's answer, which a node inside Each city cannot do: move it"
            " out of the container",
        ),
        (
            "not_in_container",
            "risky",
            "settings.needs_confirmation",
            "it needs confirmation before it runs, which a node inside Each city cannot wait"
            " for: turn off Needs confirmation in its run settings, or move it out of the"
            " container",
        ),
    ]


def test_compile_checks_reach_and_cycles_inside_a_container() -> None:
    nodes, edges = _spec()
    nodes += [inside("it", node("a", "probe")), inside("it", node("b", "probe"))]
    found = _codes(_issues(nodes, [*edges, edge("a", "b"), edge("b", "a")]))
    assert ("cycle", "a") in found


def test_compile_reports_an_unreachable_child() -> None:
    nodes, edges = _spec()
    nodes.append(inside("it", node("lone", "probe")))
    assert _codes(_issues(nodes, edges)) == [("unreachable", "lone")]


def test_compile_scopes_the_variables_of_a_container() -> None:
    nodes, edges = _spec()
    nodes[4]["config"]["text"] = "{{#it.output#}} {{#it.nope#}}"  # the container's outer output
    nodes[-1]["config"]["outputs"].append({"variable": "x", "value_selector": ["p", "text"]})
    found = _issues(nodes, edges)
    assert [(i.node_id, i.field) for i in found] == [
        ("p", "it.output"),
        ("p", "it.nope"),
        ("end", "p.text"),
    ]
    assert found[0].message.endswith("its nodes can read item or index: pick one of those")
    assert found[2].message.startswith("p is inside Iteration: pick an output of Iteration")


def test_compile_checks_the_iteration_output_against_its_children() -> None:
    nodes, edges = _spec()
    nodes[2]["config"]["output_selector"] = ["list", "items"]
    found = _issues(nodes, edges)
    assert _codes(found) == []  # what ran before the container is visible after each item too
    nodes[2]["config"]["output_selector"] = ["p", "nope"]
    assert [(i.node_id, i.field) for i in _issues(nodes, edges)] == [("it", "p.nope")]


def test_secret_readers_include_the_nodes_inside_containers() -> None:
    nodes, edges = _spec()
    nodes[4]["config"]["text"] = "{{#env.KEY#}}"
    spec = {"mode": "workflow", "nodes": nodes, "edges": edges}
    spec["env"] = [{"name": "KEY", "type": "secret", "value": "s3cret"}]
    graph = compile_workflow(WorkflowSpec.model_validate(spec))
    assert secret_readers(graph) == {"p"}
