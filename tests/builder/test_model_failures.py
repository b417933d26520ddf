"""A model server that is down, answers 500, answers garbage or is too slow: each run fails with
a typed error naming the node, is logged as failed, and the API stream says so."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest

from builder.models import ModelProvider, NodeRun, Run
from tests.builder.sse import parse_sse

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.services]
_server: dict[str, str] = {}


@pytest.fixture(autouse=True)
def _live(live_url: str) -> None:
    _server["url"] = live_url


@pytest.fixture(autouse=True)
def _allow_local(settings: Any) -> None:
    """The fake model servers listen on 127.0.0.1, which the outbound guard refuses otherwise."""
    settings.WEFT_OUTBOUND_ALLOW = ["127.0.0.1"]


class _Misbehaving(BaseHTTPRequestHandler):
    mode = "500"

    def do_POST(self) -> None:  # http.server's naming
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        if self.mode == "500":
            self.send_response(500)
            self.end_headers()
            self.wfile.write(b'{"error": {"message": "boom"}}')
        elif self.mode == "garbage":
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.end_headers()
            self.wfile.write(b"data: {not json\n\n")
        elif self.mode == "slow":
            threading.Event().wait(5)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def bad_server(request: pytest.FixtureRequest) -> Iterator[str]:
    handler = type("Handler", (_Misbehaving,), {"mode": request.param})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    server.shutdown()


def _closed_port_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{sock.getsockname()[1]}/v1"


def _llm_spec(timeout_s: float | None = None) -> dict[str, Any]:
    llm: dict[str, Any] = {
        "id": "llm",
        "type": "llm",
        "config": {"model": {"provider": "remote", "name": "m"}, "prompt": "{{#sys.query#}}"},
    }
    if timeout_s:
        llm["settings"] = {"timeout_s": timeout_s}
    return {
        "mode": "chat",
        "nodes": [
            {"id": "start", "type": "start"},
            llm,
            {"id": "answer", "type": "answer", "config": {"answer": "{{#llm.text#}}"}},
        ],
        "edges": [{"source": "start", "target": "llm"}, {"source": "llm", "target": "answer"}],
    }


def _setup(owner: Any, make_app: Any, url: str, timeout_s: float | None = None) -> str:
    ModelProvider.objects.create(
        workspace=owner.workspace, name="remote", kind="openai_compatible", base_url=url
    )
    _, key = make_app(owner, spec=_llm_spec(timeout_s), slug="fragile")
    return str(key)


async def _stream(key: str) -> list[dict[str, Any]]:
    async with httpx.AsyncClient(base_url=_server["url"], timeout=60) as client:
        response = await client.post(
            "/v1/chat-messages",
            json={"query": "hi", "response_mode": "streaming"},
            headers={"Authorization": f"Bearer {key}"},
        )
    assert response.status_code == 200  # errors mid-stream keep HTTP 200 (Dify)
    return parse_sse(response.content)


async def _assert_failed(events: list[dict[str, Any]], code: str) -> None:
    error = next(e for e in events if e["event"] == "error")
    assert (error["code"], error["node_id"]) == (code, "llm")
    assert events[-1]["event"] == "workflow_finished"
    assert events[-1]["data"]["status"] == "failed"
    run = await Run.objects.aget(pk=events[0]["task_id"])
    assert (run.status, run.error_code, run.failed_node_id) == ("failed", code, "llm")
    node = await NodeRun.objects.aget(run=run, node_id="llm")
    assert (node.status, node.error_code) == ("failed", code)


async def test_model_server_down_fails_run_as_unavailable(owner: Any, make_app: Any) -> None:
    from asgiref.sync import sync_to_async

    key = await sync_to_async(_setup)(owner, make_app, _closed_port_url())
    await _assert_failed(await _stream(key), "LLMUnavailableError")


@pytest.mark.parametrize(
    ("bad_server", "code"),
    [
        ("500", "LLMUnavailableError"),
        ("garbage", "LLMBadResponseError"),
    ],
    indirect=["bad_server"],
)
async def test_model_server_errors_fail_run_with_typed_code(
    owner: Any, make_app: Any, bad_server: str, code: str
) -> None:
    from asgiref.sync import sync_to_async

    key = await sync_to_async(_setup)(owner, make_app, bad_server)
    await _assert_failed(await _stream(key), code)


@pytest.mark.parametrize("bad_server", ["slow"], indirect=True)
async def test_slow_model_server_hits_node_timeout(
    owner: Any, make_app: Any, bad_server: str
) -> None:
    from asgiref.sync import sync_to_async

    key = await sync_to_async(_setup)(owner, make_app, bad_server, 0.5)
    await _assert_failed(await _stream(key), "NodeTimeoutError")


async def test_unknown_provider_fails_run_naming_it(owner: Any, make_app: Any) -> None:
    from asgiref.sync import sync_to_async

    _, key = await sync_to_async(make_app)(owner, spec=_llm_spec(), slug="no-provider")
    events = await _stream(key)
    error = next(e for e in events if e["event"] == "error")
    assert error["code"] == "ModelNotFoundError"
    assert "remote" in error["message"]
