// The tool servers of the workspace and their tools, as the tool node's panel reads them:
// GET /api/tool-servers → ToolServer[] (the tools app; built-in servers and the workspace's MCP
// servers). Without the tools app installed (404), a workspace has no tool servers.
import { useEffect, useState } from "react";

import { api, ApiFailure } from "../api/client";
import type { components } from "../api/schema";
import type { Schema } from "../state/schema";

export interface ToolSpec {
  name: string;
  description: string;
  input_schema: Schema; // the tool's arguments (JSON Schema of an object)
}

type Listing = components["schemas"]["ToolServerListing"];

/** A server with its tools as last checked; how current they are comes with MCP servers. */
export interface ToolServer extends Partial<Omit<Listing, "name" | "tools">> {
  name: string;
  tools: ToolSpec[];
}

/** What the panel says about a server's tools when they are not a fresh list ("" when they are):
 * the listing never waits for a server, a task worker checks the stale ones. */
export function toolsNote(server: ToolServer): string {
  if (server.refreshing) return server.freshness === "never_listed" ? "Listing its tools…" : "Refreshing its tools…";
  if (server.freshness === "never_listed") return "Its tools were never listed: refresh it on the Tools page.";
  if (server.status === "error") return `Its last check failed (${server.error ?? ""}); these are the tools it listed before.`;
  if (server.freshness === "stale") return "Its tools may be out of date: refresh it on the Tools page.";
  return "";
}

export async function listToolServers(): Promise<ToolServer[]> {
  try {
    return await api<ToolServer[]>("GET", "/tool-servers");
  } catch (err) {
    if (err instanceof ApiFailure && err.status === 404) return [];
    throw err;
  }
}

/** The servers (null while loading) and an error message; fetched when the panel shows. */
export function useToolServers(): { servers: ToolServer[] | null; error: string } {
  const [servers, setServers] = useState<ToolServer[] | null>(null);
  const [error, setError] = useState("");
  useEffect(() => {
    let live = true;
    listToolServers().then(
      (s) => live && setServers(s),
      (err: unknown) => live && setError(err instanceof Error ? err.message : String(err)),
    );
    return () => {
      live = false;
    };
  }, []);
  return { servers, error };
}
