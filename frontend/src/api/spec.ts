// The saved workflow spec (runtime/spec.py), as the draft API stores it. Node types, their config
// schemas, handles and outputs are not described here: they come from the API at run time.

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
export type Json = { [key: string]: JsonValue };

export interface SpecNode {
  id: string;
  type: string;
  version?: number;
  title?: string;
  config?: Json;
  settings?: Json;
  position?: { x: number; y: number };
}

export interface SpecEdge {
  id?: string | null;
  source: string;
  sourceHandle?: string;
  target: string;
  targetHandle?: string;
}

export interface EnvVar {
  name: string;
  type: "string" | "number" | "secret";
  value: string | number;
}

// What the API returns as a set secret's value (runtime/masking.py MASK); sending it back keeps the
// stored secret, so a secret is write-only: "" means not set, anything else replaces it.
export const SECRET_MASK = "******";

export interface WorkflowSpec {
  schema_version?: number;
  mode: "chat" | "workflow";
  nodes: SpecNode[];
  edges: SpecEdge[];
  env?: EnvVar[];
}
