import { describe, expect, it } from "vitest";

import { runEvent } from "../run/testing";
import { decodeServerMessage } from "./messages";

const raw = (msg: unknown) => JSON.stringify(msg);

describe("decodeServerMessage", () => {
  it("accepts every message type and event kind the server sends", () => {
    const ev = runEvent("r1", "node_succeeded", { node_id: "llm" });
    expect(decodeServerMessage(raw({ type: "event", event: ev }))).toEqual({ ok: true, message: { type: "event", event: ev } });
    expect(decodeServerMessage(raw({ type: "run_created", run_id: "r1", conversation_id: null })).ok).toBe(true);
    expect(decodeServerMessage(raw({ type: "error", code: "graph_invalid", message: "bad", issues: [] })).ok).toBe(true);
  });

  it("reports an unknown event kind instead of dropping it", () => {
    const decoded = decodeServerMessage(raw({ type: "event", event: { kind: "node_teleported", run_id: "r1", seq: 3 } }));
    expect(decoded).toEqual({ ok: false, error: 'the run socket sent an event of unknown kind "node_teleported"' });
  });

  it("reports an unknown message type, a missing event and text that is not JSON", () => {
    expect(decodeServerMessage(raw({ type: "hello" }))).toEqual({ ok: false, error: 'the run socket sent a message of unknown type "hello"' });
    expect(decodeServerMessage(raw({ type: "event" }))).toMatchObject({ ok: false, error: expect.stringContaining("unknown kind undefined") });
    expect(decodeServerMessage("{nope")).toMatchObject({ ok: false, error: expect.stringContaining("not JSON") });
    expect(decodeServerMessage(raw([1]))).toMatchObject({ ok: false, error: expect.stringContaining("not an object") });
  });
});
