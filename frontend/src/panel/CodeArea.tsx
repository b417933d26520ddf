// Code (a template's Jinja, a code node's Python): monospace, as tall as its lines (6 to 24),
// and Tab indents by four spaces instead of leaving the field, as Python wants.
import type { KeyboardEvent } from "react";

export function CodeArea({ id, value, disabled, onChange }: { id: string; value: string; disabled: boolean; onChange: (v: string) => void }) {
  const rows = Math.min(24, Math.max(6, value.split("\n").length + 1));
  const onKeyDown = (e: KeyboardEvent<HTMLTextAreaElement>) => {
    if (e.key !== "Tab" || e.shiftKey) return;
    e.preventDefault();
    const area = e.currentTarget;
    const { selectionStart: start, selectionEnd: end } = area;
    onChange(value.slice(0, start) + "    " + value.slice(end));
    requestAnimationFrame(() => area.setSelectionRange(start + 4, start + 4));
  };
  return <textarea id={id} className="ed-input mono" rows={rows} spellCheck={false} value={value} disabled={disabled} onKeyDown={onKeyDown} onChange={(e) => onChange(e.target.value)} />;
}
