// Pure edits of the editor's graph (React Flow nodes and edges) and conversion to and from the
// saved spec. Every function returns a new graph; the store keeps the history for undo/redo.
import type { Edge, Node, XYPosition } from "@xyflow/react";

import type { Json, JsonValue, SpecEdge, SpecNode, WorkflowSpec } from "../api/spec";
import { absolutePosition, parentsFirst, sameLevel, withDescendants } from "./containers";

export interface NodeData extends Record<string, unknown> {
  type: string;
  version: number;
  title: string;
  config: Json;
  settings: Json;
}

export type WNode = Node<NodeData, "weft">;
export type WEdge = Edge;
export interface Graph {
  nodes: WNode[];
  edges: WEdge[];
}

export const SOURCE = "source";
export const TARGET = "target";

/** A node's source handles as the backend reported them; "source" until its report arrives. */
export function sourceHandles(shape: { handles: string[] } | undefined): string[] {
  return shape ? shape.handles : [SOURCE];
}

export function edgeId(e: { source: string; sourceHandle?: string | null; target: string }): string {
  return `${e.source}:${e.sourceHandle ?? SOURCE}->${e.target}`;
}

function toNode(n: SpecNode): WNode {
  return {
    id: n.id,
    type: "weft",
    position: { x: n.position?.x ?? 0, y: n.position?.y ?? 0 },
    // A child's position is relative to its container, in the spec as on the canvas.
    ...(n.parentId ? { parentId: n.parentId } : {}),
    ...(n.width && n.height ? { width: n.width, height: n.height } : {}),
    data: {
      type: n.type,
      version: n.version ?? 1,
      title: n.title ?? "",
      config: n.config ?? {},
      settings: n.settings ?? {},
    },
  };
}

function toEdge(e: SpecEdge): WEdge {
  const sourceHandle = e.sourceHandle ?? SOURCE;
  return {
    id: e.id || edgeId({ ...e, sourceHandle }),
    source: e.source,
    sourceHandle,
    target: e.target,
    targetHandle: e.targetHandle ?? TARGET,
  };
}

export function specToGraph(spec: WorkflowSpec): Graph {
  return { nodes: parentsFirst(spec.nodes.map(toNode)), edges: spec.edges.map(toEdge) };
}

export function graphToSpec(graph: Graph, base: Omit<WorkflowSpec, "nodes" | "edges">): WorkflowSpec {
  return {
    ...base,
    nodes: graph.nodes.map((n) => ({
      id: n.id,
      type: n.data.type,
      version: n.data.version,
      title: n.data.title,
      config: n.data.config,
      settings: n.data.settings,
      position: { x: Math.round(n.position.x), y: Math.round(n.position.y) },
      ...(n.parentId ? { parentId: n.parentId } : {}),
      ...(n.width && n.height ? { width: Math.round(n.width), height: Math.round(n.height) } : {}),
    })),
    edges: graph.edges.map((e) => ({
      id: e.id,
      source: e.source,
      sourceHandle: e.sourceHandle ?? SOURCE,
      target: e.target,
      targetHandle: e.targetHandle ?? TARGET,
    })),
  };
}

/** The first free id of the form `<type>_<n>` (ids are permanent: references use them). */
export function nextNodeId(type: string, taken: Iterable<string>): string {
  const used = new Set(taken);
  const stem = type.replace(/[^A-Za-z0-9_-]/g, "_");
  for (let i = 1; ; i++) {
    const id = `${stem}_${i}`;
    if (!used.has(id)) return id;
  }
}

/** A title not used by another node: "LLM", then "LLM 2", "LLM 3"… */
export function nextTitle(title: string, nodes: WNode[]): string {
  const used = new Set(nodes.map((n) => n.data.title));
  if (!used.has(title)) return title;
  for (let i = 2; ; i++) if (!used.has(`${title} ${i}`)) return `${title} ${i}`;
}

export interface NewNode {
  type: string;
  version: number;
  title: string;
  config: Json;
}

export function addNode(graph: Graph, spec: NewNode, position: XYPosition): { graph: Graph; id: string } {
  const id = nextNodeId(spec.type, graph.nodes.map((n) => n.id));
  const node: WNode = {
    id,
    type: "weft",
    position,
    selected: true,
    data: {
      type: spec.type,
      version: spec.version,
      title: nextTitle(spec.title, graph.nodes),
      config: structuredClone(spec.config),
      settings: {},
    },
  };
  const nodes = graph.nodes.map((n) => (n.selected ? { ...n, selected: false } : n));
  return { graph: { nodes: [...nodes, node], edges: graph.edges }, id };
}

/** The graph without `nodeIds` (a container goes with everything inside it), `edgeIds` and the
 * edges of the nodes removed. */
export function removeElements(graph: Graph, nodeIds: Iterable<string>, edgeIds: Iterable<string> = []): Graph {
  const dropN = withDescendants(graph.nodes, nodeIds);
  const dropE = new Set(edgeIds);
  return {
    nodes: graph.nodes.filter((n) => !dropN.has(n.id)),
    edges: graph.edges.filter((e) => !dropE.has(e.id) && !dropN.has(e.source) && !dropN.has(e.target)),
  };
}

export interface Connection {
  source: string;
  sourceHandle?: string | null;
  target: string;
  targetHandle?: string | null;
}

/** Why a connection is refused, or null when it may be made. */
export function connectionProblem(graph: Graph, c: Connection): string | null {
  if (c.source === c.target) return "a node cannot connect to itself";
  if (!sameLevel(graph, c.source, c.target)) {
    return "these nodes are in different containers: wire nodes inside a container to each other, and the nodes around it to the container";
  }
  const handle = c.sourceHandle ?? SOURCE;
  if (graph.edges.some((e) => e.source === c.source && (e.sourceHandle ?? SOURCE) === handle && e.target === c.target)) {
    return "these nodes are already connected";
  }
  // A path target → source would close a loop.
  const out = new Map<string, string[]>();
  for (const e of graph.edges) out.set(e.source, [...(out.get(e.source) ?? []), e.target]);
  const stack = [c.target];
  const seen = new Set<string>();
  while (stack.length) {
    const id = stack.pop()!;
    if (id === c.source) return "this connection would make a cycle";
    if (seen.has(id)) continue;
    seen.add(id);
    stack.push(...(out.get(id) ?? []));
  }
  return null;
}

export function connect(graph: Graph, c: Connection): Graph {
  if (connectionProblem(graph, c)) return graph;
  const sourceHandle = c.sourceHandle ?? SOURCE;
  const edge: WEdge = {
    id: edgeId({ ...c, sourceHandle }),
    source: c.source,
    sourceHandle,
    target: c.target,
    targetHandle: c.targetHandle ?? TARGET,
  };
  return { nodes: graph.nodes, edges: [...graph.edges, edge] };
}

/** The graph without edge `id`: a wire dragged to a new end is checked without itself. */
export function withoutEdge(graph: Graph, id: string | null): Graph {
  return id ? { nodes: graph.nodes, edges: graph.edges.filter((e) => e.id !== id) } : graph;
}

/** Move edge `id` to the ends of `c`, in one edit and in its place in the list; the same graph
 * when `c` is refused or puts it where it was. */
export function reconnect(graph: Graph, id: string, c: Connection): Graph {
  const old = graph.edges.find((e) => e.id === id);
  if (!old) return graph;
  const moved = connect(withoutEdge(graph, id), c);
  const edge = moved.edges[moved.edges.length - 1];
  if (moved.edges.length < graph.edges.length || edgeId(edge) === edgeId(old)) return graph;
  return { nodes: graph.nodes, edges: graph.edges.map((e) => (e.id === id ? edge : e)) };
}

export function updateNodeData(graph: Graph, id: string, patch: Partial<NodeData>): Graph {
  return {
    nodes: graph.nodes.map((n) => (n.id === id ? { ...n, data: { ...n.data, ...patch } } : n)),
    edges: graph.edges,
  };
}

/** Drop edges leaving from handles a node no longer has (e.g. a deleted if-else case). */
export function pruneEdges(graph: Graph, handles: Record<string, string[] | undefined>): Graph {
  const edges = graph.edges.filter((e) => {
    const hs = handles[e.source];
    return !hs || hs.includes(e.sourceHandle ?? SOURCE);
  });
  return edges.length === graph.edges.length ? graph : { nodes: graph.nodes, edges };
}

// ---- copy and paste --------------------------------------------------------------------------

export interface Clipboard {
  weft: "nodes";
  // parentId: the container, when it was copied too (positions are then relative to it)
  nodes: { id: string; position: XYPosition; data: NodeData; parentId?: string; width?: number; height?: number }[];
  edges: SpecEdge[];
}

/** The nodes `ids` (a container with everything inside it) and the edges among them; a node
 * copied without its container comes out at the top level, where it is on screen. */
export function copyNodes(graph: Graph, ids: Iterable<string>): Clipboard {
  const keep = withDescendants(graph.nodes, ids);
  return {
    weft: "nodes",
    nodes: graph.nodes
      .filter((n) => keep.has(n.id))
      .map((n) => {
        const inside = !!n.parentId && keep.has(n.parentId);
        return {
          id: n.id,
          position: inside ? { ...n.position } : absolutePosition(n, graph.nodes),
          data: structuredClone(n.data),
          ...(inside ? { parentId: n.parentId } : {}),
          ...(n.width && n.height ? { width: n.width, height: n.height } : {}),
        };
      }),
    edges: graph.edges
      .filter((e) => keep.has(e.source) && keep.has(e.target))
      .map((e) => ({ source: e.source, sourceHandle: e.sourceHandle ?? SOURCE, target: e.target, targetHandle: e.targetHandle ?? TARGET })),
  };
}

/** Rewrite references to renamed nodes: `{{#old.x#}}` in text and `["old", "x"]` selectors. */
export function remapReferences(value: JsonValue, ids: Map<string, string>): JsonValue {
  if (typeof value === "string") {
    return value.replace(/\{\{#([A-Za-z0-9_-]+)\./g, (m, id: string) => (ids.has(id) ? `{{#${ids.get(id)}.` : m));
  }
  if (Array.isArray(value)) {
    if (value.length >= 2 && typeof value[0] === "string" && ids.has(value[0]) && value.every((v) => typeof v === "string")) {
      return [ids.get(value[0])!, ...value.slice(1)];
    }
    return value.map((v) => remapReferences(v, ids));
  }
  if (value && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, remapReferences(v, ids)]));
  }
  return value;
}

/** Paste copied nodes with fresh ids at `offset` (the nodes inside a pasted container keep
 * their place in it); the pasted nodes end up selected. */
export function pasteNodes(graph: Graph, clip: Clipboard, offset: XYPosition): { graph: Graph; ids: string[] } {
  const taken = graph.nodes.map((n) => n.id);
  const ids = new Map<string, string>();
  for (const n of clip.nodes) {
    const id = nextNodeId(n.data.type, taken);
    ids.set(n.id, id);
    taken.push(id);
  }
  const nodes = graph.nodes.map((n) => (n.selected ? { ...n, selected: false } : n));
  const added: WNode[] = [];
  for (const n of clip.nodes) {
    const parentId = n.parentId && ids.get(n.parentId);
    added.push({
      id: ids.get(n.id)!,
      type: "weft",
      selected: !parentId,
      position: parentId ? { ...n.position } : { x: n.position.x + offset.x, y: n.position.y + offset.y },
      ...(parentId ? { parentId } : {}),
      ...(n.width && n.height ? { width: n.width, height: n.height } : {}),
      data: {
        ...n.data,
        title: nextTitle(n.data.title, [...nodes, ...added]),
        config: remapReferences(n.data.config, ids) as Json,
      },
    });
  }
  let result: Graph = { nodes: parentsFirst([...nodes, ...added]), edges: graph.edges };
  for (const e of clip.edges) {
    result = connect(result, { ...e, source: ids.get(e.source)!, target: ids.get(e.target)! });
  }
  return { graph: result, ids: added.filter((n) => n.selected).map((n) => n.id) };
}

export function isClipboard(value: unknown): value is Clipboard {
  return !!value && typeof value === "object" && (value as Clipboard).weft === "nodes" && Array.isArray((value as Clipboard).nodes);
}
