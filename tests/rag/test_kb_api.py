"""/api/knowledge-bases: create, list, change and delete knowledge bases; who may do what."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from kernel.models import AuditLog
from rag.models import KnowledgeBase
from tests.rag.kb import create_kb, indexed_kb

pytestmark = pytest.mark.django_db
MISSING = {"code": "not_found", "message": "knowledge base not found", "status": 404}


def test_kb_create_has_the_cores_defaults_and_the_backends_capabilities(
    owner: Any, client_for: Any, kb_dir: Path
) -> None:
    client = client_for(owner)
    kb = create_kb(client, description="The team handbook")
    assert kb["backend"] == "embedded"
    assert kb["chunking"] == {
        "mode": "general",
        "size": 256,
        "overlap": 32,
        "separators": ["\n\n"],
        "parent_size": 1024,
    }
    assert kb["retrieval"] == {"mode": "hybrid", "weight": 0.5, "top_k": 4, "score_threshold": None}
    assert (kb["document_count"], kb["chunk_count"]) == (0, 0)
    assert kb["capabilities"]["modes"] == ["full_text", "hybrid", "vector"]
    assert kb["capabilities"]["edit_chunks"] is True
    assert kb["limits"]["file_bytes"] == 15 * 1024 * 1024
    assert ".pdf" in kb["limits"]["suffixes"]
    listed = client.get("/api/knowledge-bases").json()
    assert [k["id"] for k in listed] == [kb["id"]]
    assert client.get(f"/api/knowledge-bases/{kb['id']}").json()["name"] == "Handbook"
    assert AuditLog.objects.filter(action="knowledge.create", target=kb["id"]).exists()


def test_kb_create_in_parent_child_mode_takes_that_modes_defaults(
    owner: Any, client_for: Any, kb_dir: Path
) -> None:
    kb = create_kb(client_for(owner), chunking={"mode": "parent_child", "parent_size": 512})
    assert kb["chunking"] == {
        "mode": "parent_child",
        "size": 128,
        "overlap": 16,
        "separators": ["\n\n"],
        "parent_size": 512,
    }


@pytest.mark.parametrize(
    ("body", "field", "words"),
    [
        ({"name": ""}, "name", "Name: fill this in"),
        ({"name": "x", "chunking": {"size": 9999}}, "chunking.size", "Size (chunking): use 4096"),
        ({"name": "x", "chunking": {"overlap": 200}}, "chunking.overlap", "half the chunk size"),
        (
            {"name": "x", "chunking": {"mode": "parent_child", "size": 512, "parent_size": 256}},
            "chunking.parent_size",
            "between the child size",
        ),
        ({"name": "x", "chunking": {"separators": []}}, "chunking.separators", "add at least one"),
        (
            {"name": "x", "retrieval": {"weight": 2}},
            "retrieval.weight",
            "Weight (retrieval): use 1",
        ),
        ({"name": "x", "backend": "faiss"}, "backend", "choose one of"),
        ({"name": "x", "backend": "milvus"}, "backend", "needs MILVUS_URI set on this server"),
    ],
)
def test_kb_create_refuses_bad_settings_naming_the_field_in_words(
    owner: Any, client_for: Any, kb_dir: Path, body: dict[str, Any], field: str, words: str
) -> None:
    response = client_for(owner).post("/api/knowledge-bases", body, content_type="application/json")
    assert response.status_code == 422, response.content
    error = response.json()
    assert error["field"] == field
    assert words in error["message"]
    assert "should" not in error["message"]  # pydantic's own words stay out
    assert not KnowledgeBase.objects.exists()


def test_kb_names_are_unique_in_a_workspace(owner: Any, client_for: Any, kb_dir: Path) -> None:
    client = client_for(owner)
    create_kb(client)
    response = client.post(
        "/api/knowledge-bases", {"name": "Handbook"}, content_type="application/json"
    )
    assert (response.status_code, response.json()["field"]) == (409, "name")


def test_kb_patch_merges_retrieval_and_applies_chunking_to_later_uploads(
    owner: Any, client_for: Any, kb_dir: Path
) -> None:
    client = client_for(owner)
    kb = create_kb(client)
    url = f"/api/knowledge-bases/{kb['id']}"
    patched = client.patch(
        url,
        {"retrieval": {"weight": 0.3, "top_k": 8}, "chunking": {"size": 128}},
        content_type="application/json",
    ).json()
    assert patched["retrieval"] == {
        "mode": "hybrid",
        "weight": 0.3,
        "top_k": 8,
        "score_threshold": None,
    }
    assert patched["chunking"]["size"] == 128
    cleared = client.patch(
        url, {"retrieval": {"score_threshold": 0.4}}, content_type="application/json"
    ).json()
    assert cleared["retrieval"]["score_threshold"] == 0.4
    assert cleared["retrieval"]["weight"] == 0.3
    response = client.patch(url, {"name": "  "}, content_type="application/json")
    assert (response.status_code, response.json()["field"]) == (422, "name")


def test_kb_delete_removes_its_documents_and_folder(
    owner: Any, client_for: Any, kb_dir: Path
) -> None:
    client = client_for(owner)
    kb = indexed_kb(client)
    folder = kb_dir / "knowledge" / kb["id"]
    assert (folder / "index.sqlite3").is_file()
    assert client.delete(f"/api/knowledge-bases/{kb['id']}").status_code == 204
    assert not folder.exists()
    assert client.get(f"/api/knowledge-bases/{kb['id']}").status_code == 404


def test_kb_members_read_editors_write_outsiders_get_404(
    owner: Any, make_member: Any, client_for: Any, kb_dir: Path
) -> None:
    kb = create_kb(client_for(owner))
    base = f"/api/knowledge-bases/{kb['id']}"
    viewer = client_for(make_member("viewer", owner.workspace))
    assert viewer.get(base).status_code == 200
    assert viewer.get(f"{base}/documents").status_code == 200
    assert viewer.get(f"{base}/testset").status_code == 200
    assert (
        viewer.post(
            "/api/knowledge-bases", {"name": "Mine"}, content_type="application/json"
        ).status_code
        == 403
    )
    assert viewer.patch(base, {"name": "New"}, content_type="application/json").status_code == 403
    assert viewer.delete(base).status_code == 403
    assert viewer.post(f"{base}/evaluations").status_code == 403
    outsider = client_for(make_member("owner"))
    assert outsider.get("/api/knowledge-bases").json() == []
    for method, path in [
        ("get", base),
        ("get", f"{base}/documents"),
        ("delete", base),
        ("get", f"{base}/testset"),
        ("get", f"{base}/evaluations/latest"),
        ("post", f"{base}/evaluations"),
    ]:
        response = getattr(outsider, method)(path)
        assert response.status_code == 404, (method, path)
        assert response.json() == MISSING, (method, path)  # as if it did not exist
    editor = client_for(make_member("editor", owner.workspace))
    assert (
        editor.patch(base, {"name": "Renamed"}, content_type="application/json").status_code == 200
    )


def test_kb_a_malformed_id_is_a_404(owner: Any, client_for: Any, kb_dir: Path) -> None:
    client = client_for(owner)
    assert client.get("/api/knowledge-bases/not-an-id").json() == MISSING
    missing = client.get("/api/knowledge-bases/00000000-0000-0000-0000-000000000000")
    assert (missing.status_code, missing.json()) == (404, MISSING)
