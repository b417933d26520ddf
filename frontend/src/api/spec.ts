// The saved workflow spec (runtime/spec.py), as the draft API stores it: aliases of the types
// generated from it (protocol.ts, `make schema`). Node types, their config schemas, handles and
// outputs are not described here: they come from the API at run time.
import type { components } from "./protocol";

type P = components["schemas"];

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
export type Json = { [key: string]: JsonValue };

// A node's config (shaped by its node type's schema) and settings (by NodeSettings, edited through
// the same schema form) are kept as plain JSON by the editor.
export type SpecNode = Omit<P["NodeSpec"], "config" | "settings"> & { config?: Json; settings?: Json };
export type SpecEdge = P["EdgeSpec"];
// The draft API answers with every field of an env var filled in.
export type EnvVar = Required<P["EnvVar"]>;
// A chat app's conversation variable ({{#conversation.name#}}), kept across a conversation's turns.
export type ConversationVar = Required<P["ConversationVariable"]>;

// What the API returns as a set secret's value (runtime/masking.py MASK); sending it back keeps the
// stored secret, so a secret is write-only: "" means not set, anything else replaces it.
export const SECRET_MASK = "******";

// The draft API answers with the mode, nodes and edges filled in.
export type WorkflowSpec = Omit<P["WorkflowSpec"], "nodes" | "env" | "conversation_variables"> &
  Required<Pick<P["WorkflowSpec"], "mode" | "edges">> & {
    nodes: SpecNode[];
    env?: EnvVar[];
    conversation_variables?: ConversationVar[];
  };
