// The panels of the question classifier (its classes: each one a branch), the parameter
// extractor (its parameters: each one an output) and the agent (its tools, each picked from the
// workspace's tool servers), generated from the backend's real schemas.
import { cleanup, fireEvent, render, screen, within } from "@testing-library/react";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

import { fakeServer } from "../knowledge/fixtures/kb";
import type { Json } from "../api/spec";
import type { NodeTypeInfo } from "../api/types";
import { specToGraph } from "../state/graph";
import { emptyHistory } from "../state/history";
import { emptyReport, useEditor } from "../state/store";
import catalog from "./fixtures/llmNodes.json";
import { NodePanel } from "./NodePanel";
import { usePending } from "./pending";
import { newItem, rowName } from "./SchemaForm";

const types = catalog as unknown as NodeTypeInfo[];
const defaults = (type: string) => types.find((t) => t.type === type)!.defaults.chat as Json;

function open(type: string, config: Json) {
  const g = specToGraph({ mode: "chat", nodes: [{ id: "n", type, title: type, config }], edges: [] });
  useEditor.setState({ ...g, mode: "chat", env: [], canEdit: true, history: emptyHistory(), docVersion: 0, report: emptyReport, nodeIssues: {}, panel: null });
  useEditor.getState().setCatalog(types);
  useEditor.getState().select(["n"]);
  render(<NodePanel />);
}

function config(): Record<string, unknown> {
  return useEditor.getState().nodes.find((n) => n.id === "n")!.data.config as Record<string, unknown>;
}

function input(path: string): HTMLInputElement {
  return document.getElementById(`f-n.${path}`) as HTMLInputElement;
}

afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
});
beforeEach(() => usePending.setState({ paths: [] }));

describe("the question classifier's classes", () => {
  const start = () => open("question_classifier", defaults("question_classifier"));

  it("starts with two classes, each shown by its label and never its id", () => {
    start();
    expect(input("classes.0.name").value).toBe("Class 1");
    expect(input("classes.1.name").value).toBe("Class 2");
    expect(input("classes.0.id")).toBeNull(); // the id is the branch's handle: not typed
    expect(screen.getByRole("button", { name: "Remove Class 1" })).toBeTruthy();
  });

  it("adds a class with a fresh id, renames one, and removes one", () => {
    start();
    fireEvent.click(screen.getByTestId("add-n.classes"));
    expect(config().classes).toEqual([
      { id: "class_1", name: "Class 1" },
      { id: "class_2", name: "Class 2" },
      { id: "class_3", name: "" },
    ]);
    fireEvent.change(input("classes.2.name"), { target: { value: "Refunds" } });
    fireEvent.change(input("classes.0.name"), { target: { value: "Billing" } });
    fireEvent.click(screen.getByRole("button", { name: "Remove Class 2" }));
    // the others keep their ids, so the edges leaving their branches stay
    expect(config().classes).toEqual([
      { id: "class_1", name: "Billing" },
      { id: "class_3", name: "Refunds" },
    ]);
    fireEvent.click(screen.getByTestId("add-n.classes"));
    expect((config().classes as { id: string }[])[2].id).toBe("class_4"); // class_3 is taken
  });

  it("names a list's rows by its item hint", () => {
    expect(rowName({ item: "class" }, "classes")).toBe("Class");
    expect(rowName({}, "parameters")).toBe("Parameter");
    expect(newItem({ type: "object", properties: { id: { type: "string" } } }, {}, [], "Class")).toEqual({ id: "class_1" });
  });
});

describe("the parameter extractor's parameters", () => {
  it("adds a parameter with a name, a type, whether it is required and its options", () => {
    open("parameter_extractor", defaults("parameter_extractor"));
    expect(config().parameters).toEqual([]);
    fireEvent.click(screen.getByTestId("add-n.parameters"));
    expect(config().parameters).toEqual([{ name: "", type: "string", description: "", required: false, options: [] }]);
    fireEvent.change(input("parameters.0.name"), { target: { value: "size" } });
    const type = input("parameters.0.type") as unknown as HTMLSelectElement;
    expect([...type.options].map((o) => o.value)).toEqual(["string", "number", "boolean", "array[string]", "array[number]", "object"]);
    fireEvent.click(input("parameters.0.required"));
    fireEvent.change(document.getElementById("f-n.parameters.0.options")!, { target: { value: "small\nlarge" } });
    expect(config().parameters).toEqual([{ name: "size", type: "string", description: "", required: true, options: ["small", "large"] }]);
    fireEvent.change(type, { target: { value: "number" } });
    expect((config().parameters as { type: string }[])[0].type).toBe("number");
    fireEvent.click(screen.getByRole("button", { name: "Remove Parameter 1" }));
    expect(config().parameters).toEqual([]);
  });

  it("offers the reasoning mode and the switch that makes a bad answer fail the node", () => {
    open("parameter_extractor", defaults("parameter_extractor"));
    const mode = input("reasoning_mode") as unknown as HTMLSelectElement;
    expect([...mode.options].map((o) => o.value)).toEqual(["json_schema", "prompt"]);
    expect(input("fail_on_error").type).toBe("checkbox");
  });
});

describe("the agent's tools", () => {
  const tool = (name: string, description = "") => ({ name, description, input_schema: { type: "object", properties: {} } });
  const select = (path: string) => input(path) as unknown as HTMLSelectElement;
  const names = (el: HTMLSelectElement) => [...el.options].map((o) => o.value);

  it("picks each tool's server, then one of that server's tools, in its own row", async () => {
    fakeServer({
      "GET /tool-servers": [
        { name: "clock", tools: [tool("get_current_time", "The time in a timezone."), tool("convert_time")] },
        { name: "git", tools: [tool("git_status")] },
      ],
    });
    open("agent", defaults("agent"));
    fireEvent.click(screen.getByTestId("add-n.tools"));
    fireEvent.click(screen.getByTestId("add-n.tools"));
    expect(config().tools).toEqual([{ server: "", tool: "" }, { server: "", tool: "" }]);
    await within(select("tools.0.server")).findByRole("option", { name: "clock" });
    expect(names(select("tools.0.server"))).toEqual(["", "clock", "git"]);
    expect(names(select("tools.0.tool"))).toEqual([""]); // no server yet: no tools

    fireEvent.change(select("tools.0.server"), { target: { value: "clock" } });
    fireEvent.change(select("tools.1.server"), { target: { value: "git" } });
    expect(names(select("tools.0.tool"))).toEqual(["", "get_current_time", "convert_time"]);
    expect(names(select("tools.1.tool"))).toEqual(["", "git_status"]);
    fireEvent.change(select("tools.0.tool"), { target: { value: "get_current_time" } });
    fireEvent.change(select("tools.1.tool"), { target: { value: "git_status" } });
    expect(config().tools).toEqual([
      { server: "clock", tool: "get_current_time" },
      { server: "git", tool: "git_status" },
    ]);
    expect(screen.getByTestId("array-n.tools").textContent).toContain("The time in a timezone.");
  });

  it("keeps a tool its server no longer offers, marked as not found", async () => {
    fakeServer({ "GET /tool-servers": [{ name: "clock", tools: [tool("convert_time")] }] });
    open("agent", { ...defaults("agent"), tools: [{ server: "clock", tool: "get_current_time" }] });
    await within(select("tools.0.tool")).findByRole("option", { name: "convert_time" });
    expect(select("tools.0.tool").value).toBe("get_current_time");
    expect(select("tools.0.tool").selectedOptions[0].textContent).toBe("get_current_time (not found)");
  });
});
