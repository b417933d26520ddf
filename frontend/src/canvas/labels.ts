// How handles, categories and statuses are labelled on the canvas.

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
