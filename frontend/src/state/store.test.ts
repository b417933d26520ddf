import { beforeEach, describe, expect, it } from "vitest";

import type { NodeTypeInfo } from "../api/types";
import { specToGraph } from "./graph";
import { emptyHistory } from "./history";
import { useEditor, withModel } from "./store";

const llmType = {
  type: "llm",
  version: 1,
  title: "LLM",
  category: "llm",
  description: "",
  config_schema: { type: "object", properties: { prompt: { type: "string", default: "{{#sys.query#}}" } } },
  outputs: { text: "string" },
  modes: ["chat", "workflow"],
  defaults: { chat: { prompt: "{{#sys.query#}}" }, workflow: { prompt: "" } },
} as unknown as NodeTypeInfo;
const answerType = { ...llmType, type: "answer", title: "Answer", modes: ["chat"], defaults: { chat: { answer: "" } } } as unknown as NodeTypeInfo;

beforeEach(() => {
  const g = specToGraph({ mode: "chat", nodes: [{ id: "start", type: "start", title: "Start" }], edges: [] });
  useEditor.setState({ ...g, mode: "chat", env: [], canEdit: true, history: emptyHistory(), docVersion: 0 });
  useEditor.getState().setCatalog([llmType, answerType]);
});

describe("editor store", () => {
  it("adds a node from the catalog with its defaults for a chat app, undoably", () => {
    const s = useEditor.getState();
    const id = s.addNodeOfType("llm", { x: 10, y: 10 })!;
    expect(useEditor.getState().nodes.find((n) => n.id === id)?.data.config).toEqual({ prompt: "{{#sys.query#}}" });
    expect(useEditor.getState().docVersion).toBe(1);
    useEditor.getState().undo();
    expect(useEditor.getState().nodes.map((n) => n.id)).toEqual(["start"]);
    useEditor.getState().redo();
    expect(useEditor.getState().nodes.map((n) => n.id)).toEqual(["start", id]);
  });

  it("adds a node with its type's default config for the app's mode, and none of a type not offered in it", () => {
    useEditor.setState({ mode: "workflow" });
    const id = useEditor.getState().addNodeOfType("llm", { x: 0, y: 0 })!;
    expect(useEditor.getState().nodes.find((n) => n.id === id)?.data.config).toEqual({ prompt: "" });
    expect(useEditor.getState().addNodeOfType("answer", { x: 0, y: 0 })).toBeNull();
    expect(useEditor.getState().nodes.map((n) => n.data.type)).toEqual(["start", "llm"]);
    expect(useEditor.getState().toast?.text).toBe("Answer works only in chat apps, so it was not added.");
    useEditor.setState({ mode: "chat" });
    expect(useEditor.getState().addNodeOfType("answer", { x: 0, y: 0 })).not.toBeNull();
  });

  it("makes one undo step of a burst of typing into one field", () => {
    const id = useEditor.getState().addNodeOfType("llm", { x: 0, y: 0 })!;
    for (const text of ["H", "He", "Hel"]) {
      useEditor.getState().updateNode(id, { config: { prompt: text } }, `${id}:config`);
    }
    expect(useEditor.getState().history.past).toHaveLength(2); // the add, then the typing
    useEditor.getState().undo();
    expect(useEditor.getState().nodes.find((n) => n.id === id)?.data.config).toEqual({ prompt: "{{#sys.query#}}" });
  });

  it("deletes the selection with its edges in one step", () => {
    const id = useEditor.getState().addNodeOfType("llm", { x: 0, y: 0 })!;
    useEditor.getState().connectNodes({ source: "start", target: id });
    expect(useEditor.getState().edges).toHaveLength(1);
    useEditor.getState().select([id]);
    useEditor.getState().deleteSelection();
    expect(useEditor.getState().nodes.map((n) => n.id)).toEqual(["start"]);
    expect(useEditor.getState().edges).toHaveLength(0);
    useEditor.getState().undo();
    expect(useEditor.getState().edges).toHaveLength(1);
  });

  it("moves an edge's end in one undoable step that is saved", () => {
    const a = useEditor.getState().addNodeOfType("llm", { x: 0, y: 0 })!;
    const b = useEditor.getState().addNodeOfType("llm", { x: 300, y: 0 })!;
    useEditor.getState().connectNodes({ source: "start", target: a });
    const id = useEditor.getState().edges[0].id;
    const version = useEditor.getState().docVersion;
    useEditor.getState().reconnectEdge(id, { source: "start", target: b });
    expect(useEditor.getState().edges.map((e) => e.target)).toEqual([b]);
    expect(useEditor.getState().docVersion).toBe(version + 1); // the sync loop saves it
    useEditor.getState().undo();
    expect(useEditor.getState().edges.map((e) => e.target)).toEqual([a]);
    useEditor.getState().redo();
    expect(useEditor.getState().edges.map((e) => e.target)).toEqual([b]);
    const steps = useEditor.getState().history.past.length;
    useEditor.getState().reconnectEdge(useEditor.getState().edges[0].id, { source: "start", target: b });
    expect(useEditor.getState().history.past).toHaveLength(steps); // back where it was: no step
  });

  it("adds a clicked-in node in free space and leaves the side panel closed", () => {
    useEditor.setState({ panel: null });
    const first = useEditor.getState().addNodeOfType("llm", { x: 0, y: 0 })!;
    const second = useEditor.getState().addNodeOfType("llm", { x: 0, y: 0 }, { free: true })!;
    const at = (id: string) => useEditor.getState().nodes.find((n) => n.id === id)!.position;
    expect(at(first)).toEqual({ x: 0, y: 0 }); // a drop goes where it was dropped
    const p = at(second);
    expect(Math.abs(p.x) >= 240 || Math.abs(p.y) >= 90).toBe(true); // not on top of the first
    expect(useEditor.getState().panel).toBeNull();
  });

  it("pastes at the mouse, moved off the nodes there, or beside the copies", () => {
    const id = useEditor.getState().addNodeOfType("llm", { x: 500, y: 500 })!;
    const clip = useEditor.getState().copySelection()!;
    useEditor.getState().paste(clip, { x: 620, y: 545 }); // the mouse over the copied node
    const pasted = useEditor.getState().nodes.find((n) => n.selected)!;
    expect(pasted.id).not.toBe(id);
    const p = pasted.position;
    expect(Math.abs(p.x - 500) >= 240 || Math.abs(p.y - 500) >= 90).toBe(true);
    useEditor.getState().paste(clip, { x: 2000, y: 120 }); // free space: right at the mouse
    expect(useEditor.getState().nodes.find((n) => n.selected)!.position).toEqual({ x: 2000, y: 120 });
    useEditor.getState().paste(clip, null);
    const third = useEditor.getState().nodes.find((n) => n.selected)!;
    for (const other of useEditor.getState().nodes.filter((n) => n !== third)) {
      const dx = Math.abs(third.position.x - other.position.x);
      const dy = Math.abs(third.position.y - other.position.y);
      expect(dx >= 240 || dy >= 90).toBe(true);
    }
  });

  it("pastes none of the nodes this app's mode does not offer, and says which and why", () => {
    // Copied in a chat app: LLM → Answer.
    const llm = useEditor.getState().addNodeOfType("llm", { x: 0, y: 0 })!;
    const answer = useEditor.getState().addNodeOfType("answer", { x: 300, y: 0 })!;
    useEditor.getState().connectNodes({ source: llm, target: answer });
    useEditor.getState().select([llm, answer]);
    const clip = useEditor.getState().copySelection()!;
    expect(clip.edges).toHaveLength(1);

    // Pasted into a workflow app: the LLM comes, the Answer and its wire stay out, and a note says so.
    const g = specToGraph({ mode: "workflow", nodes: [{ id: "start", type: "start", title: "Start" }], edges: [] });
    useEditor.setState({ ...g, mode: "workflow", toast: null });
    useEditor.getState().paste(clip, { x: 0, y: 400 });
    expect(useEditor.getState().nodes.map((n) => n.data.type)).toEqual(["start", "llm"]);
    expect(useEditor.getState().edges).toEqual([]);
    expect(useEditor.getState().toast).toEqual({ text: "Answer works only in chat apps, so it was not pasted.", kind: "error" });

    // Nothing left to paste: nothing changes, not even the undo history; the note still comes.
    const only = { ...clip, nodes: clip.nodes.filter((n) => n.data.type === "answer"), edges: [] };
    only.nodes[0].data.title = "Reply";
    const before = useEditor.getState().history.past.length;
    useEditor.getState().paste(only, null);
    expect(useEditor.getState().nodes.map((n) => n.data.type)).toEqual(["start", "llm"]);
    expect(useEditor.getState().history.past).toHaveLength(before);
    expect(useEditor.getState().toast?.text).toBe("Answer works only in chat apps, so “Reply” was not pasted.");
  });

  it("ignores edits when read only", () => {
    useEditor.setState({ canEdit: false });
    expect(useEditor.getState().addNodeOfType("llm", { x: 0, y: 0 })).not.toBeNull();
    expect(useEditor.getState().nodes).toHaveLength(1);
  });
});

describe("new nodes' models", () => {
  it("names the first model of the default provider, or of the first provider", () => {
    const schema = { properties: { model: { $ref: "#/$defs/M", widget: "model" } } };
    const providers = [
      { name: "vllm", kind: "vllm", models: ["qwen"], base_url: null, builtin: true, api_key_set: false },
      { name: "embedded", kind: "embedded", models: ["smollm2"], base_url: null, builtin: true, api_key_set: false },
    ];
    expect(withModel({ model: { provider: "embedded", name: "" } }, schema, providers)).toEqual({ model: { provider: "embedded", name: "smollm2" } });
    expect(withModel({ model: { provider: "gone", name: "" } }, schema, providers)).toEqual({ model: { provider: "vllm", name: "qwen" } });
    expect(withModel({ model: { provider: "vllm", name: "mine" } }, schema, providers)).toEqual({ model: { provider: "vllm", name: "mine" } });
  });
});
