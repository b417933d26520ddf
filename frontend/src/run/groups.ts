// A trace read as a person reads it: the runs of a node inside an iteration or loop come after
// their container's row, under a heading per item ("Item 2") or round ("Round 3"), even when the
// items ran in parallel and their rows started interleaved. The editor's trace (Trace.tsx) and
// the app page's live trace (portal/trace.ts) order their rows with this; the run page does the
// same on the server (builder/trace.py).

/** Where one run of a node sits: its node, and for a run inside a container, the container and
 * the item's index in each container around it, outermost first. */
export interface Place {
  nodeId: string;
  containerId?: string | null;
  iterationPath?: number[] | null;
}

export interface TraceLine<T> {
  row: T;
  /** The item this row opens (it is the item's first row), else null. */
  heading: { containerId: string; path: number[] } | null;
  /** How many containers the row is inside. */
  depth: number;
}

/** "Item 2" of an iteration, "Round 3" of a loop: `word` is what the container's type calls one
 * run of its sub-graph (the catalog's `inner_run_name`; "item" when unknown). */
export function itemLabel(word: string | undefined, path: number[]): string {
  const w = word || "item";
  return `${w[0].toUpperCase()}${w.slice(1)} ${path[path.length - 1] + 1}`;
}

const pathOf = (p: Place): number[] => p.iterationPath ?? [];
/** A run's own key, and the key of the item it belongs to ("" at the top level): a container's
 * run at path P has its items at `<container>@P.<index>`. */
const ownKey = (p: Place): string => `${p.nodeId}@${pathOf(p).join(".")}`;
const itemKey = (p: Place): string => (pathOf(p).length ? `${p.containerId ?? ""}@${pathOf(p).join(".")}` : "");
const parentKey = (p: Place): string => `${p.containerId ?? ""}@${pathOf(p).slice(0, -1).join(".")}`;

/** The rows (in start order) in trace order: each top-level row, and after a container's row
 * its items in the order they started, each item's rows in start order. A row whose container
 * has no row (a debug run of one node) comes last, under its heading still. */
export function traceLines<T>(rows: T[], placeOf: (row: T) => Place): TraceLine<T>[] {
  const items = new Map<string, T[]>(); // item key → its rows; in the order items started
  const itemsOf = new Map<string, string[]>(); // a container run's key → its items' keys
  for (const row of rows) {
    const place = placeOf(row);
    const key = itemKey(place);
    if (!items.has(key)) {
      items.set(key, []);
      if (key) itemsOf.set(parentKey(place), [...(itemsOf.get(parentKey(place)) ?? []), key]);
    }
    items.get(key)!.push(row);
  }
  const lines: TraceLine<T>[] = [];
  const done = new Set<string>();
  const emit = (key: string) => {
    if (done.has(key)) return;
    done.add(key);
    items.get(key)?.forEach((row, i) => {
      const place = placeOf(row);
      const path = pathOf(place);
      lines.push({ row, heading: i === 0 && key ? { containerId: place.containerId ?? "", path } : null, depth: path.length });
      for (const inner of itemsOf.get(ownKey(place)) ?? []) emit(inner);
    });
  };
  emit("");
  for (const key of items.keys()) emit(key);
  return lines;
}
