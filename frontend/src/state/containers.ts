// Containers (iteration, loop) on the canvas: React Flow sub-flows. A child has `parentId` and a
// position relative to its container (as the saved spec and Dify's DSL keep it); a container is
// drawn as a frame of its own size holding its children. Edges join nodes of one level only
// (runtime/README.md "Containers"): moving a node into or out of a container removes its edges
// that would cross the frame, and says so.
import type { XYPosition } from "@xyflow/react";

import type { Graph, WNode } from "./graph";

/** A new container's frame (flow units): room for its start node and a node or two. */
export const CONTAINER_SIZE = { width: 560, height: 260 };
/** Where a new container's start node sits inside it. */
export const START_AT = { x: 24, y: 70 };

/** The nodes with every container before its children (React Flow draws a child only after
 * its parent); otherwise in their order. */
export function parentsFirst(nodes: WNode[]): WNode[] {
  const ids = new Set(nodes.map((n) => n.id));
  const out: WNode[] = [];
  const placed = new Set<string>();
  const place = (n: WNode, depth: number) => {
    if (placed.has(n.id)) return;
    const parent = n.parentId && ids.has(n.parentId) ? nodes.find((p) => p.id === n.parentId) : undefined;
    if (parent && depth < nodes.length) place(parent, depth + 1);
    placed.add(n.id);
    out.push(n);
  };
  for (const n of nodes) place(n, 0);
  return out;
}

/** A node's position in flow coordinates (its own plus each container's around it). */
export function absolutePosition(node: WNode, nodes: WNode[]): XYPosition {
  const byId = new Map(nodes.map((n) => [n.id, n]));
  let { x, y } = node.position;
  let parent = node.parentId ? byId.get(node.parentId) : undefined;
  for (let hops = 0; parent && hops < nodes.length; hops++) {
    x += parent.position.x;
    y += parent.position.y;
    parent = parent.parentId ? byId.get(parent.parentId) : undefined;
  }
  return { x, y };
}

/** `ids` and every node inside them, however deep. */
export function withDescendants(nodes: WNode[], ids: Iterable<string>): Set<string> {
  const out = new Set(ids);
  for (let grew = true; grew; ) {
    grew = false;
    for (const n of nodes) {
      if (n.parentId && out.has(n.parentId) && !out.has(n.id)) {
        out.add(n.id);
        grew = true;
      }
    }
  }
  return out;
}

function frameSize(n: WNode): { width: number; height: number } {
  return { width: n.width ?? n.measured?.width ?? CONTAINER_SIZE.width, height: n.height ?? n.measured?.height ?? CONTAINER_SIZE.height };
}

/** The innermost container whose frame holds `point` (flow coordinates), leaving out `exclude`
 * and everything inside it (a container never goes into itself); null: the top level. */
export function containerAt(graph: Graph, point: XYPosition, isContainer: (n: WNode) => boolean, exclude: string[] = []): WNode | null {
  const out = withDescendants(graph.nodes, exclude);
  let best: { node: WNode; depth: number } | null = null;
  for (const n of graph.nodes) {
    if (out.has(n.id) || !isContainer(n)) continue;
    const at = absolutePosition(n, graph.nodes);
    const { width, height } = frameSize(n);
    if (point.x < at.x || point.y < at.y || point.x > at.x + width || point.y > at.y + height) continue;
    const depth = depthOf(n, graph.nodes);
    if (!best || depth > best.depth) best = { node: n, depth };
  }
  return best?.node ?? null;
}

function depthOf(node: WNode, nodes: WNode[]): number {
  let depth = 0;
  let parent = node.parentId;
  while (parent && depth < nodes.length) {
    depth++;
    parent = nodes.find((n) => n.id === parent)?.parentId;
  }
  return depth;
}

/** Edges whose ends sit at different levels (in different containers, or one outside). */
export function crossingEdges(graph: Graph): string[] {
  const parent = new Map(graph.nodes.map((n) => [n.id, n.parentId ?? null]));
  return graph.edges.filter((e) => parent.get(e.source) !== parent.get(e.target)).map((e) => e.id);
}

/** Whether `source` and `target` may be wired: both at one level. */
export function sameLevel(graph: Graph, source: string, target: string): boolean {
  const parentOf = (id: string) => graph.nodes.find((n) => n.id === id)?.parentId ?? null;
  return parentOf(source) === parentOf(target);
}

/** Node `id` moved into `parentId` (null: the top level), staying where it is on screen; the
 * edges that would then cross a frame are removed and counted. The same graph when it is
 * already there. */
export function reparent(graph: Graph, id: string, parentId: string | null): { graph: Graph; removed: number } {
  const node = graph.nodes.find((n) => n.id === id);
  if (!node || (node.parentId ?? null) === parentId) return { graph, removed: 0 };
  const at = absolutePosition(node, graph.nodes);
  const parent = parentId ? graph.nodes.find((n) => n.id === parentId) : undefined;
  const origin = parent ? absolutePosition(parent, graph.nodes) : { x: 0, y: 0 };
  const moved: WNode = { ...node, position: { x: at.x - origin.x, y: at.y - origin.y } };
  delete moved.parentId;
  delete moved.extent;
  if (parentId) moved.parentId = parentId;
  const nodes = parentsFirst(graph.nodes.map((n) => (n.id === id ? moved : n)));
  const next = { nodes, edges: graph.edges };
  const drop = new Set(crossingEdges(next));
  return { graph: { nodes, edges: graph.edges.filter((e) => !drop.has(e.id)) }, removed: drop.size };
}

/** The note for edges a move removed ("" when none). */
export function removedNote(removed: number): string {
  if (!removed) return "";
  return `${removed === 1 ? "A connection" : `${removed} connections`} crossed the container's frame and ${removed === 1 ? "was" : "were"} removed: wire nodes inside a container to each other, and the nodes around it to the container.`;
}
