import { describe, expect, it } from "vitest";

import type { WorkflowSpec } from "../api/spec";
import {
  addNode,
  connect,
  connectionProblem,
  copyNodes,
  graphToSpec,
  nextNodeId,
  pasteNodes,
  reconnect,
  remapReferences,
  removeElements,
  specToGraph,
  updateNodeData,
  withoutEdge,
  type Graph,
} from "./graph";

const spec: WorkflowSpec = {
  schema_version: 1,
  mode: "chat",
  nodes: [
    { id: "start", type: "start", title: "Start", config: { variables: [] }, position: { x: 0, y: 0 } },
    { id: "llm_1", type: "llm", title: "LLM", config: { prompt: "{{#sys.query#}}" }, position: { x: 300, y: 0 } },
    { id: "answer", type: "answer", title: "Answer", config: { answer: "{{#llm_1.text#}}" }, position: { x: 600, y: 0 } },
  ],
  edges: [
    { source: "start", target: "llm_1" },
    { source: "llm_1", sourceHandle: "source", target: "answer", targetHandle: "target" },
  ],
};

function graph(): Graph {
  return specToGraph(spec);
}

describe("spec conversion", () => {
  it("round-trips nodes, edges and positions", () => {
    const back = graphToSpec(graph(), { schema_version: 1, mode: "chat" });
    expect(back.nodes.map((n) => [n.id, n.type, n.position])).toEqual(spec.nodes.map((n) => [n.id, n.type, n.position]));
    expect(back.edges.map((e) => [e.source, e.sourceHandle, e.target, e.targetHandle])).toEqual([
      ["start", "source", "llm_1", "target"],
      ["llm_1", "source", "answer", "target"],
    ]);
  });
});

describe("node ids", () => {
  it("takes the first free number of the type", () => {
    expect(nextNodeId("llm", ["llm_1", "llm_3"])).toBe("llm_2");
    expect(nextNodeId("if_else", [])).toBe("if_else_1");
  });
});

describe("graph edits", () => {
  it("adds a node with a fresh id and title, selected alone", () => {
    const { graph: g, id } = addNode(graph(), { type: "llm", version: 1, title: "LLM", config: { prompt: "" } }, { x: 5, y: 6 });
    expect(id).toBe("llm_2");
    const node = g.nodes.find((n) => n.id === id)!;
    expect(node.data.title).toBe("LLM 2");
    expect(node.position).toEqual({ x: 5, y: 6 });
    expect(g.nodes.filter((n) => n.selected).map((n) => n.id)).toEqual([id]);
  });

  it("removes a node with the edges that touch it", () => {
    const g = removeElements(graph(), ["llm_1"]);
    expect(g.nodes.map((n) => n.id)).toEqual(["start", "answer"]);
    expect(g.edges).toEqual([]);
  });

  it("refuses self loops, duplicates and cycles", () => {
    const g = graph();
    expect(connectionProblem(g, { source: "llm_1", target: "llm_1" })).toMatch(/itself/);
    expect(connectionProblem(g, { source: "start", target: "llm_1" })).toMatch(/already/);
    expect(connectionProblem(g, { source: "answer", target: "start" })).toMatch(/cycle/);
    expect(connect(g, { source: "answer", target: "start" })).toBe(g);
    expect(connectionProblem(g, { source: "start", target: "answer" })).toBeNull();
  });

  it("connects branch handles separately", () => {
    let g = updateNodeData(graph(), "llm_1", { type: "if_else" });
    g = connect(g, { source: "llm_1", sourceHandle: "case_1", target: "answer" });
    expect(g.edges.filter((e) => e.source === "llm_1").map((e) => e.sourceHandle)).toEqual(["source", "case_1"]);
  });
});

describe("moving an edge's end", () => {
  const first = "start:source->llm_1";

  it("moves it to another node, in its place in the list, with an id for its new ends", () => {
    const g = connect(graph(), { source: "start", target: "answer" }); // a second way into answer
    const out = reconnect(g, "llm_1:source->answer", { source: "start", target: "answer" }); // now a duplicate
    expect(out).toBe(g); // refused: start → answer is there already
    const moved = reconnect(graph(), first, { source: "start", target: "answer" });
    expect(moved.edges.map((e) => e.id)).toEqual(["start:source->answer", "llm_1:source->answer"]);
    expect(moved.edges[0]).toMatchObject({ source: "start", sourceHandle: "source", target: "answer", targetHandle: "target" });
  });

  it("is checked without itself: back where it was is no change, a cycle is refused", () => {
    const g = graph();
    expect(connectionProblem(g, { source: "start", target: "llm_1" })).toMatch(/already/);
    expect(connectionProblem(withoutEdge(g, first), { source: "start", target: "llm_1" })).toBeNull();
    expect(reconnect(g, first, { source: "start", target: "llm_1" })).toBe(g);
    // llm_1 → answer moved to start its wire at answer: answer → answer is a loop
    expect(reconnect(g, "llm_1:source->answer", { source: "answer", target: "answer" })).toBe(g);
    expect(reconnect(g, "no such edge", { source: "start", target: "answer" })).toBe(g);
  });

  it("moves its start to another output handle", () => {
    let g = updateNodeData(graph(), "llm_1", { type: "if_else" });
    g = reconnect(g, "llm_1:source->answer", { source: "llm_1", sourceHandle: "false", target: "answer" });
    expect(g.edges.map((e) => e.id)).toEqual([first, "llm_1:false->answer"]);
  });
});

describe("copy and paste", () => {
  it("pastes with new ids and rewrites references between the pasted nodes", () => {
    const g = graph();
    const clip = copyNodes(g, ["llm_1", "answer"]);
    expect(clip.edges).toHaveLength(1); // the start → llm edge is not inside the selection
    const { graph: out, ids } = pasteNodes(g, clip, { x: 40, y: 40 });
    expect(ids).toEqual(["llm_2", "answer_1"]);
    const answer = out.nodes.find((n) => n.id === "answer_1")!;
    expect(answer.data.config.answer).toBe("{{#llm_2.text#}}");
    expect(answer.position).toEqual({ x: 640, y: 40 });
    expect(answer.data.title).toBe("Answer 2");
    expect(out.edges.some((e) => e.source === "llm_2" && e.target === "answer_1")).toBe(true);
    // references to nodes outside the paste are left alone
    const llm = out.nodes.find((n) => n.id === "llm_2")!;
    expect(llm.data.config.prompt).toBe("{{#sys.query#}}");
  });

  it("remaps selector lists but not other string lists", () => {
    const ids = new Map([["a", "b"]]);
    expect(remapReferences({ sel: ["a", "x"], tags: ["x", "a"] }, ids)).toEqual({ sel: ["b", "x"], tags: ["x", "a"] });
  });
});
