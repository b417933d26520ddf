import { cleanup, fireEvent, render, screen, waitFor } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";

import type { WorkflowSpec } from "../api/spec";
import { queuedJob } from "./fixtures/jobs";
import { JobView } from "./JobView";
import { UseInApp } from "./UseInApp";
import { adapterModel, editorUrl, llmNodesOf, withModel } from "./appModel";

const adapter = { name: "weftling-v1", base_model: "embedded", label: "smollm2-135m-instruct + weftling-v1" };

function spec(): WorkflowSpec {
  return {
    schema_version: 1,
    mode: "chat",
    nodes: [
      { id: "start", type: "start", config: { variables: [] } },
      { id: "llm", type: "llm", title: "Answer", config: { model: { provider: "embedded", name: "" }, prompt: "{{#sys.query#}}", temperature: 0.7 } },
      { id: "llm_2", type: "llm", title: "Summarize", config: { model: { provider: "vllm", name: "llama" }, prompt: "x" } },
      { id: "answer", type: "answer", config: { answer: "{{#llm.text#}}" } },
    ],
    edges: [],
  };
}

function json(status: number, body: unknown) {
  return new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json" } });
}

/** The editor API: two apps, app 3's draft with two LLM nodes; PUTs are recorded. */
function mockApi(put: (body: { spec: WorkflowSpec; revision: number }) => Response = () => json(200, { revision: 5, issues: [], nodes: {}, globals: {} })) {
  const saved: { spec: WorkflowSpec; revision: number }[] = [];
  const fetchMock = vi.fn(async (url: string, init?: RequestInit) => {
    if (url === "/api/apps") return json(200, [{ id: 3, name: "Demo chat" }, { id: 4, name: "Empty" }]);
    if (url === "/api/apps/3/draft" && init?.method === "PUT") {
      const body = JSON.parse(String(init.body)) as { spec: WorkflowSpec; revision: number };
      saved.push(body);
      return put(body);
    }
    if (url === "/api/apps/3/draft") return json(200, { spec: spec(), revision: 4, issues: [], nodes: {}, globals: {} });
    if (url === "/api/apps/4/draft") return json(200, { spec: { ...spec(), nodes: [spec().nodes[0]] }, revision: 1, issues: [], nodes: {}, globals: {} });
    if (url === "/api/training/adapters") return json(200, []);
    return json(404, { code: "not_found", message: url });
  });
  vi.stubGlobal("fetch", fetchMock);
  return saved;
}

afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
});

describe("use an adapter in an app", () => {
  it("names the adapter as a node's model: embedded for the embedded base, else vllm", () => {
    expect(adapterModel(adapter)).toEqual({ provider: "embedded", name: "weftling-v1" });
    expect(adapterModel({ name: "sql", base_model: "/models/llama-3-8b" })).toEqual({ provider: "vllm", name: "sql" });
    const changed = withModel(spec(), "llm", adapterModel(adapter));
    expect(changed.nodes[1].config).toEqual({ model: { provider: "embedded", name: "weftling-v1" }, prompt: "{{#sys.query#}}", temperature: 0.7 });
    expect(changed.nodes[2]).toEqual(spec().nodes[2]);
    expect(llmNodesOf(spec()).map((n) => n.id)).toEqual(["llm", "llm_2"]);
    expect(() => withModel(spec(), "nope", adapterModel(adapter))).toThrow("the draft has no node nope");
    expect(editorUrl(3, "llm 2")).toBe("/apps/3/editor/?node=llm%202");
  });

  it("saves the chosen node's model in the app's draft, then opens the editor on that node", async () => {
    const saved = mockApi();
    const go = vi.fn();
    render(<UseInApp adapter={adapter} onClose={() => undefined} go={go} />);
    await screen.findByText("Demo chat");
    fireEvent.change(screen.getByTestId("use-app"), { target: { value: "3" } });
    await screen.findByText("Summarize — now llama");
    expect(screen.getByText("Answer — no model yet")).toBeTruthy();
    expect((screen.getByTestId("use-in-app-save") as HTMLButtonElement).disabled).toBe(true);
    fireEvent.change(screen.getByTestId("use-node"), { target: { value: "llm" } });
    fireEvent.click(screen.getByTestId("use-in-app-save"));
    await waitFor(() => expect(go).toHaveBeenCalledWith("/apps/3/editor/?node=llm"));
    expect(saved).toHaveLength(1);
    expect(saved[0].revision).toBe(4);
    expect(saved[0].spec.nodes.find((n) => n.id === "llm")?.config?.model).toEqual({ provider: "embedded", name: "weftling-v1" });
    expect(saved[0].spec.nodes.find((n) => n.id === "llm_2")?.config?.model).toEqual({ provider: "vllm", name: "llama" });
  });

  it("says when an app has no LLM node, and shows a stale draft's conflict instead of opening", async () => {
    mockApi(() => json(409, { code: "conflict", message: "the draft changed since revision 4", current_revision: 5 }));
    const go = vi.fn();
    render(<UseInApp adapter={adapter} onClose={() => undefined} go={go} />);
    await screen.findByText("Empty");
    fireEvent.change(screen.getByTestId("use-app"), { target: { value: "4" } });
    expect((await screen.findByTestId("use-no-llm")).textContent).toContain("This app has no LLM node");
    fireEvent.change(screen.getByTestId("use-app"), { target: { value: "3" } });
    await screen.findByText("Summarize — now llama");
    fireEvent.change(screen.getByTestId("use-node"), { target: { value: "llm_2" } });
    fireEvent.click(screen.getByTestId("use-in-app-save"));
    expect((await screen.findByTestId("use-in-app-error")).textContent).toContain("the draft changed since revision 4");
    expect(go).not.toHaveBeenCalled();
  });

  it("opens the picker from a finished job's adapter card, for editors only", async () => {
    mockApi();
    const job = queuedJob({ status: "succeeded", adapter: "weftling-v1", base_model: "embedded" });
    const source = { openSocket: () => ({ onmessage: null, onclose: null, close: () => undefined }), fetchJob: async () => job, pollMs: 60_000, fallbackPollMs: 60_000 };
    render(<JobView id={job.id} canEdit source={source} />);
    fireEvent.click(await screen.findByTestId("use-in-app"));
    expect(await screen.findByTestId("use-in-app-picker")).toBeTruthy();
    await screen.findByText("Demo chat");
    cleanup();
    render(<JobView id={job.id} canEdit={false} source={source} />);
    await screen.findByTestId("job-adapter");
    expect(screen.queryByTestId("use-in-app")).toBeNull();
  });
});
