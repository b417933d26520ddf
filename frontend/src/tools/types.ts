// Names for the tools API's shapes: aliases of the types generated from the OpenAPI document.
import type { components } from "../api/schema";

type S = components["schemas"];
export type ToolServer = S["ToolServerOut"];
export type ToolServerIn = S["ToolServerIn"];
export type ToolServerPatch = S["ToolServerPatch"];
export type ToolListing = S["ToolServerListing"];
export type ToolSpec = S["ToolOut"];
