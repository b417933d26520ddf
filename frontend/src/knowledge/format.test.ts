import { describe, expect, it } from "vitest";

import { DOC, docFixture, KB } from "./fixtures/kb";
import { checkFiles, documentFraction, progressWords, readMetadata, readSeparator, showSeparator } from "./format";
import { parseHash } from "./route";
import type { Stage } from "./types";

const MB = 2 ** 20;
const SUFFIXES = [".txt", ".md", ".markdown", ".pdf", ".htm", ".html"];

function file(name: string, size: number): File {
  return new File([new Uint8Array(size)], name);
}

describe("knowledge words and numbers", () => {
  it("moves one bar forward through the stages, embedding by its chunk counts", () => {
    const at = (stage: Stage, done = 0, total = 0) => documentFraction(docFixture({ stage, progress: { done, total } }));
    const steps = [at("queued"), at("parsing"), at("chunking"), at("embedding", 0, 10), at("embedding", 5, 10), at("embedding", 10, 10), at("indexed")];
    expect(steps).toEqual([...steps].sort((a, b) => a - b));
    expect(steps[0]).toBe(0);
    expect(at("indexed")).toBe(1);
    expect(at("embedding", 5, 10)).toBeCloseTo(0.56);
    expect(progressWords(docFixture({ stage: "embedding", progress: { done: 120, total: 300 } }))).toBe("Embedding · 120 / 300 chunks");
    expect(progressWords(docFixture({ stage: "indexed", chunk_count: 1 }))).toBe("Indexed · 1 chunk");
    expect(progressWords(docFixture({ stage: "queued", progress: { done: 0, total: 0 } }))).toBe("Queued");
  });

  it("shows a server's parsing (RAGFlow) by its percent on the whole bar", () => {
    const parsing = docFixture({ stage: "parsing", progress: { done: 40, total: 100 } });
    expect(documentFraction(parsing)).toBeCloseTo(0.4);
    expect(progressWords(parsing)).toBe("Parsing · 40%");
    expect(progressWords(docFixture({ stage: "parsing", progress: { done: 0, total: 0 } }))).toBe("Parsing");
  });

  it("refuses before upload a file too big, empty, or of a type not read, saying why", () => {
    const { accepted, refused } = checkFiles([file("a.md", 10), file("big.pdf", 16 * MB), file("x.exe", 10), file("empty.txt", 0), file("README", 3)], 15 * MB, SUFFIXES);
    expect(accepted.map((f) => f.name)).toEqual(["a.md"]);
    expect(refused).toEqual([
      { name: "big.pdf", reason: "the file is 16 MB, over the limit of 15 MB" },
      { name: "x.exe", reason: ".exe files are not read: use .txt, .md, .pdf, .html" },
      { name: "empty.txt", reason: "the file is empty" },
      { name: "README", reason: "a file without an extension is not read: use .txt, .md, .pdf, .html" },
    ]);
  });

  it("types separators on one line and reads them back", () => {
    for (const s of ["\n\n", "\t", "a\\b", "。"]) expect(readSeparator(showSeparator(s))).toBe(s);
    expect(showSeparator("\n\n")).toBe("\\n\\n");
  });

  it("reads metadata rows, numbers as numbers, and names the row at fault", () => {
    expect(readMetadata([{ key: " year ", value: "2024" }, { key: "team", value: "ops" }, { key: "", value: "" }, { key: "v", value: "1.5" }])).toEqual({ metadata: { year: 2024, team: "ops", v: 1.5 } });
    expect(readMetadata([{ key: "", value: "x" }])).toEqual({ error: "Row 1 has a value but no key." });
    expect(readMetadata([{ key: "a", value: "1" }, { key: "a", value: "2" }])).toEqual({ error: "The key “a” is given twice (row 2)." });
  });

  it("reads the view from the URL hash", () => {
    expect(parseHash("")).toEqual({ kb: null, tab: "documents", doc: null });
    expect(parseHash(`#kb/${KB}`)).toEqual({ kb: KB, tab: "documents", doc: null });
    expect(parseHash(`#kb/${KB}/search`)).toEqual({ kb: KB, tab: "search", doc: null });
    expect(parseHash(`#kb/${KB}/documents/${DOC}`)).toEqual({ kb: KB, tab: "documents", doc: DOC });
    expect(parseHash("#kb/<script>/measure")).toEqual({ kb: null, tab: "documents", doc: null });
    expect(parseHash(`#kb/${KB}/nonsense`)).toEqual({ kb: KB, tab: "documents", doc: null });
  });
});
