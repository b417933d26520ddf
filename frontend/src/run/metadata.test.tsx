import { act, fireEvent, render, screen, within } from "@testing-library/react";
import { beforeEach, describe, expect, it } from "vitest";

import { useEditor } from "../state/store";
import { citationsOf, joinMetadata, otherMetadata, retrievalOf, snippet } from "./metadata";
import { RunPanel } from "./RunPanel";
import { edge, event, installFakeSocket, node, setEditor, settle, type FakeWebSocket } from "./testing";

// Dify's retriever_resources items, as runtime RetrievedChunk.as_citation() makes them
const cats = { position: 1, content: "Cats purr when they are content.", score: 0.9234, document_id: "doc-1", document_name: "cats.md", dataset_id: "kb", dataset_name: "Pets", segment_id: "seg-1" };
const dogs = { position: 2, content: "Dogs\n\nbark.", score: 0.81, document_id: "doc-2", document_name: "", dataset_id: "kb", dataset_name: "Pets", segment_id: "seg-2" };
const longPassage = `Cats purr when they are content. ${"They also purr when they heal, at 25 to 150 Hz. ".repeat(6)}The end.`;
const catsLong = { ...cats, content: longPassage };
const retrieval = { query: "Do cats purr?", hits: [{ segment_id: "seg-1", document_name: "cats.md", score: 0.92, vector_score: 0.88, full_text_score: 0.95, kept: true }, { segment_id: "seg-9", document_name: "fish.md", score: 0.05, vector_score: 0.05, full_text_score: null, kept: false }] };

describe("metadata helpers", () => {
  it("reads citations, naming a document by its id when it has no name", () => {
    expect(citationsOf({ retriever_resources: [cats, dogs, "junk"] })).toEqual([
      { position: 1, documentName: "cats.md", datasetName: "Pets", score: 0.9234, content: cats.content },
      { position: 2, documentName: "doc-2", datasetName: "Pets", score: 0.81, content: "Dogs\n\nbark." },
    ]);
    expect(citationsOf({ retriever_resources: "not a list" })).toEqual([]);
    expect(citationsOf(undefined)).toEqual([]);
  });

  it("keeps the other keys and joins the nodes' lists by key, in order", () => {
    expect(otherMetadata({ retriever_resources: [cats], usage: { total_tokens: 5 } })).toEqual({ usage: { total_tokens: 5 } });
    expect(joinMetadata([{ retriever_resources: [cats] }, {}, undefined, { retriever_resources: [dogs], usage: { total_tokens: 1 } }])).toEqual({ retriever_resources: [cats, dogs] });
  });

  it("reads a knowledge node's retrieval, and leaves it out of the other keys only when it reads", () => {
    const retrieval = { query: "purr?", hits: [{ segment_id: "s1", document_name: "cats.md", score: 0.9, vector_score: 0.8, full_text_score: null, kept: true }, { segment_id: "s2", document_name: "", score: 0.1, vector_score: 0.1, full_text_score: 0.2, kept: false }] };
    expect(retrievalOf({ retrieval })).toEqual({
      query: "purr?",
      hits: [
        { documentName: "cats.md", score: 0.9, vectorScore: 0.8, fullTextScore: null, kept: true },
        { documentName: "s2", score: 0.1, vectorScore: 0.1, fullTextScore: 0.2, kept: false },
      ],
    });
    expect(otherMetadata({ retrieval, usage: 1 })).toEqual({ usage: 1 });
    expect(retrievalOf({ retrieval: "something else" })).toBeNull();
    expect(otherMetadata({ retrieval: "something else" })).toEqual({ retrieval: "something else" });
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
    Sock.last.receive(event("r1", "node_succeeded", { node_id: "k", outputs: { result: "Cats purr." }, metadata: { retriever_resources: [cats, dogs], usage: { total_tokens: 7 }, retrieval } }));
    Sock.last.receive(event("r1", "text_chunk", { node_id: "answer", text: "They purr." }));
    Sock.last.receive(event("r1", "run_finished", { status: "succeeded", answer: "They purr.", metadata: { retriever_resources: [catsLong, dogs] } }));
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
    const hits = screen.getByTestId("run-node-retrieval");
    expect(hits.textContent).toContain("Search for “Do cats purr?”");
    const rows = [...hits.querySelectorAll("tbody tr")].map((r) => [r.textContent, r.className]);
    expect(rows).toEqual([
      ["cats.md0.920.880.95", ""],
      ["fish.md0.050.05–", "run-hit-dropped"],
    ]);
    expect(screen.queryByTestId("run-node-metadata-retrieval")).toBeNull();
  });

  it("lists the answer's citations under it in the chat preview", async () => {
    useEditor.setState({ mode: "chat" });
    render(<RunPanel />);
    await run("Do cats purr?", screen.getByTestId("chat-send"));
    const answer = screen.getByTestId("chat-assistant");
    expect(answer.textContent).toContain("They purr.");
    const docs = [...within(answer).getByTestId("chat-citations").querySelectorAll(".run-citation-doc")].map((d) => d.textContent);
    expect(docs).toEqual(["cats.md", "doc-2"]);
    // a long passage shows a snippet that opens to the whole of it; a short one is whole already
    const passage = within(answer).getByTestId("chat-citations").querySelector("details")!;
    expect(passage.open).toBe(false);
    expect(passage.querySelector(".run-citation-snippet")!.textContent!.endsWith("…")).toBe(true);
    fireEvent.click(passage.querySelector("summary")!);
    expect(passage.open).toBe(true);
    expect(within(passage).getByTestId("run-citation-full").textContent).toBe(longPassage);
    expect(within(answer).getAllByText("Dogs bark.")).toHaveLength(1);
    expect(within(answer).getByTestId("chat-citations").querySelectorAll("details")).toHaveLength(1);
  });
});
