"""The editor's JSON API at /api/ (django-ninja; OpenAPI document at /api/docs): every feature
app's router on one NinjaAPI, with one shape for errors. Session auth + CSRF."""

from __future__ import annotations

from django.db import DataError
from django.http import HttpRequest, HttpResponse
from ninja.security import django_auth

from builder.api import router as builder_router
from builder.dsl_api import router as dsl_router
from kernel.api_bodies import LimitedJsonParser, WordedApi, answer_body_errors
from kernel.errors import ApiError
from portal.workspace_settings import router as workspace_router
from rag.api import router as rag_router
from runtime.errors import GraphInvalidError
from tools.api import router as tools_router
from training.api import router as training_router

api = WordedApi(
    title="Weft API",
    version="0.1",
    urls_namespace="weft-api",
    auth=django_auth,
    docs_url="/docs",
    parser=LimitedJsonParser(),
)
answer_body_errors(api)


@api.exception_handler(ApiError)
def _api_error(request: HttpRequest, exc: ApiError) -> HttpResponse:
    return api.create_response(request, exc.to_dict(), status=exc.status)


def _unstorable(request: HttpRequest) -> HttpResponse:
    error = ApiError(
        "invalid_param", 422, "a value in the request cannot be stored (out of range or NUL)"
    )
    return _api_error(request, error)


@api.exception_handler(OverflowError)
def _number_too_large(request: HttpRequest, exc: OverflowError) -> HttpResponse:
    # A number beyond 64 bits reaches SQLite's driver, which cannot bind it.
    return _unstorable(request)


@api.exception_handler(DataError)
def _value_refused(request: HttpRequest, exc: DataError) -> HttpResponse:
    # PostgreSQL refuses a NUL character in text, or a number out of its column's range.
    return _unstorable(request)


@api.exception_handler(GraphInvalidError)
def _graph_invalid(request: HttpRequest, exc: GraphInvalidError) -> HttpResponse:
    body = {
        "code": "graph_invalid",
        "message": str(exc),
        "status": 422,
        "issues": [i.to_dict() for i in exc.issues],
    }
    return api.create_response(request, body, status=422)


# before the builder's: its /apps/import-dsl would be taken for an app id by /apps/{app_id}
api.add_router("/", dsl_router)
api.add_router("/", builder_router)
api.add_router("/training/", training_router)
api.add_router("/", rag_router)
api.add_router("/", workspace_router)
api.add_router("/", tools_router)
