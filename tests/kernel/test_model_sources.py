from dataclasses import dataclass

import pytest

from kernel import model_sources
from kernel.chat_models import (
    EMBEDDED,
    EMBEDDED_MODEL_NAME,
    LazyEmbeddedModel,
    get_embedded_model,
)
from kernel.model_sources import (
    Provider,
    ProviderInfo,
    SourceModels,
    WorkspaceModels,
    register_model_source,
)
from runtime.errors import ModelNotFoundError
from runtime.llm.openai_compat import OpenAICompatibleClient
from runtime.llm.protocol import ChatModel, calls_tools, follows_json_schema
from tests.fakes import FakeChatClient, SchemaFollowingChatClient


@dataclass
class Wrapped:
    """What a serving source made of a provider's client."""

    provider: str
    inner: ChatModel


def own(name: str, client: ChatModel, kind: str = "openai_compatible") -> SourceModels:
    return SourceModels(providers=(Provider(name, kind, ("m1",), lambda: client),))


def test_resolver_finds_a_registered_provider_before_a_builtin_of_its_name() -> None:
    mine = FakeChatClient(script=["hi"])
    models = WorkspaceModels([own(EMBEDDED, mine)])
    assert models.get(EMBEDDED) is mine
    assert WorkspaceModels().get(EMBEDDED) is get_embedded_model()


def test_resolver_names_a_provider_nobody_registered() -> None:
    with pytest.raises(ModelNotFoundError, match="'nope'"):
        WorkspaceModels([own("mine", FakeChatClient(script=[]))]).get("nope")


def test_every_client_passes_through_each_sources_wrap() -> None:
    mine = FakeChatClient(script=[])
    serving = SourceModels(wrap=lambda p, client: Wrapped(p.name, client))  # type: ignore[arg-type,return-value]  # a marker, not a client
    models = WorkspaceModels([own("mine", mine), serving])
    got: list[object] = [models.get("mine"), models.get(EMBEDDED)]
    assert got == [Wrapped("mine", mine), Wrapped(EMBEDDED, get_embedded_model())]


def test_listing_marks_builtins_and_adds_served_models_after_a_providers_own() -> None:
    serving = SourceModels(
        labels=lambda p: {"m1": "base + m1", "bot": "base + bot"} if p.name == "mine" else {}
    )
    listed = WorkspaceModels([own("mine", FakeChatClient(script=[])), serving]).list_providers()
    assert listed[0] == ProviderInfo(EMBEDDED, EMBEDDED, (EMBEDDED_MODEL_NAME,), {}, builtin=True)
    assert listed[-1] == ProviderInfo(
        "mine", "openai_compatible", ("m1", "bot"), {"m1": "base + m1", "bot": "base + bot"}
    )


def test_a_source_name_is_registered_once(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(model_sources, "_sources", {})

    def source(workspace_id: int) -> SourceModels:
        return SourceModels()

    register_model_source("mine", source)
    register_model_source("mine", source)  # AppConfig.ready() run again: the same source
    with pytest.raises(ValueError, match="'mine' is already registered"):
        register_model_source("mine", lambda workspace_id: SourceModels())


def test_the_apps_register_their_sources_at_start_up() -> None:
    assert {"builder.providers", "training.adapters"} <= set(model_sources._sources)


def test_a_wrapped_client_follows_a_json_schema_as_its_inner_one_does() -> None:
    """Nodes ask the workspace's client, which training's source wraps: the wrap must not hide
    that a server follows `response_format` (nor claim it for the embedded model)."""
    from training.adapters import AdapterModels

    assert follows_json_schema(AdapterModels(SchemaFollowingChatClient(script=[]), ()))
    assert not follows_json_schema(AdapterModels(FakeChatClient(script=[]), ()))
    assert not follows_json_schema(AdapterModels(LazyEmbeddedModel(), ()))


def test_a_wrapped_client_calls_tools_as_its_inner_one_does() -> None:
    """An agent asks the workspace's client, which training's source wraps: the wrap must not
    hide that a server returns tool calls (the agent would fall back to ReAct), nor claim it
    for the embedded model."""
    from training.adapters import AdapterModels

    assert calls_tools(AdapterModels(OpenAICompatibleClient("http://127.0.0.1:9/v1"), ()))
    assert not calls_tools(AdapterModels(FakeChatClient(script=[]), ()))
    assert not calls_tools(AdapterModels(LazyEmbeddedModel(), ()))
