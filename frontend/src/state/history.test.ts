import { describe, expect, it } from "vitest";

import { emptyHistory, record, redo, undo } from "./history";

describe("history", () => {
  it("undoes and redoes in order", () => {
    let h = emptyHistory<number>();
    h = record(h, 1);
    h = record(h, 2);
    const u1 = undo(h, 3)!;
    expect(u1.state).toBe(2);
    const u2 = undo(u1.history, u1.state)!;
    expect(u2.state).toBe(1);
    expect(undo(u2.history, u2.state)).toBeNull();
    const r = redo(u2.history, u2.state)!;
    expect(r.state).toBe(2);
  });

  it("forgets the redo stack on a new edit and keeps a bounded past", () => {
    let h = record(emptyHistory<number>(), 1);
    h = undo(h, 2)!.history;
    expect(h.future).toEqual([2]);
    h = record(h, 1);
    expect(h.future).toEqual([]);
    let big = emptyHistory<number>();
    for (let i = 0; i < 10; i++) big = record(big, i, 3);
    expect(big.past).toEqual([7, 8, 9]);
  });
});
