import { cleanup, fireEvent, render, screen, waitFor } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";

import type { TrainingOptions } from "../api/types";
import optionsJson from "./fixtures/options.json";
import { NewJob } from "./NewJob";

const options = optionsJson as unknown as TrainingOptions;
const identity = { id: 7, workspace_id: 1, name: "Weftling identity", format: "alpaca", ranking: false, file_name: "identity.json", size_bytes: 9000, rows: 91, tokens: 4000, created_at: "2025-01-01T00:00:00Z" };

function json(status: number, body: unknown) {
  return new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json" } });
}

function mockApi(onCreate: (body: Record<string, unknown>) => Response, datasets: unknown[] = [identity]) {
  const fetchMock = vi.fn(async (url: string, init?: RequestInit) => {
    if (url === "/api/training/datasets") return json(200, datasets);
    if (url === "/api/training/adapters") return json(200, []);
    if (url === "/api/training/jobs" && init?.method === "POST") return onCreate(JSON.parse(String(init.body)));
    return json(404, { code: "not_found", message: url });
  });
  vi.stubGlobal("fetch", fetchMock);
  return fetchMock;
}

afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
  window.location.hash = "";
});

describe("new job form", () => {
  it("renders the settings from the schema with their defaults and sends only the changes", async () => {
    let sent: Record<string, unknown> = {};
    mockApi((body) => {
      sent = body;
      return json(201, { id: "job-1" });
    });
    render(<NewJob options={options} prefill={{ datasetIds: [7] }} />);
    await screen.findByText("Weftling identity");
    expect((document.getElementById("f-settings.learning_rate") as HTMLInputElement).value).toBe("");
    expect((document.getElementById("f-settings.learning_rate") as HTMLInputElement).placeholder).toBe("auto");
    expect((document.getElementById("f-settings.lora.rank") as HTMLInputElement).value).toBe("8");
    expect((document.getElementById("f-settings.packing") as HTMLSelectElement).value).toBe("auto");
    expect(screen.getByTestId("keep-general").textContent).toContain("self-distilled general examples per training example, so the model keeps its general skills");
    expect(screen.getByTestId("stage-why").textContent).toMatch(/dpo.*preference dataset/);
    expect((screen.getByTestId("job-dataset-7") as HTMLInputElement).checked).toBe(true);

    fireEvent.change(screen.getByTestId("job-name"), { target: { value: "Identity v1" } });
    fireEvent.change(document.getElementById("f-settings.lora.rank")!, { target: { value: "16" } });
    fireEvent.change(screen.getByLabelText("Replay ratio"), { target: { value: "2" } });
    expect((screen.getByLabelText("Consolidation weight") as HTMLInputElement).value).toBe("12");
    fireEvent.change(screen.getByLabelText("Consolidation weight"), { target: { value: "24" } });
    fireEvent.click(screen.getByTestId("job-start"));
    await waitFor(() => expect(window.location.hash).toBe("#jobs/job-1"));
    expect(sent).toEqual({
      name: "Identity v1",
      base_model: "embedded",
      stage: "sft",
      dataset_ids: [7],
      settings: { lora: { rank: 16, alpha: 16, dropout: 0, target: "all-linear" }, replay_ratio: 2, consolidate: 24 },
      adapter_name: "",
    });
  });

  it("stops out-of-range values before sending and shows a 422 under the setting it names", async () => {
    const create = vi.fn(() => json(422, { code: "bad_setting", message: "batch_size 512 does not fit in memory", field: "batch_size", setting: "batch_size" }));
    mockApi(create);
    render(<NewJob options={options} prefill={{ datasetIds: [7] }} />);
    await screen.findByText("Weftling identity");
    fireEvent.change(screen.getByTestId("job-name"), { target: { value: "too big" } });
    fireEvent.change(document.getElementById("f-settings.val_size")!, { target: { value: "1.5" } });
    fireEvent.click(screen.getByTestId("job-start"));
    expect(await screen.findByText("Less than 1")).toBeTruthy();
    expect(create).not.toHaveBeenCalled();

    fireEvent.change(document.getElementById("f-settings.val_size")!, { target: { value: "0.1" } });
    fireEvent.change(document.getElementById("f-settings.batch_size")!, { target: { value: "512" } });
    fireEvent.click(screen.getByTestId("job-start"));
    await waitFor(() => expect(create).toHaveBeenCalled());
    const field = document.getElementById("f-settings.batch_size")!.closest(".field")!;
    await waitFor(() => expect(field.textContent).toContain("batch_size 512 does not fit in memory"));
    expect(field.className).toContain("field-invalid");
  });

  it("ticks the workspace's only dataset, and not one of several", async () => {
    mockApi(() => json(201, { id: "job-1" }));
    render(<NewJob options={options} prefill={{}} />);
    await screen.findByText("Weftling identity");
    expect((screen.getByTestId("job-dataset-7") as HTMLInputElement).checked).toBe(true);
    cleanup();

    mockApi(() => json(201, { id: "job-1" }), [identity, { ...identity, id: 8, name: "Support answers" }]);
    render(<NewJob options={options} prefill={{}} />);
    await screen.findByText("Support answers");
    expect((screen.getByTestId("job-dataset-7") as HTMLInputElement).checked).toBe(false);
    expect((screen.getByTestId("job-dataset-8") as HTMLInputElement).checked).toBe(false);
  });

  it("shows the job name's example as a hint, not a value the job would get", async () => {
    mockApi(() => json(201, { id: "job-1" }));
    render(<NewJob options={options} prefill={{}} />);
    const name = (await screen.findByTestId("job-name")) as HTMLInputElement;
    expect(name.value).toBe("");
    expect(name.placeholder).toMatch(/^e\.g\. /);
    fireEvent.click(screen.getByTestId("job-start"));
    expect(await screen.findByText("Give the job a name")).toBeTruthy();
  });

  it("goes to the started job's own address in place of the form's", async () => {
    mockApi(() => json(201, { id: "job-2" }));
    window.location.hash = "#jobs/new";
    const depth = window.history.length;
    render(<NewJob options={options} prefill={{}} />);
    await screen.findByText("Weftling identity");
    fireEvent.change(screen.getByTestId("job-name"), { target: { value: "identity-v2" } });
    fireEvent.click(screen.getByTestId("job-start"));
    await waitFor(() => expect(window.location.hash).toBe("#jobs/job-2"));
    expect(window.history.length).toBe(depth); // Back leaves the job for the list, not the used form
  });
});
