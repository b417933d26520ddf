"""Finding 4: the outbound-request guard refuses non-public destinations after DNS resolution
and on every redirect hop, pins the checked address, and upstream bodies never reach errors."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import httpx
import pytest

from runtime.errors import LLMError, LLMUnavailableError, OutboundRefusedError
from runtime.llm.openai_compat import OpenAICompatibleClient
from runtime.outbound import STRICT, OutboundPolicy, check_url_sync, guarded_client
from tests.llm._http import FixedApp, serve
from tests.llm.conftest import chat, collect

SECRET = "AKIA-metadata-secret-4f1c"


class _Recorder:
    """Raw ASGI: records each request's Host header; /go redirects to `location`."""

    def __init__(self, location: str = "") -> None:
        self.location = location
        self.hosts: list[str] = []

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        self.hosts.append(dict(scope["headers"]).get(b"host", b"").decode())
        if scope["path"].endswith("/go"):
            headers = [(b"location", self.location.encode())]
            await send({"type": "http.response.start", "status": 302, "headers": headers})
            await send({"type": "http.response.body", "body": b""})
            return
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": SECRET.encode()})


def _resolver(answers: dict[str, Sequence[str]]) -> Any:
    async def resolve(host: str, port: int) -> Sequence[str]:
        return answers[host]

    return resolve


async def test_guard_refuses_a_provider_on_loopback_and_never_connects() -> None:
    app = FixedApp((500, {"error": {"message": SECRET}}, "application/json"))
    with serve(app) as url:
        client = OpenAICompatibleClient(url, max_retries=0)
        with pytest.raises(OutboundRefusedError, match="loopback") as info:
            await collect(client.stream(chat("hi")))
    assert app.hits == 0
    assert SECRET not in str(info.value)


async def test_guard_refuses_names_that_resolve_to_loopback() -> None:
    app = FixedApp((200, SECRET, "text/plain"))
    with serve(app) as url:
        client = OpenAICompatibleClient(url.replace("127.0.0.1", "localhost"), max_retries=0)
        with pytest.raises(OutboundRefusedError, match="'localhost'"):
            await collect(client.stream(chat("hi")))
    assert app.hits == 0


@pytest.mark.parametrize(
    "host",
    [
        "169.254.169.254",
        "[fd00:ec2::254]",
        "[::1]",
        "[::ffff:127.0.0.1]",
        "0.0.0.0",  # noqa: S104  (a destination being refused, not a bind address)
        "10.1.2.3",
        "172.16.0.1",
        "192.168.1.1",
        "100.64.0.1",
        "224.0.0.1",
    ],
)
async def test_guard_refuses_non_public_literals(host: str) -> None:
    async with guarded_client(STRICT) as client:
        with pytest.raises(OutboundRefusedError):
            await client.get(f"http://{host}/latest/meta-data/")


@pytest.mark.parametrize(
    ("entry", "host"),
    [("127.0.0.1", "127.0.0.1"), ("127.0.0.0/8", "127.0.0.1"), ("localhost", "localhost")],
)
async def test_guard_allows_what_the_admin_allowed(entry: str, host: str) -> None:
    app = FixedApp((200, {"data": [{"id": "m"}]}, "application/json"))
    with serve(app) as url:
        policy = OutboundPolicy.from_entries([entry])
        client = OpenAICompatibleClient(url.replace("127.0.0.1", host), policy=policy)
        models = await client.list_models()
        await client.aclose()
    assert [m.id for m in models] == ["m"]


async def test_guard_checks_every_redirect_hop() -> None:
    secret = _Recorder()
    with serve(secret) as secret_url:
        target = secret_url.replace("127.0.0.1", "127.0.0.2")
        hop = _Recorder(location=f"{target}/latest/meta-data/")
        with serve(hop) as hop_url:
            policy = OutboundPolicy.from_entries(["127.0.0.1"])  # only the first hop's host
            async with guarded_client(policy, follow_redirects=True) as client:
                with pytest.raises(OutboundRefusedError, match="loopback"):
                    await client.get(f"{hop_url}/go")
    assert len(hop.hosts) == 1
    assert secret.hosts == []


async def test_guard_connects_to_the_address_it_checked() -> None:
    app = _Recorder()
    with serve(app) as url:
        port = url.split(":")[2].split("/")[0]
        resolve = _resolver({"models.example": ["127.0.0.1"]})
        policy = OutboundPolicy.from_entries(["127.0.0.1/32"])
        async with guarded_client(policy, resolve=resolve) as client:
            response = await client.get(f"http://models.example:{port}/v1/models")
        async with guarded_client(STRICT, resolve=resolve) as client:
            with pytest.raises(OutboundRefusedError):
                await client.get(f"http://models.example:{port}/v1/models")
    assert response.text == SECRET
    assert app.hosts == [f"models.example:{port}"]  # pinned to the IP, Host kept


async def test_guard_refuses_a_name_with_any_private_answer() -> None:
    resolve = _resolver({"mixed.example": ["93.184.216.34", "10.0.0.7"]})
    async with guarded_client(STRICT, resolve=resolve) as client:
        with pytest.raises(OutboundRefusedError, match="private"):
            await client.get("http://mixed.example/")


def test_check_url_sync_names_the_problem() -> None:
    assert "loopback" in (check_url_sync("http://localhost:8000/v1", STRICT) or "")
    assert "cloud metadata" in (check_url_sync("http://169.254.169.254/", STRICT) or "")
    assert (
        check_url_sync("http://localhost:8000/v1", OutboundPolicy.from_entries(["localhost"]))
        is None
    )
    assert check_url_sync("https://203.0.113.9.nip.invalid/v1", STRICT) is None  # unresolvable
    assert check_url_sync("ftp://example.com/", STRICT) is not None


@pytest.mark.parametrize(
    ("status", "body", "content_type"),
    [
        (502, f"<html><title>Django admin</title>{SECRET}</html>", "text/html"),
        (404, f"not found: {SECRET}", "text/plain"),
        (400, {"detail": SECRET}, "application/json"),
    ],
)
async def test_upstream_bodies_never_reach_error_messages(
    status: int, body: Any, content_type: str
) -> None:
    policy = OutboundPolicy.from_entries(["127.0.0.1"])
    with serve(FixedApp((status, body, content_type))) as url:
        client = OpenAICompatibleClient(url, max_retries=0, policy=policy)
        with pytest.raises(LLMError) as info:
            await collect(client.stream(chat("hi")))
    assert SECRET not in str(info.value)
    assert f"HTTP {status}" in str(info.value)


async def test_upstream_json_error_message_is_kept_short() -> None:
    policy = OutboundPolicy.from_entries(["127.0.0.1"])
    body = {"error": {"message": "overloaded " + "x" * 5000}}
    with serve(FixedApp((503, body, "application/json"))) as url:
        client = OpenAICompatibleClient(url, max_retries=0, policy=policy)
        with pytest.raises(LLMUnavailableError, match="overloaded") as info:
            await collect(client.stream(chat("hi")))
    assert len(str(info.value)) < 300


async def test_guard_turns_unresolvable_hosts_into_connect_errors() -> None:
    async with guarded_client(STRICT) as client:
        with pytest.raises(httpx.ConnectError):
            await client.get("http://no-such-host.invalid/")
