// The knowledge base's test set: how many queries it holds, and the upload of BEIR-style files
// (queries.jsonl with {_id, text} per line; qrels.tsv: query-id, corpus-id, score, a header line;
// a corpus-id is a document's name without its extension, or its id).
import { useEffect, useState, type FormEvent } from "react";

import { ErrorBox, ProgressBar } from "../page/ui";
import { knowledge } from "./api";
import { plural } from "../page/words";
import type { KnowledgeBase, TestSet, TestSetSummary } from "./types";

interface Props {
  kb: KnowledgeBase;
  canEdit: boolean;
  onChanged: (queries: number) => void;
}

export function TestSetCard({ kb, canEdit, onChanged }: Props) {
  const [testset, setTestset] = useState<TestSet | null>(null);
  const [queries, setQueries] = useState<File | null>(null);
  const [qrels, setQrels] = useState<File | null>(null);
  const [sent, setSent] = useState<number | null>(null);
  const [summary, setSummary] = useState<TestSetSummary | null>(null);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    knowledge.testset(kb.id).then(setTestset, setError);
  }, [kb.id]);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (!queries || !qrels) return;
    setError(null);
    setSummary(null);
    setSent(0);
    try {
      setSummary(await knowledge.uploadTestset(kb.id, queries, qrels, setSent));
      const fresh = await knowledge.testset(kb.id);
      setTestset(fresh);
      onChanged(fresh.queries.length);
      (e.target as HTMLFormElement).reset();
      setQueries(null);
      setQrels(null);
    } catch (err) {
      setError(err);
    } finally {
      setSent(null);
    }
  };
  const count = testset?.queries.length ?? 0;
  const judged = testset?.queries.reduce((n, q) => n + q.relevant.length, 0) ?? 0;
  return (
    <div className="card tp-card kb-testset" data-testid="kb-testset" data-queries={testset ? count : ""}>
      <div className="tp-card-head">
        <h2>Test set</h2>
        <span className="small muted" data-testid="kb-testset-count">
          {testset ? `${plural(count, "query", "queries")} · ${plural(judged, "relevant document")}` : "…"}
        </span>
      </div>
      <p className="small muted">
        Queries with the documents each should find. Upload them as BEIR files, or mark hits in <a href={`#kb/${kb.id}/search`}>Test retrieval</a>.
      </p>
      {canEdit && (
        <form className="kb-testset-form" onSubmit={submit}>
          <div className="tp-row">
            <div className="field">
              <label htmlFor="kb-queries">queries.jsonl</label>
              <input id="kb-queries" data-testid="kb-queries-file" type="file" accept=".jsonl,.json,application/jsonl" required onChange={(e) => setQueries(e.target.files?.[0] ?? null)} />
              <p className="field-help">
                one <code>{'{"_id": "q1", "text": "…"}'}</code> a line
              </p>
            </div>
            <div className="field">
              <label htmlFor="kb-qrels">qrels.tsv</label>
              <input id="kb-qrels" data-testid="kb-qrels-file" type="file" accept=".tsv,.txt,text/tab-separated-values" required onChange={(e) => setQrels(e.target.files?.[0] ?? null)} />
              <p className="field-help">
                <code>query-id corpus-id score</code>, tab-separated, after a header line; corpus-id is a document's name without extension
              </p>
            </div>
          </div>
          {sent !== null && <ProgressBar fraction={sent} active label="Test set upload" />}
          <div className="form-actions">
            <button className="btn" data-testid="kb-testset-upload" disabled={!queries || !qrels || sent !== null}>
              {count ? "Replace the test set" : "Upload the test set"}
            </button>
          </div>
        </form>
      )}
      <ErrorBox error={error} testid="kb-testset-error" />
      {summary && (
        <div className={`alert tp-alert ${summary.unmatched.length ? "tp-info" : "alert-success"}`} data-testid="kb-testset-summary">
          Stored {plural(summary.queries, "query", "queries")} with {plural(summary.judgments, "judgment")}.
          {summary.unmatched.length > 0 && <> No document matches {summary.unmatched.length === 1 ? "this corpus-id" : "these corpus-ids"}: {summary.unmatched.join(", ")}.</>}
        </div>
      )}
    </div>
  );
}
