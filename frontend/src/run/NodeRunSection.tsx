// The bottom of the selected node's side panel: its last result, a form to run it alone with
// hand-filled values for the variables it reads (the last run's values to start with), and "Run
// from here" (reusing the last run's results for everything upstream). A node the last run
// skipped says which branch skipped it: "Run from here" would reuse that choice and skip it again,
// so it is off there, and "Run this node" runs it with the last run's values.
import { useMemo, useState } from "react";

import type { GraphReport } from "../api/types";
import { useEditor } from "../state/store";
import { startRun } from "./actions";
import { collectInputs, parseLoose, selectorKey, selectorLabel, showLoose, startVariables } from "./format";
import { NodeRunDetails, nodeMeta, RunErrorBox, StatusChip, useNodeTitle } from "./parts";
import { useRunSession } from "./session";
import { branchName, lastValue, whySkipped } from "./skipped";

const NO_REFS: string[][] = [];

function referencesOf(report: GraphReport, nodeId: string): string[][] {
  const shape = (report.nodes as Record<string, { references?: string[][] } | undefined>)[nodeId];
  return shape?.references ?? NO_REFS;
}

export function NodeRunSection({ nodeId }: { nodeId: string }) {
  // keyed, so typed values belong to one node and a newly selected node starts fresh
  return <NodeRun key={nodeId} nodeId={nodeId} />;
}

function NodeRun({ nodeId }: { nodeId: string }) {
  const state = useEditor((s) => s.run.nodes[nodeId]);
  const refs = useEditor((s) => referencesOf(s.report, nodeId));
  const canEdit = useEditor((s) => s.canEdit);
  const mode = useEditor((s) => s.mode);
  const runId = useEditor((s) => s.run.runId);
  const run = useEditor((s) => s.run);
  const edges = useEditor((s) => s.edges);
  const lastQuery = useRunSession((s) => s.lastRequest?.query);
  const phase = useRunSession((s) => s.phase);
  const baseRunId = useRunSession((s) => s.baseRunId);
  const error = useRunSession((s) => s.error);
  const errorHere = useRunSession((s) => s.nodeId === nodeId && s.kind !== "full");
  const title = useNodeTitle();
  const [typed, setTyped] = useState<Record<string, string>>({});

  const fields = useMemo(() => refs.map((sel) => ({ key: selectorKey(sel), sel })), [refs]);
  const skipped = state?.status === "skipped";
  const reason = useMemo(() => (skipped ? whySkipped(run, nodeId, edges) : null), [skipped, run, nodeId, edges]);
  // what the node read in the last run; else what it would have read there (a skipped node)
  const lastOf = (f: { key: string; sel: string[] }) =>
    state && f.key in state.inputs ? state.inputs[f.key] : f.key === "sys.query" ? lastQuery : lastValue(run, f.sel);
  const valueOf = (key: string) => typed[key] ?? showLoose(lastOf(fields.find((f) => f.key === key) ?? { key, sel: key.split(".") }));
  const busy = phase !== "idle";
  const canRerun = !!(baseRunId ?? runId);
  const branch = reason ? `“${title(reason.decider)}” took its ${branchName(reason.taken)} branch` : "the branch leading here was not taken";

  const runAlone = () => {
    const s = useEditor.getState();
    const session = useRunSession.getState();
    const nodeInputs = Object.fromEntries(fields.map((f) => [f.key, parseLoose(valueOf(f.key))]));
    // a start node reads the run's inputs: give it the panel's form (or the last run's)
    const inputs = session.lastRequest?.inputs ?? collectInputs(startVariables(s.nodes, s.types), session.form).inputs;
    const query = typeof nodeInputs["sys.query"] === "string" ? (nodeInputs["sys.query"] as string) : (session.lastRequest?.query ?? "");
    void startRun({ inputs, query, nodeId, nodeInputs });
  };

  return (
    <section className="panel-section node-run" data-testid="node-run-section">
      <div className="run-section-title">Last run</div>
      {state ? (
        <div className="node-run-last" data-testid="node-last-run" data-status={state.status}>
          <div className="run-status-line">
            <StatusChip status={state.status} testid="node-last-status" />
            <span>{nodeMeta(state)}</span>
          </div>
          {skipped && (
            <p className="run-note" data-testid="node-skip-why">
              Skipped: in the last run {branch}
              {reason ? `, and this node is on its ${branchName(reason.wanted)} branch` : ""}.
            </p>
          )}
          <NodeRunDetails state={state} outputTestid="node-last-output" />
        </div>
      ) : (
        <p className="muted run-small" data-testid="node-last-run" data-status="">
          Not run yet. Run the {mode === "chat" ? "preview" : "workflow"}, or run this node alone below.
        </p>
      )}

      {canEdit && (
        <>
          <div className="run-section-title">Debug this node</div>
          {fields.length ? (
            <div className="node-run-inputs">
              {fields.map((f) => (
                <div className="field" key={f.key}>
                  <label htmlFor={`node-input-${f.key}`}>
                    {selectorLabel(f.sel, title)} <code className="run-var-name">{f.key}</code>
                  </label>
                  <textarea
                    id={`node-input-${f.key}`}
                    className="ed-input node-run-value"
                    data-testid={`node-input-${f.key}`}
                    rows={1}
                    placeholder="text, or JSON such as 3 or {…}"
                    value={valueOf(f.key)}
                    onChange={(e) => setTyped({ ...typed, [f.key]: e.target.value })}
                  />
                </div>
              ))}
            </div>
          ) : (
            <p className="muted run-small">This node reads no variables{refs === NO_REFS ? " (or the draft is still being checked)" : ""}.</p>
          )}
          <div className="run-actions">
            <button type="button" className="btn btn-primary" data-testid="run-node-button" disabled={busy} onClick={runAlone}>
              ▶ Run this node
            </button>
            <button
              type="button"
              className="btn"
              data-testid="run-from-here"
              disabled={busy || !canRerun || skipped}
              title={
                skipped
                  ? "The last run skipped this node: running from here reuses its choice of branch, so it would skip it again"
                  : canRerun
                    ? "Run this node and everything after it again, reusing the last run's results for the rest"
                    : "Run the whole workflow once first"
              }
              onClick={() => void startRun({ fromNode: nodeId })}
            >
              ↻ Run from here
            </button>
          </div>
          {!canRerun && <p className="muted run-small">“Run from here” reuses the last whole run: run it once first.</p>}
          {canRerun && skipped && (
            <p className="muted run-small" data-testid="run-from-here-why">
              “Run from here” reuses the last run's choices, so {reason ? `“${title(reason.decider)}” would take its ${branchName(reason.taken)} branch again` : "this node would be skipped again"}. “Run this node”
              runs it now with the values above (the last run's). To run it with everything after it, get {reason ? `the ${branchName(reason.wanted)}` : "its"} branch taken: change the inputs
              and run the whole {mode === "chat" ? "preview" : "workflow"}{reason ? `, or change “${title(reason.decider)}” and run from there` : ""}.
            </p>
          )}
          {error && errorHere && <RunErrorBox error={error} />}
        </>
      )}
    </section>
  );
}
