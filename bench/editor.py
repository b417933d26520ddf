"""The visual editor with a 300-node workflow, in Chromium: load time and frames per second
while a node is dragged.

A real Weft server (fresh data dir, demo admin) gets a workflow app whose draft has N nodes of
the built-in types (LLM, template, if-else, aggregator) in columns, each wired to the previous
column. Load time = from navigation start until all N nodes are on screen (laid out and measured
by React Flow) and a frame has been painted. FPS = animation frames the page painted per second
while the mouse drags one node across the canvas. Targets: load <= 1000 ms, >= 30 fps.
Usage: python bench/editor.py [--quick] [--nodes 300] [--loads 5]
"""

from __future__ import annotations

import argparse
import itertools
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from playwright.sync_api import Page, sync_playwright

from tests.portal.browser import CHROMIUM, CHROMIUM_ARGS, create_app, put_draft, sign_in
from tests.portal.server import weft_server

# Records when the N-th node is laid out (React Flow shows a node once it has measured it).
WATCH_NODES = """
window.__weftLoaded = null;
const want = %d;
const check = () => {
  const shown = document.querySelectorAll(
    '.react-flow__node[data-id]:not([style*="visibility: hidden"])');
  if (shown.length >= want && window.__weftLoaded === null) {
    requestAnimationFrame(() => { window.__weftLoaded = performance.now(); });
    return;
  }
  requestAnimationFrame(check);
};
requestAnimationFrame(check);
"""

FRAME_COUNTER = """
() => {
  window.__frames = [];
  const tick = (t) => {
    if (window.__frames) { window.__frames.push(t); requestAnimationFrame(tick); }
  };
  requestAnimationFrame(tick);
}
"""


def big_spec(n: int) -> dict[str, Any]:
    """A valid workflow of `n` nodes: start, columns of mixed nodes, end."""
    kinds = ["template", "llm", "template", "variable_aggregator"]
    rows = 15
    nodes: list[dict[str, Any]] = [
        {
            "id": "start",
            "type": "start",
            "title": "Start",
            "config": {"variables": [{"variable": "topic", "label": "Topic", "type": "text"}]},
            "position": {"x": 0, "y": rows * 60},
        }
    ]
    edges: list[dict[str, Any]] = []
    prev_column = ["start"]
    i = 0
    while len(nodes) < n - 1:
        column = []
        for r in range(rows):
            if len(nodes) >= n - 1:
                break
            i += 1
            kind = kinds[i % len(kinds)]
            node_id = f"{kind}_{i}"
            src = prev_column[r % len(prev_column)]
            if kind == "llm":
                config: dict[str, Any] = {"prompt": "Say something about {{#start.topic#}}"}
            elif kind == "template":
                config = {
                    "variables": [{"variable": "t", "value_selector": ["start", "topic"]}],
                    "template": "{{ t }} #" + str(i),
                }
            else:
                config = {"variables": [["start", "topic"]], "output_type": "string"}
            col = len(nodes) // rows
            nodes.append(
                {
                    "id": node_id,
                    "type": kind,
                    "title": f"{kind.replace('_', ' ').title()} {i}",
                    "config": config,
                    "position": {"x": 300 + col * 300, "y": r * 120},
                }
            )
            edges.append({"source": src, "target": node_id})
            column.append(node_id)
        prev_column = column
    nodes.append(
        {
            "id": "end",
            "type": "end",
            "title": "End",
            "config": {
                "outputs": [{"variable": "out", "value_selector": [prev_column[0], "output"]}]
            },
            "position": {"x": 300 + (len(nodes) // rows + 1) * 300, "y": rows * 60},
        }
    )
    leaves = {n["id"] for n in nodes[:-1]} - {e["source"] for e in edges}
    edges += [{"source": leaf, "target": "end"} for leaf in sorted(leaves)]
    return {"schema_version": 1, "mode": "workflow", "nodes": nodes, "edges": edges}


def make_app(page: Page, url: str, n: int) -> int:
    """Create a workflow app through the API and save an n-node draft into it."""
    app_id = create_app(page, url, f"Bench {n} nodes", "workflow")
    put_draft(page, url, app_id, big_spec(n))
    return app_id


def measure_load(page: Page, url: str, app_id: int, n: int) -> float:
    page.add_init_script(WATCH_NODES % n)
    page.goto(f"{url}/apps/{app_id}/editor/")
    page.wait_for_function("window.__weftLoaded !== null", timeout=60_000)
    return float(page.evaluate("window.__weftLoaded"))


def measure_drag(page: Page, moves: int) -> dict[str, float]:
    """Drag the node nearest the canvas centre in a circle-ish path; count painted frames."""
    node = page.locator(".react-flow__node").nth(40)
    box = node.bounding_box()
    assert box is not None
    before = node.get_attribute("style")
    x, y = box["x"] + box["width"] / 2, box["y"] + 6
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + 5, y + 5, steps=3)  # past React Flow's drag threshold
    page.evaluate(FRAME_COUNTER)
    start = time.perf_counter()
    for k in range(moves):
        dx = 200 * ((k % 60) / 60)
        page.mouse.move(x + dx, y + 80 * ((k // 60) % 2))
        time.sleep(0.008)  # ~120 moves a second, faster than a 60 Hz screen needs
    elapsed = time.perf_counter() - start
    frames: list[float] = page.evaluate(
        "(() => { const f = window.__frames; window.__frames = null; return f; })()"
    )
    page.mouse.up()
    if node.get_attribute("style") == before:
        raise RuntimeError("the dragged node did not move: the drag measured nothing")
    gaps = [b - a for a, b in itertools.pairwise(frames)]
    fps = (len(frames) - 1) / ((frames[-1] - frames[0]) / 1000) if len(frames) > 1 else 0.0
    return {
        "fps": fps,
        "p95_frame_ms": statistics.quantiles(gaps, n=20)[-1]
        if len(gaps) >= 20
        else max(gaps or [0]),
        "seconds": elapsed,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one load, a 2-second drag")
    parser.add_argument("--nodes", type=int, default=300)
    parser.add_argument("--loads", type=int, default=5)
    args = parser.parse_args()
    loads = 2 if args.quick else args.loads
    moves = 240 if args.quick else 600
    with (
        tempfile.TemporaryDirectory() as tmp,
        weft_server(Path(tmp)) as url,
        sync_playwright() as pw,
    ):
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1440, "height": 900})
        page = context.new_page()
        sign_in(page, url)
        app_id = make_app(page, url, args.nodes)
        times = []
        for _ in range(loads):  # the first load also warms the server and the HTTP cache
            fresh = context.new_page()
            times.append(measure_load(fresh, url, app_id, args.nodes))
            if _ < loads - 1:
                fresh.close()
        drag = measure_drag(fresh, moves)
        count = fresh.locator(".react-flow__node").count()
        browser.close()
    warm = times[1:] or times
    result = {
        "nodes": count,
        "load_ms_cold": round(times[0], 1),
        "load_ms": round(statistics.median(warm), 1),
        "drag_fps": round(drag["fps"], 1),
        "drag_p95_frame_ms": round(drag["p95_frame_ms"], 1),
        "load_target_ms": 1000,
        "fps_target": 30,
    }
    print(
        f"{args.nodes}-node workflow: load {result['load_ms']} ms "
        f"(cold {result['load_ms_cold']} ms), "
        f"drag {result['drag_fps']} fps (p95 frame {result['drag_p95_frame_ms']} ms)"
    )
    print(json.dumps(result))


if __name__ == "__main__":
    main()
