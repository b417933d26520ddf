"""The question classifier and the parameter extractor against real model clients: over HTTP
to the model server (which records the `response_format` it was sent), and on the embedded
model itself (which follows no schema, so the nodes ask in the prompt)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from runtime.compile import compile_workflow
from runtime.engine import Engine, RunContext
from runtime.llm.openai_compat import OpenAICompatibleClient
from runtime.llm.protocol import ChatModel, follows_json_schema
from runtime.resources import MODELS, Resources
from runtime.spec import WorkflowSpec
from tests.fakes import FakeModels
from tests.llm.conftest import LOCAL, MODEL_ID, ScriptedModel

CLASSES = [
    {"id": "weather", "name": "Weather"},
    {"id": "sport", "name": "Sport"},
    {"id": "cooking", "name": "Cooking"},
]
PARAMS = [
    {"name": "city", "type": "string", "required": True},
    {"name": "nights", "type": "number"},
]


def _spec(node: dict[str, Any], handles: list[str]) -> WorkflowSpec:
    """start (input q) → the node → end (its outputs), an end per way out."""
    start = {"id": "s", "type": "start", "config": {"variables": [{"variable": "q"}]}}
    outs = [{"variable": "out", "value_selector": [node["id"], "usage"]}]
    ends = [{"id": f"e_{h}", "type": "end", "config": {"outputs": outs}} for h in handles]
    edges = [{"source": "s", "target": node["id"]}] + [
        {"source": node["id"], "target": f"e_{h}", "sourceHandle": h} for h in handles
    ]
    return WorkflowSpec.model_validate(
        {"mode": "workflow", "nodes": [start, node, *ends], "edges": edges}
    )


def _classifier(model: str) -> dict[str, Any]:
    config = {"model": {"provider": "p", "name": model}, "query": ["s", "q"], "classes": CLASSES}
    return {"id": "qc", "type": "question_classifier", "config": config}


def _extractor(model: str, **extra: Any) -> dict[str, Any]:
    config = {"model": {"provider": "p", "name": model}, "query": ["s", "q"], "parameters": PARAMS}
    return {"id": "pe", "type": "parameter_extractor", "config": {**config, **extra}}


async def _outputs(spec: WorkflowSpec, client: ChatModel, q: str, node_id: str) -> dict[str, Any]:
    """The node's outputs after a run of `spec` with `client` as provider "p"."""
    context = RunContext(
        run_id="r", resources=Resources().add(MODELS, FakeModels({"p": client})), inputs={"q": q}
    )
    events: list[Any] = [ev async for ev in Engine(compile_workflow(spec)).run(context)]
    assert events[-1].status == "succeeded", events[-1]
    (done,) = [e for e in events if e.kind == "node_succeeded" and e.node_id == node_id]
    return dict(done.outputs)


@pytest.fixture
async def http_client(scripted_url: str) -> AsyncIterator[OpenAICompatibleClient]:
    """An OpenAI-compatible client of the model server (serving the echoing model)."""
    client = OpenAICompatibleClient(scripted_url, policy=LOCAL)
    yield client
    await client.aclose()


async def test_classifier_sends_the_class_ids_as_a_json_schema_enum(
    scripted: ScriptedModel, http_client: OpenAICompatibleClient
) -> None:
    spec = _spec(_classifier("echo"), [c["id"] for c in CLASSES])
    # the echoing model says the query back: it mentions one label
    outputs = await _outputs(spec, http_client, "weather fit for sport tomorrow?", "qc")
    assert (outputs["class_id"], outputs["matched"]) == ("weather", True)
    (request,) = scripted.requests  # as the server received it
    assert request.response_format is not None
    assert request.response_format["type"] == "json_schema"
    schema = request.response_format["json_schema"]["schema"]
    assert schema["properties"]["class_id"]["enum"] == ["weather", "sport", "cooking"]
    assert request.temperature == 0.0


async def test_extractor_sends_the_parameters_schema_and_reads_the_answer(
    scripted: ScriptedModel, http_client: OpenAICompatibleClient
) -> None:
    spec = _spec(_extractor("echo"), ["source"])
    outputs = await _outputs(spec, http_client, '{"city": "Lyon", "nights": 2}', "pe")
    assert (outputs["city"], outputs["nights"], outputs["is_success"]) == ("Lyon", 2, True)
    (request,) = scripted.requests
    assert request.response_format == {
        "type": "json_schema",
        "json_schema": {
            "name": "parameters",
            "schema": {
                "type": "object",
                "properties": {"city": {"type": "string"}, "nights": {"type": "number"}},
                "required": ["city"],
                "additionalProperties": False,
            },
        },
    }


async def test_extractor_in_prompt_mode_sends_no_response_format(
    scripted: ScriptedModel, http_client: OpenAICompatibleClient
) -> None:
    spec = _spec(_extractor("echo", reasoning_mode="prompt"), ["source"])
    # the echoing model says the prompt back: the object to fill in, with its placeholders
    outputs = await _outputs(spec, http_client, "no city here", "pe")
    assert (outputs["city"], outputs["nights"]) == (None, 0)
    assert (outputs["is_success"], outputs["reason"]) == (False, "city: missing (it is required)")
    (request,) = scripted.requests
    assert request.response_format is None


async def test_classifier_on_the_embedded_model_returns_one_of_the_classes(
    engine: ChatModel,
) -> None:
    assert not follows_json_schema(engine)
    spec = _spec(_classifier(MODEL_ID), [c["id"] for c in CLASSES])
    outputs = await _outputs(spec, engine, "Will it rain in Paris tomorrow?", "qc")
    # a 135M model may pick wrongly; it must still land on a class, and say whether it matched
    picked = {"id": outputs["class_id"], "name": outputs["class_name"]}
    assert picked in CLASSES
    assert isinstance(outputs["matched"], bool)
    assert outputs["usage"]["completion_tokens"] > 0
