// The Model providers page: the workspace's model servers (kind, URL, models, a status dot after
// "Check"; admins add, edit and remove them, editors check them) and the built-in models every
// workspace has, trained adapters included, so a user sees what LLM nodes can pick.
import { useEffect, useState } from "react";

import { Empty, ErrorBox } from "../page/ui";
import { providers } from "./api";
import { ProviderForm } from "./ProviderForm";
import { BuiltinRow, type Checked, ProviderRow } from "./ProviderRow";
import type { Provider } from "./types";

export function ProvidersApp({ canAdmin, canEdit }: { canAdmin: boolean; canEdit: boolean }) {
  const [listed, setListed] = useState<Provider[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [checks, setChecks] = useState<Record<string, Checked>>({});
  const [editing, setEditing] = useState<Provider | null>(null);
  const [added, setAdded] = useState(0);
  const [warning, setWarning] = useState("");

  const load = () => providers.list().then(setListed, setError);
  useEffect(() => {
    void load();
  }, []);

  const setCheck = (name: string, checked: Checked) => setChecks((all) => ({ ...all, [name]: checked }));
  const check = async (name: string) => {
    setCheck(name, "busy");
    try {
      setCheck(name, await providers.check(name));
    } catch (err) {
      setCheck(name, null);
      setError(err);
    }
  };
  const saved = (p: Provider) => {
    setEditing(null);
    setAdded((n) => n + 1); // a fresh, empty form for the next provider
    setWarning("");
    void load();
    if (canEdit) void check(p.name); // ask it at once: the admin sees whether it answers
  };
  const remove = async (p: Provider) => {
    if (!window.confirm(`Remove the model provider ${p.name}? LLM nodes that use it will fail.`)) return;
    try {
      const deleted = await providers.remove(p.name);
      setWarning(deleted.warning ?? "");
      setCheck(p.name, null);
      if (editing?.name === p.name) setEditing(null);
      await load();
    } catch (err) {
      setError(err);
    }
  };

  const own = (listed ?? []).filter((p) => !p.builtin).sort((a, b) => a.name.localeCompare(b.name));
  const builtin = (listed ?? []).filter((p) => p.builtin);
  return (
    <div className="tp providers">
      <div className="tp-head">
        <h1>Model providers</h1>
        <p className="muted">The model servers your apps' LLM and agent nodes run on: vLLM or any OpenAI-compatible server.</p>
      </div>
      {warning && (
        <div className="alert pv-warning tp-alert" role="status" data-testid="providers-warning">
          {warning}
        </div>
      )}
      <div className={canAdmin ? "pv-grid" : ""}>
        <div className="card tp-card">
          <h2>Model servers</h2>
          <ErrorBox error={error} testid="providers-error" />
          {!listed && !error && (
            <div className="tp-loading">
              <span className="spinner" /> Loading…
            </div>
          )}
          {listed && !own.length && <Empty title="No model servers yet">{canAdmin ? "Add one with the form beside this list." : "Admins can add them."}</Empty>}
          {own.length > 0 && (
            <ul className="tools-servers" data-testid="provider-list">
              {own.map((p) => (
                <ProviderRow key={p.name} provider={p} checked={checks[p.name] ?? null} canAdmin={canAdmin} canEdit={canEdit} onCheck={() => void check(p.name)} onEdit={() => setEditing(p)} onRemove={() => void remove(p)} />
              ))}
            </ul>
          )}
          {builtin.length > 0 && (
            <>
              <h2>Built in</h2>
              <p className="small muted">Every workspace has these; trained adapters are served through them.</p>
              <ul className="tools-servers" data-testid="builtin-list">
                {builtin.map((p) => (
                  <BuiltinRow key={p.name} provider={p} />
                ))}
              </ul>
            </>
          )}
        </div>
        {canAdmin && <ProviderForm key={editing?.name ?? `new-${added}`} provider={editing} onSaved={saved} onCancel={editing ? () => setEditing(null) : undefined} />}
      </div>
    </div>
  );
}
