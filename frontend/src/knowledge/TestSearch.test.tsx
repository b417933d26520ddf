import { cleanup, fireEvent, render, screen, waitFor, within } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";

import { DOC, fakeServer, KB, kbFixture, searchFixture } from "./fixtures/kb";
import { TestSearch } from "./TestSearch";
import type { JudgmentIn, TestSet } from "./types";

afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
});

describe("test retrieval", () => {
  it("shows vector, full-text and hybrid side by side with each hit's scores, chunk and metadata", async () => {
    const server = fakeServer({ [`GET /knowledge-bases/${KB}/testset`]: { queries: [] }, [`POST /knowledge-bases/${KB}/search`]: searchFixture() });
    render(<TestSearch kb={kbFixture()} canEdit />);
    fireEvent.change(screen.getByTestId("kb-query"), { target: { value: "how many days of leave" } });
    fireEvent.change(screen.getByLabelText(/vector weight/), { target: { value: "0.7" } });
    fireEvent.click(screen.getByTestId("kb-search-submit"));
    await screen.findByTestId("kb-results");
    expect(server.sent("POST", `/knowledge-bases/${KB}/search`)[0].body).toEqual({ query: "how many days of leave", top_k: 4, weight: 0.7 });
    expect(["vector", "full_text", "hybrid"].map((m) => screen.getByTestId(`kb-results-${m}`).dataset.count)).toEqual(["2", "1", "1"]);
    const hybrid = within(screen.getByTestId("kb-results-hybrid")).getByTestId("kb-hit");
    expect(hybrid.dataset.document).toBe("leave.md");
    expect(within(hybrid).getByTestId("kb-hit-fused").textContent).toBe("0.790");
    expect(hybrid.textContent).toContain("vector 0.710 · full-text 0.820");
    expect(hybrid.textContent).toContain("25 days of leave");
    expect(hybrid.textContent).toContain("year: 2024");
    const vectorOnly = within(screen.getByTestId("kb-results-vector")).getAllByTestId("kb-hit")[0];
    expect(vectorOnly.textContent).toContain("full-text –"); // the method did not score it
  });

  it("marks a hit relevant for the query: its document joins the test set", async () => {
    let testset: TestSet = { queries: [] };
    const server = fakeServer({
      [`GET /knowledge-bases/${KB}/testset`]: () => testset,
      [`POST /knowledge-bases/${KB}/search`]: searchFixture(),
      [`POST /knowledge-bases/${KB}/testset/judgments`]: (body: unknown) => {
        const b = body as JudgmentIn;
        testset = { queries: [{ id: "q1", text: b.query, relevant: b.relevant ? [b.document_id] : [] }] };
        return testset; // the API answers the test set
      },
    });
    render(<TestSearch kb={kbFixture()} canEdit />);
    fireEvent.change(screen.getByTestId("kb-query"), { target: { value: "leave" } });
    fireEvent.click(screen.getByTestId("kb-search-submit"));
    const hit = within(await screen.findByTestId("kb-results-hybrid")).getByTestId("kb-hit");
    fireEvent.click(within(hit).getByTestId("kb-hit-mark"));
    await waitFor(() => expect(within(screen.getByTestId("kb-results-hybrid")).getByTestId("kb-hit").dataset.relevant).toBe("1"));
    expect(server.sent("POST", `/knowledge-bases/${KB}/testset/judgments`)[0].body).toEqual({ query: "leave", document_id: DOC, relevant: true });
    // every hit of that document shows it, in each column
    expect(within(screen.getByTestId("kb-results-full_text")).getByTestId("kb-hit").dataset.relevant).toBe("1");
    const travel = within(screen.getByTestId("kb-results-vector")).getAllByTestId("kb-hit")[1];
    expect(travel.dataset.relevant).toBe("0");
  });

  it("lets viewers search but not mark", async () => {
    fakeServer({ [`GET /knowledge-bases/${KB}/testset`]: { queries: [] }, [`POST /knowledge-bases/${KB}/search`]: searchFixture() });
    render(<TestSearch kb={kbFixture()} canEdit={false} />);
    fireEvent.change(screen.getByTestId("kb-query"), { target: { value: "leave" } });
    fireEvent.click(screen.getByTestId("kb-search-submit"));
    await screen.findByTestId("kb-results");
    expect(screen.queryByTestId("kb-hit-mark")).toBeNull();
  });
});
