// The node type catalog (GET /node-types lists every version of every type), keyed by
// (type, version): a node keeps the schema, outputs and panel of the version it was saved with,
// so a v1 node stays v1 when a v2 of its type exists. New nodes get the newest version.
import type { NodeTypeInfo } from "../api/types";

/** The key of one version of a node type in the editor's `types`. */
export function typeKey(type: string, version: number): string {
  return `${type}@${version}`;
}

/** Every version of every type, by typeKey. */
export function indexCatalog(catalog: NodeTypeInfo[]): Record<string, NodeTypeInfo> {
  return Object.fromEntries(catalog.map((t) => [typeKey(t.type, t.version), t]));
}

/** The newest version of each type, in catalog order (what the palette offers). */
export function newestVersions(catalog: NodeTypeInfo[]): NodeTypeInfo[] {
  const newest = new Map<string, NodeTypeInfo>();
  for (const t of catalog) {
    const seen = newest.get(t.type);
    if (!seen || t.version > seen.version) newest.set(t.type, t);
  }
  return catalog.filter((t) => newest.get(t.type) === t);
}
