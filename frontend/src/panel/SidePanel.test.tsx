import { ReactFlowProvider } from "@xyflow/react";
import { cleanup, fireEvent, render, screen } from "@testing-library/react";
import { afterEach, beforeEach, describe, expect, it } from "vitest";

import { useEditor } from "../state/store";
import { SidePanel } from "./SidePanel";
import { SIDE_MIN, SIDE_STEP, SIDE_WIDTH_KEY } from "./sideWidth";

let canvas: HTMLDivElement;

beforeEach(() => {
  localStorage.clear();
  useEditor.setState({ panel: "node", nodes: [], edges: [] });
  // The canvas beside the panel, 900 px wide: the panel may take at most 900 - 360 px of it.
  canvas = document.createElement("div");
  canvas.className = "ed-canvas";
  canvas.getBoundingClientRect = () => ({ x: 0, y: 0, left: 0, top: 0, right: 900, bottom: 600, width: 900, height: 600, toJSON: () => ({}) });
  document.body.appendChild(canvas);
});

afterEach(() => {
  cleanup();
  canvas.remove();
});

function draw() {
  return render(
    <ReactFlowProvider>
      <SidePanel />
    </ReactFlowProvider>,
  );
}

const width = () => Number.parseInt(screen.getByLabelText("Side panel").style.width, 10);

describe("the side panel's edge", () => {
  it("opens at the width this browser remembers, within what the window allows", () => {
    localStorage.setItem(SIDE_WIDTH_KEY, "333");
    draw();
    expect(width()).toBe(333);
    cleanup();
    localStorage.setItem(SIDE_WIDTH_KEY, "700"); // remembered on a wider screen
    draw();
    expect(width()).toBe(900 - 360);
  });

  it("widens and narrows with the arrow keys, and remembers it", () => {
    localStorage.setItem(SIDE_WIDTH_KEY, "320");
    draw();
    const edge = screen.getByRole("separator");
    fireEvent.keyDown(edge, { key: "ArrowLeft" });
    expect(width()).toBe(320 + SIDE_STEP);
    expect(edge.getAttribute("aria-valuenow")).toBe(String(320 + SIDE_STEP));
    expect(localStorage.getItem(SIDE_WIDTH_KEY)).toBe(String(320 + SIDE_STEP));
    fireEvent.keyDown(edge, { key: "ArrowRight" });
    fireEvent.keyDown(edge, { key: "ArrowRight" });
    expect(width()).toBe(SIDE_MIN);
  });

  it("goes back to the default width on a double-click", () => {
    localStorage.setItem(SIDE_WIDTH_KEY, "333");
    draw();
    fireEvent.doubleClick(screen.getByRole("separator"));
    expect(width()).toBe(Math.round(Math.min(400, Math.max(SIDE_MIN, window.innerWidth * 0.3))));
  });
});
