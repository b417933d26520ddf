"""Weft as a self-hosted, offline install sees it, in Chromium against the real server: every
request to anything but 127.0.0.1 is blocked, and no page may log a 404 or an uncaught error.

The API docs render their operations (Swagger UI from our own static files), the curl shown
with a new key runs as pasted for a workflow app whose input is not `query` and for a chat app,
and a chat run started from the test form is labelled so, with its message on its page.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page, Route, expect

from tests.portal.browser import (
    add_api_key,
    api_call,
    create_app,
    open_editor,
    put_draft,
    shot,
    sign_in,
    watch,
)
from tests.shell import run_pasted_curl
from tests.specs import echo_chat_spec, topic_workflow_spec

pytestmark = pytest.mark.browser


def _offline(page: Page) -> tuple[list[str], list[str]]:
    """Block every request that leaves 127.0.0.1; (blocked URLs, URLs answered 404) as they
    happen."""
    blocked: list[str] = []
    missing: list[str] = []

    def only_local(route: Route) -> None:
        url = route.request.url
        if url.startswith(("data:", "blob:")) or urlsplit(url).hostname == "127.0.0.1":
            route.continue_()
        else:
            blocked.append(url)
            route.abort()

    page.route("**/*", only_local)
    page.on("response", lambda r: missing.append(r.url) if r.status == 404 else None)
    return blocked, missing


def _published_app(page: Page, url: str, name: str, spec: dict[str, Any]) -> int:
    """An app with `spec` as its draft, published as v1; its id."""
    app_id = create_app(page, url, name, spec["mode"])
    put_draft(page, url, app_id, spec)
    api_call(page, url, "POST", f"/apps/{app_id}/publish", {"note": "v1"})
    return app_id


def _run_shown_curl(page: Page) -> tuple[int, Any]:
    """Create a key on the open app page and run the curl it shows, as pasted into bash."""
    add_api_key(page, "pasted")
    curl = page.locator("#curl-example").inner_text()
    return run_pasted_curl(curl)


def test_offline_pages_docs_examples_and_chat_run(
    weft_server: str, page: Page, output_path: str
) -> None:
    shots, errors = watch(page, output_path)
    blocked, missing = _offline(page)
    sign_in(page, weft_server)
    icon = page.request.get(f"{weft_server}/favicon.ico")
    assert (icon.status, icon.headers["content-type"]) == (200, "image/svg+xml")

    # A workflow app whose input is `topic`: the shown curl sends it and gets the outputs.
    flow = _published_app(page, weft_server, "Topic lines", topic_workflow_spec())
    page.goto(f"{weft_server}/apps/{flow}/")
    status, body = _run_shown_curl(page)
    assert status == 200, body
    assert body["data"]["outputs"] == {"line": "sample topic|1|warm|True|it's sunny"}
    shot(page, shots, "offline-01-workflow-key")

    # A chat app: a test-form run, then the shown curl.
    chat = _published_app(page, weft_server, "Echo offline", echo_chat_spec())
    page.goto(f"{weft_server}/apps/{chat}/")
    page.fill("#run-query", "Where is the sea?")
    page.click("#run-button")
    expect(page.locator("#run-status")).to_have_attribute("data-state", "succeeded")
    expect(page.locator("#runs-body tr").first).to_contain_text("Test form (portal)")
    status, body = _run_shown_curl(page)
    assert status == 200, body
    assert body["answer"] == "echo: Hello!"

    # The test-form run's page, through the trace's link: its source and the user's message.
    page.locator("#trace-run-link").click()
    page.wait_for_url("**/runs/*/")
    expect(page.locator(".facts")).to_contain_text("Test form (portal)")
    expect(page.locator("#run-query")).to_have_text("Where is the sea?")
    expect(page.locator("#run-conversation")).to_contain_text("turn 1")
    shot(page, shots, "offline-02-chat-run")

    # The API docs list the operations, with their assets from Weft itself.
    page.goto(f"{weft_server}/api/docs")
    expect(page.locator(".opblock").first).to_be_visible()
    expect(
        page.locator(".opblock-summary-path", has_text="/api/apps/{app_id}/keys").first
    ).to_be_visible()
    shot(page, shots, "offline-03-api-docs", full_page=False)

    # The other pages, the editor's included.
    for path in ("/", "/workspace/members/", "/training/"):
        page.goto(f"{weft_server}{path}")
        expect(page.locator("header.topbar")).to_be_visible()
    open_editor(page, weft_server, chat)

    assert blocked == [], blocked
    assert missing == [], missing
    assert not errors, errors
