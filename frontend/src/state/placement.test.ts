import { describe, expect, it } from "vitest";

import { boundsOf, clampToRect, freePosition, inView, panInto, type Box } from "./placement";

const size = { width: 240, height: 90 };
const overlap = (a: Box, b: Box) => a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;

describe("free-space placement", () => {
  it("keeps the wanted spot when it is free", () => {
    expect(freePosition([{ x: 0, y: 0, ...size }], { x: 400, y: 0 })).toEqual({ x: 400, y: 0 });
  });

  it("moves a node off the one it would cover, to the nearest free spot", () => {
    const taken = [{ x: 0, y: 0, ...size }];
    const p = freePosition(taken, { x: 10, y: 10 });
    expect(overlap({ ...p, ...size }, taken[0])).toBe(false);
    // The nearest free spot clears the node by its gap and no more than one grid step.
    expect(Math.hypot(p.x - 10, p.y - 10)).toBeLessThan(90 + 20 + 30);
  });

  it("finds a free spot in a crowded area and is deterministic", () => {
    const taken: Box[] = [];
    for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) taken.push({ x: i * 260, y: j * 110, ...size });
    const p = freePosition(taken, { x: 260, y: 110 });
    for (const b of taken) expect(overlap({ ...p, ...size }, b)).toBe(false);
    expect(freePosition(taken, { x: 260, y: 110 })).toEqual(p);
  });

  it("places a group by its bounds", () => {
    expect(boundsOf([])).toBeNull();
    expect(boundsOf([{ x: 0, y: 10, width: 10, height: 10 }, { x: 50, y: -5, width: 20, height: 5 }])).toEqual({ x: 0, y: -5, width: 70, height: 25 });
  });
});

describe("clamping a drop into the visible canvas", () => {
  const canvas = { x: 232, y: 52, width: 800, height: 600 };
  const before = { x: 110, y: 30 };
  const after = { x: 130, y: 60 };

  it("moves a point over the side panel to the nearest point where the whole node shows", () => {
    expect(clampToRect({ x: 1200, y: 300 }, canvas, before, after)).toEqual({ x: 232 + 800 - 8 - 130, y: 300 });
    expect(clampToRect({ x: 1200, y: 2000 }, canvas, before, after)).toEqual({ x: 232 + 800 - 8 - 130, y: 52 + 600 - 8 - 60 });
  });

  it("leaves a point inside alone and centres in a canvas too small for the node", () => {
    expect(clampToRect({ x: 500, y: 300 }, canvas, before, after)).toEqual({ x: 500, y: 300 });
    expect(clampToRect({ x: 0, y: 0 }, { x: 0, y: 0, width: 100, height: 50 }, before, after)).toEqual({ x: 50, y: 25 });
  });
});

describe("in view", () => {
  it("tells whether a flow box is drawn inside the canvas", () => {
    const box = { x: 100, y: 100, ...size };
    expect(inView(box, { x: 0, y: 0, zoom: 1 }, { width: 800, height: 600 })).toBe(true);
    expect(inView(box, { x: 500, y: 0, zoom: 1 }, { width: 800, height: 600 })).toBe(false);
    expect(inView(box, { x: 500, y: 0, zoom: 0.5 }, { width: 800, height: 600 })).toBe(true);
  });
});

describe("panning a node back into view", () => {
  it("moves the least that shows the whole box, and nothing when it shows", () => {
    const box = { x: 1000, y: 100, ...size };
    const canvas = { width: 808, height: 600 }; // the canvas beside an open side panel
    expect(panInto(box, { x: 0, y: 0, zoom: 1 }, canvas)).toEqual({ x: 808 - 16 - 1240, y: 0 });
    expect(panInto({ x: -50, y: 100, ...size }, { x: 0, y: 0, zoom: 1 }, canvas)).toEqual({ x: 66, y: 0 });
    expect(panInto({ x: 100, y: 100, ...size }, { x: 0, y: 0, zoom: 1 }, canvas)).toBeNull();
  });
});
