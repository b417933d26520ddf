import { cleanup, render, screen } from "@testing-library/react";
import { afterEach, describe, expect, it } from "vitest";

import { kbFixture } from "./fixtures/kb";
import { KbSettings } from "./KbSettings";

afterEach(cleanup);

describe("knowledge base settings", () => {
  it("says how the documents were chunked", () => {
    render(<KbSettings kb={kbFixture()} canEdit={false} onSaved={() => undefined} />);
    expect(screen.getByTestId("kb-chunking-summary").textContent).not.toContain("RAGFlow");
  });

  it("says RAGFlow chunks a linked dataset's files, not Weft's chunking settings", () => {
    const kb = kbFixture({ backend: "ragflow", ragflow_dataset_id: "ds-42" });
    render(<KbSettings kb={kb} canEdit={false} onSaved={() => undefined} />);
    const summary = screen.getByTestId("kb-chunking-summary").textContent ?? "";
    expect(summary).toContain("RAGFlow parses, chunks and embeds");
    expect(summary).toContain("ds-42");
  });
});
