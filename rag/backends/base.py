"""The protocol every RAG backend follows, and the capabilities each one declares.

A backend stores documents (a record each: name, metadata, enabled, content hash, status) and
their chunks, embeds the chunks it is given with the embedder it was built with, and answers
searches with `Hit`s that carry each method's score and the fused one. The Django side drives it
through `rag.ingest` and `search`; it checks `capabilities` before offering an action (a RAGFlow
dataset, say, cannot edit one chunk), and a call that the backend does not support raises
UnsupportedOperationError.

Ingestion is resumable because `add_chunks` is idempotent by chunk id and stores a batch whole or
not at all: after a crash, `chunk_ids` tells what is already stored and only the rest is embedded.
A document is searched only once it is `INDEXED` (its content hash set by `finish_document`).

A backend whose server parses, chunks and embeds files itself (RAGFlow) is `ServerParsing`: it
takes files (`upload`) rather than chunks, and reports each document's parse (`parse_progress`).
"""

from __future__ import annotations

import enum
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar, Protocol, runtime_checkable

from rag.types import Chunk, Document, Hit, Mode, SearchRequest


@dataclass(frozen=True, slots=True)
class Capabilities:
    """What a backend can do; the pages and the node offer only these."""

    modes: frozenset[Mode] = frozenset(Mode)
    delete: bool = True  # delete a document, its chunks and vectors
    disable: bool = True  # disable a document or a chunk (kept, not searched)
    edit_chunks: bool = True  # change a chunk's text (it is embedded again)
    metadata_filter: bool = True
    persistent: bool = False  # survives the process


class Backend(Protocol):
    """One knowledge base's store and search."""

    capabilities: ClassVar[Capabilities]

    def put_document(self, document: Document) -> None:
        """Add or replace a document's record (its chunks are left as they are)."""

    def get_document(self, document_id: str) -> Document:
        """The document's record; NotFoundError if there is none."""

    def list_documents(self) -> list[Document]:
        """Every document's record, in the order they were added."""

    def set_document_enabled(self, document_id: str, enabled: bool) -> None:
        """Keep a document but leave it out of searches (or bring it back)."""

    def delete_document(self, document_id: str) -> None:
        """Remove a document with its chunks and vectors."""

    def chunk_ids(self, document_id: str) -> set[str]:
        """Ids of the document's stored chunks."""

    def add_chunks(self, chunks: Sequence[Chunk]) -> None:
        """Embed and store chunks, all or none; a chunk whose id is stored is left alone."""

    def remove_chunks(self, chunk_ids: Collection[str]) -> None:
        """Remove chunks by id (unknown ids are ignored)."""

    def finish_document(self, document_id: str, content_hash: str) -> Document:
        """Mark a document indexed with the hash of what its chunks were made from."""

    def list_chunks(self, document_id: str) -> list[Chunk]:
        """A document's chunks in order."""

    def update_chunk(
        self, chunk_id: str, *, text: str | None = None, enabled: bool | None = None
    ) -> Chunk:
        """Change a chunk's text (embedded again) or enabled flag; NotFoundError if unknown."""

    def search(self, request: SearchRequest) -> list[Hit]:
        """The best chunks for the request, best first (see `rag.retrieval`)."""

    def close(self) -> None:
        """Write anything pending and let go of files."""


class ParseState(enum.StrEnum):
    """RAGFlow's run state of a document."""

    UNSTART = "UNSTART"
    RUNNING = "RUNNING"
    CANCEL = "CANCEL"
    DONE = "DONE"
    FAIL = "FAIL"


@dataclass(frozen=True, slots=True)
class ParseProgress:
    """Where the server's parsing of one document stands; `progress` runs from 0 to 1."""

    document_id: str
    state: ParseState
    progress: float
    message: str
    chunks: int


@runtime_checkable
class ServerParsing(Protocol):
    """A backend whose server parses, chunks and embeds the files it is sent."""

    def upload(self, document: Document, path: Path) -> Document:
        """Send the file as `document` and start parsing it."""

    def parse_progress(self, document_ids: Collection[str] | None = None) -> list[ParseProgress]:
        """The parsing state of these documents (of all when None)."""

    def cancel_parsing(self, document_ids: Collection[str]) -> None:
        """Stop parsing these documents."""
