"""The RAGFlow backend: a knowledge base linked to a dataset of a RAGFlow server, via ragflow-sdk.

RAGFlow parses, chunks and embeds files itself (its DeepDoc parsers and the dataset's embedding
model), so this backend takes files, not chunks: `upload` sends one and starts parsing it, and
`parse_progress` reports RAGFlow's run state (UNSTART, RUNNING, then DONE, FAIL or CANCEL) and
progress for the page. A document is searched once RAGFlow has parsed it (DONE). Searches go to
RAGFlow's retrieval and keep its scores: `similarity` is the hit's score (and "hybrid"),
`vector_similarity` its "vector" score and `term_similarity` its "full_text" one; vector mode asks
with a vector weight of 1, full-text mode with 0. Metadata filters are applied here, with
`rag.filters` (the one meaning of each operator), to choose the documents RAGFlow searches,
rather than with RAGFlow's `metadata_condition`, whose operators mean other things.

What it cannot do, so that callers check `isinstance(backend, ServerParsing)` and use `upload`:
take Weft's chunks (`add_chunks`, `finish_document`), hence Weft's chunking modes and embedding
model do not apply; nor refuse a query longer than the embedding model reads (RAGFlow's model cuts
it). With RAGFlow on Infinity rather than Elasticsearch, RAGFlow reports its fused score as all
three scores.
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Sequence
from pathlib import Path
from typing import Any, ClassVar

from rag import errors, filters
from rag.backends import _ragflow_client as rf
from rag.backends._remote import BackendRequestError
from rag.backends._search import check_request
from rag.backends.base import Capabilities, ParseProgress, ParseState
from rag.types import Chunk, Document, DocumentStatus, Hit, SearchRequest

UPLOAD_LIMIT = 10 * 1024 * 1024  # RAGFlow refuses a larger upload (its HTTP API's own limit)
CANDIDATES = 1024  # RAGFlow's top_k: chunks compared by vector before its ranking
# The lowest cosine similarity: without a threshold Weft wants the best top_k whatever their
# score, where RAGFlow's default (0.2), or even 0, drops a chunk whose vector points away
NO_THRESHOLD = -1.0


class RagflowBackend:
    """A knowledge base held in the RAGFlow dataset `dataset_id`."""

    # No chunk edits from the pages: RAGFlow parses a document again on its own (a retry, a
    # changed file, its own pages) and drops the edits, which Weft cannot keep as it does for
    # the chunks it makes; `update_chunk` stays for callers who know that
    capabilities: ClassVar[Capabilities] = Capabilities(persistent=True, edit_chunks=False)
    max_file_bytes: ClassVar[int] = UPLOAD_LIMIT

    @classmethod
    def for_knowledge_base(
        cls,
        name: str,
        folder: Path,
        embedder: object,
        *,
        base_url: str,
        api_key: str,
        dataset_id: str = "",
        linked: bool = False,
    ) -> RagflowBackend:
        """A knowledge base's backend (rag.stores): its dataset `dataset_id`, or a new dataset
        named `name` when it has none yet (`folder` and `embedder` are not needed: RAGFlow
        stores, parses and embeds; `linked` says the user gave the dataset)."""
        if dataset_id:
            return cls(dataset_id, base_url=base_url, api_key=api_key)
        return cls.create(name, base_url=base_url, api_key=api_key)

    def __init__(self, dataset_id: str, *, base_url: str, api_key: str) -> None:
        from ragflow_sdk import RAGFlow

        self._rag = RAGFlow(api_key=api_key, base_url=base_url.rstrip("/"))
        try:
            found = rf.call("find the dataset", self._rag.list_datasets, id=dataset_id)
        except BackendRequestError:
            found = []
        if not found:
            raise errors.NotFoundError(
                f"RAGFlow has no dataset {dataset_id!r} that this API key may use"
            )
        self._dataset = found[0]
        self._remote_ids: dict[str, str] = {}  # Weft document id → RAGFlow's

    @classmethod
    def create(
        cls, name: str, *, base_url: str, api_key: str, chunk_method: str = "naive"
    ) -> RagflowBackend:
        """Create a RAGFlow dataset named `name` and a backend linked to it."""
        from ragflow_sdk import RAGFlow

        rag = RAGFlow(api_key=api_key, base_url=base_url.rstrip("/"))
        what = f"create the dataset {name!r}"
        dataset = rf.call(what, rag.create_dataset, name=name, chunk_method=chunk_method)
        return cls(dataset.id, base_url=base_url, api_key=api_key)

    @property
    def dataset_id(self) -> str:
        """The RAGFlow dataset's id."""
        return str(self._dataset.id)

    @property
    def store_options(self) -> dict[str, str]:
        """What `for_knowledge_base` takes to open this dataset again."""
        return {"dataset_id": self.dataset_id}

    def drop(self) -> None:
        """Delete the dataset with its documents (the knowledge base made it and is deleted)."""
        rf.call("delete the dataset", self._rag.delete_datasets, ids=[self.dataset_id])

    # files and parsing ---------------------------------------------------------------------
    def upload(self, document: Document, path: Path) -> Document:
        """Send the file as `document` and start parsing it; an unchanged file does no work."""
        size = path.stat().st_size
        if size == 0:
            raise errors.EmptyFileError(document.name, "the file is empty")
        if size > UPLOAD_LIMIT:
            raise errors.FileTooLargeError(
                document.name, f"is {size:,} bytes; RAGFlow takes at most {UPLOAD_LIMIT:,}"
            )
        data = path.read_bytes()
        digest = hashlib.sha256(data).hexdigest()
        remote = self._find(document.id)
        if remote is not None and rf.same_file(remote, digest):
            self._update(remote, document, digest)
            return rf.to_document(self._remote(document.id))
        if remote is not None:
            self._delete(remote)
        try:
            (remote,) = rf.call(
                f"upload {document.name}",
                self._dataset.upload_documents,
                [{"display_name": document.name, "blob": data}],
            )
        except BackendRequestError as exc:
            raise errors.DocumentError(document.name, exc.message) from exc
        self._remote_ids[document.id] = remote.id
        self._update(remote, document, digest)
        what = f"start parsing {document.name}"
        rf.call(what, self._dataset.async_parse_documents, [remote.id])
        return Document(document.id, remote.name, document.metadata, document.enabled)

    def parse_progress(self, document_ids: Collection[str] | None = None) -> list[ParseProgress]:
        """The parsing state of these documents (of all when None); NotFoundError for unknown."""
        remotes = {rf.weft_id(r): r for r in self._remote_documents()}
        wanted = list(remotes) if document_ids is None else list(document_ids)
        for document_id in wanted:
            if document_id not in remotes:
                raise errors.NotFoundError(
                    f"document {document_id!r} is not in this knowledge base"
                )
        return [_progress(i, remotes[i]) for i in wanted]

    def cancel_parsing(self, document_ids: Collection[str]) -> None:
        """Stop parsing these documents (RAGFlow refuses one that is not being parsed)."""
        ids = [self._remote(i).id for i in document_ids]
        rf.call("stop parsing", self._dataset.async_cancel_parse_documents, ids)

    # documents -----------------------------------------------------------------------------
    def put_document(self, document: Document) -> None:
        """Change an uploaded document's name, metadata or enabled flag."""
        remote = self._find(document.id)
        if remote is None:
            raise errors.UnsupportedOperationError(
                f"{document.name}: a RAGFlow document is made from its file; upload it first"
            )
        self._update(remote, document, rf.stored_hash(remote), rename=True)

    def get_document(self, document_id: str) -> Document:
        """The document's record; NotFoundError if there is none."""
        return rf.to_document(self._remote(document_id))

    def list_documents(self) -> list[Document]:
        """Every document's record, in the order they were added."""
        return [rf.to_document(r) for r in self._remote_documents()]

    def set_document_enabled(self, document_id: str, enabled: bool) -> None:
        """Keep a document but leave it out of searches (or bring it back)."""
        self._set_enabled(self._remote(document_id).id, enabled)

    def delete_document(self, document_id: str) -> None:
        """Remove a document with its chunks and vectors."""
        self._delete(self._remote(document_id))

    def chunk_ids(self, document_id: str) -> set[str]:
        """Ids of the document's stored chunks (none for an unknown document)."""
        if self._find(document_id) is None:
            return set()
        return {c.id for c in self.list_chunks(document_id)}

    def add_chunks(self, chunks: Sequence[Chunk]) -> None:
        """Not offered: RAGFlow chunks and embeds the files it parses."""
        raise errors.UnsupportedOperationError(
            "RAGFlow parses, chunks and embeds files itself: upload the file instead"
        )

    def finish_document(self, document_id: str, content_hash: str) -> Document:
        """Not offered: a RAGFlow document is indexed when RAGFlow has parsed it."""
        raise errors.UnsupportedOperationError(
            "RAGFlow marks a document indexed when it has parsed it"
        )

    def remove_chunks(self, chunk_ids: Collection[str]) -> None:
        """Remove chunks by id (unknown ids are ignored)."""
        by_document: dict[str, list[str]] = {}
        for chunk_id in chunk_ids:
            try:
                remote_document, remote_chunk = rf.split_chunk_id(chunk_id)
            except errors.NotFoundError:
                continue
            by_document.setdefault(remote_document, []).append(remote_chunk)
        for remote_document, ids in by_document.items():
            remote = self._by_remote_id(remote_document)
            if remote is not None:
                try:
                    rf.call("delete chunks", remote.delete_chunks, ids)
                except BackendRequestError as exc:
                    if "rm_chunk deleted" not in exc.message:  # some ids were unknown
                        raise

    def list_chunks(self, document_id: str) -> list[Chunk]:
        """A document's chunks in RAGFlow's order."""
        remote = self._remote(document_id)
        found = rf.pages(
            lambda page: rf.call("list chunks", remote.list_chunks, page=page, page_size=rf.PAGE)
        )
        return [rf.to_chunk(c, document_id, n) for n, c in enumerate(found)]

    def update_chunk(
        self, chunk_id: str, *, text: str | None = None, enabled: bool | None = None
    ) -> Chunk:
        """Change a chunk's text (RAGFlow embeds it again) or enabled flag."""
        remote_document, remote_chunk = rf.split_chunk_id(chunk_id)
        remote = self._by_remote_id(remote_document)
        if remote is None:
            raise errors.NotFoundError(f"chunk {chunk_id!r} is not in this knowledge base")
        changes: dict[str, Any] = {}
        if text is not None:
            if not text.strip():
                raise errors.SettingsError("text", "must not be empty")
            changes["content"] = text
        if enabled is not None:
            changes["available"] = enabled
        if changes:
            self._put_chunk(remote, remote_chunk, changes, chunk_id)
        document_id = rf.weft_id(remote)
        for chunk in self.list_chunks(document_id):
            if chunk.id == chunk_id:
                return chunk
        raise errors.NotFoundError(f"chunk {chunk_id!r} is not in this knowledge base")

    def _put_chunk(self, remote: Any, chunk: str, changes: dict[str, Any], chunk_id: str) -> None:
        from ragflow_sdk.modules.chunk import Chunk as RemoteChunk

        target = RemoteChunk(
            self._rag, {"id": chunk, "document_id": remote.id, "dataset_id": self.dataset_id}
        )
        try:
            rf.call("change a chunk", target.update, changes)
        except BackendRequestError as exc:
            if "can't find" in exc.message.lower():
                raise errors.NotFoundError(
                    f"chunk {chunk_id!r} is not in this knowledge base"
                ) from exc
            raise

    # search --------------------------------------------------------------------------------
    def search(self, request: SearchRequest) -> list[Hit]:
        """The best chunks for the request by RAGFlow's retrieval, best first."""
        check_request(request)
        documents = {r.id: rf.to_document(r) for r in self._remote_documents()}
        if request.filters:
            filters.check_filters(request.filters, documents.values())
        allowed = {
            remote_id
            for remote_id, d in documents.items()
            if d.enabled
            and d.status is DocumentStatus.INDEXED
            and (request.document_ids is None or d.id in request.document_ids)
            and filters.matches(d, request.filters)
        }
        if not allowed:
            return []  # RAGFlow would search every document when given none
        try:
            found = self._retrieve(request, allowed, len(documents))
        except BackendRequestError as exc:
            if "no chunk found" in exc.message.lower():  # parsed, but into no chunk at all
                return []
            raise
        hits = [rf.to_hit(c, documents, request) for c in found if c.document_id in allowed]
        return [h for h in hits if h is not None][: request.top_k]

    def _retrieve(self, request: SearchRequest, allowed: set[str], documents: int) -> list[Any]:
        found: list[Any] = rf.call(
            "search",
            self._rag.retrieve,
            dataset_ids=[self.dataset_id],
            document_ids=[] if len(allowed) == documents else sorted(allowed),
            question=request.query,
            page=1,
            page_size=request.top_k,
            similarity_threshold=(
                NO_THRESHOLD if request.score_threshold is None else request.score_threshold
            ),
            vector_similarity_weight=rf.vector_weight(request),
            top_k=CANDIDATES,
        )
        return found

    def close(self) -> None:
        """Nothing to let go of: every call is its own HTTP request."""

    # RAGFlow's documents -------------------------------------------------------------------
    def _remote_documents(self) -> list[Any]:
        """Every RAGFlow document of the dataset, oldest first."""
        return list(
            rf.pages(
                lambda page: rf.call(
                    "list the documents",
                    self._dataset.list_documents,
                    page=page,
                    page_size=rf.PAGE,
                    orderby="create_time",
                    desc=False,
                )
            )
        )

    def _find(self, document_id: str) -> Any | None:
        """The RAGFlow document of a Weft document, or None."""
        known = self._remote_ids.get(document_id)
        if known is not None:
            remote = self._by_remote_id(known)
            if remote is not None and rf.weft_id(remote) == document_id:
                return remote
        for remote in self._remote_documents():
            self._remote_ids[rf.weft_id(remote)] = remote.id
            if rf.weft_id(remote) == document_id:
                return remote
        return None

    def _remote(self, document_id: str) -> Any:
        remote = self._find(document_id)
        if remote is None:
            raise errors.NotFoundError(f"document {document_id!r} is not in this knowledge base")
        return remote

    def _by_remote_id(self, remote_id: str) -> Any | None:
        try:
            found = rf.call("find a document", self._dataset.list_documents, id=remote_id)
        except BackendRequestError:
            return None  # RAGFlow answers "You don't own the document" for an unknown id
        return found[0] if found else None

    def _update(self, remote: Any, document: Document, digest: str, rename: bool = False) -> None:
        """Write Weft's record into RAGFlow's document (an upload keeps the name RAGFlow gave,
        which has "(1)" added when the dataset already holds a file of that name)."""
        changes: dict[str, Any] = {"meta_fields": rf.meta_fields(document, digest)}
        if rename and document.name != remote.name:
            changes["name"] = document.name
        rf.call(f"change {remote.name}", remote.update, changes)
        if document.enabled != (str(remote.status) == "1"):
            self._set_enabled(remote.id, document.enabled)

    def _set_enabled(self, remote_id: str, enabled: bool) -> None:
        # Straight through the SDK's client: its Document.update fails on the `true` that
        # RAGFlow answers to a change of `enabled` (0.22.1), after the server has made it.
        path = f"/datasets/{self.dataset_id}/documents/{remote_id}"
        what = "enable a document" if enabled else "disable a document"
        rf.call(what, lambda: rf.envelope(self._rag.put(path, {"enabled": enabled}), what))

    def _delete(self, remote: Any) -> None:
        rf.call(f"delete {remote.name}", self._dataset.delete_documents, ids=[remote.id])
        self._remote_ids.pop(rf.weft_id(remote), None)


def _progress(document_id: str, remote: Any) -> ParseProgress:
    state = ParseState(rf.run_state(remote))
    progress = min(max(float(remote.progress or 0.0), 0.0), 1.0)  # RAGFlow's -1 means failed
    message = str(remote.progress_msg or "")
    return ParseProgress(document_id, state, progress, message, int(remote.chunk_count or 0))
