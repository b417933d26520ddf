// The form of a paused run (a human-input node, or a node that needs confirmation): what the
// node asks, one input per field, and "Send" / "Approve" that resumes the run where it stopped.
// The server checks the answers again (a 422 names the field); this catches the obvious first.
import { useState, type FormEvent } from "react";

import type { PauseForm } from "../api/messages";

type Field = PauseForm["fields"][number];
export type Typed = Record<string, string>;

/** The answers to send, from what was typed: numbers and booleans as such, empty left out;
 * or the first field that is required and empty, with what to do. */
export function answersOf(form: PauseForm, typed: Typed): { answers: Record<string, unknown> } | { field: string; error: string } {
  const answers: Record<string, unknown> = {};
  for (const f of form.fields ?? []) {
    const raw = (typed[f.name] ?? defaultText(f)).trim();
    if (raw === "") {
      if (f.required !== false) return { field: f.name, error: `${f.label || f.name} is required` };
      continue;
    }
    if (f.type === "number") {
      const n = Number(raw);
      if (!Number.isFinite(n)) return { field: f.name, error: `${f.label || f.name} must be a number` };
      answers[f.name] = n;
    } else if (f.type === "boolean") answers[f.name] = raw === "true";
    else answers[f.name] = raw;
  }
  return { answers };
}

function defaultText(f: Field): string {
  return f.default === null || f.default === undefined ? "" : String(f.default);
}

export interface WaitingFormProps {
  form: PauseForm;
  disabled?: boolean;
  onSubmit: (answers: Record<string, unknown>) => void;
}

export function WaitingForm({ form, disabled, onSubmit }: WaitingFormProps) {
  const [typed, setTyped] = useState<Typed>({});
  const [error, setError] = useState<{ field: string; error: string } | null>(null);
  const confirm = form.kind === "confirmation";
  const submit = (e: FormEvent, decision?: string) => {
    e.preventDefault();
    const got = answersOf(form, decision ? { ...typed, decision } : typed);
    if ("error" in got) setError(got);
    else {
      setError(null);
      onSubmit(got.answers);
    }
  };
  return (
    <form className="run-waiting" data-testid="run-waiting" onSubmit={(e) => submit(e)} noValidate>
      <div className="run-section-title">{confirm ? `Confirm ${form.title || form.node_id}` : `${form.title || form.node_id} asks`}</div>
      {form.prompt && <p className="run-waiting-prompt">{form.prompt}</p>}
      {form.timeout_s ? <p className="muted run-small">Waits {form.timeout_s} s from the pause; then: {form.on_timeout}.</p> : null}
      {confirm ? (
        <div className="run-actions">
          <button type="button" className="btn btn-primary" data-testid="run-approve" disabled={disabled} onClick={(e) => submit(e, "approve")}>
            Approve
          </button>
          <button type="button" className="btn" data-testid="run-deny" disabled={disabled} onClick={(e) => submit(e, "deny")}>
            Deny
          </button>
        </div>
      ) : (
        <>
          {(form.fields ?? []).map((f) => (
            <FieldInput key={f.name} field={f} value={typed[f.name] ?? defaultText(f)} error={error?.field === f.name ? error.error : undefined} disabled={disabled} onChange={(v) => setTyped((t) => ({ ...t, [f.name]: v }))} />
          ))}
          <div className="run-actions">
            <button type="submit" className="btn btn-primary" data-testid="run-answer" disabled={disabled}>
              Send answer
            </button>
          </div>
        </>
      )}
    </form>
  );
}

interface FieldInputProps {
  field: Field;
  value: string;
  error?: string;
  disabled?: boolean;
  onChange: (value: string) => void;
}

function FieldInput({ field: f, value, error, disabled, onChange }: FieldInputProps) {
  const id = `run-answer-${f.name}`;
  const common = { id, "data-testid": id, className: "ed-input", disabled, value, "aria-invalid": error ? true : undefined };
  let input;
  if (f.type === "choice" || f.type === "boolean") {
    const options = f.type === "boolean" ? [["true", "Yes"], ["false", "No"]] : (f.choices ?? []).map((c) => [c, c]);
    input = (
      <select {...common} onChange={(e) => onChange(e.target.value)}>
        <option value="">{f.required !== false ? "Choose…" : "(none)"}</option>
        {options.map(([v, label]) => (
          <option key={v} value={v}>
            {label}
          </option>
        ))}
      </select>
    );
  } else {
    input = <input {...common} type={f.type === "number" ? "number" : "text"} onChange={(e) => onChange(e.target.value)} />;
  }
  return (
    <div className="field run-field">
      <label htmlFor={id}>
        {f.label || f.name}
        {f.required !== false && <span className="run-required"> *</span>}
      </label>
      {input}
      {error && (
        <p className="field-error" role="alert">
          {error}
        </p>
      )}
    </div>
  );
}
