// The per-node trace of the run shown: one row per node in start order; a row selects its node
// on the canvas and opens to show the node's inputs, outputs, error and streamed text. The runs
// of a node inside a container come under a heading per item ("item 2") or round ("round 3").
import { useState } from "react";

import type { NodeTypeInfo } from "../api/types";
import type { WNode } from "../state/graph";
import { typeKey } from "../state/nodeTypes";
import { useEditor } from "../state/store";
import { STATUS_ICON } from "./format";
import { NodeRunDetails, nodeMeta, useNodeTitle } from "./parts";

/** "item 2" (an iteration's) or "round 3" (a loop's): what its type calls one run of the nodes
 * inside a container (the catalog's `inner_run_name`). */
export function itemHeading(containerId: string, path: number[], nodes: WNode[], types: Record<string, NodeTypeInfo>): string {
  const data = nodes.find((n) => n.id === containerId)?.data;
  const word = (data && types[typeKey(data.type, data.version)]?.inner_run_name) || "item";
  return `${word} ${path[path.length - 1] + 1}`;
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
  let group = "";
  return (
    <ol className="run-trace" data-testid="run-trace">
      {ids.map((key) => {
        const n = run.nodes[key];
        if (!n) return null;
        const id = key.split("@")[0];
        const isOpen = open[key] ?? false;
        const heading = n.iterationPath?.length ? itemHeading(n.containerId ?? "", n.iterationPath, nodes, types) : "";
        const showHeading = heading && `${n.containerId}@${n.iterationPath}` !== group;
        group = heading ? `${n.containerId}@${n.iterationPath}` : "";
        return (
          <li key={key} className={`run-trace-item run-trace-${n.status}${heading ? " run-trace-inner" : ""}`} data-testid={`run-trace-${key}`} data-status={n.status}>
            {showHeading && (
              <div className="run-trace-group" data-testid={`run-trace-group-${n.containerId}-${n.iterationPath!.join(".")}`}>
                {title(n.containerId ?? "")} · {heading}
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
