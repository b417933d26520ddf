import { describe, expect, it } from "vitest";

import { binState, histogramBins, linePath } from "./charts";
import { formatCount, formatEta, percent } from "./format";

describe("training charts", () => {
  it("scales a curve into its box, first step left, lowest loss at the bottom", () => {
    const { d, xMax, yMin, yMax } = linePath([{ x: 1, y: 2 }, { x: 2, y: 1 }, { x: 3, y: 0.5 }], 100, 50);
    expect(d).toBe("M0.0,0.0 L50.0,33.3 L100.0,50.0");
    expect([xMax, yMin, yMax]).toEqual([3, 0.5, 2]);
  });

  it("draws a flat or single-point curve without dividing by zero", () => {
    expect(linePath([{ x: 5, y: 1 }], 100, 50).d).toBe("M50.0,25.0");
    expect(linePath([], 100, 50).d).toBe("");
  });

  it("words times, counts and ratios", () => {
    expect(formatEta(75)).toBe("1 min 15 s");
    expect(formatEta(null)).toBe("–");
    expect(formatCount(12345)).toBe("12.3 k");
    expect(percent(0.95)).toBe("95 %");
  });

  it("turns the API's {edges, counts} into bins and marks the ones past the cutoff", () => {
    const bins = histogramBins({ edges: [0, 10, 20, 30], counts: [4, 2, 1] });
    expect(bins).toEqual([
      { start: 0, end: 10, count: 4 },
      { start: 10, end: 20, count: 2 },
      { start: 20, end: 30, count: 1 },
    ]);
    // Rows longer than 15 are over: 10..19 straddles the cutoff, 20..29 is past it.
    expect(bins.map((b) => binState(b, 15))).toEqual(["ok", "part", "over"]);
    expect(bins.map((b) => binState(b, 19))).toEqual(["ok", "ok", "over"]);
    expect(histogramBins({ edges: [0], counts: [] })).toEqual([]);
    expect(histogramBins(null)).toEqual([]);
  });
});
