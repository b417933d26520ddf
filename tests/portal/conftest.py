"""Portal fixtures: plain-HTTP settings for the test client, and Chromium for the browser tests."""

from __future__ import annotations

from typing import Any

import pytest


@pytest.fixture(autouse=True)
def _plain_http(settings: Any) -> None:
    """Tests talk plain HTTP to the test client; no HTTPS redirect (settings default it on)."""
    settings.SECURE_SSL_REDIRECT = False


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    """Debian's Chromium (Playwright never downloads a browser on these machines)."""
    return {
        **browser_type_launch_args,
        "executable_path": "/usr/bin/chromium",
        "args": ["--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--disable-dev-shm-usage"],
    }
