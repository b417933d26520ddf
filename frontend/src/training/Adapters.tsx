// The Adapters tab: every registered adapter with its scores, export (zip), merge and delete, and
// a playground that asks the base model and the adapter the same question side by side.
import { useEffect, useRef, useState, type FormEvent } from "react";

import type { TrainingAdapter, TrainingPlaygroundOut } from "../api/types";
import { ago, Empty, ErrorBox } from "../page/ui";
import { training } from "./api";
import { percent } from "./format";
import { UseInApp } from "./UseInApp";

export function metric(a: TrainingAdapter, key: string): number | null {
  const v = (a.metrics as Record<string, unknown>)[key];
  return typeof v === "number" ? v : null;
}

function Playground({ adapters, initial }: { adapters: TrainingAdapter[]; initial: string | null }) {
  const [adapter, setAdapter] = useState(initial ?? adapters[0]?.name ?? "");
  const [prompt, setPrompt] = useState("Who are you?");
  const [system, setSystem] = useState("");
  const [maxTokens, setMaxTokens] = useState(128);
  const [busy, setBusy] = useState(false);
  const [out, setOut] = useState<TrainingPlaygroundOut | null>(null);
  const [error, setError] = useState<unknown>(null);
  const ref = useRef<HTMLElement>(null);
  useEffect(() => {
    if (initial) {
      setAdapter(initial);
      ref.current?.scrollIntoView({ behavior: "smooth", block: "start" });
    }
  }, [initial]);
  useEffect(() => {
    if (!adapter && adapters.length) setAdapter(adapters[0].name);
  }, [adapters, adapter]);
  const run = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    setOut(null);
    try {
      setOut(await training.playground({ adapter, prompt, system, max_tokens: maxTokens, temperature: 0 }));
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  const chosen = adapters.find((a) => a.name === adapter);
  return (
    <section className="card tp-card tp-playground" ref={ref} data-testid="playground">
      <h2>Playground</h2>
      <p className="muted small">The same prompt to the base model and to the adapter (greedy decoding), side by side.</p>
      <form onSubmit={run}>
        <div className="tp-row">
          <div className="field">
            <label htmlFor="playground-adapter">Adapter</label>
            <select id="playground-adapter" data-testid="playground-adapter" value={adapter} onChange={(e) => setAdapter(e.target.value)}>
              {adapters.map((a) => (
                <option key={a.name} value={a.name}>
                  {a.label}
                </option>
              ))}
            </select>
          </div>
          <div className="field tp-narrow">
            <label htmlFor="playground-max">Max tokens</label>
            <input id="playground-max" type="number" min={1} max={2048} value={maxTokens} onChange={(e) => setMaxTokens(parseInt(e.target.value, 10) || 128)} />
          </div>
        </div>
        <div className="field">
          <label htmlFor="playground-system">
            System prompt <span className="muted">(optional)</span>
          </label>
          <input id="playground-system" type="text" value={system} onChange={(e) => setSystem(e.target.value)} placeholder="e.g. You are a helpful assistant." />
        </div>
        <div className="field">
          <label htmlFor="playground-prompt">Prompt</label>
          <textarea
            id="playground-prompt"
            data-testid="playground-prompt"
            rows={3}
            value={prompt}
            onChange={(e) => setPrompt(e.target.value)}
            onKeyDown={(e) => {
              if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) void run(e);
            }}
          />
        </div>
        <div className="form-actions">
          <button className="btn btn-primary" data-testid="playground-run" disabled={busy || !adapter || !prompt.trim()}>
            {busy && <span className="spinner spinner-sm" />} {busy ? "Asking both…" : "Compare"}
          </button>
        </div>
      </form>
      <ErrorBox error={error} />
      <div className="tp-compare">
        <div className="tp-answer">
          <div className="output-label">Base model</div>
          <div className="output-text" data-testid="playground-base">
            {out ? out.base || <span className="muted">(empty answer)</span> : <span className="muted">{busy ? "…" : "—"}</span>}
          </div>
        </div>
        <div className="tp-answer tp-answer-adapter">
          <div className="output-label">{chosen ? chosen.label : "Adapter"}</div>
          <div className="output-text" data-testid="playground-output">
            {out ? out.adapter || <span className="muted">(empty answer)</span> : <span className="muted">{busy ? "…" : "—"}</span>}
          </div>
        </div>
      </div>
    </section>
  );
}

function AdapterRow({ a, canEdit, isAdmin, onDeleted }: { a: TrainingAdapter; canEdit: boolean; isAdmin: boolean; onDeleted: () => void }) {
  const [merged, setMerged] = useState("");
  const [picking, setPicking] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const merge = async () => {
    setBusy(true);
    setError(null);
    try {
      setMerged((await training.mergeAdapter(a.id)).path);
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  const remove = async () => {
    if (!window.confirm(`Delete the adapter “${a.name}”? LLM nodes that use it stop finding their model.`)) return;
    try {
      await training.deleteAdapter(a.id);
      onDeleted();
    } catch (e) {
      setError(e);
    }
  };
  return (
    <>
      <tr data-testid={`adapter-row-${a.name}`}>
        <td>
          <strong>{a.label}</strong>
          <div className="small muted">
            model name <code>{a.name}</code>
            {a.served_name !== a.name && (
              <>
                {" "}
                · vLLM <code>{a.served_name}</code>
              </>
            )}
          </div>
        </td>
        <td>
          <span className="pill">{a.stage}</span>
        </td>
        <td className="num">{percent(metric(a, "learned"))}</td>
        <td className="num">{percent(metric(a, "preserved"))}</td>
        <td title={a.created_at}>
          {ago(a.created_at)}
          {a.job_id && (
            <div className="small">
              <a href={`#jobs/${a.job_id}`}>job</a>
            </div>
          )}
        </td>
        <td className="tp-actions">
          <a className="btn btn-sm" href={`#adapters/${encodeURIComponent(a.name)}`}>
            Try
          </a>
          {canEdit && (
            <button className="btn btn-sm" onClick={() => setPicking(!picking)} aria-expanded={picking} data-testid={`adapter-use-${a.name}`}>
              Use in an app
            </button>
          )}
          {canEdit && (
            <a className="btn btn-sm" href={training.exportUrl(a.id)} download={`${a.name}.zip`} data-testid={`adapter-export-${a.name}`}>
              Export zip
            </a>
          )}
          {canEdit && (
            <button className="btn btn-sm" onClick={merge} disabled={busy} data-testid={`adapter-merge-${a.name}`}>
              {busy && <span className="spinner spinner-sm" />} Merge
            </button>
          )}
          {isAdmin && (
            <button className="btn btn-sm btn-danger" onClick={remove} data-testid={`adapter-delete-${a.name}`}>
              Delete
            </button>
          )}
        </td>
      </tr>
      {picking && (
        <tr className="detail-row">
          <td colSpan={6}>
            <UseInApp adapter={a} onClose={() => setPicking(false)} />
          </td>
        </tr>
      )}
      {(merged || error) && (
        <tr className="detail-row">
          <td colSpan={6}>
            {merged && (
              <div className="alert alert-success" data-testid={`adapter-merged-${a.name}`}>
                Merged into a full model folder on the server, under the data folder (WEFT_DATA_DIR): <code>{merged}</code> — serve it with vLLM or use it as a base model.
              </div>
            )}
            <ErrorBox error={error} />
          </td>
        </tr>
      )}
    </>
  );
}

export function AdaptersTab({ canEdit, isAdmin, selected }: { canEdit: boolean; isAdmin: boolean; selected: string | null }) {
  const [adapters, setAdapters] = useState<TrainingAdapter[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const load = () => training.adapters().then(setAdapters, setError);
  useEffect(() => {
    void load();
  }, []);
  return (
    <div className="tp-adapters">
      <div className="card tp-card">
        <h2>Adapters</h2>
        <p className="muted small">Each finished job registers its adapter as a model: LLM nodes list it as “&lt;base&gt; + &lt;adapter&gt;”.</p>
        <ErrorBox error={error} />
        {adapters && !adapters.length && (
          <Empty title="No adapters yet">
            A job that succeeds registers one. <a href="#jobs">Go to Jobs</a>.
          </Empty>
        )}
        {adapters && adapters.length > 0 && (
          <table className="table tp-table">
            <thead>
              <tr>
                <th>Adapter</th>
                <th>Stage</th>
                <th className="num">Learned</th>
                <th className="num">Preserved</th>
                <th>Created</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {adapters.map((a) => (
                <AdapterRow
                  key={a.id}
                  a={a}
                  canEdit={canEdit}
                  isAdmin={isAdmin}
                  onDeleted={() => void load()}
                />
              ))}
            </tbody>
          </table>
        )}
      </div>
      {adapters && adapters.length > 0 && canEdit && <Playground adapters={adapters} initial={selected} />}
    </div>
  );
}
