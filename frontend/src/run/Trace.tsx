// The per-node trace of the run shown: one row per node in start order; a row selects its node
// on the canvas and opens to show the node's inputs, outputs, error and streamed text. The runs
// of a node inside a container come after it, under a heading per item ("Item 2") or round
// ("Round 3"): see groups.ts.
import { useState, type CSSProperties } from "react";

import type { NodeTypeInfo } from "../api/types";
import type { WNode } from "../state/graph";
import { typeKey } from "../state/nodeTypes";
import { useEditor } from "../state/store";
import { STATUS_ICON } from "./format";
import { itemLabel, traceLines } from "./groups";
import { NodeRunDetails, nodeMeta, useNodeTitle } from "./parts";

/** What the container `id`'s type calls one run of its sub-graph (the catalog's
 * `inner_run_name`: an iteration's "item", a loop's "round"); undefined for a node not on the canvas. */
export function innerRunName(id: string, nodes: WNode[], types: Record<string, NodeTypeInfo>): string | undefined {
  const data = nodes.find((n) => n.id === id)?.data;
  return data ? types[typeKey(data.type, data.version)]?.inner_run_name : undefined;
}

export function Trace() {
  const run = useEditor((s) => s.run);
  const types = useEditor((s) => s.types);
  const nodes = useEditor((s) => s.nodes);
  const title = useNodeTitle();
  const [open, setOpen] = useState<Record<string, boolean>>({});
  const ids = run.order; // start order; a re-run's reused nodes come first
  if (!ids.length) return <p className="muted run-small">No node has run yet.</p>;
  const typeOf = (id: string) => {
    const data = nodes.find((n) => n.id === id)?.data;
    return data ? (types[typeKey(data.type, data.version)]?.title ?? data.type) : "";
  };
  const lines = traceLines(
    ids.filter((key) => run.nodes[key]),
    (key) => ({ nodeId: key.split("@")[0], containerId: run.nodes[key].containerId, iterationPath: run.nodes[key].iterationPath }),
  );
  return (
    <ol className="run-trace" data-testid="run-trace">
      {lines.map(({ row: key, heading, depth }) => {
        const n = run.nodes[key];
        const id = key.split("@")[0];
        const isOpen = open[key] ?? false;
        return (
          <li
            key={key}
            className={`run-trace-item run-trace-${n.status}${depth ? " run-trace-inner" : ""}`}
            style={depth ? ({ "--depth": depth } as CSSProperties) : undefined}
            data-testid={`run-trace-${key}`}
            data-status={n.status}
          >
            {heading && (
              <div className="run-trace-group" data-testid={`run-trace-group-${heading.containerId}-${heading.path.join(".")}`}>
                {title(heading.containerId)} · {itemLabel(innerRunName(heading.containerId, nodes, types), heading.path)}
              </div>
            )}
            <button
              type="button"
              className="run-trace-row"
              aria-expanded={isOpen}
              onClick={() => {
                useEditor.getState().select([id]);
                setOpen((o) => ({ ...o, [key]: !isOpen }));
              }}
            >
              <span className={`run-icon run-icon-${n.status}`} aria-label={n.status}>
                {STATUS_ICON[n.status]}
              </span>
              <span className="run-trace-title">{title(id)}</span>
              <span className="run-trace-type">{typeOf(id)}</span>
              <span className="run-trace-meta">{nodeMeta(n)}</span>
              <span className="run-chevron" aria-hidden="true">
                {isOpen ? "▾" : "▸"}
              </span>
            </button>
            {isOpen && <NodeRunDetails state={n} />}
          </li>
        );
      })}
    </ol>
  );
}
