// The app page's live node trace: one row per run of a node, each with a detail row of its
// inputs, outputs, error and metadata (opened by portal.js's data-toggle rows). The runs of a
// node inside an iteration or loop come after their container's row, under a heading per item
// or round (run/groups.ts), as on the run page.
import { STATUS_TEXT } from "../run/format";
import { itemLabel, traceLines, type Place } from "../run/groups";
import { citationsOf, formatScore, logOf, otherMetadata, snippet, stepLine, type Citation, type Metadata } from "../run/metadata";
import { runKey } from "../state/run";
import { el, ms, pretty } from "./dom";

// "waiting": paused for a person (a human-input form, or a confirmation before it runs)
export type RowStatus = "running" | "succeeded" | "failed" | "skipped" | "waiting";

export interface Row {
  place: Place;
  title: string;
  nodeType: string;
  tr: HTMLTableRowElement;
  detail: HTMLTableRowElement;
  badge: HTMLElement;
  elapsed: HTMLElement;
  tokens: HTMLElement;
  outputsPre: HTMLElement;
  errBox: HTMLElement;
  errAlert: HTMLElement;
  metaBox: HTMLElement;
  status: RowStatus;
  startedAt: number;
  streamed: Record<string, string>;
  answerLink?: HTMLElement; // a waiting row's link to the form that answers it
}

export interface RowInfo {
  title?: string;
  node_type?: string;
  index?: number;
  inputs?: Record<string, unknown>;
  container_id?: string | null;
  iteration_path?: number[] | null; // a run inside a container: its item in each, outermost first
}

export class Trace {
  private rows = new Map<string, Row>(); // by run key (state/run.ts), in the order they came
  private headings: Record<string, HTMLTableRowElement> = {}; // by container and item

  constructor(private readonly body: HTMLElement) {}

  /** The row of this run of the node, added (running) on its first event. */
  row(nodeId: string, info: RowInfo): Row {
    const key = runKey(nodeId, info.iteration_path);
    const known = this.rows.get(key);
    if (known) return known;
    const index = this.rows.size + 1;
    const place: Place = { nodeId, containerId: info.container_id, iterationPath: info.iteration_path };
    const depth = info.iteration_path?.length ?? 0;
    const tr = el("tr", depth ? "trace-row trace-inner" : "trace-row");
    if (depth) tr.style.setProperty("--depth", String(depth));
    tr.dataset.toggle = `live-detail-${index}`;
    tr.dataset.nodeId = nodeId;
    tr.tabIndex = 0;
    tr.setAttribute("aria-expanded", "false");
    const nameCell = el("td");
    nameCell.append(el("strong", "", info.title || nodeId), " ", el("code", "small muted", nodeId));
    const typeCell = el("td");
    typeCell.append(el("span", "type-tag", info.node_type || ""));
    const statusCell = el("td");
    const badge = el("span", "status status-running", "Running");
    statusCell.append(badge);
    const elapsed = el("td", "num", "");
    const tokens = el("td", "num muted", "—");
    tr.append(el("td", "muted", info.index || index), nameCell, typeCell, statusCell, elapsed, tokens);

    const detail = el("tr", "detail-row");
    detail.id = `live-detail-${index}`;
    detail.hidden = true;
    const cell = el("td");
    cell.colSpan = 6;
    const grid = el("div", "detail-grid");
    const inBox = el("div");
    inBox.append(el("h4", "", "Inputs"), el("pre", "json", pretty(info.inputs || {})));
    const outBox = el("div");
    const outputsPre = el("pre", "json", "(running…)");
    outBox.append(el("h4", "", "Outputs"), outputsPre);
    const errBox = el("div", "detail-error");
    errBox.hidden = true;
    const errAlert = el("div", "alert alert-error");
    errBox.append(el("h4", "", "Error"), errAlert);
    const metaBox = el("div", "detail-meta");
    metaBox.hidden = true;
    grid.append(inBox, outBox, errBox, metaBox);
    cell.append(grid);
    detail.append(cell);

    const row: Row = { place, title: info.title || nodeId, nodeType: info.node_type || "", tr, detail, badge, elapsed, tokens, outputsPre, errBox, errAlert, metaBox, status: "running", startedAt: performance.now(), streamed: {} };
    this.rows.set(key, row);
    this.arrange();
    return row;
  }

  /** Put the rows in trace order, each item of a container under its heading. */
  private arrange(): void {
    for (const { row, heading } of traceLines([...this.rows.values()], (r) => r.place)) {
      if (heading) this.body.append(this.heading(heading.containerId, heading.path));
      this.body.append(row.tr, row.detail);
    }
  }

  /** What a container's type calls one run of its sub-graph: the page gives each type's word
   * (the catalog's `inner_run_name`) in the trace body's `data-inner-run-names`. */
  private innerRunName(nodeType: string | undefined): string | undefined {
    const names = JSON.parse(this.body.dataset.innerRunNames || "{}") as Record<string, string>;
    return nodeType ? names[nodeType] : undefined;
  }

  private heading(containerId: string, path: number[]): HTMLTableRowElement {
    const key = `${containerId}@${path.join(".")}`;
    if (!this.headings[key]) {
      const container = this.rows.get(runKey(containerId, path.slice(0, -1)));
      const tr = el("tr", "trace-group");
      tr.dataset.group = key;
      const cell = el("td", "", `${container?.title ?? containerId} · ${itemLabel(this.innerRunName(container?.nodeType), path)}`);
      cell.colSpan = 6;
      if (path.length > 1) tr.style.setProperty("--depth", String(path.length - 1));
      tr.append(cell);
      this.headings[key] = tr;
    }
    return this.headings[key];
  }

  /** The status shown for this run of the node; undefined when it has no row. */
  statusOf(nodeId: string, path: number[] | null | undefined): RowStatus | undefined {
    return this.rows.get(runKey(nodeId, path))?.status;
  }

  setStatus(row: Row, status: RowStatus): void {
    if (status !== "waiting") {
      row.answerLink?.remove(); // answered: nothing left to answer there
      row.answerLink = undefined;
    }
    row.status = status;
    row.badge.className = `status status-${status}`;
    row.badge.textContent = STATUS_TEXT[status];
    row.tr.dataset.status = status;
  }

  static showError(row: Row, code: string | null, message: string | null): void {
    row.errAlert.textContent = "";
    row.errAlert.append(el("code", "err-code", code || "error"), el("div", "pre-wrap", message || ""));
    row.errBox.hidden = false;
  }

  /** The node's citations, its steps, then its other metadata keys as JSON; hidden when it has
   * none. */
  static showMetadata(row: Row, metadata: Metadata): void {
    row.metaBox.textContent = "";
    const cited = citationsOf(metadata);
    if (cited.length) row.metaBox.append(el("h4", "", "Citations"), citationList(cited));
    const steps = logOf(metadata);
    if (steps.length) {
      const list = el("ol", "steps");
      for (const s of steps) {
        const { head, body } = stepLine(s);
        list.append(el("li", "", `${s.step ? `${s.step}. ` : ""}${head}${body ? `: ${body}` : ""}`));
      }
      row.metaBox.append(el("h4", "", "Steps"), list);
    }
    for (const [key, value] of Object.entries(otherMetadata(metadata))) {
      row.metaBox.append(el("h4", "", key), el("pre", "json", pretty(value)));
    }
    row.metaBox.hidden = !row.metaBox.childElementCount;
  }

  /** Refresh the elapsed time of the running nodes. */
  tick(): void {
    for (const row of this.rows.values()) {
      if (row.status === "running") row.elapsed.textContent = ms(performance.now() - row.startedAt);
    }
  }

  /** Link each row still waiting for an answer to the place that answers it (`hrefOf` its
   * node id), once the run has ended waiting. */
  offerAnswers(hrefOf: (nodeId: string) => string): void {
    for (const row of this.rows.values()) {
      if (row.status !== "waiting" || row.answerLink) continue;
      const link = el("a", "small", "Answer");
      link.href = hrefOf(row.place.nodeId);
      row.answerLink = el("span");
      row.answerLink.append(" ", link);
      row.badge.after(row.answerLink);
    }
  }

  /** The run was answered and goes on: the nodes that waited run again (the server reruns each
   * paused node, the answered one with its answer). */
  rerunWaiting(): void {
    for (const row of this.rows.values()) {
      if (row.status !== "waiting") continue;
      this.setStatus(row, "running");
      row.startedAt = performance.now();
      row.outputsPre.textContent = "(running…)";
    }
  }

  /** The run ended without telling: nodes still running are shown failed. */
  failRunning(): void {
    for (const row of this.rows.values()) if (row.status === "running") this.setStatus(row, "failed");
  }
}

/** Cited passages as templates/portal/_citations.html lists them: position, document, score and
 *  a snippet of the passage. */
export function citationList(items: Citation[]): HTMLOListElement {
  const list = el("ol", "citations");
  for (const c of items) {
    const head = el("div", "citation-head");
    head.append(el("span", "citation-pos", c.position), el("strong", "", c.documentName));
    if (c.datasetName) head.append(el("span", "muted small", c.datasetName));
    if (c.score !== null) head.append(el("span", "citation-score", formatScore(c.score)));
    const li = el("li", "citation");
    li.append(head);
    if (c.content) {
      const text = el("p", "citation-text", snippet(c.content));
      text.title = c.content;
      li.append(text);
    }
    list.append(li);
  }
  return list;
}
