// Keeps the server in step with the document: validates shortly after each edit (issues and
// node shapes come back) and autosaves a little later. A stale revision (409) stops autosave
// and offers a reload; the user's edits are never sent over someone else's.
import { api, ApiFailure } from "../api/client";
import type { WorkflowSpec } from "../api/spec";
import type { Draft, DraftSaved, GraphReport } from "../api/types";
import { graphToSpec, specToGraph } from "./graph";
import { emptyHistory } from "./history";

const CONVERSATION_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
import { useEditor, type EditorState } from "./store";

export const VALIDATE_DELAY_MS = 250;
export const SAVE_DELAY_MS = 800;

// What a traceback or a server's error page looks like: never shown to a person.
const SERVER_GUTS = /Traceback \(most recent call last\)|File "[^"]*", line \d+|<!doctype|<html|<body/i;

function plain(text: string, fallback: string): string {
  const line = text.trim().split("\n")[0].trim();
  if (!line || SERVER_GUTS.test(text)) return fallback;
  return line.length > 300 ? `${line.slice(0, 297)}…` : line;
}

/** What a failed call to the server says to a person: what failed and, where it can, what to
 * do; never a traceback, a server's error page or the raw checks of a request body. */
export function failureText(err: unknown): string {
  if (err instanceof ApiFailure) {
    const refused = `the server refused it (HTTP ${err.status})`;
    if (err.status >= 500) return `the server had a problem (HTTP ${err.status}); try again in a moment`;
    if (err.status === 401 || err.status === 403) return "you are signed out or may not edit this app; sign in again";
    if (err.status === 413) return "the workflow is too large to save";
    if (Array.isArray(err.data.detail)) return refused; // the request body's checks, said for code
    const more = Array.isArray(err.data.errors) && err.data.errors.length > 1 ? ` (and ${err.data.errors.length - 1} more)` : "";
    return plain(err.message, refused) + more;
  }
  if (err instanceof TypeError) return "the server could not be reached; check the connection";
  return plain(err instanceof Error ? err.message : String(err), "something went wrong");
}

export function currentSpec(s: EditorState = useEditor.getState()): WorkflowSpec {
  // a row whose name is still being typed stays in the editor: the server refuses such a name
  const conversation = s.conversation.filter((v) => CONVERSATION_NAME.test(v.name));
  return graphToSpec(s, { schema_version: 1, mode: s.mode, env: s.env, conversation_variables: conversation });
}

let validateTimer: ReturnType<typeof setTimeout> | undefined;
let saveTimer: ReturnType<typeof setTimeout> | undefined;
let validateSeq = 0;
let saving: Promise<void> | null = null;

export async function loadDraft(appId: number): Promise<void> {
  const draft = await api<Draft>("GET", `/apps/${appId}/draft`);
  const spec = draft.spec as unknown as WorkflowSpec;
  const graph = specToGraph(spec);
  const s = useEditor.getState();
  useEditor.setState({
    ...graph,
    env: spec.env ?? [],
    conversation: spec.conversation_variables ?? [],
    mode: spec.mode ?? s.mode,
    revision: draft.revision,
    report: { issues: draft.issues, nodes: draft.nodes ?? {}, globals: draft.globals ?? {} },
    history: emptyHistory(),
    save: { state: s.canEdit ? "saved" : "readonly" },
  });
}

async function validateNow(): Promise<void> {
  const s = useEditor.getState();
  const seq = ++validateSeq;
  try {
    const report = await api<GraphReport>("POST", `/apps/${s.appId}/validate`, { spec: currentSpec(s) });
    // The newest answer wins even if the user typed meanwhile: another check is already queued.
    if (seq === validateSeq) useEditor.getState().setReport(report);
  } catch (err) {
    if (err instanceof ApiFailure && err.status === 422) {
      useEditor.getState().setReport({ issues: [{ code: err.code, message: err.message, field: String(err.data.field ?? "") }], nodes: {}, globals: {} });
    }
  }
}

/** Save the document now if it has unsaved changes; resolves when the server has it. */
export async function saveNow(): Promise<void> {
  clearTimeout(saveTimer);
  if (saving) await saving;
  const s = useEditor.getState();
  if (s.save.state !== "dirty" && s.save.state !== "error") return;
  const version = s.docVersion;
  useEditor.setState({ save: { state: "saving" } });
  saving = (async () => {
    try {
      const res = await api<DraftSaved>("PUT", `/apps/${s.appId}/draft`, { spec: currentSpec(s), revision: s.revision });
      const now = useEditor.getState();
      const changed = now.docVersion !== version;
      useEditor.setState({ revision: res.revision, save: { state: changed ? "dirty" : "saved" } });
      if (!changed) now.setReport({ issues: res.issues, nodes: res.nodes, globals: res.globals });
      else schedule();
    } catch (err) {
      if (err instanceof ApiFailure && err.status === 409) {
        const rev = err.data.current_revision;
        useEditor.setState({ save: { state: "conflict", message: err.message, conflictRevision: typeof rev === "number" ? rev : null } });
      } else {
        // the document is left as it is: the user's work stays here, and the next edit (or
        // "Save again") sends it again
        useEditor.setState({ save: { state: "error", message: failureText(err) } });
      }
    } finally {
      saving = null;
    }
  })();
  await saving;
}

/** Mark the draft as in conflict when the server has a newer revision than this tab. */
export async function checkStale(): Promise<void> {
  const s = useEditor.getState();
  if (s.save.state === "readonly" || s.save.state === "loading" || s.save.state === "conflict") return;
  const draft = await api<Draft>("GET", `/apps/${s.appId}/draft`).catch(() => null);
  const now = useEditor.getState();
  if (draft && draft.revision > now.revision && now.save.state !== "saving") {
    useEditor.setState({ save: { state: "conflict", message: "The draft changed on the server.", conflictRevision: draft.revision } });
  }
}

function schedule(): void {
  clearTimeout(validateTimer);
  validateTimer = setTimeout(() => void validateNow(), VALIDATE_DELAY_MS);
  const st = useEditor.getState().save.state;
  if (st === "conflict" || st === "readonly" || st === "loading") return;
  clearTimeout(saveTimer);
  saveTimer = setTimeout(() => void saveNow(), SAVE_DELAY_MS);
}

/** Start watching the store; returns the unsubscribe function. */
export function startSync(): () => void {
  const unsub = useEditor.subscribe((s, prev) => {
    if (s.docVersion === prev.docVersion) return;
    if (s.save.state === "saved" || s.save.state === "error") useEditor.setState({ save: { state: "dirty" } });
    schedule();
  });
  // Back to a tab that sat idle: if someone saved meanwhile, say so before the user edits.
  const onFocus = () => void checkStale();
  window.addEventListener("focus", onFocus);
  const beforeUnload = (e: BeforeUnloadEvent) => {
    const st = useEditor.getState().save.state;
    if (st === "dirty" || st === "saving") {
      void saveNow();
      e.preventDefault();
    }
  };
  window.addEventListener("beforeunload", beforeUnload);
  return () => {
    unsub();
    window.removeEventListener("beforeunload", beforeUnload);
    window.removeEventListener("focus", onFocus);
    clearTimeout(validateTimer);
    clearTimeout(saveTimer);
  };
}
