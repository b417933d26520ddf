"""The knowledge-retrieval node: searches knowledge bases, outputs the passages as `result`."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from typing import Any, ClassVar

from pydantic import Field

from runtime.errors import EmptyQueryError
from runtime.nodes.base import (
    KNOWLEDGE_BASES,
    SELECTOR,
    Done,
    Node,
    NodeConfig,
    NodeContext,
    NodeOutput,
    VarType,
)
from runtime.nodes.registry import register
from runtime.resources import (
    RETRIEVER,
    MetadataCondition,
    RetrievalMode,
    RetrievedChunk,
)
from runtime.spec import AppMode
from runtime.variables import Selector, VariablePool, extract_references, render, to_text


class KnowledgeRetrievalConfig(NodeConfig):
    query: list[str] = Field(
        min_length=2, json_schema_extra=SELECTOR, description="The text to search for."
    )
    dataset_ids: list[str] = Field(
        min_length=1, title="Knowledge bases", json_schema_extra=KNOWLEDGE_BASES
    )
    mode: RetrievalMode = Field(
        "hybrid", description="hybrid: vector and full-text search fused; or one of them."
    )
    weight: float | None = Field(
        None,
        ge=0,
        le=1,
        title="Vector weight",
        description="Hybrid only: the vector search's share of the fused score (full text gets"
        " the rest). Empty: each knowledge base's own setting.",
    )
    top_k: int = Field(4, ge=1, le=50, description="How many passages at most.")
    score_threshold: float | None = Field(
        None,
        ge=0,
        le=1,
        description="Drop passages whose fused score is below it (after fusion and rerank).",
    )
    metadata_filter: list[MetadataCondition] = Field(
        default_factory=list,
        description="Search only documents whose metadata meets every condition.",
    )


def passes(hit: RetrievedChunk, threshold: float | None) -> bool:
    """Whether a hit's fused score reaches `threshold` (every hit does without one)."""
    return threshold is None or hit.score >= threshold


@register("knowledge_retrieval", version=1)
class KnowledgeRetrievalNode(Node[KnowledgeRetrievalConfig]):
    """Searches the workspace's knowledge bases through its Retriever.

    The score threshold is applied here, to the fused score the retriever ranked by (after
    fusion and after any rerank its backend does), never to one method's score. Dify applies
    it before fusion, to each method's own scores, so a passage that full-text search ranks
    first can be lost because its vector score is low; its users report such lost hits.
    """

    type_title = "Knowledge retrieval"
    category = "knowledge"
    description = "Search knowledge bases; the passages and their sources come out as `result`."
    output_types: ClassVar[Mapping[str, VarType]] = {"result": "array"}
    needs = (RETRIEVER,)
    palette_rank = 15

    @classmethod
    def default_config(cls, mode: AppMode) -> dict[str, Any]:
        """In a chat app the user's message is the query, and the knowledge bases are the one
        thing to pick; a workflow app has no sys.query, so its query is to pick too."""
        config = super().default_config(mode)
        config["query"] = ["sys", "query"] if mode == "chat" else []
        config["dataset_ids"] = []
        return config

    def references(self) -> list[Selector]:
        """The query's selector, and references in the metadata filter's values."""
        refs: dict[Selector, None] = {tuple(self.config.query): None}
        for cond in self.config.metadata_filter:
            if isinstance(cond.value, str):
                refs.update(dict.fromkeys(extract_references(cond.value)))
        return list(refs)

    def conditions(self, pool: VariablePool) -> list[MetadataCondition]:
        """The metadata filter with the references in its values rendered."""
        return [
            c.model_copy(update={"value": render(c.value, pool)})
            if isinstance(c.value, str) and "{{#" in c.value
            else c
            for c in self.config.metadata_filter
        ]

    async def run(self, ctx: NodeContext) -> AsyncIterator[NodeOutput]:
        """Search; output the passages that pass the threshold and cite them. The metadata's
        `retrieval` (the node's own, for the trace) lists every hit with its per-method scores
        and whether the threshold kept it."""
        cfg = self.config
        query = to_text(ctx.pool.lookup(cfg.query)).strip()
        if not query:
            raise EmptyQueryError(".".join(cfg.query))
        hits = await ctx.get(RETRIEVER).retrieve(
            query,
            cfg.dataset_ids,
            cfg.top_k,
            mode=cfg.mode,
            weight=cfg.weight,
            metadata_filter=self.conditions(ctx.pool),
        )
        hits = hits[: cfg.top_k]  # the page is the node's: more than top_k is cut
        kept = [h for h in hits if passes(h, cfg.score_threshold)]
        trace = {"query": query, "hits": [_scores(h, cfg.score_threshold) for h in hits]}
        yield Done(
            {"result": [h.as_result() for h in kept]},
            metadata={
                "retriever_resources": [h.as_citation(i) for i, h in enumerate(kept, 1)],
                "retrieval": trace,
            },
        )


def _scores(hit: RetrievedChunk, threshold: float | None) -> dict[str, Any]:
    return {
        "segment_id": hit.segment_id,
        "document_name": hit.document_name,
        "score": hit.score,
        "vector_score": hit.vector_score,
        "full_text_score": hit.full_text_score,
        "kept": passes(hit, threshold),
    }
