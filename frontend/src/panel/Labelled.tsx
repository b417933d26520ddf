// What every field of a generated form shares: its props, its label with the help or problem
// under it, and the contexts it reads (the form's validation messages, the values beside it).
import { createContext, useContext, useEffect, type ReactNode } from "react";

import type { Schema } from "../state/schema";
import { isPending, usePending } from "./pending";

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

export function widgetOf(s: Schema): string | undefined {
  return typeof s.widget === "string" ? s.widget : undefined;
}

/** Validation messages by field path (`<node id>.<pydantic loc>`), shown under their fields. */
export const FieldIssues = createContext<Record<string, string>>({});

/** The values of the object a field is in (the node's config, or one row of a list). */
export const Siblings = createContext<Record<string, unknown>>({});

export function Labelled({ id, label, help, children, inline }: { id: string; label: string; help?: string; children: ReactNode; inline?: boolean }) {
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
