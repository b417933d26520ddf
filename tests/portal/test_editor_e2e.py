"""The visual editor end to end in Chromium, against the real server and the embedded model.

Sign in, create an app, clear its starter graph, drag Start, LLM and Answer from the palette,
connect them, configure the nodes through the panel and the variable picker until the last
validation issue disappears, then undo/redo, copy/paste, reload (autosaved), run with streamed
output and a per-node trace, publish twice and restore the older version. Screenshots of the
key screens land in the test's output folder.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.portal.browser import (
    api_call,
    chat_in_preview,
    connect,
    create_app,
    create_app_on_home,
    drop,
    editor_ready,
    node,
    open_editor,
    publish,
    saved,
    shot,
    sign_in,
    watch,
)

pytestmark = pytest.mark.browser


def _build_graph(page: Page, shots: Path) -> None:
    """Start → LLM → Answer from the palette, configured through the panel."""
    pane = page.locator(".react-flow__pane")
    expect(page.locator(".react-flow__node")).to_have_count(3)  # the starter graph
    pane.click(position={"x": 400, "y": 600})
    page.keyboard.press("Control+a")
    page.keyboard.press("Delete")
    expect(page.locator(".react-flow__node")).to_have_count(0)
    shot(page, shots, "editor-01-empty", full_page=False)

    drop(page, "start", 120, 250)
    drop(page, "llm", 460, 250)
    drop(page, "answer", 800, 250)
    expect(page.locator(".react-flow__node")).to_have_count(3)
    issues = page.get_by_test_id("issue-list")
    expect(issues).not_to_have_attribute("data-count", "0")  # unconnected, empty answer
    connect(page, "start_1", "llm_1")
    connect(page, "llm_1", "answer_1")
    expect(page.locator(".react-flow__edge")).to_have_count(2)

    # The LLM node: clear its prompt (an issue), then pick sys.query with the variable picker.
    node(page, "llm_1").click()
    panel = page.get_by_test_id("node-panel")
    expect(panel).to_be_visible()
    panel.get_by_label("Node title").fill("Writer")
    page.fill("[id='f-llm_1.system_prompt']", "You answer in one short sentence.")
    prompt = page.locator("[id='f-llm_1.prompt']")
    prompt.fill("")
    # Nothing turns red while the field is being typed into; leaving it shows its problem.
    expect(prompt).to_be_focused()
    saved(page)  # the save's answer carries the server's check of the empty prompt
    expect(panel.locator(".field-invalid")).to_have_count(0)
    expect(page.get_by_test_id("node-issues-llm_1")).to_have_count(0)
    panel.get_by_label("Node title").click()
    expect(panel.get_by_test_id("panel-issues")).to_contain_text("Prompt: fill this in")
    expect(panel.locator(".field-invalid")).to_have_count(1)
    page.get_by_test_id("insert-var-f-llm_1.prompt").click()
    menu = page.get_by_test_id("var-menu")
    expect(menu).to_contain_text("sys.query")
    expect(menu.get_by_test_id("var-option-answer_1.answer")).to_have_count(0)  # downstream
    shot(page, shots, "editor-02-variable-picker", full_page=False)
    menu.get_by_test_id("var-option-sys.query").click()
    expect(page.locator("[id='f-llm_1.prompt']")).to_have_value("{{#sys.query#}}")
    expect(page.get_by_test_id("node-issues-llm_1")).to_have_count(0)

    # The Answer node: its text is the LLM's output, picked from the upstream variables.
    node(page, "answer_1").click()
    page.get_by_test_id("insert-var-f-answer_1.answer").click()
    page.get_by_test_id("var-menu").get_by_test_id("var-option-llm_1.text").click()
    expect(page.locator("[id='f-answer_1.answer']")).to_have_value("{{#llm_1.text#}}")
    expect(issues).to_have_attribute("data-count", "0")
    expect(issues).to_contain_text("No issues")
    saved(page)
    shot(page, shots, "editor-03-built", full_page=False)


def _edit_shortcuts(page: Page) -> None:
    """Delete + undo/redo, copy/paste, and autosave surviving a reload."""
    pane = page.locator(".react-flow__pane")
    node(page, "llm_1").click()
    pane.focus()
    page.keyboard.press("Delete")
    expect(page.locator(".react-flow__node")).to_have_count(2)
    expect(page.locator(".react-flow__edge")).to_have_count(0)
    page.keyboard.press("Control+z")
    expect(page.locator(".react-flow__node")).to_have_count(3)
    expect(page.locator(".react-flow__edge")).to_have_count(2)
    page.keyboard.press("Control+Shift+z")
    expect(page.locator(".react-flow__node")).to_have_count(2)
    page.keyboard.press("Control+z")
    expect(node(page, "llm_1")).to_contain_text("Writer")

    # Shift-drag a box around Start and the LLM: both are selected and deleted together.
    first = node(page, "start_1").bounding_box()
    second = node(page, "llm_1").bounding_box()
    assert first
    assert second
    pane.click(position={"x": 30, "y": 30})
    page.keyboard.down("Shift")
    page.mouse.move(first["x"] - 6, min(first["y"], second["y"]) - 20)
    page.mouse.down()
    page.mouse.move(
        second["x"] + second["width"] + 20,
        max(first["y"] + first["height"], second["y"] + second["height"]) + 20,
        steps=12,
    )
    page.mouse.up()
    page.keyboard.up("Shift")
    expect(page.locator(".react-flow__node.selected")).to_have_count(2)
    page.keyboard.press("Delete")
    expect(page.locator(".react-flow__node")).to_have_count(1)
    page.keyboard.press("Control+z")
    expect(page.locator(".react-flow__node")).to_have_count(3)

    node(page, "llm_1").click()
    page.keyboard.press("Control+c")
    page.keyboard.press("Control+v")
    expect(node(page, "llm_2")).to_contain_text("Writer 2")
    page.keyboard.press("Delete")  # the pasted copy is the selection
    expect(node(page, "llm_2")).to_have_count(0)
    saved(page)
    page.reload()
    editor_ready(page)
    expect(page.locator(".react-flow__node")).to_have_count(3)
    expect(page.locator(".react-flow__edge")).to_have_count(2)
    expect(node(page, "llm_1")).to_contain_text("Writer")


def _run_chat(page: Page, shots: Path) -> None:
    """The chat preview streams the answer and lights up every node; a second turn remembers."""
    bubble = chat_in_preview(page, "Write one sentence about the sea.")
    expect(page.get_by_test_id("chat-preview")).to_be_visible()
    # The first tokens are shown while the run is still going (the caret follows the text).
    expect(bubble.locator(".run-caret")).to_have_count(1, timeout=60_000)
    first = bubble.locator(".chat-bubble").text_content() or ""
    expect(node(page, "llm_1")).to_have_attribute("data-status", re.compile("running|succeeded"))
    shot(page, shots, "editor-05-streaming", full_page=False)
    expect(bubble).to_have_attribute("data-status", "succeeded", timeout=90_000)
    final = bubble.locator(".chat-bubble").text_content() or ""
    assert first.strip()
    assert len(final) > len(first), "the answer arrived in one piece, not streamed"
    for node_id in ("start_1", "llm_1", "answer_1"):
        expect(node(page, node_id)).to_have_attribute("data-status", "succeeded")
    trace = page.get_by_test_id("chat-trace")
    trace.locator("summary").click()
    expect(trace.get_by_test_id("run-trace-llm_1")).to_have_attribute("data-status", "succeeded")
    shot(page, shots, "editor-06-run-trace", full_page=False)

    # Debugging one node: the LLM alone with a hand-filled query, then a re-run from Answer.
    node(page, "llm_1").click()
    section = page.get_by_test_id("node-run-section")
    section.locator("[id='node-input-sys.query']").fill("Say the word blue.")
    section.get_by_test_id("run-node-button").click()
    expect(section.get_by_test_id("node-last-run")).to_have_attribute(
        "data-status", "succeeded", timeout=90_000
    )
    node(page, "answer_1").click()
    page.get_by_test_id("run-from-here").click()
    expect(node(page, "answer_1")).to_have_attribute("data-status", "succeeded", timeout=60_000)
    shot(page, shots, "editor-07-node-debug", full_page=False)


def _publish_diff_restore(page: Page, shots: Path) -> None:
    """Publish v1, rename the LLM node, publish v2, compare v1 with the draft, restore v1."""
    publish(page, "first cut")
    node(page, "llm_1").click()
    page.get_by_test_id("node-panel").get_by_label("Node title").fill("Poet")
    saved(page)
    publish(page, "renamed the writer")
    page.get_by_test_id("open-versions").click()
    expect(page.get_by_test_id("version-row-2")).to_contain_text("renamed the writer")
    expect(page.get_by_test_id("version-row-1")).to_contain_text("first cut")
    page.get_by_test_id("compare-1").click()
    diff = page.get_by_test_id("diff-view")
    expect(diff).to_contain_text("Poet")
    expect(diff).to_contain_text("Writer")
    shot(page, shots, "editor-08-version-diff", full_page=False)
    page.get_by_test_id("restore-1").click()
    page.get_by_test_id("restore-confirm-button-1").click()
    expect(node(page, "llm_1")).to_contain_text("Writer")
    saved(page)
    shot(page, shots, "editor-09-restored", full_page=False)


def test_editor_build_run_publish_and_restore(
    weft_server: str, page: Page, output_path: str
) -> None:
    shots, errors = watch(page, output_path)
    sign_in(page, weft_server)
    create_app_on_home(page, "Editor e2e", "chat")
    page.click("#open-editor")
    editor_ready(page)
    expect(page).to_have_url(re.compile(r"/apps/\d+/editor/$"))
    _build_graph(page, shots)
    _edit_shortcuts(page)
    _run_chat(page, shots)
    _publish_diff_restore(page, shots)
    page.get_by_test_id("theme-toggle").click()
    expect(page.locator("html")).to_have_attribute("data-theme", "dark")
    shot(page, shots, "editor-04-dark", full_page=False)
    page.get_by_test_id("theme-toggle").click()
    assert not errors, errors


def _rename(page: Page, node_id: str, title: str) -> None:
    node(page, node_id).click()
    page.get_by_test_id("node-panel").get_by_label("Node title").fill(title)


def test_editor_stale_tab_paste_across_apps_branches_and_layout(
    weft_server: str, page: Page, output_path: str
) -> None:
    shots, _ = watch(page, output_path)
    sign_in(page, weft_server)
    first = create_app(page, weft_server, "Two tabs")
    open_editor(page, weft_server, first)
    other = page.context.new_page()
    open_editor(other, weft_server, first)

    # Tab A saves; tab B, still on the old revision, is told and offered a reload.
    _rename(page, "llm", "From A")
    saved(page)
    _rename(other, "llm", "From B")
    banner = other.get_by_test_id("conflict-banner")
    expect(banner).to_contain_text("Someone else saved")
    expect(other.get_by_test_id("save-state")).to_have_attribute("data-state", "conflict")
    shot(other, shots, "editor-10-conflict", full_page=False)
    banner.get_by_role("button").click()
    expect(node(other, "llm")).to_contain_text("From A")
    expect(banner).to_have_count(0)
    expect(node(page, "llm")).to_contain_text("From A")  # B's edit never overwrote A's

    # Copy a node in one app and paste it into another.
    node(other, "llm").click()
    other.keyboard.press("Control+c")
    second = create_app(other, weft_server, "Paste target")
    open_editor(other, weft_server, second)
    other.locator(".react-flow__pane").click(position={"x": 50, "y": 50})
    other.keyboard.press("Control+v")
    expect(node(other, "llm_1")).to_contain_text("From A")
    saved(other)

    # Copied with its chat-only Answer, the LLM is pasted into a workflow app without it (and
    # without the wire between them), and a note says what was left out and why.
    node(page, "llm").click()
    node(page, "answer").click(modifiers=["Control"])
    expect(page.locator(".react-flow__node.selected")).to_have_count(2)
    page.keyboard.press("Control+c")
    flow = create_app(page, weft_server, "Paste into a workflow", "workflow")
    open_editor(page, weft_server, flow)
    page.locator(".react-flow__pane").click(position={"x": 50, "y": 50})
    page.keyboard.press("Control+v")
    expect(page.get_by_role("status")).to_have_text(
        "Answer works only in chat apps, so it was not pasted."
    )
    expect(node(page, "llm_1")).to_contain_text("From A")
    expect(page.locator(".react-flow__node")).to_have_count(4)  # the starter's three and the LLM
    shot(page, shots, "editor-14-paste-left-out", full_page=False)
    saved(page)
    draft = api_call(page, weft_server, "GET", f"/apps/{flow}/draft")["spec"]
    assert sorted(n["type"] for n in draft["nodes"]) == ["end", "llm", "llm", "start"]

    # An if-else node gets one handle per case plus ELSE; a new one starts with one case.
    drop(other, "if_else", 300, 500)
    branch = node(other, "if_else_1")
    expect(branch.locator(".react-flow__handle.source")).to_have_count(2)
    expect(branch).to_contain_text("CASE_1")
    expect(branch).to_contain_text("ELSE")
    node(other, "if_else_1").click()
    other.get_by_test_id("add-if_else_1.cases").click()
    expect(branch.locator(".react-flow__handle.source")).to_have_count(3)
    expect(branch).to_contain_text("CASE_2")
    shot(other, shots, "editor-11-if-else", full_page=False)

    # Auto-layout moves nodes and the move is saved.
    before = node(other, "if_else_1").bounding_box()
    other.get_by_test_id("auto-layout").click()
    other.wait_for_timeout(400)
    assert node(other, "if_else_1").bounding_box() != before
    saved(other)
    shot(other, shots, "editor-12-auto-layout", full_page=False)
    other.close()


def test_editor_new_rows_fill_in_quietly_and_always_save(
    weft_server: str, page: Page, output_path: str
) -> None:
    # Issue 13: a fresh row greeted the user in pydantic's words, and adding an aggregator
    # variable made every save and load of the draft answer 500.
    shots, errors = watch(page, output_path)
    sign_in(page, weft_server)
    app_id = create_app(page, weft_server, "Rows")
    open_editor(page, weft_server, app_id)
    drop(page, "template", 300, 520)
    drop(page, "variable_aggregator", 620, 520)
    connect(page, "llm", "template_1")
    connect(page, "template_1", "variable_aggregator_1")

    node(page, "template_1").click()
    panel = page.get_by_test_id("node-panel")
    panel.get_by_test_id("add-template_1.variables").click()
    name = page.locator("[id='f-template_1.variables.0.variable']")
    expect(name).to_be_focused()  # the new row is being filled in: no problems shown yet
    expect(panel.locator(".field-error")).to_have_count(0)
    expect(panel).not_to_contain_text("Variable name (variable 1)")
    page.locator("[id='f-template_1.variables.0.value_selector']").click()
    page.get_by_test_id("var-menu").get_by_test_id("var-option-llm.text").click()
    expect(name).to_have_value("text")  # the picked variable names the row
    page.locator("[id='f-template_1.template']").click()  # leave the row: it is complete
    expect(panel.locator(".field-error")).to_have_count(0)

    panel.get_by_test_id("add-template_1.variables").click()  # left empty this time
    page.locator("[id='f-template_1.template']").click()
    problem = "Variable name (variable 2): use letters, digits and _, starting with a letter or _"
    expect(panel.get_by_test_id("panel-issues")).to_contain_text(problem)
    expect(panel.locator(".field-error").first).to_have_text(problem)
    expect(panel).not_to_contain_text("bad_config")
    expect(panel).not_to_contain_text("should match pattern")
    shot(page, shots, "editor-13-row-issue", full_page=False)

    node(page, "variable_aggregator_1").click()
    page.get_by_test_id("add-variable_aggregator_1.variables").click()
    saved(page)
    page.reload()
    editor_ready(page)
    expect(page.get_by_test_id("issue-list")).to_contain_text(
        "Variable 1: pick a variable (a node and one of its outputs)"
    )
    expect(page.get_by_test_id("issue-list")).to_contain_text(problem)
    expect(page.get_by_test_id("conflict-banner")).to_have_count(0)
    assert not errors, errors


def test_editor_workflow_app_offers_its_own_nodes_with_fitting_defaults(
    weft_server: str, page: Page, output_path: str
) -> None:
    """A workflow app's palette has End but not the chat-only Answer, leads with the LLM, and a
    dropped LLM asks only for its prompt (no sys.query there) and shows no chat memory."""
    shots, errors = watch(page, output_path)
    sign_in(page, weft_server)
    open_editor(page, weft_server, create_app(page, weft_server, "Workflow palette", "workflow"))
    palette = page.get_by_label("Node palette")
    expect(palette.get_by_test_id("palette-end")).to_be_visible()
    expect(palette.get_by_test_id("palette-answer")).to_have_count(0)
    expect(palette.locator(".pal-item").first).to_have_attribute("data-testid", "palette-llm")
    drop(page, "llm", 460, 520)
    connect(page, "start", "llm_1")  # wired in, so its one issue is its own config's
    connect(page, "llm_1", "end")
    node(page, "llm_1").click()
    panel = page.get_by_test_id("node-panel")
    expect(page.locator("[id='f-llm_1.prompt']")).to_have_value("")
    expect(panel.get_by_test_id("panel-issues").locator("li")).to_have_count(1)
    expect(panel.get_by_test_id("panel-issues")).to_contain_text("Prompt: fill this in")
    expect(page.locator("[id='f-llm_1.temperature']")).to_be_visible()
    expect(page.locator("[id='f-llm_1.memory.enabled']")).to_have_count(0)
    shot(page, shots, "editor-13-workflow-palette", full_page=False)
    assert not errors, errors
