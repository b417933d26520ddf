// Pure helpers of the run panel: the start node's input form, hand-filled node inputs, which
// nodes a re-run reuses, and how a stored run becomes the state the canvas shows.
import type { NodeRunOut, NodeTypeInfo, RunDetail } from "../api/types";
import type { WEdge, WNode } from "../state/graph";
import { typeKey } from "../state/nodeTypes";
import { idleRun, runKey, type NodeRunState, type NodeStatus, type RunState } from "../state/run";
import { joinMetadata } from "./metadata";

export { formatMs } from "../canvas/labels";

export const STATUS_ICON: Record<string, string> = {
  running: "◌",
  succeeded: "✓",
  failed: "✕",
  skipped: "–",
  stopped: "■",
  idle: "○",
  waiting: "⏸",
};

/** A run's or a node's status in words, the same in the editor and on the portal's app page. */
export const STATUS_TEXT: Record<string, string> = {
  idle: "Not run",
  running: "Running",
  succeeded: "Succeeded",
  failed: "Failed",
  stopped: "Stopped",
  skipped: "Skipped",
  waiting: "Waiting for an answer",
};

export function formatTokens(prompt: number, completion: number): string {
  const total = prompt + completion;
  return total ? `${total.toLocaleString("en")} tokens` : "";
}

export function prettyJson(value: unknown): string {
  try {
    return JSON.stringify(value, null, 2) ?? String(value);
  } catch {
    return String(value);
  }
}

// ---- re-running from a node ------------------------------------------------------------------

/** `from` and every node reachable from it over the edges. */
export function downstreamOf(from: string, edges: Pick<WEdge, "source" | "target">[]): Set<string> {
  const next = new Map<string, string[]>();
  for (const e of edges) next.set(e.source, [...(next.get(e.source) ?? []), e.target]);
  const seen = new Set([from]);
  const queue = [from];
  while (queue.length) {
    for (const t of next.get(queue.shift()!) ?? []) {
      if (!seen.has(t)) {
        seen.add(t);
        queue.push(t);
      }
    }
  }
  return seen;
}

/** The nodes of `run` whose results a re-run from `from` reuses (everything not downstream). */
export function reusedNodes(run: RunState, from: string, edges: Pick<WEdge, "source" | "target">[]): string[] {
  const again = downstreamOf(from, edges);
  return Object.keys(run.nodes).filter((id) => !again.has(id));
}

// ---- a node's hand-filled inputs -------------------------------------------------------------

const SCOPES: Record<string, string> = { sys: "System", env: "Environment", conversation: "Conversation" };

export function selectorKey(sel: string[]): string {
  return sel.join(".");
}

/** "Title / field" for a selector such as ["llm_1", "text"] or ["sys", "query"]. */
export function selectorLabel(sel: string[], titleOf: (id: string) => string | undefined): string {
  const [head, ...rest] = sel;
  return `${SCOPES[head] ?? titleOf(head) ?? head} / ${rest.join(".")}`;
}

const LOOKS_JSON = /^(?:[[{"]|-?\d|true$|false$|null$)/;

/** A typed-in value: JSON when it parses as JSON (numbers, objects, lists…), else the text. */
export function parseLoose(text: string): unknown {
  const t = text.trim();
  if (LOOKS_JSON.test(t)) {
    try {
      return JSON.parse(t) as unknown;
    } catch {
      /* not JSON after all: the text itself */
    }
  }
  return text;
}

/** The text that parseLoose turns back into `value`. */
export function showLoose(value: unknown): string {
  if (value === undefined) return "";
  if (typeof value === "string") return LOOKS_JSON.test(value.trim()) ? JSON.stringify(value) : value;
  return JSON.stringify(value) ?? "";
}

// ---- the start node's inputs -----------------------------------------------------------------

export type InputType =
  | "text"
  | "paragraph"
  | "number"
  | "select"
  | "checkbox"
  | "json_object"
  | "array[string]"
  | "array[number]"
  | "array[object]"
  | "array[boolean]";

export interface StartVariable {
  variable: string;
  label?: string;
  type?: InputType;
  required?: boolean;
  default?: unknown;
  options?: string[];
  max_length?: number | null;
  json_schema?: Record<string, unknown> | null;
}

export type FormValues = Record<string, string | boolean>;

/** The variables of the node a run begins at (its type's `starts_run` in the catalog). */
export function startVariables(nodes: WNode[], types: Record<string, NodeTypeInfo>): StartVariable[] {
  const start = nodes.find((n) => types[typeKey(n.data.type, n.data.version)]?.starts_run);
  const vars = (start?.data.config as { variables?: unknown } | undefined)?.variables;
  return Array.isArray(vars) ? (vars as StartVariable[]).filter((v) => v && typeof v.variable === "string" && v.variable) : [];
}

export function varLabel(v: StartVariable): string {
  return v.label || v.variable;
}

/** Whether the variable holds a list or an object, typed in as JSON. */
export function isJsonInput(v: StartVariable): boolean {
  return v.type === "json_object" || (v.type ?? "").startsWith("array");
}

function initialValue(v: StartVariable): string | boolean {
  if (v.type === "checkbox") return v.default === true || v.default === "true";
  if (isJsonInput(v) && v.default != null && typeof v.default !== "string") return JSON.stringify(v.default, null, 2);
  return v.default == null ? "" : String(v.default);
}

const ITEM_WORDS: Record<string, string> = { string: "texts", number: "numbers", object: "objects", boolean: "true/false values" };
const EXAMPLES: Record<string, string> = {
  json_object: '{"key": "value"}',
  "array[string]": '["first", "second"]',
  "array[number]": "[1, 2, 3]",
  "array[object]": '[{"key": "value"}]',
  "array[boolean]": "[true, false]",
};

/** A JSON value of the variable's type, to show what to type. */
export function jsonExample(v: StartVariable): string {
  return EXAMPLES[v.type ?? ""] ?? "{}";
}

function isObject(value: unknown): boolean {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function fitsItem(item: string, value: unknown): boolean {
  if (item === "object") return isObject(value);
  return typeof value === item;
}

/** A list's or an object's typed text as its value, or what is wrong with it, in words. */
export function parseJsonInput(v: StartVariable, text: string): { value?: unknown; error?: string } {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    return { error: `${varLabel(v)} is not valid JSON: ${(e as Error).message}` };
  }
  const item = /^array\[(\w+)\]$/.exec(v.type ?? "")?.[1];
  if (item) {
    const words = ITEM_WORDS[item] ?? item;
    if (!Array.isArray(value)) return { error: `${varLabel(v)} must be a list of ${words}, such as ${jsonExample(v)}` };
    const bad = value.findIndex((x) => !fitsItem(item, x));
    if (bad >= 0) return { error: `${varLabel(v)} must be a list of ${words}: item ${bad + 1} is ${JSON.stringify(value[bad])}` };
    return { value };
  }
  if (!isObject(value)) return { error: `${varLabel(v)} must be a JSON object, such as ${jsonExample(v)}` };
  return { value };
}

/** The form's values: what the user typed where they did, the variable's default elsewhere. */
export function formValues(vars: StartVariable[], typed: FormValues): FormValues {
  return Object.fromEntries(vars.map((v) => [v.variable, v.variable in typed ? typed[v.variable] : initialValue(v)]));
}

/** The run's inputs from the form, or the messages of the fields that need fixing. */
export function collectInputs(
  vars: StartVariable[],
  typed: FormValues,
): { inputs: Record<string, unknown>; errors: Record<string, string> } {
  const values = formValues(vars, typed);
  const inputs: Record<string, unknown> = {};
  const errors: Record<string, string> = {};
  for (const v of vars) {
    const raw = values[v.variable];
    if (v.type === "checkbox") {
      inputs[v.variable] = raw === true;
      continue;
    }
    const text = String(raw ?? "");
    const required = v.required !== false;
    if (!text.trim()) {
      if (required) errors[v.variable] = `${varLabel(v)} is required`;
      continue;
    }
    if (isJsonInput(v)) {
      const { value, error } = parseJsonInput(v, text);
      if (error) errors[v.variable] = error;
      else inputs[v.variable] = value;
      continue;
    }
    if (v.type === "number") {
      const n = Number(text);
      if (Number.isNaN(n)) errors[v.variable] = `${varLabel(v)} must be a number`;
      else inputs[v.variable] = n;
      continue;
    }
    if (v.type === "select" && v.options?.length && !v.options.includes(text)) {
      errors[v.variable] = `${varLabel(v)} must be one of the options`;
      continue;
    }
    if (v.max_length && text.length > v.max_length) {
      errors[v.variable] = `${varLabel(v)} is longer than ${v.max_length} characters`;
      continue;
    }
    inputs[v.variable] = text;
  }
  return { inputs, errors };
}

// ---- a stored run ------------------------------------------------------------------------------

const NODE_STATUSES: NodeStatus[] = ["running", "succeeded", "failed", "skipped", "waiting"];
const RUN_STATUSES: RunState["status"][] = ["running", "succeeded", "failed", "stopped", "waiting"];

function nodeFromStored(n: NodeRunOut): NodeRunState {
  return {
    status: NODE_STATUSES.includes(n.status as NodeStatus) ? (n.status as NodeStatus) : "failed",
    index: n.index,
    inputs: n.inputs ?? {},
    outputs: n.outputs ?? {},
    text: "",
    handle: n.handle || undefined,
    error: n.error || undefined,
    errorCode: n.error_code || undefined,
    elapsedMs: n.elapsed_ms,
    promptTokens: n.prompt_tokens,
    completionTokens: n.completion_tokens,
    attempts: n.attempts,
    metadata: n.metadata ?? {},
    reusedFrom: n.reused_from ?? undefined,
  };
}

/** A stored run's node runs in the order they ran: a re-run's reused nodes first, in the
 * server's order (its index restarts at each run), then the rest by index. */
export function storedOrder(nodeRuns: NodeRunOut[]): NodeRunOut[] {
  const reused = nodeRuns.filter((n) => n.reused_from);
  return [...reused, ...nodeRuns.filter((n) => !n.reused_from).sort((a, b) => a.index - b.index)];
}

/** What the canvas shows for a run read back from GET /api/runs/{id}. */
export function runFromDetail(d: RunDetail): RunState {
  const nodeRuns = storedOrder(d.node_runs);
  return {
    ...idleRun,
    runId: d.id,
    status: RUN_STATUSES.includes(d.status as RunState["status"]) ? (d.status as RunState["status"]) : "failed",
    answer: d.answer ?? "",
    outputs: d.outputs ?? {},
    error: d.error || null,
    errorCode: d.error_code || null,
    failedNodeId: d.failed_node_id || null,
    elapsedMs: d.elapsed_ms,
    promptTokens: d.prompt_tokens,
    completionTokens: d.completion_tokens,
    metadata: joinMetadata(nodeRuns.filter((n) => n.status === "succeeded").map((n) => n.metadata)),
    // a node inside a container has a row per item: each under its own key, the last under its id
    nodes: Object.fromEntries(
      nodeRuns.flatMap((n) => {
        const state = { ...nodeFromStored(n), ...(n.iteration_path?.length ? { containerId: n.container_id, iterationPath: n.iteration_path } : {}) };
        const key = runKey(n.node_id, n.iteration_path);
        return key === n.node_id ? [[key, state]] : [[n.node_id, state], [key, state]];
      }),
    ),
    order: nodeRuns.map((n) => runKey(n.node_id, n.iteration_path)),
    waiting: (d.waiting ?? []) as RunState["waiting"], // the server sends every field (the REST schema calls defaults optional)
  };
}

/** "just now", "5 min ago", "3 h ago", "2 days ago", then the date. */
export function relativeTime(iso: string, now: number = Date.now()): string {
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return "";
  const s = Math.max(0, Math.round((now - t) / 1000));
  if (s < 45) return "just now";
  const min = Math.round(s / 60);
  if (min < 60) return `${min} min ago`;
  const h = Math.round(min / 60);
  if (h < 24) return `${h} h ago`;
  const days = Math.round(h / 24);
  if (days < 7) return days === 1 ? "yesterday" : `${days} days ago`;
  return new Date(t).toLocaleDateString();
}
