"""Node metadata end to end: a node that needs the workspace's retriever cites what it found,
and /v1/chat-messages answers the citations in message_end as Dify does (blocking and
streaming); the run's trace keeps them."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from builder.models import NodeRun
from kernel.errors import ApiError
from kernel.resources import replaced, withdrawn
from runtime.nodes import registry
from runtime.resources import RETRIEVER, RetrievedChunk
from tests.builder.sse import parse_sse
from tests.runtime.doubles import ListRetriever, SearchNode

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.services]

CHUNKS = [
    RetrievedChunk("Cats purr.", 0.92, "doc-1", "cats.md", "kb", "Pets", "seg-1"),
    RetrievedChunk("Dogs bark.", 0.81, "doc-2", "dogs.md", "kb", "Pets", "seg-2"),
]
SPEC = {
    "mode": "chat",
    "nodes": [
        {"id": "start", "type": "start"},
        {"id": "k", "type": "search", "config": {"query": "pets"}},
        {"id": "answer", "type": "answer", "config": {"answer": "{{#k.result#}}"}},
    ],
    "edges": [{"source": "start", "target": "k"}, {"source": "k", "target": "answer"}],
}


@pytest.fixture
def search_node() -> Iterator[None]:
    """The `search` node type (it needs RETRIEVER) for the duration of a test."""
    with registry.temporary("search", SearchNode):
        yield


@pytest.fixture
def retriever(search_node: None) -> Iterator[ListRetriever]:
    """Every workspace's retriever: two fixed passages."""
    found = ListRetriever(list(CHUNKS))

    async def for_workspace(workspace_id: int) -> ListRetriever:
        return found

    with replaced(RETRIEVER, for_workspace):
        yield found


async def _chat(url: str, key: str, mode: str) -> httpx.Response:
    body = {"query": "tell me", "inputs": {}, "user": "u1", "response_mode": mode}
    async with httpx.AsyncClient(base_url=url, timeout=60) as client:
        return await client.post(
            "/v1/chat-messages",
            content=json.dumps(body).encode(),
            headers={"Content-Type": "application/json", "Authorization": f"Bearer {key}"},
        )


def _expected() -> list[dict[str, Any]]:
    return [
        {
            "position": i,
            "content": c.content,
            "score": c.score,
            "document_id": c.document_id,
            "document_name": c.document_name,
            "dataset_id": c.dataset_id,
            "dataset_name": c.dataset_name,
            "segment_id": c.segment_id,
            "doc_metadata": {},
        }
        for i, c in enumerate(CHUNKS, 1)
    ]


async def test_run_metadata_blocking_chat_answers_the_nodes_citations(
    live_url: str, owner: Any, make_app: Any, retriever: ListRetriever
) -> None:
    from asgiref.sync import sync_to_async

    _, key = await sync_to_async(make_app)(owner, spec=SPEC, slug="cite")
    response = await _chat(live_url, key, "blocking")
    body = response.json()
    assert response.status_code == 200, body
    assert body["answer"] == "Cats purr.\nDogs bark."
    assert body["metadata"]["retriever_resources"] == _expected()
    assert set(body["metadata"]["usage"]) >= {"prompt_tokens", "total_tokens"}
    assert retriever.queries == ["pets"]
    row = await NodeRun.objects.aget(run_id=body["message_id"], node_id="k")
    assert row.metadata == {"retriever_resources": _expected()}


async def test_run_metadata_streaming_chat_sends_citations_in_message_end(
    live_url: str, owner: Any, make_app: Any, retriever: ListRetriever
) -> None:
    from asgiref.sync import sync_to_async

    _, key = await sync_to_async(make_app)(owner, spec=SPEC, slug="cite")
    response = await _chat(live_url, key, "streaming")
    assert response.status_code == 200
    events = parse_sse(response.content)
    (end,) = [e for e in events if e["event"] == "message_end"]
    assert end["metadata"]["retriever_resources"] == _expected()
    assert end["metadata"]["usage"]["total_tokens"] == 0


def test_run_metadata_publish_refuses_a_node_whose_need_nothing_provides(
    owner: Any, make_app: Any, search_node: None
) -> None:
    with withdrawn(RETRIEVER), pytest.raises(ApiError) as info:
        make_app(owner, spec=SPEC, slug="cite")
    issues = info.value.data["issues"]
    assert [(i["code"], i["node_id"]) for i in issues] == [("missing_resource", "k")]


async def test_run_metadata_websocket_forwards_the_nodes_metadata(
    owner: Any, make_app: Any, retriever: ListRetriever
) -> None:
    from asgiref.sync import sync_to_async

    from tests.builder.test_run_consumer import _connect, _events_until_finished

    app, _ = await sync_to_async(make_app)(owner, spec=SPEC, slug="cite", publish=False)
    communicator, connected = await _connect(owner.user, app.pk)
    assert connected
    await communicator.send_json_to({"type": "run", "query": "tell me", "inputs": {}})
    events = await _events_until_finished(communicator)
    await communicator.disconnect()
    (k,) = [e for e in events if e["kind"] == "node_succeeded" and e["node_id"] == "k"]
    assert k["metadata"] == {"retriever_resources": _expected()}
    assert events[-1]["metadata"] == {"retriever_resources": _expected()}


def test_run_metadata_draft_report_shows_a_need_nothing_provides(search_node: None) -> None:
    from builder.actions.workflows import get_report
    from runtime.spec import WorkflowSpec

    spec = WorkflowSpec.model_validate(SPEC)
    with withdrawn(RETRIEVER):
        found = [(i.code, i.node_id) for i in get_report(spec).issues]
    assert found == [("missing_resource", "k")]
    with replaced(RETRIEVER, lambda workspace_id: ListRetriever()):
        assert get_report(spec).issues == []


def test_run_metadata_run_detail_api_returns_the_stored_metadata(
    owner: Any, make_app: Any, client_for: Any, retriever: ListRetriever
) -> None:
    app, _ = make_app(owner, spec=SPEC, slug="cite", publish=False)
    client = client_for(owner)
    started = client.post(
        f"/api/apps/{app.pk}/runs", {"query": "tell me"}, content_type="application/json"
    )
    assert started.status_code == 200, started.json()
    response = client.get(f"/api/runs/{started.json()['id']}")
    assert response.status_code == 200, response.json()
    metadata = {n["node_id"]: n["metadata"] for n in response.json()["node_runs"]}
    assert metadata == {"start": {}, "k": {"retriever_resources": _expected()}, "answer": {}}
