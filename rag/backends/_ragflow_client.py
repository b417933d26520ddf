"""The RAGFlow backend's side of ragflow-sdk: calls with their errors in words, documents, ids.

ragflow-sdk raises a bare Exception carrying the server's message for any non-zero `code`, and
requests' own errors when the server cannot be reached; `call` turns both into RagErrors. A
RAGFlow document keeps Weft's document id and content hash in its `meta_fields` (under
`weft_id` and `weft_hash`, next to the user's metadata), so a document made in RAGFlow's own
pages shows up in Weft under its RAGFlow id. Weft's chunk id is `<RAGFlow document id>:<RAGFlow
chunk id>`: RAGFlow's chunk calls need the document, and the id alone must be enough to edit one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, TypeVar

from rag import errors, retrieval
from rag.backends._remote import BackendRequestError, BackendUnavailableError
from rag.types import Chunk, Document, DocumentStatus, Hit, MetadataValue, Mode, SearchRequest

WEFT_ID, WEFT_HASH = "weft_id", "weft_hash"
RESERVED = (WEFT_ID, WEFT_HASH)
PAGE = 100
# Not "/": a chunk id is one segment of the API's paths. RAGFlow's ids are hex, so ":" is free.
CHUNK_ID_SEPARATOR = ":"
_AUTH_MESSAGES = ("api key is invalid", "authorization")
_Result = TypeVar("_Result")
_RUN_CODES = {"0": "UNSTART", "1": "RUNNING", "2": "CANCEL", "3": "DONE", "4": "FAIL"}


def call(what: str, function: Callable[..., _Result], *args: Any, **kwargs: Any) -> _Result:
    """Run one ragflow-sdk call; its failures become RagErrors that say `what` was asked."""
    import requests

    try:
        return function(*args, **kwargs)
    except requests.RequestException as exc:
        raise BackendUnavailableError(f"RAGFlow cannot be reached ({what}): {exc}") from exc
    except errors.RagError:
        raise
    except Exception as exc:  # ragflow-sdk raises a bare Exception with the server's message
        message = str(exc) or type(exc).__name__
        if any(m in message.lower() for m in _AUTH_MESSAGES):
            raise BackendUnavailableError(
                f"RAGFlow refused the request ({what}): {message}"
            ) from exc
        raise BackendRequestError(f"RAGFlow could not {what}: {message}") from exc


def envelope(response: Any, what: str) -> Any:
    """The `data` of a raw `{code, data, message}` answer; its message as an error otherwise."""
    body = response.json()
    if body.get("code") != 0:
        # as ragflow-sdk does, so that `call` treats both alike
        raise Exception(body.get("message") or f"code {body.get('code')}")
    return body.get("data")


def pages(fetch: Callable[[int], list[Any]]) -> Iterator[Any]:
    """Every item of a paged listing (`fetch(page)` returns one page of PAGE items)."""
    page = 1
    while True:
        items = fetch(page)
        yield from items
        if len(items) < PAGE:
            return
        page += 1


def meta(remote: Any) -> dict[str, Any]:
    """A RAGFlow document's `meta_fields` as a dict (ragflow-sdk turns a dict into an object)."""
    fields = getattr(remote, "meta_fields", None)
    if isinstance(fields, dict):
        return fields
    return {k: v for k, v in vars(fields).items() if k != "rag"} if fields is not None else {}


def weft_id(remote: Any) -> str:
    """The Weft id of a RAGFlow document (its own id if Weft did not upload it)."""
    return str(meta(remote).get(WEFT_ID) or remote.id)


def stored_hash(remote: Any) -> str:
    """The hash of the file Weft uploaded as this RAGFlow document ("" if none)."""
    return str(meta(remote).get(WEFT_HASH, ""))


def to_document(remote: Any) -> Document:
    """A RAGFlow document (ragflow_sdk's Document) as a Weft document record."""
    done = run_state(remote) == "DONE"
    return Document(
        id=weft_id(remote),
        name=remote.name,
        metadata={k: _value(v) for k, v in meta(remote).items() if k not in RESERVED},
        enabled=str(remote.status) == "1",
        content_hash=stored_hash(remote) if done else "",
        status=DocumentStatus.INDEXED if done else DocumentStatus.PENDING,
    )


def run_state(remote: Any) -> str:
    """A RAGFlow document's run state by name (RAGFlow answers a name or its number)."""
    run = str(remote.run)
    return _RUN_CODES.get(run, run.upper())


def meta_fields(document: Document, content_hash: str) -> dict[str, MetadataValue]:
    """What a RAGFlow document's `meta_fields` hold for a Weft document."""
    return {**document.metadata, WEFT_ID: document.id, WEFT_HASH: content_hash}


def _value(value: Any) -> MetadataValue:
    return value if isinstance(value, str | int | float | bool) else str(value)


def chunk_id(remote_document_id: str, remote_chunk_id: str) -> str:
    """Weft's id of a RAGFlow chunk."""
    return f"{remote_document_id}{CHUNK_ID_SEPARATOR}{remote_chunk_id}"


def split_chunk_id(chunk_id: str) -> tuple[str, str]:
    """(RAGFlow document id, RAGFlow chunk id) of a Weft chunk id; NotFoundError if malformed."""
    document, _, chunk = chunk_id.partition(CHUNK_ID_SEPARATOR)
    if not document or not chunk:
        raise errors.NotFoundError(f"chunk {chunk_id!r} is not in this knowledge base")
    return document, chunk


def to_chunk(remote: Any, document_id: str, position: int) -> Chunk:
    """A RAGFlow chunk (ragflow_sdk's Chunk) of the Weft document `document_id`."""
    return Chunk(
        id=chunk_id(remote.document_id, remote.id),
        document_id=document_id,
        text=remote.content,
        position=position,
        enabled=bool(getattr(remote, "available", True)),
    )


def same_file(remote: Any, digest: str) -> bool:
    """Whether RAGFlow holds (or is parsing) the file with this hash."""
    return stored_hash(remote) == digest and run_state(remote) in {"RUNNING", "DONE"}


def vector_weight(request: SearchRequest) -> float:
    """RAGFlow's `vector_similarity_weight` for the request's mode."""
    if request.mode is Mode.VECTOR:
        return 1.0
    if request.mode is Mode.FULL_TEXT:
        return 0.0
    if request.vector_weight is None:
        return retrieval.DEFAULT_VECTOR_WEIGHT
    return request.vector_weight


def to_hit(found: Any, documents: dict[str, Document], request: SearchRequest) -> Hit | None:
    """A RAGFlow retrieval result as a hit (None for a full-text search that no term matched)."""
    document = documents[found.document_id]
    similarity = float(found.similarity)
    vector, full_text = float(found.vector_similarity), float(found.term_similarity)
    if request.mode is Mode.VECTOR:
        scores = {"vector": vector}
    elif request.mode is Mode.FULL_TEXT:
        if full_text <= 0:
            return None
        scores = {"full_text": full_text}
    else:
        scores = {"vector": vector, "full_text": full_text, "hybrid": similarity}
    if request.score_threshold is not None and similarity < request.score_threshold:
        return None
    chunk = Chunk(chunk_id(found.document_id, found.id), document.id, found.content, 0)
    return Hit(chunk, document, similarity, scores)
