// Auto-layout: dagre ranks the graph left to right; node sizes come from React Flow's measures.
import dagre from "@dagrejs/dagre";

import type { Graph } from "./graph";

export function autoLayout(graph: Graph, gap = { rank: 80, node: 40 }): Graph {
  const g = new dagre.graphlib.Graph();
  g.setGraph({ rankdir: "LR", ranksep: gap.rank, nodesep: gap.node, marginx: 20, marginy: 20 });
  g.setDefaultEdgeLabel(() => ({}));
  for (const n of graph.nodes) {
    g.setNode(n.id, { width: n.measured?.width ?? 240, height: n.measured?.height ?? 90 });
  }
  for (const e of graph.edges) g.setEdge(e.source, e.target);
  dagre.layout(g);
  return {
    nodes: graph.nodes.map((n) => {
      const p = g.node(n.id);
      const w = n.measured?.width ?? 240;
      const h = n.measured?.height ?? 90;
      return { ...n, position: { x: Math.round(p.x - w / 2), y: Math.round(p.y - h / 2) } };
    }),
    edges: graph.edges,
  };
}
