"""A run's chat memory: its conversation (new, or continued and scoped to the end user), the
turns handed to it, and this turn's number."""

from __future__ import annotations

from builder.actions.run_requests import RunRequest
from builder.models import Conversation, Message
from kernel.db import db_call
from kernel.errors import ApiError
from kernel.ids import parse_uuid
from runtime.llm.protocol import ChatMessage

HISTORY_TURNS = 20  # chat memory handed to the run; llm nodes window it further

Memory = tuple[Conversation | None, Conversation | None, list[ChatMessage], int]


async def get_memory(req: RunRequest) -> Memory:
    """(conversation, the same if it is new, memory, this turn's number: sys.dialogue_count) for
    chat apps; no conversation for the others."""
    if req.history is not None:
        return None, None, req.history, 1 + sum(m.role == "user" for m in req.history)
    if req.app.mode != "chat":
        return None, None, [], 1
    if not req.conversation_id:
        new = Conversation(app=req.app, end_user=req.end_user, name=req.query[:60])
        return new, new, [], 1
    return (*await db_call(_load_conversation, req),)


def _load_conversation(req: RunRequest) -> tuple[Conversation, None, list[ChatMessage], int]:
    # Scoped to the end user as the conversation endpoints are: another user's id is not found.
    pk = parse_uuid(req.conversation_id or "")
    conversation = (
        Conversation.objects.filter(pk=pk, app=req.app, end_user=req.end_user).first()
        if pk
        else None
    )
    if conversation is None:
        raise ApiError(
            "conversation_not_found", 404, "conversation not found", field="conversation_id"
        )
    turns = list(
        Message.objects.filter(conversation=conversation)
        .order_by("-created_at")
        .values_list("query", "answer")[:HISTORY_TURNS]
    )
    history: list[ChatMessage] = []
    for query, answer in reversed(turns):
        history += [ChatMessage("user", query), ChatMessage("assistant", answer)]
    earlier = len(turns)
    if earlier == HISTORY_TURNS:  # memory is a window: count the turns before it too
        earlier = Message.objects.filter(conversation=conversation).count()
    return conversation, None, history, earlier + 1
