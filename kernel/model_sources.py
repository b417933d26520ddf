"""The model-source registry, and the workspace model resolver built from what is registered.

Every workspace has the built-in providers (kernel/chat_models.py). Feature apps add the rest
at start-up, in their AppConfig.ready(), without knowing of each other:

- builder registers the model providers a workspace configured (its ModelProvider rows);
- training registers its trained adapters, which are models served through other providers'
  clients (it wraps each client and adds the adapters' names to the picker).

A source is a function of a workspace id that runs its queries and returns a `SourceModels`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from django.conf import settings

from kernel.chat_models import (
    EMBEDDED,
    EMBEDDED_MODEL_NAME,
    VLLM,
    get_embedded_model,
    get_vllm_model,
)
from kernel.db import db_call
from kernel.ttl import TTLCache
from runtime.errors import ModelNotFoundError
from runtime.llm.protocol import ChatModel


@dataclass(frozen=True, slots=True)
class Provider:
    """A model provider a workspace can use: its name, kind, models and shared client."""

    name: str
    kind: str  # "embedded", "vllm" (any vLLM server) or a source's own kind
    models: tuple[str, ...]
    connect: Callable[[], ChatModel]  # the shared client (kernel.chat_models.cached_client)


@dataclass(frozen=True, slots=True)
class SourceModels:
    """What one source gives a workspace: providers of its own, models served through any."""

    providers: tuple[Provider, ...] = ()
    # the client a run gets for a provider, e.g. one that also serves adapters
    wrap: Callable[[Provider, ChatModel], ChatModel] | None = None
    # models a provider serves besides its own: model id → the picker's label
    labels: Callable[[Provider], Mapping[str, str]] | None = None


ModelSource = Callable[[int], SourceModels]

_sources: dict[str, ModelSource] = {}


def register_model_source(name: str, source: ModelSource) -> None:
    """Add a source every workspace resolver consults (call it from an AppConfig.ready())."""
    if _sources.get(name, source) is not source:
        raise ValueError(f"model source {name!r} is already registered")
    _sources[name] = source


@dataclass(frozen=True, slots=True)
class ProviderInfo:
    """A provider as the node model picker lists it (labels: model id → display name);
    `builtin`: one every workspace has, not one a source registered."""

    name: str
    kind: str
    models: tuple[str, ...]
    labels: Mapping[str, str] = field(default_factory=dict)
    builtin: bool = False


def builtin_providers() -> list[Provider]:
    """The providers every workspace has: the embedded model, and VLLM_BASE_URL when set."""
    found = [Provider(EMBEDDED, EMBEDDED, (EMBEDDED_MODEL_NAME,), get_embedded_model)]
    if settings.VLLM_BASE_URL:
        found.append(Provider(VLLM, VLLM, (), get_vllm_model))
    return found


class WorkspaceModels:
    """The ModelResolver a run gets: provider name → client, scoped to one workspace.

    A provider a source registered wins over a built-in of the same name.
    """

    def __init__(self, sources: Sequence[SourceModels] = ()) -> None:
        self._sources = tuple(sources)
        self._builtins = builtin_providers()
        self._own = [p for s in self._sources for p in s.providers]

    @classmethod
    def for_workspace(cls, workspace_id: int) -> WorkspaceModels:
        """Ask every registered source about the workspace (each runs its queries)."""
        return cls([source(workspace_id) for source in _sources.values()])

    def get(self, provider: str) -> ChatModel:
        """The client for `provider`; ModelNotFoundError names the missing provider."""
        for found in (*self._own, *self._builtins):
            if found.name == provider:
                client = found.connect()
                for source in self._sources:
                    if source.wrap is not None:
                        client = source.wrap(found, client)
                return client
        raise ModelNotFoundError(f"model provider {provider!r} is not configured")

    def list_providers(self) -> list[ProviderInfo]:
        """Every provider the workspace can use, built-ins first, served models after own."""
        builtins = [self._info(p, builtin=True) for p in self._builtins]
        return builtins + [self._info(p) for p in self._own]

    def _info(self, provider: Provider, builtin: bool = False) -> ProviderInfo:
        labels: dict[str, str] = {}
        for source in self._sources:
            if source.labels is not None:
                labels.update(source.labels(provider))
        extra = tuple(name for name in labels if name not in provider.models)
        models = provider.models + extra
        return ProviderInfo(provider.name, provider.kind, models, labels, builtin)


# Provider edits made in another process reach running servers within this many seconds.
_workspace_models: TTLCache[int, WorkspaceModels] = TTLCache(2.0)


async def get_workspace_models(workspace_id: int) -> WorkspaceModels:
    """The workspace's resolver, cached briefly so a busy app does not query per run."""
    return await _workspace_models.get(
        workspace_id, lambda: db_call(WorkspaceModels.for_workspace, workspace_id)
    )


def forget_workspace_models(workspace_id: int) -> None:
    """Drop the cached resolver after a change to the workspace's models in this process."""
    _workspace_models.forget(workspace_id)
