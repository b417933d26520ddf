// A waiting test run followed to its end. The app page's run socket streams only the runs this
// page starts (or resumes itself), and nothing pushes a run that is answered elsewhere (its run
// page in another tab, someone else, the Service API) to this page. So while the page shows a
// waiting run it reads the run (GET /api/runs/{id}) until it ends, and replays what it missed as
// the run's own events: they render as they would have live.
import { api, ApiFailure } from "../api/client";
import type { PauseForm, RunEvent } from "../api/messages";
import type { NodeRunOut, RunDetail } from "../api/types";
import { storedOrder } from "../run/format";
import { joinMetadata } from "../run/metadata";

export const FIRST_POLL_MS = 1000; // soon after a person answers
export const MAX_POLL_MS = 5000; // a run may wait for hours: read it less often while nothing changes

type EventOf<K extends RunEvent["kind"]> = Extract<RunEvent, { kind: K }>;
type Base = { run_id: string; seq: number; at: string };

/** The status the page shows for a run of a node (`path`: its item in each container), or
 * undefined when it shows none. */
export type Shown = (nodeId: string, path: number[] | null | undefined) => string | undefined;

const ENDED = ["succeeded", "failed", "stopped", "waiting"] as const;

/** The events that bring a page that shows `shown` up to the stored run `detail`: each node run
 * it lacks or shows otherwise, in the order they ran, then run_finished once the run has ended
 * (or waits again). Nothing while the run still waits as shown. */
export function catchUp(detail: RunDetail, shown: Shown): RunEvent[] {
  const at = detail.finished_at ?? new Date().toISOString();
  const base: Base = { run_id: detail.id, seq: 0, at };
  const ordered = storedOrder(detail.node_runs);
  const events = ordered.flatMap((n) => {
    const status = shown(n.node_id, n.iteration_path);
    return status === n.status ? [] : nodeEvents(base, n, detail, status === undefined);
  });
  const status = ENDED.find((s) => s === detail.status);
  if (status === undefined || (status === "waiting" && !events.length)) return events;
  const finished: EventOf<"run_finished"> = {
    ...base,
    kind: "run_finished",
    status,
    outputs: detail.outputs ?? {},
    answer: detail.answer ?? "",
    error_code: detail.error_code || null,
    error: detail.error || null,
    failed_node_id: detail.failed_node_id || null,
    elapsed_ms: detail.elapsed_ms,
    prompt_tokens: detail.prompt_tokens,
    completion_tokens: detail.completion_tokens,
    total_steps: detail.total_steps,
    metadata: joinMetadata(ordered.filter((n) => !n.reused_from && n.status === "succeeded").map((n) => n.metadata)),
    waiting: waitingOf(detail),
    conversation: {},
  };
  return [...events, finished];
}

/** A stored node run as the events that show it: started (its row, when `isNew`), then how it
 * ended. */
function nodeEvents(base: Base, n: NodeRunOut, detail: RunDetail, isNew: boolean): RunEvent[] {
  const where = { node_id: n.node_id, node_type: n.node_type, container_id: n.container_id || null, iteration_path: n.iteration_path?.length ? n.iteration_path : null };
  const started: RunEvent[] = isNew ? [{ ...base, ...where, kind: "node_started", title: n.title, index: n.index, predecessor_node_id: null, inputs: n.inputs ?? {} }] : [];
  const timing = { elapsed_ms: n.elapsed_ms, attempts: n.attempts };
  switch (n.status) {
    case "succeeded":
      return [...started, { ...base, ...where, ...timing, kind: "node_succeeded", outputs: n.outputs ?? {}, handle: n.handle, prompt_tokens: n.prompt_tokens, completion_tokens: n.completion_tokens, error_code: n.error_code || null, error: n.error || null, metadata: n.metadata ?? {} }];
    case "failed":
    case "stopped":
      return [...started, { ...base, ...where, ...timing, kind: "node_failed", error_code: n.error_code || n.status, error: n.error }];
    case "skipped":
      return [...started, { ...base, ...where, kind: "node_skipped" }];
    case "waiting": {
      const form = waitingOf(detail).find((f) => f.node_id === n.node_id) ?? (n.metadata?.form as PauseForm | undefined);
      return form ? [...started, { ...base, kind: "node_paused", node_id: n.node_id, node_type: n.node_type, form }] : started;
    }
    default:
      return started;
  }
}

// the server sends every field (the REST schema calls the ones with defaults optional)
const waitingOf = (detail: RunDetail) => (detail.waiting ?? []) as PauseForm[];

export type Load = (runId: string) => Promise<RunDetail>;
const loadRun: Load = (runId) => api<RunDetail>("GET", `/runs/${encodeURIComponent(runId)}`);

/** Read the run every so often and hand each reading to `onDetail` for as long as it answers
 * true: soon at first and after any change, less often while it stays the same; at once when the
 * tab comes back into view. A run this member can no longer read (404, 403) ends it quietly; a
 * failed read is tried again. Returns the function that stops following. */
export function followRun(runId: string, onDetail: (detail: RunDetail) => boolean, load: Load = loadRun): () => void {
  let stopped = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let delay = FIRST_POLL_MS;
  let last = "";
  let reading = false;

  const stop = () => {
    stopped = true;
    clearTimeout(timer);
    document.removeEventListener("visibilitychange", onVisible);
  };
  const schedule = () => {
    if (!stopped) timer = setTimeout(() => void read(), delay);
  };
  async function read(): Promise<void> {
    if (stopped || reading) return;
    reading = true;
    clearTimeout(timer);
    try {
      const detail = await load(runId);
      if (stopped) return;
      const seen = JSON.stringify(detail);
      delay = seen === last ? Math.min(MAX_POLL_MS, Math.round(delay * 1.5)) : FIRST_POLL_MS;
      last = seen;
      if (!onDetail(detail)) stop();
    } catch (err) {
      if (err instanceof ApiFailure && (err.status === 403 || err.status === 404)) stop();
      else delay = Math.min(MAX_POLL_MS, delay * 2);
    } finally {
      reading = false;
      schedule();
    }
  }
  function onVisible(): void {
    if (document.visibilityState === "visible") void read();
  }
  document.addEventListener("visibilitychange", onVisible);
  schedule();
  return stop;
}
