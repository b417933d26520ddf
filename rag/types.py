"""The values RAG's core passes around: documents, sections, chunks, search requests and hits.

A `Document` is one uploaded file with its metadata; the loader turns its bytes into `Section`s
(a pdf page, a csv row, a whole text file); a chunker turns sections into `Chunk`s, the unit that
backends index and search returns. Ids are strings chosen by the caller (documents) or derived from
the content (chunks), so that re-running an ingestion touches nothing that is already stored.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

MetadataValue = str | int | float | bool
Metadata = Mapping[str, MetadataValue]

EMPTY: Metadata = MappingProxyType({})


class Mode(enum.StrEnum):
    """How a search ranks chunks."""

    VECTOR = "vector"
    FULL_TEXT = "full_text"
    HYBRID = "hybrid"


class DocumentStatus(enum.StrEnum):
    """Where a document's ingestion stands; only `INDEXED` documents are searched."""

    PENDING = "pending"
    INDEXED = "indexed"


@dataclass(frozen=True, slots=True)
class Document:
    """One source file in a knowledge base.

    `content_hash` is set when every chunk of the document is stored: a re-upload whose hash
    matches does no work, and one that differs replaces the chunks.
    """

    id: str
    name: str
    metadata: Metadata = field(default_factory=lambda: EMPTY)
    enabled: bool = True
    content_hash: str = ""
    status: DocumentStatus = DocumentStatus.PENDING


@dataclass(frozen=True, slots=True)
class Section:
    """A piece of a loaded file (a page, a row, the whole text) and where it came from."""

    text: str
    metadata: Metadata = field(default_factory=lambda: EMPTY)


@dataclass(frozen=True, slots=True)
class Chunk:
    """The unit a backend indexes: `text` is matched; `context`, when set, is what a hit returns.

    In parent-child mode `context` is the parent section (shared by its children, who carry its
    `parent_id`); in Q&A mode `text` is the question and `context` the question with its answer.
    """

    id: str
    document_id: str
    text: str
    position: int
    context: str | None = None
    parent_id: str | None = None
    enabled: bool = True
    metadata: Metadata = field(default_factory=lambda: EMPTY)


@dataclass(frozen=True, slots=True)
class MetadataFilter:
    """Keep the documents whose metadata `key` compares to `value` by `op`."""

    key: str
    value: MetadataValue | tuple[MetadataValue, ...]
    op: str = "eq"


@dataclass(frozen=True, slots=True)
class SearchRequest:
    """One retrieval: the threshold is applied to the final score (after fusion)."""

    query: str
    mode: Mode = Mode.HYBRID
    top_k: int = 5
    score_threshold: float | None = None
    vector_weight: float | None = None  # hybrid only; None: the backend's default
    filters: tuple[MetadataFilter, ...] = ()
    document_ids: frozenset[str] | None = None  # search only these documents; None: all


@dataclass(frozen=True, slots=True)
class Hit:
    """A chunk that matched, its document, the final `score` and each method's own score.

    `scores` has "vector" and/or "full_text" (raw: cosine similarity, BM25) for the methods that
    found the chunk, and "hybrid" for the fused score in hybrid mode.
    """

    chunk: Chunk
    document: Document
    score: float
    scores: Mapping[str, float] = field(default_factory=dict)

    @property
    def text(self) -> str:
        """What to hand an LLM: the chunk's context when it has one, else its text."""
        return self.chunk.context if self.chunk.context is not None else self.chunk.text
