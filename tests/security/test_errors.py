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
def test_out_of_range_number_is_a_coded_422(url: str, owner: Any, client_for: Any) -> None:
    response = client_for(owner).get(url)
    assert response.status_code == 422
    assert response.json()["code"] == "invalid_param"
