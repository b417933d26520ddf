// Add or edit an MCP server (admins): a command (stdio) with its arguments and environment, or a
// URL (streamable HTTP) with its headers. Secret values are password inputs; a value already
// stored shows as "set" and is kept unless a new one is typed.
import { useState } from "react";

import { ErrorBox } from "../page/ui";
import { tools } from "./api";
import type { ToolServer, ToolServerIn } from "./types";

export interface SecretRow {
  name: string;
  value: string;
  stored: boolean; // the server already has a value: an empty input keeps it
}

type Transport = ToolServerIn["transport"];

/** The body's secrets: a typed value sets it, an empty input keeps the stored one (null). */
export function secretsBody(rows: SecretRow[]): Record<string, string | null> {
  const out: Record<string, string | null> = {};
  for (const r of rows) if (r.name.trim()) out[r.name.trim()] = r.value === "" && r.stored ? null : r.value;
  return out;
}

const rowsOf = (server: ToolServer | null, field: "env" | "headers"): SecretRow[] => (server ? server[field].map((s) => ({ name: s.name, value: "", stored: s.set })) : []);

export function ServerForm({ server, onSaved, onCancel }: { server: ToolServer | null; onSaved: (s: ToolServer) => void; onCancel?: () => void }) {
  const [name, setName] = useState(server?.name ?? "");
  const [transport, setTransport] = useState<Transport>(server?.transport ?? "stdio");
  const [command, setCommand] = useState(server?.command ?? "");
  const [args, setArgs] = useState((server?.args ?? []).join("\n"));
  const [env, setEnv] = useState(() => rowsOf(server, "env"));
  const [url, setUrl] = useState(server?.url ?? "");
  const [headers, setHeaders] = useState(() => rowsOf(server, "headers"));
  const [connect, setConnect] = useState(server?.connect_timeout_s ?? 30);
  const [call, setCall] = useState(server?.call_timeout_s ?? 60);
  const [enabled, setEnabled] = useState(server?.enabled ?? true);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);

  const submit = async (e: React.FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    const body = {
      name: name.trim(),
      transport,
      command,
      args: args.split("\n").filter((a) => a.trim() !== ""),
      env: secretsBody(env),
      url,
      headers: secretsBody(headers),
      connect_timeout_s: connect,
      call_timeout_s: call,
      enabled,
    };
    try {
      const saved = server ? await tools.update(server.id, body) : await tools.create(body);
      onSaved(saved);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <form className="card tp-card" data-testid="server-form" onSubmit={submit}>
      <h2>{server ? `Edit ${server.name}` : "Add an MCP server"}</h2>
      <div className="field">
        <label htmlFor="server-name">Name</label>
        <input id="server-name" data-testid="server-name" type="text" className="mono" maxLength={64} placeholder="time" value={name} onChange={(e) => setName(e.target.value)} />
        <p className="field-help">What tool nodes and agents call it: a-z, 0-9, _ and -.</p>
      </div>
      <div className="tp-seg" role="radiogroup" aria-label="Transport">
        {(["stdio", "http"] as const).map((t) => (
          <label key={t} className={transport === t ? "active" : ""}>
            <input type="radio" name="transport" value={t} data-testid={`transport-${t}`} checked={transport === t} onChange={() => setTransport(t)} />
            {t === "stdio" ? "Command (stdio)" : "URL (streamable HTTP)"}
          </label>
        ))}
      </div>
      {transport === "stdio" ? (
        <>
          <div className="field">
            <label htmlFor="server-command">Command</label>
            <input id="server-command" data-testid="server-command" type="text" className="mono" placeholder="mcp-server-time" value={command} onChange={(e) => setCommand(e.target.value)} />
            <p className="field-help">One program, run on this server without a shell.</p>
          </div>
          <div className="field">
            <label htmlFor="server-args">Arguments</label>
            <textarea id="server-args" data-testid="server-args" className="mono" rows={3} placeholder="one per line" value={args} onChange={(e) => setArgs(e.target.value)} />
          </div>
          <SecretRows label="Environment" testid="env" rows={env} onChange={setEnv} />
        </>
      ) : (
        <>
          <div className="field">
            <label htmlFor="server-url">URL</label>
            <input id="server-url" data-testid="server-url" type="url" className="mono" placeholder="https://example.com/mcp" value={url} onChange={(e) => setUrl(e.target.value)} />
          </div>
          <SecretRows label="Headers" testid="headers" rows={headers} onChange={setHeaders} />
        </>
      )}
      <div className="tp-row">
        <NumberInput id="server-connect-timeout" label="Connect timeout (s)" value={connect} max={600} onChange={setConnect} />
        <NumberInput id="server-call-timeout" label="Call timeout (s)" value={call} max={3600} onChange={setCall} />
      </div>
      <label className="tools-check">
        <input type="checkbox" data-testid="server-enabled" checked={enabled} onChange={(e) => setEnabled(e.target.checked)} /> On: runs may call it
      </label>
      <ErrorBox error={error} testid="server-form-error" />
      <div className="form-actions">
        {onCancel && (
          <button type="button" className="btn" onClick={onCancel}>
            Cancel
          </button>
        )}
        <button className="btn btn-primary" data-testid="server-save" disabled={!name.trim() || busy}>
          {busy && <span className="spinner spinner-sm" />} {server ? "Save" : "Add"}
        </button>
      </div>
    </form>
  );
}

function NumberInput({ id, label, value, max, onChange }: { id: string; label: string; value: number; max: number; onChange: (n: number) => void }) {
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <input id={id} data-testid={id} type="number" min={1} max={max} value={value} onChange={(e) => onChange(Number(e.target.value) || 0)} />
    </div>
  );
}

/** Name/value rows whose values are secrets (password inputs; a stored one shows "set"). */
export function SecretRows({ label, testid, rows, onChange }: { label: string; testid: string; rows: SecretRow[]; onChange: (r: SecretRow[]) => void }) {
  const set = (i: number, patch: Partial<SecretRow>) => onChange(rows.map((r, j) => (j === i ? { ...r, ...patch } : r)));
  return (
    <fieldset className="tools-secrets" data-testid={`${testid}-rows`}>
      <legend>{label}</legend>
      {rows.map((r, i) => (
        <div className="tools-secret-row" key={i}>
          <input aria-label={`${label} name`} data-testid={`${testid}-name-${i}`} type="text" className="mono" value={r.name} disabled={r.stored} onChange={(e) => set(i, { name: e.target.value })} />
          <input aria-label={`${label} value`} data-testid={`${testid}-value-${i}`} type="password" autoComplete="new-password" placeholder={r.stored ? "set (type to replace)" : "value"} value={r.value} onChange={(e) => set(i, { value: e.target.value })} />
          <button type="button" className="btn btn-ghost btn-sm" aria-label={`Remove ${r.name || "row"}`} onClick={() => onChange(rows.filter((_, j) => j !== i))}>
            ×
          </button>
        </div>
      ))}
      <button type="button" className="btn btn-sm" data-testid={`${testid}-add`} onClick={() => onChange([...rows, { name: "", value: "", stored: false }])}>
        + Add
      </button>
      <p className="field-help">Values are stored encrypted and never shown again.</p>
    </fieldset>
  );
}
