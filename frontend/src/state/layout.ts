// Auto-layout: dagre ranks the graph left to right; node sizes come from React Flow's measures.
// A branching node's targets are stacked in the order of its handles (CASE_1 above ELSE above
// ON FAIL), the order the card lists them in, so the wires leaving it do not cross.
import dagre from "@dagrejs/dagre";

import { SOURCE, type Graph, type WEdge } from "./graph";
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

export function autoLayout(
  graph: Graph,
  handles: Record<string, string[] | undefined> = {},
  gap = { rank: 80, node: 40 },
): Graph {
  const g = new dagre.graphlib.Graph();
  g.setGraph({ rankdir: "LR", ranksep: gap.rank, nodesep: gap.node, marginx: 20, marginy: 20 });
  g.setDefaultEdgeLabel(() => ({}));
  for (const n of graph.nodes) {
    const { width, height } = nodeBox(n);
    g.setNode(n.id, { width, height });
  }
  for (const e of graph.edges) g.setEdge(e.source, e.target);
  dagre.layout(g, { customOrder: orderBranches(branchTargets(graph.edges, handles)) });
  return {
    nodes: graph.nodes.map((n) => {
      const p = g.node(n.id);
      const { width, height } = nodeBox(n);
      return { ...n, position: { x: Math.round(p.x - width / 2), y: Math.round(p.y - height / 2) } };
    }),
    edges: graph.edges,
  };
}
