// Add or edit a model provider (admins): name, kind, URL, API key, model names. "Check" asks the
// server for its models with the settings as typed (a stored key is used until another is typed)
// and offers them to pick; the model names start as the listed ones when none were typed. A
// stored API key shows as "set" and is kept unless a new one is typed or it is removed.
import { useState } from "react";

import { ErrorBox } from "../page/ui";
import { providers } from "./api";
import { CheckStatus, KIND_WORDS } from "./ProviderRow";
import type { Provider, ProviderCheck, ProviderCheckIn, ProviderKind, ProviderPatch } from "./types";

/** Model names typed one per line (or comma-separated): trimmed, blanks and repeats dropped. */
export function parseModelNames(text: string): string[] {
  return [...new Set(text.split(/[\n,]/).map((m) => m.trim()).filter(Boolean))];
}

/** The API key part of a change: a typed key replaces the stored one, "" removes it, and
 * nothing is sent to keep it. */
export function keyChange(typed: string, remove: boolean): { api_key?: string } {
  if (typed) return { api_key: typed };
  return remove ? { api_key: "" } : {};
}

/** The names after a check listed `listed`: the listed ones when none were typed yet. */
export function prefilled(typed: string[], listed: string[]): string[] {
  return typed.length ? typed : listed;
}

export function ProviderForm({ provider, onSaved, onCancel }: { provider: Provider | null; onSaved: (p: Provider) => void; onCancel?: () => void }) {
  const [name, setName] = useState(provider?.name ?? "");
  const [kind, setKind] = useState<ProviderKind>(provider?.kind === "vllm" ? "vllm" : "openai_compatible");
  const [baseUrl, setBaseUrl] = useState(provider?.base_url ?? "");
  const [apiKey, setApiKey] = useState("");
  const [removeKey, setRemoveKey] = useState(false);
  const [models, setModels] = useState((provider?.model_names ?? []).join("\n"));
  const [checked, setChecked] = useState<ProviderCheck | "busy" | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const stored = Boolean(provider?.api_key_set) && !removeKey;
  const names = parseModelNames(models);

  const check = async () => {
    setChecked("busy");
    setError(null);
    const body: ProviderCheckIn = { kind, base_url: baseUrl.trim(), ...keyChange(apiKey, removeKey) };
    try {
      const result = provider ? await providers.check(provider.name, body) : await providers.checkNew(body);
      setChecked(result);
      setModels((text) => prefilled(parseModelNames(text), result.models ?? []).join("\n"));
    } catch (err) {
      setChecked(null);
      setError(err);
    }
  };
  const toggle = (model: string) => setModels((names.includes(model) ? names.filter((m) => m !== model) : [...names, model]).join("\n"));

  const submit = async (e: React.FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const change: ProviderPatch = { kind, base_url: baseUrl.trim(), model_names: names, ...keyChange(apiKey, removeKey) };
      const saved = provider ? await providers.update(provider.name, change) : await providers.create({ name: name.trim(), kind, base_url: baseUrl.trim(), api_key: apiKey, model_names: names });
      onSaved(saved);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  const listed = checked && checked !== "busy" ? (checked.models ?? []) : [];
  return (
    <form className="card tp-card" data-testid="provider-form" onSubmit={submit}>
      <h2>{provider ? `Edit ${provider.name}` : "Add a model provider"}</h2>
      <div className="field">
        <label htmlFor="provider-name">Name</label>
        <input id="provider-name" data-testid="provider-name" type="text" className="mono" maxLength={60} placeholder="gpu" value={name} disabled={Boolean(provider)} onChange={(e) => setName(e.target.value)} />
        <p className="field-help">{provider ? "LLM nodes name it: it cannot change." : "What LLM nodes pick it by: a-z, 0-9, _ and -."}</p>
      </div>
      <div className="field">
        <div className="tp-seg" role="radiogroup" aria-label="Kind">
          {(["openai_compatible", "vllm"] as const).map((k) => (
            <label key={k} className={kind === k ? "active" : ""}>
              <input type="radio" name="kind" value={k} data-testid={`provider-kind-${k}`} checked={kind === k} onChange={() => setKind(k)} />
              {KIND_WORDS[k]}
            </label>
          ))}
        </div>
        <p className="field-help">{kind === "vllm" ? "A vLLM server: it also serves this workspace's trained adapters." : "Any server that speaks OpenAI's chat completions API."}</p>
      </div>
      <div className="field">
        <label htmlFor="provider-url">URL</label>
        <input id="provider-url" data-testid="provider-url" type="url" className="mono" placeholder="http://gpu-host:8000/v1" value={baseUrl} onChange={(e) => setBaseUrl(e.target.value)} />
        <p className="field-help">Its OpenAI-compatible base, with the version: …/v1.</p>
      </div>
      <div className="field">
        <label htmlFor="provider-key">API key</label>
        <input id="provider-key" data-testid="provider-key" type="password" autoComplete="new-password" placeholder={stored ? "set (type to replace)" : "none"} value={apiKey} onChange={(e) => setApiKey(e.target.value)} />
        {provider?.api_key_set && (
          <label className="tools-check small">
            <input type="checkbox" data-testid="provider-key-remove" checked={removeKey} onChange={(e) => setRemoveKey(e.target.checked)} /> Remove the stored key
          </label>
        )}
        <p className="field-help">Stored encrypted and never shown again.</p>
      </div>
      <div className="pv-check">
        <button type="button" className="btn btn-sm" data-testid="provider-form-check" disabled={!baseUrl.trim() || checked === "busy"} onClick={() => void check()}>
          {checked === "busy" && <span className="spinner spinner-sm" />} Check
        </button>
        <CheckStatus checked={checked} testid="provider-form-status" />
      </div>
      <div className="field">
        <label htmlFor="provider-models">Models</label>
        {listed.length > 0 && (
          <div className="pv-listed" data-testid="provider-listed">
            {listed.map((m) => (
              <label key={m}>
                <input type="checkbox" data-testid={`listed-${m}`} checked={names.includes(m)} onChange={() => toggle(m)} /> <code>{m}</code>
              </label>
            ))}
          </div>
        )}
        <textarea id="provider-models" data-testid="provider-models" className="mono" rows={3} placeholder="one per line" value={models} onChange={(e) => setModels(e.target.value)} />
        <p className="field-help">What LLM nodes can pick; Check lists what the server serves.</p>
      </div>
      <ErrorBox error={error} testid="provider-form-error" />
      <div className="form-actions">
        {onCancel && (
          <button type="button" className="btn" onClick={onCancel}>
            Cancel
          </button>
        )}
        <button className="btn btn-primary" data-testid="provider-save" disabled={!name.trim() || !baseUrl.trim() || busy}>
          {busy && <span className="spinner spinner-sm" />} {provider ? "Save" : "Add"}
        </button>
      </div>
    </form>
  );
}
