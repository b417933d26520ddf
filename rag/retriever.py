"""The workspace's Retriever (runtime.resources.RETRIEVER): the knowledge node's search.

rag's AppConfig provides it per workspace (`kernel.resources.provide`). Several knowledge bases
are searched one by one and their hits merged by the fused score (each in [0, 1], see
rag.search). An id that is not a knowledge base of this workspace raises
KnowledgeBaseNotFoundError whether or not it exists elsewhere, and a filter key no document has
MetadataKeyNotFoundError; anything else the search refuses is a RetrievalError in words.
"""

from __future__ import annotations

from collections.abc import Sequence

from kernel.db import db_call
from kernel.ids import parse_uuid
from rag import errors
from rag.models import KnowledgeBase
from rag.search import ScoredHit, missing_filter_key, search_kb
from rag.types import Mode
from runtime.errors import KnowledgeBaseNotFoundError, MetadataKeyNotFoundError, RetrievalError
from runtime.resources import MetadataCondition, RetrievalMode, RetrievedChunk


class KnowledgeRetriever:
    """Searches the knowledge bases of one workspace."""

    def __init__(self, workspace_id: int) -> None:
        self.workspace_id = workspace_id

    async def retrieve(
        self,
        query: str,
        dataset_ids: Sequence[str],
        top_k: int,
        *,
        mode: RetrievalMode = "hybrid",
        weight: float | None = None,
        metadata_filter: Sequence[MetadataCondition] = (),
    ) -> list[RetrievedChunk]:
        """The best `top_k` passages of the knowledge bases, best first by the fused score."""
        return await db_call(
            self.search, query, list(dataset_ids), top_k, Mode(mode), weight, list(metadata_filter)
        )

    def knowledge_bases(self, dataset_ids: Sequence[str]) -> list[KnowledgeBase]:
        """The workspace's knowledge bases by id, in order; KnowledgeBaseNotFoundError else."""
        found = []
        for dataset_id in dict.fromkeys(dataset_ids):
            pk = parse_uuid(dataset_id)
            kb = (
                KnowledgeBase.objects.filter(pk=pk, workspace_id=self.workspace_id).first()
                if pk
                else None
            )
            if kb is None:
                raise KnowledgeBaseNotFoundError(dataset_id)
            found.append(kb)
        return found

    def search(
        self,
        query: str,
        dataset_ids: list[str],
        top_k: int,
        mode: Mode,
        weight: float | None,
        conditions: list[MetadataCondition],
    ) -> list[RetrievedChunk]:
        """`retrieve`, synchronously (on a thread that may use the database)."""
        kbs = self.knowledge_bases(dataset_ids)
        missing = missing_filter_key(kbs, conditions)
        if missing is not None:
            raise MetadataKeyNotFoundError(conditions[missing[0]].key)
        try:
            hits = [h for kb in kbs for h in search_kb(kb, query, mode, top_k, weight, conditions)]
        except errors.RagError as exc:
            raise RetrievalError(_said(exc)) from exc
        hits.sort(key=lambda h: -h.fused)
        return [passage(h) for h in hits[:top_k]]


def _said(exc: errors.RagError) -> str:
    if isinstance(exc, errors.EmbeddingModelError):
        return f"the embedding model cannot load: {exc.message}"
    return exc.message


def passage(hit: ScoredHit) -> RetrievedChunk:
    """A hit as runtime's RetrievedChunk (Dify's citation fields)."""
    return RetrievedChunk(
        content=hit.text,
        score=hit.fused,
        document_id=hit.document_id,
        document_name=hit.document_name,
        dataset_id=str(hit.knowledge_base.pk),
        dataset_name=hit.knowledge_base.name,
        segment_id=hit.chunk_id,
        vector_score=hit.vector,
        full_text_score=hit.full_text,
        metadata=hit.metadata,
    )


def retriever_for(workspace_id: int) -> KnowledgeRetriever:
    """The workspace's retriever (the RETRIEVER provider)."""
    return KnowledgeRetriever(workspace_id)
