// The knowledge bases a knowledge-retrieval node searches (its `dataset_ids`), picked by name
// from the workspace's list; with none yet, a link to make one. A picked id that is gone (its
// knowledge base was deleted) stays listed, marked, until it is removed.
import { useEffect, useState } from "react";

import { knowledge } from "../knowledge/api";
import type { KnowledgeBase } from "../knowledge/types";
import { useKbNames } from "../state/knowledgeNames";

interface Props {
  id: string;
  label: string;
  value: string[];
  onChange: (value: string[]) => void;
  disabled: boolean;
}

export const KNOWLEDGE_PAGE = "/knowledge/";

export function KnowledgeBasesField({ id, label, value, onChange, disabled }: Props) {
  const [bases, setBases] = useState<KnowledgeBase[] | null>(null);
  const [error, setError] = useState("");
  const remember = useKbNames((s) => s.remember);
  // fetched each time the panel shows the field, and on ↻ (after making one in another tab)
  const load = () => {
    setError("");
    knowledge.list().then(
      (list) => {
        setBases(list);
        remember(list); // the node cards name them too
      },
      (err: unknown) => setError(err instanceof Error ? err.message : String(err)));
  };
  useEffect(load, []);
  const picked = new Set(value);
  const toggle = (kbId: string, on: boolean) => onChange(on ? [...value, kbId] : value.filter((v) => v !== kbId));
  const known = new Set(bases?.map((kb) => String(kb.id)));
  const missing = bases ? value.filter((v) => !known.has(v)) : [];
  const refresh = (
    <button type="button" className="icon-button" title="Fetch the list again" aria-label="Fetch the knowledge bases again" onClick={load}>
      ↻
    </button>
  );
  return (
    <div className="kb-field" id={id} role="group" aria-label={label} data-testid={`${id}-kbs`}>
      {error && (
        <p className="field-error">
          The knowledge bases could not be listed: {error} {refresh}
        </p>
      )}
      {!bases && !error && <p className="field-help">Loading knowledge bases…</p>}
      {bases && !bases.length && (
        <p className="kb-field-empty" data-testid="kb-field-empty">
          This workspace has no knowledge bases yet.{" "}
          <a href={KNOWLEDGE_PAGE} target="_blank" rel="noopener">
            Create one ↗
          </a>{" "}
          {refresh}
        </p>
      )}
      {bases?.map((kb) => {
        const kbId = String(kb.id);
        return (
          <label key={kbId} className="kb-field-item" data-testid={`kb-pick-${kbId}`}>
            <input type="checkbox" checked={picked.has(kbId)} disabled={disabled} onChange={(e) => toggle(kbId, e.target.checked)} />
            <span className="kb-field-name">{kb.name}</span>
            <span className="kb-field-count">{kb.document_count} docs</span>
          </label>
        );
      })}
      {missing.map((v) => (
        <div key={v} className="kb-field-item kb-field-missing" data-testid={`kb-missing-${v}`}>
          <span className="kb-field-name">Knowledge base {v} is gone</span>
          {!disabled && (
            <button type="button" className="icon-button" aria-label={`Remove knowledge base ${v}`} onClick={() => onChange(value.filter((x) => x !== v))}>
              ×
            </button>
          )}
        </div>
      ))}
      {bases && bases.length > 0 && (
        <div className="kb-field-links">
          <a href={KNOWLEDGE_PAGE} target="_blank" rel="noopener">
            Manage knowledge bases ↗
          </a>
          {refresh}
        </div>
      )}
    </div>
  );
}
