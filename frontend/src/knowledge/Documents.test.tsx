import { act, cleanup, fireEvent, render, screen, waitFor, within } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";

import { Documents } from "./Documents";
import { DOC, docFixture, fakeServer, fakeUploads, KB, kbFixture, listFixture } from "./fixtures/kb";
import type { DocumentList } from "./types";

const kb = kbFixture();

afterEach(() => {
  cleanup();
  vi.useRealTimers();
  vi.unstubAllGlobals();
});

function stage(id: string): string | null {
  return screen.getByTestId(`kb-doc-${id}`).getAttribute("data-stage");
}

describe("documents tab", () => {
  it("follows a document from queued to indexed by polling, then stops", async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true });
    const answers: DocumentList[] = [
      listFixture([docFixture({ stage: "queued", progress: { done: 0, total: 0 }, chunk_count: 0 })]),
      listFixture([docFixture({ stage: "embedding", progress: { done: 3, total: 6 }, chunk_count: 6 })]),
      listFixture([docFixture({ stage: "indexed" })]),
    ];
    const server = fakeServer({ [`GET /knowledge-bases/${KB}/documents`]: () => answers.shift() ?? listFixture([docFixture()]) });
    const changed = vi.fn();
    render(<Documents kb={kb} canEdit onChanged={changed} />);
    await waitFor(() => expect(stage(DOC)).toBe("queued"));
    expect(screen.getByTestId("kb-live")).toBeTruthy();
    await act(() => vi.advanceTimersByTimeAsync(1000));
    expect(stage(DOC)).toBe("embedding");
    expect(within(screen.getByTestId(`kb-doc-${DOC}`)).getByTestId("kb-doc-stage").textContent).toBe("Embedding · 3 / 6 chunks");
    expect(screen.getByRole("progressbar").getAttribute("aria-valuenow")).toBe("56");
    await act(() => vi.advanceTimersByTimeAsync(1000));
    expect(stage(DOC)).toBe("indexed");
    expect(changed).toHaveBeenCalled(); // the header's counts are fetched again
    const polls = server.sent("GET", `/knowledge-bases/${KB}/documents`).length;
    await act(() => vi.advanceTimersByTimeAsync(5000));
    expect(server.sent("GET", `/knowledge-bases/${KB}/documents`).length).toBe(polls);
  });

  it("warns when no worker is indexing, in the server's words", async () => {
    fakeServer({ [`GET /knowledge-bases/${KB}/documents`]: listFixture([], { ok: false, message: "No worker has taken work from the rag queue for 40 s: start one with make run." }) });
    render(<Documents kb={kb} canEdit onChanged={() => undefined} />);
    const banner = await screen.findByTestId("kb-worker-warning");
    expect(banner.textContent).toContain("Documents are not being indexed.");
    expect(banner.textContent).toContain("start one with make run");
  });

  it("shows why a document failed and retries it", async () => {
    const failed = docFixture({ stage: "failed", error: "scan.pdf: the pdf is encrypted", chunk_count: 0 });
    const server = fakeServer({
      [`GET /knowledge-bases/${KB}/documents`]: listFixture([failed]),
      [`POST /knowledge-bases/${KB}/documents/${DOC}/retry`]: { ...failed, stage: "queued", error: "" },
    });
    render(<Documents kb={kb} canEdit onChanged={() => undefined} />);
    expect((await screen.findByTestId("kb-doc-error")).textContent).toContain("the pdf is encrypted");
    fireEvent.click(screen.getByTestId("kb-doc-retry"));
    await waitFor(() => expect(server.sent("POST", `/knowledge-bases/${KB}/documents/${DOC}/retry`)).toHaveLength(1));
  });

  it("refuses files over the limit before sending, and shows the server's refusal on its own file", async () => {
    fakeServer({ [`GET /knowledge-bases/${KB}/documents`]: listFixture([]) });
    const uploads = fakeUploads((form) => {
      const f = form.get("files") as File;
      if (f.name === "broken.pdf") return [400, { code: "bad_file", message: "broken.pdf: the pdf is damaged and cannot be read", field: "files" }];
      return [201, [docFixture({ name: f.name, stage: "queued", unchanged: f.name === "same.md" })]];
    });
    render(<Documents kb={kb} canEdit onChanged={() => undefined} />);
    expect((await screen.findByTestId("kb-upload-rules")).textContent).toContain("up to 15 MB each");
    const files = [new File(["# a"], "a.md"), new File(["%PDF"], "broken.pdf"), new File([new Uint8Array(16 * 2 ** 20)], "huge.txt"), new File(["x"], "same.md")];
    fireEvent.drop(screen.getByTestId("kb-drop"), { dataTransfer: { files } });
    await waitFor(() => expect(uploads).toHaveLength(3));
    const byName = (name: string) => screen.getAllByTestId("kb-upload").find((e) => e.dataset.name === name)!;
    await waitFor(() => expect(byName("same.md").dataset.state).toBe("unchanged"));
    expect(byName("a.md").dataset.state).toBe("stored");
    expect(byName("broken.pdf").dataset.state).toBe("failed");
    expect(byName("broken.pdf").textContent).toContain("the pdf is damaged");
    expect(byName("huge.txt").dataset.state).toBe("refused");
    expect(byName("huge.txt").textContent).toContain("over the limit of 15 MB");
    expect(uploads.map((u) => (u.form.get("files") as File).name)).toEqual(["a.md", "broken.pdf", "same.md"]); // one request each, in order
  });

  it("offers viewers no upload and no actions", async () => {
    fakeServer({ [`GET /knowledge-bases/${KB}/documents`]: listFixture([docFixture()]) });
    render(<Documents kb={kb} canEdit={false} onChanged={() => undefined} />);
    await screen.findByTestId(`kb-doc-${DOC}`);
    expect(screen.queryByTestId("kb-drop")).toBeNull();
    expect(screen.queryByTestId("kb-doc-delete")).toBeNull();
    expect(screen.queryByTestId("kb-doc-toggle")).toBeNull();
  });
});
