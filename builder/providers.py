"""Model providers for a workspace: the built-in embedded model, VLLM_BASE_URL, and DB rows.

Clients are built once per process and reused, so their HTTP connection pools are shared by all
runs (many concurrent requests reach the model server concurrently).
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings

from builder._ttl import TTLCache
from builder.asgi_service import db_call
from builder.crypto import decrypt
from builder.models import ModelProvider, ProviderKind
from kernel.outbound import outbound_policy
from runtime.errors import ModelNotFoundError
from runtime.llm.openai_compat import OpenAICompatibleClient
from runtime.llm.protocol import ChatChunk, ChatModel, ChatRequest, ModelInfo
from runtime.llm.vllm import VLLMClient
from training.adapters import (
    EMBEDDED_BASE,
    AdapterModels,
    AdapterRef,
    adapter_labels,
    list_workspace_adapters,
)

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

    @property
    def adapters(self) -> dict[str, str]:
        """The LoRA adapters the engine has loaded (none before it is loaded)."""
        return dict(getattr(self._engine, "adapters", {}))

    async def load_lora_adapter(self, name: str, path: str) -> None:
        """Load a LoRA adapter into the engine (loading the engine first if needed)."""
        engine: Any = await self._engine_async()
        await engine.load_adapter(name, path)

    async def unload_lora_adapter(self, name: str) -> None:
        """Unload a LoRA adapter from the engine."""
        engine: Any = await self._engine_async()
        await engine.unload_adapter(name)


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
        policy = outbound_policy(url)  # the admin's own URL: allowed even on localhost
        # serve_model speaks vLLM's adapter endpoints too, so adapters load there on demand
        return _cached(
            ("embedded-url", url, policy), lambda: VLLMClient(base_url=url, policy=policy)
        )
    return _embedded


@dataclass(frozen=True, slots=True)
class ProviderInfo:
    """A provider as the node model picker lists it (labels: model id → display name)."""

    name: str
    kind: str
    models: tuple[str, ...]
    labels: Mapping[str, str] = field(default_factory=dict)


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
    """The ModelResolver a run gets: provider name → client, scoped to one workspace.

    The workspace's trained adapters are models too: those trained on the embedded model are
    served by the embedded provider, and vLLM providers serve every adapter (`manage.py
    vllm_command` prints how to start vLLM with them). Either loads an adapter on first use.
    """

    def __init__(self, rows: dict[str, ModelProvider], adapters: Sequence[AdapterRef] = ()) -> None:
        self._rows = rows
        self._adapters = tuple(adapters)

    @classmethod
    def for_workspace(cls, workspace_id: int) -> WorkspaceModels:
        """Load the workspace's provider rows and adapters (two queries)."""
        rows = {p.name: p for p in ModelProvider.objects.filter(workspace_id=workspace_id)}
        return cls(rows, list_workspace_adapters(workspace_id))

    def get(self, provider: str) -> ChatModel:
        """The client for `provider`; ModelNotFoundError names the missing provider."""
        row = self._rows.get(provider)
        if row is not None:
            build = VLLMClient if row.kind == ProviderKind.VLLM else OpenAICompatibleClient
            policy = outbound_policy()  # a workspace's URL: only what the admin allowed
            client = _cached(
                ("row", row.pk, row.updated_at, policy),
                lambda: build(
                    base_url=row.base_url,
                    api_key=decrypt(row.api_key_encrypted) or None,
                    policy=policy,
                ),
            )
            return self._with_adapters(client, row.kind == ProviderKind.VLLM, everything=True)
        if provider == EMBEDDED:
            return self._with_adapters(get_embedded_model(), True, everything=False)
        if provider == VLLM and settings.VLLM_BASE_URL:
            url, key = settings.VLLM_BASE_URL, settings.VLLM_API_KEY or None
            policy = outbound_policy(url)  # the admin's own URL
            client = _cached(
                ("vllm-env", url, policy),
                lambda: VLLMClient(base_url=url, api_key=key, policy=policy),
            )
            return self._with_adapters(client, True, everything=True)
        raise ModelNotFoundError(f"model provider {provider!r} is not configured")

    def _adapters_for(self, everything: bool) -> tuple[AdapterRef, ...]:
        if everything:
            return self._adapters
        return tuple(a for a in self._adapters if a.base_model == EMBEDDED_BASE)

    def _with_adapters(self, client: ChatModel, serves: bool, *, everything: bool) -> ChatModel:
        # every client, adapters or not: any server may be one that other workspaces share
        return AdapterModels(client, self._adapters_for(everything) if serves else ())

    def list_providers(self) -> list[ProviderInfo]:
        """Every provider the workspace can use, built-ins first, adapters after base models."""
        found = [self._info(EMBEDDED, "embedded", (EMBEDDED_MODEL_NAME,), everything=False)]
        if settings.VLLM_BASE_URL:
            found.append(self._info(VLLM, "vllm", (), everything=True))
        for r in self._rows.values():
            if r.kind == ProviderKind.VLLM:
                found.append(self._info(r.name, r.kind, tuple(r.model_names), everything=True))
            else:
                found.append(ProviderInfo(r.name, r.kind, tuple(r.model_names)))
        return found

    def _info(
        self, name: str, kind: str, models: tuple[str, ...], *, everything: bool
    ) -> ProviderInfo:
        adapters = self._adapters_for(everything)
        extra = tuple(a.name for a in adapters if a.name not in models)
        labels = adapter_labels(adapters, EMBEDDED_MODEL_NAME)
        return ProviderInfo(name, kind, models + extra, labels)
