// The app page's test run: the form's inputs go to the run WebSocket (the editor's RunSocket and
// the generated protocol types), and the events stream into the chat transcript or the workflow
// output (testRunOutput.ts), the node trace (traceEvents.ts), the status line and the recent runs
// table. A run that ends waiting is followed until it is answered elsewhere (the run page) and
// ends (follow.ts).
import type { RunEvent, ServerMessage } from "../api/messages";
import { browserSocket, RunSocket, runSocketUrl, SocketClosedError, type SocketFactory } from "../run/socket";
import { byId, el, issueItems, must, setBusy } from "./dom";
import { catchUp, followRun } from "./follow";
import { answerHref, outcomeLine, runRow, type Finished } from "./outcome";
import type { PageInfo } from "./page";
import { ChatTurn, WorkflowOutput, type Output } from "./testRunOutput";
import { Trace } from "./trace";
import { showNodeEvent } from "./traceEvents";

interface Current {
  trace: Trace;
  output: Output; // where its answer shows
  finished: boolean;
  runId: string | null;
  runningNode: string | null;
  startedAt: number;
  runRow: HTMLTableRowElement | null; // its row in the recent runs table
  runStarted: Date | null;
}

/** Wire the test run form; `factory` opens the WebSocket (tests pass a fake). */
export function setupTestRun(page: PageInfo, factory: SocketFactory = browserSocket): void {
  const form = byId<HTMLFormElement>("run-form");
  if (!form || !page.canEdit) return;
  const chat = page.mode === "chat";
  const runButton = must<HTMLButtonElement>("run-button");
  const statusBox = must("run-status");
  const traceBody = must("trace-body");
  const queryBox = byId<HTMLTextAreaElement>("run-query");
  const transcript = byId("transcript");
  const newConversation = byId<HTMLButtonElement>("new-conversation");
  const socket = new RunSocket(runSocketUrl(page.appId), { onMessage, onClose, onProtocolError }, factory);
  let current: Current | null = null;
  let conversationId: string | null = null;
  let ticker = 0;
  let unfollow: (() => void) | null = null; // stops following the waiting run shown

  function showStatus(state: string, parts: (string | Node)[]): void {
    statusBox.hidden = false;
    statusBox.dataset.state = state;
    statusBox.textContent = "";
    statusBox.append(...parts);
  }

  const runningLabel = (c: Current) =>
    `${c.runningNode ? ` Running ${c.runningNode}… ` : " Running… "}${((performance.now() - c.startedAt) / 1000).toFixed(1)} s`;

  function runningStatus(c: Current): void {
    const stop = el("button", "btn btn-sm", "Stop");
    stop.type = "button";
    stop.addEventListener("click", () => {
      socket.send({ type: "stop" }).catch(() => undefined);
      stop.disabled = true;
      stop.textContent = "Stopping…";
    });
    showStatus("running", [el("span", "spinner"), runningLabel(c), stop]);
  }

  function tick(): void {
    const c = current;
    if (!c || c.finished) return;
    // Refresh the elapsed time of the running nodes and the status line (keep the Stop button).
    const text = statusBox.childNodes[1];
    if (text && text.nodeType === Node.TEXT_NODE) text.textContent = runningLabel(c);
    c.trace.tick();
  }

  function onEvent(c: Current, ev: RunEvent): void {
    switch (ev.kind) {
      case "text_chunk":
        c.output.append(ev.text);
        break;
      case "node_started":
        showNodeEvent(c.trace, ev);
        c.runningNode = ev.title || ev.node_id;
        break;
      case "node_delta":
        c.output.preview(ev.node_id, showNodeEvent(c.trace, ev).streamed[ev.port]);
        break;
      case "node_skipped":
        showNodeEvent(c.trace, ev);
        break;
      case "node_succeeded":
      case "node_failed":
      case "node_paused":
        showNodeEvent(c.trace, ev);
        c.runningNode = null;
        break;
      case "run_finished":
        finished(c, ev);
        break;
    }
  }

  function finished(c: Current, ev: Finished): void {
    c.output.catchUp(ev.answer);
    c.finished = true;
    window.clearInterval(ticker);
    const href = `/apps/${page.appId}/runs/${c.runId}/`;
    const waiting = ev.status === "waiting";
    if (waiting) c.trace.offerAnswers((nodeId) => answerHref(href, nodeId));
    c.output.end(ev);
    const line = outcomeLine(ev, href);
    showStatus(line.state, line.parts);
    const runLink = must<HTMLAnchorElement>("trace-run-link");
    runLink.href = href;
    runLink.hidden = false;
    const body = byId("runs-body");
    if (body) {
      byId("runs-empty")?.remove();
      c.runStarted ??= new Date(new Date(ev.at).getTime() - ev.elapsed_ms);
      const tr = runRow(ev, href, body.dataset.sourceLabel ?? "", c.runStarted);
      if (c.runRow?.isConnected) c.runRow.replaceWith(tr);
      else body.insertBefore(tr, body.firstChild);
      c.runRow = tr;
    }
    endRun();
    if (waiting) follow(c);
  }

  /** Follow the waiting run shown until it ends: whoever answers it, its rest shows here. */
  function follow(c: Current): void {
    if (unfollow || !c.runId) return;
    unfollow = followRun(c.runId, (detail) => {
      if (current !== c) return false;
      if (detail.status === "running" && c.finished) resumed(c);
      for (const ev of catchUp(detail, (nodeId, path) => c.trace.statusOf(nodeId, path))) onEvent(c, ev);
      const goesOn = detail.status === "running" || detail.status === "waiting";
      if (!goesOn) unfollow = null;
      return goesOn;
    });
  }

  function stopFollowing(): void {
    unfollow?.();
    unfollow = null;
  }

  /** The waiting run was answered elsewhere and runs on: shown running again (its Stop is on
   * the page that answered it). */
  function resumed(c: Current): void {
    c.finished = false;
    c.startedAt = performance.now();
    c.trace.rerunWaiting();
    c.output.resume();
    setBusy(runButton, true, "Running…");
    if (queryBox) queryBox.disabled = true;
    if (newConversation) newConversation.disabled = true;
    showStatus("running", [el("span", "spinner"), runningLabel(c)]);
    window.clearInterval(ticker);
    ticker = window.setInterval(tick, 100);
  }

  function finishWithError(code: string, message: string, issues?: Partial<{ code: string; message: string; node_id: string | null; field: string | null }>[] | null): void {
    const c = current;
    if (c) {
      c.finished = true;
      c.output.fail(message);
      c.trace.failRunning();
    }
    window.clearInterval(ticker);
    const parts: (string | Node)[] = ["✕ ", el("code", "err-code", code), ` ${message}`];
    if (issues?.length) {
      const list = el("ul");
      issueItems(list, issues);
      parts.push(list);
    }
    showStatus("error", parts);
    endRun();
  }

  function endRun(): void {
    setBusy(runButton, false, runButton.dataset.idleLabel || "");
    if (queryBox) queryBox.disabled = false;
    if (newConversation) newConversation.disabled = !conversationId;
  }

  function onMessage(msg: ServerMessage): void {
    const c = current;
    if (!c) return;
    if (msg.type === "run_created") {
      c.runId = msg.run_id;
      if (chat && msg.conversation_id) {
        conversationId = msg.conversation_id;
        const label = must("conversation-id");
        label.textContent = conversationId.slice(0, 8);
        label.title = conversationId;
        must("conversation-label").hidden = false;
      }
    } else if (msg.type === "event") {
      onEvent(c, msg.event);
    } else if (!c.finished) {
      finishWithError(msg.code || "error", msg.message || "The run could not start.", msg.issues);
    }
  }

  function onClose(): void {
    if (current && !current.finished && !unfollow) {
      finishWithError("connection_lost", "The connection closed before the run finished. Its trace is still recorded in Recent runs.");
    }
  }

  function onProtocolError(reason: string): void {
    // Shown, not dropped; the run goes on (its trace is recorded whatever this page shows).
    statusBox.hidden = false;
    statusBox.append(el("div", "err-code", `${reason}. Reload the page.`));
  }

  function collectInputs(): Record<string, unknown> {
    const inputs: Record<string, unknown> = {};
    form!.querySelectorAll<HTMLInputElement>("[data-var-type]").forEach((input) => {
      const type = input.dataset.varType;
      if (type === "checkbox") inputs[input.name] = input.checked;
      else if (input.value !== "") inputs[input.name] = type === "number" ? Number(input.value) : input.value;
    });
    return inputs;
  }

  function start(event: SubmitEvent): void {
    event.preventDefault();
    if (current && !current.finished) return;
    if (!form!.reportValidity()) return;
    const query = queryBox ? queryBox.value.trim() : "";
    if (chat && !query) {
      queryBox?.focus();
      return;
    }
    stopFollowing(); // the page shows the new run
    const inputs = collectInputs();
    let output: Output;
    if (chat && transcript && queryBox) {
      output = ChatTurn.start(transcript, query);
      queryBox.value = "";
      queryBox.disabled = true;
    } else {
      output = WorkflowOutput.start();
    }
    const c: Current = { trace: new Trace(traceBody), output, finished: false, runId: null, runningNode: null, startedAt: performance.now(), runRow: null, runStarted: null };
    current = c;
    traceBody.textContent = "";
    must("trace").hidden = false;
    must("trace-run-link").hidden = true;
    setBusy(runButton, true, "Running…");
    if (newConversation) newConversation.disabled = true;
    showStatus("running", [el("span", "spinner"), " Connecting…"]);

    socket.send({ type: "run", origin: "portal", inputs, query, conversation_id: chat ? conversationId : null }).then(
      () => {
        if (c.finished) return;
        runningStatus(c);
        ticker = window.setInterval(tick, 100);
      },
      (err: unknown) => {
        const refused = err instanceof SocketClosedError && err.code === 4403;
        finishWithError("connect_failed", refused ? "You need the editor role to run this app." : "Could not connect to the run server.");
      },
    );
  }

  form.addEventListener("submit", start);
  queryBox?.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      form.requestSubmit();
    }
  });
  newConversation?.addEventListener("click", () => {
    if ((current && !current.finished) || !transcript) return;
    stopFollowing();
    conversationId = null;
    must("conversation-label").hidden = true;
    transcript.textContent = "";
    const p = el("p", "transcript-empty muted", "New conversation. Send a message to start.");
    p.id = "transcript-empty";
    transcript.append(p);
    statusBox.hidden = true;
    must("trace").hidden = true;
    newConversation.disabled = true;
    queryBox?.focus();
  });
}
