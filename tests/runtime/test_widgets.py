"""The JSON Schemas the editor's forms are generated from carry widget hints and required text."""

from __future__ import annotations

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
