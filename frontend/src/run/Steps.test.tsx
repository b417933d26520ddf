import { render, screen, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";

import { applyRunEvent, idleRun, startRun } from "../state/run";
import { logOf, otherMetadata, stepLine } from "./metadata";
import { NodeRunDetails } from "./parts";
import { runEvent } from "./testing";

const ev = (kind: Parameters<typeof runEvent>[1], fields: Record<string, unknown> = {}) => runEvent("r1", kind, fields as never);
const logged = [
  { label: "thought", step: 1, data: { text: "I should add." } },
  { label: "tool_call", step: 1, data: { call_id: "c1", tool: "add", arguments: '{"a": 2}' } },
  { label: "tool_result", step: 1, data: { call_id: "c1", tool: "add", ok: false, result: "error: no b" } },
];
const steps = logged.map((l) => ev("node_log", { node_id: "agent", ...l }));

describe("an agent's steps", () => {
  it("are kept in the node's metadata log as they come, and after it succeeds", () => {
    const started = applyRunEvent(startRun(idleRun), ev("node_started", { node_id: "agent", index: 1 }));
    const running = steps.reduce(applyRunEvent, started);
    expect(logOf(running.nodes.agent!.metadata).map((s) => s.label)).toEqual(["thought", "tool_call", "tool_result"]);
    const done = applyRunEvent(running, ev("node_succeeded", { node_id: "agent", metadata: { agent: { steps: 2 } } }));
    expect(done.nodes.agent!.metadata).toEqual({ agent: { steps: 2 }, log: running.nodes.agent!.metadata.log });
    expect(otherMetadata(done.nodes.agent!.metadata)).toEqual({ agent: { steps: 2 } });
  });

  it("read as thought, call and result, a failed call marked", () => {
    const log = logOf({ log: [...logged, "junk"] });
    expect(log.map(stepLine)).toEqual([
      { head: "Thought", body: "I should add.", failed: false },
      { head: "Called add", body: '{"a": 2}', failed: false },
      { head: "add failed", body: "error: no b", failed: true },
    ]);
  });

  it("show in the node's trace after a reload (from the stored metadata)", () => {
    const metadata = { log: logged };
    const state = { status: "failed" as const, index: 1, inputs: {}, outputs: {}, text: "", promptTokens: 0, completionTokens: 0, attempts: 1, metadata };
    render(<NodeRunDetails state={state} />);
    const items = within(screen.getByTestId("run-node-steps")).getAllByRole("listitem");
    expect(items.map((li) => li.getAttribute("data-label"))).toEqual(["thought", "tool_call", "tool_result"]);
    expect(items[2]!.className).toContain("run-step-error");
    expect(items[1]!.textContent).toContain("1. Called add");
  });
});
