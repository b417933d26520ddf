// The tool servers of the workspace and their tools, as the tool node's panel reads them:
// GET /api/tool-servers → ToolServer[] (the tools app; built-in servers and the workspace's MCP
// servers). Without the tools app installed (404), a workspace has no tool servers.
import { useEffect, useState } from "react";

import { api, ApiFailure } from "../api/client";
import type { Schema } from "../state/schema";

export interface ToolSpec {
  name: string;
  description: string;
  input_schema: Schema; // the tool's arguments (JSON Schema of an object)
}

export interface ToolServer {
  name: string;
  tools: ToolSpec[];
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
