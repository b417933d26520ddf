"""The embedded backend on disk: reopened as it was, and seeing what another process wrote."""

from __future__ import annotations

from pathlib import Path

import pytest

from rag import errors
from rag.backends.embedded import EmbeddedBackend
from rag.embeddings import MiniLM
from rag.types import Mode, SearchRequest
from tests.rag.helpers import add_texts


def test_embedded_backend_reopens_with_everything_it_stored(
    embedder: MiniLM, tmp_path: Path
) -> None:
    first = EmbeddedBackend(tmp_path / "kb", embedder)
    add_texts(first, embedder, tmp_path / "files")
    first.set_document_enabled("bread", False)
    (chunk,) = first.list_chunks("cats")
    first.update_chunk(chunk.id, text="Owls hunt at night.")
    before = first.search(SearchRequest("owls at night", top_k=3))
    documents, chunks = first.list_documents(), first.list_chunks("cats")
    first.close()

    again = EmbeddedBackend(tmp_path / "kb", embedder)
    assert again.list_documents() == documents
    assert again.list_chunks("cats") == chunks
    after = again.search(SearchRequest("owls at night", top_k=3))
    assert [(h.chunk.id, h.scores) for h in after] == [(h.chunk.id, h.scores) for h in before]


def test_embedded_backend_sees_what_another_process_wrote(embedder: MiniLM, tmp_path: Path) -> None:
    web = EmbeddedBackend(tmp_path / "kb", embedder)
    assert web.search(SearchRequest("cat purrs", mode=Mode.FULL_TEXT)) == []
    worker = EmbeddedBackend(tmp_path / "kb", embedder)
    add_texts(worker, embedder, tmp_path / "files")
    assert web.search(SearchRequest("cat purrs"))[0].document.id == "cats"
    worker.delete_document("cats")
    assert "cats" not in [h.document.id for h in web.search(SearchRequest("cat purrs", top_k=5))]


def test_embedded_backend_refuses_a_directory_built_with_another_model(
    embedder: MiniLM, tmp_path: Path
) -> None:
    EmbeddedBackend(tmp_path / "kb", embedder).close()

    class Wider(MiniLM):
        model_id, dimension = "wider-model", 768

    with pytest.raises(errors.EmbeddingModelError, match="was built with all-MiniLM-L6-v2/384"):
        EmbeddedBackend(tmp_path / "kb", Wider())
