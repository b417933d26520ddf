import { describe, expect, it } from "vitest";

import { specToGraph, type Graph } from "./graph";
import { autoLayout, branchTargets } from "./layout";

const ifElse = ["case_1", "case_2", "false"];

/** start → route (if/else) with its branches wired in the reverse of the card's order. */
function branching(): Graph {
  return specToGraph({
    mode: "workflow",
    nodes: ["start", "route", "a", "b", "c"].map((id) => ({ id, type: id === "route" ? "if_else" : "template" })),
    edges: [
      { id: "s", source: "start", target: "route" },
      { id: "e3", source: "route", sourceHandle: "false", target: "c" },
      { id: "e2", source: "route", sourceHandle: "case_2", target: "b" },
      { id: "e1", source: "route", sourceHandle: "case_1", target: "a" },
    ],
  });
}

function y(g: Graph, id: string): number {
  return g.nodes.find((n) => n.id === id)!.position.y;
}

describe("auto-layout", () => {
  it("stacks an if/else node's targets in the order of its handles, so the wires do not cross", () => {
    const out = autoLayout(branching(), { route: ifElse });
    expect(y(out, "a")).toBeLessThan(y(out, "b"));
    expect(y(out, "b")).toBeLessThan(y(out, "c"));
  });

  it("follows the reported handle order, not the handle names", () => {
    const out = autoLayout(branching(), { route: ["false", "case_2", "case_1"] });
    expect(y(out, "c")).toBeLessThan(y(out, "b"));
    expect(y(out, "b")).toBeLessThan(y(out, "a"));
  });

  it("puts ELSE and ON FAIL after the cases when the handles are not reported yet", () => {
    const g = branching();
    g.edges.push({ id: "f", source: "route", sourceHandle: "fail-branch", target: "d" });
    g.nodes.push({ ...g.nodes[2], id: "d" });
    expect(branchTargets(g.edges)).toEqual([["a", "b", "c", "d"]]);
    const out = autoLayout(g);
    expect(y(out, "c")).toBeLessThan(y(out, "d"));
    expect(y(out, "a")).toBeLessThan(y(out, "b"));
    expect(y(out, "b")).toBeLessThan(y(out, "c"));
  });

  it("keeps the order when the branches lead on to more nodes", () => {
    const g = branching();
    g.nodes.push(...["a2", "c2"].map((id) => ({ ...g.nodes[2], id })));
    g.edges.push({ id: "x", source: "c", target: "c2" }, { id: "y", source: "a", target: "a2" });
    const out = autoLayout(g, { route: ifElse });
    expect(y(out, "a")).toBeLessThan(y(out, "b"));
    expect(y(out, "b")).toBeLessThan(y(out, "c"));
    expect(y(out, "a2")).toBeLessThan(y(out, "c2"));
  });

  it("adds no order for nodes with one handle and lays the graph out left to right", () => {
    const g = specToGraph({
      mode: "chat",
      nodes: ["start", "llm", "answer"].map((id) => ({ id, type: id })),
      edges: [
        { id: "1", source: "start", target: "llm" },
        { id: "2", source: "llm", target: "answer" },
      ],
    });
    expect(branchTargets(g.edges)).toEqual([]);
    const out = autoLayout(g);
    const x = (id: string) => out.nodes.find((n) => n.id === id)!.position.x;
    expect(x("start")).toBeLessThan(x("llm"));
    expect(x("llm")).toBeLessThan(x("answer"));
  });
});
