// The sweep as a small table: hybrid weights down, top-k across, nDCG@10 in each cell (Recall@k
// in its title), shaded by score; the best cell and the one in use are marked.
import { formatMetric } from "./format";
import type { Evaluation, Retrieval, SweepPoint } from "./types";

interface Props {
  sweep: SweepPoint[];
  best: Evaluation["best"];
  current: Retrieval;
}

export function sweepGrid(sweep: SweepPoint[]): { weights: number[]; topKs: number[]; cell: (w: number, k: number) => SweepPoint | undefined } {
  const weights = [...new Set(sweep.map((p) => p.weight))].sort((a, b) => a - b);
  const topKs = [...new Set(sweep.map((p) => p.top_k))].sort((a, b) => a - b);
  const byKey = new Map(sweep.map((p) => [`${p.weight}/${p.top_k}`, p]));
  return { weights, topKs, cell: (w, k) => byKey.get(`${w}/${k}`) };
}

export function SweepTable({ sweep, best, current }: Props) {
  const { weights, topKs, cell } = sweepGrid(sweep);
  const scores = sweep.map((p) => p.ndcg_at_10);
  const lo = Math.min(...scores);
  const hi = Math.max(...scores);
  const shade = (v: number) => (hi > lo ? (v - lo) / (hi - lo) : 1);
  return (
    <details className="kb-sweep" open data-testid="kb-sweep">
      <summary>Sweep: nDCG@10 by vector weight and top-k</summary>
      <table className="kb-sweep-table">
        <thead>
          <tr>
            <th>weight \ top-k</th>
            {topKs.map((k) => (
              <th key={k} className="num">
                {k}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {weights.map((w) => (
            <tr key={w}>
              <th className="num">{w}</th>
              {topKs.map((k) => {
                const p = cell(w, k);
                if (!p) return <td key={k} />;
                const isBest = best?.weight === w && best?.top_k === k;
                const inUse = current.mode === "hybrid" && current.weight === w && current.top_k === k;
                return (
                  <td
                    key={k}
                    className={`num${isBest ? " kb-sweep-best" : ""}${inUse ? " kb-sweep-current" : ""}`}
                    style={{ background: `rgba(21, 94, 239, ${(0.06 + 0.3 * shade(p.ndcg_at_10)).toFixed(3)})` }}
                    title={`Recall@${k} ${formatMetric(p.recall_at_k)}${isBest ? " · best" : ""}${inUse ? " · in use" : ""}`}
                  >
                    {formatMetric(p.ndcg_at_10)}
                  </td>
                );
              })}
            </tr>
          ))}
        </tbody>
      </table>
      <p className="small muted">Outlined: the best; underlined: the setting in use. Hover a cell for its recall.</p>
    </details>
  );
}
