import { cleanup, fireEvent, render, screen, waitFor } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";

import { EMBEDDED_ONLY, fakeServer, KB, kbFixture } from "./fixtures/kb";
import { KbList } from "./KbList";

afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
  window.location.hash = "";
});

describe("knowledge base list", () => {
  it("lists the workspace's knowledge bases with their counts", async () => {
    fakeServer({ "GET /knowledge-bases": [kbFixture(), kbFixture({ id: "kb-4", name: "Support", chunking: { mode: "qa", size: 256, overlap: 0, separators: [], parent_size: 1024 } })] });
    render(<KbList canEdit={false} />);
    const row = await screen.findByTestId(`kb-row-${KB}`);
    expect(row.textContent).toContain("Handbook");
    expect(row.textContent).toContain("General");
    expect(screen.getByTestId("kb-row-kb-4").textContent).toContain("Q&A pairs");
    expect(screen.queryByTestId("kb-create")).toBeNull(); // viewers make none
  });

  it("makes a parent-child knowledge base with its sizes, then opens it", async () => {
    const server = fakeServer({ "GET /knowledge-bases": [], "GET /knowledge-bases/backends": EMBEDDED_ONLY, "POST /knowledge-bases": kbFixture({ id: "kb-9" }) });
    render(<KbList canEdit />);
    expect((await screen.findByText("No knowledge bases yet")).textContent).toBeTruthy();
    fireEvent.change(screen.getByTestId("kb-name"), { target: { value: "Policies" } });
    await waitFor(() => expect((screen.getByTestId("kb-backend") as HTMLSelectElement).disabled).toBe(false));
    fireEvent.click(screen.getByTestId("chunking-parent_child"));
    fireEvent.change(screen.getByTestId("chunk-parent-size"), { target: { value: "800" } });
    fireEvent.change(screen.getByLabelText("Separator"), { target: { value: "\\n" } });
    fireEvent.click(screen.getByTestId("kb-create-submit"));
    await waitFor(() => expect(window.location.hash).toBe("#kb/kb-9"));
    expect(server.sent("POST", "/knowledge-bases")[0].body).toEqual({
      name: "Policies",
      description: "",
      backend: "embedded",
      chunking: { mode: "parent_child", size: 128, overlap: 16, separators: ["\n"], parent_size: 800 },
    });
  });

  it("shows the server's refusal, naming the field", async () => {
    fakeServer({
      "GET /knowledge-bases": [],
      "GET /knowledge-bases/backends": EMBEDDED_ONLY,
      "POST /knowledge-bases": () => new Response(JSON.stringify({ code: "bad_settings", message: "chunking.overlap must be at most half the chunk size (128)", field: "chunking.overlap" }), { status: 422 }),
    });
    render(<KbList canEdit />);
    fireEvent.change(await screen.findByTestId("kb-name"), { target: { value: "Policies" } });
    await waitFor(() => expect((screen.getByTestId("kb-backend") as HTMLSelectElement).disabled).toBe(false));
    fireEvent.change(screen.getByTestId("chunk-overlap"), { target: { value: "200" } });
    fireEvent.click(screen.getByTestId("kb-create-submit"));
    expect((await screen.findByTestId("kb-create-error")).textContent).toContain("chunking.overlap must be at most half");
    expect(window.location.hash).toBe("");
  });
});
