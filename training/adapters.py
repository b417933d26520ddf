"""Registered adapters become models: listed in the node model picker, loaded on first use.

An LLM node names an adapter by its workspace-unique name (`model.name == "support-bot"`).
`AdapterModels` wraps the provider's client: it loads the adapter into the model server the
first time a request needs it (the embedded engine through peft, vLLM through
`POST /v1/load_lora_adapter`) under its `served_name` (unique across workspaces that share one
server), then asks for that name. A server that forgot it (a restart) gets it loaded again, so
published apps keep working without anyone reloading adapters by hand.
"""

from __future__ import annotations

import json
import re
import shlex
import threading
import weakref
from collections.abc import AsyncIterator, Iterable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path

from kernel.chat_models import EMBEDDED, EMBEDDED_MODEL_NAME, VLLM
from kernel.model_sources import Provider, SourceModels
from runtime.errors import LLMBadRequestError, ModelNotFoundError
from runtime.llm.protocol import (
    ChatChunk,
    ChatModel,
    ChatRequest,
    ModelInfo,
    calls_tools,
    follows_json_schema,
)

EMBEDDED_BASE = "embedded"  # the base_model of adapters trained on the embedded model
_SERVED_NAME = re.compile(r"w\d+-.+")  # any workspace's served name (`Adapter.served_name`)


@dataclass(frozen=True, slots=True)
class AdapterRef:
    """What a model client needs to serve one registered adapter."""

    name: str  # what LLM nodes pick
    served_name: str  # what the model server loads it as
    base_model: str
    path: str


def list_workspace_adapters(workspace_id: int) -> list[AdapterRef]:
    """The workspace's registered adapters (one query)."""
    from training.models import Adapter

    return [
        AdapterRef(a.name, a.served_name, a.base_model, a.path)
        for a in Adapter.objects.filter(workspace_id=workspace_id).order_by("name")
    ]


def workspace_adapters(workspace_id: int) -> SourceModels:
    """The workspace's adapters as models, a kernel model source (TrainingConfig.ready()).

    Adapters trained on the embedded model are served by the embedded provider, and vLLM
    providers serve every adapter (`manage.py vllm_command` prints how to start vLLM with them).
    Every client is wrapped, adapters or not: any server may be one other workspaces share.
    """
    adapters = tuple(list_workspace_adapters(workspace_id))

    def served_by(provider: Provider) -> tuple[AdapterRef, ...]:
        if provider.kind == VLLM:
            return adapters
        if provider.kind == EMBEDDED:
            return tuple(a for a in adapters if a.base_model == EMBEDDED_BASE)
        return ()

    return SourceModels(
        wrap=lambda provider, client: AdapterModels(client, served_by(provider)),
        labels=lambda provider: adapter_labels(served_by(provider), EMBEDDED_MODEL_NAME),
    )


def base_label(base_model: str, embedded_name: str) -> str:
    """A short name for a base model: the embedded model's id, or a local folder's name."""
    if base_model == EMBEDDED_BASE:
        return embedded_name
    return Path(base_model).name or base_model


def adapter_labels(adapters: Iterable[AdapterRef], embedded_name: str) -> dict[str, str]:
    """Model id → "<base> + <adapter>", the picker's display label."""
    return {a.name: f"{base_label(a.base_model, embedded_name)} + {a.name}" for a in adapters}


# What each client object has been asked to load: served name → folder. Clients are shared,
# long-lived objects (one per server), so this lives as long as they do.
_loaded: weakref.WeakKeyDictionary[object, dict[str, str]] = weakref.WeakKeyDictionary()
_loaded_lock = threading.Lock()


def _loaded_for(client: object) -> dict[str, str]:
    reported = getattr(client, "adapters", None)  # the embedded engine knows for itself
    if isinstance(reported, Mapping):
        return dict(reported)
    with _loaded_lock:
        return dict(_loaded.get(client, {}))


def _remember(client: object, served_name: str, path: str | None) -> None:
    with _loaded_lock:
        known = _loaded.setdefault(client, {})
        if path is None:
            known.pop(served_name, None)
        else:
            known[served_name] = path


class AdapterModels:
    """A `ChatModel` that serves the workspace's adapters through `inner`, loading on demand.

    `inner` is shared by every workspace (one engine, one vLLM server), so a model name in the
    form of a served name that is not one of this workspace's adapters is refused here: a run
    reaches only its own workspace's adapters, and the error lists only those.
    """

    def __init__(self, inner: ChatModel, adapters: Iterable[AdapterRef]) -> None:
        self.inner = inner
        self._adapters = {a.name: a for a in adapters}
        self._served = {a.served_name: a for a in self._adapters.values()}

    async def stream(self, request: ChatRequest) -> AsyncIterator[ChatChunk]:
        """Stream from `inner`; an adapter's name is loaded first and sent as its served name."""
        ref = self._adapters.get(request.model) or self._served.get(request.model)
        if ref is None:
            if _SERVED_NAME.fullmatch(request.model):
                mine = ", ".join(self._adapters) or "none"
                raise ModelNotFoundError(
                    f"model {request.model!r} is not an adapter of this workspace"
                    f" (its adapters: {mine})"
                )
            async for chunk in self.inner.stream(request):
                yield chunk
            return
        routed = replace(request, model=ref.served_name)
        await self.ensure_loaded(ref)
        started = False
        try:
            async for chunk in self.inner.stream(routed):
                started = True
                yield chunk
        except ModelNotFoundError:
            if started:
                raise
            _remember(self.inner, ref.served_name, None)  # the server restarted: load again
            await self.ensure_loaded(ref, force=True)
            async for chunk in self.inner.stream(routed):
                yield chunk

    @property
    def supports_json_schema(self) -> bool:
        """What `inner` says: adapters are served by the same engine or server."""
        return follows_json_schema(self.inner)

    @property
    def supports_tools(self) -> bool:
        """What `inner` says: its server returns the tool calls, adapter or not (an agent on a
        client that hid it would run its ReAct prompt on a server that calls tools)."""
        return calls_tools(self.inner)

    async def list_models(self) -> list[ModelInfo]:
        """The inner client's models, without other workspaces' adapters."""
        models = await self.inner.list_models()
        return [m for m in models if m.id in self._served or not _SERVED_NAME.fullmatch(m.id)]

    async def ensure_loaded(self, ref: AdapterRef, *, force: bool = False) -> None:
        """Load `ref` into the model server unless it already serves that folder."""
        loaded = _loaded_for(self.inner).get(ref.served_name)
        if loaded == ref.path and not force:
            return
        load = getattr(self.inner, "load_lora_adapter", None)
        if load is None:
            raise ModelNotFoundError(f"this model provider cannot load the adapter {ref.name!r}")
        unload = getattr(self.inner, "unload_lora_adapter", None)
        if loaded is not None and loaded != ref.path and unload is not None:
            await unload(ref.served_name)  # same name, new folder (deleted and trained again)
        try:
            await load(ref.served_name, ref.path)
        except LLMBadRequestError as exc:
            if "already" not in str(exc).lower():  # vLLM: "... has already been loaded"
                raise
        _remember(self.inner, ref.served_name, ref.path)


async def unload_everywhere(clients: Iterable[ChatModel], served_name: str) -> None:
    """Best effort: drop a deleted adapter from the clients that loaded it in this process."""
    for client in clients:
        if served_name not in _loaded_for(client):
            continue
        unload = getattr(client, "unload_lora_adapter", None)
        if unload is not None:
            try:
                await unload(served_name)
            except Exception:  # noqa: S112  # a server that is down has forgotten it anyway
                continue
        _remember(client, served_name, None)


_VLLM_RANKS = (8, 16, 32, 64, 128, 256, 320, 512)  # the --max-lora-rank values vLLM accepts


def adapter_rank(path: str) -> int:
    """The LoRA rank `r` in a PEFT folder's adapter_config.json (8 when unreadable)."""
    try:
        config = json.loads((Path(path) / "adapter_config.json").read_text())
        return int(config.get("r") or 8)
    except (OSError, ValueError, TypeError):
        return 8


def vllm_serve_commands(adapters: Iterable[AdapterRef], embedded_dir: Path) -> list[str]:
    """One `vllm serve` command line per base model, serving its adapters by served name.

    With VLLM_ALLOW_RUNTIME_LORA_UPDATING=True, adapters registered later are loaded on demand
    (`POST /v1/load_lora_adapter`), so the command only needs re-running to preload them.
    """
    by_base: dict[str, list[AdapterRef]] = {}
    for ref in adapters:
        by_base.setdefault(ref.base_model, []).append(ref)
    lines = []
    for base, refs in by_base.items():
        model = str(embedded_dir) if base == EMBEDDED_BASE else base
        rank = max(adapter_rank(r.path) for r in refs)
        max_rank = next((v for v in _VLLM_RANKS if v >= rank), rank)
        parts = [
            "VLLM_ALLOW_RUNTIME_LORA_UPDATING=True",
            "vllm",
            "serve",
            shlex.quote(model),
            "--enable-lora",
            f"--max-lora-rank {max_rank}",
            f"--max-loras {max(len(refs), 1)}",
            "--lora-modules",
            *(shlex.quote(f"{r.served_name}={r.path}") for r in refs),
        ]
        lines.append(" ".join(parts))
    return lines
