// One model provider in the list: status dot (after a check), name, kind, models; expanded, its
// URL, whether a key is set, its models and what the last check found. Editors check it (a
// spinner while asking); admins edit or remove it. Built-in providers are shown read-only.
import { plural } from "../page/words";
import type { Provider, ProviderCheck } from "./types";

export const KIND_WORDS: Record<string, string> = { openai_compatible: "OpenAI-compatible", vllm: "vLLM", embedded: "in-process" };

export type Checked = ProviderCheck | "busy" | null;

const statusOf = (checked: Checked) => (checked === "busy" || checked === null ? "unknown" : checked.status);

/** The dot and the words of a check: not checked yet, asking, the listed models, or the error. */
export function CheckStatus({ checked, testid }: { checked: Checked; testid: string }) {
  const words = checked === null ? "not checked yet" : checked === "busy" ? "Asking the server for its models…" : checked.status === "ok" ? `answers: lists ${plural((checked.models ?? []).length, "model")}` : checked.error;
  return (
    <span className={`small${checked !== null && checked !== "busy" && checked.status === "error" ? " tools-error-text" : ""}`} data-testid={testid} data-status={statusOf(checked)}>
      <span className={`tools-dot tools-dot-${statusOf(checked)}`} /> {words}
    </span>
  );
}

/** A provider's models as pills, a trained adapter's with its label ("<base> + <adapter>"). */
export function ModelPills({ provider }: { provider: Provider }) {
  if (!provider.models.length) return <p className="small muted">No models listed: LLM nodes type a model name.</p>;
  return (
    <div className="pv-models">
      {provider.models.map((m) => (
        <span key={m} className="pill mono" title={provider.labels?.[m] ? "served through this provider" : undefined}>
          {provider.labels?.[m] ?? m}
        </span>
      ))}
    </div>
  );
}

export function ProviderRow({ provider: p, checked, canAdmin, canEdit, onCheck, onEdit, onRemove }: { provider: Provider; checked: Checked; canAdmin: boolean; canEdit: boolean; onCheck: () => void; onEdit: () => void; onRemove: () => void }) {
  const status = statusOf(checked);
  return (
    <li className="tools-server" data-testid={`provider-${p.name}`}>
      <details open={status === "error" || undefined}>
        <summary>
          <span className={`tools-dot tools-dot-${status}`} data-testid={`status-${p.name}`} data-status={status} /> <strong>{p.name}</strong> <span className="pill">{KIND_WORDS[p.kind] ?? p.kind}</span>{" "}
          <span className="muted small" data-testid={`count-${p.name}`}>
            {plural(p.models.length, "model")}
          </span>
          <span className="tools-actions">
            {canEdit && (
              <button type="button" className="btn btn-sm" data-testid={`check-${p.name}`} disabled={checked === "busy"} onClick={onCheck}>
                {checked === "busy" && <span className="spinner spinner-sm" />} Check
              </button>
            )}
            {canAdmin && (
              <>
                <button type="button" className="btn btn-sm" data-testid={`edit-${p.name}`} onClick={onEdit}>
                  Edit
                </button>
                <button type="button" className="btn btn-sm btn-ghost" data-testid={`remove-${p.name}`} onClick={onRemove}>
                  Remove
                </button>
              </>
            )}
          </span>
        </summary>
        <p className="small muted mono" data-testid={`url-${p.name}`}>
          {p.base_url} · {p.api_key_set ? "API key set" : "no API key"}
        </p>
        <ModelPills provider={p} />
        <p data-testid={`check-text-${p.name}`}>
          <CheckStatus checked={checked} testid={`check-status-${p.name}`} />
        </p>
        {checked !== null && checked !== "busy" && checked.status === "ok" && (
          <p className="small muted" data-testid={`listed-${p.name}`}>
            The server lists: {(checked.models ?? []).join(", ") || "no models"}
          </p>
        )}
      </details>
    </li>
  );
}

/** A provider every workspace has (the embedded model, VLLM_BASE_URL): read-only. */
export function BuiltinRow({ provider: p }: { provider: Provider }) {
  return (
    <li className="tools-server" data-testid={`builtin-${p.name}`}>
      <details open>
        <summary>
          <strong>{p.name}</strong> <span className="pill">Built in</span> <span className="pill">{KIND_WORDS[p.kind] ?? p.kind}</span> <span className="muted small">{plural(p.models.length, "model")}</span>
        </summary>
        <ModelPills provider={p} />
      </details>
    </li>
  );
}
