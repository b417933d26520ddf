"""The backend contract: one suite, run against every backend (conftest's `backend` fixture)."""

from __future__ import annotations

from pathlib import Path

import pytest

from rag import errors
from rag.backends.base import Backend
from rag.chunking import ParentChildChunking
from rag.embeddings import MiniLM
from rag.types import Chunk, Document, DocumentStatus, Metadata, MetadataFilter, Mode, SearchRequest
from tests.rag.conftest import make_backend
from tests.rag.helpers import CountingEmbedder, add_texts


def names(hits: list) -> list[str]:  # type: ignore[type-arg]
    return [hit.document.id for hit in hits]


@pytest.mark.parametrize(
    ("mode", "query", "expected"),
    [
        (Mode.VECTOR, "which pet makes a purring sound", "cats"),
        (Mode.FULL_TEXT, "propellant exhaust", "rockets"),
        (Mode.HYBRID, "baking with yeast", "bread"),
    ],
)
def test_backend_search_finds_the_document_in_each_mode(
    backend: Backend, embedder: MiniLM, tmp_path: Path, mode: Mode, query: str, expected: str
) -> None:
    add_texts(backend, embedder, tmp_path)
    hits = backend.search(SearchRequest(query, mode=mode, top_k=3))
    assert names(hits)[0] == expected


def test_backend_hits_carry_each_methods_score_and_the_fused_one(
    backend: Backend, embedder: MiniLM, tmp_path: Path
) -> None:
    add_texts(backend, embedder, tmp_path)
    best = backend.search(SearchRequest("rocket engine thrust", mode=Mode.HYBRID))[0]
    assert set(best.scores) == {"vector", "full_text", "hybrid"}
    assert best.score == best.scores["hybrid"]
    assert 0 <= best.score <= 1
    vector_only = backend.search(SearchRequest("rocket engine thrust", mode=Mode.VECTOR))[0]
    assert set(vector_only.scores) == {"vector"}
    assert vector_only.score == pytest.approx(best.scores["vector"])


def test_backend_score_threshold_applies_to_the_fused_score(
    backend: Backend, embedder: MiniLM, tmp_path: Path
) -> None:
    add_texts(backend, embedder, tmp_path)
    everything = backend.search(SearchRequest("rocket engine thrust", top_k=10))
    threshold = (everything[0].score + everything[1].score) / 2
    kept = backend.search(
        SearchRequest("rocket engine thrust", top_k=10, score_threshold=threshold)
    )
    assert names(kept) == ["rockets"]


def test_backend_top_k_limits_the_hits(backend: Backend, embedder: MiniLM, tmp_path: Path) -> None:
    add_texts(backend, embedder, tmp_path)
    assert (
        len(backend.search(SearchRequest("animals, engines and bread", mode=Mode.VECTOR, top_k=2)))
        == 2
    )


def test_backend_deleted_document_takes_its_chunks_along(
    backend: Backend, embedder: MiniLM, tmp_path: Path
) -> None:
    add_texts(backend, embedder, tmp_path)
    backend.delete_document("cats")
    assert "cats" not in names(backend.search(SearchRequest("cat purrs", top_k=10)))
    assert backend.chunk_ids("cats") == set()
    with pytest.raises(errors.NotFoundError):
        backend.get_document("cats")
    assert [d.id for d in backend.list_documents()] == ["rockets", "bread"]


def test_backend_disabled_document_is_kept_but_not_searched(
    backend: Backend, embedder: MiniLM, tmp_path: Path
) -> None:
    add_texts(backend, embedder, tmp_path)
    backend.set_document_enabled("cats", False)
    assert "cats" not in names(backend.search(SearchRequest("cat purrs", top_k=10)))
    assert backend.list_chunks("cats")
    backend.set_document_enabled("cats", True)
    assert names(backend.search(SearchRequest("cat purrs", top_k=10)))[0] == "cats"


def test_backend_disabled_chunk_is_not_searched(
    backend: Backend, embedder: MiniLM, tmp_path: Path
) -> None:
    add_texts(backend, embedder, tmp_path)
    (chunk,) = backend.list_chunks("cats")
    assert backend.update_chunk(chunk.id, enabled=False).enabled is False
    assert "cats" not in names(backend.search(SearchRequest("cat purrs", top_k=10)))


def test_backend_edited_chunk_is_found_by_its_new_text(
    backend: Backend, embedder: MiniLM, tmp_path: Path
) -> None:
    add_texts(backend, embedder, tmp_path)
    (chunk,) = backend.list_chunks("cats")
    backend.update_chunk(chunk.id, text="Owls hunt mice at night with silent feathers.")
    assert backend.list_chunks("cats")[0].text.startswith("Owls")
    for mode in Mode:
        assert names(backend.search(SearchRequest("owls hunting at night", mode=mode)))[0] == "cats"
    assert "cats" not in names(
        backend.search(SearchRequest("purrs", mode=Mode.FULL_TEXT, top_k=10))
    )


def test_backend_unknown_chunk_or_document_is_not_found(backend: Backend) -> None:
    with pytest.raises(errors.NotFoundError):
        backend.update_chunk("nope", enabled=False)
    with pytest.raises(errors.NotFoundError):
        backend.delete_document("nope")


@pytest.mark.parametrize(
    ("filter_", "expected"),
    [
        (MetadataFilter("kind", "space"), {"rockets"}),
        (MetadataFilter("kind", ("space", "food"), op="in"), {"rockets", "bread"}),
        (MetadataFilter("year", 2022, op="gte"), {"rockets", "bread"}),
        (MetadataFilter("kind", "anim", op="contains"), {"cats"}),
    ],
)
def test_backend_metadata_filter_keeps_matching_documents(
    backend: Backend, embedder: MiniLM, tmp_path: Path, filter_: MetadataFilter, expected: set[str]
) -> None:
    add_texts(backend, embedder, tmp_path)
    hits = backend.search(SearchRequest("things", top_k=10, filters=(filter_,)))
    assert set(names(hits)) == expected


@pytest.mark.parametrize("mode", list(Mode))
def test_backend_document_ids_limit_the_search_to_those_documents(
    backend: Backend, embedder: MiniLM, tmp_path: Path, mode: Mode
) -> None:
    add_texts(backend, embedder, tmp_path)
    query = "cats rockets bread"
    only = SearchRequest(query, mode=mode, top_k=10, document_ids=frozenset({"bread", "cats"}))
    assert set(names(backend.search(only))) <= {"bread", "cats"}
    assert "bread" in names(backend.search(only))
    none = SearchRequest(query, mode=mode, top_k=10, document_ids=frozenset())
    assert backend.search(none) == []


def test_backend_metadata_filter_on_a_missing_key_names_it(
    backend: Backend, embedder: MiniLM, tmp_path: Path
) -> None:
    add_texts(backend, embedder, tmp_path)
    with pytest.raises(errors.MetadataKeyError) as caught:
        backend.search(SearchRequest("things", filters=(MetadataFilter("author", "me"),)))
    assert caught.value.field == "filters[0].key"
    assert "'author'" in caught.value.message
    assert "kind, year" in caught.value.message


def test_backend_query_longer_than_the_model_reads_is_refused_for_vectors(
    backend: Backend, embedder: MiniLM, tmp_path: Path
) -> None:
    add_texts(backend, embedder, tmp_path)
    query = "rocket " * 300
    with pytest.raises(errors.QueryTooLongError) as caught:
        backend.search(SearchRequest(query, mode=Mode.HYBRID))
    assert caught.value.field == "query"
    assert names(backend.search(SearchRequest(query, mode=Mode.FULL_TEXT)))[0] == "rockets"


def test_backend_pending_document_is_not_searched(backend: Backend, embedder: MiniLM) -> None:
    backend.put_document(Document("draft", "draft.txt"))
    backend.add_chunks([Chunk("c1", "draft", "Comets have icy tails.", 0)])
    assert backend.search(SearchRequest("comets", top_k=10)) == []
    assert backend.finish_document("draft", "h1").status is DocumentStatus.INDEXED
    assert names(backend.search(SearchRequest("comets")))[0] == "draft"


def test_backend_add_chunks_skips_stored_ids(
    backend_kind: str, embedder: MiniLM, tmp_path: Path
) -> None:
    counting = CountingEmbedder(embedder)
    backend = make_backend(backend_kind, counting, tmp_path / "kb")
    backend.put_document(Document("d", "d.txt"))
    chunks = [Chunk("c1", "d", "one", 0), Chunk("c2", "d", "two", 1)]
    backend.add_chunks(chunks)
    backend.add_chunks([*chunks, Chunk("c3", "d", "three", 2)])
    assert counting.embedded == ["one", "two", "three"]
    assert backend.chunk_ids("d") == {"c1", "c2", "c3"}


def test_backend_parent_child_hits_return_each_parent_once(
    backend: Backend, embedder: MiniLM, tmp_path: Path
) -> None:
    history = (
        "The printing press spread books across Europe.\nGutenberg built it around 1440.\n"
        "Movable type made copies cheap.\n\n"
        "The steam engine powered factories.\nJames Watt improved it in 1776."
    )
    texts: dict[str, tuple[str, str, Metadata]] = {"history": ("history.txt", history, {})}
    add_texts(
        backend,
        embedder,
        tmp_path,
        texts,
        ParentChildChunking(parent_size=64, child_size=32, child_overlap=0),
    )
    hits = backend.search(SearchRequest("Gutenberg printing press movable type", top_k=5))
    parents = [hit.chunk.parent_id for hit in hits]
    assert len(parents) == len(set(parents))
    assert "Movable type made copies cheap." in hits[0].text
    assert "Gutenberg" in hits[0].text
    assert len(hits[0].chunk.text) < len(hits[0].text)


def test_backend_empty_knowledge_base_returns_no_hits(backend: Backend) -> None:
    for mode in Mode:
        assert backend.search(SearchRequest("anything", mode=mode)) == []
