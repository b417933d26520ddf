// The model of an LLM node: a provider of the workspace, then one of its models by its label (a
// trained adapter shows as "<base> + <adapter>"), or any name typed in, for a server that does not
// list its models or a model it does not list.
import { useState } from "react";

import { useEditor } from "../state/store";

interface Props {
  id: string;
  value: { provider?: string; name?: string };
  onChange: (value: { provider: string; name: string }) => void;
  disabled: boolean;
}

const OTHER = "\u0000other";

export function ModelField({ id, value, onChange, disabled }: Props) {
  const providers = useEditor((s) => s.providers);
  const provider = value.provider ?? "";
  const name = value.name ?? "";
  const current = providers.find((p) => p.name === provider);
  const models = current?.models ?? [];
  const labels: Record<string, string> = current?.labels ?? {};
  const [typing, setTyping] = useState(false);
  const listed = models.includes(name);
  const free = typing || !models.length || (!listed && name !== "");
  const listId = `${id}-models`;
  return (
    <div className="model-field" style={{ gridTemplateColumns: "minmax(0, 1fr)" }}>
      <select
        id={id}
        className="ed-input"
        value={provider}
        disabled={disabled}
        aria-label="Model provider"
        onChange={(e) => {
          const next = providers.find((p) => p.name === e.target.value);
          setTyping(false);
          onChange({ provider: e.target.value, name: next?.models[0] ?? "" });
        }}
      >
        {!current && <option value={provider}>{provider || "—"} (unknown)</option>}
        {providers.map((p) => (
          <option key={p.name} value={p.name}>
            {p.name === p.kind ? p.name : `${p.name} · ${p.kind}`}
          </option>
        ))}
      </select>
      {free ? (
        <div className="model-name-free" style={{ display: "flex", gap: 4, minWidth: 0 }}>
          <input
            className="ed-input"
            list={listId}
            value={name}
            disabled={disabled}
            placeholder={models[0] ?? "model name"}
            aria-label="Model name"
            onChange={(e) => onChange({ provider, name: e.target.value })}
          />
          <datalist id={listId}>
            {models.map((m) => (
              <option key={m} value={m} label={labels[m]} />
            ))}
          </datalist>
          {models.length > 0 && !disabled && (
            <button
              type="button"
              className="icon-button"
              title="Pick from the provider's models"
              aria-label="Pick from the list"
              onClick={() => {
                setTyping(false);
                if (!listed) onChange({ provider, name: models[0] });
              }}
            >
              ▾
            </button>
          )}
        </div>
      ) : (
        <select
          className="ed-input"
          value={listed ? name : ""}
          disabled={disabled}
          aria-label="Model"
          title={labels[name] ?? name}
          data-testid={`${id}-model`}
          onChange={(e) => {
            if (e.target.value === OTHER) setTyping(true);
            else onChange({ provider, name: e.target.value });
          }}
        >
          {!listed && <option value="">—</option>}
          {models.map((m) => (
            <option key={m} value={m}>
              {labels[m] ?? m}
            </option>
          ))}
          <option value={OTHER}>Other model…</option>
        </select>
      )}
    </div>
  );
}
