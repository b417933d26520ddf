"""What rag's API routes share: looking things up under the caller's role, RAG's errors as API
errors, and the response shapes."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.db.models import Count, Q, Sum
from django.http import HttpRequest

from kernel.access import require_role_over
from kernel.errors import ApiError, not_found
from kernel.ids import parse_uuid
from kernel.limits import limits
from kernel.models import Role
from rag import errors, loader
from rag.backends._remote import BackendRequestError, BackendUnavailableError
from rag.models import Document, KnowledgeBase, Stage
from rag.stores import capabilities, file_limit

KB = "knowledge base"


def get_kb(request: HttpRequest, kb_id: str, role: str = Role.VIEWER) -> KnowledgeBase:
    """The knowledge base if the caller has `role` in its workspace; 404 for outsiders."""
    pk = parse_uuid(kb_id)
    kb = KnowledgeBase.objects.filter(pk=pk).first() if pk else None
    if kb is None:
        raise not_found(KB)
    require_role_over(request, kb.workspace_id, role, KB)
    return kb


def get_document(kb: KnowledgeBase, doc_id: str) -> Document:
    """A document of the knowledge base; 404 otherwise."""
    pk = parse_uuid(doc_id)
    document = Document.objects.filter(pk=pk, knowledge_base=kb).first() if pk else None
    if document is None:
        raise not_found("document")
    document.knowledge_base = kb
    return document


# A knowledge base's server (Milvus, RAGFlow) that cannot be reached is the service being
# unavailable; one that refuses what it was asked is a bad gateway: the fault is upstream
_STATUS: dict[type[errors.RagError], int] = {
    errors.NotFoundError: 404,
    errors.UnsupportedOperationError: 409,
    errors.EmbeddingModelError: 503,
    BackendUnavailableError: 503,
    BackendRequestError: 502,
}


def api_error(exc: errors.RagError) -> ApiError:
    """A RAG error as the API's: its code, a status, its words and the field or file."""
    status = next((s for t, s in _STATUS.items() if isinstance(exc, t)), 422)
    message = exc.message
    if isinstance(exc, errors.EmbeddingModelError):
        message = f"the embedding model cannot load: {message}"
    data = {"field": exc.field} if exc.field else {"file": exc.file} if exc.file else {}
    return ApiError(exc.code, status, message, **data)


@contextmanager
def rag_errors() -> Iterator[None]:
    """Raise RAG's errors as API errors."""
    try:
        yield
    except errors.RagError as exc:
        raise api_error(exc) from exc


def kb_queryset(**filters: Any) -> Any:
    """Knowledge bases with their document and chunk counts."""
    return KnowledgeBase.objects.filter(**filters).annotate(
        n_documents=Count("documents", distinct=True),
        n_chunks=Sum("documents__chunk_count", filter=Q(documents__stage=Stage.INDEXED)),
    )


def kb_out(kb: KnowledgeBase) -> dict[str, Any]:
    """A knowledge base as KnowledgeBaseOut (annotated by kb_queryset, or counted here)."""
    caps = capabilities(kb.backend)
    n_documents = getattr(kb, "n_documents", None)
    if n_documents is None:
        kb = kb_queryset(pk=kb.pk).get()
    return {
        "id": str(kb.pk),
        "name": kb.name,
        "description": kb.description,
        "backend": kb.backend,
        "chunking": kb.chunking,
        "retrieval": kb.retrieval,
        "document_count": kb.n_documents,  # type: ignore[attr-defined]  # annotated
        "chunk_count": kb.n_chunks or 0,  # type: ignore[attr-defined]  # annotated
        "capabilities": {
            "modes": sorted(m.value for m in caps.modes),
            "delete": caps.delete,
            "disable": caps.disable,
            "edit_chunks": caps.edit_chunks,
            "metadata_filter": caps.metadata_filter,
            "persistent": caps.persistent,
        },
        "limits": {
            "file_bytes": file_limit(kb.backend),
            "upload_bytes": limits().max_upload_bytes,
            "suffixes": list(loader.SUFFIXES),
        },
        "ragflow_dataset_id": (kb.store or {}).get("dataset_id")
        if kb.backend == "ragflow"
        else None,
        "created_at": kb.created_at,
    }


def document_out(d: Document, unchanged: bool | None = None) -> dict[str, Any]:
    """A document as DocumentOut."""
    out = {
        "id": str(d.pk),
        "name": d.name,
        "size": d.size,
        "content_hash": d.content_hash,
        "stage": d.stage,
        "progress": {"done": d.done, "total": d.total},
        "chunk_count": d.chunk_count,
        "error": d.error,
        "enabled": d.enabled,
        "metadata": d.metadata,
        "created_at": d.created_at,
        "updated_at": d.updated_at,
    }
    if unchanged is not None:
        out["unchanged"] = unchanged
    return out
