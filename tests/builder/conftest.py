"""Builder fixtures: a scripted model for the workspace, and a model server that never answers,
for runs that must stay running."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest

from kernel.resources import replaced
from runtime.resources import MODELS
from tests.fakes import FakeChatClient, FakeModels


@pytest.fixture
def model() -> Iterator[FakeChatClient]:
    """The workspace's provider "fake": a scripted model that records the prompts it gets
    (append replies to `.script`)."""
    client = FakeChatClient(script=[])

    async def models(workspace_id: int) -> FakeModels:
        return FakeModels({"fake": client})

    with replaced(MODELS, models):
        yield client


@pytest.fixture
async def silent_model(owner: Any, settings: Any) -> AsyncIterator[None]:
    """Provider "remote" in the owner's workspace: a server that accepts and never answers."""
    from builder.models import ModelProvider

    settings.WEFT_OUTBOUND_ALLOW = ["127.0.0.1"]  # the outbound guard refuses loopback otherwise
    server = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    await ModelProvider.objects.acreate(
        workspace=owner.workspace,
        name="remote",
        kind="openai_compatible",
        base_url=f"http://127.0.0.1:{port}/v1",
    )
    yield
    server.close()
