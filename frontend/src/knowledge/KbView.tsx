// One knowledge base: its header (name, counts, how it chunks and searches) and its tabs.
import { useCallback, useEffect, useState } from "react";

import { ErrorBox } from "../page/ui";
import { knowledge } from "./api";
import { DocumentView } from "./DocumentView";
import { Documents } from "./Documents";
import { plural } from "../page/words";
import { chunkingWords, METHOD_WORDS } from "./format";
import { KbSettings } from "./KbSettings";
import { Measure } from "./Measure";
import { KB_TABS, type KbTab } from "./route";
import { TestSearch } from "./TestSearch";
import type { KnowledgeBase } from "./types";

interface Props {
  id: string;
  tab: KbTab;
  doc: string | null;
  canEdit: boolean;
}

export function KbView({ id, tab, doc, canEdit }: Props) {
  const [kb, setKb] = useState<KnowledgeBase | null>(null);
  const [error, setError] = useState<unknown>(null);
  const reload = useCallback(() => knowledge.get(id).then(setKb, setError), [id]);
  useEffect(() => {
    void reload();
  }, [reload]);
  if (!kb) {
    return (
      <>
        <a href="#" className="small">
          ← Knowledge bases
        </a>
        {error ? (
          <ErrorBox error={error} />
        ) : (
          <div className="tp-loading">
            <span className="spinner" /> Loading the knowledge base…
          </div>
        )}
      </>
    );
  }
  const r = kb.retrieval;
  let body;
  if (tab === "documents" && doc !== null) body = <DocumentView key={doc} kb={kb} docId={doc} canEdit={canEdit} onChanged={reload} />;
  else if (tab === "documents") body = <Documents kb={kb} canEdit={canEdit} onChanged={reload} />;
  else if (tab === "search") body = <TestSearch kb={kb} canEdit={canEdit} />;
  else if (tab === "measure") body = <Measure kb={kb} canEdit={canEdit} onApplied={setKb} />;
  else body = <KbSettings kb={kb} canEdit={canEdit} onSaved={setKb} />;
  return (
    <div className="kb-view" data-testid="kb-view" data-kb={kb.id}>
      <div className="tp-view-head">
        <div>
          <a href="#" className="small">
            ← Knowledge bases
          </a>
          <h1 className="tp-title" data-testid="kb-title">
            {kb.name}
            {kb.backend !== "embedded" && <span className="pill kb-pill-backend">{kb.backend}</span>}
          </h1>
          <div className="muted small" data-testid="kb-summary">
            {plural(kb.document_count, "document")} · {plural(kb.chunk_count, "chunk")} · {chunkingWords(kb.chunking)} · {METHOD_WORDS[r.mode]} search
            {r.mode === "hybrid" && `, vector weight ${r.weight}`}, top {r.top_k}
          </div>
          {kb.description && <p className="kb-description">{kb.description}</p>}
        </div>
      </div>
      <nav className="tp-tabs" role="tablist">
        {KB_TABS.map(([t, label]) => (
          <a key={t} role="tab" aria-selected={tab === t} className={tab === t ? "active" : ""} href={`#kb/${kb.id}/${t}`} data-testid={`kb-tab-${t}`}>
            {label}
          </a>
        ))}
      </nav>
      <section className="tp-body" data-tab={tab}>
        {body}
      </section>
    </div>
  );
}
