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

  it("checks a name once the user leaves it, in the server's words", () => {
    render(<EnvPanel />);
    const name = () => screen.getAllByLabelText("Name")[2];
    fireEvent.change(name(), { target: { value: "" } });
    expect(screen.queryByTestId("env-problem-2")).toBeNull(); // still typing
    fireEvent.blur(name());
    expect(screen.getByTestId("env-problem-2").textContent).toBe("Name (environment variable 3): fill this in");
    expect(screen.getByTestId("env-kept").textContent).toContain("stay as last saved");
    fireEvent.change(name(), { target: { value: "TOKEN" } });
    expect(screen.getByTestId("env-problem-2").textContent).toBe(
      "Name (environment variable 3): TOKEN is already the name of environment variable 1; rename one",
    );
    fireEvent.change(name(), { target: { value: "2 words" } });
    expect(screen.getByTestId("env-problem-2").textContent).toBe(
      "Name (environment variable 3): use letters, digits and _, starting with a letter or _",
    );
    expect(useEditor.getState().env[2].name).toBe("2 words"); // the typing is kept as it is
    fireEvent.change(name(), { target: { value: "OK_1" } });
    expect(screen.queryByTestId("env-problem-2")).toBeNull();
    expect(screen.queryByTestId("env-kept")).toBeNull();
    expect(envNameProblem([{ name: "OK_1", type: "string", value: "" }], 0)).toBeNull();
  });

  it("keeps a left row's check on its row when one above is removed", () => {
    render(<EnvPanel />);
    fireEvent.change(screen.getAllByLabelText("Name")[2], { target: { value: "" } });
    fireEvent.blur(screen.getAllByLabelText("Name")[2]);
    fireEvent.click(screen.getByLabelText("Remove EMPTY"));
    expect(screen.getByTestId("env-problem-1").textContent).toBe("Name (environment variable 2): fill this in");
  });

  it("turns a text value into a number, or clears text a number field cannot show", () => {
    useEditor.setState({
      env: [
        { name: "LIMIT", type: "string", value: " 3 " },
        { name: "WORD", type: "string", value: "many" },
      ],
    });
    render(<EnvPanel />);
    fireEvent.change(screen.getAllByLabelText("Type")[0], { target: { value: "number" } });
    fireEvent.change(screen.getAllByLabelText("Type")[1], { target: { value: "number" } });
    expect(useEditor.getState().env.map((v) => v.value)).toEqual([3, ""]);
    fireEvent.change(screen.getAllByLabelText("Type")[0], { target: { value: "string" } });
    expect(useEditor.getState().env[0].value).toBe("3");
  });

  it("adds a variable with a name no other has", () => {
    useEditor.setState({ env: [{ name: "VAR_2", type: "string", value: "" }] });
    render(<EnvPanel />);
    fireEvent.click(screen.getByText("+ Add variable"));
    expect(useEditor.getState().env.map((v) => v.name)).toEqual(["VAR_2", "VAR_3"]);
  });
});
