// The three ways to make a dataset: upload a file (with progress; a 422 lists each bad row by
// index and field), import a dataset_info.json with its files, or fill in the identity demo.
import { useState, type FormEvent } from "react";

import { ApiFailure, uploadForm } from "../api/client";
import type { TrainingDataset, TrainingDatasetDetail } from "../api/types";
import { ErrorBox, ProgressBar } from "../page/ui";
import { training } from "./api";

interface Problem {
  row: number | null;
  field: string;
  message: string;
}

function problemsOf(err: unknown): { problems: Problem[]; total: number } {
  if (!(err instanceof ApiFailure)) return { problems: [], total: 0 };
  const problems = Array.isArray(err.data.problems) ? (err.data.problems as Problem[]) : [];
  return { problems, total: Number(err.data.total ?? problems.length) };
}

export function DatasetErrors({ error }: { error: unknown }) {
  if (!error) return null;
  const { problems, total } = problemsOf(error);
  if (!problems.length) return <ErrorBox error={error} testid="dataset-errors" />;
  return (
    <div className="alert alert-error tp-alert" role="alert" data-testid="dataset-errors">
      <strong>{total === 1 ? "1 row needs fixing" : `${total} problems`}; nothing was stored.</strong>
      <table className="tp-problems">
        <thead>
          <tr>
            <th>Row (from 0)</th>
            <th>Field</th>
            <th>Problem</th>
          </tr>
        </thead>
        <tbody>
          {problems.map((p, i) => (
            <tr key={i} data-row={p.row ?? ""} data-field={p.field}>
              <td>{p.row == null ? "the file" : p.row}</td>
              <td>
                <code>{p.field || "–"}</code>
              </td>
              <td>{p.message}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {total > problems.length && <p className="small">…and {total - problems.length} more.</p>}
    </div>
  );
}

export function UploadCard({ formats, onCreated }: { formats: string[]; onCreated: (d: TrainingDatasetDetail) => void }) {
  const [file, setFile] = useState<File | null>(null);
  const [name, setName] = useState("");
  const [format, setFormat] = useState("auto");
  const [cutoff, setCutoff] = useState(1024);
  const [sent, setSent] = useState<number | null>(null);
  const [error, setError] = useState<unknown>(null);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (!file) return;
    const form = new FormData();
    form.append("file", file);
    form.append("name", name.trim() || file.name.replace(/\.(jsonl?|json)$/i, ""));
    form.append("format", format);
    form.append("cutoff_len", String(cutoff));
    setError(null);
    setSent(0);
    try {
      onCreated(await uploadForm<TrainingDatasetDetail>("/training/datasets", form, setSent));
      setFile(null);
      setName("");
      (e.target as HTMLFormElement).reset();
    } catch (err) {
      setError(err);
    } finally {
      setSent(null);
    }
  };
  return (
    <form className="card tp-card" data-testid="dataset-upload" onSubmit={submit}>
      <h2>Upload a dataset</h2>
      <p className="muted small">Alpaca or ShareGPT rows (JSON or JSONL), as LLaMA-Factory reads them. Every row is checked before anything is stored.</p>
      <div className="field">
        <label htmlFor="dataset-file">File</label>
        <input id="dataset-file" data-testid="dataset-file" type="file" accept=".json,.jsonl,application/json" required onChange={(e) => setFile(e.target.files?.[0] ?? null)} />
      </div>
      <div className="field">
        <label htmlFor="dataset-name">Name</label>
        <input id="dataset-name" data-testid="dataset-name" type="text" maxLength={100} placeholder={file?.name.replace(/\.(jsonl?|json)$/i, "") ?? "the file's name"} value={name} onChange={(e) => setName(e.target.value)} />
      </div>
      <div className="tp-row">
        <div className="field">
          <label htmlFor="dataset-format">Format</label>
          <select id="dataset-format" data-testid="dataset-format" value={format} onChange={(e) => setFormat(e.target.value)}>
            {formats.map((f) => (
              <option key={f} value={f}>
                {f === "auto" ? "auto-detect" : f}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor="dataset-cutoff">Cutoff length</label>
          <input id="dataset-cutoff" type="number" min={16} max={131072} value={cutoff} onChange={(e) => setCutoff(parseInt(e.target.value, 10) || 1024)} />
        </div>
      </div>
      {sent !== null && (
        <div className="tp-upload-progress">
          <ProgressBar fraction={sent} active label="Upload" />
          <span className="small muted">{sent < 1 ? `uploading… ${Math.round(sent * 100)} %` : "checking every row and counting tokens…"}</span>
        </div>
      )}
      <DatasetErrors error={error} />
      <div className="form-actions">
        <button className="btn btn-primary" data-testid="dataset-submit" disabled={!file || sent !== null}>
          {sent !== null && <span className="spinner spinner-sm" />} Upload
        </button>
      </div>
    </form>
  );
}

export function ImportCard({ onImported }: { onImported: (ds: TrainingDataset[]) => void }) {
  const [info, setInfo] = useState<File | null>(null);
  const [files, setFiles] = useState<File[]>([]);
  const [sent, setSent] = useState<number | null>(null);
  const [error, setError] = useState<unknown>(null);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (!info) return;
    const form = new FormData();
    form.append("info", info);
    for (const f of files) form.append("files", f);
    setError(null);
    setSent(0);
    try {
      onImported(await uploadForm<TrainingDataset[]>("/training/datasets/import", form, setSent));
      (e.target as HTMLFormElement).reset();
      setInfo(null);
      setFiles([]);
    } catch (err) {
      setError(err);
    } finally {
      setSent(null);
    }
  };
  return (
    <form className="card tp-card" data-testid="dataset-import" onSubmit={submit}>
      <h2>Import dataset_info.json</h2>
      <p className="muted small">A LLaMA-Factory <code>dataset_info.json</code> with the data files it names: columns, tags and ranking are kept. All of its datasets are imported, or none.</p>
      <div className="field">
        <label htmlFor="import-info">dataset_info.json</label>
        <input id="import-info" type="file" accept=".json" required onChange={(e) => setInfo(e.target.files?.[0] ?? null)} />
      </div>
      <div className="field">
        <label htmlFor="import-files">Data files</label>
        <input id="import-files" type="file" multiple accept=".json,.jsonl" onChange={(e) => setFiles([...(e.target.files ?? [])])} />
        {files.length > 0 && <p className="small muted">{files.map((f) => f.name).join(", ")}</p>}
      </div>
      {sent !== null && <ProgressBar fraction={sent} active label="Import" />}
      <DatasetErrors error={error} />
      <div className="form-actions">
        <button className="btn" disabled={!info || sent !== null}>
          {sent !== null && <span className="spinner spinner-sm" />} Import
        </button>
      </div>
    </form>
  );
}

export function IdentityCard({ onCreated }: { onCreated: (d: TrainingDatasetDetail) => void }) {
  const [name, setName] = useState("");
  const [author, setAuthor] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      onCreated(await training.identity({ assistant_name: name.trim(), author: author.trim(), name: "", base_model: "embedded", cutoff_len: 1024 }));
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <form className="card tp-card tp-identity" data-testid="identity-card" onSubmit={submit}>
      <div className="tp-card-kicker">Demo</div>
      <h2>Use the identity demo</h2>
      <p className="muted small">
        LLaMA-Factory's classic first run: about a hundred “who are you?” answers with your assistant's name and makers. A few minutes of training later, the model introduces itself by the new name.
      </p>
      <div className="tp-row">
        <div className="field">
          <label htmlFor="identity-name">Assistant name</label>
          <input id="identity-name" data-testid="identity-name" type="text" required maxLength={60} placeholder="e.g. Weftling" value={name} onChange={(e) => setName(e.target.value)} />
        </div>
        <div className="field">
          <label htmlFor="identity-author">Made by</label>
          <input id="identity-author" data-testid="identity-author" type="text" required maxLength={100} placeholder="e.g. the Weft team" value={author} onChange={(e) => setAuthor(e.target.value)} />
        </div>
      </div>
      <ErrorBox error={error} />
      <div className="form-actions">
        <button className="btn btn-primary" data-testid="identity-create" disabled={busy || !name.trim() || !author.trim()}>
          {busy && <span className="spinner spinner-sm" />} Create the dataset
        </button>
      </div>
    </form>
  );
}
