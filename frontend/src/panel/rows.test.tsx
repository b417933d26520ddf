import { act, fireEvent, render, screen } from "@testing-library/react";
import { useState } from "react";
import { beforeEach, describe, expect, it } from "vitest";

import { edge, node, setEditor } from "../run/testing";
import type { Schema } from "../state/schema";
import { isPending, shownIssues, usePending } from "./pending";
import { FieldIssues, nameFromSelector, ObjectFields } from "./SchemaForm";

// Shaped like pydantic's schema of the template node's config.
const template: Schema = {
  type: "object",
  properties: { variables: { type: "array", items: { $ref: "#/$defs/TemplateVariable" } } },
  $defs: {
    TemplateVariable: {
      title: "TemplateVariable",
      type: "object",
      properties: {
        variable: { title: "Variable name", type: "string", pattern: "^[A-Za-z_][A-Za-z0-9_]*$" },
        value_selector: { title: "Value Selector", type: "array", items: { type: "string" }, minItems: 2, widget: "selector" },
      },
      required: ["variable", "value_selector"],
    },
  },
};

const NAME_PROBLEM = "Variable name (variable 1): use letters, digits and _, starting with a letter or _";

let latest: unknown = null;

function Form({ initial, issues = {} }: { initial: unknown; issues?: Record<string, string> }) {
  const [value, setValue] = useState(initial);
  latest = value;
  return (
    <FieldIssues.Provider value={issues}>
      <ObjectFields path="tpl" name="" schema={template} root={template} value={value} nodeId="tpl" required disabled={false} onChange={setValue} />
      <button type="button" data-testid="elsewhere">
        elsewhere
      </button>
    </FieldIssues.Provider>
  );
}

beforeEach(() => {
  usePending.setState({ paths: [] });
  latest = null;
  setEditor([node("llm", "llm", "Ask"), node("tpl", "template", "Render")], [edge("llm", "tpl")], {
    report: { issues: [], nodes: { llm: { outputs: { text: "string" }, handles: ["source"], references: [] } }, globals: { sys: {}, env: {} } },
  });
});

function pick(option: string): void {
  fireEvent.click(screen.getByTestId("var-picker"));
  fireEvent.click(screen.getByTestId(`var-option-${option}`));
}

describe("rows of a list field", () => {
  it("fills an empty row name from the picked variable", () => {
    render(<Form initial={{ variables: [{ variable: "", value_selector: [] }] }} />);
    pick("llm.text");
    expect(latest).toEqual({ variables: [{ variable: "text", value_selector: ["llm", "text"] }] });
  });

  it("keeps a name the user typed when a variable is picked", () => {
    render(<Form initial={{ variables: [{ variable: "answer", value_selector: [] }] }} />);
    pick("llm.text");
    expect(latest).toEqual({ variables: [{ variable: "answer", value_selector: ["llm", "text"] }] });
  });

  it("makes a valid name of any picked output", () => {
    expect(nameFromSelector(["sys", "query"])).toBe("query");
    expect(nameFromSelector(["n", "2nd-part"])).toBe("_2nd_part");
  });

  it("shows a new row's problems only once the user leaves the row", () => {
    const issues = { "tpl.variables.0.variable": NAME_PROBLEM };
    render(<Form initial={{ variables: [] }} issues={issues} />);
    fireEvent.click(screen.getByTestId("add-tpl.variables"));
    const name = document.getElementById("f-tpl.variables.0.variable") as HTMLInputElement;
    expect(document.activeElement).toBe(name); // the new row has the focus
    expect(screen.queryByText(NAME_PROBLEM)).toBeNull();
    expect(usePending.getState().paths).toEqual(["tpl.variables.0", "tpl.variables.0.variable"]);

    // moving within the row (to its variable picker) still waits
    act(() => (document.getElementById("f-tpl.variables.0.value_selector") as HTMLElement).focus());
    expect(screen.queryByText(NAME_PROBLEM)).toBeNull();

    act(() => screen.getByTestId("elsewhere").focus());
    expect(screen.getByText(NAME_PROBLEM)).toBeTruthy();
    expect(usePending.getState().paths).toEqual([]);
  });

  it("shows the problems of rows the user is not filling in at once", () => {
    render(<Form initial={{ variables: [{ variable: "", value_selector: ["llm", "text"] }] }} issues={{ "tpl.variables.0.variable": NAME_PROBLEM }} />);
    expect(screen.getByText(NAME_PROBLEM)).toBeTruthy();
  });

  it("holds back the panel's issues of a row being filled in, not the others", () => {
    const issues = [
      { code: "bad_config", message: NAME_PROBLEM, node_id: "tpl", field: "variables.0.variable" },
      { code: "bad_config", message: "Variable 2: pick a variable", node_id: "tpl", field: "variables.1" },
      { code: "unreachable", message: "node tpl cannot be reached", node_id: "tpl", field: null },
    ];
    const rows = ["tpl.variables.0"];
    expect(shownIssues(rows, "tpl", issues).map((i) => i.field)).toEqual(["variables.1", null]);
    expect(isPending(rows, "tpl.variables.10")).toBe(false);
  });
});

const plain: Schema = { type: "object", properties: { prompt: { title: "Prompt", type: "string" } } };
const PROMPT_PROBLEM = "Prompt: fill this in";

function PlainForm({ issues }: { issues: Record<string, string> }) {
  const [value, setValue] = useState<unknown>({ prompt: "Hi" });
  return (
    <FieldIssues.Provider value={issues}>
      <ObjectFields path="llm" name="" schema={plain} root={plain} value={value} nodeId="llm" required disabled={false} onChange={setValue} />
      <button type="button" data-testid="elsewhere">
        elsewhere
      </button>
    </FieldIssues.Provider>
  );
}

describe("a field being typed into", () => {
  it("does not turn red until the user leaves it", () => {
    const { rerender } = render(<PlainForm issues={{}} />);
    const prompt = document.getElementById("f-llm.prompt") as HTMLInputElement;
    act(() => prompt.focus());
    fireEvent.change(prompt, { target: { value: "" } });
    rerender(<PlainForm issues={{ "llm.prompt": PROMPT_PROBLEM }} />); // the server's check comes back
    expect(screen.queryByText(PROMPT_PROBLEM)).toBeNull();
    expect(prompt.closest(".field")!.className).not.toContain("field-invalid");
    expect(shownIssues(usePending.getState().paths, "llm", [{ code: "bad_config", message: PROMPT_PROBLEM, node_id: "llm", field: "prompt" }])).toEqual([]);

    act(() => screen.getByTestId("elsewhere").focus());
    expect(screen.getByText(PROMPT_PROBLEM)).toBeTruthy();
    expect(prompt.closest(".field")!.className).toContain("field-invalid");
  });

  it("keeps showing a problem it already showed when the user comes to fix it", () => {
    render(<PlainForm issues={{ "llm.prompt": PROMPT_PROBLEM }} />);
    act(() => (document.getElementById("f-llm.prompt") as HTMLElement).focus());
    expect(screen.getByText(PROMPT_PROBLEM)).toBeTruthy();
    expect(usePending.getState().paths).toEqual([]);
  });

  it("is no longer waited on once it leaves the form", () => {
    const { unmount } = render(<PlainForm issues={{}} />);
    act(() => (document.getElementById("f-llm.prompt") as HTMLElement).focus());
    expect(usePending.getState().paths).toEqual(["llm.prompt"]);
    unmount();
    expect(usePending.getState().paths).toEqual([]);
  });
});
