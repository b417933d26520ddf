// "Use it in an app": pick an app and one of its LLM nodes; the adapter becomes that node's model
// (saved in the app's draft through the editor's API) and the app's editor opens on the node.
import { useEffect, useState, type FormEvent } from "react";

import { ApiFailure } from "../api/client";
import type { WorkflowSpec } from "../api/spec";
import type { Draft, TrainingAdapter } from "../api/types";
import { ErrorBox } from "../page/ui";
import { apps, type AppSummary } from "./api";
import { adapterModel, editorUrl, llmNodesOf, modelOf, withModel } from "./appModel";

type Adapter = Pick<TrainingAdapter, "name" | "base_model" | "label">;

export function UseInApp({ adapter, onClose, go = (url) => window.location.assign(url) }: { adapter: Adapter; onClose: () => void; go?: (url: string) => void }) {
  const [list, setList] = useState<AppSummary[] | null>(null);
  const [appId, setAppId] = useState<number | null>(null);
  const [draft, setDraft] = useState<Draft | null>(null);
  const [nodeId, setNodeId] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);

  useEffect(() => {
    apps.list().then((rows) => {
      setList(rows);
      if (rows.length === 1) setAppId(rows[0].id);
    }, setError);
  }, []);
  useEffect(() => {
    setDraft(null);
    setNodeId("");
    setError(null);
    if (appId == null) return;
    let stale = false;
    apps.draft(appId).then((d) => {
      if (stale) return;
      setDraft(d);
      const nodes = llmNodesOf(d.spec as unknown as WorkflowSpec);
      if (nodes.length === 1) setNodeId(nodes[0].id);
    }, setError);
    return () => {
      stale = true;
    };
  }, [appId]);

  const spec = draft ? (draft.spec as unknown as WorkflowSpec) : null;
  const nodes = spec ? llmNodesOf(spec) : [];
  const model = adapterModel(adapter);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (!spec || !draft || appId == null || !nodeId) return;
    setBusy(true);
    setError(null);
    try {
      await apps.saveDraft(appId, withModel(spec, nodeId, model), draft.revision);
      go(editorUrl(appId, nodeId));
    } catch (err) {
      setError(err);
      // someone saved the draft meanwhile: take theirs, so the next try applies to it
      if (err instanceof ApiFailure && err.status === 409) apps.draft(appId).then(setDraft, () => undefined);
    } finally {
      setBusy(false);
    }
  };

  return (
    <form className="tp-use-in-app" data-testid="use-in-app-picker" onSubmit={submit}>
      <p className="small muted">
        Pick an app and the LLM node that should answer with <strong>{adapter.label}</strong>. Its draft is saved with the adapter as that node's model, then the editor opens on the node.
      </p>
      <div className="tp-row">
        <div className="field">
          <label htmlFor="use-app">App</label>
          <select id="use-app" data-testid="use-app" value={appId ?? ""} disabled={!list?.length} onChange={(e) => setAppId(e.target.value ? Number(e.target.value) : null)}>
            <option value="">{list === null ? "loading…" : list.length ? "choose an app" : "no apps yet"}</option>
            {(list ?? []).map((a) => (
              <option key={a.id} value={a.id}>
                {a.name}
              </option>
            ))}
          </select>
          {list && !list.length && (
            <p className="field-help">
              <a href="/">Create an app</a> first, then come back here.
            </p>
          )}
        </div>
        <div className="field">
          <label htmlFor="use-node">LLM node</label>
          <select id="use-node" data-testid="use-node" value={nodeId} disabled={!nodes.length} onChange={(e) => setNodeId(e.target.value)}>
            <option value="">{appId == null ? "choose an app first" : !draft ? "loading…" : nodes.length ? "choose a node" : "no LLM node"}</option>
            {nodes.map((n) => {
              const now = modelOf(n).name;
              return (
                <option key={n.id} value={n.id}>
                  {n.title || n.id} — {now ? `now ${now}` : "no model yet"}
                </option>
              );
            })}
          </select>
          {draft && !nodes.length && appId != null && (
            <p className="field-help" data-testid="use-no-llm">
              This app has no LLM node: <a href={`/apps/${appId}/editor/`}>open its editor</a> and add one.
            </p>
          )}
        </div>
      </div>
      <ErrorBox error={error} testid="use-in-app-error" />
      <div className="form-actions">
        <button className="btn btn-primary" data-testid="use-in-app-save" disabled={busy || !nodeId}>
          {busy && <span className="spinner spinner-sm" />} Use in this node and open the editor
        </button>
        <button type="button" className="btn btn-ghost" onClick={onClose}>
          Cancel
        </button>
      </div>
    </form>
  );
}
