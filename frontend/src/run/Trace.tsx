// The per-node trace of the run shown: one row per node in start order; a row selects its node
// on the canvas and opens to show the node's inputs, outputs, error and streamed text.
import { useState } from "react";

import { typeKey } from "../state/nodeTypes";
import { useEditor } from "../state/store";
import { STATUS_ICON } from "./format";
import { NodeRunDetails, nodeMeta, useNodeTitle } from "./parts";

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
  return (
    <ol className="run-trace" data-testid="run-trace">
      {ids.map((id) => {
        const n = run.nodes[id];
        if (!n) return null;
        const isOpen = open[id] ?? false;
        return (
          <li key={id} className={`run-trace-item run-trace-${n.status}`} data-testid={`run-trace-${id}`} data-status={n.status}>
            <button
              type="button"
              className="run-trace-row"
              aria-expanded={isOpen}
              onClick={() => {
                useEditor.getState().select([id]);
                setOpen((o) => ({ ...o, [id]: !isOpen }));
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
