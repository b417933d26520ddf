// The version diff (GET /api/apps/{id}/versions/{n}/diff) grouped and worded for the versions
// panel. Pure functions, tested in diff.test.ts.
import type { components } from "../api/schema";

// The API's shapes, from the generated OpenAPI types: from version `from_version` to `to`.
export type DiffNode = components["schemas"]["DiffNodeOut"];
export type FieldChange = components["schemas"]["FieldChangeOut"];
export type DiffNodeChange = components["schemas"]["DiffNodeChangeOut"];
export type DiffEdge = components["schemas"]["DiffEdgeOut"];
export type VersionDiff = components["schemas"]["VersionDiffOut"];

export type Tone = "added" | "removed" | "changed";

export type DiffSection =
  | { key: "nodes_added" | "nodes_removed"; label: string; tone: Tone; nodes: DiffNode[] }
  | { key: "nodes_changed"; label: string; tone: Tone; changed: DiffNodeChange[] }
  | { key: "edges_added" | "edges_removed"; label: string; tone: Tone; edges: { key: string; text: string }[] };

export function versionLabel(v: number | string): string {
  return v === "draft" ? "Draft" : `v${v}`;
}

export function isEmptyDiff(d: VersionDiff): boolean {
  return !d.nodes_added.length && !d.nodes_removed.length && !d.nodes_changed.length && !d.edges_added.length && !d.edges_removed.length;
}

/** Titles by node id: the diff's own nodes first, then `known` (the draft's nodes). */
export function titleLookup(d: VersionDiff, known: Iterable<[string, string]> = []): (id: string) => string {
  const titles = new Map<string, string>();
  for (const [id, title] of known) if (title) titles.set(id, title);
  for (const n of [...d.nodes_added, ...d.nodes_removed, ...d.nodes_changed]) if (n.title) titles.set(n.id, n.title);
  return (id) => titles.get(id) ?? id;
}

/** "Title A → Title B", with the branch in brackets when the edge leaves a named handle. */
export function edgeText(e: DiffEdge, titleOf: (id: string) => string): string {
  const handles = [e.source_handle && e.source_handle !== "source" ? e.source_handle : "", e.target_handle && e.target_handle !== "target" ? `into ${e.target_handle}` : ""]
    .filter(Boolean)
    .join(", ");
  return `${titleOf(e.source)} → ${titleOf(e.target)}${handles ? ` (${handles})` : ""}`;
}

/** The non-empty groups of a diff, in reading order. */
export function diffSections(d: VersionDiff, titleOf: (id: string) => string): DiffSection[] {
  const edges = (list: DiffEdge[]) => list.map((e) => ({ key: `${e.source}:${e.source_handle}->${e.target}:${e.target_handle}`, text: edgeText(e, titleOf) }));
  const sections: DiffSection[] = [
    { key: "nodes_added", label: "Nodes added", tone: "added", nodes: d.nodes_added },
    { key: "nodes_removed", label: "Nodes removed", tone: "removed", nodes: d.nodes_removed },
    { key: "nodes_changed", label: "Nodes changed", tone: "changed", changed: d.nodes_changed },
    { key: "edges_added", label: "Edges added", tone: "added", edges: edges(d.edges_added) },
    { key: "edges_removed", label: "Edges removed", tone: "removed", edges: edges(d.edges_removed) },
  ];
  return sections.filter((s) => ("nodes" in s ? s.nodes : "changed" in s ? s.changed : s.edges).length > 0);
}

function counts(pairs: [number, string][]): string {
  return pairs
    .filter(([n]) => n > 0)
    .map(([n, what]) => `${n} ${what}`)
    .join(", ");
}

/** "Nodes: 2 added, 1 changed · Edges: 1 removed" (or "No differences"). */
export function diffSummary(d: VersionDiff): string {
  const nodes = counts([[d.nodes_added.length, "added"], [d.nodes_removed.length, "removed"], [d.nodes_changed.length, "changed"]]);
  const edges = counts([[d.edges_added.length, "added"], [d.edges_removed.length, "removed"]]);
  const parts = [nodes && `Nodes: ${nodes}`, edges && `Edges: ${edges}`].filter(Boolean);
  return parts.length ? parts.join(" · ") : "No differences";
}

/** A changed value as text: strings as they are, "(none)" for a missing value, else JSON. */
export function formatValue(v: unknown): string {
  if (v === undefined || v === null) return "(none)";
  if (typeof v === "string") return v === "" ? '""' : v;
  try {
    return JSON.stringify(v) ?? String(v);
  } catch {
    return String(v);
  }
}

export const TRUNCATE_AT = 120;

/** The text cut at `max` characters (on a word boundary when one is near), and whether it was. */
export function truncate(text: string, max: number = TRUNCATE_AT): { text: string; truncated: boolean } {
  if (text.length <= max) return { text, truncated: false };
  const cut = text.slice(0, max);
  const space = cut.lastIndexOf(" ");
  return { text: `${space > max * 0.7 ? cut.slice(0, space) : cut}…`, truncated: true };
}
