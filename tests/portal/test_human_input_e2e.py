"""Answering a human-input pause in the browser, against the real server.

A workflow asks a person (start → human input → end). Run from the editor's Run panel, it pauses:
the panel shows the node's form with its rendered prompt; filling it in and sending resumes the
same run, which finishes with the answers as its outputs. The run page lists it as one run.

A chat app that asks a person mid-reply shows the form in the chat preview, as the assistant's
turn; the answer resumes the run and the rest of the reply arrives in that same turn.

A test run from the portal's app page shows the paused node's row and the run waiting, and links
to the run page's form, which answers it. The app page follows the waiting run: answered on the
run page in another tab, its end shows there without a reload; a run page opened before that
answer says in words that its form came too late. A run page left open on a waiting run follows
it too: answered through the API, the page shows it succeeded without a reload.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.portal.browser import (
    api_call,
    chat_in_preview,
    create_app,
    open_editor,
    put_draft,
    shot,
    sign_in,
    watch,
)
from tests.specs import human_input_chat_spec, human_input_spec

pytestmark = pytest.mark.browser


def test_editor_answers_a_human_input_pause_and_the_run_finishes(
    page: Page, weft_server: str, output_path: str
) -> None:
    shots, errors = watch(page, output_path)
    url = weft_server
    sign_in(page, url)
    app_id = create_app(page, url, "Ask a person", mode="workflow")
    put_draft(page, url, app_id, human_input_spec())

    open_editor(page, url, app_id)
    page.get_by_test_id("open-run").click()
    page.get_by_test_id("run-input-topic").fill("tea")
    page.get_by_test_id("run-start").click()
    expect(page.get_by_test_id("run-status")).to_have_attribute("data-status", "waiting")
    form = page.get_by_test_id("run-waiting")
    expect(form).to_contain_text("What about tea?")
    shot(page, shots, "human-01-waiting", full_page=False)

    form.get_by_test_id("run-answer").click()  # the required answer is empty: said, not sent
    expect(form.get_by_role("alert")).to_have_text("Your answer is required")
    form.get_by_test_id("run-answer-answer").fill("green, please")
    form.get_by_test_id("run-answer-level").select_option("high")
    form.get_by_test_id("run-answer").click()
    expect(page.get_by_test_id("run-status")).to_have_attribute("data-status", "succeeded")
    expect(page.get_by_test_id("run-outputs")).to_contain_text("green, please")
    expect(page.get_by_test_id("run-waiting")).to_have_count(0)
    shot(page, shots, "human-02-finished", full_page=False)

    (run,) = api_call(page, url, "GET", f"/apps/{app_id}/runs")
    assert (run["status"], run["outputs"]) == ("succeeded", {"a": "green, please", "l": "high"})
    assert not errors, errors


def test_chat_preview_answers_a_pause_in_the_assistants_turn(
    page: Page, weft_server: str, output_path: str
) -> None:
    shots, errors = watch(page, output_path)
    url = weft_server
    sign_in(page, url)
    app_id = create_app(page, url, "Ask in chat", mode="chat")
    put_draft(page, url, app_id, human_input_chat_spec())

    open_editor(page, url, app_id)
    turn = chat_in_preview(page, "tea")
    expect(turn).to_have_attribute("data-status", "waiting")
    expect(turn).to_contain_text("Let me ask about tea.")
    form = turn.get_by_test_id("run-waiting")
    expect(form).to_contain_text("What about tea?")
    shot(page, shots, "human-chat-01-waiting", full_page=False)

    form.get_by_test_id("run-answer-answer").fill("green")
    form.get_by_test_id("run-answer").click()
    expect(turn).to_have_attribute("data-status", "succeeded")
    expect(turn.locator(".chat-bubble")).to_have_text("Let me ask about tea. You chose green.")
    expect(page.get_by_test_id("run-waiting")).to_have_count(0)
    expect(page.get_by_test_id("chat-assistant")).to_have_count(1)
    shot(page, shots, "human-chat-02-answered", full_page=False)

    (run,) = api_call(page, url, "GET", f"/apps/{app_id}/runs")
    assert (run["status"], run["answer"]) == ("succeeded", "Let me ask about tea. You chose green.")
    assert not errors, errors


def test_app_page_trace_shows_the_pause_and_links_to_the_run_page_form(
    page: Page, weft_server: str, output_path: str
) -> None:
    shots, errors = watch(page, output_path)
    url = weft_server
    sign_in(page, url)
    app_id = create_app(page, url, "Ask from the portal", mode="workflow")
    put_draft(page, url, app_id, human_input_spec())

    page.goto(f"{url}/apps/{app_id}/")
    page.fill("#in-topic", "tea")
    page.click("#run-button")
    status = page.locator("#run-status")
    expect(status).to_have_attribute("data-state", "waiting")
    expect(status).to_contain_text("Waiting for an answer")
    row = page.locator("#trace-body tr.trace-row[data-node-id=ask]")
    expect(row).to_have_attribute("data-status", "waiting")
    expect(row).to_contain_text("Waiting for an answer")
    expect(page.locator("#workflow-label")).to_have_text("Waiting for an answer")
    expect(page.locator("#runs-body tr").first).to_contain_text("Waiting")
    shot(page, shots, "human-portal-01-waiting", full_page=False)

    row.get_by_role("link", name="Answer").press("Enter")  # the link, not the row's toggle
    page.wait_for_url(f"{url}/apps/{app_id}/runs/**#waiting-ask")
    form = page.locator("#waiting-ask")
    expect(form).to_contain_text("What about tea?")
    form.locator("input[name=answer]").fill("by the portal")
    form.get_by_role("button", name="Send answer").click()
    expect(page.locator(".run-summary .status-lg")).to_have_text("Succeeded")
    expect(page.locator("[data-testid=waiting-form]")).to_have_count(0)
    shot(page, shots, "human-portal-02-answered", full_page=False)

    (run,) = api_call(page, url, "GET", f"/apps/{app_id}/runs")
    assert (run["status"], run["outputs"]) == ("succeeded", {"a": "by the portal", "l": "low"})
    assert not errors, errors


def test_app_page_follows_a_run_answered_on_the_run_page_to_its_end(
    page: Page, weft_server: str, output_path: str
) -> None:
    shots, errors = watch(page, output_path)
    url = weft_server
    sign_in(page, url)
    app_id = create_app(page, url, "Ask in another tab", mode="chat")
    put_draft(page, url, app_id, human_input_chat_spec())

    page.goto(f"{url}/apps/{app_id}/")
    page.fill("#run-query", "tea")
    page.click("#run-button")
    status = page.locator("#run-status")
    expect(status).to_have_attribute("data-state", "waiting")
    bubble = page.locator("#transcript .msg-bot")
    expect(bubble.locator(".msg-text")).to_have_text("Let me ask about tea.")
    ask = page.locator("#trace-body tr.trace-row[data-node-id=ask]")
    expect(ask).to_have_attribute("data-status", "waiting")
    run_href = page.locator("#trace-run-link").get_attribute("href")

    # two more tabs on the run page, opened while it waits: one answers, the other comes late
    answering, late = page.context.new_page(), page.context.new_page()
    for tab in (answering, late):
        tab.goto(f"{url}{run_href}")
        expect(tab.locator("#waiting-ask")).to_contain_text("What about tea?")
    # the late tab's person starts to answer: their page follows the run but keeps what they wrote
    late.locator("#waiting-ask input[name=answer]").fill("too late")
    answering.locator("#waiting-ask input[name=answer]").fill("green")
    answering.get_by_role("button", name="Send answer").click()
    expect(answering.locator(".run-summary .status-lg")).to_have_text("Succeeded")

    # the app page, not reloaded, shows the rest of the turn and the run's end
    expect(status).to_have_attribute("data-state", "succeeded")
    expect(bubble.locator(".msg-text")).to_have_text("Let me ask about tea. You chose green.")
    expect(bubble.locator(".msg-meta")).to_have_count(1)
    expect(ask).to_have_attribute("data-status", "succeeded")
    expect(ask.get_by_role("link", name="Answer")).to_have_count(0)
    reply = page.locator("#trace-body tr.trace-row[data-node-id=reply]")
    expect(reply).to_have_attribute("data-status", "succeeded")
    runs = page.locator("#runs-body tr")
    expect(runs).to_have_count(1)
    expect(runs.first).to_contain_text("Succeeded")
    expect(page.locator("#run-button")).to_be_enabled()
    shot(page, shots, "human-portal-03-followed", full_page=False)

    expect(late.get_by_test_id("run-followed")).to_contain_text("no longer waiting for this answer")
    late.get_by_role("button", name="Send answer").click()
    expect(late.locator(".flash-error")).to_contain_text(
        "no longer waiting for an answer: it was answered elsewhere"
    )
    expect(late.locator("[data-testid=waiting-form]")).to_have_count(0)
    expect(late.locator(".run-summary .status-lg")).to_have_text("Succeeded")

    (run,) = api_call(page, url, "GET", f"/apps/{app_id}/runs")
    assert (run["status"], run["answer"]) == ("succeeded", "Let me ask about tea. You chose green.")
    assert not errors, errors


def test_run_page_follows_a_run_answered_elsewhere_without_a_reload(
    page: Page, weft_server: str, output_path: str
) -> None:
    shots, errors = watch(page, output_path)
    url = weft_server
    sign_in(page, url)
    app_id = create_app(page, url, "Answered by the API", mode="workflow")
    put_draft(page, url, app_id, human_input_spec())
    run = api_call(page, url, "POST", f"/apps/{app_id}/runs", {"inputs": {"topic": "tea"}})
    assert run["status"] == "waiting"

    page.goto(f"{url}/apps/{app_id}/runs/{run['id']}/")
    expect(page.locator("#waiting-ask")).to_contain_text("What about tea?")
    expect(page.locator(".run-summary .status-lg")).to_have_text("Waiting")
    api_call(page, url, "POST", f"/apps/{app_id}/runs/{run['id']}/resume",
             {"answers": {"answer": "by the API"}, "node_id": "ask"})  # fmt: skip

    # the page, not reloaded by hand, shows the run as it is now and says why its form went away
    expect(page.locator(".run-summary .status-lg")).to_have_text("Succeeded")
    expect(page.locator("[data-testid=waiting-form]")).to_have_count(0)
    expect(page.get_by_test_id("run-followed")).to_have_text(
        "This run was answered elsewhere (or its form timed out) while this page was open."
    )
    expect(page.locator(".table-trace")).to_contain_text("by the API")
    shot(page, shots, "human-run-page-followed", full_page=False)
    assert not errors, errors
