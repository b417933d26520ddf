"""Fixtures for runtime tests: test-only node types registered for each test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from runtime.nodes import registry
from tests.runtime.agent_helpers import Rig, scripted_rig
from tests.runtime.helpers import FlakyNode, SleepNode


@pytest.fixture(autouse=True)
def test_node_types() -> Iterator[None]:
    """Register the `sleep` and `flaky` node types for the duration of a test."""
    with registry.temporary("sleep", SleepNode), registry.temporary("flaky", FlakyNode):
        yield


@pytest.fixture
def rig() -> Iterator[Rig]:
    """The scripted vLLM-style server and a tool server, for agent node runs."""
    with scripted_rig() as made:
        yield made
