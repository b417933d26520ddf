"""The WebSocket that runs a draft and streams its events to the browser.

Its messages are typed in builder/protocol.py (the editor's TypeScript is generated from them):
Client → server: RunMessage {"type": "run", ...the fields of RunIn}, StopMessage {"type": "stop"},
                 ResumeMessage {"type": "resume", "run_id", "answers", "node_id"} (a waiting run)
Server → client: RunCreated, EventMessage (a runtime.events event), ErrorMessage
                 ("forbidden" and close 4403 when the caller lost the editor role since connecting)
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from asgiref.sync import sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from pydantic import ValidationError

from builder.actions.resume import do_resume_run
from builder.actions.run_requests import draft_run_request
from builder.actions.runs import RunHandle, do_start_run
from builder.models import App
from builder.protocol import ErrorMessage, EventMessage, ResumeMessage, RunCreated, RunMessage
from kernel.errors import ApiError
from kernel.models import Role
from kernel.workspaces import get_membership
from runtime.errors import GraphInvalidError
from runtime.messages import explain_field


class RunConsumer(AsyncWebsocketConsumer):  # type: ignore[misc]  # channels has no stubs
    """One socket per open editor/test form of an app; one run at a time."""

    app: App
    handle: RunHandle | None = None
    pump: asyncio.Task[None] | None = None

    async def connect(self) -> None:
        """Accept members with at least the editor role; close others with 4403.

        Each run or stop message checks the role again (a member removed or demoted since
        connecting is refused with a `forbidden` error and the socket closes with 4403).
        """
        user = self.scope.get("user")
        app_id = int(self.scope["url_route"]["kwargs"]["app_id"])
        app = await sync_to_async(_allowed_app)(user, app_id)
        if app is None:
            await self.close(code=4403)
            return
        self.app = app
        await self.accept()

    async def disconnect(self, code: int) -> None:
        """A closed socket does not stop the run: its trace is still recorded."""
        if self.pump is not None:
            self.pump.cancel()

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        """Handle a run or stop request."""
        try:
            message = json.loads(text_data or "{}")
        except json.JSONDecodeError:
            await self._send_error("invalid_message", "messages must be JSON objects")
            return
        kind = message.get("type") if isinstance(message, dict) else None
        if kind in ("run", "resume", "stop") and not await self._still_allowed():
            return
        if kind in ("run", "resume"):
            await self._run(message)
        elif kind == "stop" and self.handle is not None:
            self.handle.stop()
        else:
            await self._send_error("invalid_message", f"unknown message type {kind!r}")

    async def _still_allowed(self) -> bool:
        """Re-check the editor role and the app's workspace; refuse and close when gone."""
        app = await sync_to_async(_allowed_app)(self.scope.get("user"), self.app.pk)
        if app is not None and app.workspace_id == self.app.workspace_id:
            return True
        if self.pump is not None:
            self.pump.cancel()  # the run goes on and is recorded; this socket stops showing it
        await self._send_error("forbidden", "you no longer have the editor role in this app")
        await self.close(code=4403)
        return False

    async def _run(self, message: dict[str, Any]) -> None:
        if self.handle is not None and self.pump is not None and not self.pump.done():
            await self._send_error("run_in_progress", "a run is already going on this socket")
            return
        fields = {k: v for k, v in message.items() if v is not None}
        model = ResumeMessage if message.get("type") == "resume" else RunMessage
        try:
            body = model.model_validate(fields)
        except ValidationError as exc:
            error = exc.errors()[0]
            name = ".".join(str(p) for p in error["loc"])
            said = explain_field(name, [error], model)  # "query must be text"
            await self._send_error("invalid_param", said, field=name)
            return
        try:
            if isinstance(body, ResumeMessage):
                self.handle = await do_resume_run(
                    self.app, body.run_id, body.answers, body.node_id, self.scope["user"]
                )
            else:
                self.handle = await self._start(body)
        except GraphInvalidError as exc:
            await self._send_error(
                "graph_invalid", str(exc), issues=[i.to_dict() for i in exc.issues]
            )
            return
        except ApiError as exc:
            await self._send_error(exc.code, exc.message, **exc.data)
            return
        created = RunCreated(run_id=self.handle.run_id, conversation_id=self.handle.conversation_id)
        await self.send(created.model_dump_json())
        self.pump = asyncio.create_task(self._pump(self.handle))

    async def _start(self, body: RunMessage) -> RunHandle:
        request = await sync_to_async(draft_run_request)(
            self.app,
            self.scope["user"],
            body.inputs,
            body.query,
            body.conversation_id or None,
            node_id=body.node_id,
            node_inputs=body.node_inputs,
            from_node=body.from_node,
            from_run=body.from_run,
            origin=body.origin,
        )
        return await do_start_run(request)

    async def _pump(self, handle: RunHandle) -> None:
        async for event in handle.events():
            await self.send(EventMessage(event=event).model_dump_json())

    async def _send_error(self, code: str, message: str, **extra: Any) -> None:
        await self.send(ErrorMessage(code=code, message=message, **extra).model_dump_json())


def _allowed_app(user: Any, app_id: int) -> App | None:
    if user is None or not user.is_authenticated:
        return None
    app = App.objects.filter(pk=app_id).first()
    if app is None:
        return None
    membership = get_membership(user, app.workspace_id)
    return app if membership is not None and membership.allows(Role.EDITOR) else None
