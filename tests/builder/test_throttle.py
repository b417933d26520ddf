"""Finding 13: per-key limits of the published API (requests a minute, runs at once), 429 with
Retry-After in each API's error shape; the counters of kernel/throttle.py they rest on."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from asgiref.sync import sync_to_async
from django.core.cache import cache

from builder.models import ApiKey
from kernel import throttle

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.services]


@pytest.fixture(autouse=True)
def _fresh_counters() -> Iterator[None]:
    cache.clear()
    yield
    cache.clear()


def test_parse_rate_reads_count_and_period() -> None:
    assert throttle.parse_rate("10/5m") == throttle.Rate(10, 300)
    assert throttle.parse_rate("600/m") == throttle.Rate(600, 60)
    assert throttle.parse_rate("3/30s") == throttle.Rate(3, 30)
    assert throttle.parse_rate("0") is None
    with pytest.raises(ValueError, match="count/period"):
        throttle.parse_rate("ten a minute")


def test_hit_counts_each_key_within_its_window() -> None:
    rate = throttle.Rate(3, 60)
    assert [throttle.hit("a", rate) for _ in range(3)] == [0.0, 0.0, 0.0]
    assert throttle.peek("a", rate) > 0
    assert 0 < throttle.hit("a", rate) <= 60
    assert throttle.hit("b", rate) == 0.0


def test_a_burst_across_a_clock_boundary_is_counted_whole(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A window opens at the first event: at 299.9 s and 300.1 s of the clock the burst is one
    (a grid of 5-minute windows would have reset the count at 300 s and let twice the rate in)."""
    rate = throttle.Rate(10, 300)
    clock = [1_800_000_299.9]
    monkeypatch.setattr(time, "time", lambda: clock[0])
    assert [throttle.hit("burst", rate) for _ in range(5)] == [0.0] * 5
    clock[0] += 0.2
    assert [throttle.hit("burst", rate) for _ in range(5)] == [0.0] * 5
    assert throttle.hit("burst", rate) == pytest.approx(299.8)
    assert throttle.peek("burst", rate) == pytest.approx(299.8)
    clock[0] += 300
    assert throttle.peek("burst", rate) == 0.0


def test_slots_are_taken_and_given_back() -> None:
    assert throttle.take_slot("k", 2)
    assert throttle.take_slot("k", 2)
    assert not throttle.take_slot("k", 2)
    throttle.free_slot("k")
    assert throttle.take_slot("k", 2)


@pytest.fixture
def keys(owner: Any, make_app: Any) -> tuple[str, str]:
    return make_app(owner, slug="echo-chat")[1], make_app(owner, slug="other")[1]


def _post(url: str, path: str, key: str, body: dict[str, Any]) -> httpx.Response:
    return httpx.post(url + path, json=body, headers={"Authorization": f"Bearer {key}"})


def test_v1_key_over_its_rate_gets_429_with_retry_after(
    live_url: str, keys: tuple[str, str], settings: Any
) -> None:
    settings.WEFT_API_KEY_RPM = 3
    key, other = keys
    body = {"query": "hi", "user": "u", "response_mode": "blocking"}
    assert [_post(live_url, "/v1/chat-messages", key, body).status_code for _ in range(3)] == [
        200
    ] * 3
    refused = _post(live_url, "/v1/chat-messages", key, body)
    assert (refused.status_code, refused.json()["code"]) == (429, "too_many_requests")
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    assert refused.json()["retry_after"] == int(refused.headers["Retry-After"])
    chat = {"model": "echo-chat", "messages": [{"role": "user", "content": "hi"}]}
    openai = _post(live_url, "/v1/chat/completions", key, chat)
    assert (openai.status_code, openai.json()["error"]["code"]) == (429, "too_many_requests")
    assert "Retry-After" in openai.headers
    assert _post(live_url, "/v1/chat-messages", other, body).status_code == 200


async def test_v1_key_over_its_concurrent_runs_gets_429(
    live_url: str, owner: Any, make_app: Any, settings: Any, silent_model: None
) -> None:
    from tests.builder.test_model_failures import _llm_spec

    settings.WEFT_API_KEY_CONCURRENCY = 1
    _, key = await sync_to_async(make_app)(owner, spec=_llm_spec(), slug="hangs")
    headers = {"Authorization": f"Bearer {key}"}
    async with (
        httpx.AsyncClient(base_url=live_url, timeout=60, headers=headers) as client,
        client.stream("POST", "/v1/chat-messages", json={"query": "x", "user": "u"}) as first,
    ):
        lines = first.aiter_lines()
        task_id = json.loads((await anext(lines))[6:])["task_id"]
        second = await client.post("/v1/chat-messages", json={"query": "y", "user": "u"})
        assert (second.status_code, second.json()["code"]) == (429, "too_many_requests")
        assert second.headers["Retry-After"] == "1"
        await client.post(f"/v1/chat-messages/{task_id}/stop", json={"user": "u"})
        _ = [line async for line in lines]
    key_id = await ApiKey.objects.filter(app__slug="hangs").values_list("id", flat=True).aget()
    for _ in range(100):  # the slot is given back as the run's task ends, in the server's loop
        if cache.get(f"weft-slots:api-key:{key_id}") == 0:
            break
        await asyncio.sleep(0.05)
    async with (
        httpx.AsyncClient(base_url=live_url, timeout=60, headers=headers) as client,
        client.stream("POST", "/v1/chat-messages", json={"query": "z", "user": "u"}) as third,
    ):
        assert third.status_code == 200
