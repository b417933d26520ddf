"""A published workflow with an HTTP request node, run through the Service API over real HTTP:
the instance's outbound policy (WEFT_OUTBOUND_ALLOW) reaches the node, and its secret does not
reach the caller."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from runtime.masking import MASK
from tests.llm._http import serve
from tests.runtime.http_site import Site

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.services]
SECRET = "sk-http-node-5150"


@pytest.fixture
def site() -> Iterator[tuple[Site, str]]:
    app = Site()
    with serve(app) as url:
        yield app, url.removesuffix("/v1")


def _spec(base: str) -> dict[str, Any]:
    """Start(q) → HTTP request (GET /echo?q=…, bearer TOKEN) → End(status, seen)."""
    http = {
        "url": base + "/echo",
        "params": [{"key": "q", "value": "{{#start.q#}}"}],
        "auth": {"type": "bearer", "secret": "TOKEN"},
    }
    outputs = [
        {"variable": "status", "value_selector": ["call", "status_code"]},
        {"variable": "seen", "value_selector": ["call", "json"]},
    ]
    return {
        "mode": "workflow",
        "nodes": [
            {"id": "start", "type": "start", "config": {"variables": [{"variable": "q"}]}},
            {"id": "call", "type": "http_request", "config": http},
            {"id": "end", "type": "end", "config": {"outputs": outputs}},
        ],
        "edges": [{"source": "start", "target": "call"}, {"source": "call", "target": "end"}],
        "env": [{"name": "TOKEN", "type": "secret", "value": SECRET}],
    }


def _run(live_url: str, key: str) -> dict[str, Any]:
    body = {"inputs": {"q": "weather"}, "response_mode": "blocking", "user": "u"}
    response = httpx.post(
        live_url + "/v1/workflows/run",
        content=json.dumps(body).encode(),
        headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"},
        timeout=60,
    )
    assert response.status_code == 200, response.text
    data: dict[str, Any] = response.json()["data"]
    return data


def test_published_http_node_runs_through_the_api_when_the_admin_allows_the_host(
    owner: Any, make_app: Any, live_url: str, site: tuple[Site, str], settings: Any
) -> None:
    settings.WEFT_OUTBOUND_ALLOW = "127.0.0.1"
    app, base = site
    _, key = make_app(owner, spec=_spec(base), mode="workflow", slug="caller")
    data = _run(live_url, key)
    assert data["status"] == "succeeded", data["error"]
    assert data["outputs"]["status"] == 200
    seen = data["outputs"]["seen"]
    assert (seen["path"], seen["query"]) == ("/echo", "q=weather")
    assert app.seen[-1]["headers"]["authorization"] == f"Bearer {SECRET}"
    assert seen["headers"]["authorization"] == MASK  # echoed back, masked on the way out


def test_published_http_node_is_refused_loopback_without_the_allow_list(
    owner: Any, make_app: Any, live_url: str, site: tuple[Site, str], settings: Any
) -> None:
    settings.WEFT_OUTBOUND_ALLOW = ""
    app, base = site
    _, key = make_app(owner, spec=_spec(base), mode="workflow", slug="caller")
    data = _run(live_url, key)
    assert data["status"] == "failed"
    assert "loopback" in data["error"]
    assert app.seen == []
