// The toolbar's Publish button: a small dialog with an optional note; saves the draft, publishes
// it, and lists the graph's issues when the server refuses it.
import { useEffect, useRef, useState } from "react";

import { useEditor } from "../state/store";
import type { Issue } from "../api/types";
import { publishDraft } from "./store";
import "./versions.css";

export const NOTE_MAX = 500;

export function PublishButton() {
  const [open, setOpen] = useState(false);
  const [note, setNote] = useState("");
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<{ message: string; issues: Issue[] } | null>(null);
  const wrap = useRef<HTMLDivElement>(null);

  useEffect(() => {
    if (!open) return;
    const away = (e: MouseEvent) => {
      if (!busy && wrap.current && !wrap.current.contains(e.target as Node)) setOpen(false);
    };
    document.addEventListener("mousedown", away);
    return () => document.removeEventListener("mousedown", away);
  }, [open, busy]);

  const close = () => {
    if (busy) return;
    setOpen(false);
    setProblem(null);
  };

  const publish = async () => {
    if (busy) return;
    setBusy(true);
    setProblem(null);
    const r = await publishDraft(note.trim());
    setBusy(false);
    if (r.ok) {
      useEditor.getState().notify(`Published v${r.version.number}`);
      setNote("");
      setOpen(false);
    } else setProblem({ message: r.message, issues: r.issues });
  };

  const title = (id: string) => useEditor.getState().nodes.find((n) => n.id === id)?.data.title || id;

  return (
    <div className="publish-wrap" ref={wrap}>
      <button type="button" className="btn btn-primary" data-testid="publish-open" aria-expanded={open} aria-haspopup="dialog" onClick={() => (open ? close() : setOpen(true))}>
        Publish
      </button>
      {open && (
        <div
          className="publish-pop"
          role="dialog"
          aria-label="Publish the draft"
          data-testid="publish-dialog"
          onKeyDown={(e) => {
            if (e.key === "Escape") close();
          }}
        >
          <div className="publish-title">Publish the draft</div>
          <p className="muted publish-help">Saves the draft and freezes it as a new version, which the published app then serves.</p>
          <label htmlFor="publish-note" className="publish-label">
            Note <span className="muted">(optional)</span>
          </label>
          <textarea
            id="publish-note"
            className="ed-input"
            data-testid="publish-note"
            rows={3}
            maxLength={NOTE_MAX}
            autoFocus
            placeholder="What changed in this version?"
            value={note}
            disabled={busy}
            onChange={(e) => setNote(e.target.value.slice(0, NOTE_MAX))}
            onKeyDown={(e) => {
              if (e.key === "Enter" && (e.metaKey || e.ctrlKey)) void publish();
            }}
          />
          <div className={`publish-count${note.length >= NOTE_MAX ? " publish-count-full" : ""}`}>
            {note.length}/{NOTE_MAX}
          </div>
          {problem && (
            <div className="publish-problem" role="alert" data-testid="publish-problem">
              <p>{problem.message}</p>
              {!!problem.issues.length && (
                <ul className="issue-list" data-testid="publish-issues">
                  {problem.issues.map((i, k) => (
                    <li key={k} data-code={i.code}>
                      {i.node_id && (
                        <button type="button" className="publish-issue-node" onClick={() => useEditor.getState().select([i.node_id!])}>
                          {title(i.node_id)}
                        </button>
                      )}{" "}
                      {i.message}
                    </li>
                  ))}
                </ul>
              )}
            </div>
          )}
          <div className="publish-buttons">
            <button type="button" className="btn" onClick={close} disabled={busy}>
              Cancel
            </button>
            <button type="button" className="btn btn-primary" data-testid="publish-confirm" onClick={() => void publish()} disabled={busy}>
              {busy ? "Publishing…" : "Publish"}
            </button>
          </div>
        </div>
      )}
    </div>
  );
}
