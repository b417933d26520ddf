// "Measure": the test set (queries with the documents that should come back, uploaded as BEIR
// files or marked in Test retrieval), then an evaluation on the worker: nDCG@10 and Recall@k per
// method at the current settings, a sweep over the hybrid weight and top-k, and its best setting
// one click away.
import { useCallback, useEffect, useState } from "react";

import { ApiFailure } from "../api/client";
import { ErrorBox, ProgressBar } from "../page/ui";
import { knowledge } from "./api";
import { formatMetric, METHOD_WORDS, METHODS } from "./format";
import { SweepTable } from "./SweepTable";
import { TestSetCard } from "./TestSetCard";
import type { Evaluation, KnowledgeBase } from "./types";
import { usePolled } from "./usePolled";

interface Props {
  kb: KnowledgeBase;
  canEdit: boolean;
  onApplied: (kb: KnowledgeBase) => void;
}

/** The latest evaluation, or null when there has been none (a 404). */
async function latest(kbId: string): Promise<Evaluation | null> {
  try {
    return await knowledge.latestEvaluation(kbId);
  } catch (err) {
    if (err instanceof ApiFailure && err.status === 404) return null;
    throw err;
  }
}

const running = (e: Evaluation | null) => e !== null && (e.status === "queued" || e.status === "running");

export function Measure({ kb, canEdit, onApplied }: Props) {
  const [queries, setQueries] = useState<number | null>(null);
  const load = useCallback(() => latest(kb.id), [kb.id]);
  const { value: evaluation, error, setValue } = usePolled(load, running);
  const [actionError, setActionError] = useState<unknown>(null);
  const [starting, setStarting] = useState(false);
  useEffect(() => {
    knowledge.testset(kb.id).then((t) => setQueries(t.queries.length), () => setQueries(0));
  }, [kb.id]);

  const start = async () => {
    setActionError(null);
    setStarting(true);
    try {
      setValue(await knowledge.evaluate(kb.id));
    } catch (err) {
      setActionError(err);
    } finally {
      setStarting(false);
    }
  };
  const useBest = async () => {
    if (!evaluation?.best) return;
    setActionError(null);
    try {
      const { weight, top_k } = evaluation.best;
      onApplied(await knowledge.update(kb.id, { retrieval: { mode: "hybrid", weight, top_k } }));
    } catch (err) {
      setActionError(err);
    }
  };
  const ev = evaluation ?? null;
  const busy = running(ev);
  const r = kb.retrieval;
  const applied = ev?.best && r.mode === "hybrid" && r.weight === ev.best.weight && r.top_k === ev.best.top_k;

  return (
    <div className="kb-measure">
      <TestSetCard kb={kb} canEdit={canEdit} onChanged={setQueries} />
      <div className="card tp-card" data-testid="kb-evaluation" data-status={ev?.status ?? "none"}>
        <div className="tp-card-head">
          <h2>Retrieval quality</h2>
          {canEdit && (
            <button type="button" className="btn btn-primary" data-testid="kb-eval-run" disabled={busy || starting || !queries} onClick={() => void start()}>
              {(busy || starting) && <span className="spinner spinner-sm" />} {ev ? "Measure again" : "Measure"}
            </button>
          )}
        </div>
        {!queries && <p className="muted small">Add a test set first: queries and the documents each should find.</p>}
        <ErrorBox error={error} />
        <ErrorBox error={actionError} testid="kb-eval-error" />
        {ev && busy && (
          <div className="tp-upload-progress" data-testid="kb-eval-progress">
            <ProgressBar fraction={ev.progress.total ? ev.progress.done / ev.progress.total : 0} active label="Evaluation" />
            <span className="small muted">
              {ev.status === "queued" ? "waiting for the worker…" : `${ev.progress.done} / ${ev.progress.total} searches`}
            </span>
          </div>
        )}
        {ev?.status === "failed" && <div className="alert alert-error tp-alert">The evaluation failed: {ev.error || "no reason given"}</div>}
        {ev?.status === "succeeded" && (
          <>
            <p className="small muted">
              At the current settings (vector weight {ev.settings.weight}, top {ev.settings.top_k}), over {queries ?? "the"} test queries:
            </p>
            <table className="table tp-table kb-metrics" data-testid="kb-eval-results">
              <thead>
                <tr>
                  <th>Method</th>
                  <th className="num">nDCG@10</th>
                  <th className="num">Recall@{ev.results.hybrid?.k ?? ev.settings.top_k}</th>
                </tr>
              </thead>
              <tbody>
                {METHODS.map((m) => {
                  const s = ev.results[m];
                  return (
                    <tr key={m} data-testid={`kb-eval-${m}`} data-ndcg={s?.ndcg_at_10 ?? ""}>
                      <td>{METHOD_WORDS[m]}</td>
                      <td className="num">{formatMetric(s?.ndcg_at_10)}</td>
                      <td className="num">{formatMetric(s?.recall_at_k)}</td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
            {ev.best && (
              <div className="kb-best" data-testid="kb-best" data-weight={ev.best.weight} data-top-k={ev.best.top_k}>
                <div>
                  <div className="tp-card-kicker">Best hybrid setting</div>
                  vector weight <strong>{ev.best.weight}</strong>, top <strong>{ev.best.top_k}</strong>: nDCG@10 <strong>{formatMetric(ev.best.ndcg_at_10)}</strong>
                </div>
                {canEdit &&
                  (applied ? (
                    <span className="pill pill-ok" data-testid="kb-best-applied">
                      in use
                    </span>
                  ) : (
                    <button type="button" className="btn btn-primary" data-testid="kb-use-best" onClick={() => void useBest()}>
                      Use best setting
                    </button>
                  ))}
              </div>
            )}
            {ev.sweep.length > 0 && <SweepTable sweep={ev.sweep} best={ev.best} current={r} />}
          </>
        )}
      </div>
    </div>
  );
}
