"""Portal fixtures: Chromium and a real Weft server for the browser tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.portal.browser import CHROMIUM, CHROMIUM_ARGS
from tests.portal.server import weft_server as serve


@pytest.fixture(scope="session")
def weft_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """uvicorn serving Weft on a fresh data dir with the demo workspace seeded (one per session)."""
    with serve(tmp_path_factory.mktemp("weft-data")) as url:
        yield url


@pytest.fixture(scope="module")
def worker_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The data folder (its SQLite database too) of the module's `worker_server`."""
    return tmp_path_factory.mktemp("weft-worker")


@pytest.fixture(scope="module")
def worker_server(worker_dir: Path) -> Iterator[str]:
    """Weft with its task worker (training jobs, indexing and evaluations run there) on a fresh
    data dir, one per test module."""
    with serve(worker_dir, worker=True) as url:
        yield url


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    """Debian's Chromium (Playwright never downloads a browser on these machines)."""
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


@pytest.fixture
def browser_context_args(browser_context_args: dict[str, Any]) -> dict[str, Any]:
    """A laptop-sized window."""
    return {**browser_context_args, "viewport": {"width": 1440, "height": 900}}
