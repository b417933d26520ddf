"""The published API (/v1) described in OpenAPI 3.1, served at GET /v1/openapi.json.

Request bodies are the models the views validate with (builder/v1_schemas.py), so the document
and the checks cannot drift; the answers are described by the models below.
"""

from __future__ import annotations

from functools import cache
from typing import Any, Literal

from django.http import HttpRequest, HttpResponseBase, JsonResponse
from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from builder.service_api import service_view
from builder.v1_schemas import (
    ChatCompletionIn,
    ChatMessageIn,
    CompletionMessageIn,
    ConversationDeleteIn,
    ResumeRunIn,
    StopIn,
    WorkflowRunIn,
)

REF = "#/components/schemas/{model}"


class ErrorOut(BaseModel):
    """A Dify-style error."""

    code: str
    message: str
    status: int
    field: str | None = None


class OpenAIErrorDetail(BaseModel):
    """The inside of an OpenAI-style error."""

    message: str
    type: str
    code: str
    param: str | None = None


class OpenAIErrorOut(BaseModel):
    """An OpenAI-style error."""

    error: OpenAIErrorDetail


class ResultOut(BaseModel):
    """`{"result": "success"}`."""

    result: Literal["success"]


class ChatMessageOut(BaseModel):
    """The blocking answer of /v1/chat-messages."""

    event: str
    task_id: str
    id: str
    message_id: str
    conversation_id: str
    mode: str
    answer: str
    metadata: dict[str, Any]
    created_at: int


class WorkflowRunOut(BaseModel):
    """The blocking answer of /v1/workflows/run."""

    task_id: str
    workflow_run_id: str
    data: dict[str, Any]


class ChatCompletionOut(BaseModel):
    """The non-streaming answer of /v1/chat/completions."""

    id: str
    object: Literal["chat.completion"]
    created: int
    model: str
    choices: list[dict[str, Any]]
    usage: dict[str, int]


class ModelOut(BaseModel):
    """The one model (app) a key grants."""

    id: str
    object: Literal["model"]
    created: int
    owned_by: str


class ModelListOut(BaseModel):
    """GET /v1/models."""

    object: Literal["list"]
    data: list[ModelOut]


class PageOut(BaseModel):
    """A page of conversations, messages or conversation variables (Dify)."""

    limit: int
    has_more: bool
    data: list[dict[str, Any]]


class ParametersOut(BaseModel):
    """GET /v1/parameters: the input form and the features (Dify's shape)."""

    opening_statement: str
    suggested_questions: list[str]
    user_input_form: list[dict[str, dict[str, Any]]]
    file_upload: dict[str, Any]
    system_parameters: dict[str, int]
    suggested_questions_after_answer: dict[str, Any]
    speech_to_text: dict[str, Any]
    text_to_speech: dict[str, Any]
    retriever_resource: dict[str, Any]
    annotation_reply: dict[str, Any]
    more_like_this: dict[str, Any]
    sensitive_word_avoidance: dict[str, Any]


class InfoOut(BaseModel):
    """GET /v1/info: the key's app."""

    name: str
    description: str
    tags: list[str]
    mode: str
    author_name: str


MODELS: tuple[type[BaseModel], ...] = (
    ChatMessageIn,
    CompletionMessageIn,
    WorkflowRunIn,
    ResumeRunIn,
    StopIn,
    ChatCompletionIn,
    ConversationDeleteIn,
    ErrorOut,
    OpenAIErrorOut,
    ResultOut,
    ChatMessageOut,
    WorkflowRunOut,
    ChatCompletionOut,
    ModelListOut,
    PageOut,
    ParametersOut,
    InfoOut,
)


def _ref(model: type[BaseModel]) -> dict[str, str]:
    return {"$ref": REF.format(model=model.__name__)}


def _json(model: type[BaseModel], stream: bool = False) -> dict[str, Any]:
    content: dict[str, Any] = {"application/json": {"schema": _ref(model)}}
    if stream:
        content["text/event-stream"] = {"schema": {"type": "string"}}
    return {"content": content}


def _operation(
    summary: str,
    ok: type[BaseModel] | None,
    body: type[BaseModel] | None = None,
    *,
    error: type[BaseModel] = ErrorOut,
    stream: bool = False,
    params: list[dict[str, Any]] | None = None,
    codes: tuple[int, ...] = (400, 401),
) -> dict[str, Any]:
    op: dict[str, Any] = {
        "summary": summary,
        "security": [{"appKey": []}],
        "responses": {
            **({"200": {"description": "OK", **_json(ok, stream)}} if ok else {}),
            **{str(c): {"description": "error", **_json(error)} for c in codes},
        },
    }
    if body is not None:
        op["requestBody"] = {"required": True, **_json(body)}
    if params:
        op["parameters"] = params
    return op


def _param(
    name: str, where: str = "query", required: bool = False, **schema: Any
) -> dict[str, Any]:
    return {"name": name, "in": where, "required": required, "schema": schema or {"type": "string"}}


_TASK = [_param("task_id", "path", True)]


def _limit() -> dict[str, Any]:
    return _param("limit", type="integer", minimum=1, maximum=100, default=20)


def _paths() -> dict[str, Any]:
    user = _param("user", required=True)
    conversation = [_param("conversation_id", "path", True)]
    return {
        "/v1/chat-messages": {
            "post": _operation("Send a chat message", ChatMessageOut, ChatMessageIn, stream=True)
        },
        "/v1/chat-messages/{task_id}/stop": {
            "post": _operation("Stop a chat run", ResultOut, StopIn, params=_TASK, codes=(401, 404))
        },
        "/v1/completion-messages": {
            "post": _operation(
                "Completion apps (Weft has none: answers 400 app_unavailable)",
                None,
                CompletionMessageIn,
            )
        },
        "/v1/workflows/run": {
            "post": _operation("Run a workflow", WorkflowRunOut, WorkflowRunIn, stream=True)
        },
        "/v1/workflows/runs/{run_id}/resume": {
            "post": _operation(
                "Answer a waiting run (Weft's): it runs on from the paused node",
                WorkflowRunOut,
                ResumeRunIn,
                stream=True,
                params=[_param("run_id", "path", True)],
                codes=(400, 401, 404, 409, 422),
            )
        },
        "/v1/workflows/tasks/{task_id}/stop": {
            "post": _operation(
                "Stop a workflow run", ResultOut, StopIn, params=_TASK, codes=(401, 404)
            )
        },
        "/v1/chat/completions": {
            "post": _operation(
                "OpenAI chat completion",
                ChatCompletionOut,
                ChatCompletionIn,
                error=OpenAIErrorOut,
                stream=True,
                codes=(400, 401, 404),
            )
        },
        "/v1/models": {
            "get": _operation("The key's app as a model", ModelListOut, error=OpenAIErrorOut)
        },
        "/v1/parameters": {
            "get": _operation(
                "The input form of the serving version", ParametersOut, params=[_param("user")]
            )
        },
        "/v1/info": {"get": _operation("The key's app", InfoOut)},
        "/v1/conversations": {
            "get": _operation(
                "The user's conversations",
                PageOut,
                params=[user, _param("last_id"), _limit()],
                codes=(400, 401, 404),
            )
        },
        "/v1/conversations/{conversation_id}": {
            "delete": _operation(
                "Delete a conversation",
                ResultOut,
                ConversationDeleteIn,
                params=conversation,
                codes=(400, 401, 404),
            )
        },
        "/v1/conversations/{conversation_id}/variables": {
            "get": _operation(
                "A conversation's variables and their values now",
                PageOut,
                params=[*conversation, user, _param("last_id"), _limit()],
                codes=(400, 401, 404),
            )
        },
        "/v1/messages": {
            "get": _operation(
                "A conversation's messages",
                PageOut,
                params=[
                    _param("conversation_id", required=True),
                    user,
                    _param("first_id"),
                    _limit(),
                ],
                codes=(400, 401, 404),
            )
        },
    }


@cache
def get_v1_openapi() -> dict[str, Any]:
    """The OpenAPI 3.1 document of the published API."""
    _, defs = models_json_schema([(m, "validation") for m in MODELS], ref_template=REF)
    return {
        "openapi": "3.1.0",
        "info": {"title": "Weft published API", "version": "1"},
        "paths": _paths(),
        "components": {
            "schemas": defs.get("$defs", {}),
            "securitySchemes": {"appKey": {"type": "http", "scheme": "bearer"}},
        },
    }


@service_view("GET")
async def openapi_json(request: HttpRequest) -> HttpResponseBase:
    """GET /v1/openapi.json: this document (public, like /api/openapi.json)."""
    return JsonResponse(get_v1_openapi())
