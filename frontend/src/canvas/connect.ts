// A connection let go over a node's body (not on a handle) joins that node the way a drop on its
// handle would: a drag from an output ends at the node's input, a drag from an input starts at
// the node's only output. The same goes for an edge's end dragged to another node.
import type { FinalConnectionState } from "@xyflow/react";

import { SOURCE, sourceHandles, TARGET, type Connection } from "../state/graph";
import { typeKey } from "../state/nodeTypes";
import type { EditorState } from "../state/store";

export interface DragStart {
  node: string;
  handle: string | null;
  type: "source" | "target";
}

export interface NodeFacts {
  title: string;
  acceptsInput: boolean;
  handles: string[]; // its source handles
}

/** The connection a drag from `from` let go over node `over` makes, or why it makes none. */
export function bodyConnection(from: DragStart, over: string, facts: NodeFacts): Connection | string {
  if (from.type === "source") {
    if (!facts.acceptsInput) return `${facts.title} takes no input`;
    return { source: from.node, sourceHandle: from.handle ?? SOURCE, target: over, targetHandle: TARGET };
  }
  if (!facts.handles.length) return `${facts.title} has no output`;
  if (facts.handles.length > 1) return `${facts.title} has several outputs: drop on the one to use`;
  return { source: over, sourceHandle: facts.handles[0], target: from.node, targetHandle: from.handle ?? TARGET };
}

/** The node whose card is under the point, if any. */
function nodeAt(x: number, y: number): string | null {
  return (
    document
      .elementsFromPoint(x, y)
      .map((el) => el.closest(".react-flow__node"))
      .find((el) => el !== null)
      ?.getAttribute("data-id") ?? null
  );
}

/** The connection a wire let go where no handle took it makes with the node under the mouse, or
 * why it makes none; null when it was let go over no other node (over empty canvas). */
export function connectionOverBody(event: MouseEvent | TouchEvent, state: FinalConnectionState, s: EditorState): Connection | string | null {
  const { fromNode, fromHandle } = state;
  if (!fromNode || !fromHandle) return null;
  const point = "changedTouches" in event ? event.changedTouches[0] : event;
  const over = nodeAt(point.clientX, point.clientY);
  const node = over === fromNode.id ? undefined : s.nodes.find((n) => n.id === over);
  if (!node) return null;
  const info = s.types[typeKey(node.data.type, node.data.version)];
  return bodyConnection({ node: fromNode.id, handle: fromHandle.id ?? null, type: fromHandle.type }, node.id, {
    title: node.data.title || info?.title || node.data.type,
    acceptsInput: info?.accepts_input !== false,
    handles: sourceHandles(s.report.nodes[node.id]),
  });
}
