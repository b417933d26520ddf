// Small DOM helpers of the portal's app page (templates/portal/app.html). Every value from the
// server or the user is written with textContent, never as HTML.
import type { SocketIssue } from "../api/messages";

declare global {
  interface Window {
    WeftPretty?: (value: unknown) => string; // static/portal/portal.js
  }
}

export function byId<T extends HTMLElement = HTMLElement>(id: string): T | null {
  return document.getElementById(id) as T | null;
}

/** byId for an element the template always renders with the section that uses it. */
export function must<T extends HTMLElement = HTMLElement>(id: string): T {
  const node = byId<T>(id);
  if (!node) throw new Error(`the app page has no #${id}`);
  return node;
}

export function el<K extends keyof HTMLElementTagNameMap>(tag: K, className = "", text?: unknown): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined && text !== null) node.textContent = String(text);
  return node;
}

export function pretty(value: unknown): string {
  return window.WeftPretty ? window.WeftPretty(value) : JSON.stringify(value, null, 2);
}

/** A button's busy state (spinner + label) and back to its idle label. */
export function setBusy(button: HTMLButtonElement | null, busy: boolean, label: string): void {
  if (!button) return;
  button.disabled = busy;
  button.textContent = "";
  if (busy) button.append(el("span", "spinner"), ` ${label}`);
  else button.textContent = button.dataset.idleLabel || label;
}

export function ms(value: number | null | undefined): string {
  if (value === null || value === undefined) return "";
  return value >= 10000 ? `${(value / 1000).toFixed(1)} s` : `${Math.round(value)} ms`;
}

export function fmtDate(value: Date, withYear: boolean): string {
  const options: Intl.DateTimeFormatOptions = withYear
    ? { month: "short", day: "numeric", year: "numeric", hour: "2-digit", minute: "2-digit" }
    : { month: "short", day: "numeric", hour: "2-digit", minute: "2-digit", second: "2-digit" };
  return value.toLocaleString("en-US", { ...options, hour12: false, timeZone: "UTC" });
}

export function issueItems(list: HTMLElement, issues: Partial<SocketIssue>[]): void {
  for (const issue of issues) {
    const li = el("li");
    if (issue.code) li.dataset.code = issue.code; // for code and tests; people read the message
    li.append(document.createTextNode(issue.message || ""));
    if (issue.node_id) li.append(" (node ", el("code", "", issue.node_id), ")");
    if (issue.field && !issue.node_id) li.append(" (", el("code", "", issue.field), ")");
    list.append(li);
  }
}
