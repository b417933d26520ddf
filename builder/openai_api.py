"""OpenAI's POST /v1/chat/completions and GET /v1/models for published chat apps.

`model` is the app's slug; the key must belong to that app. The request's earlier messages are the
conversation memory (OpenAI clients are stateless), the last user message is `sys.query`.
"""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from typing import Any

from django.http import HttpRequest, HttpResponseBase, JsonResponse

from builder.actions.run_requests import RunRequest
from builder.actions.runs import RunHandle
from builder.key_limits import start_run_within_limit
from builder.models import RunSource
from builder.service_api import (
    authenticate,
    blocking_end,
    published_app,
    run_failure,
    service_view,
    stream_response,
)
from builder.v1_schemas import ChatCompletionIn, body_of
from kernel.errors import ApiError
from runtime.events import RunFinished, TextChunk
from runtime.llm.protocol import ChatMessage


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
    body = body_of(request, ChatCompletionIn)  # every field is checked before the run starts
    pub = await published_app(owner, "chat")
    if pub.app.slug != body.model:
        raise ApiError(
            "model_not_found",
            404,
            f"model {body.model!r} is not the app of this key",
            field="model",
        )
    *history, last = (ChatMessage(m.role, m.text) for m in body.messages)
    handle = await start_run_within_limit(
        owner,
        RunRequest(
            app=pub.app,
            graph=pub.graph,
            version=pub.version,
            source=RunSource.API,
            inputs={},
            query=last.content,
            end_user=body.user,
            history=history,
        ),
    )
    if body.stream:
        return stream_response(_stream(handle, body.model, body.stream_options.include_usage))
    end = await blocking_end(handle)
    return JsonResponse(
        {
            "id": f"chatcmpl-{handle.run_id}",
            "object": "chat.completion",
            "created": int(end.at.timestamp()),
            "model": body.model,
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
