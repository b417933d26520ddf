import { beforeEach, describe, expect, it } from "vitest";

import { useEditor } from "../state/store";
import { buildRunMessage, newConversation, sendChat, startRun, stopRun } from "./actions";
import { useRunSession } from "./session";
import { edge, event, installFakeSocket, node, setEditor, settle, type FakeWebSocket } from "./testing";

// start → llm → end, plus a side branch llm → note
const nodes = [node("start", "start", "Start"), node("llm", "llm", "Ask"), node("end", "end", "End"), node("note", "template", "Note")];
const edges = [edge("start", "llm"), edge("llm", "end"), edge("llm", "note")];

let Sock: typeof FakeWebSocket;

beforeEach(() => {
  Sock = installFakeSocket();
  setEditor(nodes, edges);
});

/** Play a whole successful run of start → llm → end on the open socket. */
function playFullRun(ws: FakeWebSocket, runId: string, conversationId: string | null = null): void {
  ws.receive({ type: "run_created", run_id: runId, conversation_id: conversationId });
  ws.receive(event(runId, "run_started"));
  for (const [i, id] of ["start", "llm", "end", "note"].entries()) {
    ws.receive(event(runId, "node_started", { node_id: id, index: i + 1, inputs: { [`${id}.in`]: i } }));
    if (id === "llm") {
      ws.receive(event(runId, "node_delta", { node_id: "llm", port: "text", text: "Hel" }));
      ws.receive(event(runId, "text_chunk", { node_id: "end", text: "Hel" }));
      ws.receive(event(runId, "text_chunk", { node_id: "end", text: "lo" }));
    }
    ws.receive(event(runId, "node_succeeded", { node_id: id, outputs: { out: `${id}-${runId}` }, handle: "source", elapsed_ms: 10, prompt_tokens: id === "llm" ? 4 : 0, completion_tokens: id === "llm" ? 2 : 0 }));
  }
  ws.receive(event(runId, "run_finished", { status: "succeeded", outputs: { answer: "Hello" }, answer: "Hello", elapsed_ms: 50, prompt_tokens: 4, completion_tokens: 2 }));
}

describe("startRun", () => {
  it("sends a run message on a socket to the app's URL and folds the events into the store", async () => {
    expect(await startRun({ inputs: { city: "Oslo" } })).toBe(true);
    expect(Sock.instances).toHaveLength(1);
    expect(Sock.last.url).toBe(`ws://${window.location.host}/ws/apps/7/runs/`);
    expect(Sock.last.sent).toEqual([{ type: "run", inputs: { city: "Oslo" }, query: "", conversation_id: null }]);
    expect(useEditor.getState().run.status).toBe("running");

    playFullRun(Sock.last, "r1");
    const run = useEditor.getState().run;
    expect(run).toMatchObject({ runId: "r1", status: "succeeded", answer: "Hello", outputs: { answer: "Hello" }, promptTokens: 4 });
    expect(run.order).toEqual(["start", "llm", "end", "note"]);
    expect(run.nodes.llm).toMatchObject({ status: "succeeded", text: "Hel", outputs: { out: "llm-r1" } });
    expect(useRunSession.getState()).toMatchObject({ phase: "idle", baseRunId: "r1", lastRequest: { inputs: { city: "Oslo" }, query: "" } });
  });

  it("re-runs from a node with from_run, keeping the results of the nodes it reuses", async () => {
    await startRun({ inputs: { city: "Oslo" } });
    playFullRun(Sock.last, "r1");

    expect(await startRun({ fromNode: "llm" })).toBe(true);
    expect(Sock.instances).toHaveLength(1); // same socket
    expect(Sock.last.sent[1]).toEqual({ type: "run", inputs: { city: "Oslo" }, query: "", conversation_id: null, from_node: "llm", from_run: "r1" });
    // right away: start is kept, llm and everything after it is cleared
    let run = useEditor.getState().run;
    expect(Object.keys(run.nodes)).toEqual(["start"]);
    expect(run.order).toEqual(["start"]);

    const ws = Sock.last;
    ws.receive({ type: "run_created", run_id: "r2", conversation_id: null });
    ws.receive(event("r2", "run_started"));
    ws.receive(event("r2", "node_started", { node_id: "llm", index: 1 }));
    ws.receive(event("r2", "node_succeeded", { node_id: "llm", outputs: { out: "again" }, elapsed_ms: 3 }));
    run = useEditor.getState().run;
    expect(run.runId).toBe("r2");
    expect(run.nodes.start).toMatchObject({ status: "succeeded", outputs: { out: "start-r1" } });
    expect(run.nodes.llm.outputs).toEqual({ out: "again" });
    expect(run.order).toEqual(["start", "llm"]);
  });

  it("runs one node with hand-filled inputs and leaves the other nodes' results alone", async () => {
    await startRun({ inputs: {} });
    playFullRun(Sock.last, "r1");

    await startRun({ nodeId: "llm", nodeInputs: { "start.city": "Bergen", "sys.query": "hi" } });
    expect(Sock.last.sent[1]).toEqual({ type: "run", inputs: {}, query: "", conversation_id: null, node_id: "llm", node_inputs: { "start.city": "Bergen", "sys.query": "hi" } });
    Sock.last.receive({ type: "run_created", run_id: "n1", conversation_id: null });
    Sock.last.receive(event("n1", "node_started", { node_id: "llm", index: 1, inputs: { "start.city": "Bergen" } }));
    Sock.last.receive(event("n1", "node_succeeded", { node_id: "llm", outputs: { out: "single" } }));
    Sock.last.receive(event("n1", "run_finished", { status: "succeeded", outputs: {}, elapsed_ms: 5 }));
    const run = useEditor.getState().run;
    expect(run.nodes.llm.outputs).toEqual({ out: "single" });
    expect(run.nodes.end.outputs).toEqual({ out: "end-r1" });

    // "Run from here" still reuses the last whole run, not the one-node run
    await startRun({ fromNode: "end" });
    expect(Sock.last.sent[2]).toMatchObject({ from_node: "end", from_run: "r1" });
  });

  it("puts the earlier results back and shows the issues when the server refuses the graph", async () => {
    await startRun({});
    playFullRun(Sock.last, "r1");
    const before = useEditor.getState().run;

    await startRun({});
    const issues = [{ code: "dangling_edge", message: "edge to nowhere", node_id: "llm", field: null }];
    Sock.last.receive({ type: "error", code: "graph_invalid", message: "the graph has 1 issue", issues });
    expect(useEditor.getState().run).toBe(before);
    expect(useRunSession.getState()).toMatchObject({ phase: "idle", error: { code: "graph_invalid", issues } });
    // and the next run goes ahead
    expect(await startRun({})).toBe(true);
    expect(useRunSession.getState().error).toBeNull();
  });

  it("ignores events of another run", async () => {
    await startRun({});
    Sock.last.receive({ type: "run_created", run_id: "r1", conversation_id: null });
    Sock.last.receive(event("old", "node_started", { node_id: "llm", index: 1 }));
    expect(useEditor.getState().run.nodes.llm).toBeUndefined();
  });

  it("does not start while a run is going, and does not send when the draft could not be saved", async () => {
    await startRun({});
    expect(await startRun({})).toBe(false);
    expect(Sock.last.sent).toHaveLength(1);

    playFullRun(Sock.last, "r1");
    useEditor.setState({ save: { state: "conflict" } });
    expect(await startRun({})).toBe(false);
    expect(Sock.last.sent).toHaveLength(1);
    expect(useRunSession.getState().error?.code).toBe("draft_not_saved");
  });

  it("refuses a re-run from a node before any run", async () => {
    expect(await startRun({ fromNode: "llm" })).toBe(false);
    expect(Sock.instances).toHaveLength(0);
    expect(useRunSession.getState().error?.code).toBe("no_previous_run");
  });

  it("fails the run when the socket drops, and reconnects on the next run", async () => {
    await startRun({});
    Sock.last.receive({ type: "run_created", run_id: "r1", conversation_id: null });
    Sock.last.receive(event("r1", "node_started", { node_id: "llm", index: 1 }));
    Sock.last.drop();
    const run = useEditor.getState().run;
    expect(run.status).toBe("failed");
    expect(run.nodes.llm.status).toBe("failed");
    expect(useRunSession.getState()).toMatchObject({ phase: "idle", error: { code: "disconnected" } });

    expect(await startRun({})).toBe(true);
    expect(Sock.instances).toHaveLength(2);
    expect(Sock.last.sent).toHaveLength(1);
  });

  it("reports a socket that cannot open", async () => {
    Sock.autoOpen = false;
    const started = startRun({});
    await settle();
    Sock.last.drop(1006);
    expect(await started).toBe(false);
    expect(useRunSession.getState()).toMatchObject({ phase: "idle", error: { code: "disconnected" } });
    expect(useEditor.getState().run.status).toBe("idle");
  });

  it("stops the run in flight", async () => {
    stopRun(); // nothing in flight: nothing sent
    await startRun({});
    Sock.last.receive({ type: "run_created", run_id: "r1", conversation_id: null });
    stopRun();
    await settle();
    expect(Sock.last.sent[1]).toEqual({ type: "stop" });
    expect(useRunSession.getState().stopping).toBe(true);
    Sock.last.receive(event("r1", "run_finished", { status: "stopped", outputs: {}, elapsed_ms: 9 }));
    expect(useEditor.getState().run.status).toBe("stopped");
    expect(useRunSession.getState()).toMatchObject({ phase: "idle", stopping: false });
  });
});

describe("chat preview", () => {
  it("keeps the conversation across turns and forgets it on New conversation", async () => {
    await sendChat("hi", { tone: "dry" });
    expect(Sock.last.sent[0]).toEqual({ type: "run", inputs: { tone: "dry" }, query: "hi", conversation_id: null });
    expect(useRunSession.getState().messages.map((m) => [m.role, m.text, m.status])).toEqual([
      ["user", "hi", undefined],
      ["assistant", "", "running"],
    ]);
    const ws = Sock.last;
    ws.receive({ type: "run_created", run_id: "t1", conversation_id: "conv-1" });
    ws.receive(event("t1", "run_started"));
    ws.receive(event("t1", "text_chunk", { node_id: "answer", text: "Hel" }));
    expect(useRunSession.getState().messages[1].text).toBe("Hel"); // streams token by token
    ws.receive(event("t1", "text_chunk", { node_id: "answer", text: "lo" }));
    ws.receive(event("t1", "run_finished", { status: "succeeded", outputs: {}, answer: "Hello", elapsed_ms: 40, prompt_tokens: 5, completion_tokens: 2 }));
    expect(useRunSession.getState().messages[1]).toMatchObject({ role: "assistant", text: "Hello", status: "succeeded", elapsedMs: 40, tokens: 7 });

    await sendChat("and again?", { tone: "dry" });
    expect(Sock.last.sent[1]).toMatchObject({ query: "and again?", conversation_id: "conv-1" });
    playFullRun(Sock.last, "t2", "conv-1");
    expect(useRunSession.getState().messages).toHaveLength(4);

    newConversation();
    expect(useRunSession.getState()).toMatchObject({ conversationId: null, messages: [] });
    await sendChat("fresh", {});
    expect(Sock.last.sent[2]).toMatchObject({ query: "fresh", conversation_id: null });
  });

  it("takes the message back into the input box when the server refuses the turn", async () => {
    await sendChat("hello", {});
    Sock.last.receive({ type: "error", code: "invalid_param", message: "tone is required", field: "tone" });
    expect(useRunSession.getState()).toMatchObject({ messages: [], chatDraft: "hello", error: { code: "invalid_param", field: "tone" } });
  });
});

describe("protocol errors", () => {
  it("says so when the server sends an event kind this editor does not know, and the run goes on", async () => {
    await startRun({ inputs: {} });
    Sock.last.receive({ type: "run_created", run_id: "r1", conversation_id: null });
    Sock.last.receive({ type: "event", event: { kind: "node_teleported", run_id: "r1", seq: 1, at: "2026-01-01T00:00:00Z" } });
    expect(useRunSession.getState().error).toMatchObject({ code: "protocol_error", message: expect.stringContaining('unknown kind "node_teleported"') });
    expect(useRunSession.getState().phase).toBe("running");
    Sock.last.receive(event("r1", "run_finished", { status: "succeeded" }));
    expect(useEditor.getState().run.status).toBe("succeeded");
  });
});

describe("buildRunMessage", () => {
  it("adds from_node only with a run to reuse, and node_id with its inputs", () => {
    expect(buildRunMessage({ fromNode: "x" }, "r9")).toMatchObject({ from_node: "x", from_run: "r9" });
    expect(buildRunMessage({ fromNode: "x" }, null)).not.toHaveProperty("from_node");
    expect(buildRunMessage({ nodeId: "x" }, null)).toMatchObject({ node_id: "x", node_inputs: {} });
  });
});
