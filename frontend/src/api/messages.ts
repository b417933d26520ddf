// Names for the run WebSocket's messages and the run events they carry. They alias the types
// generated from builder/protocol.py (protocol.ts, `make schema`), so a server change of an event
// or message field shows up as a type error, and `make schema-check` fails until it is regenerated.
// `decodeTyped` checks any socket's messages by their `type` (the training job socket's too).
import type { components } from "./protocol";

type P = components["schemas"];
export type RunEvent = P["RunEvent"];
export type RunEventKind = RunEvent["kind"];
export type ServerMessage = P["ServerMessage"];
export type ClientMessage = P["ClientMessage"];
export type RunMessage = P["RunMessage"];
export type ErrorMessage = P["ErrorMessage"];
export type SocketIssue = P["IssueOut"];
export type PauseForm = P["PauseForm"];
export type ResumeMessage = P["ResumeMessage"];

// Records keyed by the generated unions: a kind added on the server is a type error here until
// it is listed (and so handled by the run state); one removed is a type error too.
const EVENT_KINDS: Record<RunEventKind, true> = {
  run_started: true,
  node_started: true,
  node_delta: true,
  node_log: true,
  text_chunk: true,
  node_succeeded: true,
  node_failed: true,
  node_skipped: true,
  node_paused: true,
  run_finished: true,
};
const MESSAGE_TYPES: Record<ServerMessage["type"], true> = { run_created: true, event: true, error: true };

export type Decoded<M = ServerMessage> = { ok: true; message: M } | { ok: false; error: string };

/** One message of a socket (`socket` names it in errors): JSON, an object, and a `type` among
 * `types`, a record keyed by the generated union's types (so a type added on the server is a type
 * error until the client lists it). Anything else is reported, never silently dropped. */
export function decodeTyped<M extends { type: string }>(data: unknown, socket: string, types: Record<M["type"], true>): Decoded<M> {
  if (typeof data !== "string") return { ok: false, error: `the ${socket} socket sent a binary message` };
  let msg: unknown;
  try {
    msg = JSON.parse(data);
  } catch {
    return { ok: false, error: `the ${socket} socket sent a message that is not JSON` };
  }
  if (!isObject(msg)) return { ok: false, error: `the ${socket} socket sent a message that is not an object` };
  const type = msg.type;
  if (typeof type !== "string" || !Object.hasOwn(types, type)) {
    return { ok: false, error: `the ${socket} socket sent a message of unknown type ${JSON.stringify(type)}` };
  }
  return { ok: true, message: msg as M };
}

/** One message from the run socket, checked by its `type` and (for events) its `kind`. */
export function decodeServerMessage(data: unknown): Decoded {
  const decoded = decodeTyped<ServerMessage>(data, "run", MESSAGE_TYPES);
  if (decoded.ok && decoded.message.type === "event") {
    const ev: unknown = decoded.message.event;
    const kind = isObject(ev) ? ev.kind : undefined;
    if (typeof kind !== "string" || !Object.hasOwn(EVENT_KINDS, kind)) {
      return { ok: false, error: `the run socket sent an event of unknown kind ${JSON.stringify(kind)}` };
    }
  }
  return decoded;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}
