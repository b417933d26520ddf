// One version diff, grouped: nodes added (green), removed (red), changed (amber, each changed
// field as before → after), then edges added and removed.
import { useMemo, useState } from "react";

import { useEditor } from "../state/store";
import { diffSections, diffSummary, formatValue, isEmptyDiff, titleLookup, truncate, versionLabel, type VersionDiff } from "./diff";
import "./versions.css";

function Value({ value, side }: { value: unknown; side: "before" | "after" }) {
  const [full, setFull] = useState(false);
  const text = formatValue(value);
  const short = truncate(text);
  return (
    <span className={`diff-value diff-${side}`}>
      <span className="diff-value-text">{full ? text : short.text}</span>
      {short.truncated && (
        <button type="button" className="diff-more" onClick={() => setFull(!full)}>
          {full ? "less" : "more"}
        </button>
      )}
    </span>
  );
}

const MARK = { added: "+", removed: "−", changed: "~" } as const;

export function DiffView({ diff }: { diff: VersionDiff }) {
  const nodes = useEditor((s) => s.nodes);
  const titleOf = useMemo(() => titleLookup(diff, nodes.map((n) => [n.id, n.data.title] as [string, string])), [diff, nodes]);
  const sections = diffSections(diff, titleOf);
  const select = (id: string) => useEditor.getState().select([id]);
  const onCanvas = new Set(nodes.map((n) => n.id));
  const nodeName = (id: string, title: string) =>
    onCanvas.has(id) ? (
      <button type="button" className="diff-node-link" onClick={() => select(id)} title="Select on the canvas">
        {truncate(title || id, 80).text}
      </button>
    ) : (
      <span className="diff-node-name">{truncate(title || id, 80).text}</span>
    );

  return (
    <div className="diff" data-testid="diff-view">
      <div className="diff-head">
        <strong>
          {versionLabel(diff.from_version)} → {versionLabel(diff.to)}
        </strong>
        <span className="muted">{diffSummary(diff)}</span>
      </div>
      {isEmptyDiff(diff) ? (
        <p className="diff-empty" data-testid="diff-empty">
          No differences
        </p>
      ) : (
        sections.map((s) => (
          <section key={s.key} className={`diff-section diff-${s.tone}`} data-testid={`diff-${s.key}`}>
            <h4>{s.label}</h4>
            <ul>
              {"nodes" in s &&
                s.nodes.map((n) => (
                  <li key={n.id}>
                    <span className="diff-mark">{MARK[s.tone]}</span> {nodeName(n.id, n.title)} <span className="muted">{n.type}</span> <code className="muted">{n.id}</code>
                  </li>
                ))}
              {"changed" in s &&
                s.changed.map((n) => (
                  <li key={n.id}>
                    <span className="diff-mark">{MARK.changed}</span> {nodeName(n.id, n.title)} <span className="muted">{n.type}</span>
                    <ul className="diff-changes">
                      {n.changes.map((c) => (
                        <li key={c.path}>
                          <code className="diff-path">{c.path}</code>
                          <div className="diff-pair">
                            <Value value={c.before} side="before" />
                            <span className="diff-arrow" aria-label="becomes">
                              →
                            </span>
                            <Value value={c.after} side="after" />
                          </div>
                        </li>
                      ))}
                    </ul>
                  </li>
                ))}
              {"edges" in s &&
                s.edges.map((e) => (
                  <li key={e.key}>
                    <span className="diff-mark">{MARK[s.tone]}</span> {e.text}
                  </li>
                ))}
            </ul>
          </section>
        ))
      )}
    </div>
  );
}
