"""Errors the fuzzer found in every route at once: each is a coded 4xx, never a 500."""

from __future__ import annotations

from typing import Any

import pytest

HUGE = str(2**70)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url",
    [f"/api/apps?workspace_id={HUGE}", f"/api/training/jobs?workspace_id={HUGE}"],
)
def test_out_of_range_number_is_a_coded_4xx(url: str, owner: Any, client_for: Any) -> None:
    """SQLite cannot bind it (422); PostgreSQL finds nothing (404); never a 500."""
    response = client_for(owner).get(url)
    assert response.status_code in {404, 422}
    assert response.json()["code"] in {"invalid_param", "not_found"}


def _boom(*args: Any, **kwargs: Any) -> Any:
    from django.conf import settings

    raise RuntimeError(f"boom in {settings.BASE_DIR}/builder/api.py")


def _assert_generic_500(status: int, body: bytes) -> None:
    from django.conf import settings

    assert status == 500
    assert b"boom" not in body
    assert str(settings.BASE_DIR).encode() not in body
    assert b"Traceback" not in body


@pytest.mark.django_db
def test_api_500_carries_no_exception_text(
    owner: Any, monkeypatch: pytest.MonkeyPatch, client: Any
) -> None:
    monkeypatch.setattr("builder.api.catalog", _boom)
    client.raise_request_exception = False
    client.force_login(owner.user)
    response = client.get("/api/node-types")
    _assert_generic_500(response.status_code, response.content)


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
async def test_v1_500_carries_no_exception_text(
    owner: Any, make_app: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    import httpx
    from asgiref.sync import sync_to_async

    from portal.asgi import application

    _, key = await sync_to_async(make_app)(owner)
    monkeypatch.setattr("builder.openai_api.published_app", _boom)
    transport = httpx.ASGITransport(app=application)
    async with httpx.AsyncClient(transport=transport, base_url="http://localhost") as client:
        response = await client.get("/v1/models", headers={"Authorization": f"Bearer {key}"})
    _assert_generic_500(response.status_code, response.content)


@pytest.mark.services
@pytest.mark.django_db
def test_nul_character_is_stored_or_a_coded_422(owner: Any, client_for: Any) -> None:
    """SQLite stores it; PostgreSQL refuses NUL in text, which must not be a 500."""
    response = client_for(owner).post(
        "/api/apps", {"name": "a\x00b"}, content_type="application/json"
    )
    assert response.status_code in {201, 422}, response.content
    if response.status_code == 422:
        assert response.json()["code"] == "invalid_param"
