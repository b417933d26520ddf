"""/api/tool-servers serves the tools as last checked and never waits for an MCP server: stale
servers are checked by a task worker (queued once), and the listing says how current each is."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from tests.rag.workers import db_worker, wait_for
from tests.tools.test_api import add_time, post
from tools.models import ToolServer
from tools.tasks import refresh_tool_servers

STORED = [{"name": "lookup", "description": "Looks things up.", "input_schema": {}}]


def _add_hanging(client: Any, connect_timeout_s: float = 1) -> dict[str, Any]:
    """A stdio server that never answers the handshake (`sleep`)."""
    body = {
        "name": "hangs",
        "transport": "stdio",
        "command": "sleep",
        "args": ["60"],
        "connect_timeout_s": connect_timeout_s,
    }
    response = post(client, "/api/tools/servers", body)
    assert response.status_code == 201, response.content
    created: dict[str, Any] = response.json()
    return created


def _listed_long_ago(server_id: str) -> datetime:
    """Store a check made an hour ago that listed STORED."""
    then = timezone.now() - timedelta(hours=1)
    ToolServer.objects.filter(pk=server_id).update(
        status="ok", tools=STORED, checked_at=then, listed_at=then
    )
    return then


def _entry(client: Any, name: str) -> dict[str, Any]:
    listing = client.get("/api/tool-servers")
    assert listing.status_code == 200, listing.content
    found: list[dict[str, Any]] = [s for s in listing.json() if s["name"] == name]
    assert len(found) == 1, listing.json()
    return found[0]


def _queued_checks() -> list[list[Any]]:
    rows = DBTaskResult.objects.filter(task_path="tools.tasks.refresh_tool_servers")
    return [row.args_kwargs["args"] for row in rows]


@pytest.mark.django_db
def test_listing_serves_stored_tools_of_a_hanging_server_and_queues_one_check(
    owner: Any, client_for: Any
) -> None:
    client = client_for(owner)
    server = _add_hanging(client)
    then = _listed_long_ago(server["id"])
    entry = _entry(client, "hangs")
    assert entry["tools"] == STORED
    assert (entry["status"], entry["error"]) == ("ok", "")
    assert entry["freshness"] == "stale"
    assert entry["refreshing"] is False  # queued, but no worker takes the "tools" queue here
    row = ToolServer.objects.get(pk=server["id"])
    assert row.checked_at == then  # nothing was checked inside the request
    assert row.refresh_queued_at is not None
    assert _entry(client, "hangs")["tools"] == STORED
    [[ids, queued_at]] = _queued_checks()  # the second listing queued no other check
    assert ids == [server["id"]]

    assert refresh_tool_servers.call(ids, queued_at) == 1  # as a worker runs it
    row.refresh_from_db()
    assert row.refresh_queued_at is None
    entry = _entry(client, "hangs")
    assert entry["status"] == "error"
    assert entry["error"].startswith("timed out after 1 s"), entry["error"]
    assert entry["tools"] == STORED  # a failed check keeps the last list
    assert entry["freshness"] == "stale"
    assert len(_queued_checks()) == 1  # checked just now: not due again


@pytest.mark.django_db
def test_listing_says_a_server_was_never_listed(owner: Any, client_for: Any) -> None:
    client = client_for(owner)
    add_time(client)
    entry = _entry(client, "mcp_time")
    assert entry["tools"] == []
    assert (entry["status"], entry["freshness"]) == ("unknown", "never_listed")
    assert entry["checked_at"] is None
    assert entry["listed_at"] is None
    assert len(_queued_checks()) == 1


@pytest.mark.django_db
def test_queued_check_is_skipped_when_a_newer_check_was_made(owner: Any, client_for: Any) -> None:
    client = client_for(owner)
    server = add_time(client)
    _entry(client, "mcp_time")
    [[ids, queued_at]] = _queued_checks()
    refreshed = client.post(f"/api/tools/servers/{server['id']}/refresh").json()
    assert refreshed["status"] == "ok", refreshed["status_message"]
    checked_at = ToolServer.objects.get(pk=server["id"]).checked_at
    assert refresh_tool_servers.call(ids, queued_at) == 0
    row = ToolServer.objects.get(pk=server["id"])
    assert row.checked_at == checked_at
    assert row.refresh_queued_at is None
    entry = _entry(client, "mcp_time")
    assert entry["freshness"] == "fresh"
    assert "get_current_time" in {t["name"] for t in entry["tools"]}


@pytest.mark.django_db(transaction=True)
def test_worker_checks_stale_servers_while_the_listing_answers(
    owner: Any, client_for: Any, tmp_path: Path
) -> None:
    client = client_for(owner)
    server = _add_hanging(client, connect_timeout_s=8)
    _listed_long_ago(server["id"])
    add_time(client)
    with db_worker(tmp_path / "data", queues="tools"):
        # the worker's check of the hanging server lasts 8 s; the listing answers meanwhile
        entry = wait_for(
            lambda: (e := _entry(client, "hangs"))["refreshing"] and e,
            "the listing to say a worker checks the hanging server",
        )
        assert (entry["status"], entry["tools"], entry["freshness"]) == ("ok", STORED, "stale")
        wait_for(
            lambda: _entry(client, "mcp_time")["freshness"] == "fresh",
            "the worker to list mcp-server-time",
        )
        checked = wait_for(
            lambda: not (e := _entry(client, "hangs"))["refreshing"] and e,
            "the worker to finish checking the hanging server",
        )
    assert checked["status"] == "error"
    assert checked["error"].startswith("timed out after 8 s"), checked["error"]
    assert checked["tools"] == STORED
    time_entry = _entry(client, "mcp_time")
    assert "get_current_time" in {t["name"] for t in time_entry["tools"]}
    assert time_entry["status"] == "ok"
