// The start node's form as the run panel uses it: values kept in the run session (so they
// survive closing the panel), errors shown once the user has tried to run.
import { useMemo, useState } from "react";

import { useEditor } from "../state/store";
import { collectInputs, startVariables, type FormValues, type StartVariable } from "./format";
import { patchSession, useRunSession } from "./session";

export interface StartForm {
  vars: StartVariable[];
  typed: FormValues;
  errors: Record<string, string>;
  onChange: (name: string, value: string | boolean) => void;
  /** The inputs to run with, or null (errors now showing) when a field needs fixing. */
  submit: () => Record<string, unknown> | null;
}

export function useStartForm(): StartForm {
  const nodes = useEditor((s) => s.nodes);
  const types = useEditor((s) => s.types);
  const vars = useMemo(() => startVariables(nodes, types), [nodes, types]);
  const typed = useRunSession((s) => s.form);
  const serverError = useRunSession((s) => s.error);
  const [tried, setTried] = useState(false);
  const result = collectInputs(vars, typed);
  const errors = tried ? { ...result.errors } : {};
  // The server checks inputs too (invalid_param names the field): show its word on the field.
  const field = serverError?.code === "invalid_param" ? serverError.field?.replace(/^inputs\./, "") : undefined;
  if (field && vars.some((v) => v.variable === field) && !errors[field]) errors[field] = serverError!.message;
  return {
    vars,
    typed,
    errors,
    onChange: (name, value) => patchSession({ form: { ...useRunSession.getState().form, [name]: value } }),
    submit: () => {
      setTried(true);
      return Object.keys(result.errors).length ? null : result.inputs;
    },
  };
}
