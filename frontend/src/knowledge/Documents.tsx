// The Documents tab: the worker's state, the upload zone, and each document's ingestion live
// (stage, counts, a progress bar, the error with Retry), polled while any is in progress.
import { useCallback, useEffect, useRef, useState } from "react";

import { ago, Empty, ErrorBox, formatBytes, ProgressBar } from "../page/ui";
import { knowledge } from "./api";
import { documentFraction, inProgress, progressWords, STAGE_WORDS } from "./format";
import type { DocumentList, KbDocument, KnowledgeBase } from "./types";
import { UploadZone } from "./Upload";
import { usePolled } from "./usePolled";

interface Props {
  kb: KnowledgeBase;
  canEdit: boolean;
  onChanged: () => void; // the knowledge base's counts changed
}

export function Documents({ kb, canEdit, onChanged }: Props) {
  const load = useCallback(() => knowledge.documents(kb.id), [kb.id]);
  const busy = useCallback((list: DocumentList) => list.documents.some((d) => inProgress(d.stage)), []);
  const { value: list, error, refresh } = usePolled(load, busy);
  const [actionError, setActionError] = useState<unknown>(null);
  const active = list ? busy(list) : false;
  const wasActive = useRef(false);
  useEffect(() => {
    if (wasActive.current && !active) onChanged(); // ingestion finished: the header's counts
    wasActive.current = active;
  }, [active, onChanged]);

  const act = async (action: () => Promise<unknown>) => {
    setActionError(null);
    try {
      await action();
    } catch (err) {
      setActionError(err);
    }
    await refresh();
    onChanged();
  };
  const caps = kb.capabilities;
  const canDelete = canEdit && caps.delete;
  const canDisable = canEdit && caps.disable;

  return (
    <div className="kb-documents">
      {list && !list.worker.ok && (
        <div className="alert tp-alert kb-worker" role="alert" data-testid="kb-worker-warning">
          <strong>Documents are not being indexed.</strong> {list.worker.message}
        </div>
      )}
      {canEdit && <UploadZone kbId={kb.id} limits={kb.limits} onUploaded={() => void refresh()} />}
      <div className="card tp-card">
        <div className="tp-card-head">
          <h2>Documents</h2>
          {active && (
            <span className="small muted" data-testid="kb-live">
              <span className="spinner spinner-sm" /> indexing…
            </span>
          )}
        </div>
        <ErrorBox error={error} />
        <ErrorBox error={actionError} testid="kb-action-error" />
        {list && !list.documents.length && <Empty title="No documents yet">{canEdit ? "Drop files above to add them." : "Editors can add documents."}</Empty>}
        {list && list.documents.length > 0 && (
          <table className="table tp-table kb-doc-table" data-testid="kb-documents">
            <thead>
              <tr>
                <th>Document</th>
                <th className="kb-col-progress">Ingestion</th>
                <th className="num">Size</th>
                <th>Updated</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {list.documents.map((d) => (
                <DocumentRow
                  key={d.id}
                  kbId={kb.id}
                  doc={d}
                  canDelete={canDelete}
                  canDisable={canDisable}
                  canRetry={canEdit}
                  act={act}
                />
              ))}
            </tbody>
          </table>
        )}
      </div>
    </div>
  );
}

interface RowProps {
  kbId: string;
  doc: KbDocument;
  canDelete: boolean;
  canDisable: boolean;
  canRetry: boolean;
  act: (action: () => Promise<unknown>) => Promise<void>;
}

function DocumentRow({ kbId, doc: d, canDelete, canDisable, canRetry, act }: RowProps) {
  const live = inProgress(d.stage);
  return (
    <tr data-testid={`kb-doc-${d.id}`} data-name={d.name} data-stage={d.stage} data-enabled={d.enabled ? "1" : "0"} className={d.enabled ? "" : "kb-disabled"}>
      <td>
        <a href={`#kb/${kbId}/documents/${d.id}`} data-testid="kb-doc-open">
          {d.name}
        </a>
        {!d.enabled && <span className="pill kb-pill-off">disabled</span>}
        {Object.keys(d.metadata).length > 0 && (
          <div className="kb-meta-chips">
            {Object.entries(d.metadata).map(([k, v]) => (
              <span key={k} className="kb-chip">
                {k}: {String(v)}
              </span>
            ))}
          </div>
        )}
      </td>
      <td className="kb-col-progress">
        <div className="kb-progress">
          <span className={`kb-stage kb-stage-${d.stage}`} data-testid="kb-doc-stage">
            {d.stage === "failed" ? STAGE_WORDS.failed : progressWords(d)}
          </span>
          {d.stage !== "failed" && d.stage !== "indexed" && <ProgressBar fraction={documentFraction(d)} active={live} label={`${d.name}: ${STAGE_WORDS[d.stage]}`} />}
        </div>
        {d.stage === "failed" && (
          <div className="kb-doc-error" data-testid="kb-doc-error">
            {d.error || "Indexing failed."}
            {canRetry && (
              <button type="button" className="btn btn-sm" data-testid="kb-doc-retry" onClick={() => void act(() => knowledge.retry(kbId, d.id))}>
                Retry
              </button>
            )}
          </div>
        )}
      </td>
      <td className="num">{formatBytes(d.size)}</td>
      <td title={d.updated_at}>{ago(d.updated_at)}</td>
      <td>
        <div className="tp-actions">
          {canDisable && d.stage === "indexed" && (
            <button type="button" className="btn btn-sm" data-testid="kb-doc-toggle" onClick={() => void act(() => knowledge.updateDocument(kbId, d.id, { enabled: !d.enabled }))}>
              {d.enabled ? "Disable" : "Enable"}
            </button>
          )}
          {canDelete && (
            <button
              type="button"
              className="btn btn-sm btn-danger"
              data-testid="kb-doc-delete"
              onClick={() => {
                if (window.confirm(`Delete “${d.name}” with its chunks? Searches stop finding it.`)) void act(() => knowledge.removeDocument(kbId, d.id));
              }}
            >
              Delete
            </button>
          )}
        </div>
      </td>
    </tr>
  );
}
