// Calls to /api/knowledge-bases (JSON through the shared client; files through uploadForm, one
// document per request so that each file gets its own progress and its own error).
import { api, uploadForm } from "../api/client";
import type {
  ChunkPage,
  DocumentList,
  DocumentPatch,
  Evaluation,
  JudgmentIn,
  KbChunk,
  KbDocument,
  KnowledgeBase,
  KnowledgeBaseIn,
  KnowledgeBasePatch,
  SearchIn,
  SearchOut,
  TestSet,
  TestSetSummary,
} from "./types";

const base = (kb: number | string) => `/knowledge-bases/${kb}`;

export const knowledge = {
  list: () => api<KnowledgeBase[]>("GET", "/knowledge-bases"),
  create: (body: KnowledgeBaseIn) => api<KnowledgeBase>("POST", "/knowledge-bases", body),
  get: (kb: number | string) => api<KnowledgeBase>("GET", base(kb)),
  update: (kb: number, body: KnowledgeBasePatch) => api<KnowledgeBase>("PATCH", base(kb), body),
  remove: (kb: number) => api<void>("DELETE", base(kb)),

  documents: (kb: number | string) => api<DocumentList>("GET", `${base(kb)}/documents`),
  upload: (kb: number, file: File, onProgress: (sent: number) => void) => {
    const form = new FormData();
    form.append("files", file);
    return uploadForm<KbDocument[]>(`${base(kb)}/documents`, form, onProgress);
  },
  updateDocument: (kb: number, doc: number, body: DocumentPatch) => api<KbDocument>("PATCH", `${base(kb)}/documents/${doc}`, body),
  removeDocument: (kb: number, doc: number) => api<void>("DELETE", `${base(kb)}/documents/${doc}`),
  retry: (kb: number, doc: number) => api<KbDocument>("POST", `${base(kb)}/documents/${doc}/retry`),
  chunks: (kb: number, doc: number, offset: number, limit: number) =>
    api<ChunkPage>("GET", `${base(kb)}/documents/${doc}/chunks?offset=${offset}&limit=${limit}`),
  updateChunk: (kb: number, chunk: string, body: { text?: string; enabled?: boolean }) =>
    api<KbChunk>("PATCH", `${base(kb)}/chunks/${encodeURIComponent(chunk)}`, body),

  search: (kb: number, body: SearchIn) => api<SearchOut>("POST", `${base(kb)}/search`, body),
  testset: (kb: number) => api<TestSet>("GET", `${base(kb)}/testset`),
  uploadTestset: (kb: number, queries: File, qrels: File, onProgress: (sent: number) => void) => {
    const form = new FormData();
    form.append("queries", queries);
    form.append("qrels", qrels);
    return uploadForm<TestSetSummary>(`${base(kb)}/testset`, form, onProgress, "PUT");
  },
  judge: (kb: number, body: JudgmentIn) => api<unknown>("POST", `${base(kb)}/testset/judgments`, body),
  evaluate: (kb: number) => api<Evaluation>("POST", `${base(kb)}/evaluations`),
  latestEvaluation: (kb: number) => api<Evaluation>("GET", `${base(kb)}/evaluations/latest`),
};
