// A form generated from a node type's JSON Schema. Widgets: a schema's `widget` key (set by the
// backend) picks the variable picker ("selector"), the template editor ("template"), the model
// picker ("model"), the knowledge-base picker ("knowledge_bases") or the tool node's fields
// ("tool_server", "tool", "tool_arguments": the tool is one of the server's beside it, the
// arguments those of the tool beside them); otherwise the JSON type decides. A `shown_when` key
// shows a field only for some values of a field beside it.
import { createContext, useContext, useEffect, useRef, useState, type KeyboardEvent, type ReactNode } from "react";

import { resolve, schemaType, unwrapNullable, defaultsFor, type Schema } from "../state/schema";
import { KnowledgeBasesField } from "./KnowledgeBasesField";
import { ModelField } from "./ModelField";
import { isPending, usePending } from "./pending";
import { TemplateField } from "./TemplateField";
import { ToolArgumentsField, ToolField, ToolServerField, type ToolArgument } from "./ToolFields";
import { VariablePicker } from "./VariablePicker";

export interface FieldProps {
  path: string; // dotted path, also the input's id suffix
  name: string;
  schema: Schema;
  root: Schema;
  value: unknown;
  onChange: (value: unknown) => void;
  nodeId: string;
  required: boolean;
  disabled: boolean;
}

export function humanize(name: string): string {
  const s = name.replace(/_/g, " ");
  return s.charAt(0).toUpperCase() + s.slice(1);
}

/** Validation messages by field path (`<node id>.<pydantic loc>`), shown under their fields. */
export const FieldIssues = createContext<Record<string, string>>({});

/** The values of the object a field is in (the node's config, or one row of a list). */
const Siblings = createContext<Record<string, unknown>>({});

function widgetOf(s: Schema): string | undefined {
  return typeof s.widget === "string" ? s.widget : undefined;
}

function Labelled({ id, label, help, children, inline }: { id: string; label: string; help?: string; children: ReactNode; inline?: boolean }) {
  const path = id.slice(2);
  const waiting = usePending((s) => isPending(s.paths, path));
  const issues = useContext(FieldIssues);
  const problem = waiting ? undefined : issues[path];
  // A field taken up while it shows no problem is being filled in: its problems wait until the
  // focus leaves it (its picker and menus are inside it). A field gone from the form is left.
  useEffect(() => () => usePending.getState().done(path), [path]);
  return (
    <div
      className={`field${inline ? " field-inline" : ""}${problem ? " field-invalid" : ""}`}
      onFocus={() => {
        if (!problem) usePending.getState().add(path);
      }}
      onBlur={(e) => {
        if (!e.currentTarget.contains(e.relatedTarget as Node | null)) usePending.getState().done(path);
      }}
    >
      <label htmlFor={id}>{label}</label>
      {children}
      {problem ? <p className="field-error">{problem}</p> : help && <p className="field-help">{help}</p>}
    </div>
  );
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

export function Field(props: FieldProps) {
  const { path, name, root, onChange, nodeId, disabled } = props;
  const siblings = useContext(Siblings);
  const { schema: s, nullable } = unwrapNullable(props.schema, root);
  const value = props.value === undefined ? s.default : props.value;
  const id = `f-${path}`;
  const label = s.title ?? humanize(name);
  const help = s.description;
  const widget = widgetOf(s);

  if (widget === "hidden") return null;
  if (widget === "selector") {
    return (
      <Labelled id={id} label={label} help={help}>
        <VariablePicker id={id} nodeId={nodeId} value={value as string[] | null} disabled={disabled} onChange={(v) => onChange(v ?? (nullable ? null : []))} />
      </Labelled>
    );
  }
  if (widget === "template") {
    return (
      <Labelled id={id} label={label} help={help}>
        <TemplateField id={id} nodeId={nodeId} value={String(value ?? "")} onChange={onChange} disabled={disabled} />
      </Labelled>
    );
  }
  if (widget === "model") {
    return (
      <Labelled id={id} label={label} help={help}>
        <ModelField id={id} value={(value ?? {}) as { provider?: string; name?: string }} onChange={onChange} disabled={disabled} />
      </Labelled>
    );
  }
  if (widget === "knowledge_bases") {
    return (
      <Labelled id={id} label={label} help={help}>
        <KnowledgeBasesField id={id} label={label} value={Array.isArray(value) ? (value as string[]) : []} onChange={onChange} disabled={disabled} />
      </Labelled>
    );
  }
  const server = String(siblings.server ?? "");
  if (widget === "tool_server" || widget === "tool") {
    return (
      <Labelled id={id} label={label} help={help}>
        {widget === "tool" ? (
          <ToolField id={id} nodeId={nodeId} server={server} value={String(value ?? "")} onChange={onChange} disabled={disabled} />
        ) : (
          <ToolServerField id={id} nodeId={nodeId} value={String(value ?? "")} onChange={onChange} disabled={disabled} />
        )}
      </Labelled>
    );
  }
  if (widget === "tool_arguments") {
    const tool = String(siblings.tool ?? "");
    return (
      <Labelled id={id} label={label} help={help}>
        <ToolArgumentsField id={id} nodeId={nodeId} server={server} tool={tool} value={(value ?? {}) as Record<string, ToolArgument>} onChange={onChange} disabled={disabled} />
      </Labelled>
    );
  }

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
    case "array":
      return <ArrayField {...props} schema={s} />;
    case "object":
      if (!s.properties) break;
      return (
        <fieldset className="field-group">
          <legend>{label}</legend>
          {help && <p className="field-help">{help}</p>}
          <ObjectFields {...props} schema={s} />
        </fieldset>
      );
  }
  if (schemaType(s) === "any") {
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

/** The fields a picked variable names when they are still empty (a template's or end node's
 * row: `variable` beside `value_selector`). */
const NAME_FIELDS = ["variable", "name"];

/** A variable name made from a picked selector's last part: `sys.query` → `query`. */
export function nameFromSelector(selector: string[]): string {
  const name = (selector[selector.length - 1] ?? "").replace(/[^A-Za-z0-9_]/g, "_");
  return /^[0-9]/.test(name) ? `_${name}` : name;
}

/** `value` with `name` set to `v`; picking a variable also fills an empty name beside it. */
function withField(s: Schema, root: Schema, value: Record<string, unknown>, name: string, v: unknown): Record<string, unknown> {
  const next = { ...value, [name]: v };
  const picked = widgetOf(unwrapNullable(s.properties?.[name] ?? {}, root).schema) === "selector";
  if (!picked || !Array.isArray(v) || !v.length) return next;
  const target = NAME_FIELDS.find((f) => f in (s.properties ?? {}) && f !== name);
  if (target && (value[target] === undefined || value[target] === null || value[target] === "")) {
    next[target] = nameFromSelector(v as string[]);
  }
  return next;
}

/** Whether a field shows beside the others: a `shown_when` hint ({sibling: [values]}) shows it
 * only while each named sibling holds one of those values (its default while unset), e.g. an
 * HTTP node's body text only for a JSON or raw body. Its value is kept while it is hidden. */
export function shownBeside(prop: Schema, siblings: Record<string, Schema>, value: Record<string, unknown>, root: Schema): boolean {
  const when = prop.shown_when;
  if (!when || typeof when !== "object") return true;
  return Object.entries(when as Record<string, unknown>).every(([name, allowed]) => {
    const current = value[name] === undefined ? resolve(siblings[name] ?? {}, root).default : value[name];
    return Array.isArray(allowed) && allowed.includes(current);
  });
}

export function ObjectFields(props: FieldProps) {
  const s = resolve(props.schema, props.root);
  const value = (props.value ?? {}) as Record<string, unknown>;
  const required = new Set(s.required ?? []);
  const siblings = s.properties ?? {};
  return (
    <Siblings.Provider value={value}>
      {Object.entries(siblings).filter(([, prop]) => shownBeside(prop, siblings, value, props.root)).map(([name, prop]) => (
        <Field
          key={name}
          path={`${props.path}.${name}`}
          name={name}
          schema={prop}
          root={props.root}
          value={value[name]}
          nodeId={props.nodeId}
          required={required.has(name)}
          disabled={props.disabled}
          onChange={(v) => props.onChange(withField(s, props.root, value, name, v))}
        />
      ))}
    </Siblings.Provider>
  );
}

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

function ArrayField(props: FieldProps) {
  const { path, name, root, nodeId, disabled } = props;
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

// Code (a template's Jinja, a code node's Python): monospace, as tall as its lines (6 to 24),
// and Tab indents by four spaces instead of leaving the field, as Python wants.
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
