import { cleanup, fireEvent, render, screen, within } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";

import { fakeServer, KB, kbFixture } from "../knowledge/fixtures/kb";
import { KnowledgeBasesField } from "./KnowledgeBasesField";

afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
});

describe("knowledge bases field", () => {
  it("picks knowledge bases by name and keeps their ids", async () => {
    fakeServer({ "GET /knowledge-bases": [kbFixture(), kbFixture({ id: "kb-4", name: "Support", document_count: 7 })] });
    const onChange = vi.fn();
    const { rerender } = render(<KnowledgeBasesField id="f-k.dataset_ids" label="Knowledge bases" value={[KB]} onChange={onChange} disabled={false} />);
    const support = await screen.findByTestId("kb-pick-kb-4");
    expect(support.textContent).toContain("Support");
    expect(support.textContent).toContain("7 docs");
    expect((within(screen.getByTestId(`kb-pick-${KB}`)).getByRole("checkbox") as HTMLInputElement).checked).toBe(true);
    fireEvent.click(within(support).getByRole("checkbox"));
    expect(onChange).toHaveBeenLastCalledWith([KB, "kb-4"]);
    rerender(<KnowledgeBasesField id="f-k.dataset_ids" label="Knowledge bases" value={[KB, "kb-4"]} onChange={onChange} disabled={false} />);
    fireEvent.click(within(screen.getByTestId(`kb-pick-${KB}`)).getByRole("checkbox"));
    expect(onChange).toHaveBeenLastCalledWith(["kb-4"]);
  });

  it("links to the knowledge page when the workspace has none, and fetches again on ↻", async () => {
    let bases = [] as ReturnType<typeof kbFixture>[];
    fakeServer({ "GET /knowledge-bases": () => bases });
    render(<KnowledgeBasesField id="f" label="Knowledge bases" value={[]} onChange={() => undefined} disabled={false} />);
    const empty = await screen.findByTestId("kb-field-empty");
    expect(within(empty).getByRole("link").getAttribute("href")).toBe("/knowledge/");
    bases = [kbFixture()];
    fireEvent.click(within(empty).getByLabelText("Fetch the knowledge bases again"));
    expect(await screen.findByTestId(`kb-pick-${KB}`)).toBeTruthy();
  });

  it("marks a picked knowledge base that is gone, and removes it", async () => {
    fakeServer({ "GET /knowledge-bases": [kbFixture()] });
    const onChange = vi.fn();
    render(<KnowledgeBasesField id="f" label="Knowledge bases" value={[KB, "gone-99"]} onChange={onChange} disabled={false} />);
    const gone = await screen.findByTestId("kb-missing-gone-99");
    fireEvent.click(within(gone).getByRole("button"));
    expect(onChange).toHaveBeenLastCalledWith([KB]);
  });
});
