import { cleanup, fireEvent, render, screen, waitFor, within } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";

import { fakeServer } from "../knowledge/fixtures/kb";
import { keyChange, parseModelNames, prefilled } from "./ProviderForm";
import { ProvidersApp } from "./ProvidersApp";
import type { Provider } from "./types";

afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
  vi.restoreAllMocks();
});

const EMBEDDED: Provider = {
  name: "embedded",
  kind: "embedded",
  models: ["smollm2-135m-instruct", "weftling-v1"],
  labels: { "weftling-v1": "smollm2-135m-instruct + weftling-v1" },
  base_url: null,
  builtin: true,
  api_key_set: false,
  model_names: [],
};

function gpu(over: Partial<Provider> = {}): Provider {
  return { name: "gpu", kind: "vllm", models: ["qwen"], labels: {}, base_url: "http://gpu:8000/v1", builtin: false, api_key_set: true, model_names: ["qwen"], ...over };
}

describe("model providers page", () => {
  it("lists the workspace's servers and the built-in models read-only, for viewers without actions", async () => {
    fakeServer({ "GET /providers": [EMBEDDED, gpu()] });
    render(<ProvidersApp canAdmin={false} canEdit={false} />);
    const row = await screen.findByTestId("provider-gpu");
    expect(within(row).getByTestId("url-gpu").textContent).toContain("http://gpu:8000/v1 · API key set");
    expect(screen.getByTestId("status-gpu").dataset.status).toBe("unknown");
    expect(within(row).queryByTestId("check-gpu")).toBeNull();
    expect(within(row).queryByTestId("edit-gpu")).toBeNull();
    expect(screen.queryByTestId("provider-form")).toBeNull();
    const builtin = screen.getByTestId("builtin-embedded");
    expect(builtin.textContent).toContain("Built in");
    expect(builtin.textContent).toContain("smollm2-135m-instruct + weftling-v1");
    expect(within(builtin).queryByRole("button")).toBeNull();
  });

  it("checks a server and shows its error in words with a red dot", async () => {
    const server = fakeServer({
      "GET /providers": [gpu()],
      "POST /providers/gpu/check": { status: "error", error: "connection refused: nothing listens at http://gpu:8000/v1", models: [] },
    });
    render(<ProvidersApp canAdmin={false} canEdit />);
    fireEvent.click(await screen.findByTestId("check-gpu"));
    await waitFor(() => expect(screen.getByTestId("status-gpu").dataset.status).toBe("error"));
    expect(screen.getByTestId("check-status-gpu").textContent).toContain("connection refused: nothing listens");
    expect(server.sent("POST", "/providers/gpu/check")[0].body).toEqual({});
  });

  it("adds a provider with the models a check listed, then checks it", async () => {
    const server = fakeServer({
      "GET /providers": [EMBEDDED],
      "POST /providers/check": { status: "ok", error: "", models: ["scripted", "other"] },
      "POST /providers": gpu({ name: "scripted", model_names: ["scripted"] }),
      "POST /providers/scripted/check": { status: "ok", error: "", models: ["scripted", "other"] },
    });
    render(<ProvidersApp canAdmin canEdit />);
    fireEvent.change(await screen.findByTestId("provider-name"), { target: { value: "scripted" } });
    fireEvent.click(screen.getByTestId("provider-kind-vllm"));
    fireEvent.change(screen.getByTestId("provider-url"), { target: { value: "http://127.0.0.1:9/v1" } });
    const key = screen.getByTestId("provider-key") as HTMLInputElement;
    expect(key.type).toBe("password");
    fireEvent.change(key, { target: { value: "sk-1" } });
    fireEvent.click(screen.getByTestId("provider-form-check"));
    await waitFor(() => expect(screen.getByTestId("provider-form-status").dataset.status).toBe("ok"));
    expect(screen.getByTestId("provider-form-status").textContent).toContain("lists 2 models");
    expect((screen.getByTestId("provider-models") as HTMLTextAreaElement).value).toBe("scripted\nother");
    fireEvent.click(screen.getByTestId("listed-other")); // picked off again
    expect(server.sent("POST", "/providers/check")[0].body).toEqual({ kind: "vllm", base_url: "http://127.0.0.1:9/v1", api_key: "sk-1" });
    fireEvent.click(screen.getByTestId("provider-save"));
    await waitFor(() => expect(server.sent("POST", "/providers/scripted/check")).toHaveLength(1));
    expect(server.sent("POST", "/providers")[0].body).toEqual({ name: "scripted", kind: "vllm", base_url: "http://127.0.0.1:9/v1", api_key: "sk-1", model_names: ["scripted"] });
    expect((screen.getByTestId("provider-name") as HTMLInputElement).value).toBe(""); // ready for the next
  });

  it("edits a provider keeping the stored key that was not retyped", async () => {
    const server = fakeServer({ "GET /providers": [gpu()], "PATCH /providers/gpu": gpu(), "POST /providers/gpu/check": { status: "ok", error: "", models: ["qwen"] } });
    render(<ProvidersApp canAdmin canEdit />);
    fireEvent.click(await screen.findByTestId("edit-gpu"));
    expect((screen.getByTestId("provider-name") as HTMLInputElement).disabled).toBe(true);
    expect((screen.getByTestId("provider-key") as HTMLInputElement).placeholder).toContain("set");
    fireEvent.change(screen.getByTestId("provider-models"), { target: { value: "qwen\nqwen-lora" } });
    fireEvent.click(screen.getByTestId("provider-save"));
    await waitFor(() => expect(server.sent("PATCH", "/providers/gpu")).toHaveLength(1));
    expect(server.sent("PATCH", "/providers/gpu")[0].body).toEqual({ kind: "vllm", base_url: "http://gpu:8000/v1", model_names: ["qwen", "qwen-lora"] });
  });

  it("removes a provider and shows which published apps it leaves without a model", async () => {
    vi.spyOn(window, "confirm").mockReturnValue(true);
    let rows = [gpu()];
    const warning = "published apps use 'gpu' and fail at its nodes until a provider of that name is added again or they are republished with another model: Support bot";
    const server = fakeServer({
      "GET /providers": () => rows,
      "DELETE /providers/gpu": () => {
        rows = [];
        return { name: "gpu", used_by: [{ id: 1, name: "Support bot", slug: "support" }], warning };
      },
    });
    render(<ProvidersApp canAdmin canEdit />);
    fireEvent.click(await screen.findByTestId("remove-gpu"));
    expect((await screen.findByTestId("providers-warning")).textContent).toContain("Support bot");
    await waitFor(() => expect(screen.queryByTestId("provider-gpu")).toBeNull());
    expect(server.sent("DELETE", "/providers/gpu")).toHaveLength(1);
  });

  it("shows the server's refusal naming the field", async () => {
    fakeServer({
      "GET /providers": [],
      "POST /providers": () => new Response(JSON.stringify({ code: "invalid_param", message: "base_url is refused: it is a loopback address", field: "base_url" }), { status: 422 }),
    });
    render(<ProvidersApp canAdmin canEdit />);
    fireEvent.change(await screen.findByTestId("provider-name"), { target: { value: "x" } });
    fireEvent.change(screen.getByTestId("provider-url"), { target: { value: "http://127.0.0.1/v1" } });
    fireEvent.click(screen.getByTestId("provider-save"));
    expect((await screen.findByTestId("provider-form-error")).textContent).toContain("base_url is refused");
  });
});

describe("model providers page helpers", () => {
  it("reads model names one per line or comma-separated, without blanks or repeats", () => {
    expect(parseModelNames(" a\n\nb, c\na ")).toEqual(["a", "b", "c"]);
  });

  it("keeps a stored key unless one is typed or it is removed", () => {
    expect(keyChange("", false)).toEqual({});
    expect(keyChange("", true)).toEqual({ api_key: "" });
    expect(keyChange("sk", true)).toEqual({ api_key: "sk" });
  });

  it("fills the model names from a check only when none were typed", () => {
    expect(prefilled([], ["a", "b"])).toEqual(["a", "b"]);
    expect(prefilled(["mine"], ["a"])).toEqual(["mine"]);
  });
});
