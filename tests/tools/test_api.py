"""/api/tools/servers and /api/tool-servers against real MCP servers: mcp-server-time over stdio,
our SDK server over streamable HTTP (refused on loopback until WEFT_OUTBOUND_ALLOW allows it)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from runtime.mcp import HttpServer
from tests.runtime.mcp_servers import BIN, free_port, http_server

pytestmark = pytest.mark.django_db
TIME = str(BIN / "mcp-server-time")
SECRET = "tok-zq-7781"


@pytest.fixture(scope="module")
def http_mcp() -> Iterator[HttpServer]:
    with http_server() as config:
        yield config


def post(client: Any, path: str, body: dict[str, Any]) -> Any:
    return client.post(path, json.dumps(body), content_type="application/json")


def patch(client: Any, path: str, body: dict[str, Any]) -> Any:
    return client.patch(path, json.dumps(body), content_type="application/json")


def add_time(client: Any, **extra: Any) -> dict[str, Any]:
    body = {"name": "mcp_time", "transport": "stdio", "command": TIME, **extra}
    response = post(client, "/api/tools/servers", body)
    assert response.status_code == 201, response.content
    created: dict[str, Any] = response.json()
    return created


def test_tools_refresh_lists_mcp_server_time(owner: Any, client_for: Any) -> None:
    client = client_for(owner)
    server = add_time(client, args=["--local-timezone", "UTC"])
    assert server["status"] == "unknown"
    refreshed = client.post(f"/api/tools/servers/{server['id']}/refresh").json()
    assert refreshed["status"] == "ok", refreshed["status_message"]
    tools = {t["name"]: t for t in refreshed["tools"]}
    assert "timezone" in tools["get_current_time"]["input_schema"]["properties"]
    assert tools["get_current_time"]["description"]
    listing = [s for s in client.get("/api/tool-servers").json() if not s["builtin"]]
    assert [s["name"] for s in listing] == ["mcp_time"]
    assert "convert_time" in {t["name"] for t in listing[0]["tools"]}


def test_tools_missing_command_is_an_error_in_words(owner: Any, client_for: Any) -> None:
    client = client_for(owner)
    server = add_time(client, command="no-such-mcp-server-zq")
    refreshed = client.post(f"/api/tools/servers/{server['id']}/refresh").json()
    assert refreshed["status"] == "error"
    assert "the command 'no-such-mcp-server-zq' was not found" in refreshed["status_message"]
    assert refreshed["tools"] == []


def test_tools_command_is_never_given_to_a_shell(owner: Any, client_for: Any) -> None:
    client = client_for(owner)
    body = {"name": "x", "transport": "stdio", "command": "mcp-server-time; rm -rf /"}
    response = post(client, "/api/tools/servers", body)
    assert response.status_code == 422
    assert response.json()["field"] == "command"
    assert "without a shell" in response.json()["message"]


def test_tools_bad_fields_are_named(owner: Any, client_for: Any) -> None:
    client = client_for(owner)
    cases: list[tuple[dict[str, Any], str]] = [
        ({"name": "Bad Name", "transport": "stdio", "command": "x"}, "name"),
        ({"name": "h", "transport": "http", "url": "ftp://x"}, "url"),
        ({"name": "h", "transport": "stdio", "command": ""}, "command"),
        ({"name": "h", "transport": "stdio", "command": "x", "env": {"1A": "v"}}, "env.1A"),
        ({"name": "h", "transport": "stdio", "command": "x", "env": {"A": None}}, "env.A"),
        (
            {"name": "h", "transport": "http", "url": "http://x/", "headers": {"X": "a\nb"}},
            "headers.X",
        ),
    ]
    for body, field in cases:
        response = post(client, "/api/tools/servers", body)
        assert response.status_code == 422, (body, response.content)
        assert response.json()["field"] == field, response.json()
    add_time(client)
    again = post(
        client, "/api/tools/servers", {"name": "mcp_time", "transport": "stdio", "command": TIME}
    )
    assert (again.status_code, again.json()["field"]) == (409, "name")


def test_tools_http_server_is_refused_on_loopback_until_allowed(
    owner: Any, client_for: Any, http_mcp: HttpServer, settings: Any
) -> None:
    settings.WEFT_OUTBOUND_ALLOW = []
    client = client_for(owner)
    body = {
        "name": "web",
        "transport": "http",
        "url": http_mcp.url,
        "headers": {"Authorization": f"Bearer {SECRET}"},
    }
    server = post(client, "/api/tools/servers", body).json()
    refused = client.post(f"/api/tools/servers/{server['id']}/refresh").json()
    assert refused["status"] == "error"
    assert "refused by the outbound guard" in refused["status_message"]
    settings.WEFT_OUTBOUND_ALLOW = ["127.0.0.1"]
    listed = client.post(f"/api/tools/servers/{server['id']}/refresh").json()
    assert listed["status"] == "ok", listed["status_message"]
    assert {"add", "echo"} <= {t["name"] for t in listed["tools"]}


def test_tools_connection_refused_and_timeout_in_words(
    owner: Any, client_for: Any, settings: Any
) -> None:
    settings.WEFT_OUTBOUND_ALLOW = ["127.0.0.1"]
    client = client_for(owner)
    gone = {"name": "gone", "transport": "http", "url": f"http://127.0.0.1:{free_port()}/mcp"}
    server = post(client, "/api/tools/servers", gone).json()
    refused = client.post(f"/api/tools/servers/{server['id']}/refresh").json()
    assert "connection refused" in refused["status_message"], refused["status_message"]
    silent = {
        "name": "silent",
        "transport": "stdio",
        "command": "sleep",
        "args": ["30"],
        "connect_timeout_s": 1,
    }
    server = post(client, "/api/tools/servers", silent).json()
    late = client.post(f"/api/tools/servers/{server['id']}/refresh").json()
    assert late["status_message"].startswith("timed out after 1 s"), late["status_message"]


def test_tools_secrets_are_encrypted_and_never_returned(
    owner: Any, client_for: Any, http_mcp: HttpServer
) -> None:
    from tools.models import ToolServer

    client = client_for(owner)
    server = add_time(client, env={"API_KEY": SECRET})
    assert server["env"] == [{"name": "API_KEY", "set": True}]
    http = post(
        client,
        "/api/tools/servers",
        {"name": "web", "transport": "http", "url": http_mcp.url, "headers": {"X-Key": SECRET}},
    ).json()
    kept = patch(
        client, f"/api/tools/servers/{server['id']}", {"env": {"API_KEY": None, "TZ": "UTC"}}
    )
    assert kept.status_code == 200, kept.content
    assert [e["name"] for e in kept.json()["env"]] == ["API_KEY", "TZ"]
    row = ToolServer.objects.get(pk=server["id"])
    assert SECRET not in json.dumps(row.env)
    for response in (
        client.get("/api/tools/servers"),
        client.get(f"/api/tools/servers/{server['id']}"),
        client.get(f"/api/tools/servers/{http['id']}"),
        client.post(f"/api/tools/servers/{server['id']}/refresh"),
        client.get("/api/tool-servers"),
    ):
        assert SECRET not in response.content.decode(), response.content
    from tools.configs import server_config

    assert server_config(row).env == {"API_KEY": SECRET, "TZ": "UTC"}  # type: ignore[union-attr]


def test_tools_viewer_lists_but_cannot_change(
    owner: Any, make_member: Any, client_for: Any
) -> None:
    server = add_time(client_for(owner))
    viewer = client_for(make_member("viewer", owner.workspace))
    assert [s["name"] for s in viewer.get("/api/tools/servers").json()] == ["mcp_time"]
    body = {"name": "mine", "transport": "stdio", "command": TIME}
    assert post(viewer, "/api/tools/servers", body).status_code == 403
    assert (
        patch(viewer, f"/api/tools/servers/{server['id']}", {"enabled": False}).status_code == 403
    )
    assert viewer.delete(f"/api/tools/servers/{server['id']}").status_code == 403
    assert viewer.post(f"/api/tools/servers/{server['id']}/refresh").status_code == 403
    editor = client_for(make_member("editor", owner.workspace))
    assert post(editor, "/api/tools/servers", body).status_code == 403


def test_tools_other_workspaces_server_is_not_found(
    owner: Any, make_member: Any, client_for: Any
) -> None:
    server = add_time(client_for(owner))
    other = client_for(make_member("owner"))
    assert other.get(f"/api/tools/servers/{server['id']}").status_code == 404
    assert other.delete(f"/api/tools/servers/{server['id']}").status_code == 404
    assert other.post(f"/api/tools/servers/{server['id']}/refresh").status_code == 404
    assert other.get("/api/tools/servers").json() == []
    assert [s for s in other.get("/api/tool-servers").json() if not s["builtin"]] == []


def test_tools_disabled_and_reserved_names(owner: Any, client_for: Any) -> None:
    from kernel import tool_sources

    client = client_for(owner)
    server = add_time(client)
    patch(client, f"/api/tools/servers/{server['id']}", {"enabled": False})
    assert [s for s in client.get("/api/tool-servers").json() if not s["builtin"]] == []
    tool_sources._names["test-source"] = frozenset({"knowledge"})
    try:
        body = {"name": "knowledge", "transport": "stdio", "command": TIME}
        response = post(client, "/api/tools/servers", body)
        assert (response.status_code, response.json()["field"]) == (422, "name")
    finally:
        del tool_sources._names["test-source"]
    assert client.delete(f"/api/tools/servers/{server['id']}").status_code == 204
    assert client.get("/api/tools/servers").json() == []
