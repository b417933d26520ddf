"""Ingestion on the worker: claim a knowledge base's queued documents, run the core's ingest,
and write each document's stage and counts as the core reports them.

A task claims every queued document of its knowledge base at once (`worker` = this process),
so documents queued later have a task of their own. A worker that dies leaves its documents
claimed; `do_requeue_orphans` (run by the documents listing and by every task) puts them back in
the queue and queues a task, and the core resumes them: the chunks already stored are not
embedded again. A document that fails says why, naming its file, and keeps its file for a retry;
an indexed one's file is deleted.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from itertools import groupby

from django.db.models import F

from kernel.processes import this_process
from kernel.workers import is_gone
from rag import errors
from rag.backends.base import Backend
from rag.config import core_config, load_limits
from rag.documents import enqueue_ingestion, update_record
from rag.ingest import Progress, Stage, Upload, ingest
from rag.models import WAITING_STAGES, Document, KnowledgeBase
from rag.models import Stage as DocStage
from rag.stores import forget, get_embedder, open_backend, parses_files
from rag.types import Document as CoreDocument

log = logging.getLogger(__name__)

GROUP = 64  # documents per run of the core's ingest (their chunks are held in memory)
WRITE_EVERY_S = 0.5  # embedding progress: at most two row updates a second per document


def claim(kb: KnowledgeBase) -> list[Document]:
    """Take every queued document of `kb` no worker holds."""
    me = this_process()
    Document.objects.filter(knowledge_base=kb, stage=DocStage.QUEUED, worker="").update(
        worker=me, attempts=F("attempts") + 1
    )
    return list(
        Document.objects.filter(knowledge_base=kb, stage=DocStage.QUEUED, worker=me).order_by(
            "created_at", "name"
        )
    )


def run_ingestion(kb_id: str) -> int:
    """Ingest the knowledge base's queued documents; how many were claimed."""
    do_requeue_orphans()
    kb = KnowledgeBase.objects.filter(pk=kb_id).first()
    if kb is None:  # deleted: let go of its store if this process had it open
        forget(kb_id)
        return 0
    documents = claim(kb)
    if documents and parses_files(kb.backend):
        from rag.ingestion_remote import ingest_remote  # it uses this module's row helpers

        ingest_remote(kb, documents)
        return len(documents)
    for group in _groups(documents):
        _ingest_group(kb, group)
    return len(documents)


def _groups(documents: list[Document]) -> Iterator[list[Document]]:
    """Documents with the same chunking settings, at most GROUP at a time."""

    def key(d: Document) -> str:
        return repr(sorted(d.chunking.items()))

    for _, same in groupby(sorted(documents, key=key), key=key):
        batch = list(same)
        for start in range(0, len(batch), GROUP):
            yield batch[start : start + GROUP]


def _ingest_group(kb: KnowledgeBase, documents: list[Document]) -> None:
    uploads = []
    for document in documents:
        if document.upload_path.is_file():
            uploads.append(Upload(core_document(document), document.upload_path))
        else:
            fail_document(
                document,
                "file_gone",
                f"{document.name}: the uploaded file is gone; upload it again",
            )
    if not uploads:
        return
    try:
        embedder = get_embedder()
        config = core_config(documents[0].chunking)
        with open_backend(kb) as backend:
            writer = ProgressWriter(backend, {str(d.pk): d for d in documents})
            ingest(
                backend,
                uploads,
                config,
                embedder.token_ids,
                model_id=embedder.model_id,
                progress=writer,
                limits=load_limits(),
            )
    except errors.EmbeddingModelError as exc:
        for document in documents:
            fail_document(
                document, exc.code, f"{document.name}: the embedding model cannot load: {exc}"
            )
    except Exception as exc:  # any other failure stops the group; each document says so
        log.exception("ingestion of %s stopped", kb.pk)
        for document in documents:
            fail_document(
                document, "ingestion_stopped", f"{document.name}: indexing stopped: {exc}"
            )


def core_document(document: Document) -> CoreDocument:
    """The core's record of a document row."""
    return CoreDocument(
        str(document.pk), document.name, dict(document.metadata), enabled=document.enabled
    )


def fail_document(document: Document, code: str, message: str) -> None:
    """Mark a document this worker holds failed, saying why (its file is kept for a retry)."""
    Document.objects.filter(
        pk=document.pk, worker=document.worker, stage__in=WAITING_STAGES
    ).update(stage=DocStage.FAILED, error=message, error_code=code, worker="")


class ProgressWriter:
    """The core's progress → the documents' rows (embedding counts at most every 0.5 s)."""

    def __init__(self, backend: Backend, documents: dict[str, Document]) -> None:
        self.backend = backend
        self.documents = documents
        self.written: dict[str, float] = {}

    def __call__(self, progress: Progress) -> None:
        """Write one step of one document."""
        document = self.documents[progress.document_id]
        rows = Document.objects.filter(pk=document.pk, worker=document.worker)  # still ours
        if progress.stage is Stage.FAILED:
            error = progress.error
            message = error.message if error else f"{document.name}: it could not be indexed"
            fail_document(document, error.code if error else "failed", message)
        elif progress.stage in (Stage.INDEXED, Stage.UNCHANGED):
            count = len(self.backend.chunk_ids(progress.document_id))
            rows.update(
                stage=DocStage.INDEXED,
                done=count,
                total=count,
                chunk_count=count,
                error="",
                error_code="",
                worker="",
            )
            document.upload_path.unlink(missing_ok=True)
            follow_changes(self.backend, document)
        elif progress.stage is Stage.EMBEDDING:
            now = time.monotonic()
            if now - self.written.get(progress.document_id, 0.0) >= WRITE_EVERY_S:
                rows.update(stage=DocStage.EMBEDDING, done=progress.done, total=progress.total)
                self.written[progress.document_id] = now
        else:  # parsing, chunking
            rows.update(stage=progress.stage.value)


def follow_changes(backend: Backend, document: Document) -> None:
    """A flag or metadata changed while it was indexed: the store's record follows."""
    now = Document.objects.filter(pk=document.pk).first()
    if now is not None and (now.enabled, now.metadata) != (document.enabled, document.metadata):
        update_record(backend, now)


def do_requeue_orphans() -> int:
    """Queue again the documents whose worker is gone; how many."""
    held = Document.objects.filter(stage__in=WAITING_STAGES).exclude(worker="")
    gone = [w for w in held.values_list("worker", flat=True).distinct() if is_gone(w)]
    if not gone:
        return 0
    orphans = held.filter(worker__in=gone)
    kb_ids = set(orphans.values_list("knowledge_base_id", flat=True))
    count = orphans.update(stage=DocStage.QUEUED, worker="")
    for kb in KnowledgeBase.objects.filter(pk__in=kb_ids):
        log.warning("requeued the documents of %s whose worker is gone", kb.pk)
        enqueue_ingestion(kb)
    return count
