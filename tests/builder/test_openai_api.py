"""The OpenAI-compatible endpoint, called by the official `openai` client over real HTTP."""

from __future__ import annotations

from typing import Any

import openai
import pytest

from builder.models import Run

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def echo(owner: Any, make_app: Any) -> Any:
    return make_app(owner, mode="chat", slug="echo-bot")


def _client(live_url: str, key: str) -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{live_url}/v1", api_key=key, max_retries=0)


def test_openai_client_gets_blocking_answer(live_url: str, echo: tuple[Any, str]) -> None:
    _, key = echo
    completion = _client(live_url, key).chat.completions.create(
        model="echo-bot", messages=[{"role": "user", "content": "hello"}]
    )
    assert completion.choices[0].message.content == "echo: hello"
    assert completion.choices[0].finish_reason == "stop"
    assert completion.usage is not None
    assert Run.objects.filter(app__slug="echo-bot", status="succeeded").count() == 1


def test_openai_client_streams_with_usage(live_url: str, echo: tuple[Any, str]) -> None:
    _, key = echo
    stream = _client(live_url, key).chat.completions.create(
        model="echo-bot",
        messages=[{"role": "system", "content": "be brief"}, {"role": "user", "content": "hi"}],
        stream=True,
        stream_options={"include_usage": True},
    )
    chunks = list(stream)
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == "echo: hi"
    assert [c.choices[0].finish_reason for c in chunks if c.choices][-1] == "stop"
    assert chunks[-1].usage is not None


def test_openai_client_lists_the_keys_app(live_url: str, echo: tuple[Any, str]) -> None:
    _, key = echo
    assert [m.id for m in _client(live_url, key).models.list()] == ["echo-bot"]


def test_openai_client_wrong_model_is_404(live_url: str, echo: tuple[Any, str]) -> None:
    _, key = echo
    with pytest.raises(openai.NotFoundError) as info:
        _client(live_url, key).chat.completions.create(
            model="someone-else", messages=[{"role": "user", "content": "x"}]
        )
    assert info.value.code == "model_not_found"


def test_openai_client_bad_key_is_401(live_url: str, echo: tuple[Any, str]) -> None:
    with pytest.raises(openai.AuthenticationError):
        _client(live_url, "app-wrong").chat.completions.create(
            model="echo-bot", messages=[{"role": "user", "content": "x"}]
        )


def test_openai_client_bad_messages_name_the_field(live_url: str, echo: tuple[Any, str]) -> None:
    _, key = echo
    with pytest.raises(openai.BadRequestError) as info:
        _client(live_url, key).chat.completions.create(
            model="echo-bot", messages=[{"role": "assistant", "content": "x"}]
        )
    assert info.value.param == "messages"
