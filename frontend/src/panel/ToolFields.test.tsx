import { cleanup, fireEvent, render, screen, within } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";

import { fakeServer } from "../knowledge/fixtures/kb";
import type { Json } from "../api/spec";
import { specToGraph } from "../state/graph";
import { emptyHistory } from "../state/history";
import { emptyReport, useEditor } from "../state/store";
import { ToolArgumentsField, ToolField, ToolServerField } from "./ToolFields";

afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
});

const CLOCK = {
  name: "clock",
  tools: [
    {
      name: "get_current_time",
      description: "The time in a timezone.",
      input_schema: {
        type: "object",
        properties: { timezone: { type: "string", title: "Timezone", description: "IANA name" }, days: { type: "integer" } },
        required: ["timezone"],
      },
    },
  ],
};

function withNode(config: Json) {
  const g = specToGraph({ mode: "workflow", nodes: [{ id: "t", type: "tool", title: "Tool", config }], edges: [] });
  useEditor.setState({ ...g, mode: "workflow", env: [], canEdit: true, history: emptyHistory(), docVersion: 0, report: emptyReport, nodeIssues: {}, panel: null });
}

describe("tool node fields", () => {
  it("maps each parameter of the picked tool's schema from a value, a variable or a text", async () => {
    fakeServer({ "GET /tool-servers": [CLOCK] });
    withNode({ server: "clock", tool: "get_current_time", arguments: {} });
    const onChange = vi.fn();
    const { rerender } = render(<ToolArgumentsField id="f-t.arguments" nodeId="t" server="clock" tool="get_current_time" value={{}} onChange={onChange} disabled={false} />);
    const row = await screen.findByTestId("tool-arg-timezone");
    expect(row.textContent).toContain("Timezone *");
    expect(row.textContent).toContain("IANA name");
    expect(screen.getByTestId("tool-arg-days").textContent).toContain("tool's default");
    fireEvent.change(within(row).getByLabelText("timezone: from"), { target: { value: "constant" } });
    expect(onChange).toHaveBeenLastCalledWith({ timezone: { type: "constant", value: null } });
    rerender(<ToolArgumentsField id="f-t.arguments" nodeId="t" server="clock" tool="get_current_time" value={{ timezone: { type: "constant", value: "" } }} onChange={onChange} disabled={false} />);
    fireEvent.change(screen.getByTestId("tool-arg-timezone").querySelector("input")!, { target: { value: "Asia/Tokyo" } });
    expect(onChange).toHaveBeenLastCalledWith({ timezone: { type: "constant", value: "Asia/Tokyo" } });
    fireEvent.change(within(screen.getByTestId("tool-arg-days")).getByLabelText("days: from"), { target: { value: "mixed" } });
    expect(onChange).toHaveBeenLastCalledWith({ timezone: { type: "constant", value: "" }, days: { type: "mixed", value: "" } });
  });

  it("lists the servers and the picked server's tools", async () => {
    fakeServer({ "GET /tool-servers": [CLOCK, { name: "git", tools: [] }] });
    withNode({ server: "clock", tool: "", arguments: {} });
    const onServer = vi.fn();
    render(<ToolServerField id="f-t.server" nodeId="t" value="clock" onChange={onServer} disabled={false} />);
    render(<ToolField id="f-t.tool" nodeId="t" server="clock" value="" onChange={vi.fn()} disabled={false} />);
    await screen.findAllByRole("option", { name: "get_current_time" });
    const [servers] = screen.getAllByRole("combobox");
    expect(within(servers).getAllByRole("option").map((o) => o.textContent)).toEqual(["—", "clock", "git"]);
    fireEvent.change(servers, { target: { value: "git" } });
    expect(onServer).toHaveBeenCalledWith("git");
  });

  it("says when the picked server's tools are being refreshed, never listed or from a failed check", async () => {
    const listed = { status: "ok", error: "", checked_at: null, listed_at: null, builtin: false };
    fakeServer({
      "GET /tool-servers": [
        { ...CLOCK, ...listed, freshness: "stale", refreshing: true },
        { ...listed, name: "git", tools: [], status: "unknown", freshness: "never_listed", refreshing: false },
        { ...CLOCK, ...listed, name: "web", status: "error", error: "timed out after 30 s", freshness: "stale", refreshing: false },
        { ...CLOCK, ...listed, name: "fresh", freshness: "fresh", refreshing: false },
      ],
    });
    withNode({ server: "clock", tool: "", arguments: {} });
    const notes: Record<string, string | null> = {};
    for (const name of ["clock", "git", "web", "fresh"]) {
      render(<ToolServerField id="f-t.server" nodeId="t" value={name} onChange={vi.fn()} disabled={false} />);
      await screen.findAllByRole("option", { name: "clock" });
      notes[name] = screen.queryByTestId("tool-server-note")?.textContent ?? null;
      cleanup();
    }
    expect(notes).toEqual({
      clock: "Refreshing its tools…",
      git: "Its tools were never listed: refresh it on the Tools page.",
      web: "Its last check failed (timed out after 30 s); these are the tools it listed before.",
      fresh: null,
    });
  });

  it("says so when the workspace has no tool servers (none served yet: 404)", async () => {
    fakeServer({});
    withNode({ server: "", tool: "", arguments: {} });
    render(<ToolServerField id="f-t.server" nodeId="t" value="" onChange={vi.fn()} disabled={false} />);
    expect((await screen.findByTestId("tool-servers-empty")).textContent).toContain("no tool servers");
    render(<ToolArgumentsField id="f-t.arguments" nodeId="t" server="" tool="" value={{}} onChange={vi.fn()} disabled={false} />);
    expect(screen.getByTestId("f-t.arguments-none").textContent).toContain("Pick a tool");
  });
});
