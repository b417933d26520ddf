import { cleanup, fireEvent, render } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";

import type { Schema } from "../state/schema";
import { ObjectFields } from "./SchemaForm";

// Shaped like pydantic's schema of the code node's config (runtime/nodes/code.py).
const codeNode: Schema = {
  type: "object",
  properties: {
    code_language: { const: "python3", default: "python3", type: "string", widget: "hidden" },
    code: { type: "string", title: "Code", maxLength: 65536, widget: "code", default: "" },
    outputs: { type: "array", title: "Outputs", items: { $ref: "#/$defs/CodeOutput" } },
  },
  $defs: {
    CodeOutput: {
      type: "object",
      properties: {
        variable: { type: "string", title: "Output name", pattern: "^[A-Za-z_][A-Za-z0-9_]*$" },
        type: { enum: ["string", "number", "boolean", "object", "array[string]", "array[number]", "array[boolean]", "array[object]"], default: "string", type: "string", title: "Type" },
      },
      required: ["variable"],
    },
  },
};

const MAIN = 'def main(arg1: str) -> dict:\n    return {\n        "result": arg1,\n    }\n';

afterEach(cleanup);

describe("code node panel", () => {
  it("edits Python in a monospace area where Tab indents, and types each output", () => {
    const onChange = vi.fn();
    const value = { code: MAIN, outputs: [{ variable: "result", type: "string" }] };
    render(<ObjectFields path="c" name="" schema={codeNode} root={codeNode} value={value} nodeId="c" required disabled={false} onChange={onChange} />);
    const area = document.getElementById("f-c.code") as HTMLTextAreaElement;
    expect(area.tagName).toBe("TEXTAREA");
    expect(area.className).toContain("mono");
    expect(area.rows).toBe(6);
    expect(document.getElementById("f-c.code_language")).toBeNull();
    area.setSelectionRange(0, 0);
    fireEvent.keyDown(area, { key: "Tab" });
    expect(onChange).toHaveBeenLastCalledWith({ ...value, code: "    " + MAIN });
    const type = document.getElementById("f-c.outputs.0.type") as HTMLSelectElement;
    expect(Array.from(type.options).map((o) => o.value)).toContain("array[object]");
    fireEvent.change(type, { target: { value: "number" } });
    expect(onChange).toHaveBeenLastCalledWith({ ...value, outputs: [{ variable: "result", type: "number" }] });
  });

  it("grows with the code, up to 24 rows", () => {
    const long = Array.from({ length: 40 }, (_, i) => `x${i} = ${i}`).join("\n");
    render(<ObjectFields path="c" name="" schema={codeNode} root={codeNode} value={{ code: long, outputs: [] }} nodeId="c" required disabled={false} onChange={vi.fn()} />);
    expect((document.getElementById("f-c.code") as HTMLTextAreaElement).rows).toBe(24);
  });
});
