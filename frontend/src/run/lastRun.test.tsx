import { act, fireEvent, render, screen } from "@testing-library/react";
import { beforeEach, describe, expect, it } from "vitest";

import { useEditor } from "../state/store";
import { formFromInputs, loadLastRun } from "./actions";
import { NodeRunSection } from "./NodeRunSection";
import { useRunSession } from "./session";
import { branchName, whySkipped } from "./skipped";
import { edge, event, fakeApi, installFakeSocket, node, setEditor, settle, type FakeWebSocket } from "./testing";

// start → check (if-else: "hot" or else) → hot_llm on "hot", cold_llm on else → end
const graph = {
  nodes: [node("start", "start", "Start"), node("check", "if_else", "Is it hot?"), node("hot_llm", "llm", "Hot answer"), node("cold_llm", "llm", "Cold answer"), node("end", "end", "End")],
  edges: [edge("start", "check"), edge("check", "hot_llm", "hot"), edge("check", "cold_llm", "false"), edge("hot_llm", "end"), edge("cold_llm", "end")],
};

function nodeRun(node_id: string, index: number, status: string, extra: Record<string, unknown> = {}) {
  return { node_id, node_type: "llm", title: "", index, status, inputs: {}, outputs: {}, handle: status === "succeeded" ? "source" : "", error_code: "", error: "", elapsed_ms: 1, prompt_tokens: 0, completion_tokens: 0, attempts: 1, metadata: {}, ...extra };
}

const stored = {
  id: "r9",
  app_id: 7,
  source: "draft",
  status: "succeeded",
  inputs: { temp: 12 },
  outputs: {},
  answer: "",
  error_code: "",
  error: "",
  failed_node_id: "",
  started_at: "2026-01-01T00:00:00Z",
  finished_at: "2026-01-01T00:00:01Z",
  elapsed_ms: 900,
  prompt_tokens: 0,
  completion_tokens: 0,
  total_steps: 4,
  node_runs: [
    nodeRun("start", 1, "succeeded", { outputs: { temp: 12 } }),
    nodeRun("check", 2, "succeeded", { handle: "false", outputs: { result: false } }),
    nodeRun("hot_llm", 3, "skipped"),
    nodeRun("cold_llm", 4, "succeeded", { outputs: { text: "wear a coat" } }),
  ],
};
const summary = ({ node_runs, ...rest }: typeof stored) => (void node_runs, rest);

let Sock: typeof FakeWebSocket;

beforeEach(() => {
  Sock = installFakeSocket();
  setEditor(graph.nodes, graph.edges, {
    report: { issues: [], globals: {}, nodes: { hot_llm: { outputs: {}, handles: ["source"], references: [["start", "temp"], ["sys", "query"]] } } } as never,
  });
});

describe("the last run after a reload", () => {
  it("loads the app's last finished draft run: node states shown, Run from here reuses it", async () => {
    const debugRun = { ...summary(stored), id: "r10", source: "debug" };
    const stillRunning = { ...summary(stored), id: "r11", status: "running" };
    const { calls } = fakeApi([
      { method: "GET", path: "/apps/7/runs?limit=20", body: [stillRunning, debugRun, summary(stored), { ...summary(stored), id: "r1" }] },
      { method: "GET", path: "/runs/r9", body: stored },
    ]);
    render(<NodeRunSection nodeId="cold_llm" />);
    expect(screen.getByTestId("node-last-run").dataset.status).toBe("");
    expect(screen.getByTestId("run-from-here")).toHaveProperty("disabled", true);

    await act(async () => {
      await loadLastRun(7);
    });
    expect(calls.map((c) => c.path)).toEqual(["/apps/7/runs?limit=20", "/runs/r9"]);
    expect(useEditor.getState().run.nodes.check.handle).toBe("false");
    expect(screen.getByTestId("node-last-status").dataset.status).toBe("succeeded");
    expect(screen.getByTestId("node-last-output").textContent).toContain("wear a coat");
    await act(async () => {
      fireEvent.click(screen.getByTestId("run-from-here"));
      await settle();
    });
    expect(Sock.last.sent[0]).toMatchObject({ from_node: "cold_llm", from_run: "r9", inputs: { temp: 12 } });
    expect(useRunSession.getState().form).toEqual({ temp: "12" }); // the Run form as it was
  });

  it("fills the inputs form from the run, leaving sys values and what was typed", async () => {
    expect(formFromInputs({ city: "Oslo", days: 2, sunny: true, "sys.query": "hi", extra: { a: 1 } })).toEqual({ city: "Oslo", days: "2", sunny: true });
    fakeApi([
      { method: "GET", path: "/apps/7/runs?limit=20", body: [summary(stored)] },
      { method: "GET", path: "/runs/r9", body: stored },
    ]);
    useRunSession.setState({ form: { temp: "typed" } });
    await loadLastRun(7);
    expect(useEditor.getState().run.runId).toBe("r9");
    expect(useRunSession.getState().form).toEqual({ temp: "typed" });
  });

  it("leaves the editor as it is when there is no draft run, or a run started meanwhile", async () => {
    fakeApi([{ method: "GET", path: "/apps/7/runs?limit=20", body: [{ ...summary(stored), source: "api" }] }]);
    await loadLastRun(7);
    expect(useEditor.getState().run.runId).toBeNull();
    expect(useRunSession.getState().baseRunId).toBeNull();

    fakeApi([
      { method: "GET", path: "/apps/7/runs?limit=20", body: [summary(stored)] },
      { method: "GET", path: "/runs/r9", body: stored },
    ]);
    useEditor.setState({ run: { ...useEditor.getState().run, runId: "live" } });
    await loadLastRun(7);
    expect(useEditor.getState().run.runId).toBe("live");

    fakeApi([{ method: "GET", path: "/apps/7/runs?limit=20", status: 500, body: { code: "oops", message: "down" } }]);
    useEditor.setState({ run: { ...useEditor.getState().run, runId: null } });
    await loadLastRun(7);
    expect(useEditor.getState().run.runId).toBeNull();
    expect(useRunSession.getState().error).toBeNull();
  });
});

describe("a node the last run skipped", () => {
  it("names the branch that skipped it, through skipped nodes in between", () => {
    fakeApi([]);
    const run = { ...useEditor.getState().run, nodes: { check: { ...blank(), status: "succeeded" as const, handle: "false" }, hot_llm: { ...blank(), status: "skipped" as const }, end: { ...blank(), status: "skipped" as const } } };
    expect(whySkipped(run, "hot_llm", graph.edges)).toEqual({ decider: "check", taken: "false", wanted: "hot" });
    const chain = [...graph.edges, edge("hot_llm", "after")];
    expect(whySkipped({ ...run, nodes: { ...run.nodes, after: { ...blank(), status: "skipped" } } }, "after", chain)).toEqual({ decider: "check", taken: "false", wanted: "hot" });
    expect(whySkipped({ ...run, nodes: {} }, "hot_llm", graph.edges)).toBeNull();
    expect([branchName("false"), branchName("hot"), branchName("fail-branch"), branchName("source")]).toEqual(["ELSE", "HOT", "ON FAIL", "NEXT"]);
  });

  it("says why, keeps Run from here off, and runs it alone with the last run's values", async () => {
    fakeApi([
      { method: "GET", path: "/apps/7/runs?limit=20", body: [summary(stored)] },
      { method: "GET", path: "/runs/r9", body: { ...stored, inputs: { temp: 12, "sys.query": "what to wear?" } } },
    ]);
    await loadLastRun(7);
    render(<NodeRunSection nodeId="hot_llm" />);
    expect(screen.getByTestId("node-last-status").dataset.status).toBe("skipped");
    expect(screen.getByTestId("node-skip-why").textContent).toBe("Skipped: in the last run “Is it hot?” took its ELSE branch, and this node is on its HOT branch.");
    const from = screen.getByTestId("run-from-here") as HTMLButtonElement;
    expect(from.disabled).toBe(true);
    expect(from.title).toContain("would skip it again");
    expect(screen.getByTestId("run-from-here-why").textContent).toContain("“Is it hot?” would take its ELSE branch again");
    expect(screen.getByTestId("run-from-here-why").textContent).toContain("get the HOT branch taken: change the inputs and run the whole workflow, or change “Is it hot?” and run from there.");
    expect((screen.getByTestId("node-input-start.temp") as HTMLTextAreaElement).value).toBe("12");
    expect((screen.getByTestId("node-input-sys.query") as HTMLTextAreaElement).value).toBe("what to wear?");
    await act(async () => {
      fireEvent.click(screen.getByTestId("run-node-button"));
      await settle();
    });
    expect(Sock.last.sent[0]).toMatchObject({ node_id: "hot_llm", node_inputs: { "start.temp": 12, "sys.query": "what to wear?" } });
    act(() => {
      Sock.last.receive({ type: "run_created", run_id: "d1", conversation_id: null });
      Sock.last.receive(event("d1", "node_started", { node_id: "hot_llm", index: 1 }));
      Sock.last.receive(event("d1", "node_succeeded", { node_id: "hot_llm", outputs: { text: "shorts" } }));
      Sock.last.receive(event("d1", "run_finished", { status: "succeeded" }));
    });
    expect(screen.getByTestId("node-last-status").dataset.status).toBe("succeeded");
    expect(screen.queryByTestId("node-skip-why")).toBeNull();
  });
});

function blank() {
  return { status: "running" as const, index: 1, inputs: {}, outputs: {}, text: "", promptTokens: 0, completionTokens: 0, attempts: 1, metadata: {} };
}
