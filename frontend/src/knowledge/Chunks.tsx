// A document's chunks, a page at a time: read each one (with its parent section in parent-child
// mode), edit its text (it is embedded again) or disable it (kept, not searched).
import { useCallback, useEffect, useState } from "react";

import { ErrorBox } from "../page/ui";
import { knowledge } from "./api";
import type { ChunkPage, KbChunk, KbDocument, KnowledgeBase } from "./types";

export const PAGE_SIZE = 20;

export function Chunks({ kb, doc, canEdit }: { kb: KnowledgeBase; doc: KbDocument; canEdit: boolean }) {
  const [offset, setOffset] = useState(0);
  const [page, setPage] = useState<ChunkPage | null>(null);
  const [error, setError] = useState<unknown>(null);
  const load = useCallback(() => knowledge.chunks(kb.id, doc.id, offset, PAGE_SIZE).then(setPage, setError), [kb.id, doc.id, offset]);
  useEffect(() => {
    void load();
  }, [load]);
  const replace = (c: KbChunk) => setPage((p) => (p ? { ...p, chunks: p.chunks.map((x) => (x.id === c.id ? c : x)) } : p));
  const caps = kb.capabilities;
  const total = page?.total ?? 0;
  return (
    <div className="card tp-card kb-chunks" data-testid="kb-chunks" data-total={total}>
      <div className="tp-card-head">
        <h3>Chunks</h3>
        {page && total > PAGE_SIZE && (
          <div className="kb-pager">
            <button type="button" className="btn btn-sm" disabled={offset === 0} onClick={() => setOffset(Math.max(0, offset - PAGE_SIZE))}>
              ← Previous
            </button>
            <span className="small muted">
              {offset + 1}–{Math.min(total, offset + PAGE_SIZE)} of {total}
            </span>
            <button type="button" className="btn btn-sm" data-testid="kb-chunks-next" disabled={offset + PAGE_SIZE >= total} onClick={() => setOffset(offset + PAGE_SIZE)}>
              Next →
            </button>
          </div>
        )}
      </div>
      <ErrorBox error={error} />
      {page && !page.chunks.length && <p className="muted">No chunks.</p>}
      <ol className="kb-chunk-list">
        {page?.chunks.map((c) => (
          <ChunkItem key={c.id} kbId={kb.id} chunk={c} canEdit={canEdit && caps.edit_chunks} canDisable={canEdit && caps.disable} onSaved={replace} />
        ))}
      </ol>
    </div>
  );
}

interface ItemProps {
  kbId: string;
  chunk: KbChunk;
  canEdit: boolean;
  canDisable: boolean;
  onSaved: (c: KbChunk) => void;
}

function ChunkItem({ kbId, chunk: c, canEdit, canDisable, onSaved }: ItemProps) {
  const [text, setText] = useState<string | null>(null); // being edited
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const save = async (body: { text?: string; enabled?: boolean }) => {
    setBusy(true);
    setError(null);
    try {
      onSaved(await knowledge.updateChunk(kbId, c.id, body));
      setText(null);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <li className={`kb-chunk${c.enabled ? "" : " kb-disabled"}`} data-testid="kb-chunk" data-index={c.index} data-enabled={c.enabled ? "1" : "0"}>
      <div className="kb-chunk-head">
        <span className="kb-chunk-index">#{c.index + 1}</span>
        {c.edited && <span className="pill">edited</span>}
        {!c.enabled && <span className="pill kb-pill-off">disabled</span>}
        <span className="kb-chunk-size small muted">{c.text.length} characters</span>
        <div className="tp-actions">
          {canEdit && text === null && (
            <button type="button" className="btn btn-sm" data-testid="kb-chunk-edit" onClick={() => setText(c.text)}>
              Edit
            </button>
          )}
          {canDisable && (
            <button type="button" className="btn btn-sm" data-testid="kb-chunk-toggle" disabled={busy} onClick={() => void save({ enabled: !c.enabled })}>
              {c.enabled ? "Disable" : "Enable"}
            </button>
          )}
        </div>
      </div>
      {text === null ? (
        <p className="kb-chunk-text">{c.text}</p>
      ) : (
        <div className="kb-chunk-editor">
          <textarea aria-label={`Text of chunk ${c.index + 1}`} data-testid="kb-chunk-text" rows={Math.min(14, Math.max(4, Math.ceil(text.length / 90)))} value={text} onChange={(e) => setText(e.target.value)} />
          <div className="form-actions">
            <button type="button" className="btn btn-sm" onClick={() => setText(null)} disabled={busy}>
              Cancel
            </button>
            <button type="button" className="btn btn-sm btn-primary" data-testid="kb-chunk-save" disabled={busy || !text.trim() || text === c.text} onClick={() => void save({ text })}>
              {busy && <span className="spinner spinner-sm" />} Save (embeds it again)
            </button>
          </div>
        </div>
      )}
      {c.parent_text && (
        <details className="kb-parent">
          <summary>Parent section (what a match returns)</summary>
          <p className="kb-chunk-text">{c.parent_text}</p>
        </details>
      )}
      <ErrorBox error={error} />
    </li>
  );
}
