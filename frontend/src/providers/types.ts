// Names for the providers API's shapes: aliases of the types generated from the OpenAPI document.
import type { components } from "../api/schema";

type S = components["schemas"];
export type Provider = S["ProviderOut"];
export type ProviderIn = S["ProviderIn"];
export type ProviderPatch = S["ProviderPatch"];
export type ProviderCheckIn = S["ProviderCheckIn"];
export type ProviderCheck = S["ProviderCheckOut"];
export type ProviderDeleted = S["ProviderDeletedOut"];
export type ProviderKind = ProviderIn["kind"];
