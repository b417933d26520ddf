"""Attaches the current workspace membership to portal requests, lazily (no query unless used)."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils.functional import SimpleLazyObject

from portal.workspaces import get_current_membership


class CurrentWorkspaceMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.membership = SimpleLazyObject(  # type: ignore[attr-defined]  # our attribute
            lambda: get_current_membership(request)
        )
        return self.get_response(request)
