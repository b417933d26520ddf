import { cleanup, fireEvent, render, screen } from "@testing-library/react";
import { afterEach, beforeEach, describe, expect, it } from "vitest";

import { SECRET_MASK } from "../api/spec";
import { useEditor } from "../state/store";
import { EnvPanel, envNameProblem } from "./EnvPanel";

beforeEach(() =>
  useEditor.setState({
    canEdit: true,
    env: [
      { name: "TOKEN", type: "secret", value: SECRET_MASK },
      { name: "EMPTY", type: "secret", value: "" },
      { name: "REGION", type: "string", value: "eu" },
    ],
  }),
);
afterEach(cleanup);

const values = () => (screen.queryAllByLabelText("Value") as HTMLInputElement[]).map((input) => input.value);

describe("env panel", () => {
  it("shows a stored secret as set, never its value, and an unset one as empty", () => {
    render(<EnvPanel />);
    expect(screen.getByTestId("secret-TOKEN").textContent).toBe("set");
    expect(values()).toEqual(["", "eu"]); // EMPTY's password input, REGION's text input
    expect(screen.getByPlaceholderText("not set")).toBeTruthy();
    expect(values()).not.toContain(SECRET_MASK);
  });

  it("replaces a stored secret with a new value, or keeps it", () => {
    render(<EnvPanel />);
    fireEvent.click(screen.getByText("Replace"));
    const input = screen.getByPlaceholderText("new value") as HTMLInputElement;
    expect(input.type).toBe("password");
    fireEvent.change(input, { target: { value: "sk-new" } });
    expect(useEditor.getState().env[0]).toEqual({ name: "TOKEN", type: "secret", value: "sk-new" });
    fireEvent.click(screen.getByText("Keep"));
    expect(useEditor.getState().env[0].value).toBe(SECRET_MASK); // the save keeps the stored one
    expect(screen.getByTestId("secret-TOKEN").textContent).toBe("set");
  });

  it("starts a stored secret turned into a constant empty", () => {
    render(<EnvPanel />);
    fireEvent.change(screen.getAllByLabelText("Type")[0], { target: { value: "string" } });
    expect(useEditor.getState().env[0]).toEqual({ name: "TOKEN", type: "string", value: "" });
  });

  it("asks for a renamed stored secret's value again (it is kept by name)", () => {
    render(<EnvPanel />);
    fireEvent.change(screen.getAllByLabelText("Name")[0], { target: { value: "API_TOKEN" } });
    expect(useEditor.getState().env[0]).toEqual({ name: "API_TOKEN", type: "secret", value: "" });
    expect(screen.getAllByPlaceholderText("not set")).toHaveLength(2);
  });

  it("lets a viewer see only whether a secret is set", () => {
    useEditor.setState({ canEdit: false });
    render(<EnvPanel />);
    expect(screen.getByTestId("secret-TOKEN").textContent).toBe("set");
    expect(screen.queryByText("Replace")).toBeNull();
  });

  it("says beside a name what keeps the draft from saving", () => {
    render(<EnvPanel />);
    expect(screen.queryByTestId("env-problem-2")).toBeNull();
    fireEvent.change(screen.getAllByLabelText("Name")[2], { target: { value: "" } });
    expect(screen.getByTestId("env-problem-2").textContent).toBe("Name: fill this in");
    fireEvent.change(screen.getAllByLabelText("Name")[2], { target: { value: "TOKEN" } });
    expect(screen.getByTestId("env-problem-2").textContent).toBe("Name: TOKEN is already used by another variable");
    fireEvent.change(screen.getAllByLabelText("Name")[2], { target: { value: "2 words" } });
    expect(screen.getByTestId("env-problem-2").textContent).toContain("use letters, digits and _");
    expect(envNameProblem([{ name: "OK_1", type: "string", value: "" }], 0)).toBeNull();
  });
});
