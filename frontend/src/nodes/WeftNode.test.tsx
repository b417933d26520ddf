import { ReactFlow, ReactFlowProvider } from "@xyflow/react";
import { cleanup, render, screen } from "@testing-library/react";
import { afterEach, beforeEach, describe, expect, it } from "vitest";

import type { NodeTypeInfo } from "../api/types";
import { specToGraph } from "../state/graph";
import { indexCatalog } from "../state/nodeTypes";
import { usePending } from "../panel/pending";
import { idleRun } from "../state/run";
import { useEditor } from "../state/store";
import { knowledgeLabel, useKbNames } from "../state/knowledgeNames";
import { toolCallLabel, toolsLabel } from "../state/toolNames";
import catalog from "../panel/fixtures/llmNodes.json";
import { nodeTypes } from ".";

const types = indexCatalog([
  { type: "start", version: 1, title: "Start", category: "io", accepts_input: false },
  { type: "if_else", version: 1, title: "If / else", category: "logic", accepts_input: true },
  { type: "end", version: 1, title: "End", category: "io", accepts_input: true },
  { type: "llm", version: 1, title: "LLM", category: "llm", accepts_input: true },
  {
    type: "knowledge_retrieval",
    version: 1,
    title: "Knowledge retrieval",
    category: "knowledge",
    accepts_input: true,
    config_schema: { properties: { query: { widget: "selector" }, dataset_ids: { type: "array", widget: "knowledge_bases" } } },
  },
  {
    type: "tool",
    version: 1,
    title: "Tool",
    category: "transform",
    accepts_input: true,
    config_schema: { properties: { server: { type: "string", widget: "tool_server" }, tool: { type: "string", widget: "tool" }, arguments: { type: "object" } } },
  },
  { type: "question_classifier", version: 1, title: "Question classifier", category: "llm", accepts_input: true },
  { type: "iteration", version: 1, title: "Iteration", category: "logic", accepts_input: true, container_start: "iteration_start" },
  ...(catalog as unknown as NodeTypeInfo[]).filter((t) => t.type === "agent"), // the backend's own schema
] as unknown as NodeTypeInfo[]);

const pick = (server: string, tool: string) => ({ server, tool });

function draw() {
  const { nodes } = specToGraph({
    mode: "workflow",
    nodes: [
      { id: "start", type: "start", title: "Start" },
      { id: "branch", type: "if_else", title: "Route" },
      { id: "end", type: "end", title: "End" },
      { id: "llm", type: "llm", title: "Writer", config: { model: { provider: "embedded", name: "smollm2+support" }, prompt: "Hi" } },
      { id: "fresh", type: "llm", title: "New" },
      { id: "kb", type: "knowledge_retrieval", title: "Search", config: { query: ["start", "q"], dataset_ids: ["k1", "k9"] } },
      { id: "sort", type: "question_classifier", title: "Sort" },
      { id: "each", type: "iteration", title: "Each", config: { iterator_selector: [] } },
      {
        id: "helper",
        type: "agent",
        title: "Helper",
        config: { tools: [pick("clock", "get_current_time"), pick("rag", "search_knowledge"), pick("clock", ""), pick("clock", "convert_time"), pick("git", "git_status")] },
      },
      { id: "bare", type: "agent", title: "Bare", config: { tools: [] } },
      { id: "now", type: "tool", title: "Now", config: { server: "clock", tool: "get_current_time", arguments: {} } },
      { id: "half", type: "tool", title: "Half", config: { server: "clock", tool: "" } },
    ],
    edges: [],
  });
  return render(
    <ReactFlowProvider>
      <div style={{ width: 800, height: 600 }}>
        <ReactFlow nodes={nodes} edges={[]} nodeTypes={nodeTypes} />
      </div>
    </ReactFlowProvider>,
  );
}

afterEach(() => {
  cleanup();
  usePending.setState({ paths: [] });
});

beforeEach(() => {
  useEditor.setState({
    types,
    run: idleRun,
    providers: [{ name: "embedded", kind: "embedded", models: ["smollm2", "smollm2+support"], labels: { "smollm2+support": "smollm2 + support" }, base_url: null, builtin: true, api_key_set: false }],
    report: {
      issues: [{ code: "bad_config", message: "cases: at least one", node_id: "branch", field: "cases" }],
      nodes: {
        start: { handles: ["source"], outputs: { city: "string" }, references: [] },
        branch: { handles: ["case_1", "false"], outputs: { result: "boolean" }, references: [] },
        end: { handles: [], outputs: {}, references: [] },
        llm: { handles: ["source"], outputs: { text: "string" }, references: [] },
        sort: { handles: ["class_1", "class_2"], outputs: {}, references: [], labels: { class_1: "Refunds" } },
      },
      globals: {},
    },
    nodeIssues: {
      branch: [{ code: "bad_config", message: "cases: at least one", node_id: "branch", field: "cases" }],
      each: [
        { code: "bad_config", message: "iterator_selector: pick a list", node_id: "each", field: "iterator_selector" },
        { code: "unreachable", message: "nothing leads here", node_id: "each", field: null },
      ],
    },
  });
});

describe("canvas node", () => {
  it("draws one source handle per reported handle, labelled, and an input only where allowed", () => {
    draw();
    const branch = screen.getByTestId("node-branch");
    expect(branch.querySelectorAll(".react-flow__handle.source")).toHaveLength(2);
    expect(branch.textContent).toContain("CASE_1");
    expect(branch.textContent).toContain("ELSE");
    expect(branch.querySelectorAll(".react-flow__handle.target")).toHaveLength(1);
    const start = screen.getByTestId("node-start");
    expect(start.querySelectorAll(".react-flow__handle.target")).toHaveLength(0);
    expect(start.textContent).toContain("city");
  });

  it("writes a class's label on its branch, and the id where it has no label yet", () => {
    draw();
    const sort = screen.getByTestId("node-sort");
    expect(sort.querySelectorAll(".react-flow__handle.source")).toHaveLength(2);
    const labels = [...sort.querySelectorAll(".wn-branch > span")].map((s) => s.textContent);
    expect(labels).toEqual(["Refunds", "CLASS_2"]);
  });

  it("draws no output handle on a node that ends the run, and one until the report comes", () => {
    draw();
    const end = screen.getByTestId("node-end");
    expect(end.querySelectorAll(".react-flow__handle.source")).toHaveLength(0);
    expect(end.querySelectorAll(".react-flow__handle.target")).toHaveLength(1);
    // "fresh" has no report yet: it keeps the usual output so it can be wired at once.
    expect(screen.getByTestId("node-fresh").querySelectorAll(".react-flow__handle.source")).toHaveLength(1);
  });

  it("shows the model an LLM node uses, with a trained adapter's name", () => {
    draw();
    const model = screen.getByTestId("node-model-llm");
    expect(model.textContent).toBe("smollm2 + support");
    expect(model.getAttribute("title")).toBe("embedded · smollm2+support");
    expect(screen.queryByTestId("node-model-branch")).toBeNull();
  });

  it("names the knowledge bases a retrieval node searches, and one that is gone", () => {
    useKbNames.setState({ names: { k1: "Handbook", k2: "Policies" }, requested: true });
    draw();
    expect(screen.getByTestId("node-kbs-kb").textContent).toBe("Handbook, a deleted knowledge base");
    expect(screen.queryByTestId("node-kbs-llm")).toBeNull();
    expect(knowledgeLabel([], null)).toBe("no knowledge base chosen");
    expect(knowledgeLabel(["a", "b"], null)).toBe("2 knowledge bases");
  });

  it("names the tools an agent may call: three of them, and how many more", () => {
    draw();
    const tools = screen.getByTestId("node-tools-helper");
    expect(tools.textContent).toBe("Tools: get_current_time, search_knowledge, convert_time +1");
    expect(tools.getAttribute("title")).toBe("get_current_time, search_knowledge, convert_time, git_status");
    expect(screen.getByTestId("node-tools-bare").textContent).toBe("Tools: none chosen");
    expect(screen.queryByTestId("node-tools-llm")).toBeNull();
    expect(toolsLabel([pick("clock", "get_current_time"), pick("rag", "search_knowledge")], "tool").text).toBe("Tools: get_current_time, search_knowledge");
  });

  it("names the server and tool a tool node calls, and what is not picked yet", () => {
    draw();
    const call = screen.getByTestId("node-call-now");
    expect(call.textContent).toBe("clock · get_current_time");
    expect(screen.getByTestId("node-now").querySelectorAll(".wn-summary")).toHaveLength(1); // not "clock" again
    expect(screen.getByTestId("node-call-half").textContent).toBe("clock · no tool chosen");
    expect(screen.queryByTestId("node-call-helper")).toBeNull();
    expect(toolCallLabel("", "")).toBe("no tool chosen");
  });

  it("shows the node's issue count and its run status", () => {
    useEditor.setState({
      run: { ...idleRun, nodes: { start: { status: "succeeded", index: 1, inputs: {}, outputs: {}, text: "", elapsedMs: 12, promptTokens: 0, completionTokens: 0, attempts: 1, metadata: {} } } },
    });
    draw();
    expect(screen.getByTestId("node-issues-branch").textContent).toBe("1");
    expect(screen.getByTestId("node-start").dataset.status).toBe("succeeded");
    expect(screen.getByTestId("node-status-start").textContent).toContain("12 ms");
  });

  it("is not red while the field its issue is about is being filled in", () => {
    usePending.setState({ paths: ["branch.cases"] });
    draw();
    expect(screen.queryByTestId("node-issues-branch")).toBeNull();
    expect(screen.getByTestId("node-branch").className).not.toContain("wn-invalid");
  });

  it("shows a container's issues the way a card does: a field being filled in waits", () => {
    draw();
    expect(screen.getByTestId("node-each").className).toContain("wn-container");
    expect(screen.getByTestId("node-issues-each").textContent).toBe("2");
    cleanup();
    usePending.setState({ paths: ["each.iterator_selector"] });
    draw();
    const issues = screen.getByTestId("node-issues-each");
    expect(issues.textContent).toBe("1");
    expect(issues.getAttribute("title")).toBe("nothing leads here");
  });
});
