import { ReactFlowProvider } from "@xyflow/react";
import { cleanup, fireEvent, render, screen } from "@testing-library/react";
import { afterEach, beforeEach, describe, expect, it } from "vitest";

import { usePending } from "../panel/pending";
import { node, setEditor } from "../run/testing";
import { ISSUES_OPEN_KEY, IssueList } from "./IssueList";

const issues = [
  { code: "bad_config", message: "Prompt: fill this in", node_id: "llm", field: "prompt" },
  { code: "unreachable", message: "node llm cannot be reached", node_id: "llm", field: null },
];

beforeEach(() => {
  localStorage.clear();
  usePending.setState({ paths: [] });
  setEditor([node("llm", "llm", "Writer")], [], { report: { issues, nodes: {}, globals: {} } });
});

afterEach(cleanup);

function draw() {
  return render(
    <ReactFlowProvider>
      <IssueList />
    </ReactFlowProvider>,
  );
}

describe("the issue list under the canvas", () => {
  it("lists every issue with its node's title", () => {
    draw();
    const list = screen.getByTestId("issue-list");
    expect(list.dataset.count).toBe("2");
    expect(list.textContent).toContain("⚠ 2 issues");
    expect(screen.getAllByRole("listitem").map((li) => li.textContent)).toEqual(["Writer: Prompt: fill this in", "Writer: node llm cannot be reached"]);
  });

  it("folds to one line, and this browser remembers it folded", () => {
    draw();
    fireEvent.click(screen.getByRole("button", { name: /2 issues/ }));
    expect(screen.queryAllByRole("listitem")).toHaveLength(0);
    expect(screen.getByTestId("issue-list").textContent).toContain("⚠ 2 issues"); // the count stays in sight
    expect(localStorage.getItem(ISSUES_OPEN_KEY)).toBe("0");
    cleanup();
    draw();
    expect(screen.queryAllByRole("listitem")).toHaveLength(0);
    fireEvent.click(screen.getByRole("button", { name: /2 issues/ }));
    expect(screen.getAllByRole("listitem")).toHaveLength(2);
    expect(localStorage.getItem(ISSUES_OPEN_KEY)).toBe("1");
  });

  it("holds back the problem of a field being typed into", () => {
    usePending.setState({ paths: ["llm.prompt"] });
    draw();
    expect(screen.getByTestId("issue-list").dataset.count).toBe("1");
    expect(screen.getAllByRole("listitem").map((li) => li.textContent)).toEqual(["Writer: node llm cannot be reached"]);
  });

  it("says so when there is none", () => {
    setEditor([node("llm", "llm", "Writer")], [], { report: { issues: [], nodes: {}, globals: {} } });
    draw();
    expect(screen.getByTestId("issue-list").textContent).toBe("✓ No issues");
    expect(screen.queryByRole("list")).toBeNull();
  });
});
