"""Files → an indexed knowledge base: parse, chunk, embed in batches across documents, index.

Resumable: chunk ids are derived from the content, `add_chunks` skips the stored ones, and a
document is marked indexed (with its content hash) only after all its chunks are stored, so a
re-run after a crash embeds only what was not stored, and a re-upload whose hash is unchanged does
no work. A file that cannot be read fails alone, before anything of it is written.
"""

from __future__ import annotations

import dataclasses
import enum
import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from rag import chunking, errors, loader
from rag.backends.base import Backend
from rag.chunking import ChunkingConfig, TokenCounter
from rag.types import Chunk, Document, DocumentStatus

BATCH = 256  # chunks per add_chunks call: one transaction, embedded in the embedder's batches


class Stage(enum.StrEnum):
    """Where one document's ingestion is."""

    PARSING = "parsing"
    CHUNKING = "chunking"
    EMBEDDING = "embedding"
    INDEXED = "indexed"
    UNCHANGED = "unchanged"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class Upload:
    """A file to ingest as `document` (whose name is the file name shown to people)."""

    document: Document
    path: Path


@dataclass(frozen=True, slots=True)
class Progress:
    """One step of one document: `done` of `total` chunks embedded, or the error that stopped it."""

    document_id: str
    stage: Stage
    done: int = 0
    total: int = 0
    error: errors.DocumentError | None = None


@dataclass(slots=True)
class _Pending:
    document: Document
    content_hash: str
    chunks: list[Chunk]
    stale: set[str] = field(default_factory=set)
    stored: int = 0
    total: int = 0


ProgressCallback = Callable[[Progress], None]


def content_hash(path: Path, config: ChunkingConfig, model_id: str) -> str:
    """What a document's chunks were made from: the file's bytes, the chunking and the model."""
    digest = hashlib.sha256(f"{config!r}\0{model_id}\0".encode())
    with path.open("rb") as source:
        for block in iter(lambda: source.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def ingest(
    backend: Backend,
    uploads: Sequence[Upload],
    config: ChunkingConfig,
    count: TokenCounter,
    *,
    model_id: str,
    progress: ProgressCallback | None = None,
    limits: loader.Limits = loader.DEFAULT_LIMITS,
) -> list[Progress]:
    """Ingest the uploads; the last Progress of each document, in order."""
    chunking.check_config(config)
    report = progress or (lambda _: None)
    final: dict[str, Progress] = {}
    pending: list[_Pending] = []
    for upload in uploads:
        outcome = _prepare(backend, upload, config, count, model_id, limits, report)
        if isinstance(outcome, Progress):
            final[upload.document.id] = outcome
            report(outcome)
        else:
            pending.append(outcome)
    for done in _embed(backend, pending, report):
        final[done.document_id] = done
    return [final[u.document.id] for u in uploads]


def _prepare(
    backend: Backend,
    upload: Upload,
    config: ChunkingConfig,
    count: TokenCounter,
    model_id: str,
    limits: loader.Limits,
    report: ProgressCallback,
) -> _Pending | Progress:
    document = upload.document
    digest = content_hash(upload.path, config, model_id)
    stored = _stored(backend, document.id)
    if stored and stored.status is DocumentStatus.INDEXED and stored.content_hash == digest:
        backend.put_document(
            dataclasses.replace(
                document, content_hash=digest, status=DocumentStatus.INDEXED, enabled=stored.enabled
            )
        )
        return Progress(document.id, Stage.UNCHANGED)
    try:
        chunks = _chunks(upload, config, count, limits, report)
    except errors.DocumentError as exc:
        return Progress(document.id, Stage.FAILED, error=exc)
    backend.put_document(
        dataclasses.replace(document, status=DocumentStatus.PENDING, content_hash="")
    )
    have = backend.chunk_ids(document.id)
    wanted = {c.id for c in chunks}
    pending = _Pending(document, digest, [c for c in chunks if c.id not in have], have - wanted)
    pending.stored, pending.total = len(chunks) - len(pending.chunks), len(chunks)
    return pending


def _chunks(
    upload: Upload,
    config: ChunkingConfig,
    count: TokenCounter,
    limits: loader.Limits,
    report: ProgressCallback,
) -> list[Chunk]:
    """Parse and chunk one file; DocumentError if it cannot be read or holds no text."""
    document = upload.document
    report(Progress(document.id, Stage.PARSING))
    if isinstance(config, chunking.QAChunking):
        return chunking.qa_chunks(document.id, upload.path, document.name)
    sections = loader.load_file(upload.path, document.name, limits)
    report(Progress(document.id, Stage.CHUNKING))
    chunks = chunking.chunk_sections(document.id, sections, config, count)
    if not chunks:
        raise errors.EmptyFileError(document.name, "no text to index")
    return chunks


def _stored(backend: Backend, document_id: str) -> Document | None:
    try:
        return backend.get_document(document_id)
    except errors.NotFoundError:
        return None


def _embed(backend: Backend, pending: list[_Pending], report: ProgressCallback) -> list[Progress]:
    """Store the chunks in batches that span documents; finish each document as it completes."""
    finished: list[Progress] = []
    queue = [(p, c) for p in pending for c in p.chunks]
    waiting = [p for p in pending if not p.chunks]
    finished.extend(_finish(backend, p, report) for p in waiting)
    for start in range(0, len(queue), BATCH):
        batch = queue[start : start + BATCH]
        backend.add_chunks([c for _, c in batch])
        touched: dict[str, _Pending] = {}
        for p, _ in batch:
            p.stored += 1
            touched[p.document.id] = p
        for p in touched.values():
            if p.stored == p.total:
                finished.append(_finish(backend, p, report))
            else:
                report(Progress(p.document.id, Stage.EMBEDDING, p.stored, p.total))
    return finished


def _finish(backend: Backend, p: _Pending, report: ProgressCallback) -> Progress:
    if p.stale:
        backend.remove_chunks(p.stale)
    backend.finish_document(p.document.id, p.content_hash)
    done = Progress(p.document.id, Stage.INDEXED, p.stored, p.stored)
    report(done)
    return done
