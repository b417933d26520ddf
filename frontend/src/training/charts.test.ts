import { describe, expect, it } from "vitest";

import { binState, histogramBins, linePath, smoothed } from "./charts";
import { formatCount, formatEta, percent } from "./format";

describe("training charts", () => {
  it("scales a curve into its box, first step left, lowest loss at the bottom", () => {
    const { d, xMax, yMin, yMax } = linePath([{ x: 1, y: 2 }, { x: 2, y: 1 }, { x: 3, y: 0.5 }], 100, 50);
    expect(d).toBe("M0.0,0.0 L50.0,33.3 L100.0,50.0");
    expect([xMax, yMin, yMax]).toEqual([3, 0.5, 2]);
    // A live curve spans the planned steps: 2 of 5 steps fill the first quarter.
    expect(linePath([{ x: 1, y: 2 }, { x: 2, y: 1 }], 100, 50, 5).d).toBe("M0.0,0.0 L25.0,50.0");
  });

  it("smooths a noisy loss curve towards its trend, starting at the first value", () => {
    const noisy = Array.from({ length: 40 }, (_, i) => ({ x: i + 1, y: i % 2 ? 1 : 3 }));
    const trend = smoothed(noisy);
    expect(trend[0]).toEqual({ x: 1, y: 3 });
    expect(trend.map((p) => p.x)).toEqual(noisy.map((p) => p.x));
    const spread = (ps: { y: number }[]) => Math.max(...ps.map((p) => p.y)) - Math.min(...ps.map((p) => p.y));
    expect(spread(trend.slice(10))).toBeLessThan(spread(noisy) / 2);
    // Short curves stay close to the data (the weight grows with the number of points).
    expect(smoothed([{ x: 1, y: 3 }, { x: 2, y: 1 }])[1].y).toBeLessThan(1.3);
    expect(smoothed([])).toEqual([]);
  });

  it("draws a flat or single-point curve without dividing by zero", () => {
    expect(linePath([{ x: 5, y: 1 }], 100, 50).d).toBe("M50.0,25.0");
    const lr = linePath([{ x: 1, y: 1e-4 }], 100, 50);
    expect([lr.yMin, lr.yMax].map((v) => +v.toPrecision(3))).toEqual([9e-5, 1.1e-4]);
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
