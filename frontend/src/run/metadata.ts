// Reading a node's `metadata` (runtime Done.metadata: how the node got its outputs) for people:
// Dify's citation list `retriever_resources`, and every other key as it is. Shared by the
// editor's trace and chat preview and by the portal's app page (no React here).

export type Metadata = Record<string, unknown>;

/** One cited passage (an item of Dify's `retriever_resources`), the fields people read. */
export interface Citation {
  position: number;
  documentName: string;
  datasetName: string;
  score: number | null;
  content: string;
}

/** What a knowledge node's search found (its metadata's `retrieval`, for the trace): every hit
 * with each method's score and the fused one, and whether the score threshold kept it. */
export interface Retrieval {
  query: string;
  hits: RetrievalHit[];
}

export interface RetrievalHit {
  documentName: string;
  score: number | null;
  vectorScore: number | null;
  fullTextScore: number | null;
  kept: boolean;
}

/** One step a node logged as it ran (runtime NodeLog): an agent's thought, tool call or result. */
export interface LogStep {
  label: string;
  step: number;
  data: Record<string, unknown>;
}

const CITATIONS = "retriever_resources";
const LOG = "log";
const RETRIEVAL = "retrieval";
const SNIPPET_CHARS = 200;

function text(value: unknown): string {
  return typeof value === "string" ? value : "";
}

/** The citations in `metadata`, in their order; items that are not objects are left out. */
export function citationsOf(metadata: Metadata | undefined): Citation[] {
  const list = metadata?.[CITATIONS];
  if (!Array.isArray(list)) return [];
  return list
    .filter((item): item is Record<string, unknown> => typeof item === "object" && item !== null)
    .map((item, i) => ({
      position: typeof item.position === "number" ? item.position : i + 1,
      documentName: text(item.document_name) || text(item.document_id) || "(untitled)",
      datasetName: text(item.dataset_name),
      score: typeof item.score === "number" ? item.score : null,
      content: text(item.content),
    }));
}

function score(value: unknown): number | null {
  return typeof value === "number" && Number.isFinite(value) ? value : null;
}

/** A knowledge node's `retrieval` in `metadata`; null when it has none or not in this shape. */
export function retrievalOf(metadata: Metadata | undefined): Retrieval | null {
  const r = metadata?.[RETRIEVAL];
  if (typeof r !== "object" || r === null || !Array.isArray((r as Record<string, unknown>).hits)) return null;
  const { query, hits } = r as { query?: unknown; hits: unknown[] };
  return {
    query: text(query),
    hits: hits
      .filter((h): h is Record<string, unknown> => typeof h === "object" && h !== null)
      .map((h) => ({
        documentName: text(h.document_name) || text(h.segment_id) || "(untitled)",
        score: score(h.score),
        vectorScore: score(h.vector_score),
        fullTextScore: score(h.full_text_score),
        kept: h.kept !== false,
      })),
  };
}

/** The steps in `metadata`'s `log`, in order; items not in that shape are left out. */
export function logOf(metadata: Metadata | undefined): LogStep[] {
  const list = metadata?.[LOG];
  if (!Array.isArray(list)) return [];
  return list
    .filter((item): item is Record<string, unknown> => typeof item === "object" && item !== null && typeof item.label === "string")
    .map((item) => ({
      label: item.label as string,
      step: typeof item.step === "number" ? item.step : 0,
      data: typeof item.data === "object" && item.data !== null ? (item.data as Record<string, unknown>) : {},
    }));
}

/** How a step reads: a heading ("Thought", "Called add", "add returned", "add failed"), the text
 * under it (the thought, the arguments, the result) and whether it is an error. */
export function stepLine(s: LogStep): { head: string; body: string; failed: boolean } {
  const d = s.data;
  const tool = text(d.tool);
  if (s.label === "thought") return { head: "Thought", body: text(d.text), failed: false };
  if (s.label === "tool_call") return { head: `Called ${tool}`, body: text(d.arguments), failed: false };
  if (s.label === "tool_result") {
    const failed = d.ok === false;
    return { head: failed ? `${tool} failed` : `${tool} returned`, body: text(d.result), failed };
  }
  return { head: s.label, body: JSON.stringify(d), failed: false };
}

/** The metadata keys shown as they are (e.g. usage, agent steps): all but the citations and a
 * retrieval that reads as one (each has its own view). */
export function otherMetadata(metadata: Metadata | undefined): Metadata {
  const parsed = retrievalOf(metadata) !== null;
  return Object.fromEntries(Object.entries(metadata ?? {}).filter(([key]) => key !== CITATIONS && key !== LOG && !(parsed && key === RETRIEVAL)));
}

/** The run's metadata from its nodes', in the order they finished: list values joined by key
 *  (what runtime RunFinished.metadata holds; a stored run keeps only the nodes'). */
export function joinMetadata(nodes: Iterable<Metadata | undefined>): Record<string, unknown[]> {
  const joined: Record<string, unknown[]> = {};
  for (const metadata of nodes) {
    for (const [key, value] of Object.entries(metadata ?? {})) {
      if (Array.isArray(value)) (joined[key] ??= []).push(...value);
    }
  }
  return joined;
}

/** The first characters of a passage, on one line, with "…" when cut. */
export function snippet(content: string, max: number = SNIPPET_CHARS): string {
  const line = content.replace(/\s+/g, " ").trim();
  return line.length > max ? `${line.slice(0, max - 1).trimEnd()}…` : line;
}

/** "0.92" for a score, "" when there is none. */
export function formatScore(score: number | null): string {
  return score === null ? "" : score.toFixed(2);
}
