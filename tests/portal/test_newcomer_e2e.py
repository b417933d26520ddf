"""A newcomer's first hour (issue 13) in Chromium, against the real server and embedded model.

Everything goes through the pages a person uses, with the mouse and keyboard, and no API
shortcut: sign in to the demo workspace, create a workflow app from the home page, and in the
editor drag a topic router together from the palette (Start with a `topic` input → Template →
If/else on "weather" → LLM or Template → Variable aggregator → End), wiring handles by dragging
(some wires let go on a card's body), filling every field through the side panel and its variable
picker. No issues are left; the Run panel runs it and the nodes light up; one node's trace is
opened and that node is run alone with an edited input; the draft is published. Back on the app
page, a new API key shows a curl built from the app's real inputs: it is copied with its Copy
button and run in bash against the live server. Last, the Members page invites a new email, the
invitation link is opened in a fresh browser, accepted with a new password, and the new member is
listed. Screenshots of each step land in the test's output folder.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Browser, ConsoleMessage, Page, expect

from tests.portal.browser import (
    add_api_key,
    connect,
    drop,
    editor_ready,
    node,
    publish,
    saved,
    shot,
    sign_in,
    view_settled,
    watch,
)
from tests.shell import run_pasted_curl

pytestmark = pytest.mark.browser

APP = "Topic router"
TOPIC = "the weather in Lisbon"
NEWCOMER = "sam.newcomer@example.com"
NEW_PASSWORD = "Newcomer-Password-456"
NODES = (
    "start_1",
    "template_1",
    "if_else_1",
    "llm_1",
    "template_2",
    "variable_aggregator_1",
    "end_1",
)


def _console_errors(page: Page) -> list[str]:
    """The page's console errors as they happen (a failed request logs one too)."""
    errors: list[str] = []

    def keep(message: ConsoleMessage) -> None:
        if message.type == "error":
            errors.append(f"{page.url}: {message.text}")

    page.on("console", keep)
    return errors


def _pick(page: Page, field: str, selector: str) -> None:
    """Open the variable picker of field `f-<field>` and choose `selector` (node.output)."""
    page.locator(f"[id='f-{field}']").click()
    page.get_by_test_id("var-menu").get_by_test_id(f"var-option-{selector}").click()


def _create_app(page: Page, shots: Path) -> None:
    page.fill("#new-app-name", APP)
    page.check("input[name=mode][value=workflow]")
    shot(page, shots, "newcomer-01-home")
    page.click("#new-app-form button[type=submit]")
    expect(page.locator("h1")).to_have_text(APP)
    page.click("#open-editor")
    editor_ready(page)


def _drop_and_wire(page: Page, shots: Path) -> None:
    """The starter graph cleared, seven nodes dragged from the palette and wired by dragging."""
    expect(page.locator(".react-flow__node")).to_have_count(3)  # the starter Start → LLM → End
    page.locator(".react-flow__pane").click(position={"x": 400, "y": 600})
    page.keyboard.press("Control+a")
    page.keyboard.press("Delete")
    expect(page.locator(".react-flow__node")).to_have_count(0)

    # Where the mouse lets go, in the pane (the card's grip is 110 px in from its left edge).
    for node_type, x, y in (
        ("start", 130, 100),
        ("template", 430, 100),
        ("if_else", 730, 100),
        ("llm", 1030, 60),
        ("template", 1030, 280),
        ("variable_aggregator", 730, 430),
        ("end", 430, 430),
    ):
        drop(page, node_type, x, y)
    for node_id in NODES:
        expect(node(page, node_id)).to_have_count(1)

    # End finishes the run: an input and no output. The LLM card names its model.
    expect(node(page, "end_1").locator(".react-flow__handle.source")).to_have_count(0)
    expect(page.get_by_test_id("node-model-llm_1")).not_to_be_empty()

    connect(page, "start_1", "template_1")
    connect(page, "template_1", "if_else_1", on_body=True)
    connect(page, "if_else_1", "llm_1", handle="case_1")
    connect(page, "if_else_1", "template_2", handle="false", on_body=True)
    connect(page, "llm_1", "variable_aggregator_1")
    connect(page, "template_2", "variable_aggregator_1", on_body=True)
    connect(page, "variable_aggregator_1", "end_1", on_body=True)
    edges = page.locator(".react-flow__edge")
    expect(edges).to_have_count(7)
    for edge_id in (
        "if_else_1:case_1->llm_1",
        "if_else_1:false->template_2",
        "template_2:source->variable_aggregator_1",
    ):
        expect(page.locator(f'.react-flow__edge[data-id="{edge_id}"]')).to_have_count(1)
    expect(page.get_by_test_id("issue-list")).not_to_have_attribute("data-count", "0")
    shot(page, shots, "newcomer-02-wired", full_page=False)


def _configure(page: Page, shots: Path) -> None:
    """Every node's fields filled through the side panel, until no issue is left."""
    panel = page.get_by_test_id("node-panel")

    node(page, "start_1").click()
    panel.get_by_test_id("add-start_1.variables").click()
    page.locator("[id='f-start_1.variables.0.variable']").fill("topic")
    panel.get_by_label("Node title").click()  # leave the row

    node(page, "template_1").click()
    panel.get_by_test_id("add-template_1.variables").click()
    _pick(page, "template_1.variables.0.value_selector", "start_1.topic")
    expect(page.locator("[id='f-template_1.variables.0.variable']")).to_have_value("topic")
    page.locator("[id='f-template_1.template']").fill("Topic: {{ topic }}")

    node(page, "if_else_1").click()
    _pick(page, "if_else_1.cases.0.conditions.0.variable_selector", "template_1.output")
    operator = page.locator("[id='f-if_else_1.cases.0.conditions.0.comparison_operator']")
    expect(operator).to_have_value("contains")
    page.locator("[id='f-if_else_1.cases.0.conditions.0.value']").fill("weather")
    shot(page, shots, "newcomer-03-if-else-panel", full_page=False)

    # A workflow has no sys.query: a new LLM's prompt is empty, the one thing to write.
    node(page, "llm_1").click()
    prompt = page.locator("[id='f-llm_1.prompt']")
    expect(prompt).to_have_value("")
    expect(panel.get_by_test_id("panel-issues")).to_contain_text("Prompt: fill this in")
    prompt.fill("In one short sentence, tell me about ")
    page.get_by_test_id("insert-var-f-llm_1.prompt").click()
    menu = page.get_by_test_id("var-menu")
    expect(menu.get_by_test_id("var-option-sys.query")).to_have_count(0)
    expect(menu.get_by_test_id("var-option-template_1.output")).to_be_visible()
    expect(menu.get_by_test_id("var-option-variable_aggregator_1.output")).to_have_count(0)
    shot(page, shots, "newcomer-04-variable-picker", full_page=False)
    menu.get_by_test_id("var-option-template_1.output").click()
    expect(prompt).to_have_value("In one short sentence, tell me about {{#template_1.output#}}")
    page.locator("[id='f-llm_1.max_tokens']").fill("48")

    node(page, "template_2").click()
    panel.get_by_test_id("add-template_2.variables").click()
    _pick(page, "template_2.variables.0.value_selector", "template_1.output")
    expect(page.locator("[id='f-template_2.variables.0.variable']")).to_have_value("output")
    page.locator("[id='f-template_2.template']").fill("No weather today. {{ output }}")

    node(page, "variable_aggregator_1").click()
    _pick(page, "variable_aggregator_1.variables.0", "llm_1.text")
    panel.get_by_test_id("add-variable_aggregator_1.variables").click()
    _pick(page, "variable_aggregator_1.variables.1", "template_2.output")

    node(page, "end_1").click()
    expect(page.locator("[id='f-end_1.outputs.0.variable']")).to_have_value("result")
    _pick(page, "end_1.outputs.0.value_selector", "variable_aggregator_1.output")

    issues = page.get_by_test_id("issue-list")
    expect(issues).to_have_attribute("data-count", "0")
    expect(issues).to_contain_text("No issues")
    page.get_by_test_id("close-panel").click()
    page.get_by_test_id("auto-layout").click()
    view_settled(page)
    saved(page)
    shot(page, shots, "newcomer-05-built", full_page=False)


def _run_trace_and_debug(page: Page, shots: Path) -> None:
    """A run from the Run panel lights the nodes up; a trace opens; the LLM is run alone."""
    page.get_by_test_id("open-run").click()
    page.get_by_test_id("run-input-topic").fill(TOPIC)
    page.get_by_test_id("run-start").click()
    expect(node(page, "llm_1")).to_have_attribute(
        "data-status", re.compile("running|succeeded"), timeout=60_000
    )
    expect(node(page, "template_1")).to_have_attribute("data-status", "succeeded")
    shot(page, shots, "newcomer-06-running", full_page=False)
    expect(page.get_by_test_id("run-status")).to_have_attribute(
        "data-status", "succeeded", timeout=120_000
    )
    for node_id in NODES:
        status = "skipped" if node_id == "template_2" else "succeeded"
        expect(node(page, node_id)).to_have_attribute("data-status", status)
    outputs = page.get_by_test_id("run-outputs")
    expect(outputs).to_contain_text('"result"')
    expect(outputs).not_to_contain_text("No weather today")  # the LLM branch answered

    trace = page.get_by_test_id("run-trace-llm_1")
    expect(trace).to_have_attribute("data-status", "succeeded")
    trace.locator(".run-trace-row").click()
    expect(trace).to_contain_text(f"Topic: {TOPIC}")  # what the prompt was filled with
    shot(page, shots, "newcomer-07-trace", full_page=False)

    # Debug: run the LLM alone with an edited input.
    node(page, "llm_1").click()
    section = page.get_by_test_id("node-run-section")
    value = section.get_by_test_id("node-input-template_1.output")
    expect(value).to_have_value(f"Topic: {TOPIC}")  # the last run's value to start from
    value.fill("Topic: weather on Mars")
    section.get_by_test_id("run-node-button").click()
    last = section.get_by_test_id("node-last-run")
    expect(last).to_have_attribute("data-status", "succeeded", timeout=120_000)
    expect(last).to_contain_text("weather on Mars")
    shot(page, shots, "newcomer-08-node-debug", full_page=False)


def _call_with_the_shown_curl(page: Page, shots: Path) -> None:
    """Back on the app page: a new key's example call, copied and run in bash."""
    page.get_by_title("Back to the app page").click()
    expect(page.locator("h1")).to_have_text(APP)
    expect(page.locator("#head-version")).to_have_text("v1 live")
    add_api_key(page, "my first key")
    reveal = page.locator("#key-reveal")
    expect(page.locator("#example-unpublished")).to_be_hidden()
    shown = page.locator("#curl-example")
    expect(shown).to_contain_text("/v1/workflows/run")
    expect(shown).to_contain_text('"topic"')  # the app's own input, not sys.query
    copy = reveal.locator("[data-copy='#curl-example']")
    copy.click()
    expect(copy).to_have_text("Copied")
    curl = page.evaluate("navigator.clipboard.readText()")
    assert curl == shown.text_content()
    page.locator("#api-keys").scroll_into_view_if_needed()
    shot(page, shots, "newcomer-09-key-and-curl", full_page=False)

    status, body = run_pasted_curl(curl)  # as a user pastes it into a shell
    assert status == 200, body
    data = body["data"]
    assert data["status"] == "succeeded", data
    # "sample topic" holds no "weather": the else branch's template answered.
    assert data["outputs"] == {"result": "No weather today. Topic: sample topic"}, data


def _invite_and_accept(page: Page, browser: Browser, shots: Path, url: str) -> list[str]:
    """Invite a new email; the link, opened in a fresh browser, signs them up; they are listed.
    Returns the invitee's page errors and console errors."""
    page.locator("header.topbar").get_by_role("link", name="Members").click()
    expect(page.locator("h1")).to_have_text("Members")
    page.fill("#invite-email", NEWCOMER)
    page.click("#invite-member-form button[type=submit]")
    link = page.locator("#invite-link-url").input_value()
    assert "/invitations/" in link
    expect(page.locator("#invitations")).to_contain_text(NEWCOMER)
    shot(page, shots, "newcomer-10-invited")

    context = browser.new_context(viewport={"width": 1440, "height": 900})
    try:
        guest = context.new_page()
        _, problems = watch(guest, str(shots))
        problems += _console_errors(guest)
        guest.goto(link)
        expect(guest.locator("h1")).to_contain_text("Join")
        guest.fill("#id_password", NEW_PASSWORD)
        guest.fill("#id_password2", NEW_PASSWORD)
        shot(guest, shots, "newcomer-11-invitation")
        guest.click("#sign-up-form button[type=submit]")
        guest.wait_for_url(f"{url}/")
        expect(guest.locator("body")).to_contain_text("You joined")
        expect(guest.locator("header.topbar")).to_contain_text(NEWCOMER)
        shot(guest, shots, "newcomer-12-joined")
    finally:
        context.close()

    page.reload()
    member = page.locator("#members tr", has_text=NEWCOMER)
    expect(member).to_have_count(1)
    expect(member.get_by_label(f"Role of {NEWCOMER}")).to_have_value("editor")
    expect(page.locator("#invitations")).not_to_contain_text(NEWCOMER)
    shot(page, shots, "newcomer-13-member-listed")
    return problems


def test_newcomer_builds_runs_debugs_publishes_calls_and_invites(
    weft_server: str, page: Page, browser: Browser, output_path: str
) -> None:
    shots, errors = watch(page, output_path)
    console = _console_errors(page)
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=weft_server)
    sign_in(page, weft_server)
    _create_app(page, shots)
    _drop_and_wire(page, shots)
    _configure(page, shots)
    _run_trace_and_debug(page, shots)
    publish(page, "first topic router")
    _call_with_the_shown_curl(page, shots)
    guest = _invite_and_accept(page, browser, shots, weft_server)
    assert not errors, errors
    assert not console, console
    assert not guest, guest
