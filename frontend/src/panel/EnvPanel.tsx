// Environment variables of the workflow ({{#env.NAME#}}): constants and secrets kept with the app.
import type { EnvVar } from "../api/spec";
import { useEditor } from "../state/store";

export function EnvPanel() {
  const env = useEditor((s) => s.env);
  const canEdit = useEditor((s) => s.canEdit);
  const setEnv = useEditor((s) => s.setEnv);
  const change = (i: number, patch: Partial<EnvVar>) => setEnv(env.map((v, j) => (j === i ? { ...v, ...patch } : v)));
  return (
    <div className="env-panel" data-testid="env-panel">
      <h2>Environment variables</h2>
      <p className="muted">Use them anywhere as <code>{"{{#env.NAME#}}"}</code>. Secrets are hidden here but given to runs.</p>
      {env.map((v, i) => (
        <div key={i} className="env-row">
          <input className="ed-input" aria-label="Name" value={v.name} disabled={!canEdit} placeholder="NAME" onChange={(e) => change(i, { name: e.target.value })} />
          <select className="ed-input" aria-label="Type" value={v.type} disabled={!canEdit} onChange={(e) => change(i, { type: e.target.value as EnvVar["type"] })}>
            <option value="string">string</option>
            <option value="number">number</option>
            <option value="secret">secret</option>
          </select>
          <input
            className="ed-input"
            aria-label="Value"
            type={v.type === "secret" ? "password" : v.type === "number" ? "number" : "text"}
            value={String(v.value)}
            disabled={!canEdit}
            onChange={(e) => change(i, { value: v.type === "number" ? Number(e.target.value) : e.target.value })}
          />
          {canEdit && (
            <button type="button" className="icon-button" aria-label={`Remove ${v.name}`} onClick={() => setEnv(env.filter((_, j) => j !== i))}>
              ×
            </button>
          )}
        </div>
      ))}
      {canEdit && (
        <button type="button" className="btn btn-xs" onClick={() => setEnv([...env, { name: `VAR_${env.length + 1}`, type: "string", value: "" }])}>
          + Add variable
        </button>
      )}
    </div>
  );
}
