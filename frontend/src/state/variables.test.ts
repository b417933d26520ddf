import { describe, expect, it } from "vitest";

import { specToGraph } from "./graph";
import { availableVariables, filterVariables, upstream } from "./variables";

const g = specToGraph({
  mode: "chat",
  nodes: [
    { id: "start", type: "start", title: "Start" },
    { id: "a", type: "llm", title: "A" },
    { id: "b", type: "llm", title: "B" },
    { id: "c", type: "answer", title: "C" },
    { id: "d", type: "llm", title: "D (downstream)" },
  ],
  edges: [
    { source: "start", target: "a" },
    { source: "start", target: "b" },
    { source: "a", target: "c" },
    { source: "b", target: "c" },
    { source: "c", target: "d" },
  ],
});

const shapes = {
  nodes: {
    start: { outputs: { city: "string" }, handles: ["source"], references: [] },
    a: { outputs: { text: "string" }, handles: ["source"], references: [] },
    b: { outputs: { text: "string", usage: "object" }, handles: ["source"], references: [] },
    c: { outputs: { answer: "string" }, handles: ["source"], references: [] },
    d: { outputs: { text: "string" }, handles: ["source"], references: [] },
  },
  globals: { sys: { query: "string" }, env: { API_URL: "string" } },
};

describe("variable picker", () => {
  it("lists ancestors nearest first, never the node itself or downstream", () => {
    expect(upstream("c", g.edges)).toEqual(["a", "b", "start"]);
    expect(upstream("start", g.edges)).toEqual([]);
  });

  it("offers upstream outputs then sys and env", () => {
    const groups = availableVariables("c", g.nodes, g.edges, shapes);
    expect(groups.map((x) => x.id)).toEqual(["a", "b", "start", "sys", "env"]);
    expect(groups[1].vars.map((v) => v.selector)).toEqual([["b", "text"], ["b", "usage"]]);
    expect(groups.flatMap((x) => x.vars).some((v) => v.selector[0] === "d" || v.selector[0] === "c")).toBe(false);
  });

  it("filters by variable or node name", () => {
    const groups = availableVariables("c", g.nodes, g.edges, shapes);
    expect(filterVariables(groups, "usage").flatMap((x) => x.vars.map((v) => v.selector.join(".")))).toEqual(["b.usage"]);
    expect(filterVariables(groups, "start").map((x) => x.id)).toEqual(["start"]);
  });
});
