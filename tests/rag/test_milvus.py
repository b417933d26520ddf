"""The Milvus backend beyond the contract suite: milvus-lite files, and a cluster (`external`,
when MILVUS_URI is set)."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from rag import errors
from rag.backends._remote import BackendUnavailableError
from rag.backends.milvus import MilvusBackend
from rag.embeddings import MiniLM
from rag.types import Chunk, Document, Mode, SearchRequest
from tests.rag.helpers import FACTS, CountingEmbedder, add_texts


def names(backend: MilvusBackend, query: str, mode: Mode = Mode.HYBRID) -> list[str]:
    return [h.document.id for h in backend.search(SearchRequest(query, mode=mode, top_k=10))]


def test_milvus_reopened_file_keeps_documents_chunks_and_search(
    embedder: MiniLM, tmp_path: Path
) -> None:
    uri = str(tmp_path / "kb.db")
    backend = MilvusBackend(uri, "kb", embedder)
    add_texts(backend, embedder, tmp_path / "files")
    backend.set_document_enabled("bread", False)
    backend.close()
    reopened = MilvusBackend(uri, "kb", embedder)
    try:
        assert [d.id for d in reopened.list_documents()] == ["cats", "rockets", "bread"]
        assert reopened.get_document("bread").enabled is False
        assert names(reopened, "propellant exhaust", Mode.FULL_TEXT) == ["rockets"]
    finally:
        reopened.close()


def test_milvus_two_knowledge_bases_share_a_file(embedder: MiniLM, tmp_path: Path) -> None:
    uri = str(tmp_path / "kb.db")
    first, second = MilvusBackend(uri, "first", embedder), MilvusBackend(uri, "second", embedder)
    try:
        add_texts(first, embedder, tmp_path / "a", {"cats": FACTS["cats"]})
        first.close()  # the file's server stays up for the other knowledge base
        add_texts(second, embedder, tmp_path / "b", {"bread": FACTS["bread"]})
        assert names(second, "sourdough yeast") == ["bread"]
    finally:
        second.close()


def test_milvus_full_text_matches_other_forms_of_a_word(embedder: MiniLM, tmp_path: Path) -> None:
    # milvus-lite's analyzer does not stem: the backend indexes rag.fulltext's stems
    backend = MilvusBackend(str(tmp_path / "kb.db"), "kb", embedder)
    try:
        add_texts(backend, embedder, tmp_path / "files")
        assert names(backend, "burning engines", Mode.FULL_TEXT) == ["rockets"]
        assert names(backend, "the and of", Mode.FULL_TEXT) == []
    finally:
        backend.close()


def test_milvus_collection_built_with_another_model_is_refused(
    embedder: MiniLM, tmp_path: Path
) -> None:
    uri = str(tmp_path / "kb.db")
    MilvusBackend(uri, "kb", embedder).close()
    other = CountingEmbedder(embedder)
    other.model_id = "another-model"
    with pytest.raises(errors.EmbeddingModelError, match="re-index"):
        MilvusBackend(uri, "kb", other)


def test_milvus_bad_collection_name_names_the_field(embedder: MiniLM, tmp_path: Path) -> None:
    with pytest.raises(errors.SettingsError) as caught:
        MilvusBackend(str(tmp_path / "kb.db"), "my kb!", embedder)
    assert caught.value.field == "collection"


def test_milvus_chunk_longer_than_milvus_keeps_is_refused(embedder: MiniLM, tmp_path: Path) -> None:
    backend = MilvusBackend(str(tmp_path / "kb.db"), "kb", embedder)
    try:
        backend.put_document(Document("big", "big.csv"))
        huge = Chunk("c", "big", "question?", 0, context="answer " * 10_000)
        with pytest.raises(errors.SettingsError, match="'big'") as caught:
            backend.add_chunks([huge])
        assert caught.value.field == "context"
        assert backend.chunk_ids("big") == set()
    finally:
        backend.close()


def test_milvus_lite_file_open_in_another_process_says_so(embedder: MiniLM, tmp_path: Path) -> None:
    uri = str(tmp_path / "kb.db")
    backend = MilvusBackend(uri, "kb", embedder)
    opener = (
        "from rag.backends import _milvus_store as s\n"
        "try:\n"
        f"    s.connect({uri!r}, '')\n"
        "except Exception as exc:\n"
        "    print(type(exc).__name__, exc)\n"
    )
    try:
        done = subprocess.run(  # this interpreter, a fixed script
            [sys.executable, "-c", opener], capture_output=True, text=True, check=True
        )
    finally:
        backend.close()
    assert done.stdout.startswith(BackendUnavailableError.__name__)
    assert "one process at a time" in done.stdout
    assert "MILVUS_URI" in done.stdout


@pytest.mark.external
def test_milvus_cluster_indexes_and_searches(embedder: MiniLM, tmp_path: Path) -> None:
    uri = os.environ.get("MILVUS_URI")
    if not uri:
        pytest.skip("set MILVUS_URI (and MILVUS_TOKEN if needed) to run against a Milvus server")
    collection = f"weft_test_{uuid.uuid4().hex[:12]}"
    backend = MilvusBackend(uri, collection, embedder, token=os.environ.get("MILVUS_TOKEN", ""))
    try:
        add_texts(backend, embedder, tmp_path)
        best = backend.search(SearchRequest("rocket engine thrust"))[0]
        assert best.document.id == "rockets"
        assert set(best.scores) == {"vector", "full_text", "hybrid"}
        assert names(backend, "burning engines", Mode.FULL_TEXT) == ["rockets"]
    finally:
        from pymilvus import MilvusClient

        client = MilvusClient(uri=uri, token=os.environ.get("MILVUS_TOKEN", ""))
        for suffix in ("_chunks", "_documents"):
            client.drop_collection(collection + suffix)
        backend.close()
