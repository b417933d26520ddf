"""Structured start inputs (Dify's `json_object`, and lists by item type): how values are
checked, what each becomes as a JSON Schema property, and an iteration over a list input."""

from __future__ import annotations

from typing import Any

import pytest

from runtime.compile import validate
from runtime.errors import InputError
from runtime.nodes.start import StartConfig, StartNode, StartVariable, json_property
from runtime.spec import WorkflowSpec
from tests.runtime.helpers import build, edge, node, run


def _start(*variables: dict[str, Any]) -> StartNode:
    return StartNode("s", StartConfig.model_validate({"variables": list(variables)}))


def test_start_takes_lists_and_objects_as_data_or_json_text() -> None:
    n = _start(
        {"variable": "words", "type": "array[string]"},
        {"variable": "scores", "type": "array[number]"},
        {"variable": "rows", "type": "array[object]"},
        {"variable": "flags", "type": "array[boolean]", "default": [True]},
        {"variable": "config", "type": "json_object"},
    )
    assert n.outputs() == {
        "words": "array",
        "scores": "array",
        "rows": "array",
        "flags": "array",
        "config": "object",
    }
    inputs = {"words": ["a", "b"], "scores": "[1, 2.5]", "rows": [{"k": 1}], "config": '{"a": 1}'}
    assert n.validate_inputs(inputs) == {
        "words": ["a", "b"],
        "scores": [1, 2.5],
        "rows": [{"k": 1}],
        "flags": [True],
        "config": {"a": 1},
    }
    assert n.validate_inputs({**inputs, "words": []})["words"] == []


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("words", "a, b", "words is not valid JSON (Expecting value at character 1)"),
        ("words", "abc", "words is not valid JSON (Expecting value at character 1)"),
        ("words", {"a": 1}, 'words must be a list of texts, not {"a": 1}'),
        ("words", ["a", 2], "words must be a list of texts: item 2 is 2"),
        ("scores", [1, True], "scores must be a list of numbers: item 2 is true"),
        ("scores", "[1, null]", "scores must be a list of numbers: item 2 is null"),
        ("rows", [{}, []], "rows must be a list of objects: item 2 is []"),
        ("config", [1], "config must be a JSON object ({...}), not [1]"),
        ("config", "7", "config must be a JSON object ({...}), not 7"),
    ],
)
def test_start_refuses_structured_values_naming_the_variable_and_item(
    name: str, value: Any, message: str
) -> None:
    n = _start(
        {"variable": "words", "type": "array[string]", "required": False},
        {"variable": "scores", "type": "array[number]", "required": False},
        {"variable": "rows", "type": "array[object]", "required": False},
        {"variable": "config", "type": "json_object", "required": False},
    )
    with pytest.raises(InputError) as info:
        n.validate_inputs({name: value})
    assert info.value.field == name
    assert str(info.value).startswith(message), str(info.value)


def test_start_cuts_a_long_wrong_value_short() -> None:
    n = _start({"variable": "words", "type": "array[string]"})
    with pytest.raises(InputError) as info:
        n.validate_inputs({"words": {"k": "x" * 100}})
    assert str(info.value).endswith("…")
    assert len(str(info.value)) < 90


def test_start_checks_an_object_against_its_json_schema() -> None:
    schema = {
        "type": "object",
        "properties": {"host": {"type": "string"}, "port": {"type": "integer"}},
        "required": ["host"],
        "additionalProperties": False,
    }
    n = _start({"variable": "server", "type": "json_object", "json_schema": schema})
    assert n.validate_inputs({"server": {"host": "h", "port": 1}}) == {
        "server": {"host": "h", "port": 1}
    }
    with pytest.raises(InputError, match="server does not fit its JSON Schema: 'host' is a"):
        n.validate_inputs({"server": {"port": 1}})
    with pytest.raises(InputError, match="server does not fit its JSON Schema at port: 'x' is"):
        n.validate_inputs({"server": {"host": "h", "port": "x"}})


def test_start_variable_with_a_broken_json_schema_is_a_config_issue() -> None:
    spec = WorkflowSpec.model_validate(
        {
            "mode": "workflow",
            "nodes": [
                node(
                    "s",
                    "start",
                    variables=[
                        {"variable": "c", "type": "json_object", "json_schema": {"type": 5}}
                    ],
                ),
                node("end", "end", outputs=[]),
            ],
            "edges": [edge("s", "end")],
        }
    )
    found = [(i.code, i.field) for i in validate(spec)]
    assert found == [("bad_config", "variables.0.json_schema")]


def test_json_property_of_structured_variables() -> None:
    def prop(**var: Any) -> dict[str, Any]:
        return json_property(StartVariable.model_validate({"variable": "v", **var}))

    assert prop(type="array[number]") == {"type": "array", "items": {"type": "number"}}
    assert prop(type="array[object]", default=[]) == {
        "type": "array",
        "items": {"type": "object"},
        "default": [],
    }
    assert prop(type="json_object") == {"type": "object"}
    schema = {"type": "object", "properties": {"a": {"type": "string"}}, "required": ["a"]}
    assert prop(type="json_object", json_schema=schema) == {
        "type": "object",
        "properties": {"a": {"type": "string"}},
        "required": ["a"],
    }


async def test_an_iteration_goes_through_a_list_start_input() -> None:
    graph = build(
        [
            node("s", "start", variables=[{"variable": "cities", "type": "array[string]"}]),
            node(
                "it",
                "iteration",
                iterator_selector=["s", "cities"],
                output_selector=["tpl", "output"],
            ),
            {"id": "it_s", "type": "iteration_start", "parentId": "it"},
            {
                **node(
                    "tpl",
                    "template",
                    variables=[{"variable": "c", "value_selector": ["it", "item"]}],
                    template="Hello, {{ c }}",
                ),
                "parentId": "it",
            },
            node("end", "end", outputs=[{"variable": "out", "value_selector": ["it", "output"]}]),
        ],
        [edge("s", "it"), edge("it_s", "tpl"), edge("it", "end")],
    )
    events = await run(graph, inputs={"cities": '["Oslo", "Lima"]'})
    assert events[-1].status == "succeeded", events[-1].error
    assert events[-1].outputs == {"out": ["Hello, Oslo", "Hello, Lima"]}
    failed = await run(graph, inputs={"cities": ["Oslo", 3]})
    assert (failed[-1].status, failed[-1].error_code) == ("failed", "InputError")
    assert "cities must be a list of texts: item 2 is 3" in failed[-1].error
