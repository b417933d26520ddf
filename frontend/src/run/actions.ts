// Starting and stopping draft runs over the WebSocket, and folding their events into the editor
// store (the canvas lights up from `run.nodes`). Runs use the server's saved draft, so every
// start awaits saveNow() first.
import { api } from "../api/client";
import type { components } from "../api/schema";
import type { RunDetail } from "../api/types";
import { applyRunEvent, startRun as freshRun, type RunState } from "../state/run";
import { useEditor } from "../state/store";
import { saveNow } from "../state/sync";
import { reusedNodes, runFromDetail, type FormValues } from "./format";
import { citationsOf } from "./metadata";
import { initialSession, patchSession, useRunSession, type ChatMessage, type RunError, type RunKind } from "./session";
import type { RunMessage, ServerMessage } from "../api/messages";
import { RunSocket, runSocketUrl, SocketClosedError, type SocketFactory } from "./socket";

export interface StartOptions {
  inputs?: Record<string, unknown>;
  query?: string;
  conversationId?: string | null;
  nodeId?: string; // run only this node, with nodeInputs for what it reads
  nodeInputs?: Record<string, unknown>;
  fromNode?: string; // run again from this node, reusing the last run's other results
  chat?: boolean; // a turn of the chat preview: adds messages, keeps the conversation
}

type RunSummary = components["schemas"]["RunOut"];

interface InFlight {
  prev: RunState; // restored when the server refuses the run
  kind: RunKind;
  chat: boolean;
  resumed: boolean; // a waiting run going on: a refusal puts the pause back, not the turn
  query: string;
  runId: string | null;
}

let factory: SocketFactory | undefined;
let socket: RunSocket | null = null;
let socketAppId = 0;
let inflight: InFlight | null = null;
let currentRunId: string | null = null;
let nextMessageId = 1;

/** Use another WebSocket implementation (tests); drops the current socket. */
export function setSocketFactory(f: SocketFactory | undefined): void {
  factory = f;
  closeRunSocket();
}

/** Close the socket and forget the run in flight and the session (tests, app switch). */
export function resetRuns(): void {
  closeRunSocket();
  inflight = null;
  currentRunId = null;
  useRunSession.setState(initialSession, true);
}

export function closeRunSocket(): void {
  socket?.close();
  socket = null;
}

function getSocket(): RunSocket {
  const appId = useEditor.getState().appId;
  if (!socket || socketAppId !== appId) {
    socket?.close();
    socket = new RunSocket(runSocketUrl(appId), { onMessage, onClose, onProtocolError }, factory);
    socketAppId = appId;
  }
  return socket;
}

/** A "run" message that always says its inputs and query. */
type FullRunMessage = RunMessage & { inputs: Record<string, unknown>; query: string };

/** The "run" message for these options; `fromRun` is the run a "from" re-run reuses. */
export function buildRunMessage(opts: StartOptions, fromRun: string | null): FullRunMessage {
  const msg: FullRunMessage = {
    type: "run",
    inputs: opts.inputs ?? {},
    query: opts.query ?? "",
    conversation_id: opts.conversationId ?? null,
  };
  if (opts.nodeId) {
    msg.node_id = opts.nodeId;
    msg.node_inputs = opts.nodeInputs ?? {};
  } else if (opts.fromNode && fromRun) {
    msg.from_node = opts.fromNode;
    msg.from_run = fromRun;
  }
  return msg;
}

function kindOf(opts: StartOptions): RunKind {
  return opts.nodeId ? "node" : opts.fromNode ? "from" : "full";
}

/** Start a run; resolves false (with the reason in the session's error) when it could not. */
export async function startRun(opts: StartOptions): Promise<boolean> {
  const session = useRunSession.getState();
  if (session.phase !== "idle" || inflight) return false;
  const kind = kindOf(opts);
  const chat = !!opts.chat && kind === "full";
  patchSession({ phase: "saving", error: null, stopping: false });

  await saveNow();
  const editor = useEditor.getState();
  if (editor.save.state === "conflict" || editor.save.state === "error") {
    patchSession({
      phase: "idle",
      error: { code: "draft_not_saved", message: "The draft could not be saved, so the run would not see your latest edits. Fix the save problem shown above, then run again." },
    });
    return false;
  }
  const fromRun = kind === "from" ? (useRunSession.getState().baseRunId ?? editor.run.runId) : null;
  if (kind === "from" && !fromRun) {
    patchSession({ phase: "idle", error: { code: "no_previous_run", message: "Run the whole workflow once first: a re-run reuses its results." } });
    return false;
  }

  const prev = editor.run;
  const keep = kind === "from" ? reusedNodes(prev, opts.fromNode!, editor.edges) : kind === "node" ? Object.keys(prev.nodes).filter((id) => id !== opts.nodeId) : [];
  const last = useRunSession.getState().lastRequest;
  const message = buildRunMessage(
    kind === "from" && last ? { ...opts, inputs: opts.inputs ?? last.inputs, query: opts.query ?? last.query } : opts,
    fromRun,
  );
  inflight = { prev, kind, chat, resumed: false, query: message.query, runId: null };
  editor.setRun((p) => freshRun(p, keep, kind === "from"));
  const added: ChatMessage[] = chat
    ? [
        { id: nextMessageId++, role: "user", text: message.query },
        { id: nextMessageId++, role: "assistant", text: "", status: "running" },
      ]
    : [];
  patchSession({
    phase: "connecting",
    kind,
    nodeId: opts.nodeId ?? opts.fromNode ?? null,
    startedAt: Date.now(),
    ...(kind === "full" ? { lastRequest: { inputs: message.inputs, query: message.query } } : {}),
    ...(chat ? { messages: [...useRunSession.getState().messages, ...added], chatDraft: "" } : {}),
  });

  try {
    await getSocket().send(message);
  } catch (err) {
    refused({
      code: "disconnected",
      message:
        err instanceof SocketClosedError
          ? "Could not connect to the run server. Check that you are signed in with the editor role and that the server is up, then try again."
          : String(err),
    });
    return false;
  }
  if (inflight) patchSession({ phase: "running" });
  return true;
}

/** Answer the form of the waiting run shown: it resumes over the socket where it stopped, and
 * its events fold into the run shown (the nodes that finished keep their results). The chat
 * preview's turn that paused gets the rest of its answer. Resolves false when it could not
 * start; a refusal (a bad answer, a run no longer waiting) is shown in the session's error and
 * the run stays as it was. */
export async function resumeRun(nodeId: string, answers: Record<string, unknown>): Promise<boolean> {
  const editor = useEditor.getState();
  const runId = editor.run.runId;
  if (useRunSession.getState().phase !== "idle" || inflight || !runId || editor.run.status !== "waiting") return false;
  const last = useRunSession.getState().messages.at(-1);
  const chat = last?.role === "assistant" && last.runId === runId;
  inflight = { prev: editor.run, kind: "full", chat, resumed: true, query: "", runId: null };
  currentRunId = runId;
  editor.setRun((p) => ({ ...p, status: "running", waiting: [] }));
  if (chat) updateAssistant();
  patchSession({ phase: "connecting", error: null, stopping: false, kind: "full", nodeId: null, startedAt: Date.now() });
  try {
    await getSocket().send({ type: "resume", run_id: runId, node_id: nodeId, answers });
  } catch {
    refused({ code: "disconnected", message: "Could not connect to the run server to send the answer. Check that the server is up, then try again." });
    return false;
  }
  if (inflight) patchSession({ phase: "running" });
  return true;
}

/** Ask the server to stop the run in flight; it answers with run_finished "stopped". */
export function stopRun(): void {
  if (!inflight || !socket) return;
  patchSession({ stopping: true });
  socket.send({ type: "stop" }).catch(() => undefined);
}

/** Forget the chat preview's conversation: the next message starts a new one. */
export function newConversation(): void {
  if (inflight?.chat) return;
  patchSession({ conversationId: null, messages: [], error: null });
}

/** One turn of the chat preview, in the current conversation. */
export function sendChat(query: string, inputs: Record<string, unknown>): Promise<boolean> {
  return startRun({ inputs, query, conversationId: useRunSession.getState().conversationId, chat: true });
}

/** Show a stored run (from the recent runs list) as if it had just run. */
export async function showPastRun(runId: string): Promise<void> {
  if (inflight) return;
  try {
    show(await api<RunDetail>("GET", `/runs/${encodeURIComponent(runId)}`));
  } catch (err) {
    patchSession({ error: { code: "load_failed", message: `Could not load that run: ${err instanceof Error ? err.message : String(err)}` } });
  }
}

function show(detail: RunDetail): void {
  useEditor.getState().setRun(runFromDetail(detail));
  currentRunId = detail.id;
  patchSession({
    baseRunId: detail.id,
    kind: "full",
    nodeId: null,
    error: null,
    lastRequest: { inputs: detail.inputs ?? {}, query: typeof detail.inputs?.["sys.query"] === "string" ? (detail.inputs["sys.query"] as string) : "" },
  });
}

/** A run's inputs as the start form's values (sys.* and values a form cannot hold left out). */
export function formFromInputs(inputs: Record<string, unknown>): FormValues {
  const form: FormValues = {};
  for (const [name, v] of Object.entries(inputs)) {
    if (name.includes(".")) continue;
    if (typeof v === "string" || typeof v === "boolean") form[name] = v;
    else if (typeof v === "number") form[name] = String(v);
  }
  return form;
}

/** On editor load: the app's last finished run of the draft (not a one-node debug run, not a
 * published version's), so the canvas shows its node states, the inputs form its inputs and "Run
 * from here" reuses it, as before the reload. Nothing is shown when there is none or it cannot be read. */
export async function loadLastRun(appId: number): Promise<void> {
  const untouched = () => !inflight && useEditor.getState().appId === appId && useEditor.getState().run.runId === null;
  try {
    const runs = await api<RunSummary[]>("GET", `/apps/${appId}/runs?limit=20`);
    const last = runs.find((r) => r.source === "draft" && r.status !== "running");
    if (!last || !untouched()) return;
    const detail = await api<RunDetail>("GET", `/runs/${encodeURIComponent(last.id)}`);
    if (!untouched()) return; // a run started meanwhile wins
    show(detail);
    // the inputs form as it was for that run, unless something was typed meanwhile
    if (!Object.keys(useRunSession.getState().form).length) patchSession({ form: formFromInputs(detail.inputs ?? {}) });
  } catch {
    // the last run is a convenience: the editor works without it, and Recent runs says errors
  }
}

// ---- what the server sends ---------------------------------------------------------------------

function onMessage(msg: ServerMessage): void {
  if (msg.type === "run_created") {
    if (!inflight) return;
    inflight.runId = msg.run_id;
    currentRunId = msg.run_id;
    useEditor.getState().setRun((p) => ({ ...p, runId: msg.run_id }));
    patchSession({
      phase: "running",
      ...(inflight.kind !== "node" ? { baseRunId: msg.run_id } : {}),
      ...(inflight.chat && msg.conversation_id ? { conversationId: msg.conversation_id } : {}),
    });
  } else if (msg.type === "event") {
    const ev = msg.event;
    if (!ev || ev.run_id !== currentRunId) return; // a stale run's tail
    useEditor.getState().setRun((p) => applyRunEvent(p, ev));
    if (inflight?.chat && (ev.kind === "text_chunk" || ev.kind === "run_finished")) updateAssistant();
    if (ev.kind === "run_finished") finish();
  } else if (msg.type === "error") {
    const error: RunError = { code: msg.code, message: msg.message, issues: msg.issues ?? undefined, field: msg.field ?? undefined };
    if (inflight && !inflight.runId) refused(error);
    else if (inflight) {
      useEditor.getState().setRun((p) => ({ ...p, status: "failed", error: msg.message, errorCode: msg.code }));
      patchSession({ error });
      finish();
    } else patchSession({ error });
  }
}

/** A message this client cannot read: said in the panel; the run (if any) goes on. */
function onProtocolError(reason: string): void {
  patchSession({ error: { code: "protocol_error", message: `${reason}. Reload the page to get the editor that matches the server.` } });
}

function onClose(): void {
  if (!inflight) return;
  const lost = "the connection dropped before the run finished";
  useEditor.getState().setRun((p) => ({
    ...p,
    status: "failed",
    error: lost,
    errorCode: "disconnected",
    nodes: Object.fromEntries(Object.entries(p.nodes).map(([id, n]) => [id, n.status === "running" ? { ...n, status: "failed", error: lost } : n])),
  }));
  if (inflight.chat) updateAssistant();
  patchSession({
    error: {
      code: "disconnected",
      message: "The connection to the server dropped. The run goes on there and its trace is kept (see Recent runs); the next run reconnects.",
    },
  });
  finish();
}

/** The server refused the run before creating it: put back what was shown before. */
function refused(error: RunError): void {
  const f = inflight;
  inflight = null;
  if (!f) return;
  useEditor.getState().setRun(f.prev);
  const s = useRunSession.getState();
  patchSession({
    phase: "idle",
    stopping: false,
    error,
    ...(f.chat && !f.resumed ? { messages: s.messages.slice(0, -2), chatDraft: s.chatDraft || f.query } : {}),
  });
  if (f.chat && f.resumed) updateAssistant(); // the turn waits again, with its form
}

function finish(): void {
  inflight = null;
  patchSession({ phase: "idle", stopping: false });
}

/** The chat preview's last bubble follows the run's answer and status. */
function updateAssistant(): void {
  const run = useEditor.getState().run;
  const messages = useRunSession.getState().messages;
  const last = messages[messages.length - 1];
  if (!last || last.role !== "assistant") return;
  const done = run.status !== "running";
  patchSession({
    messages: [
      ...messages.slice(0, -1),
      {
        ...last,
        text: run.answer,
        status: run.status,
        error: run.error,
        elapsedMs: done ? run.elapsedMs : null,
        tokens: done ? run.promptTokens + run.completionTokens : undefined,
        citations: done ? citationsOf(run.metadata) : undefined,
        runId: run.runId,
      },
    ],
  });
}
