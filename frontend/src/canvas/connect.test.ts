import { describe, expect, it } from "vitest";

import { bodyConnection } from "./connect";

const llm = { title: "LLM", acceptsInput: true, handles: ["source"] };

describe("a connection let go over a node's body", () => {
  it("ends at the node's input when dragged from an output", () => {
    expect(bodyConnection({ node: "route", handle: "case_1", type: "source" }, "llm", llm)).toEqual({
      source: "route",
      sourceHandle: "case_1",
      target: "llm",
      targetHandle: "target",
    });
  });

  it("starts at the node's only output when dragged from an input", () => {
    expect(bodyConnection({ node: "answer", handle: "target", type: "target" }, "llm", llm)).toEqual({
      source: "llm",
      sourceHandle: "source",
      target: "answer",
      targetHandle: "target",
    });
  });

  it("says why it makes no connection", () => {
    expect(bodyConnection({ node: "llm", handle: "source", type: "source" }, "start", { title: "Start", acceptsInput: false, handles: ["source"] })).toBe("Start takes no input");
    expect(bodyConnection({ node: "llm", handle: "target", type: "target" }, "end", { title: "End", acceptsInput: true, handles: [] })).toBe("End has no output");
    expect(bodyConnection({ node: "llm", handle: "target", type: "target" }, "route", { title: "Route", acceptsInput: true, handles: ["case_1", "false"] })).toMatch(/several outputs/);
  });
});
