"""Secret env variables: a run uses their values, but no event it emits carries them."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from itertools import pairwise
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from runtime.compile import compile_workflow
from runtime.engine import Engine, RunContext
from runtime.masking import MASK, Masker
from runtime.nodes import registry
from runtime.nodes.base import Done, Node, NodeConfig, NodeContext, NodeOutput
from runtime.resources import MODELS, Resources
from runtime.spec import WorkflowSpec
from runtime.variables import Selector
from tests.fakes import FakeChatClient, FakeModels
from tests.runtime.helpers import by_kind, edge, node, run, start

SECRET = "sk-live-4242"


def secret_spec(mode: str = "chat", error_strategy: str = "fail") -> WorkflowSpec:
    """Start → LLM (its prompt reads env.TOKEN) → Answer (or End) showing the LLM's text."""
    last = (
        node("a", "answer", answer="said: {{#llm.text#}}")
        if mode == "chat"
        else node("a", "end", outputs=[{"variable": "text", "value_selector": ["llm", "text"]}])
    )
    llm = node(
        "llm",
        "llm",
        model={"provider": "embedded", "name": "fake"},
        prompt="use {{#env.TOKEN#}} for {{#env.NAME#}}",
        settings={"error_strategy": error_strategy},
    )
    return WorkflowSpec.model_validate(
        {
            "mode": mode,
            "nodes": [start(), llm, last],
            "edges": [edge("s", "llm"), edge("llm", "a")],
            "env": [
                {"name": "TOKEN", "type": "secret", "value": SECRET},
                {"name": "NAME", "type": "string", "value": "Ada"},
            ],
        }
    )


def _dumped(events: list[Any]) -> str:
    return json.dumps([e.model_dump(mode="json") for e in events])


async def test_secret_reaches_the_model_but_no_event() -> None:
    echo = ["the key ", "is sk-li", "ve-42", "42, ok"]  # the model echoes the secret in pieces
    events = await run(compile_workflow(secret_spec()), script=[echo])
    started = next(e for e in by_kind(events, "node_started") if e.node_id == "llm")
    assert started.inputs == {"env.TOKEN": MASK, "env.NAME": "Ada"}
    assert SECRET not in _dumped(events)
    deltas = "".join(e.text for e in by_kind(events, "node_delta"))
    assert deltas == f"the key is {MASK}, ok"
    assert events[-1].answer == f"said: the key is {MASK}, ok"


def test_secret_is_left_out_of_reprs() -> None:
    spec = secret_spec()
    graph = compile_workflow(spec)
    ctx = RunContext(
        run_id="r", resources=Resources().add(MODELS, FakeModels()), env={"TOKEN": SECRET}
    )
    for thing in (spec, spec.env[0], graph, ctx):
        assert SECRET not in repr(thing)


async def test_secret_is_used_by_the_run() -> None:
    client = FakeChatClient(script=["ok"])
    ctx = RunContext(
        run_id="r", resources=Resources().add(MODELS, FakeModels({"embedded": client}))
    )
    events: list[Any] = [e async for e in Engine(compile_workflow(secret_spec())).run(ctx)]
    assert events[-1].status == "succeeded"
    assert client.requests[0].messages[-1].content == f"use {SECRET} for Ada"


async def test_secret_is_masked_in_workflow_outputs() -> None:
    events = await run(compile_workflow(secret_spec("workflow")), script=[[SECRET]])
    assert events[-1].outputs == {"text": MASK}
    assert SECRET not in _dumped(events)


@pytest.mark.parametrize("strategy", ["fail", "fail_branch"])
async def test_secret_is_masked_in_error_text(strategy: str) -> None:
    error = RuntimeError(f"401: key {SECRET} refused")
    events = await run(compile_workflow(secret_spec(error_strategy=strategy)), script=[error])
    assert SECRET not in _dumped(events)
    if strategy == "fail":
        assert events[-1].error == f"401: key {MASK} refused"


async def test_secret_given_by_the_caller_is_masked_too() -> None:
    events = await run(compile_workflow(secret_spec()), script=["x"], env={"TOKEN": "other-key"})
    assert "other-key" not in _dumped(events)


@pytest.mark.parametrize(
    ("pieces", "shown"),
    [
        (["abc", "SEC", "RET", "def"], f"abc{MASK}def"),
        (["SE", "CX", "SECRET"], f"SECX{MASK}"),
        (["xSECSECRET", "y"], f"xSEC{MASK}y"),
        (["SECRE"], "SECRE"),  # a tail held back is shown once the stream ends
    ],
)
def test_stream_masker_masks_secrets_split_across_pieces(pieces: list[str], shown: str) -> None:
    stream = Masker(["SECRET"]).stream()
    out = "".join(stream.feed(p) for p in pieces) + stream.flush()
    assert out == shown


_TEXT = st.text(alphabet="abcS-", max_size=40)  # small alphabet: many near-misses; no "*"


@given(
    secret=st.text(alphabet="abcS-", min_size=1, max_size=6),
    parts=st.lists(_TEXT, max_size=8),
    cuts=st.lists(st.integers(min_value=0, max_value=400), max_size=12),
)
def test_stream_masker_never_lets_a_secret_through(
    secret: str, parts: list[str], cuts: list[int]
) -> None:
    text = secret.join(parts)
    marks = sorted({c % (len(text) + 1) for c in cuts} | {0, len(text)})
    stream = Masker([secret]).stream()
    shown = "".join(stream.feed(text[a:b]) for a, b in pairwise(marks))
    shown += stream.flush()
    assert shown == Masker([secret]).text(text)
    assert secret not in shown


class CiteSecretNode(Node[NodeConfig]):
    """Cites a passage that quotes the env secret (as a retrieved document might)."""

    output_types = {"ok": "boolean"}

    def references(self) -> list[Selector]:
        """env.TOKEN."""
        return [("env", "TOKEN")]

    async def run(self, ctx: NodeContext) -> AsyncIterator[NodeOutput]:
        """Quote the secret in metadata only."""
        quoted = f"key: {ctx.pool.lookup(['env', 'TOKEN'])}"
        yield Done({"ok": True}, metadata={"retriever_resources": [{"content": quoted}]})


async def test_secret_in_node_metadata_is_masked_in_events() -> None:
    spec = secret_spec("workflow").model_dump(by_alias=True)
    spec["nodes"][1] = node("llm", "cite_secret")
    spec["nodes"][2] = node(
        "a", "end", outputs=[{"variable": "ok", "value_selector": ["llm", "ok"]}]
    )
    with registry.temporary("cite_secret", CiteSecretNode):
        events = await run(compile_workflow(WorkflowSpec.model_validate(spec)))
    assert events[-1].status == "succeeded"
    assert SECRET not in _dumped(events)
    cited = events[-1].metadata["retriever_resources"]
    assert cited == [{"content": f"key: {MASK}"}]
