import { describe, expect, it } from "vitest";

import { itemLabel, traceLines, type Place } from "./groups";

const at = (nodeId: string, containerId?: string, ...iterationPath: number[]): Place => ({ nodeId, containerId, iterationPath });

describe("traceLines", () => {
  it("puts each item's rows after its container, parallel items and nested containers included", () => {
    const rows = [
      at("start"),
      at("each"),
      // items 1 and 2 ran in parallel: their rows started interleaved
      at("a", "each", 0),
      at("a", "each", 1),
      at("rounds", "each", 1),
      at("b", "each", 0),
      at("c", "rounds", 1, 0),
      at("c", "rounds", 1, 1),
      at("end"),
      at("orphan", "gone", 4), // a debug run of one node inside a container
    ];
    const lines = traceLines(rows, (r) => r).map(({ row, heading, depth }) => [
      heading ? `${heading.containerId} ${heading.path.join(".")}` : "",
      depth,
      `${row.nodeId}${row.iterationPath?.length ? `@${row.iterationPath.join(".")}` : ""}`,
    ]);
    expect(lines).toEqual([
      ["", 0, "start"],
      ["", 0, "each"],
      ["each 0", 1, "a@0"],
      ["", 1, "b@0"],
      ["each 1", 1, "a@1"],
      ["", 1, "rounds@1"],
      ["rounds 1.0", 2, "c@1.0"],
      ["rounds 1.1", 2, "c@1.1"],
      ["", 0, "end"],
      ["gone 4", 1, "orphan@4"],
    ]);
  });

  it("keeps a trace without containers as it is", () => {
    const rows = [at("start"), at("llm"), at("end")];
    expect(traceLines(rows, (r) => r).map((l) => [l.row, l.heading, l.depth])).toEqual(rows.map((r) => [r, null, 0]));
  });
});

describe("itemLabel", () => {
  it("counts an iteration's items and a loop's rounds from one", () => {
    expect(itemLabel("item", [3, 0])).toBe("Item 1");
    expect(itemLabel("round", [1])).toBe("Round 2");
  });
});
