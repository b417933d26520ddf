"""Finding 4: a workspace's model provider cannot reach the instance's own network, and what an
upstream server answers never comes back in a run's events, rows or errors."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from django.forms.models import model_to_dict

from builder.models import NodeRun, Run
from tests.builder.test_model_failures import _assert_failed, _live, _setup, _stream

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.services]
SECRET = "aws-secret-9d3e1b-from-the-metadata-service"
__all__ = ["_live"]  # the live server fixture, used by every test here


class _Internal(BaseHTTPRequestHandler):
    """An internal service: answers everything with an HTML page holding a secret."""

    hits: list[str]

    def _answer(self) -> None:
        self.hits.append(self.path)
        body = f"<html><h1>Site administration</h1><pre>{SECRET}</pre></html>".encode()
        self.send_response(502)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = _answer  # http.server's naming

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def internal() -> Iterator[tuple[str, list[str]]]:
    """An internal HTTP service on 127.0.0.1: its base URL and the paths it was asked for."""
    hits: list[str] = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), type("H", (_Internal,), {"hits": hits}))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/v1", hits
    server.shutdown()


async def _everything_stored(run_id: str) -> str:
    run = await Run.objects.aget(pk=run_id)
    nodes = [model_to_dict(n) async for n in NodeRun.objects.filter(run=run)]
    return json.dumps([model_to_dict(run), nodes], default=str)


async def test_provider_on_a_local_service_is_refused(
    owner: Any, make_app: Any, internal: tuple[str, list[str]], settings: Any
) -> None:
    settings.WEFT_OUTBOUND_ALLOW = []
    url, hits = internal
    key = await sync_to_async(_setup)(owner, make_app, url)
    events = await _stream(key)
    await _assert_failed(events, "OutboundRefusedError")
    error = next(e for e in events if e["event"] == "error")
    assert "loopback" in error["message"]
    assert hits == []
    assert SECRET not in json.dumps(events)
    assert SECRET not in await _everything_stored(events[0]["task_id"])


async def test_provider_on_a_local_service_is_allowed_when_configured_without_its_body(
    owner: Any, make_app: Any, internal: tuple[str, list[str]], settings: Any
) -> None:
    settings.WEFT_OUTBOUND_ALLOW = ["127.0.0.1"]
    url, hits = internal
    key = await sync_to_async(_setup)(owner, make_app, url)
    events = await _stream(key)
    await _assert_failed(events, "LLMUnavailableError")
    error = next(e for e in events if e["event"] == "error")
    assert "HTTP 502 with a non-JSON body" in error["message"]
    assert hits  # it was reached
    assert SECRET not in json.dumps(events)
    assert SECRET not in await _everything_stored(events[0]["task_id"])


@pytest.mark.parametrize(
    "base_url",
    [
        "http://127.0.0.1:9/v1",
        "http://localhost:8000/v1",
        "http://169.254.169.254/latest",
        "http://[fd00:ec2::254]/v1",
        "http://10.0.0.8:8000/v1",
    ],
)
def test_create_provider_refuses_a_non_public_base_url(
    owner: Any, client_for: Any, settings: Any, base_url: str
) -> None:
    settings.WEFT_OUTBOUND_ALLOW = []
    body = {"name": "inside", "kind": "openai_compatible", "base_url": base_url}
    response = client_for(owner).post("/api/providers", body, content_type="application/json")
    assert response.status_code == 422, response.content
    assert (response.json()["code"], response.json()["field"]) == ("invalid_param", "base_url")


def test_create_provider_accepts_an_allowed_local_base_url(
    owner: Any, client_for: Any, settings: Any
) -> None:
    settings.WEFT_OUTBOUND_ALLOW = ["10.0.0.0/8"]
    body = {"name": "gpu", "kind": "vllm", "base_url": "http://10.0.0.8:8000/v1"}
    response = client_for(owner).post("/api/providers", body, content_type="application/json")
    assert response.status_code == 201, response.content


def test_admin_configured_urls_are_allowed_for_their_own_clients(settings: Any) -> None:
    from kernel.chat_models import get_embedded_model
    from kernel.outbound import outbound_policy

    settings.WEFT_OUTBOUND_ALLOW = []
    settings.WEFT_EMBEDDED_URL = "http://localhost:8001/v1"
    client: Any = get_embedded_model()
    assert client.policy.allows_host("localhost")
    assert not outbound_policy().allows_host("localhost")  # workspace rows get no such pass
