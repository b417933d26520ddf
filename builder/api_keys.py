"""The editor API's app API keys: list, create (the full key shown once), revoke."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from django.http import HttpRequest
from ninja import Router, Status

from builder.access import require_app
from builder.api_examples import build_example
from builder.keys import do_create_api_key, do_revoke_api_key
from builder.models import ApiKey
from builder.schemas import ApiKeyCreated, ApiKeyIn, ApiKeyOut
from kernel.access import get_user
from kernel.errors import not_found
from kernel.models import Role

router = Router()


@router.get("/apps/{app_id}/keys", response=list[ApiKeyOut])
def list_keys(request: HttpRequest, app_id: int) -> list[ApiKey]:
    """The app's API keys (prefixes only)."""
    return list(require_app(request, app_id, Role.EDITOR).api_keys.all())


@router.post("/apps/{app_id}/keys", response={201: ApiKeyCreated})
def create_key(request: HttpRequest, app_id: int, body: ApiKeyIn) -> Status[dict[str, Any]]:
    """Create an API key; the full key is in this response only."""
    app = require_app(request, app_id, Role.EDITOR)
    key, raw = do_create_api_key(app, body.name, get_user(request))
    example = build_example(app, request.build_absolute_uri("/v1"), raw)
    return Status(
        201, {**ApiKeyOut.from_orm(key).model_dump(), "key": raw, "example": asdict(example)}
    )


@router.delete("/apps/{app_id}/keys/{key_id}", response={204: None})
def revoke_key(request: HttpRequest, app_id: int, key_id: int) -> Status[None]:
    """Revoke an API key at once."""
    key = ApiKey.objects.filter(app=require_app(request, app_id, Role.EDITOR), pk=key_id).first()
    if key is None:
        raise not_found("API key")
    do_revoke_api_key(key)
    return Status(204, None)
