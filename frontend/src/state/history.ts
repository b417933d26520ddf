// Undo/redo over snapshots of the document (nodes, edges, env). Selection is not history.

export interface History<T> {
  past: T[];
  future: T[];
}

export const HISTORY_LIMIT = 100;

export function emptyHistory<T>(): History<T> {
  return { past: [], future: [] };
}

/** Remember `before` as the state to go back to; a new edit forgets the redo stack. */
export function record<T>(h: History<T>, before: T, limit = HISTORY_LIMIT): History<T> {
  const past = [...h.past, before];
  return { past: past.length > limit ? past.slice(past.length - limit) : past, future: [] };
}

export function undo<T>(h: History<T>, present: T): { history: History<T>; state: T } | null {
  if (!h.past.length) return null;
  const state = h.past[h.past.length - 1];
  return { history: { past: h.past.slice(0, -1), future: [present, ...h.future] }, state };
}

export function redo<T>(h: History<T>, present: T): { history: History<T>; state: T } | null {
  if (!h.future.length) return null;
  const [state, ...future] = h.future;
  return { history: { past: [...h.past, present], future }, state };
}
