"""The bodies of the published API (/v1) as pydantic models: the one description of them.

The views validate every request body with `body_of` (refusals in Dify's error shape,
`{"code": "invalid_param", "message", "status": 400, "field"}`, naming the field), and
builder/v1_openapi.py documents the same models at GET /v1/openapi.json. Dify clients send null
for a field they leave out, so a null field is taken as not given (its default applies).
"""

from __future__ import annotations

from functools import cache
from typing import Any, Literal, TypeVar

from django.http import HttpRequest
from pydantic import BaseModel, Field, ValidationError, field_validator, model_validator
from pydantic_core import ErrorDetails, PydanticCustomError

from kernel.errors import ApiError
from kernel.json_input import JsonInputError, parse_json
from runtime.messages import explain_field

User = str | int
ResponseMode = Literal["streaming", "blocking"]
B = TypeVar("B", bound="Body")


class Body(BaseModel):
    """A /v1 request body (or a part of one); a null field counts as not given."""

    @model_validator(mode="before")
    @classmethod
    def _null_is_absent(cls, data: Any) -> Any:
        if isinstance(data, dict):
            return {k: v for k, v in data.items() if v is not None}
        return data


class ChatMessageIn(Body):
    """POST /v1/chat-messages (Dify)."""

    query: str = Field(description="the user's message (sys.query)")
    inputs: dict[str, Any] = Field(default_factory=dict, description="the start node's variables")
    user: User = Field(default="", description="your end user's id; scopes conversations")
    conversation_id: str = Field(default="", description="continue this conversation")
    response_mode: ResponseMode = "streaming"


class WorkflowRunIn(Body):
    """POST /v1/workflows/run (Dify)."""

    inputs: dict[str, Any] = Field(default_factory=dict, description="the start node's variables")
    user: User = ""
    response_mode: ResponseMode = "streaming"


class ResumeRunIn(Body):
    """POST /v1/workflows/runs/{run_id}/resume (Weft's; Dify has none): answer a waiting run."""

    answers: dict[str, Any] = Field(
        default_factory=dict, description="the paused node's form answers, by field name"
    )
    node_id: str = Field(default="", description="the paused node to answer; empty: the first")
    user: User = ""
    response_mode: ResponseMode = "blocking"


class CompletionMessageIn(Body):
    """POST /v1/completion-messages (Dify; for completion apps, a mode Weft has not got)."""

    inputs: dict[str, Any] = Field(default_factory=dict, description="the app's variables")
    query: str = ""
    user: User = ""
    response_mode: ResponseMode = "streaming"


class StopIn(Body):
    """POST /v1/chat-messages/{task_id}/stop and /v1/workflows/tasks/{task_id}/stop."""

    user: User = ""


class ConversationDeleteIn(Body):
    """DELETE /v1/conversations/{conversation_id}."""

    user: User

    @field_validator("user")
    @classmethod
    def _not_empty(cls, user: User) -> User:
        if user == "":
            raise PydanticCustomError("missing", "user is required")
        return user


class ContentPart(Body):
    """An OpenAI content part; only the text ones are read."""

    type: str = "text"
    text: str = ""


class ChatCompletionMessage(Body):
    """One message of an OpenAI chat completion request."""

    role: Literal["system", "user", "assistant"]
    content: str | list[ContentPart]

    @property
    def text(self) -> str:
        """The content as text (the text of its parts)."""
        if isinstance(self.content, str):
            return self.content
        return "".join(part.text for part in self.content)


class StreamOptions(Body):
    """OpenAI's stream_options."""

    include_usage: bool = False


class ChatCompletionIn(Body):
    """POST /v1/chat/completions (OpenAI): the earlier messages are the memory, the last is the
    query."""

    model: str = Field(min_length=1, description="the app's slug")
    messages: list[ChatCompletionMessage] = Field(min_length=1)
    stream: bool = False
    stream_options: StreamOptions = Field(default_factory=StreamOptions)
    user: str = ""

    @field_validator("messages")
    @classmethod
    def _ends_with_user(cls, messages: list[ChatCompletionMessage]) -> list[ChatCompletionMessage]:
        if messages[-1].role != "user":
            raise PydanticCustomError("last_message", "the last message must be from the user")
        return messages


def json_body(request: HttpRequest) -> dict[str, Any]:
    """The request's JSON object body, `{}` when empty (ApiError 400 otherwise)."""
    try:
        body = parse_json(request.body or b"{}")
    except JsonInputError as exc:
        raise ApiError("invalid_param", 400, exc.message, field=exc.field) from None
    if not isinstance(body, dict):
        raise ApiError("invalid_param", 400, "request body must be a JSON object", field="body")
    return body


def body_of(request: HttpRequest, model: type[B]) -> B:
    """The request's body as `model`; ApiError 400 `invalid_param` naming the first bad field."""
    try:
        return model.model_validate(json_body(request))
    except ValidationError as exc:
        raise refusal(model, exc) from None


def refusal(model: type[Body], exc: ValidationError) -> ApiError:
    """A validation error as Dify's `invalid_param`, naming the field (`messages[0].role`) and
    saying in words what it must be (runtime/messages.py)."""
    errors = exc.errors(include_url=False)
    first = errors[0]
    # a union's members each report; the deepest error is the member the value came closest to
    same = [e for e in errors if e["loc"][:1] == first["loc"][:1]]
    name = field_name(model, max(same, key=lambda e: len(e["loc"])))
    mine = [e for e in same if field_name(model, e) == name]
    if any(e.get("input", "") is None for e in mine):  # null in a list: not a value left out
        message = f"{name} is required"
    else:
        message = explain_field(name, mine, model)  # "query must be text"
    return ApiError("invalid_param", 400, message, field=name)


def field_name(model: type[Body], error: ErrorDetails) -> str:
    """The error's location as a field path; a union member's tag (`str`) is not a field."""
    names = _field_names(model)
    path = ""
    for part in error["loc"]:
        if isinstance(part, int):
            path += f"[{part}]"
        elif part in names:
            path += f".{part}" if path else part
    return path or "body"


@cache
def _field_names(model: type[BaseModel]) -> frozenset[str]:
    names: set[str] = set()
    for name, info in model.model_fields.items():
        names.add(name)
        for inner in _models_in(info.annotation):
            names |= _field_names(inner)
    return frozenset(names)


def _models_in(annotation: Any) -> list[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    return [m for arg in getattr(annotation, "__args__", ()) for m in _models_in(arg)]
