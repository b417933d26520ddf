import { describe, expect, it } from "vitest";

import type { RunDetail } from "../api/types";
import { idleRun } from "../state/run";
import {
  collectInputs,
  downstreamOf,
  formValues,
  parseLoose,
  relativeTime,
  reusedNodes,
  runFromDetail,
  selectorLabel,
  showLoose,
  startVariables,
  type StartVariable,
} from "./format";
import { indexCatalog } from "../state/nodeTypes";
import { edge, node, startType } from "./testing";
import { nodeMeta } from "./parts";

describe("re-run helpers", () => {
  const edges = [edge("a", "b"), edge("b", "c"), edge("a", "d"), edge("c", "e"), edge("d", "e"), edge("e", "b")];

  it("finds everything downstream of a node, through joins and cycles", () => {
    expect([...downstreamOf("b", edges)].sort()).toEqual(["b", "c", "e"]);
    expect([...downstreamOf("d", edges)].sort()).toEqual(["b", "c", "d", "e"]);
    expect([...downstreamOf("x", edges)]).toEqual(["x"]);
  });

  it("reuses the run's nodes that are not downstream", () => {
    const done = { ...idleRun.nodes };
    for (const id of ["a", "b", "c", "d", "e"]) done[id] = { status: "succeeded", index: 1, inputs: {}, outputs: {}, text: "", promptTokens: 0, completionTokens: 0, attempts: 1, metadata: {} };
    expect(reusedNodes({ ...idleRun, nodes: done }, "c", edges).sort()).toEqual(["a", "d"]);
  });
});

describe("hand-filled node inputs", () => {
  it("labels selectors with node titles and scope names", () => {
    const titles: Record<string, string> = { start: "Start" };
    expect(selectorLabel(["start", "city"], (id) => titles[id])).toBe("Start / city");
    expect(selectorLabel(["sys", "query"], () => undefined)).toBe("System / query");
    expect(selectorLabel(["gone", "x", "y"], () => undefined)).toBe("gone / x.y");
  });

  it("reads JSON when it is JSON and text otherwise, and shows values so they read back the same", () => {
    expect(parseLoose("42")).toBe(42);
    expect(parseLoose('{"a": [1]}')).toEqual({ a: [1] });
    expect(parseLoose("true")).toBe(true);
    expect(parseLoose("Oslo")).toBe("Oslo");
    expect(parseLoose("12 apples")).toBe("12 apples");
    expect(parseLoose("{not json")).toBe("{not json");
    for (const v of ["Oslo", "42", "{x", 42, { a: 1 }, [1, "b"], null, false]) expect(parseLoose(showLoose(v))).toEqual(v);
  });
});

describe("start inputs", () => {
  const vars: StartVariable[] = [
    { variable: "city", label: "City", type: "text", required: true, max_length: 5 },
    { variable: "days", type: "number", required: false, default: 3 },
    { variable: "unit", type: "select", options: ["C", "F"], default: "C" },
    { variable: "notes", type: "paragraph", required: false },
    { variable: "sunny", type: "checkbox", default: true },
  ];

  it("reads the variables from the node whose type starts runs, whatever its type id", () => {
    const types = indexCatalog([startType, { ...startType, type: "entry" }]);
    const start = node("start", "start", "Start", { variables: vars });
    expect(startVariables([node("x", "llm", "X"), start], types).map((v) => v.variable)).toEqual(["city", "days", "unit", "notes", "sunny"]);
    expect(startVariables([node("x", "llm", "X")], types)).toEqual([]);
    const entry = node("in", "entry", "Entry", { variables: vars.slice(0, 1) });
    expect(startVariables([entry], types).map((v) => v.variable)).toEqual(["city"]);
    // a type the catalog does not say starts runs is not read, whatever its id
    expect(startVariables([start], indexCatalog([{ ...startType, starts_run: false }]))).toEqual([]);
  });

  it("fills defaults where nothing was typed", () => {
    expect(formValues(vars, { city: "Oslo" })).toEqual({ city: "Oslo", days: "3", unit: "C", notes: "", sunny: true });
  });

  it("builds typed inputs and leaves out empty optional ones", () => {
    expect(collectInputs(vars, { city: "Oslo", days: "4.5", sunny: false })).toEqual({
      inputs: { city: "Oslo", days: 4.5, unit: "C", sunny: false },
      errors: {},
    });
  });

  it("explains what is missing or wrong", () => {
    expect(collectInputs(vars, { days: "many", unit: "K" }).errors).toEqual({
      city: "City is required",
      days: "days must be a number",
      unit: "unit must be one of the options",
    });
    expect(collectInputs(vars, { city: "Trondheim" }).errors).toEqual({ city: "City is longer than 5 characters" });
  });

  const structured: StartVariable[] = [
    { variable: "cities", label: "Cities", type: "array[string]" },
    { variable: "scores", type: "array[number]", required: false, default: [1, 2] },
    { variable: "config", type: "json_object", required: false },
  ];

  it("parses lists and objects typed as JSON, a default shown as JSON", () => {
    expect(formValues(structured, {}).scores).toBe("[\n  1,\n  2\n]");
    expect(collectInputs(structured, { cities: '["Oslo", "Lima"]', config: '{"a": 1}' })).toEqual({
      inputs: { cities: ["Oslo", "Lima"], scores: [1, 2], config: { a: 1 } },
      errors: {},
    });
  });

  it("says in words what is wrong with a list or an object", () => {
    const errors = (typed: Record<string, string>) => collectInputs(structured, { cities: "[]", ...typed }).errors;
    expect(errors({ cities: "Oslo, Lima" }).cities).toMatch(/^Cities is not valid JSON: /);
    expect(errors({ cities: '{"a": 1}' })).toEqual({ cities: 'Cities must be a list of texts, such as ["first", "second"]' });
    expect(errors({ cities: '["Oslo", 3]' })).toEqual({ cities: "Cities must be a list of texts: item 2 is 3" });
    expect(errors({ scores: "[1, true]" })).toEqual({ scores: "scores must be a list of numbers: item 2 is true" });
    expect(errors({ config: "[1]" })).toEqual({ config: 'config must be a JSON object, such as {"key": "value"}' });
    expect(errors({ config: "null" })).toEqual({ config: 'config must be a JSON object, such as {"key": "value"}' });
  });
});

describe("runFromDetail", () => {
  it("turns a stored run into the state the canvas shows, nodes in start order", () => {
    const nr = (node_id: string, index: number, status: string) => ({
      node_id, index, status, container_id: "", node_type: "llm", title: node_id, inputs: { i: index }, outputs: { o: index }, handle: "source",
      error: status === "failed" ? "boom" : "", error_code: "", elapsed_ms: 5, prompt_tokens: 1, completion_tokens: 2, attempts: 1, started_at: null, metadata: { retriever_resources: [`${node_id}-doc`] },
    });
    const detail = {
      id: "r7", app_id: 1, status: "failed", answer: "", inputs: {}, outputs: {}, error: "boom", error_code: "NodeExecutionError",
      failed_node_id: "b", elapsed_ms: 30, prompt_tokens: 2, completion_tokens: 4, total_steps: 2, source: "debug",
      started_at: "2026-01-01T00:00:00Z", finished_at: null, node_runs: [nr("b", 2, "failed"), nr("a", 1, "succeeded")],
    } as RunDetail;
    const run = runFromDetail(detail);
    expect(run).toMatchObject({ runId: "r7", status: "failed", failedNodeId: "b", error: "boom", completionTokens: 4 });
    expect(run.order).toEqual(["a", "b"]);
    expect(run.nodes.b).toMatchObject({ status: "failed", error: "boom", outputs: { o: 2 } });
    expect(run.nodes.a.metadata).toEqual({ retriever_resources: ["a-doc"] });
    expect(run.metadata).toEqual({ retriever_resources: ["a-doc"] }); // the succeeded nodes', joined
  });

  it("puts the nodes a re-run reused first, marked with the run they came from", () => {
    const nr = (node_id: string, index: number, reused_from: string | null) => ({
      node_id, index, reused_from, container_id: "", status: "succeeded", node_type: "llm", title: node_id, inputs: {}, outputs: {}, handle: "source",
      error: "", error_code: "", elapsed_ms: 5, prompt_tokens: 0, completion_tokens: 0, attempts: 1, started_at: null, metadata: {},
    });
    const detail = {
      id: "r9", app_id: 1, status: "succeeded", answer: "", inputs: {}, outputs: {}, error: "", error_code: "", failed_node_id: "",
      elapsed_ms: 3, prompt_tokens: 0, completion_tokens: 0, total_steps: 2, source: "draft", started_at: "2026-01-01T00:00:00Z", finished_at: null,
      node_runs: [nr("start", 0, "r1"), nr("llm", 1, "r1"), nr("answer", 1, null), nr("quote", 0, null)],
    } as RunDetail;
    const run = runFromDetail(detail);
    expect(run.order).toEqual(["start", "llm", "quote", "answer"]);
    expect([run.nodes.llm.reusedFrom, run.nodes.quote.reusedFrom]).toEqual(["r1", undefined]);
    expect(nodeMeta(run.nodes.llm)).toBe("reused · 5 ms");
  });
});

describe("relativeTime", () => {
  const now = Date.parse("2026-03-10T12:00:00Z");
  it("says how long ago", () => {
    expect(relativeTime("2026-03-10T11:59:50Z", now)).toBe("just now");
    expect(relativeTime("2026-03-10T11:55:00Z", now)).toBe("5 min ago");
    expect(relativeTime("2026-03-10T09:00:00Z", now)).toBe("3 h ago");
    expect(relativeTime("2026-03-09T10:00:00Z", now)).toBe("yesterday");
    expect(relativeTime("2026-03-07T12:00:00Z", now)).toBe("3 days ago");
    expect(relativeTime("nonsense", now)).toBe("");
  });
});
