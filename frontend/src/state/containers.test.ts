import { beforeEach, describe, expect, it } from "vitest";

import type { NodeTypeInfo } from "../api/types";
import type { WorkflowSpec } from "../api/spec";
import { containerAt, crossingEdges } from "./containers";
import { connectionProblem, copyNodes, graphToSpec, pasteNodes, removeElements, specToGraph } from "./graph";
import { emptyHistory } from "./history";
import { autoLayout } from "./layout";
import { useEditor } from "./store";
import { availableVariables } from "./variables";

const base = { type: "template", version: 1, category: "transform", description: "", config_schema: { type: "object", properties: {} }, outputs: {}, modes: ["chat", "workflow"], container_start: null };
const templateType = { ...base, title: "Template", defaults: { chat: { template: "" }, workflow: { template: "" } } } as unknown as NodeTypeInfo;
const iterationType = { ...base, type: "iteration", title: "Iteration", category: "logic", container_start: "iteration_start", defaults: { chat: {}, workflow: { iterator_selector: [], output_selector: [] } } } as unknown as NodeTypeInfo;
const startType = { ...base, type: "iteration_start", title: "Iteration start", modes: [], defaults: {} } as unknown as NodeTypeInfo;

// start → it (an iteration at 300,100 holding its start and a template) → end
const spec: WorkflowSpec = {
  mode: "workflow",
  nodes: [
    { id: "tpl", type: "template", parentId: "it", position: { x: 250, y: 60 } },
    { id: "start", type: "start", position: { x: 0, y: 100 } },
    { id: "it", type: "iteration", position: { x: 300, y: 100 }, width: 560, height: 260 },
    { id: "it_start", type: "iteration_start", parentId: "it", position: { x: 24, y: 70 } },
    { id: "end", type: "end", position: { x: 1000, y: 100 } },
  ],
  edges: [
    { id: "e1", source: "start", sourceHandle: "source", target: "it", targetHandle: "target" },
    { id: "e2", source: "it_start", sourceHandle: "source", target: "tpl", targetHandle: "target" },
    { id: "e3", source: "it", sourceHandle: "source", target: "end", targetHandle: "target" },
  ],
};

beforeEach(() => {
  useEditor.setState({ ...specToGraph(spec), mode: "workflow", env: [], canEdit: true, history: emptyHistory(), docVersion: 0 });
  useEditor.getState().setCatalog([templateType, iterationType, startType]);
});

describe("containers on the canvas", () => {
  it("round-trips parentId, relative positions and a container's size, containers first", () => {
    const g = specToGraph(spec);
    expect(g.nodes.map((n) => n.id)).toEqual(["it", "tpl", "start", "it_start", "end"]);
    expect(g.nodes.find((n) => n.id === "tpl")).toMatchObject({ parentId: "it", position: { x: 250, y: 60 } });
    expect(g.nodes.find((n) => n.id === "it")).toMatchObject({ width: 560, height: 260 });
    const back = graphToSpec(g, { mode: "workflow" });
    const byId = (s: WorkflowSpec) => Object.fromEntries(s.nodes.map((n) => [n.id, [n.parentId, n.position, n.width]]));
    expect(byId(back)).toEqual(byId(spec));
  });

  it("adds an iteration with its start node inside, and a node dropped on its frame goes inside", () => {
    const s = useEditor.getState();
    const id = s.addNodeOfType("iteration", { x: 0, y: 500 })!;
    const nodes = useEditor.getState().nodes;
    const start = nodes.find((n) => n.parentId === id)!;
    expect(start.data.type).toBe("iteration_start");
    // dropped at (100, 600) in flow coordinates: over the new frame at (0, 500)
    const into = containerAt(useEditor.getState(), { x: 100, y: 600 }, s.isContainer);
    expect(into?.id).toBe(id);
    const child = s.addNodeOfType("template", { x: 100, y: 600 }, { into: into!.id })!;
    expect(useEditor.getState().nodes.find((n) => n.id === child)).toMatchObject({ parentId: id, position: { x: 100, y: 100 } });
    expect(containerAt(useEditor.getState(), { x: 2000, y: 2000 }, s.isContainer)).toBeNull();
  });

  it("moves a dragged node out of its container and removes the wires that would cross the frame", () => {
    const s = useEditor.getState();
    useEditor.setState({ nodes: s.nodes.map((n) => (n.id === "tpl" ? { ...n, position: { x: 900, y: 600 } } : n)) });
    useEditor.getState().dropNodes(["tpl"]);
    const after = useEditor.getState();
    const tpl = after.nodes.find((n) => n.id === "tpl")!;
    expect(tpl.parentId).toBeUndefined();
    expect(tpl.position).toEqual({ x: 1200, y: 700 }); // where it was on screen
    expect(after.edges.map((e) => e.id)).toEqual(["e1", "e3"]);
    expect(after.toast?.text).toMatch(/crossed the container's frame/);
  });

  it("refuses a wire across a container's frame", () => {
    expect(connectionProblem(useEditor.getState(), { source: "start", target: "tpl" })).toMatch(/different containers/);
    expect(connectionProblem(useEditor.getState(), { source: "start", target: "end" })).toBeNull();
    expect(crossingEdges(useEditor.getState())).toEqual([]);
  });

  it("deletes a container with everything inside it", () => {
    const g = removeElements(useEditor.getState(), ["it"]);
    expect(g.nodes.map((n) => n.id)).toEqual(["start", "end"]);
    expect(g.edges).toEqual([]);
  });

  it("copies a container with its children and pastes them inside the copy", () => {
    const clip = copyNodes(useEditor.getState(), ["it"]);
    expect(clip.nodes.map((n) => n.id).sort()).toEqual(["it", "it_start", "tpl"]);
    const { graph } = pasteNodes(useEditor.getState(), clip, { x: 0, y: 400 });
    const copy = graph.nodes.find((n) => n.id === "iteration_1")!;
    expect(copy.position).toEqual({ x: 300, y: 500 });
    const inside = graph.nodes.filter((n) => n.parentId === "iteration_1");
    expect(inside.map((n) => [n.data.type, n.position])).toEqual([
      ["template", { x: 250, y: 60 }],
      ["iteration_start", { x: 24, y: 70 }],
    ]);
    expect(graph.edges.filter((e) => e.target === inside[0].id).map((e) => e.source)).toEqual([inside[1].id]);
  });

  it("lays out a container's nodes inside its frame and fits the frame to them", () => {
    const g = autoLayout(useEditor.getState());
    const it = g.nodes.find((n) => n.id === "it")!;
    const start = g.nodes.find((n) => n.id === "it_start")!;
    const tpl = g.nodes.find((n) => n.id === "tpl")!;
    expect(start.position.x).toBeLessThan(tpl.position.x);
    expect(tpl.position.x + 240).toBeLessThanOrEqual(it.width!);
    expect(g.nodes.find((n) => n.id === "end")!.position.x).toBeGreaterThan(it.position.x + it.width!);
  });

  it("offers a child the container's item and index, and the nodes after it only its outputs", () => {
    const shapes = {
      nodes: {
        start: { outputs: { words: "string" }, handles: ["source"], references: [] },
        it: { outputs: { output: "array" }, handles: ["source"], references: [], inner: { item: "any", index: "number" } },
        it_start: { outputs: {}, handles: ["source"], references: [] },
        tpl: { outputs: { output: "string" }, handles: ["source"], references: [] },
      },
      globals: {},
    };
    const { nodes, edges } = useEditor.getState();
    const inside = availableVariables("tpl", nodes, edges, shapes).map((g) => [g.id, g.vars.map((v) => v.name)]);
    expect(inside).toEqual([
      ["it", ["item", "index"]],
      ["start", ["words"]],
    ]);
    const after = availableVariables("end", nodes, edges, shapes).map((g) => [g.id, g.vars.map((v) => v.name)]);
    expect(after).toEqual([
      ["it", ["output"]],
      ["start", ["words"]],
    ]);
  });
});
