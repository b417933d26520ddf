// Calls to /api/tools/servers (the workspace's MCP servers) and /api/tool-servers (every server a
// run may call, built-in ones included).
import { api } from "../api/client";
import type { ToolListing, ToolServer, ToolServerIn, ToolServerPatch } from "./types";

const one = (id: string) => `/tools/servers/${id}`;

export const tools = {
  list: () => api<ToolServer[]>("GET", "/tools/servers"),
  listing: () => api<ToolListing[]>("GET", "/tool-servers"),
  create: (body: ToolServerIn) => api<ToolServer>("POST", "/tools/servers", body),
  update: (id: string, body: ToolServerPatch) => api<ToolServer>("PATCH", one(id), body),
  remove: (id: string) => api<void>("DELETE", one(id)),
  refresh: (id: string) => api<ToolServer>("POST", `${one(id)}/refresh`),
};
