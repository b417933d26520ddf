import { describe, expect, it } from "vitest";

import type { RunEvent, RunEventKind } from "../api/messages";
import { runEvent } from "../run/testing";
import { applyRunEvent, idleRun, startRun } from "./run";

const ev = <K extends RunEventKind>(kind: K, extra: Parameters<typeof runEvent<K>>[2] = {}): RunEvent => runEvent("r1", kind, extra);

describe("run state", () => {
  it("folds a run's events into node states and the answer", () => {
    const events = [
      ev("run_started"),
      ev("node_started", { node_id: "llm", index: 1, inputs: { q: "hi" } }),
      ev("node_delta", { node_id: "llm", port: "text", text: "Hel" }),
      ev("node_delta", { node_id: "llm", port: "text", text: "lo" }),
      ev("text_chunk", { node_id: "answer", text: "Hello" }),
      ev("node_succeeded", { node_id: "llm", outputs: { text: "Hello" }, handle: "source", elapsed_ms: 12, prompt_tokens: 3, completion_tokens: 2 }),
      ev("node_skipped", { node_id: "other" }),
      ev("run_finished", { status: "succeeded", outputs: {}, answer: "Hello", elapsed_ms: 20, prompt_tokens: 3, completion_tokens: 2 }),
    ];
    const s = events.reduce(applyRunEvent, startRun(idleRun));
    expect(s.status).toBe("succeeded");
    expect(s.runId).toBe("r1");
    expect(s.answer).toBe("Hello");
    expect(s.nodes.llm).toMatchObject({ status: "succeeded", text: "Hello", inputs: { q: "hi" }, elapsedMs: 12, completionTokens: 2 });
    expect(s.nodes.other.status).toBe("skipped");
    expect(s.order).toEqual(["llm", "other"]);
  });

  it("keeps each node's metadata and the run's joined metadata, until the next run starts", () => {
    const cited = { retriever_resources: [{ position: 1, content: "Cats purr." }] };
    const s = [ev("node_started", { node_id: "k", index: 1 }), ev("node_succeeded", { node_id: "k", metadata: cited }), ev("run_finished", { metadata: cited })].reduce(applyRunEvent, startRun(idleRun));
    expect(s.nodes.k.metadata).toEqual(cited);
    expect(s.metadata).toEqual(cited);
    expect(applyRunEvent(s, ev("run_started")).metadata).toEqual({});
  });

  it("records a failure with its node", () => {
    const s = [ev("node_started", { node_id: "x", index: 1 }), ev("node_failed", { node_id: "x", error: "boom", error_code: "LLMError", elapsed_ms: 5 }), ev("run_finished", { status: "failed", error: "boom", failed_node_id: "x" })].reduce(applyRunEvent, startRun(idleRun));
    expect(s.nodes.x).toMatchObject({ status: "failed", error: "boom", errorCode: "LLMError" });
    expect(s.failedNodeId).toBe("x");
  });

  it("keeps reused nodes when re-running from a node", () => {
    const done = [ev("node_started", { node_id: "a", index: 1 }), ev("node_succeeded", { node_id: "a", outputs: { v: 1 } }), ev("node_started", { node_id: "b", index: 2 })].reduce(applyRunEvent, startRun(idleRun));
    const next = startRun({ ...done, runId: "r1" }, ["a"], true);
    expect(Object.keys(next.nodes)).toEqual(["a"]);
    expect(next.nodes.a.reusedFrom).toBe("r1");
    expect(startRun({ ...done, runId: "r1" }, ["a"]).nodes.a.reusedFrom).toBeUndefined(); // run this node
    expect(next.nodes.a.outputs).toEqual({ v: 1 });
    expect(next.status).toBe("running");
  });
});
