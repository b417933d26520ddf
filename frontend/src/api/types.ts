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
