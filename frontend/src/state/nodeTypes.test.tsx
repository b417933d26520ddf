import { cleanup, render, screen } from "@testing-library/react";
import { afterEach, beforeEach, describe, expect, it } from "vitest";

import type { NodeTypeInfo } from "../api/types";
import { NodePanel } from "../panel/NodePanel";
import { specToGraph } from "./graph";
import { emptyHistory } from "./history";
import { indexCatalog, newestVersions, typeKey } from "./nodeTypes";
import { emptyReport, useEditor } from "./store";

afterEach(cleanup);

// A type whose v2 renamed its config field (a breaking change gets a new version).
function echo(version: number, field: string): NodeTypeInfo {
  return {
    type: "echo",
    version,
    title: `Echo v${version}`,
    category: "transform",
    description: "",
    config_schema: { type: "object", title: `EchoV${version}Config`, properties: { [field]: { type: "string", title: field, default: "" } } },
    outputs: {},
    dynamic_outputs: false,
    dynamic_handles: false,
    stream_ports: [],
    accepts_input: true,
    starts_run: false,
    container_start: null,
    inner_run_name: "item",
    settings_schema: {},
    modes: ["chat", "workflow"],
    rank: 50,
    defaults: { chat: { [field]: "" }, workflow: { [field]: "" } },
  } as NodeTypeInfo;
}
const catalog = [echo(1, "text"), echo(2, "message")];

beforeEach(() => {
  const g = specToGraph({ mode: "workflow", nodes: [{ id: "old", type: "echo", version: 1, title: "Old", config: { text: "hi" } }], edges: [] });
  useEditor.setState({ ...g, env: [], canEdit: true, history: emptyHistory(), docVersion: 0, report: emptyReport, nodeIssues: {}, panel: null });
  useEditor.getState().setCatalog(catalog);
});

describe("node type versions", () => {
  it("keys the catalog by type and version, and offers only the newest version of each", () => {
    expect(Object.keys(indexCatalog(catalog))).toEqual([typeKey("echo", 1), typeKey("echo", 2)]);
    expect(newestVersions(catalog).map((t) => t.version)).toEqual([2]);
  });

  it("keeps a v1 node on v1's schema and panel when v2 exists", () => {
    useEditor.getState().select(["old"]);
    render(<NodePanel />);
    expect(screen.getByText(/Echo v1/)).toBeTruthy();
    expect(document.getElementById("f-old.text")).not.toBeNull();
    expect(document.getElementById("f-old.message")).toBeNull();
  });

  it("adds a new node at the newest version with that version's defaults", () => {
    const id = useEditor.getState().addNodeOfType("echo", { x: 0, y: 0 })!;
    const added = useEditor.getState().nodes.find((n) => n.id === id)!;
    expect(added.data).toMatchObject({ version: 2, title: "Echo v2", config: { message: "" } });
    useEditor.getState().select([id]);
    render(<NodePanel />);
    expect(document.getElementById(`f-${id}.message`)).not.toBeNull();
  });
});
