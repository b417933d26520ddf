"""The workspace's Retriever (the knowledge node's search) over real knowledge bases, and a
chat app Start → Knowledge retrieval → LLM → Answer answering over /v1/chat-messages with the
passages it used as `retriever_resources` (real retrieval; a scripted model for the LLM)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from asgiref.sync import async_to_sync

from builder.keys import do_create_api_key
from builder.models import App
from kernel.resources import replaced, resolve
from rag.models import Document
from runtime.errors import KnowledgeBaseNotFoundError, MetadataKeyNotFoundError, RetrievalError
from runtime.resources import MODELS, RETRIEVER, MetadataCondition, RetrievedChunk
from tests.fakes import FakeChatClient, FakeModels
from tests.rag.kb import indexed_kb, run_tasks

pytestmark = pytest.mark.django_db(transaction=True)

PETS = {
    "cats.txt": "Cats are small furry animals. A cat purrs when it is content.",
    "dogs.txt": "Dogs are loyal animals. A dog barks at strangers and wags its tail.",
}
SPACE = {"rockets.txt": "A rocket engine burns propellant and expels exhaust to produce thrust."}


def _retrieve(workspace_id: int, query: str, ids: list[str], **kwargs: Any) -> list[RetrievedChunk]:
    async def go() -> list[RetrievedChunk]:
        retriever = (await resolve({RETRIEVER}, workspace_id)).get(RETRIEVER)
        return await retriever.retrieve(query, ids, kwargs.pop("top_k", 4), **kwargs)

    return async_to_sync(go)()


def test_retriever_searches_several_knowledge_bases_best_first(
    owner: Any, client_for: Any, kb_dir: Path
) -> None:
    client = client_for(owner)
    pets = indexed_kb(client, dict(PETS), name="Pets")
    space = indexed_kb(client, dict(SPACE), name="Space")
    hits = _retrieve(owner.workspace_id, "rocket exhaust thrust", [pets["id"], space["id"]])
    assert hits[0].document_name == "rockets.txt"
    assert (hits[0].dataset_id, hits[0].dataset_name) == (space["id"], "Space")
    assert hits[0].content == SPACE["rockets.txt"]
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
    assert all(0 <= h.score <= 1 for h in hits)
    assert hits[0].vector_score is not None
    assert hits[0].full_text_score is not None
    assert hits[0].segment_id
    vector = _retrieve(owner.workspace_id, "a purring pet", [pets["id"]], mode="vector", top_k=1)
    assert [(h.document_name, h.full_text_score) for h in vector] == [("cats.txt", None)]
    only_text = _retrieve(owner.workspace_id, "barks", [pets["id"]], mode="full_text")
    assert [(h.document_name, h.score, h.vector_score) for h in only_text] == [
        ("dogs.txt", 1.0, None)
    ]


def test_retriever_metadata_filter_and_the_errors_it_names(
    owner: Any, make_member: Any, client_for: Any, kb_dir: Path
) -> None:
    client = client_for(owner)
    pets = indexed_kb(client, dict(PETS), name="Pets")
    Document.objects.filter(name="dogs.txt").update(metadata={"sound": "bark", "legs": 4})
    Document.objects.filter(name="cats.txt").update(metadata={"sound": "purr", "legs": 4})
    ws = owner.workspace_id
    barking = [MetadataCondition(key="sound", op="is", value="bark")]
    hits = _retrieve(ws, "animals", [pets["id"]], metadata_filter=barking)
    assert {h.document_name for h in hits} == {"dogs.txt"}
    assert hits[0].metadata == {"sound": "bark", "legs": 4}
    four = [MetadataCondition(key="legs", op="gte", value="4")]
    assert len(_retrieve(ws, "animals", [pets["id"]], metadata_filter=four)) == 2
    with pytest.raises(MetadataKeyNotFoundError) as missing:
        _retrieve(ws, "animals", [pets["id"]], metadata_filter=[MetadataCondition(key="colour")])
    assert missing.value.key == "colour"
    other = client_for(make_member("owner"))
    theirs = indexed_kb(other, {"x.txt": "Their own notes."}, name="Theirs")
    with pytest.raises(KnowledgeBaseNotFoundError) as foreign:
        _retrieve(ws, "notes", [theirs["id"]])
    assert foreign.value.dataset_id == theirs["id"]
    with pytest.raises(KnowledgeBaseNotFoundError):
        _retrieve(ws, "notes", ["not-an-id"])
    with pytest.raises(RetrievalError, match="the embedding model reads at most 256"):
        _retrieve(ws, "word " * 400, [pets["id"]])


@pytest.fixture
def scripted_model() -> Iterator[FakeChatClient]:
    """Every workspace's "embedded" provider: a scripted model recording its prompts."""
    client = FakeChatClient(script=["Weft's worker indexes documents (running-weft.md)."])

    async def models(workspace_id: int) -> FakeModels:
        return FakeModels({"embedded": client})

    with replaced(MODELS, models):
        yield client


def test_retriever_demo_documents_app_answers_with_citations_over_v1(
    live_url: str, kb_dir: Path, scripted_model: FakeChatClient
) -> None:
    from portal.demo import do_seed_demo

    do_seed_demo()
    assert run_tasks() == 1  # the worker indexes the handbook
    app = App.objects.get(slug="docs-chat")
    assert [n["type"] for n in app.versions.get().spec["nodes"]] == [
        "start",
        "knowledge_retrieval",
        "llm",
        "answer",
    ]
    _, key = do_create_api_key(app, "test", None)
    body = {
        "query": "What does the task worker do when it dies during an ingestion?",
        "inputs": {},
        "user": "u1",
        "response_mode": "streaming",
    }
    events = []
    with httpx.stream(
        "POST",
        f"{live_url}/v1/chat-messages",
        json=body,
        headers={"Authorization": f"Bearer {key}"},
        timeout=120,
    ) as response:
        assert response.status_code == 200
        for line in response.iter_lines():
            if line.startswith("data: "):
                events.append(json.loads(line[6:]))
    (end,) = [e for e in events if e["event"] == "message_end"]
    cited = end["metadata"]["retriever_resources"]
    assert 1 <= len(cited) <= 4
    assert cited[0]["document_name"] == "running-weft.md"
    assert {c["dataset_name"] for c in cited} == {"Weft handbook"}
    assert all(0 <= c["score"] <= 1 for c in cited)
    assert [c["position"] for c in cited] == list(range(1, len(cited) + 1))
    system = scripted_model.requests[0].messages[0].content
    assert "leaves the work for the next one" in system  # the passages reached the prompt
    answer = "".join(e.get("answer", "") for e in events if e["event"] == "message")
    assert answer == "Weft's worker indexes documents (running-weft.md)."
