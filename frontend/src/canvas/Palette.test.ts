import { describe, expect, it } from "vitest";

import type { NodeTypeInfo } from "../api/types";
import { groupCatalog } from "./Palette";

function type(type: string, category: string, rank: number, modes: string[]): NodeTypeInfo {
  return { type, title: type, description: "", category, rank, modes, version: 1 } as unknown as NodeTypeInfo;
}

// As the backend ranks them: the LLM first, the mode's output node next, the start last.
const catalog = [
  type("answer", "io", 20, ["chat"]),
  type("end", "io", 20, ["workflow"]),
  type("if_else", "logic", 30, ["chat", "workflow"]),
  type("llm", "llm", 10, ["chat", "workflow"]),
  type("start", "io", 90, ["chat", "workflow"]),
  type("template", "transform", 40, ["chat", "workflow"]),
];

const listed = (groups: [string, NodeTypeInfo[]][]) => groups.map(([c, ts]) => [c, ts.map((t) => t.type)]);

describe("the palette", () => {
  it("offers a chat app only its mode's types, the most useful first", () => {
    expect(listed(groupCatalog(catalog, "", "chat"))).toEqual([
      ["llm", ["llm"]],
      ["io", ["answer", "start"]],
      ["logic", ["if_else"]],
      ["transform", ["template"]],
    ]);
  });

  it("offers a workflow app End, never the chat-only Answer", () => {
    expect(listed(groupCatalog(catalog, "", "workflow"))).toEqual([
      ["llm", ["llm"]],
      ["io", ["end", "start"]],
      ["logic", ["if_else"]],
      ["transform", ["template"]],
    ]);
    expect(groupCatalog(catalog, "answer", "workflow")).toEqual([]);
  });
});
