"""Request and response schemas of /api/knowledge-bases (they make the OpenAPI document).

kb_contract.md is the contract the knowledge page is built against; these follow it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from ninja import Schema
from pydantic import Field

from runtime.resources import MetadataCondition

BackendName = Literal["embedded", "milvus", "ragflow"]
ChunkingMode = Literal["general", "parent_child", "qa"]
RetrievalMode = Literal["hybrid", "vector", "full_text"]
StageName = Literal["queued", "parsing", "chunking", "embedding", "indexed", "failed"]
EvaluationStatusName = Literal["queued", "running", "succeeded", "failed"]
MetadataValue = str | int | float


class ChunkingIn(Schema):
    """How documents are cut into chunks; a field left out keeps its value (or the mode's
    default)."""

    mode: ChunkingMode | None = Field(
        None,
        description="general: chunks of `size` tokens; parent_child: small chunks matched, their"
        " parent section (`parent_size`) returned; qa: one chunk per question/answer csv row.",
    )
    size: int | None = Field(
        None, ge=32, le=4096, description="Tokens per chunk (parent-child: per child chunk)."
    )
    overlap: int | None = Field(
        None, ge=0, le=2048, description="Tokens shared with the previous chunk."
    )
    separators: list[str] | None = Field(
        None,
        min_length=1,
        max_length=1,
        description="Where to cut first (then at sentences, then at words); one for now.",
    )
    parent_size: int | None = Field(
        None, ge=32, le=4096, description="Parent-child: tokens per parent section."
    )


class ChunkingOut(Schema):
    mode: ChunkingMode
    size: int
    overlap: int
    separators: list[str]
    parent_size: int


class RetrievalIn(Schema):
    """How the knowledge base is searched by default; a field left out keeps its value."""

    mode: RetrievalMode | None = None
    weight: float | None = Field(
        None, ge=0, le=1, description="Hybrid: the vector search's share of the fused score."
    )
    top_k: int | None = Field(None, ge=1, le=50, description="How many chunks a search returns.")
    score_threshold: float | None = Field(
        None,
        ge=0,
        le=1,
        description="Drop hits whose fused score is below it (after fusion); null: keep all.",
    )


class RetrievalOut(Schema):
    mode: RetrievalMode
    weight: float
    top_k: int
    score_threshold: float | None


class CapabilitiesOut(Schema):
    modes: list[RetrievalMode]
    delete: bool = Field(description="Delete a document with its chunks and vectors.")
    disable: bool = Field(description="Disable a document or a chunk (kept, not searched).")
    edit_chunks: bool = Field(description="Change a chunk's text (it is embedded again).")
    metadata_filter: bool
    persistent: bool


class LimitsOut(Schema):
    file_bytes: int = Field(description="The largest file a document may be.")
    upload_bytes: int = Field(description="The largest upload request (all its files).")
    suffixes: list[str] = Field(description='File types read: ".txt", ".pdf", …')


class KnowledgeBaseIn(Schema):
    name: str = Field(min_length=1, max_length=100)
    description: str = Field("", max_length=2000)
    backend: BackendName = "embedded"
    chunking: ChunkingIn | None = None
    retrieval: RetrievalIn | None = None
    workspace_id: int | None = None
    ragflow_dataset_id: str | None = Field(
        None,
        max_length=64,
        description="RAGFlow only: link this existing dataset (its id in RAGFlow) instead of"
        " making a new one; the server's API key must be allowed to use it.",
    )


class KnowledgeBasePatch(Schema):
    name: str | None = Field(None, min_length=1, max_length=100)
    description: str | None = Field(None, max_length=2000)
    chunking: ChunkingIn | None = Field(
        None, description="Applies to documents uploaded (or retried) after the change."
    )
    retrieval: RetrievalIn | None = None


class KnowledgeBaseOut(Schema):
    id: str
    name: str
    description: str
    backend: BackendName
    chunking: ChunkingOut
    retrieval: RetrievalOut
    document_count: int
    chunk_count: int
    capabilities: CapabilitiesOut
    limits: LimitsOut
    ragflow_dataset_id: str | None = Field(
        None, description="RAGFlow: the dataset that holds the knowledge base."
    )
    created_at: datetime


class BackendOut(Schema):
    name: BackendName
    parses_files: bool = Field(
        description="Its server parses, chunks and embeds files itself (RAGFlow): Weft's"
        " chunking settings do not apply."
    )


class CountOut(Schema):
    done: int
    total: int


class DocumentOut(Schema):
    id: str
    name: str
    size: int
    content_hash: str = Field(description="sha256 of the file's bytes.")
    stage: StageName
    progress: CountOut = Field(
        description="Chunks embedded and stored of all its chunks; while a server that parses"
        " files (RAGFlow) is `parsing` it, that server's progress in percent (of 100)."
    )
    chunk_count: int
    error: str = Field(description="Why it failed, naming the file; empty otherwise.")
    enabled: bool
    metadata: dict[str, MetadataValue]
    created_at: datetime
    updated_at: datetime
    unchanged: bool | None = Field(
        None, description="Upload only: the same file was there already, nothing was redone."
    )


class WorkerOut(Schema):
    ok: bool
    message: str = Field(description="Why documents may wait (no worker, model unavailable).")


class DocumentListOut(Schema):
    worker: WorkerOut
    documents: list[DocumentOut]


class DocumentPatch(Schema):
    enabled: bool | None = None
    metadata: dict[str, MetadataValue] | None = Field(
        None, description="Replaces the document's metadata (keys 1 to 64 characters)."
    )


class ChunkOut(Schema):
    id: str
    index: int
    text: str
    parent_text: str | None = Field(description="Parent-child and Q&A: what a hit returns.")
    enabled: bool
    edited: bool


class ChunkPageOut(Schema):
    total: int
    chunks: list[ChunkOut]


class ChunkPatch(Schema):
    text: str | None = Field(None, min_length=1, max_length=100_000)
    enabled: bool | None = None


class SearchIn(Schema):
    query: str = Field(min_length=1, max_length=10_000)
    top_k: int | None = Field(None, ge=1, le=50)
    weight: float | None = Field(None, ge=0, le=1)
    metadata_filter: list[MetadataCondition] = Field(default_factory=list)


class ScoresOut(Schema):
    vector: float | None = Field(description="Cosine similarity; null: vector search missed it.")
    full_text: float | None = Field(description="BM25; null: full-text search missed it.")
    fused: float = Field(description="The score it is ranked by, in [0, 1].")


class HitOut(Schema):
    chunk_id: str
    text: str
    document_id: str
    document_name: str
    metadata: dict[str, MetadataValue]
    scores: ScoresOut


class SearchOut(Schema):
    vector: list[HitOut]
    full_text: list[HitOut]
    hybrid: list[HitOut]


class TestSetUploadOut(Schema):
    queries: int
    judgments: int
    unmatched: list[str] = Field(description="Corpus ids of qrels.tsv that name no document.")


class JudgmentIn(Schema):
    query: str = Field(min_length=1, max_length=10_000)
    document_id: str
    relevant: bool


class TestQueryOut(Schema):
    id: str
    text: str
    relevant: list[str] = Field(description="Ids of the documents that should come back.")


class TestSetOut(Schema):
    queries: list[TestQueryOut]


class MethodScoreOut(Schema):
    ndcg_at_10: float
    recall_at_k: float
    k: int


class SweepPointOut(Schema):
    weight: float
    top_k: int
    ndcg_at_10: float
    recall_at_k: float


class BestOut(Schema):
    weight: float
    top_k: int
    ndcg_at_10: float


class EvaluationSettingsOut(Schema):
    weight: float
    top_k: int


class EvaluationOut(Schema):
    id: str
    status: EvaluationStatusName
    progress: CountOut
    error: str
    results: dict[RetrievalMode, MethodScoreOut]
    sweep: list[SweepPointOut]
    best: BestOut | None
    settings: EvaluationSettingsOut
    created_at: datetime
