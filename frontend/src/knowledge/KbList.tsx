// The workspace's knowledge bases, and (for editors) the form that makes one.
import { useEffect, useState } from "react";

import { ago, Empty, ErrorBox } from "../page/ui";
import { knowledge } from "./api";
import { CreateKb } from "./CreateKb";
import { CHUNKING_WORDS, METHOD_WORDS } from "./format";
import type { KnowledgeBase } from "./types";

export function KbList({ canEdit }: { canEdit: boolean }) {
  const [rows, setRows] = useState<KnowledgeBase[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    knowledge.list().then(setRows, setError);
  }, []);
  return (
    <div className={canEdit ? "kb-list-grid" : ""}>
      <div className="card tp-card">
        <h2>Knowledge bases</h2>
        <ErrorBox error={error} />
        {!rows && !error && (
          <div className="tp-loading">
            <span className="spinner" /> Loading…
          </div>
        )}
        {rows && !rows.length && <Empty title="No knowledge bases yet">{canEdit ? "Make one with the form beside this list, then upload its documents." : "Editors can make one."}</Empty>}
        {rows && rows.length > 0 && (
          <table className="table tp-table" data-testid="kb-list">
            <thead>
              <tr>
                <th>Name</th>
                <th>Chunking</th>
                <th>Search</th>
                <th className="num">Documents</th>
                <th className="num">Chunks</th>
                <th>Created</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((kb) => (
                <tr key={kb.id} className="tp-click" data-testid={`kb-row-${kb.id}`} onClick={() => (window.location.hash = `#kb/${kb.id}`)}>
                  <td>
                    <a href={`#kb/${kb.id}`}>{kb.name}</a>
                    {kb.description && <div className="small muted">{kb.description}</div>}
                  </td>
                  <td>
                    <span className="pill">{CHUNKING_WORDS[kb.chunking.mode]}</span>
                  </td>
                  <td>
                    {METHOD_WORDS[kb.retrieval.mode]}
                    {kb.backend !== "embedded" && <span className="pill kb-pill-backend">{kb.backend}</span>}
                  </td>
                  <td className="num">{kb.document_count}</td>
                  <td className="num">{kb.chunk_count}</td>
                  <td title={kb.created_at}>{ago(kb.created_at)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </div>
      {canEdit && <CreateKb onCreated={(kb) => (window.location.hash = `#kb/${kb.id}`)} />}
    </div>
  );
}
