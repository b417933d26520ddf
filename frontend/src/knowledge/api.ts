// Calls to /api/knowledge-bases (JSON through the shared client; files through uploadForm, one
// document per request so that each file gets its own progress and its own error).
import { api, uploadForm } from "../api/client";
import type {
  BackendInfo,
  ChunkPage,
  ChunkPatch,
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

const base = (kb: string) => `/knowledge-bases/${kb}`;

/** Knowledge bases and documents have UUID ids; chunks hex ones. */
export const knowledge = {
  list: () => api<KnowledgeBase[]>("GET", "/knowledge-bases"),
  backends: () => api<BackendInfo[]>("GET", "/knowledge-bases/backends"),
  create: (body: KnowledgeBaseIn) => api<KnowledgeBase>("POST", "/knowledge-bases", body),
  get: (kb: string) => api<KnowledgeBase>("GET", base(kb)),
  update: (kb: string, body: KnowledgeBasePatch) => api<KnowledgeBase>("PATCH", base(kb), body),
  remove: (kb: string) => api<void>("DELETE", base(kb)),

  documents: (kb: string) => api<DocumentList>("GET", `${base(kb)}/documents`),
  upload: (kb: string, file: File, onProgress: (sent: number) => void) => {
    const form = new FormData();
    form.append("files", file);
    return uploadForm<KbDocument[]>(`${base(kb)}/documents`, form, onProgress);
  },
  updateDocument: (kb: string, doc: string, body: DocumentPatch) => api<KbDocument>("PATCH", `${base(kb)}/documents/${doc}`, body),
  removeDocument: (kb: string, doc: string) => api<void>("DELETE", `${base(kb)}/documents/${doc}`),
  retry: (kb: string, doc: string) => api<KbDocument>("POST", `${base(kb)}/documents/${doc}/retry`),
  chunks: (kb: string, doc: string, offset: number, limit: number) =>
    api<ChunkPage>("GET", `${base(kb)}/documents/${doc}/chunks?offset=${offset}&limit=${limit}`),
  updateChunk: (kb: string, chunk: string, body: ChunkPatch) =>
    api<KbChunk>("PATCH", `${base(kb)}/chunks/${encodeURIComponent(chunk)}`, body),

  search: (kb: string, body: SearchIn) => api<SearchOut>("POST", `${base(kb)}/search`, body),
  testset: (kb: string) => api<TestSet>("GET", `${base(kb)}/testset`),
  uploadTestset: (kb: string, queries: File, qrels: File, onProgress: (sent: number) => void) => {
    const form = new FormData();
    form.append("queries", queries);
    form.append("qrels", qrels);
    return uploadForm<TestSetSummary>(`${base(kb)}/testset`, form, onProgress, "PUT");
  },
  judge: (kb: string, body: JudgmentIn) => api<TestSet>("POST", `${base(kb)}/testset/judgments`, body),
  evaluate: (kb: string) => api<Evaluation>("POST", `${base(kb)}/evaluations`),
  latestEvaluation: (kb: string) => api<Evaluation>("GET", `${base(kb)}/evaluations/latest`),
};
