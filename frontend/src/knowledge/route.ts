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
  kb: number | null;
  tab: KbTab;
  doc: number | null;
}

export function parseHash(hash: string): Route {
  const [kind, kb, tab, doc] = hash.replace(/^#\/?/, "").split("/");
  const id = Number(kb);
  if (kind !== "kb" || !Number.isInteger(id) || id <= 0) return { kb: null, tab: "documents", doc: null };
  const known = KB_TABS.map(([t]) => t);
  const docId = Number(doc);
  return {
    kb: id,
    tab: known.includes(tab as KbTab) ? (tab as KbTab) : "documents",
    doc: tab === "documents" && Number.isInteger(docId) && docId > 0 ? docId : null,
  };
}
