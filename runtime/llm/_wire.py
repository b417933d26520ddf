"""OpenAI chat-completions wire format for the server: request parsing and response objects."""

from __future__ import annotations

import time
import uuid
from typing import Any

from runtime.llm.protocol import ChatMessage, ChatRequest, ToolCall, Usage

ROLES = ("system", "user", "assistant", "tool")


class WireError(Exception):
    """A request the server refuses; rendered as OpenAI's {"error": {...}} body."""

    def __init__(self, status: int, message: str, param: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.param = param

    def body(self) -> dict[str, Any]:
        """The OpenAI-style error object."""
        kinds = {400: "BadRequestError", 401: "AuthenticationError", 404: "NotFoundError"}
        kind = kinds.get(self.status, "InternalServerError" if self.status >= 500 else "Error")
        return {
            "error": {
                "message": self.message,
                "type": kind,
                "param": self.param,
                "code": self.status,
            }
        }


def _bad(param: str, message: str) -> WireError:
    return WireError(400, f"{param}: {message}", param)


def _number(body: dict[str, Any], name: str, low: float, high: float) -> float | None:
    value = body.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _bad(name, "must be a number")
    if not low <= value <= high:
        raise _bad(name, f"must be between {low} and {high}")
    return float(value)


def _integer(body: dict[str, Any], name: str, low: int) -> int | None:
    value = body.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise _bad(name, "must be an integer")
    if value < low:
        raise _bad(name, f"must be at least {low}")
    return value


def _content(value: Any, param: str) -> str:
    """Message content: a string, null, or a list of text parts."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        texts = []
        for i, part in enumerate(value):
            if not isinstance(part, dict) or part.get("type") != "text":
                raise _bad(f"{param}[{i}]", "only text content parts are supported")
            texts.append(str(part.get("text", "")))
        return "".join(texts)
    raise _bad(param, "must be a string or a list of content parts")


def _tool_calls(value: Any, param: str) -> tuple[ToolCall, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        raise _bad(param, "must be a list")
    calls = []
    for i, call in enumerate(value):
        function = call.get("function") if isinstance(call, dict) else None
        if not isinstance(function, dict) or not isinstance(function.get("name"), str):
            raise _bad(f"{param}[{i}].function.name", "is required")
        arguments = function.get("arguments") or "{}"
        calls.append(ToolCall(str(call.get("id", f"call_{i}")), function["name"], str(arguments)))
    return tuple(calls)


def _messages(value: Any) -> tuple[ChatMessage, ...]:
    if not isinstance(value, list) or not value:
        raise _bad("messages", "must be a non-empty list")
    out = []
    for i, item in enumerate(value):
        param = f"messages[{i}]"
        if not isinstance(item, dict):
            raise _bad(param, "must be an object")
        role = item.get("role")
        if role not in ROLES:
            raise _bad(f"{param}.role", f"must be one of {', '.join(ROLES)}")
        tool_call_id = item.get("tool_call_id")
        out.append(
            ChatMessage(
                role=role,
                content=_content(item.get("content"), f"{param}.content"),
                tool_calls=_tool_calls(item.get("tool_calls"), f"{param}.tool_calls"),
                tool_call_id=str(tool_call_id) if tool_call_id is not None else None,
            )
        )
    return tuple(out)


def _stop(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list) and all(isinstance(s, str) for s in value):
        return tuple(value)
    raise _bad("stop", "must be a string or a list of strings")


RESPONSE_FORMATS = ("text", "json_object", "json_schema")


def _response_format(value: Any) -> dict[str, Any] | None:
    """OpenAI's `response_format`, checked for shape (the model decides what it honours)."""
    if value is None:
        return None
    if not isinstance(value, dict):
        raise _bad("response_format", "must be an object")
    if value.get("type") not in RESPONSE_FORMATS:
        raise _bad("response_format.type", f"must be one of {', '.join(RESPONSE_FORMATS)}")
    if value["type"] == "json_schema" and not isinstance(value.get("json_schema"), dict):
        raise _bad("response_format.json_schema", "must be an object holding the schema")
    return value


def parse_chat_request(body: Any) -> tuple[ChatRequest, bool, bool]:
    """Validate a /v1/chat/completions body: (request, stream, include_usage)."""
    if not isinstance(body, dict):
        raise WireError(400, "the request body must be a JSON object")
    if not isinstance(body.get("model"), str) or not body["model"]:
        raise _bad("model", "is required and must be a string")
    if body.get("n", 1) != 1:
        raise _bad("n", "only n=1 is supported")
    tools = body.get("tools") or []
    if not isinstance(tools, list) or not all(isinstance(t, dict) for t in tools):
        raise _bad("tools", "must be a list of objects")
    stream = body.get("stream", False)
    if not isinstance(stream, bool):
        raise _bad("stream", "must be a boolean")
    options = body.get("stream_options") or {}
    if not isinstance(options, dict):
        raise _bad("stream_options", "must be an object")
    max_tokens = _integer(body, "max_completion_tokens", 1)
    request = ChatRequest(
        model=body["model"],
        messages=_messages(body.get("messages")),
        temperature=_number(body, "temperature", 0.0, 2.0),
        top_p=_number(body, "top_p", 0.0, 1.0),
        max_tokens=max_tokens if max_tokens is not None else _integer(body, "max_tokens", 1),
        stop=_stop(body.get("stop")),
        tools=tuple(tools),
        seed=_integer(body, "seed", -(2**63)),
        response_format=_response_format(body.get("response_format")),
    )
    return request, stream, bool(options.get("include_usage", False))


class Envelope:
    """The id, timestamp and model name shared by every object of one response."""

    def __init__(self, model: str) -> None:
        self.id = f"chatcmpl-{uuid.uuid4().hex}"
        self.created = int(time.time())
        self.model = model

    def chunk(self, delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
        """A chat.completion.chunk with one choice."""
        choice = {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}
        return self._wrap("chat.completion.chunk", choices=[choice])

    def usage_chunk(self, usage: Usage) -> dict[str, Any]:
        """The final chunk stream_options.include_usage asks for: no choices, just usage."""
        return self._wrap("chat.completion.chunk", choices=[], usage=usage_json(usage))

    def completion(
        self, text: str, calls: list[dict[str, Any]], finish: str, usage: Usage | None
    ) -> dict[str, Any]:
        """A whole chat.completion object for stream=false."""
        message: dict[str, Any] = {
            "role": "assistant",
            "content": text if text or not calls else None,
        }
        if calls:
            message["tool_calls"] = calls
        choice = {"index": 0, "message": message, "logprobs": None, "finish_reason": finish}
        return self._wrap(
            "chat.completion", choices=[choice], usage=usage_json(usage or Usage(0, 0))
        )

    def _wrap(self, kind: str, **fields: Any) -> dict[str, Any]:
        return {
            "id": self.id,
            "object": kind,
            "created": self.created,
            "model": self.model,
            **fields,
        }


def usage_json(usage: Usage) -> dict[str, int]:
    """OpenAI's usage object."""
    return {
        "prompt_tokens": usage.prompt_tokens,
        "completion_tokens": usage.completion_tokens,
        "total_tokens": usage.total_tokens,
    }
