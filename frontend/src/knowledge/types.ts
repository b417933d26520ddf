// Names for the knowledge-base API's shapes: aliases of the types generated from the OpenAPI
// document (../api/schema.ts), so a change of the API shows up as a type error here.
import type { components } from "../api/schema";

type S = components["schemas"];
export type KnowledgeBase = S["KnowledgeBaseOut"];
export type KnowledgeBaseIn = S["KnowledgeBaseIn"];
export type BackendInfo = S["BackendOut"];
export type KnowledgeBasePatch = S["KnowledgeBasePatch"];
export type Chunking = S["ChunkingOut"];
export type Retrieval = S["RetrievalOut"];
export type Limits = S["LimitsOut"];
export type KbDocument = S["DocumentOut"];
export type DocumentList = S["DocumentListOut"];
export type DocumentPatch = S["DocumentPatch"];
export type KbChunk = S["ChunkOut"];
export type ChunkPage = S["ChunkPageOut"];
export type ChunkPatch = S["ChunkPatch"];
export type SearchIn = S["SearchIn"];
export type SearchOut = S["SearchOut"];
export type Hit = S["HitOut"];
export type TestSet = S["TestSetOut"];
export type TestSetSummary = S["TestSetUploadOut"];
export type JudgmentIn = S["JudgmentIn"];
export type Evaluation = S["EvaluationOut"];
export type SweepPoint = S["SweepPointOut"];

export type Backend = KnowledgeBase["backend"];
export type ChunkingMode = Chunking["mode"];
export type RetrievalMode = Retrieval["mode"];
export type Stage = KbDocument["stage"];
export type EvalStatus = Evaluation["status"];
export type MetadataValue = KbDocument["metadata"][string];
