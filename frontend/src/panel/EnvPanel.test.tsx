import { cleanup, fireEvent, render, screen } from "@testing-library/react";
import { afterEach, beforeEach, describe, expect, it } from "vitest";

import { SECRET_MASK } from "../api/spec";
import { useEditor } from "../state/store";
import { EnvPanel } from "./EnvPanel";

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
});
