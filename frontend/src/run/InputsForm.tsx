// The start node's variables as a form: the right input per type, required marks, defaults.
import type { FormValues, StartVariable } from "./format";
import { formValues, isJsonInput, jsonExample, varLabel } from "./format";

export interface InputsFormProps {
  vars: StartVariable[];
  typed: FormValues;
  errors: Record<string, string>;
  disabled?: boolean;
  onChange: (name: string, value: string | boolean) => void;
}

export function InputsForm({ vars, typed, errors, disabled, onChange }: InputsFormProps) {
  const values = formValues(vars, typed);
  return (
    <div className="run-inputs" data-testid="run-inputs">
      {vars.map((v) => {
        const id = `run-input-${v.variable}`;
        const value = values[v.variable];
        const error = errors[v.variable];
        const required = v.required !== false && v.type !== "checkbox";
        const common = {
          id,
          "data-testid": id,
          disabled,
          "aria-invalid": error ? true : undefined,
          "aria-describedby": error ? `${id}-error` : undefined,
        };
        let input;
        if (v.type === "checkbox") {
          input = <input {...common} type="checkbox" checked={value === true} onChange={(e) => onChange(v.variable, e.target.checked)} />;
        } else if (isJsonInput(v)) {
          // a list or an object, typed as JSON; what is wrong with it shows below in words
          input = (
            <textarea
              {...common}
              className="ed-input mono"
              rows={3}
              spellCheck={false}
              placeholder={jsonExample(v)}
              value={String(value)}
              onChange={(e) => onChange(v.variable, e.target.value)}
            />
          );
        } else if (v.type === "paragraph") {
          input = (
            <textarea {...common} className="ed-input" rows={3} value={String(value)} maxLength={v.max_length ?? undefined} onChange={(e) => onChange(v.variable, e.target.value)} />
          );
        } else if (v.type === "select") {
          input = (
            <select {...common} className="ed-input" value={String(value)} onChange={(e) => onChange(v.variable, e.target.value)}>
              {(!required || !v.options?.includes(String(value))) && <option value="">{required ? "Choose…" : "(none)"}</option>}
              {(v.options ?? []).map((o) => (
                <option key={o} value={o}>
                  {o}
                </option>
              ))}
            </select>
          );
        } else {
          input = (
            <input
              {...common}
              className="ed-input"
              type={v.type === "number" ? "number" : "text"}
              inputMode={v.type === "number" ? "decimal" : undefined}
              value={String(value)}
              maxLength={v.type === "number" ? undefined : (v.max_length ?? undefined)}
              onChange={(e) => onChange(v.variable, e.target.value)}
            />
          );
        }
        return (
          <div key={v.variable} className={`field run-field${v.type === "checkbox" ? " run-field-check" : ""}`}>
            <label htmlFor={id}>
              {varLabel(v)}
              {required && (
                <span className="run-required" title="Required">
                  {" "}
                  *
                </span>
              )}
              {v.label && v.label !== v.variable && <code className="run-var-name">{v.variable}</code>}
            </label>
            {input}
            {error && (
              <p className="field-error" id={`${id}-error`} role="alert">
                {error}
              </p>
            )}
          </div>
        );
      })}
    </div>
  );
}
