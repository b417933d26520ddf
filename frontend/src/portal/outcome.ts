// How a finished test run reads on the app page: the status line under the form, and the run's
// row in the recent runs table. A run that ends waiting links to the run page's forms
// (templates/portal/run.html), which answer it and resume it there.
import type { RunEvent } from "../api/messages";
import { el, fmtDate, ms } from "./dom";

export type Finished = Extract<RunEvent, { kind: "run_finished" }>;

/** The status line of a finished run: its state (the line's data-state) and what it says, ending
 * with a link to the run's page (`runHref`). */
export function outcomeLine(ev: Finished, runHref: string): { state: string; parts: (string | Node)[] } {
  const link = el("a", "", "View run");
  link.href = runHref;
  const parts: (string | Node)[] = [];
  if (ev.status === "waiting") {
    parts.push(`⏸ Waiting for an answer after ${ms(ev.elapsed_ms)}`);
    for (const form of ev.waiting) {
      const name = form.title || form.node_id;
      const answer = el("a", "", form.kind === "confirmation" ? `Confirm ${name}` : `Answer ${name}`);
      answer.href = answerHref(runHref, form.node_id);
      parts.push(answer);
    }
  } else if (ev.status === "succeeded") {
    const tokens = ev.prompt_tokens + ev.completion_tokens;
    parts.push(`✓ Succeeded in ${ms(ev.elapsed_ms)} · ${tokens} tokens · ${ev.total_steps} steps`);
  } else {
    parts.push(`${ev.status === "stopped" ? "■ Stopped" : "✕ Failed"} after ${ms(ev.elapsed_ms)}`);
    if (ev.error_code) parts.push(" · ", el("code", "err-code", ev.error_code));
    if (ev.error) parts.push(` ${ev.error}`);
  }
  parts.push(link);
  const state = ev.status === "succeeded" || ev.status === "waiting" ? ev.status : "failed";
  return { state, parts };
}

/** Where the run page (`runHref`) shows the form of the paused node `nodeId`. */
export function answerHref(runHref: string, nodeId: string): string {
  return `${runHref}#waiting-${encodeURIComponent(nodeId)}`;
}

/** The run's row in the recent runs table; `sourceLabel` is the server's label of a test-form run,
 * `started` when it started (by default its end less its elapsed time, which leaves out a pause). */
export function runRow(ev: Finished, href: string, sourceLabel: string, started?: Date): HTMLTableRowElement {
  const tr = el("tr");
  const statusCell = el("td");
  statusCell.append(el("span", `status status-${ev.status}`, ev.status.charAt(0).toUpperCase() + ev.status.slice(1)));
  const errCell = el("td");
  if (ev.error_code) errCell.append(el("code", "err-code", ev.error_code));
  const linkCell = el("td", "num");
  const a = el("a", "", "Details");
  a.href = href;
  linkCell.append(a);
  started ??= new Date(new Date(ev.at).getTime() - ev.elapsed_ms);
  tr.append(
    statusCell,
    el("td", "", sourceLabel),
    el("td", "", fmtDate(started, false)),
    el("td", "num", `${Math.round(ev.elapsed_ms)} ms`),
    el("td", "num", String(ev.prompt_tokens + ev.completion_tokens)),
    errCell,
    linkCell,
  );
  return tr;
}
