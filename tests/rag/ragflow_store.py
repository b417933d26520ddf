"""The RAGFlow protocol server's store: datasets, documents and chunks, and the parsing thread.

Parsing walks a document through RUNNING with rising progress to DONE (or FAIL for a file that is
not text), `step_seconds` a step, as RAGFlow's task executor does; clearing `running` holds every
parse at its first step, so a test can look at a document while it is being parsed.
"""

from __future__ import annotations

import threading
import time
from typing import Any

import numpy as np

from tests.rag.ragflow_data import (
    DATA_ERROR,
    TEXT_SUFFIXES,
    ApiError,
    Embed,
    StoredChunk,
    StoredDataset,
    StoredDocument,
    chunk_id,
    split_text,
)


class RagflowStore:
    """Datasets, documents and chunks in memory, changed only under one lock."""

    def __init__(self, embed: Embed, step_seconds: float = 0.02) -> None:
        self.embed = embed
        self.step_seconds = step_seconds
        self.lock = threading.RLock()
        self.datasets: dict[str, StoredDataset] = {}
        self.documents: dict[str, StoredDocument] = {}
        self.chunks: dict[str, StoredChunk] = {}
        self.running = threading.Event()
        self.running.set()

    def _drop_document(self, document: StoredDocument) -> None:
        document.generation += 1
        for chunk in self._chunks_of(document.id):
            del self.chunks[chunk.id]
        del self.documents[document.id]

    def _reset(self, document: StoredDocument, run: str) -> None:
        document.generation += 1
        document.run, document.progress, document.progress_msg = run, 0.0, ""
        document.chunk_count = document.token_count = 0
        for chunk in self._chunks_of(document.id):
            del self.chunks[chunk.id]

    def _parse(self, document: StoredDocument, generation: int) -> None:
        steps = [
            (0.1, "Task has been received."),
            (0.4, "Start to parse."),
            (0.7, "Embedding chunks"),
        ]
        for progress, message in steps:
            time.sleep(self.step_seconds)
            if progress > steps[0][0]:
                self.running.wait()
            with self.lock:
                if document.generation != generation:
                    return  # stopped, parsed again or deleted
                document.progress, document.progress_msg = progress, message
        try:
            if document.suffix not in TEXT_SUFFIXES:
                raise ValueError("the protocol server reads text files only")
            text = document.blob.decode("utf-8")
        except (UnicodeDecodeError, ValueError) as exc:
            with self.lock:
                if document.generation == generation:
                    document.run, document.progress = "4", -1.0
                    document.progress_msg = f"[ERROR]Fail to parse {document.name}: {exc}"
            return
        config = document.parser_config
        pieces = split_text(
            text, config.get("delimiter", "\n"), int(config.get("chunk_token_num", 512))
        )
        vectors = self.embed(pieces) if pieces else np.zeros((0, 1), np.float32)
        time.sleep(self.step_seconds)
        with self.lock:
            if document.generation != generation:
                return
            for piece, vector in zip(pieces, vectors, strict=True):
                self._store_chunk(document, piece, vector)
            document.run, document.progress, document.progress_msg = "3", 1.0, "Done"
            document.token_count = sum(len(p.split()) for p in pieces)

    def _store_chunk(self, document: StoredDocument, content: str, vector: Any) -> StoredChunk:
        chunk = StoredChunk(
            chunk_id(content, document.id),
            document.id,
            document.dataset_id,
            document.name,
            content,
            np.asarray(vector, np.float32),
            available=document.status == "1",
        )
        if chunk.id not in self.chunks:
            document.chunk_count += 1
        self.chunks[chunk.id] = chunk
        return chunk

    # lookups -------------------------------------------------------------------------------
    def _dataset(
        self, dataset_id: str, *, message: str = "", lookup: bool = False
    ) -> StoredDataset:
        if dataset_id in self.datasets:
            return self.datasets[dataset_id]
        if lookup:  # RAGFlow raises LookupError here, which its error handler reports
            raise ApiError(100, f'LookupError("Can\'t find the dataset with ID {dataset_id}!")')
        raise ApiError(DATA_ERROR, message)

    def _document(self, dataset_id: str, document_id: str, message: str) -> StoredDocument:
        document = self.documents.get(document_id)
        if document is None or document.dataset_id != dataset_id:
            raise ApiError(DATA_ERROR, message)
        return document

    def _documents_of(self, dataset_id: str) -> list[StoredDocument]:
        return [d for d in self.documents.values() if d.dataset_id == dataset_id]

    def _chunks_of(self, document_id: str) -> list[StoredChunk]:
        found = [c for c in self.chunks.values() if c.document_id == document_id]
        return sorted(found, key=lambda c: c.create_timestamp)
