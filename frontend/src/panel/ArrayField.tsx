// A list field: a text box with one string per line, or one row per item (each with its own
// fields and a remove button) and a button that adds a row with its defaults and a fresh id.
import { useEffect, useRef, useState, type ComponentType } from "react";

import { defaultsFor, resolve, schemaType, type Schema } from "../state/schema";
import { humanize, Labelled, widgetOf, type FieldProps } from "./Labelled";
import { usePending } from "./pending";

/** A new list item: its defaults, and a fresh `<x>_<n>` for an empty `<x>_id` (e.g. case_id),
 * or `<word>_<n>` for an empty `id` in a list whose rows are called `word` (a class's id: the
 * handle of its branch, which the person never types). */
export function newItem(itemSchema: Schema, root: Schema, siblings: unknown[], word = "item"): unknown {
  const item = defaultsFor(itemSchema, root);
  if (!item || typeof item !== "object" || Array.isArray(item)) return item;
  const out = item as Record<string, unknown>;
  for (const key of Object.keys(itemSchema.properties ?? {})) {
    if (!(key.endsWith("_id") || key === "id") || out[key] !== "") continue;
    const prefix = key === "id" ? word.toLowerCase().replace(/\W+/g, "_") : key.slice(0, -3);
    const taken = new Set(siblings.map((x) => (x as Record<string, unknown> | null)?.[key]));
    let n = siblings.length + 1;
    while (taken.has(`${prefix}_${n}`)) n++;
    out[key] = `${prefix}_${n}`;
  }
  return out;
}

/** What one row of a list is called: the list's `item` hint ("class"), else its name in the
 * singular ("parameters" → "Parameter"). */
export function rowName(s: Schema, name: string): string {
  return typeof s.item === "string" ? humanize(s.item) : humanize(name).replace(/s$/, "");
}

/** `Field` draws each row: the form's own field, passed in so the two modules need not import
 * each other. */
export function ArrayField(props: FieldProps & { Field: ComponentType<FieldProps> }) {
  const { path, name, root, nodeId, disabled, Field } = props;
  const pending = usePending.getState(); // its actions only: they never change
  const box = useRef<HTMLFieldSetElement>(null);
  const [focusRow, setFocusRow] = useState<number | null>(null);
  useEffect(() => {
    // a new row takes the focus, so leaving it (blur) is what shows its problems
    if (focusRow === null) return;
    const row = box.current?.querySelector(`[data-row="${path}.${focusRow}"]`);
    const first = row?.querySelector<HTMLElement>("input, select, textarea, button.var-chip-button");
    if (first) {
      first.focus();
      setFocusRow(null);
    }
  }, [focusRow, path, props.value]);
  const s = props.schema;
  const items = Array.isArray(props.value) ? (props.value as unknown[]) : [];
  const itemSchema = resolve(s.items ?? {}, root);
  const label = s.title ?? humanize(name);
  const id = `f-${path}`;
  if (schemaType(itemSchema) === "string" && !widgetOf(itemSchema)) {
    return (
      <Labelled id={id} label={label} help={s.description ?? "One per line."}>
        <textarea
          id={id}
          className="ed-input"
          rows={Math.max(2, items.length)}
          value={items.join("\n")}
          disabled={disabled}
          onChange={(e) => props.onChange(e.target.value.split("\n"))}
        />
      </Labelled>
    );
  }
  const single = rowName(s, name);
  return (
    <fieldset className="field-group field-array" data-testid={`array-${path}`} ref={box}>
      <legend>{label}</legend>
      {s.description && <p className="field-help">{s.description}</p>}
      {items.map((item, i) => (
        <div
          key={i}
          className="array-item"
          data-row={`${path}.${i}`}
          onBlur={(e) => {
            if (!e.currentTarget.contains(e.relatedTarget as Node | null)) pending.done(`${path}.${i}`);
          }}
        >
          <div className="array-item-head">
            <span>
              {single} {i + 1}
            </span>
            {!disabled && (
              <button type="button" className="icon-button" aria-label={`Remove ${single} ${i + 1}`} onClick={() => {
                  pending.clearList(path); // the rows after it are renumbered
                  props.onChange(items.filter((_, j) => j !== i));
                }}>
                ×
              </button>
            )}
          </div>
          <Field
            path={`${path}.${i}`}
            name={single}
            schema={itemSchema.properties ? { ...itemSchema, title: "" } : itemSchema}
            root={root}
            value={item}
            nodeId={nodeId}
            required
            disabled={disabled}
            onChange={(v) => props.onChange(items.map((x, j) => (j === i ? v : x)))}
          />
        </div>
      ))}
      {!disabled && (
        <button type="button" className="btn btn-xs" data-testid={`add-${path}`} onClick={() => {
            pending.add(`${path}.${items.length}`);
            setFocusRow(items.length);
            props.onChange([...items, newItem(itemSchema, root, items, single)]);
          }}>
          + Add {single.toLowerCase()}
        </button>
      )}
    </fieldset>
  );
}
