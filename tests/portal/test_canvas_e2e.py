"""The canvas with real mouse drags in Chromium: the side panel beside the canvas, dropping and
pasting nodes, and wiring them.

A workflow app's starter graph (Start → LLM → End) is opened with the side panel open: the graph
stays in the visible canvas, a palette item let go over the panel lands on the canvas, a wire let
go over a node's body connects to its input, handles take a grab beside their dot, End has no
output, the LLM card names its model, and a paste lands in free space under the mouse.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import FloatRect, Page, expect

from tests.portal.browser import api_call, box, create_app, node, shot, sign_in, watch

pytestmark = pytest.mark.browser

Box = FloatRect


def _inside(inner: Box, outer: Box) -> bool:
    return (
        inner["x"] >= outer["x"] - 1
        and inner["y"] >= outer["y"] - 1
        and inner["x"] + inner["width"] <= outer["x"] + outer["width"] + 1
        and inner["y"] + inner["height"] <= outer["y"] + outer["height"] + 1
    )


def _overlap(a: Box, b: Box) -> bool:
    return (
        a["x"] < b["x"] + b["width"]
        and b["x"] < a["x"] + a["width"]
        and a["y"] < b["y"] + b["height"]
        and b["y"] < a["y"] + a["height"]
    )


def _settled_in_canvas(page: Page) -> None:
    """Every node ends up in the canvas area once the view has settled (a fit is animated and
    waits a frame for React Flow to measure the resized canvas; the CPU is shared)."""
    for _ in range(100):
        try:
            _all_nodes_in_canvas(page)
        except AssertionError:
            page.wait_for_timeout(200)
        else:
            return
    _all_nodes_in_canvas(page)


def _all_nodes_in_canvas(page: Page) -> None:
    """Every node's box lies in the canvas area and none is under the side panel."""
    canvas = box(page.get_by_test_id("canvas"))
    side = box(page.locator(".ed-side"))
    nodes = page.locator(".react-flow__node")
    for i in range(nodes.count()):
        card = box(nodes.nth(i))
        assert _inside(card, canvas), f"node {i} at {card} is outside the canvas {canvas}"
        assert not _overlap(card, side), f"node {i} at {card} is under the side panel {side}"


def _saved_edges(page: Page, url: str, app_id: int) -> list[dict[str, Any]]:
    expect(page.get_by_test_id("save-state")).to_have_attribute("data-state", "saved")
    edges: list[dict[str, Any]] = api_call(page, url, "GET", f"/apps/{app_id}/draft")["spec"][
        "edges"
    ]
    return edges


def test_canvas_panel_drop_connect_and_paste(
    weft_server: str, page: Page, output_path: str
) -> None:
    shots, errors = watch(page, output_path)
    sign_in(page, weft_server)
    app_id = create_app(page, weft_server, "Canvas e2e", mode="workflow")
    page.goto(f"{weft_server}/apps/{app_id}/editor/")
    expect(page.locator(".editor")).to_have_attribute("data-ready", "1")
    expect(page.locator(".react-flow__node")).to_have_count(3)

    # End finishes the run: an input, no output. The LLM card names its model.
    expect(node(page, "end").locator(".react-flow__handle.target")).to_have_count(1)
    expect(node(page, "end").locator(".react-flow__handle.source")).to_have_count(0)
    expect(node(page, "llm").locator(".react-flow__handle.source")).to_have_count(1)
    expect(page.get_by_test_id("node-model-llm")).not_to_be_empty()

    # Opening the run panel shrinks the canvas beside it; the fitted graph stays in sight.
    page.get_by_test_id("open-run").click()
    expect(page.locator(".ed-side")).to_be_visible()
    _settled_in_canvas(page)
    # So does Fit, and Auto-layout, with the panel open.
    pane = box(page.locator(".react-flow__pane"))
    page.mouse.move(pane["x"] + 20, pane["y"] + 20)
    page.mouse.down()
    page.mouse.move(pane["x"] + 620, pane["y"] + 20, steps=10)  # pan the graph under the panel
    page.mouse.up()
    with pytest.raises(AssertionError):
        _all_nodes_in_canvas(page)
    page.get_by_title("Fit the graph in view").click()
    _settled_in_canvas(page)
    page.get_by_test_id("auto-layout").click()
    _settled_in_canvas(page)
    shot(page, shots, "canvas-01-panel-beside", full_page=False)

    # A palette item let go over the side panel lands on the canvas, wholly visible.
    side = box(page.locator(".ed-side"))
    page.get_by_test_id("palette-template").drag_to(
        page.locator(".ed-side"), target_position={"x": side["width"] / 2, "y": 300}
    )
    expect(node(page, "template_1")).to_have_count(1)
    _settled_in_canvas(page)  # the view may still be moving to show the new, selected card
    shot(page, shots, "canvas-02-dropped-over-panel", full_page=False)

    # The panel closes with Escape, its close button, or (the node panel) a click on empty
    # canvas, and the canvas takes the room back.
    page.locator(".react-flow__pane").click(position={"x": 20, "y": 20})
    page.keyboard.press("Escape")
    expect(page.locator(".ed-side")).to_have_count(0)
    node(page, "llm").click()
    expect(page.get_by_test_id("node-panel")).to_be_visible()
    page.locator(".react-flow__pane").click(position={"x": 20, "y": 20})  # empty canvas
    expect(page.locator(".ed-side")).to_have_count(0)
    node(page, "llm").click()
    expect(page.locator(".ed-side")).to_be_visible()
    page.get_by_test_id("close-panel").click()
    expect(page.locator(".ed-side")).to_have_count(0)
    # The zoom controls are not under the issue list.
    controls = box(page.locator(".react-flow__controls"))
    assert not _overlap(controls, box(page.get_by_test_id("issue-list")))

    # A wire from the LLM's output let go over the middle of the template card connects to its
    # input; the drag starts 7 px beside the handle's centre, outside its dot.
    handle = box(node(page, "llm").locator(".react-flow__handle.source"))
    centre = (handle["x"] + handle["width"] / 2, handle["y"] + handle["height"] / 2)
    for dx, dy in ((7, 0), (-7, 0), (0, 7), (0, -7), (5, 5)):  # a 14 px target at least
        grabbed = page.evaluate(
            "([x, y]) => document.elementFromPoint(x, y)?.closest('.react-flow__handle')"
            "?.classList.contains('source') ?? false",
            [centre[0] + dx, centre[1] + dy],
        )
        assert grabbed, f"the handle's hit area misses ({dx}, {dy}) from its centre"
    target = box(node(page, "template_1"))
    page.mouse.move(centre[0] + 7, centre[1])
    page.mouse.down()
    page.mouse.move(
        target["x"] + target["width"] / 2 + 20, target["y"] + target["height"] / 2, steps=14
    )
    # While the wire is in the air, the cards that take input say they may be dropped on.
    expect(node(page, "template_1")).to_have_class(re.compile("wn-drop-target"))
    expect(node(page, "start")).not_to_have_class(re.compile("wn-drop-target"))
    page.mouse.up()
    edge = page.locator('.react-flow__edge[data-id="llm:source->template_1"]')
    expect(edge).to_have_count(1)
    assert any(
        e["source"] == "llm" and e["target"] == "template_1"
        for e in _saved_edges(page, weft_server, app_id)
    )
    shot(page, shots, "canvas-03-connected-on-body", full_page=False)

    # A paste lands under the mouse, moved off the node that is there.
    node(page, "template_1").click()
    page.get_by_test_id("close-panel").click()
    page.keyboard.press("Control+c")
    llm = box(node(page, "llm"))
    page.mouse.move(llm["x"] + llm["width"] / 2, llm["y"] + llm["height"] / 2)
    page.keyboard.press("Control+v")
    pasted = node(page, "template_2")
    expect(pasted).to_have_count(1)
    nodes = page.locator(".react-flow__node")
    boxes = [box(nodes.nth(i)) for i in range(nodes.count())]
    mine = box(pasted)
    assert sum(_overlap(mine, b) for b in boxes) == 1, "the pasted node covers another"
    shot(page, shots, "canvas-04-pasted", full_page=False)
    assert not errors, errors
