"""Attaches the current workspace membership to portal requests, lazily (no query unless used)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from asgiref.sync import iscoroutinefunction, markcoroutinefunction
from django.http import HttpRequest, HttpResponse
from django.utils.functional import SimpleLazyObject

from kernel.workspaces import get_current_membership


class CurrentWorkspaceMiddleware:
    """Sync and async capable, so async views (the Service API) never hop to a thread."""

    sync_capable = True
    async_capable = True

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        if iscoroutinefunction(get_response):
            markcoroutinefunction(self)

    def __call__(self, request: HttpRequest) -> HttpResponse | Awaitable[HttpResponse]:
        request.membership = SimpleLazyObject(  # type: ignore[attr-defined]  # our attribute
            lambda: get_current_membership(request)
        )
        return self.get_response(request)
