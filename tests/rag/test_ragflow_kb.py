"""RAGFlow knowledge bases end to end on the Django side: offered when configured, a dataset made
or linked at creation, files sent and followed by the worker's task through RAGFlow's parsing,
searches with RAGFlow's scores, failures in RAGFlow's words, and changes that reach the server.
Against the RAGFlow protocol server (tests/rag/ragflow_server.py), and a real RAGFlow when
RAGFLOW_BASE_URL and RAGFLOW_API_KEY are set (the `external` test)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, cast

import pytest
from ragflow_sdk import RAGFlow

from rag import ingestion_remote, stores
from rag.backends._remote import BackendRequestError
from rag.backends.base import ParseState, ServerParsing
from rag.backends.ragflow import RagflowBackend
from rag.http import api_error
from rag.ingestion import core_document
from rag.models import Document, KnowledgeBase
from tests.rag.helpers import wait_parsed
from tests.rag.kb import committed, create_kb, listing, run_tasks, upload
from tests.rag.ragflow_portal import dead_url, sent, use_ragflow
from tests.rag.ragflow_server import RagflowServer

pytestmark = pytest.mark.django_db
TEXTS = {
    "rockets.txt": "A rocket engine burns propellant and expels exhaust to produce thrust.",
    "cats.txt": "Cats are small furry animals. A cat purrs when it is content.",
}


def test_ragflow_is_offered_only_when_its_url_and_key_are_set(
    owner: Any, client_for: Any, kb_dir: Path, settings: Any
) -> None:
    client = client_for(owner)
    use_ragflow(settings, "", "")  # as when RAGFLOW_BASE_URL and RAGFLOW_API_KEY are unset
    settings.RAG_BACKENDS["milvus"]["OPTIONS"]["uri"] = ""
    assert client.get("/api/knowledge-bases/backends").json() == [
        {"name": "embedded", "parses_files": False}
    ]
    refused = client.post(
        "/api/knowledge-bases", {"name": "x", "backend": "ragflow"}, content_type="application/json"
    )
    assert (refused.status_code, refused.json()["field"]) == (422, "backend")
    assert "needs RAGFLOW_BASE_URL and RAGFLOW_API_KEY set" in refused.json()["message"]
    use_ragflow(settings, "http://ragflow.invalid", "key")
    assert {"name": "ragflow", "parses_files": True} in client.get(
        "/api/knowledge-bases/backends"
    ).json()


def test_ragflow_kb_sends_files_follows_parsing_and_searches_with_ragflows_scores(
    owner: Any, client_for: Any, ragflow: RagflowServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = client_for(owner)
    kb = create_kb(client, backend="ragflow")
    (dataset,) = ragflow.api.datasets.values()
    assert (kb["ragflow_dataset_id"], dataset.name) == (
        dataset.id,
        f"weft_{kb['id'].replace('-', '')}",
    )
    assert kb["capabilities"]["edit_chunks"] is False
    assert upload(client, kb["id"], dict(TEXTS)).status_code == 201
    seen = watch_rows(client, kb["id"], ragflow, monkeypatch)
    assert run_tasks() == 1
    during = seen["listing"]
    assert {d["stage"] for d in during.values()} == {"parsing"}
    assert all(d["progress"] == {"done": 10, "total": 100} for d in during.values())
    _, docs = listing(client, kb["id"])
    for name in TEXTS:
        assert (docs[name]["stage"], docs[name]["error"]) == ("indexed", "")
        assert docs[name]["chunk_count"] == 1  # RAGFlow's count
    assert sent(ragflow, "POST", f"/datasets/{dataset.id}/documents") == 2
    found = client.post(
        f"/api/knowledge-bases/{kb['id']}/search",
        {"query": "rocket engine thrust", "weight": 0.5},
        content_type="application/json",
    ).json()
    (raw, *_) = RAGFlow(api_key=ragflow.api_key, base_url=ragflow.base_url).retrieve(
        [dataset.id], question="rocket engine thrust", vector_similarity_weight=0.5
    )
    best = found["hybrid"][0]
    assert (best["document_name"], best["chunk_id"].split(":")[-1]) == ("rockets.txt", raw.id)
    assert best["scores"]["vector"] == pytest.approx(raw.vector_similarity)
    assert best["scores"]["full_text"] == pytest.approx(raw.term_similarity)
    assert best["scores"]["fused"] == pytest.approx(raw.similarity, abs=1e-6)


def watch_rows(
    client: Any, kb_id: str, server: RagflowServer, monkeypatch: pytest.MonkeyPatch
) -> dict[str, Any]:
    """Hold RAGFlow's parsing at its first step; at the worker's first look at the documents
    there, keep the documents listing as the page sees it (in `seen`), then let parsing go on."""
    server.api.running.clear()
    seen: dict[str, Any] = {}
    real = ingestion_remote._settled

    def spy(kb: KnowledgeBase, watch: Any, progress: Any) -> bool:
        done = real(kb, watch, progress)
        rows = Document.objects.filter(knowledge_base=kb)
        if "listing" not in seen and all(d.done == 10 for d in rows):
            seen["listing"] = listing(client, kb_id)[1]
            server.api.running.set()
        return done

    monkeypatch.setattr(ingestion_remote, "_settled", spy)
    return seen


def test_ragflow_parse_failure_ends_failed_with_ragflows_message_and_retries(
    owner: Any, client_for: Any, ragflow: RagflowServer
) -> None:
    client = client_for(owner)
    kb = create_kb(client, backend="ragflow")
    upload(client, kb["id"], {"scan.pdf": b"%PDF-1.4 not really a pdf"})
    run_tasks()
    _, docs = listing(client, kb["id"])
    failed = docs["scan.pdf"]
    assert failed["stage"] == "failed"
    assert failed["error"].startswith("scan.pdf: RAGFlow could not parse it: [ERROR]Fail to parse")
    retried = committed(
        client.post, f"/api/knowledge-bases/{kb['id']}/documents/{failed['id']}/retry"
    )
    assert retried.json()["stage"] == "queued"
    run_tasks()
    assert listing(client, kb["id"])[1]["scan.pdf"]["stage"] == "failed"
    assert sent(ragflow, "POST", "/documents") == 2  # sent again: RAGFlow had failed it


def test_ragflow_disable_and_delete_reach_the_server(
    owner: Any, client_for: Any, ragflow: RagflowServer
) -> None:
    client = client_for(owner)
    kb = create_kb(client, backend="ragflow")
    upload(client, kb["id"], dict(TEXTS))
    run_tasks()
    _, docs = listing(client, kb["id"])
    base = f"/api/knowledge-bases/{kb['id']}/documents"
    client.patch(
        f"{base}/{docs['cats.txt']['id']}", {"enabled": False}, content_type="application/json"
    )
    (cats,) = [d for d in ragflow.api.documents.values() if d.name == "cats.txt"]
    assert cats.status == "0"
    assert client.delete(f"{base}/{docs['rockets.txt']['id']}").status_code == 204
    assert [d.name for d in ragflow.api.documents.values()] == ["cats.txt"]
    assert client.delete(f"/api/knowledge-bases/{kb['id']}").status_code == 204
    assert ragflow.api.datasets == {}  # Weft made the dataset: it goes with the knowledge base


def test_ragflow_chunks_are_listed_and_disabled_but_not_edited(
    owner: Any, client_for: Any, ragflow: RagflowServer
) -> None:
    client = client_for(owner)
    kb = create_kb(client, backend="ragflow")
    upload(client, kb["id"], {"cats.txt": TEXTS["cats.txt"]})
    run_tasks()
    doc = listing(client, kb["id"])[1]["cats.txt"]
    (chunk,) = client.get(f"/api/knowledge-bases/{kb['id']}/documents/{doc['id']}/chunks").json()[
        "chunks"
    ]
    assert chunk["text"] == TEXTS["cats.txt"]
    url = f"/api/knowledge-bases/{kb['id']}/chunks/{chunk['id']}"
    edit = client.patch(url, {"text": "Cats nap."}, content_type="application/json")
    assert edit.status_code == 409
    off = client.patch(url, {"enabled": False}, content_type="application/json")
    assert (off.status_code, off.json()["enabled"]) == (200, False)


def test_ragflow_file_over_ragflows_limit_is_refused_at_upload_naming_it(
    owner: Any, client_for: Any, ragflow: RagflowServer
) -> None:
    client = client_for(owner)
    kb = create_kb(client, backend="ragflow")
    assert kb["limits"]["file_bytes"] == 10 * 1024 * 1024  # RAGFlow's, under Weft's 15 MiB
    response = upload(client, kb["id"], {"big.txt": b"x" * (10 * 1024 * 1024 + 1)})
    assert response.status_code == 422
    assert response.json()["errors"][0]["file"] == "big.txt"
    assert "over the limit of 10.0 MiB" in response.json()["message"]
    assert not Document.objects.exists()


def test_ragflow_kb_links_a_dataset_it_is_given_and_leaves_its_other_documents(
    owner: Any, client_for: Any, ragflow: RagflowServer
) -> None:
    client = client_for(owner)
    sdk = RAGFlow(api_key=ragflow.api_key, base_url=ragflow.base_url)
    dataset = sdk.create_dataset(name="team docs")
    (theirs,) = dataset.upload_documents([{"display_name": "theirs.txt", "blob": b"Rocket fuel."}])
    dataset.async_parse_documents([theirs.id])
    kb = create_kb(client, backend="ragflow", ragflow_dataset_id=f" {dataset.id} ")
    assert kb["ragflow_dataset_id"] == dataset.id
    assert len(ragflow.api.datasets) == 1  # no new dataset
    upload(client, kb["id"], {"rockets.txt": TEXTS["rockets.txt"]})
    run_tasks()
    linked = RagflowBackend(dataset.id, base_url=ragflow.base_url, api_key=ragflow.api_key)
    assert wait_parsed(linked, [theirs.id])[0].state is ParseState.DONE  # searchable in RAGFlow
    found = client.post(
        f"/api/knowledge-bases/{kb['id']}/search",
        {"query": "rocket fuel"},
        content_type="application/json",
    ).json()
    assert {h["document_name"] for h in found["hybrid"]} == {"rockets.txt"}  # only Weft's
    assert client.delete(f"/api/knowledge-bases/{kb['id']}").status_code == 204
    assert [d.name for d in ragflow.api.documents.values()] == ["theirs.txt"]
    assert list(ragflow.api.datasets) == [dataset.id]


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ({"backend": "ragflow", "ragflow_dataset_id": "nope"}, "RAGFlow has no dataset 'nope'"),
        ({"ragflow_dataset_id": "abc"}, "only a RAGFlow knowledge base links"),
    ],
)
def test_ragflow_dataset_id_that_cannot_be_linked_is_refused_naming_the_field(
    owner: Any, client_for: Any, ragflow: RagflowServer, body: dict[str, Any], words: str
) -> None:
    response = client_for(owner).post(
        "/api/knowledge-bases", {"name": "x", **body}, content_type="application/json"
    )
    assert (response.status_code, response.json()["field"]) == (422, "ragflow_dataset_id")
    assert words in response.json()["message"]
    assert not KnowledgeBase.objects.exists()
    assert ragflow.api.datasets == {}


def test_ragflow_resumed_document_is_followed_without_sending_it_again(
    owner: Any, client_for: Any, ragflow: RagflowServer
) -> None:
    client = client_for(owner)
    kb_json = create_kb(client, backend="ragflow")
    upload(client, kb_json["id"], {"cats.txt": TEXTS["cats.txt"]})
    kb = KnowledgeBase.objects.get(pk=kb_json["id"])
    (document,) = Document.objects.filter(knowledge_base=kb)
    with stores.open_backend(kb) as backend:  # what a worker that died mid-parse had sent
        server = cast(ServerParsing, backend)
        server.upload(core_document(document), document.upload_path)
    before = sent(ragflow, "POST", "/documents")
    run_tasks()
    assert sent(ragflow, "POST", "/documents") == before == 1
    assert listing(client, kb_json["id"])[1]["cats.txt"]["stage"] == "indexed"


def test_ragflow_unreachable_is_a_503_in_words_and_fails_what_waits(
    owner: Any, client_for: Any, ragflow: RagflowServer, settings: Any
) -> None:
    client = client_for(owner)
    kb = create_kb(client, backend="ragflow")
    upload(client, kb["id"], {"cats.txt": TEXTS["cats.txt"]})
    stores.forget(kb["id"])
    use_ragflow(settings, dead_url(), ragflow.api_key)
    run_tasks()
    failed = listing(client, kb["id"])[1]["cats.txt"]
    assert failed["stage"] == "failed"
    assert failed["error"].startswith("cats.txt: RAGFlow cannot be reached")
    chunks = client.get(f"/api/knowledge-bases/{kb['id']}/documents/{failed['id']}/chunks")
    assert chunks.status_code == 503
    assert chunks.json()["message"].startswith("RAGFlow cannot be reached")
    made = client.post(
        "/api/knowledge-bases",
        {"name": "New", "backend": "ragflow"},
        content_type="application/json",
    )
    assert (made.status_code, made.json()["code"]) == (503, "backend_unavailable")


def test_ragflow_wrong_key_is_a_503_and_a_refusal_a_502(
    owner: Any, client_for: Any, ragflow: RagflowServer, settings: Any
) -> None:
    use_ragflow(settings, ragflow.base_url, "wrong")
    refused = client_for(owner).post(
        "/api/knowledge-bases", {"name": "k", "backend": "ragflow"}, content_type="application/json"
    )
    assert refused.status_code == 503
    assert "RAGFlow refused the request" in refused.json()["message"]
    said = api_error(BackendRequestError("RAGFlow could not search: index is read-only"))
    assert (said.status, said.code) == (502, "backend_error")


@pytest.mark.external
def test_ragflow_real_server_kb_end_to_end(
    owner: Any, client_for: Any, settings: Any, kb_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url, key = os.environ.get("RAGFLOW_BASE_URL"), os.environ.get("RAGFLOW_API_KEY")
    if not (url and key):
        pytest.skip("set RAGFLOW_BASE_URL and RAGFLOW_API_KEY to run against a real RAGFlow")
    use_ragflow(settings, url, key)
    client = client_for(owner)
    kb = create_kb(client, name="Weft external test", backend="ragflow")
    try:
        upload(client, kb["id"], dict(TEXTS))
        run_tasks()
        _, docs = listing(client, kb["id"])
        assert {d["stage"] for d in docs.values()} == {"indexed"}, docs
        found = client.post(
            f"/api/knowledge-bases/{kb['id']}/search",
            {"query": "rocket propellant exhaust"},
            content_type="application/json",
        ).json()
        assert found["hybrid"][0]["document_name"] == "rockets.txt"
        doc = docs["rockets.txt"]["id"]
        assert client.delete(f"/api/knowledge-bases/{kb['id']}/documents/{doc}").status_code == 204
    finally:
        assert client.delete(f"/api/knowledge-bases/{kb['id']}").status_code == 204
