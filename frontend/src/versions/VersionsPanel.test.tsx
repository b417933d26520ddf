import { act, fireEvent, render, screen } from "@testing-library/react";
import { beforeEach, describe, expect, it } from "vitest";

import { edge, fakeApi, node, setEditor, settle } from "../run/testing";
import { useEditor } from "../state/store";
import { PublishButton } from "./PublishButton";
import { useVersions } from "./store";
import { VersionsPanel } from "./VersionsPanel";

const now = new Date().toISOString();
const versions = [
  { id: 12, number: 2, note: "Friendlier prompt", draft_revision: 9, created_at: now, created_by: "ana" },
  { id: 11, number: 1, note: "", draft_revision: 4, created_at: "2026-01-01T00:00:00Z", created_by: "bo" },
];
const diff = {
  from_version: 2,
  to: "draft",
  nodes_added: [],
  nodes_removed: [{ id: "old", type: "template", title: "Old step" }],
  nodes_changed: [{ id: "llm", type: "llm", title: "Ask", changes: [{ path: "config.prompt", before: "x".repeat(300), after: "short" }] }],
  edges_added: [],
  edges_removed: [{ source: "llm", source_handle: "source", target: "old", target_handle: "target" }],
};
const draft = { spec: { mode: "workflow", nodes: [{ id: "llm", type: "llm", title: "Ask" }], edges: [] }, revision: 11, updated_at: now, issues: [], nodes: {}, globals: {} };

beforeEach(() => {
  useVersions.setState({ list: null, error: null });
  setEditor([node("llm", "llm", "Ask"), node("end", "end", "End")], [edge("llm", "end")], { revision: 10 });
});

async function click(el: HTMLElement): Promise<void> {
  await act(async () => {
    fireEvent.click(el);
    await settle();
  });
}

async function renderPanel(): Promise<void> {
  render(<VersionsPanel />);
  await act(() => settle());
}

describe("VersionsPanel", () => {
  it("lists versions newest first with note, author and time", async () => {
    fakeApi([{ method: "GET", path: "/apps/7/versions", body: versions }]);
    await renderPanel();
    const row = screen.getByTestId("version-row-2");
    expect(row.textContent).toContain("v2");
    expect(row.textContent).toContain("Live");
    expect(row.textContent).toContain("Friendlier prompt");
    expect(row.textContent).toContain("ana · just now");
    expect(screen.getByTestId("version-row-1").textContent).toContain("No note");
  });

  it("compares against the draft by default, and against another version on request", async () => {
    const { calls } = fakeApi([
      { method: "GET", path: "/apps/7/versions", body: versions },
      { method: "GET", path: /^\/apps\/7\/versions\/2\/diff/, body: diff },
    ]);
    await renderPanel();
    await click(screen.getByTestId("compare-2"));
    expect(calls.at(-1)?.path).toBe("/apps/7/versions/2/diff?against=draft");
    const view = screen.getByTestId("diff-view");
    expect(view.textContent).toContain("v2 → Draft");
    expect(screen.getByTestId("diff-nodes_removed").textContent).toContain("Old step");
    expect(screen.getByTestId("diff-edges_removed").textContent).toContain("Ask → Old step");
    // a long value is cut, with a toggle
    const changed = screen.getByTestId("diff-nodes_changed");
    expect(changed.textContent).toContain("config.prompt");
    expect(changed.textContent).not.toContain("x".repeat(300));
    await click(screen.getByText("more"));
    expect(changed.textContent).toContain("x".repeat(300));

    await act(async () => {
      fireEvent.change(screen.getByTestId("compare-against-2"), { target: { value: "1" } });
      await settle();
    });
    expect(calls.at(-1)?.path).toBe("/apps/7/versions/2/diff?against=1");
  });

  it("says when there are no differences", async () => {
    fakeApi([
      { method: "GET", path: "/apps/7/versions", body: versions },
      { method: "GET", path: /diff/, body: { ...diff, nodes_removed: [], nodes_changed: [], edges_removed: [] } },
    ]);
    await renderPanel();
    await click(screen.getByTestId("compare-1"));
    expect(screen.getByTestId("diff-view").textContent).toContain("No differences");
  });

  it("restores after a confirmation, sending the draft's revision, then reloads the draft", async () => {
    const { calls } = fakeApi([
      { method: "GET", path: "/apps/7/versions", body: versions },
      { method: "POST", path: "/apps/7/versions/1/restore", body: draft },
      { method: "GET", path: "/apps/7/draft", body: draft },
    ]);
    await renderPanel();
    await click(screen.getByTestId("restore-1"));
    expect(screen.getByTestId("restore-confirm-1").textContent).toContain("Replace the draft with v1? You can undo by restoring another version");
    expect(calls.filter((c) => c.method === "POST")).toHaveLength(0);
    await click(screen.getByTestId("restore-confirm-button-1"));
    expect(calls.find((c) => c.method === "POST")).toEqual({ method: "POST", path: "/apps/7/versions/1/restore", body: { revision: 10 } });
    expect(calls.at(-1)?.path).toBe("/apps/7/draft");
    expect(useEditor.getState().revision).toBe(11);
    expect(useEditor.getState().nodes.map((n) => n.id)).toEqual(["llm"]);
    expect(useEditor.getState().toast?.text).toBe("Restored v1 into the draft");
    expect(screen.queryByTestId("restore-confirm-1")).toBeNull();
  });

  it("explains a draft that changed meanwhile and offers to reload it", async () => {
    const { calls } = fakeApi([
      { method: "GET", path: "/apps/7/versions", body: versions },
      { method: "POST", path: "/apps/7/versions/1/restore", status: 409, body: { code: "draft_conflict", message: "stale", current_revision: 14 } },
      { method: "GET", path: "/apps/7/draft", body: { ...draft, revision: 14 } },
    ]);
    await renderPanel();
    await click(screen.getByTestId("restore-1"));
    await click(screen.getByTestId("restore-confirm-button-1"));
    expect(screen.getByTestId("restore-problem").textContent).toContain("now revision 14");
    expect(useEditor.getState().revision).toBe(10);
    await click(screen.getByTestId("restore-reload"));
    expect(calls.at(-1)?.path).toBe("/apps/7/draft");
    expect(useEditor.getState().revision).toBe(14);
  });

  it("offers no Restore to someone who cannot edit", async () => {
    useEditor.setState({ canEdit: false });
    fakeApi([{ method: "GET", path: "/apps/7/versions", body: versions }]);
    await renderPanel();
    expect(screen.getByTestId("compare-2")).toBeTruthy();
    expect(screen.queryByTestId("restore-2")).toBeNull();
  });
});

describe("PublishButton", () => {
  it("publishes with the note and says which version it made", async () => {
    const { calls } = fakeApi([
      { method: "POST", path: "/apps/7/publish", status: 201, body: { ...versions[0], number: 3, note: "ship it" } },
      { method: "GET", path: "/apps/7/versions", body: versions },
    ]);
    render(<PublishButton />);
    fireEvent.click(screen.getByTestId("publish-open"));
    const note = screen.getByTestId("publish-note") as HTMLTextAreaElement;
    expect(note.maxLength).toBe(500);
    fireEvent.change(note, { target: { value: "  ship it " } });
    await click(screen.getByTestId("publish-confirm"));
    expect(calls[0]).toEqual({ method: "POST", path: "/apps/7/publish", body: { note: "ship it" } });
    expect(useEditor.getState().toast?.text).toBe("Published v3");
    expect(screen.queryByTestId("publish-dialog")).toBeNull();
    expect(useVersions.getState().list).toHaveLength(2); // the panel's list is refreshed
  });

  it("lists the issues when the graph cannot be published, and keeps the dialog open", async () => {
    fakeApi([
      {
        method: "POST",
        path: "/apps/7/publish",
        status: 422,
        body: { code: "graph_invalid", message: "invalid", issues: [{ code: "bad_config", message: "model is required", node_id: "llm" }, { code: "cycle", message: "a cycle", node_id: null }] },
      },
    ]);
    render(<PublishButton />);
    fireEvent.click(screen.getByTestId("publish-open"));
    await click(screen.getByTestId("publish-confirm"));
    const issues = screen.getByTestId("publish-issues");
    expect(issues.querySelectorAll("li")).toHaveLength(2);
    expect(issues.textContent).toContain("Ask");
    expect(issues.textContent).toContain("model is required");
    expect(screen.getByTestId("publish-dialog")).toBeTruthy();
    expect(useEditor.getState().toast).toBeNull();
  });

  it("does not publish a draft it could not save", async () => {
    const { calls } = fakeApi([]);
    useEditor.setState({ save: { state: "conflict" } });
    render(<PublishButton />);
    fireEvent.click(screen.getByTestId("publish-open"));
    await click(screen.getByTestId("publish-confirm"));
    expect(calls).toHaveLength(0);
    expect(screen.getByTestId("publish-problem").textContent).toContain("Reload");
  });
});
