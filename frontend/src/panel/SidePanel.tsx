// The side panel beside the canvas (the canvas area shrinks; it never covers it). It closes with
// its × or Escape; a palette item let go over it lands on the canvas; its left edge is dragged
// (or moved with the arrow keys) to make it wider or narrower, and double-clicked to reset it.
import { useEffect, useRef, useState, type KeyboardEvent, type PointerEvent, type RefObject } from "react";

import { canvasRect, useNodeDrop } from "../canvas/drop";
import { RunPanel } from "../run/RunPanel";
import { useEditor } from "../state/store";
import { VersionsPanel } from "../versions/VersionsPanel";
import { ConversationPanel } from "./ConversationPanel";
import { EnvPanel } from "./EnvPanel";
import { NodePanel } from "./NodePanel";
import { clampSideWidth, defaultSideWidth, initialSideWidth, rememberSideWidth, SIDE_MAX, SIDE_MIN, SIDE_STEP } from "./sideWidth";

/** The width the canvas and the panel share now. */
function room(panel: HTMLElement | null): number {
  return (canvasRect()?.width ?? 0) + (panel?.getBoundingClientRect().width ?? 0);
}

function useSideWidth(panel: RefObject<HTMLElement | null>, open: boolean) {
  const [width, setWidth] = useState(() => initialSideWidth(window.innerWidth));
  const drag = useRef<{ x: number; width: number; room: number; last: number } | null>(null);
  const resize = (w: number, share = room(panel.current)) => {
    const next = clampSideWidth(w, share);
    setWidth(next);
    return next;
  };
  // A remembered width wider than this window allows opens (or, as the window shrinks, gets) a
  // narrower panel.
  useEffect(() => {
    const fit = () => setWidth((w) => (panel.current ? clampSideWidth(w, room(panel.current)) : w));
    fit();
    window.addEventListener("resize", fit);
    return () => window.removeEventListener("resize", fit);
  }, [panel, open]);
  const handlers = {
    onPointerDown: (e: PointerEvent<HTMLElement>) => {
      if (e.button !== 0) return;
      e.preventDefault();
      e.currentTarget.setPointerCapture(e.pointerId);
      drag.current = { x: e.clientX, width, room: room(panel.current), last: width };
    },
    onPointerMove: (e: PointerEvent<HTMLElement>) => {
      const d = drag.current;
      if (d) d.last = resize(d.width + d.x - e.clientX, d.room); // the edge is on the left: leftwards widens
    },
    onPointerUp: (e: PointerEvent<HTMLElement>) => {
      const d = drag.current;
      if (!d) return;
      drag.current = null;
      e.currentTarget.releasePointerCapture(e.pointerId);
      rememberSideWidth(d.last);
    },
    onKeyDown: (e: KeyboardEvent<HTMLElement>) => {
      const by = e.key === "ArrowLeft" ? SIDE_STEP : e.key === "ArrowRight" ? -SIDE_STEP : 0;
      if (!by) return;
      e.preventDefault();
      rememberSideWidth(resize(width + by));
    },
    onDoubleClick: () => rememberSideWidth(resize(defaultSideWidth(window.innerWidth))),
  };
  return { width, handlers };
}

export function SidePanel() {
  const panel = useEditor((s) => s.panel);
  const { onDragOver, onDrop } = useNodeDrop();
  const ref = useRef<HTMLElement>(null);
  const { width, handlers } = useSideWidth(ref, panel !== null);
  if (!panel) return null;
  return (
    <aside ref={ref} className="ed-side" style={{ width }} aria-label="Side panel" data-panel={panel} onDragOver={onDragOver} onDrop={onDrop}>
      <div
        className="side-resize"
        role="separator"
        aria-orientation="vertical"
        aria-label="Panel width (drag, or use the arrow keys)"
        aria-valuenow={width}
        aria-valuemin={SIDE_MIN}
        aria-valuemax={SIDE_MAX}
        title="Drag to resize the panel; double-click to reset it"
        tabIndex={0}
        data-testid="side-resize"
        {...handlers}
      />
      <button
        type="button"
        className="icon-button side-close"
        aria-label="Close panel"
        title="Close the panel (Esc)"
        data-testid="close-panel"
        onClick={() => useEditor.getState().setPanel(null)}
      >
        ×
      </button>
      <div className="side-body">
        {panel === "node" && <NodePanel />}
        {panel === "run" && <RunPanel />}
        {panel === "versions" && <VersionsPanel />}
        {panel === "env" && <EnvPanel />}
        {panel === "conversation" && <ConversationPanel />}
      </div>
    </aside>
  );
}
