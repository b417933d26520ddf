"""Documents of a knowledge base: upload, ingestion stages and counts, refusals naming the file,
failures that say why and retry, unchanged re-uploads, chunks, flags, metadata, delete."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from rag.models import Document
from tests.rag.files import docx_bytes, pdf_bytes
from tests.rag.kb import TEXTS, committed, create_kb, indexed_kb, listing, run_tasks, upload

pytestmark = pytest.mark.django_db


def _queued_tasks() -> int:
    from django_tasks_db.models import DBTaskResult

    return DBTaskResult.objects.filter(queue_name="rag").count()


def test_documents_upload_queues_then_the_worker_indexes_with_counts(
    owner: Any, client_for: Any, kb_dir: Path
) -> None:
    client = client_for(owner)
    kb = create_kb(client)
    response = upload(client, kb["id"], dict(TEXTS))
    assert response.status_code == 201, response.content
    assert [(d["name"], d["stage"], d["unchanged"]) for d in response.json()] == [
        (name, "queued", False) for name in TEXTS
    ]
    assert _queued_tasks() == 1
    uploads = list((kb_dir / "knowledge" / kb["id"] / "uploads").iterdir())
    assert len(uploads) == 3  # kept under var/ until indexed
    assert run_tasks() == 1
    _, docs = listing(client, kb["id"])
    for name in TEXTS:
        doc = docs[name]
        assert (doc["stage"], doc["error"]) == ("indexed", ""), doc
        assert doc["chunk_count"] >= 1
        assert doc["progress"] == {"done": doc["chunk_count"], "total": doc["chunk_count"]}
        assert len(doc["content_hash"]) == 64
    assert not any((kb_dir / "knowledge" / kb["id"] / "uploads").iterdir())
    counted = client.get(f"/api/knowledge-bases/{kb['id']}").json()
    assert counted["document_count"] == 3
    assert counted["chunk_count"] == sum(d["chunk_count"] for d in docs.values())


def test_documents_unchanged_reupload_does_no_work_and_a_changed_one_replaces(
    owner: Any, client_for: Any, kb_dir: Path
) -> None:
    client = client_for(owner)
    kb = indexed_kb(client)
    before = _queued_tasks()
    again = upload(client, kb["id"], {"cats.txt": TEXTS["cats.txt"]}).json()
    assert (again[0]["unchanged"], again[0]["stage"]) == (True, "indexed")
    assert _queued_tasks() == before  # no task: nothing to do
    changed = upload(client, kb["id"], {"cats.txt": "Cats chase mice at night."}).json()
    assert (changed[0]["unchanged"], changed[0]["stage"], changed[0]["id"]) == (
        False,
        "queued",
        again[0]["id"],
    )
    run_tasks()
    _, docs = listing(client, kb["id"])
    chunks = client.get(f"/api/knowledge-bases/{kb['id']}/documents/{again[0]['id']}/chunks")
    assert [c["text"] for c in chunks.json()["chunks"]] == ["Cats chase mice at night."]
    assert docs["cats.txt"]["stage"] == "indexed"


def test_documents_upload_refuses_bad_files_naming_each_and_stores_nothing(
    owner: Any, client_for: Any, kb_dir: Path, settings: Any
) -> None:
    settings.WEFT_MAX_DOCUMENT_BYTES = 1000
    client = client_for(owner)
    kb = create_kb(client)
    response = upload(
        client,
        kb["id"],
        {"ok.txt": "fine", "empty.txt": b"", "big.txt": "x" * 2000, "tool.exe": b"MZ"},
    )
    assert response.status_code == 422
    body = response.json()
    assert (body["code"], body["field"]) == ("bad_document", "files")
    assert [(e["file"], e["code"]) for e in body["errors"]] == [
        ("empty.txt", "empty_file"),
        ("big.txt", "file_too_large"),
        ("tool.exe", "unsupported_file_type"),
    ]
    assert "empty.txt: the file is empty" in body["message"]
    assert "big.txt: the file is 0.0 MiB, over the limit" in body["message"]
    assert not Document.objects.exists()
    assert not (kb_dir / "knowledge" / kb["id"] / "uploads").exists() or not any(
        (kb_dir / "knowledge" / kb["id"] / "uploads").iterdir()
    )
    assert _queued_tasks() == 0


def test_documents_upload_without_files_names_the_field(
    owner: Any, client_for: Any, kb_dir: Path
) -> None:
    client = client_for(owner)
    kb = create_kb(client)
    response = client.post(f"/api/knowledge-bases/{kb['id']}/documents", {})
    assert (response.status_code, response.json()["field"]) == (422, "files")
    assert response.json()["message"] == "files: fill this in"


@pytest.mark.parametrize(
    ("name", "make", "code", "words"),
    [
        ("broken.pdf", lambda: b"%PDF-1.4 this is not really a pdf", "corrupt_file", "damaged"),
        ("locked.pdf", lambda: pdf_bytes(["secret"], password="pw"), "encrypted_file", "password"),
        ("latin.txt", lambda: "café crème".encode("latin-1"), "wrong_encoding", "not UTF-8"),
        ("bomb.docx", lambda: docx_bytes(["hi"], padding=300 << 20), "zip_bomb", "unpacks to"),
    ],
)
def test_documents_a_bad_file_fails_saying_why_and_stores_nothing(
    owner: Any,
    client_for: Any,
    kb_dir: Path,
    name: str,
    make: Callable[[], bytes],
    code: str,
    words: str,
) -> None:
    client = client_for(owner)
    kb = create_kb(client)
    assert upload(client, kb["id"], {name: make(), "good.txt": "Good text."}).status_code == 201
    run_tasks()
    _, docs = listing(client, kb["id"])
    bad = docs[name]
    assert bad["stage"] == "failed"
    assert bad["error"].startswith(f"{name}: ")
    assert words in bad["error"]
    assert Document.objects.get(pk=bad["id"]).error_code == code
    assert docs["good.txt"]["stage"] == "indexed"  # a bad file fails alone
    chunks = client.get(f"/api/knowledge-bases/{kb['id']}/documents/{bad['id']}/chunks").json()
    assert chunks == {"total": 0, "chunks": []}
    hits = client.post(
        f"/api/knowledge-bases/{kb['id']}/search",
        {"query": "secret café text hi"},
        content_type="application/json",
    ).json()
    assert {h["document_name"] for h in hits["hybrid"]} == {"good.txt"}


def test_documents_a_failed_one_is_retried_and_only_a_failed_one(
    owner: Any, client_for: Any, kb_dir: Path
) -> None:
    client = client_for(owner)
    kb = create_kb(client)
    upload(client, kb["id"], {"latin.txt": "café".encode("latin-1"), "good.txt": "Good."})
    run_tasks()
    _, docs = listing(client, kb["id"])
    base = f"/api/knowledge-bases/{kb['id']}/documents"
    refused = client.post(f"{base}/{docs['good.txt']['id']}/retry")
    assert refused.status_code == 409
    retried = committed(client.post, f"{base}/{docs['latin.txt']['id']}/retry")
    assert (retried.status_code, retried.json()["stage"], retried.json()["error"]) == (
        200,
        "queued",
        "",
    )
    assert run_tasks() == 1
    assert listing(client, kb["id"])[1]["latin.txt"]["stage"] == "failed"  # still latin-1


def test_documents_chunks_page_edit_and_disable(owner: Any, client_for: Any, kb_dir: Path) -> None:
    client = client_for(owner)
    text = "\n\n".join(f"Paragraph {i} is about topic number {i}." * 8 for i in range(6))
    kb = indexed_kb(client, {"long.txt": text}, chunking={"size": 64, "overlap": 0})
    _, docs = listing(client, kb["id"])
    doc = docs["long.txt"]
    url = f"/api/knowledge-bases/{kb['id']}/documents/{doc['id']}/chunks"
    everything = client.get(url, {"limit": 200}).json()
    assert everything["total"] == doc["chunk_count"] > 3
    page = client.get(url, {"offset": 2, "limit": 2}).json()
    assert [c["index"] for c in page["chunks"]] == [2, 3]
    assert page["chunks"][0] == {**everything["chunks"][2]}
    assert client.get(url, {"limit": 0}).json()["field"] == "limit"
    chunk = everything["chunks"][0]
    patch = f"/api/knowledge-bases/{kb['id']}/chunks/{chunk['id']}"
    edited = client.patch(
        patch, {"text": "Zebras graze on the savanna."}, content_type="application/json"
    )
    assert edited.json() == {**chunk, "text": "Zebras graze on the savanna.", "edited": True}
    found = client.post(
        f"/api/knowledge-bases/{kb['id']}/search",
        {"query": "zebras savanna"},
        content_type="application/json",
    ).json()
    assert found["full_text"][0]["chunk_id"] == chunk["id"]
    disabled = client.patch(patch, {"enabled": False}, content_type="application/json").json()
    assert (disabled["enabled"], disabled["edited"]) == (False, True)
    found = client.post(
        f"/api/knowledge-bases/{kb['id']}/search",
        {"query": "zebras savanna"},
        content_type="application/json",
    ).json()
    assert chunk["id"] not in [h["chunk_id"] for h in found["full_text"]]
    missing = client.patch(
        f"/api/knowledge-bases/{kb['id']}/chunks/nope",
        {"enabled": True},
        content_type="application/json",
    )
    assert missing.status_code == 404


def test_documents_disable_metadata_and_delete(owner: Any, client_for: Any, kb_dir: Path) -> None:
    client = client_for(owner)
    kb = indexed_kb(client)
    _, docs = listing(client, kb["id"])
    base = f"/api/knowledge-bases/{kb['id']}"

    def search(query: str) -> dict[str, Any]:
        response = client.post(f"{base}/search", {"query": query}, content_type="application/json")
        return dict(response.json())

    cats = docs["cats.txt"]["id"]
    off = client.patch(
        f"{base}/documents/{cats}", {"enabled": False}, content_type="application/json"
    )
    assert off.json()["enabled"] is False
    assert "cats.txt" not in {h["document_name"] for h in search("cat purrs")["hybrid"]}
    client.patch(f"{base}/documents/{cats}", {"enabled": True}, content_type="application/json")
    tagged = client.patch(
        f"{base}/documents/{cats}",
        {"metadata": {"kind": "animal", "year": 2021}},
        content_type="application/json",
    ).json()
    assert tagged["metadata"] == {"kind": "animal", "year": 2021}
    hit = next(h for h in search("cat purrs")["hybrid"] if h["document_name"] == "cats.txt")
    assert hit["metadata"] == {"kind": "animal", "year": 2021}
    bad = client.patch(
        f"{base}/documents/{cats}", {"metadata": {"": "x"}}, content_type="application/json"
    )
    assert (bad.status_code, bad.json()["field"]) == (422, "metadata")
    assert client.delete(f"{base}/documents/{cats}").status_code == 204
    assert "cats.txt" not in {h["document_name"] for h in search("cat purrs")["hybrid"]}
    assert client.get(f"{base}/documents/{cats}/chunks").status_code == 404
    assert client.delete(f"{base}/documents/{cats}").status_code == 404


def test_documents_being_indexed_cannot_be_deleted_or_replaced(
    owner: Any, client_for: Any, kb_dir: Path
) -> None:
    client = client_for(owner)
    kb = create_kb(client)
    doc = upload(client, kb["id"], {"a.txt": "Alpha."}).json()[0]
    Document.objects.filter(pk=doc["id"]).update(stage="embedding", worker="elsewhere:1")
    response = client.delete(f"/api/knowledge-bases/{kb['id']}/documents/{doc['id']}")
    assert (response.status_code, response.json()["code"]) == (409, "document_busy")
    replaced = upload(client, kb["id"], {"a.txt": "Beta."})
    assert (replaced.status_code, replaced.json()["code"]) == (409, "document_busy")


def test_documents_qa_mode_reads_question_answer_rows(
    owner: Any, client_for: Any, kb_dir: Path
) -> None:
    client = client_for(owner)
    kb = create_kb(client, chunking={"mode": "qa"})
    refused = upload(client, kb["id"], {"faq.txt": "q"})
    assert refused.json()["errors"][0]["message"] == "faq.txt: Q&A chunking reads csv files only"
    csv = "question,answer\nHow do I reset my password?,Use the link on the sign-in page.\n"
    upload(client, kb["id"], {"faq.csv": csv})
    run_tasks()
    hits = client.post(
        f"/api/knowledge-bases/{kb['id']}/search",
        {"query": "forgot my password"},
        content_type="application/json",
    ).json()["hybrid"]
    assert hits[0]["text"] == (
        "Question: How do I reset my password?\nAnswer: Use the link on the sign-in page."
    )


def test_documents_only_indexed_ones_are_searched(
    owner: Any, client_for: Any, kb_dir: Path
) -> None:
    client = client_for(owner)
    kb = indexed_kb(client)
    url = f"/api/knowledge-bases/{kb['id']}/search"

    def names() -> set[str]:
        found = client.post(url, {"query": "cat purrs"}, content_type="application/json")
        return {h["document_name"] for h in found.json()["hybrid"]}

    assert "cats.txt" in names()
    upload(client, kb["id"], {"cats.txt": "chats et crème".encode("latin-1")})
    assert "cats.txt" not in names()  # queued again: its old chunks are not searched
    run_tasks()
    assert listing(client, kb["id"])[1]["cats.txt"]["stage"] == "failed"
    assert "cats.txt" not in names()  # the new file failed: nothing of the old one either
