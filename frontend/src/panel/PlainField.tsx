// A field whose JSON type alone decides its input (no widget picks one): a choice, a checkbox, a
// number, a line or a text box (code in a CodeArea), free text for a value of any type, and JSON
// typed in for anything else.
import { useState } from "react";

import { schemaType, type Schema } from "../state/schema";
import { CodeArea } from "./CodeArea";
import { Labelled } from "./Labelled";

interface Props {
  id: string;
  label: string;
  help?: string;
  schema: Schema; // without its null alternative
  nullable: boolean;
  widget: string | undefined;
  value: unknown;
  onChange: (value: unknown) => void;
  disabled: boolean;
}

function JsonField({ id, value, onChange, disabled }: { id: string; value: unknown; onChange: (v: unknown) => void; disabled: boolean }) {
  const [text, setText] = useState(() => JSON.stringify(value ?? null, null, 2));
  const [error, setError] = useState("");
  return (
    <>
      <textarea
        id={id}
        className="ed-input mono"
        rows={3}
        value={text}
        disabled={disabled}
        onChange={(e) => setText(e.target.value)}
        onBlur={() => {
          try {
            onChange(text.trim() ? JSON.parse(text) : null);
            setError("");
          } catch {
            setError("Not valid JSON");
          }
        }}
      />
      {error && <p className="field-error">{error}</p>}
    </>
  );
}

export function PlainField({ id, label, help, schema: s, nullable, widget, value, onChange, disabled }: Props) {
  switch (schemaType(s)) {
    case "enum":
      return (
        <Labelled id={id} label={label} help={help}>
          <select id={id} className="ed-input" value={String(value ?? "")} disabled={disabled} onChange={(e) => onChange(e.target.value === "" && nullable ? null : e.target.value)}>
            {nullable && <option value="">—</option>}
            {s.enum!.map((o) => (
              <option key={String(o)} value={String(o)}>
                {String(o)}
              </option>
            ))}
          </select>
        </Labelled>
      );
    case "boolean":
      return (
        <Labelled id={id} label={label} help={help} inline>
          <input id={id} type="checkbox" checked={Boolean(value)} disabled={disabled} onChange={(e) => onChange(e.target.checked)} />
        </Labelled>
      );
    case "number":
    case "integer":
      return (
        <Labelled id={id} label={label} help={help}>
          <input
            id={id}
            className="ed-input"
            type="number"
            value={value == null ? "" : String(value)}
            min={s.minimum ?? s.exclusiveMinimum}
            max={s.maximum ?? s.exclusiveMaximum}
            step={schemaType(s) === "integer" ? 1 : "any"}
            disabled={disabled}
            onChange={(e) => {
              const raw = e.target.value;
              if (raw === "") onChange(nullable ? null : 0);
              else onChange(schemaType(s) === "integer" ? parseInt(raw, 10) : parseFloat(raw));
            }}
          />
        </Labelled>
      );
    case "string":
      return (
        <Labelled id={id} label={label} help={help}>
          {widget === "code" ? (
            <CodeArea id={id} value={String(value ?? "")} disabled={disabled} onChange={onChange} />
          ) : (s.maxLength ?? 0) > 200 ? (
            <textarea id={id} className="ed-input" rows={3} spellCheck={false} value={String(value ?? "")} disabled={disabled} onChange={(e) => onChange(e.target.value)} />
          ) : (
            <input id={id} className="ed-input" value={String(value ?? "")} disabled={disabled} onChange={(e) => onChange(nullable && e.target.value === "" ? null : e.target.value)} />
          )}
        </Labelled>
      );
    case "any":
      // Free values (e.g. what an if-else condition compares with) are typed as text.
      return (
        <Labelled id={id} label={label} help={help}>
          <input id={id} className="ed-input" value={value == null ? "" : typeof value === "string" ? value : JSON.stringify(value)} disabled={disabled} onChange={(e) => onChange(e.target.value === "" ? null : e.target.value)} />
        </Labelled>
      );
  }
  return (
    <Labelled id={id} label={label} help={help}>
      <JsonField id={id} value={value} onChange={onChange} disabled={disabled} />
    </Labelled>
  );
}
