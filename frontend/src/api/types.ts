// Names for the API's shapes. They alias the types generated from the OpenAPI document
// (schema.ts, `npm run schema`), so a change of the API shows up as a type error here.
import type { components } from "./schema";

type S = components["schemas"];
export type NodeTypeInfo = S["NodeTypeOut"];
export type Issue = S["IssueOut"];
export type GraphReport = S["GraphReportOut"];
export type NodeShape = S["NodeShapeOut"];
export type Draft = S["DraftOut"];
export type DraftSaved = S["DraftSaved"];
export type Version = S["VersionOut"];
export type VersionDetail = S["VersionDetail"];
export type VersionDiff = S["VersionDiffOut"];
export type Provider = S["ProviderOut"];
export type RunDetail = S["RunDetail"];
export type NodeRunOut = S["NodeRunOut"];
export type TrainingDataset = S["DatasetOut"];
export type TrainingDatasetDetail = S["DatasetDetail"];
export type TrainingDatasetStats = S["DatasetStatsOut"];
export type TrainingPreviewRow = S["PreviewRowOut"];
export type TrainingOptions = S["OptionsOut"];
export type TrainingBaseModel = S["BaseModelOut"];
export type TrainingStage = S["StageOut"];
export type TrainingJobIn = S["JobIn"];
export type TrainingJob = S["JobOut"];
export type TrainingJobDetail = S["JobDetail"];
export type TrainingProgress = S["ProgressOut"];
export type TrainingCurvePoint = S["CurvePointOut"];
export type TrainingEval = S["EvalOut"];
export type TrainingAdapter = S["AdapterOut"];
export type TrainingMerge = S["MergeOut"];
export type TrainingPlaygroundIn = S["PlaygroundIn"];
export type TrainingPlaygroundOut = S["PlaygroundOut"];
export type TrainingIdentityIn = S["IdentityIn"];
