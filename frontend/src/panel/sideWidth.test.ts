import { beforeEach, describe, expect, it } from "vitest";

import { CANVAS_MIN, clampSideWidth, defaultSideWidth, initialSideWidth, rememberSideWidth, SIDE_MAX, SIDE_MIN, SIDE_WIDTH_KEY } from "./sideWidth";

beforeEach(() => localStorage.clear());

describe("the side panel's width", () => {
  it("stays within its range and leaves the canvas its room", () => {
    expect(clampSideWidth(500, 1200)).toBe(500);
    expect(clampSideWidth(100, 1200)).toBe(SIDE_MIN);
    expect(clampSideWidth(2000, 2400)).toBe(SIDE_MAX);
    expect(clampSideWidth(900, 1000)).toBe(1000 - CANVAS_MIN); // the canvas keeps CANVAS_MIN
    expect(clampSideWidth(900, 500)).toBe(SIDE_MIN); // a tiny window: the panel's minimum wins
    expect(clampSideWidth(412.6, 1200)).toBe(413);
  });

  it("opens at 30% of the window, 300 to 400 px, until the user picks one this browser remembers", () => {
    expect(defaultSideWidth(1440)).toBe(400);
    expect(defaultSideWidth(1100)).toBe(330);
    expect(defaultSideWidth(800)).toBe(SIDE_MIN);
    expect(initialSideWidth(1100)).toBe(330);
    rememberSideWidth(520.4);
    expect(localStorage.getItem(SIDE_WIDTH_KEY)).toBe("520");
    expect(initialSideWidth(1100)).toBe(520);
    localStorage.setItem(SIDE_WIDTH_KEY, "wide");
    expect(initialSideWidth(1100)).toBe(330);
  });
});
