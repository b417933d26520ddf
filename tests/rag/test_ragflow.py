"""The RAGFlow backend through the real ragflow-sdk, against the protocol server (and a real
RAGFlow when RAGFLOW_BASE_URL and RAGFLOW_API_KEY are set: the `external` test)."""

from __future__ import annotations

import os
import socket
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from ragflow_sdk import RAGFlow

from rag import errors
from rag.backends._remote import BackendUnavailableError
from rag.backends.base import ParseProgress, ParseState, ServerParsing
from rag.backends.ragflow import RagflowBackend
from rag.embeddings import MiniLM
from rag.types import Chunk, Document, DocumentStatus, MetadataFilter, Mode, SearchRequest
from tests.rag.helpers import FACTS, PARSE_WAIT_SECONDS, add_texts, wait_parsed
from tests.rag.ragflow_server import RagflowServer


@pytest.fixture
def kb(ragflow_server: RagflowServer) -> Iterator[RagflowBackend]:
    """A RAGFlow backend on a new dataset of the protocol server."""
    backend = RagflowBackend.create(
        f"kb_{uuid.uuid4().hex}", base_url=ragflow_server.base_url, api_key=ragflow_server.api_key
    )
    yield backend
    ragflow_server.api.running.set()  # a test that held parsing lets it go


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def test_ragflow_upload_parses_through_running_to_done(
    kb: RagflowBackend, ragflow_server: RagflowServer, tmp_path: Path
) -> None:
    ragflow_server.api.running.clear()
    path = write(tmp_path, "comets.txt", "Comets have icy tails.\nThey orbit the sun.")
    uploaded = kb.upload(Document("comets", "comets.txt", {"kind": "space"}), path)
    assert (uploaded.id, uploaded.status) == ("comets", DocumentStatus.PENDING)
    (during,) = wait_until_running(kb, "comets")
    assert during.state is ParseState.RUNNING
    assert 0 < during.progress < 1
    assert kb.search(SearchRequest("comets icy tails")) == []  # not searched until parsed
    ragflow_server.api.running.set()
    (done,) = wait_parsed(kb, ["comets"])
    assert (done.state, done.progress, done.chunks) == (ParseState.DONE, 1.0, 1)
    document = kb.get_document("comets")
    assert (document.status, document.metadata) == (DocumentStatus.INDEXED, {"kind": "space"})
    assert document.content_hash
    assert [h.document.id for h in kb.search(SearchRequest("comets icy tails"))] == ["comets"]


def wait_until_running(kb: RagflowBackend, document_id: str) -> list[ParseProgress]:
    """Poll until the server has started parsing the document."""
    deadline = time.monotonic() + PARSE_WAIT_SECONDS
    while (progress := kb.parse_progress([document_id]))[0].progress == 0:
        if time.monotonic() > deadline:
            break
        time.sleep(0.01)
    return progress


def test_ragflow_unchanged_file_is_not_sent_again(
    kb: RagflowBackend, ragflow_server: RagflowServer, tmp_path: Path
) -> None:
    path = write(tmp_path, "comets.txt", "Comets have icy tails.")
    kb.upload(Document("comets", "comets.txt"), path)
    wait_parsed(kb, ["comets"])
    before = len(ragflow_server.requests)
    again = kb.upload(Document("comets", "comets.txt", {"kind": "space"}), path)
    sent = ragflow_server.requests[before:]
    assert ("POST", f"/api/v1/datasets/{kb.dataset_id}/documents") not in sent
    assert ("POST", f"/api/v1/datasets/{kb.dataset_id}/chunks") not in sent
    assert again.status is DocumentStatus.INDEXED
    assert kb.get_document("comets").metadata == {"kind": "space"}


def test_ragflow_changed_file_replaces_the_document(kb: RagflowBackend, tmp_path: Path) -> None:
    kb.upload(Document("notes", "notes.txt"), write(tmp_path, "a.txt", "Comets have icy tails."))
    wait_parsed(kb, ["notes"])
    kb.upload(Document("notes", "notes.txt"), write(tmp_path, "b.txt", "Owls hunt at night."))
    wait_parsed(kb, ["notes"])
    assert [d.id for d in kb.list_documents()] == ["notes"]
    assert [c.text for c in kb.list_chunks("notes")] == ["Owls hunt at night."]
    assert kb.search(SearchRequest("comets icy tails", mode=Mode.FULL_TEXT)) == []


def test_ragflow_file_it_cannot_parse_fails_with_its_message(
    kb: RagflowBackend, tmp_path: Path
) -> None:
    path = tmp_path / "scan.pdf"
    path.write_bytes(b"%PDF-1.4 not really")
    kb.upload(Document("scan", "scan.pdf"), path)
    (failed,) = wait_parsed(kb, ["scan"])
    assert (failed.state, failed.progress) == (ParseState.FAIL, 0.0)
    assert "scan.pdf" in failed.message
    assert kb.get_document("scan").status is DocumentStatus.PENDING


def test_ragflow_parsing_can_be_cancelled(
    kb: RagflowBackend, ragflow_server: RagflowServer, tmp_path: Path
) -> None:
    ragflow_server.api.running.clear()
    kb.upload(Document("comets", "comets.txt"), write(tmp_path, "c.txt", "Comets are icy."))
    wait_until_running(kb, "comets")
    kb.cancel_parsing(["comets"])
    ragflow_server.api.running.set()
    (cancelled,) = wait_parsed(kb, ["comets"])
    assert (cancelled.state, cancelled.chunks) == (ParseState.CANCEL, 0)


def test_ragflow_hits_keep_ragflows_three_scores(
    kb: RagflowBackend, ragflow_server: RagflowServer, embedder: MiniLM, tmp_path: Path
) -> None:
    add_texts(kb, embedder, tmp_path)
    sdk = RAGFlow(api_key=ragflow_server.api_key, base_url=ragflow_server.base_url)
    (raw, *_) = sdk.retrieve(
        [kb.dataset_id],
        question="rocket engine thrust",
        similarity_threshold=0.0,
        vector_similarity_weight=0.5,
    )
    best = kb.search(SearchRequest("rocket engine thrust", vector_weight=0.5))[0]
    assert best.chunk.id.endswith(f":{raw.id}")
    assert best.scores == {
        "hybrid": raw.similarity,
        "vector": raw.vector_similarity,
        "full_text": raw.term_similarity,
    }
    assert best.score == raw.similarity


def test_ragflow_documents_made_in_ragflow_show_under_their_own_id(
    kb: RagflowBackend, ragflow_server: RagflowServer
) -> None:
    sdk = RAGFlow(api_key=ragflow_server.api_key, base_url=ragflow_server.base_url)
    (dataset,) = sdk.list_datasets(id=kb.dataset_id)
    (remote,) = dataset.upload_documents([{"display_name": "made.txt", "blob": b"Owls hoot."}])
    dataset.async_parse_documents([remote.id])
    wait_parsed(kb, [remote.id])
    assert [d.id for d in kb.list_documents()] == [remote.id]
    assert kb.search(SearchRequest("owls hoot"))[0].document.name == "made.txt"


def test_ragflow_metadata_filter_matching_nothing_finds_nothing(
    kb: RagflowBackend, embedder: MiniLM, tmp_path: Path
) -> None:
    # RAGFlow's own metadata_condition searches everything when no document matches
    add_texts(kb, embedder, tmp_path)
    request = SearchRequest("rocket", filters=(MetadataFilter("kind", "music"),))
    assert kb.search(request) == []


def test_ragflow_chunk_edits_disable_and_delete(
    kb: RagflowBackend, embedder: MiniLM, tmp_path: Path
) -> None:
    add_texts(kb, embedder, tmp_path, {"cats": FACTS["cats"]})
    (chunk,) = kb.list_chunks("cats")
    assert kb.chunk_ids("cats") == {chunk.id}
    assert kb.update_chunk(chunk.id, enabled=False).enabled is False
    assert kb.update_chunk(chunk.id, enabled=True, text="Cats nap.").text == "Cats nap."
    kb.remove_chunks([chunk.id, "unknown:chunk", "malformed"])
    assert kb.list_chunks("cats") == []
    with pytest.raises(errors.NotFoundError):
        kb.update_chunk(chunk.id, enabled=False)


def test_ragflow_refuses_what_only_weft_chunking_does(kb: RagflowBackend) -> None:
    assert isinstance(kb, ServerParsing)
    with pytest.raises(errors.UnsupportedOperationError, match="upload"):
        kb.add_chunks([Chunk("c", "d", "text", 0)])
    with pytest.raises(errors.UnsupportedOperationError):
        kb.finish_document("d", "hash")
    with pytest.raises(errors.UnsupportedOperationError, match=r"notes\.txt"):
        kb.put_document(Document("notes", "notes.txt"))


def test_ragflow_empty_or_oversized_file_is_refused_before_sending(
    kb: RagflowBackend, ragflow_server: RagflowServer, tmp_path: Path
) -> None:
    before = len(ragflow_server.requests)
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    with pytest.raises(errors.EmptyFileError) as caught:
        kb.upload(Document("e", "empty.txt"), empty)
    assert caught.value.file == "empty.txt"
    big = tmp_path / "big.txt"
    with big.open("wb") as out:
        out.truncate(10 * 1024 * 1024 + 1)
    with pytest.raises(errors.FileTooLargeError, match=r"big\.txt"):
        kb.upload(Document("b", "big.txt"), big)
    assert ragflow_server.requests[before:] == []


def test_ragflow_wrong_key_unknown_dataset_and_no_server_say_so(
    kb: RagflowBackend, ragflow_server: RagflowServer
) -> None:
    url = ragflow_server.base_url
    with pytest.raises(BackendUnavailableError, match="API key is invalid"):
        RagflowBackend(kb.dataset_id, base_url=url, api_key="wrong")
    with pytest.raises(errors.NotFoundError, match="no dataset 'nope'"):
        RagflowBackend("nope", base_url=url, api_key=ragflow_server.api_key)
    with socket.socket() as free:
        free.bind(("127.0.0.1", 0))
        port = free.getsockname()[1]
    with pytest.raises(BackendUnavailableError, match="cannot be reached"):
        RagflowBackend("any", base_url=f"http://127.0.0.1:{port}", api_key="k")


@pytest.mark.external
def test_ragflow_real_server_uploads_parses_and_searches(tmp_path: Path) -> None:
    url, key = os.environ.get("RAGFLOW_BASE_URL"), os.environ.get("RAGFLOW_API_KEY")
    if not (url and key):
        pytest.skip("set RAGFLOW_BASE_URL and RAGFLOW_API_KEY to run against a real RAGFlow")
    kb = RagflowBackend.create(f"weft_test_{uuid.uuid4().hex[:12]}", base_url=url, api_key=key)
    try:
        path = write(tmp_path, "rockets.txt", FACTS["rockets"][1])
        kb.upload(Document("rockets", "rockets.txt", {"kind": "space"}), path)
        (done,) = wait_parsed(kb, ["rockets"])
        assert done.state is ParseState.DONE, done.message
        best = kb.search(SearchRequest("rocket propellant exhaust", mode=Mode.HYBRID))[0]
        assert best.document.id == "rockets"
        assert set(best.scores) == {"vector", "full_text", "hybrid"}
        kb.set_document_enabled("rockets", False)
        assert kb.search(SearchRequest("rocket propellant exhaust")) == []
    finally:
        RAGFlow(api_key=key, base_url=url).delete_datasets(ids=[kb.dataset_id])


def test_ragflow_server_answers_as_ragflow_does(ragflow_server: RagflowServer) -> None:
    import requests

    api = f"{ragflow_server.base_url}/api/v1"
    bearer = {"Authorization": f"Bearer {ragflow_server.api_key}"}
    assert requests.get(f"{api}/datasets", timeout=5).json() == {
        "code": 0,
        "data": False,
        "message": "`Authorization` can't be empty",
    }
    wrong = requests.get(f"{api}/datasets", headers={"Authorization": "Bearer no"}, timeout=5)
    assert (wrong.status_code, wrong.json()["code"]) == (200, 109)
    made = requests.post(f"{api}/datasets", json={"name": "raw"}, headers=bearer, timeout=5)
    dataset = made.json()["data"]["id"]
    again = requests.post(f"{api}/datasets", json={"name": "RAW"}, headers=bearer, timeout=5)
    assert again.json() == {"code": 102, "message": "Dataset name 'RAW' already exists"}
    files = [("file", ("a.txt", b"alpha")), ("file", ("b.txt", b"beta"))]
    uploaded = requests.post(
        f"{api}/datasets/{dataset}/documents", files=files, headers=bearer, timeout=5
    )
    assert [(d["name"], d["run"]) for d in uploaded.json()["data"]] == [
        ("a.txt", "UNSTART"),
        ("b.txt", "UNSTART"),
    ]
    parse = requests.post(f"{api}/datasets/{dataset}/chunks", json={}, headers=bearer, timeout=5)
    assert parse.json() == {"code": 102, "message": "`document_ids` is required"}
    missing = requests.get(f"{api}/nowhere", headers=bearer, timeout=5)
    assert missing.status_code == 404
    requests.delete(f"{api}/datasets", json={"ids": [dataset]}, headers=bearer, timeout=5)


def test_ragflow_two_documents_of_one_file_name_are_both_kept(
    kb: RagflowBackend, tmp_path: Path
) -> None:
    kb.upload(Document("a", "notes.txt"), write(tmp_path, "a.txt", "Comets are icy."))
    kb.upload(Document("b", "notes.txt"), write(tmp_path, "b.txt", "Owls hunt at night."))
    wait_parsed(kb, ["a", "b"])
    assert [(d.id, d.name) for d in kb.list_documents()] == [
        ("a", "notes.txt"),
        ("b", "notes(1).txt"),  # RAGFlow's name for the second
    ]
    kb.put_document(Document("b", "owls.txt", {"kind": "birds"}))
    assert kb.get_document("b").name == "owls.txt"
