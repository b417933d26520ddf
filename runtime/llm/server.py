"""Serve any `ChatModel` over vLLM's OpenAI-compatible HTTP API, as a plain ASGI app.

Routes: GET /health, GET /v1/models, POST /v1/chat/completions (stream or not, with
stream_options.include_usage), POST /v1/load_lora_adapter and /v1/unload_lora_adapter (when
the model has `load_lora_adapter`). Errors use OpenAI's {"error": {message, type, param, code}}.

A `lora_path` is a name the caller chose, so the server loads it only through `adapter_path`,
the caller's rule for which folders may be loaded (it returns the folder, or raises ValueError);
without one, no adapter is loaded by path.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, MutableMapping
from dataclasses import replace
from typing import Any

from runtime.errors import (
    LLMAuthError,
    LLMBadRequestError,
    LLMError,
    LLMRateLimitError,
    LLMUnavailableError,
    ModelNotFoundError,
)
from runtime.llm._wire import Envelope, WireError, parse_chat_request
from runtime.llm.protocol import ChatChunk, ChatModel, Finish, TextDelta, ToolCallDelta, Usage

log = logging.getLogger(__name__)

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]
AdapterPath = Callable[[str], object]  # a requested lora_path → the folder to load, or ValueError

MAX_BODY = 16 * 1024 * 1024
_STATUS_FOR = (
    (ModelNotFoundError, 404),
    (LLMBadRequestError, 400),
    (LLMAuthError, 401),
    (LLMRateLimitError, 429),
    (LLMUnavailableError, 503),
)


def status_for(exc: LLMError) -> int:
    """The HTTP status the server answers a model error with."""
    return next((code for cls, code in _STATUS_FOR if isinstance(exc, cls)), 500)


async def _send_bytes(send: Send, status: int, body: bytes, content_type: str) -> None:
    headers = [
        (b"content-type", content_type.encode()),
        (b"content-length", str(len(body)).encode()),
    ]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def _send_json(send: Send, status: int, data: Any) -> None:
    await _send_bytes(send, status, json.dumps(data).encode(), "application/json")


async def _read_json(receive: Receive) -> Any:
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise WireError(400, "client went away")
        chunks.append(message.get("body", b""))
        size += len(chunks[-1])
        if size > MAX_BODY:
            raise WireError(413, "request body too large")
        if not message.get("more_body"):
            break
    try:
        return json.loads(b"".join(chunks) or b"null")
    except ValueError as exc:
        raise WireError(400, f"the request body is not valid JSON: {exc}") from exc


async def _wait_disconnect(receive: Receive) -> None:
    while (await receive())["type"] != "http.disconnect":
        pass


class ModelServer:
    """The ASGI app; `create_app` builds one."""

    def __init__(
        self, model: ChatModel, served_name: str, adapter_path: AdapterPath | None = None
    ) -> None:
        self.model = model
        self.served_name = served_name
        self.adapter_path = adapter_path
        self._routes: dict[tuple[str, str], Callable[[Receive, Send], Awaitable[None]]] = {
            ("GET", "/health"): self._health,
            ("GET", "/v1/models"): self._models,
            ("POST", "/v1/chat/completions"): self._chat,
            ("POST", "/v1/load_lora_adapter"): self._load_adapter,
            ("POST", "/v1/unload_lora_adapter"): self._unload_adapter,
        }

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Dispatch one ASGI connection."""
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        handler = self._routes.get((scope["method"], scope["path"].rstrip("/") or "/"))
        try:
            if handler is None:
                known = any(path == scope["path"] for _, path in self._routes)
                raise WireError(
                    405 if known else 404, f"no route {scope['method']} {scope['path']}"
                )
            await handler(receive, send)
        except WireError as exc:
            await _send_json(send, exc.status, exc.body())
        except LLMError as exc:
            await _send_json(send, status_for(exc), _error_body(exc))
        except Exception as exc:
            log.exception("model server failed")
            await _send_json(send, 500, WireError(500, f"internal error: {exc!r}").body())

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def _health(self, receive: Receive, send: Send) -> None:
        await _send_bytes(send, 200, b"", "text/plain")

    async def _served_models(self) -> tuple[str, dict[str, str]]:
        """(base model id, {served name: id to pass to the model}) for the names we answer to."""
        infos = await self.model.list_models()
        base = next((m.id for m in infos if m.parent is None), self.served_name)
        names = {self.served_name: base, base: base}
        names.update({m.id: m.id for m in infos if m.parent is not None})
        return base, names

    async def _models(self, receive: Receive, send: Send) -> None:
        infos = await self.model.list_models()
        base = next((m.id for m in infos if m.parent is None), self.served_name)
        data = []
        for info in infos:
            is_base = info.parent is None and info.id == base
            entry = {
                "id": self.served_name if is_base else info.id,
                "object": "model",
                "owned_by": info.owned_by,
                "root": info.id,
                "parent": None
                if is_base
                else (self.served_name if info.parent == base else info.parent),
                **info.extra,
            }
            data.append(entry)
        await _send_json(send, 200, {"object": "list", "data": data})

    async def _chat(self, receive: Receive, send: Send) -> None:
        request, stream, include_usage = parse_chat_request(await _read_json(receive))
        _, names = await self._served_models()
        if request.model not in names:
            raise WireError(404, f"The model `{request.model}` does not exist.", "model")
        chunks = aiter(self.model.stream(replace(request, model=names[request.model])))
        envelope = Envelope(request.model)
        try:
            first = await anext(chunks)  # errors before the first chunk get a real status
        except StopAsyncIteration:
            first = Finish("stop")
        try:
            if stream:
                await self._stream(receive, send, envelope, first, chunks, include_usage)
            else:
                await _send_json(send, 200, await _collect(envelope, first, chunks))
        finally:
            await _aclose(chunks)

    async def _stream(
        self,
        receive: Receive,
        send: Send,
        envelope: Envelope,
        first: ChatChunk,
        chunks: AsyncIterator[ChatChunk],
        include_usage: bool,
    ) -> None:
        """SSE-stream the chunks; a client that hangs up cancels the generation."""
        headers = [(b"content-type", b"text/event-stream"), (b"cache-control", b"no-cache")]
        await send({"type": "http.response.start", "status": 200, "headers": headers})

        async def event(data: Any) -> None:
            payload = data if isinstance(data, str) else json.dumps(data)
            body = f"data: {payload}\n\n".encode()
            await send({"type": "http.response.body", "body": body, "more_body": True})

        async def pump() -> None:
            await event(envelope.chunk({"role": "assistant", "content": ""}))
            try:
                await _pump_chunks(event, envelope, _chain(first, chunks), include_usage)
            except LLMError as exc:
                await event(_error_body(exc))
            await event("[DONE]")

        pumping = asyncio.create_task(pump())
        watching = asyncio.create_task(_wait_disconnect(receive))
        try:
            await asyncio.wait({pumping, watching}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            watching.cancel()
            pumping.cancel()  # a no-op when it finished; stops the generation when the client left
            results = await asyncio.gather(pumping, watching, return_exceptions=True)
        if isinstance(results[0], Exception):
            log.warning("stream to client ended early: %r", results[0])
        elif not pumping.cancelled():
            with contextlib.suppress(OSError):
                await send({"type": "http.response.body", "body": b"", "more_body": False})

    async def _adapter_host(self, receive: Receive) -> tuple[Any, dict[str, Any]]:
        body = await _read_json(receive)
        if not isinstance(body, dict) or not isinstance(body.get("lora_name"), str):
            raise WireError(400, "lora_name: is required", "lora_name")
        if not hasattr(self.model, "load_lora_adapter"):
            raise WireError(400, "this model server does not support LoRA adapters")
        return self.model, body

    async def _load_adapter(self, receive: Receive, send: Send) -> None:
        host, body = await self._adapter_host(receive)
        if not isinstance(body.get("lora_path"), str):
            raise WireError(400, "lora_path: is required", "lora_path")
        refused = WireError(400, "lora_path: not an adapter folder this server loads", "lora_path")
        if self.adapter_path is None:
            raise refused
        try:
            folder = self.adapter_path(body["lora_path"])
        except ValueError:  # one answer whether the path exists or not
            raise refused from None
        await host.load_lora_adapter(body["lora_name"], str(folder))
        message = f"Success: LoRA adapter '{body['lora_name']}' added successfully."
        await _send_bytes(send, 200, message.encode(), "text/plain")

    async def _unload_adapter(self, receive: Receive, send: Send) -> None:
        host, body = await self._adapter_host(receive)
        await host.unload_lora_adapter(body["lora_name"])
        message = f"Success: LoRA adapter '{body['lora_name']}' removed successfully."
        await _send_bytes(send, 200, message.encode(), "text/plain")


def _error_body(exc: LLMError) -> dict[str, Any]:
    body = WireError(status_for(exc), str(exc)).body()
    body["error"]["type"] = exc.code
    return body


async def _chain(first: ChatChunk, rest: AsyncIterator[ChatChunk]) -> AsyncIterator[ChatChunk]:
    yield first
    async for chunk in rest:
        yield chunk


async def _aclose(chunks: AsyncIterator[ChatChunk]) -> None:
    close = getattr(chunks, "aclose", None)
    if close is not None:
        with contextlib.suppress(Exception):
            await close()


async def _pump_chunks(
    event: Callable[[Any], Awaitable[None]],
    envelope: Envelope,
    chunks: AsyncIterator[ChatChunk],
    include_usage: bool,
) -> None:
    """Model chunks to chat.completion.chunk events; usage goes last, after finish_reason."""
    usage: Usage | None = None
    async for chunk in chunks:
        if isinstance(chunk, TextDelta):
            await event(envelope.chunk({"content": chunk.text}))
        elif isinstance(chunk, ToolCallDelta):
            await event(envelope.chunk({"tool_calls": [_tool_call_json(chunk)]}))
        elif isinstance(chunk, Usage):
            usage = chunk
        elif isinstance(chunk, Finish):
            await event(envelope.chunk({}, chunk.reason))
    if include_usage and usage is not None:
        await event(envelope.usage_chunk(usage))


def _tool_call_json(chunk: ToolCallDelta) -> dict[str, Any]:
    function: dict[str, Any] = {"arguments": chunk.arguments}
    if chunk.name is not None:
        function["name"] = chunk.name
    out: dict[str, Any] = {"index": chunk.index, "function": function}
    if chunk.id is not None:
        out.update(id=chunk.id, type="function")
    return out


async def _collect(
    envelope: Envelope, first: ChatChunk, chunks: AsyncIterator[ChatChunk]
) -> dict[str, Any]:
    """Drain the chunks into one chat.completion object."""
    text: list[str] = []
    calls: dict[int, dict[str, Any]] = {}
    usage: Usage | None = None
    finish = "stop"
    async for chunk in _chain(first, chunks):
        if isinstance(chunk, TextDelta):
            text.append(chunk.text)
        elif isinstance(chunk, ToolCallDelta):
            call = calls.setdefault(
                chunk.index,
                {"id": chunk.id, "type": "function", "function": {"name": "", "arguments": ""}},
            )
            call["id"] = call["id"] or chunk.id
            call["function"]["name"] += chunk.name or ""
            call["function"]["arguments"] += chunk.arguments
        elif isinstance(chunk, Usage):
            usage = chunk
        elif isinstance(chunk, Finish):
            finish = chunk.reason
    return envelope.completion("".join(text), [calls[i] for i in sorted(calls)], finish, usage)


def create_app(
    model: ChatModel, served_name: str, adapter_path: AdapterPath | None = None
) -> ASGIApp:
    """An ASGI app serving `model` as `served_name` over the OpenAI/vLLM HTTP API.

    `adapter_path` decides which folders POST /v1/load_lora_adapter may load (see the module).
    """
    return ModelServer(model, served_name, adapter_path)
