"""The parameter extractor with the scripted model: reading the answer's JSON (alone or in
prose), checking it against the parameters' schema, and saying what failed by name."""

from __future__ import annotations

import json
from typing import Any

import pytest

from runtime.compile import validate
from runtime.engine import Engine, RunContext
from runtime.resources import MODELS, Resources
from runtime.spec import WorkflowSpec
from tests.fakes import FakeChatClient, FakeModels, SchemaFollowingChatClient
from tests.runtime.helpers import build, by_kind, edge, node, start

PARAMS = [
    {"name": "city", "type": "string", "description": "The city", "required": True},
    {"name": "nights", "type": "number", "required": True},
    {"name": "breakfast", "type": "boolean"},
    {"name": "guests", "type": "array[string]"},
    {"name": "room", "type": "string", "options": ["single", "double"]},
]


def _graph(**config: Any) -> Any:
    pe = node("pe", "parameter_extractor", query=["s", "q"], parameters=PARAMS, **config)
    outputs = [{"variable": "city", "value_selector": ["pe", "city"]}]
    return build(
        [start("q"), pe, node("end", "end", outputs=outputs)],
        [edge("s", "pe"), edge("pe", "end")],
    )


async def _run(
    reply: str, client: FakeChatClient | None = None, q: str = "text", **config: Any
) -> list[Any]:
    client = client or FakeChatClient(script=[reply])
    context = RunContext(
        run_id="r",
        resources=Resources().add(MODELS, FakeModels({"embedded": client})),
        inputs={"q": q},
    )
    return [ev async for ev in Engine(_graph(**config)).run(context)]


def _outputs(events: list[Any]) -> dict[str, Any]:
    (done,) = [e for e in by_kind(events, "node_succeeded") if e.node_id == "pe"]
    out = dict(done.outputs)
    out.pop("usage")
    return out


GOOD = {"city": "Lyon", "nights": 3, "breakfast": True, "guests": ["Ada", "Bo"], "room": "double"}


async def test_extractor_outputs_each_parameter_from_valid_json() -> None:
    events = await _run(json.dumps(GOOD))
    assert _outputs(events) == {**GOOD, "is_success": True, "reason": ""}
    assert events[-1].outputs == {"city": "Lyon"}


async def test_extractor_reads_the_json_inside_prose() -> None:
    reply = 'Sure! Here it is:\n```json\n{"city": "Oslo", "nights": "2", "extra": 1}\n```\nBye.'
    outputs = _outputs(await _run(reply))
    assert outputs == {
        "city": "Oslo",
        "nights": 2,  # a number written as text is read as the number
        "breakfast": None,  # optional and left out
        "guests": None,
        "room": None,
        "is_success": True,
        "reason": "",
    }  # `extra` is not a parameter: dropped


async def test_extractor_reason_names_each_parameter_of_the_wrong_type() -> None:
    bad = {**GOOD, "nights": "a few", "guests": ["Ada", 3], "room": "suite"}
    outputs = _outputs(await _run(json.dumps(bad)))
    assert outputs["is_success"] is False
    assert (outputs["nights"], outputs["guests"], outputs["room"]) == (None, None, None)
    assert outputs["city"] == "Lyon"  # what held is kept
    assert outputs["reason"] == (
        "nights: the value must be a number, not 'a few'; "
        "guests: an item must be text, not 3; "
        "room: 'suite' is not one of single, double"
    )


async def test_extractor_missing_required_is_not_a_node_failure() -> None:
    events = await _run(json.dumps({"city": None, "breakfast": "false"}))
    outputs = _outputs(events)
    assert outputs["is_success"] is False
    assert outputs["reason"] == ("city: missing (it is required); nights: missing (it is required)")
    assert outputs["breakfast"] is False
    assert events[-1].kind == "run_finished"
    assert events[-1].status == "succeeded"


async def test_extractor_takes_a_placeholder_copied_back_as_missing() -> None:
    outputs = _outputs(await _run('{"city": "...", "nights": 1, "guests": ["..."]}'))
    assert (outputs["city"], outputs["guests"]) == (None, None)
    assert outputs["reason"] == "city: missing (it is required)"


async def test_extractor_fails_the_node_when_told_to() -> None:
    events = await _run(json.dumps({"city": "Rome"}), fail_on_error=True)
    (failed,) = by_kind(events, "node_failed")
    assert failed.error_code == "ExtractionError"
    assert "nights: missing (it is required)" in failed.error


async def test_extractor_without_json_in_the_answer() -> None:
    outputs = _outputs(await _run("I could not find anything."))
    assert outputs["is_success"] is False
    assert outputs["reason"] == "the model's answer holds no JSON object"
    assert outputs["city"] is None


async def test_extractor_shows_the_object_to_fill_in_for_the_embedded_model() -> None:
    client = FakeChatClient(script=[json.dumps(GOOD)])
    await _run("", client=client, q="Two nights in Lyon", instruction="Dates are European.")
    (request,) = client.requests
    assert request.response_format is None
    system, user = request.messages
    assert system.content.endswith("\n\nDates are European.")
    assert user.content == (
        "Text: Two nights in Lyon\n\n"
        "Fill in this JSON object with values from the text:\n"
        '{"city": "...", "nights": 0, "breakfast": false, "guests": ["..."], "room": "single"}\n'
        "city: text, required. The city\n"
        "nights: a number, required.\n"
        "breakfast: true or false.\n"
        "guests: a list of texts.\n"
        "room: text, one of single, double.\n"
        "Leave out a key the text gives no value for."
    )


async def test_extractor_sends_the_schema_as_response_format_where_followed() -> None:
    client = SchemaFollowingChatClient(script=[json.dumps(GOOD)])
    outputs = _outputs(await _run("", client=client))
    (request,) = client.requests
    assert request.response_format is not None
    schema = request.response_format["json_schema"]["schema"]
    assert request.response_format["type"] == "json_schema"
    assert schema["required"] == ["city", "nights"]
    assert schema["properties"]["guests"] == {"type": "array", "items": {"type": "string"}}
    assert schema["properties"]["room"] == {"type": "string", "enum": ["single", "double"]}
    assert outputs["is_success"] is True


async def test_extractor_prompt_mode_sends_no_response_format() -> None:
    client = SchemaFollowingChatClient(script=[json.dumps(GOOD)])
    await _run("", client=client, reasoning_mode="prompt")
    (request,) = client.requests
    assert request.response_format is None


@pytest.mark.parametrize(
    ("params", "field", "message"),
    [
        (
            [{"name": "a"}, {"name": "a"}],
            "parameters.1.name",
            "Name (parameter 2): a is the same name as parameter 1: rename it",
        ),
        (
            [{"name": "reason"}],
            "parameters.0.name",
            "Name (parameter 1): reason is the name of one of the node's own outputs: rename it",
        ),
        ([], "parameters", "Parameters: add at least one"),
    ],
)
def test_extractor_config_issue_names_the_parameter(
    params: list[dict[str, Any]], field: str, message: str
) -> None:
    pe = node("pe", "parameter_extractor", query=["s", "q"], parameters=params)
    end = node("end", "end", outputs=[{"variable": "ok", "value_selector": ["pe", "is_success"]}])
    spec = WorkflowSpec.model_validate(
        {
            "mode": "workflow",
            "nodes": [start("q"), pe, end],
            "edges": [edge("s", "pe"), edge("pe", "end")],
        }
    )
    (issue,) = validate(spec)
    assert (issue.node_id, issue.field, issue.message) == ("pe", field, message)
