import { beforeEach, describe, expect, it } from "vitest";

import { fakeApi, settle } from "../run/testing";
import { setupKeys, setupPublish } from "./manage";

// The publish, versions and API key parts of templates/portal/app.html.
const PAGE = `
  <span class="pill" id="head-version">Not published</span>
  <form id="publish-form"><input id="publish-note"><button type="submit" id="publish-button" data-idle-label="Publish">Publish</button></form>
  <div id="publish-result" hidden></div>
  <ol id="version-list"><li id="versions-empty">Not published yet.</li></ol>
  <form id="key-form"><input id="key-name"><button type="submit" id="key-button" data-idle-label="Create key">Create key</button></form>
  <div id="key-reveal" hidden><code id="new-key"></code><p id="example-unpublished" hidden></p><pre id="curl-example"></pre><button type="button" id="key-dismiss">Done</button></div>
  <table><tbody id="keys-body"><tr id="keys-empty"><td>No keys yet.</td></tr></tbody></table>`;

const page = { appId: 7, mode: "workflow" as const, canEdit: true, baseUrl: "http://host/v1" };
const submit = (id: string) => (document.getElementById(id) as HTMLFormElement).requestSubmit();
const text = (id: string) => document.getElementById(id)?.textContent ?? "";

beforeEach(() => {
  document.body.innerHTML = PAGE;
  setupPublish(page);
  setupKeys(page);
});

describe("app page publish and keys", () => {
  it("publishes with the note and lists the new version", async () => {
    const { calls } = fakeApi([{ method: "POST", path: "/apps/7/publish", status: 201, body: { id: 1, number: 2, note: "ship it", draft_revision: 5, created_at: "2026-01-01T10:00:00Z", created_by: "a@b.c" } }]);
    (document.getElementById("publish-note") as HTMLInputElement).value = "ship it";
    submit("publish-form");
    await settle();
    expect(calls[0].body).toEqual({ note: "ship it" });
    expect(text("publish-result")).toContain("Published version 2");
    expect(text("head-version")).toBe("v2 live");
    expect(document.querySelector("#version-list li")?.textContent).toContain("ship it");
  });

  it("says why publishing was refused, with the draft's issues", async () => {
    fakeApi([{ method: "POST", path: "/apps/7/publish", status: 422, body: { code: "graph_invalid", message: "the draft has issues", issues: [{ code: "cycle", message: "a cycle", node_id: "x" }] } }]);
    submit("publish-form");
    await settle();
    expect(text("publish-result")).toContain("Cannot publish: the draft has issues");
    expect(text("publish-result")).toContain("a cycle (node x)");
    expect(text("publish-result")).not.toContain("cycle a cycle");
    expect(document.querySelector<HTMLElement>("#publish-result li")?.dataset.code).toBe("cycle");
  });

  it("shows a new key once with the example call the server built for it", async () => {
    const curl = "curl -X POST 'http://host/v1/workflows/run' -d '{\"inputs\": {\"topic\": \"sample topic\"}}'";
    const example = { method: "POST", url: "http://host/v1/workflows/run", body: { inputs: { topic: "sample topic" } }, curl, version: 1 };
    fakeApi([{ method: "POST", path: "/apps/7/keys", status: 201, body: { id: 3, name: "site", prefix: "wft_abc", key: "wft_abcdefghijklmnopqrstuvwxyz", created_at: "2026-01-01T10:00:00Z", last_used_at: null, revoked_at: null, example } }]);
    (document.getElementById("key-name") as HTMLInputElement).value = " site ";
    submit("key-form");
    await settle();
    expect(document.getElementById("key-reveal")?.hidden).toBe(false);
    expect(text("new-key")).toBe("wft_abcdefghijklmnopqrstuvwxyz");
    expect(text("curl-example")).toBe(curl);
    expect(document.getElementById("example-unpublished")?.hidden).toBe(true);
    expect(document.querySelector("#keys-body tr")?.textContent).toContain("site");
    (document.getElementById("key-dismiss") as HTMLButtonElement).click();
    expect(text("new-key")).toBe("");
    expect(text("curl-example")).toBe("");
  });

  it("says the example needs a published version when the app has none", async () => {
    const example = { method: "POST", url: "http://host/v1/workflows/run", body: { inputs: {} }, curl: "curl …", version: null };
    fakeApi([{ method: "POST", path: "/apps/7/keys", status: 201, body: { id: 4, name: "", prefix: "app-x", key: "app-xyz", created_at: "2026-01-01T10:00:00Z", last_used_at: null, revoked_at: null, example } }]);
    submit("key-form");
    await settle();
    expect(document.getElementById("example-unpublished")?.hidden).toBe(false);
  });
});
