// The editor's one store (zustand): the document (nodes, edges, env), its history, the backend's
// report on it (issues, node shapes), the save state, the run being shown, and UI state.
import { applyEdgeChanges, applyNodeChanges, type EdgeChange, type NodeChange, type XYPosition } from "@xyflow/react";
import { create } from "zustand";

import type { ConversationVar, EnvVar, Json } from "../api/spec";
import type { GraphReport, Issue, NodeTypeInfo, Provider } from "../api/types";
import {
  addNode,
  connect,
  nextNodeId,
  copyNodes,
  pasteNodes,
  reconnect,
  removeElements,
  updateNodeData,
  type Clipboard,
  type Connection,
  type NodeData,
  type WEdge,
  type WNode,
} from "./graph";
import { absolutePosition, CONTAINER_SIZE, containerAt, removedNote, reparent, START_AT } from "./containers";
import { emptyHistory, record, redo, undo, type History } from "./history";
import { autoLayout } from "./layout";
import { boundsOf, freePosition, NODE_SIZE, nodeBox } from "./placement";
import { indexCatalog, newestVersions, typeKey } from "./nodeTypes";
import { offeredPart, whyNotOffered } from "./offered";
import { writePref } from "./prefs";
import { idleRun, type RunState } from "./run";
import type { Schema } from "./schema";

export interface Doc {
  nodes: WNode[];
  edges: WEdge[];
  env: EnvVar[];
  conversation: ConversationVar[];
}

export type SaveState = "loading" | "saved" | "dirty" | "saving" | "conflict" | "error" | "readonly";
export type SidePanel = "node" | "run" | "versions" | "env" | "conversation" | null;

export interface EditorState extends Doc {
  appId: number;
  appName: string;
  mode: "chat" | "workflow";
  canEdit: boolean;
  catalog: NodeTypeInfo[];
  providers: Provider[];
  types: Record<string, NodeTypeInfo>; // every version, by typeKey(type, version)
  report: GraphReport;
  nodeIssues: Record<string, Issue[]>; // the report's issues by node id ("" = graph-wide)
  history: History<Doc>;
  revision: number;
  docVersion: number; // bumps on every change of the document; the sync loop watches it
  save: { state: SaveState; message?: string; conflictRevision?: number | null };
  run: RunState;
  panel: SidePanel;
  theme: "light" | "dark";
  toast: { text: string; kind: "info" | "error" } | null;

  // document edits (each one is a step of undo history)
  commit: (next: Partial<Doc>, opts?: { history?: boolean; coalesce?: string }) => void;
  /** Add a node at `position` (flow coordinates), or (`free`) at the free spot nearest to it;
   * `into` a container (its position then kept where it is on screen). A container comes with
   * its start node inside. */
  addNodeOfType: (type: string, position: XYPosition, opts?: { free?: boolean; into?: string | null }) => string | null;
  /** After nodes were dragged: each one let go over a container goes into it, one let go
   * outside its container comes out (edges that would cross a frame are removed, said so). */
  dropNodes: (ids: string[]) => void;
  /** Whether a node is a container (iteration, loop): its type has a start node. */
  isContainer: (n: WNode) => boolean;
  connectNodes: (c: Connection) => void;
  /** Move an edge's ends to those of `c` (its end dragged to another handle or node). */
  reconnectEdge: (id: string, c: Connection) => void;
  deleteSelection: () => void;
  updateNode: (id: string, patch: Partial<NodeData>, coalesce?: string) => void;
  setEnv: (env: EnvVar[]) => void;
  setConversation: (conversation: ConversationVar[]) => void;
  /** Paste with its top-left at `at` (the mouse), else beside the copies; always in free space. */
  paste: (clip: Clipboard, at: XYPosition | null) => void;
  layout: () => void;
  undo: () => void;
  redo: () => void;
  // React Flow's change streams
  onNodesChange: (changes: NodeChange<WNode>[]) => void;
  onEdgesChange: (changes: EdgeChange<WEdge>[]) => void;
  beginDrag: () => void;
  // other state
  setCatalog: (catalog: NodeTypeInfo[]) => void;
  copySelection: () => Clipboard | null;
  select: (ids: string[]) => void;
  setReport: (report: GraphReport) => void;
  setRun: (run: RunState | ((prev: RunState) => RunState)) => void;
  setPanel: (panel: SidePanel) => void;
  setTheme: (theme: "light" | "dark") => void;
  notify: (text: string, kind?: "info" | "error") => void;
}

/** A new node's model fields name a model the workspace serves (the provider's first one). */
export function withModel(config: Json, schema: Schema, providers: Provider[]): Json {
  const out = { ...config };
  for (const [name, prop] of Object.entries(schema.properties ?? {})) {
    const ref = out[name] as { provider?: string; name?: string } | undefined;
    if (prop.widget !== "model" || !ref || ref.name) continue;
    const provider = providers.find((p) => p.name === ref.provider) ?? providers[0];
    if (provider?.models[0]) out[name] = { ...ref, provider: provider.name, name: provider.models[0] };
  }
  return out;
}

const COALESCE_MS = 1200;
let lastEdit = { key: "", at: 0 };

export const THEME_KEY = "weft.theme";

export const emptyReport: GraphReport = { issues: [], nodes: {}, globals: {} };

function snapshot(s: Doc): Doc {
  return {
    nodes: s.nodes.map((n) => (n.selected ? { ...n, selected: false } : n)),
    edges: s.edges.map((e) => (e.selected ? { ...e, selected: false } : e)),
    env: s.env,
    conversation: s.conversation,
  };
}

export const useEditor = create<EditorState>()((set, get) => ({
  appId: 0,
  appName: "",
  mode: "chat",
  canEdit: true,
  catalog: [],
  providers: [],
  types: {},
  nodes: [],
  edges: [],
  env: [],
  conversation: [],
  report: emptyReport,
  nodeIssues: {},
  history: emptyHistory(),
  revision: 0,
  docVersion: 0,
  save: { state: "loading" },
  run: idleRun,
  panel: null,
  theme: "light",
  toast: null,

  commit: (next, opts) => {
    const s = get();
    if (!s.canEdit) return;
    // Typing into one field makes one undo step, not one per keystroke.
    const now = Date.now();
    const same = opts?.coalesce && lastEdit.key === opts.coalesce && now - lastEdit.at < COALESCE_MS;
    lastEdit = { key: opts?.coalesce ?? "", at: now };
    const history = opts?.history === false || same ? s.history : record(s.history, snapshot(s));
    set({ ...next, history, docVersion: s.docVersion + 1 });
  },

  // The new node is selected but the side panel is left as it is: a click on the node opens it.
  // A type this app's mode does not offer (dragged in from another app's palette) is not added.
  addNodeOfType: (type, position, opts) => {
    const { catalog, mode, providers } = get();
    const info = newestVersions(catalog).find((t) => t.type === type) ?? null;
    const why = whyNotOffered(info, type, mode);
    // The type's default config for this app's mode (the backend's, one place).
    const defaults = info?.defaults[mode];
    if (why || !info || !defaults) {
      get().notify(`${why ?? `${info?.title ?? type} has no settings for ${mode} apps`}, so it was not added.`, "error");
      return null;
    }
    const config = withModel(structuredClone(defaults) as Json, info.config_schema as Schema, providers);
    const parent = opts?.into ? get().nodes.find((n) => n.id === opts.into) : undefined;
    const origin = parent ? absolutePosition(parent, get().nodes) : null;
    const at = origin
      ? { x: Math.max(8, position.x - origin.x), y: Math.max(40, position.y - origin.y) }
      : opts?.free
        ? freePosition(get().nodes.map(nodeBox), position)
        : position;
    const added = addNode(get(), { type, version: info.version, title: info.title, config }, at);
    let graph = added.graph;
    const node = graph.nodes[graph.nodes.length - 1];
    if (parent) node.parentId = parent.id;
    if (info.container_start) {
      Object.assign(node, CONTAINER_SIZE);
      graph = withStartChild(graph, node.id, info.container_start, get().catalog);
    }
    get().commit(graph);
    return added.id;
  },

  dropNodes: (ids) => {
    const s = get();
    let graph: Doc = s;
    let removed = 0;
    const starts = new Set(s.catalog.map((t) => t.container_start).filter(Boolean));
    for (const id of ids) {
      const node = graph.nodes.find((n) => n.id === id);
      if (!node || starts.has(node.data.type)) continue; // a start node stays in its container
      const at = absolutePosition(node, graph.nodes);
      const { width, height } = nodeBox(node);
      const into = containerAt(graph, { x: at.x + width / 2, y: at.y + height / 2 }, s.isContainer, [id]);
      const moved = reparent(graph, id, into?.id ?? null);
      graph = { ...graph, ...moved.graph };
      removed += moved.removed;
    }
    if (graph === s) return;
    set({ nodes: graph.nodes, edges: graph.edges, docVersion: s.docVersion + 1 });
    if (removed) s.notify(removedNote(removed), "error");
  },

  isContainer: (n) => !!get().types[typeKey(n.data.type, n.data.version)]?.container_start,

  connectNodes: (c) => {
    const s = get();
    const graph = connect(s, c);
    if (graph !== s) s.commit(graph);
  },

  reconnectEdge: (id, c) => {
    const s = get();
    const graph = reconnect(s, id, c);
    if (graph !== s) s.commit(graph);
  },

  deleteSelection: () => {
    const s = get();
    const nodeIds = s.nodes.filter((n) => n.selected).map((n) => n.id);
    const edgeIds = s.edges.filter((e) => e.selected).map((e) => e.id);
    if (!nodeIds.length && !edgeIds.length) return;
    s.commit(removeElements(s, nodeIds, edgeIds));
  },

  updateNode: (id, patch, coalesce) => {
    const s = get();
    s.commit(updateNodeData(s, id, patch), { coalesce });
  },

  setEnv: (env) => get().commit({ env }),
  setConversation: (conversation) => get().commit({ conversation }),

  paste: (copied, at) => {
    const s = get();
    // Nodes this app's mode does not offer (an Answer copied from a chat app) stay out, said so.
    const { clip, note } = offeredPart(copied, s.types, s.catalog, s.mode);
    if (note) s.notify(note, "error");
    // Nodes inside a pasted container keep their place in it: the rest are placed.
    const bounds = boundsOf(clip.nodes.filter((n) => !n.parentId).map((n) => ({ ...n.position, width: n.width ?? NODE_SIZE.width, height: n.height ?? NODE_SIZE.height })));
    if (!bounds) return;
    // The copies' top-left corner goes to the mouse, so a paste near the canvas edge shows whole.
    const want = at ?? { x: bounds.x + 40, y: bounds.y + 40 };
    const p = freePosition(s.nodes.map(nodeBox), want, bounds);
    const { graph } = pasteNodes(s, clip, { x: Math.round(p.x - bounds.x), y: Math.round(p.y - bounds.y) });
    s.commit(graph);
  },

  layout: () => {
    const s = get();
    const handles = Object.fromEntries(Object.entries(s.report.nodes).map(([id, shape]) => [id, shape.handles]));
    s.commit(autoLayout(s, handles));
  },

  undo: () => {
    const s = get();
    const r = undo(s.history, snapshot(s));
    if (r) set({ ...r.state, history: r.history, docVersion: s.docVersion + 1 });
  },

  redo: () => {
    const s = get();
    const r = redo(s.history, snapshot(s));
    if (r) set({ ...r.state, history: r.history, docVersion: s.docVersion + 1 });
  },

  onNodesChange: (changes) => {
    const s = get();
    // Removal goes through deleteSelection (one history step); React Flow's own is off.
    const kept = changes.filter((c) => c.type !== "remove" && c.type !== "add" && c.type !== "replace");
    if (!kept.length) return;
    const nodes = applyNodeChanges(kept, s.nodes);
    const moved = kept.some((c) => (c.type === "position" && c.dragging === false) || (c.type === "dimensions" && c.resizing === false));
    set(moved && s.canEdit ? { nodes, docVersion: s.docVersion + 1 } : { nodes });
  },

  onEdgesChange: (changes) => {
    const kept = changes.filter((c) => c.type === "select");
    if (kept.length) set({ edges: applyEdgeChanges(kept, get().edges) });
  },

  beginDrag: () => {
    const s = get();
    if (s.canEdit) set({ history: record(s.history, snapshot(s)) });
  },

  setCatalog: (catalog) => set({ catalog, types: indexCatalog(catalog) }),

  copySelection: () => {
    const s = get();
    const ids = s.nodes.filter((n) => n.selected).map((n) => n.id);
    return ids.length ? copyNodes(s, ids) : null;
  },

  select: (ids) => {
    const keep = new Set(ids);
    set({
      nodes: get().nodes.map((n) => (n.selected === keep.has(n.id) ? n : { ...n, selected: keep.has(n.id) })),
      edges: get().edges.map((e) => (e.selected ? { ...e, selected: false } : e)),
    });
  },

  // Edges from handles a node no longer has stay until the user deletes them: the report
  // flags them, and pruning them here could race a report computed before the handle existed.
  setReport: (report) => set({ report, nodeIssues: Object.fromEntries(issuesByNode(report.issues)) }),

  setRun: (run) => set({ run: typeof run === "function" ? run(get().run) : run }),
  setPanel: (panel) => set({ panel }),
  setTheme: (theme) => {
    writePref(THEME_KEY, theme);
    document.documentElement.dataset.theme = theme;
    set({ theme });
  },
  notify: (text, kind = "info") => set({ toast: { text, kind } }),
}));

/** `graph` with a start node of type `startType` inside container `id` (not selected: the
 * container is). */
function withStartChild(graph: Doc | { nodes: WNode[]; edges: WEdge[] }, id: string, startType: string, catalog: NodeTypeInfo[]) {
  const info = newestVersions(catalog).find((t) => t.type === startType);
  const start: WNode = {
    id: nextNodeId(startType, graph.nodes.map((n) => n.id)),
    type: "weft",
    position: { ...START_AT },
    parentId: id,
    data: { type: startType, version: info?.version ?? 1, title: info?.title ?? startType, config: {}, settings: {} },
  };
  return { nodes: [...graph.nodes, start], edges: graph.edges };
}

/** Issues grouped by node id ("" for graph-wide ones). */
export function issuesByNode(issues: Issue[]): Map<string, Issue[]> {
  const out = new Map<string, Issue[]>();
  for (const i of issues) {
    const key = i.node_id ?? "";
    out.set(key, [...(out.get(key) ?? []), i]);
  }
  return out;
}
