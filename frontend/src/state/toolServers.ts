// The tool servers of the workspace and their tools, which every tool field of the node panel
// reads (the tool node's pickers, each tool row of an agent): GET /api/tool-servers →
// ToolServer[] (the tools app; built-in servers and the workspace's MCP servers). Without the
// tools app installed (404), a workspace has no tool servers. One listing is shared by every
// field while any shows: the first field to show (the panel opening) lists them afresh, and
// `load` lists them again on demand (the ↻ beside a server picker).
import { useEffect } from "react";
import { create } from "zustand";

import { api, ApiFailure } from "../api/client";
import type { components } from "../api/schema";
import type { Schema } from "./schema";

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

interface ToolServers {
  servers: ToolServer[] | null; // null while the first listing is on its way
  error: string;
  /** How many tool fields show now. */
  users: number;
  /** Which listing's answer is awaited: an older one that comes later is dropped. */
  asked: number;
  /** List the servers again, keeping the ones known until the answer comes. */
  load: () => void;
  /** A field shows; the first one lists the servers afresh. Returns what it calls when it goes. */
  join: () => () => void;
}

export const useToolServerList = create<ToolServers>((set, get) => ({
  servers: null,
  error: "",
  users: 0,
  asked: 0,
  load: () => {
    const asked = get().asked + 1;
    set({ asked, error: "" });
    listToolServers().then(
      (servers) => get().asked === asked && set({ servers }),
      (err: unknown) => get().asked === asked && set({ error: err instanceof Error ? err.message : String(err) }),
    );
  },
  join: () => {
    const first = get().users === 0;
    set((s) => ({ users: s.users + 1 }));
    if (first) {
      set({ servers: null }); // the last panel's list may be out of date: wait for the fresh one
      get().load();
    }
    return () => set((s) => ({ users: s.users - 1 }));
  },
}));

/** The servers (null while loading), an error message, and `load` to list them again; the
 * calling field counts as showing until it unmounts. */
export function useToolServers(): { servers: ToolServer[] | null; error: string; load: () => void } {
  const servers = useToolServerList((s) => s.servers);
  const error = useToolServerList((s) => s.error);
  const load = useToolServerList((s) => s.load);
  const join = useToolServerList((s) => s.join);
  useEffect(join, [join]);
  return { servers, error, load };
}
