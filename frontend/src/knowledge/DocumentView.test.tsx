import { cleanup, fireEvent, render, screen, waitFor, within } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";

import { DocumentView } from "./DocumentView";
import { DOC, docFixture, fakeServer, KB, kbFixture, listFixture } from "./fixtures/kb";
import type { KbChunk } from "./types";

afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
});

const chunk = (index: number, over: Partial<KbChunk> = {}): KbChunk => ({ id: `c${index}`, index, text: `Chunk ${index} text.`, parent_text: null, enabled: true, edited: false, ...over });

function server(extra: Record<string, unknown> = {}) {
  return fakeServer({
    [`GET /knowledge-bases/${KB}/documents`]: listFixture([docFixture({ metadata: { year: 2024 } })]),
    [`GET /knowledge-bases/${KB}/documents/${DOC}/chunks`]: { total: 2, chunks: [chunk(0), chunk(1, { parent_text: "The whole section." })] },
    ...extra,
  });
}

describe("a document's view", () => {
  it("edits a chunk's text and disables another", async () => {
    const s = server({
      [`PATCH /knowledge-bases/${KB}/chunks/c0`]: (body: unknown) => ({ ...chunk(0), ...(body as object), edited: true }),
      [`PATCH /knowledge-bases/${KB}/chunks/c1`]: (body: unknown) => ({ ...chunk(1, { parent_text: "The whole section." }), ...(body as object) }),
    });
    render(<DocumentView kb={kbFixture()} docId={DOC} canEdit onChanged={() => undefined} />);
    const [first, second] = await screen.findAllByTestId("kb-chunk");
    expect(second.textContent).toContain("Parent section");
    fireEvent.click(within(first).getByTestId("kb-chunk-edit"));
    fireEvent.change(within(first).getByTestId("kb-chunk-text"), { target: { value: "Leave: 25 days." } });
    fireEvent.click(within(first).getByTestId("kb-chunk-save"));
    await waitFor(() => expect(screen.getAllByTestId("kb-chunk")[0].textContent).toContain("edited"));
    expect(screen.getAllByTestId("kb-chunk")[0].textContent).toContain("Leave: 25 days.");
    expect(s.sent("PATCH", `/knowledge-bases/${KB}/chunks/c0`)[0].body).toEqual({ text: "Leave: 25 days." });
    fireEvent.click(within(screen.getAllByTestId("kb-chunk")[1]).getByTestId("kb-chunk-toggle"));
    await waitFor(() => expect(screen.getAllByTestId("kb-chunk")[1].dataset.enabled).toBe("0"));
    expect(s.sent("PATCH", `/knowledge-bases/${KB}/chunks/c1`)[0].body).toEqual({ enabled: false });
  });

  it("saves metadata with numbers kept as numbers, and refuses a row without a key", async () => {
    const s = server({ [`PATCH /knowledge-bases/${KB}/documents/${DOC}`]: (body: unknown) => docFixture(body as object) });
    render(<DocumentView kb={kbFixture()} docId={DOC} canEdit onChanged={() => undefined} />);
    const box = await screen.findByTestId("kb-metadata");
    expect((within(box).getByLabelText("Key 1") as HTMLInputElement).value).toBe("year");
    fireEvent.click(within(box).getByTestId("kb-meta-add"));
    fireEvent.change(within(box).getByLabelText("Value 2"), { target: { value: "ops" } });
    fireEvent.click(within(box).getByTestId("kb-meta-save"));
    expect(within(box).getByTestId("kb-meta-problem").textContent).toBe("Row 2 has a value but no key.");
    expect(s.sent("PATCH", `/knowledge-bases/${KB}/documents/${DOC}`)).toHaveLength(0);
    fireEvent.change(within(box).getByLabelText("Key 2"), { target: { value: "team" } });
    fireEvent.click(within(box).getByTestId("kb-meta-save"));
    await waitFor(() => expect(s.sent("PATCH", `/knowledge-bases/${KB}/documents/${DOC}`)).toHaveLength(1));
    expect(s.sent("PATCH", `/knowledge-bases/${KB}/documents/${DOC}`)[0].body).toEqual({ metadata: { year: 2024, team: "ops" } });
  });

  it("disables the document and deletes it, leaving its address out of the history", async () => {
    let doc = docFixture();
    const s = fakeServer({
      [`GET /knowledge-bases/${KB}/documents`]: () => listFixture([doc]),
      [`GET /knowledge-bases/${KB}/documents/${DOC}/chunks`]: { total: 0, chunks: [] },
      [`PATCH /knowledge-bases/${KB}/documents/${DOC}`]: (body: unknown) => (doc = { ...doc, ...(body as object) }),
      [`DELETE /knowledge-bases/${KB}/documents/${DOC}`]: () => undefined,
    });
    vi.stubGlobal("confirm", () => true);
    window.location.hash = `#kb/${KB}/documents/${DOC}`;
    render(<DocumentView kb={kbFixture()} docId={DOC} canEdit onChanged={() => undefined} />);
    fireEvent.click(await screen.findByTestId("kb-doc-view-toggle"));
    await waitFor(() => expect(screen.getByTestId("kb-doc-view").dataset.enabled).toBe("0"));
    expect(screen.getByText(/searches and apps leave it out/)).toBeTruthy();
    const depth = window.history.length;
    fireEvent.click(screen.getByTestId("kb-doc-view-delete"));
    await waitFor(() => expect(window.location.hash).toBe(`#kb/${KB}/documents`));
    expect(s.sent("DELETE", `/knowledge-bases/${KB}/documents/${DOC}`)).toHaveLength(1);
    expect(window.history.length).toBe(depth);
  });

  it("hides chunk edits where the backend cannot edit chunks", async () => {
    server();
    render(<DocumentView kb={kbFixture({ capabilities: { ...kbFixture().capabilities, edit_chunks: false } })} docId={DOC} canEdit onChanged={() => undefined} />);
    await screen.findAllByTestId("kb-chunk");
    expect(screen.queryByTestId("kb-chunk-edit")).toBeNull();
    expect(screen.getAllByTestId("kb-chunk-toggle")).toHaveLength(2);
  });
});
