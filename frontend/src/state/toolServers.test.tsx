// The node panel's tool fields share one listing of the workspace's tool servers: an agent with
// five tool rows (ten pickers) asks once, and again only on ↻ or when the panel opens again.
import { cleanup, fireEvent, render, screen, within } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";

import type { Json } from "../api/spec";
import type { NodeTypeInfo } from "../api/types";
import { fakeServer } from "../knowledge/fixtures/kb";
import catalog from "../panel/fixtures/llmNodes.json";
import { NodePanel } from "../panel/NodePanel";
import { specToGraph } from "./graph";
import { emptyHistory } from "./history";
import { emptyReport, useEditor } from "./store";

const types = catalog as unknown as NodeTypeInfo[];
const tool = (name: string) => ({ name, description: "", input_schema: { type: "object", properties: {} } });
const CLOCK = { name: "clock", tools: [tool("get_current_time"), tool("convert_time")] };

function openAgent(tools: Json[]) {
  const config = { ...(types.find((t) => t.type === "agent")!.defaults.chat as Record<string, Json>), tools };
  const g = specToGraph({ mode: "chat", nodes: [{ id: "n", type: "agent", title: "Agent", config }], edges: [] });
  useEditor.setState({ ...g, mode: "chat", env: [], canEdit: true, history: emptyHistory(), docVersion: 0, report: emptyReport, nodeIssues: {}, panel: null });
  useEditor.getState().setCatalog(types);
  useEditor.getState().select(["n"]);
  return render(<NodePanel />);
}

const select = (path: string) => document.getElementById(`f-n.${path}`) as HTMLSelectElement;
const names = (s: HTMLSelectElement) => [...s.options].map((o) => o.value);

afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
});

describe("the tool servers of the node panel", () => {
  it("are listed once for every tool field, and again on ↻ or when the panel opens again", async () => {
    let listing = [CLOCK];
    const server = fakeServer({ "GET /tool-servers": () => listing });
    const asked = () => server.sent("GET", "/tool-servers").length;
    const panel = openAgent(Array.from({ length: 5 }, () => ({ server: "clock", tool: "get_current_time" })));
    await within(select("tools.4.tool")).findByRole("option", { name: "convert_time" });
    expect(names(select("tools.0.server"))).toEqual(["", "clock"]);
    expect(asked()).toBe(1);

    fireEvent.click(screen.getByTestId("add-n.tools")); // a new row reads the same listing
    expect(names(select("tools.5.server"))).toEqual(["", "clock"]);
    expect(asked()).toBe(1);

    listing = [CLOCK, { name: "git", tools: [tool("git_status")] }]; // added on the Tools page
    fireEvent.click(screen.getAllByRole("button", { name: "Fetch the tool servers again" })[2]);
    await within(select("tools.0.server")).findByRole("option", { name: "git" });
    expect(names(select("tools.5.server"))).toEqual(["", "clock", "git"]);
    expect(asked()).toBe(2);

    panel.unmount(); // the panel closes and opens again
    listing = [CLOCK];
    openAgent([{ server: "clock", tool: "" }]);
    expect(select("tools.0.server").disabled).toBe(true); // the new listing, not the old one
    await within(select("tools.0.tool")).findByRole("option", { name: "convert_time" });
    expect(names(select("tools.0.server"))).toEqual(["", "clock"]);
    expect(asked()).toBe(3);
  });

  it("says why they could not be listed, and lists them again on ↻", async () => {
    let down = true;
    const server = fakeServer({
      "GET /tool-servers": () => (down ? new Response(JSON.stringify({ code: "unavailable", message: "tools app is down" }), { status: 503 }) : [CLOCK]),
    });
    openAgent([{ server: "clock", tool: "get_current_time" }]);
    const problem = await screen.findByText(/could not be listed: tools app is down/);
    down = false;
    fireEvent.click(within(problem).getByRole("button", { name: "Fetch the tool servers again" }));
    await within(select("tools.0.server")).findByRole("option", { name: "clock" });
    expect(screen.getByTestId("array-n.tools").textContent).not.toContain("could not be listed");
    expect(server.sent("GET", "/tool-servers")).toHaveLength(2);
  });
});
