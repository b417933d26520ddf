// What the variable picker offers a node: outputs of the nodes upstream of it (never its own or
// downstream ones); inside a container, the container's own variables (an iteration's item and
// index, a loop's variables) and what runs before the container; then the `sys` and `env`
// scopes, all as reported by the backend. Nothing outside a container sees inside it.
import type { WEdge, WNode } from "./graph";

export interface VarOption {
  selector: string[];
  name: string;
  type: string;
}

export interface VarGroup {
  id: string; // node id, "sys" or "env"
  title: string;
  vars: VarOption[];
}

export interface Shapes {
  nodes: Record<string, { outputs: Record<string, string>; handles: string[]; references: string[][]; inner?: Record<string, string> } | undefined>;
  globals: Record<string, Record<string, string> | undefined>;
}

/** Ids of every node with a path to `nodeId`, nearest first. */
export function upstream(nodeId: string, edges: WEdge[]): string[] {
  const into = new Map<string, string[]>();
  for (const e of edges) into.set(e.target, [...(into.get(e.target) ?? []), e.source]);
  const order: string[] = [];
  const seen = new Set([nodeId]);
  let frontier = [nodeId];
  while (frontier.length) {
    const next: string[] = [];
    for (const id of frontier) {
      for (const src of into.get(id) ?? []) {
        if (!seen.has(src)) {
          seen.add(src);
          order.push(src);
          next.push(src);
        }
      }
    }
    frontier = next;
  }
  return order;
}

export function availableVariables(nodeId: string, nodes: WNode[], edges: WEdge[], shapes: Shapes): VarGroup[] {
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const groups: VarGroup[] = [];
  const add = (id: string, outputs: Record<string, string>) => {
    const node = byId.get(id);
    const vars = Object.entries(outputs).map(([name, type]) => ({ selector: [id, name], name, type }));
    if (node && vars.length && !groups.some((g) => g.id === id)) groups.push({ id, title: node.data.title || id, vars });
  };
  // This node's level, then each container around it (its variables, then what runs before it).
  for (let at: string | undefined = nodeId, hops = 0; at && hops <= nodes.length; hops++) {
    for (const id of upstream(at, edges)) add(id, shapes.nodes[id]?.outputs ?? {});
    const parent: string | undefined = byId.get(at)?.parentId;
    if (parent) add(parent, shapes.nodes[parent]?.inner ?? {});
    at = parent;
  }
  for (const scope of ["sys", "env"]) {
    const fields = shapes.globals[scope] ?? {};
    const vars = Object.entries(fields).map(([name, type]) => ({ selector: [scope, name], name: `${scope}.${name}`, type }));
    if (vars.length) groups.push({ id: scope, title: scope === "sys" ? "System" : "Environment", vars });
  }
  return groups;
}

/** Filter the groups by a search text over variable and node names. */
export function filterVariables(groups: VarGroup[], query: string): VarGroup[] {
  const q = query.trim().toLowerCase();
  if (!q) return groups;
  return groups
    .map((g) => ({ ...g, vars: g.title.toLowerCase().includes(q) ? g.vars : g.vars.filter((v) => v.name.toLowerCase().includes(q)) }))
    .filter((g) => g.vars.length);
}

export function referenceText(selector: string[]): string {
  return `{{#${selector.join(".")}#}}`;
}
