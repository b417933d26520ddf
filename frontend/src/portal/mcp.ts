// The app page's MCP switch (templates/portal/app.html, under API access): an editor serves the
// published app as an MCP server, and the page shows its URL with client configs to copy.
import { api, ApiFailure } from "../api/client";
import type { components } from "../api/schema";
import { byId, must } from "./dom";
import type { PageInfo } from "./page";

type AppOut = components["schemas"]["AppOut"];

const KEY = "<app API key>";

/** Client configs for the app's MCP endpoint: Claude Desktop (through mcp-remote, which speaks
 * streamable HTTP for it) and the Python `mcp` SDK. */
export function mcpSnippets(url: string, slug: string): { claude: string; python: string } {
  const claude = {
    mcpServers: {
      [slug]: {
        command: "npx",
        // the header travels through env: mcp-remote's documented way round spaces in args
        args: ["-y", "mcp-remote", url, "--header", "Authorization:${AUTH_HEADER}"],
        env: { AUTH_HEADER: `Bearer ${KEY}` },
      },
    },
  };
  const python = [
    "import asyncio",
    "",
    "import httpx2",
    "from mcp import Client",
    "from mcp.client.streamable_http import streamable_http_client",
    "",
    "",
    "async def main():",
    `    http = httpx2.AsyncClient(headers={"Authorization": "Bearer ${KEY}"}, timeout=120)`,
    `    async with http, Client(streamable_http_client(${JSON.stringify(url)}, http_client=http)) as client:`,
    "        print((await client.list_tools()).tools)",
    "",
    "",
    "asyncio.run(main())",
  ].join("\n");
  return { claude: JSON.stringify(claude, null, 2), python };
}

function showDetails(on: boolean): void {
  must("mcp-details").hidden = !on;
}

export function setupMcp(page: PageInfo): void {
  const toggle = byId<HTMLInputElement>("mcp-enabled");
  if (!toggle) return;
  const root = must("mcp");
  const { claude, python } = mcpSnippets(root.dataset.mcpUrl ?? "", root.dataset.slug ?? "");
  must("mcp-claude").textContent = claude;
  must("mcp-python").textContent = python;
  showDetails(toggle.checked);
  toggle.addEventListener("change", async () => {
    const wanted = toggle.checked;
    const error = must("mcp-error");
    error.hidden = true;
    toggle.disabled = true;
    try {
      const app = await api<AppOut>("PATCH", `/apps/${page.appId}`, { mcp_enabled: wanted });
      toggle.checked = app.mcp_enabled;
    } catch (err) {
      toggle.checked = !wanted;
      const why = err instanceof ApiFailure ? err.message || `HTTP ${err.status}` : String(err);
      error.textContent = `Could not switch the MCP server ${wanted ? "on" : "off"}: ${why}`;
      error.hidden = false;
    } finally {
      toggle.disabled = false;
      showDetails(toggle.checked);
    }
  });
}
