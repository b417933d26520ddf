"""Ingestion into a store whose server parses files itself (RAGFlow): the worker sends each
claimed document's file, then follows the server's parsing until every document is indexed or
failed, writing each one's stage and progress as the server reports them.

While the server parses, a document is `parsing` with `done` of `total` = 100 (the server's
progress in percent, for the page's bar); parsed, it is `indexed` with the server's chunk count;
a parse that fails or is cancelled fails the document with the server's message, naming the
file, and keeps the file for a retry. Nothing waits for ever: a server that cannot be reached
for UNREACHABLE_S, or that leaves a document unmoved for STALLED_S, fails the documents it
holds, saying so. A worker that dies mid-parse leaves its documents to be requeued
(`do_requeue_orphans`); the next one calls `upload` again, which sends nothing when the server
holds (or is parsing) the same bytes, and follows the parse from where it stands.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from typing import cast

from django.db.models import QuerySet

from rag import errors
from rag.backends._remote import BackendUnavailableError
from rag.backends.base import ParseProgress, ParseState, ServerParsing
from rag.ingestion import core_document, fail_document, follow_changes
from rag.models import Document, KnowledgeBase
from rag.models import Stage as DocStage
from rag.stores import open_backend

log = logging.getLogger(__name__)

POLL_S = 1.0  # between two looks at the server's progress
UNREACHABLE_S = 120.0  # the server unreachable this long fails what it holds
STALLED_S = 30 * 60.0  # a document whose progress has not moved this long fails
PERCENT = 100


def ingest_remote(kb: KnowledgeBase, documents: list[Document]) -> None:
    """Send the documents' files to the knowledge base's server and follow their parsing."""
    try:
        with open_backend(kb) as backend:
            server = cast(ServerParsing, backend)
            sent = [d for d in documents if _send(server, d)]
        _follow(kb, sent)
    except errors.RagError as exc:  # the server cannot be reached, or refused the key
        for document in documents:
            fail_document(document, exc.code, f"{document.name}: {exc.message}")
    except Exception as exc:  # any other failure stops the rest; each document says so
        log.exception("ingestion of %s stopped", kb.pk)
        for document in documents:
            fail_document(
                document, "ingestion_stopped", f"{document.name}: indexing stopped: {exc}"
            )


def _send(server: ServerParsing, document: Document) -> bool:
    """Upload one document's file (nothing is sent when the server has it); whether it is
    being parsed now."""
    if not document.upload_path.is_file():
        message = f"{document.name}: the uploaded file is gone; upload it again"
        fail_document(document, "file_gone", message)
        return False
    try:
        server.upload(core_document(document), document.upload_path)
    except errors.DocumentError as exc:  # its message names the file already
        fail_document(document, exc.code, exc.message)
        return False
    except errors.RagError as exc:
        fail_document(document, exc.code, f"{document.name}: {exc.message}")
        return False
    _mine(document).update(stage=DocStage.PARSING, done=0, total=PERCENT)
    return True


def _mine(document: Document) -> QuerySet[Document]:
    """The document's row while this worker still holds it (else no row)."""
    return Document.objects.filter(pk=document.pk, worker=document.worker)


@dataclass
class _Watch:
    """One document being parsed: what the server last said, and since when."""

    document: Document
    seen: tuple[str, float, str] = ("", -1.0, "")
    since: float = field(default_factory=time.monotonic)


def _follow(kb: KnowledgeBase, documents: list[Document]) -> None:
    """Poll the server every POLL_S until each document is parsed, failed or given up on."""
    watching = {str(d.pk): _Watch(d) for d in documents}
    reached = time.monotonic()
    while watching:
        time.sleep(POLL_S)
        try:
            with open_backend(kb) as backend:
                found = {p.document_id: p for p in cast(ServerParsing, backend).parse_progress()}
        except BackendUnavailableError as exc:
            if time.monotonic() - reached < UNREACHABLE_S:
                continue  # a server restarting: look again
            for watch in watching.values():
                document = watch.document
                fail_document(document, exc.code, f"{document.name}: {exc.message}")
            return
        reached = time.monotonic()
        for document_id, watch in list(watching.items()):
            if _settled(kb, watch, found.get(document_id)):
                del watching[document_id]


def _settled(kb: KnowledgeBase, watch: _Watch, progress: ParseProgress | None) -> bool:
    """Write one document's progress; whether it is done with (indexed, failed, not ours)."""
    document = watch.document
    if progress is None:
        server = kb.get_backend_display()
        message = f"{document.name}: {server} no longer has this document; retry to send it again"
        fail_document(document, "document_gone", message)
        return True
    if progress.state is ParseState.DONE:
        _indexed(kb, document, progress.chunks)
        return True
    if progress.state in (ParseState.FAIL, ParseState.CANCEL):
        fail_document(document, *_why(kb, document, progress))
        return True
    now = time.monotonic()
    seen = (progress.state.value, progress.progress, progress.message)
    if seen != watch.seen:
        watch.seen, watch.since = seen, now
        done = round(progress.progress * PERCENT)
        return not _mine(document).update(stage=DocStage.PARSING, done=done, total=PERCENT)
    if now - watch.since >= STALLED_S:
        minutes = round(STALLED_S / 60)
        message = (
            f"{document.name}: {kb.get_backend_display()} has not moved on parsing it for"
            f" {minutes} minutes (is its task executor running?); retry to send it again"
        )
        fail_document(document, "parse_stalled", message)
        return True
    return False


def _why(kb: KnowledgeBase, document: Document, progress: ParseProgress) -> tuple[str, str]:
    """(error code, message) of a parse that failed or was cancelled on the server."""
    said, server = _last_words(progress.message), kb.get_backend_display()
    if progress.state is ParseState.CANCEL:
        return "parse_cancelled", f"{document.name}: parsing was cancelled in {server} ({said})"
    return "parse_failed", f"{document.name}: {server} could not parse it: {said}"


def _last_words(log_text: str) -> str:
    """What a server's progress log says of a failure: its error lines (RAGFlow marks them
    [ERROR] in a log of timestamped lines), else its last line."""
    lines = [line.strip() for line in log_text.splitlines() if line.strip()]
    failed = [line for line in lines if "[ERROR]" in line]
    return "; ".join(failed or lines[-1:]) or "it gave no reason"


def _indexed(kb: KnowledgeBase, document: Document, chunks: int) -> None:
    """Mark a parsed document indexed with the server's chunk count, and let its file go."""
    updated = _mine(document).update(
        stage=DocStage.INDEXED,
        done=chunks,
        total=chunks,
        chunk_count=chunks,
        error="",
        error_code="",
        worker="",
    )
    if not updated:
        return
    document.upload_path.unlink(missing_ok=True)
    with open_backend(kb) as backend:
        follow_changes(backend, document)
