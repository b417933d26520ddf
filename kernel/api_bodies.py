"""JSON bodies of the editor API (/api) under the data limits, refused with the field named.

django-ninja parses bodies itself and turns any parser error into a bare 400 "Cannot parse
request body"; this parser applies kernel.json_input's checks, and the handlers answer those
refusals, and a body over DATA_UPLOAD_MAX_MEMORY_SIZE (413), in ApiError's shape
(`{"code", "message", "status", "field"}`).

A field that does not fit its schema was answered by ninja as pydantic's words
(`{"detail": [{"msg": "String should have at least 1 character", ...}]}`), which the forms
showed; `WordedApi` answers it as a 422 `invalid_param` in words (runtime/messages.py), naming
the field as the form knows it (`name`, `settings.learning_rate`), each error in `errors`.
"""

from __future__ import annotations

from typing import Any, cast

from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import HttpError, ValidationError, ValidationErrorContext
from ninja.parser import Parser
from pydantic import BaseModel
from pydantic_core import ErrorDetails

from kernel.errors import ApiError
from kernel.json_input import JsonInputError, parse_json
from kernel.limits import limits
from runtime.messages import explain_error


class LimitedJsonParser(Parser):
    """ninja's JSON parser with the depth limit and the lone-surrogate check."""

    def parse_body(self, request: HttpRequest) -> dict[str, Any]:
        """The body's JSON value (JsonInputError when refused)."""
        value: dict[str, Any] = parse_json(request.body)
        return value


class WordedApi(NinjaAPI):
    """A NinjaAPI whose refusals of a request's fields are said in words, naming the field."""

    def validation_error_from_error_contexts(
        self, error_contexts: list[ValidationErrorContext[Any]]
    ) -> ValidationError:
        """ninja's error, each of its errors with `field` and `msg` said for a person."""
        error = super().validation_error_from_error_contexts(error_contexts)
        worded = [said for context in error_contexts for said in _worded(context)]
        for item, (field, message) in zip(error.errors, worded, strict=True):
            item.update(field=field, msg=message)
        return error


def _worded(context: ValidationErrorContext[Any]) -> list[tuple[str, str]]:
    """(field, message) of each error of one of ninja's parameter models.

    A body arrives as one parameter (`body: JobIn`) whose name the form does not know, so an
    error inside it is said against the body's own model, from the field below it.
    """
    model: type[BaseModel] = context.model
    found = []
    for err in context.pydantic_validation_error.errors(include_url=False):
        loc = err["loc"]
        param = model.model_fields.get(str(loc[0])) if loc else None
        inner = param.annotation if param is not None else None
        if len(loc) > 1 and isinstance(inner, type) and issubclass(inner, BaseModel):
            model_of, err = inner, cast(ErrorDetails, {**err, "loc": loc[1:]})
        else:
            model_of = model
        found.append((".".join(str(p) for p in err["loc"]), explain_error(model_of, err)))
    return found


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

    def unfit(request: HttpRequest, exc: Any) -> HttpResponse:  # a ValidationError
        errors = [{"field": e.get("field", ""), "message": e.get("msg", "")} for e in exc.errors]
        first = errors[0] if errors else {"field": "body", "message": "the request is not valid"}
        err = ApiError("invalid_param", 422, first["message"], field=first["field"], errors=errors)
        return api.create_response(request, err.to_dict(), status=422)

    api.add_exception_handler(HttpError, handler)
    api.add_exception_handler(ValidationError, unfit)
    api.add_exception_handler(RequestDataTooBig, too_big)
