// What the run panel keeps besides the run itself (which lives in the editor store's `run`):
// the socket's last error, the chat preview's conversation, the form's values, and which run a
// "Run from here" reuses. Module-level, so closing and reopening the panel loses nothing.
import { create } from "zustand";

import type { RunState } from "../state/run";
import type { FormValues } from "./format";
import type { Citation } from "./metadata";
import type { SocketIssue } from "../api/messages";

export interface RunError {
  code: string;
  message: string;
  issues?: SocketIssue[];
  field?: string;
}

export interface ChatMessage {
  id: number;
  role: "user" | "assistant";
  text: string;
  status?: RunState["status"];
  error?: string | null;
  elapsedMs?: number | null;
  tokens?: number;
  citations?: Citation[]; // the answer's sources, from the run's metadata
  runId?: string | null; // the run that gives the answer: the one a waiting turn's form resumes
}

/** full: the whole graph; node: one node with hand-filled inputs; from: again from a node. */
export type RunKind = "full" | "node" | "from";

export interface RunSession {
  phase: "idle" | "saving" | "connecting" | "running";
  stopping: boolean;
  kind: RunKind | null;
  nodeId: string | null; // the node of a "node" or "from" run
  error: RunError | null;
  conversationId: string | null;
  messages: ChatMessage[];
  baseRunId: string | null; // the last whole run (or re-run): what "Run from here" reuses
  lastRequest: { inputs: Record<string, unknown>; query: string } | null;
  startedAt: number | null;
  form: FormValues; // the start variables the user typed
  chatDraft: string;
}

export const initialSession: RunSession = {
  phase: "idle",
  stopping: false,
  kind: null,
  nodeId: null,
  error: null,
  conversationId: null,
  messages: [],
  baseRunId: null,
  lastRequest: null,
  startedAt: null,
  form: {},
  chatDraft: "",
};

export const useRunSession = create<RunSession>()(() => initialSession);

export function patchSession(patch: Partial<RunSession>): void {
  useRunSession.setState(patch);
}

export function isBusy(s: RunSession = useRunSession.getState()): boolean {
  return s.phase !== "idle";
}
