// The apps page's "Import DSL file" form (templates/portal/home.html): a Dify app DSL file (or one
// Weft exported) becomes a new app, whose editor opens. The server's refusal is said in words; a
// file of a version that needs the user's word asks first; warnings are listed before the editor
// opens, so nothing the import changed goes unseen.
import { ApiFailure, uploadForm } from "../api/client";
import type { components } from "../api/schema";
import { el, setBusy } from "./dom";

type Imported = components["schemas"]["DslImportOut"];
type Warning = components["schemas"]["IssueOut"];

export function editorUrl(appId: number): string {
  return `/apps/${appId}/editor/`;
}

/** A warning as a line: the import's own name their node; a compile issue gets its node's id. */
export function warningText(w: Warning): string {
  return w.node_id && !w.code.startsWith("dsl_") ? `Node ${w.node_id}: ${w.message}` : w.message;
}

function show(out: HTMLElement, kind: "error" | "warn", title: string, lines: string[] = []): HTMLElement {
  const box = el("div", `alert alert-${kind}`);
  box.setAttribute("role", kind === "error" ? "alert" : "status");
  box.append(el("strong", "", title));
  if (lines.length) {
    const list = el("ul");
    for (const line of lines) list.append(el("li", "", line));
    box.append(list);
  }
  out.replaceChildren(box);
  return box;
}

function refusal(err: unknown): [string, string[]] {
  if (!(err instanceof ApiFailure)) return ["Not imported: the server could not be reached.", []];
  const nodes = Array.isArray(err.data.nodes) ? (err.data.nodes as { id: string; title: string; type: string }[]) : [];
  if (nodes.length) {
    const said = nodes.map((n) => `${n.title || n.id} (id ${n.id}): Weft has no ${n.type} node`);
    return ["Not imported: Weft has no node type for these nodes. Replace or remove them in Dify and export again.", said];
  }
  return [`Not imported: ${err.message}`, []];
}

export function setupImportDsl(form: HTMLFormElement, go: (url: string) => void = (url) => window.location.assign(url)): void {
  const input = form.querySelector<HTMLInputElement>("input[type=file]");
  const nameInput = form.querySelector<HTMLInputElement>("input[name=name]");
  const out = form.querySelector<HTMLElement>("[data-import-result]");
  const button = form.querySelector<HTMLButtonElement>("button[type=submit]");
  if (!input || !out) return;
  const workspace = form.dataset.workspaceId ? `?workspace_id=${encodeURIComponent(form.dataset.workspaceId)}` : "";

  const send = async (confirm: boolean): Promise<void> => {
    const file = input.files?.[0];
    if (!file) {
      show(out, "error", "Choose a DSL file (.yml) to import.");
      return;
    }
    const data = new FormData();
    data.append("file", file);
    if (confirm) data.append("confirm", "true");
    if (nameInput?.value.trim()) data.append("name", nameInput.value.trim());
    setBusy(button, true, "Importing…");
    try {
      const result = await uploadForm<Imported>(`/apps/import-dsl${workspace}`, data, () => {});
      if (result.warnings.length === 0) {
        go(editorUrl(result.app.id));
        return;
      }
      const count = result.warnings.length;
      const box = show(out, "warn", `Imported “${result.app.name}” with ${count} warning${count === 1 ? "" : "s"}:`, result.warnings.map(warningText));
      const open = el("a", "btn btn-primary btn-sm", "Open the editor");
      open.setAttribute("href", editorUrl(result.app.id));
      open.dataset.testid = "import-open-editor";
      box.append(open);
    } catch (err) {
      if (err instanceof ApiFailure && err.code === "dsl_confirm") {
        const box = show(out, "warn", err.message);
        const yes = el("button", "btn btn-sm", "Import anyway");
        yes.setAttribute("type", "button");
        yes.addEventListener("click", () => void send(true));
        box.append(yes);
      } else {
        const [title, lines] = refusal(err);
        show(out, "error", title, lines);
      }
    } finally {
      setBusy(button, false, "Import");
    }
  };

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    void send(false);
  });
}
