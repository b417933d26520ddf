// Putting a trained adapter into an app: which nodes of a draft can take it, the draft with the
// adapter as one node's model, and the editor address that opens with that node selected.
import type { SpecNode, WorkflowSpec } from "../api/spec";
import type { TrainingAdapter } from "../api/types";

const EMBEDDED_BASE = "embedded"; // the base_model of adapters trained on the embedded model

/** The model reference an LLM node keeps ({provider, name}), as the node's config stores it. */
export interface ModelRef {
  provider: string;
  name: string;
}

/** The adapter as an LLM node's model: served by the embedded engine, or by vLLM for other bases. */
export function adapterModel(adapter: Pick<TrainingAdapter, "name" | "base_model">): ModelRef {
  return { provider: adapter.base_model === EMBEDDED_BASE ? "embedded" : "vllm", name: adapter.name };
}

/** The draft's LLM nodes, in the order the draft lists them. */
export function llmNodesOf(spec: WorkflowSpec): SpecNode[] {
  return spec.nodes.filter((n) => n.type === "llm");
}

/** The model a node names now ("" when it has none yet). */
export function modelOf(node: SpecNode): ModelRef {
  const model = node.config?.model;
  if (model && typeof model === "object" && !Array.isArray(model)) {
    return { provider: String(model.provider ?? ""), name: String(model.name ?? "") };
  }
  return { provider: "", name: "" };
}

/** The draft with `model` as the model of node `nodeId`; its other config is kept. */
export function withModel(spec: WorkflowSpec, nodeId: string, model: ModelRef): WorkflowSpec {
  if (!spec.nodes.some((n) => n.id === nodeId)) throw new Error(`the draft has no node ${nodeId}`);
  return {
    ...spec,
    nodes: spec.nodes.map((n) => (n.id === nodeId ? { ...n, config: { ...n.config, model: { ...model } } } : n)),
  };
}

/** The app's editor, opening with the node selected (the editor reads ?node=). */
export function editorUrl(appId: number, nodeId: string): string {
  return `/apps/${appId}/editor/?node=${encodeURIComponent(nodeId)}`;
}
