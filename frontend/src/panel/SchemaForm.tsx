// A form generated from a node type's JSON Schema. A schema's `widget` key (set by the backend)
// picks its input (widgets.tsx); otherwise the JSON type decides: a list (ArrayField.tsx), a
// group of fields for an object, or a plain input (PlainField.tsx). A `shown_when` key shows a
// field only for some values of a field beside it.
import { useContext } from "react";

import { resolve, schemaType, unwrapNullable, type Schema } from "../state/schema";
import { ArrayField } from "./ArrayField";
import { FieldIssues, humanize, Labelled, Siblings, widgetOf, type FieldProps } from "./Labelled";
import { PlainField } from "./PlainField";
import { WIDGETS } from "./widgets";

// the form's parts that its users (the node panel, the training settings) reach through here
export { newItem, rowName } from "./ArrayField";
export { FieldIssues, type FieldProps };

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
  const drawWidget = widget === undefined ? undefined : WIDGETS.get(widget);
  if (drawWidget) {
    return (
      <Labelled id={id} label={label} help={help}>
        {drawWidget({ id, label, nodeId, value, nullable, onChange, disabled, siblings })}
      </Labelled>
    );
  }
  const type = schemaType(s);
  if (type === "array") return <ArrayField {...props} schema={s} Field={Field} />;
  if (type === "object" && s.properties) {
    return (
      <fieldset className="field-group">
        <legend>{label}</legend>
        {help && <p className="field-help">{help}</p>}
        <ObjectFields {...props} schema={s} />
      </fieldset>
    );
  }
  return <PlainField id={id} label={label} help={help} schema={s} nullable={nullable} widget={widget} value={value} onChange={onChange} disabled={disabled} />;
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
