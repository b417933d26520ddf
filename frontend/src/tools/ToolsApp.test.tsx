import { cleanup, fireEvent, render, screen, waitFor, within } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";

import { fakeServer } from "../knowledge/fixtures/kb";
import { secretsBody } from "./ServerForm";
import { paramsOf } from "./ToolList";
import { ToolsApp } from "./ToolsApp";
import type { ToolServer } from "./types";

afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
});

const ID = "6a0d3c1e-1b2c-4d5e-8f90-123456789abc";
const CLOCK_TOOL = {
  name: "get_current_time",
  description: "Get the current time in a timezone",
  input_schema: { type: "object", properties: { timezone: { type: "string", description: "IANA name" } }, required: ["timezone"] },
};

function serverFixture(over: Partial<ToolServer> = {}): ToolServer {
  return {
    id: ID,
    name: "time",
    transport: "stdio",
    command: "mcp-server-time",
    args: [],
    env: [{ name: "API_KEY", set: true }],
    url: "",
    headers: [],
    enabled: true,
    connect_timeout_s: 30,
    call_timeout_s: 60,
    status: "unknown",
    status_message: "",
    checked_at: null,
    tools: [],
    listed_at: null,
    created_at: "2025-01-01T00:00:00Z",
    updated_at: "2025-01-01T00:00:00Z",
    ...over,
  };
}

describe("tools page", () => {
  it("lists servers with status, transport and tool count, and built-in ones read-only", async () => {
    fakeServer({
      "GET /tools/servers": [serverFixture({ status: "ok", tools: [CLOCK_TOOL] })],
      "GET /tool-servers": [{ name: "knowledge", tools: [], builtin: true, status: "ok", error: "" }],
    });
    render(<ToolsApp canAdmin={false} canEdit={false} />);
    const row = await screen.findByTestId("server-time");
    expect(screen.getByTestId("status-time").dataset.status).toBe("ok");
    expect(screen.getByTestId("count-time").textContent).toBe("1 tool");
    expect(within(row).getByTestId("tool-get_current_time").textContent).toContain("IANA name");
    expect(within(row).queryByTestId("refresh-time")).toBeNull(); // viewers only look
    expect(screen.queryByTestId("server-form")).toBeNull();
    expect((await screen.findByTestId("builtin-knowledge")).textContent).toContain("built-in");
  });

  it("refreshes a server and shows its error in words", async () => {
    fakeServer({
      "GET /tools/servers": [serverFixture()],
      "GET /tool-servers": [],
      [`POST /tools/servers/${ID}/refresh`]: serverFixture({ status: "error", status_message: "the command 'mcp-server-time' was not found on this server" }),
    });
    render(<ToolsApp canAdmin={false} canEdit />);
    fireEvent.click(await screen.findByTestId("refresh-time"));
    expect((await screen.findByTestId("error-time")).textContent).toContain("was not found");
    expect(screen.getByTestId("status-time").dataset.status).toBe("error");
  });

  it("adds a server (secrets as password inputs), then connects to it", async () => {
    const server = fakeServer({
      "GET /tools/servers": [],
      "GET /tool-servers": [],
      "POST /tools/servers": serverFixture(),
      [`POST /tools/servers/${ID}/refresh`]: serverFixture({ status: "ok", tools: [CLOCK_TOOL] }),
    });
    render(<ToolsApp canAdmin canEdit />);
    fireEvent.change(await screen.findByTestId("server-name"), { target: { value: "time" } });
    fireEvent.change(screen.getByTestId("server-command"), { target: { value: "mcp-server-time" } });
    fireEvent.change(screen.getByTestId("server-args"), { target: { value: "--local-timezone\nUTC\n" } });
    fireEvent.click(screen.getByTestId("env-add"));
    fireEvent.change(screen.getByTestId("env-name-0"), { target: { value: "API_KEY" } });
    const value = screen.getByTestId("env-value-0") as HTMLInputElement;
    expect(value.type).toBe("password");
    fireEvent.change(value, { target: { value: "s3cret" } });
    fireEvent.click(screen.getByTestId("server-save"));
    await waitFor(() => expect(screen.getByTestId("count-time").textContent).toBe("1 tool"));
    expect(server.sent("POST", "/tools/servers")[0].body).toMatchObject({ name: "time", transport: "stdio", command: "mcp-server-time", args: ["--local-timezone", "UTC"], env: { API_KEY: "s3cret" } });
    expect(server.sent("POST", `/tools/servers/${ID}/refresh`)).toHaveLength(1);
    expect((screen.getByTestId("server-name") as HTMLInputElement).value).toBe(""); // ready for the next
  });

  it("edits a server keeping a stored secret that was not retyped", async () => {
    const server = fakeServer({ "GET /tools/servers": [serverFixture()], "GET /tool-servers": [], [`PATCH /tools/servers/${ID}`]: serverFixture(), [`POST /tools/servers/${ID}/refresh`]: serverFixture() });
    render(<ToolsApp canAdmin canEdit />);
    fireEvent.click(await screen.findByTestId("edit-time"));
    expect((screen.getByTestId("env-value-0") as HTMLInputElement).placeholder).toContain("set");
    fireEvent.click(screen.getByTestId("server-save"));
    await waitFor(() => expect(server.sent("PATCH", `/tools/servers/${ID}`)).toHaveLength(1));
    expect(server.sent("PATCH", `/tools/servers/${ID}`)[0].body).toMatchObject({ env: { API_KEY: null } });
  });

  it("shows the server's refusal naming the field", async () => {
    fakeServer({
      "GET /tools/servers": [],
      "GET /tool-servers": [],
      "POST /tools/servers": () => new Response(JSON.stringify({ code: "invalid_param", message: "command: one program only, without spaces or shell characters", field: "command" }), { status: 422 }),
    });
    render(<ToolsApp canAdmin canEdit />);
    fireEvent.change(await screen.findByTestId("server-name"), { target: { value: "x" } });
    fireEvent.click(screen.getByTestId("server-save"));
    expect((await screen.findByTestId("server-form-error")).textContent).toContain("command: one program only");
  });
});

describe("tools page helpers", () => {
  it("reads a tool's parameters from its schema, required first", () => {
    const params = paramsOf({ properties: { a: { type: "integer" }, b: { type: ["string", "null"], description: "B" } }, required: ["b"] });
    expect(params.map((p) => [p.name, p.type, p.required])).toEqual([
      ["b", "string | null", true],
      ["a", "integer", false],
    ]);
  });

  it("sends null for a stored secret left empty, the value otherwise", () => {
    expect(secretsBody([{ name: "A", value: "", stored: true }, { name: "B", value: "v", stored: true }, { name: " ", value: "x", stored: false }, { name: "C", value: "", stored: false }])).toEqual({ A: null, B: "v", C: "" });
  });
});
