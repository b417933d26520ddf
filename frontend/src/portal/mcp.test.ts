import { beforeEach, describe, expect, it } from "vitest";

import { fakeApi, settle } from "../run/testing";
import { mcpSnippets, setupMcp } from "./mcp";

// The MCP part of the API access panel in templates/portal/app.html (here: switched off).
const URL = "http://host/mcp/server/topics/mcp";
const PAGE = `
  <div id="mcp" data-mcp-url="${URL}" data-slug="topics">
    <input type="checkbox" id="mcp-enabled">
    <p id="mcp-error" hidden></p>
    <div id="mcp-details" hidden><code id="mcp-url">${URL}</code><pre id="mcp-claude"></pre><pre id="mcp-python"></pre></div>
  </div>`;

const page = { appId: 7, mode: "workflow" as const, canEdit: true, baseUrl: "http://host/v1" };
const toggle = () => document.getElementById("mcp-enabled") as HTMLInputElement;
const details = () => document.getElementById("mcp-details") as HTMLElement;
const app = (on: boolean) => ({ id: 7, workspace_id: 1, name: "Topics", slug: "topics", mode: "workflow", description: "", mcp_enabled: on, created_at: "2026-01-01T10:00:00Z", updated_at: "2026-01-01T10:00:00Z", published_version: 1 });
function flip(): void {
  toggle().click(); // checks or unchecks it and fires "change"
}

beforeEach(() => {
  document.body.innerHTML = PAGE;
  setupMcp(page);
});

describe("app page MCP switch", () => {
  it("switches the MCP server on and shows its URL and client configs", async () => {
    const { calls } = fakeApi([{ method: "PATCH", path: "/apps/7", body: app(true) }]);
    expect(details().hidden).toBe(true);
    flip();
    await settle();
    expect(calls).toEqual([{ method: "PATCH", path: "/apps/7", body: { mcp_enabled: true } }]);
    expect(toggle().checked).toBe(true);
    expect(details().hidden).toBe(false);
    const claude = JSON.parse(document.getElementById("mcp-claude")?.textContent ?? "");
    expect(claude.mcpServers.topics.args).toContain(URL);
    expect(document.getElementById("mcp-python")?.textContent).toContain(`streamable_http_client("${URL}"`);
  });

  it("switches it off again and hides the details", async () => {
    fakeApi([{ method: "PATCH", path: "/apps/7", body: app(true) }]);
    flip();
    await settle();
    const { calls } = fakeApi([{ method: "PATCH", path: "/apps/7", body: app(false) }]);
    flip();
    await settle();
    expect(calls[0].body).toEqual({ mcp_enabled: false });
    expect(toggle().checked).toBe(false);
    expect(details().hidden).toBe(true);
  });

  it("puts the switch back and says why when the server refuses", async () => {
    fakeApi([{ method: "PATCH", path: "/apps/7", status: 403, body: { code: "forbidden", message: "this action needs the editor role or higher" } }]);
    flip();
    await settle();
    expect(toggle().checked).toBe(false);
    expect(toggle().disabled).toBe(false);
    expect(details().hidden).toBe(true);
    const error = document.getElementById("mcp-error") as HTMLElement;
    expect(error.hidden).toBe(false);
    expect(error.textContent).toBe("Could not switch the MCP server on: this action needs the editor role or higher");
  });
});

describe("mcpSnippets", () => {
  it("gives Claude Desktop an mcp-remote entry that sends the key as a bearer header", () => {
    const { claude } = mcpSnippets(URL, "topics");
    const entry = JSON.parse(claude).mcpServers.topics;
    expect(entry.command).toBe("npx");
    expect(entry.args).toEqual(["-y", "mcp-remote", URL, "--header", "Authorization:${AUTH_HEADER}"]);
    expect(entry.env.AUTH_HEADER).toBe("Bearer <app API key>");
  });
});
