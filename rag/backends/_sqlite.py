"""The embedded backend's SQLite file: documents, chunks and their vectors (float32 blobs)."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Collection, Sequence
from pathlib import Path

import numpy as np
import numpy.typing as npt

from rag import errors
from rag.backends._index import ChunkIndex
from rag.types import Chunk, Document, DocumentStatus

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS documents (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, name TEXT NOT NULL,
    metadata TEXT NOT NULL, enabled INTEGER NOT NULL, content_hash TEXT NOT NULL,
    status TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS chunks (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, document_id TEXT NOT NULL,
    position INTEGER NOT NULL, text TEXT NOT NULL, context TEXT, parent_id TEXT,
    enabled INTEGER NOT NULL, metadata TEXT NOT NULL, vector BLOB NOT NULL);
CREATE INDEX IF NOT EXISTS chunks_document ON chunks (document_id);
"""
CHUNK_COLUMNS = "id, document_id, position, text, context, parent_id, enabled, metadata"


class SqliteStore:
    """One SQLite file; each method is one transaction."""

    def __init__(self, path: Path, model_id: str, dimension: int) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.dimension = dimension
        self._db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA busy_timeout=30000")
        self._db.execute("PRAGMA synchronous=NORMAL")  # WAL: no fsync per commit, still atomic
        for statement in SCHEMA.split(";"):
            if statement.strip():
                self._db.execute(statement)
        self._check_model(path, f"{model_id}/{dimension}")
        self._version = self._data_version()

    def _check_model(self, path: Path, model: str) -> None:
        self._db.execute("INSERT OR IGNORE INTO meta VALUES ('embedding_model', ?)", (model,))
        (stored,) = self._db.execute(
            "SELECT value FROM meta WHERE key = 'embedding_model'"
        ).fetchone()
        if stored != model:
            raise errors.EmbeddingModelError(
                f"{path} was built with {stored}, not {model}: re-index it"
            )

    def _data_version(self) -> int:
        return int(self._db.execute("PRAGMA data_version").fetchone()[0])

    def load(self, index: ChunkIndex) -> None:
        """Fill an empty index with what is stored."""
        for row in self._db.execute(
            "SELECT id, name, metadata, enabled, content_hash, status FROM documents ORDER BY seq"
        ):
            document = Document(
                row[0], row[1], json.loads(row[2]), bool(row[3]), row[4], DocumentStatus(row[5])
            )
            index.put_document(document)
        select = f"SELECT {CHUNK_COLUMNS}, vector FROM chunks ORDER BY seq"  # noqa: S608  # constant
        rows = self._db.execute(select).fetchall()
        chunks = [
            Chunk(r[0], r[1], r[3], r[2], r[4], r[5], bool(r[6]), json.loads(r[7])) for r in rows
        ]
        blob = b"".join(r[8] for r in rows)
        index.append(chunks, np.frombuffer(blob, np.float32).reshape(len(rows), self.dimension))
        self._version = self._data_version()

    def changed_elsewhere(self) -> bool:
        """Whether another connection has committed since this one last looked."""
        return self._data_version() != self._version

    def put_document(self, document: Document) -> None:
        """Write a document's record (its place in the order is kept)."""
        sql = (
            "INSERT INTO documents (id, name, metadata, enabled, content_hash, status)"
            " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET name = excluded.name,"
            " metadata = excluded.metadata, enabled = excluded.enabled,"
            " content_hash = excluded.content_hash, status = excluded.status"
        )
        row = (
            document.id,
            document.name,
            json.dumps(dict(document.metadata)),
            int(document.enabled),
        )
        self._write((sql, [(*row, document.content_hash, document.status.value)]))

    def delete_document(self, document_id: str) -> None:
        """Delete a document's record and chunks, together."""
        self._write(
            ("DELETE FROM chunks WHERE document_id = ?", [(document_id,)]),
            ("DELETE FROM documents WHERE id = ?", [(document_id,)]),
        )

    def add_chunks(self, chunks: Sequence[Chunk], vectors: npt.NDArray[np.float32]) -> None:
        """Write new chunks with their vectors, all or none."""
        sql = f"INSERT INTO chunks ({CHUNK_COLUMNS}, vector) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"  # noqa: S608  # constant columns
        blobs = np.ascontiguousarray(vectors, np.float32)
        self._write((sql, [(*_chunk_row(c), blobs[i].tobytes()) for i, c in enumerate(chunks)]))

    def remove_chunks(self, chunk_ids: Collection[str]) -> None:
        """Delete chunks by id."""
        self._write(("DELETE FROM chunks WHERE id = ?", [(i,) for i in chunk_ids]))

    def put_chunk(self, chunk: Chunk, vector: npt.NDArray[np.float32] | None) -> None:
        """Write a changed chunk's text, flag and (when given) vector."""
        if vector is None:
            self._write(
                (
                    "UPDATE chunks SET text = ?, enabled = ? WHERE id = ?",
                    [(chunk.text, int(chunk.enabled), chunk.id)],
                )
            )
        else:
            blob = np.ascontiguousarray(vector, np.float32).tobytes()
            sql = "UPDATE chunks SET text = ?, enabled = ?, vector = ? WHERE id = ?"
            self._write((sql, [(chunk.text, int(chunk.enabled), blob, chunk.id)]))

    def close(self) -> None:
        """Close the connection."""
        self._db.close()

    def _write(self, *statements: tuple[str, Sequence[tuple[object, ...]]]) -> None:
        """Run the statements in one transaction."""
        self._db.execute("BEGIN IMMEDIATE")
        try:
            for sql, rows in statements:
                self._db.executemany(sql, rows)
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")
        self._version = self._data_version()


def _chunk_row(c: Chunk) -> tuple[object, ...]:
    return (
        c.id,
        c.document_id,
        c.position,
        c.text,
        c.context,
        c.parent_id,
        int(c.enabled),
        json.dumps(dict(c.metadata)),
    )
