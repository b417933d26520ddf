"""The portal end to end in Chromium, against the real ASGI server and the embedded model.

Sign in, open the demo app, stream a test run over the WebSocket, publish with a note, create an
API key (shown once) and call the published app with it. Screenshots land in the test's output
folder (pytest-playwright's --output, test-results/ by default).
"""

from __future__ import annotations

import re

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.portal.browser import add_api_key, create_app_on_home, shot, watch
from tests.portal.server import EMAIL, PASSWORD

pytestmark = pytest.mark.browser


def test_portal_demo_app_run_publish_and_key(
    weft_server: str, page: Page, output_path: str
) -> None:
    shots, errors = watch(page, output_path)

    # Sign in.
    page.goto(f"{weft_server}/")
    expect(page).to_have_url(re.compile(r"/login/"))
    shot(page, shots, "01-login")
    page.fill("#id_username", EMAIL)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")

    # The demo app's card.
    card = page.locator("a.app-card[data-app-slug='demo-chat']")
    expect(card).to_be_visible()
    expect(card).to_contain_text("Demo chat")
    expect(card).to_contain_text("v1 published")
    expect(page.locator("header.topbar")).to_contain_text(EMAIL)
    shot(page, shots, "02-home")
    card.click()

    # A streamed test run.
    expect(page.locator("h1")).to_have_text("Demo chat")
    expect(page.locator("#draft-validation")).to_have_attribute("data-state", "valid")
    page.fill("#run-query", "Write one sentence about the sea.")
    page.click("#run-button")
    expect(page.locator("#run-status")).to_have_attribute("data-state", "running")
    bubble = page.locator("#transcript .msg-bot").last
    answer = bubble.locator(".msg-text")
    expect(bubble).to_have_class(re.compile("streaming"))
    expect(answer).not_to_have_text("", timeout=60_000)  # the first tokens arrive
    first = answer.text_content() or ""
    shot(page, shots, "03-streaming")
    expect(page.locator("#run-status")).to_have_attribute("data-state", "succeeded", timeout=90_000)
    final = answer.text_content() or ""
    assert len(final) > len(first), "the answer arrived in one piece, not streamed"
    rows = page.locator("#trace-body tr.trace-row")
    expect(rows).to_have_count(3)
    for i in range(3):
        expect(rows.nth(i)).to_have_attribute("data-status", "succeeded")
    rows.nth(1).click()  # the LLM node's inputs and outputs
    expect(page.locator("#live-detail-2")).to_be_visible()
    expect(page.locator("#live-detail-2")).to_contain_text(final.strip()[:20])
    expect(page.locator("#conversation-label")).to_be_visible()
    expect(page.locator("#new-conversation")).to_be_enabled()
    expect(page.locator("#runs-body tr").first).to_contain_text("Succeeded")
    shot(page, shots, "04-run-finished")

    # Publish with a note.
    page.fill("#publish-note", "e2e release")
    page.click("#publish-button")
    expect(page.locator("#publish-result")).to_contain_text("version 2")
    expect(page.locator("#version-list li").first).to_contain_text("v2")
    expect(page.locator("#version-list li").first).to_contain_text("e2e release")

    # An API key, shown once.
    add_api_key(page, "e2e key")
    key = (page.locator("#new-key").text_content() or "").strip()
    assert len(key) >= 20
    expect(page.locator("#curl-example")).to_contain_text("/v1/chat-messages")
    expect(page.locator("#keys-body tr").first).to_contain_text("e2e key")
    page.locator("#api-keys").scroll_into_view_if_needed()
    shot(page, shots, "05-published-and-key")

    page.reload()
    assert key not in page.content()  # only its prefix is ever shown again
    expect(page.locator("#version-list li").first).to_contain_text("e2e release")

    # The run's own page.
    page.locator("#runs-body a", has_text="Details").first.click()
    expect(page.locator(".run-summary")).to_contain_text("Succeeded")
    expect(page.locator("table.table-trace tr.trace-row")).to_have_count(3)
    page.locator("table.table-trace tr.trace-row").nth(1).click()
    shot(page, shots, "06-run-page")

    # The published app answers over the Service API with the new key.
    response = httpx.post(
        f"{weft_server}/v1/chat-messages",
        timeout=120,
        headers={"Authorization": f"Bearer {key}"},
        json={"inputs": {}, "query": "Say hello.", "user": "e2e", "response_mode": "blocking"},
    )
    assert response.status_code == 200, response.text
    assert response.json()["answer"].strip()

    # A new workflow app from the home page's form, run with its start variable.
    page.goto(f"{weft_server}/")
    create_app_on_home(page, "Tagline <writer>", "workflow")
    expect(page.locator("#head-version")).to_have_text("Not published")
    page.fill("#in-query", "Write a short tagline for a bakery.")
    page.click("#run-button")
    expect(page.locator("#run-status")).to_have_attribute("data-state", "succeeded", timeout=90_000)
    expect(page.locator("#workflow-text")).not_to_have_text("")
    expect(page.locator("#workflow-json")).to_contain_text('"text"')
    expect(page.locator("#trace-body tr.trace-row[data-status=succeeded]")).to_have_count(3)
    shot(page, shots, "07-workflow-app")
    assert not errors, errors
