import { act, fireEvent, render, screen } from "@testing-library/react";
import { beforeEach, describe, expect, it, vi } from "vitest";

import type { PauseForm } from "../api/messages";
import { useEditor } from "../state/store";
import { RunPanel } from "./RunPanel";
import { edge, event, installFakeSocket, node, setEditor, settle, type FakeWebSocket } from "./testing";
import { answersOf, WaitingForm } from "./WaitingForm";

const form: PauseForm = {
  node_id: "ask",
  kind: "input",
  title: "Ask a person",
  prompt: "What about tea?",
  fields: [
    { name: "answer", label: "Your answer", type: "text", choices: [], required: true, default: null },
    { name: "cups", label: "", type: "number", choices: [], required: false, default: 2 },
    { name: "ok", label: "Fine?", type: "boolean", choices: [], required: false, default: null },
    { name: "level", label: "Level", type: "choice", choices: ["low", "high"], required: true, default: null },
  ],
  timeout_s: null,
  on_timeout: "fail",
};

describe("answersOf", () => {
  it("types numbers and booleans, fills defaults, leaves optional empties out", () => {
    expect(answersOf(form, { answer: " green ", ok: "false", level: "high" })).toEqual({ answers: { answer: "green", cups: 2, ok: false, level: "high" } });
  });

  it("names the first required field left empty, and a number that is not one", () => {
    expect(answersOf(form, { level: "low" })).toEqual({ field: "answer", error: "Your answer is required" });
    expect(answersOf(form, { answer: "a", cups: "many", level: "low" })).toEqual({ field: "cups", error: "cups must be a number" });
  });
});

describe("WaitingForm", () => {
  it("shows the prompt and one input per field, and sends the typed answers", () => {
    const onSubmit = vi.fn();
    render(<WaitingForm form={form} onSubmit={onSubmit} />);
    expect(screen.getByText("What about tea?")).toBeTruthy();
    expect(screen.getByTestId("run-answer-level").tagName).toBe("SELECT");
    expect(screen.getByTestId("run-answer-cups")).toHaveProperty("type", "number");
    fireEvent.click(screen.getByTestId("run-answer"));
    expect(screen.getByRole("alert").textContent).toBe("Your answer is required");
    expect(onSubmit).not.toHaveBeenCalled();
    fireEvent.change(screen.getByTestId("run-answer-answer"), { target: { value: "green" } });
    fireEvent.change(screen.getByTestId("run-answer-level"), { target: { value: "low" } });
    fireEvent.click(screen.getByTestId("run-answer"));
    expect(onSubmit).toHaveBeenCalledWith({ answer: "green", cups: 2, level: "low" });
  });

  it("asks a confirmation with approve and deny", () => {
    const onSubmit = vi.fn();
    const confirm: PauseForm = { ...form, kind: "confirmation", fields: [{ name: "decision", label: "Decision", type: "choice", choices: ["approve", "deny"], required: true, default: null }] };
    render(<WaitingForm form={confirm} onSubmit={onSubmit} />);
    fireEvent.click(screen.getByTestId("run-deny"));
    expect(onSubmit).toHaveBeenCalledWith({ decision: "deny" });
  });
});

describe("RunPanel with a paused run", () => {
  let Sock: typeof FakeWebSocket;
  beforeEach(() => {
    Sock = installFakeSocket();
    const start = node("start", "start", "Start", { variables: [] });
    setEditor([start, node("ask", "human_input", "Ask a person"), node("end", "end", "End")], [edge("start", "ask"), edge("ask", "end")]);
  });

  it("shows the form when the run waits and resumes the same run with the answers", async () => {
    render(<RunPanel />);
    await act(async () => {
      fireEvent.click(screen.getByTestId("run-start"));
      await settle();
    });
    const ws = Sock.last;
    act(() => {
      ws.receive({ type: "run_created", run_id: "r1", conversation_id: null });
      ws.receive(event("r1", "run_started"));
      ws.receive(event("r1", "node_started", { node_id: "ask", index: 2 }));
      ws.receive(event("r1", "node_paused", { node_id: "ask", node_type: "human_input", form }));
      ws.receive(event("r1", "run_finished", { status: "waiting", waiting: [form] }));
    });
    expect(screen.getByTestId("run-status").dataset.status).toBe("waiting");
    expect(screen.getByTestId("run-status").textContent).toContain("Waiting for an answer"); // as the portal says
    fireEvent.change(screen.getByTestId("run-answer-answer"), { target: { value: "green" } });
    fireEvent.change(screen.getByTestId("run-answer-level"), { target: { value: "high" } });
    await act(async () => {
      fireEvent.click(screen.getByTestId("run-answer"));
      await settle();
    });
    expect(ws.sent[1]).toEqual({ type: "resume", run_id: "r1", node_id: "ask", answers: { answer: "green", cups: 2, level: "high" } });
    act(() => {
      ws.receive({ type: "run_created", run_id: "r1", conversation_id: null });
      ws.receive(event("r1", "run_started"));
      ws.receive(event("r1", "node_started", { node_id: "ask", index: 2 }));
      ws.receive(event("r1", "node_succeeded", { node_id: "ask", outputs: { answer: "green" } }));
      ws.receive(event("r1", "run_finished", { status: "succeeded", outputs: { a: "green" } }));
    });
    expect(screen.getByTestId("run-status").dataset.status).toBe("succeeded");
    expect(screen.queryByTestId("run-waiting")).toBeNull();
  });

  it("keeps the form and says why when the server refuses the answer", async () => {
    render(<RunPanel />);
    await act(async () => {
      fireEvent.click(screen.getByTestId("run-start"));
      await settle();
    });
    const ws = Sock.last;
    act(() => {
      ws.receive({ type: "run_created", run_id: "r1", conversation_id: null });
      ws.receive(event("r1", "run_finished", { status: "waiting", waiting: [form] }));
    });
    fireEvent.change(screen.getByTestId("run-answer-answer"), { target: { value: "green" } });
    fireEvent.change(screen.getByTestId("run-answer-level"), { target: { value: "high" } });
    await act(async () => {
      fireEvent.click(screen.getByTestId("run-answer"));
      await settle();
    });
    act(() => ws.receive({ type: "error", code: "run_not_waiting", message: "this run is succeeded, not waiting for an answer" }));
    expect(screen.getByText(/not waiting for an answer/)).toBeTruthy();
    expect(screen.getByTestId("run-status").dataset.status).toBe("waiting");
  });
});

describe("the chat preview with a turn that pauses", () => {
  let Sock: typeof FakeWebSocket;
  const confirm: PauseForm = { ...form, kind: "confirmation", title: "Refund", prompt: "Refund 40 EUR?", fields: [{ name: "decision", label: "Decision", type: "choice", choices: ["approve", "deny"], required: true, default: null }] };
  beforeEach(() => {
    Sock = installFakeSocket();
    const start = node("start", "start", "Start", { variables: [] });
    setEditor([start, node("ask", "human_input", "Ask a person"), node("answer", "answer", "Answer")], [edge("start", "ask"), edge("ask", "answer")], { mode: "chat" });
  });

  async function send(text: string): Promise<FakeWebSocket> {
    fireEvent.change(screen.getByTestId("chat-input"), { target: { value: text } });
    await act(async () => {
      fireEvent.click(screen.getByTestId("chat-send"));
      await settle();
    });
    return Sock.last;
  }

  async function pause(ws: FakeWebSocket, runId: string, asked: PauseForm): Promise<void> {
    act(() => {
      ws.receive({ type: "run_created", run_id: runId, conversation_id: "c1" });
      ws.receive(event(runId, "run_started"));
      ws.receive(event(runId, "text_chunk", { text: "One moment. " }));
      ws.receive(event(runId, "node_paused", { node_id: "ask", node_type: "human_input", form: asked }));
      ws.receive(event(runId, "run_finished", { status: "waiting", answer: "One moment. ", waiting: [asked] }));
    });
  }

  it("asks in the assistant's turn, and the answer resumes the run into that turn", async () => {
    render(<RunPanel />);
    const ws = await send("Tea?");
    await pause(ws, "r1", form);
    const turn = screen.getByTestId("chat-assistant");
    expect(turn.dataset.status).toBe("waiting");
    expect(turn.textContent).toContain("One moment.");
    expect(turn.querySelector("[data-testid=run-waiting]")?.textContent).toContain("What about tea?");
    expect(screen.getByTestId("chat-trace")).toBeTruthy();

    fireEvent.change(screen.getByTestId("run-answer-answer"), { target: { value: "green" } });
    fireEvent.change(screen.getByTestId("run-answer-level"), { target: { value: "high" } });
    await act(async () => {
      fireEvent.click(screen.getByTestId("run-answer"));
      await settle();
    });
    expect(ws.sent[1]).toEqual({ type: "resume", run_id: "r1", node_id: "ask", answers: { answer: "green", cups: 2, level: "high" } });
    expect(screen.queryByTestId("run-waiting")).toBeNull();
    expect(screen.getByTestId("chat-assistant").dataset.status).toBe("running");

    act(() => {
      ws.receive({ type: "run_created", run_id: "r1", conversation_id: "c1" });
      ws.receive(event("r1", "run_started"));
      ws.receive(event("r1", "text_chunk", { text: "You said " }));
    });
    expect(screen.getByTestId("chat-assistant").textContent).toContain("One moment. You said");
    act(() => {
      ws.receive(event("r1", "text_chunk", { text: "green." }));
      ws.receive(event("r1", "run_finished", { status: "succeeded", answer: "One moment. You said green." }));
    });
    const turns = screen.getAllByTestId("chat-assistant");
    expect(turns).toHaveLength(1);
    expect(turns[0].dataset.status).toBe("succeeded");
    expect(turns[0].querySelector(".chat-bubble")?.textContent).toBe("One moment. You said green.");
    expect(screen.getAllByTestId("chat-user").map((u) => u.textContent)).toEqual(["Tea?"]);
  });

  it("puts the form back when the server refuses the answer, and approves a confirmation", async () => {
    render(<RunPanel />);
    const ws = await send("Refund me");
    await pause(ws, "r2", confirm);
    await act(async () => {
      fireEvent.click(screen.getByTestId("run-approve"));
      await settle();
    });
    expect(ws.sent[1]).toEqual({ type: "resume", run_id: "r2", node_id: "ask", answers: { decision: "approve" } });
    act(() => ws.receive({ type: "error", code: "run_not_waiting", message: "this run is running, not waiting for an answer" }));
    expect(screen.getByText(/not waiting for an answer/)).toBeTruthy();
    expect(screen.getAllByTestId("chat-user")).toHaveLength(1);
    expect(screen.getByTestId("chat-assistant").dataset.status).toBe("waiting");
    expect(screen.getByTestId("run-approve")).toBeTruthy();
  });

  it("shows no form in an older turn once another run is shown", async () => {
    render(<RunPanel />);
    await pause(await send("Tea?"), "r1", form);
    act(() => useEditor.getState().setRun((r) => ({ ...r, runId: "r9" })));
    expect(screen.queryByTestId("run-waiting")).toBeNull();
    expect(screen.getByTestId("chat-assistant").textContent).toContain("Waiting for an answer.");
  });
});
