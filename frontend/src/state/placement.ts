// Where new nodes go on the canvas: in free space (not on top of another node) and inside the
// part of the canvas the user can see. Pure geometry over flow or screen coordinates.
import type { XYPosition } from "@xyflow/react";

import type { WNode } from "./graph";

export interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** The size a node is drawn at before React Flow has measured it (the card's CSS width). */
export const NODE_SIZE = { width: 240, height: 90 };

/** A node's box in flow coordinates (its measured size, else the default card size). */
export function nodeBox(n: WNode): Box {
  return {
    x: n.position.x,
    y: n.position.y,
    width: n.measured?.width ?? n.width ?? NODE_SIZE.width,
    height: n.measured?.height ?? n.height ?? NODE_SIZE.height,
  };
}

/** The smallest box around `boxes`, or null when there are none. */
export function boundsOf(boxes: Box[]): Box | null {
  if (!boxes.length) return null;
  const x = Math.min(...boxes.map((b) => b.x));
  const y = Math.min(...boxes.map((b) => b.y));
  const right = Math.max(...boxes.map((b) => b.x + b.width));
  const bottom = Math.max(...boxes.map((b) => b.y + b.height));
  return { x, y, width: right - x, height: bottom - y };
}

function overlaps(a: Box, b: Box, gap: number): boolean {
  return a.x < b.x + b.width + gap && b.x < a.x + a.width + gap && a.y < b.y + b.height + gap && b.y < a.y + a.height + gap;
}

/**
 * The top-left corner nearest to `want` where a box of `size` overlaps none of `taken` (keeping
 * `gap` between them). Candidates lie on a grid of `step` around `want`, nearest first, so the
 * result is deterministic; `want` itself when it is already free.
 */
export function freePosition(
  taken: Box[],
  want: XYPosition,
  size: { width: number; height: number } = NODE_SIZE,
  { gap = 20, step = 30, rings = 40 } = {},
): XYPosition {
  const { width, height } = size;
  const fits = (p: XYPosition) => !taken.some((b) => overlaps({ x: p.x, y: p.y, width, height }, b, gap));
  if (fits(want)) return want;
  const candidates: XYPosition[] = [];
  for (let i = -rings; i <= rings; i++) {
    for (let j = -rings; j <= rings; j++) candidates.push({ x: want.x + i * step, y: want.y + j * step });
  }
  // Nearest first; ties go down, then right, the way a reader expects a "next" node.
  const cost = (p: XYPosition) => Math.hypot(p.x - want.x, p.y - want.y);
  candidates.sort((a, b) => cost(a) - cost(b) || b.y - a.y || b.x - a.x);
  return candidates.find(fits) ?? want;
}

/**
 * `point` moved the least distance so that a box reaching `before` to its left/top and `after`
 * to its right/bottom lies inside `rect` (with `margin`): e.g. where a node dropped over the side
 * panel lands on the canvas beside it. A rect too small for the box centres it.
 */
export function clampToRect(
  point: XYPosition,
  rect: Box,
  before: XYPosition,
  after: XYPosition,
  margin = 8,
): XYPosition {
  const axis = (p: number, start: number, length: number, lo: number, hi: number) => {
    const min = start + margin + lo;
    const max = start + length - margin - hi;
    if (min > max) return start + length / 2;
    return Math.min(Math.max(p, min), max);
  };
  return {
    x: axis(point.x, rect.x, rect.width, before.x, after.x),
    y: axis(point.y, rect.y, rect.height, before.y, after.y),
  };
}

export interface Viewport {
  x: number;
  y: number;
  zoom: number;
}

/** Whether a flow-space box is drawn wholly inside a canvas of `size` under `viewport`. */
export function inView(box: Box, viewport: Viewport, size: { width: number; height: number }): boolean {
  const left = box.x * viewport.zoom + viewport.x;
  const top = box.y * viewport.zoom + viewport.y;
  const right = left + box.width * viewport.zoom;
  const bottom = top + box.height * viewport.zoom;
  return left >= -1 && top >= -1 && right <= size.width + 1 && bottom <= size.height + 1;
}

/** The pan (screen pixels) that brings `box` (flow space) inside a canvas of `size` with a
 * margin, moving it the least; null when it is already inside. A box too big shows its start. */
export function panInto(box: Box, viewport: Viewport, size: { width: number; height: number }, margin = 16): XYPosition | null {
  if (inView(box, viewport, size)) return null;
  const axis = (lo: number, length: number, room: number) => {
    if (length > room - 2 * margin || lo < margin) return margin - lo;
    if (lo + length > room - margin) return room - margin - (lo + length);
    return 0;
  };
  return {
    x: axis(box.x * viewport.zoom + viewport.x, box.width * viewport.zoom, size.width),
    y: axis(box.y * viewport.zoom + viewport.y, box.height * viewport.zoom, size.height),
  };
}
