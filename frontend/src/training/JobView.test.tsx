import { act, cleanup, render, screen, waitFor } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";

import type { TrainingJobDetail } from "../api/types";
import { queuedJob } from "./fixtures/jobs";
import { JobView } from "./JobView";
import type { JobSource, SocketLike } from "./useJob";

function sourceFor(initial: TrainingJobDetail) {
  const server = { job: initial }; // what GET answers now
  const sockets: SocketLike[] = [];
  const source: JobSource = {
    openSocket: () => {
      const s: SocketLike = { onmessage: null, onclose: null, close: () => undefined };
      sockets.push(s);
      return s;
    },
    fetchJob: async () => server.job,
    pollMs: 60_000,
    fallbackPollMs: 60_000,
  };
  const send = (msg: object) => act(() => sockets[0].onmessage?.({ data: JSON.stringify(msg) }));
  return { source, send, server };
}

afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
});

describe("job view", () => {
  it("shows the job's folder relative to the data folder", async () => {
    const job = queuedJob({ output_dir: "training/jobs/0b7c" });
    render(<JobView id={job.id} canEdit source={sourceFor(job).source} />);
    await screen.findByTestId("job-view");
    expect(screen.getByTestId("job-folder").textContent).toContain("trainer.log in training/jobs/0b7c under the server's data folder");
  });

  it("grows the step counter and the loss curve from socket events; Stop shows the checkpointing", async () => {
    const job = queuedJob({ status: "running", progress: { step: 0, total_steps: 24, notes: [] } });
    const { source, send, server } = sourceFor(job);
    render(<JobView id={job.id} canEdit source={source} />);
    await screen.findByTestId("job-view");
    expect(screen.getByTestId("loss-chart").dataset.points).toBe("0");
    send({ type: "progress", event: { event: "note", message: "compute type bf16 is not available on cpu: fp32" } });
    send({ type: "progress", event: { event: "step", step: 1, total_steps: 24, loss: 2.4, lr: 1e-4, eta_s: 90 } });
    send({ type: "progress", event: { event: "step", step: 2, total_steps: 24, loss: 2.1, lr: 9e-5, eta_s: 80 } });
    expect(screen.getByTestId("job-step").dataset.step).toBe("2");
    expect(screen.getByTestId("loss-chart").dataset.points).toBe("2");
    expect(screen.getByTestId("lr-chart").dataset.points).toBe("2");
    expect(screen.getByTestId("job-notes").textContent).toContain("fp32");
    expect(screen.getByText("1 min 20 s")).toBeTruthy();

    vi.stubGlobal("fetch", vi.fn(async () => new Response(JSON.stringify({ ...job, stop_requested: true, progress: { step: 2, total_steps: 24, notes: [] } }), { status: 200 })));
    act(() => screen.getByTestId("job-stop").click());
    await waitFor(() => expect(screen.getByTestId("job-stop").textContent).toContain("stopping… saving a checkpoint"));
    await waitFor(() => expect(screen.getByTestId("job-status").textContent).toBe("stopping…"));
    expect((screen.getByTestId("job-stop") as HTMLButtonElement).disabled).toBe(true);
    server.job = { ...job, status: "stopped", resumable: true, progress: { step: 2, total_steps: 24, notes: [] } };
    send({ type: "status", status: "stopped" });
    await waitFor(() => expect(screen.getByTestId("job-status").dataset.status).toBe("stopped"));
    expect(screen.queryByTestId("job-stop")).toBeNull();
    expect(screen.getByTestId("job-resume")).toBeTruthy();
  });

  it("shows a failed job's error and the setting to change, with a new job that changes it", async () => {
    const job = queuedJob({ status: "failed", resumable: true, error_code: "out_of_memory", error: "batch 64 × 1024 tokens does not fit", error_setting: "batch_size", settings: { batch_size: 64 } });
    const { source } = sourceFor(job);
    render(<JobView id={job.id} canEdit source={source} />);
    const box = await screen.findByTestId("job-error");
    expect(box.dataset.setting).toBe("batch_size");
    expect(box.textContent).toContain("does not fit");
    expect(box.textContent).toContain("Batch size (per device)");
    expect(box.textContent).toContain("(now 64)");
    expect(box.querySelector("a")!.getAttribute("href")).toBe(`#jobs/new?from=${job.id}&fix=batch_size`);
    expect(screen.getByTestId("job-resume")).toBeTruthy();
  });

  it("shows a finished job's evaluation and its adapter", async () => {
    vi.stubGlobal("fetch", vi.fn(async () => new Response(JSON.stringify([{ name: "identity-v1", label: "smollm2-135m-instruct + identity-v1" }]), { status: 200 })));
    const job = queuedJob({ status: "succeeded", adapter: "identity-v1", eval: { learned: 0.9, preserved: 0.25, details: {} }, progress: { step: 24, total_steps: 24, notes: [] } });
    const { source } = sourceFor(job);
    render(<JobView id={job.id} canEdit source={source} />);
    expect((await screen.findByTestId("eval-learned")).textContent).toContain("90 %");
    expect(screen.getByTestId("eval-preserved").querySelector(".tp-big-value")!.className).toContain("tp-bad");
    await waitFor(() => expect(screen.getByTestId("job-adapter").textContent).toContain("“smollm2-135m-instruct + identity-v1”"));
    expect(screen.getByTestId("try-adapter").getAttribute("href")).toBe("#adapters/identity-v1");
    expect(screen.queryByTestId("job-stop")).toBeNull();
  });
});
