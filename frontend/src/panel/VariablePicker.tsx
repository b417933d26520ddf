// The variable picker: outputs of upstream nodes, then sys.* and env.*; never a downstream node.
import { useEffect, useMemo, useRef, useState } from "react";

import { useEditor } from "../state/store";
import { availableVariables, filterVariables, type VarGroup } from "../state/variables";

function useGroups(nodeId: string): VarGroup[] {
  const nodes = useEditor((s) => s.nodes);
  const edges = useEditor((s) => s.edges);
  const report = useEditor((s) => s.report);
  return useMemo(
    () => availableVariables(nodeId, nodes, edges, { nodes: report.nodes, globals: report.globals }),
    [nodeId, nodes, edges, report],
  );
}

export function selectorLabel(selector: string[] | null | undefined): string {
  if (!selector?.length) return "";
  const [head, ...rest] = selector;
  if (head === "sys" || head === "env") return `${head}.${rest.join(".")}`;
  const node = useEditor.getState().nodes.find((n) => n.id === head);
  return `${node?.data.title || head} / ${rest.join(".")}`;
}

interface MenuProps {
  nodeId: string;
  onPick: (selector: string[]) => void;
  onClose: () => void;
}

export function VariableMenu({ nodeId, onPick, onClose }: MenuProps) {
  const groups = useGroups(nodeId);
  const [query, setQuery] = useState("");
  const shown = filterVariables(groups, query);
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const away = (e: MouseEvent) => {
      if (ref.current && !ref.current.contains(e.target as Node)) onClose();
    };
    document.addEventListener("mousedown", away);
    return () => document.removeEventListener("mousedown", away);
  }, [onClose]);
  return (
    <div className="var-menu" ref={ref} role="listbox" aria-label="Variables" data-testid="var-menu">
      <input
        className="ed-input"
        autoFocus
        placeholder="Search variables…"
        value={query}
        onChange={(e) => setQuery(e.target.value)}
        onKeyDown={(e) => e.key === "Escape" && onClose()}
      />
      {shown.map((g) => (
        <div key={g.id} className="var-group">
          <div className="var-group-title">{g.title}</div>
          {g.vars.map((v) => (
            <button
              key={v.selector.join(".")}
              type="button"
              role="option"
              aria-selected="false"
              className="var-option"
              data-testid={`var-option-${v.selector.join(".")}`}
              onClick={() => {
                onPick(v.selector);
                onClose();
              }}
            >
              <span>{v.name}</span>
              <span className="var-type">{v.type}</span>
            </button>
          ))}
        </div>
      ))}
      {!shown.length && (
        <p className="muted var-empty">
          {groups.length ? "Nothing matches." : "Connect this node after others to use their outputs."}
        </p>
      )}
    </div>
  );
}

interface PickerProps {
  nodeId: string;
  value: string[] | null | undefined;
  onChange: (selector: string[] | null) => void;
  id?: string;
  disabled?: boolean;
}

/** A field holding one selector (e.g. an if-else condition's variable). */
export function VariablePicker({ nodeId, value, onChange, id, disabled }: PickerProps) {
  const [open, setOpen] = useState(false);
  const button = useRef<HTMLButtonElement>(null);
  const pick = (selector: string[]) => {
    onChange(selector);
    // back on the field, not lost with the closed menu: leaving it later is what a row waits for
    button.current?.focus();
  };
  return (
    <div className="var-picker">
      <button type="button" ref={button} id={id} className="var-chip-button" disabled={disabled} onClick={() => setOpen(!open)} data-testid="var-picker">
        {value?.length ? <span className="var-chip">{selectorLabel(value)}</span> : <span className="muted">Pick a variable…</span>}
      </button>
      {value?.length && !disabled ? (
        <button type="button" className="icon-button" aria-label="Clear variable" onClick={() => onChange(null)}>
          ×
        </button>
      ) : null}
      {open && <VariableMenu nodeId={nodeId} onPick={pick} onClose={() => setOpen(false)} />}
    </div>
  );
}
