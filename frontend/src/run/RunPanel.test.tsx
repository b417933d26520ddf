import { act, fireEvent, render, screen } from "@testing-library/react";
import { beforeEach, describe, expect, it } from "vitest";

import { useEditor } from "../state/store";
import { NodeRunSection } from "./NodeRunSection";
import { RunPanel } from "./RunPanel";
import { edge, event, installFakeSocket, node, setEditor, settle, type FakeWebSocket } from "./testing";

const variables = [
  { variable: "city", label: "City", type: "text", required: true },
  { variable: "notes", label: "Notes", type: "paragraph", required: false },
  { variable: "days", type: "number", required: false, default: 2 },
  { variable: "unit", type: "select", options: ["C", "F"], required: true, default: "C" },
  { variable: "sunny", type: "checkbox", required: false },
];
const start = node("start", "start", "Start", { variables });
const llm = node("llm", "llm", "Ask the model", { memory: { enabled: true, window: 10 } });
const end = node("end", "end", "End");

let Sock: typeof FakeWebSocket;

beforeEach(() => {
  Sock = installFakeSocket();
  setEditor([start, llm, end], [edge("start", "llm"), edge("llm", "end")]);
});

async function click(el: HTMLElement): Promise<void> {
  await act(async () => {
    fireEvent.click(el);
    await settle();
  });
}

describe("RunPanel for a workflow", () => {
  it("renders one input per start variable, of the right kind, with required marks and defaults", () => {
    render(<RunPanel />);
    expect(screen.getByTestId("run-inputs").querySelectorAll("input, textarea, select")).toHaveLength(5);
    expect(screen.getByTestId("run-input-city").tagName).toBe("INPUT");
    expect(screen.getByTestId("run-input-notes").tagName).toBe("TEXTAREA");
    expect(screen.getByTestId("run-input-days")).toHaveProperty("type", "number");
    expect(screen.getByTestId("run-input-days")).toHaveProperty("value", "2");
    expect(screen.getByTestId("run-input-unit").tagName).toBe("SELECT");
    expect(screen.getByTestId("run-input-unit")).toHaveProperty("value", "C");
    expect(screen.getByTestId("run-input-sunny")).toHaveProperty("type", "checkbox");
    expect(screen.getByText("City").parentElement?.textContent).toContain("*");
    expect(screen.getByText("Notes").parentElement?.textContent).not.toContain("*");
  });

  it("takes a list as JSON text and says what is wrong with it before running", async () => {
    const tags = { variable: "tags", label: "Tags", type: "array[string]", required: true };
    setEditor([node("start", "start", "Start", { variables: [tags] }), end], [edge("start", "end")]);
    render(<RunPanel />);
    const box = screen.getByTestId("run-input-tags");
    expect(box.tagName).toBe("TEXTAREA");
    expect(box.getAttribute("placeholder")).toBe('["first", "second"]');
    fireEvent.change(box, { target: { value: '["a", 2]' } });
    await click(screen.getByTestId("run-start"));
    expect(screen.getByRole("alert").textContent).toBe("Tags must be a list of texts: item 2 is 2");
    expect(Sock.instances).toHaveLength(0);
    fireEvent.change(box, { target: { value: '["a", "b"]' } });
    await click(screen.getByTestId("run-start"));
    expect(Sock.last.sent[0]).toMatchObject({ type: "run", inputs: { tags: ["a", "b"] } });
  });

  it("says which required input is missing instead of running", async () => {
    render(<RunPanel />);
    await click(screen.getByTestId("run-start"));
    expect(screen.getByRole("alert").textContent).toBe("City is required");
    expect(Sock.instances).toHaveLength(0);
  });

  it("runs with the typed inputs and shows the streamed output, outputs and trace", async () => {
    render(<RunPanel />);
    fireEvent.change(screen.getByTestId("run-input-city"), { target: { value: "Oslo" } });
    fireEvent.click(screen.getByTestId("run-input-sunny"));
    await click(screen.getByTestId("run-start"));
    expect(Sock.last.sent[0]).toEqual({ type: "run", inputs: { city: "Oslo", days: 2, unit: "C", sunny: true }, query: "", conversation_id: null });
    expect(screen.getByTestId("run-stop")).toBeTruthy();

    const ws = Sock.last;
    act(() => {
      ws.receive({ type: "run_created", run_id: "r1", conversation_id: null });
      ws.receive(event("r1", "run_started"));
      ws.receive(event("r1", "node_started", { node_id: "start", index: 1 }));
      ws.receive(event("r1", "node_succeeded", { node_id: "start", outputs: { city: "Oslo" }, elapsed_ms: 1 }));
      ws.receive(event("r1", "node_started", { node_id: "llm", index: 2, inputs: { "start.city": "Oslo" } }));
      ws.receive(event("r1", "text_chunk", { node_id: "end", text: "Sun" }));
    });
    expect(screen.getByTestId("run-output").textContent).toBe("Sun");
    expect(screen.getByTestId("run-status").dataset.status).toBe("running");
    act(() => {
      ws.receive(event("r1", "text_chunk", { node_id: "end", text: "ny" }));
      ws.receive(event("r1", "node_failed", { node_id: "llm", error: "model down", error_code: "LLMUnavailableError", elapsed_ms: 30 }));
      ws.receive(event("r1", "run_finished", { status: "failed", outputs: {}, error: "model down", error_code: "LLMUnavailableError", failed_node_id: "llm", elapsed_ms: 40 }));
    });
    expect(screen.getByTestId("run-output").textContent).toBe("Sunny");
    expect(screen.getByTestId("run-status").dataset.status).toBe("failed");
    expect(screen.getByTestId("run-failure").textContent).toContain("Failed at Ask the model");
    expect(screen.getByTestId("run-trace-start").dataset.status).toBe("succeeded");
    expect(screen.getByTestId("run-trace-llm").dataset.status).toBe("failed");

    // a trace row selects its node and opens its details
    fireEvent.click(screen.getByTestId("run-trace-llm").querySelector("button")!);
    expect(useEditor.getState().nodes.find((n) => n.id === "llm")?.selected).toBe(true);
    expect(screen.getByTestId("run-trace-llm").textContent).toContain("model down");
    expect(screen.getByTestId("run-start")).toBeTruthy();
  });

  it("lists the graph's issues when the server refuses it", async () => {
    render(<RunPanel />);
    fireEvent.change(screen.getByTestId("run-input-city"), { target: { value: "Oslo" } });
    await click(screen.getByTestId("run-start"));
    act(() => Sock.last.receive({ type: "error", code: "graph_invalid", message: "2 issues", issues: [
      { code: "bad_config", message: "model is required", node_id: "llm" },
      { code: "unreachable", message: "nothing reaches it", node_id: null },
    ] }));
    const box = screen.getByTestId("run-error");
    expect(box.dataset.code).toBe("graph_invalid");
    expect(screen.getByTestId("run-error-issues").querySelectorAll("li")).toHaveLength(2);
    expect(box.textContent).toContain("Ask the model");
    expect(screen.getByTestId("run-start")).toBeTruthy();
  });
});

describe("RunPanel for a chat app", () => {
  beforeEach(() => useEditor.setState({ mode: "chat" }));

  it("sends on Enter, keeps Shift+Enter for new lines, and streams the answer", async () => {
    render(<RunPanel />);
    const box = screen.getByTestId("chat-input");
    fireEvent.change(box, { target: { value: "Hi there" } });
    fireEvent.keyDown(box, { key: "Enter", shiftKey: true });
    expect(Sock.instances).toHaveLength(0);
    // City is required: the inputs section opens with the message instead of sending
    await act(async () => {
      fireEvent.keyDown(box, { key: "Enter" });
      await settle();
    });
    expect(Sock.instances).toHaveLength(0);
    expect(screen.getByText("City is required")).toBeTruthy();
    fireEvent.change(screen.getByTestId("run-input-city"), { target: { value: "Oslo" } });
    await act(async () => {
      fireEvent.keyDown(box, { key: "Enter" });
      await settle();
    });
    expect(Sock.last.sent[0]).toMatchObject({ query: "Hi there", conversation_id: null, inputs: { city: "Oslo" } });
    expect(screen.getByTestId("chat-user").textContent).toBe("Hi there");
    expect((screen.getByTestId("chat-input") as HTMLTextAreaElement).value).toBe("");

    act(() => {
      Sock.last.receive({ type: "run_created", run_id: "t1", conversation_id: "c1" });
      Sock.last.receive(event("t1", "text_chunk", { text: "Hel" }));
    });
    expect(screen.getByTestId("chat-assistant").textContent).toContain("Hel");
    act(() => {
      Sock.last.receive(event("t1", "text_chunk", { text: "lo!" }));
      Sock.last.receive(event("t1", "run_finished", { status: "succeeded", outputs: {}, answer: "Hello!", elapsed_ms: 1200 }));
    });
    expect(screen.getByTestId("chat-assistant").textContent).toContain("Hello!");
    expect(screen.getByTestId("chat-conversation").textContent).toContain("Remembering");

    fireEvent.click(screen.getByTestId("chat-new"));
    expect(screen.queryByTestId("chat-user")).toBeNull();
    expect(screen.getByTestId("chat-conversation").textContent).toBe("New conversation");
  });

  it("says so when no LLM node remembers the conversation", async () => {
    const bare = node("start", "start", "Start", { variables: [] });
    setEditor([bare, node("llm", "llm", "Ask the model", { memory: { enabled: false } }), end], [edge("start", "llm"), edge("llm", "end")]);
    useEditor.setState({ mode: "chat" });
    render(<RunPanel />);
    expect(screen.getByTestId("chat-messages").textContent).toContain("memory off");
    fireEvent.change(screen.getByTestId("chat-input"), { target: { value: "Hi" } });
    await act(async () => {
      fireEvent.keyDown(screen.getByTestId("chat-input"), { key: "Enter" });
      await settle();
    });
    act(() => Sock.last.receive({ type: "run_created", run_id: "t1", conversation_id: "c1" }));
    expect(screen.getByTestId("chat-conversation").textContent).toBe("Same conversation, memory off");
  });
});

describe("NodeRunSection", () => {
  beforeEach(() => {
    useEditor.setState({
      report: { issues: [], globals: {}, nodes: { llm: { outputs: {}, handles: ["source"], references: [["start", "city"], ["sys", "query"]] } } } as never,
    });
  });

  it("runs the node alone with values prefilled from its last run", async () => {
    useEditor.setState({
      run: { ...useEditor.getState().run, runId: "r1", status: "succeeded", order: ["llm"], nodes: { llm: { status: "succeeded", index: 2, inputs: { "start.city": "Oslo" }, outputs: { text: "sunny" }, text: "", promptTokens: 3, completionTokens: 4, attempts: 1, elapsedMs: 20, metadata: {} } } },
    });
    render(<NodeRunSection nodeId="llm" />);
    expect(screen.getByTestId("node-last-status").dataset.status).toBe("succeeded");
    expect(screen.getByTestId("node-last-output").textContent).toContain("sunny");
    expect(screen.getByText("Start / city")).toBeTruthy();
    expect(screen.getByText("System / query")).toBeTruthy();
    expect((screen.getByTestId("node-input-start.city") as HTMLTextAreaElement).value).toBe("Oslo");
    fireEvent.change(screen.getByTestId("node-input-sys.query"), { target: { value: "hello" } });
    await click(screen.getByTestId("run-node-button"));
    expect(Sock.last.sent[0]).toMatchObject({ node_id: "llm", node_inputs: { "start.city": "Oslo", "sys.query": "hello" }, query: "hello" });
  });

  it("offers Run from here only once there is a run to reuse", async () => {
    const { rerender } = render(<NodeRunSection nodeId="end" />);
    expect(screen.getByTestId("run-from-here")).toHaveProperty("disabled", true);
    useEditor.setState({ run: { ...useEditor.getState().run, runId: "r5", status: "succeeded" } });
    rerender(<NodeRunSection nodeId="end" />);
    await click(screen.getByTestId("run-from-here"));
    expect(Sock.last.sent[0]).toMatchObject({ from_node: "end", from_run: "r5" });
  });
});
