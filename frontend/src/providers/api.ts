// Calls to /api/providers: the model servers a workspace's LLM nodes can use.
import { api } from "../api/client";
import type { Provider, ProviderCheck, ProviderCheckIn, ProviderDeleted, ProviderIn, ProviderPatch } from "./types";

const one = (name: string) => `/providers/${encodeURIComponent(name)}`;

export const providers = {
  list: () => api<Provider[]>("GET", "/providers"),
  create: (body: ProviderIn) => api<Provider>("POST", "/providers", body),
  update: (name: string, body: ProviderPatch) => api<Provider>("PATCH", one(name), body),
  remove: (name: string) => api<ProviderDeleted>("DELETE", one(name)),
  /** A saved provider as stored ({}), or with changed settings not saved yet. */
  check: (name: string, body: ProviderCheckIn = {}) => api<ProviderCheck>("POST", `${one(name)}/check`, body),
  checkNew: (body: ProviderCheckIn) => api<ProviderCheck>("POST", "/providers/check", body),
};
