"""diff_specs: nodes added, removed and changed (field by field), edges added and removed."""

from __future__ import annotations

import copy
from typing import Any

from runtime.diff import FieldChange, diff_specs, field_changes
from runtime.spec import WorkflowSpec

BASE: dict[str, Any] = {
    "mode": "chat",
    "nodes": [
        {"id": "start", "type": "start", "position": {"x": 0, "y": 0}},
        {
            "id": "llm",
            "type": "llm",
            "title": "LLM",
            "config": {"prompt": "{{#sys.query#}}"},
            "position": {"x": 300, "y": 0},
        },
        {"id": "answer", "type": "answer", "config": {"answer": "{{#llm.text#}}"}},
    ],
    "edges": [
        {"id": "e1", "source": "start", "target": "llm"},
        {"id": "e2", "source": "llm", "target": "answer"},
    ],
}


def spec(raw: dict[str, Any]) -> WorkflowSpec:
    return WorkflowSpec.model_validate(raw)


def test_diff_same_spec_is_empty() -> None:
    diff = diff_specs(spec(BASE), spec(copy.deepcopy(BASE)))
    assert (diff.nodes_added, diff.nodes_removed, diff.nodes_changed) == ([], [], [])
    assert (diff.edges_added, diff.edges_removed) == ([], [])


def test_diff_ignores_positions_and_edge_ids() -> None:
    moved = copy.deepcopy(BASE)
    moved["nodes"][1]["position"] = {"x": 999, "y": 42}
    moved["edges"][0]["id"] = "renamed"
    diff = diff_specs(spec(BASE), spec(moved))
    assert diff.nodes_changed == []
    assert (diff.edges_added, diff.edges_removed) == ([], [])


def test_diff_reports_field_paths_of_changed_nodes() -> None:
    after = copy.deepcopy(BASE)
    after["nodes"][1]["config"]["prompt"] = "Say: {{#sys.query#}}"
    after["nodes"][1]["title"] = "Writer"
    after["nodes"][1]["settings"] = {"retry": {"max_attempts": 3}}
    diff = diff_specs(spec(BASE), spec(after))
    (change,) = diff.nodes_changed
    assert (change.id, change.type, change.title) == ("llm", "llm", "Writer")
    assert change.changes == [
        FieldChange("config.prompt", "{{#sys.query#}}", "Say: {{#sys.query#}}"),
        FieldChange("settings.retry.max_attempts", 1, 3),
        FieldChange("title", "LLM", "Writer"),
    ]


def test_diff_explicit_default_setting_is_no_change() -> None:
    after = copy.deepcopy(BASE)
    after["nodes"][1]["settings"] = {"error_strategy": "fail", "retry": {"max_attempts": 1}}
    assert diff_specs(spec(BASE), spec(after)).nodes_changed == []


def test_diff_nodes_and_edges_added_and_removed() -> None:
    after = copy.deepcopy(BASE)
    after["nodes"].insert(2, {"id": "tpl", "type": "template", "title": "Format"})
    after["nodes"] = [n for n in after["nodes"] if n["id"] != "answer"]
    after["nodes"].append({"id": "answer2", "type": "answer"})
    after["edges"] = [
        {"id": "e1", "source": "start", "target": "llm"},
        {"source": "llm", "target": "tpl"},
        {"source": "tpl", "target": "answer2"},
    ]
    diff = diff_specs(spec(BASE), spec(after))
    assert [n.id for n in diff.nodes_added] == ["tpl", "answer2"]
    assert [n.id for n in diff.nodes_removed] == ["answer"]
    assert diff.edges_added == [
        ("llm", "source", "tpl", "target"),
        ("tpl", "source", "answer2", "target"),
    ]
    assert diff.edges_removed == [("llm", "source", "answer", "target")]


def test_diff_edge_to_another_handle_is_a_new_edge() -> None:
    before = {"source": "if", "sourceHandle": "yes", "target": "a"}
    after = {"source": "if", "sourceHandle": "false", "target": "a"}
    nodes = [{"id": "if", "type": "if_else"}, {"id": "a", "type": "answer"}]
    diff = diff_specs(
        spec({"nodes": nodes, "edges": [before]}), spec({"nodes": nodes, "edges": [after]})
    )
    assert diff.edges_added == [("if", "false", "a", "target")]
    assert diff.edges_removed == [("if", "yes", "a", "target")]


def test_field_changes_compares_lists_whole_and_reports_missing_keys_as_none() -> None:
    before = {"config": {"variables": [1, 2], "old": "x"}}
    after = {"config": {"variables": [1, 3], "new": "y"}}
    assert field_changes(before, after) == [
        FieldChange("config.new", None, "y"),
        FieldChange("config.old", "x", None),
        FieldChange("config.variables", [1, 2], [1, 3]),
    ]


def test_diff_compares_malformed_draft_settings_as_stored() -> None:
    after = copy.deepcopy(BASE)
    after["nodes"][1]["settings"] = {"retry": {"max_attempts": 0}}
    (change,) = diff_specs(spec(BASE), spec(after)).nodes_changed
    assert change.changes == [FieldChange("settings.retry.max_attempts", 1, 0)]
