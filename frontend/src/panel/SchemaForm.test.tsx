import { cleanup, fireEvent, render, screen, within } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";

import { fakeServer, KB, kbFixture } from "../knowledge/fixtures/kb";
import type { Schema } from "../state/schema";
import { FieldIssues, newItem, ObjectFields, shownBeside } from "./SchemaForm";

// Shaped like pydantic's schema of the if-else node's config.
const ifElse: Schema = {
  type: "object",
  properties: { cases: { type: "array", items: { $ref: "#/$defs/Case" } } },
  $defs: {
    Case: {
      title: "Case",
      type: "object",
      properties: {
        id: { anyOf: [{ type: "string" }, { type: "null" }], default: null, widget: "hidden" },
        case_id: { type: "string", minLength: 1 },
        logical_operator: { enum: ["and", "or"], default: "and", type: "string" },
      },
      required: ["case_id"],
    },
  },
};

// Shaped like pydantic's schema of the HTTP request node's config (runtime/nodes/http.py), cut
// down to the fields that show for some values of another.
const http: Schema = {
  type: "object",
  properties: {
    body: { $ref: "#/$defs/HttpBody", title: "Body" },
    follow_redirects: { type: "boolean", default: true, title: "Follow redirects" },
    max_redirects: { type: "integer", default: 5, title: "Redirects at most", shown_when: { follow_redirects: [true] } },
  },
  $defs: {
    HttpBody: {
      title: "HttpBody",
      type: "object",
      properties: {
        type: { enum: ["none", "json", "x-www-form-urlencoded", "raw-text"], default: "none", type: "string", title: "Type" },
        data: { type: "string", default: "", widget: "template", title: "Content", shown_when: { type: ["json", "raw-text"] } },
        form: { type: "array", items: { $ref: "#/$defs/ParamRow" }, title: "Form fields", shown_when: { type: ["x-www-form-urlencoded"] } },
      },
    },
    ParamRow: {
      title: "ParamRow",
      type: "object",
      properties: { key: { type: "string", minLength: 1, title: "Name" }, value: { type: "string", default: "", widget: "template" } },
      required: ["key"],
    },
  },
};

afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
});

describe("schema form", () => {
  it("gives a new list item a fresh id and its defaults", () => {
    const item = newItem(ifElse.$defs!.Case, ifElse, [{ case_id: "case_2" }]);
    expect(item).toEqual({ id: null, case_id: "case_3", logical_operator: "and" });
    expect(newItem(ifElse.$defs!.Case, ifElse, [])).toMatchObject({ case_id: "case_1" });
  });

  it("renders fields from the schema, hides hidden ones and reports edits", () => {
    const onChange = vi.fn();
    render(
      <FieldIssues.Provider value={{ "n.cases.0.case_id": "String should have at least 1 character" }}>
        <ObjectFields path="n" name="" schema={ifElse} root={ifElse} value={{ cases: [{ case_id: "", logical_operator: "and" }] }} nodeId="n" required disabled={false} onChange={onChange} />
      </FieldIssues.Provider>,
    );
    expect(screen.getByText("String should have at least 1 character")).toBeTruthy();
    expect(document.getElementById("f-n.cases.0.id")).toBeNull();
    fireEvent.change(document.getElementById("f-n.cases.0.case_id")!, { target: { value: "yes" } });
    expect(onChange).toHaveBeenLastCalledWith({ cases: [{ case_id: "yes", logical_operator: "and" }] });
    fireEvent.click(screen.getByTestId("add-n.cases"));
    expect(onChange).toHaveBeenLastCalledWith({ cases: [{ case_id: "", logical_operator: "and" }, { id: null, case_id: "case_2", logical_operator: "and" }] });
  });

  it("picks a knowledge node's knowledge bases from the workspace's list", async () => {
    // the knowledge-retrieval node's dataset_ids, as pydantic writes it with its widget
    const knowledgeNode: Schema = {
      type: "object",
      properties: { dataset_ids: { type: "array", items: { type: "string" }, minItems: 1, title: "Knowledge bases", widget: "knowledge_bases" } },
    };
    fakeServer({ "GET /knowledge-bases": [kbFixture()] });
    const onChange = vi.fn();
    render(<ObjectFields path="k" name="" schema={knowledgeNode} root={knowledgeNode} value={{ dataset_ids: [] }} nodeId="k" required disabled={false} onChange={onChange} />);
    expect(screen.getByText("Knowledge bases")).toBeTruthy();
    fireEvent.click(within(await screen.findByTestId(`kb-pick-${KB}`)).getByRole("checkbox"));
    expect(onChange).toHaveBeenLastCalledWith({ dataset_ids: [KB] });
  });

  it("shows a field only while the field beside it holds a value its shown_when names", () => {
    const onChange = vi.fn();
    const form = (value: Record<string, unknown>) => <ObjectFields path="h" name="" schema={http} root={http} value={value} nodeId="h" required disabled={false} onChange={onChange} />;
    const { rerender } = render(form({}));
    // unset: the defaults decide (no body, redirects followed)
    expect(document.getElementById("f-h.body.data")).toBeNull();
    expect(screen.queryByTestId("array-h.body.form")).toBeNull();
    expect(document.getElementById("f-h.max_redirects")).toBeTruthy();
    fireEvent.change(document.getElementById("f-h.body.type")!, { target: { value: "json" } });
    expect(onChange).toHaveBeenLastCalledWith({ body: { type: "json" } });
    rerender(form({ body: { type: "json", data: "{}" }, follow_redirects: false }));
    expect((document.getElementById("f-h.body.data") as HTMLTextAreaElement).value).toBe("{}");
    expect(document.getElementById("f-h.max_redirects")).toBeNull();
    rerender(form({ body: { type: "x-www-form-urlencoded", data: "{}" } }));
    expect(document.getElementById("f-h.body.data")).toBeNull();
    fireEvent.click(screen.getByTestId("add-h.body.form"));
    expect(onChange).toHaveBeenLastCalledWith({ body: { type: "x-www-form-urlencoded", data: "{}", form: [{ key: "", value: "" }] } });
  });

  it("shows a field without a shown_when always", () => {
    expect(shownBeside({ type: "string" }, {}, {}, http)).toBe(true);
    expect(shownBeside({ shown_when: { mode: ["a"] } }, { mode: { default: "b" } }, {}, http)).toBe(false);
    expect(shownBeside({ shown_when: { mode: ["a"] } }, { mode: { default: "b" } }, { mode: "a" }, http)).toBe(true);
  });
});
