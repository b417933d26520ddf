// Where the mouse is over the canvas, in flow coordinates (null when it is elsewhere): a paste
// lands there. The canvas keeps it up to date; keyboard shortcuts read it. And a way to wait
// until the canvas has taken its new size.
import type { XYPosition } from "@xyflow/react";

let pointer: XYPosition | null = null;

export function setPointerInFlow(p: XYPosition | null): void {
  pointer = p;
}

export function pointerInFlow(): XYPosition | null {
  return pointer;
}

/** Run `f` after the next layout: React Flow measures a resized canvas one frame late. */
export function afterLayout(f: () => void): void {
  requestAnimationFrame(() => requestAnimationFrame(f));
}
