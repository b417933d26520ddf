"""A new node starts ready for the app it is dropped into: every type's default config, in each
mode the palette offers it in, is valid, or has one issue on each empty field to fill in (one
field for most; a knowledge node in a workflow app has neither a query nor a knowledge base, a
tool node neither a server nor a tool)."""

from __future__ import annotations

from typing import Any

import pytest

from runtime.compile import validate
from runtime.issues import Issue
from runtime.nodes import registry
from runtime.spec import WorkflowSpec

# A finished node that ends runs of each mode: what the dropped node is wired to.
ENDERS: dict[str, dict[str, Any]] = {
    "chat": {"id": "out", "type": "answer", "config": {"answer": "done"}},
    "workflow": {"id": "out", "type": "end", "config": {"outputs": []}},
}
START: dict[str, Any] = {"id": "s", "type": "start", "config": {"variables": []}}


def _offered() -> list[tuple[str, int, str]]:
    return [
        (entry["type"], entry["version"], mode)
        for entry in registry.catalog()
        for mode in entry["modes"]
    ]


def _graph(type_id: str, version: int, mode: str) -> tuple[WorkflowSpec, dict[str, Any]]:
    """start → node → (answer or end), the node with its default config for `mode`. A node
    that starts runs is the start; one that ends runs of `mode` is the end; a container holds
    its start node."""
    cls = registry.get(type_id, version)
    config = cls.default_config(mode)  # type: ignore[arg-type]  # mode comes from the catalog
    dropped = {"id": "n", "type": type_id, "version": version, "config": config}
    nodes: list[dict[str, Any]] = [dropped]
    if cls.container_start:  # the editor adds a container with its start node inside
        nodes.append({"id": "n_start", "type": cls.container_start, "parentId": "n"})
    edges: list[dict[str, Any]] = []
    if not cls.starts_run:
        nodes.insert(0, START)
        edges.append({"source": "s", "target": "n"})
    if mode not in cls.ends_run_in:  # wired from its first way out (a classifier's class)
        nodes.append(ENDERS[mode])
        handle = (cls.draft_handles(config) or ["source"])[0]
        edges.append({"source": "n", "target": "out", "sourceHandle": handle})
    spec = WorkflowSpec.model_validate({"mode": mode, "nodes": nodes, "edges": edges})
    return spec, config


def _value_at(config: dict[str, Any], field: str) -> Any:
    """The value at a dotted issue field ("cases.0.conditions.0.variable_selector")."""
    value: Any = config
    for part in field.split("."):
        value = value[int(part)] if isinstance(value, list) else value.get(part)
    return value


@pytest.mark.parametrize(("type_id", "version", "mode"), _offered())
def test_default_config_is_valid_or_asks_only_for_empty_fields(
    type_id: str, version: int, mode: str
) -> None:
    spec, config = _graph(type_id, version, mode)
    found = validate(spec)
    assert len({i.field for i in found}) == len(found), [i.to_dict() for i in found]
    for issue in found:
        # an empty field the person fills in, on the node itself: not a default that is wrong
        # for the mode (e.g. {{#sys.query#}} in a workflow app: an unknown_variable issue)
        assert issue == Issue(issue.code, issue.message, "n", issue.field)
        assert issue.code == "bad_config"
        assert issue.field
        assert _value_at(config, issue.field) in ("", [], None)


def test_default_config_asks_for_one_thing_but_where_a_mode_leaves_two() -> None:
    counts = {(t, m): len(validate(_graph(t, v, m)[0])) for t, v, m in _offered()}
    # a workflow app has no sys.query to search for (or to extract from): its knowledge node
    # and its parameter extractor need a query too; a tool is picked on a tool server: both are
    # left to pick in every mode; an iteration's input list and output variable likewise
    assert {key: n for key, n in counts.items() if n > 1} == {
        ("iteration", "chat"): 2,
        ("iteration", "workflow"): 2,
        ("knowledge_retrieval", "workflow"): 2,
        ("parameter_extractor", "workflow"): 2,
        ("tool", "chat"): 2,
        ("tool", "workflow"): 2,
    }


def test_default_config_fits_the_mode() -> None:
    chat = registry.get("llm").default_config("chat")
    workflow = registry.get("llm").default_config("workflow")
    assert chat["prompt"] == "{{#sys.query#}}"
    assert chat["memory"] == {"enabled": True, "window": 10}  # chat apps remember
    assert workflow["prompt"] == ""  # no sys.query in a workflow: the prompt is to write
    assert workflow["memory"]["enabled"] is False


def test_default_config_of_knowledge_retrieval_searches_the_users_message_in_chat() -> None:
    knowledge = registry.get("knowledge_retrieval")
    chat, workflow = knowledge.default_config("chat"), knowledge.default_config("workflow")
    assert chat["query"] == ["sys", "query"]
    assert workflow["query"] == []  # a workflow app has no sys.query: a start input, say
    assert chat["dataset_ids"] == workflow["dataset_ids"] == []
    found = validate(_graph("knowledge_retrieval", 1, "chat")[0])
    assert [(i.field, i.message) for i in found] == [
        ("dataset_ids", "Knowledge bases: add at least one")
    ]


def test_palette_offers_output_nodes_only_in_their_mode() -> None:
    modes = {entry["type"]: entry["modes"] for entry in registry.catalog()}
    assert modes["answer"] == ["chat"]
    assert modes["end"] == ["workflow"]
    assert modes["llm"] == modes["start"] == ["chat", "workflow"]
    assert modes["iteration"] == modes["loop"] == ["chat", "workflow"]
    assert modes["iteration_start"] == modes["loop_start"] == []  # made with their container
    for entry in registry.catalog():
        assert sorted(entry["defaults"]) == entry["modes"]  # a default for each offered mode
        ends_in = registry.get(entry["type"], entry["version"]).ends_run_in
        assert not ends_in or set(entry["modes"]) <= ends_in, entry["type"]


def test_palette_ranks_llm_first_and_start_last() -> None:
    ranks = {entry["type"]: entry["rank"] for entry in registry.catalog()}
    assert min(ranks, key=ranks.__getitem__) == "llm"
    assert max(ranks, key=ranks.__getitem__) == "start"
    assert ranks["answer"] < ranks["if_else"]
    assert ranks["end"] < ranks["if_else"]
