// The tools an agent's card names ("Tools: get_current_time, search_knowledge") and the one a tool
// node's card calls ("clock · get_current_time"), read from the config as the knowledge-retrieval
// card's knowledge bases are (knowledgeNames.ts); the names are in the config itself, so nothing
// is fetched.
import { resolve, type Schema } from "./schema";

/** How many tool names a card writes out before it says how many more. */
const SHOWN = 3;

/** The config field a type's schema marks as its tools (a list whose rows pick a tool: widget
 * tool), and the row's field that holds the tool's name. */
export function toolsField(configSchema: Record<string, unknown> | undefined): { list: string; name: string } | null {
  const root = (configSchema ?? {}) as Schema;
  for (const [list, prop] of Object.entries(root.properties ?? {})) {
    if (prop.type !== "array" || !prop.items) continue;
    const row = resolve(prop.items, root).properties ?? {};
    const name = Object.keys(row).find((k) => row[k]?.widget === "tool");
    if (name) return { list, name };
  }
  return null;
}

/** What a card says of the tools it may call: the first three names and "+N" for the rest (a
 * row whose tool is not picked yet is left out), and every name for its tooltip. */
export function toolsLabel(rows: unknown, name: string): { text: string; title: string } {
  const names = (Array.isArray(rows) ? (rows as unknown[]) : [])
    .map((row) => (row && typeof row === "object" ? (row as Record<string, unknown>)[name] : undefined))
    .filter((n): n is string => typeof n === "string" && n !== "");
  if (!names.length) return { text: "Tools: none chosen", title: "No tools chosen" };
  const more = names.length - SHOWN;
  return { text: `Tools: ${names.slice(0, SHOWN).join(", ")}${more > 0 ? ` +${more}` : ""}`, title: names.join(", ") };
}

/** The config fields a type's schema marks as the one tool it calls: a server (widget
 * tool_server) and a tool of it (widget tool), side by side at the top of its config. */
export function toolCallFields(configSchema: Record<string, unknown> | undefined): { server: string; tool: string } | null {
  const props = ((configSchema ?? {}) as Schema).properties ?? {};
  const server = Object.keys(props).find((k) => props[k]?.widget === "tool_server");
  const tool = Object.keys(props).find((k) => props[k]?.widget === "tool");
  return server && tool ? { server, tool } : null;
}

/** What a card says of the one tool it calls: "server · tool", and what is not picked yet. */
export function toolCallLabel(server: unknown, tool: unknown): string {
  const name = (v: unknown) => (typeof v === "string" ? v.trim() : "");
  if (!name(server)) return "no tool chosen";
  return `${name(server)} · ${name(tool) || "no tool chosen"}`;
}
