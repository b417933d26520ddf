import { describe, expect, it } from "vitest";

import { diffSections, diffSummary, edgeText, formatValue, isEmptyDiff, titleLookup, truncate, versionLabel, type VersionDiff } from "./diff";

const empty: VersionDiff = { from_version: 2, to: "draft", nodes_added: [], nodes_removed: [], nodes_changed: [], edges_added: [], edges_removed: [] };

const diff: VersionDiff = {
  ...empty,
  nodes_added: [{ id: "tpl", type: "template", title: "Format" }],
  nodes_changed: [{ id: "llm", type: "llm", title: "Ask", changes: [{ path: "config.prompt", before: "Hi", after: "Hello" }] }],
  edges_added: [
    { source: "llm", source_handle: "source", target: "tpl", target_handle: "target" },
    { source: "check", source_handle: "false", target: "tpl", target_handle: "target" },
  ],
  edges_removed: [{ source: "llm", source_handle: "source", target: "end", target_handle: "target" }],
};

describe("diff grouping", () => {
  it("keeps only the non-empty groups, in reading order", () => {
    const titleOf = titleLookup(diff, [["end", "End"], ["check", "Check"], ["llm", "Old title"]]);
    const sections = diffSections(diff, titleOf);
    expect(sections.map((s) => [s.key, s.tone])).toEqual([
      ["nodes_added", "added"],
      ["nodes_changed", "changed"],
      ["edges_added", "added"],
      ["edges_removed", "removed"],
    ]);
    const edges = sections.find((s) => s.key === "edges_added");
    expect(edges && "edges" in edges ? edges.edges.map((e) => e.text) : []).toEqual(["Ask → Format", "Check → Format (false)"]);
    expect(diffSections(empty, titleOf)).toEqual([]);
  });

  it("names edge ends by title (the diff's own titles win), falling back to ids", () => {
    const titleOf = titleLookup(diff, [["llm", "Old title"]]);
    expect(titleOf("llm")).toBe("Ask");
    expect(titleOf("ghost")).toBe("ghost");
    expect(edgeText({ source: "a", source_handle: "case_1", target: "b", target_handle: "ctx" }, (id) => id.toUpperCase())).toBe("A → B (case_1, into ctx)");
  });

  it("summarises and spots an empty diff", () => {
    expect(isEmptyDiff(empty)).toBe(true);
    expect(isEmptyDiff(diff)).toBe(false);
    expect(diffSummary(diff)).toBe("Nodes: 1 added, 1 changed · Edges: 2 added, 1 removed");
    expect(diffSummary(empty)).toBe("No differences");
    expect(versionLabel("draft")).toBe("Draft");
    expect(versionLabel("3")).toBe("v3");
  });
});

describe("values", () => {
  it("shows strings as they are, missing values as (none), the rest as JSON", () => {
    expect(formatValue("Hello")).toBe("Hello");
    expect(formatValue("")).toBe('""');
    expect(formatValue(undefined)).toBe("(none)");
    expect(formatValue(null)).toBe("(none)");
    expect(formatValue({ a: [1, 2] })).toBe('{"a":[1,2]}');
    expect(formatValue(0.5)).toBe("0.5");
  });

  it("truncates long values, on a word boundary when one is near", () => {
    expect(truncate("short")).toEqual({ text: "short", truncated: false });
    const words = "word ".repeat(40).trim();
    const cut = truncate(words, 50);
    expect(cut.truncated).toBe(true);
    expect(cut.text).toBe(`${"word ".repeat(10).trim()}…`);
    expect(truncate("x".repeat(60), 50).text).toBe(`${"x".repeat(50)}…`);
  });
});
