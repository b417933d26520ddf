"""The memory backend: everything in this process, nothing kept. Tests and the runtime's doubles
use it; it behaves like the embedded backend (same index, same search) without a directory."""

from __future__ import annotations

from typing import ClassVar

from rag import retrieval
from rag.backends._local import LocalBackend, NullStore
from rag.backends.base import Capabilities
from rag.embeddings import Embedder


class MemoryBackend(LocalBackend):
    """A knowledge base held in memory."""

    capabilities: ClassVar[Capabilities] = Capabilities(persistent=False)

    def __init__(
        self, embedder: Embedder | None = None, fusion: retrieval.Fusion = retrieval.Fusion.CONVEX
    ) -> None:
        super().__init__(NullStore(), embedder, fusion)
