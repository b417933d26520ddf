// The knowledge-base API's shapes (/work/prompts/kb_contract.md), written by hand until the API
// lands in schema.ts; then these become aliases of the generated types, as api/types.ts does.

export type Backend = "embedded" | "milvus" | "ragflow";
export type ChunkingMode = "general" | "parent_child" | "qa";
export type RetrievalMode = "hybrid" | "vector" | "full_text";
export type Stage = "queued" | "parsing" | "chunking" | "embedding" | "indexed" | "failed";
export type EvalStatus = "queued" | "running" | "succeeded" | "failed";

export interface Chunking {
  mode: ChunkingMode;
  size: number;
  overlap: number;
  separators: string[];
  parent_size: number;
}

export interface Retrieval {
  mode: RetrievalMode;
  weight: number;
  top_k: number;
  score_threshold: number | null;
}

export interface KnowledgeBase {
  id: number;
  name: string;
  description: string;
  backend: Backend;
  chunking: Chunking;
  retrieval: Retrieval;
  document_count: number;
  chunk_count: number;
  capabilities: Record<string, unknown>;
  created_at: string;
}

export interface KnowledgeBaseIn {
  name: string;
  description?: string;
  backend?: Backend;
  chunking?: Partial<Chunking>;
  retrieval?: Partial<Retrieval>;
}

export interface KnowledgeBasePatch {
  name?: string;
  description?: string;
  retrieval?: Partial<Retrieval>;
}

export type MetadataValue = string | number;

export interface KbDocument {
  id: number;
  name: string;
  size: number;
  content_hash: string;
  stage: Stage;
  progress: { done: number; total: number };
  chunk_count: number;
  error: string;
  enabled: boolean;
  metadata: Record<string, MetadataValue>;
  created_at: string;
  updated_at: string;
  unchanged?: boolean;
}

export interface DocumentList {
  worker: { ok: boolean; message: string };
  documents: KbDocument[];
}

export interface DocumentPatch {
  enabled?: boolean;
  metadata?: Record<string, MetadataValue>;
}

export interface KbChunk {
  id: string;
  index: number;
  text: string;
  parent_text: string | null;
  enabled: boolean;
  edited: boolean;
}

export interface ChunkPage {
  total: number;
  chunks: KbChunk[];
}

export interface SearchIn {
  query: string;
  top_k?: number;
  weight?: number;
}

export interface Hit {
  chunk_id: string;
  text: string;
  document_id: number;
  document_name: string;
  metadata: Record<string, MetadataValue>;
  scores: { vector: number | null; full_text: number | null; fused: number };
}

export interface SearchOut {
  vector: Hit[];
  full_text: Hit[];
  hybrid: Hit[];
}

export interface TestSetSummary {
  queries: number;
  judgments: number;
  unmatched: string[];
}

export interface TestSet {
  queries: { id: string; text: string; relevant: number[] }[];
}

export interface JudgmentIn {
  query: string;
  document_id: number;
  relevant: boolean;
}

export interface MethodScores {
  ndcg_at_10: number;
  recall_at_k: number;
  k: number;
}

export interface SweepPoint {
  weight: number;
  top_k: number;
  ndcg_at_10: number;
  recall_at_k: number;
}

export interface Evaluation {
  id: number;
  status: EvalStatus;
  progress: { done: number; total: number };
  error: string;
  results: Partial<Record<RetrievalMode, MethodScores>>;
  sweep: SweepPoint[];
  best: { weight: number; top_k: number; ndcg_at_10: number } | null;
  settings: { weight: number; top_k: number };
}
