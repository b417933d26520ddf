// The app's recent runs (any source); one of them can be shown on the canvas, and a re-run from
// a node then reuses it.
import { useCallback, useState } from "react";

import { api } from "../api/client";
import { useEditor } from "../state/store";
import { showPastRun } from "./actions";
import { formatMs, relativeTime, STATUS_ICON } from "./format";
import { useRunSession } from "./session";

interface RunSummary {
  id: string;
  status: string;
  source: string;
  started_at: string;
  elapsed_ms: number;
  version?: number | null;
}

export function RecentRuns() {
  const appId = useEditor((s) => s.appId);
  const shownId = useEditor((s) => s.run.runId);
  const busy = useRunSession((s) => s.phase !== "idle");
  const [runs, setRuns] = useState<RunSummary[] | null>(null);
  const [error, setError] = useState<string | null>(null);

  const load = useCallback(() => {
    setError(null);
    api<RunSummary[]>("GET", `/apps/${appId}/runs?limit=20`)
      .then(setRuns)
      .catch((e: unknown) => setError(e instanceof Error ? e.message : String(e)));
  }, [appId]);

  return (
    <details
      className="panel-section run-recent"
      data-testid="recent-runs"
      onToggle={(e) => {
        if ((e.currentTarget as HTMLDetailsElement).open) load();
      }}
    >
      <summary>Recent runs</summary>
      {error && <p className="field-error">Could not load runs: {error}</p>}
      {runs === null && !error && <p className="muted run-small">Loading…</p>}
      {runs?.length === 0 && <p className="muted run-small">No runs yet.</p>}
      {!!runs?.length && (
        <ul className="run-recent-list">
          {runs.map((r) => (
            <li key={r.id} className={r.id === shownId ? "run-recent-shown" : ""} data-testid={`recent-run-${r.id}`}>
              <span className={`run-icon run-icon-${r.status}`} aria-label={r.status}>
                {STATUS_ICON[r.status] ?? "•"}
              </span>
              <span title={new Date(r.started_at).toLocaleString()}>{relativeTime(r.started_at)}</span>
              <span className="badge">{r.version ? `v${r.version}` : r.source || "draft"}</span>
              <span className="muted">{formatMs(r.elapsed_ms)}</span>
              <button type="button" className="btn btn-xs" disabled={busy || r.id === shownId} onClick={() => void showPastRun(r.id)}>
                {r.id === shownId ? "Shown" : "Show"}
              </button>
            </li>
          ))}
        </ul>
      )}
      {runs && (
        <button type="button" className="btn btn-xs run-refresh" onClick={load}>
          Refresh
        </button>
      )}
    </details>
  );
}
