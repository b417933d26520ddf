// Small pieces shared by the run panel and the node panel's run section.
import { useEffect, useMemo, useState } from "react";

import type { NodeRunState, RunState } from "../state/run";
import { useEditor } from "../state/store";
import { formatMs, formatTokens, prettyJson, STATUS_ICON, STATUS_TEXT } from "./format";
import { Citations, RetrievalHits } from "./Citations";
import { citationsOf, logOf, otherMetadata, retrievalOf, type Metadata } from "./metadata";
import { patchSession, useRunSession, type RunError } from "./session";
import { Steps } from "./Steps";
import "./run.css";

/** A function from node id to its title on the canvas (the id when it has none). */
export function useNodeTitle(): (id: string) => string {
  const nodes = useEditor((s) => s.nodes);
  return useMemo(() => {
    const titles = new Map(nodes.map((n) => [n.id, n.data.title || n.data.type]));
    return (id: string) => titles.get(id) ?? id;
  }, [nodes]);
}

/** Milliseconds since `since`, ticking while `active`. */
export function useElapsed(since: number | null, active: boolean): number | null {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (!active) return;
    const t = setInterval(() => setNow(Date.now()), 100);
    return () => clearInterval(t);
  }, [active]);
  return since === null ? null : Math.max(0, now - since);
}

export function StatusChip({ status, testid }: { status: string; testid?: string }) {
  return (
    <span className={`run-chip run-chip-${status}`} data-testid={testid} data-status={status}>
      <span className="run-chip-icon" aria-hidden="true">
        {STATUS_ICON[status] ?? "•"}
      </span>
      {STATUS_TEXT[status] ?? status}
    </span>
  );
}

export function JsonBlock({ value, testid, label }: { value: unknown; testid?: string; label: string }) {
  return (
    <div className="run-block">
      <div className="run-block-label">{label}</div>
      <pre className="run-json" data-testid={testid}>
        {prettyJson(value)}
      </pre>
    </div>
  );
}

/** "agent_steps" → "Agent steps". */
function keyLabel(key: string): string {
  const words = key.replace(/_/g, " ");
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/** A node's metadata: its citations, a knowledge node's hits, an agent's steps, then every other key as JSON under
 * its own label. */
export function NodeMetadata({ metadata }: { metadata: Metadata }) {
  return (
    <>
      <Citations items={citationsOf(metadata)} testid="run-node-citations" />
      <RetrievalHits retrieval={retrievalOf(metadata)} />
      <Steps steps={logOf(metadata)} />
      {Object.entries(otherMetadata(metadata)).map(([key, value]) => (
        <JsonBlock key={key} label={keyLabel(key)} value={value} testid={`run-node-metadata-${key}`} />
      ))}
    </>
  );
}

function isEmpty(obj: Record<string, unknown> | undefined): boolean {
  return !obj || Object.keys(obj).length === 0;
}

/** Elapsed · tokens · attempts of one node, as one muted line. */
export function nodeMeta(n: NodeRunState): string {
  return [
    n.reusedFrom ? "reused" : "",
    n.status !== "running" ? formatMs(n.elapsedMs) : "",
    formatTokens(n.promptTokens, n.completionTokens),
    n.attempts > 1 ? `${n.attempts} attempts` : "",
    n.handle && n.handle !== "source" ? `→ ${n.handle}` : "",
  ]
    .filter(Boolean)
    .join(" · ");
}

/** A node's error, streamed text, inputs, outputs and metadata. */
export function NodeRunDetails({ state, outputTestid }: { state: NodeRunState; outputTestid?: string }) {
  const streamedOnly = state.text && (state.status === "running" || !Object.values(state.outputs).includes(state.text));
  return (
    <div className="run-details">
      {state.error && (
        <div className="run-node-error" role="note">
          {state.errorCode && <code>{state.errorCode}</code>} {state.error}
        </div>
      )}
      {streamedOnly && (
        <div className="run-block">
          <div className="run-block-label">Streamed text</div>
          <pre className="run-text">
            {state.text}
            {state.status === "running" && <span className="run-caret" aria-hidden="true" />}
          </pre>
        </div>
      )}
      {!isEmpty(state.inputs) && <JsonBlock label="Inputs" value={state.inputs} />}
      {!isEmpty(state.outputs) ? (
        <JsonBlock label="Outputs" value={state.outputs} testid={outputTestid} />
      ) : (
        state.status === "succeeded" && <p className="muted run-small">No outputs.</p>
      )}
      <NodeMetadata metadata={state.metadata} />
    </div>
  );
}

const ERROR_TITLE: Record<string, string> = {
  graph_invalid: "The workflow has problems to fix before it can run",
  run_in_progress: "A run is already going on this connection",
  invalid_param: "An input is not valid",
  disconnected: "Connection problem",
  draft_not_saved: "The draft is not saved",
  no_previous_run: "Nothing to re-run yet",
};

/** The socket's refusal or a connection problem, with the graph's issues when it has them. */
export function RunErrorBox({ error }: { error: RunError }) {
  const title = useNodeTitle();
  const select = (id: string) => useEditor.getState().select([id]);
  return (
    <div className="run-error" role="alert" data-testid="run-error" data-code={error.code}>
      <div className="run-error-head">
        <strong>{ERROR_TITLE[error.code] ?? "The run could not start"}</strong>
        <button type="button" className="icon-button" aria-label="Dismiss" onClick={() => patchSession({ error: null })}>
          ×
        </button>
      </div>
      {/* a refused graph's message only repeats its issues, which are listed below */}
      {!(error.code === "graph_invalid" && error.issues?.length) && <p>{error.message}</p>}
      {!!error.issues?.length && (
        <ul className="run-issues" data-testid="run-error-issues">
          {error.issues.map((i, k) => (
            <li key={k} data-code={i.code}>
              {i.node_id ? (
                <button type="button" className="run-link" onClick={() => select(i.node_id!)}>
                  {title(i.node_id)}
                </button>
              ) : (
                <span className="muted">Graph</span>
              )}{" "}
              {i.message}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

/** "Failed at Title: message" for a finished run that failed. */
export function RunFailure({ run }: { run: RunState }) {
  const title = useNodeTitle();
  if (run.status !== "failed" || !run.error) return null;
  return (
    <div className="run-node-error" data-testid="run-failure">
      {run.failedNodeId ? (
        <>
          Failed at{" "}
          <button type="button" className="run-link" onClick={() => useEditor.getState().select([run.failedNodeId!])}>
            {title(run.failedNodeId)}
          </button>
          :{" "}
        </>
      ) : null}
      {run.error} {run.errorCode && <code>{run.errorCode}</code>}
    </div>
  );
}

/** Status, elapsed time (ticking while running), tokens, and what kind of run it was. */
export function RunStatusLine() {
  const run = useEditor((s) => s.run);
  const kind = useRunSession((s) => s.kind);
  const nodeId = useRunSession((s) => s.nodeId);
  const startedAt = useRunSession((s) => s.startedAt);
  const running = run.status === "running";
  const ticking = useElapsed(startedAt, running);
  const title = useNodeTitle();
  const elapsed = running ? ticking : run.elapsedMs;
  const what = kind === "node" && nodeId ? `One node: ${title(nodeId)}` : kind === "from" && nodeId ? `Re-run from ${title(nodeId)}` : "";
  return (
    <div className="run-status-line" data-testid="run-status" data-status={run.status}>
      <StatusChip status={run.status} />
      {elapsed != null && <span>{formatMs(elapsed)}</span>}
      {formatTokens(run.promptTokens, run.completionTokens) && <span>{formatTokens(run.promptTokens, run.completionTokens)}</span>}
      {what && <span className="run-kind">{what}</span>}
    </div>
  );
}
