// Rows of a list field the user is still filling in ("+ Add variable" just made them). Their
// problems (an empty name, no variable picked yet) wait until the user leaves the row, so a fresh
// row does not greet them with errors; the canvas's issue list still counts them.
import { create } from "zustand";

import type { Issue } from "../api/types";

interface PendingRows {
  /** Row paths, `<node id>.<field>.<index>` (the form's field paths). */
  rows: string[];
  add: (row: string) => void;
  /** Forget `row`, or every row under the list `prefix` when its rows are renumbered. */
  done: (row: string) => void;
  clearList: (list: string) => void;
}

export const usePendingRows = create<PendingRows>()((set) => ({
  rows: [],
  add: (row) => set((s) => (s.rows.includes(row) ? s : { rows: [...s.rows, row] })),
  done: (row) => set((s) => (s.rows.includes(row) ? { rows: s.rows.filter((r) => r !== row) } : s)),
  clearList: (list) => set((s) => ({ rows: s.rows.filter((r) => !r.startsWith(`${list}.`)) })),
}));

/** Whether the field at `path` (`<node id>.<pydantic loc>`) lies in a row still being filled in. */
export function isPending(rows: string[], path: string): boolean {
  return rows.some((r) => path === r || path.startsWith(`${r}.`));
}

/** The issues of a node the panel shows now: those of rows being filled in wait. */
export function shownIssues(rows: string[], nodeId: string, issues: Issue[]): Issue[] {
  return issues.filter((i) => !i.field || !isPending(rows, `${nodeId}.${i.field}`));
}
