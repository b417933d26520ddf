"""Ingestion: progress per document, no work for an unchanged file, resumable after a crash."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest

from rag import errors, ingest
from rag.backends.embedded import EmbeddedBackend
from rag.chunking import GeneralChunking
from rag.embeddings import MiniLM
from rag.ingest import Progress, Stage, Upload
from rag.types import Chunk, Document, DocumentStatus, Mode, SearchRequest
from tests.rag.helpers import CountingEmbedder

LONG = "\n\n".join(
    f"Paragraph {n} is about the river delta number {n} and its birds." for n in range(40)
)


class DyingBackend(EmbeddedBackend):
    """An embedded backend whose worker dies on its `dies_at`-th add_chunks call."""

    def __init__(self, directory: Path, embedder: CountingEmbedder, dies_at: int) -> None:
        super().__init__(directory, embedder)
        self.calls, self.dies_at = 0, dies_at

    def add_chunks(self, chunks: Sequence[Chunk]) -> None:
        self.calls += 1
        if self.calls == self.dies_at:
            raise KeyboardInterrupt("worker killed")
        super().add_chunks(chunks)


def run(
    backend: EmbeddedBackend, embedder: CountingEmbedder, uploads: list[Upload]
) -> list[Progress]:
    events: list[Progress] = []
    config = GeneralChunking(size=32, overlap=0)
    ingest.ingest(
        backend,
        uploads,
        config,
        embedder.token_ids,
        model_id=embedder.model_id,
        progress=events.append,
    )
    return events


def upload(folder: Path, document_id: str, name: str, text: str | bytes) -> Upload:
    path = folder / name
    path.write_bytes(text.encode() if isinstance(text, str) else text)
    return Upload(Document(document_id, name), path)


def test_ingest_reports_each_stage_of_each_document(embedder: MiniLM, tmp_path: Path) -> None:
    counting = CountingEmbedder(embedder)
    events = run(
        EmbeddedBackend(tmp_path / "kb", counting), counting, [upload(tmp_path, "d", "d.txt", LONG)]
    )
    stages = [e.stage for e in events]
    assert stages[:2] == [Stage.PARSING, Stage.CHUNKING]
    assert stages[-1] is Stage.INDEXED
    assert events[-1].done == events[-1].total == len(counting.embedded)


def test_ingest_unchanged_reupload_does_no_work(embedder: MiniLM, tmp_path: Path) -> None:
    counting = CountingEmbedder(embedder)
    backend = EmbeddedBackend(tmp_path / "kb", counting)
    files = [upload(tmp_path, "d", "d.txt", LONG)]
    run(backend, counting, files)
    counting.embedded.clear()
    assert [e.stage for e in run(backend, counting, files)] == [Stage.UNCHANGED]
    assert counting.embedded == []


def test_ingest_changed_file_replaces_its_chunks(embedder: MiniLM, tmp_path: Path) -> None:
    counting = CountingEmbedder(embedder)
    backend = EmbeddedBackend(tmp_path / "kb", counting)
    run(backend, counting, [upload(tmp_path, "d", "d.txt", "Herons nest in the reeds.")])
    run(backend, counting, [upload(tmp_path, "d", "d.txt", "Pelicans fish in the bay.")])
    assert [c.text for c in backend.list_chunks("d")] == ["Pelicans fish in the bay."]
    assert backend.search(SearchRequest("herons reeds", mode=Mode.FULL_TEXT)) == []


def test_ingest_resumes_after_a_crash_embedding_nothing_twice(
    embedder: MiniLM, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ingest, "BATCH", 4)
    counting = CountingEmbedder(embedder)
    files = [
        upload(tmp_path, "a", "a.txt", LONG),
        upload(tmp_path, "b", "b.txt", LONG.replace("river", "lake")),
    ]
    with pytest.raises(KeyboardInterrupt):
        run(DyingBackend(tmp_path / "kb", counting, dies_at=5), counting, files)
    first = list(counting.embedded)
    restarted = EmbeddedBackend(tmp_path / "kb", counting)  # a new worker process
    assert restarted.get_document("a").status is DocumentStatus.PENDING
    assert restarted.search(SearchRequest("river delta birds", mode=Mode.FULL_TEXT)) == []
    run(restarted, counting, files)
    total = len(restarted.chunk_ids("a")) + len(restarted.chunk_ids("b"))
    assert len(first) == 4 * 4  # four batches were stored before the fifth call died
    assert len(counting.embedded) == total
    assert len(set(counting.embedded)) == len(counting.embedded)  # none embedded twice
    assert [d.status for d in restarted.list_documents()] == [DocumentStatus.INDEXED] * 2


def test_ingest_bad_file_fails_alone_and_leaves_nothing(embedder: MiniLM, tmp_path: Path) -> None:
    counting = CountingEmbedder(embedder)
    backend = EmbeddedBackend(tmp_path / "kb", counting)
    files = [
        upload(tmp_path, "bad", "bad.txt", "caf\xe9".encode("latin-1")),
        upload(tmp_path, "ok", "ok.txt", LONG),
    ]
    final = ingest.ingest(
        backend, files, GeneralChunking(), counting.token_ids, model_id=counting.model_id
    )
    assert [p.stage for p in final] == [Stage.FAILED, Stage.INDEXED]
    assert isinstance(final[0].error, errors.WrongEncodingError)
    assert final[0].error.file == "bad.txt"
    with pytest.raises(errors.NotFoundError):
        backend.get_document("bad")
