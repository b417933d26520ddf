"""A lean ASGI handler for the published API under /v1/.

API calls authenticate with app keys, not sessions, so they skip Django's middleware stack and
request signals: in async mode each MiddlewareMixin middleware and each signal costs a hop to a
thread, which made every call wait on thread pools. Views, requests and responses are Django's.
Database access in the views goes through executor threads that keep their connections
(`kernel.db.db_call`), checked for errors before each use.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from django.core.exceptions import RequestAborted
from django.core.handlers.asgi import ASGIHandler
from django.http import HttpRequest, HttpResponse, HttpResponseBase, JsonResponse
from django.urls import Resolver404, resolve

from kernel.bodies import BodyGuard, send_refusal
from kernel.limits import limits

log = logging.getLogger(__name__)

PREFIX = "/v1"


KeyCheck = Callable[[str | None], Awaitable[bool]]


def _authorization(scope: dict[str, Any]) -> str | None:
    for name, value in scope["headers"]:
        if name == b"authorization":
            return str(value.decode("latin-1"))
    return None


class ServiceAPIHandler(ASGIHandler):
    """Dispatches /v1/ requests straight to the Service API views (see builder/urls.py).

    The body is read last: a declared length over WEFT_MAX_BODY_BYTES gets 413 at once, a request
    without a valid key (`key_check`) reaches its view with an empty body (which answers 401 in
    its own shape), and reading stops at the limit or when the body stalls (kernel/bodies.py).
    """

    def __init__(self, key_check: KeyCheck | None = None) -> None:  # no middleware to load
        self.key_check = key_check

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        """Check the limits and the key, read the body, call the view, send the response."""
        guard = BodyGuard(scope, receive, limits().max_body_bytes)
        if guard.refusal is not None:
            await send_refusal(send, guard.refusal)
            return
        keyed = self.key_check is None or await self.key_check(_authorization(scope))
        if keyed:
            try:
                body_file = await self.read_body(guard.receive)
            except RequestAborted:
                if guard.refusal is not None:
                    await send_refusal(send, guard.refusal)
                return
        else:
            body_file = io.BytesIO()
        try:
            request, error = self.create_request(scope, body_file)
            response = await self._dispatch(request) if request is not None else error
            if response is None:  # create_request returns a request or an error response
                return
            if isinstance(response, HttpResponse) and not response.has_header("Content-Length"):
                response["Content-Length"] = str(len(response.content))  # as CommonMiddleware
            if not keyed:
                response["Connection"] = "close"  # its body was never read
            await self.send_response(response, send)
        finally:
            body_file.close()

    async def _dispatch(self, request: HttpRequest) -> HttpResponseBase:
        try:
            match = resolve(request.path_info.removeprefix(PREFIX), urlconf="builder.urls")
        except Resolver404:
            return JsonResponse(
                {
                    "code": "not_found",
                    "status": 404,
                    "message": f"no API endpoint at {request.path_info}",
                },
                status=404,
            )
        try:
            response: HttpResponseBase = await match.func(request, *match.args, **match.kwargs)
        except Exception:
            log.exception("Service API error on %s", request.path_info)
            return JsonResponse(
                {"code": "internal_error", "status": 500, "message": "internal server error"},
                status=500,
            )
        return response
