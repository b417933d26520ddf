import { cleanup, render } from "@testing-library/react";
import { afterEach, beforeEach, describe, expect, it } from "vitest";

import type { NodeTypeInfo } from "../api/types";
import { specToGraph } from "../state/graph";
import { emptyHistory } from "../state/history";
import { emptyReport, useEditor } from "../state/store";
import { NodePanel } from "./NodePanel";

afterEach(cleanup);

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
});
