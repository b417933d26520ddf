"""Documents of a knowledge base: upload (checked before anything is stored), retry, change,
delete. Ingestion itself runs on the "rag" task queue (rag.ingestion).

An upload is refused whole, naming each bad file, when a file is empty, too large, of a type
the loader does not read, or named twice; nothing of it is stored then. A file whose bytes and
chunking are those of the document of the same name does no work (`unchanged`); one that
differs replaces the document's chunks when it is indexed again.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import shutil
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path, PurePath
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Q

from kernel.audit import do_audit
from kernel.errors import ApiError
from kernel.models import User
from rag import errors, loader
from rag.backends.base import Backend
from rag.models import ACTIVE_STAGES, Document, KnowledgeBase, Stage
from rag.stores import capabilities, file_limit, open_backend

MAX_METADATA_KEYS = 50


@dataclass(frozen=True, slots=True)
class Uploaded:
    """One uploaded file's document, and whether it was there already (nothing redone)."""

    document: Document
    unchanged: bool


def _file_name(raw: str | None) -> str:
    return PurePath((raw or "").replace("\\", "/")).name.strip()


def check_files(kb: KnowledgeBase, files: Sequence[UploadedFile[bytes]]) -> list[dict[str, str]]:
    """The problems of an upload, one per bad file: [{file, code, message}]."""
    problems: list[dict[str, str]] = []
    seen: set[str] = set()
    for number, upload in enumerate(files, start=1):
        name = _file_name(upload.name)
        error = _problem(kb, name, f"file {number}", upload.size or 0, seen)
        if error is not None:
            problems.append(
                {"file": error.file or name, "code": error.code, "message": error.message}
            )
        seen.add(name)
    return problems


def _problem(
    kb: KnowledgeBase, name: str, unnamed: str, size: int, seen: set[str]
) -> errors.DocumentError | None:
    """Why one file of an upload cannot become a document (None: it may); `unnamed` is what
    to call a file without a name."""
    suffix = PurePath(name).suffix.lower()
    limit = file_limit(kb.backend)
    if not name or len(name) > 255:
        return errors.DocumentError(
            name[:60] or unnamed, "give the file a name of 1 to 255 characters"
        )
    if name in seen:
        return errors.DocumentError(name, "the upload holds two files of this name")
    if suffix not in loader.SUFFIXES:
        kinds = ", ".join(s.lstrip(".") for s in loader.SUFFIXES)
        what = suffix or "files without an extension"
        return errors.UnsupportedFileTypeError(name, f"cannot read {what}; upload one of: {kinds}")
    if kb.chunking.get("mode") == "qa" and suffix != ".csv":
        return errors.UnsupportedFileTypeError(name, "Q&A chunking reads csv files only")
    if not size:
        return errors.EmptyFileError(name, "the file is empty")
    if size > limit:
        return errors.FileTooLargeError(
            name, f"the file is {_mib(size)}, over the limit of {_mib(limit)}"
        )
    return None


def _mib(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MiB"


def _store(upload: UploadedFile[bytes], folder: Path) -> tuple[Path, str]:
    """Write the upload to a new file in `folder`; its path and sha256."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"incoming-{uuid.uuid4().hex}"
    digest = hashlib.sha256()
    with path.open("wb") as out:
        for piece in upload.chunks():
            digest.update(piece)
            out.write(piece)
    return path, digest.hexdigest()


def do_upload_documents(
    kb: KnowledgeBase, user: User | None, files: Sequence[UploadedFile[bytes]]
) -> list[Uploaded]:
    """Store the files as documents and queue their ingestion (see the module's docstring)."""
    if not files:
        raise ApiError("invalid_param", 422, "files: choose at least one file", field="files")
    problems = check_files(kb, files)
    if problems:
        raise _refusal(problems)
    stored = [(_file_name(f.name), f.size or 0, *_store(f, kb.folder / "uploads")) for f in files]
    try:
        with transaction.atomic():
            names = [name for name, *_ in stored]
            existing = {
                d.name: d
                for d in Document.objects.select_for_update().filter(
                    knowledge_base=kb, name__in=names
                )
            }
            _refuse_busy(kb, existing, stored)
            results = [
                _put(kb, existing.get(name), name, size, path, digest)
                for name, size, path, digest in stored
            ]
            queued = [r.document.name for r in results if not r.unchanged]
            if queued:
                do_audit(
                    workspace_id=kb.workspace_id,
                    actor=user,
                    action="knowledge.upload",
                    target=str(kb.pk),
                    data={"files": queued[:50]},
                )
                transaction.on_commit(lambda: enqueue_ingestion(kb))
    finally:
        for _, _, path, _ in stored:
            path.unlink(missing_ok=True)  # moved into place, or not needed
    return results


def _refusal(problems: list[dict[str, str]]) -> ApiError:
    message = problems[0]["message"]
    if len(problems) > 1:
        message = f"{len(problems)} files cannot be uploaded: " + "; ".join(
            p["message"] for p in problems
        )
    return ApiError("bad_document", 422, message, field="files", errors=problems)


def _unchanged(kb: KnowledgeBase, existing: Document | None, digest: str) -> bool:
    return (
        existing is not None
        and existing.content_hash == digest
        and existing.chunking == kb.chunking
        and existing.stage != Stage.FAILED
    )


def _refuse_busy(
    kb: KnowledgeBase, existing: dict[str, Document], stored: list[tuple[str, int, Path, str]]
) -> None:
    """409 naming the files whose documents a worker holds (before any file is moved)."""
    busy = [
        name
        for name, _, _, digest in stored
        if name in existing
        and is_claimed(existing[name])
        and not _unchanged(kb, existing[name], digest)
    ]
    if busy:
        raise ApiError(
            "document_busy",
            409,
            f"{', '.join(busy)}: being indexed now; upload again when that is done",
            field="files",
        )


def _put(
    kb: KnowledgeBase, existing: Document | None, name: str, size: int, path: Path, digest: str
) -> Uploaded:
    if existing is not None and _unchanged(kb, existing, digest):
        return Uploaded(existing, unchanged=True)
    document = existing or Document(knowledge_base=kb, name=name)
    document.size, document.content_hash, document.chunking = size, digest, dict(kb.chunking)
    _reset(document)
    document.save()
    document.upload_path.parent.mkdir(parents=True, exist_ok=True)
    shutil.move(path, document.upload_path)
    return Uploaded(document, unchanged=False)


CLAIMED = Q(stage__in=ACTIVE_STAGES) | (Q(stage=Stage.QUEUED) & ~Q(worker=""))


def is_claimed(document: Document) -> bool:
    """Whether a worker holds the document (it is being indexed, or about to be)."""
    return document.stage in ACTIVE_STAGES or (
        document.stage == Stage.QUEUED and bool(document.worker)
    )


def _reset(document: Document) -> None:
    document.stage, document.worker = Stage.QUEUED, ""
    document.done = document.total = 0
    document.error = document.error_code = ""
    document.edited_chunks = []


def enqueue_ingestion(kb: KnowledgeBase) -> None:
    """Queue the ingestion of the knowledge base's queued documents on the "rag" queue."""
    from rag.tasks import ingest_knowledge_base  # the task module imports this one

    ingest_knowledge_base.enqueue(str(kb.pk))


def do_retry_document(document: Document, user: User | None) -> Document:
    """Queue a failed document again (its file was kept); 409 for any other stage."""
    if document.stage != Stage.FAILED:
        raise ApiError("not_failed", 409, f"{document.name}: only a failed document is retried")
    if not document.upload_path.is_file():
        raise ApiError(
            "file_gone", 409, f"{document.name}: the uploaded file is gone; upload it again"
        )
    with transaction.atomic():
        _reset(document)
        document.save()
        transaction.on_commit(lambda: enqueue_ingestion(document.knowledge_base))
    return document


def do_update_document(
    document: Document, *, enabled: bool | None, metadata: dict[str, Any] | None
) -> Document:
    """Enable or disable a document, or replace its metadata (the store's record follows)."""
    kb = document.knowledge_base
    if enabled is not None and not capabilities(kb.backend).disable:
        raise ApiError("unsupported", 409, "this knowledge base's backend cannot disable documents")
    if metadata is not None:
        metadata = _check_metadata(metadata)
        document.metadata = metadata
    if enabled is not None:
        document.enabled = enabled
    document.save(update_fields=["enabled", "metadata", "updated_at"])
    if document.stage == Stage.INDEXED:
        sync_record(document)
    return document


def sync_record(document: Document) -> None:
    """Give the store's record of an indexed document its flag and metadata from here."""
    with open_backend(document.knowledge_base) as backend:
        update_record(backend, document)


def update_record(backend: Backend, document: Document) -> None:
    """`sync_record` with the backend already open (a document the store lacks is left)."""
    try:
        record = backend.get_document(str(document.pk))
    except errors.NotFoundError:
        return
    backend.put_document(
        dataclasses.replace(record, enabled=document.enabled, metadata=dict(document.metadata))
    )


def _check_metadata(metadata: dict[str, Any]) -> dict[str, Any]:
    if len(metadata) > MAX_METADATA_KEYS:
        raise ApiError(
            "invalid_param", 422, f"metadata: at most {MAX_METADATA_KEYS} keys", field="metadata"
        )
    for key, value in metadata.items():
        if not 1 <= len(key.strip()) <= 64:
            raise ApiError(
                "invalid_param", 422, "metadata: a key has 1 to 64 characters", field="metadata"
            )
        if isinstance(value, str) and len(value) > 1000:
            raise ApiError(
                "invalid_param",
                422,
                f"metadata.{key}: at most 1000 characters",
                field=f"metadata.{key}",
            )
    return {key.strip(): value for key, value in metadata.items()}


def do_delete_document(document: Document, user: User | None) -> None:
    """Delete a document with its chunks and vectors; 409 while a worker indexes it."""
    kb = document.knowledge_base
    if not capabilities(kb.backend).delete:
        raise ApiError("unsupported", 409, "this knowledge base's backend cannot delete documents")
    deleted, _ = Document.objects.filter(pk=document.pk).exclude(CLAIMED).delete()
    if not deleted:
        raise ApiError(
            "document_busy", 409, f"{document.name}: it is being indexed now; delete it after"
        )
    # suppress: a document that failed early never reached the store
    with open_backend(kb) as backend, contextlib.suppress(errors.NotFoundError):
        backend.delete_document(str(document.pk))
    document.upload_path.unlink(missing_ok=True)
    do_audit(
        workspace_id=kb.workspace_id,
        actor=user,
        action="knowledge.document.delete",
        target=document.name,
    )
