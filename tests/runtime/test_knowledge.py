"""The knowledge-retrieval node (with the Retriever double) and an LLM's context from it."""

from __future__ import annotations

from typing import Any

import pytest

from runtime._metadata import JoinedMetadata
from runtime.compile import validate
from runtime.engine import Engine, RunContext
from runtime.resources import MODELS, RETRIEVER, MetadataCondition, Resources, RetrievedChunk
from runtime.spec import WorkflowSpec
from tests.fakes import FakeChatClient, FakeModels
from tests.runtime.doubles import ListRetriever, RetrieveCall
from tests.runtime.helpers import build, by_kind, edge, node, start

CATS = RetrievedChunk(
    "Cats purr when content.", 0.9, "d1", "cats.md", "kb", "Pets", "s1", 0.8, 0.7, {"year": 2021}
)
DOGS = RetrievedChunk(
    "Dogs bark at strangers.", 0.7, "d2", "dogs.md", "kb", "Pets", "s2", 0.6, 0.5, {"year": 2019}
)
# fused above 0.5 though its vector score is far below; and the reverse
KEYWORD = RetrievedChunk("Exact words.", 0.6, "d3", "k.md", "kb", "Pets", "s3", 0.1, 0.95)
VECTORY = RetrievedChunk("Similar meaning.", 0.4, "d4", "v.md", "kb", "Pets", "s4", 0.9, 0.0)


def _knowledge(**config: Any) -> dict[str, Any]:
    return node("k", "knowledge_retrieval", **{"query": ["s", "q"], "dataset_ids": ["kb"]} | config)


def _workflow(knowledge: dict[str, Any], *variables: str) -> dict[str, Any]:
    out = node("end", "end", outputs=[{"variable": "hits", "value_selector": ["k", "result"]}])
    return {
        "mode": "workflow",
        "nodes": [start("q", *variables), knowledge, out],
        "edges": [edge("s", "k"), edge("k", "end")],
    }


async def _run(
    spec: dict[str, Any], retriever: ListRetriever, client: FakeChatClient | None = None, **ctx: Any
) -> list[Any]:
    graph = build(spec["nodes"], spec["edges"], spec["mode"])
    resources = Resources().add(RETRIEVER, retriever)
    if client is not None:
        resources = resources.add(MODELS, FakeModels({"embedded": client}))
    context = RunContext(run_id="r", resources=resources, **ctx)
    return [e async for e in Engine(graph).run(context)]


def _succeeded(events: list[Any], node_id: str) -> Any:
    (done,) = [e for e in by_kind(events, "node_succeeded") if e.node_id == node_id]
    return done


async def test_knowledge_outputs_passages_with_sources_and_cites_them() -> None:
    retriever = ListRetriever([DOGS, CATS])
    events = await _run(_workflow(_knowledge(top_k=5)), retriever, inputs={"q": " pets? "})
    assert events[-1].status == "succeeded"
    result = events[-1].outputs["hits"]
    assert result[0] == {
        "content": "Cats purr when content.",
        "title": "cats.md",
        "score": 0.9,
        "document_id": "d1",
        "document_name": "cats.md",
        "dataset_id": "kb",
        "dataset_name": "Pets",
        "segment_id": "s1",
        "metadata": {"year": 2021},
    }
    assert [r["segment_id"] for r in result] == ["s1", "s2"]  # best first
    cited = _succeeded(events, "k").metadata["retriever_resources"]
    assert cited[1] == {  # Dify's retriever_resources item
        "position": 2,
        "content": "Dogs bark at strangers.",
        "score": 0.7,
        "document_id": "d2",
        "document_name": "dogs.md",
        "dataset_id": "kb",
        "dataset_name": "Pets",
        "segment_id": "s2",
        "doc_metadata": {"year": 2019},
    }
    assert events[-1].metadata == {"retriever_resources": cited}
    assert retriever.calls == [RetrieveCall("pets?", ["kb"], 5, "hybrid", None, [])]


async def test_knowledge_threshold_applies_to_the_fused_score_after_fusion() -> None:
    retriever = ListRetriever([KEYWORD, VECTORY])
    spec = _workflow(_knowledge(score_threshold=0.5, mode="hybrid", weight=0.3))
    events = await _run(spec, retriever, inputs={"q": "words"})
    # kept: fused 0.6 though its vector score is 0.1; dropped: fused 0.4 though vector is 0.9
    assert [r["segment_id"] for r in events[-1].outputs["hits"]] == ["s3"]
    trace = _succeeded(events, "k").metadata["retrieval"]
    assert trace["query"] == "words"
    assert [
        (h["segment_id"], h["vector_score"], h["full_text_score"], h["kept"]) for h in trace["hits"]
    ] == [("s3", 0.1, 0.95, True), ("s4", 0.9, 0.0, False)]
    (call,) = retriever.calls
    assert (call.mode, call.weight) == ("hybrid", 0.3)  # no threshold reaches the retriever
    cited = events[-1].metadata["retriever_resources"]
    assert [c["segment_id"] for c in cited] == ["s3"]


async def test_knowledge_threshold_on_the_boundary_keeps_the_hit() -> None:
    events = await _run(
        _workflow(_knowledge(score_threshold=0.6)), ListRetriever([KEYWORD]), inputs={"q": "x"}
    )
    assert [r["segment_id"] for r in events[-1].outputs["hits"]] == ["s3"]


async def test_knowledge_passes_the_metadata_filter_with_its_references_rendered() -> None:
    retriever = ListRetriever([CATS, DOGS])
    conditions = [
        {"key": "year", "op": "gte", "value": "{{#s.since#}}"},
        {"key": "year", "op": "lt", "value": 2030},
    ]
    spec = _workflow(_knowledge(metadata_filter=conditions, mode="vector"), "since")
    events = await _run(spec, retriever, inputs={"q": "pets", "since": "2020"})
    assert [r["segment_id"] for r in events[-1].outputs["hits"]] == ["s1"]
    (call,) = retriever.calls
    assert call.mode == "vector"
    assert call.metadata_filter == [
        MetadataCondition(key="year", op="gte", value="2020"),
        MetadataCondition(key="year", op="lt", value=2030),
    ]
    started = next(e for e in by_kind(events, "node_started") if e.node_id == "k")
    assert started.inputs == {"s.q": "pets", "s.since": "2020"}


@pytest.mark.parametrize(
    ("config", "inputs", "code", "words"),
    [
        ({"dataset_ids": ["kb", "theirs"]}, {"q": "x"}, "KnowledgeBaseNotFoundError", "'theirs'"),
        (
            {"metadata_filter": [{"key": "author", "op": "is", "value": "Ann"}]},
            {"q": "x"},
            "MetadataKeyNotFoundError",
            "metadata key 'author'",
        ),
        ({}, {"q": "  "}, "EmptyQueryError", "the query s.q is empty"),
    ],
)
async def test_knowledge_errors_name_what_was_wrong(
    config: dict[str, Any], inputs: dict[str, Any], code: str, words: str
) -> None:
    events = await _run(_workflow(_knowledge(**config)), ListRetriever([CATS]), inputs=inputs)
    (failed,) = by_kind(events, "node_failed")
    assert (failed.node_id, failed.error_code) == ("k", code)
    assert words in failed.error
    assert events[-1].status == "failed"


def _issues(spec: dict[str, Any]) -> list[tuple[str, str | None, str]]:
    return [(i.code, i.field, i.message) for i in validate(WorkflowSpec.model_validate(spec))]


def test_knowledge_config_issues_are_said_in_words() -> None:
    bad = _knowledge(
        query=[],
        dataset_ids=[],
        mode="semantic",
        top_k=0,
        score_threshold=2,
        metadata_filter=[{"key": "", "op": "like", "value": {"a": 1}}],
    )
    assert _issues(_workflow(bad)) == [
        ("bad_config", "query", "Query: pick a variable (a node and one of its outputs)"),
        ("bad_config", "dataset_ids", "Knowledge bases: add at least one"),
        ("bad_config", "mode", "Mode: choose one of 'hybrid', 'vector' or 'full_text'"),
        ("bad_config", "top_k", "Top k: use 1 or more"),
        ("bad_config", "score_threshold", "Score threshold: use 1 or less"),
        ("bad_config", "metadata_filter.0.key", "Metadata key (metadata filter 1): fill this in"),
        (
            "bad_config",
            "metadata_filter.0.op",
            "Comparison (metadata filter 1): choose one of 'is', 'is_not', 'contains', "
            "'not_contains', 'gt', 'gte', 'lt' or 'lte'",
        ),
        (
            "bad_config",
            "metadata_filter.0.value",
            "Value (metadata filter 1): enter text or a number",
        ),
    ]


def test_knowledge_query_must_come_from_upstream() -> None:
    spec = _workflow(_knowledge(query=["end", "hits"]))
    assert _issues(spec) == [
        (
            "unknown_variable",
            "end.hits",
            "End does not run before this node: pick an output of a node that leads here",
        ),
    ]


def _chat(llm: dict[str, Any], knowledge: dict[str, Any] | None = None) -> dict[str, Any]:
    k = knowledge or node("k", "knowledge_retrieval", query=["sys", "query"], dataset_ids=["kb"])
    return {
        "mode": "chat",
        "nodes": [start(), k, llm, node("a", "answer", answer="{{#m.text#}}")],
        "edges": [edge("s", "k"), edge("k", "m"), edge("m", "a")],
    }


def _llm(**config: Any) -> dict[str, Any]:
    context = {"enabled": True, "variable_selector": ["k", "result"]}
    return node("m", "llm", **{"context": context} | config)


PROMPT = "Answer from these notes:\n{{#context#}}\n\nQuestion: {{#sys.query#}}"


async def test_knowledge_chat_run_gives_the_llm_its_context_and_lists_citations_once() -> None:
    client = FakeChatClient(script=[["Cats ", "purr."]])
    spec = _chat(_llm(system_prompt="Cite [n].", prompt=PROMPT))
    events = await _run(spec, ListRetriever([CATS, DOGS]), client, sys={"query": "pets?"})
    assert events[-1].status == "succeeded"
    assert events[-1].answer == "Cats purr."
    (request,) = client.requests
    assert [(m.role, m.content) for m in request.messages] == [
        ("system", "Cite [n]."),
        (
            "user",
            "Answer from these notes:\n"
            "[1] cats.md\nCats purr when content.\n\n"
            "[2] dogs.md\nDogs bark at strangers.\n\n"
            "Question: pets?",
        ),
    ]
    from_knowledge = _succeeded(events, "k").metadata["retriever_resources"]
    from_llm = _succeeded(events, "m").metadata["retriever_resources"]
    assert from_llm == from_knowledge  # the LLM passes on what its context cites
    assert [c["document_name"] for c in from_llm] == ["cats.md", "dogs.md"]
    assert events[-1].metadata == {"retriever_resources": from_knowledge}  # each once
    started = next(e for e in by_kind(events, "node_started") if e.node_id == "m")
    assert started.inputs["k.result"][0]["segment_id"] == "s1"  # the trace shows the context


async def test_knowledge_context_in_the_system_prompt_and_from_text() -> None:
    client = FakeChatClient(script=["ok"])
    llm = node(
        "m",
        "llm",
        system_prompt="Notes: {{#context#}}",
        prompt="{{#sys.query#}}",
        context={"enabled": True, "variable_selector": ["s", "notes"]},
    )
    spec = _chat(llm)
    spec["nodes"][0] = start("notes")
    events = await _run(
        spec,
        ListRetriever([CATS]),
        client,
        sys={"query": "q"},
        inputs={"notes": "{{#sys.query#}} stays as typed"},
    )
    (request,) = client.requests
    # text in the context is never read as a reference; a text context cites nothing
    assert request.messages[0].content == "Notes: {{#sys.query#}} stays as typed"
    assert "retriever_resources" not in _succeeded(events, "m").metadata
    assert [c["segment_id"] for c in events[-1].metadata["retriever_resources"]] == ["s1"]


def test_knowledge_llm_context_issues_are_said_in_words() -> None:
    unused = _chat(_llm(prompt="{{#sys.query#}}"))
    assert _issues(unused) == [
        (
            "bad_config",
            "context",
            "Context: no prompt uses {{#context#}}: write it where the"
            " retrieved text goes, or turn context off",
        ),
    ]
    off = _chat(node("m", "llm", prompt=PROMPT))
    assert _issues(off) == [
        (
            "bad_config",
            "context",
            "Context: a prompt uses {{#context#}} but context is off:"
            " turn it on and pick its variable, or take {{#context#}} out of the prompt",
        ),
    ]
    unpicked = _chat(_llm(prompt=PROMPT, context={"enabled": True, "variable_selector": []}))
    assert _issues(unpicked) == [
        (
            "bad_config",
            "context.variable_selector",
            "Variable (context): pick a variable (a node and one of its outputs)",
        ),
    ]
    downstream = _chat(
        _llm(prompt=PROMPT, context={"enabled": True, "variable_selector": ["a", "answer"]})
    )
    assert _issues(downstream) == [
        (
            "unknown_variable",
            "a.answer",
            "Answer does not run before this node: pick an output of a node that leads here",
        ),
    ]
    assert _issues(_chat(_llm(prompt=PROMPT))) == []


def test_knowledge_joined_metadata_lists_another_nodes_items_once() -> None:
    joined = JoinedMetadata()
    joined.add({"retriever_resources": [{"a": 1, "b": 2}, {"a": 1, "b": 2}], "prompt": {}})
    joined.add({"retriever_resources": [{"b": 2, "a": 1}, {"a": 3}], "steps": ["x"]})
    # a node's own repeats stay; what an earlier node gave is not added again
    assert joined.lists == {
        "retriever_resources": [{"a": 1, "b": 2}, {"a": 1, "b": 2}, {"a": 3}],
        "steps": ["x"],
    }


@pytest.mark.parametrize(
    ("op", "value", "metadata", "holds"),
    [
        ("is", "2021", {"year": 2021}, True),
        ("is", "2021", {"year": "2021.0"}, True),
        ("is", "draft", {"status": "final"}, False),
        ("is_not", "draft", {"status": "final"}, True),
        ("is_not", "draft", {}, True),  # a document without the key meets negations only
        ("is", "draft", {}, False),
        ("contains", "cat", {"tags": "cats and dogs"}, True),
        ("contains", "cat", {"tags": ["cats", "dogs"]}, False),  # a list: its items
        ("contains", "cats", {"tags": ["cats", "dogs"]}, True),
        ("not_contains", "cats", {"tags": ["cats"]}, False),
        ("gt", 9, {"n": 10}, True),
        ("gt", "9", {"n": "10"}, True),  # numbers as numbers
        ("lt", "2024-02-01", {"date": "2024-01-15"}, True),  # ISO dates as text
        ("gte", 10, {"n": 10}, True),
        ("lte", 9, {"n": 10}, False),
    ],
)
def test_knowledge_metadata_condition_matches(
    op: str, value: Any, metadata: dict[str, Any], holds: bool
) -> None:
    key = next(iter(metadata), "status")
    condition = MetadataCondition.model_validate({"key": key, "op": op, "value": value})
    assert condition.matches(metadata) is holds
