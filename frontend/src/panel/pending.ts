// Rows and fields the user is still filling in. Their problems (an empty name, no variable picked
// yet, a half-typed value) wait until the user leaves them, so nothing turns red while they type:
// not the field, not the panel's list, not the node's card, not the canvas's issue list.
// - a row that "+ Add …" just made waits until the focus leaves the row;
// - a field that gets the focus while it shows no problem waits until the focus leaves it. One
//   that already shows a problem when the user comes to it keeps showing it, live, as they fix it.
import { create } from "zustand";

import type { Issue } from "../api/types";
import { useEditor } from "../state/store";

interface Pending {
  /** Field and row paths, `<node id>.<field>[.<index>…]` (the form's field paths). */
  paths: string[];
  add: (path: string) => void;
  /** The user left `path`: its problems show. */
  done: (path: string) => void;
  /** Forget every row under the list `list` (its rows are renumbered). */
  clearList: (list: string) => void;
}

export const usePending = create<Pending>()((set) => ({
  paths: [],
  add: (path) => set((s) => (s.paths.includes(path) ? s : { paths: [...s.paths, path] })),
  done: (path) => set((s) => (s.paths.includes(path) ? { paths: s.paths.filter((r) => r !== path) } : s)),
  clearList: (list) => set((s) => ({ paths: s.paths.filter((r) => !r.startsWith(`${list}.`)) })),
}));

/** Whether the field at `path` (`<node id>.<pydantic loc>`) lies in a row or field still being filled in. */
export function isPending(paths: string[], path: string): boolean {
  return paths.some((r) => path === r || path.startsWith(`${r}.`));
}

/** The issues of a node shown now: those of rows and fields being filled in wait. */
export function shownIssues(paths: string[], nodeId: string, issues: Issue[]): Issue[] {
  return issues.filter((i) => !i.field || !isPending(paths, `${nodeId}.${i.field}`));
}

/** The issues a canvas node shows now (`shownIssues` of its compile issues), undefined when it has none. */
export function useShownIssues(nodeId: string): Issue[] | undefined {
  const all = useEditor((s) => s.nodeIssues[nodeId]);
  const paths = usePending((s) => s.paths);
  return all && shownIssues(paths, nodeId, all);
}
