// What a retrieval gave a run, for people: the cited passages (Dify's retriever_resources, under a
// chat answer and in a node's trace), each opening to its whole passage, and a knowledge node's
// hits with each method's score, the fused one, and whether the threshold kept it.
import { formatScore, snippet, type Citation, type Retrieval } from "./metadata";

function Passage({ content }: { content: string }) {
  const short = snippet(content);
  if (short === snippet(content, Infinity)) return <p className="run-citation-text">{short}</p>; // not cut: nothing more to show
  return (
    <details className="run-citation-passage">
      <summary className="run-citation-text">
        <span className="run-citation-snippet">{short}</span>
        <span className="run-citation-less">Hide the passage</span>
      </summary>
      <p className="run-citation-full" data-testid="run-citation-full">
        {content}
      </p>
    </details>
  );
}

/** Cited passages: position, document, score, and the passage (a snippet that opens whole). */
export function Citations({ items, testid }: { items: Citation[]; testid?: string }) {
  if (!items.length) return null;
  return (
    <div className="run-block">
      <div className="run-block-label">Citations</div>
      <ol className="run-citations" data-testid={testid}>
        {items.map((c, k) => (
          <li key={k} className="run-citation">
            <div className="run-citation-head">
              <span className="run-citation-pos">{c.position}</span>
              <strong className="run-citation-doc">{c.documentName}</strong>
              {c.datasetName && <span className="muted">{c.datasetName}</span>}
              {c.score !== null && (
                <span className="run-citation-score" title="Relevance score">
                  {formatScore(c.score)}
                </span>
              )}
            </div>
            {c.content && <Passage content={c.content} />}
          </li>
        ))}
      </ol>
    </div>
  );
}

/** A knowledge node's search as a table: document, fused score, vector, full-text, kept. */
export function RetrievalHits({ retrieval }: { retrieval: Retrieval | null }) {
  if (!retrieval) return null;
  const score = (s: number | null) => (s === null ? "–" : formatScore(s));
  return (
    <div className="run-block" data-testid="run-node-retrieval">
      <div className="run-block-label">
        Search{retrieval.query && ` for “${snippet(retrieval.query, 80)}”`}
      </div>
      {retrieval.hits.length ? (
        <table className="run-hits">
          <thead>
            <tr>
              <th>Document</th>
              <th title="Fused score: what the ranking and the threshold use">Fused</th>
              <th>Vector</th>
              <th>Full-text</th>
            </tr>
          </thead>
          <tbody>
            {retrieval.hits.map((h, k) => (
              <tr key={k} className={h.kept ? "" : "run-hit-dropped"} title={h.kept ? undefined : "Below the score threshold: left out"}>
                <td className="run-hit-doc">{h.documentName}</td>
                <td>{score(h.score)}</td>
                <td>{score(h.vectorScore)}</td>
                <td>{score(h.fullTextScore)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : (
        <p className="muted run-small">Nothing found.</p>
      )}
      {retrieval.hits.some((h) => !h.kept) && <p className="muted run-small">Struck out: below the score threshold, left out of the result.</p>}
    </div>
  );
}
