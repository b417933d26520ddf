import { cleanup, fireEvent, render, screen } from "@testing-library/react";
import { afterEach, beforeEach, describe, expect, it } from "vitest";

import { currentSpec } from "../state/sync";
import { useEditor } from "../state/store";
import { ConversationPanel, parseDefault } from "./ConversationPanel";

beforeEach(() =>
  useEditor.setState({
    canEdit: true,
    mode: "chat",
    nodes: [],
    edges: [],
    conversation: [{ name: "turns", type: "number", default: 0, description: "" }],
  }),
);
afterEach(cleanup);

describe("conversation panel", () => {
  it("adds a variable, retypes it to an empty value of the new type, and saves it with the spec", () => {
    render(<ConversationPanel />);
    fireEvent.click(screen.getByText("+ Add variable"));
    const types = screen.getAllByLabelText("Type") as HTMLSelectElement[];
    fireEvent.change(types[1], { target: { value: "array[string]" } });
    fireEvent.change(screen.getAllByLabelText("Default")[1], { target: { value: '["a"]' } });
    const saved = currentSpec().conversation_variables;
    expect(saved).toEqual([
      { name: "turns", type: "number", default: 0, description: "" },
      { name: "var_2", type: "array[string]", default: ["a"], description: "" },
    ]);
  });

  it("names a taken name and keeps a half-typed one out of the saved spec", () => {
    render(<ConversationPanel />);
    fireEvent.click(screen.getByText("+ Add variable"));
    fireEvent.change(screen.getAllByLabelText("Name")[1], { target: { value: "turns" } });
    expect(screen.getByTestId("conversation-problem-1").textContent).toContain("turns is already taken");
    fireEvent.change(screen.getAllByLabelText("Name")[1], { target: { value: "1bad" } });
    expect(currentSpec().conversation_variables?.map((v) => v.name)).toEqual(["turns"]);
  });

  it("reads a default typed as JSON, and refuses text that is not JSON", () => {
    expect(parseDefault("object", '{"a": 1}')).toEqual({ a: 1 });
    expect(parseDefault("number", "many")).toBeUndefined();
    expect(parseDefault("string", "many")).toBe("many");
  });
});
