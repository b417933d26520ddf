// The Datasets tab: the ways to make one (DatasetForms.tsx), the list, and one dataset's
// statistics, length histogram and first rows as the model will see them.
import { useEffect, useState } from "react";

import type { TrainingDataset, TrainingDatasetDetail } from "../api/types";
import { ago, Empty, ErrorBox, formatBytes, Stat } from "../page/ui";
import { training } from "./api";
import { histogramBins, LengthHistogram } from "./charts";
import { IdentityCard, ImportCard, UploadCard } from "./DatasetForms";
import { formatCount } from "./format";
import { useBaseLabel } from "./ui";

export function DatasetsTab({ canEdit, formats }: { canEdit: boolean; formats: string[] }) {
  const [rows, setRows] = useState<TrainingDataset[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const load = () => training.datasets().then(setRows, setError);
  useEffect(() => {
    void load();
  }, []);
  const created = (d: TrainingDatasetDetail) => {
    window.location.hash = `#datasets/${d.id}`;
  };
  return (
    <div className="tp-datasets">
      {canEdit && (
        <div className="tp-grid-3">
          <IdentityCard onCreated={created} />
          <UploadCard formats={formats} onCreated={created} />
          <ImportCard onImported={() => void load()} />
        </div>
      )}
      <div className="card tp-card">
        <h2>Datasets</h2>
        <ErrorBox error={error} />
        {rows && !rows.length && <Empty title="No datasets yet">{canEdit ? "Upload one, import a dataset_info.json, or start with the identity demo above." : "Editors can upload datasets."}</Empty>}
        {rows && rows.length > 0 && (
          <table className="table tp-table">
            <thead>
              <tr>
                <th>Name</th>
                <th>Format</th>
                <th className="num">Rows</th>
                <th className="num">Tokens</th>
                <th className="num">Size</th>
                <th>Created</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((d) => (
                <tr key={d.id} className="tp-click" data-testid={`dataset-row-${d.id}`} onClick={() => (window.location.hash = `#datasets/${d.id}`)}>
                  <td>
                    <a href={`#datasets/${d.id}`}>{d.name}</a>
                    <div className="small muted">{d.file_name}</div>
                  </td>
                  <td>
                    <span className="pill">{d.format}</span> {d.ranking && <span className="pill tp-pill-pref">preference</span>}
                  </td>
                  <td className="num">{formatCount(d.rows)}</td>
                  <td className="num">{formatCount(d.tokens)}</td>
                  <td className="num">{formatBytes(d.size_bytes)}</td>
                  <td title={d.created_at}>{ago(d.created_at)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </div>
    </div>
  );
}

function PreviewRow({ row, i }: { row: TrainingDatasetDetail["preview"][number]; i: number }) {
  return (
    <div className="tp-preview-row">
      <div className="tp-preview-head">Row {i}</div>
      <pre className="tp-template">{row.text}</pre>
      {(row.chosen != null || row.rejected != null) && (
        <div className="tp-pair">
          <div>
            <div className="tp-pair-label tp-good">chosen</div>
            <pre className="tp-template">{row.chosen}</pre>
          </div>
          <div>
            <div className="tp-pair-label tp-bad">rejected</div>
            <pre className="tp-template">{row.rejected}</pre>
          </div>
        </div>
      )}
    </div>
  );
}

export function DatasetView({ id, canEdit, isAdmin }: { id: string; canEdit: boolean; isAdmin: boolean }) {
  const [d, setD] = useState<TrainingDatasetDetail | null>(null);
  const [error, setError] = useState<unknown>(null);
  const baseLabel = useBaseLabel();
  useEffect(() => {
    setD(null);
    training.dataset(id).then(setD, setError);
  }, [id]);
  const remove = async () => {
    if (!d || !window.confirm(`Delete the dataset “${d.name}”? Jobs that used it keep their adapters.`)) return;
    try {
      await training.deleteDataset(d.id);
      window.location.replace("#datasets"); // Back must not return to the deleted dataset
    } catch (err) {
      setError(err);
    }
  };
  if (!d) return error ? <ErrorBox error={error} /> : <div className="tp-loading"><span className="spinner" /> Loading the dataset…</div>;
  const s = d.stats;
  return (
    <div className="tp-dataset" data-testid="dataset-view">
      <div className="tp-view-head">
        <div>
          <a href="#datasets" className="small">← Datasets</a>
          <h2 className="tp-title">{d.name}</h2>
          <div className="muted small">
            <span className="pill">{d.format}</span> {d.ranking && <span className="pill tp-pill-pref">preference (chosen / rejected)</span>} {d.file_name} · {formatBytes(d.size_bytes)} · tokens counted with {baseLabel(s.base_model)} · {ago(d.created_at)}
            {d.created_by && ` by ${d.created_by}`}
          </div>
        </div>
        <div className="form-actions">
          {canEdit && (
            <a className="btn btn-primary" href={`#jobs/new?dataset=${d.id}`}>
              Train on this
            </a>
          )}
          {isAdmin && (
            <button className="btn btn-danger" onClick={remove}>
              Delete
            </button>
          )}
        </div>
      </div>
      <ErrorBox error={error} />
      <div className="tp-grid-2">
        <div className="card tp-card" data-testid="dataset-stats" data-rows={s.rows} data-over-cutoff={s.over_cutoff}>
          <h3>Statistics</h3>
          <div className="tp-stats">
            <Stat label="Rows" value={formatCount(s.rows)} />
            <Stat label="Tokens" value={formatCount(s.tokens)} />
            <Stat label="Shortest" value={s.min_len} sub="tokens" />
            <Stat label="Mean" value={s.mean_len} sub="tokens" />
            <Stat label="Longest" value={s.max_len} sub="tokens" />
            <Stat label="Over cutoff" value={<span className={s.over_cutoff ? "tp-warn" : "tp-ok"}>{s.over_cutoff}</span>} sub={`rows longer than ${s.cutoff}`} />
          </div>
          {s.over_cutoff > 0 && <p className="small tp-warn">A job with this cutoff stops on these {s.over_cutoff} rows before its first step: raise its cutoff length or remove them.</p>}
        </div>
        <div className="card tp-card">
          <LengthHistogram bins={histogramBins(s.histogram)} cutoff={s.cutoff} overCutoff={s.over_cutoff} />
          {s.cutoff > s.max_len && <p className="small muted">The cutoff ({s.cutoff}) is past the longest row: nothing is dropped.</p>}
        </div>
      </div>
      <div className="card tp-card" data-testid="dataset-preview">
        <h3>First rows, as the model sees them</h3>
        <p className="small muted">Rendered with the chat template of {baseLabel(s.base_model)}{d.ranking ? "; the prompt, then the chosen and the rejected answer" : ""}.</p>
        {d.preview.map((row, i) => (
          <PreviewRow key={i} row={row} i={i} />
        ))}
        {!d.preview.length && <p className="muted">No rows.</p>}
      </div>
    </div>
  );
}
