"""The test search (three methods side by side), the test set (BEIR files or marked hits) and
evaluations (run on the worker's task, with a sweep and the best setting)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test.client import BOUNDARY, MULTIPART_CONTENT, encode_multipart

from tests.rag.kb import committed, indexed_kb, listing, run_tasks

pytestmark = pytest.mark.django_db

FACTS = {
    "cats.txt": "Cats are small furry animals. A cat purrs when it is content.",
    "rockets.txt": "A rocket engine burns propellant and expels exhaust to produce thrust.",
    "bread.txt": "Sourdough bread rises with wild yeast and lactic acid bacteria.",
    "tides.txt": "Ocean tides follow the pull of the moon and the sun on the sea.",
}
QUERIES = [
    {"_id": "q1", "text": "which pet purrs"},
    {"_id": "q2", "text": "how does a rocket make thrust"},
    {"_id": "q3", "text": "baking with wild yeast"},
]
QRELS = "query-id\tcorpus-id\tscore\nq1\tcats\t1\nq2\trockets\t1\nq3\tbread\t2\nq3\tnowhere\t1\n"


def _search(client: Any, kb_id: str, **body: Any) -> Any:
    return client.post(
        f"/api/knowledge-bases/{kb_id}/search", body, content_type="application/json"
    )


def _put_testset(client: Any, kb_id: str, queries: str, qrels: str) -> Any:
    files = {
        "queries": SimpleUploadedFile("queries.jsonl", queries.encode()),
        "qrels": SimpleUploadedFile("qrels.tsv", qrels.encode()),
    }
    return client.put(
        f"/api/knowledge-bases/{kb_id}/testset",
        encode_multipart(BOUNDARY, files),
        content_type=MULTIPART_CONTENT,
    )


def _jsonl(rows: list[dict[str, Any]]) -> str:
    return "".join(json.dumps(r) + "\n" for r in rows)


def test_search_returns_each_method_with_every_score(
    owner: Any, client_for: Any, kb_dir: Path
) -> None:
    client = client_for(owner)
    kb = indexed_kb(client, dict(FACTS))
    found = _search(client, kb["id"], query="rocket engine thrust", top_k=2).json()
    assert set(found) == {"vector", "full_text", "hybrid"}
    for mode, hits in found.items():
        assert 1 <= len(hits) <= 2, mode  # full text finds only the texts with a query term
        assert hits[0]["document_name"] == "rockets.txt", mode
        assert all(0 <= h["scores"]["fused"] <= 1 for h in hits)
    top = found["hybrid"][0]["scores"]
    assert top["vector"] is not None
    assert top["full_text"] is not None
    assert found["vector"][0]["scores"]["full_text"] is None
    assert found["full_text"][0]["scores"]["fused"] == 1.0  # the best of its list
    assert found["vector"][0]["scores"]["fused"] == pytest.approx(
        found["vector"][0]["scores"]["vector"], abs=1e-5
    )
    assert found["hybrid"][0]["text"] == FACTS["rockets.txt"]


def test_search_metadata_filter_and_its_missing_key(
    owner: Any, client_for: Any, kb_dir: Path
) -> None:
    client = client_for(owner)
    kb = indexed_kb(client, dict(FACTS))
    _, docs = listing(client, kb["id"])
    for name, year in (("cats.txt", 2021), ("bread.txt", 2023)):
        client.patch(
            f"/api/knowledge-bases/{kb['id']}/documents/{docs[name]['id']}",
            {"metadata": {"year": year}},
            content_type="application/json",
        )
    recent = _search(
        client,
        kb["id"],
        query="animals and food",
        top_k=4,
        metadata_filter=[{"key": "year", "op": "gte", "value": "2022"}],
    ).json()
    assert {h["document_name"] for h in recent["hybrid"]} == {"bread.txt"}
    missing = _search(
        client, kb["id"], query="x", metadata_filter=[{"key": "author", "value": "me"}]
    )
    assert missing.status_code == 422
    error = missing.json()
    assert error["field"] == "metadata_filter[0].key"
    assert "'author'" in error["message"]
    assert "keys: year" in error["message"]


def test_search_refuses_a_query_longer_than_the_model_reads(
    owner: Any, client_for: Any, kb_dir: Path
) -> None:
    client = client_for(owner)
    kb = indexed_kb(client, dict(FACTS))
    response = _search(client, kb["id"], query="rocket " * 400)
    assert (response.status_code, response.json()["field"]) == (422, "query")
    assert "the embedding model reads at most 256" in response.json()["message"]
    empty = _search(client, kb["id"], query="")
    assert (empty.status_code, empty.json()["message"]) == (422, "query: fill this in")


def test_testset_upload_matches_documents_by_name_and_lists_the_rest(
    owner: Any, client_for: Any, kb_dir: Path
) -> None:
    client = client_for(owner)
    kb = indexed_kb(client, dict(FACTS))
    response = _put_testset(client, kb["id"], _jsonl(QUERIES), QRELS)
    assert response.status_code == 200, response.content
    assert response.json() == {"queries": 3, "judgments": 3, "unmatched": ["nowhere"]}
    _, docs = listing(client, kb["id"])
    testset = client.get(f"/api/knowledge-bases/{kb['id']}/testset").json()
    assert testset["queries"][0] == {
        "id": "q1",
        "text": "which pet purrs",
        "relevant": [docs["cats.txt"]["id"]],
    }
    again = _put_testset(client, kb["id"], _jsonl(QUERIES[:1]), "h\nq1\tcats\t1\n").json()
    assert again == {"queries": 1, "judgments": 1, "unmatched": []}  # replaced, not added


@pytest.mark.parametrize(
    ("queries", "qrels", "field", "words"),
    [
        ("not json\n", QRELS, "queries", "queries.jsonl: line 1 is not JSON"),
        ('{"_id": "q1"}\n', QRELS, "queries", 'line 1 needs "_id" and "text"'),
        (_jsonl(QUERIES), "h\nq1\tcats\n", "qrels", "qrels.tsv: line 2 needs three columns"),
        (_jsonl(QUERIES), "h\nq1\tcats\tmany\n", "qrels", "the score 'many' is not a number"),
        (_jsonl(QUERIES), "h\nq9\tcats\t1\n", "qrels", "the query 'q9' is not in queries.jsonl"),
        (_jsonl(QUERIES), "header only\n", "qrels", "no judgment after the header line"),
    ],
)
def test_testset_upload_refuses_bad_files_naming_file_and_line(
    owner: Any, client_for: Any, kb_dir: Path, queries: str, qrels: str, field: str, words: str
) -> None:
    client = client_for(owner)
    kb = indexed_kb(client, dict(FACTS))
    response = _put_testset(client, kb["id"], queries, qrels)
    assert response.status_code == 422
    assert response.json()["field"] == field
    assert words in response.json()["message"]


def test_testset_marking_hits_builds_and_unbuilds_queries(
    owner: Any, client_for: Any, kb_dir: Path
) -> None:
    client = client_for(owner)
    kb = indexed_kb(client, dict(FACTS))
    _, docs = listing(client, kb["id"])
    url = f"/api/knowledge-bases/{kb['id']}/testset/judgments"
    body = {"query": "moon and sea", "document_id": docs["tides.txt"]["id"], "relevant": True}
    marked = client.post(url, body, content_type="application/json").json()
    assert marked == {
        "queries": [{"id": "q1", "text": "moon and sea", "relevant": [docs["tides.txt"]["id"]]}]
    }
    unmarked = client.post(url, {**body, "relevant": False}, content_type="application/json")
    assert unmarked.json() == {"queries": []}
    other = client.post(
        url,
        {**body, "document_id": "00000000-0000-0000-0000-000000000000"},
        content_type="application/json",
    )
    assert (other.status_code, other.json()["field"]) == (404, "document_id")


def test_evaluation_runs_on_the_worker_with_results_sweep_and_best(
    owner: Any, client_for: Any, kb_dir: Path
) -> None:
    client = client_for(owner)
    kb = indexed_kb(client, dict(FACTS))
    base = f"/api/knowledge-bases/{kb['id']}"
    assert client.get(f"{base}/evaluations/latest").status_code == 404
    refused = client.post(f"{base}/evaluations")
    assert (refused.status_code, refused.json()["code"]) == (422, "empty_testset")
    _put_testset(client, kb["id"], _jsonl(QUERIES), QRELS)
    started = committed(client.post, f"{base}/evaluations")
    assert started.status_code == 201, started.content
    assert started.json()["status"] == "queued"
    assert client.post(f"{base}/evaluations").status_code == 409  # one at a time
    assert run_tasks() == 1
    latest = client.get(f"{base}/evaluations/latest").json()
    assert latest["status"] == "succeeded", latest
    assert latest["settings"] == {"weight": 0.5, "top_k": 4}
    assert latest["progress"]["done"] == latest["progress"]["total"] == 3 * (2 + 11)
    for mode in ("vector", "full_text", "hybrid"):
        score = latest["results"][mode]
        assert score["k"] == 4
        assert score["recall_at_k"] == 1.0  # four documents: everything is in the top 4
        assert 0.5 <= score["ndcg_at_10"] <= 1.0
    assert len(latest["sweep"]) == 11 * 4
    assert {(p["weight"], p["top_k"]) for p in latest["sweep"]} >= {(0.0, 3), (1.0, 20)}
    best = latest["best"]
    top = max(p["ndcg_at_10"] for p in latest["sweep"])
    assert best["ndcg_at_10"] > top - 0.005
    applied = client.patch(
        base,
        {"retrieval": {"weight": best["weight"], "top_k": best["top_k"]}},
        content_type="application/json",
    ).json()
    assert (applied["retrieval"]["weight"], applied["retrieval"]["top_k"]) == (
        best["weight"],
        best["top_k"],
    )
