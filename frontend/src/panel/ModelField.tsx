// The model of an LLM node: a provider of the workspace, then one of its models (or any name,
// for a server that does not list its models).
import { useEditor } from "../state/store";

interface Props {
  id: string;
  value: { provider?: string; name?: string };
  onChange: (value: { provider: string; name: string }) => void;
  disabled: boolean;
}

export function ModelField({ id, value, onChange, disabled }: Props) {
  const providers = useEditor((s) => s.providers);
  const provider = value.provider ?? "";
  const name = value.name ?? "";
  const current = providers.find((p) => p.name === provider);
  const listId = `${id}-models`;
  return (
    <div className="model-field">
      <select
        id={id}
        className="ed-input"
        value={provider}
        disabled={disabled}
        aria-label="Model provider"
        onChange={(e) => {
          const next = providers.find((p) => p.name === e.target.value);
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
      <input
        className="ed-input"
        list={listId}
        value={name}
        disabled={disabled}
        placeholder={current?.models[0] ?? "model name"}
        aria-label="Model name"
        onChange={(e) => onChange({ provider, name: e.target.value })}
      />
      <datalist id={listId}>
        {(current?.models ?? []).map((m) => (
          <option key={m} value={m} />
        ))}
      </datalist>
    </div>
  );
}
