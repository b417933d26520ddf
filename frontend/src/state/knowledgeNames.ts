// Knowledge base names by id, so a knowledge-retrieval card names what it searches. Fetched once
// when the first such card shows; the panel's picker refreshes them each time it lists the bases.
import { create } from "zustand";

import { knowledge } from "../knowledge/api";
import type { KnowledgeBase } from "../knowledge/types";

interface KbNames {
  names: Record<string, string> | null;
  requested: boolean;
  /** Fetch the names unless they are known or on their way. */
  need: () => void;
  /** The names of a fresh listing. */
  remember: (bases: KnowledgeBase[]) => void;
}

export const useKbNames = create<KbNames>((set, get) => ({
  names: null,
  requested: false,
  need: () => {
    if (get().requested) return;
    set({ requested: true });
    knowledge.list().then(get().remember, () => set({ requested: false }));
  },
  remember: (bases) => set({ names: Object.fromEntries(bases.map((kb) => [String(kb.id), kb.name])) }),
}));

/** The config field a type's schema marks as its knowledge bases (widget knowledge_bases). */
export function knowledgeField(configSchema: Record<string, unknown> | undefined): string | null {
  const props = (configSchema?.properties ?? {}) as Record<string, { widget?: unknown }>;
  return Object.keys(props).find((k) => props[k]?.widget === "knowledge_bases") ?? null;
}

/** What a card says of the knowledge bases it searches: their names, in the order picked. */
export function knowledgeLabel(ids: unknown, names: Record<string, string> | null): string {
  const list = Array.isArray(ids) ? ids.map(String) : [];
  if (!list.length) return "no knowledge base chosen";
  if (!names) return list.length === 1 ? "1 knowledge base" : `${list.length} knowledge bases`;
  return list.map((id) => names[id] ?? "a deleted knowledge base").join(", ");
}
