"""The chat models every workspace has: the embedded model, VLLM_BASE_URL, and shared clients.

Clients are built once per process and reused, so their HTTP connection pools are shared by all
runs (many concurrent requests reach the model server concurrently).
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

from django.conf import settings

from kernel.outbound import outbound_policy
from runtime.llm.protocol import ChatChunk, ChatModel, ChatRequest, ModelInfo
from runtime.llm.vllm import VLLMClient

EMBEDDED = "embedded"  # the provider name (and kind) of the embedded model
VLLM = "vllm"  # the provider name of VLLM_BASE_URL, and the kind of every vLLM server
EMBEDDED_MODEL_NAME = "smollm2-135m-instruct"

_clients: dict[tuple[object, ...], ChatModel] = {}
_clients_lock = threading.Lock()


class LazyEmbeddedModel:
    """The in-process engine, loaded on first use off the event loop (a few seconds)."""

    supports_json_schema = False  # as the engine: JSON is asked for in the prompt

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


def cached_client(key: tuple[object, ...], build: Callable[[], ChatModel]) -> ChatModel:
    """The process's one client for `key` (what it connects to and how), built on first use."""
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
        return cached_client(
            ("embedded-url", url, policy), lambda: VLLMClient(base_url=url, policy=policy)
        )
    return _embedded


def get_vllm_model() -> ChatModel:
    """The client of the admin's VLLM_BASE_URL server (only called when it is set)."""
    url, key = settings.VLLM_BASE_URL, settings.VLLM_API_KEY or None
    policy = outbound_policy(url)  # the admin's own URL
    return cached_client(
        ("vllm-env", url, policy), lambda: VLLMClient(base_url=url, api_key=key, policy=policy)
    )
