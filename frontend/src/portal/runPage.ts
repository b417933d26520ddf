// The run page (templates/portal/run.html) of a run that waits for an answer or runs. The server
// renders it once and nothing pushes the run's changes to it, so a run answered elsewhere (another
// tab, the editor, the API) would stay shown waiting until a reload. While it shows such a run the
// page reads it (followRun, follow.ts) and, once its status or the forms it waits on change,
// reloads to show the run as it is, saying so when a form went away. A form the person has started
// to fill in is not thrown away: the page says the run moved on, and offers the reload.
import type { RunDetail } from "../api/types";
import { el } from "./dom";
import { followRun, type Load } from "./follow";

const FOLLOWED = ["waiting", "running"];
// sessionStorage: the run this page reloaded itself for, and the forms it showed then
export const RELOADED_KEY = "weft:run-page-reloaded";
export const ANSWERED_ELSEWHERE = "This run was answered elsewhere (or its form timed out) while this page was open.";
export const MOVED_ON = "This run is no longer waiting for this answer: it was answered elsewhere (or its form timed out).";

interface Reloaded {
  runId: string;
  forms: string[];
}

/** Follow the run that `summary` (#run-summary) shows; `reload` shows it as it is now. Returns
 * the function that stops following. */
export function setupRunPage(summary: HTMLElement, load?: Load, reload: () => void = () => window.location.reload()): () => void {
  const runId = summary.dataset.runId ?? "";
  const forms = [...summary.querySelectorAll<HTMLFormElement>("form[data-testid=waiting-form]")];
  const shownForms = forms.map((f) => f.querySelector<HTMLInputElement>("input[name=node_id]")?.value ?? "");
  sayWhatWentAway(summary, runId, shownForms);
  const shown = key(summary.dataset.runStatus ?? "", shownForms);
  if (!runId || !FOLLOWED.includes(summary.dataset.runStatus ?? "")) return () => undefined;

  let touched = false; // the person has started to answer: a reload would lose what they wrote
  const onDetail = (detail: RunDetail): boolean => {
    if (key(detail.status, (detail.waiting ?? []).map((f) => f.node_id)) === shown) return true;
    if (touched) {
      say(summary, "alert alert-warn", MOVED_ON, reload);
    } else {
      remember({ runId, forms: shownForms });
      reload();
    }
    return false;
  };
  const stop = followRun(runId, onDetail, load);
  for (const form of forms) {
    form.addEventListener("input", () => (touched = true));
    form.addEventListener("submit", stop); // this page answers it, and shows the run that goes on
  }
  return stop;
}

/** What the page shows of a run: its status and the nodes whose forms it shows. */
const key = (status: string, forms: string[]) => `${status} ${[...forms].sort().join(" ")}`;

/** After this page reloaded itself: say so when a form it showed went away. */
function sayWhatWentAway(summary: HTMLElement, runId: string, shownForms: string[]): void {
  const before = recall();
  if (before?.runId === runId && before.forms.some((nodeId) => !shownForms.includes(nodeId))) {
    say(summary, "alert alert-info", ANSWERED_ELSEWHERE);
  }
}

function say(summary: HTMLElement, className: string, text: string, reload?: () => void): void {
  const box = el("div", className, text);
  box.setAttribute("role", "status");
  box.dataset.testid = "run-followed";
  if (reload) {
    const button = el("button", "btn btn-sm", "Reload");
    button.type = "button";
    button.addEventListener("click", reload);
    box.append(" ", button);
  }
  summary.insertBefore(box, summary.querySelector(".io-grid"));
}

function remember(reloaded: Reloaded): void {
  try {
    window.sessionStorage.setItem(RELOADED_KEY, JSON.stringify(reloaded));
  } catch {
    // no session storage (a private window's quota, or blocked): the reload goes on unsaid
  }
}

function recall(): Reloaded | null {
  try {
    const saved = window.sessionStorage.getItem(RELOADED_KEY);
    window.sessionStorage.removeItem(RELOADED_KEY);
    return saved ? (JSON.parse(saved) as Reloaded) : null;
  } catch {
    return null;
  }
}
