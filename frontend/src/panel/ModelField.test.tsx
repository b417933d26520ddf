import { cleanup, fireEvent, render, screen } from "@testing-library/react";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

import type { Provider } from "../api/types";
import { useEditor } from "../state/store";
import { ModelField } from "./ModelField";

const providers: Provider[] = [
  { name: "embedded", kind: "embedded", models: ["smollm2-135m-instruct", "weftling-v1"], labels: { "weftling-v1": "smollm2-135m-instruct + weftling-v1" }, builtin: true, api_key_set: false },
  { name: "vllm", kind: "openai_compat", models: [], labels: {}, builtin: false, api_key_set: false },
];

beforeEach(() => useEditor.setState({ providers }));
afterEach(cleanup);

describe("model field", () => {
  it("lists the provider's models by label, a trained adapter as '<base> + <adapter>'", () => {
    const onChange = vi.fn();
    render(<ModelField id="f-llm.model" value={{ provider: "embedded", name: "smollm2-135m-instruct" }} onChange={onChange} disabled={false} />);
    const select = screen.getByLabelText("Model") as HTMLSelectElement;
    expect([...select.options].map((o) => o.text)).toEqual(["smollm2-135m-instruct", "smollm2-135m-instruct + weftling-v1", "Other model…"]);
    fireEvent.change(select, { target: { value: "weftling-v1" } });
    expect(onChange).toHaveBeenLastCalledWith({ provider: "embedded", name: "weftling-v1" });
  });

  it("takes a typed name for a provider without a list, or an unlisted model", () => {
    const onChange = vi.fn();
    const { rerender } = render(<ModelField id="m" value={{ provider: "vllm", name: "" }} onChange={onChange} disabled={false} />);
    fireEvent.change(screen.getByLabelText("Model name"), { target: { value: "qwen" } });
    expect(onChange).toHaveBeenLastCalledWith({ provider: "vllm", name: "qwen" });
    rerender(<ModelField id="m" value={{ provider: "embedded", name: "not-listed" }} onChange={onChange} disabled={false} />);
    expect((screen.getByLabelText("Model name") as HTMLInputElement).value).toBe("not-listed");
    fireEvent.click(screen.getByLabelText("Pick from the list"));
    expect(onChange).toHaveBeenLastCalledWith({ provider: "embedded", name: "smollm2-135m-instruct" });
  });
});
