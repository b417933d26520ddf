// The app page's draft badge, publish form and API keys, through the editor's API client and the
// types generated from the OpenAPI document.
import { api, ApiFailure } from "../api/client";
import type { Draft, Issue, Version } from "../api/types";
import type { components } from "../api/schema";
import { byId, el, fmtDate, issueItems, must, setBusy } from "./dom";
import type { PageInfo } from "./page";

type KeyCreated = components["schemas"]["ApiKeyCreated"];

/** The failure's status, message and data; a network error has status 0. */
function failure(err: unknown): { status: number; message: string; data: Record<string, unknown> } {
  if (err instanceof ApiFailure) return { status: err.status, message: err.message || `HTTP ${err.status}`, data: err.data };
  return { status: 0, message: `Network error: ${err instanceof Error ? err.message : String(err)}`, data: {} };
}

export async function validateDraft(page: PageInfo): Promise<void> {
  const badge = byId("draft-validation");
  if (!badge) return;
  let issues: Issue[];
  try {
    issues = (await api<Draft>("GET", `/apps/${page.appId}/draft`)).issues ?? [];
  } catch {
    badge.dataset.state = "unknown";
    badge.textContent = "Validation unavailable";
    return;
  }
  badge.textContent = "";
  if (!issues.length) {
    badge.dataset.state = "valid";
    badge.textContent = "✓ Draft is valid";
    return;
  }
  badge.dataset.state = "invalid";
  badge.textContent = `⚠ ${issues.length} issue${issues.length === 1 ? "" : "s"} in the draft`;
  const list = must("draft-issues");
  issueItems(list, issues);
  list.hidden = false;
}

export function setupPublish(page: PageInfo): void {
  const form = byId<HTMLFormElement>("publish-form");
  if (!form) return;
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const button = must<HTMLButtonElement>("publish-button");
    const result = must("publish-result");
    const noteInput = must<HTMLInputElement>("publish-note");
    setBusy(button, true, "Publishing…");
    result.hidden = true;
    result.textContent = "";
    try {
      const v = await api<Version>("POST", `/apps/${page.appId}/publish`, { note: noteInput.value });
      setBusy(button, false, "Publish");
      result.hidden = false;
      const ok = el("div", "alert alert-success");
      ok.append("✓ Published ", el("strong", "", `version ${v.number}`), ". API calls now run it.");
      result.append(ok);
      noteInput.value = "";
      addVersion(v);
      const pill = byId("head-version");
      if (pill) {
        pill.className = "pill pill-ok";
        pill.textContent = `v${v.number} live`;
      }
    } catch (err) {
      setBusy(button, false, "Publish");
      result.hidden = false;
      const { status, message, data } = failure(err);
      const box = el("div", "alert alert-error");
      box.append(el("strong", "", status === 422 ? "Cannot publish: " : "Publish failed: "), document.createTextNode(message));
      const issues = (data.issues ?? data.errors ?? []) as Issue[];
      if (issues.length) {
        const list = el("ul");
        issueItems(list, issues);
        box.append(list);
      }
      result.append(box);
    }
  });
}

function addVersion(v: Version): void {
  const list = must("version-list");
  byId("versions-empty")?.remove();
  const li = el("li", "version fresh");
  const body = el("div", "version-body");
  const note = el("div", "version-note");
  if (v.note) note.textContent = v.note;
  else note.append(el("span", "muted", "No note"));
  const meta = `r${v.draft_revision} · ${fmtDate(new Date(v.created_at), true)}${v.created_by ? ` · ${v.created_by}` : ""}`;
  body.append(note, el("div", "muted small", meta));
  li.append(el("span", "version-num", `v${v.number}`), body);
  list.insertBefore(li, list.firstChild);
}

export function setupKeys(page: PageInfo): void {
  const form = byId<HTMLFormElement>("key-form");
  if (!form) return;
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const button = must<HTMLButtonElement>("key-button");
    const nameInput = must<HTMLInputElement>("key-name");
    setBusy(button, true, "Creating…");
    try {
      const created = await api<KeyCreated>("POST", `/apps/${page.appId}/keys`, { name: nameInput.value.trim() });
      setBusy(button, false, "Create key");
      nameInput.value = "";
      revealKey(created);
      addKeyRow(created);
    } catch (err) {
      setBusy(button, false, "Create key");
      window.alert(`Could not create the key: ${failure(err).message}`);
    }
  });
  must("key-dismiss").addEventListener("click", () => {
    must("new-key").textContent = "";
    must("curl-example").textContent = "";
    must("key-reveal").hidden = true;
  });
  must("keys-body").addEventListener("click", async (event) => {
    const button = (event.target as Element).closest<HTMLButtonElement>("[data-revoke]");
    if (!button) return;
    if (!window.confirm("Revoke this key? Apps using it stop working at once.")) return;
    setBusy(button, true, "Revoking…");
    try {
      await api<void>("DELETE", `/apps/${page.appId}/keys/${button.dataset.revoke}`);
    } catch (err) {
      setBusy(button, false, "Revoke");
      window.alert(`Could not revoke the key: ${failure(err).message}`);
      return;
    }
    button.closest("tr")?.classList.add("revoked");
    const cell = button.parentNode as HTMLElement;
    cell.textContent = "";
    cell.append(el("span", "status status-revoked", "Revoked"));
  });
}

function revealKey(created: KeyCreated): void {
  must("new-key").textContent = created.key;
  // built by the server from the app's mode and its published inputs (builder/api_examples.py)
  must("curl-example").textContent = created.example.curl;
  // an unpublished app answers the example with a 400 until it is published
  const unpublished = byId("example-unpublished");
  if (unpublished) unpublished.hidden = created.example.version !== null;
  must("key-reveal").hidden = false;
}

function addKeyRow(k: KeyCreated): void {
  const body = must("keys-body");
  byId("keys-empty")?.remove();
  const tr = el("tr");
  tr.dataset.keyId = String(k.id);
  const nameCell = el("td");
  nameCell.append(el("div", "", k.name || "Unnamed"), el("code", "small", `${k.prefix}…`));
  const revokeCell = el("td", "num");
  const button = el("button", "btn btn-danger btn-sm", "Revoke");
  button.type = "button";
  button.dataset.revoke = String(k.id);
  button.dataset.idleLabel = "Revoke";
  revokeCell.append(button);
  const lastUsed = el("td", "small");
  lastUsed.append(el("span", "muted", "Never"));
  const created = new Date(k.created_at).toLocaleDateString("en-US", { month: "short", day: "numeric", year: "numeric", timeZone: "UTC" });
  tr.append(nameCell, el("td", "small", created), lastUsed, revokeCell);
  body.insertBefore(tr, body.firstChild);
}
