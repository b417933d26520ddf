// A job's state as the job page shows it, folded from the WebSocket's messages (a snapshot, then
// trainer events and status changes) and from polled GETs. Pure functions: no React, no sockets.
import { decodeTyped, type Decoded } from "../api/messages";
import type { components } from "../api/protocol";
import type { TrainingCurvePoint, TrainingJobDetail } from "../api/types";
import type { Point } from "./charts";

export type JobStatus = TrainingJobDetail["status"];

// The job socket's messages, generated from training/protocol.py (protocol.ts, `make schema`).
type P = components["schemas"];
/** One trainer event (progress.jsonl line), see training/README.md. */
export type TrainerEvent = P["TrainerEvent"];
/** snapshot, progress, status, or error (access revoked; the socket then closes 4403). */
export type SocketMessage = P["TrainingServerMessage"];

const MESSAGE_TYPES: Record<SocketMessage["type"], true> = { snapshot: true, progress: true, status: true, error: true };

/** One message from the job socket, checked by its `type` (an unknown one is an error to report). */
export function decodeJobMessage(data: unknown): Decoded<SocketMessage> {
  return decodeTyped<SocketMessage>(data, "job", MESSAGE_TYPES);
}

export const ACTIVE: readonly JobStatus[] = ["queued", "running"];
export const TERMINAL: readonly JobStatus[] = ["succeeded", "failed", "stopped", "interrupted"];

export function isActive(status: JobStatus | undefined): boolean {
  return status !== undefined && ACTIVE.includes(status);
}

function num(v: unknown): number | null {
  return typeof v === "number" && Number.isFinite(v) ? v : null;
}

/** Add or replace the curve point of `point.step`, keeping the curve ordered by step. */
export function addCurvePoint(curve: TrainingCurvePoint[], point: TrainingCurvePoint): TrainingCurvePoint[] {
  const last = curve[curve.length - 1];
  if (!last || last.step < point.step) return [...curve, point];
  const rest = curve.filter((p) => p.step !== point.step);
  return [...rest, point].sort((a, b) => a.step - b.step);
}

/** The union of two curves by step (`b` wins where both have a step). */
export function mergeCurves(a: TrainingCurvePoint[], b: TrainingCurvePoint[]): TrainingCurvePoint[] {
  const byStep = new Map<number, TrainingCurvePoint>();
  for (const p of a) byStep.set(p.step, p);
  for (const p of b) byStep.set(p.step, { ...byStep.get(p.step), ...p });
  return [...byStep.values()].sort((x, y) => x.step - y.step);
}

/** Chart points of one series of the curve (steps without a value are left out). */
export function curveSeries(curve: TrainingCurvePoint[], key: "loss" | "lr"): Point[] {
  return curve.flatMap((p) => (num(p[key]) === null ? [] : [{ x: p.step, y: p[key] as number }]));
}

/** Apply one trainer event to the job. */
export function applyEvent(job: TrainingJobDetail, e: TrainerEvent): TrainingJobDetail {
  const progress = { ...job.progress, notes: [...(job.progress.notes ?? [])] };
  switch (e.event) {
    case "start": {
      for (const k of ["total_steps", "epochs", "train_rows", "val_rows", "replay_rows"] as const) {
        if (num(e[k]) !== null) progress[k] = e[k] as number;
      }
      for (const k of ["compute_type", "device"] as const) if (typeof e[k] === "string") progress[k] = e[k] as string;
      return { ...job, status: job.status === "queued" ? "running" : job.status, progress };
    }
    case "note":
      if (typeof e.message === "string" && !progress.notes.includes(e.message)) progress.notes.push(e.message);
      return { ...job, progress };
    case "step": {
      for (const k of ["step", "total_steps", "epoch", "loss", "lr", "tokens_per_s", "eta_s", "memory_mb"] as const) {
        if (num(e[k]) !== null) progress[k] = e[k] as number;
      }
      const step = num(e.step);
      const curve = step === null ? job.curve : addCurvePoint(job.curve, { step, loss: num(e.loss), lr: num(e.lr) });
      return { ...job, status: job.status === "queued" ? "running" : job.status, progress, curve };
    }
    case "checkpoint":
      progress.checkpoint = { step: e.step, path: e.path };
      return { ...job, progress };
    case "eval":
      return {
        ...job,
        eval: { learned: num(e.learned), preserved: num(e.preserved), details: (e.details as Record<string, unknown>) ?? {} },
      };
    case "done":
      return { ...job, progress: { ...progress, eta_s: 0 } };
    case "stopped":
      if (typeof e.checkpoint === "string") progress.checkpoint = { ...(progress.checkpoint ?? {}), path: e.checkpoint };
      return { ...job, progress };
    case "error":
      return {
        ...job,
        error_code: String(e.code ?? "crash"),
        error: String(e.message ?? ""),
        error_setting: typeof e.setting === "string" ? e.setting : "",
      };
    default:
      return job;
  }
}

/** Apply one socket message; a snapshot replaces what we had, keeping the longer curve. */
export function foldMessage(job: TrainingJobDetail | null, msg: SocketMessage): TrainingJobDetail | null {
  if (msg.type === "snapshot") {
    const { type: _type, ...detail } = msg;
    return job ? mergeDetail(job, detail) : detail;
  }
  if (!job) return job;
  if (msg.type === "status") {
    const done = TERMINAL.includes(msg.status);
    return {
      ...job,
      status: msg.status,
      stop_requested: done ? false : job.stop_requested,
      resumable: msg.status === "stopped" || msg.status === "interrupted" || msg.status === "failed",
    };
  }
  if (msg.type !== "progress") return job;
  return applyEvent(job, msg.event);
}

/** A freshly fetched job over the one we have: the server's fields, the furthest progress and
 * the union of both curves (a snapshot's curve may lag the events already shown). */
export function mergeDetail(ours: TrainingJobDetail, fresh: TrainingJobDetail): TrainingJobDetail {
  const ourStep = ours.progress.step ?? -1;
  const freshStep = fresh.progress.step ?? -1;
  const progress =
    freshStep >= ourStep
      ? { ...fresh.progress, notes: unique([...(ours.progress.notes ?? []), ...(fresh.progress.notes ?? [])]) }
      : { ...ours.progress, notes: unique([...(ours.progress.notes ?? []), ...(fresh.progress.notes ?? [])]) };
  return {
    ...fresh,
    progress,
    curve: mergeCurves(ours.curve, fresh.curve),
    eval: fresh.eval ?? ours.eval,
    log_tail: fresh.log_tail.length ? fresh.log_tail : ours.log_tail,
  };
}

function unique(xs: string[]): string[] {
  return [...new Set(xs)];
}

/** Share of the planned steps done, 0..1 (1 once succeeded). */
export function fractionDone(job: Pick<TrainingJobDetail, "status" | "progress">): number {
  if (job.status === "succeeded") return 1;
  const { step, total_steps } = job.progress;
  if (!total_steps || step == null) return 0;
  return Math.min(1, Math.max(0, step / total_steps));
}

const STATUS_WORDS: Record<JobStatus, string> = {
  queued: "queued",
  running: "running",
  succeeded: "succeeded",
  failed: "failed",
  stopped: "stopped — resumable",
  interrupted: "interrupted — resumable",
};

/** The status as the pill words it. */
export function statusWords(job: Pick<TrainingJobDetail, "status" | "stop_requested" | "resumable">): string {
  if (job.stop_requested && isActive(job.status)) return "stopping…";
  return STATUS_WORDS[job.status] ?? job.status;
}
