// The knowledge pages' words and numbers: a document's stage and progress, scores, the files an
// upload refuses before sending them, chunk separators as typed, metadata rows.
import { plural } from "../page/words";
import type { Chunking, ChunkingMode, KbDocument, MetadataValue, RetrievalMode, Stage } from "./types";

export const STAGE_WORDS: Record<Stage, string> = {
  queued: "Queued",
  parsing: "Parsing",
  chunking: "Chunking",
  embedding: "Embedding",
  indexed: "Indexed",
  failed: "Failed",
};

export const METHOD_WORDS: Record<RetrievalMode, string> = {
  vector: "Vector",
  full_text: "Full-text",
  hybrid: "Hybrid",
};

export const METHODS: RetrievalMode[] = ["vector", "full_text", "hybrid"];

export const CHUNKING_WORDS: Record<ChunkingMode, string> = {
  general: "General",
  parent_child: "Parent-child",
  qa: "Q&A pairs",
};

/** Whether the worker still has work to do on a document. */
export function inProgress(stage: Stage): boolean {
  return stage !== "indexed" && stage !== "failed";
}

// Where each stage starts on the document's one bar: embedding is most of the work.
const STAGE_START: Record<Stage, number> = { queued: 0, parsing: 0.02, chunking: 0.08, embedding: 0.12, indexed: 1, failed: 0 };

/** Share of a document's ingestion done, 0..1, on one bar across the stages. */
export function documentFraction(doc: Pick<KbDocument, "stage" | "progress">): number {
  if (doc.stage === "indexed") return 1;
  const { done, total } = doc.progress;
  const within = total > 0 ? Math.min(1, Math.max(0, done / total)) : 0;
  if (doc.stage === "embedding") return STAGE_START.embedding + (1 - STAGE_START.embedding) * within;
  // a server that parses files (RAGFlow) reports its whole parse, in percent, as parsing
  if (doc.stage === "parsing" && total > 0) return within;
  return STAGE_START[doc.stage];
}

/** "Embedding · 120 / 300 chunks", "Parsing · 40%" (on a server that parses), "Indexed · 42 chunks", "Queued". */
export function progressWords(doc: Pick<KbDocument, "stage" | "progress" | "chunk_count">): string {
  const { done, total } = doc.progress;
  if (doc.stage === "indexed") return `${STAGE_WORDS.indexed} · ${plural(doc.chunk_count, "chunk")}`;
  if (doc.stage === "embedding" && total > 0) return `${STAGE_WORDS.embedding} · ${done} / ${plural(total, "chunk")}`;
  if (doc.stage === "parsing" && total > 0) return `${STAGE_WORDS.parsing} · ${Math.round((100 * done) / total)}%`;
  return STAGE_WORDS[doc.stage];
}

/** A score with three decimals; "–" where the method did not run. */
export function formatScore(score: number | null | undefined): string {
  return score == null || !Number.isFinite(score) ? "–" : score.toFixed(3);
}

/** A metric as the tables show it (nDCG@10 0.7213 → "0.721"). */
export const formatMetric = formatScore;

export interface Refusal {
  name: string;
  reason: string;
}

/** The files to send, and those refused before upload (too big, empty, a type not read). */
export function checkFiles(files: File[], maxBytes: number, suffixes: string[]): { accepted: File[]; refused: Refusal[] } {
  const accepted: File[] = [];
  const refused: Refusal[] = [];
  for (const file of files) {
    const dot = file.name.lastIndexOf(".");
    const suffix = dot >= 0 ? file.name.slice(dot).toLowerCase() : "";
    if (!suffixes.includes(suffix)) {
      refused.push({ name: file.name, reason: `${suffix ? `${suffix} files are` : "a file without an extension is"} not read: use ${suffixList(suffixes)}` });
    } else if (file.size > maxBytes) {
      refused.push({ name: file.name, reason: `the file is ${megabytes(file.size)}, over the limit of ${megabytes(maxBytes)}` });
    } else if (file.size === 0) {
      refused.push({ name: file.name, reason: "the file is empty" });
    } else {
      accepted.push(file);
    }
  }
  return { accepted, refused };
}

/** ".txt, .md, .pdf" from the suffixes, each named once (".htm" and ".markdown" are aliases). */
export function suffixList(suffixes: string[]): string {
  return suffixes.filter((s) => s !== ".htm" && s !== ".markdown").join(", ");
}

export function megabytes(n: number): string {
  const mb = n / 2 ** 20;
  return `${mb >= 10 ? Math.round(mb) : Number(mb.toFixed(1))} MB`;
}

/** Separators as typed in one line: a newline shows as \n, a tab as \t. */
export function showSeparator(s: string): string {
  return s.replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/\t/g, "\\t");
}

/** A typed separator back to its characters (\n is a newline, \t a tab, \\ a backslash). */
export function readSeparator(typed: string): string {
  return typed.replace(/\\(\\|n|t)/g, (_, c: string) => (c === "n" ? "\n" : c === "t" ? "\t" : "\\"));
}

/** The settings a new knowledge base starts with in each chunking mode (the server's defaults). */
export const CHUNKING_DEFAULTS: Record<ChunkingMode, Chunking> = {
  general: { mode: "general", size: 256, overlap: 32, separators: ["\n\n"], parent_size: 1024 },
  parent_child: { mode: "parent_child", size: 128, overlap: 16, separators: ["\n\n"], parent_size: 1024 },
  qa: { mode: "qa", size: 256, overlap: 0, separators: [], parent_size: 1024 },
};

/** "General · 256 tokens, 32 overlap" and the like, for a knowledge base's header. */
export function chunkingWords(c: Chunking): string {
  if (c.mode === "qa") return `${CHUNKING_WORDS.qa} · one chunk per csv row`;
  if (c.mode === "parent_child") return `${CHUNKING_WORDS.parent_child} · ${c.size}-token children in ${c.parent_size}-token parents`;
  return `${CHUNKING_WORDS.general} · ${c.size} tokens, ${c.overlap} overlap`;
}

export interface MetaRow {
  key: string;
  value: string;
}

export function metadataRows(metadata: Record<string, MetadataValue>): MetaRow[] {
  return Object.entries(metadata).map(([key, value]) => ({ key, value: String(value) }));
}

const NUMBER = /^-?(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?$/i;

/** The rows as metadata (a value that reads as a number is kept as one, so filters can compare
 * it), or the first problem in words naming the row. */
export function readMetadata(rows: MetaRow[]): { metadata: Record<string, MetadataValue> } | { error: string } {
  const metadata: Record<string, MetadataValue> = {};
  for (const [i, row] of rows.entries()) {
    const key = row.key.trim();
    const value = row.value.trim();
    if (!key && !value) continue;
    if (!key) return { error: `Row ${i + 1} has a value but no key.` };
    if (key in metadata) return { error: `The key “${key}” is given twice (row ${i + 1}).` };
    metadata[key] = NUMBER.test(value) ? Number(value) : value;
  }
  return { metadata };
}
