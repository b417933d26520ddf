"""What the RAGFlow protocol server holds: datasets, documents and chunks in memory.

Field names, run states and messages are RAGFlow 0.22's (api/apps/sdk/doc.py, dataset.py); the
parsing and the scoring are small stand-ins for RAGFlow's: a document's text is cut at its
delimiter into chunks of at most `chunk_token_num` words, embedded by the embedder the server was
given; retrieval's `vector_similarity` is cosine similarity, `term_similarity` the idf-weighted
share of the question's terms that the chunk holds (as RAGFlow's FulltextQueryer.similarity),
and `similarity` their mix by `vector_similarity_weight`.
"""

from __future__ import annotations

import hashlib
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from rag.fulltext import tokenize

Embed = Callable[[Sequence[str]], npt.NDArray[np.float32]]
RUN_NAMES = {"0": "UNSTART", "1": "RUNNING", "2": "CANCEL", "3": "DONE", "4": "FAIL"}
TEXT_SUFFIXES = {"txt", "md", "markdown", "csv", "json", "html", "htm"}
FILE_SUFFIXES = TEXT_SUFFIXES | {"pdf", "docx", "doc", "pptx", "xlsx"}
DEFAULT_PARSER = {
    "chunk_token_num": 512,
    "delimiter": "\n",
    "html4excel": False,
    "layout_recognize": "DeepDOC",
    "raptor": {"use_raptor": False},
}
_clock = threading.Lock()
_last = [0]


ARGUMENT_ERROR, DATA_ERROR, PERMISSION_ERROR, NOT_FOUND = 101, 102, 108, 404  # RAGFlow's RetCode


class ApiError(Exception):
    """An answer with a non-zero code: RAGFlow's `{code, message}`."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code, self.message = code, message


def new_id() -> str:
    """An id as RAGFlow makes them (32 hex digits)."""
    return uuid.uuid4().hex


def now_ms() -> int:
    """Milliseconds since 1970, strictly increasing, so `create_time` orders what was made."""
    with _clock:
        _last[0] = max(int(time.time() * 1000), _last[0] + 1)
        return _last[0]


@dataclass
class StoredChunk:
    """A chunk in the document store."""

    id: str
    document_id: str
    dataset_id: str
    document_name: str
    content: str
    vector: npt.NDArray[np.float32]
    available: bool = True
    important_keywords: list[str] = field(default_factory=list)
    questions: list[str] = field(default_factory=list)
    create_timestamp: float = field(default_factory=time.time)
    terms: set[str] = field(init=False)

    def __post_init__(self) -> None:
        self.terms = set(tokenize([self.content])[0])

    def as_listed(self) -> dict[str, Any]:
        """The chunk as GET …/chunks lists it."""
        return {
            "id": self.id,
            "content": self.content,
            "document_id": self.document_id,
            "docnm_kwd": self.document_name,
            "important_keywords": self.important_keywords,
            "questions": self.questions,
            "dataset_id": self.dataset_id,
            "image_id": "",
            "available": self.available,
            "positions": [],
        }


@dataclass
class StoredDocument:
    """A document: the file, its parsing state and its metadata."""

    id: str
    dataset_id: str
    name: str
    blob: bytes
    parser_config: dict[str, Any]
    chunk_method: str = "naive"
    run: str = "0"
    status: str = "1"
    progress: float = 0.0
    progress_msg: str = ""
    chunk_count: int = 0
    token_count: int = 0
    meta_fields: dict[str, Any] = field(default_factory=dict)
    create_time: int = field(default_factory=now_ms)
    generation: int = 0  # bumped by each parse or stop, so a stale parse thread gives up

    @property
    def suffix(self) -> str:
        """The file name's extension."""
        return self.name.rsplit(".", 1)[-1].lower() if "." in self.name else ""

    def as_json(self) -> dict[str, Any]:
        """The document as the list and update endpoints return it."""
        return {
            "id": self.id,
            "dataset_id": self.dataset_id,
            "name": self.name,
            "location": self.name,
            "size": len(self.blob),
            "suffix": self.suffix,
            "type": "doc",
            "source_type": "local",
            "thumbnail": "",
            "created_by": "tenant",
            "chunk_method": self.chunk_method,
            "parser_config": self.parser_config,
            "run": RUN_NAMES[self.run],
            "status": self.status,
            "progress": self.progress,
            "progress_msg": self.progress_msg,
            "process_begin_at": None,
            "process_duration": 0.0,
            "chunk_count": self.chunk_count,
            "token_count": self.token_count,
            "meta_fields": self.meta_fields,
            "create_time": self.create_time,
            "update_time": self.create_time,
        }


@dataclass
class StoredDataset:
    """A dataset and its settings."""

    id: str
    name: str
    chunk_method: str
    parser_config: dict[str, Any]
    embedding_model: str
    description: str | None = None
    create_time: int = field(default_factory=now_ms)

    def as_json(self, documents: int, chunks: int) -> dict[str, Any]:
        """The dataset as the create and list endpoints return it."""
        return {
            "id": self.id,
            "name": self.name,
            "avatar": None,
            "description": self.description,
            "embedding_model": self.embedding_model,
            "permission": "me",
            "chunk_method": self.chunk_method,
            "parser_config": self.parser_config,
            "document_count": documents,
            "chunk_count": chunks,
            "token_num": 0,
            "language": "English",
            "pagerank": 0,
            "similarity_threshold": 0.2,
            "vector_similarity_weight": 0.3,
            "status": "1",
            "tenant_id": "tenant",
            "created_by": "tenant",
            "create_time": self.create_time,
            "update_time": self.create_time,
        }


def chunk_id(content: str, document_id: str) -> str:
    """A chunk's id from its content and document (RAGFlow hashes the two with xxhash64)."""
    return hashlib.blake2b((content + document_id).encode(), digest_size=8).hexdigest()


def split_text(text: str, delimiter: str, size: int) -> list[str]:
    """Pieces of `text` cut at `delimiter`, merged up to `size` words each (RAGFlow's naive)."""
    chunks: list[str] = []
    current: list[str] = []
    words = 0
    for piece in (p.strip() for p in text.split(delimiter or "\n")):
        if not piece:
            continue
        count = len(piece.split())
        if current and words + count > size:
            chunks.append("\n".join(current))
            current, words = [], 0
        current.append(piece)
        words += count
    if current:
        chunks.append("\n".join(current))
    return chunks


def term_similarity(question: list[str], chunks: Sequence[StoredChunk]) -> list[float]:
    """The idf-weighted share of the question's terms that each chunk holds."""
    terms = list(dict.fromkeys(question))
    if not terms or not chunks:
        return [0.0] * len(chunks)
    count = len(chunks)
    weights = {
        t: float(np.log(1 + (count - df + 0.5) / (df + 0.5)))
        for t in terms
        for df in [sum(t in c.terms for c in chunks)]
    }
    total = sum(weights.values()) + 1e-9
    return [sum(weights[t] for t in terms if t in c.terms) / total for c in chunks]


def highlight(content: str, question: list[str]) -> str:
    """The content with the words that match the question's terms in <em>."""
    wanted = set(question)
    words = content.split(" ")
    return " ".join(f"<em>{w}</em>" if set(tokenize([w])[0]) & wanted else w for w in words)


def desc(args: dict[str, str]) -> bool:
    """Whether a listing is newest first (`desc`, true unless "false")."""
    return str(args.get("desc", "true")).strip().lower() != "false"


def page(items: list[Any], args: dict[str, str], default_size: int = 30) -> list[Any]:
    """The `page` (from 1) of `page_size` items."""
    number, size = int(args.get("page", 1)), int(args.get("page_size", default_size))
    return items[(number - 1) * size : number * size]


def rank(body: dict[str, Any], pool: list[StoredChunk], query: Any) -> dict[str, Any]:
    """Retrieval's answer: the pool's chunks by similarity, over the threshold, one page."""
    weight = float(body.get("vector_similarity_weight", 0.3))
    threshold = float(body.get("similarity_threshold", 0.2))
    number, size = int(body.get("page", 1)), int(body.get("page_size", 30))
    terms = tokenize([body["question"]])[0]
    vector = [float(np.dot(c.vector, query)) for c in pool]
    term = term_similarity(terms, pool)
    if sum(vector) == 0:
        mixed = term
    else:
        mixed = [weight * v + (1 - weight) * t for v, t in zip(vector, term, strict=True)]
    order = sorted(range(len(pool)), key=lambda i: -mixed[i])
    kept = [i for i in order if mixed[i] >= threshold]
    chunks = [
        {
            "id": pool[i].id,
            "content": pool[i].content,
            "content_ltks": " ".join(tokenize([pool[i].content])[0]),
            "document_id": pool[i].document_id,
            "document_keyword": pool[i].document_name,
            "dataset_id": pool[i].dataset_id,
            "important_keywords": pool[i].important_keywords,
            "image_id": "",
            "similarity": mixed[i],
            "vector_similarity": vector[i],
            "term_similarity": term[i],
            "positions": [],
            "doc_type_kwd": "",
            "highlight": highlight(pool[i].content, terms),
        }
        for i in kept[(number - 1) * size : number * size]
    ]
    counts: dict[str, dict[str, Any]] = {}
    for chunk in chunks:
        entry = counts.setdefault(
            str(chunk["document_keyword"]), {"doc_id": chunk["document_id"], "count": 0}
        )
        entry["count"] += 1
    aggs = [{"doc_name": k, "doc_id": v["doc_id"], "count": v["count"]} for k, v in counts.items()]
    return {
        "total": len(kept),
        "chunks": chunks,
        "doc_aggs": sorted(aggs, key=lambda a: -a["count"]),
    }
