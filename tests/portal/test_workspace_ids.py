"""Finding 12 (portal part): a workspace id that is not one gets a 4xx naming the field."""

from __future__ import annotations

from typing import Any

import pytest

pytestmark = pytest.mark.django_db

HUGE = "99999999999999999999"  # more than a 64-bit key holds


@pytest.mark.parametrize("value", ["abc", HUGE, "-1", "", "1.5", "²"])
def test_workspace_switch_names_the_field_for_a_bad_workspace_id(
    client_for: Any, owner: Any, value: str
) -> None:
    response = client_for(owner).post("/workspaces/switch/", {"workspace_id": value})
    html = response.content.decode()
    assert response.status_code == 400
    assert 'data-field="workspace_id"' in html
    assert "Traceback" not in html
    assert "Error" not in html.replace("Bad request", "")


@pytest.mark.parametrize(
    "path",
    [
        "/api/apps",
        "/api/providers",
        "/api/training/datasets",
        "/api/training/jobs",
    ],
)
def test_api_names_the_field_for_a_huge_workspace_id(
    client_for: Any, owner: Any, path: str
) -> None:
    response = client_for(owner).get(f"{path}?workspace_id={HUGE}")
    assert response.status_code == 422
    body = response.json()
    assert body["field"] == "workspace_id"
    assert body["code"] == "invalid_param"
    assert body["status"] == 422


def test_api_names_the_field_for_a_huge_workspace_id_in_a_body(client_for: Any, owner: Any) -> None:
    response = client_for(owner).post(
        "/api/apps",
        {"name": "x", "mode": "chat", "workspace_id": int(HUGE)},
        content_type="application/json",
    )
    assert response.status_code == 422
    assert response.json()["field"] == "workspace_id"


def test_api_still_answers_404_for_a_workspace_of_someone_else(
    client_for: Any, owner: Any, make_member: Any
) -> None:
    other = make_member("owner")
    response = client_for(owner).get(f"/api/apps?workspace_id={other.workspace_id}")
    assert response.status_code == 404
