import { act, fireEvent, render, screen, within } from "@testing-library/react";
import { beforeEach, describe, expect, it } from "vitest";

import { useEditor } from "../state/store";
import { citationsOf, joinMetadata, otherMetadata, snippet } from "./metadata";
import { RunPanel } from "./RunPanel";
import { edge, event, installFakeSocket, node, setEditor, settle, type FakeWebSocket } from "./testing";

// Dify's retriever_resources items, as runtime RetrievedChunk.as_citation() makes them
const cats = { position: 1, content: "Cats purr when they are content.", score: 0.9234, document_id: "doc-1", document_name: "cats.md", dataset_id: "kb", dataset_name: "Pets", segment_id: "seg-1" };
const dogs = { position: 2, content: "Dogs bark.", score: 0.81, document_id: "doc-2", document_name: "", dataset_id: "kb", dataset_name: "Pets", segment_id: "seg-2" };

describe("metadata helpers", () => {
  it("reads citations, naming a document by its id when it has no name", () => {
    expect(citationsOf({ retriever_resources: [cats, dogs, "junk"] })).toEqual([
      { position: 1, documentName: "cats.md", datasetName: "Pets", score: 0.9234, content: cats.content },
      { position: 2, documentName: "doc-2", datasetName: "Pets", score: 0.81, content: "Dogs bark." },
    ]);
    expect(citationsOf({ retriever_resources: "not a list" })).toEqual([]);
    expect(citationsOf(undefined)).toEqual([]);
  });

  it("keeps the other keys and joins the nodes' lists by key, in order", () => {
    expect(otherMetadata({ retriever_resources: [cats], usage: { total_tokens: 5 } })).toEqual({ usage: { total_tokens: 5 } });
    expect(joinMetadata([{ retriever_resources: [cats] }, {}, undefined, { retriever_resources: [dogs], usage: { total_tokens: 1 } }])).toEqual({ retriever_resources: [cats, dogs] });
  });

  it("cuts a long passage to a one-line snippet", () => {
    expect(snippet("a\n\nb  c")).toBe("a b c");
    expect(snippet("x".repeat(50), 10)).toBe(`${"x".repeat(9)}…`);
  });
});

let Sock: typeof FakeWebSocket;

beforeEach(() => {
  Sock = installFakeSocket();
  setEditor([node("start", "start", "Start"), node("k", "knowledge", "Search docs"), node("answer", "answer", "Answer")], [edge("start", "k"), edge("k", "answer")]);
});

async function run(query: string, start: HTMLElement): Promise<void> {
  if (query) fireEvent.change(screen.getByTestId("chat-input"), { target: { value: query } });
  await act(async () => {
    fireEvent.click(start);
    await settle();
  });
  act(() => {
    Sock.last.receive({ type: "run_created", run_id: "r1", conversation_id: null });
    Sock.last.receive(event("r1", "node_started", { node_id: "k", index: 1 }));
    Sock.last.receive(event("r1", "node_succeeded", { node_id: "k", outputs: { result: "Cats purr." }, metadata: { retriever_resources: [cats, dogs], usage: { total_tokens: 7 } } }));
    Sock.last.receive(event("r1", "text_chunk", { node_id: "answer", text: "They purr." }));
    Sock.last.receive(event("r1", "run_finished", { status: "succeeded", answer: "They purr.", metadata: { retriever_resources: [cats, dogs] } }));
  });
}

describe("node metadata in the editor", () => {
  it("shows a node's citations and its other metadata in the trace", async () => {
    render(<RunPanel />);
    await run("", screen.getByTestId("run-start"));
    fireEvent.click(within(screen.getByTestId("run-trace-k")).getByRole("button"));
    const items = screen.getByTestId("run-node-citations").querySelectorAll("li");
    expect(items).toHaveLength(2);
    expect(items[0].textContent).toContain("1cats.mdPets0.92Cats purr when they are content.");
    expect(items[1].textContent).toContain("doc-2");
    expect(screen.getByText("Usage")).toBeTruthy();
    expect(JSON.parse(screen.getByTestId("run-node-metadata-usage").textContent!)).toEqual({ total_tokens: 7 });
    expect(screen.queryByTestId("run-node-metadata-retriever_resources")).toBeNull();
  });

  it("lists the answer's citations under it in the chat preview", async () => {
    useEditor.setState({ mode: "chat" });
    render(<RunPanel />);
    await run("Do cats purr?", screen.getByTestId("chat-send"));
    const answer = screen.getByTestId("chat-assistant");
    expect(answer.textContent).toContain("They purr.");
    const docs = [...within(answer).getByTestId("chat-citations").querySelectorAll(".run-citation-doc")].map((d) => d.textContent);
    expect(docs).toEqual(["cats.md", "doc-2"]);
  });
});
