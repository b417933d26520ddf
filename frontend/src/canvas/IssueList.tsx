// Every validation issue of the graph, live, in a strip docked under the canvas: it takes the
// canvas's room rather than covering it (so fit and auto-layout leave room for it, as they do for
// the side panel), and it folds to one line. Clicking an issue selects and shows its node.
import { useReactFlow } from "@xyflow/react";
import { useMemo, useState } from "react";

import { isPending, usePending } from "../panel/pending";
import { readPref, writePref } from "../state/prefs";
import { useEditor } from "../state/store";
import { afterLayout } from "./pointer";

export const ISSUES_OPEN_KEY = "weft.issuesOpen";

export function IssueList() {
  const all = useEditor((s) => s.report.issues);
  const pending = usePending((s) => s.paths);
  // a row or field still being filled in shows its problems once the user leaves it, here as in the panel
  const issues = useMemo(() => all.filter((i) => !i.node_id || !i.field || !isPending(pending, `${i.node_id}.${i.field}`)), [all, pending]);
  const nodes = useEditor((s) => s.nodes);
  const titles = useMemo(() => Object.fromEntries(nodes.map((n) => [n.id, n.data.title || n.id])), [nodes]);
  const [open, setOpen] = useState(() => readPref(ISSUES_OPEN_KEY) !== "0");
  const { setCenter, getNode } = useReactFlow();
  const toggle = () => {
    writePref(ISSUES_OPEN_KEY, open ? "0" : "1");
    setOpen(!open);
  };
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
  const count = issues.length;
  return (
    <section className={`issue-dock${count ? " has-issues" : ""}`} aria-label="Issues" data-testid="issue-list" data-count={count} data-open={open ? "1" : "0"}>
      <button type="button" className="issue-toggle" onClick={toggle} aria-expanded={open} disabled={!count} title={count ? (open ? "Fold the issue list" : "Show the issues") : undefined}>
        <span>{count ? `⚠ ${count} issue${count === 1 ? "" : "s"}` : "✓ No issues"}</span>
        {count > 0 && <span className="issue-chevron" aria-hidden="true">{open ? "▾" : "▸"}</span>}
      </button>
      {open && count > 0 && (
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
    </section>
  );
}
