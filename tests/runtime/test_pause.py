"""Human in the loop: a human-input node (or a node that needs confirmation) pauses the run, other
branches finish, and a seeded run with the person's reply resumes exactly at the paused node."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any, ClassVar

import pytest

from runtime.compile import CompiledGraph
from runtime.errors import GraphInvalidError
from runtime.nodes import registry
from runtime.nodes.base import Node, NodeConfig, NodeContext, NodeOutput, Paused
from runtime.pause import AnswerError, PauseForm, Reply, check_answers
from tests.runtime.containers import around, iteration, registered
from tests.runtime.helpers import build, by_kind, edge, kinds, node, node_ids, run, start

FIELDS = [
    {"name": "answer", "label": "Answer"},
    {"name": "score", "type": "number", "required": False, "default": 3},
    {"name": "ok", "type": "boolean", "required": False},
    {"name": "pick", "type": "choice", "choices": ["red", "blue"], "required": False},
]


def ask(node_id: str = "ask", **config: Any) -> dict[str, Any]:
    """A human-input node asking about the start node's `topic`."""
    return node(node_id, "human_input", prompt="About {{#s.topic#}}?", fields=FIELDS, **config)


def end(selectors: dict[str, list[str]]) -> dict[str, Any]:
    outputs = [{"variable": k, "value_selector": v} for k, v in selectors.items()]
    return node("end", "end", outputs=outputs)


def chain(**config: Any) -> CompiledGraph:
    """start → ask → end (the answer and the score)."""
    nodes = [start("topic"), ask(**config), end({"a": ["ask", "answer"], "n": ["ask", "score"]})]
    return build(nodes, [edge("s", "ask"), edge("ask", "end")])


def seed_of(events: list[Any]) -> dict[str, tuple[dict[str, Any], str | None]]:
    """What a resume seeds: every node that succeeded or was skipped, as the builder does."""
    seed: dict[str, tuple[dict[str, Any], str | None]] = {}
    for e in events:
        if e.kind == "node_succeeded":
            seed[e.node_id] = (e.outputs, e.handle)
        elif e.kind == "node_skipped":
            seed[e.node_id] = ({}, None)
    return seed


async def resume(graph: CompiledGraph, first: list[Any], **replies: Reply) -> list[Any]:
    return await run(
        graph,
        inputs={"topic": "tea"},
        seed=seed_of(first),
        replies=replies,
        first_index=first[-1].total_steps,
    )


async def test_human_input_pauses_the_run_with_its_rendered_form() -> None:
    events = await run(chain(), inputs={"topic": "tea"})
    assert kinds(events) == [
        "run_started",
        "node_started",
        "node_succeeded",
        "node_started",
        "node_paused",
        "run_finished",
    ]
    (paused,) = by_kind(events, "node_paused")
    finished = events[-1]
    assert finished.status == "waiting"
    assert finished.waiting == [paused.form]
    assert paused.form.prompt == "About tea?"
    assert [f.name for f in paused.form.fields] == ["answer", "score", "ok", "pick"]


async def test_resume_runs_on_from_the_paused_node_with_the_answers() -> None:
    graph = chain()
    first = await run(graph, inputs={"topic": "tea"})
    answers = check_answers(first[-1].waiting[0], {"answer": "green", "ok": "yes"})
    events = await resume(graph, first, ask=Reply(answers))
    assert node_ids(events, "node_started") == ["ask", "end"]
    assert events[-1].status == "succeeded"
    assert events[-1].outputs == {"a": "green", "n": 3}
    (done,) = [e for e in by_kind(events, "node_succeeded") if e.node_id == "ask"]
    assert done.outputs == {
        "answer": "green",
        "score": 3,
        "ok": True,
        "pick": None,
        "timed_out": False,
    }
    assert [e.index for e in by_kind(events, "node_started")] == [3, 4]  # numbering goes on


async def test_pause_lets_a_parallel_branch_finish() -> None:
    nodes = [
        start("topic"),
        ask(),
        node("slow", "sleep", delay=0.05),
        node("j", "sleep"),
        end({"v": ["j", "value"]}),
    ]
    edges = [edge("s", "ask"), edge("s", "slow"), edge("ask", "j"), edge("slow", "j")]
    graph = build(nodes, [*edges, edge("j", "end")])
    first = await run(graph, inputs={"topic": "tea"})
    assert node_ids(first, "node_succeeded") == ["s", "slow"]
    assert node_ids(first, "node_paused") == ["ask"]
    assert first[-1].status == "waiting"
    events = await resume(graph, first, ask=Reply({"answer": "x"}))
    assert node_ids(events, "node_started") == ["ask", "j", "end"]
    assert events[-1].status == "succeeded"


@pytest.mark.parametrize(
    ("answers", "field", "reason"),
    [
        ({}, "answer", "is required"),
        ({"answer": "a", "colour": "red"}, "colour", "is not a field"),
        ({"answer": "a", "score": "many"}, "score", "must be a number"),
        ({"answer": "a", "score": True}, "score", "must be a number"),
        ({"answer": "a", "ok": "perhaps"}, "ok", "must be true or false"),
        ({"answer": "a", "pick": "green"}, "pick", "must be one of red, blue"),
        ({"answer": 5}, "answer", "must be text"),
    ],
)
def test_check_answers_names_the_bad_field(
    answers: dict[str, Any], field: str, reason: str
) -> None:
    form = PauseForm.model_validate({"node_id": "ask", "fields": FIELDS})
    with pytest.raises(AnswerError) as err:
        check_answers(form, answers)
    assert err.value.field == field
    assert reason in str(err.value)


def test_check_answers_coerces_values() -> None:
    form = PauseForm.model_validate({"node_id": "ask", "fields": FIELDS})
    got = check_answers(form, {"answer": "a", "score": "2.5", "ok": False, "pick": "blue"})
    assert got == {"answer": "a", "score": 2.5, "ok": False, "pick": "blue"}


async def test_timeout_fail_fails_the_node() -> None:
    graph = chain(timeout_s=5, on_timeout="fail")
    first = await run(graph, inputs={"topic": "tea"})
    assert first[-1].waiting[0].timeout_s == 5
    events = await resume(graph, first, ask=Reply(timed_out=True))
    end_ = events[-1]
    assert (end_.status, end_.error_code, end_.failed_node_id) == (
        "failed",
        "HumanInputTimeoutError",
        "ask",
    )


async def test_timeout_default_goes_on_with_the_defaults() -> None:
    graph = chain(timeout_s=5, on_timeout="default")
    first = await run(graph, inputs={"topic": "tea"})
    events = await resume(graph, first, ask=Reply(timed_out=True))
    assert events[-1].status == "succeeded"
    assert events[-1].outputs == {"a": None, "n": 3}


async def test_timeout_branch_takes_the_timeout_handle() -> None:
    nodes = [
        start("topic"),
        ask(timeout_s=5, on_timeout="branch"),
        node("late", "sleep", value="late"),
        node("fine", "sleep", value="fine"),
        node("j", "variable_aggregator", variables=[["late", "value"], ["fine", "value"]]),
        end({"v": ["j", "output"]}),
    ]
    edges = [edge("s", "ask"), edge("ask", "late", "timeout"), edge("ask", "fine")]
    graph = build(nodes, [*edges, edge("late", "j"), edge("fine", "j"), edge("j", "end")])
    first = await run(graph, inputs={"topic": "tea"})
    events = await resume(graph, first, ask=Reply(timed_out=True))
    assert node_ids(events, "node_skipped") == ["fine"]
    assert events[-1].outputs == {"v": "late"}
    answered = await resume(graph, first, ask=Reply({"answer": "x"}))
    assert node_ids(answered, "node_skipped") == ["late"]
    assert answered[-1].outputs == {"v": "fine"}


def confirmed(**settings: Any) -> CompiledGraph:
    """start → act (needs confirmation) → end; act's fail branch goes to `sorry` when asked."""
    act = node("act", "sleep", value="done", settings={"needs_confirmation": True, **settings})
    nodes = [start("topic"), act, end({"v": ["act", "value"]})]
    edges = [edge("s", "act"), edge("act", "end")]
    if settings.get("error_strategy") == "fail_branch":
        why = [{"variable": "why", "value_selector": ["act", "error_type"]}]
        nodes.append(node("sorry", "end", outputs=why))
        edges.append(edge("act", "sorry", "fail-branch"))
    return build(nodes, edges)


async def test_confirmation_pauses_before_the_node_runs() -> None:
    graph = confirmed()
    first = await run(graph, inputs={"topic": "tea"})
    assert kinds(first, "act") == ["node_started", "node_paused"]
    form = first[-1].waiting[0]
    assert (form.kind, [f.name for f in form.fields]) == ("confirmation", ["decision"])
    approved = await resume(graph, first, act=Reply(check_answers(form, {"decision": "approve"})))
    assert kinds(approved, "act") == ["node_started", "node_succeeded"]
    assert approved[-1].outputs == {"v": "done"}


async def test_confirmation_denied_fails_the_node_through_its_strategy() -> None:
    graph = confirmed()
    first = await run(graph, inputs={"topic": "tea"})
    denied = await resume(graph, first, act=Reply({"decision": "deny"}))
    assert (denied[-1].status, denied[-1].error_code) == ("failed", "ConfirmationDeniedError")
    branching = confirmed(error_strategy="fail_branch")
    first = await run(branching, inputs={"topic": "tea"})
    events = await resume(branching, first, act=Reply({"decision": "deny"}))
    assert events[-1].status == "succeeded"
    assert events[-1].outputs == {"why": "ConfirmationDeniedError"}


@pytest.mark.parametrize(
    ("fields", "where"),
    [
        ([{"name": "a", "type": "choice"}], "choices"),
        ([{"name": "a"}, {"name": "a"}], "fields.1.name"),
        ([{"name": "1a"}], "fields.0.name"),
    ],
)
def test_human_input_config_issues_name_the_field(fields: list[Any], where: str) -> None:
    nodes = [start(), node("ask", "human_input", fields=fields), end({})]
    with pytest.raises(GraphInvalidError) as err:
        build(nodes, [edge("s", "ask"), edge("ask", "end")])
    assert any(i.node_id == "ask" and i.code == "bad_config" for i in err.value.issues)
    assert where.split(".")[-1] in str(err.value.issues)


class _AskNode(Node[NodeConfig]):
    """Pauses like a human-input node, but does not say so (no `asks_person`)."""

    output_types: ClassVar = {"text": "string"}

    async def run(self, ctx: NodeContext) -> AsyncIterator[NodeOutput]:
        """Pause with an empty form."""
        yield Paused(PauseForm(node_id=self.node_id, title=self.title, prompt="?"))


@pytest.fixture
def _container_types() -> Iterator[None]:
    yield from registered()


@pytest.mark.usefixtures("_container_types")
async def test_a_pause_inside_a_container_fails_the_node_saying_what_to_do() -> None:
    """Compile refuses pausing nodes inside containers; a type that pauses without declaring
    it still cannot leave a run waiting where a resume would not reach."""
    with registry.temporary("ask_quietly", _AskNode):
        children = [node("it_s", "iteration_start"), node("p", "ask_quietly")]
        nodes, edges = around(iteration(), children, [edge("it_s", "p")], ["a"])
        nodes[2]["title"] = "Each item"
        nodes[4]["title"] = "Quiet question"
        events = await run(build(nodes, edges))
    (failed,) = [e for e in by_kind(events, "node_failed") if e.node_id == "p"]
    assert failed.error_code == "PauseInContainerError"
    assert failed.error == (
        "Quiet question waits for a person's answer, which a node inside Each item cannot do:"
        " move it out of the container"
    )
    assert events[-1].status == "failed"
    assert not by_kind(events, "node_paused")
