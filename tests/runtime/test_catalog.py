"""The JSON Schemas the editor's forms are generated from carry widget hints and required text."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from runtime.compile import validate
from runtime.nodes import registry
from runtime.spec import WorkflowSpec


def _schema(type_id: str) -> dict[str, Any]:
    return next(t["config_schema"] for t in registry.catalog() if t["type"] == type_id)


def test_catalog_marks_templates_selectors_and_models_for_the_editor() -> None:
    llm = _schema("llm")["properties"]
    assert llm["prompt"]["widget"] == "template"
    assert llm["model"]["widget"] == "model"
    end = _schema("end")
    assert end["$defs"]["EndOutput"]["properties"]["value_selector"]["widget"] == "selector"
    aggregator = _schema("variable_aggregator")["properties"]["variables"]
    assert aggregator["items"]["widget"] == "selector"
    condition = _schema("if_else")["$defs"]["Condition"]["properties"]
    assert condition["varType"]["widget"] == "hidden"


def test_compile_flags_an_empty_answer_on_its_node() -> None:
    spec = WorkflowSpec.model_validate(
        {
            "mode": "chat",
            "nodes": [
                {"id": "start", "type": "start"},
                {"id": "answer", "type": "answer", "config": {"answer": ""}},
            ],
            "edges": [{"source": "start", "target": "answer"}],
        }
    )
    issues = validate(spec)
    assert [(i.code, i.node_id) for i in issues] == [("bad_config", "answer")]


def test_catalog_says_which_types_take_input_and_serves_the_settings_schema() -> None:
    by_type = {t["type"]: t for t in registry.catalog()}
    assert by_type["start"]["accepts_input"] is False
    assert by_type["llm"]["accepts_input"] is True
    settings = by_type["llm"]["settings_schema"]["properties"]
    assert set(settings) >= {"timeout_s", "retry", "error_strategy"}


def test_compile_flags_edges_into_start_and_out_of_end() -> None:
    spec = WorkflowSpec.model_validate(
        {
            "mode": "workflow",
            "nodes": [
                {"id": "start", "type": "start"},
                {"id": "t", "type": "template", "config": {"template": "x"}},
                {"id": "end", "type": "end"},
                {"id": "end2", "type": "end"},
            ],
            "edges": [
                {"source": "start", "target": "t"},
                {"source": "t", "target": "end"},
                {"source": "t", "target": "start"},
                {"source": "end", "target": "end2"},
            ],
        }
    )
    found = {(i.code, i.node_id, i.field) for i in validate(spec)}
    assert ("unknown_handle", "start", "targetHandle") in found
    assert ("unknown_handle", "end", "sourceHandle") in found
    assert not any(i[0] == "cycle" for i in found)  # the refused edge is not in the graph


def test_catalog_fixture_of_the_editor_panel_tests_is_current() -> None:
    """frontend/src/panel/fixtures/llmNodes.json holds these types' catalog entries for the
    panel tests (Vitest); they must be the catalog's, or the tests check a form nobody gets.
    Rewrite it from `registry.catalog()` when a config changes."""
    fixture = Path(__file__).parents[2] / "frontend/src/panel/fixtures/llmNodes.json"
    wanted = {"question_classifier", "parameter_extractor", "agent"}
    entries = [e for e in registry.catalog() if e["type"] in wanted]
    assert json.loads(fixture.read_text()) == json.loads(json.dumps(entries))


def test_catalog_says_which_type_a_run_begins_at() -> None:
    """The editor's run form and the API key's example read the start node by this, not by id."""
    starting = [t["type"] for t in registry.catalog() if t["starts_run"]]
    assert starting == ["start"]
    assert registry.starts_runs("start")
    assert not registry.starts_runs("iteration_start")  # a container's start begins no run
    assert not registry.starts_runs("start", version=99)


def test_catalog_says_what_a_containers_runs_are_called() -> None:
    """The trace heads a container's runs "item 2" or "round 3" from this, not from type ids."""
    named = {t["type"]: t["inner_run_name"] for t in registry.catalog() if t["container_start"]}
    assert named == {"iteration": "item", "loop": "round"}
