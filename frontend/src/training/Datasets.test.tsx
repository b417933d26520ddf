import { cleanup, fireEvent, render, screen, waitFor } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";

import { ApiFailure } from "../api/client";
import { DatasetErrors } from "./DatasetForms";
import { DatasetsTab, DatasetView } from "./Datasets";

afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
  window.location.hash = "";
});

describe("datasets tab", () => {
  it("lists each bad row of a 422 by index and field", () => {
    const err = new ApiFailure(422, "bad_dataset", "row 3: instruction missing", {
      problems: [
        { row: 3, field: "instruction", message: "missing or empty" },
        { row: null, field: "", message: "not JSON" },
      ],
      total: 5,
    });
    render(<DatasetErrors error={err} />);
    const box = screen.getByTestId("dataset-errors");
    const rows = box.querySelectorAll("tbody tr");
    expect([...rows].map((r) => [r.getAttribute("data-row"), r.getAttribute("data-field")])).toEqual([
      ["3", "instruction"],
      ["", ""],
    ]);
    expect(box.textContent).toContain("5 problems; nothing was stored.");
    expect(box.textContent).toContain("…and 3 more.");
  });

  it("makes the identity demo dataset from a name and makers, then opens it", async () => {
    const calls: [string, RequestInit | undefined][] = [];
    vi.stubGlobal(
      "fetch",
      vi.fn(async (url: string, init?: RequestInit) => {
        calls.push([url, init]);
        if (url === "/api/training/datasets/identity") return new Response(JSON.stringify({ id: 5 }), { status: 201 });
        return new Response("[]", { status: 200 });
      }),
    );
    render(<DatasetsTab canEdit formats={["auto", "alpaca", "sharegpt"]} />);
    expect((screen.getByTestId("identity-create") as HTMLButtonElement).disabled).toBe(true);
    fireEvent.change(screen.getByTestId("identity-name"), { target: { value: "Weftling" } });
    fireEvent.change(screen.getByTestId("identity-author"), { target: { value: "the Weft team" } });
    fireEvent.click(screen.getByTestId("identity-create"));
    await waitFor(() => expect(window.location.hash).toBe("#datasets/5"));
    const post = calls.find(([url]) => url === "/api/training/datasets/identity")!;
    expect(post[1]!.method).toBe("POST");
    expect(JSON.parse(String(post[1]!.body))).toMatchObject({ assistant_name: "Weftling", author: "the Weft team" });
  });

  it("shows the identity demo's examples as hints, not as names already filled in", () => {
    vi.stubGlobal("fetch", vi.fn(async () => new Response("[]", { status: 200 })));
    render(<DatasetsTab canEdit formats={["auto"]} />);
    for (const id of ["identity-name", "identity-author"]) {
      const input = screen.getByTestId(id) as HTMLInputElement;
      expect(input.value).toBe("");
      expect(input.placeholder).toMatch(/^e\.g\. /);
    }
  });

  it("leaves a deleted dataset's address out of the history", async () => {
    const stats = { rows: 2, tokens: 40, min_len: 10, max_len: 30, mean_len: 20, over_cutoff: 0, cutoff: 1024, histogram: { edges: [0, 32], counts: [2] }, base_model: "embedded" };
    const detail = { id: 5, workspace_id: 1, name: "Old data", format: "alpaca", ranking: false, file_name: "old.json", size_bytes: 10, rows: 2, tokens: 40, created_at: "2025-01-01T00:00:00Z", stats, preview: [], columns: {}, tags: {} };
    const deleted = vi.fn(() => new Response(null, { status: 204 }));
    vi.stubGlobal(
      "fetch",
      vi.fn(async (_url: string, init?: RequestInit) => (init?.method === "DELETE" ? deleted() : new Response(JSON.stringify(detail), { status: 200 }))),
    );
    vi.stubGlobal("confirm", () => true);
    window.location.hash = "#datasets/5";
    const depth = window.history.length;
    render(<DatasetView id="5" canEdit isAdmin />);
    fireEvent.click(await screen.findByText("Delete"));
    await waitFor(() => expect(window.location.hash).toBe("#datasets"));
    expect(deleted).toHaveBeenCalled();
    expect(window.history.length).toBe(depth);
  });
});
