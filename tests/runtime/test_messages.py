"""Validation errors said for people (issue 13): one test per pydantic error type translated."""

from __future__ import annotations

from typing import Any, Literal

import pytest
from pydantic import BaseModel, Field, ValidationError, field_validator

from runtime.messages import NAME_HINT, NAME_PATTERN, PICK_VARIABLE, explain_all, explain_field
from runtime.nodes.base import SELECTOR, NodeConfig
from runtime.nodes.end import EndConfig
from runtime.nodes.start import StartConfig
from runtime.nodes.template import TemplateConfig
from runtime.nodes.variable_aggregator import VariableAggregatorConfig


class Row(NodeConfig):
    variable: str = Field(pattern=NAME_PATTERN, title="Variable name")
    value_selector: list[str] = Field(min_length=2, json_schema_extra=SELECTOR)
    code: str = Field("x", pattern=r"^[a-z]+$", json_schema_extra={"hint": "use small letters"})
    other: str = Field("x", pattern=r"^[a-z]+$")


class Inner(NodeConfig):
    window: int = Field(10, ge=1, le=100)


class Sample(NodeConfig):
    variables: list[Row] = Field(default_factory=list)
    picks: list[list[str]] = Field(default_factory=list, min_length=2)
    prompt: str = Field("p", min_length=1)
    name: str = Field("ab", min_length=2, max_length=4)
    tags: list[str] = Field(default_factory=list, max_length=2)
    mode: Literal["and", "or"] = "and"
    count: int = 1
    ratio: float = Field(0.5, gt=0, lt=1)
    flag: bool = False
    text: str = ""
    memory: Inner = Field(default_factory=Inner)
    needed: str
    outputs: dict[str, Any] = Field(default_factory=dict)
    even: int = 0

    @field_validator("even")
    @classmethod
    def _even(cls, value: int) -> int:
        if value % 2:
            raise ValueError("must be even")
        return value


def messages(data: dict[str, Any], model: type[BaseModel] = Sample) -> dict[str | None, str]:
    """{field: message} of what validating `data` against `model` finds."""
    if model is Sample:
        data = {"needed": "n", "picks": [["a", "b"], ["c", "d"]], **data}
    with pytest.raises(ValidationError) as caught:
        model.model_validate(data)
    return dict(explain_all(model, caught.value))


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        # string_pattern_mismatch: a known pattern's advice, a field's own hint, or plain words
        (
            {"variables": [{"variable": "", "value_selector": ["a", "b"]}]},
            "variables.0.variable",
            f"Variable name (variable 1): {NAME_HINT}",
        ),
        (
            {"variables": [{"variable": "v", "value_selector": ["a", "b"], "code": "X"}]},
            "variables.0.code",
            "Code (variable 1): use small letters",
        ),
        (
            {"variables": [{"variable": "v", "value_selector": ["a", "b"], "other": "X"}]},
            "variables.0.other",
            "Other (variable 1): this value does not have the form the field needs",
        ),
        # too_short: a selector is picked, a list gets more rows
        (
            {"variables": [{"variable": "v", "value_selector": []}]},
            "variables.0.value_selector",
            f"Value selector (variable 1): {PICK_VARIABLE}",
        ),
        ({"picks": []}, "picks", "Picks: add at least 2"),
        ({"tags": ["a", "b", "c"]}, "tags", "Tags: keep at most 2"),
        ({"needed": None}, "needed", "Needed: enter text"),
        ({"prompt": ""}, "prompt", "Prompt: fill this in"),
        ({"name": "a"}, "name", "Name: use at least 2 characters"),
        ({"name": "abcde"}, "name", "Name: use at most 4 characters"),
        ({"mode": "xor"}, "mode", "Mode: choose one of 'and' or 'or'"),
        ({"count": "many"}, "count", "Count: enter a whole number"),
        ({"count": 1.5}, "count", "Count: enter a whole number"),
        ({"ratio": "half"}, "ratio", "Ratio: enter a number"),
        ({"ratio": 0}, "ratio", "Ratio: use a number above 0"),
        ({"ratio": 1}, "ratio", "Ratio: use a number below 1"),
        ({"memory": {"window": 0}}, "memory.window", "Window (memory): use 1 or more"),
        ({"memory": {"window": 101}}, "memory.window", "Window (memory): use 100 or less"),
        ({"memory": "big"}, "memory", "Memory: should be a group of settings"),
        ({"outputs": [1]}, "outputs", "Outputs: should be named values (a JSON object)"),
        ({"flag": "maybe"}, "flag", "Flag: choose yes or no"),
        ({"text": 3}, "text", "Text: enter text"),
        ({"tags": "a"}, "tags", "Tags: should be a list"),
        ({"bogus": 1}, "bogus", "Bogus: not a known setting; remove it"),
        ({"even": 3}, "even", "Even: must be even"),
    ],
)
def test_explain_says_each_error_type_plainly(
    data: dict[str, Any], field: str, message: str
) -> None:
    found = messages(data)
    assert found.get(field) == message, found


def test_explain_names_a_missing_field_and_nested_rows() -> None:
    class Cond(NodeConfig):
        variable_selector: list[str] = Field(min_length=2, json_schema_extra=SELECTOR)

    class Case(NodeConfig):
        conditions: list[Cond]

    class Cases(NodeConfig):
        cases: list[Case]

    found = messages(
        {"cases": [{"conditions": []}, {"conditions": [{}, {"variable_selector": []}]}]}, Cases
    )
    field = "cases.1.conditions.{}.variable_selector"
    assert found == {
        field.format(0): "Variable selector (case 2, condition 1): fill this in",
        field.format(1): f"Variable selector (case 2, condition 2): {PICK_VARIABLE}",
    }


def test_explain_picks_a_selector_row_by_its_number() -> None:
    found = messages({"variables": [["a", "b"], []]}, VariableAggregatorConfig)
    assert found == {"variables.1": f"Variable 2: {PICK_VARIABLE}"}


def test_explain_never_shows_pydantic_words_for_node_configs() -> None:
    # what "+ Add" leaves in a start, template or end node: said in words, not pydantic's
    empty = {"variable": "", "value_selector": []}
    cases = (
        (StartConfig, "variables", {"variable": ""}),
        (TemplateConfig, "variables", empty),
        (EndConfig, "outputs", empty),
    )
    for model, key, row in cases:
        for text in messages({key: [row]}, model).values():
            assert "should" not in text
            assert "^[" not in text


class Request(BaseModel):
    query: str
    user: str | int = ""
    mode: Literal["streaming", "blocking"] = "streaming"
    role: Literal["system", "user", "assistant"] = "user"
    items: list[int] = Field(default_factory=lambda: [1], min_length=1)
    model: str = Field("m", min_length=1)
    limit: int = Field(20, ge=1)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({}, "query is required"),
        ({"query": 5}, "query must be text"),
        ({"user": [1]}, "user must be text or a whole number"),
        ({"mode": "later"}, "mode: use 'streaming' or 'blocking'"),
        ({"role": "tool"}, "role: use one of 'system', 'user' or 'assistant'"),
        ({"items": []}, "items must not be empty"),
        ({"items": "x"}, "items must be a list"),
        ({"model": ""}, "model must not be empty"),
        ({"limit": 0}, "limit: use 1 or more"),
    ],
)
def test_explain_field_says_a_request_field_by_its_name(data: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError) as caught:
        Request.model_validate({"query": "q", **data} if data else data)
    errors = caught.value.errors()
    field = str(errors[0]["loc"][0])
    mine = [e for e in errors if e["loc"][0] == field]
    assert explain_field(field, mine, Request) == message
