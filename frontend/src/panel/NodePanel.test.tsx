import { act, cleanup, render, screen } from "@testing-library/react";
import { afterEach, beforeEach, describe, expect, it } from "vitest";

import type { NodeTypeInfo } from "../api/types";
import { specToGraph } from "../state/graph";
import { emptyHistory } from "../state/history";
import { emptyReport, useEditor } from "../state/store";
import { NodePanel } from "./NodePanel";
import { usePending } from "./pending";

afterEach(() => {
  cleanup();
  usePending.setState({ paths: [] });
});

// The LLM's config schema as the backend marks it: memory is shown only in chat apps.
const llm = {
  type: "llm",
  version: 1,
  title: "LLM",
  category: "llm",
  description: "",
  config_schema: {
    type: "object",
    properties: {
      prompt: { type: "string", title: "Prompt", default: "" },
      memory: { $ref: "#/$defs/MemorySettings", modes: ["chat"] },
    },
    $defs: { MemorySettings: { type: "object", properties: { enabled: { type: "boolean", title: "Enabled", default: false } } } },
  },
  outputs: {},
  settings_schema: {},
  modes: ["chat", "workflow"],
  rank: 10,
  defaults: {},
} as unknown as NodeTypeInfo;

function open(mode: "chat" | "workflow") {
  const g = specToGraph({ mode, nodes: [{ id: "llm", type: "llm", title: "LLM", config: { prompt: "hi", memory: { enabled: false } } }], edges: [] });
  useEditor.setState({ ...g, mode, env: [], canEdit: true, history: emptyHistory(), docVersion: 0, report: emptyReport, nodeIssues: {}, panel: null });
  useEditor.getState().setCatalog([llm]);
  useEditor.getState().select(["llm"]);
  render(<NodePanel />);
}

describe("the node panel", () => {
  beforeEach(cleanup);

  it("shows an LLM's memory settings in a chat app", () => {
    open("chat");
    expect(document.getElementById("f-llm.prompt")).not.toBeNull();
    expect(document.getElementById("f-llm.memory.enabled")).not.toBeNull();
  });

  it("hides them in a workflow app, where there is no conversation to remember", () => {
    open("workflow");
    expect(document.getElementById("f-llm.prompt")).not.toBeNull();
    expect(document.getElementById("f-llm.memory.enabled")).toBeNull();
  });

  it("lists the node's issues but those of a field still being filled in, until the user leaves it", () => {
    open("workflow");
    const issues = [
      { code: "bad_config", message: "Prompt: fill this in", node_id: "llm", field: "prompt" },
      { code: "unreachable", message: "Nothing leads here", node_id: "llm", field: null },
    ];
    act(() => {
      usePending.getState().add("llm.prompt");
      useEditor.setState({ nodeIssues: { llm: issues } });
    });
    const listed = () => [...screen.getByTestId("panel-issues").querySelectorAll("li")].map((li) => li.textContent);
    expect(listed()).toEqual(["Nothing leads here"]);
    act(() => usePending.getState().done("llm.prompt"));
    expect(listed()).toEqual(["Prompt: fill this in", "Nothing leads here"]);
  });

  it("says what to do when no node is selected", () => {
    open("workflow");
    act(() => useEditor.getState().select([]));
    expect(screen.queryByTestId("node-panel")).toBeNull();
    expect(document.body.textContent).toContain("Select a node to edit it.");
  });
});
