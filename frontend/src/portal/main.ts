// The portal's app page (templates/portal/app.html): draft badge, test runs over the run
// WebSocket, publish, API keys and the MCP switch; the apps page's DSL import
// (templates/portal/home.html); and the run page following a run that waits or runs
// (templates/portal/run.html). Built by Vite into static/dist/web/portal.js.
import { setupImportDsl } from "./importDsl";
import { setupKeys, setupPublish, validateDraft } from "./manage";
import { setupMcp } from "./mcp";
import { readPage } from "./page";
import { setupRunPage } from "./runPage";
import { setupTestRun } from "./testRun";

const root = document.getElementById("app-root");
if (root) {
  const page = readPage(root);
  void validateDraft(page);
  setupTestRun(page);
  setupPublish(page);
  setupKeys(page);
  setupMcp(page);
}

const runSummary = document.getElementById("run-summary");
if (runSummary) setupRunPage(runSummary);

const importForm = document.getElementById("import-dsl-form");
if (importForm instanceof HTMLFormElement) setupImportDsl(importForm);

// The forms above post through these scripts only: their buttons come disabled from the server,
// so a click (or Enter) before the scripts have loaded does nothing instead of reloading the page.
for (const button of document.querySelectorAll<HTMLButtonElement>("button[data-needs-script]")) {
  button.disabled = false;
  button.removeAttribute("data-needs-script");
}
