"""OpenAI's POST /v1/chat/completions and GET /v1/models for published chat apps.

`model` is the app's slug; the key must belong to that app. The request's earlier messages are the
conversation memory (OpenAI clients are stateless), the last user message is `sys.query`.
"""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from typing import Any, cast

from django.http import HttpRequest, HttpResponseBase, JsonResponse

from builder.actions.runs import RunHandle, RunRequest
from builder.key_limits import start_run_within_limit
from builder.models import RunSource
from builder.service_api import (
    authenticate,
    json_body,
    published_app,
    run_failure,
    service_view,
    stream_response,
)
from kernel.errors import ApiError
from runtime.events import RunFinished, TextChunk
from runtime.llm.protocol import ChatMessage, Role

_ROLES = {"system", "user", "assistant"}


def openai_error(err: ApiError) -> JsonResponse:
    """An error in OpenAI's `{"error": {...}}` shape."""
    kind = "invalid_request_error" if err.status < 500 else "server_error"
    body = {
        "error": {
            "message": err.message,
            "type": kind,
            "code": err.code,
            "param": err.data.get("field"),
        }
    }
    return JsonResponse(body, status=err.status, headers=err.headers)


def _text_parts(parts: list[Any], field: str) -> str:
    """The text of OpenAI content parts; ApiError 400 naming the part that is not one."""
    texts = []
    for j, part in enumerate(parts):
        if not isinstance(part, dict):
            raise ApiError("invalid_param", 400, "a content part must be an object", field=field)
        text = part.get("text", "")
        if not isinstance(text, str):
            raise ApiError(
                "invalid_param",
                400,
                "a content part's text must be a string",
                field=f"{field}[{j}].text",
            )
        texts.append(text)
    return "".join(texts)


def _include_usage(body: dict[str, Any]) -> bool:
    """stream_options.include_usage; ApiError 400 when stream_options is not an object."""
    options = body.get("stream_options")
    if options is None:
        return False
    if not isinstance(options, dict):
        raise ApiError(
            "invalid_param", 400, "stream_options must be an object", field="stream_options"
        )
    return bool(options.get("include_usage"))


def _messages(body: dict[str, Any]) -> tuple[list[ChatMessage], str]:
    raw = body.get("messages")
    if not isinstance(raw, list) or not raw:
        raise ApiError("invalid_param", 400, "messages must be a non-empty list", field="messages")
    messages: list[ChatMessage] = []
    for i, item in enumerate(raw):
        role = item.get("role") if isinstance(item, dict) else None
        content = item.get("content") if isinstance(item, dict) else None
        if isinstance(content, list):  # content parts: keep the text ones
            content = _text_parts(content, f"messages[{i}].content")
        if not isinstance(role, str) or role not in _ROLES or not isinstance(content, str):
            raise ApiError(
                "invalid_param",
                400,
                f"messages[{i}] needs a role (system/user/assistant) and text content",
                field=f"messages[{i}]",
            )
        messages.append(ChatMessage(cast(Role, role), content))  # one of _ROLES, checked above
    if messages[-1].role != "user":
        raise ApiError(
            "invalid_param", 400, "the last message must be from the user", field="messages"
        )
    return messages[:-1], messages[-1].content


def _chunk(
    handle: RunHandle, model: str, delta: dict[str, Any], finish: str | None = None, **extra: Any
) -> bytes:
    body = {
        "id": f"chatcmpl-{handle.run_id}",
        "object": "chat.completion.chunk",
        "created": int(time.time()),
        "model": model,
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
        **extra,
    }
    return b"data: " + json.dumps(body, ensure_ascii=False).encode() + b"\n\n"


def _usage(end: RunFinished) -> dict[str, int]:
    return {
        "prompt_tokens": end.prompt_tokens,
        "completion_tokens": end.completion_tokens,
        "total_tokens": end.prompt_tokens + end.completion_tokens,
    }


async def _stream(handle: RunHandle, model: str, include_usage: bool) -> AsyncIterator[bytes]:
    yield _chunk(handle, model, {"role": "assistant", "content": ""})
    async for batch in handle.batches():
        frames = []
        for event in batch:
            if isinstance(event, TextChunk):
                frames.append(_chunk(handle, model, {"content": event.text}))
            elif isinstance(event, RunFinished):
                frames += _final_chunks(handle, model, event, include_usage)
        if frames:
            yield b"".join(frames)
    yield b"data: [DONE]\n\n"


def _final_chunks(
    handle: RunHandle, model: str, end: RunFinished, include_usage: bool
) -> list[bytes]:
    if end.status == "failed":
        error = json.loads(openai_error(run_failure(end)).content)
        return [b"data: " + json.dumps(error).encode() + b"\n\n"]
    frames = [_chunk(handle, model, {}, "stop")]
    if include_usage:
        body = json.loads(_chunk(handle, model, {})[6:])
        body["choices"], body["usage"] = [], _usage(end)
        frames.append(b"data: " + json.dumps(body).encode() + b"\n\n")
    return frames


async def _chat_completions(request: HttpRequest) -> HttpResponseBase:
    owner = await authenticate(request)
    body = json_body(request)
    model = body.get("model")
    if not isinstance(model, str) or not model:
        raise ApiError("invalid_param", 400, "model (the app slug) is required", field="model")
    history, query = _messages(body)
    include_usage = _include_usage(body)  # every field is checked before the run starts
    pub = await published_app(owner, "chat")
    if pub.app.slug != model:
        raise ApiError(
            "model_not_found", 404, f"model {model!r} is not the app of this key", field="model"
        )
    handle = await start_run_within_limit(
        owner,
        RunRequest(
            app=pub.app,
            graph=pub.graph,
            version=pub.version,
            source=RunSource.API,
            inputs={},
            query=query,
            end_user=str(body.get("user") or ""),
            history=history,
        ),
    )
    if body.get("stream"):
        return stream_response(_stream(handle, model, include_usage))
    end: RunFinished | None = None
    async for event in handle.events():
        if isinstance(event, RunFinished):
            end = event
    if end is None:
        raise ApiError("internal_error", 500, "the run ended without a result")
    if end.status == "failed":
        raise run_failure(end)
    return JsonResponse(
        {
            "id": f"chatcmpl-{handle.run_id}",
            "object": "chat.completion",
            "created": int(end.at.timestamp()),
            "model": model,
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": end.answer},
                    "finish_reason": "stop",
                }
            ],
            "usage": _usage(end),
        }
    )


@service_view("POST")
async def chat_completions(request: HttpRequest) -> HttpResponseBase:
    """OpenAI's POST /v1/chat/completions; errors in OpenAI's shape."""
    try:
        return await _chat_completions(request)
    except ApiError as err:
        return openai_error(err)


@service_view("GET")
async def list_models(request: HttpRequest) -> HttpResponseBase:
    """OpenAI's GET /v1/models: the one app this key grants."""
    try:
        owner = await authenticate(request)
        pub = await published_app(owner)
    except ApiError as err:
        return openai_error(err)
    return JsonResponse(
        {
            "object": "list",
            "data": [
                {
                    "id": pub.app.slug,
                    "object": "model",
                    "created": int(pub.version.created_at.timestamp()),
                    "owned_by": "weft",
                }
            ],
        }
    )
