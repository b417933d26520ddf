"""Each knowledge base's backend, opened once per process and used by one thread at a time.

RAG_BACKENDS (settings) names the class of each backend kind by dotted path (built by
`_build`); a kind whose module is not installed is refused naming it. A backend object is not
thread-safe (the embedded one holds its index in memory and one SQLite connection), so
`open_backend` hands it out under the knowledge base's lock; the embedded backend reloads by
itself what another process (the worker) has written.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

from django.conf import settings
from django.utils.module_loading import import_string

from rag import errors
from rag.backends.base import Backend, Capabilities
from rag.embeddings import Embedder, default_embedder
from rag.models import KnowledgeBase


@dataclass(slots=True)
class _Open:
    backend: Backend
    lock: threading.Lock


_open: dict[str, _Open] = {}
_guard = threading.Lock()


def get_embedder() -> Embedder:
    """The process's embedding model (EmbeddingModelError when it cannot load)."""
    return default_embedder()


def backend_class(kind: str) -> type[Any]:
    """The class RAG_BACKENDS names for `kind`; SettingsError on `backend` when it is missing."""
    entry = settings.RAG_BACKENDS.get(kind)
    if entry is None:
        raise errors.SettingsError("backend", f"there is no {kind!r} backend")
    try:
        return cast(type[Any], import_string(entry["BACKEND"]))
    except ImportError as exc:
        raise errors.SettingsError(
            "backend", f"the {kind} backend is not installed on this server ({exc})"
        ) from exc


def capabilities(kind: str) -> Capabilities:
    """What a backend kind can do (without opening one)."""
    caps = backend_class(kind).capabilities
    if not isinstance(caps, Capabilities):
        raise errors.SettingsError("backend", f"the {kind} backend declares no capabilities")
    return caps


def _build(kb: KnowledgeBase) -> Backend:
    """`cls.for_knowledge_base(name, folder, embedder, **OPTIONS)` when the class has it (a
    store elsewhere names its collection or dataset `name`), else `cls(folder, embedder)`."""
    cls = backend_class(kb.backend)
    options = settings.RAG_BACKENDS[kb.backend].get("OPTIONS", {})
    folder, embedder = Path(kb.folder), get_embedder()
    opener = getattr(cls, "for_knowledge_base", None)
    if opener is not None:
        return cast(Backend, opener(f"weft_{kb.pk.hex}", folder, embedder, **options))
    return cast(Backend, cls(folder, embedder, **options))


@contextmanager
def open_backend(kb: KnowledgeBase) -> Iterator[Backend]:
    """The knowledge base's backend, for this thread alone until the block ends."""
    key = str(kb.pk)
    with _guard:
        entry = _open.get(key)
        if entry is None:
            entry = _open[key] = _Open(_build(kb), threading.Lock())
    with entry.lock:
        yield entry.backend


def forget(kb_id: object) -> None:
    """Close a knowledge base's backend in this process (it was deleted)."""
    with _guard:
        entry = _open.pop(str(kb_id), None)
    if entry is not None:
        with entry.lock:
            entry.backend.close()
