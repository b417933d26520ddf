// What the canvas and the run panel show of a run: folded from the runtime's events
// (runtime/events.py) as they arrive over the WebSocket.

export type NodeStatus = "running" | "succeeded" | "failed" | "skipped";

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
}

export interface RunState {
  runId: string | null;
  status: "idle" | "running" | "succeeded" | "failed" | "stopped";
  answer: string;
  outputs: Record<string, unknown>;
  error: string | null;
  errorCode: string | null;
  failedNodeId: string | null;
  elapsedMs: number | null;
  promptTokens: number;
  completionTokens: number;
  nodes: Record<string, NodeRunState>;
  order: string[]; // node ids in the order they started
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
  nodes: {},
  order: [],
};

export type RunEvent = { kind: string; run_id: string; seq: number; [key: string]: unknown };

function blankNode(index: number): NodeRunState {
  return { status: "running", index, inputs: {}, outputs: {}, text: "", promptTokens: 0, completionTokens: 0, attempts: 1 };
}

/** The run state after one event; unknown kinds leave it unchanged. `keep` = nodes reused. */
export function applyRunEvent(state: RunState, ev: RunEvent): RunState {
  const nodeId = typeof ev.node_id === "string" ? ev.node_id : "";
  const node = (patch: Partial<NodeRunState>): RunState => {
    const prev = state.nodes[nodeId] ?? blankNode(state.order.length + 1);
    const order = state.order.includes(nodeId) ? state.order : [...state.order, nodeId];
    return { ...state, order, nodes: { ...state.nodes, [nodeId]: { ...prev, ...patch } } };
  };
  switch (ev.kind) {
    case "run_started":
      return { ...state, runId: ev.run_id, status: "running", answer: "", error: null, errorCode: null, failedNodeId: null, elapsedMs: null };
    case "node_started":
      return node({ ...blankNode(Number(ev.index) || state.order.length + 1), inputs: (ev.inputs as Record<string, unknown>) ?? {} });
    case "node_delta":
      return node({ text: (state.nodes[nodeId]?.text ?? "") + String(ev.text ?? "") });
    case "text_chunk":
      return { ...state, answer: state.answer + String(ev.text ?? "") };
    case "node_succeeded":
      return node({
        status: "succeeded",
        outputs: (ev.outputs as Record<string, unknown>) ?? {},
        handle: String(ev.handle ?? ""),
        elapsedMs: Number(ev.elapsed_ms ?? 0),
        promptTokens: Number(ev.prompt_tokens ?? 0),
        completionTokens: Number(ev.completion_tokens ?? 0),
        attempts: Number(ev.attempts ?? 1),
        error: (ev.error as string | null) ?? undefined,
        errorCode: (ev.error_code as string | null) ?? undefined,
      });
    case "node_failed":
      return node({
        status: "failed",
        error: String(ev.error ?? ""),
        errorCode: String(ev.error_code ?? ""),
        elapsedMs: Number(ev.elapsed_ms ?? 0),
        attempts: Number(ev.attempts ?? 1),
      });
    case "node_skipped":
      return node({ status: "skipped" });
    case "run_finished":
      return {
        ...state,
        status: (ev.status as RunState["status"]) ?? "failed",
        outputs: (ev.outputs as Record<string, unknown>) ?? {},
        answer: state.answer || String(ev.answer ?? ""),
        error: (ev.error as string | null) ?? null,
        errorCode: (ev.error_code as string | null) ?? null,
        failedNodeId: (ev.failed_node_id as string | null) ?? null,
        elapsedMs: Number(ev.elapsed_ms ?? 0),
        promptTokens: Number(ev.prompt_tokens ?? 0),
        completionTokens: Number(ev.completion_tokens ?? 0),
      };
    default:
      return state;
  }
}

/** A fresh run that keeps the results of `keep` nodes (re-run from a node reuses them). */
export function startRun(prev: RunState, keep: Iterable<string> = []): RunState {
  const nodes: Record<string, NodeRunState> = {};
  for (const id of keep) if (prev.nodes[id]) nodes[id] = prev.nodes[id];
  return { ...idleRun, status: "running", nodes, order: prev.order.filter((id) => id in nodes) };
}
