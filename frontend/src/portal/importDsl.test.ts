import { beforeEach, describe, expect, it, vi } from "vitest";

import { fakeUploads } from "../knowledge/fixtures/kb";
import { settle } from "../run/testing";
import { setupImportDsl, warningText } from "./importDsl";

// The import card of templates/portal/home.html.
const PAGE = `
  <form id="import-dsl-form" data-workspace-id="3">
    <input type="file" name="file" id="import-dsl-file">
    <input type="text" name="name" id="import-dsl-name">
    <div data-import-result></div>
    <button type="submit">Import</button>
  </form>`;

const form = () => document.getElementById("import-dsl-form") as HTMLFormElement;
const result = () => form().querySelector("[data-import-result]") as HTMLElement;
const app = { id: 12, workspace_id: 3, name: "Handbook helper", slug: "handbook-helper", mode: "chat", description: "", mcp_enabled: false, created_at: "2026-01-01T10:00:00Z", updated_at: "2026-01-01T10:00:00Z", published_version: null };

function pick(text = "app:\n  mode: workflow\n"): void {
  const input = document.getElementById("import-dsl-file") as HTMLInputElement;
  Object.defineProperty(input, "files", { value: [new File([text], "app.yml")], configurable: true });
}

async function submit(): Promise<void> {
  form().requestSubmit();
  await settle(5);
}

let go: ReturnType<typeof vi.fn<(url: string) => void>>;
beforeEach(() => {
  document.body.innerHTML = PAGE;
  go = vi.fn<(url: string) => void>();
  setupImportDsl(form(), go);
});

describe("Import DSL file", () => {
  it("opens the editor of the new app when the import has nothing to say", async () => {
    const sent = fakeUploads(() => [201, { app, warnings: [] }]);
    pick();
    (document.getElementById("import-dsl-name") as HTMLInputElement).value = "  Mine ";
    await submit();
    expect(sent.map((s) => [s.method, s.url])).toEqual([["POST", "/api/apps/import-dsl?workspace_id=3"]]);
    expect(sent[0].form.get("name")).toBe("Mine");
    expect(sent[0].form.get("confirm")).toBeNull();
    expect(go).toHaveBeenCalledWith("/apps/12/editor/");
  });

  it("lists the warnings and links to the editor instead of leaving at once", async () => {
    const warnings = [
      { code: "dsl_changed", message: "Fetch (fetch): its key is the secret env variable X now", node_id: "fetch", field: null },
      { code: "unknown_variable", message: "reads nowhere.text, which nothing before it gives", node_id: "answer", field: null },
    ];
    fakeUploads(() => [201, { app, warnings }]);
    pick();
    await submit();
    expect(go).not.toHaveBeenCalled();
    const box = result();
    expect(box.querySelector("strong")?.textContent).toBe("Imported “Handbook helper” with 2 warnings:");
    expect([...box.querySelectorAll("li")].map((li) => li.textContent)).toEqual([
      "Fetch (fetch): its key is the secret env variable X now",
      "Node answer: reads nowhere.text, which nothing before it gives",
    ]);
    expect(box.querySelector("a")?.getAttribute("href")).toBe("/apps/12/editor/");
  });

  it("asks before importing a version that needs confirmation, then sends it confirmed", async () => {
    const question = "This file is DSL version 1.0.0, of another major version than the 0.6.0 Weft reads: some of it may not import as it was meant. Import it anyway?";
    const sent = fakeUploads((f) => (f.get("confirm") ? [201, { app, warnings: [] }] : [409, { code: "dsl_confirm", message: question }]));
    pick();
    await submit();
    expect(result().textContent).toContain(question);
    expect(go).not.toHaveBeenCalled();
    (result().querySelector("button") as HTMLButtonElement).click();
    await settle(5);
    expect(sent[1].form.get("confirm")).toBe("true");
    expect(go).toHaveBeenCalledWith("/apps/12/editor/");
  });

  it("says why a file is refused, naming each node Weft lacks", async () => {
    const nodes = [{ id: "1731", title: "Top 3", type: "list-operator" }];
    fakeUploads(() => [422, { code: "dsl_unsupported_node", message: "Weft has no node type for: Top 3 (id 1731, type list-operator).", nodes }]);
    pick();
    await submit();
    const box = result().querySelector(".alert-error") as HTMLElement;
    expect(box.getAttribute("role")).toBe("alert");
    expect([...box.querySelectorAll("li")].map((li) => li.textContent)).toEqual(["Top 3 (id 1731): Weft has no list-operator node"]);
  });

  it("says the line of a file that is not YAML", async () => {
    fakeUploads(() => [422, { code: "dsl_invalid_yaml", message: "line 5: expected ',' or ']'", line: 5 }]);
    pick("app: [x\n");
    await submit();
    expect(result().textContent).toBe("Not imported: line 5: expected ',' or ']'");
    expect((form().querySelector("button[type=submit]") as HTMLButtonElement).disabled).toBe(false);
  });

  it("asks for a file when none is chosen", async () => {
    const sent = fakeUploads(() => [201, { app, warnings: [] }]);
    await submit();
    expect(sent).toEqual([]);
    expect(result().textContent).toBe("Choose a DSL file (.yml) to import.");
  });
});

describe("warningText", () => {
  it("names the node of a compile issue, not of the import's own notes", () => {
    expect(warningText({ code: "no_output", message: "x", node_id: "n1", field: null })).toBe("Node n1: x");
    expect(warningText({ code: "dsl_version", message: "y", node_id: null, field: "version" })).toBe("y");
  });
});
