"""A streaming client for any OpenAI-compatible chat server (vLLM, Weft's own, OpenAI itself).

This is the only module that maps HTTP statuses to `LLMError` subclasses.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import httpx

from runtime.errors import (
    ContextLengthExceededError,
    LLMAuthError,
    LLMBadRequestError,
    LLMBadResponseError,
    LLMError,
    LLMRateLimitError,
    LLMUnavailableError,
    ModelNotFoundError,
)
from runtime.llm.protocol import (
    ChatChunk,
    ChatMessage,
    ChatRequest,
    Finish,
    ModelInfo,
    TextDelta,
    ToolCallDelta,
    Usage,
)
from runtime.outbound import STRICT, OutboundPolicy, guarded_client

# How servers word a prompt over the context window: Weft's own server, vLLM and OpenAI.
_CONTEXT_HINTS = ("prompt too long", "maximum context length", "context_length_exceeded")
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
MAX_BACKOFF_S = 8.0
MAX_MESSAGE_CHARS = 200  # of an upstream error message shown in a run's error


def error_for_status(status: int, message: str) -> LLMError:
    """The typed error for an HTTP error status from a model server."""
    text = f"model server answered {status}: {_trimmed(message)}"
    if status == 429:
        return LLMRateLimitError(text)
    if status in (401, 403):
        return LLMAuthError(text)
    if status == 404:
        return ModelNotFoundError(text)
    if status >= 500:
        return LLMUnavailableError(text)
    if status >= 400 and any(hint in message for hint in _CONTEXT_HINTS):
        return ContextLengthExceededError(text)
    if status >= 400:
        return LLMBadRequestError(text)
    return LLMBadResponseError(text)


def error_message(body: bytes, status: int) -> str:
    """The `error.message` of a JSON error body (trimmed); never the text of any other body.

    Upstream bodies reach run errors, which users read: a server that answers HTML or plain
    text (an admin page, a metadata service) must not have its body shown back.
    """
    try:
        data = json.loads(body)
    except ValueError:
        kind = "an empty body" if not body.strip() else "a non-JSON body"
        return f"upstream answered HTTP {status} with {kind}"
    error = data.get("error") if isinstance(data, dict) else None
    if isinstance(error, dict) and isinstance(error.get("message"), str) and error["message"]:
        return _trimmed(error["message"])
    if isinstance(error, str) and error:
        return _trimmed(error)  # vLLM's --api-key refusal: {"error": "Unauthorized"}
    if isinstance(data, dict) and isinstance(data.get("message"), str):
        return _trimmed(data["message"])  # vLLM's own error body
    return f"upstream answered HTTP {status} with a JSON body that has no error message"


def _trimmed(message: str) -> str:
    """`message` on one line, without control characters, at most MAX_MESSAGE_CHARS long."""
    text = " ".join("".join(c if c.isprintable() else " " for c in message).split())
    return text if len(text) <= MAX_MESSAGE_CHARS else text[: MAX_MESSAGE_CHARS - 1] + "…"


def request_body(request: ChatRequest) -> dict[str, Any]:
    """The JSON body of a streaming /chat/completions call."""
    body: dict[str, Any] = {
        "model": request.model,
        "messages": [_message_json(m) for m in request.messages],
        "stream": True,
        "stream_options": {"include_usage": True},
    }
    optional = {
        "temperature": request.temperature,
        "top_p": request.top_p,
        "max_tokens": request.max_tokens,
        "seed": request.seed,
        "stop": list(request.stop) or None,
        "tools": list(request.tools) or None,
        "response_format": request.response_format,
    }
    body.update({k: v for k, v in optional.items() if v is not None})
    return body


def _message_json(message: ChatMessage) -> dict[str, Any]:
    out: dict[str, Any] = {"role": message.role, "content": message.content}
    if message.tool_calls:
        out["tool_calls"] = [
            {"id": c.id, "type": "function", "function": {"name": c.name, "arguments": c.arguments}}
            for c in message.tool_calls
        ]
    if message.tool_call_id is not None:
        out["tool_call_id"] = message.tool_call_id
    return out


class OpenAICompatibleClient:
    """`ChatModel` over HTTP: POST {base_url}/chat/completions with SSE streaming.

    `base_url` includes the version prefix (`http://host:8000/v1`). Connect errors, 429 and
    5xx are retried with exponential backoff, but only before the first byte is streamed.
    Requests go through the outbound guard (`runtime.outbound`): a non-public address is
    refused unless `policy` allows it.
    """

    supports_json_schema = True  # `response_format: json_schema` (vLLM 0.33, OpenAI)
    supports_tools = True  # OpenAI tool calls, streamed as vLLM and OpenAI stream them

    def __init__(
        self,
        base_url: str,
        api_key: str | None = None,
        timeout: float = 60.0,
        max_retries: int = 2,
        *,
        max_connections: int = 128,
        backoff_s: float = 0.5,
        policy: OutboundPolicy = STRICT,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.policy = policy
        self.max_retries = max_retries
        self.backoff_s = backoff_s
        self._headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._timeout = httpx.Timeout(timeout, connect=min(timeout, 10.0))
        self._limits = httpx.Limits(
            max_connections=max_connections, max_keepalive_connections=max_connections
        )
        self._client: httpx.AsyncClient | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    @property
    def http(self) -> httpx.AsyncClient:
        """The shared connection pool (rebuilt if the event loop changed since it was made)."""
        loop = asyncio.get_running_loop()
        if self._client is None or self._loop is not loop or self._client.is_closed:
            self._client = guarded_client(
                self.policy,
                base_url=self.base_url,
                headers=self._headers,
                timeout=self._timeout,
                limits=self._limits,
            )
            self._loop = loop
        return self._client

    async def aclose(self) -> None:
        """Close the connection pool."""
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    async def stream(self, request: ChatRequest) -> AsyncIterator[ChatChunk]:
        """Stream the answer to `request`; ends with `Usage` (when sent) and `Finish`."""
        response = await self._open("POST", "/chat/completions", json=request_body(request))
        try:
            if response.headers.get("content-type", "").startswith("application/json"):
                for chunk in _chunks_from_completion(await _read_json(response)):
                    yield chunk
                return
            async for chunk in _parse_sse(response):
                yield chunk
        except httpx.TimeoutException as exc:
            raise LLMUnavailableError(f"model server timed out mid-stream: {exc!r}") from exc
        except httpx.HTTPError as exc:
            raise LLMUnavailableError(f"model server stream broke: {exc!r}") from exc
        finally:
            await response.aclose()

    async def list_models(self) -> list[ModelInfo]:
        """GET {base_url}/models; adapters come with `parent` set (vLLM)."""
        data = await self.request_json("GET", "/models")
        items = data.get("data") if isinstance(data, dict) else None
        if not isinstance(items, list):
            raise LLMBadResponseError("GET /models did not return {data: [...]}")
        return [_model_info(item) for item in items if isinstance(item, dict) and "id" in item]

    async def request_json(self, method: str, path: str, **kwargs: Any) -> Any:
        """A non-streaming call with the same retries and error mapping; the JSON (or None)."""
        response = await self._open(method, path, **kwargs)
        try:
            body = await response.aread()
        except httpx.HTTPError as exc:
            raise LLMUnavailableError(f"model server broke off: {exc!r}") from exc
        finally:
            await response.aclose()
        if not body.strip():
            return None
        try:
            return json.loads(body)
        except ValueError:
            return body.decode("utf-8", "replace")  # vLLM answers some admin calls in plain text

    async def _open(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """Send and return a successful, still-unread response; retry what is worth retrying."""
        attempt = 0
        while True:
            try:
                request = self.http.build_request(method, path, **kwargs)
                response = await self.http.send(request, stream=True)
            except (httpx.ReadTimeout, httpx.WriteTimeout) as exc:  # it may be working on it
                raise LLMUnavailableError(f"model server timed out: {exc!r}") from exc
            except httpx.TransportError as exc:  # connect errors and timeouts, early hang-ups
                error: LLMError = LLMUnavailableError(
                    f"cannot reach model server {self.base_url}: {exc!r}"
                )
                error.__cause__ = exc  # raised after the retries: callers still see why
                retry_after = None
            else:
                if response.status_code < 400:
                    return response
                body = await response.aread()
                await response.aclose()
                error = error_for_status(
                    response.status_code, error_message(body, response.status_code)
                )
                if response.status_code not in RETRY_STATUSES:
                    raise error
                retry_after = _retry_after(response)
            if attempt >= self.max_retries:
                raise error
            await asyncio.sleep(retry_after or min(self.backoff_s * 2**attempt, MAX_BACKOFF_S))
            attempt += 1


async def _read_json(response: httpx.Response) -> Any:
    try:
        return json.loads(await response.aread())
    except ValueError as exc:
        raise LLMBadResponseError("model server sent invalid JSON") from exc


def _retry_after(response: httpx.Response) -> float | None:
    try:
        return min(float(response.headers.get("retry-after", "")), MAX_BACKOFF_S)
    except ValueError:
        return None


def _model_info(item: dict[str, Any]) -> ModelInfo:
    extra = {k: v for k, v in item.items() if k not in ("id", "owned_by", "parent", "object")}
    return ModelInfo(
        id=str(item["id"]),
        owned_by=str(item.get("owned_by") or "unknown"),
        parent=item.get("parent"),
        extra=extra,
    )


async def _parse_sse(response: httpx.Response) -> AsyncIterator[ChatChunk]:
    """Chunks from an SSE body: deltas as they come, then Usage and Finish after [DONE]."""
    finish: str | None = None
    usage: Usage | None = None
    async for line in response.aiter_lines():
        if not line.startswith("data:"):
            continue  # blank separators, comments, event: lines
        payload = line[5:].strip()
        if payload == "[DONE]":
            break
        data = _decode_event(payload)
        for chunk in _chunks_from_event(data):
            if isinstance(chunk, Finish):
                finish = chunk.reason
            elif isinstance(chunk, Usage):
                usage = chunk
            else:
                yield chunk
    if finish is None:
        raise LLMBadResponseError("model server stream ended without a finish_reason")
    if usage is not None:
        yield usage
    yield Finish(finish)


def _decode_event(payload: str) -> dict[str, Any]:
    try:
        data = json.loads(payload)
    except ValueError as exc:
        raise LLMBadResponseError("model server sent a stream event that is not JSON") from exc
    if not isinstance(data, dict):
        raise LLMBadResponseError("model server sent a stream event that is not an object")
    error = data.get("error")
    if error is not None:  # an error after the headers went out (vLLM and Weft send these)
        code = error.get("code") if isinstance(error, dict) else None
        message = error.get("message") if isinstance(error, dict) else str(error)
        raise error_for_status(code if isinstance(code, int) else 500, str(message))
    return data


def _chunks_from_event(data: dict[str, Any]) -> list[ChatChunk]:
    out: list[ChatChunk] = []
    for choice in data.get("choices") or []:
        delta = choice.get("delta") or {}
        if delta.get("content"):
            out.append(TextDelta(str(delta["content"])))
        for call in delta.get("tool_calls") or []:
            out.append(_tool_call_delta(call))
        if choice.get("finish_reason"):
            out.append(Finish(str(choice["finish_reason"])))
    if data.get("usage"):
        out.append(_usage(data["usage"]))
    return out


def _tool_call_delta(call: dict[str, Any]) -> ToolCallDelta:
    function = call.get("function") or {}
    return ToolCallDelta(
        index=int(call.get("index", 0)),
        id=call.get("id"),
        name=function.get("name"),
        arguments=function.get("arguments") or "",
    )


def _usage(data: Any) -> Usage:
    try:
        return Usage(int(data["prompt_tokens"]), int(data["completion_tokens"]))
    except (KeyError, TypeError, ValueError) as exc:
        raise LLMBadResponseError("model server sent a malformed usage object") from exc


def _chunks_from_completion(data: Any) -> list[ChatChunk]:
    """A server that ignored `stream: true` and sent one chat.completion object."""
    try:
        choice = data["choices"][0]
        message = choice["message"]
    except (KeyError, IndexError, TypeError) as exc:
        raise LLMBadResponseError("model server sent JSON that is not a chat completion") from exc
    out: list[ChatChunk] = []
    if message.get("content"):
        out.append(TextDelta(str(message["content"])))
    for i, call in enumerate(message.get("tool_calls") or []):
        out.append(_tool_call_delta({"index": i, **call}))
    if data.get("usage"):
        out.append(_usage(data["usage"]))
    out.append(Finish(str(choice.get("finish_reason") or "stop")))
    return out
