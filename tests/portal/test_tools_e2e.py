"""MCP tools end to end in Chromium, against the real server and mcp-server-time.

An admin opens Tools from the top bar, adds mcp-server-time (a command run over stdio), refreshes
it and sees get_current_time with its parameters. Then, in the editor, a workflow is built from
start and end: a tool node dropped between them, wired, pointed at the time server's
get_current_time with timezone "UTC"; run from the Run panel, its output is the tool's answer.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.portal.browser import (
    connect,
    create_app,
    drop,
    node,
    open_editor,
    put_draft,
    shot,
    sign_in,
    watch,
)

pytestmark = pytest.mark.browser
TIME = str(Path(sys.executable).parent / "mcp-server-time")


def _start_and_end() -> dict[str, object]:
    """Start and End, not yet wired; End outputs the JSON the tool node to come (tool_1) returns."""
    outputs = [{"variable": "now", "value_selector": ["tool_1", "json"]}]
    return {
        "schema_version": 1,
        "mode": "workflow",
        "nodes": [
            {"id": "start", "type": "start", "config": {"variables": []},
             "position": {"x": 0, "y": 150}},
            {"id": "end", "type": "end", "config": {"outputs": outputs},
             "position": {"x": 700, "y": 150}},
        ],
        "edges": [],
    }  # fmt: skip


def test_admin_adds_an_mcp_server_and_a_workflow_calls_its_tool(
    page: Page, weft_server: str, output_path: str
) -> None:
    shots, errors = watch(page, output_path)
    url = weft_server
    sign_in(page, url)
    page.get_by_role("link", name="Tools").click()
    page.wait_for_url(f"{url}/tools/")
    # the layout the portal's React pages share (page.css) is loaded, not only portal.css's card
    expect(page.locator(".tools .tp-card").first).to_have_css("padding", "18px 20px")
    form = page.get_by_test_id("server-form")
    form.get_by_test_id("server-name").fill("mcp_time")
    form.get_by_test_id("server-command").fill(TIME)
    form.get_by_test_id("server-args").fill("--local-timezone\nUTC")
    form.get_by_test_id("server-save").click()
    row = page.get_by_test_id("server-mcp_time")
    expect(row).to_be_visible()
    row.get_by_test_id("refresh-mcp_time").click()
    expect(page.get_by_test_id("status-mcp_time")).to_have_attribute("data-status", "ok")
    row.locator("summary strong").click()  # expand it
    expect(row.get_by_test_id("tool-get_current_time")).to_contain_text("timezone")
    shot(page, shots, "tools-01-time-server")

    app_id = create_app(page, url, "What time is it", mode="workflow")
    put_draft(page, url, app_id, _start_and_end())
    open_editor(page, url, app_id)
    drop(page, "tool", 560, 300)
    connect(page, "start", "tool_1")
    connect(page, "tool_1", "end")
    node(page, "tool_1").click()
    panel = page.get_by_test_id("node-panel")
    panel.locator('[id="f-tool_1.server"]').select_option("mcp_time")
    panel.locator('[id="f-tool_1.tool"]').select_option("get_current_time")
    arg = panel.get_by_test_id("tool-arg-timezone")
    arg.get_by_label("timezone: from").select_option("constant")
    arg.locator('[id="f-tool_1.arguments.timezone"]').fill("UTC")
    expect(page.get_by_test_id("node-issues-tool_1")).to_have_count(0)
    shot(page, shots, "tools-02-tool-node", full_page=False)

    page.get_by_test_id("open-run").click()
    page.get_by_test_id("run-start").click()
    expect(page.get_by_test_id("run-status")).to_have_attribute("data-status", "succeeded")
    expect(page.get_by_test_id("run-outputs")).to_contain_text('"timezone": "UTC"')
    shot(page, shots, "tools-03-run", full_page=False)
    assert not errors, errors
