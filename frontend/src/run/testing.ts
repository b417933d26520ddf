// Stand-ins for the run and versions tests: a scripted WebSocket, a fake fetch for the JSON API,
// and an editor store set up with a small graph. Imported by tests only.
import { cleanup } from "@testing-library/react";
import { afterEach, vi } from "vitest";

import type { RunEvent, RunEventKind } from "../api/messages";
import type { NodeRunOut, NodeTypeInfo, RunDetail } from "../api/types";
import type { WEdge, WNode } from "../state/graph";
import { indexCatalog } from "../state/nodeTypes";
import { idleRun } from "../state/run";
import { emptyReport, useEditor } from "../state/store";
import { resetRuns, setSocketFactory } from "./actions";
import type { SocketLike } from "./socket";

afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
  resetRuns();
});

export class FakeWebSocket implements SocketLike {
  static instances: FakeWebSocket[] = [];
  /** Open on the next microtask, like a server that accepts. */
  static autoOpen = true;

  readyState = 0;
  sent: Record<string, unknown>[] = [];
  onopen: (() => void) | null = null;
  onmessage: ((ev: { data: unknown }) => void) | null = null;
  onclose: ((ev: { code: number }) => void) | null = null;
  onerror: (() => void) | null = null;

  constructor(readonly url: string) {
    FakeWebSocket.instances.push(this);
    if (FakeWebSocket.autoOpen) queueMicrotask(() => this.open());
  }

  static get last(): FakeWebSocket {
    return FakeWebSocket.instances[FakeWebSocket.instances.length - 1];
  }

  static reset(): void {
    FakeWebSocket.instances = [];
    FakeWebSocket.autoOpen = true;
  }

  open(): void {
    if (this.readyState !== 0) return;
    this.readyState = 1;
    this.onopen?.();
  }

  send(data: string): void {
    if (this.readyState !== 1) throw new Error("send on a socket that is not open");
    this.sent.push(JSON.parse(data) as Record<string, unknown>);
  }

  /** A message from the server. */
  receive(msg: unknown): void {
    this.onmessage?.({ data: JSON.stringify(msg) });
  }

  /** The server or network drops the socket. */
  drop(code = 1006): void {
    this.readyState = 3;
    this.onclose?.({ code });
  }

  close(): void {
    if (this.readyState === 3) return;
    this.readyState = 3;
    this.onclose?.({ code: 1000 });
  }
}

/** Route the run client to FakeWebSocket; returns the class for inspection. */
export function installFakeSocket(): typeof FakeWebSocket {
  FakeWebSocket.reset();
  setSocketFactory((url) => new FakeWebSocket(url));
  return FakeWebSocket;
}

type EventOf<K extends RunEventKind> = Extract<RunEvent, { kind: K }>;
type Body<K extends RunEventKind> = Omit<EventOf<K>, "kind" | "run_id" | "seq" | "at">;

// What each kind carries when a test does not say: every field the server always sends.
const NODE = { node_id: "n", node_type: "llm", container_id: null, iteration_path: null };
const EVENT_DEFAULTS: { [K in RunEventKind]: Body<K> } = {
  run_started: { inputs: {} },
  node_started: { ...NODE, title: "", index: 1, predecessor_node_id: null, inputs: {} },
  node_delta: { node_id: "n", port: "text", text: "", container_id: null, iteration_path: null },
  node_log: { node_id: "n", label: "thought", step: 1, data: {}, container_id: null, iteration_path: null },
  text_chunk: { node_id: "n", text: "" },
  node_succeeded: { ...NODE, outputs: {}, handle: "source", elapsed_ms: 0, prompt_tokens: 0, completion_tokens: 0, attempts: 1, error_code: null, error: null, metadata: {} },
  node_failed: { ...NODE, error_code: "NodeExecutionError", error: "", elapsed_ms: 0, attempts: 1 },
  node_skipped: { ...NODE },
  node_paused: { ...NODE, form: { node_id: "n", kind: "input", title: "", prompt: "", fields: [], timeout_s: null, on_timeout: "fail" } },
  run_finished: { status: "succeeded", outputs: {}, answer: "", error_code: null, error: null, failed_node_id: null, elapsed_ms: 0, prompt_tokens: 0, completion_tokens: 0, total_steps: 0, metadata: {}, waiting: [], conversation: {} },
};

let seq = 0;
/** A whole runtime event of this kind: the fields given, the others at their defaults. */
export function runEvent<K extends RunEventKind>(runId: string, kind: K, fields: Partial<Body<K>> = {}): EventOf<K> {
  // TS cannot follow the kind through the spread of a mapped type: the table's type checks it.
  return { ...EVENT_DEFAULTS[kind], ...fields, kind, run_id: runId, seq: ++seq, at: "2026-01-01T00:00:00Z" } as unknown as EventOf<K>;
}

/** One runtime event as the server sends it inside {"type": "event"}. */
export function event<K extends RunEventKind>(runId: string, kind: K, fields: Partial<Body<K>> = {}): { type: "event"; event: EventOf<K> } {
  return { type: "event", event: runEvent(runId, kind, fields) };
}

/** A run as GET /api/runs/{id} answers it: these node runs, the other fields at their defaults. */
export function storedRun(id: string, status: string, nodeRuns: NodeRunOut[], fields: Partial<RunDetail> = {}): RunDetail {
  return {
    id, app_id: 7, version: null, source: "draft", status, inputs: {}, outputs: {}, answer: "", error_code: "", error: "", failed_node_id: "",
    conversation_id: null, started_at: "2026-01-01T00:00:00Z", finished_at: null, elapsed_ms: 0, prompt_tokens: 0, completion_tokens: 0,
    total_steps: nodeRuns.length, waiting: [], node_runs: nodeRuns, query: null, ...fields,
  };
}

/** One stored node run of storedRun. */
export function storedNode(nodeId: string, index: number, status: string, fields: Partial<NodeRunOut> = {}): NodeRunOut {
  return {
    node_id: nodeId, node_type: "template", title: nodeId, index, status, inputs: {}, outputs: {}, handle: "source", error_code: "", error: "",
    started_at: null, elapsed_ms: 0, prompt_tokens: 0, completion_tokens: 0, attempts: 1, metadata: {}, reused_from: null, container_id: "",
    iteration_path: [], ...fields,
  };
}

export function node(id: string, type: string, title: string, config: Record<string, unknown> = {}): WNode {
  return { id, type: "weft", position: { x: 0, y: 0 }, data: { type, version: 1, title, config: config as WNode["data"]["config"], settings: {} } };
}

export function edge(source: string, target: string, sourceHandle = "source"): WEdge {
  return { id: `${source}:${sourceHandle}->${target}`, source, target, sourceHandle, targetHandle: "target" };
}

/** The catalog's word on the start type: runs begin there (what the run panel's form reads). */
export const startType = { type: "start", version: 1, title: "Start", accepts_input: false, starts_run: true } as unknown as NodeTypeInfo;

/** The editor store with a saved draft of these nodes and edges, and the start type's info. */
export function setEditor(nodes: WNode[], edges: WEdge[], extra: Partial<ReturnType<typeof useEditor.getState>> = {}): void {
  useEditor.setState({
    appId: 7,
    mode: "workflow",
    canEdit: true,
    nodes,
    edges,
    report: emptyReport,
    run: idleRun,
    save: { state: "saved" },
    revision: 3,
    panel: null,
    toast: null,
    types: indexCatalog([startType]),
    ...extra,
  });
}

/** Let promises and microtasks settle (socket opening, saveNow, fetch). */
export async function settle(times = 3): Promise<void> {
  for (let i = 0; i < times; i++) await new Promise((r) => setTimeout(r, 0));
}

export interface FakeRoute {
  method: string;
  path: string | RegExp; // matched against the path after /api
  status?: number;
  body?: unknown;
}

/** Stub fetch with answers by method and path; returns the calls made. */
export function fakeApi(routes: FakeRoute[]): { calls: { method: string; path: string; body: unknown }[] } {
  const calls: { method: string; path: string; body: unknown }[] = [];
  vi.stubGlobal("fetch", async (url: string, init: RequestInit = {}) => {
    const path = String(url).replace(/^\/api/, "");
    const method = init.method ?? "GET";
    calls.push({ method, path, body: init.body ? JSON.parse(String(init.body)) : undefined });
    const route = routes.find((r) => r.method === method && (typeof r.path === "string" ? r.path === path : r.path.test(path)));
    const status = route ? (route.status ?? 200) : 404;
    const body = route ? route.body : { code: "not_found", message: `no fake for ${method} ${path}` };
    return new Response(status === 204 ? null : JSON.stringify(body), { status, headers: { "Content-Type": "application/json" } });
  });
  return { calls };
}
