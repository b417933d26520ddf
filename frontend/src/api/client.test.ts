import { afterEach, describe, expect, it, vi } from "vitest";

import { api, ApiFailure } from "./client";

afterEach(() => vi.unstubAllGlobals());

function answer(status: number, body: string, statusText = ""): void {
  vi.stubGlobal("fetch", vi.fn(async () => new Response(body, { status, statusText })));
}

describe("api", () => {
  it("never puts a non-JSON error body (a traceback) in the message", async () => {
    const traceback = 'Traceback (most recent call last):\n  File "/srv/weft/runtime/compile.py", line 184\nIndexError: tuple index out of range';
    answer(500, traceback, "Internal Server Error");
    const failure = await api("PUT", "/apps/1/draft", {}).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(ApiFailure);
    expect((failure as ApiFailure).status).toBe(500);
    expect((failure as ApiFailure).message).toBe("the server answered 500 Internal Server Error");
    expect(JSON.stringify((failure as ApiFailure).data)).not.toContain("compile.py");
  });

  it("keeps the message of a JSON error", async () => {
    answer(422, JSON.stringify({ code: "graph_too_large", message: "the workflow has 2000 nodes", field: "spec.nodes" }));
    const failure = (await api("PUT", "/apps/1/draft", {}).catch((e: unknown) => e)) as ApiFailure;
    expect([failure.code, failure.message]).toEqual(["graph_too_large", "the workflow has 2000 nodes"]);
  });
});
