// Auto-layout: dagre ranks the graph left to right, each container's nodes inside its frame;
// node sizes come from React Flow's measures.
// A branching node's targets are stacked in the order of its handles (CASE_1 above ELSE above
// ON FAIL), the order the card lists them in, so the wires leaving it do not cross.
import dagre from "@dagrejs/dagre";

import { SOURCE, type Graph, type WEdge, type WNode } from "./graph";
import { nodeBox } from "./placement";

/** Where a handle sorts when its node's reported handles do not list it. */
function fallbackRank(handle: string): number {
  if (handle === "fail-branch") return 2;
  if (handle === "false") return 1;
  return 0;
}

/** The targets of each node with several source handles, in the order of its handles. */
export function branchTargets(edges: WEdge[], handles: Record<string, string[] | undefined> = {}): string[][] {
  const bySource = new Map<string, WEdge[]>();
  for (const e of edges) bySource.set(e.source, [...(bySource.get(e.source) ?? []), e]);
  const groups: string[][] = [];
  for (const [source, out] of bySource) {
    const order = handles[source] ?? [];
    const key = (h: string): [number, string] => [order.includes(h) ? order.indexOf(h) : order.length + fallbackRank(h), h];
    const sorted = out
      .map((e) => ({ target: e.target, key: key(e.sourceHandle ?? SOURCE) }))
      .sort((a, b) => a.key[0] - b.key[0] || a.key[1].localeCompare(b.key[1], undefined, { numeric: true }));
    if (new Set(sorted.map((s) => s.key[1])).size < 2) continue; // one handle: nothing to order
    groups.push([...new Set(sorted.map((s) => s.target))]);
  }
  return groups;
}

type CustomOrder = NonNullable<Parameters<typeof dagre.layout>[1]>["customOrder"] & {};
type Ordered = { rank?: number; order?: number };

/** After dagre's own ordering, swap each group's targets that share a rank into group order. */
function orderBranches(groups: string[][]): CustomOrder {
  return (g, order) => {
    order(g, {});
    for (const group of groups) {
      const byRank = new Map<number, string[]>();
      for (const id of group) {
        const rank = (g.node(id) as Ordered | undefined)?.rank;
        if (rank !== undefined) byRank.set(rank, [...(byRank.get(rank) ?? []), id]);
      }
      for (const ids of byRank.values()) {
        const slots = ids.map((id) => (g.node(id) as Ordered).order ?? 0).sort((a, b) => a - b);
        ids.forEach((id, i) => ((g.node(id) as Ordered).order = slots[i]));
      }
    }
  };
}

type Size = { width: number; height: number };

/** dagre's top-left corners for one level's nodes (their sizes from `sizeOf`). */
function layoutLevel(
  nodes: WNode[],
  edges: WEdge[],
  handles: Record<string, string[] | undefined>,
  gap: { rank: number; node: number },
  sizeOf: (n: WNode) => Size,
): Map<string, { x: number; y: number }> {
  const g = new dagre.graphlib.Graph();
  g.setGraph({ rankdir: "LR", ranksep: gap.rank, nodesep: gap.node, marginx: 20, marginy: 20 });
  g.setDefaultEdgeLabel(() => ({}));
  for (const n of nodes) g.setNode(n.id, sizeOf(n));
  for (const e of edges) g.setEdge(e.source, e.target);
  dagre.layout(g, { customOrder: orderBranches(branchTargets(edges, handles)) });
  return new Map(
    nodes.map((n) => {
      const p = g.node(n.id);
      const { width, height } = sizeOf(n);
      return [n.id, { x: Math.round(p.x - width / 2), y: Math.round(p.y - height / 2) }];
    }),
  );
}

/** Room kept inside a container's frame: its title bar above, a margin around. */
const FRAME_PAD = { top: 44, right: 20, bottom: 20 };

/** Each level laid out left to right: the nodes inside each container first (deepest first),
 * the container's frame sized to hold them, then the level around it with those sizes. */
export function autoLayout(
  graph: Graph,
  handles: Record<string, string[] | undefined> = {},
  gap = { rank: 80, node: 40 },
): Graph {
  const byParent = new Map<string, WNode[]>();
  for (const n of graph.nodes) byParent.set(n.parentId ?? "", [...(byParent.get(n.parentId ?? "") ?? []), n]);
  const depth = (id: string): number => {
    const parent = graph.nodes.find((n) => n.id === id)?.parentId;
    return parent ? 1 + depth(parent) : 0;
  };
  const levels = [...byParent.keys()].sort((a, b) => (b ? depth(b) + 1 : 0) - (a ? depth(a) + 1 : 0));
  const sizes = new Map<string, Size>();
  const positions = new Map<string, { x: number; y: number }>();
  const sizeOf = (n: WNode): Size => sizes.get(n.id) ?? nodeBox(n);
  for (const parent of levels) {
    const nodes = byParent.get(parent)!;
    const ids = new Set(nodes.map((n) => n.id));
    const edges = graph.edges.filter((e) => ids.has(e.source) && ids.has(e.target));
    const placed = layoutLevel(nodes, edges, handles, gap, sizeOf);
    for (const [id, p] of placed) positions.set(id, parent ? { x: p.x, y: p.y + FRAME_PAD.top - 20 } : p);
    if (parent) {
      const right = Math.max(...nodes.map((n) => positions.get(n.id)!.x + sizeOf(n).width));
      const bottom = Math.max(...nodes.map((n) => positions.get(n.id)!.y + sizeOf(n).height));
      sizes.set(parent, { width: Math.max(300, right + FRAME_PAD.right), height: Math.max(160, bottom + FRAME_PAD.bottom) });
    }
  }
  return {
    nodes: graph.nodes.map((n) => {
      const size = sizes.get(n.id); // a container's frame, fitted to what it holds
      return { ...n, position: positions.get(n.id) ?? n.position, ...(size ?? {}) };
    }),
    edges: graph.edges,
  };
}
