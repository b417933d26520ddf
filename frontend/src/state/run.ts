// What the canvas and the run panel show of a run: folded from the runtime's events
// (runtime/events.py) as they arrive over the WebSocket.
import type { PauseForm, RunEvent } from "../api/messages";

// "waiting": paused for a person (a human-input form, or a confirmation before it runs)
export type NodeStatus = "running" | "succeeded" | "failed" | "skipped" | "waiting";

export interface NodeRunState {
  status: NodeStatus;
  index: number;
  inputs: Record<string, unknown>;
  outputs: Record<string, unknown>;
  text: string; // streamed deltas, all ports
  handle?: string;
  error?: string;
  errorCode?: string;
  elapsedMs?: number;
  promptTokens: number;
  completionTokens: number;
  attempts: number;
  metadata: Record<string, unknown>; // how it got its outputs: citations, agent steps
  reusedFrom?: string; // the earlier run whose result a re-run from a node reused
  // inside a container: which one, and the item (round) in each container around it
  containerId?: string;
  iterationPath?: number[];
}

/** The run-state key of one run of a node: its id, and inside a container "<id>@<path>" (a
 * node inside an iteration runs once per item; the canvas shows its latest under its id). */
export function runKey(nodeId: string, path: number[] | null | undefined): string {
  return path?.length ? `${nodeId}@${path.join(".")}` : nodeId;
}

export interface RunState {
  runId: string | null;
  status: "idle" | "running" | "succeeded" | "failed" | "stopped" | "waiting";
  answer: string;
  outputs: Record<string, unknown>;
  error: string | null;
  errorCode: string | null;
  failedNodeId: string | null;
  elapsedMs: number | null;
  promptTokens: number;
  completionTokens: number;
  metadata: Record<string, unknown[]>; // the nodes' metadata lists joined by key
  nodes: Record<string, NodeRunState>;
  order: string[]; // node ids in the order they started
  waiting: PauseForm[]; // status "waiting": the forms to answer (run/WaitingForm.tsx)
}

export const idleRun: RunState = {
  runId: null,
  status: "idle",
  answer: "",
  outputs: {},
  error: null,
  errorCode: null,
  failedNodeId: null,
  elapsedMs: null,
  promptTokens: 0,
  completionTokens: 0,
  metadata: {},
  nodes: {},
  order: [],
  waiting: [],
};

function blankNode(index: number): NodeRunState {
  return { status: "running", index, inputs: {}, outputs: {}, text: "", promptTokens: 0, completionTokens: 0, attempts: 1, metadata: {} };
}

/** The run state after one event (decoded by api/messages.ts, so its kind is a known one). */
export function applyRunEvent(state: RunState, ev: RunEvent): RunState {
  const place = "iteration_path" in ev && ev.iteration_path?.length ? { containerId: ev.container_id ?? undefined, iterationPath: ev.iteration_path } : {};
  const node = (nodeId: string, patch: Partial<NodeRunState>): RunState => {
    const key = runKey(nodeId, place.iterationPath);
    const prev = state.nodes[key] ?? blankNode(state.order.length + 1);
    const order = state.order.includes(key) ? state.order : [...state.order, key];
    const next = { ...prev, ...place, ...patch };
    return { ...state, order, nodes: { ...state.nodes, [key]: next, ...(key === nodeId ? {} : { [nodeId]: next }) } };
  };
  switch (ev.kind) {
    case "run_started":
      // A resumed run starts again under its own id: the answer it gave before the pause stays,
      // and what it streams now follows it (a fresh run's answer is empty already).
      return { ...state, runId: ev.run_id, status: "running", answer: ev.run_id === state.runId ? state.answer : "", error: null, errorCode: null, failedNodeId: null, elapsedMs: null, metadata: {} };
    case "node_started":
      return node(ev.node_id, { ...blankNode(ev.index || state.order.length + 1), inputs: ev.inputs });
    case "node_delta":
      return node(ev.node_id, { text: (state.nodes[runKey(ev.node_id, place.iterationPath)]?.text ?? "") + ev.text });
    case "node_log": {
      // a node's steps as they happen (an agent's thoughts, calls, results); kept in its
      // metadata's `log`, where the stored row has them after a reload
      const prev = state.nodes[ev.node_id]?.metadata ?? {};
      const log = [...(Array.isArray(prev.log) ? prev.log : []), { label: ev.label, step: ev.step, data: ev.data }];
      return node(ev.node_id, { metadata: { ...prev, log } });
    }
    case "text_chunk":
      return { ...state, answer: state.answer + ev.text };
    case "node_succeeded":
      return node(ev.node_id, {
        status: "succeeded",
        outputs: ev.outputs,
        handle: ev.handle,
        elapsedMs: ev.elapsed_ms,
        promptTokens: ev.prompt_tokens,
        completionTokens: ev.completion_tokens,
        attempts: ev.attempts,
        error: ev.error ?? undefined,
        errorCode: ev.error_code ?? undefined,
        metadata: withLog(ev.metadata, state.nodes[ev.node_id]?.metadata),
      });
    case "node_failed":
      return node(ev.node_id, { status: "failed", error: ev.error, errorCode: ev.error_code, elapsedMs: ev.elapsed_ms, attempts: ev.attempts });
    case "node_skipped":
      return node(ev.node_id, { status: "skipped" });
    case "node_paused":
      return node(ev.node_id, { status: "waiting" });
    case "run_finished":
      return {
        ...state,
        status: ev.status,
        outputs: ev.outputs,
        answer: state.answer || ev.answer,
        error: ev.error,
        errorCode: ev.error_code,
        failedNodeId: ev.failed_node_id,
        elapsedMs: ev.elapsed_ms,
        promptTokens: ev.prompt_tokens,
        completionTokens: ev.completion_tokens,
        metadata: ev.metadata,
        waiting: ev.waiting ?? [],
      };
  }
}

/** A fresh run that keeps the results of `keep` nodes: shown as they were ("run this node"), or,
 * with `reused`, marked as the earlier run's results that a re-run from a node reuses. */
export function startRun(prev: RunState, keep: Iterable<string> = [], reused = false): RunState {
  const nodes: Record<string, NodeRunState> = {};
  for (const id of keep) {
    const kept = prev.nodes[id];
    if (!kept) continue;
    const from = kept.reusedFrom ?? prev.runId ?? undefined;
    nodes[id] = reused && from ? { ...kept, reusedFrom: from } : kept;
  }
  return { ...idleRun, status: "running", nodes, order: prev.order.filter((id) => id in nodes) };
}

/** A node's final metadata with the steps it logged while it ran (NodeSucceeded's has none). */
function withLog(metadata: Record<string, unknown>, before: Record<string, unknown> | undefined): Record<string, unknown> {
  return before && Array.isArray(before.log) && !("log" in metadata) ? { ...metadata, log: before.log } : metadata;
}
