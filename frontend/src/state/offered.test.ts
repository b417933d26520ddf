import { describe, expect, it } from "vitest";

import type { NodeTypeInfo } from "../api/types";
import type { Clipboard, NodeData } from "./graph";
import { indexCatalog } from "./nodeTypes";
import { offeredPart, whyNotOffered } from "./offered";

const info = (type: string, title: string, modes: string[]) => ({ type, version: 1, title, modes }) as unknown as NodeTypeInfo;
const catalog = [info("llm", "LLM", ["chat", "workflow"]), info("answer", "Answer", ["chat"]), info("end", "End", ["workflow"])];
const types = indexCatalog(catalog);

const data = (type: string, title: string): NodeData => ({ type, version: 1, title, config: {}, settings: {} });
const clip: Clipboard = {
  weft: "nodes",
  nodes: [
    { id: "llm", position: { x: 0, y: 0 }, data: data("llm", "Writer") },
    { id: "a1", position: { x: 300, y: 0 }, data: data("answer", "Answer") },
    { id: "a2", position: { x: 300, y: 200 }, data: data("answer", "Reply") },
    { id: "x", position: { x: 600, y: 0 }, data: data("from_a_plugin", "Gone") },
  ],
  edges: [
    { source: "llm", sourceHandle: "source", target: "a1", targetHandle: "target" },
    { source: "llm", sourceHandle: "source", target: "x", targetHandle: "target" },
  ],
};

describe("node types an app's mode offers", () => {
  it("says in words why a type is not offered", () => {
    expect(whyNotOffered(types["llm@1"], "llm", "workflow")).toBeNull();
    expect(whyNotOffered(types["answer@1"], "answer", "workflow")).toBe("Answer works only in chat apps");
    expect(whyNotOffered(types["end@1"], "end", "chat")).toBe("End works only in workflow apps");
    expect(whyNotOffered(null, "from_a_plugin", "chat")).toBe("“from_a_plugin” is not a node type this server knows");
  });

  it("leaves out of a paste the nodes not offered, with their wires, and names them", () => {
    const { clip: kept, note } = offeredPart(clip, types, catalog, "workflow");
    expect(kept.nodes.map((n) => n.id)).toEqual(["llm"]);
    expect(kept.edges).toEqual([]);
    expect(note).toBe(
      "Answer works only in chat apps, so 2 Answer nodes were not pasted. “from_a_plugin” is not a node type this server knows, so “Gone” was not pasted.",
    );
  });

  it("keeps the whole clipboard, and says nothing, when the mode offers all of it", () => {
    const chatOnly = { ...clip, nodes: clip.nodes.slice(0, 2), edges: clip.edges.slice(0, 1) };
    expect(offeredPart(chatOnly, types, catalog, "chat")).toEqual({ clip: chatOnly, note: null });
  });
});
