// Why a node was skipped in a run, read from the run and the edges: the nearest branching node
// upstream that took another handle than the one leading here (an if-else's other case, a
// node's fail branch). "Run from here" reuses that choice, so it would skip the node again.
import { handleLabel } from "../canvas/labels";
import type { WEdge } from "../state/graph";
import type { RunState } from "../state/run";

export interface SkipReason {
  decider: string; // the node whose choice skipped this one
  taken: string; // the handle it took
  wanted: string; // the handle on the way to this node
}

/** The choice that skipped `nodeId` in `run`, or null when the run says nothing of one. */
export function whySkipped(run: RunState, nodeId: string, edges: Pick<WEdge, "source" | "target" | "sourceHandle">[]): SkipReason | null {
  const seen = new Set([nodeId]);
  const queue = [nodeId];
  while (queue.length) {
    const target = queue.shift()!;
    for (const e of edges) {
      if (e.target !== target) continue;
      const src = run.nodes[e.source];
      const wanted = e.sourceHandle ?? "source";
      if (src?.status === "succeeded" && (src.handle ?? "source") !== wanted) return { decider: e.source, taken: src.handle ?? "source", wanted };
      if (src?.status === "skipped" && !seen.has(e.source)) {
        seen.add(e.source);
        queue.push(e.source);
      }
    }
  }
  return null;
}

/** A handle as people read it on the canvas: "ELSE", "ON FAIL", "CASE_1", "NEXT". */
export function branchName(handle: string): string {
  return handleLabel(handle) || "NEXT";
}

/** The value a variable had in `run` (a node's output, walked by field), if it had one. */
export function lastValue(run: RunState, sel: string[]): unknown {
  const [head, ...path] = sel;
  const n = run.nodes[head];
  if (n?.status !== "succeeded" || !path.length) return undefined;
  let v: unknown = n.outputs;
  for (const key of path) {
    if (v === null || typeof v !== "object" || !(key in v)) return undefined;
    v = (v as Record<string, unknown>)[key];
  }
  return v;
}
