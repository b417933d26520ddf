// The versions panel: every published version, newest first, each with Compare (against the
// draft or another version) and Restore (replaces the draft, after a confirmation).
import { useEffect, useState } from "react";

import type { Version } from "../api/types";
import { relativeTime } from "../run/format";
import { useEditor } from "../state/store";
import { loadDraft } from "../state/sync";
import type { VersionDiff } from "./diff";
import { DiffView } from "./DiffView";
import { fetchDiff, refreshVersions, restoreVersion, useVersions } from "./store";
import "./versions.css";

export function VersionsPanel() {
  const list = useVersions((s) => s.list);
  const error = useVersions((s) => s.error);
  const appId = useEditor((s) => s.appId);

  useEffect(() => {
    void refreshVersions();
  }, [appId]);

  return (
    <div className="versions-panel" data-testid="versions-panel">
      <div className="panel-head">
        <span className="panel-title">Versions</span>
      </div>
      <p className="muted panel-sub">Publishing freezes the draft as a new version; the newest one is live. Compare a version with the draft, or restore it into the draft.</p>
      {error && (
        <p className="field-error" role="alert">
          Could not load the versions: {error}{" "}
          <button type="button" className="btn btn-xs" onClick={() => void refreshVersions()}>
            Retry
          </button>
        </p>
      )}
      {list === null && !error && <p className="muted">Loading…</p>}
      {list?.length === 0 && (
        <div className="ver-empty">
          <p>No versions yet.</p>
          <p className="muted">Publish the draft to create v1. The published app and its API serve the newest version.</p>
        </div>
      )}
      {!!list?.length && (
        <ol className="ver-list">
          {list.map((v, i) => (
            <VersionRow key={v.number} version={v} live={i === 0} others={list.filter((o) => o.number !== v.number).map((o) => o.number)} />
          ))}
        </ol>
      )}
    </div>
  );
}

type Open = "compare" | "restore" | null;

function VersionRow({ version: v, live, others }: { version: Version; live: boolean; others: number[] }) {
  const canEdit = useEditor((s) => s.canEdit);
  const [open, setOpen] = useState<Open>(null);
  const toggle = (what: Open) => setOpen(open === what ? null : what);
  return (
    <li className={`ver-row${open ? " ver-row-open" : ""}`} data-testid={`version-row-${v.number}`}>
      <div className="ver-main">
        <div className="ver-top">
          <span className="ver-number">v{v.number}</span>
          {live && <span className="ver-live">Live</span>}
          <span className={v.note ? "ver-note" : "ver-note muted"} title={v.note || undefined}>
            {v.note || "No note"}
          </span>
        </div>
        <div className="ver-bottom">
          <span className="ver-meta muted">
            {v.created_by || "someone"} · <span title={new Date(v.created_at).toLocaleString()}>{relativeTime(v.created_at)}</span>
          </span>
          <span className="ver-buttons">
            <button type="button" className={`btn btn-xs${open === "compare" ? " btn-active" : ""}`} aria-expanded={open === "compare"} data-testid={`compare-${v.number}`} onClick={() => toggle("compare")}>
              Compare
            </button>
            {canEdit && (
              <button type="button" className={`btn btn-xs${open === "restore" ? " btn-active" : ""}`} aria-expanded={open === "restore"} data-testid={`restore-${v.number}`} onClick={() => toggle("restore")}>
                Restore
              </button>
            )}
          </span>
        </div>
      </div>
      {open === "compare" && <Compare n={v.number} others={others} />}
      {open === "restore" && <RestoreConfirm n={v.number} onDone={() => setOpen(null)} />}
    </li>
  );
}

function Compare({ n, others }: { n: number; others: number[] }) {
  const [against, setAgainst] = useState("draft");
  const [diff, setDiff] = useState<VersionDiff | null>(null);
  const [error, setError] = useState<string | null>(null);
  // the draft on the server changes as the user edits: compare again after each save
  const revision = useEditor((s) => s.revision);
  const draftRevision = against === "draft" ? revision : 0;

  useEffect(() => {
    let live = true;
    setError(null);
    fetchDiff(n, against)
      .then((d) => live && setDiff(d))
      .catch((e: unknown) => live && setError(e instanceof Error ? e.message : String(e)));
    return () => {
      live = false;
    };
  }, [n, against, draftRevision]);

  return (
    <div className="ver-compare">
      <label className="ver-against">
        Compare v{n} with{" "}
        <select className="ed-input" data-testid={`compare-against-${n}`} value={against} onChange={(e) => { setDiff(null); setAgainst(e.target.value); }}>
          <option value="draft">the draft</option>
          {others.map((o) => (
            <option key={o} value={String(o)}>
              v{o}
            </option>
          ))}
        </select>
      </label>
      {error && <p className="field-error">Could not compare: {error}</p>}
      {!diff && !error && <p className="muted">Comparing…</p>}
      {diff && <DiffView diff={diff} />}
    </div>
  );
}

function RestoreConfirm({ n, onDone }: { n: number; onDone: () => void }) {
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<{ message: string; conflict: boolean } | null>(null);

  const restore = async () => {
    setBusy(true);
    setProblem(null);
    try {
      const r = await restoreVersion(n);
      if (r.ok) {
        useEditor.getState().notify(`Restored v${n} into the draft`);
        onDone();
      } else setProblem(r);
    } catch (err) {
      setProblem({ message: err instanceof Error ? err.message : String(err), conflict: false });
    } finally {
      setBusy(false);
    }
  };
  const reload = async () => {
    setBusy(true);
    try {
      await loadDraft(useEditor.getState().appId);
      setProblem(null);
    } catch (err) {
      setProblem({ message: err instanceof Error ? err.message : String(err), conflict: true });
    } finally {
      setBusy(false);
    }
  };

  return (
    <div className="ver-confirm" role="alertdialog" aria-label={`Restore v${n}`} data-testid={`restore-confirm-${n}`}>
      <p>
        <strong>Replace the draft with v{n}?</strong> You can undo by restoring another version. Edits in the draft that were never published are replaced too.
      </p>
      {problem && (
        <div className="ver-problem" role="alert" data-testid="restore-problem">
          {problem.message}
          {problem.conflict && (
            <button type="button" className="btn btn-xs" data-testid="restore-reload" disabled={busy} onClick={() => void reload()}>
              Reload the draft
            </button>
          )}
        </div>
      )}
      <div className="ver-confirm-buttons">
        <button type="button" className="btn btn-xs" onClick={onDone} disabled={busy}>
          Cancel
        </button>
        <button type="button" className="btn btn-xs btn-primary" data-testid={`restore-confirm-button-${n}`} disabled={busy} onClick={() => void restore()}>
          {busy ? "Restoring…" : `Restore v${n}`}
        </button>
      </div>
    </div>
  );
}
