import { render, screen } from "@testing-library/react";
import { describe, expect, it } from "vitest";

import type { NodeTypeInfo } from "../api/types";
import { indexCatalog } from "../state/nodeTypes";
import { applyRunEvent, idleRun } from "../state/run";
import { useEditor } from "../state/store";
import { node, runEvent, setEditor } from "./testing";
import { Trace } from "./Trace";

describe("Trace", () => {
  it("shows a loop's runs after it, under a heading per round, when its rounds' events interleave", () => {
    // the heading's word is the loop type's inner_run_name in the catalog
    const types = indexCatalog([{ type: "loop", version: 1, container_start: "loop_start", inner_run_name: "round" } as unknown as NodeTypeInfo]);
    setEditor([node("start", "start", "Start"), node("lp", "loop", "Retry"), node("tpl", "template", "Write"), node("end", "end", "End")], [], { types });
    const inner = (node_id: string, i: number) => ({ node_id, container_id: "lp", iteration_path: [i] });
    const events = [
      runEvent("r1", "node_succeeded", { node_id: "start" }),
      runEvent("r1", "node_started", { node_id: "lp", node_type: "loop" }),
      runEvent("r1", "node_started", inner("tpl", 0)),
      runEvent("r1", "node_started", inner("tpl", 1)),
      runEvent("r1", "node_started", inner("lp_start", 0)),
      runEvent("r1", "node_succeeded", { node_id: "end" }),
    ];
    useEditor.setState({ run: events.reduce(applyRunEvent, idleRun) });
    render(<Trace />);
    const items = [...screen.getByTestId("run-trace").children].map((li) => li.querySelector(".run-trace-group")?.textContent ?? (li as HTMLElement).dataset.testid);
    expect(items).toEqual(["run-trace-start", "run-trace-lp", "Retry · Round 1", "run-trace-lp_start@0", "Retry · Round 2", "run-trace-end"]);
    expect(screen.getByTestId("run-trace-lp_start@0").className).toContain("run-trace-inner");
    expect(screen.getByTestId("run-trace-end").className).not.toContain("run-trace-inner");
  });
});
