// One document: its state, its metadata (key/values for filtering), and its chunks to read, edit
// or disable; the document itself can be disabled or deleted. The contract has no GET of one
// document, so it is read from the documents list (polled while it is being indexed).
import { useCallback, useState } from "react";

import { ErrorBox, formatBytes } from "../page/ui";
import { knowledge } from "./api";
import { Chunks } from "./Chunks";
import { plural } from "../page/words";
import { inProgress, progressWords, STAGE_WORDS } from "./format";
import { MetadataEditor } from "./MetadataEditor";
import type { DocumentList, KnowledgeBase } from "./types";
import { usePolled } from "./usePolled";

interface Props {
  kb: KnowledgeBase;
  docId: string;
  canEdit: boolean;
  onChanged: () => void;
}

export function DocumentView({ kb, docId, canEdit, onChanged }: Props) {
  const load = useCallback(() => knowledge.documents(kb.id), [kb.id]);
  const busy = useCallback((list: DocumentList) => list.documents.some((d) => d.id === docId && inProgress(d.stage)), [docId]);
  const { value: list, error, refresh } = usePolled(load, busy);
  const [actionError, setActionError] = useState<unknown>(null);
  const doc = list?.documents.find((d) => d.id === docId);
  const back = `#kb/${kb.id}/documents`;
  if (!list) return error ? <ErrorBox error={error} /> : <div className="tp-loading"><span className="spinner" /> Loading the document…</div>;
  if (!doc) {
    return (
      <div className="card tp-card" data-testid="kb-doc-missing">
        <a href={back} className="small">← Documents</a>
        <p>This document is no longer in the knowledge base.</p>
      </div>
    );
  }
  const act = async (action: () => Promise<unknown>, after?: () => void) => {
    setActionError(null);
    try {
      await action();
      after?.();
    } catch (err) {
      setActionError(err);
    }
    await refresh();
    onChanged();
  };
  const caps = kb.capabilities;
  return (
    <div className="kb-doc-view" data-testid="kb-doc-view" data-stage={doc.stage} data-enabled={doc.enabled ? "1" : "0"}>
      <div className="tp-view-head">
        <div>
          <a href={back} className="small">← Documents</a>
          <h2 className="tp-title">
            {doc.name} {!doc.enabled && <span className="pill kb-pill-off">disabled</span>}
          </h2>
          <div className="muted small">
            <span className={`kb-stage kb-stage-${doc.stage}`}>{doc.stage === "indexed" ? STAGE_WORDS.indexed : progressWords(doc)}</span> · {formatBytes(doc.size)} · {plural(doc.chunk_count, "chunk")}
          </div>
        </div>
        {canEdit && (
          <div className="form-actions">
            {caps.disable && doc.stage === "indexed" && (
              <button type="button" className="btn" data-testid="kb-doc-view-toggle" onClick={() => void act(() => knowledge.updateDocument(kb.id, doc.id, { enabled: !doc.enabled }))}>
                {doc.enabled ? "Disable document" : "Enable document"}
              </button>
            )}
            {caps.delete && (
              <button
                type="button"
                className="btn btn-danger"
                data-testid="kb-doc-view-delete"
                onClick={() => {
                  if (window.confirm(`Delete “${doc.name}” with its chunks? Searches stop finding it.`)) void act(() => knowledge.removeDocument(kb.id, doc.id), () => window.location.replace(back));
                }}
              >
                Delete
              </button>
            )}
          </div>
        )}
      </div>
      <ErrorBox error={actionError} testid="kb-action-error" />
      {doc.stage === "failed" && <div className="alert alert-error tp-alert">{doc.error || "Indexing failed."}</div>}
      {!doc.enabled && <div className="alert tp-alert tp-info">This document is disabled: searches and apps leave it out until it is enabled again.</div>}
      <MetadataEditor key={JSON.stringify(doc.metadata)} metadata={doc.metadata} canEdit={canEdit} onSave={(metadata) => act(() => knowledge.updateDocument(kb.id, doc.id, { metadata }))} />
      {doc.stage === "indexed" ? (
        <Chunks kb={kb} doc={doc} canEdit={canEdit} />
      ) : (
        <div className="card tp-card muted">Its chunks can be read once it is indexed.</div>
      )}
    </div>
  );
}
