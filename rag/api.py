"""/api/knowledge-bases: knowledge bases, their documents and chunks (members read, editors
write; another workspace's knowledge base is a 404 like a missing one). The test search, test
set and evaluations are in api_eval.py. The contract: kb_contract.md."""

from __future__ import annotations

import contextlib
import shutil
from typing import Any

from django.db import IntegrityError, transaction
from django.http import HttpRequest
from ninja import File, Router, Status, UploadedFile

from kernel.access import get_user, require_workspace
from kernel.audit import do_audit
from kernel.errors import ApiError, not_found
from kernel.models import Role
from kernel.workers import queue_status
from rag import errors
from rag.api_eval import router as eval_router
from rag.config import merge_chunking, merge_retrieval
from rag.documents import (
    do_delete_document,
    do_retry_document,
    do_update_document,
    do_upload_documents,
)
from rag.http import document_out, get_document, get_kb, kb_out, kb_queryset, rag_errors
from rag.ingestion import do_requeue_orphans
from rag.models import Document, KnowledgeBase
from rag.schemas import (
    BackendOut,
    ChunkOut,
    ChunkPageOut,
    ChunkPatch,
    DocumentListOut,
    DocumentOut,
    DocumentPatch,
    KnowledgeBaseIn,
    KnowledgeBaseOut,
    KnowledgeBasePatch,
)
from rag.stores import (
    backend_class,
    capabilities,
    do_drop_store,
    do_open_new_store,
    forget,
    offered_backends,
    open_backend,
    parses_files,
)
from rag.tasks import QUEUE
from rag.types import Chunk

router = Router(tags=["knowledge"])
router.add_router("", eval_router)
MAX_CHUNK_PAGE = 200


@router.get("/knowledge-bases", response=list[KnowledgeBaseOut])
def list_knowledge_bases(
    request: HttpRequest, workspace_id: int | None = None
) -> list[dict[str, Any]]:
    """The workspace's knowledge bases (the current workspace by default), by name."""
    workspace = require_workspace(request, workspace_id, Role.VIEWER)
    return [kb_out(kb) for kb in kb_queryset(workspace=workspace)]


@router.get("/knowledge-bases/backends", response=list[BackendOut])
def list_backends(request: HttpRequest) -> list[dict[str, Any]]:
    """The stores a new knowledge base may use on this server (configured and installed)."""
    return [{"name": kind, "parses_files": parses_files(kind)} for kind in offered_backends()]


@router.post("/knowledge-bases", response={201: KnowledgeBaseOut})
def create_knowledge_base(request: HttpRequest, body: KnowledgeBaseIn) -> Status[dict[str, Any]]:
    """Create a knowledge base (editors); its settings default to the core's. A store on a
    server is made first (a RAGFlow dataset), or linked (`ragflow_dataset_id`)."""
    workspace = require_workspace(request, body.workspace_id, Role.EDITOR)
    user = get_user(request)
    name = body.name.strip()
    if not name:
        raise ApiError("invalid_param", 422, "name: fill this in", field="name")
    with rag_errors():
        backend_class(body.backend)  # offered here? (capabilities alone do not say)
        caps = capabilities(body.backend)
        chunking = merge_chunking(None, body.chunking)
        retrieval = merge_retrieval(None, body.retrieval, caps)
    kb = KnowledgeBase(
        workspace=workspace,
        name=name,
        description=body.description,
        backend=body.backend,
        chunking=chunking,
        retrieval=retrieval,
        store=_link(body),
        created_by=user,
    )
    if KnowledgeBase.objects.filter(workspace=workspace, name=name).exists():
        raise _name_taken(name)  # before a store is made on a server for nothing
    _open_store(kb)
    try:
        with transaction.atomic():
            kb.save(force_insert=True)
            do_audit(
                workspace_id=workspace.pk, actor=user, action="knowledge.create", target=str(kb.pk)
            )
    except IntegrityError as exc:
        with contextlib.suppress(errors.RagError):  # the name was taken meanwhile
            do_drop_store(kb, set())
        forget(kb.pk)
        raise _name_taken(name) from exc
    return Status(201, kb_out(kb))


def _link(body: KnowledgeBaseIn) -> dict[str, Any]:
    """The store options of a knowledge base linked to a dataset the user gave (else none)."""
    dataset = (body.ragflow_dataset_id or "").strip()
    if not dataset:
        return {}
    if body.backend != "ragflow":
        raise ApiError(
            "invalid_param",
            422,
            "ragflow_dataset_id: only a RAGFlow knowledge base links a RAGFlow dataset",
            field="ragflow_dataset_id",
        )
    return {"dataset_id": dataset, "linked": True}


def _open_store(kb: KnowledgeBase) -> None:
    """Make or link the knowledge base's store on its server; a linked dataset that the
    server's key cannot see is refused naming the field."""
    with rag_errors():
        try:
            do_open_new_store(kb)
        except errors.NotFoundError as exc:
            if not kb.store.get("linked"):
                raise
            raise errors.SettingsError(
                "ragflow_dataset_id",
                f"RAGFlow has no dataset {kb.store['dataset_id']!r} that this server's API key"
                " may use",
            ) from exc


def _name_taken(name: str) -> ApiError:
    return ApiError(
        "name_taken", 409, f"name: this workspace has a knowledge base {name!r}", field="name"
    )


@router.get("/knowledge-bases/{kb_id}", response=KnowledgeBaseOut)
def get_knowledge_base(request: HttpRequest, kb_id: str) -> dict[str, Any]:
    """One knowledge base."""
    return kb_out(get_kb(request, kb_id))


@router.patch("/knowledge-bases/{kb_id}", response=KnowledgeBaseOut)
def patch_knowledge_base(
    request: HttpRequest, kb_id: str, body: KnowledgeBasePatch
) -> dict[str, Any]:
    """Rename, describe, or change the chunking (for documents uploaded after) or the
    retrieval settings (a field left out keeps its value)."""
    kb = get_kb(request, kb_id, Role.EDITOR)
    if body.name is not None:
        if not body.name.strip():
            raise ApiError("invalid_param", 422, "name: fill this in", field="name")
        kb.name = body.name.strip()
    if body.description is not None:
        kb.description = body.description
    with rag_errors():
        if body.chunking is not None:
            kb.chunking = merge_chunking(kb.chunking, body.chunking)
        if body.retrieval is not None:
            kb.retrieval = merge_retrieval(kb.retrieval, body.retrieval, capabilities(kb.backend))
    try:
        with transaction.atomic():
            kb.save()
    except IntegrityError as exc:
        raise _name_taken(kb.name) from exc
    return kb_out(kb)


@router.delete("/knowledge-bases/{kb_id}", response={204: None})
def delete_knowledge_base(request: HttpRequest, kb_id: str) -> Status[None]:
    """Delete a knowledge base with its documents, chunks, vectors and test set (editors)."""
    kb = get_kb(request, kb_id, Role.EDITOR)
    if kb.backend != "embedded":  # its store lives on a server: empty it there
        ids = {str(pk) for pk in kb.documents.values_list("pk", flat=True)}
        with rag_errors():
            do_drop_store(kb, ids)
    folder, pk = kb.folder, kb.pk
    do_audit(
        workspace_id=kb.workspace_id,
        actor=get_user(request),
        action="knowledge.delete",
        target=kb.name,
    )
    kb.delete()
    forget(pk)
    shutil.rmtree(folder, ignore_errors=True)
    return Status(204, None)


@router.post("/knowledge-bases/{kb_id}/documents", response={201: list[DocumentOut]})
def upload_documents(
    request: HttpRequest, kb_id: str, files: File[list[UploadedFile]]
) -> Status[list[dict[str, Any]]]:
    """Upload files (many at once); each becomes a document queued for ingestion. A bad file
    refuses the upload, naming each bad file in `errors`; an unchanged file does no work."""
    kb = get_kb(request, kb_id, Role.EDITOR)
    uploaded = do_upload_documents(kb, get_user(request), files)
    return Status(201, [document_out(u.document, u.unchanged) for u in uploaded])


@router.get("/knowledge-bases/{kb_id}/documents", response=DocumentListOut)
def list_documents(request: HttpRequest, kb_id: str) -> dict[str, Any]:
    """The documents with their stages, and whether a worker will process what waits."""
    kb = get_kb(request, kb_id)
    do_requeue_orphans()
    status = queue_status(QUEUE)
    documents = Document.objects.filter(knowledge_base=kb)
    return {
        "worker": {"ok": status.ok, "message": status.message},
        "documents": [document_out(d) for d in documents],
    }


@router.patch("/knowledge-bases/{kb_id}/documents/{doc_id}", response=DocumentOut)
def patch_document(
    request: HttpRequest, kb_id: str, doc_id: str, body: DocumentPatch
) -> dict[str, Any]:
    """Enable or disable a document, or replace its metadata."""
    document = get_document(get_kb(request, kb_id, Role.EDITOR), doc_id)
    with rag_errors():
        document = do_update_document(document, enabled=body.enabled, metadata=body.metadata)
    return document_out(document)


@router.delete("/knowledge-bases/{kb_id}/documents/{doc_id}", response={204: None})
def delete_document(request: HttpRequest, kb_id: str, doc_id: str) -> Status[None]:
    """Delete a document with its chunks and vectors (409 while a worker indexes it)."""
    document = get_document(get_kb(request, kb_id, Role.EDITOR), doc_id)
    with rag_errors():
        do_delete_document(document, get_user(request))
    return Status(204, None)


@router.post("/knowledge-bases/{kb_id}/documents/{doc_id}/retry", response=DocumentOut)
def retry_document(request: HttpRequest, kb_id: str, doc_id: str) -> dict[str, Any]:
    """Queue a failed document again."""
    document = get_document(get_kb(request, kb_id, Role.EDITOR), doc_id)
    return document_out(do_retry_document(document, get_user(request)))


def _chunk_out(chunk: Chunk, edited: set[str]) -> dict[str, Any]:
    return {
        "id": chunk.id,
        "index": chunk.position,
        "text": chunk.text,
        "parent_text": chunk.context,
        "enabled": chunk.enabled,
        "edited": chunk.id in edited,
    }


@router.get("/knowledge-bases/{kb_id}/documents/{doc_id}/chunks", response=ChunkPageOut)
def list_chunks(
    request: HttpRequest, kb_id: str, doc_id: str, offset: int = 0, limit: int = 50
) -> dict[str, Any]:
    """A page of the document's chunks, in order (none before it is indexed)."""
    kb = get_kb(request, kb_id)
    document = get_document(kb, doc_id)
    if offset < 0 or not 1 <= limit <= MAX_CHUNK_PAGE:
        field = "offset" if offset < 0 else "limit"
        message = "at least 0" if offset < 0 else f"between 1 and {MAX_CHUNK_PAGE}"
        raise ApiError("invalid_param", 422, f"{field}: {message}", field=field)
    with rag_errors(), open_backend(kb) as backend:
        try:
            chunks = backend.list_chunks(str(document.pk))
        except errors.NotFoundError:
            chunks = []
    edited = set(document.edited_chunks)
    page = chunks[offset : offset + limit]
    return {"total": len(chunks), "chunks": [_chunk_out(c, edited) for c in page]}


@router.patch("/knowledge-bases/{kb_id}/chunks/{chunk_id}", response=ChunkOut)
def patch_chunk(
    request: HttpRequest, kb_id: str, chunk_id: str, body: ChunkPatch
) -> dict[str, Any]:
    """Change a chunk's text (it is embedded again) or enable or disable it."""
    kb = get_kb(request, kb_id, Role.EDITOR)
    caps = capabilities(kb.backend)
    if body.text is not None and not caps.edit_chunks:
        raise ApiError("unsupported", 409, "this knowledge base's backend cannot edit chunks")
    if body.enabled is not None and not caps.disable:
        raise ApiError("unsupported", 409, "this knowledge base's backend cannot disable chunks")
    with rag_errors(), open_backend(kb) as backend:
        try:
            chunk = backend.update_chunk(chunk_id, text=body.text, enabled=body.enabled)
        except errors.NotFoundError:
            raise not_found("chunk") from None
    with transaction.atomic():
        document = Document.objects.select_for_update().get(pk=chunk.document_id)
        if body.text is not None and chunk.id not in document.edited_chunks:
            document.edited_chunks = [*document.edited_chunks, chunk.id]
            document.save(update_fields=["edited_chunks", "updated_at"])
    return _chunk_out(chunk, set(document.edited_chunks))
