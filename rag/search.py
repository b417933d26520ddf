"""Searching knowledge bases from the Django side: the test search, the retriever, evaluations.

The database decides which documents are searched: indexed, enabled, and (with a metadata
filter) meeting every `MetadataCondition` — runtime's `matches()` is the one meaning of each
operator, for every backend — and the backend is asked for those documents only. Every hit
gets a fused score in [0, 1], the one it is ranked by: hybrid's own (the fusion of normalised
scores), a vector search's cosine similarity (below 0 is 0), a full-text search's BM25 score
over the best of its list (the best hit is 1).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from rag import errors
from rag.models import Document, KnowledgeBase, Stage
from rag.stores import capabilities, open_backend
from rag.types import Hit, Mode, SearchRequest
from runtime.resources import MetadataCondition


@dataclass(frozen=True, slots=True)
class ScoredHit:
    """A chunk found in a knowledge base, with each method's score and the fused one."""

    chunk_id: str
    text: str
    document_id: str
    document_name: str
    knowledge_base: KnowledgeBase
    fused: float
    vector: float | None = None
    full_text: float | None = None
    metadata: dict[str, Any] = field(default_factory=dict)


def missing_filter_key(
    kbs: Iterable[KnowledgeBase], conditions: Sequence[MetadataCondition]
) -> tuple[int, set[str]] | None:
    """The number of the first condition whose key no document of `kbs` has, with the keys
    they have; None when every key is there."""
    if not conditions:
        return None
    keys: set[str] = set()
    rows = Document.objects.filter(knowledge_base__in=list(kbs)).values_list("metadata", flat=True)
    for metadata in rows:
        keys.update(metadata or {})
    for number, condition in enumerate(conditions):
        if condition.key not in keys:
            return number, keys
    return None


def check_filter_keys(
    kbs: Iterable[KnowledgeBase], conditions: Sequence[MetadataCondition]
) -> None:
    """MetadataKeyError naming a condition's key that no document of the knowledge bases has."""
    missing = missing_filter_key(kbs, conditions)
    if missing is not None:
        number, keys = missing
        known = ", ".join(sorted(keys)) or "none yet"
        raise errors.MetadataKeyError(
            f"metadata_filter[{number}].key",
            f"no document has the metadata key {conditions[number].key!r} (keys: {known})",
        )


def searchable(
    kb: KnowledgeBase, conditions: Sequence[MetadataCondition] = ()
) -> frozenset[str] | None:
    """Ids of the documents a search of `kb` may return: indexed, enabled, meeting the
    conditions; None when that is every document of `kb` (the store may search all). A
    dataset the user linked may hold documents made elsewhere: they are never searched."""
    documents = Document.objects.filter(knowledge_base=kb)
    everything = not conditions and not (kb.store or {}).get("linked")
    if everything and not documents.exclude(stage=Stage.INDEXED, enabled=True).exists():
        return None
    rows = documents.filter(stage=Stage.INDEXED, enabled=True).values_list("pk", "metadata")
    return frozenset(
        str(pk) for pk, metadata in rows if all(c.matches(metadata or {}) for c in conditions)
    )


def search_kb(
    kb: KnowledgeBase,
    query: str,
    mode: Mode,
    top_k: int,
    weight: float | None = None,
    conditions: Sequence[MetadataCondition] = (),
) -> list[ScoredHit]:
    """The best `top_k` chunks of `kb` for `query` by `mode`, best first."""
    if mode not in capabilities(kb.backend).modes:
        raise errors.SettingsError("mode", f"this knowledge base's backend cannot search by {mode}")
    documents = searchable(kb, conditions)
    if documents is not None and not documents:
        return []
    request = SearchRequest(
        query,
        mode=mode,
        top_k=top_k,
        vector_weight=kb.retrieval.get("weight") if weight is None else weight,
        document_ids=documents,
    )
    with open_backend(kb) as backend:
        hits = backend.search(request)
    rows = Document.objects.filter(knowledge_base=kb, pk__in=[h.document.id for h in hits])
    metadata = {str(pk): md for pk, md in rows.values_list("pk", "metadata")}
    top = max((h.score for h in hits), default=0.0)
    return [_scored(kb, h, mode, top, metadata.get(h.document.id)) for h in hits]


def _scored(
    kb: KnowledgeBase, hit: Hit, mode: Mode, top: float, metadata: dict[str, Any] | None
) -> ScoredHit:
    return ScoredHit(
        chunk_id=hit.chunk.id,
        text=hit.text,
        document_id=hit.document.id,
        document_name=hit.document.name,
        knowledge_base=kb,
        fused=fused_score(hit.score, mode, top),
        vector=hit.scores.get("vector"),
        full_text=hit.scores.get("full_text"),
        metadata=dict(hit.document.metadata if metadata is None else metadata),
    )


def fused_score(score: float, mode: Mode, top: float) -> float:
    """A backend's score as the fused score in [0, 1] (see the module's docstring)."""
    if mode is Mode.FULL_TEXT:
        score = score / top if top > 0 else 0.0
    return round(min(1.0, max(0.0, float(score))), 6)
