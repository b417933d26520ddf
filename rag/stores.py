"""Each knowledge base's backend, opened once per process and used by one thread at a time.

RAG_BACKENDS (settings) names the class of each backend kind by dotted path (built by
`_build`); a kind whose module is not installed is refused naming it. A store that lives on a
server (a RAGFlow dataset) is made when its knowledge base is (`do_open_new_store`), and what
reopens it is kept in `KnowledgeBase.store`. A backend object is not
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
from rag.backends.base import Backend, Capabilities, ServerParsing
from rag.config import max_file_bytes
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
        raise errors.SettingsError("backend", f"the {kind} backend is not offered on this server")
    unset = [
        env for option, env in entry.get("REQUIRES", {}).items() if not entry["OPTIONS"][option]
    ]
    if unset:
        needs = " and ".join(unset)
        raise errors.SettingsError(
            "backend", f"the {kind} backend needs {needs} set on this server"
        )
    try:
        return cast(type[Any], import_string(entry["BACKEND"]))
    except ImportError as exc:
        raise errors.SettingsError(
            "backend", f"the {kind} backend is not installed on this server ({exc})"
        ) from exc


def offered_backends() -> list[str]:
    """The backend kinds this server offers: configured and installed, in settings' order."""
    offered = []
    for kind in settings.RAG_BACKENDS:
        try:
            backend_class(kind)
        except errors.SettingsError:
            continue
        offered.append(kind)
    return offered


def parses_files(kind: str) -> bool:
    """Whether the kind's server parses, chunks and embeds files itself (Weft's chunking and
    embedding model do not apply)."""
    return issubclass(backend_class(kind), ServerParsing)


def _declared(kind: str, attribute: str) -> Any:
    """A class attribute of the kind's backend, whether or not its server is set (None when
    the kind or its module is missing)."""
    entry = settings.RAG_BACKENDS.get(kind)
    try:
        return getattr(import_string(entry["BACKEND"]), attribute, None) if entry else None
    except ImportError:
        return None


def capabilities(kind: str) -> Capabilities:
    """What a backend kind can do (without opening one; a kind whose server is no longer set
    still says, so that its knowledge bases are listed)."""
    caps = _declared(kind, "capabilities")
    if not isinstance(caps, Capabilities):
        backend_class(kind)  # says why: not offered, not installed
        raise errors.SettingsError("backend", f"the {kind} backend declares no capabilities")
    return caps


def file_limit(kind: str) -> int:
    """The largest file a document of this kind may be: WEFT_MAX_DOCUMENT_BYTES, or less where
    the store's server takes less (the backend's `max_file_bytes`: RAGFlow's 10 MiB)."""
    server = _declared(kind, "max_file_bytes")
    return min(max_file_bytes(), server) if isinstance(server, int) else max_file_bytes()


def _build(kb: KnowledgeBase) -> Backend:
    """`cls.for_knowledge_base(name, folder, embedder, **OPTIONS, **kb.store)` when the class
    has it (a store elsewhere names its collection or dataset `name`), else
    `cls(folder, embedder)`. A server that embeds itself gets no embedder (none is loaded)."""
    cls = backend_class(kb.backend)
    options = settings.RAG_BACKENDS[kb.backend].get("OPTIONS", {})
    folder = Path(kb.folder)
    embedder = None if issubclass(cls, ServerParsing) else get_embedder()
    opener = getattr(cls, "for_knowledge_base", None)
    if opener is not None:
        name = f"weft_{kb.pk.hex}"
        return cast(Backend, opener(name, folder, embedder, **options, **(kb.store or {})))
    return cast(Backend, cls(folder, embedder, **options))


def do_open_new_store(kb: KnowledgeBase) -> None:
    """Make (or link) a new knowledge base's store on its server, and keep in `kb.store` what
    opens it again (the caller saves `kb`); a local store is made when first used."""
    if getattr(backend_class(kb.backend), "for_knowledge_base", None) is None:
        return
    backend = _build(kb)
    try:
        kb.store = {**(kb.store or {}), **getattr(backend, "store_options", {})}
    finally:
        backend.close()


def do_drop_store(kb: KnowledgeBase, document_ids: set[str]) -> None:
    """Delete what a knowledge base keeps on a server: the whole store when Weft made it, else
    (a dataset the user linked) only the documents `document_ids` that Weft put there."""
    with open_backend(kb) as backend:
        drop = getattr(backend, "drop", None)
        linked = bool((kb.store or {}).get("linked"))
        if drop is not None and not linked:
            drop()
            return
        for record in backend.list_documents():
            if not linked or record.id in document_ids:
                backend.delete_document(record.id)


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
