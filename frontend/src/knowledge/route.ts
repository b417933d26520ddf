// Where the knowledge page is, kept in the URL hash: #kb/3 (its documents), #kb/3/search,
// #kb/3/measure, #kb/3/settings, #kb/3/documents/12 (a document's chunks); anything else is the list.

export type KbTab = "documents" | "search" | "measure" | "settings";
export const KB_TABS: [KbTab, string][] = [
  ["documents", "Documents"],
  ["search", "Test retrieval"],
  ["measure", "Measure"],
  ["settings", "Settings"],
];

export interface Route {
  kb: string | null;
  tab: KbTab;
  doc: string | null;
}

const ID = /^[0-9a-zA-Z-]{1,64}$/; // the API's ids (UUIDs)

export function parseHash(hash: string): Route {
  const [kind, kb, tab, doc] = hash.replace(/^#\/?/, "").split("/").map(decodeURIComponent);
  if (kind !== "kb" || !kb || !ID.test(kb)) return { kb: null, tab: "documents", doc: null };
  const known = KB_TABS.map(([t]) => t);
  return {
    kb,
    tab: known.includes(tab as KbTab) ? (tab as KbTab) : "documents",
    doc: tab === "documents" && doc && ID.test(doc) ? doc : null,
  };
}
