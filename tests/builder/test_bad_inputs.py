"""Finding 12: inputs that used to answer 500 get a 4xx naming the field, and leak nothing.

/v1 is exercised over real HTTP (the lean ASGI handler), /api through Django's test client; the
over-long prompt goes to the real embedded model.
"""

from __future__ import annotations

import json
import re
from typing import Any

import httpx
import pytest

from builder.demo import DEMO_APP, do_seed_demo
from builder.keys import do_create_api_key
from builder.models import App, Run
from tests.builder.sse import parse_sse

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.services]
DEEP = b'{"query": "x", "user": "u", "inputs": ' + b'{"a": ' * 70 + b"1" + b"}" * 71
VERY_DEEP = b"[" * 100_000 + b"]" * 100_000


@pytest.fixture
def v1(live_url: str) -> httpx.Client:
    return httpx.Client(base_url=live_url, timeout=120)


@pytest.fixture
def chat_key(owner: Any, make_app: Any) -> str:
    return str(make_app(owner, mode="chat", slug="echo-chat")[1])


def _post(v1: httpx.Client, path: str, key: str, raw: bytes) -> httpx.Response:
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
    return v1.post(path, content=raw, headers=headers)


def _refused(response: httpx.Response, field: str, status: int = 400) -> None:
    body = response.json()
    assert (response.status_code, body.get("field")) == (status, field), body
    assert "Traceback" not in response.text
    assert "/work" not in response.text


@pytest.mark.parametrize("raw", [DEEP, VERY_DEEP], ids=["70-levels", "100k-levels"])
def test_v1_refuses_deeply_nested_json(v1: httpx.Client, chat_key: str, raw: bytes) -> None:
    _refused(_post(v1, "/v1/chat-messages", chat_key, raw), "body")


def test_v1_refuses_a_lone_surrogate_naming_the_field(v1: httpx.Client, chat_key: str) -> None:
    raw = b'{"query": "hi \\ud800", "user": "u", "response_mode": "blocking"}'
    refused = _post(v1, "/v1/chat-messages", chat_key, raw)
    _refused(refused, "query")
    assert refused.json()["message"] == (
        "query: the text holds half of a character (a lone surrogate), which cannot be stored;"
        " send whole characters"
    )
    raw = b'{"query": "hi", "user": "u", "inputs": {"name\\udfff": 1}}'
    refused = _post(v1, "/v1/chat-messages", chat_key, raw)
    _refused(refused, "inputs")
    assert refused.json()["message"].startswith("inputs: a name in it holds half of a character")
    assert not Run.objects.exists()
    pair = b'{"query": "\\ud83d\\ude00", "user": "u", "response_mode": "blocking"}'  # an emoji
    assert _post(v1, "/v1/chat-messages", chat_key, pair).json()["answer"] == "echo: \U0001f600"


def test_v1_openai_content_parts_must_be_text(v1: httpx.Client, chat_key: str) -> None:
    body = {"model": "echo-chat", "messages": [{"role": "user", "content": [{"text": 123}]}]}
    response = _post(v1, "/v1/chat/completions", chat_key, json.dumps(body).encode())
    assert response.status_code == 400
    assert response.json()["error"]["param"] == "messages[0].content[0].text"


def test_v1_openai_role_must_be_a_role_name(v1: httpx.Client, chat_key: str) -> None:
    body = {"model": "echo-chat", "messages": [{"role": {}, "content": "hi"}]}
    response = _post(v1, "/v1/chat/completions", chat_key, json.dumps(body).encode())
    # the schema names the field itself (it was the whole message, `messages[0]`, before)
    assert (response.status_code, response.json()["error"]["param"]) == (400, "messages[0].role")


def test_v1_null_fields_mean_not_given(owner: Any, make_app: Any, v1: httpx.Client) -> None:
    """Dify clients send null for a field they leave out: inputs null is no inputs."""
    _, key = make_app(owner, mode="workflow", slug="echo-flow")
    raw = json.dumps({"inputs": None, "user": None, "response_mode": "blocking"}).encode()
    response = _post(v1, "/v1/workflows/run", key, raw)
    assert response.status_code in (200, 400), response.text
    if response.status_code == 400:  # the start node may require an input: named, not a 500
        assert response.json()["field"].startswith("inputs"), response.text


def test_v1_openai_stream_options_is_checked_before_the_run(
    v1: httpx.Client, chat_key: str
) -> None:
    body = {
        "model": "echo-chat",
        "stream": True,
        "stream_options": "yes",
        "messages": [{"role": "user", "content": "hi"}],
    }
    response = _post(v1, "/v1/chat/completions", chat_key, json.dumps(body).encode())
    assert (response.status_code, response.json()["error"]["param"]) == (400, "stream_options")


@pytest.mark.parametrize("path", ["/v1/conversations", "/v1/messages"])
def test_v1_limit_must_be_ascii_digits(v1: httpx.Client, chat_key: str, path: str) -> None:
    params = {"user": "u", "limit": "²", "conversation_id": "00000000-0000-0000-0000-000000000000"}
    _refused(v1.get(path, params=params, headers={"Authorization": f"Bearer {chat_key}"}), "limit")


def test_api_refuses_deep_json_and_lone_surrogates(
    owner: Any, make_app: Any, client_for: Any
) -> None:
    app, _ = make_app(owner)
    client = client_for(owner)
    url = f"/api/apps/{app.pk}"
    for raw, field in [
        (b'{"description": "\\ud800"}', "description"),
        (b'{"description": ' + b"[" * 70 + b"]" * 70 + b"}", "body"),
        (VERY_DEEP, "body"),
    ]:
        response = client.patch(url, raw, content_type="application/json")
        assert (response.status_code, response.json()["field"]) == (400, field)
    assert client.patch(url, b"{not json", content_type="application/json").status_code == 400
    App.objects.get(pk=app.pk)  # untouched and readable


def test_api_body_over_the_limit_is_413_even_without_the_asgi_guard(
    owner: Any, make_app: Any, client_for: Any
) -> None:
    app, _ = make_app(owner)
    raw = json.dumps({"description": "x" * 3 * 2**20}).encode()  # the test client is not ASGI
    response = client_for(owner).patch(f"/api/apps/{app.pk}", raw, content_type="application/json")
    assert (response.status_code, response.json()["code"]) == (413, "request_too_large")


def test_api_diff_against_must_be_ascii_digits(owner: Any, make_app: Any, client_for: Any) -> None:
    app, _ = make_app(owner)
    response = client_for(owner).get(f"/api/apps/{app.pk}/versions/1/diff", {"against": "²"})
    assert (response.status_code, response.json()["field"]) == (422, "against")


def test_v1_prompt_over_the_context_is_a_client_error(
    v1: httpx.Client, settings: Any, tmp_path: Any
) -> None:
    settings.DATA_DIR = tmp_path
    do_seed_demo()
    _, key = do_create_api_key(App.objects.get(slug=DEMO_APP), "test", None)
    query = "hello " * 50_000
    body = {"query": query, "user": "u", "response_mode": "blocking"}
    blocking = _post(v1, "/v1/chat-messages", key, json.dumps(body).encode())
    error = blocking.json()
    assert (blocking.status_code, error["code"]) == (400, "context_length_exceeded")
    assert re.fullmatch(r"prompt too long: \d+ tokens, the model takes \d+", error["message"])
    body["response_mode"] = "streaming"
    events = parse_sse(_post(v1, "/v1/chat-messages", key, json.dumps(body).encode()).content)
    errors = [e for e in events if e["event"] == "error"]
    assert [(e["status"], e["code"]) for e in errors] == [(400, "context_length_exceeded")]
    chat = {"model": DEMO_APP, "messages": [{"role": "user", "content": query}]}
    openai = _post(v1, "/v1/chat/completions", key, json.dumps(chat).encode())
    assert (openai.status_code, openai.json()["error"]["code"]) == (400, "context_length_exceeded")
