"""The workspace resource registry: providers by resource, resolved per workspace."""

from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured

from kernel.resources import offered, provide, replaced, resolve, withdrawn
from runtime.resources import CODE_SANDBOX, MODELS, RETRIEVER, TOOLS, Resource
from tests.fakes import FakeModels
from tests.runtime.doubles import DictToolSessions, ListRetriever

SCRATCH: Resource[ListRetriever] = Resource("scratch")  # provided by no app


async def test_resources_resolve_gives_each_need_for_its_workspace() -> None:
    asked: list[int] = []

    async def retriever_for(workspace_id: int) -> ListRetriever:  # async: reads the database
        asked.append(workspace_id)
        return ListRetriever()

    tools = DictToolSessions()
    with replaced(RETRIEVER, retriever_for), replaced(TOOLS, lambda workspace_id: tools):
        got = await resolve({RETRIEVER, TOOLS}, 7)
        assert isinstance(got.get(RETRIEVER), ListRetriever)
        assert got.get(TOOLS) is tools
        assert asked == [7]
        assert {RETRIEVER, TOOLS} <= offered()
    # the apps that provide them at start-up (tools, rag) have them back
    assert {RETRIEVER, TOOLS} <= offered()


async def test_resources_withdrawn_provides_nothing_for_a_while() -> None:
    with withdrawn(RETRIEVER):
        assert RETRIEVER not in offered()
        assert (await resolve({RETRIEVER}, 1)).keys() == frozenset()
    assert RETRIEVER in offered()


async def test_resources_resolve_gives_only_what_is_needed_and_provided() -> None:
    calls: list[int] = []

    def models_for(workspace_id: int) -> FakeModels:
        calls.append(workspace_id)
        return FakeModels()

    with replaced(MODELS, models_for):
        got = await resolve({SCRATCH}, 1)
    assert got.keys() == frozenset()
    assert calls == []  # a graph without an llm node does not load the workspace's models


def test_resources_a_second_provider_is_refused() -> None:
    assert MODELS in offered()  # builder provides it at start-up
    with pytest.raises(ImproperlyConfigured, match="models"):
        provide(MODELS, lambda workspace_id: FakeModels())


async def test_resources_a_gated_resource_is_offered_only_where_allowed() -> None:
    allowed = {1}

    def scratch_for(workspace_id: int) -> ListRetriever:
        return ListRetriever()

    gate = lambda workspace_id: workspace_id in allowed  # noqa: E731
    # builder's code sandbox reads the database to decide: not here
    with withdrawn(CODE_SANDBOX), replaced(SCRATCH, scratch_for, allowed=gate):
        assert SCRATCH in offered()  # provided; each workspace's setting decides
        assert SCRATCH in offered(1)
        assert SCRATCH not in offered(2)
        assert SCRATCH in (await resolve({SCRATCH}, 1))
        assert (await resolve({SCRATCH}, 2)).keys() == frozenset()
    assert SCRATCH not in offered()
    assert CODE_SANDBOX in offered()
