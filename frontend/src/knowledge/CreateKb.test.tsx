import { cleanup, fireEvent, render, screen, waitFor } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";

import { CreateKb } from "./CreateKb";
import { EMBEDDED_ONLY, fakeServer, kbFixture, WITH_RAGFLOW } from "./fixtures/kb";
import type { BackendInfo } from "./types";

afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
});

async function renderWith(backends: BackendInfo[] | (() => Response)) {
  const server = fakeServer({ "GET /knowledge-bases/backends": backends, "POST /knowledge-bases": kbFixture({ id: "kb-7", backend: "ragflow" }) });
  const created = vi.fn();
  render(<CreateKb onCreated={created} />);
  const select = (await screen.findByTestId("kb-backend")) as HTMLSelectElement;
  return { server, created, select };
}

const options = (select: HTMLSelectElement) => Array.from(select.options).map((o) => o.value);

describe("new knowledge base: the store", () => {
  it("offers exactly the stores the server offers", async () => {
    const { select } = await renderWith(EMBEDDED_ONLY);
    await waitFor(() => expect(select.disabled).toBe(false));
    expect(options(select)).toEqual(["embedded"]);
    expect(screen.queryByTestId("kb-ragflow-dataset")).toBeNull();
  });

  it("makes a RAGFlow knowledge base linked to a dataset id, without Weft's chunking", async () => {
    const { server, created, select } = await renderWith(WITH_RAGFLOW);
    await waitFor(() => expect(options(select)).toEqual(["embedded", "ragflow"]));
    expect(screen.getByTestId("kb-chunking")).toBeTruthy();
    fireEvent.change(screen.getByTestId("kb-name"), { target: { value: "Team docs" } });
    fireEvent.change(select, { target: { value: "ragflow" } });
    expect(screen.queryByTestId("kb-chunking")).toBeNull(); // RAGFlow chunks the files itself
    expect(screen.getByTestId("kb-server-parses").textContent).toContain("parses, chunks and embeds");
    fireEvent.change(screen.getByTestId("kb-ragflow-dataset"), { target: { value: " 3f2a9c " } });
    fireEvent.click(screen.getByTestId("kb-create-submit"));
    await waitFor(() => expect(created).toHaveBeenCalled());
    expect(server.sent("POST", "/knowledge-bases")[0].body).toEqual({ name: "Team docs", description: "", backend: "ragflow", ragflow_dataset_id: "3f2a9c" });
  });

  it("sends no dataset id when it is left empty, so RAGFlow makes a new dataset", async () => {
    const { server, created, select } = await renderWith(WITH_RAGFLOW);
    await waitFor(() => expect(select.disabled).toBe(false));
    fireEvent.change(screen.getByTestId("kb-name"), { target: { value: "New docs" } });
    fireEvent.change(select, { target: { value: "ragflow" } });
    fireEvent.click(screen.getByTestId("kb-create-submit"));
    await waitFor(() => expect(created).toHaveBeenCalled());
    expect(server.sent("POST", "/knowledge-bases")[0].body).toEqual({ name: "New docs", description: "", backend: "ragflow" });
  });

  it("says why when the stores cannot be listed, and creates nothing", async () => {
    const { select } = await renderWith(() => new Response(JSON.stringify({ code: "server_error", message: "the server is restarting" }), { status: 503 }));
    expect((await screen.findByTestId("kb-create-error")).textContent).toContain("the server is restarting");
    expect(select.disabled).toBe(true);
    expect((screen.getByTestId("kb-create-submit") as HTMLButtonElement).disabled).toBe(true);
  });
});
