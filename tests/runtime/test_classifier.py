"""The question classifier with the scripted model: what it asks, how it reads the answer, the
branch it takes (the others are skipped), and the checks of its config."""

from __future__ import annotations

from typing import Any

import pytest

from runtime.compile import validate
from runtime.engine import Engine, RunContext
from runtime.nodes.question_classifier import ClassifierClass, pick_class
from runtime.resources import MODELS, Resources
from runtime.shapes import graph_report
from runtime.spec import WorkflowSpec
from tests.fakes import FakeChatClient, FakeModels, SchemaFollowingChatClient
from tests.runtime.helpers import build, by_kind, edge, node, node_ids, start

CLASSES = [
    {"id": "billing", "name": "Billing"},
    {"id": "tech", "name": "Technical problem"},
    {"id": "other", "name": "Something else"},
]


def _nodes(**config: Any) -> list[dict[str, Any]]:
    """start → classifier `qc` (query: input `q`) → one template per class → end."""
    qc = node("qc", "question_classifier", query=["s", "q"], classes=CLASSES, **config)
    branches = [node(c["id"], "template", template=c["name"]) for c in CLASSES]
    outputs = [{"variable": "cls", "value_selector": ["qc", "class_id"]}]
    return [start("q"), qc, *branches, node("end", "end", outputs=outputs)]


def _edges() -> list[dict[str, Any]]:
    routes = [edge("qc", c["id"], handle=c["id"]) for c in CLASSES]
    return [edge("s", "qc"), *routes, *(edge(c["id"], "end") for c in CLASSES)]


async def _run(reply: str, client: FakeChatClient | None = None, q: str = "hi") -> list[Any]:
    client = client or FakeChatClient(script=[reply])
    context = RunContext(
        run_id="r",
        resources=Resources().add(MODELS, FakeModels({"embedded": client})),
        inputs={"q": q},
    )
    return [ev async for ev in Engine(build(_nodes(), _edges())).run(context)]


def _outputs(events: list[Any]) -> dict[str, Any]:
    (done,) = [e for e in by_kind(events, "node_succeeded") if e.node_id == "qc"]
    return dict(done.outputs)


async def test_classifier_routes_to_the_picked_branch_and_skips_the_others() -> None:
    events = await _run("Technical problem")
    assert node_ids(events, "node_succeeded") == ["s", "qc", "tech", "end"]
    assert sorted(node_ids(events, "node_skipped")) == ["billing", "other"]
    outputs = _outputs(events)
    usage = outputs.pop("usage")
    assert outputs == {"class_name": "Technical problem", "class_id": "tech", "matched": True}
    assert usage["completion_tokens"] == 1  # the scripted model's one piece
    assert usage["total_tokens"] == usage["prompt_tokens"] + 1
    assert events[-1].outputs == {"cls": "tech"}


@pytest.mark.parametrize(
    ("reply", "picked"),
    [
        ("other", "other"),  # an id, exactly
        ("billing.", "billing"),  # an id with a full stop
        ("  technical PROBLEM ", "tech"),  # a label in any case
        ('{"class_id": "billing"}', "billing"),  # JSON
        ('```json\n{"class_id": "other"}\n```', "other"),
        ("I would say this is about billing, not a technical problem.", "billing"),  # first said
        ("Category: Something else", "other"),
    ],
)
async def test_classifier_reads_ids_labels_and_json(reply: str, picked: str) -> None:
    outputs = _outputs(await _run(reply))
    assert (outputs["class_id"], outputs["matched"]) == (picked, True)


async def test_classifier_takes_the_first_class_when_the_answer_names_none() -> None:
    events = await _run("I cannot decide, sorry!")
    outputs = _outputs(events)
    assert (outputs["class_id"], outputs["class_name"], outputs["matched"]) == (
        "billing",
        "Billing",
        False,
    )
    assert node_ids(events, "node_succeeded") == ["s", "qc", "billing", "end"]
    (done,) = [e for e in by_kind(events, "node_succeeded") if e.node_id == "qc"]
    assert done.metadata["answer"] == "I cannot decide, sorry!"  # the trace shows why


async def test_classifier_does_not_ask_about_an_empty_query() -> None:
    client = FakeChatClient(script=["tech"])
    outputs = _outputs(await _run("", client=client, q="  "))
    assert client.requests == []
    assert (outputs["class_id"], outputs["matched"]) == ("billing", False)


async def test_classifier_asks_for_a_label_in_the_prompt_without_a_schema() -> None:
    client = FakeChatClient(script=["Billing"])
    await _run("", client=client, q="Why was I charged twice?")
    (request,) = client.requests
    assert request.response_format is None
    assert request.temperature == 0.0
    system, user = request.messages
    assert (system.role, user.role) == ("system", "user")
    assert user.content == (
        "Which class does this text belong to: Billing, Technical problem or Something else?\n"
        "Text: Why was I charged twice?\n"
        "Answer with the class name only."
    )


async def test_classifier_asks_for_a_class_id_enum_where_the_model_follows_a_schema() -> None:
    client = SchemaFollowingChatClient(script=['{"class_id": "tech"}'])
    outputs = _outputs(await _run("", client=client))
    (request,) = client.requests
    assert "- Technical problem (id: tech)" in request.messages[1].content
    assert '{"class_id":' in request.messages[1].content
    assert request.response_format == {
        "type": "json_schema",
        "json_schema": {
            "name": "classification",
            "schema": {
                "type": "object",
                "properties": {
                    "class_id": {"type": "string", "enum": ["billing", "tech", "other"]}
                },
                "required": ["class_id"],
                "additionalProperties": False,
            },
        },
    }
    assert outputs["class_id"] == "tech"


def test_pick_class_prefers_the_label_mentioned_first() -> None:
    classes = [ClassifierClass(id="a", name="Sales"), ClassifierClass(id="b", name="Sales lead")]
    assert pick_class("a sales lead, I think", classes) == classes[1]  # longer at the same spot
    assert pick_class("wholesales", classes) is None  # inside a word is not a mention
    assert pick_class('It is about "Sales leads"', classes) == classes[1]  # a plural too


def _spec(classes: list[dict[str, str]]) -> WorkflowSpec:
    qc = node("qc", "question_classifier", query=["s", "q"], classes=classes)
    outputs = [{"variable": "cls", "value_selector": ["qc", "class_id"]}]
    end = node("end", "end", outputs=outputs)
    edges = [edge("s", "qc"), *(edge("qc", "end", c.get("id", "")) for c in classes[:1])]
    return WorkflowSpec.model_validate(
        {"mode": "workflow", "nodes": [start("q"), qc, end], "edges": edges}
    )


@pytest.mark.parametrize(
    ("classes", "field", "message"),
    [
        (
            [{"id": "a", "name": "A"}, {"id": "a", "name": "B"}],
            "classes.1.id",
            "Id (class 2): class 1 has this id already: change one",
        ),
        (
            [{"id": "a", "name": "Refund"}, {"id": "b", "name": "refund"}],
            "classes.1.name",
            "Label (class 2): class 1 has this label already: change one",
        ),
        ([{"id": "a", "name": "A"}], "classes", "Classes: add at least 2"),
        (
            [{"id": "a", "name": "A"}, {"id": "b", "name": ""}],
            "classes.1.name",
            "Label (class 2): fill this in",
        ),
    ],
)
def test_classifier_config_issue_names_the_class(
    classes: list[dict[str, str]], field: str, message: str
) -> None:
    (issue,) = validate(_spec(classes))
    assert (issue.code, issue.node_id, issue.field, issue.message) == (
        "bad_config",
        "qc",
        field,
        message,
    )


def test_classifier_shows_a_handle_per_class_with_its_label() -> None:
    classes = [{"id": "a", "name": "Refunds"}, {"id": "b", "name": "Other"}]
    shape = graph_report(_spec(classes)).nodes["qc"]
    assert shape.handles == ["a", "b"]
    assert shape.labels == {"a": "Refunds", "b": "Other"}
    draft = graph_report(_spec([{"id": "a", "name": "Refunds"}, {"id": "b", "name": ""}]))
    assert draft.nodes["qc"].handles == ["a", "b"]  # still drawn while a label is empty
    assert draft.nodes["qc"].labels == {"a": "Refunds"}
