// "New knowledge base": a name, what it holds, and how its documents are cut into chunks.
import { useState, type FormEvent } from "react";

import { ErrorBox } from "../page/ui";
import { knowledge } from "./api";
import { CHUNKING_DEFAULTS, CHUNKING_WORDS, readSeparator, showSeparator } from "./format";
import type { Backend, Chunking, ChunkingMode, KnowledgeBase } from "./types";

const BACKEND_WORDS: Record<Backend, string> = {
  embedded: "Embedded (on this server, no services)",
  milvus: "Milvus (embedded or a cluster)",
  ragflow: "RAGFlow (a RAGFlow server)",
};

const MODE_HELP: Record<ChunkingMode, string> = {
  general: "Cut into chunks of a set size, at paragraphs first, then at sentences.",
  parent_child: "Small chunks are matched; the larger section around a match is what the app reads.",
  qa: "One chunk per row of a csv of questions and answers: the question is matched, both are read.",
};

export function CreateKb({ onCreated }: { onCreated: (kb: KnowledgeBase) => void }) {
  const [name, setName] = useState("");
  const [description, setDescription] = useState("");
  const [chunking, setChunking] = useState<Chunking>(CHUNKING_DEFAULTS.general);
  const [backend, setBackend] = useState<Backend>("embedded");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      onCreated(await knowledge.create({ name: name.trim(), description: description.trim(), backend, chunking }));
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <form className="card tp-card kb-create" data-testid="kb-create" onSubmit={submit}>
      <h2>New knowledge base</h2>
      <div className="field">
        <label htmlFor="kb-name">Name</label>
        <input id="kb-name" data-testid="kb-name" type="text" maxLength={100} required placeholder="e.g. Product handbook" value={name} onChange={(e) => setName(e.target.value)} />
      </div>
      <div className="field">
        <label htmlFor="kb-description">Description</label>
        <input id="kb-description" type="text" maxLength={500} placeholder="what it holds (optional)" value={description} onChange={(e) => setDescription(e.target.value)} />
      </div>
      <ChunkingFields value={chunking} onChange={setChunking} />
      <div className="field">
        <label htmlFor="kb-backend">Store</label>
        <select id="kb-backend" value={backend} onChange={(e) => setBackend(e.target.value as Backend)}>
          {(Object.keys(BACKEND_WORDS) as Backend[]).map((b) => (
            <option key={b} value={b}>
              {BACKEND_WORDS[b]}
            </option>
          ))}
        </select>
        <p className="field-help">Where chunks and vectors are kept; it cannot change later.</p>
      </div>
      <ErrorBox error={error} testid="kb-create-error" />
      <div className="form-actions">
        <button className="btn btn-primary" data-testid="kb-create-submit" disabled={!name.trim() || busy}>
          {busy && <span className="spinner spinner-sm" />} Create
        </button>
      </div>
    </form>
  );
}

function NumberField({ id, label, value, min, max, help, onChange }: { id: string; label: string; value: number; min: number; max: number; help?: string; onChange: (n: number) => void }) {
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <input id={id} data-testid={id} type="number" min={min} max={max} step={1} value={value} onChange={(e) => onChange(parseInt(e.target.value, 10) || 0)} />
      {help && <p className="field-help">{help}</p>}
    </div>
  );
}

export function ChunkingFields({ value, onChange }: { value: Chunking; onChange: (c: Chunking) => void }) {
  const set = (patch: Partial<Chunking>) => onChange({ ...value, ...patch });
  const modes = Object.keys(CHUNKING_WORDS) as ChunkingMode[];
  return (
    <fieldset className="kb-chunking" data-testid="kb-chunking">
      <legend>Chunking</legend>
      <div className="tp-seg" role="radiogroup" aria-label="Chunking mode">
        {modes.map((m) => (
          <label key={m} className={value.mode === m ? "active" : ""}>
            <input type="radio" name="chunking-mode" value={m} data-testid={`chunking-${m}`} checked={value.mode === m} onChange={() => onChange(CHUNKING_DEFAULTS[m])} />
            {CHUNKING_WORDS[m]}
          </label>
        ))}
      </div>
      <p className="small muted kb-mode-help">{MODE_HELP[value.mode]}</p>
      {value.mode !== "qa" && (
        <div className="tp-row">
          {value.mode === "parent_child" && <NumberField id="chunk-parent-size" label="Parent size" value={value.parent_size} min={32} max={4096} help="tokens" onChange={(n) => set({ parent_size: n })} />}
          <NumberField id="chunk-size" label={value.mode === "parent_child" ? "Child size" : "Chunk size"} value={value.size} min={32} max={4096} help="tokens" onChange={(n) => set({ size: n })} />
          <NumberField id="chunk-overlap" label="Overlap" value={value.overlap} min={0} max={2048} help="tokens shared with the chunk before" onChange={(n) => set({ overlap: n })} />
          <SeparatorField key={value.mode} value={value.separators[0] ?? ""} onChange={(s) => set({ separators: s ? [s] : [] })} />
        </div>
      )}
    </fieldset>
  );
}

/** Where to cut first, typed on one line (\n is a line break); then at sentences, then at words. */
function SeparatorField({ value, onChange }: { value: string; onChange: (v: string) => void }) {
  const [text, setText] = useState(() => showSeparator(value));
  return (
    <div className="field">
      <label htmlFor="chunk-separator">Separator</label>
      <input
        id="chunk-separator"
        type="text"
        className="mono"
        value={text}
        onChange={(e) => {
          setText(e.target.value);
          onChange(readSeparator(e.target.value));
        }}
      />
      <p className="field-help">cut here first, then at sentences; \n is a line break</p>
    </div>
  );
}
