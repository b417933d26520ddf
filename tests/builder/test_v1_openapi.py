"""The published API's OpenAPI document: served without a key, and describing every /v1 route."""

from __future__ import annotations

import re

import httpx
import pytest

from portal.asgi import application


def _v1_routes() -> set[str]:
    from builder.urls import urlpatterns

    routes = {"/v1/" + re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", str(p.pattern)) for p in urlpatterns}
    return routes - {"/v1/openapi.json"}


@pytest.mark.django_db
async def test_v1_openapi_is_served_without_a_key() -> None:
    transport = httpx.ASGITransport(app=application)
    async with httpx.AsyncClient(transport=transport, base_url="http://localhost") as client:
        response = await client.get("/v1/openapi.json")
    assert response.status_code == 200
    document = response.json()
    assert document["openapi"].startswith("3.1")
    assert set(document["paths"]) == _v1_routes()


def test_v1_openapi_refs_all_resolve() -> None:
    from builder.v1_openapi import get_v1_openapi

    document = get_v1_openapi()
    refs = set(re.findall(r'"#/components/schemas/(\w+)"', str(document).replace("'", '"')))
    assert refs
    assert refs <= set(document["components"]["schemas"])
