import { act, renderHook, waitFor } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";

import type { TrainingJobDetail } from "../api/types";
import { queuedJob } from "./fixtures/jobs";
import { useJob, type JobSource, type SocketLike } from "./useJob";

class FakeSocket implements SocketLike {
  onmessage: ((e: { data: unknown }) => void) | null = null;
  onclose: ((e: { code: number }) => void) | null = null;
  closed = false;
  constructor(readonly url: string) {}
  send(msg: object) {
    this.onmessage?.({ data: JSON.stringify(msg) });
  }
  drop(code: number) {
    this.onclose?.({ code });
  }
  close() {
    this.closed = true;
  }
}

function source(job: () => TrainingJobDetail) {
  const sockets: FakeSocket[] = [];
  const fetchJob = vi.fn(async () => job());
  const src: JobSource = {
    openSocket: (url) => {
      const s = new FakeSocket(url);
      sockets.push(s);
      return s;
    },
    fetchJob,
    pollMs: 60_000,
    fallbackPollMs: 60_000,
  };
  return { src, sockets, fetchJob };
}

afterEach(() => vi.useRealTimers());

describe("useJob", () => {
  it("follows the job's socket: snapshot, steps, status; refetches once it ends", async () => {
    let server = queuedJob({ status: "running" });
    const { src, sockets, fetchJob } = source(() => server);
    const { result, unmount } = renderHook(() => useJob(server.id, src));
    await waitFor(() => expect(result.current.job?.status).toBe("running"));
    expect(sockets[0].url).toMatch(new RegExp(`/ws/training/jobs/${server.id}/$`));

    act(() => sockets[0].send({ type: "snapshot", ...server }));
    act(() => sockets[0].send({ type: "progress", seq: 1, event: { event: "start", total_steps: 10, epochs: 1 } }));
    act(() => sockets[0].send({ type: "progress", seq: 2, event: { event: "step", step: 1, total_steps: 10, loss: 2.0, lr: 1e-4 } }));
    act(() => sockets[0].send({ type: "progress", seq: 3, event: { event: "step", step: 2, total_steps: 10, loss: 1.7, lr: 9e-5 } }));
    expect(result.current.live).toBe(true);
    expect(result.current.job?.progress.step).toBe(2);
    expect(result.current.job?.curve.map((p) => p.loss)).toEqual([2.0, 1.7]);

    server = { ...server, status: "succeeded", adapter: "identity-v1", curve: [], log_tail: ["saved"] };
    const before = fetchJob.mock.calls.length;
    act(() => sockets[0].send({ type: "status", status: "succeeded" }));
    await waitFor(() => expect(result.current.job?.adapter).toBe("identity-v1"));
    expect(fetchJob.mock.calls.length).toBe(before + 1);
    expect(result.current.job?.curve).toHaveLength(2); // the drawn curve survives the refetch
    unmount();
    expect(sockets[0].closed).toBe(true);
  });

  it("reopens a dropped socket but not a refused one (viewers get 4403)", async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true });
    const job = queuedJob({ status: "running" });
    const { src, sockets } = source(() => job);
    renderHook(() => useJob(job.id, src));
    act(() => sockets[0].drop(1006));
    await act(async () => {
      vi.advanceTimersByTime(1100);
    });
    expect(sockets).toHaveLength(2);
    act(() => sockets[1].drop(4403));
    await act(async () => {
      vi.advanceTimersByTime(20_000);
    });
    expect(sockets).toHaveLength(2);
  });

  it("reports a message it cannot read, and goes on with the ones it can", async () => {
    const server = queuedJob({ status: "running" });
    const { src, sockets } = source(() => server);
    const { result } = renderHook(() => useJob(server.id, src));
    await waitFor(() => expect(result.current.job?.status).toBe("running"));
    expect(result.current.protocolError).toBe("");
    act(() => sockets[0].send({ type: "checkpointed", seq: 1 }));
    expect(result.current.protocolError).toMatch(/^the job socket sent a message of unknown type "checkpointed"\. Reload the page/);
    expect(result.current.live).toBe(false);
    act(() => sockets[0].send({ type: "progress", seq: 2, event: { event: "step", step: 1, total_steps: 10, loss: 2.0, lr: 1e-4 } }));
    expect(result.current.job?.progress.step).toBe(1);
  });
});
