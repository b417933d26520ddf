import { act, fireEvent, render, screen } from "@testing-library/react";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

import { ApiFailure } from "../api/client";
import { SaveBanner } from "../canvas/SaveBanner";
import { edge, fakeApi, node, setEditor } from "../run/testing";
import { useEditor } from "./store";
import { failureText, saveNow } from "./sync";

const TRACEBACK = `<!DOCTYPE html><html><body><pre>Traceback (most recent call last):
  File "/srv/weft/builder/api.py", line 183, in save_draft
KeyError: 'variables'</pre></body></html>`;

function answer(status: number, body: string, type = "text/html"): void {
  vi.stubGlobal("fetch", async () => new Response(body, { status, headers: { "Content-Type": type } }));
}

beforeEach(() => {
  setEditor([node("start", "start", "Start"), node("agg", "variable_aggregator", "Join", { variables: [["start", "q"], []] })], [edge("start", "agg")], {
    save: { state: "dirty" },
    docVersion: 4,
  });
});

afterEach(() => vi.unstubAllGlobals());

describe("a failed save", () => {
  it("keeps the user's work and says what failed, never a traceback", async () => {
    const before = useEditor.getState().nodes;
    answer(500, TRACEBACK);
    await act(() => saveNow());
    const s = useEditor.getState();
    expect(s.save.state).toBe("error");
    expect(s.nodes).toBe(before); // the document is untouched
    expect(s.revision).toBe(3);
    render(<SaveBanner />);
    const banner = screen.getByTestId("conflict-banner");
    expect(banner.textContent).toContain("Saving failed: the server had a problem (HTTP 500)");
    expect(banner.textContent).toContain("Your edits are kept");
    expect(banner.textContent).not.toMatch(/Traceback|File "|KeyError|<pre>/);
  });

  it("names the field a refused draft got wrong, and saves again on request", async () => {
    const message = "Max attempts (node agg, settings, retry): use 1 or more";
    const { calls } = fakeApi([
      { method: "PUT", path: "/apps/7/draft", status: 422, body: { code: "invalid_spec", message, errors: [{ field: "nodes.1.settings.retry.max_attempts", message }] } },
    ]);
    await act(() => saveNow());
    render(<SaveBanner />);
    expect(screen.getByTestId("save-error").textContent).toContain(`Saving failed: ${message}.`);

    fakeApi([{ method: "PUT", path: "/apps/7/draft", body: { revision: 4, issues: [], nodes: {}, globals: {} } }]);
    await act(async () => {
      fireEvent.click(screen.getByText("Save again"));
      await new Promise((r) => setTimeout(r, 0));
    });
    expect(useEditor.getState().save.state).toBe("saved");
    expect(useEditor.getState().revision).toBe(4);
    expect(calls[0].body).toMatchObject({ revision: 3 });
  });

  it("says each kind of failure in words", () => {
    const traceJson = new ApiFailure(400, "bad", 'Traceback (most recent call last):\n  File "x.py", line 1', {});
    expect(failureText(traceJson)).toBe("the server refused it (HTTP 400)");
    expect(failureText(new ApiFailure(422, "http_422", "[{...}]", { detail: [{ type: "missing", loc: ["body", "revision"] }] }))).toBe("the server refused it (HTTP 422)");
    expect(failureText(new ApiFailure(403, "forbidden", "CSRF verification failed", {}))).toContain("sign in again");
    expect(failureText(new TypeError("Failed to fetch"))).toBe("the server could not be reached; check the connection");
    const two = new ApiFailure(422, "invalid_spec", "Name (env 1): fill this in", { errors: [{}, {}] });
    expect(failureText(two)).toBe("Name (env 1): fill this in (and 1 more)");
  });
});
