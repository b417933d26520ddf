// The tools an agent's card names ("Tools: get_current_time, search_knowledge"), read from its
// config as the knowledge-retrieval card's knowledge bases are (knowledgeNames.ts); the names are
// in the config itself, so nothing is fetched.
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
