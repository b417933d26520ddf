import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

import { ApiFailure } from "../api/client";
import type { RunDetail } from "../api/types";
import { storedNode, storedRun } from "../run/testing";
import { catchUp, FIRST_POLL_MS, followRun, MAX_POLL_MS } from "./follow";

const form = { node_id: "ask", kind: "input" as const, title: "Ask", prompt: "What about tea?", fields: [], timeout_s: null, on_timeout: "fail" as const };
// what the app page shows of a run that paused at "ask"
const pausedAtAsk = (nodeId: string) => ({ start: "succeeded", ask: "waiting" })[nodeId];
const kinds = (events: { kind: string; node_id?: string }[]) => events.map((e) => (e.node_id ? `${e.kind} ${e.node_id}` : e.kind));

describe("catching up with a waiting run", () => {
  it("has nothing to show while the run waits as shown", () => {
    const stored = storedRun("r1", "waiting", [storedNode("start", 1, "succeeded"), storedNode("ask", 2, "waiting", { metadata: { form } })], { waiting: [form] });
    expect(catchUp(stored, pausedAtAsk)).toEqual([]);
  });

  it("replays the answered node, the nodes after it and the run's end", () => {
    const stored = storedRun(
      "r1",
      "succeeded",
      [
        storedNode("start", 1, "succeeded"),
        storedNode("end", 3, "succeeded", { node_type: "end", outputs: { a: "green" } }),
        storedNode("ask", 2, "succeeded", { outputs: { answer: "green" }, metadata: { retriever_resources: [{ position: 1 }] } }),
      ],
      { outputs: { a: "green" }, answer: "Tea? green", elapsed_ms: 80, prompt_tokens: 2, finished_at: "2026-01-01T00:05:00Z" },
    );
    const events = catchUp(stored, pausedAtAsk);
    expect(kinds(events)).toEqual(["node_succeeded ask", "node_started end", "node_succeeded end", "run_finished"]);
    expect(events[0]).toMatchObject({ run_id: "r1", outputs: { answer: "green" }, error_code: null });
    expect(events[3]).toMatchObject({
      status: "succeeded",
      outputs: { a: "green" },
      answer: "Tea? green",
      elapsed_ms: 80,
      prompt_tokens: 2,
      error_code: null,
      at: "2026-01-01T00:05:00Z",
      metadata: { retriever_resources: [{ position: 1 }] },
      waiting: [],
    });
  });

  it("shows the nodes that finished while it runs on, without ending it", () => {
    const stored = storedRun("r1", "running", [storedNode("start", 1, "succeeded"), storedNode("side", 3, "failed", { error_code: "HttpError", error: "503" })]);
    const events = catchUp(stored, pausedAtAsk);
    expect(kinds(events)).toEqual(["node_started side", "node_failed side"]);
    expect(events[1]).toMatchObject({ error_code: "HttpError", error: "503" });
  });

  it("ends waiting again when it pauses at another node, with that node's form", () => {
    const again = { ...form, node_id: "check", title: "Check" };
    const stored = storedRun(
      "r1",
      "waiting",
      [storedNode("start", 1, "succeeded"), storedNode("ask", 2, "succeeded"), storedNode("check", 3, "waiting", { metadata: { form: again } })],
      { waiting: [again] },
    );
    const events = catchUp(stored, pausedAtAsk);
    expect(kinds(events)).toEqual(["node_succeeded ask", "node_started check", "node_paused check", "run_finished"]);
    expect(events[2]).toMatchObject({ form: again });
    expect(events[3]).toMatchObject({ status: "waiting", waiting: [again] });
  });
});

describe("following a run", () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => {
    vi.clearAllTimers();
    vi.useRealTimers();
  });

  it("reads it soon, then less often while it stays the same, soon again after a change, until told to stop", async () => {
    let stored: RunDetail = storedRun("r1", "waiting", []);
    const load = vi.fn(async () => stored);
    const seen: string[] = [];
    followRun("r1", (d) => (seen.push(d.status), d.status !== "succeeded"), load);
    await vi.advanceTimersByTimeAsync(FIRST_POLL_MS);
    expect(load).toHaveBeenCalledTimes(1);
    expect(load).toHaveBeenCalledWith("r1");
    await vi.advanceTimersByTimeAsync(FIRST_POLL_MS); // the first reading counts as a change
    expect(load).toHaveBeenCalledTimes(2);
    await vi.advanceTimersByTimeAsync(FIRST_POLL_MS); // unchanged: the next one comes later
    expect(load).toHaveBeenCalledTimes(2);
    await vi.advanceTimersByTimeAsync(MAX_POLL_MS);
    expect(load.mock.calls.length).toBeGreaterThan(2);
    stored = storedRun("r1", "succeeded", []);
    await vi.advanceTimersByTimeAsync(MAX_POLL_MS);
    expect(seen.at(-1)).toBe("succeeded");
    const calls = load.mock.calls.length;
    await vi.advanceTimersByTimeAsync(MAX_POLL_MS * 3);
    expect(load).toHaveBeenCalledTimes(calls);
  });

  it("ends quietly when the run is gone, and keeps trying after a failed read", async () => {
    const gone = vi.fn(async (): Promise<RunDetail> => {
      throw new ApiFailure(404, "not_found", "run not found", {});
    });
    followRun("r1", () => true, gone);
    await vi.advanceTimersByTimeAsync(MAX_POLL_MS * 3);
    expect(gone).toHaveBeenCalledTimes(1);

    let fail = true;
    const flaky = vi.fn(async () => {
      if (fail) throw new TypeError("Failed to fetch");
      return storedRun("r1", "succeeded", []);
    });
    const onDetail = vi.fn(() => false);
    followRun("r1", onDetail, flaky);
    await vi.advanceTimersByTimeAsync(FIRST_POLL_MS);
    fail = false;
    await vi.advanceTimersByTimeAsync(MAX_POLL_MS);
    expect(onDetail).toHaveBeenCalledTimes(1);
  });

  it("stops when asked, and reads at once when the tab comes back into view", async () => {
    const load = vi.fn(async () => storedRun("r1", "waiting", []));
    const stop = followRun("r1", () => true, load);
    document.dispatchEvent(new Event("visibilitychange"));
    await vi.advanceTimersByTimeAsync(0);
    expect(load).toHaveBeenCalledTimes(1);
    stop();
    await vi.advanceTimersByTimeAsync(MAX_POLL_MS * 2);
    document.dispatchEvent(new Event("visibilitychange"));
    expect(load).toHaveBeenCalledTimes(1);
  });
});
