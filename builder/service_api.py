"""The published Service API: Dify's /v1/chat-messages, /v1/completion-messages,
/v1/workflows/run and stop (OpenAI's /v1/chat/completions builds on it), authenticated by app API
key. Async views, streaming SSE or blocking; bodies are checked by builder/v1_schemas.py and the
serving version is chosen by builder/published.py."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponseBase, JsonResponse, StreamingHttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from builder.actions.resume import do_resume_run
from builder.actions.run_requests import RunRequest
from builder.actions.runs import RunHandle, do_stop_run, get_active_run
from builder.dify import DIFY_MODES, PING, DifyRenderer, error_frame, message_metadata, sse
from builder.key_limits import check_key_rate, start_run_within_limit
from builder.keys import KeyOwner, get_key_owner, key_hash_of, key_owners
from builder.models import AppMode, Run, RunSource
from builder.published import Published, get_published, published_apps
from builder.v1_schemas import (
    ChatMessageIn,
    CompletionMessageIn,
    ResumeRunIn,
    StopIn,
    WorkflowRunIn,
    body_of,
)
from kernel.db import db_call
from kernel.errors import ApiError
from kernel.ids import parse_uuid
from runtime.compile import CompiledGraph
from runtime.engine import validate_inputs
from runtime.errors import InputError
from runtime.events import RunEvent, RunFinished
from runtime.masking import secret_readers

View = Callable[..., Awaitable[HttpResponseBase]]


def service_view(*methods: str) -> Callable[[View], View]:
    """An async, CSRF-exempt view whose ApiErrors become Dify-style JSON errors."""

    def wrap(view: View) -> View:
        @wraps(view)
        async def inner(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            try:
                return await view(request, *args, **kwargs)
            except ApiError as err:
                return JsonResponse(err.to_dict(), status=err.status, headers=err.headers)

        return csrf_exempt(require_http_methods(list(methods))(inner))

    return wrap


async def key_owner(authorization: str | None) -> KeyOwner:
    """The app the API key in an Authorization header grants (ApiError 401 otherwise)."""
    key_hash = key_hash_of(authorization)
    return await key_owners.get(key_hash, lambda: db_call(get_key_owner, key_hash))


async def is_valid_key(authorization: str | None) -> bool:
    """Whether an Authorization header holds a valid key (the /v1 handler reads the body then)."""
    try:
        await key_owner(authorization)
    except ApiError:
        return False
    return True


async def authenticate(request: HttpRequest) -> KeyOwner:
    """The app a request's API key grants (ApiError 401 otherwise), within the key's rate (429)."""
    owner = await key_owner(request.headers.get("Authorization"))
    await check_key_rate(owner)
    return owner


async def published_app(
    owner: KeyOwner, mode: str | None = None, number: int | None = None
) -> Published:
    """The version of the key's app that serves this call (builder.published decides; `number`
    pins one); ApiError 400 when unpublished or of the wrong mode."""
    pub = await published_apps.get(
        (owner.app_id, number), lambda: db_call(get_published, owner.app_id, number)
    )
    if mode is None:
        return pub
    if pub.app.mode != mode:
        raise ApiError(
            "app_unavailable",
            400,
            f"this endpoint needs a {mode} app; {pub.app.slug!r} is a {pub.app.mode} app",
        )
    return pub


def checked_inputs(graph: CompiledGraph, inputs: dict[str, Any]) -> dict[str, Any]:
    """The inputs as the start node accepts them; ApiError 400 naming `inputs.<field>`."""
    try:
        return validate_inputs(graph, inputs)
    except InputError as exc:
        field = f"inputs.{exc.field}"  # "inputs.topic is required", as the body names it
        raise ApiError("invalid_param", 400, f"{field} {exc.reason}", field=field) from exc


async def _start(
    owner: KeyOwner, pub: Published, body: ChatMessageIn | WorkflowRunIn, query: str
) -> RunHandle:
    conversation_id = body.conversation_id if isinstance(body, ChatMessageIn) else ""
    return await start_run_within_limit(
        owner,
        RunRequest(
            app=pub.app,
            graph=pub.graph,
            version=pub.version,
            source=RunSource.API,
            inputs=checked_inputs(pub.graph, body.inputs),
            query=query,
            end_user=str(body.user),
            conversation_id=conversation_id or None,
        ),
    )


async def _dify_stream(handle: RunHandle, renderer: DifyRenderer) -> AsyncIterator[bytes]:
    async for batch in handle.batches(settings.WEFT_SSE_PING_S):
        frames = [] if batch else [PING]
        for event in batch:
            if isinstance(event, RunFinished) and event.status == "failed":
                err = run_failure(event)
                frames.append(error_frame(err.status, err.code, err.message, **err.data))
            frames += [sse(data) for data in renderer.render(event)]
        yield b"".join(frames)


def stream_response(frames: AsyncIterator[bytes]) -> StreamingHttpResponse:
    """An unbuffered SSE response."""
    response = StreamingHttpResponse(frames, content_type="text/event-stream")
    response["Cache-Control"] = "no-cache"
    response["X-Accel-Buffering"] = "no"
    return response


async def blocking_end(
    handle: RunHandle,
    each: Callable[[RunEvent], object] | None = None,
    *,
    failure_is_error: bool = True,
) -> RunFinished:
    """Wait for a blocking call's run (`each` sees every event): its RunFinished; a 500 when it
    crashed without one, and a failed run as its ApiError (run_failure) unless the answer
    reports failures itself (`failure_is_error=False`: /workflows/run's status)."""
    end = await handle.wait(each)
    if end is None:
        raise ApiError("internal_error", 500, "the run ended without a result")
    if failure_is_error and end.status == "failed":
        raise run_failure(end)
    return end


# Run failures the request caused (error_code → status, code): a client error, not a 500.
_CLIENT_FAILURES = {"ContextLengthExceededError": (400, "context_length_exceeded")}


def run_failure(end: RunFinished) -> ApiError:
    """A failed run as the error the API answers: 4xx when the request caused it, else 500."""
    code = end.error_code or "run_failed"
    status, code = _CLIENT_FAILURES.get(code, (500, code))
    return ApiError(code, status, end.error or "run failed", node_id=end.failed_node_id)


@service_view("POST")
async def chat_messages(request: HttpRequest) -> HttpResponseBase:
    """Dify's POST /v1/chat-messages."""
    owner = await authenticate(request)
    body = body_of(request, ChatMessageIn)
    pub = await published_app(owner, "chat")
    handle = await _start(owner, pub, body, body.query)
    renderer = DifyRenderer(
        handle.run_id,
        str(pub.app.pk),
        "chat",
        handle.conversation_id,
        handle.message_id,
        hidden_inputs=secret_readers(pub.graph),
    )
    if body.response_mode == "streaming":
        return stream_response(_dify_stream(handle, renderer))
    end = await blocking_end(handle)
    return JsonResponse(
        {
            "event": "message",
            "task_id": handle.run_id,
            "id": handle.message_id,
            "message_id": handle.message_id,
            "conversation_id": handle.conversation_id,
            "mode": DIFY_MODES[AppMode.CHAT],
            "answer": end.answer,
            "metadata": message_metadata(end),
            "created_at": int(end.at.timestamp()),
        }
    )


@service_view("POST")
async def workflows_run(request: HttpRequest) -> HttpResponseBase:
    """Dify's POST /v1/workflows/run."""
    owner = await authenticate(request)
    body = body_of(request, WorkflowRunIn)
    pub = await published_app(owner, "workflow")
    handle = await _start(owner, pub, body, "")
    renderer = DifyRenderer(
        handle.run_id, str(pub.app.pk), "workflow", hidden_inputs=secret_readers(pub.graph)
    )
    if body.response_mode == "streaming":
        return stream_response(_dify_stream(handle, renderer))
    end = await blocking_end(handle, renderer.render, failure_is_error=False)
    return JsonResponse(
        {
            "task_id": handle.run_id,
            "workflow_run_id": handle.run_id,
            "data": renderer.finished_data(end),
        }
    )


@service_view("POST")
async def resume_run(request: HttpRequest, run_id: str) -> HttpResponseBase:
    """POST /v1/workflows/runs/{run_id}/resume: answer a waiting run of the key's app; it runs
    on from the paused node (409 when it is not waiting, 422 naming a bad answer)."""
    owner = await authenticate(request)
    body = body_of(request, ResumeRunIn)
    pub = await published_app(owner)
    handle = await do_resume_run(pub.app, run_id, body.answers, body.node_id or None)
    renderer = DifyRenderer(
        handle.run_id,
        str(pub.app.pk),
        pub.app.mode,
        handle.conversation_id,
        handle.message_id,
        hidden_inputs=secret_readers(pub.graph),
    )
    if body.response_mode == "streaming":
        return stream_response(_dify_stream(handle, renderer))
    end = await blocking_end(handle, renderer.render, failure_is_error=False)
    return JsonResponse(
        {
            "task_id": handle.run_id,
            "workflow_run_id": handle.run_id,
            "data": renderer.finished_data(end),
        }
    )


@service_view("POST")
async def completion_messages(request: HttpRequest) -> HttpResponseBase:
    """Dify's POST /v1/completion-messages. Weft has no completion apps (a chat or workflow app
    does that job), so a valid call gets Dify's answer for an app of another mode: 400
    `app_unavailable`."""
    owner = await authenticate(request)
    body_of(request, CompletionMessageIn)
    await published_app(owner, "completion")
    raise ApiError("app_unavailable", 400, "this app cannot serve completion messages")


@service_view("POST")
async def stop_task(request: HttpRequest, task_id: str) -> HttpResponseBase:
    """Dify's stop endpoints for chat messages and workflow tasks (only the key's own runs)."""
    owner = await authenticate(request)
    body_of(request, StopIn)  # `user` is accepted, as Dify's clients send it; the key decides
    local = get_active_run(task_id)
    if local is not None:
        mine = local.app_id == owner.app_id
    else:
        pk = parse_uuid(task_id)
        mine = pk is not None and await db_call(
            Run.objects.filter(pk=pk, app_id=owner.app_id).exists
        )
    if not mine:
        raise ApiError("not_found", 404, "task not found", field="task_id")
    await do_stop_run(task_id)
    return JsonResponse({"result": "success"})
