// Every validation issue of the graph, live; clicking one selects and shows its node.
import { useReactFlow } from "@xyflow/react";
import { useMemo, useState } from "react";

import { isPending, usePending } from "../panel/pending";
import { useEditor } from "../state/store";
import { afterLayout } from "./pointer";

export function IssueList() {
  const all = useEditor((s) => s.report.issues);
  const pending = usePending((s) => s.paths);
  // a row or field still being filled in shows its problems once the user leaves it, here as in the panel
  const issues = useMemo(() => all.filter((i) => !i.node_id || !i.field || !isPending(pending, `${i.node_id}.${i.field}`)), [all, pending]);
  const nodes = useEditor((s) => s.nodes);
  const titles = useMemo(() => Object.fromEntries(nodes.map((n) => [n.id, n.data.title || n.id])), [nodes]);
  const [open, setOpen] = useState(true);
  const { setCenter, getNode } = useReactFlow();
  const show = (nodeId: string | null | undefined) => {
    if (!nodeId) return;
    const node = getNode(nodeId);
    if (!node) return;
    useEditor.getState().select([nodeId]);
    useEditor.getState().setPanel("node");
    const w = node.measured?.width ?? 240;
    const h = node.measured?.height ?? 90;
    // Centre once the side panel has opened and the canvas has shrunk beside it.
    afterLayout(() => setCenter(node.position.x + w / 2, node.position.y + h / 2, { zoom: 1, duration: 300 }));
  };
  return (
    <div className={`issue-box${issues.length ? " has-issues" : ""}`} data-testid="issue-list" data-count={issues.length}>
      <button type="button" className="issue-toggle" onClick={() => setOpen(!open)} aria-expanded={open}>
        {issues.length ? `⚠ ${issues.length} issue${issues.length === 1 ? "" : "s"}` : "✓ No issues"}
      </button>
      {open && issues.length > 0 && (
        <ul>
          {issues.map((i, k) => (
            <li key={k} data-code={i.code}>
              <button type="button" onClick={() => show(i.node_id)} disabled={!i.node_id}>
                {i.node_id ? <strong>{titles[i.node_id] ?? i.node_id}: </strong> : null}
                {i.message}
              </button>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
