import { describe, expect, it } from "vitest";

import { queuedJob, snapshotOf } from "./fixtures/jobs";
import { addCurvePoint, applyEvent, curveSeries, decodeJobMessage, foldMessage, fractionDone, mergeCurves, mergeDetail, statusWords, type SocketMessage } from "./live";

const start = { event: "start", total_steps: 40, epochs: 2, train_rows: 90, val_rows: 10, replay_rows: 90, compute_type: "fp32", device: "cpu" };
const step = (n: number, loss: number) => ({ event: "step", step: n, total_steps: 40, epoch: n / 20, loss, lr: 1e-4 * (1 - n / 40), tokens_per_s: 900, eta_s: (40 - n) * 2, memory_mb: 1100 });

describe("job state from trainer events", () => {
  it("builds the loss and learning-rate curves from step events, in step order", () => {
    let job = queuedJob();
    for (const [n, loss] of [[1, 2.5], [2, 2.1], [3, 1.8]] as const) job = applyEvent(job, step(n, loss));
    expect(job.curve.map((p) => p.step)).toEqual([1, 2, 3]);
    expect(curveSeries(job.curve, "loss")).toEqual([{ x: 1, y: 2.5 }, { x: 2, y: 2.1 }, { x: 3, y: 1.8 }]);
    expect(curveSeries(job.curve, "lr")[0].y).toBeCloseTo(9.75e-5);
    expect(job.progress).toMatchObject({ step: 3, total_steps: 40, loss: 1.8, tokens_per_s: 900, eta_s: 74 });
  });

  it("replaces a step seen again (a resumed run) and leaves out steps without a value", () => {
    const curve = addCurvePoint(addCurvePoint([{ step: 1, loss: 2 }, { step: 2, loss: 1.5 }], { step: 3, loss: 1.2 }), { step: 2, loss: 1.4 });
    expect(curve).toEqual([{ step: 1, loss: 2 }, { step: 2, loss: 1.4 }, { step: 3, loss: 1.2 }]);
    expect(curveSeries([{ step: 1, loss: null, lr: 1e-4 }], "loss")).toEqual([]);
    expect(mergeCurves([{ step: 1, loss: 2 }, { step: 3, loss: 1 }], [{ step: 2, loss: 1.5 }, { step: 3, loss: 0.9 }])).toEqual([
      { step: 1, loss: 2 },
      { step: 2, loss: 1.5 },
      { step: 3, loss: 0.9 },
    ]);
  });

  it("takes the plan from start, notes once each, the checkpoint, the evaluation and errors", () => {
    let job = applyEvent(queuedJob(), start);
    expect(job.status).toBe("running");
    expect(job.progress).toMatchObject({ total_steps: 40, epochs: 2, replay_rows: 90, compute_type: "fp32", device: "cpu" });
    job = applyEvent(job, { event: "note", message: "bf16 is not supported here: fp32" });
    job = applyEvent(job, { event: "note", message: "bf16 is not supported here: fp32" });
    expect(job.progress.notes).toEqual(["bf16 is not supported here: fp32"]);
    job = applyEvent(job, { event: "checkpoint", step: 20, path: "/x/checkpoints/step-20" });
    expect(job.progress.checkpoint).toEqual({ step: 20, path: "/x/checkpoints/step-20" });
    job = applyEvent(job, { event: "eval", learned: 0.9, preserved: 0.8, details: { held_out: [] } });
    expect(job.eval).toEqual({ learned: 0.9, preserved: 0.8, details: { held_out: [] } });
    job = applyEvent(job, { event: "error", code: "out_of_memory", message: "does not fit", setting: "batch_size" });
    expect([job.error_code, job.error, job.error_setting]).toEqual(["out_of_memory", "does not fit", "batch_size"]);
    expect(applyEvent(job, { event: "unknown" })).toBe(job);
  });
});

describe("socket messages folded into the job", () => {
  it("starts from the snapshot, then applies progress and status messages", () => {
    const messages: SocketMessage[] = [
      snapshotOf(queuedJob({ status: "running", curve: [{ step: 1, loss: 2.5, lr: 1e-4 }], progress: { step: 1, total_steps: 40, notes: [] } })),
      { type: "progress", seq: 3, event: step(2, 2.2) },
      { type: "progress", seq: 4, event: step(3, 2.0) },
      { type: "status", status: "succeeded" },
    ];
    let job = null;
    const seen: number[] = [];
    for (const m of messages) {
      job = foldMessage(job, m);
      seen.push(job!.curve.length);
    }
    expect(seen).toEqual([1, 2, 3, 3]);
    expect(job!.status).toBe("succeeded");
    expect(fractionDone(job!)).toBe(1);
  });

  it("ignores events before the snapshot; a second snapshot keeps the curve already drawn", () => {
    expect(foldMessage(null, { type: "progress", seq: 1, event: step(1, 2) })).toBeNull();
    let job = foldMessage(null, snapshotOf(queuedJob()))!;
    job = foldMessage(job, { type: "progress", seq: 1, event: step(1, 2) })!;
    job = foldMessage(job, { type: "progress", seq: 2, event: step(2, 1.9) })!;
    job = foldMessage(job, snapshotOf(queuedJob({ status: "running", curve: [{ step: 1, loss: 2 }], progress: { step: 1, notes: [] } })))!;
    expect(job.curve.map((p) => p.step)).toEqual([1, 2]);
    expect(job.progress.step).toBe(2); // the furthest progress wins
  });

  it("keeps the job as it was on the error sent before a 4403 close (access revoked)", () => {
    const job = foldMessage(null, snapshotOf(queuedJob({ status: "running" })))!;
    const after = foldMessage(job, { type: "error", code: "forbidden", message: "you no longer may watch this job" });
    expect(after).toBe(job);
  });

  it("words stopping, stopped and interrupted jobs, and clears the stop flag when they end", () => {
    let job = foldMessage(null, snapshotOf(queuedJob({ status: "running", stop_requested: true })))!;
    expect(statusWords(job)).toBe("stopping…");
    job = foldMessage(job, { type: "status", status: "stopped" })!;
    expect([job.stop_requested, job.resumable, statusWords(job)]).toEqual([false, true, "stopped — resumable"]);
    expect(statusWords(queuedJob({ status: "interrupted", resumable: true }))).toBe("interrupted — resumable");
  });

  it("merges a polled job: the server's log tail, eval and adapter with our longer curve", () => {
    const ours = queuedJob({ status: "running", curve: [{ step: 1 }, { step: 2 }, { step: 3 }], progress: { step: 3, notes: ["a"] } });
    const fresh = queuedJob({ status: "succeeded", adapter: "identity-v1", curve: [{ step: 1 }], progress: { step: 40, notes: ["b"] }, log_tail: ["done"] });
    const merged = mergeDetail(ours, fresh);
    expect(merged.curve).toHaveLength(3);
    expect(merged.progress).toMatchObject({ step: 40, notes: ["a", "b"] });
    expect([merged.status, merged.adapter, merged.log_tail]).toEqual(["succeeded", "identity-v1", ["done"]]);
  });
});

describe("decodeJobMessage", () => {
  const raw = (v: unknown) => JSON.stringify(v);

  it("accepts each message type the job socket sends", () => {
    const snapshot = snapshotOf(queuedJob({ status: "running" }));
    expect(decodeJobMessage(raw(snapshot))).toEqual({ ok: true, message: snapshot });
    const progress = { type: "progress", seq: 2, event: { event: "step", step: 1, loss: 2 } };
    expect(decodeJobMessage(raw(progress))).toEqual({ ok: true, message: progress });
    expect(decodeJobMessage(raw({ type: "status", status: "succeeded" })).ok).toBe(true);
    expect(decodeJobMessage(raw({ type: "error", code: "forbidden", message: "no" })).ok).toBe(true);
  });

  it("reports an unknown type, and what is not a JSON object, naming the job socket", () => {
    expect(decodeJobMessage(raw({ type: "run_created", run_id: "r1" }))).toEqual({
      ok: false,
      error: 'the job socket sent a message of unknown type "run_created"',
    });
    expect(decodeJobMessage(raw({ seq: 1 }))).toMatchObject({ ok: false, error: expect.stringContaining("unknown type undefined") });
    expect(decodeJobMessage("{nope")).toMatchObject({ ok: false, error: "the job socket sent a message that is not JSON" });
    expect(decodeJobMessage(raw([1]))).toMatchObject({ ok: false, error: expect.stringContaining("not an object") });
    expect(decodeJobMessage(new ArrayBuffer(1))).toMatchObject({ ok: false, error: "the job socket sent a binary message" });
  });
});
