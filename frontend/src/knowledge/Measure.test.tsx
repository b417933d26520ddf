import { act, cleanup, fireEvent, render, screen, waitFor, within } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";

import { DOC, DOC2, evaluationFixture, fakeServer, fakeUploads, KB, kbFixture } from "./fixtures/kb";
import { Measure } from "./Measure";
import type { Evaluation, TestSet } from "./types";

afterEach(() => {
  cleanup();
  vi.useRealTimers();
  vi.unstubAllGlobals();
});

const noEvaluation = () => new Response(JSON.stringify({ code: "not_found", message: "No evaluation yet" }), { status: 404 });

describe("measure", () => {
  it("uploads queries.jsonl and qrels.tsv and says what matched", async () => {
    let testset: TestSet = { queries: [] };
    fakeServer({ [`GET /knowledge-bases/${KB}/testset`]: () => testset, [`GET /knowledge-bases/${KB}/evaluations/latest`]: noEvaluation });
    const sent = fakeUploads(() => {
      testset = { queries: [{ id: "q1", text: "leave", relevant: [DOC] }, { id: "q2", text: "trains", relevant: [DOC2] }] };
      return [200, { queries: 2, judgments: 2, unmatched: ["expenses"] }];
    });
    render(<Measure kb={kbFixture()} canEdit onApplied={() => undefined} />);
    await waitFor(() => expect(screen.getByTestId("kb-testset").dataset.queries).toBe("0"));
    expect((screen.getByTestId("kb-eval-run") as HTMLButtonElement).disabled).toBe(true); // nothing to measure yet
    fireEvent.change(screen.getByTestId("kb-queries-file"), { target: { files: [new File(['{"_id":"q1","text":"leave"}\n'], "queries.jsonl")] } });
    fireEvent.change(screen.getByTestId("kb-qrels-file"), { target: { files: [new File(["query-id\tcorpus-id\tscore\nq1\tleave\t1\n"], "qrels.tsv")] } });
    fireEvent.submit(screen.getByTestId("kb-testset-upload").closest("form")!); // jsdom's file inputs stay empty to its form checks
    const summary = await screen.findByTestId("kb-testset-summary");
    expect(summary.textContent).toContain("Stored 2 queries with 2 judgments.");
    expect(summary.textContent).toContain("expenses");
    expect(sent[0].method).toBe("PUT");
    expect(sent[0].url).toBe(`/api/knowledge-bases/${KB}/testset`);
    expect([...sent[0].form.keys()]).toEqual(["queries", "qrels"]);
    expect(screen.getByTestId("kb-testset-count").textContent).toBe("2 queries · 2 relevant documents");
    expect((screen.getByTestId("kb-eval-run") as HTMLButtonElement).disabled).toBe(false);
  });

  it("runs an evaluation with progress, then shows each method's scores and the sweep", async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true });
    const states: (Evaluation | Response)[] = [
      noEvaluation(), // none yet when the page opens
      evaluationFixture({ status: "running", progress: { done: 1, total: 3 }, results: {}, sweep: [], best: null }),
      evaluationFixture(),
    ];
    const server = fakeServer({
      [`GET /knowledge-bases/${KB}/testset`]: { queries: [{ id: "q1", text: "leave", relevant: [DOC] }] },
      [`GET /knowledge-bases/${KB}/evaluations/latest`]: () => states.shift() ?? evaluationFixture(),
      [`POST /knowledge-bases/${KB}/evaluations`]: evaluationFixture({ status: "queued", progress: { done: 0, total: 0 }, results: {}, sweep: [], best: null }),
    });
    render(<Measure kb={kbFixture()} canEdit onApplied={() => undefined} />);
    await waitFor(() => expect((screen.getByTestId("kb-eval-run") as HTMLButtonElement).disabled).toBe(false));
    fireEvent.click(screen.getByTestId("kb-eval-run"));
    await waitFor(() => expect(screen.getByTestId("kb-evaluation").dataset.status).toBe("queued"));
    expect(screen.getByTestId("kb-eval-progress").textContent).toContain("waiting for the worker");
    await act(() => vi.advanceTimersByTimeAsync(1000));
    expect(screen.getByTestId("kb-eval-progress").textContent).toContain("1 / 3 searches");
    await act(() => vi.advanceTimersByTimeAsync(1000));
    expect(screen.getByTestId("kb-evaluation").dataset.status).toBe("succeeded");
    expect(server.sent("POST", `/knowledge-bases/${KB}/evaluations`)).toHaveLength(1);
    const rows = within(screen.getByTestId("kb-eval-results")).getAllByRole("row").map((r) => r.textContent);
    expect(rows).toEqual(["MethodnDCG@10Recall@4", "Vector0.6100.700", "Full-text0.6600.720", "Hybrid0.7120.800"]);
    const sweep = screen.getByTestId("kb-sweep");
    expect(sweep.querySelectorAll("tbody td")).toHaveLength(4);
    expect(sweep.querySelector(".kb-sweep-best")!.textContent).toBe("0.740");
  });

  it("puts the best setting in use with one click", async () => {
    const server = fakeServer({
      [`GET /knowledge-bases/${KB}/testset`]: { queries: [{ id: "q1", text: "leave", relevant: [DOC] }] },
      [`GET /knowledge-bases/${KB}/evaluations/latest`]: evaluationFixture(),
      [`PATCH /knowledge-bases/${KB}`]: (body: unknown) => kbFixture({ retrieval: { mode: "hybrid", weight: 0.3, top_k: 8, score_threshold: null, ...(body as object) } }),
    });
    const applied = vi.fn();
    render(<Measure kb={kbFixture()} canEdit onApplied={applied} />);
    expect((await screen.findByTestId("kb-best")).textContent).toContain("vector weight 0.3, top 8: nDCG@10 0.740");
    fireEvent.click(screen.getByTestId("kb-use-best"));
    await waitFor(() => expect(applied).toHaveBeenCalled());
    expect(server.sent("PATCH", `/knowledge-bases/${KB}`)[0].body).toEqual({ retrieval: { mode: "hybrid", weight: 0.3, top_k: 8 } });
    expect(applied.mock.calls[0][0].retrieval).toMatchObject({ weight: 0.3, top_k: 8 });
  });

  it("says the best setting is in use when it is", async () => {
    fakeServer({ [`GET /knowledge-bases/${KB}/testset`]: { queries: [] }, [`GET /knowledge-bases/${KB}/evaluations/latest`]: evaluationFixture() });
    render(<Measure kb={kbFixture({ retrieval: { mode: "hybrid", weight: 0.3, top_k: 8, score_threshold: null } })} canEdit onApplied={() => undefined} />);
    expect(await screen.findByTestId("kb-best-applied")).toBeTruthy();
    expect(screen.queryByTestId("kb-use-best")).toBeNull();
  });
});
