// How handles, categories, statuses and models are labelled on the canvas.
import type { Provider } from "../api/types";

export const CATEGORY_LABELS: Record<string, string> = {
  io: "Input & output",
  llm: "LLM",
  knowledge: "Knowledge",
  tools: "Tools",
  logic: "Logic",
  transform: "Transform",
};

export const CATEGORY_ORDER = ["io", "llm", "knowledge", "tools", "logic", "transform"];

export function categoryLabel(category: string): string {
  return CATEGORY_LABELS[category] ?? category.replace(/_/g, " ");
}

export function handleLabel(handle: string): string {
  if (handle === "source") return "";
  if (handle === "false") return "ELSE";
  if (handle === "fail-branch") return "ON FAIL";
  return handle.toUpperCase();
}

export function formatMs(ms: number | null | undefined): string {
  if (ms == null) return "";
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(2)} s`;
}

type ModelRef = { provider?: string; name?: string };

function isModelRef(value: unknown): value is ModelRef {
  return !!value && typeof value === "object" && !Array.isArray(value) && "provider" in value && "name" in value;
}

/** The first model the node's config names (an LLM node's `model`), as the model picker labels
 * it: a trained adapter shows as "<base> + <adapter>". */
export function modelLabel(config: Record<string, unknown>, providers: Provider[]): { text: string; title: string } | null {
  const ref = Object.values(config).find(isModelRef);
  if (!ref?.provider) return null;
  const label = ref.name ? (providers.find((p) => p.name === ref.provider)?.labels?.[ref.name] ?? ref.name) : "no model chosen";
  return { text: label, title: `${ref.provider} · ${ref.name || "no model chosen"}` };
}
