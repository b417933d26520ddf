import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

import type { RunDetail } from "../api/types";
import { storedRun } from "../run/testing";
import { FIRST_POLL_MS, MAX_POLL_MS } from "./follow";
import { ANSWERED_ELSEWHERE, MOVED_ON, setupRunPage } from "./runPage";

const form = { node_id: "ask", kind: "input" as const, title: "Ask", prompt: "What about tea?", fields: [], timeout_s: null, on_timeout: "fail" as const };

// The parts of templates/portal/run.html the page follows a run by.
function runPage(status: string, waitingOn: string[] = []): HTMLElement {
  const forms = waitingOn.map(
    (nodeId) => `<form data-testid="waiting-form" id="waiting-${nodeId}"><input type="hidden" name="node_id" value="${nodeId}"><input name="answer"><button type="submit">Send answer</button></form>`,
  );
  document.body.innerHTML = `<section id="run-summary" data-run-id="r1" data-run-status="${status}">${forms.join("")}<div class="io-grid"></div></section>`;
  return document.getElementById("run-summary")!;
}

const notice = () => document.querySelector<HTMLElement>("[data-testid=run-followed]");

beforeEach(() => {
  vi.useFakeTimers();
  window.sessionStorage.clear();
});
afterEach(() => {
  vi.clearAllTimers();
  vi.useRealTimers();
});

describe("the run page of a waiting run", () => {
  it("reloads once the run is answered elsewhere, and then says so where the form was", async () => {
    let stored: RunDetail = storedRun("r1", "waiting", [], { waiting: [form] });
    const load = vi.fn(async () => stored);
    const reload = vi.fn();
    setupRunPage(runPage("waiting", ["ask"]), load, reload);
    await vi.advanceTimersByTimeAsync(FIRST_POLL_MS * 2);
    expect(load).toHaveBeenCalledTimes(2);
    expect(reload).not.toHaveBeenCalled(); // it still waits as shown

    stored = storedRun("r1", "running", []);
    await vi.advanceTimersByTimeAsync(MAX_POLL_MS);
    expect(reload).toHaveBeenCalledTimes(1);
    const reads = load.mock.calls.length;
    await vi.advanceTimersByTimeAsync(MAX_POLL_MS * 3);
    expect(load).toHaveBeenCalledTimes(reads); // the reloaded page follows it from there

    // the reloaded page: the run runs on, its form gone
    setupRunPage(runPage("running"), load, reload);
    expect(notice()?.textContent).toBe(ANSWERED_ELSEWHERE);
    expect(notice()?.nextElementSibling?.className).toBe("io-grid");
    setupRunPage(runPage("running"), load, reload); // said once, not on every later load
    expect(notice()).toBeNull();
  });

  it("reloads when the run waits at another node, and says nothing when it waits at the same forms", async () => {
    const load = vi.fn(async () => storedRun("r1", "waiting", [], { waiting: [{ ...form, node_id: "check" }] }));
    const reload = vi.fn();
    setupRunPage(runPage("waiting", ["ask"]), load, reload);
    await vi.advanceTimersByTimeAsync(FIRST_POLL_MS);
    expect(reload).toHaveBeenCalledTimes(1);
    setupRunPage(runPage("waiting", ["check"]), load, reload);
    expect(notice()?.textContent).toBe(ANSWERED_ELSEWHERE);

    window.sessionStorage.clear();
    setupRunPage(runPage("running"), vi.fn(async () => storedRun("r1", "succeeded", [])), reload);
    await vi.advanceTimersByTimeAsync(FIRST_POLL_MS);
    expect(reload).toHaveBeenCalledTimes(2);
    setupRunPage(runPage("succeeded"), load, reload);
    expect(notice()).toBeNull(); // no form went away
  });

  it("keeps a form the person has started to fill in, says the run moved on, and reloads when asked", async () => {
    const load = vi.fn(async () => storedRun("r1", "succeeded", []));
    const reload = vi.fn();
    const summary = runPage("waiting", ["ask"]);
    setupRunPage(summary, load, reload);
    const input = summary.querySelector<HTMLInputElement>("input[name=answer]")!;
    input.value = "green";
    input.dispatchEvent(new Event("input", { bubbles: true }));
    await vi.advanceTimersByTimeAsync(FIRST_POLL_MS);
    expect(reload).not.toHaveBeenCalled();
    expect(input.value).toBe("green");
    expect(notice()?.textContent).toBe(`${MOVED_ON} Reload`);
    await vi.advanceTimersByTimeAsync(MAX_POLL_MS * 3);
    expect(load).toHaveBeenCalledTimes(1);
    notice()!.querySelector("button")!.click();
    expect(reload).toHaveBeenCalledTimes(1);
  });

  it("stops following when its own form is sent, and does not follow a run that has ended", async () => {
    const load = vi.fn(async () => storedRun("r1", "running", []));
    const reload = vi.fn();
    const summary = runPage("waiting", ["ask"]);
    setupRunPage(summary, load, reload);
    summary.querySelector("form")!.dispatchEvent(new Event("submit"));
    await vi.advanceTimersByTimeAsync(MAX_POLL_MS * 3);
    expect(load).not.toHaveBeenCalled();

    setupRunPage(runPage("succeeded"), load, reload);
    await vi.advanceTimersByTimeAsync(MAX_POLL_MS * 3);
    expect(load).not.toHaveBeenCalled();
    expect(reload).not.toHaveBeenCalled();
  });
});
