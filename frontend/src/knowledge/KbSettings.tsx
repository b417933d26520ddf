// Settings: the name and description, how searches run (what a knowledge node uses when it does
// not say), how documents were chunked (fixed once documents are in), and deleting it all.
import { useState, type FormEvent } from "react";

import { ErrorBox } from "../page/ui";
import { knowledge } from "./api";
import { chunkingWords, METHOD_WORDS, METHODS } from "./format";
import type { KnowledgeBase, Retrieval, RetrievalMode } from "./types";

interface Props {
  kb: KnowledgeBase;
  canEdit: boolean;
  onSaved: (kb: KnowledgeBase) => void;
}

export function KbSettings({ kb, canEdit, onSaved }: Props) {
  const [name, setName] = useState(kb.name);
  const [description, setDescription] = useState(kb.description);
  const [retrieval, setRetrieval] = useState<Retrieval>(kb.retrieval);
  const [busy, setBusy] = useState(false);
  const [saved, setSaved] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const set = (patch: Partial<Retrieval>) => {
    setSaved(false);
    setRetrieval({ ...retrieval, ...patch });
  };
  const modes = METHODS.filter((m) => kb.capabilities.modes.includes(m));
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      onSaved(await knowledge.update(kb.id, { name: name.trim(), description: description.trim(), retrieval }));
      setSaved(true);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  const remove = async () => {
    if (!window.confirm(`Delete the knowledge base “${kb.name}” with its ${kb.document_count} documents? Apps that search it will say it is missing.`)) return;
    try {
      await knowledge.remove(kb.id);
      window.location.replace("#"); // Back must not return to the deleted knowledge base
    } catch (err) {
      setError(err);
    }
  };
  return (
    <div className="tp-grid-2 kb-settings">
      <form className="card tp-card" data-testid="kb-settings" onSubmit={submit}>
        <h2>Settings</h2>
        <fieldset disabled={!canEdit} className="kb-fieldset">
          <div className="field">
            <label htmlFor="kb-set-name">Name</label>
            <input id="kb-set-name" type="text" maxLength={100} required value={name} onChange={(e) => setName(e.target.value)} />
          </div>
          <div className="field">
            <label htmlFor="kb-set-description">Description</label>
            <input id="kb-set-description" type="text" maxLength={500} value={description} onChange={(e) => setDescription(e.target.value)} />
          </div>
          <h3>Search</h3>
          <p className="small muted">What a knowledge node uses unless it sets its own.</p>
          <div className="tp-row">
            <div className="field">
              <label htmlFor="kb-set-mode">Method</label>
              <select id="kb-set-mode" data-testid="kb-set-mode" value={retrieval.mode} onChange={(e) => set({ mode: e.target.value as RetrievalMode })}>
                {modes.map((m) => (
                  <option key={m} value={m}>
                    {METHOD_WORDS[m]}
                  </option>
                ))}
              </select>
            </div>
            <div className="field">
              <label htmlFor="kb-set-weight">Vector weight</label>
              <input id="kb-set-weight" data-testid="kb-set-weight" type="number" min={0} max={1} step={0.05} disabled={retrieval.mode !== "hybrid"} value={retrieval.weight} onChange={(e) => set({ weight: parseFloat(e.target.value) || 0 })} />
              <p className="field-help">hybrid: full text gets the rest</p>
            </div>
            <div className="field">
              <label htmlFor="kb-set-top-k">Top k</label>
              <input id="kb-set-top-k" data-testid="kb-set-top-k" type="number" min={1} max={50} value={retrieval.top_k} onChange={(e) => set({ top_k: parseInt(e.target.value, 10) || 1 })} />
            </div>
            <div className="field">
              <label htmlFor="kb-set-threshold">Score threshold</label>
              <input
                id="kb-set-threshold"
                type="number"
                min={0}
                max={1}
                step={0.05}
                placeholder="none"
                value={retrieval.score_threshold ?? ""}
                onChange={(e) => set({ score_threshold: e.target.value === "" ? null : parseFloat(e.target.value) })}
              />
              <p className="field-help">on the fused score; empty keeps every hit</p>
            </div>
          </div>
        </fieldset>
        <ErrorBox error={error} testid="kb-settings-error" />
        {canEdit && (
          <div className="form-actions">
            {saved && <span className="small tp-ok">Saved.</span>}
            <button className="btn btn-primary" data-testid="kb-settings-save" disabled={busy || !name.trim()}>
              Save
            </button>
          </div>
        )}
      </form>
      <div className="card tp-card">
        <h2>Chunking</h2>
        {kb.ragflow_dataset_id ? (
          <p data-testid="kb-chunking-summary">
            RAGFlow parses, chunks and embeds these files on its server, in dataset <span className="mono">{kb.ragflow_dataset_id}</span>, with that dataset&apos;s own settings.
          </p>
        ) : (
          <>
            <p data-testid="kb-chunking-summary">{chunkingWords(kb.chunking)}</p>
            <p className="small muted">Set when the knowledge base was made: its documents were cut this way. To chunk differently, make a new knowledge base and upload the files there.</p>
          </>
        )}
        {canEdit && (
          <>
            <h3>Delete</h3>
            <p className="small muted">Removes its documents, chunks, vectors and test set.</p>
            <button type="button" className="btn btn-danger" data-testid="kb-delete" onClick={() => void remove()}>
              Delete knowledge base
            </button>
          </>
        )}
      </div>
    </div>
  );
}
