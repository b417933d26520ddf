"""Conversation variables and the variable assigner: declared in the spec, read as
`{{#conversation.name#}}`, written by `variable_assigner` items, and reported as changed."""

from __future__ import annotations

from typing import Any

import pytest

from runtime.compile import compile_workflow, validate
from runtime.errors import GraphInvalidError
from runtime.spec import WorkflowSpec
from tests.runtime.helpers import by_kind, edge, kinds, node, run, start

VARS: list[dict[str, Any]] = [
    {"name": "topic", "type": "string", "default": "none yet"},
    {"name": "turns", "type": "number"},
    {"name": "notes", "type": "array[string]", "default": ["first"]},
    {"name": "profile", "type": "object", "default": {"lang": "en"}},
]


def item(
    name: str, operation: str, value: Any = None, input_type: str = "constant"
) -> dict[str, Any]:
    return {
        "variable_selector": ["conversation", name],
        "operation": operation,
        "input_type": input_type,
        "value": value,
    }


def spec(*items: dict[str, Any], mode: str = "chat", variables: Any = None) -> WorkflowSpec:
    text = "{{#conversation.topic#}}|{{#conversation.turns#}}|{{#conversation.notes#}}"
    return WorkflowSpec.model_validate(
        {
            "mode": mode,
            "nodes": [
                start(),
                node("set", "variable_assigner", items=list(items)),
                node("a", "answer", answer=text),
            ],
            "edges": [edge("s", "set"), edge("set", "a")],
            "conversation_variables": VARS if variables is None else variables,
        }
    )


def issues_of(workflow: WorkflowSpec) -> list[tuple[str, str | None, str | None]]:
    return [(i.code, i.node_id, i.field) for i in validate(workflow)]


async def test_conversation_assigned_values_are_read_by_later_nodes_and_reported() -> None:
    workflow = spec(
        item("topic", "over-write", ["sys", "query"], "variable"),
        item("turns", "+=", 2),
        item("notes", "append", "second"),
    )
    events = await run(compile_workflow(workflow), sys={"query": "tides"})
    assert kinds(events, "set") == ["node_started", "node_succeeded"]
    end = events[-1]
    assert end.status == "succeeded"
    assert end.answer == 'tides|2|["first", "second"]'
    assert end.conversation == {"topic": "tides", "turns": 2, "notes": ["first", "second"]}


async def test_conversation_stored_values_replace_defaults_and_only_changes_are_reported() -> None:
    workflow = spec(item("turns", "*=", 3), item("topic", "set", "same"))
    stored = {"turns": 5, "topic": "same", "gone": 1, "notes": "not a list"}
    events = await run(compile_workflow(workflow), conversation=stored)
    end = events[-1]
    assert end.answer == 'same|15|["first"]'  # a stored value of another type: the default
    assert end.conversation == {"turns": 15}


@pytest.mark.parametrize(
    ("op", "value", "expected"),
    [
        ("clear", None, []),
        ("extend", ["b", "c"], ["first", "b", "c"]),
        ("remove-first", None, []),
        ("remove-last", None, []),
        ("over-write", ["x"], ["x"]),
    ],
)
async def test_conversation_array_operations(op: str, value: Any, expected: list[str]) -> None:
    events = await run(compile_workflow(spec(item("notes", op, value))))
    assert events[-1].conversation.get("notes", ["first"]) == expected


def test_conversation_operation_that_does_not_fit_the_type_is_an_issue_on_the_item() -> None:
    workflow = spec(
        item("topic", "append", "x"), item("turns", "-=", "two"), item("notes", "+=", 1)
    )
    found = [i for i in validate(workflow) if i.node_id == "set"]
    assert [(i.code, i.field) for i in found] == [
        ("bad_config", "items.0.operation"),
        ("bad_config", "items.1.value"),
        ("bad_config", "items.2.operation"),
    ]
    assert "append does not work on topic, a string variable" in found[0].message
    assert "needs a number value" in found[1].message


def test_conversation_unknown_variable_and_other_scopes_are_issues() -> None:
    workflow = spec(item("missing", "set", "x"))
    assert ("unknown_variable", "set", "conversation.missing") in issues_of(workflow)
    other = spec({**item("topic", "set", "x"), "variable_selector": ["s", "topic"]})
    assert ("bad_config", "set", "items.0.variable_selector") in issues_of(other)


def test_conversation_variable_names_defaults_and_mode_are_checked() -> None:
    dup = [{"name": "a", "type": "number", "default": "3"}, {"name": "a"}]
    found = issues_of(spec(variables=dup))
    assert ("bad_conversation_variable", None, "conversation_variables.1.name") in found
    assert ("bad_conversation_variable", None, "conversation_variables.0.default") in found
    workflow = WorkflowSpec.model_validate(
        {
            "mode": "workflow",
            "nodes": [start(), node("e", "end", outputs=[])],
            "edges": [edge("s", "e")],
            "conversation_variables": [{"name": "x"}],
        }
    )
    assert issues_of(workflow) == [("bad_conversation_variable", None, "conversation_variables.0")]


async def test_conversation_assignment_of_a_wrong_value_at_run_time_fails_naming_the_item() -> None:
    workflow = spec(item("turns", "over-write", ["sys", "query"], "variable"))
    with pytest.raises(GraphInvalidError):  # sys.query is a string: only known when it runs
        compile_workflow(spec(item("turns", "over-write", "text")))
    events = await run(compile_workflow(workflow), sys={"query": "many"})
    (failed,) = by_kind(events, "node_failed")
    assert failed.error_code == "AssignmentError"
    assert "item 1 (turns): over-write needs a number value, got str" in failed.error
    assert events[-1].conversation == {}


async def test_conversation_division_by_zero_fails_the_node() -> None:
    events = await run(compile_workflow(spec(item("turns", "/=", 0))))
    assert by_kind(events, "node_failed")[0].error == "item 1 (turns): cannot divide by 0"
