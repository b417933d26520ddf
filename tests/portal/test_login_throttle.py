"""Finding 13: sign-in is throttled per account and per address (WEFT_LOGIN_RATE), so a run of
wrong passwords is not followed by a sign-in with the right one."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.core.cache import cache

pytestmark = [pytest.mark.django_db, pytest.mark.services]
RIGHT = "pw-12345!"


@pytest.fixture(autouse=True)
def _fresh_counters(settings: Any) -> Iterator[None]:
    settings.WEFT_LOGIN_RATE = "10/5m"
    cache.clear()
    yield
    cache.clear()


def _sign_in(client: Any, email: str, password: str, address: str) -> Any:
    return client.post("/login/", {"username": email, "password": password}, REMOTE_ADDR=address)


def test_login_after_many_wrong_passwords_is_refused_with_retry_after(
    client: Any, owner: Any
) -> None:
    email = owner.user.email
    wrong = [_sign_in(client, email, f"guess-{i}", f"10.0.0.{i}").status_code for i in range(10)]
    assert wrong == [200] * 10  # the form again, with its error
    refused = _sign_in(client, email.upper(), RIGHT, "10.0.1.1")  # the account, from elsewhere
    assert refused.status_code == 429
    assert 1 <= int(refused["Retry-After"]) <= 300
    assert b"Too many sign-in attempts" in refused.content
    assert "_auth_user_id" not in client.session


def test_login_throttles_an_address_across_accounts(client: Any, make_member: Any) -> None:
    victim, other = make_member("owner"), make_member("owner")
    for i in range(10):
        _sign_in(client, f"nobody{i}@example.com", "x", "10.0.0.9")
    assert _sign_in(client, victim.user.email, RIGHT, "10.0.0.9").status_code == 429
    assert _sign_in(client, other.user.email, RIGHT, "10.0.0.10").status_code == 302


def test_login_successes_do_not_count(client: Any, owner: Any) -> None:
    for _ in range(12):
        assert _sign_in(client, owner.user.email, RIGHT, "10.0.0.1").status_code == 302
        client.logout()


def test_admin_sign_in_goes_through_the_throttled_login(client: Any, owner: Any) -> None:
    owner.user.is_staff = owner.user.is_superuser = True
    owner.user.save()
    page = client.get("/admin/login/?next=/admin/")
    assert (page.status_code, page["Location"]) == (302, "/login/?next=/admin/")
    posted = client.post("/admin/login/", {"username": owner.user.email, "password": RIGHT})
    assert posted.status_code == 302
    assert "_auth_user_id" not in client.session
