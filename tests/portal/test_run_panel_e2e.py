"""The run panel after a reload, in Chromium against the real server.

A workflow branches on its input (start → if/else → "hot" or "cold" template → end). It runs once
through the API, taking the else branch; the editor, opened afterwards, shows that stored run on
the canvas: the node the branch skipped says why and keeps "Run from here" off, and "Run from
here" on a node that ran reuses the stored run at once.
"""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.portal.browser import (
    api_call,
    create_app,
    node,
    open_editor,
    put_draft,
    shot,
    sign_in,
    watch,
)

pytestmark = pytest.mark.browser


def _template(node_id: str, text: str, y: int) -> dict[str, Any]:
    variables = [{"variable": "temp", "value_selector": ["start", "temp"]}]
    config = {"variables": variables, "template": text}
    return {"id": node_id, "type": "template", "config": config, "position": {"x": 560, "y": y}}


def _branching_spec() -> dict[str, Any]:
    hot = {"variable_selector": ["start", "temp"], "comparison_operator": "is", "value": "hot"}
    temp = {"variable": "temp", "type": "text", "required": True}
    out = [{"variable": "temp", "value_selector": ["start", "temp"]}]

    def at(x: int, y: int) -> dict[str, int]:
        return {"x": x, "y": y}

    return {
        "schema_version": 1,
        "mode": "workflow",
        "nodes": [
            {
                "id": "start",
                "type": "start",
                "config": {"variables": [temp]},
                "position": at(0, 150),
            },
            {
                "id": "check",
                "type": "if_else",
                "title": "Is it hot?",
                "position": at(280, 150),
                "config": {"cases": [{"case_id": "hot", "conditions": [hot]}]},
            },
            _template("hot", "shorts: {{ temp }}", 0),
            _template("cold", "a coat: {{ temp }}", 300),
            {"id": "end", "type": "end", "config": {"outputs": out}, "position": at(840, 150)},
        ],
        "edges": [
            {"source": "start", "target": "check"},
            {"source": "check", "sourceHandle": "hot", "target": "hot"},
            {"source": "check", "sourceHandle": "false", "target": "cold"},
            {"source": "hot", "target": "end"},
            {"source": "cold", "target": "end"},
        ],
    }


def _runs_once_finished(page: Page, url: str, app_id: int, count: int) -> list[dict[str, Any]]:
    """The app's runs, newest first, once there are `count` and none is still running."""
    for _ in range(150):
        runs: list[dict[str, Any]] = api_call(page, url, "GET", f"/apps/{app_id}/runs")
        if len(runs) >= count and all(r["status"] != "running" for r in runs):
            return runs
        page.wait_for_timeout(200)
    raise AssertionError(f"expected {count} finished runs, got {runs}")


def test_reloaded_editor_shows_the_last_run_and_why_a_node_was_skipped(
    page: Page, weft_server: str, output_path: str
) -> None:
    shots, errors = watch(page, output_path)
    url = weft_server
    sign_in(page, url)
    app_id = create_app(page, url, "Branching run", mode="workflow")
    put_draft(page, url, app_id, _branching_spec())
    run = api_call(page, url, "POST", f"/apps/{app_id}/runs", {"inputs": {"temp": "mild"}})
    assert run["status"] == "succeeded", run
    assert {n["node_id"]: n["status"] for n in run["node_runs"]}["hot"] == "skipped"

    open_editor(page, url, app_id)
    expect(node(page, "cold")).to_have_attribute("data-status", "succeeded")
    expect(node(page, "hot")).to_have_attribute("data-status", "skipped")

    node(page, "hot").click()
    section = page.get_by_test_id("node-run-section")
    expect(section.get_by_test_id("node-skip-why")).to_have_text(
        "Skipped: in the last run “Is it hot?” took its ELSE branch,"
        " and this node is on its HOT branch."
    )
    expect(section.get_by_test_id("run-from-here")).to_be_disabled()
    expect(section.get_by_test_id("run-from-here-why")).to_contain_text("Run this node")
    expect(section.locator("[id='node-input-start.temp']")).to_have_value("mild")
    shot(page, shots, "run-01-skipped-node", full_page=False)

    node(page, "cold").click()
    expect(section.get_by_test_id("node-last-run")).to_have_attribute("data-status", "succeeded")
    section.get_by_test_id("run-from-here").click()
    runs = _runs_once_finished(page, url, app_id, count=2)
    assert (runs[0]["status"], runs[0]["inputs"]) == ("succeeded", {"temp": "mild"})
    expect(section.get_by_test_id("run-error")).to_have_count(0)
    assert not errors, errors
