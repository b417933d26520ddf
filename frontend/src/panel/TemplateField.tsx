// A text field that may reference variables as {{#node.field#}}: a textarea plus an "insert
// variable" menu that offers only what is upstream of the node.
import { useRef, useState } from "react";

import { referenceText } from "../state/variables";
import { selectorLabel, VariableMenu } from "./VariablePicker";

interface Props {
  id: string;
  nodeId: string;
  value: string;
  onChange: (value: string) => void;
  rows?: number;
  disabled?: boolean;
}

const REF = /\{\{#([A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)+)#\}\}/g;

export function TemplateField({ id, nodeId, value, onChange, rows = 4, disabled }: Props) {
  const [open, setOpen] = useState(false);
  const area = useRef<HTMLTextAreaElement>(null);
  const refs = [...new Set([...value.matchAll(REF)].map((m) => m[1]))];

  const insert = (selector: string[]) => {
    const el = area.current;
    const text = referenceText(selector);
    const start = el?.selectionStart ?? value.length;
    const end = el?.selectionEnd ?? value.length;
    onChange(value.slice(0, start) + text + value.slice(end));
    requestAnimationFrame(() => {
      el?.focus();
      el?.setSelectionRange(start + text.length, start + text.length);
    });
  };

  return (
    <div className="tpl-field">
      <textarea
        id={id}
        ref={area}
        className="ed-input tpl-text"
        rows={rows}
        value={value}
        disabled={disabled}
        spellCheck={false}
        onChange={(e) => onChange(e.target.value)}
      />
      <div className="tpl-bar">
        {refs.map((r) => (
          <span key={r} className="var-chip" title={`{{#${r}#}}`}>
            {selectorLabel(r.split("."))}
          </span>
        ))}
        {!disabled && (
          <button type="button" className="btn btn-xs" onClick={() => setOpen(!open)} data-testid={`insert-var-${id}`}>
            {"{x}"} Insert variable
          </button>
        )}
      </div>
      {open && <VariableMenu nodeId={nodeId} onPick={insert} onClose={() => setOpen(false)} />}
    </div>
  );
}
