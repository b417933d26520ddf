"""An OpenAI-compatible server that replays scripted turns, streamed as vLLM 0.33 streams them.

Each POST /v1/chat/completions takes the next `Turn` of the script and sends, as SSE: a first
chunk with the role and empty content, the text in pieces, each tool call as vLLM's tool parsers
stream it (a delta with the call's index, id, type and name, then its arguments in pieces, the
last piece riding in the chunk that carries `finish_reason`, as vLLM sends the arguments it has
not streamed yet with the finish), `finish_reason` "tool_calls" or "stop", a usage chunk when
`stream_options.include_usage` asks, and `data: [DONE]`. Started without tool calling
(`tool_calling=False`, like vLLM without `--enable-auto-tool-choice`) it refuses a request that
offers tools with vLLM's 400. It records each chat request's JSON body. GET /v1/models lists
its model as vLLM does. Given an `api_key` (as `vllm serve --api-key`), it answers any request
without that bearer token with vLLM's 401.
"""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

NO_AUTO_TOOLS = (
    '"auto" tool choice requires --enable-auto-tool-choice and --tool-call-parser to be set'
)


@dataclass(frozen=True)
class Call:
    """A scripted tool call: the tool's name and its arguments' JSON text."""

    name: str
    arguments: str


@dataclass(frozen=True)
class Turn:
    """One scripted answer: text, then tool calls; both streamed in pieces of `piece` chars."""

    text: str = ""
    calls: tuple[Call, ...] = ()
    piece: int = 4


@dataclass
class ScriptedServer:
    """Raw ASGI app replaying `script` (one Turn per request; an exhausted script answers "")."""

    script: list[Turn] = field(default_factory=list)
    tool_calling: bool = True
    model: str = "scripted"
    requests: list[dict[str, Any]] = field(default_factory=list)
    api_key: str | None = None

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        """Raw ASGI: one chat completion per request, or the model list."""
        if scope["type"] != "http":
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        if self.api_key is not None and _bearer(scope) != self.api_key:
            await _respond(send, 401, "application/json", b'{"error": "Unauthorized"}')
            return
        if scope["method"] == "GET" and scope["path"].endswith("/models"):
            await _respond(send, 200, "application/json", json.dumps(self._models()).encode())
            return
        request = json.loads(body)
        self.requests.append(request)
        if request.get("tools") and not self.tool_calling:
            error = {
                "object": "error",
                "message": NO_AUTO_TOOLS,
                "type": "BadRequestError",
                "param": None,
                "code": 400,
            }
            await _respond(send, 400, "application/json", json.dumps(error).encode())
            return
        turn = self.script.pop(0) if self.script else Turn()
        include_usage = bool((request.get("stream_options") or {}).get("include_usage"))
        frames = _frames(turn, request.get("model", self.model), include_usage)
        await _respond(send, 200, "text/event-stream", "".join(frames).encode())

    def _models(self) -> dict[str, Any]:
        card = {"id": self.model, "object": "model", "created": int(time.time()),
                "owned_by": "vllm", "root": self.model, "parent": None,
                "max_model_len": 2048}  # fmt: skip
        return {"object": "list", "data": [card]}


def _bearer(scope: dict[str, Any]) -> str | None:
    for name, value in scope.get("headers", []):
        if name.lower() == b"authorization" and value.startswith(b"Bearer "):
            return str(value[len(b"Bearer ") :].decode())
    return None


async def _respond(send: Any, status: int, content_type: str, data: bytes) -> None:
    headers = [(b"content-type", content_type.encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": data})


def _pieces(text: str, size: int) -> list[str]:
    return [text[i : i + size] for i in range(0, len(text), size)]


def _frames(turn: Turn, model: str, include_usage: bool) -> list[str]:
    """The SSE frames of one streamed turn, as vLLM sends them."""
    envelope = {
        "id": f"chatcmpl-{uuid.uuid4().hex}",
        "object": "chat.completion.chunk",
        "created": int(time.time()),
        "model": model,
    }

    def chunk(delta: dict[str, Any], finish: str | None = None) -> str:
        choice = {
            "index": 0,
            "delta": delta,
            "logprobs": None,
            "finish_reason": finish,
            "stop_reason": None,
        }
        return f"data: {json.dumps({**envelope, 'choices': [choice]})}\n\n"

    frames = [chunk({"role": "assistant", "content": ""})]
    frames += [chunk({"content": p}) for p in _pieces(turn.text, turn.piece)]
    last: dict[str, Any] = {}
    for index, call in enumerate(turn.calls):
        head = {"id": f"chatcmpl-tool-{uuid.uuid4().hex}", "type": "function", "index": index}
        frames.append(chunk({"tool_calls": [{**head, "function": {"name": call.name}}]}))
        args = _pieces(call.arguments, turn.piece)
        if index == len(turn.calls) - 1 and args:  # the rest goes with finish_reason
            args, rest = args[:-1], args[-1]
            last = {"tool_calls": [{"index": index, "function": {"arguments": rest}}]}
        frames += [
            chunk({"tool_calls": [{"index": index, "function": {"arguments": a}}]}) for a in args
        ]
    frames.append(chunk(last, "tool_calls" if turn.calls else "stop"))
    if include_usage:
        completion = len(turn.text) + sum(len(c.arguments) for c in turn.calls)
        usage = {"prompt_tokens": 10, "completion_tokens": completion}
        usage["total_tokens"] = usage["prompt_tokens"] + completion
        frames.append(f"data: {json.dumps({**envelope, 'choices': [], 'usage': usage})}\n\n")
    frames.append("data: [DONE]\n\n")
    return frames
