// Dropping a palette item: onto the canvas where it is let go, or, when it is let go over the side
// panel (or anything else beside the canvas), at the nearest point of the canvas where the whole
// card shows; over a container's frame, inside that container. Never silently discarded.
import { useReactFlow } from "@xyflow/react";
import { useCallback, type DragEvent } from "react";

import { containerAt } from "../state/containers";
import { clampToRect, NODE_SIZE } from "../state/placement";
import { useEditor } from "../state/store";

export const DRAG_MIME = "application/x-weft-node-type";

/** Where the cursor holds a dropped card, from its top-left corner (flow units). */
export const GRIP = { x: 110, y: 30 };

/** Room kept between a card dropped beside the canvas and the canvas's edge (screen pixels): a
 * card renders a little wider than NODE_SIZE (its border, its handles' rims). */
const DROP_MARGIN = 24;

export function canvasRect(): DOMRect | null {
  return document.querySelector(".ed-canvas")?.getBoundingClientRect() ?? null;
}

export function useNodeDrop(): { onDragOver: (e: DragEvent) => void; onDrop: (e: DragEvent) => void } {
  const { screenToFlowPosition, getZoom } = useReactFlow();

  const onDragOver = useCallback((event: DragEvent) => {
    if (event.dataTransfer.types.includes(DRAG_MIME)) {
      event.preventDefault();
      event.dataTransfer.dropEffect = "copy";
    }
  }, []);

  const onDrop = useCallback(
    (event: DragEvent) => {
      const type = event.dataTransfer.getData(DRAG_MIME);
      if (!type) return;
      event.preventDefault();
      event.stopPropagation();
      const rect = canvasRect();
      const zoom = getZoom();
      const cursor = { x: event.clientX, y: event.clientY };
      const at = rect
        ? clampToRect(cursor, rect, { x: GRIP.x * zoom, y: GRIP.y * zoom }, { x: (NODE_SIZE.width - GRIP.x) * zoom, y: (NODE_SIZE.height - GRIP.y) * zoom }, DROP_MARGIN)
        : cursor;
      const p = screenToFlowPosition(at);
      // Let go over a container's frame: the new node goes inside it.
      const s = useEditor.getState();
      const into = containerAt(s, p, s.isContainer);
      s.addNodeOfType(type, { x: p.x - GRIP.x, y: p.y - GRIP.y }, { into: into?.id ?? null });
    },
    [screenToFlowPosition, getZoom],
  );

  return { onDragOver, onDrop };
}
