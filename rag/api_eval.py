"""/api/knowledge-bases/{kb_id}/: the test search, the test set and evaluations."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import File, Router, Status, UploadedFile

from kernel.access import get_user
from kernel.errors import ApiError, not_found
from kernel.models import Role
from rag.evaluations import (
    do_judge,
    do_replace_testset,
    do_requeue_orphan_evaluations,
    do_start_evaluation,
    evaluation_out,
    testset_out,
)
from rag.http import get_kb, rag_errors
from rag.schemas import (
    EvaluationOut,
    JudgmentIn,
    SearchIn,
    SearchOut,
    TestSetOut,
    TestSetUploadOut,
)
from rag.search import ScoredHit, check_filter_keys, search_kb
from rag.stores import capabilities
from rag.types import Mode

router = Router(tags=["knowledge"])


def _hit_out(hit: ScoredHit) -> dict[str, Any]:
    return {
        "chunk_id": hit.chunk_id,
        "text": hit.text,
        "document_id": hit.document_id,
        "document_name": hit.document_name,
        "metadata": hit.metadata,
        "scores": {"vector": hit.vector, "full_text": hit.full_text, "fused": hit.fused},
    }


@router.post("/knowledge-bases/{kb_id}/search", response=SearchOut)
def search(request: HttpRequest, kb_id: str, body: SearchIn) -> dict[str, Any]:
    """Vector, full-text and hybrid search side by side, each hit with every score (a mode
    the backend cannot search is an empty list)."""
    kb = get_kb(request, kb_id)
    top_k = body.top_k or int(kb.retrieval["top_k"])
    modes = capabilities(kb.backend).modes
    found: dict[str, list[dict[str, Any]]] = {}
    with rag_errors():
        check_filter_keys([kb], body.metadata_filter)
        for mode in (Mode.VECTOR, Mode.FULL_TEXT, Mode.HYBRID):
            hits = (
                search_kb(kb, body.query, mode, top_k, body.weight, body.metadata_filter)
                if mode in modes
                else []
            )
            found[mode.value] = [_hit_out(h) for h in hits]
    return found


def _read(upload: UploadedFile) -> bytes:
    data: bytes = upload.read()  # kernel/bodies.py holds the request under the upload limit
    return data


@router.put("/knowledge-bases/{kb_id}/testset", response=TestSetUploadOut)
def put_testset(
    request: HttpRequest, kb_id: str, queries: File[UploadedFile], qrels: File[UploadedFile]
) -> dict[str, Any]:
    """Replace the test set with BEIR's queries.jsonl and qrels.tsv (a corpus id is a
    document's name without its extension, or its id)."""
    kb = get_kb(request, kb_id, Role.EDITOR)
    return do_replace_testset(kb, _read(queries), _read(qrels))


@router.post("/knowledge-bases/{kb_id}/testset/judgments", response=TestSetOut)
def judge(request: HttpRequest, kb_id: str, body: JudgmentIn) -> dict[str, Any]:
    """Mark a document relevant (or no longer) to a query; the test set after it."""
    kb = get_kb(request, kb_id, Role.EDITOR)
    if not body.query.strip():
        raise ApiError("invalid_param", 422, "query: fill this in", field="query")
    do_judge(kb, body.query, body.document_id, body.relevant)
    return testset_out(kb)


@router.get("/knowledge-bases/{kb_id}/testset", response=TestSetOut)
def get_testset(request: HttpRequest, kb_id: str) -> dict[str, Any]:
    """The test set: each query with the documents that should come back."""
    return testset_out(get_kb(request, kb_id))


@router.post("/knowledge-bases/{kb_id}/evaluations", response={201: EvaluationOut})
def start_evaluation(request: HttpRequest, kb_id: str) -> Status[dict[str, Any]]:
    """Measure the test set at the current settings, with a sweep (runs on the worker)."""
    kb = get_kb(request, kb_id, Role.EDITOR)
    return Status(201, evaluation_out(do_start_evaluation(kb, get_user(request))))


@router.get("/knowledge-bases/{kb_id}/evaluations/latest", response=EvaluationOut)
def latest_evaluation(request: HttpRequest, kb_id: str) -> dict[str, Any]:
    """The newest evaluation (404 before the first)."""
    kb = get_kb(request, kb_id)
    do_requeue_orphan_evaluations()
    evaluation = kb.evaluations.first()
    if evaluation is None:
        raise not_found("evaluation")
    return evaluation_out(evaluation)
