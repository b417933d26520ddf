import { cleanup, render, screen } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";

import { queuedJob } from "./fixtures/jobs";
import { JobsList } from "./JobsList";

afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
});

describe("jobs list", () => {
  it("shows each job's status, progress and its adapter's learned / preserved scores", async () => {
    const done = queuedJob({ id: "a", status: "succeeded", adapter: "weftling-v1", progress: { step: 24, total_steps: 24, notes: [] } });
    const running = queuedJob({ id: "b", name: "second", status: "running", progress: { step: 6, total_steps: 24, notes: [] } });
    const adapters = [{ name: "weftling-v1", metrics: { learned: 0.9, preserved: 0.95 } }];
    vi.stubGlobal(
      "fetch",
      vi.fn(async (url: string) => new Response(JSON.stringify(url.endsWith("/adapters") ? adapters : [running, done]), { status: 200 })),
    );
    render(<JobsList canEdit />);
    const row = await screen.findByTestId("job-row-a");
    expect(row.dataset.status).toBe("succeeded");
    expect(row.textContent).toContain("90 %");
    expect(row.textContent).toContain("95 %");
    const other = screen.getByTestId("job-row-b");
    expect(other.textContent).toContain("6/24");
    expect(other.querySelector("[role=progressbar]")!.getAttribute("aria-valuenow")).toBe("25");
    expect(screen.getByTestId("new-job").getAttribute("href")).toBe("#jobs/new");
  });
});
