"""The Milvus side of the Milvus backend: two collections per knowledge base and their rows.

`<name>_chunks` holds one row per chunk: its fields, the dense vector, and `terms` (the chunk's
text as `rag.fulltext` tokenizes it: stopwords out, Snowball stems) from which Milvus's BM25
function makes the sparse vector it searches. Feeding Milvus the stems keeps full-text search the
same on milvus-lite (whose analyzer does not stem) and on a cluster, and as good as the embedded
backend's. `<name>_documents` holds the document records (Milvus needs a vector field in every
collection, so each record carries a two-number placeholder). Both are created with Strong
consistency, so a search sees what was written just before it.
"""

from __future__ import annotations

import re
import threading
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from rag import errors
from rag.backends._remote import BackendUnavailableError
from rag.types import Chunk, Document, DocumentStatus

MODEL_PROPERTY = "weft.embedding_model"
MAX_TEXT_BYTES = 65_535  # Milvus's longest VARCHAR
ID_BYTES = 512
CHUNK_FIELDS = [
    "id",
    "document_id",
    "position",
    "text",
    "context",
    "parent_id",
    "enabled",
    "metadata",
]
DOCUMENT_FIELDS = ["id", "seq", "name", "metadata", "enabled", "content_hash", "status"]
SCAN_BATCH = 1000
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,200}")
_ESCAPES = str.maketrans({"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t"})

_lite_lock = threading.Lock()
_lite_users: Counter[str] = Counter()


def check_name(name: str) -> None:
    """SettingsError unless `name` can name Milvus collections (letters, digits, underscores)."""
    if not _NAME.fullmatch(name):
        raise errors.SettingsError(
            "collection",
            "must start with a letter or an underscore and hold only letters, digits and"
            " underscores (at most 201 characters)",
        )


def quote(value: str) -> str:
    """`value` as a string literal of Milvus's filter expressions."""
    return f'"{value.translate(_ESCAPES)}"'


def one_of(field: str, values: Iterable[str]) -> str:
    """A filter expression: `field` is one of `values`."""
    return f"{field} in [{', '.join(quote(v) for v in values)}]"


def connect(uri: str, token: str) -> Any:
    """A MilvusClient for a cluster URL or a milvus-lite file (a path ending in .db)."""
    from pymilvus import MilvusClient

    if is_lite(uri):
        with _lite_lock:
            _lite_users[uri] += 1
    try:
        return MilvusClient(uri=uri, token=token)
    except Exception as exc:  # pymilvus raises several kinds; each means "cannot reach it"
        release(uri)
        if is_lite(uri):
            raise BackendUnavailableError(
                f"milvus-lite could not open {uri} ({exc}): a milvus-lite file serves one"
                " process at a time; processes that share a knowledge base need a Milvus"
                " server (MILVUS_URI)"
            ) from exc
        raise BackendUnavailableError(f"Milvus at {uri} cannot be reached: {exc}") from exc


def release(uri: str) -> None:
    """Stop this process's milvus-lite server for `uri` once no backend uses it (frees its lock)."""
    if not is_lite(uri):
        return
    with _lite_lock:
        _lite_users[uri] -= 1
        if _lite_users[uri] > 0:
            return
        del _lite_users[uri]
    from milvus_lite.server_manager import server_manager_instance

    server_manager_instance.release_server(uri)


def is_lite(uri: str) -> bool:
    """Whether `uri` names a milvus-lite file rather than a server."""
    return uri.endswith(".db")


def ensure_collections(client: Any, name: str, model: str, dimension: int) -> None:
    """Create the knowledge base's two collections if missing; check the embedding model."""
    chunks, documents = f"{name}_chunks", f"{name}_documents"
    if not client.has_collection(chunks):
        _create(client, chunks, _chunk_schema(client, dimension), {MODEL_PROPERTY: model})
        _add_indexes(client, chunks, [("vector", "FLAT", "IP"), ("sparse", "BM25", "BM25")])
    stored = client.describe_collection(chunks).get("properties", {}).get(MODEL_PROPERTY)
    if stored != model:
        raise errors.EmbeddingModelError(
            f"the Milvus collection {chunks} was built with {stored}, not {model}: re-index it"
        )
    if not client.has_collection(documents):
        _create(client, documents, _document_schema(client), {})
        _add_indexes(client, documents, [("placeholder", "FLAT", "L2")])
    client.load_collection(chunks)
    client.load_collection(documents)


def _create(client: Any, collection: str, schema: Any, properties: dict[str, str]) -> None:
    client.create_collection(
        collection, schema=schema, consistency_level="Strong", properties=properties
    )


def _add_indexes(client: Any, collection: str, indexes: list[tuple[str, str, str]]) -> None:
    params = client.prepare_index_params()
    for field, kind, metric in indexes:
        if kind == "BM25":  # bm25s's k1 and b, so scores compare with the embedded backend's
            params.add_index(
                field,
                index_type="SPARSE_INVERTED_INDEX",
                metric_type=metric,
                params={"bm25_k1": 1.5, "bm25_b": 0.75},
            )
        else:
            params.add_index(field, index_type=kind, metric_type=metric)
    # An empty collection's index is ready at once: not waiting saves pymilvus's fixed half-second
    # poll per index, and loading the collection next waits for it anyway.
    client.create_index(collection, params, sync=False)


def _chunk_schema(client: Any, dimension: int) -> Any:
    from pymilvus import DataType, Function, FunctionType

    schema = client.create_schema(auto_id=False)
    schema.add_field("id", DataType.VARCHAR, is_primary=True, max_length=ID_BYTES)
    schema.add_field("document_id", DataType.VARCHAR, max_length=ID_BYTES)
    schema.add_field("position", DataType.INT64)
    schema.add_field("text", DataType.VARCHAR, max_length=MAX_TEXT_BYTES)
    schema.add_field("context", DataType.VARCHAR, max_length=MAX_TEXT_BYTES, nullable=True)
    schema.add_field("parent_id", DataType.VARCHAR, max_length=ID_BYTES, nullable=True)
    schema.add_field("enabled", DataType.BOOL)
    schema.add_field("metadata", DataType.JSON)
    schema.add_field("terms", DataType.VARCHAR, max_length=MAX_TEXT_BYTES, enable_analyzer=True)
    schema.add_field("vector", DataType.FLOAT_VECTOR, dim=dimension)
    schema.add_field("sparse", DataType.SPARSE_FLOAT_VECTOR)
    schema.add_function(
        Function(
            name="terms_bm25",
            function_type=FunctionType.BM25,
            input_field_names=["terms"],
            output_field_names=["sparse"],
        )
    )
    return schema


def _document_schema(client: Any) -> Any:
    from pymilvus import DataType

    schema = client.create_schema(auto_id=False)
    schema.add_field("id", DataType.VARCHAR, is_primary=True, max_length=ID_BYTES)
    schema.add_field("seq", DataType.INT64)
    schema.add_field("name", DataType.VARCHAR, max_length=4096)
    schema.add_field("metadata", DataType.JSON)
    schema.add_field("enabled", DataType.BOOL)
    schema.add_field("content_hash", DataType.VARCHAR, max_length=256)
    schema.add_field("status", DataType.VARCHAR, max_length=32)
    schema.add_field("placeholder", DataType.FLOAT_VECTOR, dim=2)
    return schema


def scan(client: Any, collection: str, expr: str, fields: list[str]) -> Iterator[dict[str, Any]]:
    """Every row that matches `expr`, in batches (a plain query stops at 16,384 rows)."""
    iterator = client.query_iterator(
        collection, batch_size=SCAN_BATCH, filter=expr, output_fields=fields
    )
    try:
        while batch := iterator.next():
            yield from batch
    finally:
        iterator.close()


def document_row(document: Document, seq: int) -> dict[str, Any]:
    """A document record as a row of `<name>_documents`."""
    return {
        "id": document.id,
        "seq": seq,
        "name": document.name,
        "metadata": dict(document.metadata),
        "enabled": document.enabled,
        "content_hash": document.content_hash,
        "status": document.status.value,
        "placeholder": [0.0, 0.0],
    }


def to_document(row: dict[str, Any]) -> Document:
    """A row of `<name>_documents` as a document record."""
    return Document(
        row["id"],
        row["name"],
        dict(row["metadata"] or {}),
        bool(row["enabled"]),
        row["content_hash"],
        DocumentStatus(row["status"]),
    )


def chunk_rows(
    chunks: Sequence[Chunk],
    terms: Sequence[str],
    vectors: npt.NDArray[np.float32] | Sequence[npt.NDArray[np.float32]],
) -> list[dict[str, Any]]:
    """Chunks with their BM25 terms and vectors as rows of `<name>_chunks`."""
    for chunk in chunks:
        for field, value in (("text", chunk.text), ("context", chunk.context or "")):
            if len(value.encode()) > MAX_TEXT_BYTES:
                raise errors.SettingsError(
                    field,
                    f"chunk {chunk.position} of document {chunk.document_id!r} is longer than"
                    f" Milvus keeps ({MAX_TEXT_BYTES:,} bytes): use smaller chunks",
                )
    return [
        {
            "id": c.id,
            "document_id": c.document_id,
            "position": c.position,
            "text": c.text,
            "context": c.context,
            "parent_id": c.parent_id,
            "enabled": c.enabled,
            "metadata": dict(c.metadata),
            "terms": t[: MAX_TEXT_BYTES // 4],  # at most 4 bytes a character: never over
            "vector": np.asarray(v, np.float32).tolist(),
        }
        for c, t, v in zip(chunks, terms, vectors, strict=True)
    ]


def to_chunk(row: dict[str, Any]) -> Chunk:
    """A row (or a search hit's entity) of `<name>_chunks` as a chunk."""
    return Chunk(
        row["id"],
        row["document_id"],
        row["text"],
        int(row["position"]),
        row.get("context"),
        row.get("parent_id"),
        bool(row["enabled"]),
        dict(row.get("metadata") or {}),
    )
