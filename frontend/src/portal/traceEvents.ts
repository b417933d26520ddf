// How a run's node events show on the app page's live trace (trace.ts): each on its node's row,
// as they stream from the run socket or are replayed for a run followed after its pause.
import type { RunEvent } from "../api/messages";
import { ms, must, pretty } from "./dom";
import { Trace, type Row } from "./trace";

type NodeKind = "node_started" | "node_delta" | "node_succeeded" | "node_failed" | "node_skipped" | "node_paused";
export type NodeEvent = Extract<RunEvent, { kind: NodeKind }>;

/** Show a node event on its row (added on the node's first event); returns the row. */
export function showNodeEvent(trace: Trace, ev: NodeEvent): Row {
  const row = trace.row(ev.node_id, ev);
  switch (ev.kind) {
    case "node_started":
      row.startedAt = performance.now();
      break;
    case "node_delta":
      row.streamed[ev.port] = (row.streamed[ev.port] || "") + ev.text;
      row.outputsPre.textContent = pretty(row.streamed);
      break;
    case "node_succeeded":
      succeeded(trace, row, ev);
      break;
    case "node_failed":
      trace.setStatus(row, "failed");
      row.elapsed.textContent = ms(ev.elapsed_ms);
      row.outputsPre.textContent = Object.keys(row.streamed).length ? pretty(row.streamed) : "{}";
      Trace.showError(row, ev.error_code, ev.error);
      row.tr.setAttribute("aria-expanded", "true");
      must(row.tr.dataset.toggle!).hidden = false;
      break;
    case "node_skipped":
      trace.setStatus(row, "skipped");
      row.elapsed.textContent = "";
      row.outputsPre.textContent = "(skipped)";
      break;
    case "node_paused":
      // Its form (the run page lists it as the node's metadata); answered once the run ends.
      trace.setStatus(row, "waiting");
      row.elapsed.textContent = ms(performance.now() - row.startedAt);
      row.outputsPre.textContent = "(waiting for an answer)";
      Trace.showMetadata(row, { form: ev.form });
      break;
  }
  return row;
}

function succeeded(trace: Trace, row: Row, ev: Extract<RunEvent, { kind: "node_succeeded" }>): void {
  trace.setStatus(row, "succeeded");
  row.elapsed.textContent = ms(ev.elapsed_ms);
  const total = ev.prompt_tokens + ev.completion_tokens;
  row.tokens.textContent = total ? String(total) : "—";
  row.tokens.className = total ? "num" : "num muted";
  if (total) row.tokens.title = `${ev.prompt_tokens} prompt + ${ev.completion_tokens} completion`;
  row.outputsPre.textContent = pretty(ev.outputs);
  Trace.showMetadata(row, ev.metadata);
  if (ev.error_code) Trace.showError(row, ev.error_code, ev.error);
}
