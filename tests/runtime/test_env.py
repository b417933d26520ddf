"""Environment variables: declared in the spec, rendered as `{{#env.NAME#}}` in every run."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from runtime.compile import compile_workflow
from runtime.messages import NAME_HINT, explain_all
from runtime.spec import WorkflowSpec
from tests.runtime.helpers import edge, run, start

ENV: list[dict[str, Any]] = [
    {"name": "GREETING", "type": "string", "value": "Hello"},
    {"name": "LIMIT", "type": "number", "value": "3"},
    {"name": "RATIO", "type": "number", "value": 0.5},
    {"name": "TOKEN", "type": "secret", "value": "sk-1"},
]


def env_spec(env: list[dict[str, Any]]) -> WorkflowSpec:
    text = "{{#env.GREETING#}} {{#env.LIMIT#}} {{#env.RATIO#}} {{#env.TOKEN#}}"
    return WorkflowSpec.model_validate(
        {
            "mode": "chat",
            "nodes": [start(), {"id": "a", "type": "answer", "config": {"answer": text}}],
            "edges": [edge("s", "a")],
            "env": env,
        }
    )


async def test_env_values_render_in_a_run() -> None:
    events = await run(compile_workflow(env_spec(ENV)))
    assert events[-1].answer == "Hello 3 0.5 ******"  # a secret is used, never shown


async def test_env_given_to_the_run_overrides_the_spec() -> None:
    events = await run(compile_workflow(env_spec(ENV)), env={"GREETING": "from the server"})
    assert events[-1].answer == "from the server 3 0.5 ******"


def test_env_old_specs_without_env_still_parse() -> None:
    assert WorkflowSpec.model_validate({"mode": "chat", "nodes": []}).env == []


@pytest.mark.parametrize(
    ("env", "field", "message"),
    [
        (
            [{"name": "A", "value": "x"}, {"name": "A", "value": "y"}],
            "env.1.name",
            "Name (environment variable 2): A is already the name of environment variable 1; "
            "rename one",
        ),
        (
            [{"name": "N", "type": "number", "value": "many"}],
            "env.0.value",
            "Value (environment variable 1): enter a number",
        ),
        (
            [{"name": "bad name", "value": "x"}],
            "env.0.name",
            f"Name (environment variable 1): {NAME_HINT}",
        ),
    ],
)
def test_env_spec_refuses_bad_variables_naming_the_one(
    env: list[dict[str, Any]], field: str, message: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        WorkflowSpec.model_validate({"mode": "chat", "env": env})
    assert explain_all(WorkflowSpec, caught.value) == [(field, message)]
