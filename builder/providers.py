"""Model providers for a workspace: the built-in embedded model, VLLM_BASE_URL, and DB rows.

Clients are built once per process and reused, so their HTTP connection pools are shared by all
runs (many concurrent requests reach the model server concurrently).
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

from builder._ttl import TTLCache
from builder.asgi_service import db_call
from builder.crypto import decrypt
from builder.models import ModelProvider, ProviderKind
from runtime.errors import ModelNotFoundError
from runtime.llm.openai_compat import OpenAICompatibleClient
from runtime.llm.protocol import ChatChunk, ChatModel, ChatRequest, ModelInfo
from runtime.llm.vllm import VLLMClient

EMBEDDED = "embedded"
VLLM = "vllm"
EMBEDDED_MODEL_NAME = "smollm2-135m-instruct"

_clients: dict[tuple[object, ...], ChatModel] = {}
_clients_lock = threading.Lock()


class LazyEmbeddedModel:
    """The in-process engine, loaded on first use off the event loop (a few seconds)."""

    def __init__(self) -> None:
        self._engine: ChatModel | None = None
        self._lock = threading.Lock()

    def load(self) -> ChatModel:
        """Load (converting the shipped GGUF once if needed) and return the engine."""
        with self._lock:
            if self._engine is None:
                from runtime.llm.embedded import EmbeddedEngine, ensure_converted

                configured = settings.WEFT_EMBEDDED_MODEL
                model_dir = (
                    Path(configured) if configured else ensure_converted(settings.WEFT_MODELS_DIR)
                )
                self._engine = EmbeddedEngine(model_dir, model_id=EMBEDDED_MODEL_NAME)
            return self._engine

    async def _engine_async(self) -> ChatModel:
        if self._engine is not None:
            return self._engine
        return await asyncio.to_thread(self.load)

    async def stream(self, request: ChatRequest) -> AsyncIterator[ChatChunk]:
        """Stream from the loaded engine."""
        engine = await self._engine_async()
        async for chunk in engine.stream(request):
            yield chunk

    async def list_models(self) -> list[ModelInfo]:
        """The base model and any loaded adapters."""
        engine = await self._engine_async()
        return await engine.list_models()


def _cached(key: tuple[object, ...], build: Callable[[], ChatModel]) -> ChatModel:
    with _clients_lock:
        client = _clients.get(key)
        if client is None:
            client = _clients[key] = build()
        return client


_embedded = LazyEmbeddedModel()


def get_embedded_model() -> ChatModel:
    """The embedded model: a shared serve_model server when WEFT_EMBEDDED_URL is set."""
    if settings.WEFT_EMBEDDED_URL:
        url = settings.WEFT_EMBEDDED_URL
        return _cached(("embedded-url", url), lambda: OpenAICompatibleClient(base_url=url))
    return _embedded


@dataclass(frozen=True, slots=True)
class ProviderInfo:
    """A provider as the node model picker lists it."""

    name: str
    kind: str
    models: tuple[str, ...]


# Provider edits made in another process reach running servers within this many seconds.
_workspace_models: TTLCache[int, WorkspaceModels] = TTLCache(2.0)


async def get_workspace_models(workspace_id: int) -> WorkspaceModels:
    """The workspace's resolver, cached briefly so a busy app does not query per run."""
    return await _workspace_models.get(
        workspace_id, lambda: db_call(WorkspaceModels.for_workspace, workspace_id)
    )


def forget_workspace_models(workspace_id: int) -> None:
    """Drop the cached resolver after a provider change in this process."""
    _workspace_models.forget(workspace_id)


class WorkspaceModels:
    """The ModelResolver a run gets: provider name → client, scoped to one workspace."""

    def __init__(self, rows: dict[str, ModelProvider]) -> None:
        self._rows = rows

    @classmethod
    def for_workspace(cls, workspace_id: int) -> WorkspaceModels:
        """Load the workspace's provider rows (one query)."""
        rows = {p.name: p for p in ModelProvider.objects.filter(workspace_id=workspace_id)}
        return cls(rows)

    def get(self, provider: str) -> ChatModel:
        """The client for `provider`; ModelNotFoundError names the missing provider."""
        row = self._rows.get(provider)
        if row is not None:
            build = VLLMClient if row.kind == ProviderKind.VLLM else OpenAICompatibleClient
            return _cached(
                ("row", row.pk, row.updated_at),
                lambda: build(
                    base_url=row.base_url, api_key=decrypt(row.api_key_encrypted) or None
                ),
            )
        if provider == EMBEDDED:
            return get_embedded_model()
        if provider == VLLM and settings.VLLM_BASE_URL:
            url, key = settings.VLLM_BASE_URL, settings.VLLM_API_KEY or None
            return _cached(("vllm-env", url), lambda: VLLMClient(base_url=url, api_key=key))
        raise ModelNotFoundError(f"model provider {provider!r} is not configured")

    def list_providers(self) -> list[ProviderInfo]:
        """Every provider the workspace can use, built-ins first."""
        found = [ProviderInfo(EMBEDDED, "embedded", (EMBEDDED_MODEL_NAME,))]
        if settings.VLLM_BASE_URL:
            found.append(ProviderInfo(VLLM, "vllm", ()))
        found += [ProviderInfo(r.name, r.kind, tuple(r.model_names)) for r in self._rows.values()]
        return found
