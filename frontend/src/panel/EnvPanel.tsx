// Environment variables of the workflow ({{#env.NAME#}}): constants and secrets kept with the app.
import { useState } from "react";

import { SECRET_MASK, type EnvVar } from "../api/spec";
import { useEditor } from "../state/store";

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** What is wrong with the name of env variable `i`, in the server's words (runtime/messages.py):
 * until it is fixed, saves keep the variables as last saved (the rest of the draft saves). */
export function envNameProblem(env: EnvVar[], i: number): string | null {
  const label = `Name (environment variable ${i + 1})`;
  const name = env[i].name;
  if (!name) return `${label}: fill this in`;
  if (name.length > 64) return `${label}: use at most 64 characters`;
  if (!NAME.test(name)) return `${label}: use letters, digits and _, starting with a letter or _`;
  const first = env.findIndex((v) => v.name === name);
  if (first !== i) return `${label}: ${name} is already the name of environment variable ${first + 1}; rename one`;
  return null;
}

/** A value as a variable of `type` holds it: a number variable gets the number typed as text, or
 * nothing (a number field cannot show text); text variables get a number as its text. */
function valueAs(type: EnvVar["type"], value: EnvVar["value"]): EnvVar["value"] {
  if (type !== "number") return String(value);
  const text = String(value).trim();
  return text !== "" && Number.isFinite(Number(text)) ? Number(text) : "";
}

/** The first `VAR_<n>` name no variable has yet. */
function freshName(env: EnvVar[]): string {
  let n = env.length + 1;
  while (env.some((v) => v.name === `VAR_${n}`)) n += 1;
  return `VAR_${n}`;
}

export function EnvPanel() {
  const env = useEditor((s) => s.env);
  const canEdit = useEditor((s) => s.canEdit);
  const setEnv = useEditor((s) => s.setEnv);
  // Rows whose name the user has left: a name being typed is checked once they leave it.
  const [left, setLeft] = useState<number[]>([]);
  const change = (i: number, patch: Partial<EnvVar>) => setEnv(env.map((v, j) => (j === i ? { ...v, ...patch } : v)));
  const changeType = (i: number, type: EnvVar["type"]) => {
    const v = env[i];
    // a stored secret's value is never sent to the editor: turning it into a constant starts empty
    change(i, v.type === "secret" && v.value === SECRET_MASK ? { type, value: "" } : { type, value: valueAs(type, v.value) });
  };
  const rename = (i: number, name: string) => {
    // the server keeps a stored secret by its name: a renamed one needs its value again
    change(i, env[i].type === "secret" && env[i].value === SECRET_MASK ? { name, value: "" } : { name });
  };
  const remove = (i: number) => {
    setEnv(env.filter((_, j) => j !== i));
    setLeft(left.filter((j) => j !== i).map((j) => (j > i ? j - 1 : j)));
  };
  const problems = env.map((_, i) => (left.includes(i) ? envNameProblem(env, i) : null));
  return (
    <div className="env-panel" data-testid="env-panel">
      <h2>Environment variables</h2>
      <p className="muted">
        Use them anywhere as <code>{"{{#env.NAME#}}"}</code>. Secrets are stored encrypted and given to runs; nobody can read them back, only replace them.
      </p>
      {env.map((v, i) => (
        <div key={i}>
        <div className="env-row">
          <input
            className="ed-input"
            aria-label="Name"
            aria-invalid={problems[i] ? true : undefined}
            value={v.name}
            disabled={!canEdit}
            placeholder="NAME"
            onChange={(e) => rename(i, e.target.value)}
            onBlur={() => setLeft(left.includes(i) ? left : [...left, i])}
          />
          <select className="ed-input" aria-label="Type" value={v.type} disabled={!canEdit} onChange={(e) => changeType(i, e.target.value as EnvVar["type"])}>
            <option value="string">string</option>
            <option value="number">number</option>
            <option value="secret">secret</option>
          </select>
          {v.type === "secret" ? (
            <SecretValue name={v.name} value={String(v.value)} canEdit={canEdit} onChange={(value) => change(i, { value })} />
          ) : (
            <input
              className="ed-input"
              aria-label="Value"
              type={v.type === "number" ? "number" : "text"}
              value={String(v.value)}
              disabled={!canEdit}
              onChange={(e) => change(i, { value: v.type === "number" ? Number(e.target.value) : e.target.value })}
            />
          )}
          {canEdit && (
            <button type="button" className="icon-button" aria-label={`Remove ${v.name}`} onClick={() => remove(i)}>
              ×
            </button>
          )}
        </div>
        {problems[i] && (
          <p className="field-error" data-testid={`env-problem-${i}`}>
            {problems[i]}
          </p>
        )}
        </div>
      ))}
      {problems.some(Boolean) && (
        <p className="field-help" data-testid="env-kept">
          Until it is fixed, the environment variables stay as last saved; the rest of the workflow saves as usual.
        </p>
      )}
      {canEdit && (
        <button type="button" className="btn btn-xs" onClick={() => setEnv([...env, { name: freshName(env), type: "string", value: "" }])}>
          + Add variable
        </button>
      )}
    </div>
  );
}

// A secret shows whether it is set; a stored one (the mask) can only be replaced by a new value.
function SecretValue({ name, value, canEdit, onChange }: { name: string; value: string; canEdit: boolean; onChange: (value: string) => void }) {
  const [replacing, setReplacing] = useState(false);
  if (value === SECRET_MASK && !replacing) {
    return (
      <span className="env-secret">
        <span className="muted" data-testid={`secret-${name}`}>
          set
        </span>
        {canEdit && (
          <button type="button" className="btn btn-xs" onClick={() => setReplacing(true)}>
            Replace
          </button>
        )}
      </span>
    );
  }
  const cancel = () => {
    setReplacing(false);
    onChange(SECRET_MASK);
  };
  return (
    <span className="env-secret">
      <input
        className="ed-input"
        aria-label="Value"
        type="password"
        autoComplete="new-password"
        placeholder={replacing ? "new value" : "not set"}
        value={value === SECRET_MASK ? "" : value}
        disabled={!canEdit}
        onChange={(e) => onChange(e.target.value === "" && replacing ? SECRET_MASK : e.target.value)}
      />
      {replacing && (
        <button type="button" className="btn btn-xs" onClick={cancel}>
          Keep
        </button>
      )}
    </span>
  );
}
