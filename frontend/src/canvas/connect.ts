// A connection let go over a node's body (not on a handle) joins that node the way a drop on its
// handle would: a drag from an output ends at the node's input, a drag from an input starts at
// the node's only output.
import { SOURCE, TARGET, type Connection } from "../state/graph";

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
