// The node types an app's mode offers (the server serves each type's `modes`, its offered_in): a
// node of a type the mode does not offer is never added, dropped or pasted into the app, and the
// user is told, in words, what was left out and why.
import type { NodeTypeInfo } from "../api/types";
import type { Clipboard } from "./graph";
import { newestVersions, typeKey } from "./nodeTypes";

export type AppMode = NodeTypeInfo["modes"][number];

/** The info of a node's type: its own version's, else the newest version's (null: unknown). */
export function typeInfo(types: Record<string, NodeTypeInfo>, catalog: NodeTypeInfo[], type: string, version: number): NodeTypeInfo | null {
  return types[typeKey(type, version)] ?? newestVersions(catalog).find((t) => t.type === type) ?? null;
}

/** Why a node of `type` cannot be in an app of `mode` ("Answer works only in chat apps"), or
 * null when it can. */
export function whyNotOffered(info: NodeTypeInfo | null, type: string, mode: AppMode): string | null {
  if (!info) return `“${type}” is not a node type this server knows`;
  if (info.modes.includes(mode)) return null;
  if (!info.modes.length) return `${info.title} is not offered in any app`;
  return `${info.title} works only in ${info.modes.join(" and ")} apps`;
}

/** The clipboard without its nodes of types `mode` does not offer (and their wires), and a note
 * naming what was left out and why ("Answer works only in chat apps, so it was not pasted."); the
 * note is null when all of it may be pasted. */
export function offeredPart(
  clip: Clipboard,
  types: Record<string, NodeTypeInfo>,
  catalog: NodeTypeInfo[],
  mode: AppMode,
): { clip: Clipboard; note: string | null } {
  const left = new Map<string, { reason: string; typeTitle: string; titles: string[] }>();
  // A container's start node is never offered alone: it comes with its container.
  const copied = new Map(clip.nodes.map((n) => [n.id, n]));
  const startOf = (id: string | undefined) => {
    const parent = id ? copied.get(id) : undefined;
    return parent ? typeInfo(types, catalog, parent.data.type, parent.data.version)?.container_start : null;
  };
  const kept = clip.nodes.filter((n) => {
    if (n.parentId && startOf(n.parentId) === n.data.type) return true;
    const info = typeInfo(types, catalog, n.data.type, n.data.version);
    const reason = whyNotOffered(info, n.data.type, mode);
    if (!reason) return true;
    const typeTitle = info?.title ?? n.data.type;
    const group = left.get(n.data.type) ?? { reason, typeTitle, titles: [] };
    group.titles.push(n.data.title || typeTitle);
    left.set(n.data.type, group);
    return false;
  });
  if (!left.size) return { clip, note: null };
  const ids = new Set(kept.map((n) => n.id));
  const edges = clip.edges.filter((e) => ids.has(e.source) && ids.has(e.target));
  const notes = [...left.values()].map(({ reason, typeTitle, titles }) => {
    if (titles.length > 1) return `${reason}, so ${titles.length} ${typeTitle} nodes were not pasted.`;
    return `${reason}, so ${titles[0] === typeTitle ? "it" : `“${titles[0]}”`} was not pasted.`;
  });
  return { clip: { ...clip, nodes: kept, edges }, note: notes.join(" ") };
}
