// "New knowledge base": a name, what it holds, where it is stored (the stores this server
// offers), and how its documents are cut into chunks (unless its store's server does that).
import { useEffect, useState, type FormEvent } from "react";

import { ErrorBox } from "../page/ui";
import { knowledge } from "./api";
import { CHUNKING_DEFAULTS, CHUNKING_WORDS, readSeparator, showSeparator } from "./format";
import type { Backend, BackendInfo, Chunking, ChunkingMode, KnowledgeBase, KnowledgeBaseIn } from "./types";

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
  const [offered, setOffered] = useState<BackendInfo[] | null>(null);
  const [backend, setBackend] = useState<Backend>("embedded");
  const [dataset, setDataset] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    knowledge.backends().then((list) => {
      setOffered(list);
      setBackend((b) => (list.some((x) => x.name === b) || !list.length ? b : list[0].name));
    }, setError);
  }, []);
  const parsesFiles = offered?.find((b) => b.name === backend)?.parses_files ?? false;
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    const body: KnowledgeBaseIn = { name: name.trim(), description: description.trim(), backend };
    if (!parsesFiles) body.chunking = chunking;
    if (backend === "ragflow" && dataset.trim()) body.ragflow_dataset_id = dataset.trim();
    try {
      onCreated(await knowledge.create(body));
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
      <div className="field">
        <label htmlFor="kb-backend">Store</label>
        <select id="kb-backend" data-testid="kb-backend" value={backend} disabled={!offered} onChange={(e) => setBackend(e.target.value as Backend)}>
          {(offered ?? [{ name: backend, parses_files: false }]).map((b) => (
            <option key={b.name} value={b.name}>
              {BACKEND_WORDS[b.name]}
            </option>
          ))}
        </select>
        <p className="field-help">Where chunks and vectors are kept; it cannot change later. Others are offered once this server is set up for them.</p>
      </div>
      {backend === "ragflow" && (
        <div className="field">
          <label htmlFor="kb-ragflow-dataset">RAGFlow dataset id</label>
          <input id="kb-ragflow-dataset" data-testid="kb-ragflow-dataset" type="text" className="mono" maxLength={64} placeholder="optional" value={dataset} onChange={(e) => setDataset(e.target.value)} />
          <p className="field-help">Link a dataset that RAGFlow already has; left empty, a new dataset is made.</p>
        </div>
      )}
      {parsesFiles ? (
        <p className="small muted" data-testid="kb-server-parses">
          This store&apos;s server parses, chunks and embeds the files itself, with its own settings: the chunking settings here do not apply.
        </p>
      ) : (
        <ChunkingFields value={chunking} onChange={setChunking} />
      )}
      <ErrorBox error={error} testid="kb-create-error" />
      <div className="form-actions">
        <button className="btn btn-primary" data-testid="kb-create-submit" disabled={!name.trim() || busy || !offered}>
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
