import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

import { event, fakeApi, FakeWebSocket, settle, storedNode, storedRun } from "../run/testing";
import { FIRST_POLL_MS, MAX_POLL_MS } from "./follow";
import { setupTestRun } from "./testRun";

// The parts of templates/portal/app.html the test run uses, for a chat app.
const PAGE = `
  <div class="transcript" id="transcript"><p id="transcript-empty">Send a message</p></div>
  <span id="conversation-label" hidden><code id="conversation-id"></code></span>
  <button type="button" id="new-conversation" disabled>New conversation</button>
  <form id="run-form"><textarea id="run-query" name="query"></textarea>
    <button type="submit" id="run-button" data-idle-label="Send">Send</button></form>
  <div id="run-status" hidden></div>
  <div id="trace" hidden><a id="trace-run-link" hidden>open run</a><table><tbody id="trace-body"></tbody></table></div>
  <table><tbody id="runs-body" data-source-label="Test form (portal)"><tr id="runs-empty"><td>No runs yet.</td></tr></tbody></table>`;

let sock: () => FakeWebSocket;

// The page follows a waiting run on timers: fake ones (that also run as real time passes), so a
// test that ends waiting leaves no reader behind.
beforeEach(() => vi.useFakeTimers({ shouldAdvanceTime: true }));
afterEach(() => {
  vi.clearAllTimers();
  vi.useRealTimers();
});

beforeEach(() => {
  document.body.innerHTML = PAGE;
  FakeWebSocket.reset();
  setupTestRun({ appId: 7, mode: "chat", canEdit: true, baseUrl: "/v1" }, (url) => new FakeWebSocket(url));
  sock = () => FakeWebSocket.last;
});

async function send(query: string): Promise<void> {
  (document.getElementById("run-query") as HTMLTextAreaElement).value = query;
  (document.getElementById("run-form") as HTMLFormElement).requestSubmit();
  await settle();
}

const status = () => document.getElementById("run-status")!;

describe("app page test run", () => {
  it("sends the message (as a portal run) over the run socket and streams the events into the transcript and trace", async () => {
    await send("Hi there");
    expect(sock().url).toMatch(/\/ws\/apps\/7\/runs\/$/);
    expect(sock().sent).toEqual([{ type: "run", origin: "portal", inputs: {}, query: "Hi there", conversation_id: null }]);
    expect(status().dataset.state).toBe("running");

    sock().receive({ type: "run_created", run_id: "r1", conversation_id: "c0nversation" });
    sock().receive(event("r1", "run_started"));
    sock().receive(event("r1", "node_started", { node_id: "llm", title: "Ask", node_type: "llm", index: 1 }));
    sock().receive(event("r1", "text_chunk", { node_id: "answer", text: "Hel" }));
    sock().receive(event("r1", "text_chunk", { node_id: "answer", text: "lo" }));
    expect(document.querySelector("#transcript .msg-bot.streaming .msg-text")?.textContent).toBe("Hello");
    sock().receive(event("r1", "node_succeeded", { node_id: "llm", outputs: { text: "Hello" }, prompt_tokens: 3, completion_tokens: 2 }));
    sock().receive(event("r1", "run_finished", { status: "succeeded", answer: "Hello", prompt_tokens: 3, completion_tokens: 2, total_steps: 1 }));

    expect(status().dataset.state).toBe("succeeded");
    expect(status().textContent).toContain("5 tokens · 1 steps");
    const row = document.querySelector("#trace-body tr.trace-row")!;
    expect(row.getAttribute("data-status")).toBe("succeeded");
    expect(document.getElementById("live-detail-1")?.textContent).toContain('"Hello"');
    expect(document.getElementById("conversation-id")?.textContent).toBe("c0nversa");
    expect(document.querySelector("#runs-body tr")?.textContent).toContain("Succeeded");
    expect(document.querySelector("#runs-body tr")?.textContent).toContain("Test form (portal)");
    expect((document.getElementById("new-conversation") as HTMLButtonElement).disabled).toBe(false);
  });

  it("shows a node's citations and other metadata in its trace details, and the answer's citations under it", async () => {
    const cited = { position: 1, content: "Cats purr when content.", score: 0.918, document_id: "d1", document_name: "cats.md", dataset_id: "kb", dataset_name: "Pets", segment_id: "s1" };
    await send("Do cats purr?");
    sock().receive({ type: "run_created", run_id: "r1", conversation_id: null });
    sock().receive(event("r1", "node_started", { node_id: "k", title: "Search", node_type: "knowledge", index: 1 }));
    sock().receive(event("r1", "node_succeeded", { node_id: "k", outputs: { result: "Cats purr." }, metadata: { retriever_resources: [cited], usage: { total_tokens: 4 } } }));
    sock().receive(event("r1", "node_started", { node_id: "llm", title: "Ask", node_type: "llm", index: 2 }));
    sock().receive(event("r1", "node_succeeded", { node_id: "llm", outputs: { text: "Yes." } }));
    sock().receive(event("r1", "run_finished", { status: "succeeded", answer: "Yes.", metadata: { retriever_resources: [cited] } }));

    const meta = document.querySelector<HTMLElement>("#live-detail-1 .detail-meta")!;
    expect(meta.hidden).toBe(false);
    expect(meta.querySelector(".citation")?.textContent).toBe("1cats.mdPets0.92Cats purr when content.");
    expect([...meta.querySelectorAll("h4")].map((h) => h.textContent)).toEqual(["Citations", "usage"]);
    expect(JSON.parse(meta.querySelector("pre.json")!.textContent!)).toEqual({ total_tokens: 4 });
    expect(document.querySelector<HTMLElement>("#live-detail-2 .detail-meta")!.hidden).toBe(true);
    const bubble = document.querySelector("#transcript .msg-bot")!;
    expect([...bubble.querySelectorAll(".citation strong")].map((d) => d.textContent)).toEqual(["cats.md"]);
  });

  it("shows the server's refusal with its issues", async () => {
    await send("Hi");
    sock().receive({ type: "error", code: "graph_invalid", message: "the graph is invalid", issues: [{ code: "cycle", message: "a cycle", node_id: "a", field: null }] });
    expect(status().dataset.state).toBe("error");
    expect(status().textContent).toContain("graph_invalid the graph is invalid");
    expect(status().textContent).toContain("a cycle (node a)");
    expect(status().textContent).not.toContain("cycle a cycle");
  });

  it("reports an event kind it does not know instead of dropping it", async () => {
    await send("Hi");
    sock().receive({ type: "run_created", run_id: "r1", conversation_id: null });
    sock().receive({ type: "event", event: { kind: "node_teleported", run_id: "r1", seq: 1, at: "2026-01-01T00:00:00Z" } });
    expect(status().textContent).toContain('unknown kind "node_teleported"');
    expect(status().dataset.state).toBe("running");
  });

  it("gives each run of a node inside a container its row, under its item's heading after the container", async () => {
    await send("Drinks?");
    sock().receive({ type: "run_created", run_id: "r1", conversation_id: null });
    const inner = (node_id: string, i: number) => ({ node_id, node_type: "template", title: "Write", container_id: "each", iteration_path: [i] });
    sock().receive(event("r1", "node_started", { node_id: "each", title: "Each drink", node_type: "iteration", index: 1 }));
    // two items at once: their events come interleaved
    sock().receive(event("r1", "node_started", { ...inner("tpl", 0), index: 2 }));
    sock().receive(event("r1", "node_started", { ...inner("tpl", 1), index: 3 }));
    sock().receive(event("r1", "node_succeeded", { ...inner("tpl", 1), outputs: { output: "1:coffee" } }));
    sock().receive(event("r1", "node_started", { ...inner("after", 0), index: 4 }));
    sock().receive(event("r1", "node_succeeded", { ...inner("tpl", 0), outputs: { output: "0:tea" } }));
    sock().receive(event("r1", "node_succeeded", { node_id: "each", node_type: "iteration", outputs: { output: ["0:tea", "1:coffee"] } }));
    sock().receive(event("r1", "node_started", { node_id: "end", title: "End", node_type: "end", index: 5 }));

    const lines = [...document.querySelectorAll<HTMLElement>("#trace-body > tr:not(.detail-row)")].map((tr) =>
      tr.classList.contains("trace-group") ? tr.textContent : `${tr.classList.contains("trace-inner") ? "  " : ""}${tr.querySelector("code")?.textContent} ${tr.dataset.status ?? "running"}`,
    );
    expect(lines).toEqual(["each succeeded", "Each drink · Item 1", "  tpl succeeded", "  after running", "Each drink · Item 2", "  tpl succeeded", "end running"]);
    // each row's details follow it
    const tpl2 = document.querySelectorAll<HTMLElement>("#trace-body tr.trace-row")[3];
    expect(tpl2.nextElementSibling?.id).toBe(tpl2.dataset.toggle);
    expect(tpl2.nextElementSibling?.textContent).toContain("1:coffee");
  });

  it("shows a paused node waiting for an answer, the run waiting, and links to the run page's form that answers it", async () => {
    const form = { node_id: "ask", kind: "input" as const, title: "Ask the user", prompt: "Where to?", fields: [{ name: "place", label: "Place", type: "text" as const, required: true, choices: [], default: null }], timeout_s: null, on_timeout: "fail" as const };
    await send("Plan a trip");
    sock().receive({ type: "run_created", run_id: "r1", conversation_id: null });
    sock().receive(event("r1", "node_started", { node_id: "ask", title: "Ask the user", node_type: "human_input", index: 1 }));
    sock().receive(event("r1", "node_started", { node_id: "side", title: "Side", node_type: "template", index: 2 }));
    sock().receive(event("r1", "node_paused", { node_id: "ask", node_type: "human_input", form }));

    const [ask, side] = document.querySelectorAll<HTMLElement>("#trace-body tr.trace-row");
    expect(ask.dataset.status).toBe("waiting");
    expect(ask.querySelector(".status")?.textContent).toBe("Waiting for an answer");
    expect(document.getElementById(ask.dataset.toggle!)?.textContent).toContain("Where to?");
    // the other branch goes on
    sock().receive(event("r1", "node_succeeded", { node_id: "side", outputs: { output: "ok" } }));
    expect(side.dataset.status).toBe("succeeded");
    expect(status().dataset.state).toBe("running");

    sock().receive(event("r1", "run_finished", { status: "waiting", waiting: [form], elapsed_ms: 40 }));
    expect(status().dataset.state).toBe("waiting");
    expect(status().textContent).toContain("Waiting for an answer after 40 ms");
    const links = [...status().querySelectorAll("a")].map((a) => [a.textContent, a.getAttribute("href")]);
    expect(links).toEqual([["Answer Ask the user", "/apps/7/runs/r1/#waiting-ask"], ["View run", "/apps/7/runs/r1/"]]);
    expect(ask.dataset.status).toBe("waiting"); // not failed nor running when the run ends
    expect(ask.querySelector("a")?.getAttribute("href")).toBe("/apps/7/runs/r1/#waiting-ask");
    expect(side.querySelector("a")).toBeNull();
    const bubble = document.querySelector("#transcript .msg-bot")!;
    expect(bubble.classList.contains("failed")).toBe(false);
    expect(bubble.querySelector(".msg-text")?.textContent).toBe("Waiting for an answer.");
    expect(document.querySelector("#runs-body tr .status")?.textContent).toBe("Waiting");
    expect((document.getElementById("run-button") as HTMLButtonElement).disabled).toBe(false);
  });
});

describe("app page test run answered elsewhere", () => {
  it("follows a waiting turn: once the run page answers it, the rest of the answer, the trace and the run's end show without a reload", async () => {
    const form = { node_id: "ask", kind: "input" as const, title: "Ask a person", prompt: "What about tea?", fields: [], timeout_s: null, on_timeout: "fail" as const };
    await send("tea");
    sock().receive({ type: "run_created", run_id: "r1", conversation_id: "c1" });
    sock().receive(event("r1", "node_started", { node_id: "hold", title: "hold", node_type: "answer", index: 1 }));
    sock().receive(event("r1", "text_chunk", { node_id: "hold", text: "Let me ask about tea. " }));
    sock().receive(event("r1", "node_succeeded", { node_id: "hold", node_type: "answer" }));
    sock().receive(event("r1", "node_started", { node_id: "ask", title: "Ask a person", node_type: "human_input", index: 2 }));
    sock().receive(event("r1", "node_paused", { node_id: "ask", node_type: "human_input", form }));
    const hold = storedNode("hold", 1, "succeeded", { node_type: "answer" });
    const route = { method: "GET", path: "/runs/r1", body: storedRun("r1", "waiting", [hold, storedNode("ask", 2, "waiting")], { waiting: [form] }) };
    const { calls } = fakeApi([route]);
    sock().receive(event("r1", "run_finished", { status: "waiting", answer: "Let me ask about tea. ", waiting: [form], elapsed_ms: 40 }));
    const ask = document.querySelector<HTMLElement>("#trace-body tr.trace-row[data-node-id=ask]")!;
    const bubble = document.querySelector("#transcript .msg-bot")!;
    const button = document.getElementById("run-button") as HTMLButtonElement;

    await vi.advanceTimersByTimeAsync(FIRST_POLL_MS); // not answered yet
    expect(calls.map((c) => c.path)).toEqual(["/runs/r1"]);
    expect(status().dataset.state).toBe("waiting");
    expect(ask.querySelector("a")?.textContent).toBe("Answer");

    route.body = storedRun("r1", "running", [hold]); // answered on the run page: it runs on
    await vi.advanceTimersByTimeAsync(MAX_POLL_MS);
    expect(status().dataset.state).toBe("running");
    expect(status().textContent).not.toContain("Stop"); // the page that answered it can stop it
    expect(ask.dataset.status).toBe("running");
    expect(ask.querySelector("a")).toBeNull();
    expect(bubble.classList.contains("streaming")).toBe(true);
    expect(button.disabled).toBe(true);

    route.body = storedRun(
      "r1",
      "succeeded",
      [hold, storedNode("ask", 2, "succeeded", { node_type: "human_input", outputs: { answer: "green" } }), storedNode("reply", 3, "succeeded", { node_type: "answer" })],
      { answer: "Let me ask about tea. You chose green.", elapsed_ms: 75, prompt_tokens: 0, total_steps: 3, finished_at: "2026-01-01T00:09:00Z" },
    );
    await vi.advanceTimersByTimeAsync(MAX_POLL_MS);
    expect(bubble.querySelector(".msg-text")?.textContent).toBe("Let me ask about tea. You chose green.");
    expect(bubble.classList.contains("streaming")).toBe(false);
    expect([...bubble.querySelectorAll(".msg-meta")].map((m) => m.textContent)).toEqual(["75 ms · 0 tokens"]);
    expect(status().dataset.state).toBe("succeeded");
    expect(status().textContent).toContain("Succeeded in 75 ms");
    const rows = [...document.querySelectorAll<HTMLElement>("#trace-body tr.trace-row")].map((tr) => `${tr.dataset.nodeId} ${tr.dataset.status}`);
    expect(rows).toEqual(["hold succeeded", "ask succeeded", "reply succeeded"]);
    expect(document.getElementById(ask.dataset.toggle!)?.textContent).toContain('"green"');
    const runs = document.querySelectorAll("#runs-body tr");
    expect(runs).toHaveLength(1); // the waiting run's row, now succeeded
    expect(runs[0].querySelector(".status")?.textContent).toBe("Succeeded");
    expect(runs[0].textContent).toContain("Dec 31, 23:59:59"); // when it started, not its end less its time
    expect(button.disabled).toBe(false);

    const read = calls.length; // it ended: nothing more to read
    await vi.advanceTimersByTimeAsync(MAX_POLL_MS * 3);
    expect(calls).toHaveLength(read);
  });

  it("stops following a waiting turn when the next message starts a run", async () => {
    const form = { node_id: "ask", kind: "input" as const, title: "", prompt: "", fields: [], timeout_s: null, on_timeout: "fail" as const };
    await send("tea");
    sock().receive({ type: "run_created", run_id: "r1", conversation_id: "c1" });
    const { calls } = fakeApi([{ method: "GET", path: "/runs/r1", body: storedRun("r1", "waiting", [], { waiting: [form] }) }]);
    sock().receive(event("r1", "run_finished", { status: "waiting", waiting: [form] }));
    await send("never mind");
    await vi.advanceTimersByTimeAsync(MAX_POLL_MS * 2);
    expect(calls).toHaveLength(0);
    expect(status().dataset.state).toBe("running");
  });
});

describe("app page test run of a workflow", () => {
  it("says its output waits for an answer instead of showing empty outputs", async () => {
    document.body.innerHTML = `
      <form id="run-form"><button type="submit" id="run-button" data-idle-label="Run">Run</button></form>
      <div id="run-status" hidden></div>
      <div id="workflow-output" hidden><div id="workflow-label">Output</div><div id="workflow-text"></div><pre id="workflow-json" hidden></pre></div>
      <div id="trace" hidden><a id="trace-run-link" hidden>open run</a><table><tbody id="trace-body"></tbody></table></div>`;
    FakeWebSocket.reset();
    setupTestRun({ appId: 7, mode: "workflow", canEdit: true, baseUrl: "/v1" }, (url) => new FakeWebSocket(url));
    (document.getElementById("run-form") as HTMLFormElement).requestSubmit();
    await settle();
    const ws = FakeWebSocket.last;
    ws.receive({ type: "run_created", run_id: "r2", conversation_id: null });
    ws.receive(event("r2", "node_started", { node_id: "ok", title: "Send the mail", node_type: "http_request", index: 1 }));
    ws.receive(event("r2", "node_paused", { node_id: "ok", node_type: "http_request", form: { node_id: "ok", kind: "confirmation", title: "Send the mail", prompt: "", fields: [], timeout_s: null, on_timeout: "fail" } }));
    ws.receive(event("r2", "run_finished", { status: "waiting", waiting: [{ node_id: "ok", kind: "confirmation", title: "Send the mail", prompt: "", fields: [], timeout_s: null, on_timeout: "fail" }] }));

    expect(document.getElementById("workflow-label")?.textContent).toBe("Waiting for an answer");
    expect(document.getElementById("workflow-json")?.hidden).toBe(true);
    expect(document.getElementById("workflow-text")?.hidden).toBe(true);
    expect(status().querySelector("a")?.textContent).toBe("Confirm Send the mail");
  });
});
