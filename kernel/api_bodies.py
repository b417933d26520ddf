"""JSON bodies of the editor API (/api) under the data limits, refused with the field named.

django-ninja parses bodies itself and turns any parser error into a bare 400 "Cannot parse
request body"; this parser applies kernel.json_input's checks, and the handlers answer those
refusals, and a body over DATA_UPLOAD_MAX_MEMORY_SIZE (413), in ApiError's shape
(`{"code", "message", "status", "field"}`). A request whose parameters or body do not validate
gets the same shape, each problem said for people by runtime.messages (`errors`), with
ninja's own `detail` list kept for the clients that read its locations.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import HttpError, ValidationError
from ninja.parser import Parser

from kernel.errors import ApiError
from kernel.json_input import JsonInputError, parse_json
from kernel.limits import limits
from runtime.messages import explain

_SOURCES = ("body", "query", "path", "form", "file", "header", "cookie")


class LimitedJsonParser(Parser):
    """ninja's JSON parser with the depth limit and the lone-surrogate check."""

    def parse_body(self, request: HttpRequest) -> dict[str, Any]:
        """The body's JSON value (JsonInputError when refused)."""
        value: dict[str, Any] = parse_json(request.body)
        return value


def answer_body_errors(api: NinjaAPI) -> None:
    """Answer refused JSON bodies and bodies over the limit as ApiErrors."""

    def handler(request: HttpRequest, exc: Any) -> HttpResponse:  # an HttpError
        cause = exc.__cause__
        if isinstance(cause, JsonInputError):
            err = ApiError("invalid_param", 400, cause.message, field=cause.field)
            return api.create_response(request, err.to_dict(), status=400)
        return api.create_response(request, {"detail": str(exc)}, status=exc.status_code)

    def too_big(request: HttpRequest, exc: Any) -> HttpResponse:  # kernel/bodies.py refuses
        limit = limits().max_body_bytes  # these earlier under ASGI; this is for other servers
        message = f"the request body is larger than the limit of {limit} bytes"
        err = ApiError("request_too_large", 413, message, limit=limit)
        return api.create_response(request, err.to_dict(), status=413)

    def invalid(request: HttpRequest, exc: Any) -> HttpResponse:  # a ValidationError
        problems = [said(e) for e in exc.errors] or [{"field": None, "message": "bad request"}]
        err = ApiError(
            "invalid_param",
            422,
            problems[0]["message"],
            field=problems[0]["field"],
            errors=problems,
            detail=exc.errors,
        )
        return api.create_response(request, err.to_dict(), status=422)

    api.add_exception_handler(HttpError, handler)
    api.add_exception_handler(RequestDataTooBig, too_big)
    api.add_exception_handler(ValidationError, invalid)


def said(error: dict[str, Any]) -> dict[str, Any]:
    """One of ninja's validation errors as {field, message}: "chunking.size: keep it at most
    4096" (the source and a body parameter's own name are left out of the field)."""
    loc = [str(p) for p in error.get("loc", ())]
    if loc and loc[0] in _SOURCES:
        loc = loc[2:] if loc[0] == "body" and len(loc) > 1 else loc[1:]
    field = ".".join(loc) or None
    hint = explain({**error, "loc": ()}, {})  # type: ignore[typeddict-item]  # ninja's dict
    hint = hint[:1].lower() + hint[1:]
    return {"field": field, "message": f"{field}: {hint}" if field else hint}
