"""Dify's conversation endpoints of the Service API: list conversations, list a conversation's
messages, delete a conversation. Scoped to the key's app and to the `user` the caller names."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponseBase, JsonResponse

from builder.models import Conversation, Message
from builder.published import serving_versions
from builder.service_api import authenticate, service_view
from builder.v1_schemas import ConversationDeleteIn, body_of
from kernel.db import db_call
from kernel.errors import ApiError
from kernel.ids import parse_uuid
from runtime.conversation import fits, zero_value
from runtime.spec import ConversationVariable

MAX_LIMIT = 100


def _limit(request: HttpRequest) -> int:
    raw = request.GET.get("limit", "20")
    if not (raw.isascii() and raw.isdigit()) or not 1 <= int(raw) <= MAX_LIMIT:  # "²".isdigit()
        raise ApiError("invalid_param", 400, f"limit must be 1..{MAX_LIMIT}", field="limit")
    return int(raw)


def _user(value: Any) -> str:
    if not isinstance(value, str | int) or str(value) == "":
        raise ApiError("invalid_param", 400, "user is required", field="user")
    return str(value)


def _conversation(app_id: int, user: str, conversation_id: str) -> Conversation:
    pk = parse_uuid(conversation_id)
    found = Conversation.objects.filter(pk=pk, app_id=app_id, end_user=user).first() if pk else None
    if found is None:
        raise ApiError(
            "conversation_not_found", 404, "conversation not found", field="conversation_id"
        )
    return found


def _page(
    rows: QuerySet[Any], limit: int, render: Callable[[Any], dict[str, Any]]
) -> dict[str, Any]:
    """One page of `rows` (already ordered and cut at the cursor), rendered, with `has_more`."""
    page = list(rows[: limit + 1])
    return {
        "limit": limit,
        "has_more": len(page) > limit,
        "data": [render(r) for r in page[:limit]],
    }


def _list_conversations(app_id: int, user: str, last_id: str, limit: int) -> dict[str, Any]:
    rows = Conversation.objects.filter(app_id=app_id, end_user=user).order_by("-updated_at")
    if last_id:
        rows = rows.filter(updated_at__lt=_conversation(app_id, user, last_id).updated_at)
    return _page(
        rows,
        limit,
        lambda c: {
            "id": str(c.id),
            "name": c.name,
            "inputs": {},
            "status": "normal",
            "introduction": "",
            "created_at": int(c.created_at.timestamp()),
            "updated_at": int(c.updated_at.timestamp()),
        },
    )


def _list_messages(
    app_id: int, user: str, conversation_id: str, first_id: str, limit: int
) -> dict[str, Any]:
    conversation = _conversation(app_id, user, conversation_id)
    rows = Message.objects.filter(conversation=conversation).order_by("-created_at")
    if first_id:
        pk = parse_uuid(first_id)
        first = Message.objects.filter(pk=pk, conversation=conversation).first() if pk else None
        if first is None:
            raise ApiError("message_not_found", 404, "message not found", field="first_id")
        rows = rows.filter(created_at__lt=first.created_at)
    body = _page(
        rows,
        limit,
        lambda m: {
            "id": str(m.id),
            "conversation_id": str(conversation.id),
            "inputs": m.inputs,
            "query": m.query,
            "answer": m.answer,
            "message_files": [],
            "feedback": None,
            "retriever_resources": [],
            "created_at": int(m.created_at.timestamp()),
        },
    )
    body["data"].reverse()  # Dify pages backwards, each page oldest first
    return body


def _declared(app_id: int) -> list[ConversationVariable]:
    """The conversation variables of the serving version (none when it has none or is gone)."""
    version = serving_versions(app_id).first()
    raw = version.spec.get("conversation_variables", []) if version else []
    return [ConversationVariable.model_validate(v) for v in raw]


def _list_variables(
    app_id: int, user: str, conversation_id: str, last_id: str, limit: int
) -> dict[str, Any]:
    conversation = _conversation(app_id, user, conversation_id)
    declared = _declared(app_id)
    names = [v.name for v in declared]
    if last_id:
        if last_id not in names:
            raise ApiError("variable_not_found", 404, "variable not found", field="last_id")
        declared = declared[names.index(last_id) + 1 :]

    def render(var: ConversationVariable) -> dict[str, Any]:
        stored = conversation.variables.get(var.name)
        default = zero_value(var.type) if var.default is None else var.default
        return {
            "id": var.name,  # Dify's are ids of rows; Weft's variables are known by name
            "name": var.name,
            "value_type": var.type,
            "value": stored if fits(var.type, stored) else default,
            "description": var.description,
            "created_at": int(conversation.created_at.timestamp()),
            "updated_at": int(conversation.updated_at.timestamp()),
        }

    page = declared[: limit + 1]
    return {
        "limit": limit,
        "has_more": len(page) > limit,
        "data": [render(v) for v in page[:limit]],
    }


@service_view("GET")
async def conversations(request: HttpRequest) -> HttpResponseBase:
    """GET /v1/conversations?user=&last_id=&limit=: the user's conversations, newest first."""
    owner = await authenticate(request)
    body = await db_call(
        _list_conversations,
        owner.app_id,
        _user(request.GET.get("user")),
        request.GET.get("last_id", ""),
        _limit(request),
    )
    return JsonResponse(body)


@service_view("GET")
async def messages(request: HttpRequest) -> HttpResponseBase:
    """GET /v1/messages?conversation_id=&user=&first_id=&limit=: a conversation's turns."""
    owner = await authenticate(request)
    conversation_id = request.GET.get("conversation_id", "")
    if not conversation_id:
        raise ApiError("invalid_param", 400, "conversation_id is required", field="conversation_id")
    body = await db_call(
        _list_messages,
        owner.app_id,
        _user(request.GET.get("user")),
        conversation_id,
        request.GET.get("first_id", ""),
        _limit(request),
    )
    return JsonResponse(body)


@service_view("DELETE")
async def delete_conversation(request: HttpRequest, conversation_id: str) -> HttpResponseBase:
    """DELETE /v1/conversations/{id} {user}: delete it with its messages."""
    owner = await authenticate(request)
    user = str(body_of(request, ConversationDeleteIn).user)

    def delete() -> None:
        _conversation(owner.app_id, user, conversation_id).delete()

    await db_call(delete)
    return JsonResponse({"result": "success"})


@service_view("GET")
async def conversation_variables(request: HttpRequest, conversation_id: str) -> HttpResponseBase:
    """GET /v1/conversations/{id}/variables?user=&last_id=&limit=: its conversation variables'
    values now (the serving version's variables; a value never assigned is the default)."""
    owner = await authenticate(request)
    body = await db_call(
        _list_variables,
        owner.app_id,
        _user(request.GET.get("user")),
        conversation_id,
        request.GET.get("last_id", ""),
        _limit(request),
    )
    return JsonResponse(body)
