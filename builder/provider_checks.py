"""Checking a model server before LLM nodes use it: GET {base_url}/models through the outbound
guard with a short timeout and no retries, and why it failed in words.

The check uses a client of its own (closed after), never the shared one runs use: it says
whether the server answers now, with the settings given.
"""

from __future__ import annotations

from dataclasses import dataclass

import httpx
from asgiref.sync import async_to_sync

from builder.models import ProviderKind
from kernel.outbound import outbound_policy
from runtime.errors import (
    LLMAuthError,
    ModelNotFoundError,
    OutboundRefusedError,
    caused_by,
    is_connection_refused,
)
from runtime.llm.openai_compat import OpenAICompatibleClient
from runtime.llm.vllm import VLLMClient

CHECK_TIMEOUT_S = 5.0  # a server that has not answered by then is "timed out", not "slow"


@dataclass(frozen=True, slots=True)
class Checked:
    """What a check found: the models the server lists, or why there are none."""

    models: list[str]
    error: str = ""

    @property
    def status(self) -> str:
        """ "ok" or "error", as the API and the page show it."""
        return "error" if self.error else "ok"


def check_model_server(kind: str, base_url: str, api_key: str) -> Checked:
    """Ask the server for its models now (blocking the caller for at most the timeout)."""
    return async_to_sync(_check)(kind, base_url, api_key)


async def _check(kind: str, base_url: str, api_key: str) -> Checked:
    build = VLLMClient if kind == ProviderKind.VLLM else OpenAICompatibleClient
    client = build(
        base_url=base_url,
        api_key=api_key or None,
        timeout=CHECK_TIMEOUT_S,
        max_retries=0,
        policy=outbound_policy(),  # a workspace's URL: only what the instance admin allowed
    )
    try:
        listed = await client.list_models()
    except Exception as exc:  # every failure is the check's answer, in words
        words = error_words(exc, client.base_url, has_key=bool(api_key))
        return Checked([], words.replace(api_key, "•••") if api_key else words)
    finally:
        await client.aclose()
    return Checked(list(dict.fromkeys(m.id for m in listed)))


def error_words(exc: BaseException, base_url: str, *, has_key: bool) -> str:
    """Why a check failed, as the person who typed the settings reads it."""
    if isinstance(exc, OutboundRefusedError):
        return f"refused by the outbound guard: {exc}"
    if isinstance(exc, LLMAuthError):
        hint = "check the API key" if has_key else "this server wants an API key"
        return f"key refused: {exc} ({hint})"
    if caused_by(exc, lambda e: isinstance(e, httpx.TimeoutException)):
        return f"timed out after {CHECK_TIMEOUT_S:g} s: {base_url} did not answer"
    if is_connection_refused(exc):
        return f"connection refused: nothing listens at {base_url}"
    if isinstance(exc, ModelNotFoundError):
        return (
            f"{base_url}/models was not found (404): the URL should be the server's "
            "OpenAI-compatible base, usually ending in /v1"
        )
    return str(exc) or type(exc).__name__
