// A document's metadata as key/value rows: what a knowledge node's metadata filter matches on.
// A value that reads as a number is kept as a number, so a filter can compare it.
import { useState } from "react";

import { metadataRows, readMetadata, type MetaRow } from "./format";
import type { MetadataValue } from "./types";

interface Props {
  metadata: Record<string, MetadataValue>;
  canEdit: boolean;
  onSave: (metadata: Record<string, MetadataValue>) => Promise<void>;
}

export function MetadataEditor({ metadata, canEdit, onSave }: Props) {
  const [rows, setRows] = useState<MetaRow[]>(() => metadataRows(metadata));
  const [problem, setProblem] = useState("");
  const [busy, setBusy] = useState(false);
  const saved = JSON.stringify(metadataRows(metadata));
  const dirty = JSON.stringify(rows.filter((r) => r.key || r.value)) !== saved;
  const set = (i: number, patch: Partial<MetaRow>) => setRows(rows.map((r, j) => (j === i ? { ...r, ...patch } : r)));
  const save = async () => {
    const read = readMetadata(rows);
    if ("error" in read) {
      setProblem(read.error);
      return;
    }
    setProblem("");
    setBusy(true);
    await onSave(read.metadata);
    setBusy(false);
  };
  return (
    <div className="card tp-card kb-metadata" data-testid="kb-metadata">
      <div className="tp-card-head">
        <h3>Metadata</h3>
        <span className="small muted">for filtering in a knowledge node (e.g. year = 2024)</span>
      </div>
      {!rows.length && <p className="small muted">No metadata.</p>}
      {rows.map((r, i) => (
        <div className="kb-meta-row" key={i} data-testid="kb-meta-row">
          <input type="text" aria-label={`Key ${i + 1}`} placeholder="key" value={r.key} disabled={!canEdit} onChange={(e) => set(i, { key: e.target.value })} />
          <input type="text" aria-label={`Value ${i + 1}`} placeholder="value" value={r.value} disabled={!canEdit} onChange={(e) => set(i, { value: e.target.value })} />
          {canEdit && (
            <button type="button" className="icon-button" aria-label={`Remove row ${i + 1}`} onClick={() => setRows(rows.filter((_, j) => j !== i))}>
              ×
            </button>
          )}
        </div>
      ))}
      {problem && (
        <p className="field-error" role="alert" data-testid="kb-meta-problem">
          {problem}
        </p>
      )}
      {canEdit && (
        <div className="form-actions kb-meta-actions">
          <button type="button" className="btn btn-sm" data-testid="kb-meta-add" onClick={() => setRows([...rows, { key: "", value: "" }])}>
            + Add
          </button>
          <button type="button" className="btn btn-sm btn-primary" data-testid="kb-meta-save" disabled={!dirty || busy} onClick={() => void save()}>
            Save metadata
          </button>
        </div>
      )}
    </div>
  );
}
