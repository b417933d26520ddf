// "Test retrieval": one query searched by vector, full-text and hybrid side by side; each hit shows
// its scores (each method's and the fused one), its chunk, document and metadata. Marking a hit
// relevant adds its document to the test set for this query (what Measure scores against).
import { useEffect, useState, type FormEvent } from "react";

import { ErrorBox } from "../page/ui";
import { knowledge } from "./api";
import { formatScore, METHOD_WORDS, METHODS } from "./format";
import type { Hit, KnowledgeBase, SearchOut, TestSet } from "./types";

export function TestSearch({ kb, canEdit }: { kb: KnowledgeBase; canEdit: boolean }) {
  const [query, setQuery] = useState("");
  const [topK, setTopK] = useState(kb.retrieval.top_k);
  const [weight, setWeight] = useState(kb.retrieval.weight);
  const [result, setResult] = useState<{ query: string; hits: SearchOut } | null>(null);
  const [testset, setTestset] = useState<TestSet | null>(null);
  const [marking, setMarking] = useState<Record<string, boolean>>({}); // shown before the answer
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    knowledge.testset(kb.id).then(setTestset, () => setTestset({ queries: [] }));
  }, [kb.id]);

  const search = async (e: FormEvent) => {
    e.preventDefault();
    const q = query.trim();
    if (!q) return;
    setBusy(true);
    setError(null);
    try {
      setResult({ query: q, hits: await knowledge.search(kb.id, { query: q, top_k: topK, weight }) });
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  const judged = new Set(testset?.queries.find((x) => x.text === result?.query)?.relevant ?? []);
  const isRelevant = (docId: string) => marking[docId] ?? judged.has(docId);
  const mark = async (hit: Hit, on: boolean) => {
    if (!result) return;
    const docId = hit.document_id;
    setError(null);
    setMarking((m) => ({ ...m, [docId]: on }));
    try {
      setTestset(await knowledge.judge(kb.id, { query: result.query, document_id: docId, relevant: on }));
    } catch (err) {
      setError(err);
    }
    setMarking(({ [docId]: _, ...rest }) => rest);
  };

  return (
    <div className="kb-search" data-testid="kb-search">
      <form className="card tp-card kb-search-form" onSubmit={search}>
        <div className="field kb-query">
          <label htmlFor="kb-query">Query</label>
          <input id="kb-query" data-testid="kb-query" type="text" enterKeyHint="search" placeholder="Ask what a user would ask" value={query} onChange={(e) => setQuery(e.target.value)} />
        </div>
        <div className="field kb-narrow">
          <label htmlFor="kb-top-k">Top k</label>
          <input id="kb-top-k" type="number" min={1} max={50} value={topK} onChange={(e) => setTopK(Math.max(1, parseInt(e.target.value, 10) || 1))} />
        </div>
        <div className="field kb-weight">
          <label htmlFor="kb-weight">
            Hybrid: vector weight <strong>{weight.toFixed(2)}</strong>
          </label>
          <input id="kb-weight" type="range" min={0} max={1} step={0.05} value={weight} onChange={(e) => setWeight(parseFloat(e.target.value))} />
          <p className="field-help">full text gets the rest</p>
        </div>
        <button className="btn btn-primary" data-testid="kb-search-submit" disabled={busy || !query.trim()}>
          {busy && <span className="spinner spinner-sm" />} Search
        </button>
      </form>
      <ErrorBox error={error} />
      {result && (
        <>
          {canEdit && <p className="small muted kb-mark-help">Mark the hits that answer “{result.query}”: their documents join the test set that Measure scores against.</p>}
          <div className="kb-methods" data-testid="kb-results">
            {METHODS.map((m) => (
              <section key={m} className="kb-method" data-testid={`kb-results-${m}`} data-count={result.hits[m].length}>
                <h3>
                  {METHOD_WORDS[m]} <span className="muted small">{result.hits[m].length} hits</span>
                </h3>
                {!result.hits[m].length && <p className="muted small">Nothing found.</p>}
                <ol className="kb-hits">
                  {result.hits[m].map((h, i) => (
                    <HitCard key={h.chunk_id} kbId={kb.id} hit={h} rank={i + 1} relevant={isRelevant(h.document_id)} canMark={canEdit} onMark={(on) => void mark(h, on)} />
                  ))}
                </ol>
              </section>
            ))}
          </div>
        </>
      )}
    </div>
  );
}

interface HitProps {
  kbId: string;
  hit: Hit;
  rank: number;
  relevant: boolean;
  canMark: boolean;
  onMark: (on: boolean) => void;
}

function HitCard({ kbId, hit: h, rank, relevant, canMark, onMark }: HitProps) {
  const meta = Object.entries(h.metadata);
  return (
    <li className={`kb-hit${relevant ? " kb-hit-relevant" : ""}`} data-testid="kb-hit" data-document={h.document_name} data-relevant={relevant ? "1" : "0"}>
      <div className="kb-hit-head">
        <span className="kb-hit-rank">{rank}</span>
        <a className="kb-hit-doc" href={`#kb/${kbId}/documents/${h.document_id}`}>
          {h.document_name}
        </a>
        <span className="kb-score kb-score-fused" title="Fused score: what the ranking uses" data-testid="kb-hit-fused">
          {formatScore(h.scores.fused)}
        </span>
      </div>
      <div className="kb-hit-scores small muted">
        vector {formatScore(h.scores.vector)} · full-text {formatScore(h.scores.full_text)}
      </div>
      <p className="kb-hit-text">{h.text}</p>
      {meta.length > 0 && (
        <div className="kb-meta-chips">
          {meta.map(([k, v]) => (
            <span key={k} className="kb-chip">
              {k}: {String(v)}
            </span>
          ))}
        </div>
      )}
      {canMark && (
        <label className="kb-mark">
          <input type="checkbox" data-testid="kb-hit-mark" checked={relevant} onChange={(e) => onMark(e.target.checked)} /> Relevant
        </label>
      )}
    </li>
  );
}
