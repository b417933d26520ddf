"""The canvas with real mouse drags in Chromium: the side panel beside the canvas, dropping and
pasting nodes, and wiring them.

A workflow app's starter graph (Start → LLM → End) is opened with the side panel open: the graph
stays in the visible canvas, a palette item let go over the panel lands on the canvas, a wire let
go over a node's body connects to its input, handles take a grab beside their dot, End has no
output, the LLM card names its model, and a paste lands in free space under the mouse.

Then the panel's edge is dragged wider (remembered after a reload, and followed by fit,
auto-layout and click-add), the issue list sits under the canvas and folds, the toolbar stays put
while the save label changes, and an edge's end is dragged to another node, undone, and let go
over empty canvas.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import FloatRect, Page, expect

from tests.portal.browser import (
    api_call,
    box,
    create_app,
    drop,
    editor_ready,
    node,
    open_editor,
    saved,
    shot,
    sign_in,
    view_settled,
    watch,
)

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
    """Every node's box lies in the canvas area, none under the issue list or the side panel."""
    canvas = box(page.get_by_test_id("canvas"))
    beside = [box(page.get_by_test_id("issue-list"))]
    if page.locator(".ed-side").count():
        beside.append(box(page.locator(".ed-side")))
    nodes = page.locator(".react-flow__node")
    for i in range(nodes.count()):
        card = box(nodes.nth(i))
        assert _inside(card, canvas), f"node {i} at {card} is outside the canvas {canvas}"
        for other in beside:
            assert not _overlap(card, other), f"node {i} at {card} is under {other}"


def _saved_edges(page: Page, url: str, app_id: int) -> list[dict[str, Any]]:
    saved(page)
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
    open_editor(page, weft_server, app_id)
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


def _drag(page: Page, start: tuple[float, float], end: tuple[float, float]) -> None:
    """Press the mouse at `start`, move it to `end` in steps, let go."""
    page.mouse.move(*start)
    page.mouse.down()
    page.mouse.move(*end, steps=14)
    page.mouse.up()


def _centre(b: Box) -> tuple[float, float]:
    return b["x"] + b["width"] / 2, b["y"] + b["height"] / 2


def _edge_ends(page: Page, url: str, app_id: int) -> set[tuple[str, str]]:
    return {(e["source"], e["target"]) for e in _saved_edges(page, url, app_id)}


def test_canvas_panel_width_issue_dock_and_moving_an_edge(
    weft_server: str, page: Page, output_path: str
) -> None:
    shots, errors = watch(page, output_path)
    sign_in(page, weft_server)
    app_id = create_app(page, weft_server, "Canvas room", mode="workflow")
    open_editor(page, weft_server, app_id)
    expect(page.get_by_test_id("issue-list")).to_have_attribute("data-count", "0")

    # The toolbar stays put while the save label goes from "Saved" to "Unsaved changes" and back.
    state = page.get_by_test_id("save-state")
    tools = [page.get_by_test_id("auto-layout"), page.get_by_placeholder("Find node…  (Ctrl+F)")]
    before = [box(t) for t in (state, *tools)]
    drop(page, "template", 300, 480)  # unwired: the graph has issues now
    expect(state).to_have_attribute("data-state", re.compile("dirty|saving"))
    assert [box(t) for t in (state, *tools)] == before
    saved(page)
    assert [box(t) for t in (state, *tools)] == before

    # The issue list sits under the canvas, not over it: fit and auto-layout leave it its room.
    issues = page.get_by_test_id("issue-list")
    expect(issues).not_to_have_attribute("data-count", "0")
    expect(issues.get_by_role("listitem").first).to_be_visible()
    node(page, "llm").click()  # the side panel opens too
    page.get_by_title("Fit the graph in view").click()
    _settled_in_canvas(page)
    page.get_by_test_id("auto-layout").click()
    _settled_in_canvas(page)
    shot(page, shots, "canvas-05-issue-dock", full_page=False)
    # Folded to one line, it gives the canvas its room back.
    tall = box(page.get_by_test_id("canvas"))["height"]
    issues.get_by_role("button", name=re.compile(r"\d+ issues?")).click()
    expect(issues.get_by_role("listitem")).to_have_count(0)
    assert box(page.get_by_test_id("canvas"))["height"] > tall + 50
    issues.get_by_role("button", name=re.compile(r"\d+ issues?")).click()
    expect(issues.get_by_role("listitem").first).to_be_visible()

    # The side panel's left edge dragged 200 px to the left: the panel widens, the canvas narrows,
    # and fit, auto-layout and a click-added node keep to the canvas that is left.
    side = box(page.locator(".ed-side"))
    edge = box(page.get_by_test_id("side-resize"))
    grip = _centre(edge)
    _drag(page, grip, (grip[0] - 200, grip[1] + 40))
    wide = box(page.locator(".ed-side"))
    assert abs(wide["width"] - (side["width"] + 200)) <= 2, (side, wide)
    assert box(page.get_by_test_id("canvas"))["x"] + box(page.get_by_test_id("canvas"))[
        "width"
    ] <= (wide["x"] + 1)
    _settled_in_canvas(page)
    page.get_by_title("Fit the graph in view").click()
    _settled_in_canvas(page)
    page.get_by_test_id("auto-layout").click()
    _settled_in_canvas(page)
    page.get_by_test_id("palette-template").click()
    expect(node(page, "template_2")).to_have_count(1)
    _settled_in_canvas(page)
    shot(page, shots, "canvas-06-wider-panel", full_page=False)
    # Dragged far to the right it stops at its narrowest; the browser remembers the width.
    _drag(page, _centre(box(page.get_by_test_id("side-resize"))), (1400, grip[1]))
    narrow = box(page.locator(".ed-side"))["width"]
    assert 250 <= narrow < side["width"]
    _drag(page, _centre(box(page.get_by_test_id("side-resize"))), (grip[0] - 120, grip[1]))
    chosen = box(page.locator(".ed-side"))["width"]
    saved(page)
    page.reload()
    editor_ready(page)
    node(page, "llm").click()
    assert abs(box(page.locator(".ed-side"))["width"] - chosen) <= 1
    page.get_by_test_id("close-panel").click()

    # The LLM → End edge's end dragged onto the template's body moves the wire there.
    expect(page.locator(".react-flow__edge")).to_have_count(2)
    page.get_by_title("Fit the graph in view").click()
    view_settled(page)
    llm_out = page.locator('.react-flow__edge[data-id="e2"] .react-flow__edgeupdater-target')
    end_grip = _centre(box(llm_out))
    _drag(page, (end_grip[0] - 6, end_grip[1]), _centre(box(node(page, "template_1"))))
    expect(page.locator('.react-flow__edge[data-id="llm:source->template_1"]')).to_have_count(1)
    expect(page.locator('.react-flow__edge[data-id="e2"]')).to_have_count(0)
    assert _edge_ends(page, weft_server, app_id) == {("start", "llm"), ("llm", "template_1")}
    shot(page, shots, "canvas-07-edge-moved", full_page=False)
    # Undo puts it back, and that is saved too; redo moves it again.
    page.locator(".react-flow__pane").click(position={"x": 20, "y": 20})
    page.keyboard.press("Control+z")
    expect(page.locator('.react-flow__edge[data-id="e2"]')).to_have_count(1)
    assert _edge_ends(page, weft_server, app_id) == {("start", "llm"), ("llm", "end")}
    page.keyboard.press("Control+Shift+z")
    moved = page.locator('.react-flow__edge[data-id="llm:source->template_1"]')
    expect(moved).to_have_count(1)
    # Its end dragged onto End's input handle moves it back; let go over empty canvas, it stays.
    start_grip = _centre(box(moved.locator(".react-flow__edgeupdater-target")))
    into = box(node(page, "end").locator(".react-flow__handle.target"))
    _drag(page, (start_grip[0] - 6, start_grip[1]), _centre(into))
    expect(page.locator('.react-flow__edge[data-id="llm:source->end"]')).to_have_count(1)
    grip_end = _centre(
        box(
            page.locator(
                '.react-flow__edge[data-id="llm:source->end"] .react-flow__edgeupdater-target'
            )
        )
    )
    pane = box(page.get_by_test_id("canvas"))
    _drag(page, (grip_end[0] - 6, grip_end[1]), (pane["x"] + 30, pane["y"] + 30))
    expect(page.locator('.react-flow__edge[data-id="llm:source->end"]')).to_have_count(1)
    assert _edge_ends(page, weft_server, app_id) == {("start", "llm"), ("llm", "end")}
    assert not errors, errors
